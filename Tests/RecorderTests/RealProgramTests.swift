import Foundation
import TestSupport
import Glibc
import LogFormat
import Testing

/// Real programs, recorded: their output is byte-identical to a native run's, and their logs
/// verify. pigz, pbzip2, sqlite3 and redis come from the distribution (.ci/run installs them).
@Suite(.serialized) struct RealProgramTests {
    /// 32 MB of text, the same every time (compressible, but not trivially).
    static let input: String = {
        let path = NSTemporaryDirectory() + "/replrec-input-\(getpid()).txt"
        var state: UInt64 = 0x1234_5678
        var bytes = [UInt8]()
        bytes.reserveCapacity(32 << 20)
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789 ".utf8)
        while bytes.count < 32 << 20 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            bytes.append(alphabet[Int(state >> 59) % alphabet.count])
            if state & 0xFF == 0 { bytes.append(10) }
        }
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }()

    static func tool(_ name: String, in directory: String = "/usr/bin") throws -> String {
        let path = directory + "/" + name
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw ToolMissing(name: name)
        }
        return path
    }

    struct ToolMissing: Error, CustomStringConvertible {
        var name: String
        var description: String { "\(name) is not installed (scripts/setup.sh installs it)" }
    }

    /// Runs `arguments` natively and recorded, both writing to files; returns both outputs.
    static func nativeAndRecorded(_ arguments: [String], stdin: String? = nil) throws -> (native: Data, recorded: Data, log: String, dir: TemporaryDirectory) {
        let dir = TemporaryDirectory()
        let nativeOut = dir.appending("native.out"), recordedOut = dir.appending("recorded.out")
        let shell = { (prefix: String, out: String) -> Recording.Result in
            let command = prefix + arguments.map { "'\($0)'" }.joined(separator: " ")
                + (stdin.map { " < '\($0)'" } ?? "") + " > '\(out)'"
            return try Recording.run("/bin/sh", ["-c", command])
        }
        let native = try shell("", nativeOut)
        #expect(native.status == 0, "\(native.stderr)")
        let log = dir.appending("log")
        let recorded = try shell("'\(Recording.replrec)' -q --log-dir '\(log)' -- ", recordedOut)
        #expect(recorded.status == 0, "\(recorded.stderr)")
        return (try Data(contentsOf: URL(fileURLWithPath: nativeOut)), try Data(contentsOf: URL(fileURLWithPath: recordedOut)), log, dir)
    }

    /// Replays a log with its output to a file; returns the output.
    static func replay(_ log: String, in dir: TemporaryDirectory, stdin: String = "/dev/null") throws -> Data {
        let out = dir.appending("replayed-\(UUID().uuidString).out")
        let result = try Recording.run("/bin/sh", ["-c", "'\(Recording.replplay)' -q '\(log)' < \(stdin) > '\(out)'"])
        #expect(result.status == 0, "\(result.stderr)")
        return try Data(contentsOf: URL(fileURLWithPath: out))
    }

    @Test func pigzOutputIsByteIdentical() throws {
        _ = Recording.layer
        let pigz = try Self.tool("pigz")
        let (native, recorded, log, dir) = try Self.nativeAndRecorded([pigz, "-p", "2", "-c", Self.input])
        #expect(native.count > 1 << 20)
        #expect(native == recorded)
        let summary = withExtendedLifetime(dir) { LogSummary.scan(directory: .init(log), detailed: true) }
        #expect(summary.problem == nil)
        #expect(summary.byKind[.mutexLock, default: 0] > 100)
        #expect(summary.byThread.count >= 3)
        for _ in 1...2 { #expect(try Self.replay(log, in: dir) == native, "pigz replayed to other bytes") }
    }

    @Test func pigzReadingAPipeIsByteIdentical() throws {
        _ = Recording.layer
        let pigz = try Self.tool("pigz")
        // -n: no name and no time stamp in the header (from a pipe pigz would store the time).
        let (native, recorded, log, dir) = try Self.nativeAndRecorded(["/bin/sh", "-c", "cat '\(Self.input)' | \(pigz) -n -p 2"])
        #expect(native == recorded)
        let summary = withExtendedLifetime(dir) { LogSummary.scan(directory: .init(log), detailed: true) }
        #expect(summary.problem == nil)
        #expect(summary.payloadBytes >= 32 << 20, "the piped input is in the log")
        #expect(summary.byProcess.count >= 2)
        // The replay reads nothing real: the pipe's bytes come from the log.
        #expect(try Self.replay(log, in: dir) == native, "piped pigz replayed to other bytes")
    }

    /// Without -n pigz stores its input's modification time, which for a pipe is when it was
    /// last written: the replay must store the recorded one (fstat of a pipe is recorded).
    @Test func pigzStoresThePipesTimeAsRecorded() throws {
        _ = Recording.layer
        let pigz = try Self.tool("pigz")
        // cat writes with write(2); a writer through stdio (head) would block at replay, where the
        // pipe's reader takes its bytes from the log (stdio's own writes are not seen yet).
        let (_, recorded, log, dir) = try Self.nativeAndRecorded(["/bin/sh", "-c", "cat '\(Self.input)' | \(pigz) -p 2"])
        #expect(recorded.count > 1000 && recorded.prefix(2) == Data([0x1F, 0x8B]))
        #expect(recorded[4..<8] != Data([0, 0, 0, 0]), "pigz stored no time")
        sleep(1)  // a pipe made now has another time
        #expect(try Self.replay(log, in: dir) == recorded, "the replayed gzip header differs")
    }

    @Test func pbzip2OutputIsByteIdentical() throws {
        _ = Recording.layer
        let pbzip2 = try Self.tool("pbzip2")
        let (native, recorded, log, dir) = try Self.nativeAndRecorded([pbzip2, "-p2", "-c", Self.input])
        #expect(native.count > 1 << 20)
        #expect(native == recorded)
        #expect(withExtendedLifetime(dir) { LogSummary.scan(directory: .init(log)).problem } == nil)
        #expect(try Self.replay(log, in: dir) == native, "pbzip2 replayed to other bytes")
    }

    /// sqlite3 reads its script from a pipe with stdio and answers with random numbers and the
    /// clock; the replay, whose stdin is /dev/null, prints the same answers.
    @Test func sqlite3ReplaysItsAnswersWithoutItsInput() throws {
        let sqlite = try Self.tool("sqlite3")
        _ = Recording.layer
        let dir = TemporaryDirectory()
        let log = dir.appending("log")
        let script = "create table t(x);\\ninsert into t select random() from generate_series(1, 1000);\\n"
            + "select count(*), sum(x %% 1000000), strftime('%%f', 'now'), hex(randomblob(16)) from t;\\n"
        let recorded = try Recording.run("/bin/sh", ["-c", "printf \"\(script)\" | '\(Recording.replrec)' -q --log-dir '\(log)' -- '\(sqlite)' :memory:"])
        #expect(recorded.status == 0, "\(recorded.stderr)")
        #expect(recorded.stdout.hasPrefix("1000|"), "\(recorded.stdout)")
        let again = try Recording.run("/bin/sh", ["-c", "printf \"\(script)\" | '\(sqlite)' :memory:"])
        #expect(again.stdout != recorded.stdout, "two runs gave the same random answers")
        for _ in 1...3 {
            #expect(try Self.replay(log, in: dir) == Data(recorded.stdout.utf8))
        }
    }

    /// redis-server under redis-benchmark, recorded, then replayed on the same host (its port is
    /// the primary's: bind and listen are only noted at replay). It is stopped with SIGTERM,
    /// which its handler turns into a shutdown, at the same turn in the replay. The dataset the
    /// replay saves is byte-identical to the one the primary saved.
    @Test func redisReplaysToTheSameDataset() throws {
        _ = Recording.layer
        let server = try Self.tool("redis-server"), cli = try Self.tool("redis-cli"), benchmark = try Self.tool("redis-benchmark")
        let dir = TemporaryDirectory()
        let log = dir.appending("log")
        let port = String(TestPort.number(0))
        let recorder = Process()
        recorder.executableURL = URL(fileURLWithPath: try Recording.fixture("unblocked"))  // SIGTERM must reach redis
        recorder.arguments = [Recording.replrec, "-q", "--log-dir", log, "--", server, "--port", port, "--bind", "127.0.0.1",
                              "--save", "", "--appendonly", "no", "--dir", dir.path]
        recorder.standardOutput = FileHandle.nullDevice
        try recorder.run()
        defer { if recorder.isRunning { recorder.terminate() } }
        var ready = false
        for _ in 0..<100 where !ready {
            usleep(100_000)
            ready = (try? Recording.run(cli, ["-p", port, "ping"]))?.stdout.contains("PONG") == true
        }
        try #require(ready, "redis did not start under replrec")
        let load = try Recording.run(benchmark, ["-p", port, "-n", "20000", "-c", "10", "-r", "1000",
                                                 "-t", "set,incr,lpush,sadd", "-q"])
        #expect(load.status == 0)
        #expect(try Recording.run(cli, ["-p", port, "set", "state", "before-shutdown"]).stdout == "OK\n")
        #expect(try Recording.run(cli, ["-p", port, "save"]).stdout == "OK\n")
        recorder.terminate()  // SIGTERM, passed on to redis: its handler shuts it down
        recorder.waitUntilExit()
        #expect(recorder.terminationStatus == 0)
        let summary = LogSummary.scan(directory: .init(log), detailed: true)
        #expect(summary.problem == nil)
        #expect(summary.byKind[.signal, default: 0] >= 1, "the SIGTERM handler's run is not in the log")
        #expect(summary.byKind[.accept, default: 0] >= 10)
        #expect(summary.byKind[.read, default: 0] > 80000)

        let saved = dir.appending("dump.rdb"), primary = dir.appending("primary.rdb")
        try FileManager.default.moveItem(atPath: saved, toPath: primary)
        let replay = try Recording.run(Recording.replplay, ["-q", log])
        #expect(replay.status == 0, "\(replay.stderr)")
        let replayed = try #require(FileManager.default.contents(atPath: saved), "the replay saved no dataset")
        let original = try #require(FileManager.default.contents(atPath: primary))
        #expect(original.count > 10_000)
        #expect(replayed == original, "the replayed server saved another dataset")
    }

    /// A redis hot standby on the primary's host: the backup follows the log, the primary
    /// (recorder and server) is killed with SIGKILL under load, and the backup goes live on the
    /// same port with every key the primary had, and takes new writes. The kill follows the last
    /// answer at once (output commit: what the clients were told is in the log).
    @Test func aRedisBackupGoesLiveWithThePrimarysData() throws {
        let server = try Self.tool("redis-server"), cli = try Self.tool("redis-cli"), benchmark = try Self.tool("redis-benchmark")
        _ = Recording.layer
        let dir = TemporaryDirectory()
        let port = String(TestPort.number(7))
        let script = """
            cd '\(dir.path)'
            '\(Recording.replplay)' --follow --promote-after 1 log > backup.out 2> backup.err &
            backup=$!
            sleep 0.3
            '\(Recording.replrec)' -q --heartbeat 0.25 --log-dir log -- '\(server)' --port \(port) --bind 127.0.0.1 --save '' --appendonly no --dir . > primary.out 2>&1 &
            primary=$!
            for i in $(seq 100); do '\(cli)' -p \(port) ping > /dev/null 2>&1 && break; sleep 0.05; done
            '\(benchmark)' -p \(port) -n 20000 -c 10 -r 1000 -t set,incr -q > /dev/null
            '\(cli)' -p \(port) set state before-kill
            '\(cli)' -p \(port) dbsize
            # The recorder first: killed after its server, it could still write an END record.
            server=$(pgrep -P $primary)
            kill -9 $primary; kill -9 $server
            wait $primary 2>/dev/null
            for i in $(seq 100); do grep -q promoted backup.err && break; sleep 0.05; done
            for i in $(seq 100); do '\(cli)' -p \(port) ping > /dev/null 2>&1 && break; sleep 0.05; done
            '\(cli)' -p \(port) get state
            '\(cli)' -p \(port) dbsize
            '\(cli)' -p \(port) incr after-promotion
            '\(cli)' -p \(port) shutdown nosave
            wait $backup
            echo "backup exit $?"
            """
        let result = try runProgram("/bin/bash", ["-c", script])
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let errors = (try? String(contentsOfFile: dir.appending("backup.err"), encoding: .utf8)) ?? ""
        try #require(lines.count >= 3, "\(result.stdout) \(result.stderr) \(errors)")
        #expect(lines[0] == "OK")
        let keys = lines[1]
        #expect(Int(keys) ?? 0 > 1000, "the primary held \(keys) keys")
        #expect(Array(lines.dropFirst(2)) == ["before-kill", keys, "1", "backup exit 0"], "\(result.stdout) \(errors)")
        #expect(errors.contains("promoted"), "\(errors)")
    }
}
