import ArgumentParser
import CommandLineSupport
import Glibc
import LogFormat
import Logging
import ProgramSupport

/// `replplay`: parses and checks the options, replays through a `ReplaySupervisor`, and turns
/// the outcome into the exit status.
@main
struct ReplPlay: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replplay",
        abstract: "Replay a recorded program in the primary's exact order.",
        discussion: """
            Runs the command, environment and working directory recorded in DIR (a command after
            -- overrides the recorded one, e.g. a rebuilt binary with debug symbols) with the
            interception layer in replay mode: every intercepted call waits for its turn and
            returns the recorded result.

            A log runs what it records: replplay refuses a log it cannot trust, and the first
            time this user replays a log it prints the command, the working directory and the
            recorded LD_* variables before running them.

            """ + ExitStatus.helpSection(for: .replplay),
        version: ToolVersion.description)

    @Argument(help: "The log directory.")
    var directory: String

    @Flag(help: "Keep waiting for the log to grow until its END record (a backup).")
    var follow = false

    @Option(help: "Seconds without progress, while messages are waiting, before a divergence is reported (inf: never, for a debugger).")
    var watchdog = Seconds(10)

    @Option(name: .customLong("promote-after"),
            help: "With --follow: go live when the log, heartbeats included, has not grown for this many seconds and has no END record. At least twice the primary's --heartbeat.")
    var promoteAfter: Seconds?

    @Option(name: .customLong("promote-command"),
            help: "With --promote-after: a shell command run before going live (fence the old primary, move an address); promotion goes ahead only if it exits 0 within 60 s, and otherwise is tried again after another silence. It sees REPLPLAY_LOG and REPLPLAY_SEQUENCE.")
    var promoteCommand: String?

    @Option(name: .customLong("status-file"),
            help: "With --follow: a file rewritten every second with a JSON line: state, replayed and fed sequence numbers, lag in messages and seconds.")
    var statusFile: String?

    @Option(name: .customLong("stop-at"),
            help: ArgumentHelp("Stop the thread about to execute this event (SIGSTOP) and say how to attach a debugger: a sequence number N, or P:T for the next event of logical thread P:T. May be given several times: each is armed when the one before is passed.", valueName: "event"))
    var stopAt: [StopPoint] = []

    @Flag(name: .customLong("stop-on-divergence"),
          help: "On a divergence, keep the replayed processes stopped where they diverged for a debugger, instead of ending them.")
    var stopOnDivergence = false

    @Flag(help: "Attach gdb, with the replrec extension (replrec where, next, goto, threads), at the first --stop-at (sequence 1 without one).")
    var gdb = false

    @Option(name: .customLong("gdb-script"), help: "With --gdb: run gdb in batch mode with this command file.")
    var gdbScript: String?

    @Flag(name: .shortAndLong, help: "No summary line.")
    var quiet = false

    @Flag(help: "Replay a log that another user owns or that its group or others can write.")
    var trust = false

    @Option(name: .customLong("recorded-output"),
            help: "The recording's standard output, as captured: a report of output that differs names the first differing byte.")
    var recordedOutput: String?

    @Argument(parsing: .postTerminator, help: "A command to run instead of the recorded one.")
    var command: [String] = []

    func validate() throws {
        if promoteAfter != nil && !follow { throw ValidationError("--promote-after needs --follow") }
        if promoteAfter?.isInfinite == true { throw ValidationError("--promote-after takes a finite number of seconds") }
        if promoteCommand != nil && promoteAfter == nil { throw ValidationError("--promote-command needs --promote-after") }
        if statusFile != nil && !follow { throw ValidationError("--status-file needs --follow") }
        if gdbScript != nil && !gdb { throw ValidationError("--gdb-script needs --gdb") }
        if follow && gdb { throw ValidationError("--gdb replays a log offline; it cannot be combined with --follow") }
    }

    static func main() {
        LoggingSystem.bootstrap { label in StandardErrorLogHandler(label: label) }
        let logger = Logger(label: "replplay")
        do {
            var parsed = try parseAsRoot()
            guard let command = parsed as? ReplPlay else {
                try parsed.run()  // help, asked for in a form that parses to its own command
                Glibc.exit(0)
            }
            Glibc.exit(try command.supervisor.run())
        } catch let error as ToolError {
            logger.error("\(error)")
            Glibc.exit(error.exitStatus.rawValue)
        } catch let error as LogError {
            logger.error("\(error)")
            Glibc.exit(error.code == .noLog ? ExitStatus.nothingToReplay.rawValue : ExitStatus.damagedLog.rawValue)
        } catch {
            exit(withError: error)
        }
    }

    /// The replay the options describe.
    var supervisor: ReplaySupervisor {
        ReplaySupervisor(.init(
            logDirectory: directory, follow: follow, watchdog: watchdog.value, promoteAfter: promoteAfter?.value,
            promoteCommand: promoteCommand, statusFile: statusFile.map(CurrentProcess.absolute),
            stops: stopAt, stopOnDivergence: stopOnDivergence, gdb: gdb, gdbScript: gdbScript.map(CurrentProcess.absolute),
            printsSummary: !quiet, command: command, trust: trust,
            recordedOutput: recordedOutput))
    }
}
