import Glibc
import LogFormat
import SystemPackage
import TestSupport
import Testing

@Suite struct WriterTests {
    @Test func flushIfDueWritesAFrameOnlyAfterTheDeadline() throws {
        let dir = TemporaryDirectory()
        let log = dir.filePath("log")
        var options = LogWriter.Options(durability: .none)
        options.flushDeadline = .milliseconds(50)
        let writer = try LogWriter(directory: log, recording: Fixtures.recording, options: options)
        try writer.append(Message(sequence: 1, process: 1, thread: 1, kind: .mutexLock, resource: 0x1000))
        try writer.flushIfDue()
        #expect(writer.statistics.frames == 0)
        let reader = LogReader(directory: log, mode: .follow)
        #expect(try reader.nextAvailable() == .waiting)
        usleep(60_000)
        try writer.flushIfDue()
        #expect(writer.statistics.frames == 1)
        #expect(try reader.nextAvailable() == .message(Message(sequence: 1, process: 1, thread: 1, kind: .mutexLock,
                                                               resource: 0x1000)))
        #expect(try reader.cursor.lag().bytes == 0)
        try writer.finish(exitStatus: 0)
        #expect(try reader.nextAvailable() == .finished(.cleanEnd(EndRecord(lastSequence: 1, exitStatus: 0))))
    }

    @Test(arguments: [LogWriter.Durability.none, .interval(milliseconds: 1), .always])
    func everyDurabilityWritesTheSameMessages(durability: LogWriter.Durability) throws {
        let dir = TemporaryDirectory()
        let log = dir.filePath("log")
        let messages = Fixtures.randomMessages(count: 2_000, seed: 3, largePayloads: false)
        try Fixtures.write(messages, to: log, options: .init(segmentSize: 32 << 10, frameSize: 4 << 10, durability: durability))
        #expect(try LogContents(log).messages == messages)
    }

    @Test func theReaderReportsHowFarBehindItIs() throws {
        let dir = TemporaryDirectory()
        let log = dir.filePath("log")
        try Fixtures.write(Fixtures.randomMessages(count: 3_000, seed: 4, largePayloads: false), to: log,
                           options: .init(segmentSize: 16 << 10, frameSize: 2 << 10, durability: .none))
        let reader = LogReader(directory: log)
        _ = try reader.next()
        let early = try reader.cursor.lag()
        #expect(early.bytes > 16 << 10, "several segments are still unread")
        #expect(early.sinceLastFrame > 0)
        while try reader.next() != nil {}
        #expect(try reader.cursor.lag().bytes == 0)
    }
}
