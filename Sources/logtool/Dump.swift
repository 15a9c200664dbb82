import ArgumentParser
import Glibc
import LogFormat
import SystemPackage

struct Dump: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a log's messages, one line each.",
        discussion: """
            Each line: sequence number, logical process:thread, kind, resource, result, errno (when
            not 0, with its name), and the payload's size with a preview of its first bytes; then,
            after "--", what the message means where logtool knows (clocks and times, signals,
            kill's target, wait statuses). A lock in the program's own data is named by its
            symbol (<lock>), read from the executable the log's objects message names. JSON keeps
            the raw fields and adds "errno_name", "decoded" and "resource_symbol".
            """)

    @OptionGroup var log: LogDirectoryArgument

    @Flag(help: "JSON Lines: one object per message (and per header with --headers).")
    var json = false

    @Option(help: "First sequence number to print.")
    var from: UInt64 = 1

    @Option(help: "Last sequence number to print.")
    var to: UInt64?

    @Option(help: "Only messages of this logical process (repeatable).")
    var pid: [UInt32] = []

    @Option(help: ArgumentHelp("Only messages of this logical thread: P:T as dump prints it, or T in any process (repeatable).", valueName: "thread"))
    var tid: [ThreadFilter] = []

    @Option(help: "Print at most this many messages.")
    var limit: Int?

    @Option(help: "Only messages of this kind: a name such as mutex_lock, or kind#N (repeatable, or comma-separated).")
    var kind: [String] = []

    @Flag(help: "Also print segment and frame headers.")
    var headers = false

    @Flag(help: "Keep printing as the log grows, until its END record.")
    var follow = false

    @Option(help: "Bytes of payload to preview.")
    var preview: Int = 16

    func validate() throws {
        if let to, to < from { throw ValidationError("--to \(to) is before --from \(from)") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        for name in kind.flatMap({ $0.split(separator: ",") }) where MessageKind(name: String(name)) == nil {
            throw ValidationError("unknown kind '\(name)'; kinds: \(MessageKind.known.map(\.description).joined(separator: ", "))")
        }
    }

    func run() throws {
        let filter = Printer.Filter(
            from: from, to: to ?? .max, processes: Set(pid), threads: tid, limit: limit ?? .max,
            kinds: Set(kind.flatMap { $0.split(separator: ",") }.compactMap { MessageKind(name: String($0)) }))
        var printer = Printer(filter: filter, json: json, headers: headers, previewBytes: max(0, preview))
        let cursor = LogCursor(directory: FilePath(log.directory), mode: follow ? .follow : .offline,
                               from: from > 1 ? from : nil)
        do {
            loop: while !printer.isPastEnd {
                switch try cursor.step(&printer) {
                case .progressed: continue
                case .waiting:
                    printer.output.flush()
                    usleep(5_000)
                case .finished(let outcome):
                    if case .stillOpen(let last) = outcome {
                        logger.notice("the log is still open (no END record); last sequence number \(last)")
                    }
                    break loop
                }
            }
            printer.output.flush()
        } catch let error as LogError {
            printer.output.flush()
            throw error.reported()
        }
    }
}

/// Formats what the cursor visits.
private struct Printer: LogVisitor {
    struct Filter {
        var from: UInt64
        var to: UInt64
        var processes: Set<UInt32>
        var threads: [ThreadFilter]
        var limit: Int
        var kinds: Set<MessageKind>

        func admits(_ m: MessageView) -> Bool {
            m.sequence >= from && m.sequence <= to
                && (processes.isEmpty || processes.contains(m.process))
                && (threads.isEmpty || threads.contains { $0.admits(process: m.process, thread: m.thread) })
                && (kinds.isEmpty || kinds.contains(m.kind))
        }
    }

    let filter: Filter
    let json: Bool
    let headers: Bool
    let previewBytes: Int
    var output = OutputBuffer()
    /// A message whose payload is in payload frames: printed once its preview is complete.
    var waitingForPayload: Message?
    var waitingPayloadSize = 0
    private(set) var isPastEnd = false
    private var printed = 0
    /// The program's data symbols, from the first objects message of logical process 0.
    private var symbols: ELFSymbols?
    private var lookedForSymbols = false

