import LogFormat
import SystemPackage

/// A recorded log the fuzzer mutates: every message, the recording header and the END record,
/// held whole (seeds are small recordings).
struct Seed {
    var name: String
    var recording: RecordingHeader
    var messages: [Message]
    var end: EndRecord

    enum LoadError: Error, CustomStringConvertible {
        case notEnded(String)
        var description: String {
            switch self {
            case .notEnded(let path): "\(path): the seed log has no END record (record it to the end)"
            }
        }
    }

    init(directory: String) throws {
        let reader = LogReader(directory: FilePath(directory))
        var messages: [Message] = []
        while let message = try reader.next() { messages.append(message) }
        guard case .cleanEnd(let end)? = reader.outcome, let recording = reader.recording else {
            throw LoadError.notEnded(directory)
        }
        self.name = FilePath(directory).lastComponent?.string ?? directory
        self.recording = recording
        self.messages = messages
        self.end = end
    }

    /// Writes the messages, renumbered from 1 in their order, and an END record after them.
    func write(to directory: String) throws {
        let writer = try LogWriter(directory: FilePath(directory), recording: recording)
        for (index, var message) in messages.enumerated() {
            message.sequence = UInt64(index + 1)
            try writer.append(message)
        }
        try writer.finish(exitStatus: end.exitStatus, signal: end.signal)
    }
}
