import Foundation
import TestSupport
import Glibc
import LogFormat
import Testing

/// replrec's contract: what it refuses, what it passes through, what it does when things go wrong.
@Suite struct RecorderBehaviourTests {
    @Test func signalDeathsPassThroughAs128PlusN() throws {
        let dir = TemporaryDirectory()
        let (result, log) = try Recording.record([try Recording.fixture("kill_self")], in: dir)
        #expect(result.status == 128 + SIGTERM)
        let contents = try LogContents(log)
        #expect(contents.outcome == .cleanEnd(EndRecord(lastSequence: UInt64(contents.messages.count),
                                                        exitStatus: 128 + SIGTERM, signal: SIGTERM)))
    }

    @Test func anExistingLogIsKeptUnlessForced() throws {
        let dir = TemporaryDirectory()
        let program = try Recording.fixture("clocks_random")
        #expect(try Recording.record([program], in: dir).result.status == 0)
        let again = try Recording.record([program], in: dir)
        #expect(again.result.status == 125)
        #expect(again.result.stderr.contains("already holds a log"))
        #expect(again.result.stderr.contains("--force"))
        let forced = try Recording.record([program], in: dir, extra: ["--force"])
        #expect(forced.result.status == 0)
        #expect(LogSummary.scan(directory: .init(forced.log)).problem == nil)
    }

    @Test func setuidAndStaticProgramsAreRefused() throws {
        let dir = TemporaryDirectory()
        let setuid = dir.appending("setuid-program")
        try FileManager.default.copyItem(atPath: try Recording.fixture("clocks_random"), toPath: setuid)
        chmod(setuid, 0o4755)
        let refused = try Recording.record([setuid], in: dir)
        #expect(refused.result.status == 125)
        #expect(refused.result.stderr.contains("setuid"))

        let staticProgram = try Recording.fixture("clocks_random", flags: ["-static"])
        let other = TemporaryDirectory()
        let refusedStatic = try Recording.record([staticProgram], in: other)
        #expect(refusedStatic.result.status == 125)
        #expect(refusedStatic.result.stderr.contains("statically linked"))
        #expect(!FileManager.default.fileExists(atPath: refusedStatic.log))
    }

    @Test func missingProgramsAreReported() throws {
        let dir = TemporaryDirectory()
        let missing = try Recording.record(["no-such-program-anywhere"], in: dir)
        #expect(missing.result.status == 127)
        #expect(missing.result.stderr.contains("command not found"))
        let noCommand = try Recording.run(Recording.replrec, [])
        #expect(noCommand.status == 64)
        #expect(noCommand.stderr.contains("no command to record"), "\(noCommand.stderr)")
    }

    /// Options are checked in every form (with and without `--`), and help is answered.
    @Test func optionsAreCheckedAndHelpIsAnswered() throws {
        let refused: [([String], String)] = [
            (["--codec", "bogus", "--", "/bin/true"], "'bogus'"), (["--codec", "bogus", "/bin/true"], "'bogus'"),
            (["--sync", "sometimes", "--", "/bin/true"], "'sometimes'"), (["--"], "no command to record"),
        ]
        for (arguments, reason) in refused {
            let result = try Recording.run(Recording.replrec, arguments)
            #expect(result.status == 64, "replrec \(arguments): \(result.stderr)")
            #expect(result.stderr.contains(reason), "replrec \(arguments): \(result.stderr)")
        }
        for (tool, arguments) in [(Recording.replrec, ["--help"]), (Recording.replrec, ["-q", "--help"]),
                                  (Recording.replplay, ["--help"]), (Recording.replplay, ["-h"])] {
            let result = try Recording.run(tool, arguments)
            #expect(result.status == 0, "\(tool) \(arguments): \(result.stderr)")
            #expect(result.stdout.hasPrefix("OVERVIEW: ") && result.stdout.contains("Exit status"), "\(result.stdout)")
        }
    }

    /// freopen of the stdin the layer replaced (a pipe's) works recorded and replayed, as it
    /// does natively (it crashed recorded with SIGSEGV).
    @Test func freopenOfStdinWorks() throws {
        let program = try Recording.fixture("reopen_stdin")
        let dir = TemporaryDirectory()
        let log = dir.appending("log")
        let expected = "read: hello\nafter freopen: end of file\n"
        let native = try Recording.run("/bin/sh", ["-c", "echo hello | '\(program)'"])
        #expect(native.stdout == expected)
        let recorded = try Recording.run("/bin/sh", ["-c", "echo hello | '\(Recording.replrec)' -q --log-dir '\(log)' -- '\(program)'"])
        #expect(recorded.status == 0, "\(recorded.stderr)")
        #expect(recorded.stdout == expected)
        let replayed = try Recording.run(Recording.replplay, ["-q", log])
        #expect(replayed.status == 0, "\(replayed.stderr)")
        #expect(replayed.stdout == expected)
    }

    /// A process killed between taking a number and publishing its message leaves a `lost`
    /// message in its place, by the thread that claimed it: the messages after it are kept,
    /// verify lists the death, and a replay that cannot go past it says so (120), never a clean
    /// end.
    @Test func aNumberLostWithItsProcessIsLoggedAsLost() throws {
        let program = try Recording.fixture("lost_fork")
        let dir = TemporaryDirectory()
        let log = dir.appending("log"), out = dir.appending("out"), err = dir.appending("err")
        let script = """
            '\(Recording.replrec)' --log-dir '\(log)' -- '\(program)' > '\(out)' 2> '\(err)' &
            recorder=$!
            for i in $(seq 100); do grep -q "in fork" '\(out)' 2>/dev/null && break; sleep 0.05; done
            kill -9 $(cut -d' ' -f1 '\(out)')
            wait $recorder
            echo "recorder $?"
            """
        let recorded = try Recording.run("/bin/bash", ["-c", script])
        #expect(recorded.stdout == "recorder 137\n", "\(recorded.stdout) \(recorded.stderr)")
        #expect(try String(contentsOfFile: err, encoding: .utf8).contains("1 sequence number(s) were taken by a process that died"))
        let contents = try LogContents(log)
        let lost = try #require(contents.messages.first { $0.kind == .lost })
        #expect(contents.messages.contains { $0.sequence > lost.sequence }, "the messages after the hole are kept")
        // The number names the thread that claimed it and its call: a death the log records,
        // not damage.
        #expect(lost.process == 0 && lost.thread == 0 && lost.resource == UInt64(MessageKind.fork.rawValue), "\(lost)")
        let verified = try Recording.run(Recording.logtool, ["verify", log])
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(verified.stdout.contains("sequence \(lost.sequence): logical process 0 thread 0 died in fork before publishing it"),
                "\(verified.stdout)")
        // The parent went on in its fork handler while it held the number: what fork returned is
        // not in the log, and the replay says so at once.
        let replayed = try Recording.run(Recording.replplay, ["-q", "--watchdog", "10", log])
        #expect(replayed.status == 120, "\(replayed.stderr)")
        #expect(replayed.stderr.contains("sequence \(lost.sequence) was lost by this thread, which went on"), "\(replayed.stderr)")
    }

    /// A statically linked program exec'd by a recorded one is out of the layer's reach: the
    /// recording says so, and a replay stops before it rather than run it for real.
    @Test(arguments: [false, true])
    func aStaticallyLinkedChildIsReportedAndNeverReplayed(spawned: Bool) throws {
        let launcher = try Recording.fixture("exec_argument")
        let marker = try Recording.fixture("append_marker", flags: ["-static"])
        let dir = TemporaryDirectory()
        let ran = dir.appending("ran")
        let (recorded, log) = try Recording.record([launcher] + (spawned ? ["--spawn"] : []) + [marker, ran], in: dir)
        #expect(recorded.status == 3, "\(recorded.stderr)")
        #expect(recorded.stderr.contains("\(marker) is statically linked"), "\(recorded.stderr)")
        #expect(try String(contentsOfFile: ran, encoding: .utf8) == "ran\n")
        let replayed = try runProgram(Recording.replplay, ["-q", log])
        #expect(replayed.status == 120, "\(replayed.stderr)")
        #expect(replayed.stderr.contains("statically linked program"), "\(replayed.stderr)")
        #expect(try String(contentsOfFile: ran, encoding: .utf8) == "ran\n", "the replay ran the static program")
    }

    @Test func theUsersPreloadIsKept() throws {
        let dir = TemporaryDirectory()
        let libm = "/lib/x86_64-linux-gnu/libm.so.6"
        var environment = ProcessInfo.processInfo.environment
        environment["LD_PRELOAD"] = libm
        let program = try Recording.fixture("exec_chain")
        let (result, log) = try Recording.record([program], in: dir, environment: environment)
        #expect(result.status == 7)
        let contents = try LogContents(log)
        #expect(contents.recording?.environment.contains("LD_PRELOAD=\(libm)") == true)
    }

    /// A preload list longer than a page (300 libraries the loader cannot find, which it skips)
    /// reaches the program whole, without the layer in it.
    @Test func aLongPreloadListIsKeptWhole() throws {
        let dir = TemporaryDirectory()
        let list = (0..<300).map { "/nonexistent/replrec-test/lib\($0).so" }.joined(separator: ":")
        var environment = ProcessInfo.processInfo.environment
        environment["LD_PRELOAD"] = list
        let (result, _) = try Recording.record(["/bin/sh", "-c", "printf '%s' \"$LD_PRELOAD\""], in: dir, environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == list, "the program saw \(result.stdout.count) bytes of the \(list.count)")
    }

    @Test func payloadsOfAnySizeAreStreamed() throws {
        let dir = TemporaryDirectory()
        let size = 96 << 20
        let (result, log) = try Recording.record([try Recording.fixture("big_read"), String(size)], in: dir)
        #expect(result.status == 0)
        #expect(result.stdout == "read \(size) of \(size) bytes\n")
        let reader = LogReader(directory: .init(log))
        var sawBigRead = false
        while let message = try reader.next() {
            if message.kind == .read {
                #expect(message.payload.count == size)
                #expect(message.payload.allSatisfy { $0 == 0 })
                sawBigRead = true
            }
        }
        #expect(sawBigRead)
        #expect(reader.outcome == .cleanEnd(EndRecord(lastSequence: 6, exitStatus: 0)))  // isatty of stdout, objects, open, read, getrandom, its line

        // replplay streams the payload through to the program: its peak memory does not grow with
        // the payload's size (it held the whole 96 MiB before).
        let (replayed, peakKiB) = try RunningProgram(Recording.replplay, ["-q", log]).finishWatchingPeakMemory()
        #expect(replayed.status == 0 && replayed.stdout == result.stdout, "\(replayed.stderr)")
        #expect(peakKiB > 0 && peakKiB < 64 << 10, "replplay peaked at \(peakKiB) KiB")
    }

    @Test func theProgramStopsWhenTheRecorderDies() throws {
        let dir = TemporaryDirectory()
        let program = try Recording.fixture("spin_clock")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Recording.replrec)
        process.arguments = ["--log-dir", dir.appending("log"), "--", program, "20"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        _ = Recording.layer
        try process.run()
        let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
        let pid = try #require(pid_t(line.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(kill(pid, 0) == 0, "the program runs")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        var gone = false
        for _ in 0..<100 where !gone {
            usleep(20_000)
            gone = kill(pid, 0) != 0
        }
        if !gone { kill(pid, SIGKILL) }
        #expect(gone, "the program went on unrecorded after its recorder died")
    }
}