    init(filter: Filter, json: Bool, headers: Bool, previewBytes: Int) {
        self.filter = filter
        self.json = json
        self.headers = headers
        self.previewBytes = previewBytes
    }

    mutating func segment(_ header: SegmentHeader, name: SegmentName, size: Int) {
        guard headers else { return }
        if json {
            output.write("{\"type\":\"segment\",\"file\":\(JSON.quoted(name.fileName)),\"segment\":\(header.segmentNumber),\"first_sequence\":\(header.firstSequence),\"codec\":\"\(header.codec)\",\"recording_id\":\"\(header.recordingID)\",\"previous_last_sequence\":\(header.previousLastSequence),\"previous_size\":\(header.previousSize)")
            if let recording = header.recording {
                output.write(",\"arguments\":[\(recording.arguments.map(JSON.quoted).joined(separator: ","))],\"working_directory\":\(JSON.quoted(recording.workingDirectory)),\"host\":\(JSON.quoted(recording.hostName)),\"uid\":\(recording.userID),\"start_time_ns\":\(recording.startTime),\"abi_version\":\(recording.interposerABIVersion),\"environment_count\":\(recording.environment.count)")
            }
            output.write("}\n")
        } else {
            output.write("# segment \(header.segmentNumber) \(name.fileName): first sequence \(header.firstSequence), codec \(header.codec), recording \(header.recordingID), previous last sequence \(header.previousLastSequence), previous size \(header.previousSize)\n")
            if let recording = header.recording {
                output.write("# recording: \(recording.arguments.joined(separator: " ")) (cwd \(recording.workingDirectory), host \(recording.hostName), uid \(recording.userID), ABI \(recording.interposerABIVersion), \(recording.environment.count) environment variables)\n")
            }
        }
    }

    mutating func frame(_ header: FrameHeader, offset: Int, segment: SegmentName) {
        guard headers else { return }
        if json {
            output.write("{\"type\":\"frame\",\"segment\":\(segment.number),\"offset\":\(offset),\"frame_type\":\"\(header.type)\",\"codec\":\"\(header.codec)\",\"first_sequence\":\(header.firstSequence),\"count\":\(header.count),\"raw_length\":\(header.rawLength),\"stored_length\":\(header.storedLength),\"time_ns\":\(header.timestamp)}\n")
        } else {
            output.write("# frame @\(segment.number):\(offset) \(header.type) \(header.codec) first \(header.firstSequence) count \(header.count) raw \(header.rawLength) stored \(header.storedLength)\n")
        }
    }

    mutating func message(_ view: MessageView) {
        if view.sequence > filter.to || printed >= filter.limit { isPastEnd = true }
        if view.kind == .objects, view.process == 0, !lookedForSymbols, !view.hasExternalPayload {
            lookedForSymbols = true
            let text = String(decoding: view.inlinePayload, as: UTF8.self)
            if let program = text.split(separator: "\n").first?.split(separator: "\t").last {
                symbols = ELFSymbols(path: String(program))
            }
        }
        guard !isPastEnd, filter.admits(view) else { return }
        if view.hasExternalPayload {
            waitingForPayload = Message(view)  // an external payload has no inline bytes
            waitingPayloadSize = view.payloadSize
        } else {
            printMessage(Message(view), payloadSize: view.payloadSize, preview: view.inlinePayload)
        }
    }

    mutating func payloadChunk(_ bytes: UnsafeRawBufferPointer, sequence: UInt64, isLast: Bool) {
        guard var message = waitingForPayload, message.sequence == sequence else { return }
        message.payload.append(contentsOf: bytes.prefix(previewBytes - message.payload.count))
        if isLast || message.payload.count >= previewBytes {
            message.payload.withUnsafeBytes { printMessage(message, payloadSize: waitingPayloadSize, preview: $0) }
            waitingForPayload = nil
        } else {
            waitingForPayload = message
        }
    }

    mutating func end(_ record: EndRecord) {
        if json {
            output.write("{\"type\":\"end\",\"last_sequence\":\(record.lastSequence),\"exit_status\":\(record.exitStatus),\"signal\":\(record.signal)}\n")
        } else {
            output.write("# end: last sequence \(record.lastSequence), exit status \(record.exitStatus)\(record.signal != 0 ? " (signal \(record.signal))" : "")\n")
        }
    }

