import Foundation
import LogFormat
import SystemPackage
import TestSupport
import Testing

/// The logs in fixtures/logs/golden-v1 were written by the first build of format v1. Every later
/// build must read them exactly: same messages, same END record, no complaint.
@Suite struct GoldenLogTests {
    /// One line of `logtool dump --json`.
    struct DumpLine: Decodable {
        let type: String
        let seq: UInt64
        let pid: UInt32
        let tid: UInt32
        let kind_id: UInt16
        let resource: UInt64
        let result: Int64
        let errno: Int32
        let payload_size: Int
        let payload_preview_hex: String?
    }

    static func expectedMessages() throws -> [Message] {
        let text = String(decoding: try readFile(FilePath(Repository.goldenV1).appending("messages.jsonl")), as: UTF8.self)
        return try text.split(separator: "\n").filter { $0.contains("\"type\":\"message\"") }.map { line in
            let entry = try JSONDecoder().decode(DumpLine.self, from: Data(line.utf8))
            #expect(entry.type == "message")
            let hex = Array((entry.payload_preview_hex ?? "").utf8)
            let payload = try stride(from: 0, to: hex.count, by: 2).map {
                try #require(UInt8(String(decoding: hex[$0..<$0 + 2], as: UTF8.self), radix: 16))
            }
            #expect(payload.count == entry.payload_size)
            return Message(sequence: entry.seq, process: entry.pid, thread: entry.tid,
                           kind: MessageKind(rawValue: entry.kind_id), resource: entry.resource,
                           result: entry.result, errno: entry.errno, payload: payload)
        }
    }

    @Test(arguments: ["lz4", "zstd"])
    func goldenLogReadsExactly(codec: String) throws {
        let log = FilePath(Repository.goldenV1).appending(codec)
        let expected = try Self.expectedMessages()
        #expect(expected.count == 800)
        let contents = try LogContents(log)
        let (messages, outcome) = (contents.messages, contents.outcome)
        #expect(messages == expected)
        #expect(outcome == .cleanEnd(EndRecord(lastSequence: 800, exitStatus: 7)))

        let summary = LogSummary.scan(directory: log)
        #expect(summary.problem == nil)
        #expect(summary.segments.count >= 5)
        #expect(summary.frames[.payload, default: 0] > 0)
        #expect(summary.recording?.arguments == ["logtool", "synth", "mixed", "--seed", "2026"])
    }

    @Test func goldenLogsUseTheirCodecs() throws {
        struct CodecCounter: LogVisitor {
            var codecs: [Codec: Int] = [:]
            mutating func frame(_ header: FrameHeader, offset: Int, segment: SegmentName) {
                if header.type == .messages { codecs[header.codec, default: 0] += 1 }
            }
        }
        for (directory, codec) in [("lz4", Codec.lz4), ("zstd", .zstd)] {
            let cursor = LogCursor(directory: FilePath(Repository.goldenV1).appending(directory))
            var counter = CodecCounter()
            while case .progressed = try cursor.step(&counter) {}
            #expect(counter.codecs[codec, default: 0] > 0, "\(directory)")
        }
    }
}
