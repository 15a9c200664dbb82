import Foundation
import LogFormat
import SystemPackage
import TestSupport

/// Runs the built `logtool`, and shell loops (writers, rsync) in the background.
enum Run {
    /// The directory holding the built products (next to the test bundle).
    static let products = productsDirectory

    static let logtool = products + "/logtool"

    static func logtool(_ arguments: String...) throws -> ProgramResult { try runProgram(logtool, arguments) }

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
