import Foundation
import Glibc
import Testing
import TestSupport

/// The road from a failing recording to the racing line, with gdb and the replrec extension:
/// the check-then-act race of fixtures/programs/bank.c, recorded until it overdraws, replayed
/// under `replplay --gdb` in batch mode.
@Suite(.serialized) struct DebuggingTests {
    /// Records the bank until a run overdraws: 20 runs of 30 on an otherwise idle machine, yet
    /// none of 60 once under the load of a whole test run. Every other attempt uses --chaos,
    /// which perturbs the threads at their calls.
    static func failingRecording(in dir: TemporaryDirectory) throws -> String {
        let bank = try Recording.fixture("bank", flags: ["-g"])
        for attempt in 1...60 {
            let log = dir.appending("log-\(attempt)")
            let recorded = try runProgram(Recording.replrec, ["-q", "--log-dir", log] + (attempt % 2 == 0 ? ["--chaos"] : []) + ["--", bank])
            if recorded.status == 1 {
                #expect(recorded.stdout.hasPrefix("overdrawn: balance -"), "\(recorded.stdout)")
                return log
            }
        }
        Issue.record("60 recordings of the bank and none overdrew")
        throw CancellationError()
    }

    static func gdb(_ script: String, log: String, in dir: TemporaryDirectory, extra: [String] = []) throws -> ProgramResult {
        let file = dir.appending("script-\(UUID().uuidString).gdb")
        try script.write(toFile: file, atomically: true, encoding: .utf8)
        return try runProgram(Recording.replplay, ["-q", "--gdb", "--gdb-script", file] + extra + [log])
    }

    /// gdb's `$N = value` lines, in order.
    static func printed(_ output: String) -> [String] {
        output.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("$"), let equals = line.range(of: " = ") else { return nil }
            return String(line[equals.upperBound...])
        }
    }

    @Test func fromAFailingRecordingToTheRacingEvent() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/gdb"), "needs gdb (.ci/run installs it)")
        let dir = TemporaryDirectory()
        let log = try Self.failingRecording(in: dir)

        // Walk every event, reading the shared variables at each: the race is the event after
        // which the account is first overdrawn.
        let walk = try Self.gdb("""
            python
            race = None
            previous = None
            for _ in range(5000):
                try:
                    gdb.execute("replrec next any", to_string=True)
                except gdb.error:
                    break
                if int(gdb.parse_and_eval("overdrawn_at")) != -1:
                    race = previous
                    break
                previous = (last_event, int(gdb.parse_and_eval("balance")))
            print("race: event %d, balance %d" % race if race else "race: none")
            end
            kill
            """, log: log, in: dir)
        let line = try #require(walk.stdout.split(separator: "\n").first { $0.hasPrefix("race: event ") },
                                "\(walk.stdout)\(walk.stderr)")
        let words = line.split(separator: " ")
        let event = try #require(UInt64(words[2].dropLast()))
        #expect(words.last == "0", "the racing withdrawal starts from an empty account: \(line)")

        // A new replay goes straight to it and reads the balance, goes back to an earlier event
        // (the log replayed again to it, gdb attached to the new process) and forward again to
        // the same state, sits 15 s at the breakpoint (longer than the 10 s watchdog) and
        // continues to the failure the recording saw.
        let started = Date()
        let visit = try Self.gdb("""
            replrec goto \(event)
            print balance
            replrec goto 6
            replrec goto \(event)
            replrec where
            print balance
            print overdrawn_at
            shell sleep 15
            continue
            """, log: log, in: dir)
        let values = Self.printed(visit.stdout)
        #expect(values == ["0", "0", "-1"], "\(visit.stdout)")
        #expect(visit.stdout.contains("replrec: replayed again to event 6"), "\(visit.stdout)")
        #expect(visit.stdout.contains("replrec: next event \(event): mutex_lock"), "\(visit.stdout)")
        #expect(visit.stdout.contains("overdrawn: balance -"), "\(visit.stdout)")
        #expect(visit.status == 1, "the replay ends as recorded (exit 1): \(visit.status) \(visit.stderr)")
        #expect(!visit.stderr.contains("divergence"), "\(visit.stderr)")
        #expect(visit.stderr.contains("replplay: stopped before sequence \(event): mutex_lock on 0x"), "\(visit.stderr)")
        #expect(Date().timeIntervalSince(started) >= 15)
    }

    /// Stops are named on replplay's own standard error with the kind and the pid, several are
    /// taken in order (a sequence number, then the next event of a logical thread), and one past
    /// the end says so.
    @Test func stopsAreNamedAndTakenInOrder() throws {
        let dir = TemporaryDirectory()
        let (recorded, log) = try Recording.record([try Recording.fixture("prodcons")], in: dir)
        #expect(recorded.status == 0)
        let unblocked = try Recording.fixture("unblocked")
        // The program moves its fd 2 nowhere here, but replplay's messages never go through it.
        let replay = try RunningProgram(unblocked, [Recording.replplay, "-q", "--stop-at", "100", "--stop-at", "0:0",
                                                    "--stop-at", "999999999", log])
        var said = ""
        for expected in 1...2 {
            replay.readStandardError(into: &said) { $0.components(separatedBy: "replplay: stopped before").count > expected }
            let pid = try #require(said.split(separator: "\n").last { $0.contains("attach: gdb -p ") }
                .flatMap { $0.split(separator: " ")[4...].first.flatMap { pid_t($0) } }, "\(said)")
            usleep(100_000)
            kill(pid, SIGCONT)
        }
        let result = replay.finish()
        said += result.stderr
        #expect(result.status == 0, "\(said)")
        #expect(said.contains("replplay: stopped before sequence 100: "), "\(said)")
        #expect(said.contains("by logical thread 0:0, pid "), "the second stop is the main thread's next event: \(said)")
        #expect(said.contains("--stop-at sequence 999999999 was not reached: the replay ended after sequence"), "\(said)")
    }
}

