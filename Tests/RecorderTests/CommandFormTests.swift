import CommandLineSupport
import Foundation
import Testing
import TestSupport

/// First contact: every tool and subcommand answers --help and --version with 0 and a wrong
/// option or value with 64 (usage), before or after `--`, and none of them crashes; the README's
/// exit-status table is the tools' own.
@Suite struct CommandFormTests {
    struct Form: CustomStringConvertible, Sendable {
        var tool: String
        var arguments: [String]
        var status: Int32
        var description: String { "\(tool) \(arguments.joined(separator: " "))" }
    }

    static let forms: [Form] = {
        var forms: [Form] = []
        func add(_ tool: String, _ arguments: [String], _ status: Int32) { forms.append(Form(tool: tool, arguments: arguments, status: status)) }
        for help in ["--help", "-h"] {
            add("replrec", [help], 0)
            add("replrec", [help, "--", "true"], 0)
            add("replplay", [help], 0)
            add("replplay", [help, "log", "--", "true"], 0)
            add("logtool", [help], 0)
        }
        for tool in ["replrec", "replplay", "logtool"] { add(tool, ["--version"], 0) }
        add("replrec", ["--version", "--", "true"], 0)
        add("replrec", ["--bogus"], 64)
        add("replrec", ["--bogus", "--", "true"], 64)
        add("replrec", ["-q", "--bogus", "true"], 64)
        add("replrec", ["--codec", "bogus", "--", "true"], 64)
        add("replrec", ["--sync", "bogus", "--", "true"], 64)
        add("replrec", ["--heartbeat", "0", "--", "true"], 64)
        add("replrec", ["--segment-size", "many", "--", "true"], 64)
        add("replrec", ["--"], 64)
        add("replrec", [], 64)
        add("replplay", [], 64)
        add("replplay", ["--bogus", "log"], 64)
        add("replplay", ["log", "--bogus"], 64)
        add("replplay", ["--bogus", "log", "--", "true"], 64)
        for value in ["0", "-1", "nan", "soon"] { add("replplay", ["--watchdog=\(value)", "log"], 64) }
        add("replplay", ["--promote-after", "2", "log"], 64)  // needs --follow
        add("replplay", ["--follow", "--promote-after", "inf", "log"], 64)
        add("replplay", ["--follow", "--promote-command", "true", "log"], 64)  // needs --promote-after
        add("replplay", ["--status-file", "s.json", "log"], 64)  // needs --follow
        add("replplay", ["--stop-at", "0", "log"], 64)
        for subcommand in ["dump", "verify", "stat", "synth"] {
            add("logtool", [subcommand, "--help"], 0)
            add("logtool", [subcommand, "--version"], 0)
            add("logtool", [subcommand, "--bogus", "log"], 64)
        }
        add("logtool", ["bogus"], 64)
        add("logtool", ["dump"], 64)
        add("logtool", ["dump", "log", "--from", "first"], 64)
        return forms
    }()

    @Test(arguments: forms)
    func answersWithTheDocumentedStatus(_ form: Form) throws {
        let dir = TemporaryDirectory()
        let result = try runProgram(Recording.products + "/" + form.tool, form.arguments, directory: dir.path)
        #expect(result.status == form.status, "\(form): \(result.status): \(result.stderr)")
        #expect(!result.stderr.contains("Fatal error") && result.status < 128, "\(form) crashed: \(result.stderr)")
        if form.arguments.contains("--version") {
            #expect(result.stdout == ToolVersion.description + "\n", "\(form): \(result.stdout)")
        }
        if form.status == 64 {
            #expect(!result.stderr.isEmpty, "\(form): no word about what was wrong")
        }
    }

