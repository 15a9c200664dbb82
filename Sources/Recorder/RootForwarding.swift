import CProcessShims
import Glibc

/// Forwards SIGTERM and SIGHUP sent to the recorder to the program's root process (unless
/// replrec was started with them ignored).
enum RootForwarding {
    nonisolated(unsafe) static var root: pid_t = 0

    static func install(_ pid: pid_t) {
        root = pid
        for sig in [SIGTERM, SIGHUP] where replrec_is_ignored(sig) == 0 {
            signal(sig) { received in kill(RootForwarding.root, received) }
        }
    }
}
