import CommandLineSupport

/// Why `replrec` or `replplay` could not run the program, with the exit status it reports
/// (`ExitStatus`). The program's own status passes through otherwise.
public struct ToolError: Error, CustomStringConvertible {
    public enum Kind: Sendable {
        case notFound, notExecutable, refused, failed, untrusted, usage
    }

    public var kind: Kind
    public var message: String

    public static func notFound(_ message: String) -> ToolError { .init(kind: .notFound, message: message) }
    public static func notExecutable(_ message: String) -> ToolError { .init(kind: .notExecutable, message: message) }
    public static func refused(_ message: String) -> ToolError { .init(kind: .refused, message: message) }
    public static func failed(_ message: String) -> ToolError { .init(kind: .failed, message: message) }
    public static func untrusted(_ message: String) -> ToolError { .init(kind: .untrusted, message: message) }
    public static func usage(_ message: String) -> ToolError { .init(kind: .usage, message: message) }

    public var exitStatus: ExitStatus {
        switch kind {
        case .notFound: .notFound
        case .notExecutable: .cannotRun
        case .refused, .failed: .toolFailed
        case .untrusted: .untrusted
        case .usage: .usage
        }
    }

    public var description: String { message }
}
