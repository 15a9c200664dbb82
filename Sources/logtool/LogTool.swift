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

            """ + ExitStatus.helpSection(for: .logtool),
        version: ToolVersion.description,
        subcommands: [Dump.self, Verify.self, Stat.self, Synth.self, Timeline.self]
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
