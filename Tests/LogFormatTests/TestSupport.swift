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

enum Fixtures {
    static let recording = RecordingHeader(
        arguments: ["./app", "--flag", "ünïcode"], environment: ["PATH=/usr/bin", "LANG=C.UTF-8"],
        workingDirectory: "/srv/app", userID: 1000, hostName: "primary", startTime: 1_790_000_000_000_000_000,
        interposerABIVersion: 1)

    /// Messages with every field exercised (see ``SyntheticWorkload/Pattern/mixed``).
    static func randomMessages(count: Int, seed: UInt64, largePayloads: Bool = true) -> [Message] {
        Array(SyntheticWorkload(pattern: .mixed, seed: seed, largePayloads: largePayloads).prefix(count))
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

enum Repository {
    /// The repository's root, found from this file's path.
    static let root: FilePath = {
        var path = FilePath(#filePath)
        for _ in 0..<3 { path.removeLastComponent() }
        return path
    }()

    static let goldenV1 = root.appending("fixtures/logs/golden-v1")
}

/// Copies a log directory (to damage the copy).
func copyLog(_ source: FilePath, to destination: FilePath) throws {
    try FileManager.default.copyItem(atPath: source.string, toPath: destination.string)
}

/// The contents of a file, and writing them back.
func readFile(_ path: FilePath) throws -> [UInt8] {
    Array(try Data(contentsOf: URL(fileURLWithPath: path.string)))
}

func writeFile(_ path: FilePath, _ bytes: [UInt8]) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path.string))
}
