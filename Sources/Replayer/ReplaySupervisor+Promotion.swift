import CommandLineSupport
import Glibc
import LogFormat

/// Going live: the checks before a backup takes over from a primary that has stopped.
extension ReplaySupervisor {
    /// How long `--promote-command` may run before it counts as refusing.
    static let promoteCommandLimit: Double = 60

    /// Whether to go live now, the log having been silent for --promote-after with everything in
    /// it replayed: `--promote-command` (if any) must exit 0, and the log must not have grown
    /// while it ran (a command that fetches the last of the primary's log is a good one). A
    /// refusal is reported; the backup goes on following and asks again after another silence.
    func promotionAllowed(replayed: UInt64, feeder: RingFeeder, silentSince: Double) -> Bool {
        guard let command = configuration.promoteCommand else { return true }
        logger.notice("the log has not grown for \(NumberFormat.fixed(SystemClock.monotonicSeconds() - silentSince)) s; running --promote-command before going live after sequence \(replayed)")
        let environment = ["REPLPLAY_LOG=\(CurrentProcess.absolute(configuration.logDirectory))",
                           "REPLPLAY_SEQUENCE=\(replayed)"]
        switch PromoteCommand(command, environment: environment).run(limit: Self.promoteCommandLimit) {
        case .exited(0):
            break
        case .exited(let status):
            logger.error("promotion refused: --promote-command exited with status \(status); still following")
            return false
        case .failed(let why):
            logger.error("promotion refused: --promote-command \(why); still following")
            return false
        }
        // What the command brought (a last rsync from the primary) is replayed before going live.
        let deadline = SystemClock.monotonicSeconds() + 0.5
        while feeder.lastFed == replayed && SystemClock.monotonicSeconds() < deadline { usleep(10_000) }
        if feeder.lastFed > replayed {
            logger.notice("the log grew while --promote-command ran (to sequence \(feeder.lastFed)): replaying it first")
            return false
        }
        return true
    }
}
