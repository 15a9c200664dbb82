import LogFormat

/// How the supervised program's run ended, before it is checked against the log's END record.
enum ReplayEnding {
    /// Every process exited; the root's status.
    case exited(Int32)
    /// Went live after this sequence number; the program's own exit status.
    case promoted(Int32, after: UInt64)
    /// The program was stopped: it did something else than the log records, or nothing.
    case diverged(String)
    /// The program was stopped at the damage in the log.
    case badLog(LogError)
    /// replplay was sent this signal (SIGINT, SIGTERM, SIGHUP) and ended the program.
    case interrupted(Int32)
    /// The debugger asked to go back: the program was ended, to be replayed again up to this event.
    case restart(at: UInt64)

    var wentLive: Bool {
        if case .promoted = self { return true }
        return false
    }
}
