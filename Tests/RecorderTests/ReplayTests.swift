import Foundation
import Glibc
import LogFormat
import Testing
import TestSupport

/// replplay: every fixture replays to its recorded output (which differs between native runs)
/// and exit status, several times; a different program is reported as a divergence, fast.
@Suite struct ReplayTests {
    @Test(arguments: FixtureRecordingTests.cases)
    func fixtureReplaysExactly(_ fixture: FixtureRecordingTests.Case) throws {
        let program = try fixture.program()
        let dir = TemporaryDirectory()
        let (recorded, log) = try Recording.record([program], in: dir)
        #expect(recorded.status == fixture.exitStatus)
        for run in 1...3 {
            let replayed = try runProgram(Recording.replplay, ["-q", log])
            #expect(replayed.status == fixture.exitStatus, "\(fixture.name) replay \(run): \(replayed.stderr)")
            #expect(replayed.stdout == recorded.stdout, "\(fixture.name) replay \(run) printed something else")
            // The first replay of a log says what it runs; then replplay knows the log.
            let announcement = "replplay: this log has not been replayed by this user before; it runs:\n"
                + "replplay:   command: \(program)\nreplplay:   working directory: \(FileManager.default.currentDirectoryPath)\n"
            #expect(replayed.stderr == (run == 1 ? announcement : ""), "\(replayed.stderr)")
        }
    }

    /// The premise of the fixture tests above, shown once: mutex_race's order differs from one
    /// native run to the next, but every replay of one recording prints the recorded order.
    @Test func nativeRunsDifferButReplaysDoNot() throws {
        let program = try Recording.fixture("mutex_race")
        let native = try Set((1...20).map { _ in try runProgram(program, []).stdout })
        #expect(native.count > 1, "twenty native runs printed the same order")

        let dir = TemporaryDirectory()
        let (recorded, log) = try Recording.record([program], in: dir)
        #expect(recorded.status == 0, "\(recorded.stderr)")
        try #require(!recorded.stdout.isEmpty)
        #expect(native.contains { $0 != recorded.stdout }, "no native run differs from the recorded one")
        let replays = try (1...5).map { _ in try runProgram(Recording.replplay, ["-q", log]) }
        for (run, replayed) in replays.enumerated() {
            #expect(replayed.status == 0, "replay \(run + 1): \(replayed.stderr)")
            #expect(replayed.stdout == recorded.stdout, "replay \(run + 1) printed another order")
        }
    }

    /// A sleep returns its recorded outcome at its turn: the replay of a program that slept two
    /// seconds does not wait for them.
    @Test func sleepsReplayWithoutWaiting() throws {
        let dir = TemporaryDirectory()
        let (recorded, log) = try Recording.record(["/bin/sh", "-c", "sleep 1; sleep 1; echo slept"], in: dir)
        #expect(recorded.stdout == "slept\n", "\(recorded.stderr)")
        #expect(try LogContents(log).kinds.contains(MessageKind(name: "sleep")!))
        let started = Date()
        let replayed = try runProgram(Recording.replplay, ["-q", log])
        #expect(replayed.status == 0, "\(replayed.stderr)")
        #expect(replayed.stdout == recorded.stdout)
        #expect(Date().timeIntervalSince(started) < 1.5, "the replay slept")
    }

    @Test func aDifferentProgramIsReportedAsADivergence() throws {
        let dir = TemporaryDirectory()
        let (_, log) = try Recording.record([try Recording.fixture("prodcons")], in: dir)
        let started = Date()
        let replayed = try runProgram(Recording.replplay, ["-q", "--watchdog", "3", log, "--", try Recording.fixture("clocks_random")])
        #expect(replayed.status == 120)
        #expect(replayed.stderr.contains("divergence"))
        // 1 is both programs' isatty of stdout, 2 their objects (a warning: another program).
        #expect(replayed.stderr.contains("sequence 3"), "\(replayed.stderr)")
        #expect(replayed.stderr.contains("is not the recorded file"), "\(replayed.stderr)")
        #expect(replayed.stderr.contains("expected thread_create"), "\(replayed.stderr)")
        #expect(replayed.stderr.contains("observed clock_gettime"), "\(replayed.stderr)")
        #expect(Date().timeIntervalSince(started) < 10)
    }

