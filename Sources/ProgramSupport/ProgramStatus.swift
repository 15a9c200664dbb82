import CProcessShims

/// How the program's root process ended, shell style: its exit status, or 128 + n when signal n
/// ended it.
public struct ProgramStatus: Hashable, Sendable {
    /// The status the tool exits with (and the log's END record holds).
    public var exitStatus: Int32
    /// The signal that ended the process; 0 when it exited.
    public var signal: Int32

    public init(exitStatus: Int32, signal: Int32 = 0) {
        self.exitStatus = exitStatus
        self.signal = signal
    }

    /// The status `waitpid` reported for a process that has ended.
    public init(waitStatus status: Int32) {
        if replrec_signaled(status) != 0 {
            self.init(exitStatus: 128 + replrec_term_signal(status), signal: replrec_term_signal(status))
        } else {
            self.init(exitStatus: replrec_exit_status(status))
        }
    }
}