    mutating func footer(_ footer: SegmentFooter, segment: SegmentName) {
        guard headers else { return }
        if json {
            output.write("{\"type\":\"footer\",\"segment\":\(segment.number),\"last_sequence\":\(footer.lastSequence),\"messages\":\(footer.messageCount),\"frames\":\(footer.frameCount),\"raw_bytes\":\(footer.rawBytes),\"stored_bytes\":\(footer.storedBytes),\"index_entries\":\(footer.index.count)}\n")
        } else {
            output.write("# footer of segment \(segment.number): last sequence \(footer.lastSequence), \(footer.messageCount) messages, \(footer.frameCount) frames, \(footer.index.count) index entries\n")
        }
    }

    private mutating func printMessage(_ m: Message, payloadSize: Int, preview: UnsafeRawBufferPointer) {
        printed += 1
        let shown = preview.prefix(previewBytes)
        let details = payloadSize == preview.count ? MessageDescription.details(m, preview: preview) : nil
        let symbol = m.kind.rawValue < 32 ? symbols?.name(of: m.resource) : nil  // the synchronisation kinds
        if json {
            var line = "{\"type\":\"message\",\"seq\":\(m.sequence),\"pid\":\(m.process),\"tid\":\(m.thread),\"kind\":\(JSON.quoted(m.kind.description)),\"kind_id\":\(m.kind.rawValue),\"resource\":\(m.resource),\"result\":\(m.result),\"errno\":\(m.errno),\"payload_size\":\(payloadSize)"
            if payloadSize > 0 { line += ",\"payload_preview_hex\":\"\(Hex.string(shown))\"" }
            if let fingerprint = Self.fingerprint(m, payloadSize: payloadSize, preview: preview) {
                line += ",\"fingerprint\":{\"handed\":\(fingerprint.handed),\"crc32c\":\(fingerprint.crc)}"
            }
            if m.errno != 0 { line += ",\"errno_name\":\(JSON.quoted(MessageDescription.errnoName(m.errno)))" }
            if let details { line += ",\"decoded\":\(JSON.quoted(details))" }
            if let symbol { line += ",\"resource_symbol\":\(JSON.quoted(symbol))" }
            output.write(line + "}\n")
        } else {
            var line = "\(m.sequence) \(m.process):\(m.thread) \(m.kind) res=0x\(String(m.resource, radix: 16))"
                + (symbol.map { " <\($0)>" } ?? "") + " ret=\(m.result)"
            if m.errno != 0 { line += " errno=\(m.errno) \(MessageDescription.errnoName(m.errno))" }
            if let fingerprint = Self.fingerprint(m, payloadSize: payloadSize, preview: preview) {
                line += " handed=\(fingerprint.handed) crc32c=0x" + String(fingerprint.crc, radix: 16)
            } else if payloadSize > 0 {
                line += " len=\(payloadSize) " + Self.quoted(shown, truncated: payloadSize > shown.count)
            }
            if let details { line += " -- " + details }
            output.write(line + "\n")
        }
    }

    /// A write's fingerprint, when its payload is one.
    private static func fingerprint(_ m: Message, payloadSize: Int, preview: UnsafeRawBufferPointer) -> OutputFingerprint? {
        guard OutputFingerprint.isCarried(by: m.kind, resource: m.resource), payloadSize == preview.count else { return nil }
        return OutputFingerprint(preview)
    }

    /// Printable ASCII as is, everything else as \xNN, in quotes.
    private static func quoted(_ bytes: some Collection<UInt8>, truncated: Bool) -> String {
        var out = "\""
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): out += "\\\""
            case UInt8(ascii: "\\"): out += "\\\\"
            case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "\n"): out += "\\n"
            default: out += "\\x" + String(byte, radix: 16).leftPad2
            }
        }
        return out + (truncated ? "\"…" : "\"")
    }
}

extension String {
    fileprivate var leftPad2: String { count >= 2 ? self : "0" + self }
}
