import Foundation
import LogFormat
import SystemPackage
import TestSupport
import Testing

/// The logs in fixtures/logs/golden-v1 were written by the first build of format v1. Every later
/// build must read them exactly: same messages, same END record, no complaint.
@Suite struct GoldenLogTests {
    static let golden = FilePath(Repository.goldenV1)

    /// What messages.jsonl holds (`logtool dump --json --preview 1000000` of the lz4 log): one
    /// line per message, then the END record.
    struct Expected {
        var messages: [Message] = []
        /// The `kind` names the dump printed, by sequence number.
        var kindNames: [UInt64: String] = [:]
        var end: EndRecord?
    }

    /// One line of `logtool dump --json`: a message or the END record.
    struct DumpLine: Decodable {
        let type: String
        // A message's fields.
        let seq: UInt64?
        let pid: UInt32?
        let tid: UInt32?
        let kind: String?
        let kind_id: UInt16?
        let resource: UInt64?
        let result: Int64?
        let errno: Int32?
        let payload_size: Int?
        let payload_preview_hex: String?
        // The END record's.
        let last_sequence: UInt64?
        let exit_status: Int32?
        let signal: Int32?
    }

    static func expected() throws -> Expected {
        let text = String(decoding: try readFile(Self.golden.appending("messages.jsonl")), as: UTF8.self)
        var expected = Expected()
        for (number, line) in text.split(separator: "\n").enumerated() {
            let entry = try JSONDecoder().decode(DumpLine.self, from: Data(line.utf8))
            try #require(expected.end == nil, "line \(number + 1) follows the END record")
            switch entry.type {
            case "message":
                let message = try message(entry)
                expected.messages.append(message)
                let name = try #require(entry.kind)
                expected.kindNames[message.sequence] = name
            case "end":
                expected.end = EndRecord(lastSequence: try #require(entry.last_sequence),
                                         exitStatus: try #require(entry.exit_status), signal: try #require(entry.signal))
            default:
                Issue.record("line \(number + 1): unexpected type \(entry.type)")
            }
        }
        return expected
    }

    static func message(_ entry: DumpLine) throws -> Message {
        let size = try #require(entry.payload_size)
        let hex = Array((entry.payload_preview_hex ?? "").utf8)
        let payload = try stride(from: 0, to: hex.count, by: 2).map {
            try #require(UInt8(String(decoding: hex[$0..<$0 + 2], as: UTF8.self), radix: 16))
        }
        try #require(payload.count == size, "seq \(entry.seq ?? 0): the preview must hold the whole payload")
        return Message(sequence: try #require(entry.seq), process: try #require(entry.pid), thread: try #require(entry.tid),
                       kind: MessageKind(rawValue: try #require(entry.kind_id)), resource: try #require(entry.resource),
                       result: try #require(entry.result), errno: try #require(entry.errno), payload: payload)
    }

    /// Compares field by field, so that a failure names the message and the field.
    static func compare(_ read: [Message], _ expected: [Message], _ label: String) {
        #expect(read.count == expected.count, "\(label): message count")
        for (got, want) in zip(read, expected) {
            let at = "\(label) seq \(want.sequence)"
            #expect(got.sequence == want.sequence, "\(at): sequence")
            #expect(got.process == want.process, "\(at): pid")
            #expect(got.thread == want.thread, "\(at): tid")
            #expect(got.kind == want.kind, "\(at): kind")
            #expect(got.resource == want.resource, "\(at): resource")
            #expect(got.result == want.result, "\(at): result")
            #expect(got.errno == want.errno, "\(at): errno")
            #expect(got.payload == want.payload, "\(at): payload")
        }
    }

    @Test func theFixtureDescribesAWholeLog() throws {
        let expected = try Self.expected()
        #expect(expected.messages.map(\.sequence) == Array(1...800))
        #expect(expected.end == EndRecord(lastSequence: 800, exitStatus: 7))
        for message in expected.messages {
            #expect(expected.kindNames[message.sequence] == message.kind.description, "seq \(message.sequence)")
        }
        // The mixed pattern exercises every optional field.
        #expect(expected.messages.contains { $0.errno != 0 })
        #expect(expected.messages.contains { !$0.payload.isEmpty })
        #expect(Set(expected.messages.map(\.process)).count > 1)
        #expect(Set(expected.messages.map(\.kind)).count > 10)
    }

    @Test(arguments: ["lz4", "zstd"])
    func goldenLogReadsExactly(codec: String) throws {
        let log = Self.golden.appending(codec)
        let expected = try Self.expected()
        let contents = try LogContents(log)
        Self.compare(contents.messages, expected.messages, codec)
        #expect(contents.outcome == .cleanEnd(try #require(expected.end)))
        #expect(contents.recording?.arguments == ["logtool", "synth", "mixed", "--seed", "2026"])

        let summary = LogSummary.scan(directory: log)
        #expect(summary.problem == nil)
        #expect(summary.messages == UInt64(expected.messages.count))
        #expect(summary.segments.count >= 5)
        #expect(summary.frames[.payload, default: 0] > 0)
    }

    /// Reading from a sequence number selects that message and everything after it, whether the
    /// start is the first message of a segment, inside one, or the last message.
    @Test(arguments: ["lz4", "zstd"])
    func goldenLogReadsFromAnySequenceNumber(codec: String) throws {
        let log = Self.golden.appending(codec)
        let expected = try Self.expected().messages
        let segmentStarts = try LogDirectory(log).segments().map(\.firstSequence).dropFirst()
        let starts: [UInt64] = [2, 400, 799, 800] + segmentStarts + segmentStarts.map { $0 - 1 }
        for start in starts {
            let contents = try LogContents(log, from: start)
            Self.compare(contents.messages, Array(expected[Int(start - 1)...]), "\(codec) from \(start)")
            #expect(contents.outcome == .cleanEnd(EndRecord(lastSequence: 800, exitStatus: 7)), "from \(start)")
        }
    }

    @Test func goldenLogsUseTheirCodecs() throws {
        struct CodecCounter: LogVisitor {
            var codecs: [Codec: Int] = [:]
            mutating func frame(_ header: FrameHeader, offset: Int, segment: SegmentName) {
                if header.type == .messages { codecs[header.codec, default: 0] += 1 }
            }
        }
        for (directory, codec) in [("lz4", Codec.lz4), ("zstd", .zstd)] {
            let cursor = LogCursor(directory: Self.golden.appending(directory))
            var counter = CodecCounter()
            while case .progressed = try cursor.step(&counter) {}
            #expect(counter.codecs[codec, default: 0] > 0, "\(directory)")
            #expect(counter.codecs.keys.allSatisfy { $0 == codec || $0 == .none }, "\(directory): \(counter.codecs)")
        }
    }
}

/// The log in fixtures/logs/golden-v2 was written by the first build of format v2: a real
/// recording with heartbeat frames between its messages. Every later build must read it exactly.
@Suite struct GoldenV2LogTests {
    static let golden = FilePath(Repository.goldenV2)

    @Test func goldenV2LogReadsExactlyWithItsHeartbeats() throws {
        let text = String(decoding: try readFile(Self.golden.appending("messages.jsonl")), as: UTF8.self)
        var expected: [Message] = []
        var end: EndRecord?
        for line in text.split(separator: "\n") {
            let entry = try JSONDecoder().decode(GoldenLogTests.DumpLine.self, from: Data(line.utf8))
            if entry.type == "message" { expected.append(try GoldenLogTests.message(entry)) }
            if entry.type == "end" {
                end = EndRecord(lastSequence: try #require(entry.last_sequence), exitStatus: try #require(entry.exit_status),
                                signal: try #require(entry.signal))
            }
        }
        try #require(expected.count > 10 && end != nil)
        let log = Self.golden.appending("log")
        let contents = try LogContents(log)
        GoldenLogTests.compare(contents.messages, expected, "v2")
        #expect(contents.outcome == .cleanEnd(try #require(end)))
        #expect(contents.recording?.heartbeatInterval == 50_000_000)
        #expect(contents.recording?.arguments.first == "/bin/sh")

        let summary = LogSummary.scan(directory: log)
        #expect(summary.problem == nil)
        #expect(summary.frames[.heartbeat, default: 0] >= 3, "\(summary.frames)")
        let segment = LogDirectory(log).path(of: try LogDirectory(log).segments()[0])
        #expect(try readFile(segment)[8] == 2, "format version 2")
    }
}
