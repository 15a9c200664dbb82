import Foundation
@testable import LogFormat
import SystemPackage
import TestSupport
import Testing

/// Damaged logs: every problem is caught, classified and located, and the messages before it are
/// still delivered.
@Suite struct FaultTests {
    /// A log of several small segments; `end` decides whether it has an END record.
    static func makeLog(in dir: TemporaryDirectory, end: Bool = true, messages: Int = 600,
                        segmentSize: Int = 6 << 10) throws -> FilePath {
        let log = dir.filePath("log")
        let options = LogWriter.Options(codec: .lz4, segmentSize: segmentSize, frameSize: 1 << 10, durability: .none)
        try Fixtures.write(Fixtures.randomMessages(count: messages, seed: 99, largePayloads: false), to: log,
                           options: options, exitStatus: end ? 0 : nil)
        return log
    }

    /// Offsets of the frames of one segment.
    static func frameOffsets(_ log: FilePath, segment: SegmentName) throws -> [Int] {
        struct Offsets: LogVisitor {
            let segment: SegmentName
            var offsets: [Int] = []
            mutating func frame(_ header: FrameHeader, offset: Int, segment: SegmentName) {
                if segment == self.segment { offsets.append(offset) }
            }
        }
        let cursor = LogCursor(directory: log)
        var visitor = Offsets(segment: segment)
        while case .progressed = try cursor.step(&visitor) {}
        return visitor.offsets
    }

    @Test func bitFlipsAnywhereAreCaughtAndLocated() throws {
        let dir = TemporaryDirectory()
        let log = try Self.makeLog(in: dir)
        let segments = try LogDirectory(log).segments()
        try #require(segments.count >= 4)
        for segment in [segments[0], segments[segments.count / 2], segments.last!] {
            let path = LogDirectory(log).path(of: segment)
            let original = try readFile(path)
            let lastFrame = try Self.frameOffsets(log, segment: segment).last!
            let isLast = segment == segments.last
            var offsets = Set(stride(from: 0, to: original.count, by: 7))
            offsets.formUnion(0..<min(200, original.count))
            offsets.formUnion(max(0, original.count - 120)..<original.count)
            for offset in offsets.sorted() {
                var damaged = original
                damaged[offset] ^= UInt8(1 << (offset % 8))
                try writeFile(path, damaged)
                let summary = LogSummary.scan(directory: log)
                let problem = try #require(summary.problem, "flip at \(segment):\(offset) went unnoticed")
                #expect(problem.location?.file == path.string, "flip at \(segment):\(offset): \(problem)")
                #expect((problem.location?.offset ?? .max) <= offset, "flip at \(segment):\(offset): \(problem)")
                var allowed: Set<LogError.Code> = [.corruption, .notALog, .unsupportedVersion]
                // Damage to the seal of the newest segment looks exactly like an interrupted seal.
                if isLast && offset >= lastFrame { allowed.insert(.tornTail) }
                #expect(allowed.contains(problem.code), "flip at \(segment):\(offset): \(problem)")
            }
            try writeFile(path, original)
        }
        #expect(LogSummary.scan(directory: log).problem == nil)
    }

    @Test(arguments: [false, true])
    func truncatingTheLastFrameIsATornTail(withEnd: Bool) throws {
        let dir = TemporaryDirectory()
        let log = try Self.makeLog(in: dir, end: withEnd)
        let all = try LogContents(log).messages
        let last = try LogDirectory(log).segments().last!
        let path = LogDirectory(log).path(of: last)
        let original = try readFile(path)
        let frames = try Self.frameOffsets(log, segment: last)
        // Without END the last frame holds messages; with END cut anywhere in the END and footer frames.
        let firstCut = withEnd ? frames[frames.count - 2] + 1 : frames.last! + 1
        for cut in firstCut..<original.count {
            try writeFile(path, Array(original[..<cut]))
            let reader = LogReader(directory: log)
            var read: [Message] = []
            let error = #expect(throws: LogError.self) {
                while let message = try reader.next() { read.append(message) }
            }
            #expect(error?.code == .tornTail, "cut at \(cut): \(String(describing: error))")
            #expect(error?.location?.file == path.string)
            #expect(read == Array(all.prefix(read.count)))
            if withEnd { #expect(read.count == all.count) }
        }
    }

