import CommandLineSupport
import Glibc
import LogFormat
import ProgramSupport

/// `replplay --gdb`: gdb attached to the replayed process at its first stop, with the replrec
/// extension (replrec-gdb.py) loaded. The extension and replplay talk through a control
/// directory: replplay keeps `state.json` there (where the replay stands, the next message, the
/// map of logical threads to real ones), the extension leaves a `request` (arm a stop) that
/// replplay takes.
final class DebuggerSession {
    private let extensionScript: String
    private let batchScript: String?
    let controlDirectory: String
    private var gdb: pid_t?
    private(set) var hasEnded = false
    private var stateWrittenAt = 0.0
    private var stateReplayed: UInt64?

    init(batchScript: String?) throws {
        // Found before the program starts: a stop with no debugger to come would hold it forever.
        let path = (getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin").split(separator: ":")
        guard path.contains(where: { access("\($0)/gdb", X_OK) == 0 }) else {
            throw ToolError.notFound("gdb is not on PATH (replplay --gdb runs it; Debian: apt-get install gdb)")
        }
        if let batchScript, access(batchScript, R_OK) != 0 {
            throw ToolError.failed("cannot read the gdb script \(batchScript): \(String(cString: strerror(errno)))")
        }
        extensionScript = try Self.locateExtension()
        self.batchScript = batchScript
        var template = Array("/tmp/replplay-gdb.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw ToolError.failed("cannot make a control directory for gdb") }
        controlDirectory = String(cString: made)
    }

    deinit {
        unlink(controlDirectory + "/state.json")
        unlink(controlDirectory + "/request")
        rmdir(controlDirectory)
    }

    var isRunning: Bool { gdb != nil && !hasEnded }

    /// gdb's pid while it runs: not part of the replayed tree.
    var process: pid_t? { isRunning ? gdb : nil }

    /// What the extension asks for.
    enum Request {
        /// Arm a stop in this replay.
        case stop(StopPoint)
        /// Replay again from the start up to event N: going back.
        case restart(at: UInt64)
    }

    /// Starts gdb on the process of the first stop.
    func attach(to stop: DebuggerStops.Stop, region: SharedRegion) throws {
        guard gdb == nil else { return }
        writeState(region, stop: stop, force: true)
        var arguments = ["gdb", "-q", "-p", String(stop.pid), "-x", extensionScript]
        if let batchScript { arguments += ["-batch", "-x", batchScript] }
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        setenv("REPLPLAY_CONTROL", controlDirectory, 1)
        // gdb waits for its children through SIGCHLD: it starts with no signal blocked and the
        // default actions, whatever replplay was given.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, "gdb", nil, &attributes, &argv, environ)
        guard spawned == 0 else { throw ToolError.notFound("cannot start gdb: \(String(cString: strerror(spawned)))") }
        gdb = pid
    }

    /// Notices gdb's end (the tree's reaping takes its status: it is replplay's child too).
    func checkEnded() -> Bool {
        guard let gdb, !hasEnded else { return false }
        if kill(gdb, 0) != 0 && errno == ESRCH {
            hasEnded = true
            return true
        }
        return false
    }

    /// Keeps state.json current: at once when the replay has moved (or `force`), else five
    /// times a second (the map of threads).
    func writeState(_ region: SharedRegion, stop: DebuggerStops.Stop?, force: Bool = false) {
        let now = SystemClock.monotonicSeconds()
        let replayed = region.replayed
        guard force || replayed != stateReplayed || now - stateWrittenAt >= 0.2 else { return }
        stateWrittenAt = now
        stateReplayed = replayed
        var line = JSONLine()
        line.add("replayed", replayed)
        if let stop {
            line.add("stopped_at", stop.sequence)
            line.add("pid", stop.pid)
            line.add("tid", stop.tid)
        }
        if let call = region.publishedCall(at: replayed + 1) {
            var next = JSONLine()
            next.add("sequence", replayed + 1)
            next.add("kind", string: call.kind.description)
            next.add("resource", call.resource)
            next.add("process", call.process)
            next.add("thread", call.thread)
            line.add("next", next.object)
        }
        line.add("threads", "[" + region.logicalThreads.map { "[\($0.process),\($0.thread),\($0.tid)]" }.joined(separator: ",") + "]")
        line.write(to: controlDirectory + "/state.json", mode: 0o600)
    }

    /// What the extension asked for ("stop-at N", "stop-next P:T", "restart N"), taken from the
    /// request file.
    func takeRequest() -> Request? {
        let path = controlDirectory + "/request"
        guard let file = fopen(path, "r") else { return nil }
        var buffer = [CChar](repeating: 0, count: 128)
        let line = fgets(&buffer, Int32(buffer.count), file) != nil ? String(nulTerminated: buffer) : ""
        fclose(file)
        unlink(path)
        let words = line.split(whereSeparator: \.isWhitespace)
        guard words.count == 2 else { return nil }
        switch words[0] {
        case "stop-at", "stop-next": return StopPoint(argument: String(words[1])).map(Request.stop)
        case "restart": return UInt64(words[1]).map { .restart(at: $0) }
        default: return nil
        }
    }

    /// replrec-gdb.py: next to the tool (a build directory) or in ../share/replrec (installed).
    private static func locateExtension() throws -> String {
        let directory = CurrentProcess.executableDirectory
        for candidate in [directory + "/replrec-gdb.py", directory + "/../share/replrec/replrec-gdb.py"]
        where access(candidate, R_OK) == 0 {
            return candidate
        }
        throw ToolError.failed("the gdb extension replrec-gdb.py is neither in \(directory) nor in \(directory)/../share/replrec")
    }
}
