import ArgumentParser
import CommandLineSupport
import Logging

@main
struct LogTool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logtool",
        abstract: "Inspect, check and summarise replrec replication logs.",
        discussion: """
            Data goes to standard output, diagnostics to standard error.

            Exit status (every subcommand):
              0   the log ends cleanly (END record), or the command succeeded
              2   verify: the log is valid but still open (no END record yet)
              3   torn tail: the newest segment ends inside a frame (the writer was interrupted)
              4   corruption: damaged data followed by more data, or inside a sealed segment
              5   gap: missing sequence numbers or segments, or a broken segment chain
              6   not a log, or a format version this build does not read
              7   no log: the directory is missing, not a directory, or holds no segment
              1   any other error (I/O)
              64  usage error
            """,
        subcommands: [Dump.self, Verify.self, Stat.self, Synth.self]
    )

    static func main() {
        LoggingSystem.bootstrap { label in StandardErrorLogHandler(label: label) }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}

/// Options every subcommand that reads a log shares.
struct LogDirectoryArgument: ParsableArguments {
    @Argument(help: "The log directory.")
    var directory: String
}

let logger = Logger(label: "logtool")
