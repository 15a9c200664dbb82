import Foundation
import Glibc
import LogFormat
import SystemPackage
import Testing
import TestSupport

/// T1: a replay prints what the recording printed or stops and says where it left it. Programs
/// whose races no intercepted call sees (a plain data race, CPython's GIL hand-off) replay either
/// way, never to other output with a clean exit; a rebuilt binary is named before it runs; a log
/// whose results cannot be its calls' is damaged; a log another user could have written is
/// refused.
@Suite struct NeverSilentlyWrongTests {
    /// Every replay of `log` either matches the recording (status and output) or exits 120 with
    /// a divergence report, having printed a prefix of the recorded output: what reached the
    /// output was the recorded bytes. The report names the sequence number where the call or its
    /// output differs, or, when the other path waits for a turn the log gives to a thread that is
    /// now elsewhere (the GIL's condition wait), the watchdog's (3 s here).
    static func expectRecordedOrStopped(_ log: String, recorded: ProgramResult, replays: Int, _ label: String) throws {
        for run in 1...replays {
            let replayed = try runProgram(Recording.replplay, ["-q", "--watchdog", "3", log])
            if replayed.status == recorded.status && replayed.stdout == recorded.stdout { continue }
            #expect(replayed.status == 120, "\(label) replay \(run): status \(replayed.status): \(replayed.stderr)")
            #expect(replayed.stderr.contains("divergence: sequence ") || replayed.stderr.contains("divergence: no progress for 3.00 s at sequence "),
                    "\(label) replay \(run): \(replayed.stderr)")
            #expect(recorded.stdout.hasPrefix(replayed.stdout),
                    "\(label) replay \(run) printed what the recording did not: \(replayed.stdout)")
        }
    }

    /// Two threads increment a counter with no lock around a clock call (fixtures/programs/
    /// racy_counter.c). Recorded until two recordings print different totals; each replayed 20
    /// times. A replay that loses other increments than the recording stops at the write of the
    /// total, and the report names it: the descriptor, both lengths, the bytes it would write and,
    /// given the recording's captured output, the first byte that differs.
    @Test func aDataRaceReplaysAsRecordedOrStopsAtTheFirstDifferentWrite() throws {
        let program = try Recording.fixture("racy_counter")
        let dir = TemporaryDirectory()
        var recordings: [(result: ProgramResult, log: String)] = []
        for attempt in 1...10 where Set(recordings.map(\.result.stdout)).count < 2 {
            let log = dir.appending("log\(attempt)")
            let recorded = try runProgram(Recording.replrec, ["-q", "--log-dir", log, "--", program])
            #expect(recorded.status == 0, "\(recorded.stderr)")
            if !recordings.contains(where: { $0.result.stdout == recorded.stdout }) { recordings.append((recorded, log)) }
        }
        try #require(recordings.count == 2, "ten recordings printed the same total: the race did not show")
        for (index, (recorded, log)) in recordings.enumerated() {
            let captured = dir.appending("recorded\(index).out")
            try recorded.stdout.write(toFile: captured, atomically: true, encoding: .utf8)
            for run in 1...20 {
                let replayed = try runProgram(Recording.replplay, ["-q", "--recorded-output", captured, log])
                if replayed.status == 0 && replayed.stdout == recorded.stdout { continue }
                #expect(replayed.status == 120, "replay \(run): \(replayed.status) \(replayed.stdout) \(replayed.stderr)")
                #expect(replayed.stdout.isEmpty, "replay \(run) printed a total: \(replayed.stdout)")
                let report = try #require(replayed.stderr.split(separator: "\n").first { $0.contains("divergence: sequence ") })
                #expect(report.contains(": write on 0x1 ") && report.contains("other output at fd 1 ("), "\(report)")
                #expect(report.contains("the recording handed \(recorded.stdout.utf8.count) bytes"), "\(report)")
                #expect(report.contains("\"counter "), "the report shows the bytes: \(report)")
                // "counter " is the same in every total; the digits differ from the first on.
                let offset = report.range(of: #"first differing byte is at offset ([0-9]+) of the write \(\1 of the recorded output\)"#,
                                          options: .regularExpression)
                #expect(offset != nil, "\(report)")
                if let offset, let at = Int(report[offset].split(separator: " ")[6]) {
                    #expect(at >= 8 && at < recorded.stdout.utf8.count - 1, "\(report)")
                }
            }
        }
    }

    /// CPython threads that contend for the GIL, a thread pool printing results as they complete
    /// (fixtures/interpreters/gil_pool.py): 20 replays, each the recorded output or a reported
    /// divergence that printed only recorded lines.
    @Test func gilContentionReplaysAsRecordedOrStops() throws {
        let python = "/usr/bin/python3"
        try #require(FileManager.default.isExecutableFile(atPath: python), "python3 is not installed (.ci/run installs it)")
        let dir = TemporaryDirectory()
        let script = Recording.root + "/fixtures/interpreters/gil_pool.py"
        let (recorded, log) = try Recording.record([try Recording.fixture("unblocked"), python, script], in: dir)
        #expect(recorded.status == 0, "\(recorded.stderr)")
        #expect(recorded.stdout.split(separator: "\n").count == 24, "\(recorded.stdout)")
        try Self.expectRecordedOrStopped(log, recorded: recorded, replays: 20, "gil_pool")
    }

    /// A program rebuilt since the recording (other bytes, so another build-id) is named before
    /// it runs, and its replay stops at the first write that differs.
    @Test func aRebuiltProgramIsNamedBeforeItRuns() throws {
        let dir = TemporaryDirectory()
        let source = dir.appending("greet.c"), program = dir.appending("greet")
        func build(_ greeting: String) throws {
            try "#include <stdio.h>\nint main(void) { puts(\"\(greeting)\"); return 0; }\n"
                .write(toFile: source, atomically: true, encoding: .utf8)
            let compiled = try runProgram("/usr/bin/cc", ["-O2", "-o", program, source])
            try #require(compiled.status == 0, "\(compiled.stderr)")
        }
        try build("hello, recording")
        let (recorded, log) = try Recording.record([program], in: dir)
        #expect(recorded.stdout == "hello, recording\n", "\(recorded.stderr)")
        let same = try runProgram(Recording.replplay, ["-q", log])
        #expect(same.status == 0 && same.stdout == recorded.stdout, "\(same.stderr)")
        #expect(!same.stderr.contains("warning"), "\(same.stderr)")

        try build("hello, rebuilt")
        let rebuilt = try runProgram(Recording.replplay, ["-q", log])
        let lines = rebuilt.stderr.split(separator: "\n")
        let warning = try #require(lines.firstIndex { $0.contains("warning: \(program) is not the recorded file (recorded build-id:") },
                                   "\(rebuilt.stderr)")
        let divergence = try #require(lines.firstIndex { $0.contains("divergence: sequence ") }, "\(rebuilt.stderr)")
        #expect(warning < divergence, "the warning comes before the program runs")
        #expect(rebuilt.status == 120)
        #expect(rebuilt.stdout.isEmpty, "the rebuilt program's text reached the output: \(rebuilt.stdout)")
        #expect(lines[divergence].contains("\"hello, rebuilt\\n\""), "\(lines[divergence])")
    }

    /// A log is rewritten with one read's result made larger than the program's 16-byte buffer
    /// (fixtures/programs/short_read.c), once with a payload to match, once without: replplay
    /// refuses both as damaged (121, naming the sequence number) before the program gets the
    /// bytes, and verify finds the second, whose result is not its payload's length.
    @Test func aRecordedResultLargerThanItsBufferIsDamage() throws {
        let dir = TemporaryDirectory()
        let program = try Recording.fixture("short_read")
        let log = dir.appending("log")
        let recorded = try runProgram("/bin/sh", ["-c", "printf 'twelve bytes' | '\(Recording.replrec)' -q --log-dir '\(log)' -- '\(program)'"])
        #expect(recorded.status == 0 && recorded.stdout == "twelve bytes\n", "\(recorded.stderr)")
        let contents = try LogContents(log)
        let read = try #require(contents.messages.first { $0.kind == .read && $0.result == 12 })

        for matchingPayload in [true, false] {
            let crafted = dir.appending(matchingPayload ? "crafted-matching" : "crafted-short")
            let writer = try LogWriter(directory: FilePath(crafted), recording: try #require(contents.recording))
            for var message in contents.messages {
                if message.sequence == read.sequence {
                    message.result = 1024
                    message.payload = matchingPayload ? [UInt8](repeating: 0x41, count: 1024) : message.payload
                }
                try writer.append(message)
            }
            guard case .cleanEnd(let end)? = contents.outcome else { Issue.record("no END record"); return }
            try writer.finish(exitStatus: end.exitStatus)

            let replayed = try runProgram(Recording.replplay, ["-q", crafted])
            #expect(replayed.status == 121, "\(replayed.status): \(replayed.stderr)")
            #expect(replayed.stderr.contains("sequence \(read.sequence)"), "\(replayed.stderr)")
            #expect(!replayed.stdout.contains("AAAA"), "the program was handed the crafted bytes")
            let verified = try runProgram(Recording.logtool, ["verify", crafted])
            if matchingPayload {
                #expect(replayed.stderr.contains("the recorded payload is 1024 bytes; the program's buffers hold 16"), "\(replayed.stderr)")
            } else {
                #expect(verified.status != 0, "verify found nothing: \(verified.stdout)")
                #expect((verified.stdout + verified.stderr).contains("sequence \(read.sequence)"), "\(verified.stdout)\(verified.stderr)")
            }
        }
    }

    /// The first replay of a log names what it runs, the recorded LD_* variables among them; the
    /// next does not.
    @Test func theFirstReplaySaysWhatItRuns() throws {
        let dir = TemporaryDirectory()
        var environment = ProcessInfo.processInfo.environment
        environment["LD_BIND_NOW"] = "1"
        let (recorded, log) = try Recording.record(["/bin/echo", "ran"], in: dir, environment: environment)
        #expect(recorded.status == 0, "\(recorded.stderr)")
        let first = try runProgram(Recording.replplay, ["-q", log])
        #expect(first.status == 0 && first.stdout == "ran\n", "\(first.stderr)")
        #expect(first.stderr.contains("replplay:   command: /bin/echo ran\n"), "\(first.stderr)")
        #expect(first.stderr.contains("replplay:   environment: LD_BIND_NOW=1\n"), "\(first.stderr)")
        let second = try runProgram(Recording.replplay, ["-q", log])
        #expect(second.status == 0 && second.stderr.isEmpty, "\(second.stderr)")
    }

    /// A log owned by another user (made by `useradd` here) is refused without --trust, and so
    /// is one its group can write; --trust replays both.
    @Test func aLogAnotherUserCouldHaveWrittenIsRefused() throws {
        try #require(geteuid() == 0, "needs root to make a user (CI runs as root)")
        let dir = TemporaryDirectory()
        let (recorded, log) = try Recording.record(["/bin/echo", "from the log"], in: dir)
        #expect(recorded.status == 0)
        let user = "replrec-other"
        _ = try runProgram("/usr/sbin/useradd", ["--system", "--no-create-home", user])
        let owned = try runProgram("/bin/chown", ["-R", user, log])
        try #require(owned.status == 0, "\(owned.stderr)")
        let refused = try runProgram(Recording.replplay, ["-q", log])
        #expect(refused.status == 122, "\(refused.status): \(refused.stderr)")
        #expect(refused.stderr.contains("\(log) is owned by user ") && refused.stderr.contains("--trust"), "\(refused.stderr)")
        #expect(!refused.stdout.contains("from the log"), "the log ran")
        let trusted = try runProgram(Recording.replplay, ["-q", "--trust", log])
        #expect(trusted.status == 0 && trusted.stdout == "from the log\n", "\(trusted.stderr)")

        _ = try runProgram("/bin/chown", ["-R", "root", log])
        #expect(chmod(log, 0o770) == 0)
        let writable = try runProgram(Recording.replplay, ["-q", log])
        #expect(writable.status == 122 && writable.stderr.contains("can be written by its group or by others"), "\(writable.stderr)")
        #expect(chmod(log, 0o700) == 0)
        #expect(try runProgram(Recording.replplay, ["-q", log]).status == 0)
    }
}
