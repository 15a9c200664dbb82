import Foundation
import Glibc
import TestSupport

/// Builds and runs what the recorder tests need: the interception layer, the fixture programs,
/// replrec itself.
enum Recording {
    static let root = Repository.root

    static let products = productsDirectory

    static let replrec = products + "/replrec"
    /// replplay notes the logs it has replayed under $XDG_STATE_HOME: the tests keep theirs in a
    /// directory of the run's own.
    static let replplay: String = {
        setenv("XDG_STATE_HOME", NSTemporaryDirectory() + "/replrec-state-\(getpid())", 1)
        return products + "/replplay"
    }()
    static let logtool = products + "/logtool"

    /// libreplintercept.so next to replrec, built once per test run.
    static let layer: String = {
        let result = try! run("/bin/bash", [root + "/scripts/build-interposer.sh", products])
        precondition(result.status == 0, "building the interception layer failed: \(result.stderr)")
        return products + "/libreplintercept.so"
    }()

    /// A fixture program from fixtures/programs, compiled once per test run.
    static func fixture(_ name: String, flags: [String] = []) throws -> String {
        _ = layer
        let output = fixtureDirectory + "/" + name + (flags.isEmpty ? "" : "-" + flags.joined().filter(\.isLetter))
        if !FileManager.default.fileExists(atPath: output) {
            // Tests run in parallel: compile under a private name, then rename into place.
            let temporary = output + ".\(UUID().uuidString)"
            let result = try run("/usr/bin/cc", ["-O2", "-pthread", "-Wall"] + flags
                                 + [root + "/fixtures/programs/\(name).c", "-o", temporary])
            precondition(result.status == 0, "compiling \(name) failed: \(result.stderr)")
            rename(temporary, output)
        }
        return output
    }

    private static let fixtureDirectory: String = {
        let path = NSTemporaryDirectory() + "/replrec-fixtures-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    typealias Result = ProgramResult

    static func run(_ path: String, _ arguments: [String], environment: [String: String]? = nil,
                    directory: String? = nil) throws -> Result {
        try runProgram(path, arguments, environment: environment, directory: directory)
    }

    /// Records `arguments` into a fresh log directory under `directory`.
    static func record(_ arguments: [String], in directory: TemporaryDirectory, extra: [String] = [],
                       environment: [String: String]? = nil) throws -> (result: Result, log: String) {
        _ = layer
        let log = directory.appending("log")
        let result = try run(replrec, ["--log-dir", log] + extra + ["--"] + arguments, environment: environment)
        return (result, log)
    }
}
