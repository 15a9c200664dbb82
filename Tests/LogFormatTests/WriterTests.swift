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

    /// Each durability mode writes the same log, and syncs as it promises: `.none` never, an
    /// interval only when it is due (a minute is never due here, so only the seals' fsyncs),
    /// `.always` after every frame (and at every seal).
    @Test(arguments: [LogWriter.Durability.none, .interval(milliseconds: 60_000), .interval(milliseconds: 1), .always])
    func everyDurabilityWritesTheSameMessagesAndSyncsAsPromised(durability: LogWriter.Durability) throws {
        let dir = TemporaryDirectory()
        let log = dir.filePath("log")
        let messages = Fixtures.randomMessages(count: 2_000, seed: 3, largePayloads: false)
        let writer = try Fixtures.write(messages, to: log,
                                        options: .init(segmentSize: 32 << 10, frameSize: 4 << 10, durability: durability))
        #expect(try LogContents(log).messages == messages)
        let statistics = writer.statistics
        try #require(statistics.segments > 1 && statistics.frames > UInt64(statistics.segments) * 2)
        let seals = UInt64(statistics.segments), frames = statistics.frames
        let expected: ClosedRange<UInt64> = switch durability {
        case .none: 0...0
        case .interval(milliseconds: 60_000): seals...seals
        case .interval: seals...(seals + frames)
        case .always: (seals + frames)...(seals + frames)
        }
        #expect(expected.contains(statistics.syncs), "\(durability): \(statistics.syncs) syncs, \(frames) frames, \(seals) segments")
    }

    @Test func anIntervalSyncsOnlyOnceItHasPassed() throws {
        let dir = TemporaryDirectory()
        let writer = try LogWriter(directory: dir.filePath("log"), recording: Fixtures.recording,
                                   options: .init(durability: .interval(milliseconds: 500)))
        let message = { (sequence: UInt64) in Message(sequence: sequence, process: 1, thread: 1, kind: .mutexLock) }
        try writer.append(message(1))
        try writer.flush()
        #expect(writer.statistics.frames == 1)
        #expect(writer.statistics.syncs == 0, "the interval has not passed since the writer started")
        usleep(600_000)
        try writer.append(message(2))
        try writer.flush()
        #expect(writer.statistics.syncs == 1)
        try writer.append(message(3))
        try writer.flush()
        #expect(writer.statistics.syncs == 1, "the interval starts again at the last sync")
        try writer.close()
        #expect(writer.statistics.syncs == 2, "closing syncs")
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
