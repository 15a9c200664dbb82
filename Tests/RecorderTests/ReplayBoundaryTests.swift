import Foundation
import Glibc
import LogFormat
import Testing
import TestSupport

/// Replay acts only inside the recording (T2), and what one call leaves in the payload stream
/// never reaches the next.
@Suite struct ReplayBoundaryTests {
    /// A process outside the recording sits at the pid the recorded program signalled: the
    /// recording signals it once, its replays never.
    @Test func aSignalToAProcessOutsideTheRecordingIsNotSentAtReplay() throws {
        let dir = TemporaryDirectory()
        let received = dir.appending("received")
        let decoy = Process()
        decoy.executableURL = URL(fileURLWithPath: "/bin/sh")
        decoy.arguments = ["-c", "trap 'echo USR1 >> \(received)' USR1; while :; do sleep 0.05; done"]
        try decoy.run()
        defer { decoy.terminate() }
        usleep(200_000)  // the trap is installed
        let pid = String(decoy.processIdentifier)
        let program = try Recording.fixture("signal_pid")
        let (recorded, log) = try Recording.record([program, pid, String(SIGUSR1)], in: dir)
        #expect(recorded.status == 0, "\(recorded.stderr)")
        #expect(recorded.stdout == "kill(\(pid), \(SIGUSR1)) returned 0\n")
        usleep(300_000)
        #expect(try String(contentsOfFile: received, encoding: .utf8) == "USR1\n")
        for _ in 1...2 {
            let replayed = try runProgram(Recording.replplay, ["-q", log])
            #expect(replayed.status == 0, "\(replayed.stderr)")
            #expect(replayed.stdout == recorded.stdout)
        }
        usleep(300_000)
        #expect(try String(contentsOfFile: received, encoding: .utf8) == "USR1\n", "a replay signalled the decoy")
        #expect(decoy.isRunning)
    }

    /// `kill $!` at replay ends the replayed child, not the recorded pid, and the replay does not
    /// wait for the child's own end.
    @Test func aKilledBackgroundJobIsKilledAtReplay() throws {
        let dir = TemporaryDirectory()
        let script = "sleep 30 & kill $!; wait $!; echo \"status $?\""
        // Through `unblocked`: the test runner's threads block SIGTERM, and children inherit that.
        let (recorded, log) = try Recording.record([try Recording.fixture("unblocked"), "/bin/bash", "-c", script], in: dir)
        #expect(recorded.status == 0, "\(recorded.stderr)")
        #expect(recorded.stdout == "status 143\n")
        let contents = try LogContents(log)
        #expect(contents.kinds.contains(MessageKind(name: "kill")!))
        let started = Date()
        let replayed = try runProgram(Recording.replplay, ["-q", log])
        #expect(replayed.status == 0, "\(replayed.stderr)")
        #expect(replayed.stdout == recorded.stdout)
        #expect(Date().timeIntervalSince(started) < 10, "the replayed sleep was not killed")
    }

    /// Every replayed process dies with replplay, one that left the process group with setsid
    /// too: a backup follows a recording whose processes sleep, and is killed with SIGKILL.
    @Test func everyReplayedProcessDiesWithTheReplayer() throws {
        let dir = TemporaryDirectory()
        let marker = 3000 + Int(getpid()) % 900  // sleeps of this many seconds are this test's
        let script = """
            cd '\(dir.path)'
            '\(Recording.replrec)' -q --log-dir log -- /bin/bash -c 'setsid sleep \(marker) & sleep \(marker + 1)' &
            recorder=$!
            for i in $(seq 100); do [ -d log ] && break; sleep 0.05; done
            '\(Recording.replplay)' -q --follow log 2> backup.err &
            backup=$!
            for i in $(seq 100); do [ $(pgrep -fc "^sleep \(marker)$") -ge 2 ] && break; sleep 0.05; done
            echo "before $(pgrep -fc "^sleep \(marker)") $(pgrep -fc "^sleep \(marker + 1)")"
            kill -9 $backup
            for i in $(seq 100); do [ $(pgrep -fc "^sleep \(marker)$") -le 1 ] && [ $(pgrep -fc "^sleep \(marker + 1)$") -le 1 ] && break; sleep 0.05; done
            echo "after $(pgrep -fc "^sleep \(marker)") $(pgrep -fc "^sleep \(marker + 1)")"
            kill -9 $recorder; pkill -9 -f "^sleep \(marker)"; pkill -9 -f "^sleep \(marker + 1)"
            """
        let result = try runProgram("/bin/bash", ["-c", script])
        let errors = (try? String(contentsOfFile: dir.appending("backup.err"), encoding: .utf8)) ?? ""
        #expect(result.stdout == "before 2 2\nafter 1 1\n", "\(result.stdout) \(result.stderr) \(errors)")
    }

    /// A signal that ends its own sender is in the log, and ends the replayed sender at the
    /// same point.
    @Test func aProcessThatKillsItselfReplays() throws {
        let dir = TemporaryDirectory()
        let (recorded, log) = try Recording.record(["/bin/bash", "-c", "echo before; kill -9 $$; echo after"], in: dir)
        #expect(recorded.status == 137 && recorded.stdout == "before\n", "\(recorded.stderr)")
        #expect(LogSummary.scan(directory: .init(log)).problem == nil)
        #expect(try LogContents(log).kinds.contains(MessageKind(name: "kill")!))
        let replayed = try runProgram(Recording.replplay, ["-q", log])
        #expect(replayed.status == 137, "\(replayed.stderr)")
        #expect(replayed.stdout == recorded.stdout)
    }

    /// A program killed with SIGKILL from outside the recording (no intercepted call sees it):
    /// the replay ends it after its last message with the recorded status, rather than wait for
    /// calls the primary never made (until the watchdog reported a divergence).
    @Test func aKillFromOutsideEndsTheReplayWhereItEndedTheRecording() throws {
        let dir = TemporaryDirectory()
        let program = try Recording.fixture("paced_clock")
        let log = dir.appending("log")
        let recorder = try RunningProgram(Recording.replrec, ["-q", "--log-dir", log, "--", program, "60"])
        var messages = 0
        for _ in 0..<200 where messages < 1000 {
            usleep(20_000)
            messages = (try? LogContents(log).messages.count) ?? 0
        }
        let pid = try #require(try? String(contentsOfFile: "/proc/\(recorder.process.processIdentifier)/task/\(recorder.process.processIdentifier)/children", encoding: .utf8))
            .split(separator: " ").first.flatMap { pid_t($0) }
        kill(try #require(pid, "no program under replrec"), SIGKILL)
        let recorded = recorder.finish()
        #expect(recorded.status == 137, "\(recorded.stderr)")

        let replayed = try runProgram(Recording.replplay, ["-q", log])
        #expect(replayed.status == 137 && !replayed.stderr.contains("divergence"), "\(replayed.stderr)")
    }

    /// An exec's path over 16 bytes is a payload the exec does not read at replay; the next
    /// call's payload must still be its own.
    @Test func anExecPathDoesNotShiftTheNextPayload() throws {
        let dir = TemporaryDirectory()
        let script = "/usr/bin/readlink -f / >/dev/null; x=$(echo 01234567890123456789abc); echo \"[$x]\""
        let (recorded, log) = try Recording.record(["/bin/bash", "-c", script], in: dir)
        #expect(recorded.stdout == "[01234567890123456789abc]\n", "\(recorded.stderr)")
        for _ in 1...2 {
            let replayed = try runProgram(Recording.replplay, ["-q", log])
            #expect(replayed.status == 0, "\(replayed.stderr)")
            #expect(replayed.stdout == recorded.stdout)
        }
    }
}