    /// Each tool's --help lists its rows of the one table, and the README's table is that table.
    @Test func theExitStatusTableIsOne() throws {
        let readme = try String(contentsOfFile: Recording.root + "/README.md", encoding: .utf8)
        let section = try #require(readme.components(separatedBy: "## Exit status\n").dropFirst().first?
            .components(separatedBy: "\n## ").first)
        let rows = section.split(separator: "\n").filter { $0.hasPrefix("| ") && $0.dropFirst(2).first?.isNumber == true }
        let expected = ExitStatus.allCases.map { "| \($0.rawValue) | \($0.tools.map(\.rawValue).joined(separator: ", ")) | \($0.meaning) |" }
        #expect(rows.map(String.init) == expected)
        for tool in ExitStatus.Tool.allCases {
            let help = try runProgram(Recording.products + "/" + tool.rawValue, ["--help"])
            let text = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            for status in ExitStatus.allCases where status.tools.contains(tool) {
                #expect(text.contains("\(status.rawValue) \(status.meaning)".split(whereSeparator: \.isWhitespace).joined(separator: " ")),
                        "\(tool) --help lacks \(status.rawValue)")
            }
        }
    }
}

/// What a first run should find: a replay the user stops is not called a divergence; a program
/// that cannot start leaves nothing to block the next run; an exec is not another process.
@Suite struct FirstRunTests {
    @Test func aReplayTheUserStopsIsInterruptedNotDiverged() throws {
        let dir = TemporaryDirectory()
        let log = dir.appending("log")
        let program = try Recording.fixture("paced_clock")
        let unblocked = try Recording.fixture("unblocked")
        let primary = try RunningProgram(Recording.replrec, ["-q", "--log-dir", log, "--", program, "20"])
        defer { kill(primary.process.processIdentifier, SIGKILL) }
        while !FileManager.default.fileExists(atPath: log) { usleep(10_000) }
        let replay = try RunningProgram(unblocked, [Recording.replplay, "-q", "--follow", log])
        // The replayed program's environment names replplay's region (/proc/./././PID/fd/N).
        let region = "/\(replay.process.processIdentifier)/fd/"
        func replayed() throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: "/proc").filter { entry in
                guard Int(entry) != nil, let environment = FileManager.default.contents(atPath: "/proc/\(entry)/environ") else { return false }
                return environment.split(separator: 0).contains { variable in
                    let text = String(decoding: variable, as: UTF8.self)
                    return text.hasPrefix("REPLREC_SHM=/proc/") && text.contains(region)
                }
            }
        }
        usleep(800_000)
        #expect(try replayed().count == 1, "the replayed program is not found running")
        kill(replay.process.processIdentifier, SIGTERM)
        let result = replay.finish()
        #expect(result.status == 128 + SIGTERM, "\(result.status): \(result.stderr)")
        #expect(result.stderr.contains("interrupted by SIGTERM at sequence ") && result.stderr.contains("(not a divergence)"), "\(result.stderr)")
        #expect(!result.stderr.contains("divergence:"), "\(result.stderr)")
        usleep(200_000)
        let left = try replayed()
        #expect(left.isEmpty, "replayed processes left: \(left)")
    }

    @Test func aProgramThatCannotStartLeavesNoLog() throws {
        let dir = TemporaryDirectory()
        let garbage = dir.appending("garbage")
        try "not a program".write(toFile: garbage, atomically: true, encoding: .utf8)
        #expect(chmod(garbage, 0o755) == 0)
        let log = dir.appending("log")
        let failed = try runProgram(Recording.replrec, ["--log-dir", log, "--", garbage])
        #expect(failed.status == 126 && failed.stderr.contains("Exec format error"), "\(failed.status): \(failed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: log), "a log was left behind")
        let next = try runProgram(Recording.replrec, ["-q", "--log-dir", log, "--", "/bin/true"])
        #expect(next.status == 0, "\(next.stderr)")
    }

    @Test func anExecIsNotAnotherProcess() throws {
        let dir = TemporaryDirectory()
        _ = Recording.layer
        let (result, _) = try Recording.record(["/bin/sh", "-c", "/bin/true; exec /bin/true"], in: dir)
        #expect(result.status == 0)
        #expect(result.stderr.contains(" messages, 2 processes, 2 threads"), "\(result.stderr)")
    }
}
