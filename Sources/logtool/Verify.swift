import CommandLineSupport
import ArgumentParser
import Glibc
import LogFormat
import SystemPackage

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a whole log: checksums, sequence numbers, segment chain, footers, END record.",
        discussion: "Exit status: 0 clean end, 2 still open, 3 torn tail, 4 corruption, 5 gap, 6 not a log or unsupported version, 7 no log.")

    @OptionGroup var log: LogDirectoryArgument

    @Flag(name: .shortAndLong, help: "Print nothing; the exit status says it all.")
    var quiet = false

    @Flag(help: "Print the result as one JSON object.")
    var json = false

    func run() throws {
        let progress = quiet || json ? nil : StatusLine.forProgress(sharedWithProgram: false, minimumInterval: 0.1)
        let summary = LogSummary.scan(directory: FilePath(log.directory)) { location, storedBytes in
            progress?.show("verifying: segment \(location.segment ?? 0), \(NumberFormat.bytes(storedBytes)), sequence \(location.sequence ?? 0)")
        }
        progress?.clear()
        let status = Self.status(of: summary)
        if json {
            var output = OutputBuffer()
            output.write(StatReport(summary, directory: log.directory).json(verifiedOnly: true) + "\n")
            output.flush()
        } else if !quiet {
            if let problem = summary.problem {
                logger.error("\(problem)")
                if summary.messages > 0 { logger.info("\(summary.messages) messages verified before the problem") }
            } else {
                print(Self.headline(summary))
                for death in summary.deaths {
                    print("sequence \(death.sequence): logical process \(death.process) thread \(death.thread) died in \(death.kind) "
                          + "before publishing it (killed by another process); a replay stops that thread there")
                }
            }
        }
        if status != .success { throw status.exitCode }
    }

    static func status(of summary: LogSummary) -> ExitStatus {
        if let problem = summary.problem { return ExitStatus(problem.code) }
        if case .stillOpen = summary.outcome { return .stillOpen }
        return .success
    }

    static func headline(_ summary: LogSummary) -> String {
        let range = summary.firstSequence.map { "sequence \($0)...\(summary.lastSequence!)" } ?? "no messages"
        let body = "\(summary.messages) messages (\(range)), \(summary.segments.count) segment\(summary.segments.count == 1 ? "" : "s"), \(NumberFormat.bytes(summary.storedBytes)) stored"
        switch summary.outcome {
        case .cleanEnd(let end)?:
            return "clean end: \(body), exit status \(end.exitStatus)\(end.signal != 0 ? " (signal \(end.signal))" : "")"
        case .stillOpen?, nil:
            return "still open (no END record): \(body)"
        }
    }
}