    @Test func aProgramThatStopsShortIsReported() throws {
        let dir = TemporaryDirectory()
        let (_, log) = try Recording.record([try Recording.fixture("clocks_random")], in: dir)
        // kill_self makes one call (time) where the log expects clock_gettime: divergence at 1.
        let replayed = try runProgram(Recording.replplay, ["-q", log, "--", try Recording.fixture("kill_self")])
        #expect(replayed.status == 120)
        #expect(replayed.stderr.contains("divergence"))
    }

    @Test func replayFollowsALogWhileItIsRecorded() throws {
        let dir = TemporaryDirectory()
        let log = dir.appending("log")
        let program = try Recording.fixture("prodcons")
        _ = Recording.layer
        // The backup starts first and waits for the log to appear.
        let backup = try BackgroundReplay(["-q", "--follow", log])
        usleep(200_000)
        let recorded = try runProgram(Recording.replrec, ["-q", "--log-dir", log, program])
        backup.process.waitUntilExit()
        #expect(backup.process.terminationStatus == recorded.status)
        #expect(backup.output.text() == recorded.stdout)
    }

    @Test func replayFollowsAnRsyncedCopy() throws {
        let dir = TemporaryDirectory()
        let primary = dir.appending("primary"), copy = dir.appending("backup")
        let program = try Recording.fixture("big_read")
        _ = Recording.layer
        let backup = try BackgroundReplay(["-q", "--follow", copy])
        let script = """
            '\(Recording.replrec)' -q --log-dir '\(primary)' --segment-size 1048576 -- '\(program)' 20000000 > '\(dir.appending("recorded.out"))' & recorder=$!
            until [ -d '\(primary)' ]; do sleep 0.01; done
            while kill -0 $recorder 2>/dev/null; do rsync -a --append-verify '\(primary)/' '\(copy)/'; sleep 0.05; done
            wait $recorder; status=$?
            rsync -a --append-verify '\(primary)/' '\(copy)/'
            exit $status
            """
        let loop = try runProgram("/bin/bash", ["-c", script])
        #expect(loop.status == 0, "\(loop.stderr)")
        backup.process.waitUntilExit()
        #expect(backup.process.terminationStatus == 0)
        let recordedOutput = try String(contentsOfFile: dir.appending("recorded.out"), encoding: .utf8)
        #expect(backup.output.text() == recordedOutput)
        #expect(recordedOutput == "read 20000000 of 20000000 bytes\n")
    }
}

/// replplay in the background, its standard output and error read as they come.
struct BackgroundReplay {
    let program: RunningProgram
    let output: BackgroundRead
    let errors: BackgroundRead

    init(_ arguments: [String]) throws {
        program = try RunningProgram(Recording.replplay, arguments)
        output = BackgroundRead(program.standardOutput)
        errors = BackgroundRead(program.standardError)
    }

    var process: Process { program.process }
}

/// Promotion and debugging stops.
@Suite struct ReplayControlTests {
    @Test func aBackupGoesLiveWhenThePrimaryDies() throws {
        let dir = TemporaryDirectory()
        let log = dir.appending("log")
        let program = try Recording.fixture("mutex_bench")
        _ = Recording.layer
        let backup = try BackgroundReplay(["--follow", "--promote-after", "1", log])

        // The primary: recorder and program, killed with SIGKILL in the middle of the run.
        let primary = Process()
        primary.executableURL = URL(fileURLWithPath: Recording.replrec)
        primary.arguments = ["-q", "--heartbeat", "0.25", "--log-dir", log, "--", program, "2", "20000000"]
        primary.standardOutput = FileHandle.nullDevice
        try primary.run()
        var messages: UInt64 = 0
        for _ in 0..<200 where messages < 200_000 {
            usleep(20_000)
            messages = LogSummary.scan(directory: .init(log)).messages
        }
        try #require(messages >= 200_000, "the primary did not get going")
        kill(primary.processIdentifier, SIGKILL)
        primary.waitUntilExit()

        backup.process.waitUntilExit()
        let said = backup.errors.text()
        #expect(backup.process.terminationStatus == 0, "\(said)")
        // The program finished its whole run, live, after the logged part was replayed.
        #expect(backup.output.text() == "counter 40000000\n")
        #expect(said.contains("promoted"))
        #expect(said.contains("ran live after sequence"))
        let summary = LogSummary.scan(directory: .init(log))
        #expect(summary.outcome == nil || summary.outcome == .stillOpen(lastSequence: summary.lastSequence ?? 0))
    }

