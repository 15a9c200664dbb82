import ArgumentParser
import LogFormat

/// The documented exit statuses of `logtool` (see `logtool --help`).
enum ExitStatus {
    static let stillOpen: Int32 = 2

    static func of(_ code: LogError.Code) -> Int32 {
        switch code {
        case .tornTail: 3
        case .corruption: 4
        case .gap: 5
        case .notALog, .unsupportedVersion: 6
        case .noLog: 7
        default: 1
        }
    }
}

extension LogError {
    /// Reports the error on standard error and turns it into the documented exit status.
    func reported() -> ExitCode {
        logger.error("\(self)")
        return ExitCode(ExitStatus.of(code))
    }
}
