import Foundation
import LogFormat
import SystemPackage

/// Everything in a log, read to its end with ``LogReader``: the messages, how the log ended, the
/// recording header.
public struct LogContents {
    public var messages: [Message] = []
    /// How the log ended; `nil` when following timed out.
    public var outcome: LogCursor.Outcome?
    public var recording: RecordingHeader?

    /// Reads what is there (offline), from `sequence` on. Errors (torn tail, corruption, gap)
    /// are thrown.
    public init(_ directory: FilePath, from sequence: UInt64 = 1) throws {
        let reader = LogReader(directory: directory, from: sequence)
        while let message = try reader.next() { messages.append(message) }
        outcome = reader.outcome
        recording = reader.recording
    }

    public init(_ directory: String, from sequence: UInt64 = 1) throws {
        try self.init(FilePath(directory), from: sequence)
    }

    /// Follows a log that is still being written (or does not exist yet) until its END record,
    /// giving up after `timeout` seconds (``outcome`` is `nil` then).
    public static func following(_ directory: String, timeout: Double = 120) throws -> LogContents {
        let reader = LogReader(directory: FilePath(directory), mode: .follow, pollInterval: .milliseconds(1))
        let deadline = Date().addingTimeInterval(timeout)
        var contents = LogContents()
        while Date() < deadline {
            switch try reader.nextAvailable() {
            case .message(let message): contents.messages.append(message)
            case .waiting: usleep(1000)
            case .finished(let outcome):
                contents.outcome = outcome
                contents.recording = reader.recording
                return contents
            }
        }
        return contents
    }

    private init() {}

    public var kinds: Set<MessageKind> { Set(messages.map(\.kind)) }
    public var processes: Set<UInt32> { Set(messages.map(\.process)) }
    public var threads: Set<String> { Set(messages.map { "\($0.process):\($0.thread)" }) }
}
