import Foundation
import LogFormat
import SystemPackage

/// Runs programs for the end-to-end tests: the built `logtool`, rsync, shell loops.
enum Run {
    /// The directory holding the built products (next to the test bundle).
    static let products: String = {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: executable).deletingLastPathComponent().path
    }()

    static let logtool = products + "/logtool"

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs a program to completion, capturing its output.
    static func program(_ path: String, _ arguments: [String], environment: [String: String]? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes to the end before waiting, so a chatty program cannot block on a full pipe.
        let errorData = ThreadedReader(err.fileHandleForReading)
        let outputData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outputData, as: UTF8.self),
                      stderr: String(decoding: errorData.wait(), as: UTF8.self))
    }

    static func logtool(_ arguments: String...) throws -> Result { try program(logtool, arguments) }

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

/// Reads a pipe to its end on another thread.
final class ThreadedReader: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func wait() -> Data {
        done.wait()
        return data
    }
}

/// A fresh directory, removed when the value goes away.
final class TemporaryDirectory {
    let path: String

    init() {
        path = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("replrec-cli-" + UUID().uuidString).path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func appending(_ name: String) -> String { path + "/" + name }
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
