import CProcessShims
import Glibc

/// The program's processes, seen from the tool that started them: the tool is their subreaper,
/// so every process of the tree, orphans included, is reaped here.
public struct ProcessTree {
    /// The program's root process (also its process group).
    public let root: pid_t
    /// How the root ended, once it has been reaped.
    public private(set) var rootStatus: ProgramStatus?

    public init(root: pid_t) { self.root = root }

    /// Makes the calling process the subreaper of the processes it starts from now on.
    public static func becomeSubreaper() { _ = replrec_become_subreaper() }

    /// Reaps what has exited, without waiting; false once no process of the tree is left.
    public mutating func reapExited() -> Bool {
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, WNOHANG)
            if pid > 0 {
                note(pid, status)
                continue
            }
            return !(pid < 0 && errno == ECHILD)
        }
    }

    /// Waits until every process of the tree has exited.
    public mutating func waitForAll() {
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, 0)
            if pid > 0 {
                note(pid, status)
            } else if errno != EINTR {
                return  // ECHILD: the whole tree has exited
            }
        }
    }

    /// Kills every process of the tree (SIGKILL to its group, and to the root should it have left
    /// the group) and waits for them.
    public mutating func kill() {
        Glibc.kill(-root, SIGKILL)
        Glibc.kill(root, SIGKILL)
        waitForAll()
    }

    private mutating func note(_ pid: pid_t, _ status: Int32) {
        if pid == root { rootStatus = ProgramStatus(waitStatus: status) }
    }
}
