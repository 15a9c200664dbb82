import Foundation
import Glibc
import LogFormat
import SystemPackage
import Testing
import TestSupport

/// The tools under faults. The recorder's log: a full disk, a directory removed, renamed or made
/// read-only while it writes, a second recorder on the same directory; each is reported at once
/// with where it happened (file, offset, errno), the program is stopped (fail-stop), replrec
/// exits 125, and the log verifies up to the failure. The replayer's: damage after the last
/// message, a huge declared payload, a full table, a killed tool, a divergence in a tree of
/// processes. Nothing hangs, nothing is left behind.
@Suite(.serialized) struct RecorderFaultTests {
    /// A real full disk: a 2 MiB tmpfs, mounted by the test (CI runs as root).
    @Test func aFullDiskStopsTheProgramAndKeepsWhatWasWritten() throws {
        try #require(geteuid() == 0, "needs root to mount a tmpfs (CI runs as root)")
        let dir = TemporaryDirectory()
        let mount = dir.appending("small")
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        let mounted = try runProgram("/bin/mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", mount])
        try #require(mounted.status == 0, "\(mounted.stderr)")
        defer { _ = try? runProgram("/bin/umount", [mount]) }
        let input = dir.appending("input")
        _ = try runProgram("/bin/sh", ["-c", "head -c 20000000 /dev/urandom > '\(input)'"])
        let log = mount + "/log"
        let started = Date()
        // pigz reads the input through a pipe: every read's bytes go into the log.
        let recorded = try runProgram(Recording.replrec, ["-q", "--log-dir", log, "--", "/bin/sh", "-c",
                                                          "cat '\(input)' | pigz -p 2 > /dev/null"])
        #expect(Date().timeIntervalSince(started) < 20, "replrec took \(Date().timeIntervalSince(started)) s")
        #expect(recorded.status == 125, "\(recorded.status): \(recorded.stderr)")
        let report = recorded.stderr
        #expect(report.contains("the log could not be written") && report.contains("No space left on device"), "\(report)")
        #expect(report.contains("file \(log)/seg-") && report.contains(", offset "), "the report names where: \(report)")
        #expect(report.contains("stopping the program (fail-stop)"), "\(report)")
        let verified = try runProgram(Recording.logtool, ["verify", log])
        #expect(verified.status == 3, "a torn tail at most: \(verified.status) \(verified.stdout)\(verified.stderr)")
        #expect(verified.stderr.contains("messages verified before the problem"), "\(verified.stderr)")
        #expect(try runProgram("/usr/bin/pgrep", ["-f", input]).status == 1, "a process of the program is left")
    }

    /// The directory removed, or renamed, while the program runs: writes into the removed file
    /// would succeed and be lost, so the recorder notices within about a second.
    @Test(arguments: ["remove", "rename"])
    func aLogDirectoryThatGoesAwayStopsTheProgram(_ fault: String) throws {
        let dir = TemporaryDirectory()
        let log = dir.appending("log")
        let program = try Recording.fixture("paced_clock")
        let recording = try RunningProgram(Recording.replrec, ["-q", "--log-dir", log, "--", program, "20"])
        while !FileManager.default.fileExists(atPath: log) { usleep(10_000) }
        usleep(300_000)
        let faulted = Date()
        if fault == "remove" {
            try FileManager.default.removeItem(atPath: log)
        } else {
            try FileManager.default.moveItem(atPath: log, toPath: dir.appending("moved"))
        }
        let result = recording.finish()
        let seconds = Date().timeIntervalSince(faulted)
        #expect(result.status == 125, "\(result.status): \(result.stderr)")
        #expect(seconds < 3, "fail-stop took \(seconds) s")
        #expect(result.stderr.contains(fault == "remove" ? "the segment file was removed" : "was renamed, removed or replaced"),
                "\(result.stderr)")
        if fault == "rename" {
            let verified = try runProgram(Recording.logtool, ["verify", dir.appending("moved")])
            #expect([0, 2, 3].contains(verified.status), "\(verified.status): \(verified.stderr)")
        }
    }

    /// The log directory made read-only under an unprivileged recorder (root writes through the
    /// mode): the next segment cannot be created, and that is a write failure like any other.
    @Test func aLogDirectoryMadeReadOnlyStopsTheProgram() throws {
        try #require(geteuid() == 0, "needs root to make a user to record as (CI runs as root)")
        let user = "replrec-other"
        _ = try runProgram("/usr/sbin/useradd", ["--system", "--no-create-home", user])
        let dir = TemporaryDirectory()
        let parent = dir.appending("writable")
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        #expect(chmod(dir.path, 0o755) == 0 && chmod(parent, 0o777) == 0)
        let log = parent + "/log"
        let program = try Recording.fixture("clocks_random")
        let recording = try RunningProgram("/usr/bin/setpriv", ["--reuid", user, "--regid", user, "--clear-groups",
                                                                Recording.replrec, "-q", "--log-dir", log,
                                                                "--segment-size", "65536", "--", "/bin/sh", "-c",
                                                                "while :; do '\(program)' > /dev/null; done"])
        while !FileManager.default.fileExists(atPath: log) { usleep(10_000) }
        usleep(300_000)
        let faulted = Date()
        #expect(chmod(log, 0o555) == 0)
        let result = recording.finish()
        let seconds = Date().timeIntervalSince(faulted)
        #expect(result.status == 125, "\(result.status): \(result.stderr)")
        #expect(seconds < 3, "fail-stop took \(seconds) s")
        #expect(result.stderr.contains("Permission denied") && result.stderr.contains(log), "\(result.stderr)")
        #expect(result.stderr.contains("stopping the program (fail-stop)"), "\(result.stderr)")
        let verified = try runProgram(Recording.logtool, ["verify", log])
        #expect([0, 2, 3].contains(verified.status), "\(verified.status): \(verified.stdout)\(verified.stderr)")
    }

    /// A crafted log, a few hundred KiB, declares a 2 GiB payload for a read into a 16-byte
    /// buffer (fixtures/programs/short_read.c): replplay streams it, so it neither holds it nor
    /// hands it over; the layer refuses it as damage (121) naming the sequence number.
    @Test func aHugeDeclaredPayloadCostsNoMemory() throws {
        let dir = TemporaryDirectory()
        let program = try Recording.fixture("short_read")
        let log = dir.appending("log")
        let recorded = try runProgram("/bin/sh", ["-c", "printf 'twelve bytes' | '\(Recording.replrec)' -q --log-dir '\(log)' -- '\(program)'"])
        #expect(recorded.status == 0, "\(recorded.stderr)")
        let contents = try LogContents(log)
        let read = try #require(contents.messages.first { $0.kind == .read && $0.result == 12 })
        let size = 2 << 30
        let crafted = dir.appending("crafted")
        let writer = try LogWriter(directory: FilePath(crafted), recording: try #require(contents.recording),
                                   options: LogWriter.Options(codec: .zstd))
        for message in contents.messages {
            guard message.sequence == read.sequence else { try writer.append(message); continue }
            try writer.append(sequence: message.sequence, process: message.process, thread: message.thread,
                              kind: message.kind, resource: message.resource, result: Int64(size),
                              errno: 0, payloadSize: size) { $0.initializeMemory(as: UInt8.self, repeating: 0x41) }
        }
        try writer.finish(exitStatus: 0)
        let logBytes = try FileManager.default.contentsOfDirectory(atPath: crafted).reduce(0) {
            $0 + ((try? FileManager.default.attributesOfItem(atPath: crafted + "/" + $1)[.size] as? Int) ?? 0)
        }
        #expect(logBytes < 4 << 20, "the crafted log is \(logBytes) bytes")

        let (replayed, peakKiB) = try RunningProgram(Recording.replplay, ["-q", crafted]).finishWatchingPeakMemory()
        #expect(replayed.status == 121, "\(replayed.status): \(replayed.stderr)")
        #expect(replayed.stderr.contains("sequence \(read.sequence)") && replayed.stderr.contains("\(size) bytes"), "\(replayed.stderr)")
        #expect(!replayed.stdout.contains("AAAA"), "the program was handed the crafted bytes")
        #expect(peakKiB > 0 && peakKiB < 64 << 10, "replplay peaked at \(peakKiB) KiB")
    }

    /// A table at replay that cannot take one more entry stops the replay loudly: 1100 bound
    /// sockets at once (fixtures/programs/many_sockets.c) record, and their replay is refused
    /// by name, never left with sockets that would not be bound once live.
    @Test func aFullTableAtReplayStopsItByName() throws {
        let dir = TemporaryDirectory()
        let (recorded, log) = try Recording.record([try Recording.fixture("many_sockets")], in: dir)
        #expect(recorded.status == 0 && recorded.stdout == "bound 1100\n", "\(recorded.stderr)")
        let replayed = try runProgram(Recording.replplay, ["-q", log])
        #expect(replayed.status == 120, "\(replayed.status): \(replayed.stderr)")
        #expect(replayed.stderr.contains("more than 1024 sockets bound at once in one process"), "\(replayed.stderr)")
        #expect(!replayed.stdout.contains("bound"), "\(replayed.stdout)")
        let fewerDirectory = TemporaryDirectory()
        let fewer = try Recording.record([try Recording.fixture("many_sockets"), "1000"], in: fewerDirectory)
        #expect(fewer.result.status == 0)
        let fits = try runProgram(Recording.replplay, ["-q", fewer.log])
        #expect(fits.status == 0 && fits.stdout == "bound 1000\n", "\(fits.status): \(fits.stderr)")
    }

    /// One writer per log: `--force` onto a log another replrec is recording is refused, and the
    /// first recording goes on to a clean end.
    @Test func forceOntoALogInUseIsRefused() throws {
        let dir = TemporaryDirectory()
        let log = dir.appending("log")
        let program = try Recording.fixture("paced_clock")
        let first = try RunningProgram(Recording.replrec, ["-q", "--log-dir", log, "--", program, "2"])
        while !FileManager.default.fileExists(atPath: log) { usleep(10_000) }
        let second = try runProgram(Recording.replrec, ["-q", "--force", "--log-dir", log, "--", "/bin/true"])
        #expect(second.status == 125, "\(second.status): \(second.stderr)")
        #expect(second.stderr.contains("another writer is recording into the log"), "\(second.stderr)")
        let result = first.finish()
        #expect(result.status == 0, "\(result.stderr)")
        let verified = try runProgram(Recording.logtool, ["verify", log])
        #expect(verified.status == 0 && verified.stdout.hasPrefix("clean end: "), "\(verified.stdout)\(verified.stderr)")
        let replaced = try runProgram(Recording.replrec, ["-q", "--force", "--log-dir", log, "--", "/bin/true"])
        #expect(replaced.status == 0, "once the first has ended, --force replaces its log: \(replaced.stderr)")
    }

    /// Damage after the program's last message, where the END record and the footer are, is
    /// damage as anywhere else: 121, not a divergence for "no END record"; and a segment after
    /// the END record is corruption, offline and following.
    @Test func damageAfterTheLastMessageIsADamagedLog() throws {
        let dir = TemporaryDirectory()
        let (recorded, log) = try Recording.record(["/bin/echo", "hi"], in: dir)
        #expect(recorded.status == 0)
        let segment = try #require(try FileManager.default.contentsOfDirectory(atPath: log).first { $0.hasPrefix("seg-") })
        let path = log + "/" + segment

        let torn = dir.appending("torn")
        try FileManager.default.copyItem(atPath: log, toPath: torn)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(truncate(torn + "/" + segment, off_t(size - 8)) == 0)
        let tornReplay = try runProgram(Recording.replplay, ["-q", torn])
        #expect(tornReplay.status == 121, "\(tornReplay.status): \(tornReplay.stderr)")
        #expect(tornReplay.stderr.contains("torn tail"), "\(tornReplay.stderr)")

        let extra = dir.appending("extra")
        try FileManager.default.copyItem(atPath: log, toPath: extra)
        try FileManager.default.copyItem(atPath: path, toPath: extra + "/seg-00000002-00000000000000000099.rlog")
        for mode in [[], ["--follow"]] {
            let replayed = try runProgram(Recording.replplay, ["-q"] + mode + [extra])
            #expect(replayed.status == 121, "\(mode): \(replayed.status): \(replayed.stderr)")
            #expect(replayed.stderr.contains("follows the END record"), "\(mode): \(replayed.stderr)")
        }
    }

    /// The tools die by SIGKILL mid-run: the program stops (fail-stop), no process of it is left,
    /// and nothing is left in /dev/shm: the region is a memfd, gone with its last mapping.
    @Test(arguments: ["replrec", "replplay"])
    func nothingOutlivesAKilledTool(_ tool: String) throws {
        let dir = TemporaryDirectory()
        let log = dir.appending("log")
        let paced = try Recording.fixture("paced_clock")
        let program = ["/bin/sh", "-c", "'\(paced)' 30 & '\(paced)' 30 & wait"]  // a tree of three
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: "/dev/shm").filter { $0.hasPrefix("replrec") })
        let running: RunningProgram
        var recorder: RunningProgram?
        if tool == "replrec" {
            running = try RunningProgram(Recording.replrec, ["-q", "--log-dir", log, "--"] + program)
        } else {  // a backup following a recording that goes on
            recorder = try RunningProgram(Recording.replrec, ["-q", "--log-dir", log, "--"] + program)
            while !FileManager.default.fileExists(atPath: log) { usleep(10_000) }
            running = try RunningProgram(Recording.replplay, ["-q", "--follow", log])
        }
        defer {
            if let recorder {
                kill(recorder.process.processIdentifier, SIGKILL)
                _ = recorder.finish()
            }
        }
        usleep(800_000)
        var tree: [pid_t] = [], parents = [running.process.processIdentifier]
        while let parent = parents.popLast() {  // every descendant, not only the children
            let found = try runProgram("/usr/bin/pgrep", ["-P", String(parent)]).stdout.split(separator: "\n").compactMap { pid_t($0) }
            tree += found
            parents += found
        }
        #expect(tree.count >= 3, "\(tool) runs \(tree.count) processes, not the tree of three")
        kill(running.process.processIdentifier, SIGKILL)
        _ = running.finish()
        var left = tree
        for _ in 0..<40 where !left.isEmpty {  // the layer notices within about a second
            usleep(100_000)
            left = left.filter { kill($0, 0) == 0 }
        }
        #expect(left.isEmpty, "\(tool) killed: processes of the program left: \(left)")
        let after = Set(try FileManager.default.contentsOfDirectory(atPath: "/dev/shm").filter { $0.hasPrefix("replrec") })
        #expect(after.subtracting(before).isEmpty, "left in /dev/shm: \(after.subtracting(before))")
    }

    /// A divergence ends the whole replayed tree, a child that left the program's session and
    /// process group (setsid) included: the program is rebuilt after the recording, so its write
    /// differs while that child runs.
    @Test func aDivergenceEndsTheWholeTreeSetsidChildrenIncluded() throws {
        let dir = TemporaryDirectory()
        let source = dir.appending("greet.c"), greet = dir.appending("greet")
        func build(_ text: String) throws {
            try "#include <stdio.h>\nint main(void) { puts(\"\(text)\"); return 0; }\n".write(toFile: source, atomically: true, encoding: .utf8)
            try #require(try runProgram("/usr/bin/cc", ["-o", greet, source]).status == 0)
        }
        try build("recorded")
        let paced = try Recording.fixture("paced_clock")
        // The child reads clocks for 4 s; the write that differs comes 0.3 s in, so at replay the
        // child has most of its recorded calls still to make when the divergence stops the tree.
        let script = "setsid '\(paced)' 4 & sleep 0.3; '\(greet)'; wait"
        let (recorded, log) = try Recording.record(["/bin/sh", "-c", script], in: dir)
        #expect(recorded.status == 0 && recorded.stdout.hasPrefix("recorded\n"), "\(recorded.stdout) \(recorded.stderr)")
        try build("rebuilt")
        let replayed = try runProgram(Recording.replplay, ["-q", log])
        #expect(replayed.status == 120 && replayed.stderr.contains("other output at fd 1"), "\(replayed.stderr)")
        usleep(300_000)
        let left = try runProgram("/usr/bin/pgrep", ["-f", "\(paced) 4"])
        #expect(left.status == 1, "the setsid child outlived the divergence: \(left.stdout)")
    }
}