/// What output commit cost, in the summary line: socket writes (answers held for the log), how
/// many waited, and the wait per write; nothing of it without output commit.
@Suite struct OutputCommitSummaryTests {
    @Test func theSummarySaysWhatOutputCommitCost() throws {
        let dir = TemporaryDirectory()
        let program = try Recording.fixture("tcp_echo")
        let committed = try Recording.record([program], in: dir)
        #expect(committed.result.status == 0, "\(committed.result.stderr)")
        let line = try #require(committed.result.stderr.split(separator: "\n").first { $0.hasPrefix("replrec: ") && $0.contains(" messages, ") })
        let part = try #require(line.split(separator: ";").first { $0.hasPrefix(" output commit: ") }, "\(line)")
        let numbers = part.split(whereSeparator: { !$0.isNumber && $0 != "." }).compactMap { Double($0) }
        #expect(numbers.count == 4, "\(part)")
        if numbers.count == 4 {
            #expect(numbers[0] >= 600 / 41, "writes: \(part)")  // the echoes, in lines of up to 41 bytes
            #expect(numbers[1] >= 1 && numbers[1] <= numbers[0], "waits: \(part)")
            #expect(numbers[2] > 0 && numbers[3] > 0 && numbers[3] <= numbers[2], "wait per write: \(part)")
        }

        let plainDirectory = TemporaryDirectory()
        let plain = try Recording.record([program], in: plainDirectory, extra: ["--no-output-commit"])
        #expect(plain.result.status == 0 && !plain.result.stderr.contains("output commit:"), "\(plain.result.stderr)")
    }
}
