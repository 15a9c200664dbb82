import ArgumentParser
import LogFormat

/// The exit statuses of replrec, replplay and logtool: one table, shown in each tool's `--help`
/// and in the README (a test keeps the README's the same). replrec and replplay otherwise exit
/// with the program's own status, so their own statuses sit in 120-127, where shells put theirs;
/// logtool's log classes are small numbers, as verify tools use.
public enum ExitStatus: Int32, CaseIterable, Sendable {
    case success = 0
    /// logtool: any other error (I/O).
    case failed = 1
    case stillOpen = 2
    case tornTail = 3
    case corruption = 4
    case gap = 5
    case notALog = 6
    case noLog = 7
    case usage = 64
    case divergence = 120
    case damagedLog = 121
    case untrusted = 122
    case nothingToReplay = 123
    case toolFailed = 125
    case cannotRun = 126
    case notFound = 127

    /// A tool the table speaks of.
    public enum Tool: String, CaseIterable, Sendable {
        case replrec, replplay, logtool
    }

    /// The tools that exit with this status, for their own reasons.
    public var tools: [Tool] {
        switch self {
        case .success, .usage: Tool.allCases
        case .failed, .stillOpen, .tornTail, .corruption, .gap, .notALog, .noLog: [.logtool]
        case .divergence, .damagedLog, .untrusted, .nothingToReplay: [.replplay]
        case .toolFailed, .cannotRun, .notFound: [.replrec, .replplay]
        }
    }

    /// What the status means, in a few words.
    public var meaning: String {
        switch self {
        case .success: "success; logtool verify: the log ends cleanly (END record)"
        case .failed: "any other error (I/O)"
        case .stillOpen: "the log is valid but still open (no END record yet)"
        case .tornTail: "the newest segment ends inside a frame (the writer was interrupted)"
        case .corruption: "damaged data followed by more data, or inside a sealed segment; a message whose recorded result cannot be its call's"
        case .gap: "missing sequence numbers or segments, a broken segment chain, or a number the recorder logged as lost"
        case .notALog: "not a log, or a format version this build does not read"
        case .noLog: "the directory is missing, not a directory, or holds no segment"
        case .usage: "a usage error: an unknown option, a bad value, a missing argument"
        case .divergence: "the program made another call than the log records, wrote other bytes, stopped making progress, or ended differently"
        case .damagedLog: "the log is damaged (corruption, gap, unsupported version, a torn tail when not following, a recorded result that cannot be its call's)"
        case .untrusted: "the log is owned by another user or writable by others (--trust)"
        case .nothingToReplay: "no log at the directory (missing, empty, or no recording header yet)"
        case .toolFailed: "the tool failed (log, shared memory), or refused the program (setuid, setgid, statically linked)"
        case .cannotRun: "the program exists but cannot be run"
        case .notFound: "the program was not found"
        }
    }

    /// The statuses `tool` exits with, as the lines of its --help.
    public static func helpSection(for tool: Tool) -> String {
        let own = allCases.filter { $0.tools.contains(tool) }.map { "  \($0.rawValue)\t\($0.meaning)" }
        let passthrough: String = switch tool {
        case .replrec: "Otherwise the program's own status (128 + n when signal n ended it)."
        case .replplay: "Otherwise the recorded status when the replay matches it to the end; after going live, the program's own; 128 + n when signal n interrupted replplay."
        case .logtool: ""
        }
        return (["Exit status:"] + own + (passthrough.isEmpty ? [] : [passthrough])).joined(separator: "\n")
    }

    /// logtool's status for a log problem of this kind.
    public init(_ code: LogError.Code) {
        switch code {
        case .tornTail: self = .tornTail
        case .corruption: self = .corruption
        case .gap: self = .gap
        case .notALog, .unsupportedVersion: self = .notALog
        case .noLog: self = .noLog
        default: self = .failed
        }
    }

    /// The status as ArgumentParser's error to throw from `run()`.
    public var exitCode: ExitCode { ExitCode(rawValue) }
}
