import CommandLineSupport
import CProcessShims
import CReplABI
import Glibc
import LogFormat
import Logging
import ProgramSupport
import SystemPackage

/// One recording: the program found and checked, the log opened, the program run under the
/// interception layer while a `RingDrainer` moves its messages into the log, and the log ended
/// with the program's status.
struct RecordingSession {
    /// What to record, and how.
    struct Configuration {
        /// The program and its arguments (argv[0] as the user typed it).
        var command: [String]
        var logDirectory: String
        /// Remove the segments of an existing log first (`--force`).
        var replaceExisting: Bool
        var writerOptions: LogWriter.Options
        var outputCommit: Bool
        /// Perturb scheduling at intercepted calls (--chaos).
        var chaos = false
        /// Print the one-line summary on standard error.
        var printsSummary: Bool
    }

    let configuration: Configuration
    private let logger = Logger(label: "replrec")

    init(_ configuration: Configuration) {
        self.configuration = configuration
    }

    /// Records the program until its whole process tree has exited; the root's status.
    func run() throws -> ProgramStatus {
        let command = configuration.command
        guard !command.isEmpty else { throw ToolError.failed("no command to record") }
        let layer = try Interposer.locate()
        let environment = CurrentProcess.environment
        let path = try ProgramCheck.resolve(command[0], environment: environment)
        let programEnvironment = ProgramLauncher.programEnvironment(environment, layer: layer)

        let region = try SharedRegion()
        let writer = try openLog(environment: programEnvironment)
        region.outputCommit = configuration.outputCommit
        region.chaos = configuration.chaos
        // The terminal sends these to the program too; it decides. The program gets them back
        // as replrec found them.
        let interactive = [SIGINT, SIGQUIT].filter { replrec_is_ignored($0) == 0 }
        let launcher = ProgramLauncher(path: path, arguments: command, environment: programEnvironment,
                                       layer: layer, region: region, defaultSignals: interactive)
        let started = SystemClock.monotonicSeconds()
        let (status, drainer) = try record(launcher, into: writer, ignoring: interactive)
        if configuration.printsSummary {
            writeStandardError(summaryLine(writer.statistics, region: region, status: status, drained: drainer,
                                           seconds: SystemClock.monotonicSeconds() - started))
        }
        return status
    }

    /// Creates the log (replacing an old one with `--force`, unless another replrec is writing
    /// it), its header describing the program about to run.
    private func openLog(environment: [String]) throws -> LogWriter {
        let directory = FilePath(configuration.logDirectory)
        var recording = RecordingHeader(
            arguments: configuration.command, environment: environment,
            workingDirectory: CurrentProcess.workingDirectory ?? "", userID: getuid(),
            hostName: CurrentProcess.hostName, startTime: SystemClock.realtimeNanoseconds(),
            interposerABIVersion: REPL_ABI_VERSION)
        recording.inheritedDescriptors = ProgramLauncher.inheritableDescriptors()
        do {
            return try LogWriter(directory: directory, recording: recording, options: configuration.writerOptions,
                                 replacing: configuration.replaceExisting)
        } catch let error as LogError {
            throw ToolError.failed("\(error)\(error.code == .misuse ? " (use --force to replace it)" : "")")
        }
    }

    /// Runs the program with the ring drained into `writer`, then ends the log with its status;
    /// returns that status and the drainer (what it counted on the way).
    private func record(_ launcher: ProgramLauncher, into writer: LogWriter,
                        ignoring interactive: [Int32]) throws -> (ProgramStatus, RingDrainer) {
        ProcessTree.becomeSubreaper()
        for sig in interactive { signal(sig, SIG_IGN) }
        let drainer = RingDrainer(region: launcher.region, writer: writer)
        drainer.start()
        let root: pid_t
        do {
            root = try launcher.launch()
        } catch {
            // Nothing ran, so nothing was recorded: the log goes, or it would block the next run.
            drainer.stopAndWait()
            writer.discard()
            throw error
        }
        RootForwarding.install(root)
        var tree = ProcessTree(root: root)
        let progress = configuration.printsSummary ? StatusLine.forProgress(sharedWithProgram: true) : nil
        defer { progress?.clear() }
        let started = SystemClock.monotonicSeconds()
        // Fail-stop: once the log cannot be written, the program must not run on unrecorded
        // (its backups would silently fall behind it), nor wait for a recorder that drains
        // nothing: it is stopped at once, and the error said.
        while tree.reapExited() {
            if let failure = drainer.failure {
                logger.error("the log could not be written: \(failure); stopping the program (fail-stop)")
                tree.kill()
                break
            }
            progress?.show("replrec: recording, sequence \(repl_drained(launcher.region.base)), \(NumberFormat.fixed(SystemClock.monotonicSeconds() - started, 1)) s")
            usleep(10_000)
        }
        drainer.stopAndWait()
        let status = tree.rootStatus ?? ProgramStatus(exitStatus: 0)
        try endLog(writer, drainedBy: drainer, status: status)
        return (status, drainer)
    }

    /// Writes the END record, unless draining failed; warns of numbers lost with a dead process.
    private func endLog(_ writer: LogWriter, drainedBy drainer: RingDrainer, status: ProgramStatus) throws {
        if drainer.failure != nil {  // said when it happened
            try? writer.close()
            throw ToolError.failed("fail-stop: the log holds the messages up to sequence \(writer.writtenThrough); the program was stopped")
        }
        if let lost = drainer.lost {
            logger.warning("\(lost) sequence number(s) were taken by a process that died before publishing them; the log marks them lost, by the thread that took them where it is known, and a replay stops that thread there (logtool verify lists them)")
        }
        do {
            try writer.finish(exitStatus: status.exitStatus, signal: status.signal)
        } catch {
            throw ToolError.failed("cannot end the log: \(error)")
        }
    }
}
