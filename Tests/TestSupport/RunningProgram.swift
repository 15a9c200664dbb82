import Foundation

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

/// A program started with its standard output and error on pipes, for tests that read them as
/// the program runs (or wait for it with ``finish()``).
public final class RunningProgram {
    public let process = Process()
    public let standardOutput: FileHandle
    public let standardError: FileHandle

    public init(_ path: String, _ arguments: [String], environment: [String: String]? = nil,
                directory: String? = nil) throws {
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        standardOutput = out.fileHandleForReading
        standardError = err.fileHandleForReading
        try process.run()
    }

    /// The exit status once the program has ended: 128 + n after signal n.
    public var status: Int32 {
        process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }

    /// Reads standard error into `text` until `done(text)` holds or the pipe ends (what a test
    /// waits for while the program still runs: a stop's message, say).
    public func readStandardError(into text: inout String, until done: (String) -> Bool) {
        while !done(text) {
            let data = standardError.availableData
            if data.isEmpty { return }
            text += String(decoding: data, as: UTF8.self)
        }
    }

    /// Samples the process's peak resident size (VmHWM) every 2 ms until it exits, then finishes
    /// it; the peak is in KiB.
    public func finishWatchingPeakMemory() -> (result: ProgramResult, peakKiB: Int) {
        let errors = BackgroundRead(standardError)
        let output = BackgroundRead(standardOutput)
        var peakKiB = 0
        while process.isRunning {
            let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
            if let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
               let kib = Int(line.split(separator: " ").dropFirst().first ?? "") { peakKiB = max(peakKiB, kib) }
            usleep(2000)
        }
        process.waitUntilExit()
        return (ProgramResult(status: status, stdout: String(decoding: output.wait(), as: UTF8.self),
                              stderr: String(decoding: errors.wait(), as: UTF8.self)), peakKiB)
    }

    /// Reads both pipes to their end, then waits for the exit.
    public func finish() -> ProgramResult {
        // Both pipes at once, so that a chatty program cannot block on a full one.
        let errors = BackgroundRead(standardError)
        let output = standardOutput.readDataToEndOfFile()
        process.waitUntilExit()
        return ProgramResult(status: status, stdout: String(decoding: output, as: UTF8.self),
                             stderr: String(decoding: errors.wait(), as: UTF8.self))
    }
}

/// Runs a program to completion, capturing its output.
public func runProgram(_ path: String, _ arguments: [String], environment: [String: String]? = nil,
                       directory: String? = nil) throws -> ProgramResult {
    try RunningProgram(path, arguments, environment: environment, directory: directory).finish()
}
