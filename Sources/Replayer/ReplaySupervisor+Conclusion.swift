import CommandLineSupport
import Glibc
import LogFormat
import ProgramSupport

/// Telling how the replay ended.
extension ReplaySupervisor {
    /// Reports how the replay ended (checked against the END record when the program exited)
    /// and returns replplay's exit status.
    func conclude(_ ending: ReplayEnding, region: SharedRegion, feeder: RingFeeder, debugged: Bool = false) -> Int32 {
        // The signal may have reached the program (its process group) before replplay saw it.
        let ending = Interruption.signal.map(ReplayEnding.interrupted) ?? ending
        switch ending {
        case .interrupted(let signal):
            logger.error("interrupted by \(SignalName.of(signal)) at sequence \(region.replayed) (not a divergence); the replayed processes were ended")
            return 128 + signal
        case .promoted(let status, let sequence):
            if configuration.printsSummary {
                writeStandardError("replplay: the program ran live after sequence \(sequence) and exited with status \(status)\n")
            }
            return status
        case .restart:  // replayOnce replays again instead
            return ExitStatus.toolFailed.rawValue
        case .diverged(let report):
            logger.error("divergence: \(report)")
            return ExitStatus.divergence.rawValue
        case .badLog(let error):
            logger.error("\(error)")
            return ExitStatus.damagedLog.rawValue
        case .exited(let status) where debugged && status == 128 + SIGKILL:
            // `kill` in gdb, or quitting it after one: the person ended the replay there.
            logger.notice("the program was killed while debugged, after sequence \(region.replayed): the replay ends there (not a divergence)")
            return status
        case .exited(let status):
            return concludeExit(status, replayed: region.replayed, feeder: feeder)
        }
    }

    /// The program exited: it must have replayed the whole recording and exited as recorded.
    private func concludeExit(_ status: Int32, replayed: UInt64, feeder: RingFeeder) -> Int32 {
        guard case .cleanEnd(let end)? = feeder.outcome else {
            // Damage after the last message (in the END record, the footer, a segment after END)
            // is damage, as anywhere else.
            if let failure = feeder.failure, failure.code != .tornTail || !configuration.follow {
                logger.error("\(failure)")
                return ExitStatus.damagedLog.rawValue
            }
            logger.error("the program exited (status \(status)) at sequence \(replayed), but the log has no END record")
            return ExitStatus.divergence.rawValue
        }
        guard replayed == end.lastSequence else {
            logger.error("divergence: the program ended after sequence \(replayed); the recording goes on to \(end.lastSequence)")
            return ExitStatus.divergence.rawValue
        }
        guard status == end.exitStatus else {
            logger.error("divergence: the program exited with status \(status) after its last recorded call (sequence \(replayed)); the recording ended with \(end.exitStatus)")
            return ExitStatus.divergence.rawValue
        }
        if configuration.printsSummary {
            let seconds = NumberFormat.fixed(SystemClock.monotonicSeconds() - started)
            writeStandardError("replplay: replayed \(replayed) messages in \(seconds) s, exit status \(status) as recorded"
                               + (configuration.follow ? Self.lagSummary(feeder.lagSamples) : "") + "\n")
        }
        return status
    }

    /// ", follow lag p50 1.2 ms, p99 3.4 ms over N frames"
    static func lagSummary(_ samples: [UInt64]) -> String {
        guard !samples.isEmpty else { return "" }
        let sorted = samples.sorted()
        func percentile(_ p: Double) -> String {
            NumberFormat.fixed(Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1e6)
        }
        return ", follow lag p50 \(percentile(0.5)) ms, p99 \(percentile(0.99)) ms over \(samples.count) frames"
    }
}
