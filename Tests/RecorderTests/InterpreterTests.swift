import Foundation
import Testing
import TestSupport

/// Interpreters from the distribution running scripts whose output differs natively from run to
/// run (fixtures/interpreters): each records, its log verifies, and two replays print the
/// recorded output with the recorded status. CPython's timed locks and conditions, its subprocess
/// pipelines, a multiprocessing pool terminated mid-map and SQLite in WAL mode written by several
/// processes and threads (file locks); Perl ithreads with Thread::Queue.
@Suite struct InterpreterTests {
    struct Script: Sendable, CustomStringConvertible {
        var interpreter: String
        var file: String
        /// Lines that begin the same in every run.
        var stable: [String]
        /// Whether the script kills processes that may hold a sequence number when they die.
        var mayLoseANumber = false
        /// Whether the program shares memory that it reads without a lock, which no call orders:
        /// a replay may then diverge, and must say so (SQLite's WAL index).
        var mayDiverge = false
        var description: String { file }
    }

    static let scripts = [
        Script(interpreter: "/usr/bin/python3", file: "timed_locks.py", stable: ["events 104\n", "timed out ", "order ", "clock "]),
        Script(interpreter: "/usr/bin/python3", file: "pipelines.py", stable: ["shuffled ", "nanoseconds ", "status 7 statuses 0 0\n"]),
        Script(interpreter: "/usr/bin/python3", file: "pool.py", stable: ["sum ", "terminated, ready: False pid "], mayLoseANumber: true),
        Script(interpreter: "/usr/bin/python3", file: "sqlite_wal.py", stable: ["statuses 0 0\n", "rows 240\n", "order ", "first "],
               mayDiverge: true),
        Script(interpreter: "/usr/bin/perl", file: "queue.pl", stable: ["results 300\n", "sum ", "first ", "time "]),
    ]

    @Test(arguments: scripts)
    func aScriptReplaysExactly(_ script: Script) throws {
        try #require(FileManager.default.isExecutableFile(atPath: script.interpreter), "\(script.interpreter) is not installed (.ci/run installs it)")
        let dir = TemporaryDirectory()
        let path = Recording.root + "/fixtures/interpreters/" + script.file
        // Through `unblocked`: the test runner blocks SIGTERM and SIGPIPE, and children inherit that.
        let (recorded, log) = try Recording.record([try Recording.fixture("unblocked"), script.interpreter, path], in: dir)
        #expect(recorded.status == 0, "\(recorded.stderr)")
        var rest = Substring(recorded.stdout)
        for line in script.stable {
            #expect(rest.hasPrefix(line), "\(script.file) printed \(recorded.stdout)")
            rest = rest.drop { $0 != "\n" }.dropFirst()
        }
        let verified = try runProgram(Recording.logtool, ["verify", log])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        // Only a script that kills its processes may leave a number lost by a dead worker (a
        // SIGKILL; terminate()'s SIGTERM waits until the worker leaves the layer).
        #expect(script.mayLoseANumber || !verified.stdout.contains(" died in "), "\(verified.stdout)")
        for run in 1...2 {
            let replayed = try runProgram(Recording.replplay, ["-q", "--watchdog", "10", log])
            if script.mayDiverge && replayed.status == 120 {
                // At the call that differs, or, when the other path waits for a turn that never
                // comes (a lock the log holds for a thread now elsewhere), by the watchdog.
                #expect(replayed.stderr.contains("divergence: sequence ") || replayed.stderr.contains("divergence: no progress for "),
                        "replay \(run) of \(script.file): \(replayed.stderr)")
                continue
            }
            #expect(replayed.status == 0, "replay \(run) of \(script.file): \(replayed.stderr)")
            #expect(replayed.stdout == recorded.stdout, "replay \(run) of \(script.file)")
        }
    }
}
