import Glibc
import LogFormat
import SystemPackage
import TestSupport
import Testing

@Suite struct RoundTripTests {
    @Test(arguments: Codec.allCases)
    func everyFieldAndKindSurvives(codec: Codec) throws {
        let dir = TemporaryDirectory()
        var messages: [Message] = []
        for (i, kind) in (MessageKind.known + [MessageKind(rawValue: 4242)]).enumerated() {
            messages.append(Message(sequence: UInt64(i + 1), process: UInt32(i % 3), thread: .max,
                                    kind: kind, resource: .max - UInt64(i), result: i % 2 == 0 ? .min : .max,
                                    errno: i % 2 == 0 ? .max : .min, payload: Array("payload \(i)".utf8)))
        }
        let log = dir.filePath("log")
        try Fixtures.write(messages, to: log, options: .init(codec: codec, durability: .none), exitStatus: 3)
        let contents = try LogContents(log)
        #expect(contents.messages == messages)
        #expect(contents.outcome == .cleanEnd(EndRecord(lastSequence: UInt64(messages.count), exitStatus: 3)))
    }

    @Test func recordingHeaderRoundTrips() throws {
        let dir = TemporaryDirectory()
        let log = dir.filePath("log")
        try Fixtures.write([Message(sequence: 1, process: 1, thread: 1, kind: .getpid, result: 1234)], to: log)
        let reader = LogReader(directory: log)
        _ = try reader.next()
        #expect(reader.recording == Fixtures.recording)
    }

    @Test(arguments: [(Codec.lz4, UInt64(1)), (.zstd, 2), (.none, 3)])
    func randomLogsRoundTripAcrossManySegments(codec: Codec, seed: UInt64) throws {
        let dir = TemporaryDirectory()
        let log = dir.filePath("log")
        let messages = Fixtures.randomMessages(count: 20_000, seed: seed)
        let options = LogWriter.Options(codec: codec, segmentSize: 64 << 10, frameSize: 4 << 10, durability: .none)
        let writer = try Fixtures.write(messages, to: log, options: options, exitStatus: 0)
        #expect(writer.statistics.segments > 5, "seed \(seed)")
        let contents = try LogContents(log)
        #expect(contents.messages.count == messages.count, "seed \(seed)")
        #expect(contents.messages == messages, "seed \(seed)")
        #expect(contents.outcome == .cleanEnd(EndRecord(lastSequence: 20_000, exitStatus: 0)))
        let summary = LogSummary.scan(directory: log)
        #expect(summary.problem == nil)
        #expect(summary.messages == 20_000)
        #expect(summary.segments.count == writer.statistics.segments)
        #expect(summary.storedBytes == writer.statistics.storedBytes)
    }

    @Test func emptyAndHugePayloads() throws {
        let dir = TemporaryDirectory()
        let log = dir.filePath("log")
        var rng = SystemRandomNumberGenerator()
        let huge = (0..<(9 << 20)).map { _ in UInt8.random(in: 0...255, using: &rng) }  // incompressible
        let messages = [
            Message(sequence: 1, process: 1, thread: 1, kind: .read, resource: 0, result: 0),
            Message(sequence: 2, process: 1, thread: 1, kind: .read, resource: 3, result: Int64(huge.count), payload: huge),
            Message(sequence: 3, process: 1, thread: 2, kind: .getrandom, result: 1, payload: [42]),
            Message(sequence: 4, process: 1, thread: 1, kind: .read, resource: 3, result: 5 << 20,
                    payload: [UInt8](repeating: 7, count: 5 << 20)),
        ]
        try Fixtures.write(messages, to: log, options: .init(codec: .zstd, segmentSize: 1 << 20, durability: .none))
        let read = try LogContents(log).messages
        #expect(read == messages)
    }

    @Test func logsStartAtAnySequenceNumber() throws {
        let dir = TemporaryDirectory()
        let log = dir.filePath("log")
        let messages = Fixtures.randomMessages(count: 30_000, seed: 11, largePayloads: false)
        let options = LogWriter.Options(codec: .lz4, segmentSize: 32 << 10, frameSize: 2 << 10, durability: .none)
        try Fixtures.write(messages, to: log, options: options)
        for start in [1, 2, 999, 15_000, 29_999, 30_000] as [UInt64] {
            let contents = try LogContents(log, from: start)
            #expect(contents.messages == Array(messages[Int(start - 1)...]), "from \(start)")
            #expect(contents.outcome == .cleanEnd(EndRecord(lastSequence: 30_000, exitStatus: 0)))
        }
    }

    @Test func aClosedLogWithoutEndIsStillOpen() throws {
        let dir = TemporaryDirectory()
        let log = dir.filePath("log")
        let messages = Fixtures.randomMessages(count: 500, seed: 5, largePayloads: false)
        try Fixtures.write(messages, to: log, exitStatus: nil)
        let contents = try LogContents(log)
        #expect(contents.messages == messages)
        #expect(contents.outcome == .stillOpen(lastSequence: 500))
    }

    @Test func writerRefusesOutOfOrderSequenceNumbers() throws {
        let dir = TemporaryDirectory()
        let writer = try LogWriter(directory: dir.filePath("log"), recording: Fixtures.recording,
                                   options: .init(durability: .none))
        let message = { (sequence: UInt64) in Message(sequence: sequence, process: 1, thread: 1, kind: .mutexLock) }
        try writer.append(message(1))
        // Ahead of the next number: a gap; behind it: misuse. Either way the log is unchanged.
        let ahead = #expect(throws: LogError.self) { try writer.append(message(3)) }
        #expect(ahead?.code == .gap)
        #expect(ahead?.message == "message 3 appended where 2 was due")
        #expect(ahead?.location?.sequence == 3)
        #expect(ahead?.location?.segment == 1)
        let behind = #expect(throws: LogError.self) { try writer.append(message(1)) }
        #expect(behind?.code == .misuse)
        #expect(behind?.message == "message 1 appended where 2 was due")
        try writer.append(message(2))
        try writer.finish(exitStatus: 0)
        #expect(try LogContents(dir.filePath("log")).messages == [message(1), message(2)])
    }

    @Test func writerRefusesADirectoryThatHoldsALog() throws {
        let dir = TemporaryDirectory()
        let log = dir.filePath("log")
        try Fixtures.write([], to: log)
        let error = #expect(throws: LogError.self) { try LogWriter(directory: log, recording: Fixtures.recording) }
        #expect(error?.code == .misuse)
        #expect(error?.message.contains("already holds a log") == true, "\(String(describing: error))")
        #expect(error?.location?.file == log.string)
        #expect(LogSummary.scan(directory: log).problem == nil, "the log is untouched")
    }

    @Test func filesArePrivate() throws {
        let dir = TemporaryDirectory()
        let log = dir.filePath("log")
        try Fixtures.write(Fixtures.randomMessages(count: 10, seed: 1), to: log)
        var info = stat()
        #expect(stat(log.string, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o700)
        for segment in try LogDirectory(log).segments() {
            #expect(stat(LogDirectory(log).path(of: segment).string, &info) == 0)
            #expect(info.st_mode & 0o777 == 0o600)
        }
    }
}
