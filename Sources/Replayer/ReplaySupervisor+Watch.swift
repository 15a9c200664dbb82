import CommandLineSupport
import Glibc
import LogFormat
import ProgramSupport

/// Watching the program while it replays.
extension ReplaySupervisor {
    /// Reaps the tree until it has exited, watching for divergence, lack of progress and a
    /// damaged log (each stops the program) and, with --promote-after, for a primary that is gone.
    func watch(_ tree: inout ProcessTree, region: SharedRegion, feeder: RingFeeder,
               status: inout FollowStatus, stops: DebuggerStops, debugger: DebuggerSession?) -> ReplayEnding {
        var progress = ReplayProgress(replayed: region.replayed, at: SystemClock.monotonicSeconds())
        while tree.reapExited() {
            if let signal = Interruption.signal {
                tree.kill()
                return .interrupted(signal)
            }
            if let ending = divergenceOrDamage(region: region, feeder: feeder, live: progress.isLive) {
                if configuration.stopOnDivergence, case .diverged = ending {
                    holdForDebugger(&tree, ending: ending, region: region)
                    tree.kill()
                    return .diverged("at sequence \(region.divergence?.sequence ?? 0), reported above")
                }
                tree.kill()
                return ending
            }
            let replayed = region.replayed
            let now = SystemClock.monotonicSeconds()
            if let event = attendDebugger(stops: stops, debugger: debugger, region: region, tree: &tree) {
                tree.kill()
                return .restart(at: event)
            }
            // A person or a debugger holding the program is not a lack of progress.
            let held = stops.isHolding()
            if held { progress.hold(at: now) }
            if let ending = checkProgress(&progress, replayed: replayed, at: now, region: region, feeder: feeder) {
                tree.kill()
                return ending
            }
            if !progress.isLive && !held && endsKilledFromOutside(after: replayed, feeder: feeder) {
                tree.kill()  // as on the primary, after its last message; the conclusion compares the status
                continue
            }
            status.update(progress.isLive ? .live : configuration.follow ? .following : .replaying, replayed: replayed, fed: feeder.lastFed,
                          newestFrameTime: feeder.newestFrameTime, at: now)
            usleep(2000)
        }
        let status = tree.rootStatus?.exitStatus ?? 0
        return progress.promotedAfter.map { .promoted(status, after: $0) } ?? .exited(status)
    }

    /// Whether the recording ends with its root killed by SIGKILL, which no intercepted call
    /// sees (a kill from outside the recording, or the OOM killer), and the replay has reached
    /// its last message: the replay makes that kill there, rather than wait for calls the
    /// primary never made.
    private func endsKilledFromOutside(after replayed: UInt64, feeder: RingFeeder) -> Bool {
        guard case .cleanEnd(let end)? = feeder.outcome else { return false }
        return end.signal == SIGKILL && replayed == end.lastSequence
    }

    /// A divergence the layer has reported, or damage in the log that the program has reached.
    private func divergenceOrDamage(region: SharedRegion, feeder: RingFeeder, live: Bool) -> ReplayEnding? {
        if let divergence = region.divergence {
            guard divergence.cause != .damagedLog else {
                return .badLog(LogError(.corruption, "the recorded result cannot be the call's: \(divergence)",
                                        at: LogLocation(sequence: divergence.sequence)))
            }
            return .diverged(divergence.description)
        }
        // Following, a torn tail is where the primary's writing has got to, not damage.
        guard !live, let failure = feeder.failure, failure.code != .tornTail || !configuration.follow else {
            return nil
        }
        // Everything before the damage has been fed; the program cannot go past it.
        return region.replayed == feeder.lastFed ? .badLog(failure) : nil
    }

    /// Goes live when the primary is gone; a divergence when the program has stopped making
    /// progress or goes on past the end of the recording.
    private func checkProgress(_ progress: inout ReplayProgress, replayed: UInt64, at now: Double,
                               region: SharedRegion, feeder: RingFeeder) -> ReplayEnding? {
        // Live, the program runs for real until it exits.
        guard !progress.isLive, !progress.advance(to: replayed, at: now) else { return nil }
        let silentSince = max(progress.movedAt, feeder.lastGrowthTime, progress.promotionRefusedAt)
        if let promoteAfter = configuration.promoteAfter, !feeder.isDone, replayed == feeder.lastFed,
           now - silentSince > promoteAfter {
            // The log stopped growing, heartbeats included, without an END record: the primary
            // is gone. Everything logged has been replayed; go live if the fence allows.
            guard promotionAllowed(replayed: replayed, feeder: feeder, silentSince: silentSince) else {
                progress.promotionRefusedAt = SystemClock.monotonicSeconds()
                return nil
            }
            feeder.requestStop()
            region.promote()
            progress.promotedAfter = replayed
            logger.notice("promoted: the log stopped growing \(NumberFormat.fixed(now - silentSince)) s ago, heartbeats included, without an END record; live after sequence \(replayed)")
            return nil
        }
        return watchdogReport(progress, replayed: replayed, at: now, region: region, feeder: feeder)
    }

    /// The divergence to report once the program has made no progress for --watchdog seconds
    /// (not counting while a stop or a debugger holds it), unless it waits for messages the log
    /// has not delivered yet.
    private func watchdogReport(_ progress: ReplayProgress, replayed: UInt64, at now: Double,
                                region: SharedRegion, feeder: RingFeeder) -> ReplayEnding? {
        let watchdog = configuration.watchdog
        guard now - progress.movedAt > watchdog else {
            return nil
        }
        if feeder.lastFed > replayed {
            let expected = region.publishedCall(at: replayed + 1)
                .map { "\($0.kindAndResource) by logical process \($0.process) thread \($0.thread)" } ?? "the message"
            return .diverged("no progress for \(NumberFormat.fixed(watchdog)) s at sequence \(replayed + 1): \(expected) does not come")
        }
        guard feeder.isDone else { return nil }
        // Following, the feeder stops at damage it takes for the primary's writing in progress
        // (divergenceOrDamage): the program waits there, and the damage is why.
        if let failure = feeder.failure { return .badLog(failure) }
        return .diverged("the program goes on past the end of the recording (sequence \(replayed)) for \(NumberFormat.fixed(watchdog)) s")
    }
}
