import Foundation
import Glibc
import LogFormat
import Testing
import TestSupport

/// PostgreSQL, recorded as one shell script: initdb, a server on a Unix socket or on TCP, psql
/// queries whose answers differ from run to run (`random()`, `now()`, `clock_timestamp()`), a
/// table created, filled and summed, and a fast shutdown with pg_ctl. postgres comes from the
/// distribution (.ci/run installs it).
///
/// Its processes also synchronise through locks made of atomics in shared memory (LWLocks,
/// spinlocks), which the layer cannot see: a replayed backend may find such a lock taken where
/// the recorded one did not, and then waits on its semaphore (or wakes a waiter) in a call the
/// log does not hold. So a replay either prints the recorded output with the recorded status, or
/// stops at once with a divergence naming the sequence number and the call (or the write whose
/// bytes differ); in both cases no
/// process of the tree is left. A stall until the watchdog is neither, and fails.
///
/// postgres refuses to run as root, and the tests run as root in CI: there, the tools, the
/// scenario and the log are made readable for `nobody`, and everything (replrec, replplay) runs
/// as nobody through runuser; the user is switched outside the recording, which must not cross it.
@Suite(.serialized) struct PostgresTests {
    /// The recorded command. Arguments: postgres's bin directory, a directory for the scenario's
    /// own temporary directory, unix or tcp, the port, and a marker file: when it holds a line (a
    /// regular file's content is not recorded), the script runs one more psql, so a replay
    /// diverges while the server runs. Its existence alone would not do: a look-up returns the
    /// recorded result.
    static let scenario = #"""
        #!/bin/bash
        set -u
        bin=$1; root=$2; mode=$3; port=$4; marker=$5
        work=$(mktemp -d "$root/pg.XXXXXX"); data=$work/data; sock=$work/sock
        mkdir "$sock"
        "$bin/initdb" -D "$data" -U postgres --auth=trust --no-sync -E UTF8 --locale=C >"$work/initdb.log" 2>&1 || { echo "initdb failed"; cat "$work/initdb.log"; exit 3; }
        if [ "$mode" = tcp ]; then opts=(-c listen_addresses=127.0.0.1); conn=(-h 127.0.0.1 -p "$port")
        else opts=(-c listen_addresses=); conn=(-h "$sock" -p "$port"); fi
        "$bin/postgres" -D "$data" -k "$sock" -p "$port" "${opts[@]}" -c fsync=off >"$work/server.log" 2>&1 &
        pm=$!
        ready=no
        for i in $(seq 1 100); do
          if "$bin/pg_isready" -q "${conn[@]}" -U postgres; then ready=yes; break; fi
          sleep 0.1
        done
        echo "ready: $ready"
        q() { "$bin/psql" -X -q -A -t "${conn[@]}" -U postgres -d postgres -v ON_ERROR_STOP=1 -c "$1"; }
        read -r extra 2>/dev/null <"$marker" && q "select 1" >/dev/null
        q "select random() between 0 and 1, now() <= clock_timestamp()"
        q "create table t(id int primary key, v double precision, at timestamptz default now())"
        q "insert into t select g, random(), clock_timestamp() from generate_series(1, 100) g"
        q "select count(*), sum(id), avg(v) between 0 and 1, max(at) >= min(at) from t"
        q "select random(), now(), clock_timestamp()"
        q "select avg(v), max(at) - min(at) from t"
        "$bin/pg_ctl" -D "$data" stop -m fast -w >/dev/null 2>&1; stopped=$?
        wait $pm; ended=$?
        echo "stop: $stopped postmaster: $ended"
        rm -rf "$work"
        """#

    /// The newest /usr/lib/postgresql/N/bin that holds postgres.
    static func binaries() throws -> String {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        guard let newest = versions.last(where: { FileManager.default.isExecutableFile(atPath: "\(root)/\($0)/bin/postgres") }) else {
            throw RealProgramTests.ToolMissing(name: "postgresql")
        }
        return "\(root)/\(newest)/bin"
    }

    /// Where one test runs: a directory the user can reach, the tools it runs them with, and the
    /// command prefix that runs a program as that user with no signal blocked (pg_ctl's SIGINT
    /// must reach the postmaster; the test runner blocks signals in its children).
    final class Setup {
        let directory: TemporaryDirectory
        let bin: String
        let user: String
        let uid: uid_t
        let prefix: [String]
        let replrec: String, replplay: String
        let started = Date()

        init() throws {
            let directory = TemporaryDirectory("replrec-pg")
            let bin = try PostgresTests.binaries()
            _ = Recording.layer
            chmod(directory.path, 0o755)
            let unblocked = try Recording.fixture("unblocked")
            if geteuid() == 0 {
                // The products directory may be out of nobody's reach (/root): the tools go
                // into the test's directory, with the layer next to them, where they find it.
                let tools = directory.appending("tools")
                try FileManager.default.createDirectory(atPath: tools, withIntermediateDirectories: false)
                for name in ["replrec", "replplay"] {
                    try FileManager.default.copyItem(atPath: Recording.products + "/" + name, toPath: tools + "/" + name)
                }
                try FileManager.default.copyItem(atPath: Recording.layer, toPath: tools + "/libreplintercept.so")
                chmod(tools, 0o755)
                guard let entry = getpwnam("nobody") else { throw RealProgramTests.ToolMissing(name: "the user nobody") }
                let runuser = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"].first { FileManager.default.isExecutableFile(atPath: $0) }
                guard let runuser else { throw RealProgramTests.ToolMissing(name: "runuser") }
                replrec = tools + "/replrec"
                replplay = tools + "/replplay"
                user = "nobody"
                uid = entry.pointee.pw_uid
                prefix = [unblocked, runuser, "-u", "nobody", "--"]
            } else {
                replrec = Recording.replrec
                replplay = Recording.replplay
                user = String(cString: getpwuid(geteuid()).pointee.pw_name)
                uid = geteuid()
                prefix = [unblocked]
            }
            let runs = directory.appending("runs")
            try FileManager.default.createDirectory(atPath: runs, withIntermediateDirectories: false)
            chmod(runs, 0o777)
            let script = directory.appending("scenario.sh")
            try PostgresTests.scenario.write(toFile: script, atomically: false, encoding: .utf8)
            chmod(script, 0o755)
            self.directory = directory
            self.bin = bin
        }

        var runs: String { directory.appending("runs") }
        var marker: String { directory.appending("marker") }

        /// Runs `arguments` as the user, under `timeout` so that a hang fails instead of stalling
        /// the suite; returns the result and how long it took.
        func run(_ arguments: [String]) throws -> (result: ProgramResult, seconds: Double) {
            let start = Date()
            let result = try runProgram(prefix[0], Array(prefix.dropFirst()) + ["/usr/bin/timeout", "120"] + arguments)
            return (result, Date().timeIntervalSince(start))
        }

        func record(_ mode: String, port: Int) throws -> (result: ProgramResult, log: String) {
            let log = runs + "/log-" + mode
            let (result, _) = try run([replrec, "-q", "--log-dir", log, "--", directory.appending("scenario.sh"), bin, runs, mode,
                                       String(port), marker])
            return (result, log)
        }

        func replay(_ log: String) throws -> (result: ProgramResult, seconds: Double) {
            defer { cleanAfterReplay() }
            return try run([replplay, "--watchdog", "10", log])
        }

        /// The processes of the scenario still there: postgres's programs run by the user, and
        /// anything working inside the test's directory.
        func leftovers() -> [String] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
            return names.filter { Int32($0) != nil }.compactMap { (pid: String) -> String? in
                guard let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe") else { return nil }
                let cwd = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd")) ?? ""
                var status = stat()
                let owner = stat("/proc/\(pid)", &status) == 0 ? status.st_uid : uid_t.max
                if exe.hasPrefix(bin + "/") && owner == uid { return "\(pid) \(exe)" }
                if cwd.hasPrefix(directory.path + "/") { return "\(pid) \(exe) in \(cwd)" }
                return nil
            }
        }

        /// What a replay that was stopped leaves: the scenario's directory (a later replay would
        /// meet it where the recording made a fresh one), the server's System V segment (its id
        /// is on the last line of postmaster.pid: "key id") and its shared memory files.
        func cleanAfterReplay() {
            let fm = FileManager.default
            for name in (try? fm.contentsOfDirectory(atPath: runs)) ?? [] where name.hasPrefix("pg.") {
                let pidFile = runs + "/" + name + "/data/postmaster.pid"
                let lines = ((try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? "").split(separator: "\n")
                if lines.count >= 7, let id = lines[6].split(separator: " ").last.flatMap({ Int32($0) }) {
                    _ = shmctl(id, IPC_RMID, nil)
                }
                try? fm.removeItem(atPath: runs + "/" + name)
            }
            for name in (try? fm.contentsOfDirectory(atPath: "/dev/shm")) ?? [] where name.hasPrefix("PostgreSQL.") {
                var status = stat()
                guard stat("/dev/shm/" + name, &status) == 0, status.st_uid == uid,
                      Double(status.st_mtim.tv_sec) >= started.timeIntervalSince1970 - 1 else { continue }
                unlink("/dev/shm/" + name)
            }
        }
    }

    /// A replay either matches the recording or stops promptly with a divergence report that
    /// names the sequence number and the call, or the write whose bytes differ (postgres writes
    /// its data directory's path into postmaster.pid, and each replay runs in a directory of its
    /// own); nothing of the tree is left either way.
    static func expectMatchesOrDivergesPromptly(_ replay: (result: ProgramResult, seconds: Double), recorded: ProgramResult,
                                                 in setup: Setup, _ label: String) {
        let (result, seconds) = replay
        let left = setup.leftovers()
        #expect(left.isEmpty, "\(label): processes left after the replay: \(left)")
        if result.status == 0 && result.stdout == recorded.stdout { return }
        #expect(result.status == 120, "\(label): status \(result.status): \(result.stderr)")
        #expect(result.stderr.range(of: #"divergence: sequence [0-9]+, .*(expected .*, observed |other output at fd [0-9]+ \()"#,
                                    options: .regularExpression) != nil,
                "\(label): not a divergence at a call or its output: \(result.stderr)")
        #expect(seconds < 10, "\(label): the divergence took \(seconds) s (the watchdog's, not a prompt report)")
    }

    func recordAndReplay(_ mode: String, port: Int) throws {
        let setup = try Setup()
        let (recorded, log) = try setup.record(mode, port: port)
        #expect(recorded.status == 0, "\(mode): \(recorded.stderr)")
        for line in ["ready: yes", "t|t", "100|5050|t|t", "stop: 0 postmaster: 0"] {
            #expect(recorded.stdout.split(separator: "\n").contains { $0 == line }, "\(mode): no '\(line)' in \(recorded.stdout)")
        }
        #expect(setup.leftovers().isEmpty, "\(mode): processes left after the recording: \(setup.leftovers())")
        let summary = LogSummary.scan(directory: .init(log), detailed: true)
        #expect(summary.problem == nil, "\(String(describing: summary.problem))")
        #expect(summary.byKind[MessageKind(name: "fork")!, default: 0] > 20, "initdb, the server and psql fork")
        #expect(summary.byKind[MessageKind(name: "accept")!, default: 0] >= 6, "one connection per psql and pg_isready")
        #expect(summary.byKind[MessageKind(name: "signal")!, default: 0] >= 1, "the shutdown's signals are not in the log")

        for run in 1...2 {
            Self.expectMatchesOrDivergesPromptly(try setup.replay(log), recorded: recorded, in: setup, "\(mode) replay \(run)")
        }

        // The replayed script takes another path while the server runs: the whole tree goes.
        FileManager.default.createFile(atPath: setup.marker, contents: Data("more\n".utf8))
        defer { unlink(setup.marker) }
        let (diverged, seconds) = try setup.replay(log)
        #expect(diverged.status == 120, "\(mode): \(diverged.stderr)")
        #expect(diverged.stderr.contains("divergence: sequence "), "\(diverged.stderr)")
        #expect(seconds < 10, "the divergence took \(seconds) s")
        #expect(setup.leftovers().isEmpty, "\(mode): processes left after the divergence: \(setup.leftovers())")
    }

    @Test func overAUnixSocket() throws {
        try recordAndReplay("unix", port: TestPort.number(11))
    }

    @Test func overTCP() throws {
        try recordAndReplay("tcp", port: TestPort.number(12))
    }
}
