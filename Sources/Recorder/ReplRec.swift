import ArgumentParser
import CReplABI
import CProcessShims
import CommandLineSupport
import ProgramSupport
import Glibc
import LogFormat
import Logging
import SystemPackage

@main
struct ReplRec: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replrec",
        abstract: "Record a program's nondeterministic calls into a replication log.",
        discussion: """
            Runs COMMAND with the interception layer preloaded and writes every intercepted call,
            in global sequence order, to the log directory. Exits with the program's exit status
            (128 + n when a signal ended it).

            Exit status of replrec itself: 125 the recording failed (or the program was refused:
            setuid, setgid, statically linked), 126 the program cannot be run, 127 not found.

            If replrec dies, the program is stopped: its root process at once, the other processes
            at their next intercepted call that finds the recorder gone (fail-stop).
            """)

    @Option(name: .customLong("log-dir"), help: "The log directory to create.")
    var logDirectory = "./replog"

    @Flag(help: "Replace an existing log in the directory.")
    var force = false

    @Option(help: "lz4, zstd or none.")
    var codec = CodecOption.lz4

    @Option(help: "Segment size in bytes.")
    var segmentSize = 64 << 20

    @Option(help: "When to force the log to disk: none, interval (every 100 ms) or always.")
    var sync = SyncPolicy.interval

    @Flag(name: .customLong("output-commit"), inversion: .prefixedNo,
          help: "Hold each write to a socket until everything the program did before it is in the log file, so a backup that goes live knows all that clients were told.")
    var outputCommit = true

    @Flag(name: .shortAndLong, help: "No summary line.")
    var quiet = false

    @Argument(parsing: .captureForPassthrough, help: "The program and its arguments.")
    var command: [String] = []

    func validate() throws {
        // `replrec --` alone gets past here and fails as the recording starts (status 125).
        guard !command.isEmpty else { throw ValidationError("no command to record") }
    }

    static func main() {
        LoggingSystem.bootstrap { label in StandardErrorLogHandler(label: label) }
        do {
            var command = try parseAsRoot() as! ReplRec
            try command.runRecording()
        } catch let error as ToolError {
            Logger(label: "replrec").error("\(error)")
            Glibc.exit(error.exitStatus.rawValue)
        } catch {
            exit(withError: error)
        }
    }

    mutating func runRecording() throws {
        if command.first == "--" { command.removeFirst() }
        guard !command.isEmpty else { throw ToolError.failed("no command to record") }
        let layer = try Interposer.locate()
        let environment = CurrentProcess.environment
        let searchPath = environment.first { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) }
        let path = try ProgramCheck.resolve(command[0], path: searchPath)
        let programEnvironment = ProgramLauncher.programEnvironment(environment, layer: layer)

        let directory = FilePath(logDirectory)
        if force { try removeLog(directory) }
        let region = try SharedRegion()
        region.outputCommit = outputCommit
        let recording = RecordingHeader(
            arguments: command, environment: programEnvironment, workingDirectory: CurrentProcess.workingDirectory ?? "",
            userID: getuid(), hostName: CurrentProcess.hostName, startTime: SystemClock.realtimeNanoseconds(),
            interposerABIVersion: REPL_ABI_VERSION)
        let writer: LogWriter
        do {
            writer = try LogWriter(directory: directory, recording: recording,
                                   options: .init(codec: codec.codec, segmentSize: segmentSize,
                                                  durability: sync.durability))
        } catch let error as LogError {
            throw ToolError.failed("\(error)\(error.code == .misuse ? " (use --force to replace it)" : "")")
        }

        _ = replrec_become_subreaper()
        // The terminal sends these to the program too; it decides. The program gets them back
        // as replrec found them.
        let interactive = [SIGINT, SIGQUIT].filter { replrec_is_ignored($0) == 0 }
        for sig in interactive { signal(sig, SIG_IGN) }
        let drainer = RingDrainer(region: region, writer: writer)
        drainer.start()
        let started = SystemClock.monotonicSeconds()
        let launcher = ProgramLauncher(path: path, arguments: command, environment: programEnvironment,
                                       layer: layer, region: region, defaultSignals: interactive)
        let root: pid_t
        do {
            root = try launcher.launch()
        } catch {
            drainer.stopAndWait()
            try? writer.close()
            throw error
        }
        RootForwarding.install(root)
        let status = Self.waitForTree(root: root)
        drainer.stopAndWait()
        region.unlink()

        if let failure = drainer.failure {
            try? writer.close()
            throw ToolError.failed("the log could not be written: \(failure)")
        }
        if let lost = drainer.lostTail {
            Logger(label: "replrec").warning("\(lost) sequence number(s) were taken by a process that died before publishing them; the log ends before them")
        }
        do {
            try writer.finish(exitStatus: status.exitStatus, signal: status.signal)
        } catch {
            throw ToolError.failed("cannot end the log: \(error)")
        }
        if !quiet {
            let stats = writer.statistics
            let seconds = SystemClock.monotonicSeconds() - started
            let line = "replrec: \(stats.messages) messages, \(region.processesStarted) processes, "
                + "\(region.threadsStarted + region.processesStarted) threads, "
                + "\(stats.rawBytes) raw / \(stats.storedBytes) stored bytes in \(stats.segments) segment(s), "
                + "\(NumberFormat.fixed(seconds)) s, recorder peak RSS \(Self.peakResidentMiB()) MiB, "
                + "exit status \(status.exitStatus) -> \(logDirectory)\n"
            writeStandardError(line)
        }
        Glibc.exit(status.exitStatus)
    }

    private func removeLog(_ directory: FilePath) throws {
        let log = LogDirectory(directory)
        guard (try? log.exists()) == true else { return }
        for segment in try log.segments() { unlink(log.path(of: segment).string) }
    }

    /// Reaps every process of the tree (the recorder is their subreaper) and returns the root's
    /// status, shell style.
    static func waitForTree(root: pid_t) -> (exitStatus: Int32, signal: Int32) {
        var result: (Int32, Int32) = (0, 0)
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, 0)
            if pid < 0 {
                if errno == EINTR { continue }
                break  // ECHILD: the whole tree has exited
            }
            if pid == root {
                if replrec_exited(status) != 0 {
                    result = (replrec_exit_status(status), 0)
                } else if replrec_signaled(status) != 0 {
                    result = (128 + replrec_term_signal(status), replrec_term_signal(status))
                }
            }
        }
        return result
    }

    /// The recorder's own peak resident memory (VmHWM), in MiB.
    static func peakResidentMiB() -> String {
        guard let file = fopen("/proc/self/status", "r") else { return "?" }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(nulTerminated: line)
            if text.hasPrefix("VmHWM:"), let kib = Double(text.dropFirst(6).filter(\.isNumber)) {
                return NumberFormat.fixed(kib / 1024)
            }
        }
        return "?"
    }
}

/// Forwards SIGTERM and SIGHUP sent to the recorder to the program's root process (unless
/// replrec was started with them ignored).
enum RootForwarding {
    nonisolated(unsafe) static var root: pid_t = 0

    static func install(_ pid: pid_t) {
        root = pid
        for sig in [SIGTERM, SIGHUP] where replrec_is_ignored(sig) == 0 {
            signal(sig) { received in kill(RootForwarding.root, received) }
        }
    }
}