    @Test func aDeletedMiddleSegmentIsAGap() throws {
        let dir = TemporaryDirectory()
        let log = try Self.makeLog(in: dir)
        let segments = try LogDirectory(log).segments()
        try FileManager.default.removeItem(atPath: LogDirectory(log).path(of: segments[2]).string)
        let summary = LogSummary.scan(directory: log)
        #expect(summary.problem?.code == .gap)
        #expect(summary.problem?.location?.segment == 3)
        #expect(summary.lastSequence == segments[2].firstSequence - 1)
    }

    @Test func aMissingFirstSegmentIsAGap() throws {
        let dir = TemporaryDirectory()
        let log = try Self.makeLog(in: dir)
        let first = try LogDirectory(log).segments()[0]
        try FileManager.default.removeItem(atPath: LogDirectory(log).path(of: first).string)
        let problem = LogSummary.scan(directory: log).problem
        #expect(problem?.code == .gap)
        #expect(problem?.message.contains("segment 1 is missing") == true, "\(String(describing: problem))")
        let second = try LogDirectory(log).segments()[0]
        #expect(problem?.location?.file == LogDirectory(log).path(of: second).string)
        #expect(problem?.location?.segment == 2)
    }

    @Test func aSegmentFromAnotherRecordingBreaksTheChain() throws {
        let dir = TemporaryDirectory()
        let log = try Self.makeLog(in: dir)
        let other = TemporaryDirectory()
        let otherLog = try Self.makeLog(in: other)  // same messages, another recording id
        let third = try LogDirectory(log).segments()[2]
        let path = LogDirectory(log).path(of: third)
        try writeFile(path, try readFile(LogDirectory(otherLog).path(of: third)))
        let problem = LogSummary.scan(directory: log).problem
        #expect(problem?.code == .gap)
        #expect(problem?.message.contains("recording id") == true)
    }

