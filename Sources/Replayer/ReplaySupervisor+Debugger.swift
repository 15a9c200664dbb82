import CommandLineSupport
import Glibc
import LogFormat
import ProgramSupport

/// Stops for a debugger, gdb, and a divergence kept for one.
extension ReplaySupervisor {
    /// Reports a new stop (and attaches gdb at the first), takes the extension's requests, and
    /// resumes the program when gdb has ended: quitting the debugger ends the debugging, not
    /// the replay, which goes on and is judged as any other.
    ///
    /// Returns the event to replay again up to, when the extension asks to go back.
    func attendDebugger(stops: DebuggerStops, debugger: DebuggerSession?, region: SharedRegion,
                        tree: inout ProcessTree) -> UInt64? {
        let stop = stops.poll(region)
        if let stop, let debugger, !debugger.hasEnded {
            do {
                try debugger.attach(to: stop, region: region)
            } catch {
                logger.error("\(error); the replay goes on without a debugger")
                tree.signalAll(SIGCONT)
            }
        }
        guard let debugger, debugger.isRunning else { return nil }
        if let gdb = debugger.process { tree.spared = [gdb] }
        switch debugger.takeRequest() {
        case .stop(let point)?: stops.arm(point, region)
        case .restart(let event)?: return event
        case nil: break
        }
        debugger.writeState(region, stop: stops.last, force: stop != nil)
        if debugger.checkEnded() {
            tree.spared = []
            tree.signalAll(SIGCONT)
        }
        return nil
    }

    /// --stop-on-divergence: the whole tree is stopped where it diverged, the report says how to
    /// attach, and replplay waits until the tree is gone (the person ends it) or it is itself
    /// interrupted.
    func holdForDebugger(_ tree: inout ProcessTree, ending: ReplayEnding, region: SharedRegion) {
        guard case .diverged(let report) = ending, let divergence = region.divergence else { return }
        logger.error("divergence: \(report)")
        tree.signalAll(SIGSTOP)
        writeStandardError("""
            replplay: the replayed processes are kept stopped where they diverged (--stop-on-divergence): \
            gdb -p \(divergence.realPID) (thread \(divergence.realTID) made the call); \
            replplay waits until they are ended (kill -KILL \(tree.root)) or it is interrupted

            """)
        while tree.reapExited() && Interruption.signal == nil { usleep(20_000) }
    }
}
