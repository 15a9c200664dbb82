import Glibc
import Logging

/// Diagnostics the way command-line tools print them: `tool: message`, or `tool: warning:
/// message` from warnings up, on standard error, without time stamps or metadata noise.
public struct StandardErrorLogHandler: LogHandler {
    public let label: String
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]

    public init(label: String) { self.label = label }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let prefix = event.level >= .warning ? "\(label): \(event.level): " : "\(label): "
        writeStandardError(prefix + "\(event.message)\n")
    }
}

/// Writes to file descriptor 2 directly (no shared `FILE *` state).
public func writeStandardError(_ text: String) {
    var text = text
    text.withUTF8 { bytes in
        var offset = 0
        while offset < bytes.count {
            let n = write(STDERR_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
            if n <= 0 { return }
            offset += n
        }
    }
}
