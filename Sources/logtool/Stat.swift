import ArgumentParser
import CommandLineSupport
import LogFormat
import SystemPackage

struct Stat: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Summarise a log: counts by kind, process and thread; sizes; duration and rate.")

    @OptionGroup var log: LogDirectoryArgument

    @Flag(help: "Print one JSON object (keys include messages, raw_bytes, stored_bytes, segments).")
    var json = false

    func run() throws {
        let summary = LogSummary.scan(directory: FilePath(log.directory), detailed: true)
        let report = StatReport(summary, directory: log.directory)
        var output = OutputBuffer()
        output.write(json ? report.json(verifiedOnly: false) + "\n" : report.text())
        output.flush()
        if let problem = summary.problem { throw problem.reported() }
    }
}

/// What `stat` (and `verify --json`) print, as text or JSON.
struct StatReport {
    let directory: String
    let status: String
    let problem: String?
    let messages: UInt64
    let firstSequence: UInt64?
    let lastSequence: UInt64?
    let segments: Int
    let frames: [String: UInt64]
    let rawBytes: UInt64
    let storedBytes: UInt64
    let payloadBytes: UInt64
    let compressionRatio: Double
    let storedBytesPerMessage: Double
    let durationSeconds: Double
    let messagesPerSecond: Double
    let exitStatus: Int32?
    let recording: Recording?
    let kinds: [String: UInt64]
    let processes: [String: UInt64]
    let threads: [String: UInt64]
    let uncovered: UncoveredImports

    struct Recording {
        let id: String
        let arguments: [String]
        let workingDirectory: String
        let host: String
        let uid: UInt32
        let startTimeNs: UInt64
        let abiVersion: UInt32
    }

    init(_ s: LogSummary, directory: String) {
        self.directory = directory
        switch (s.problem, s.outcome) {
        case (let problem?, _): status = problem.code.name
        case (nil, .cleanEnd?): status = "clean end"
        default: status = "still open"
        }
        problem = s.problem?.description
        messages = s.messages
        firstSequence = s.firstSequence
        lastSequence = s.lastSequence
        segments = s.segments.count
        frames = Dictionary(uniqueKeysWithValues: s.frames.map { ($0.key.description, $0.value) })
        rawBytes = s.rawBytes
        storedBytes = s.storedBytes
        payloadBytes = s.payloadBytes
        compressionRatio = s.storedBytes > 0 ? Double(s.rawBytes) / Double(s.storedBytes) : 0
        storedBytesPerMessage = s.messages > 0 ? Double(s.storedBytes) / Double(s.messages) : 0
        durationSeconds = s.duration
        messagesPerSecond = s.duration > 0 ? Double(s.messages) / s.duration : 0
        if case .cleanEnd(let end)? = s.outcome { exitStatus = end.exitStatus } else { exitStatus = nil }
        recording = s.recording.map {
            Recording(id: s.recordingID?.description ?? "", arguments: $0.arguments,
                      workingDirectory: $0.workingDirectory, host: $0.hostName, uid: $0.userID,
                      startTimeNs: $0.startTime, abiVersion: $0.interposerABIVersion)
        }
        kinds = Dictionary(uniqueKeysWithValues: s.byKind.map { ($0.key.description, $0.value) })
        processes = Dictionary(uniqueKeysWithValues: s.byProcess.map { (String($0.key), $0.value) })
        threads = Dictionary(uniqueKeysWithValues: s.byThread.map { ("\($0.key.process):\($0.key.thread)", $0.value) })
        uncovered = s.uncovered
    }

    func json(verifiedOnly: Bool) -> String {
        func optional(_ value: UInt64?) -> JSON { value.map(JSON.unsigned) ?? .null }
        var object: [String: JSON] = [
            "directory": .string(directory), "status": .string(status),
            "problem": problem.map(JSON.string) ?? .null, "messages": .unsigned(messages),
            "last_sequence": optional(lastSequence), "segments": .integer(Int64(segments)),
            "stored_bytes": .unsigned(storedBytes),
            "exit_status": exitStatus.map { .integer(Int64($0)) } ?? .null,
        ]
        if verifiedOnly { return JSON.object(object).text }
        func counts(_ table: [String: UInt64]) -> JSON { .object(table.mapValues(JSON.unsigned)) }
        object["first_sequence"] = optional(firstSequence)
        object["frames"] = counts(frames)
        object["raw_bytes"] = .unsigned(rawBytes)
        object["payload_bytes"] = .unsigned(payloadBytes)
        object["compression_ratio"] = .number(compressionRatio)
        object["stored_bytes_per_message"] = .number(storedBytesPerMessage)
        object["duration_seconds"] = .number(durationSeconds)
        object["messages_per_second"] = .number(messagesPerSecond)
        object["kinds"] = counts(kinds)
        object["processes"] = counts(processes)
        object["threads"] = counts(threads)
        object["uncovered"] = .object(uncovered.functions.mapValues { .array($0.sorted().map(JSON.string)) })
        object["recording"] = recording.map {
            .object(["id": .string($0.id), "arguments": .array($0.arguments.map(JSON.string)),
                     "working_directory": .string($0.workingDirectory), "host": .string($0.host),
                     "uid": .unsigned(UInt64($0.uid)), "start_time_ns": .unsigned($0.startTimeNs),
                     "abi_version": .unsigned(UInt64($0.abiVersion))])
        } ?? .null
        return JSON.object(object).text
    }

    func text() -> String {
        var out = "log:          \(directory)\n"
        if let recording {
            out += "recording:    \(recording.arguments.joined(separator: " "))\n"
            out += "              id \(recording.id), host \(recording.host), uid \(recording.uid), cwd \(recording.workingDirectory)\n"
        }
        out += "status:       \(status)\(exitStatus.map { ", exit status \($0)" } ?? "")\n"
        let range = firstSequence.map { " (sequence \($0)...\(lastSequence!))" } ?? ""
        out += "messages:     \(messages)\(range)\n"
        out += "segments:     \(segments)\n"
        out += "frames:       " + frames.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + "\n"
        out += "bytes:        raw \(NumberFormat.bytes(rawBytes)), stored \(NumberFormat.bytes(storedBytes)), ratio \(NumberFormat.fixed(compressionRatio, 2)), \(NumberFormat.fixed(storedBytesPerMessage, 2)) stored bytes/message, payloads \(NumberFormat.bytes(payloadBytes))\n"
        out += "duration:     \(NumberFormat.fixed(durationSeconds, 3)) s, \(NumberFormat.fixed(messagesPerSecond, 0)) messages/s\n"
        func table(_ title: String, _ counts: [String: UInt64]) {
            out += "\(title):\n"
            for (key, count) in counts.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) {
                let share = messages > 0 ? Double(count) * 100 / Double(messages) : 0
                out += "  \(key.rightPadded(20)) \(String(count).leftPadded(12)) \(NumberFormat.fixed(share, 1).leftPadded(6))%\n"
            }
        }
        table("kinds", kinds)
        table("processes", processes)
        table("threads (process:thread)", threads)
        if !uncovered.isEmpty {
            out += "not covered (imported, but not recorded if called; function and objects):\n" + uncovered.table
        }
        return out
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }

    fileprivate func rightPadded(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
