import ArgumentParser
import CommandLineSupport
import Glibc
import LogFormat
import Logging
import ProgramSupport

/// `replrec`: parses and checks the options, records through a `RecordingSession`, and turns
/// the outcome into the exit status.
@main
struct ReplRec: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replrec",
        abstract: "Record a program's nondeterministic calls into a replication log.",
        discussion: """
            Runs COMMAND with the interception layer preloaded and writes every intercepted call,
            in global sequence order, to the log directory. Options come before COMMAND (or
            before a `--` that ends them).

            If replrec dies, the program is stopped: its root process at once, the other processes
            at their next intercepted call that finds the recorder gone (fail-stop).

            """ + ExitStatus.helpSection(for: .replrec),
        version: ToolVersion.description)

    @Option(name: .customLong("log-dir"), help: "The log directory to create.")
    var logDirectory = "./replog"

    @Flag(help: "Replace an existing log in the directory (never one that another replrec is recording).")
    var force = false

    @Option(help: "lz4, zstd or none.")
    var codec = CodecOption.lz4

    @Option(help: "Segment size in bytes.")
    var segmentSize = 64 << 20

    @Option(help: "When to force the log to disk: none, interval (every 100 ms) or always.")
    var sync = SyncPolicy.interval

    @Option(help: "Seconds without anything to write after which a heartbeat frame is written, so that a backup can tell an idle program from a stopped recorder (inf: none).")
    var heartbeat = Seconds(1)

    @Flag(name: .customLong("output-commit"), inversion: .prefixedNo,
          help: "Hold each write to a socket until everything the program did before it is in the log file, so a backup that goes live knows all that clients were told.")
    var outputCommit = true

    @Flag(help: "Perturb scheduling at intercepted calls (random yields and sleeps of up to 256 µs), so that rare interleavings, and the bugs they cause, show up in recordings. The replay reproduces what was recorded, perturbations included.")
    var chaos = false

    @Flag(name: .shortAndLong, help: "No summary line.")
    var quiet = false

    @Argument(parsing: .captureForPassthrough, help: "The program and its arguments.")
    var command: [String] = []

    /// The program and its arguments, without the `--` that may stand before them.
    var programCommand: [String] { command.first == "--" ? Array(command.dropFirst()) : command }

    func validate() throws {
        // The passthrough argument takes everything from the first word that is not an option,
        // including a help flag that comes first; `replrec -- --help` still runs `--help`.
        // So are --version and an option this tool does not have, which would otherwise be run
        // as a program.
        switch command.first {
        case "--help", "-h": throw CleanExit.helpRequest(self)
        case "--version": throw CleanExit.message(ToolVersion.description)
        case "--experimental-dump-help": throw CleanExit.message(Self._dumpHelp())  // for man pages
        case let word? where word.hasPrefix("-") && word != "--": throw ValidationError("Unknown option '\(word)'")
        default: break
        }
        guard !programCommand.isEmpty else { throw ValidationError("no command to record") }
    }

    static func main() {
        LoggingSystem.bootstrap { label in StandardErrorLogHandler(label: label) }
        do {
            var parsed = try parseAsRoot()
            guard let command = parsed as? ReplRec else {
                try parsed.run()  // help, asked for in a form that parses to its own command
                Glibc.exit(0)
            }
            let status = try command.session.run()
            Glibc.exit(status.exitStatus)
        } catch let error as ToolError {
            Logger(label: "replrec").error("\(error)")
            Glibc.exit(error.exitStatus.rawValue)
        } catch {
            exit(withError: error)
        }
    }

    /// The recording the options describe.
    var session: RecordingSession {
        RecordingSession(.init(
            command: programCommand,
            logDirectory: logDirectory, replaceExisting: force,
            writerOptions: LogWriter.Options(codec: codec.codec, segmentSize: segmentSize, durability: sync.durability,
                                            heartbeatInterval: heartbeat.isInfinite ? nil : heartbeat.duration),
            outputCommit: outputCommit, chaos: chaos, printsSummary: !quiet))
    }
}
