/// The exit statuses `replrec` and `replplay` report for themselves (README, `--help`). Any other
/// status is the program's own, passed through.
public enum ToolExitStatus: Int32, Sendable {
    /// Bad options or arguments, also those found wrong only against the log.
    case usage = 64
    /// replplay: the program made another call than the log records, stopped making progress,
    /// or ended otherwise than recorded.
    case divergence = 120
    /// replplay: the log is damaged (corruption, gap, unsupported version, torn tail when not
    /// following).
    case damagedLog = 121
    /// replplay: the log is owned by another user or writable by others, and --trust was not
    /// given.
    case untrusted = 122
    /// The tool failed (log, shared memory) or refused the program (setuid, setgid, statically
    /// linked).
    case failed = 125
    /// The program exists but cannot be run.
    case cannotRun = 126
    /// The program was not found.
    case notFound = 127
}
