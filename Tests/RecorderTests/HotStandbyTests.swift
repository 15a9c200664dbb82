import Foundation
import Glibc
import Testing
import TestSupport

/// A hot standby as an operator runs one: the backup on another host (a network namespace of its
/// own, with its own copy of the log by rsync and of the working directory), fenced by
/// --promote-command, going live only when the primary has stopped, heartbeats included.
@Suite(.serialized) struct HotStandbyTests {
    /// The counter server (fixtures/programs/counter_server.c) under a client's load on the
    /// primary's host; the log shipped to the backup's host by rsync every 50 ms; the primary
    /// killed with SIGKILL mid-load. The backup's --promote-command takes the last of the log
    /// (as an operator's would, from the primary's disk) and it goes live on its own host's
    /// address with every acknowledged increment.
    @Test func aBackupOnAnotherHostServesEveryAcknowledgedWrite() throws {
        try #require(geteuid() == 0, "needs root for a network namespace (CI runs as root)")
        let dir = TemporaryDirectory()
        let host = try BackupHost(dir)
        defer { host.remove() }
        let server = try Recording.fixture("counter_server")
        _ = Recording.layer
        let port = String(TestPort.number(3))
        let primaryLog = dir.appending("primary/log"), backupLog = dir.appending("backup/log")
        let client = "exec 3<>/dev/tcp/127.0.0.1/\(port); while echo incr >&3 && read line <&3; do echo \"$line\"; done"
        let script = """
            set -u
            cd '\(dir.appending("work"))'
            mkdir -p '\(dir.appending("backup"))' '\(dir.appending("primary"))'
            cp -a . '\(dir.appending("backup/work"))'
            '\(Recording.replrec)' -q --log-dir '\(primaryLog)' -- '\(server)' \(port) > ../primary.out 2>&1 &
            primary=$!
            for i in $(seq 200); do grep -q listening ../primary.out 2>/dev/null && break; sleep 0.05; done
            ( while kill -0 $primary 2>/dev/null; do rsync -a --append-verify '\(primaryLog)/' '\(backupLog)/' 2>/dev/null; sleep 0.05; done ) &
            shipper=$!
            for i in $(seq 500); do [ -d '\(backupLog)' ] && break; sleep 0.02; done
            \(host.run(["bash", "-c", "mount --bind \(dir.appending("backup/work")) \(dir.appending("work")) && cd \(dir.appending("work")) && exec '\(Recording.replplay)' --follow --promote-after 2 --promote-command \"rsync -a --append-verify '\(primaryLog)/' '\(backupLog)/' && touch \(dir.appending("fenced"))\" '\(backupLog)' > ../backup.out 2> ../backup.err"])) &
            backup=$!
            bash -c '\(client)' > ../acked 2>/dev/null &
            load=$!
            sleep 1.5
            # The recorder first: killed after its program, it could still end the log (an END
            # record saying the program died by SIGKILL), and the backup would replay that end.
            server=$(pgrep -P $primary); kill -KILL $primary $server
            # The shipper's loop ends by itself once the primary is gone, its last rsync done: killed,
            # it could leave an rsync appending to the backup's copy while the fence's rsync does too.
            wait $primary 2>/dev/null; wait $load 2>/dev/null; wait $shipper 2>/dev/null
            for i in $(seq 300); do grep -q "promoted:" ../backup.err 2>/dev/null && break; sleep 0.05; done
            \(host.run(["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/\(port); echo incr >&3; read line <&3; echo \"after $line\"; echo quit >&3; read line <&3; echo \"$line\""]))
            wait $backup
            echo "backup exit $?"
            """
        try FileManager.default.createDirectory(atPath: dir.appending("work"), withIntermediateDirectories: true)
        try "the primary's\n".write(toFile: dir.appending("work/state"), atomically: true, encoding: .utf8)
        let result = try runProgram("/bin/bash", ["-c", script])
        let backupErrors = (try? String(contentsOfFile: dir.appending("backup.err"), encoding: .utf8)) ?? ""
        let acked = ((try? String(contentsOfFile: dir.appending("acked"), encoding: .utf8)) ?? "")
            .split(separator: "\n").compactMap { Int($0.split(separator: " ").last ?? "") }
        try #require(acked.count > 50, "the load did not get going: \(acked.count) answers; \(result.stderr)")
        #expect(acked == Array(1...acked.count), "the primary's answers are not 1, 2, 3, ...")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let after = try #require(lines.first { $0.hasPrefix("after total ") }.flatMap { Int($0.dropFirst(12)) },
                                 "no answer from the promoted backup: \(result.stdout) \(result.stderr) \(backupErrors)")
        // Every acknowledged increment is there; at most one more, logged before its answer
        // reached the client.
        #expect(after == acked.count + 1 || after == acked.count + 2, "acknowledged \(acked.count), the backup says \(after)")
        #expect(lines.contains("bye"))
        #expect(lines.last == "backup exit 0", "\(result.stdout) \(backupErrors)")
        #expect(backupErrors.contains("running --promote-command") && backupErrors.contains("promoted:"), "\(backupErrors)")
        #expect(FileManager.default.fileExists(atPath: dir.appending("fenced")))
    }

    /// A primary with no clients for ten times --promote-after: its heartbeats keep the log
    /// growing, and the backup never goes live; the primary's own end ends the replay as recorded.
    @Test func anIdlePrimaryIsNeverTakenForAStoppedOne() throws {
        let dir = TemporaryDirectory()
        let server = try Recording.fixture("counter_server")
        _ = Recording.layer
        let port = String(TestPort.number(4))
        let log = dir.appending("log")
        let script = """
            cd '\(dir.path)'
            '\(Recording.replrec)' -q --heartbeat 0.2 --log-dir '\(log)' -- '\(server)' \(port) > primary.out 2>&1 &
            primary=$!
            for i in $(seq 200); do grep -q listening primary.out 2>/dev/null && break; sleep 0.05; done
            '\(Recording.replplay)' --follow --promote-after 0.5 --status-file status.json '\(log)' > backup.out 2> backup.err &
            backup=$!
            sleep 5
            cat status.json
            bash -c 'exec 3<>/dev/tcp/127.0.0.1/\(port); echo quit >&3; read line <&3; echo "$line"'
            wait $primary; echo "primary exit $?"
            wait $backup; echo "backup exit $?"
            """
        let result = try runProgram("/bin/bash", ["-c", script])
        let backupErrors = (try? String(contentsOfFile: dir.appending("backup.err"), encoding: .utf8)) ?? ""
        #expect(!backupErrors.contains("promoted"), "\(backupErrors)")
        #expect(result.stdout.contains("{\"state\":\"following\","), "\(result.stdout)")
        #expect(result.stdout.contains("bye\nprimary exit 0\nbackup exit 0"), "\(result.stdout) \(backupErrors)")
        let status = try String(contentsOfFile: dir.appending("status.json"), encoding: .utf8)
        #expect(status.contains("\"state\":\"ended\"") && status.contains("\"went_live\":false") && status.contains("\"exit_status\":0"), "\(status)")

        // A --promote-after the primary's heartbeats could not keep up with is refused as usage.
        let tooShort = try runProgram(Recording.replplay, ["--follow", "--promote-after", "0.3", log])
        #expect(tooShort.status == 64 && tooShort.stderr.contains("twice the primary's heartbeat interval (0.20 s)"), "\(tooShort.stderr)")
    }

    /// A --promote-command that fails refuses the promotion: the backup says so and goes on
    /// following; once the command succeeds it goes live.
    @Test func aFailingPromoteCommandHoldsThePromotion() throws {
        let dir = TemporaryDirectory()
        let program = try Recording.fixture("paced_clock")
        _ = Recording.layer
        let log = dir.appending("log")
        let allow = dir.appending("allow")
        let script = """
            cd '\(dir.path)'
            '\(Recording.replrec)' -q --heartbeat 0.2 --log-dir '\(log)' -- '\(program)' 100 > /dev/null 2>&1 &
            primary=$!
            for i in $(seq 500); do [ -d '\(log)' ] && break; sleep 0.02; done
            '\(Recording.replplay)' -q --follow --promote-after 0.5 --promote-command '[ -e \(allow) ] || exit 3' '\(log)' > backup.out 2> backup.err &
            backup=$!
            sleep 0.5
            kill -KILL $primary; wait $primary 2>/dev/null
            sleep 2
            grep -c "promotion refused" backup.err
            touch '\(allow)'
            for i in $(seq 100); do grep -q "promoted:" backup.err && break; sleep 0.05; done
            grep -c "promoted:" backup.err
            kill -KILL $backup; wait $backup 2>/dev/null
            """
        let result = try runProgram("/bin/bash", ["-c", script])
        let backupErrors = (try? String(contentsOfFile: dir.appending("backup.err"), encoding: .utf8)) ?? ""
        let counts = result.stdout.split(separator: "\n").compactMap { Int($0) }
        #expect(counts.count == 2 && counts[0] >= 1 && counts[1] == 1, "\(result.stdout) \(backupErrors)")
        #expect(backupErrors.contains("promotion refused: --promote-command exited with status 3; still following"), "\(backupErrors)")
    }
}

/// A second host for a backup: a network namespace with only its own loopback, made by the test
/// (`ip netns`), so that the backup going live binds its own address and not the primary's.
struct BackupHost {
    let name: String

    init(_ dir: TemporaryDirectory) throws {
        name = "replrec-backup-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let added = try runProgram("/usr/sbin/ip", ["netns", "add", name])
        try #require(added.status == 0, "ip netns add: \(added.stderr)")
        let up = try runProgram("/usr/sbin/ip", ["netns", "exec", name, "ip", "link", "set", "lo", "up"])
        try #require(up.status == 0, "ip link set lo up: \(up.stderr)")
    }

    /// A shell command line that runs `arguments` on this host.
    func run(_ arguments: [String]) -> String {
        (["/usr/sbin/ip", "netns", "exec", name] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
            .joined(separator: " ")
    }

    func remove() {
        _ = try? runProgram("/usr/sbin/ip", ["netns", "delete", name])
    }
}
