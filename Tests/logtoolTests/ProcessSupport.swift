import Foundation
import LogFormat
import SystemPackage
import TestSupport

/// Runs programs for the end-to-end tests: the built `logtool`, rsync, shell loops.
enum Run {
    /// The directory holding the built products (next to the test bundle).
    static let products = productsDirectory

    static let logtool = products + "/logtool"

    static func program(_ path: String, _ arguments: [String], environment: [String: String]? = nil) throws -> ProgramResult {
        try runProgram(path, arguments, environment: environment)
    }

    static func logtool(_ arguments: String...) throws -> ProgramResult { try program(logtool, arguments) }

    /// Starts `bash -c script` in the background.
    static func background(_ script: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", script]
        process.environment = ProcessInfo.processInfo.environment.merging(["LOGTOOL": logtool]) { $1 }
        try process.run()
        return process
    }
}

/// Reads a log in follow mode until its END record, failing after `timeout` seconds.
func followToEnd(_ directory: String, timeout: Double = 120) throws -> (messages: [Message], outcome: LogCursor.Outcome?) {
    let reader = LogReader(directory: FilePath(directory), mode: .follow, pollInterval: .milliseconds(1))
    let deadline = Date().addingTimeInterval(timeout)
    var messages: [Message] = []
    while Date() < deadline {
        switch try reader.nextAvailable() {
        case .message(let message): messages.append(message)
        case .waiting: usleep(1000)
        case .finished(let outcome): return (messages, outcome)
        }
    }
    return (messages, nil)
}
