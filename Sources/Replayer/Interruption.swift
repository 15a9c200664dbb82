import CProcessShims
import Glibc
import Synchronization

/// SIGINT, SIGTERM or SIGHUP sent to replplay: the user (or a service manager) ending the replay.
/// That is not a divergence: the tree is ended and replplay exits with 128 + the signal, saying
/// where the replay was.
enum Interruption {
    private static let received = Atomic<Int32>(0)

    /// Catches the three signals from now on (those not ignored when replplay started).
    static func catchSignals() {
        for sig in [SIGINT, SIGTERM, SIGHUP] where replrec_is_ignored(sig) == 0 {
            _ = Glibc.signal(sig) { sig in Interruption.received.store(sig, ordering: .relaxed) }
        }
    }

    /// The signal that interrupted the replay, if one has.
    static var signal: Int32? {
        let sig = received.load(ordering: .relaxed)
        return sig == 0 ? nil : sig
    }
}
