import Foundation
import LogFormat
import SystemPackage

/// A fresh directory under the system's temporary directory, removed when the value goes away.
final class TemporaryDirectory {
    let path: FilePath

    init(_ label: String = "replrec-test") {
        var template = Array("\(NSTemporaryDirectory())/\(label)-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(created != nil, "mkdtemp failed")
        path = FilePath(String(cString: created!))
    }

    deinit { try? FileManager.default.removeItem(atPath: path.string) }

    func appending(_ component: String) -> FilePath { path.appending(component) }
}

/// A small deterministic generator (SplitMix64), so that every randomised test prints a seed
/// that reproduces it.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum Fixtures {
    static let recording = RecordingHeader(
        arguments: ["./app", "--flag", "ünïcode"], environment: ["PATH=/usr/bin", "LANG=C.UTF-8"],
        workingDirectory: "/srv/app", userID: 1000, hostName: "primary", startTime: 1_790_000_000_000_000_000,
        interposerABIVersion: 1)

    /// Random messages with every field exercised: known and unknown kinds, negative results,
    /// errno values, empty, small and (occasionally) large payloads.
    static func randomMessages(count: Int, seed: UInt64, largePayloads: Bool = true) -> [Message] {
        var rng = SeededGenerator(seed: seed)
        let kinds = MessageKind.known + [MessageKind(rawValue: 999), MessageKind(rawValue: .max)]
        var messages: [Message] = []
        for sequence in 1...UInt64(count) {
            let payloadSize: Int
            switch rng.next() % 100 {
            case 0..<60: payloadSize = 0
            case 60..<95: payloadSize = Int(rng.next() % 200)
            case 95..<99: payloadSize = Int(rng.next() % 20_000)
            default: payloadSize = largePayloads ? Int(rng.next() % 300_000) : 10
            }
            messages.append(Message(
                sequence: sequence,
                process: UInt32(rng.next() % 4) + (rng.next() % 50 == 0 ? .max - 3 : 1),
                thread: UInt32(rng.next() % 6),
                kind: kinds[Int(rng.next() % UInt64(kinds.count))],
                resource: rng.next() % 3 == 0 ? rng.next() : 0x7f00_0000_1000 + (rng.next() % 8) * 64,
                result: rng.next() % 4 == 0 ? Int64(bitPattern: rng.next()) : Int64(rng.next() % 5) - 1,
                errno: rng.next() % 5 == 0 ? Int32(bitPattern: UInt32(truncatingIfNeeded: rng.next())) : 0,
                payload: (0..<payloadSize).map { _ in UInt8(truncatingIfNeeded: rng.next() % 7) }))
        }
        return messages
    }

    /// Writes `messages` to a new log and ends it with `exitStatus` (or leaves it open with nil).
    @discardableResult
    static func write(_ messages: [Message], to directory: FilePath, options: LogWriter.Options = .init(durability: .none),
                      exitStatus: Int32? = 0) throws -> LogWriter {
        let writer = try LogWriter(directory: directory, recording: recording, options: options)
        for message in messages { try writer.append(message) }
        if let exitStatus { try writer.finish(exitStatus: exitStatus) } else { try writer.close() }
        return writer
    }

    static func readAll(_ directory: FilePath, from sequence: UInt64 = 1) throws -> (messages: [Message], outcome: LogCursor.Outcome?) {
        let reader = LogReader(directory: directory, from: sequence)
        var messages: [Message] = []
        while let message = try reader.next() { messages.append(message) }
        return (messages, reader.outcome)
    }
}
