import Foundation

/// Helpers the end-to-end test targets share: temporary directories, running programs.

/// A fresh directory under the temporary directory, removed when the value goes away.
public final class TemporaryDirectory {
    public let path: String

    public init() {
        path = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("replrec-test-" + UUID().uuidString).path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    public func appending(_ name: String) -> String { path + "/" + name }
}

/// The directory holding the built products: the test bundle's own directory.
public let productsDirectory: String = {
    let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    return URL(fileURLWithPath: executable).deletingLastPathComponent().path
}()

/// What a finished program left: its exit status (128 + n after signal n) and its output.
public struct ProgramResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs a program to completion, capturing its output.
public func runProgram(_ path: String, _ arguments: [String], environment: [String: String]? = nil,
                       directory: String? = nil) throws -> ProgramResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let environment { process.environment = environment }
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read both pipes to the end before waiting, so a chatty program cannot block on a full pipe.
    let errors = BackgroundRead(err.fileHandleForReading)
    let output = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    return ProgramResult(status: status, stdout: String(decoding: output, as: UTF8.self),
                         stderr: String(decoding: errors.wait(), as: UTF8.self))
}

/// Reads a pipe to its end on another thread.
public final class BackgroundRead: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    public init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    public func wait() -> Data {
        done.wait()
        return data
    }
}
