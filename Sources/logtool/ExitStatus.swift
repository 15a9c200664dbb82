import ArgumentParser
import LogFormat

/// The documented exit statuses of `logtool` (see `logtool --help`).
enum ExitStatus: Int32 {
    /// The log ends cleanly (END record), or the command succeeded.
    case clean = 0
    /// Any other error (I/O).
    case failed = 1
    /// verify: the log is valid but still open (no END record yet).
    case stillOpen = 2
    /// The newest segment ends inside a frame (the writer was interrupted).
    case tornTail = 3
    /// Damaged data followed by more data, or inside a sealed segment.
    case corruption = 4
    /// Missing sequence numbers or segments, or a broken segment chain.
    case gap = 5
    /// Not a log, or a format version this build does not read.
    case notALog = 6
    /// The directory is missing, not a directory, or holds no segment.
    case noLog = 7
    /// A usage error (reported by ArgumentParser itself).
    case usage = 64

    /// The status for a log problem of this kind.
    init(_ code: LogError.Code) {
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
    var exitCode: ExitCode { ExitCode(rawValue) }
}

extension LogError {
    /// Reports the error on standard error and turns it into the documented exit status.
    func reported() -> ExitCode {
        logger.error("\(self)")
        return ExitStatus(code).exitCode
    }
}
