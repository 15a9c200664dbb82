import ArgumentParser
import CommandLineSupport
import LogFormat
import SystemPackage

struct Timeline: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw who ran when: one lane per logical thread across sequence numbers.",
        discussion: """
            -o FILE.svg draws a self-contained SVG (a browser or rsvg-convert renders it): one lane
            per logical thread, each event a mark coloured by its family (locks, time,
            randomness, input and output, processes and signals, files), a lock handed from one
            thread to another drawn as an arrow. -o FILE.json writes the Chrome trace-event format
            that Perfetto and chrome://tracing open: one track per logical thread, one event per
            message (its timestamp the sequence number, in microseconds, so the order is exact).
            Logs of more than 10 000 messages are drawn in part: say which with --from and --to.
            """)

    @OptionGroup var log: LogDirectoryArgument

    @Option(name: .shortAndLong, help: "The file to write: .svg or .json.")
    var output: String

    @Option(help: "First sequence number to draw.")
    var from: UInt64 = 1

    @Option(help: "Last sequence number to draw (default: 10 000 after --from).")
    var to: UInt64?

    static let defaultSpan: UInt64 = 10_000

    func validate() throws {
        guard output.hasSuffix(".svg") || output.hasSuffix(".json") else {
            throw ValidationError("-o names a .svg or a .json file")
        }
        if let to, to < from { throw ValidationError("--to \(to) is before --from \(from)") }
    }

    func run() throws {
        let last = to ?? from + Self.defaultSpan - 1
        var events: [Message] = []
        let reader = LogReader(directory: FilePath(log.directory), from: from)
        do {
            while let message = try reader.next(), message.sequence <= last { events.append(message) }
        } catch let error as LogError {
            throw error.reported()
        }
        if to == nil, events.count == Int(Self.defaultSpan) {
            logger.notice("drew sequences \(from)...\(last); the log goes on: --from and --to choose another range")
        }
        guard !events.isEmpty else {
            logger.error("no messages from sequence \(from) in \(log.directory)")
            throw ExitCode(ExitStatus.failed.rawValue)
        }
        let picture = TimelinePicture(events)
        let text = output.hasSuffix(".svg") ? picture.svg() : picture.chromeTrace()
        do {
            let file = try FileDescriptor.open(FilePath(output), .writeOnly, options: [.create, .truncate], permissions: [.ownerReadWrite, .groupRead, .otherRead])
            defer { try? file.close() }
            _ = try file.writeAll(text.utf8)
        } catch {
            logger.error("cannot write \(output): \(error)")
            throw ExitCode(ExitStatus.failed.rawValue)
        }
    }
}