    /// A FIFO in a segment's place, in the middle or as the first segment: refused as not a
    /// regular file, offline and following, without waiting for a writer to open it.
    @Test(arguments: [0, 2])
    func aFIFONamedLikeASegmentIsRefusedWithoutBlocking(_ index: Int) throws {
        let dir = TemporaryDirectory()
        let log = try Self.makeLog(in: dir)
        let segment = try LogDirectory(log).segments()[index]
        let path = LogDirectory(log).path(of: segment).string
        try FileManager.default.removeItem(atPath: path)
        try #require(mkfifo(path, 0o600) == 0)
        let problem = LogSummary.scan(directory: log).problem
        #expect(problem?.code == .notALog, "\(String(describing: problem))")
        #expect(problem?.location?.file == path)
        let follower = LogReader(directory: log, mode: .follow, pollInterval: .milliseconds(1))
        #expect(throws: LogError.self) {
            while case .message = try follower.nextAvailable() {}
            while true { if case .waiting = try follower.nextAvailable() { usleep(1000) } }
        }
    }

    /// A second file with a segment's number, whatever the rest of its name, is corruption: the
    /// reader cannot tell which is the log's.
    @Test(arguments: [1, 3])
    func twoFilesWithOneSegmentNumberAreCorruption(_ number: UInt32) throws {
        let dir = TemporaryDirectory()
        let log = try Self.makeLog(in: dir)
        let segments = try LogDirectory(log).segments()
        let original = segments[Int(number) - 1]
        let twin = SegmentName(number: number, firstSequence: original.firstSequence + 7)
        try writeFile(LogDirectory(log).path(of: twin), try readFile(LogDirectory(log).path(of: segments[Int(number) % segments.count])))
        let problem = LogSummary.scan(directory: log).problem
        #expect(problem?.code == .corruption, "\(String(describing: problem))")
        #expect(problem?.message.contains("two segment files have number \(number)") == true, "\(String(describing: problem))")
    }

    /// A segment header whose fields a writer always sets one way, changed and its checksum
    /// repaired: corruption, named. Reserved bytes; segment 1 with a predecessor; a recording
    /// header in a later segment.
    @Test(arguments: [(segment: 2, offset: 14, what: "reserved bytes"), (segment: 1, offset: 48, what: "segment 1 starts"),
                      (segment: 2, offset: 13, what: "a recording header in segment 2")])
    func fieldsUnderARepairedChecksumAreChecked(_ change: (segment: Int, offset: Int, what: String)) throws {
        let dir = TemporaryDirectory()
        let log = try Self.makeLog(in: dir)
        let path = LogDirectory(log).path(of: try LogDirectory(log).segments()[change.segment - 1])
        var bytes = try readFile(path)
        bytes[change.offset] ^= 1
        let crc = bytes[0..<68].withUnsafeBytes { CRC32C.checksum($0) }
        withUnsafeBytes(of: crc.littleEndian) { for (i, byte) in $0.enumerated() { bytes[68 + i] = byte } }
        try writeFile(path, bytes)
        let problem = LogSummary.scan(directory: log).problem
        #expect(problem?.code == .corruption, "\(String(describing: problem))")
        #expect(problem?.message.contains(change.what) == true, "\(String(describing: problem))")
    }

    /// Nothing follows an END record: a later segment is corruption for a follower too.
    @Test func aSegmentAfterTheEndIsCorruptionWhenFollowing() throws {
        let dir = TemporaryDirectory()
        let log = try Self.makeLog(in: dir)
        let segments = try LogDirectory(log).segments()
        let last = segments[segments.count - 1]
        let extra = SegmentName(number: last.number + 1, firstSequence: 601)
        try writeFile(LogDirectory(log).path(of: extra), try readFile(LogDirectory(log).path(of: last)))
        let follower = LogReader(directory: log, mode: .follow, pollInterval: .milliseconds(1))
        let error = #expect(throws: LogError.self) {
            while true {
                switch try follower.nextAvailable() {
                case .message: continue
                case .waiting: usleep(1000)
                case .finished: return
                }
            }
        }
        #expect(error?.code == .corruption && error?.message.contains("follows the END record") == true, "\(String(describing: error))")
    }

    @Test func damageFollowedByDataInAnOpenLogIsCorruption() throws {
        let dir = TemporaryDirectory()
        let log = try Self.makeLog(in: dir, end: false, segmentSize: 1 << 20)
        let last = try LogDirectory(log).segments().last!
        let frames = try Self.frameOffsets(log, segment: last)
        try #require(frames.count >= 3)
        let path = LogDirectory(log).path(of: last)
        var bytes = try readFile(path)
        bytes[frames[1] + FrameHeader.size + 3] ^= 0x40
        try writeFile(path, bytes)
        let problem = LogSummary.scan(directory: log).problem
        #expect(problem?.code == .corruption)
        #expect(problem?.location?.offset == frames[1])
        #expect(problem?.message.contains("intact frame follows at offset \(frames[2])") == true)
    }

    @Test func wrongMagicAndFutureVersionsAreRefused() throws {
        let dir = TemporaryDirectory()
        let log = try Self.makeLog(in: dir)
        let first = LogDirectory(log).path(of: try LogDirectory(log).segments()[0])
        let original = try readFile(first)

        var wrongMagic = original
        wrongMagic[0] = UInt8(ascii: "X")
        try writeFile(first, wrongMagic)
        let alien = LogSummary.scan(directory: log).problem
        #expect(alien?.code == .notALog)
        #expect(alien?.location == LogLocation(file: first.string, segment: 1, offset: 0))

        var future = original
        future[8] = 3  // format version 3, checksum untouched: the version is checked first
        try writeFile(first, future)
        let problem = LogSummary.scan(directory: log).problem
        #expect(problem?.code == .unsupportedVersion)
        #expect(problem?.message.contains("version 3; this build reads versions 1-2") == true, "\(problem.map { "\($0)" } ?? "")")
        #expect(problem?.location?.file == first.string)
    }

    /// Heartbeat frames (format version 2) are read past, and followers see the log grow; a
    /// frame of a type this build does not know, its checksums intact, is a newer writer's:
    /// an unsupported version, never corruption.
    @Test func heartbeatsAreReadPastAndUnknownFrameTypesAreNewerNotDamaged() throws {
        let dir = TemporaryDirectory()
        let log = dir.filePath("log")
        let options = LogWriter.Options(durability: .none, heartbeatInterval: .milliseconds(1))
        let writer = try LogWriter(directory: log, recording: RecordingHeader(arguments: ["test"]), options: options)
        try writer.append(Message(sequence: 1, process: 0, thread: 0, kind: .getpid, resource: 0, result: 7, errno: 0, payload: []))
        try writer.flush()
        usleep(2000)
        try writer.flushIfDue()  // nothing pending for over the interval: a heartbeat
        usleep(2000)
        try writer.flushIfDue()
        try writer.finish(exitStatus: 0)
        let contents = try LogContents(log)
        #expect(contents.messages.count == 1)
        #expect(contents.recording?.heartbeatInterval == 1_000_000)
        #expect(contents.outcome == .cleanEnd(EndRecord(lastSequence: 1, exitStatus: 0)))
        let summary = LogSummary.scan(directory: log, detailed: true)
        #expect(summary.problem == nil)
        #expect(summary.frames[.heartbeat] == 2, "\(summary.frames)")

        // A heartbeat's type byte made 9 with both checksums repaired: a frame from the future.
        let segment = LogDirectory(log).path(of: try LogDirectory(log).segments()[0])
        var bytes = try readFile(segment)
        let heartbeat = try #require(try Self.frameOffsets(log, segment: try LogDirectory(log).segments()[0])
            .first { bytes[$0 + 4] == FrameType.heartbeat.rawValue })
        bytes[heartbeat + 4] = 9
        let crc = CRC32C.checksum(Array(bytes[heartbeat..<heartbeat + 40]))
        withUnsafeBytes(of: crc.littleEndian) { bytes.replaceSubrange(heartbeat + 40..<heartbeat + 44, with: $0) }
        try writeFile(segment, bytes)
        let newer = try #require(LogSummary.scan(directory: log).problem)
        #expect(newer.code == .unsupportedVersion && newer.message.contains("frame type 9 is newer"), "\(newer)")
        #expect(newer.location?.offset == heartbeat)
    }

    @Test func missingEmptyAndNonDirectoriesAreNoLog() throws {
        let dir = TemporaryDirectory()
        try writeFile(dir.filePath("plain"), [1, 2, 3])
        for (path, reason) in [(dir.filePath("absent"), "no such directory"), (dir.filePath, "no segment in the directory"),
                               (dir.filePath("plain"), "not a directory")] {
            let problem = LogSummary.scan(directory: path).problem
            #expect(problem == LogError(.noLog, reason, at: LogLocation(file: path.string)), "\(path)")
        }
    }

    @Test func namesThatAreNotSegmentsAreIgnored() throws {
        let dir = TemporaryDirectory()
        let log = try Self.makeLog(in: dir)
        let first = try LogDirectory(log).segments()[0]
        try writeFile(log.appending("." + first.fileName + ".Xy12Ab"), [0, 1, 2])  // an rsync temporary file
        try writeFile(log.appending("README"), Array("notes".utf8))
        try writeFile(log.appending("seg-1-1.rlog"), [9])
        let summary = LogSummary.scan(directory: log)
        #expect(summary.problem == nil)
        #expect(summary.messages == 600)
    }

    // MARK: Crafted frames (bounds on length fields)

    /// A segment holding one frame with the given header fields and stored bytes, checksums valid.
    static func craftedSegment(type: FrameType = .messages, codec: Codec, rawLength: Int, count: UInt32,
                               stored: [UInt8]) -> MemorySegment {
        var bytes = SegmentHeader(recordingID: .random(), segmentNumber: 1, codec: codec, firstSequence: 1,
                                  recording: RecordingHeader()).encoded()
        let header = FrameHeader(type: type, codec: codec, storedLength: stored.count, rawLength: rawLength,
                                 firstSequence: 1, count: count, payloadChecksum: CRC32C.checksum(stored), timestamp: 0)
        var headerBytes = [UInt8](repeating: 0, count: FrameHeader.size)
        headerBytes.withUnsafeMutableBytes { header.encode(into: $0) }
        bytes += headerBytes + stored
        return MemorySegment(bytes)
    }

    struct Ignore: LogVisitor {}

    /// Counts per frame, so the decoder checks plain messages in bulk.
    struct FrameCounter: LogVisitor {
        static var visitsPlainMessages: Bool { false }
        var messages = 0
        mutating func frameDecoded(_ header: FrameHeader) { messages += Int(header.count) }
    }

    @Test func emptySlotsAreCaughtOnBothDecoderPaths() throws {
        // A literal call site (slot 0), then 20 plain messages of slot 0, then one naming empty slot 1.
        let raw: [UInt8] = [0x3F, 1, 1, 1, 0] + [UInt8](repeating: 0, count: 20) + [1]
        for bulk in [false, true] {
            let scanner = SegmentScanner(Self.craftedSegment(codec: .none, rawLength: raw.count, count: 22, stored: raw))
            _ = try scanner.readHeader()
            let error = #expect(throws: LogError.self) {
                if bulk {
                    var visitor = FrameCounter()
                    _ = try scanner.step(&visitor)
                } else {
                    var visitor = Ignore()
                    _ = try scanner.step(&visitor)
                }
            }
            #expect(error?.code == .corruption, "bulk: \(bulk)")
            #expect(error?.message.contains("empty call-site slot 1") == true, "bulk: \(bulk)")
            #expect(error?.message.contains("message 22 ") == true, "bulk: \(bulk): \(String(describing: error))")
        }
        // The same frame without the bad byte decodes on both paths.
        let good = Array(raw.dropLast())
        for bulk in [false, true] {
            let scanner = SegmentScanner(Self.craftedSegment(codec: .none, rawLength: good.count, count: 21, stored: good))
            _ = try scanner.readHeader()
            if bulk {
                var visitor = FrameCounter()
                #expect(try scanner.step(&visitor) == .frame(.messages))
                #expect(visitor.messages == 21)
            } else {
                var visitor = Ignore()
                #expect(try scanner.step(&visitor) == .frame(.messages))
            }
        }
    }

    @Test func oversizedLengthFieldsAreRejectedBeforeAllocating() throws {
        let scanner = SegmentScanner(Self.craftedSegment(codec: .none, rawLength: 1 << 30, count: 1, stored: []))
        _ = try scanner.readHeader()
        var visitor = Ignore()
        guard case .damaged(let error) = try scanner.step(&visitor) else {
            Issue.record("a 1 GiB raw length was accepted")
            return
        }
        #expect(error.code == .corruption)
        #expect(error.message.contains("out of range"))
        #expect(error.location?.offset == SegmentHeader(recordingID: .random(), segmentNumber: 1, codec: .none, firstSequence: 1,
                                                        recording: RecordingHeader()).encoded().count)
    }

    @Test func decompressionBombsAreRejected() throws {
        // A zstd frame that expands to 3 MiB, in a frame header that claims 1 KiB.
        let raw = [UInt8](repeating: 0, count: 3 << 20)
        var compressed = [UInt8](repeating: 0, count: Codec.zstd.compressBound(raw.count))
        let contexts = ZstdContexts()
        let size = raw.withUnsafeBytes { r in
            compressed.withUnsafeMutableBytes { Codec.zstd.compress(r, into: $0, zstdContext: contexts.compression)! }
        }
        let scanner = SegmentScanner(Self.craftedSegment(codec: .zstd, rawLength: 1024, count: 1,
                                                         stored: Array(compressed[..<size])))
        _ = try scanner.readHeader()
        var visitor = Ignore()
        let error = #expect(throws: LogError.self) { _ = try scanner.step(&visitor) }
        #expect(error?.code == .corruption)
        #expect(error?.message.contains("does not decompress") == true)
    }

    @Test func messageCountsMustMatchTheFrame() throws {
        // One literal message (tag 0x3F, process 1, thread 1, kind 1, resource delta 0), header says 2.
        let scanner = SegmentScanner(Self.craftedSegment(codec: .none, rawLength: 5, count: 2, stored: [0x3F, 1, 1, 1, 0]))
        _ = try scanner.readHeader()
        var visitor = Ignore()
        let error = #expect(throws: LogError.self) { _ = try scanner.step(&visitor) }
        #expect(error?.code == .corruption)
        #expect(error?.message.contains("says 2 messages") == true)
    }
}