/// logtool dump reads like strace: names for errno values, signals and clocks, wait statuses,
/// times; --tid in the P:T form it prints; --limit; JSON with the raw and the decoded fields.
@Suite struct DumpDecodingTests {
    @Test func dumpDecodesAndFilters() throws {
        let dir = TemporaryDirectory()
        let (recorded, log) = try Recording.record([try Recording.fixture("fork_workers")], in: dir)
        #expect(recorded.status == 3)
        let waits = try runProgram(Recording.logtool, ["dump", log, "--kind", "wait"])
        let exits = waits.stdout.split(separator: "\n").filter { $0.contains(" -- pid ") && $0.contains(" exited ") }
        #expect(exits.count == 4, "\(waits.stdout)")
        let first = try runProgram(Recording.logtool, ["dump", log, "--tid", "0:0", "--limit", "2"])
        let lines = first.stdout.split(separator: "\n")
        #expect(lines.count == 2 && lines.allSatisfy { $0.split(separator: " ")[1] == "0:0" }, "\(first.stdout)")
        #expect(lines[0].hasSuffix("errno=25 ENOTTY"), "isatty of a pipe: \(lines[0])")
        let clocks = try runProgram(Recording.logtool, ["dump", log, "--kind", "clock_gettime", "--limit", "1", "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(clocks.stdout.utf8)) as? [String: Any])
        #expect((object["decoded"] as? String)?.hasPrefix("CLOCK_") == true, "\(clocks.stdout)")
        #expect(object["payload_preview_hex"] is String && object["resource"] is Int, "the raw fields stay: \(clocks.stdout)")
        let bad = try runProgram(Recording.logtool, ["dump", log, "--tid", "0:x"])
        #expect(bad.status == 64)

        // A lock in the program's own data is named by its symbol.
        let bankDirectory = TemporaryDirectory()
        let bank = try Recording.record([try Recording.fixture("bank"), "2"], in: bankDirectory)
        let locks = try runProgram(Recording.logtool, ["dump", bank.log, "--kind", "mutex_lock", "--limit", "3"])
        let named = locks.stdout.split(separator: "\n")
        #expect(named.count == 3 && named.allSatisfy { $0.contains(" <lock> ret=") }, "\(locks.stdout)")
    }
}

/// A picture of who ran when: `logtool timeline` as SVG (rendered by rsvg-convert) with one lane
/// per logical thread, one mark per event and the lock's hand-offs, and as Chrome trace events
/// with one track per thread.
@Suite struct TimelineTests {
    @Test func theTimelineDrawsEveryThreadAndEvent() throws {
        let dir = TemporaryDirectory()
        let (recorded, log) = try Recording.record([try Recording.fixture("bank"), "8"], in: dir)
        #expect([0, 1].contains(recorded.status))
        let contents = try LogContents(log)
        let svg = dir.appending("run.svg"), json = dir.appending("run.json"), png = dir.appending("run.png")
        #expect(try runProgram(Recording.logtool, ["timeline", log, "-o", svg]).status == 0)
        #expect(try runProgram(Recording.logtool, ["timeline", log, "-o", json]).status == 0)

        let picture = try String(contentsOfFile: svg, encoding: .utf8)
        #expect(picture.components(separatedBy: "class=\"lane\"").count - 1 == contents.threads.count)
        for thread in contents.threads { #expect(picture.contains("data-thread=\"\(thread)\""), "\(thread)") }
        #expect(picture.components(separatedBy: "class=\"event\"").count - 1 == contents.messages.count)
        #expect(picture.contains("class=\"handoff\""), "two tellers hand the lock back and forth")
        let rendered = try runProgram("/usr/bin/rsvg-convert", [svg, "-o", png])
        #expect(rendered.status == 0, "\(rendered.stderr)")
        let size = (try? FileManager.default.attributesOfItem(atPath: png)[.size] as? Int) ?? 0
        #expect(size > 1000, "the PNG is \(size) bytes")

        let trace = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        let events = try #require(trace["traceEvents"] as? [[String: Any]])
        let names = events.filter { $0["name"] as? String == "thread_name" }
        #expect(names.count == contents.threads.count)
        #expect(events.filter { $0["ph"] as? String == "X" }.count == contents.messages.count)
        let tracks = Set(events.filter { $0["ph"] as? String == "X" }.map { "\($0["pid"] as? Int ?? -1):\($0["tid"] as? Int ?? -1)" })
        #expect(tracks == contents.threads)

        let bad = try runProgram(Recording.logtool, ["timeline", log, "-o", dir.appending("run.txt")])
        #expect(bad.status == 64)
    }
}

/// replrec --chaos perturbs the recorded run only: what it recorded replays exactly.
@Suite struct ChaosTests {
    @Test func aChaosRecordingReplaysExactly() throws {
        let bank = try Recording.fixture("bank")
        for _ in 0..<3 {
            let dir = TemporaryDirectory()
            let (recorded, log) = try Recording.record([bank, "20"], in: dir, extra: ["-q", "--chaos"])
            #expect([0, 1].contains(recorded.status), "\(recorded.stderr)")
            let replayed = try runProgram(Recording.replplay, ["-q", log])
            #expect(replayed.status == recorded.status && replayed.stdout == recorded.stdout, "\(replayed.stderr)")
        }
    }
}

/// --stop-on-divergence keeps the diverged processes stopped for a debugger, says which to
/// attach to, and waits until they are ended; the replay is still a divergence.
@Suite struct StopOnDivergenceTests {
    @Test func aDivergedProcessIsKeptStopped() throws {
        let dir = TemporaryDirectory()
        let (recorded, log) = try Recording.record(["/bin/echo", "hello"], in: dir)
        #expect(recorded.status == 0)
        let unblocked = try Recording.fixture("unblocked")
        let replay = try RunningProgram(unblocked, [Recording.replplay, "-q", "--stop-on-divergence", log, "--", "/bin/echo", "bye"])
        var said = ""
        replay.readStandardError(into: &said) { $0.contains("replplay waits until") }
        #expect(said.contains("divergence: sequence "), "\(said)")
        let words = said.split(separator: " ")
        let pid = try #require(words.firstIndex(of: "-p").flatMap { pid_t(words[$0 + 1]) }, "\(said)")
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        #expect(stat.contains(") T "), "the diverged process is not stopped: \(stat)")
        kill(pid, SIGKILL)
        let result = replay.finish()
        #expect(result.status == 120, "\(result.status): \(said)\(result.stderr)")
        #expect(!result.stdout.contains("bye"), "the other bytes reached the output")
    }
}