    @Test func stopAtStopsTheThreadAndReplayGoesOnWhenResumed() throws {
        let dir = TemporaryDirectory()
        let (recorded, log) = try Recording.record([try Recording.fixture("prodcons")], in: dir)
        let replay = try RunningProgram(Recording.replplay, ["-q", "--stop-at", "5000", log])
        let output = BackgroundRead(replay.standardOutput)
        var line = ""
        replay.readStandardError(into: &line) { $0.contains("kill -CONT") }
        #expect(line.contains("stopped before sequence 5000"), "\(line)")
        #expect(line.contains("gdb -p "))
        let pid = try #require(line.split(separator: " ").firstIndex(of: "pid").map { pid_t(line.split(separator: " ")[$0 + 1].dropLast())! })
        // The message comes just before the stop: wait until the process is stopped (state T).
        var stopped = false
        for _ in 0..<250 where !stopped {
            stopped = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.contains(") T ") == true
            if !stopped { usleep(20_000) }
        }
        #expect(stopped, "the process did not stop")
        kill(pid, SIGCONT)
        replay.process.waitUntilExit()
        #expect(replay.status == 0)
        #expect(output.text() == recorded.stdout)
    }
}

/// A server on a hot standby on its primary's own host: the backup notes the primary's bind and
/// listen without performing them, goes live when the primary is killed (binding the port the
/// primary held), accepts a new connection and still holds the state from before. The kill
/// follows the last answer at once: output commit held each answer until the log had what led
/// to it.
@Suite struct ServerPromotionTests {
    @Test func aPromotedServerKeepsItsStateAndAcceptsNewConnections() throws {
        let dir = TemporaryDirectory()
        let server = try Recording.fixture("counter_server")
        _ = Recording.layer
        let port = String(TestPort.number(1))
        let client = "exec 3<>/dev/tcp/127.0.0.1/\(port); echo incr >&3; read line <&3; echo \"$line\""
        let script = """
            cd '\(dir.path)'
            '\(Recording.replplay)' --follow --promote-after 1 '\(dir.appending("log"))' > backup.out 2> backup.err &
            backup=$!
            sleep 0.3
            '\(Recording.replrec)' -q --heartbeat 0.25 --log-dir '\(dir.appending("log"))' -- '\(server)' \(port) > primary.out 2>&1 &
            primary=$!
            for i in $(seq 100); do grep -q listening primary.out 2>/dev/null && break; sleep 0.05; done
            for i in 1 2 3 4 5; do bash -c '\(client)'; done
            kill -9 $primary
            wait $primary 2>/dev/null
            for i in $(seq 100); do grep -q promoted backup.err 2>/dev/null && break; sleep 0.05; done
            bash -c '\(client); echo quit >&3; read line <&3; echo "$line"'
            wait $backup
            echo "backup exit $?"
            """
        let result = try runProgram("/bin/bash", ["-c", script])
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.prefix(5) == ["total 1", "total 2", "total 3", "total 4", "total 5"], "\(result.stdout) \(result.stderr)")
        #expect(lines.dropFirst(5).first == "total 6", "the promoted server lost its state: \(result.stdout)")
        #expect(lines.contains("bye"))
        #expect(lines.last == "backup exit 0")
        let backupErrors = try String(contentsOfFile: dir.appending("backup.err"), encoding: .utf8)
        #expect(backupErrors.contains("promoted"))
        #expect(try String(contentsOfFile: dir.appending("backup.out"), encoding: .utf8).contains("final total 6"))
    }
}
