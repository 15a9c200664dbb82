import Foundation
import LogFormat
import SystemPackage
import TestSupport

/// The recording header and messages the LogFormat tests write.
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
}
