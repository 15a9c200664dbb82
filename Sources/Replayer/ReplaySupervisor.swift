import CommandLineSupport
import CReplABI
import Glibc
import LogFormat
import Logging
import ProgramSupport
import SystemPackage

/// One replay: the recorded command started under the interception layer in replay mode, a
/// `RingFeeder` putting the log's messages into the ring, the program watched for divergence,
/// lack of progress, a damaged log and (following) a primary that is gone, and the run checked
/// against the log's END record.
struct ReplaySupervisor {
    /// What to replay, and how.
    struct Configuration {
        var logDirectory: String
        /// Keep reading as the log grows, until its END record (a backup).
        var follow: Bool
        /// Seconds without progress, while messages wait, before a divergence is reported.
        var watchdog: Double
        /// With `follow`: go live when the log has not grown for this many seconds.
        var promoteAfter: Double?
        /// With `promoteAfter`: a shell command that must exit 0 before going live.
        var promoteCommand: String?
        /// Following: a file rewritten every second with where the replay stands.
        var statusFile: String?
        /// Stops for a debugger, taken in order (--stop-at).
        var stops: [StopPoint]
        /// Keep the diverging tree stopped for a debugger instead of ending it.
        var stopOnDivergence: Bool
        /// Attach gdb with the replrec extension at the first stop; with a script, in batch mode.
        var gdb: Bool
        var gdbScript: String?
        /// Print the one-line summary on standard error (and, following, a status line).
        var printsSummary: Bool
        /// A command to run instead of the recorded one (empty: the recorded one).
        var command: [String]
        /// Replay a log that another user owns or others can write (LogTrust).
        var trust: Bool
        /// The recording's standard output, as captured, for reports of output that differs.
        var recordedOutput: String?
    }

    let configuration: Configuration
    let logger = Logger(label: "replplay")
    /// When the replay began (monotonic seconds).
    let started = SystemClock.monotonicSeconds()

    init(_ configuration: Configuration) {
        self.configuration = configuration
    }

    /// Replays the log; the status replplay exits with (the recorded one when the replay
    /// matches it to the end).
    func run() throws -> Int32 {
        let logPath = CurrentProcess.absolute(configuration.logDirectory)
        let log = LogDirectory(FilePath(logPath))
        let (id, header) = try recordingStart(log, path: logPath)
        if !configuration.trust { try LogTrust(directory: log).check() }
        try checkPromotion(against: header)
        if !LogTrust.isFamiliar(id) {
            let command = configuration.command.isEmpty ? header.arguments : configuration.command
            writeStandardError(LogTrust.announcement(of: header, running: command))
        }
        ProcessTree.becomeSubreaper()
        Interruption.catchSignals()
        let debugger = configuration.gdb ? try DebuggerSession(batchScript: configuration.gdbScript) : nil
        var points = configuration.gdb && configuration.stops.isEmpty ? [StopPoint(.sequence(1))] : configuration.stops
        while true {
            switch try replayOnce(header, logPath: logPath, stops: DebuggerStops(points), debugger: debugger) {
            case .finished(let status):
                return status
            case .again(let event):
                // Going back (the gdb extension's goto): the same log replayed from the start to
                // the event, gdb waiting to attach to the new process there.
                points = [StopPoint(.sequence(event))]
            }
        }
    }

    private enum Replayed {
        case finished(Int32)
        case again(upTo: UInt64)
    }

    /// One run of the program under the layer, fed from the log from its start.
    private func replayOnce(_ header: RecordingHeader, logPath: String, stops: DebuggerStops,
                            debugger: DebuggerSession?) throws -> Replayed {
        let launcher = try programLauncher(header)
        let region = launcher.region
        let reader = LogReader(directory: FilePath(logPath), mode: configuration.follow ? .follow : .offline,
                               streamingPayloads: true)
        let feeder = RingFeeder(region: region, reader: reader)
        feeder.start()
        stops.armFirst(region)
        var tree = ProcessTree(root: try launcher.launch())
        var status = FollowStatus(shows: configuration.printsSummary, following: configuration.follow,
                                  statusFile: configuration.statusFile,
                                  replayed: region.replayed, at: SystemClock.monotonicSeconds())
        let ending = watch(&tree, region: region, feeder: feeder, status: &status, stops: stops, debugger: debugger)
        if case .exited = ending { waitForEndRecord(feeder, region: region) }
        feeder.stop()
        if case .restart(let event) = ending { return .again(upTo: event) }
        let exitStatus = conclude(ending, region: region, feeder: feeder, debugged: !stops.heldProcesses.isEmpty)
        for point in stops.unreached {
            writeStandardError("replplay: --stop-at \(point) was not reached: the replay ended after sequence \(region.replayed)\n")
        }
        status.finish(wentLive: ending.wentLive, replayed: region.replayed, fed: feeder.lastFed, exitStatus: exitStatus)
        return .finished(exitStatus)
    }

    /// The log's recording id and header; following, waits for the primary to write them.
    private func recordingStart(_ log: LogDirectory, path: String) throws -> (id: RecordingID, header: RecordingHeader) {
        while true {
            if let start = try log.recordingStart() { return start }
            guard configuration.follow else {
                throw LogError(.noLog, "no recording header yet", at: LogLocation(file: path))
            }
            usleep(20_000)
        }
    }

    /// --promote-after must outlast the primary's heartbeats, or an idle primary would look dead.
    private func checkPromotion(against header: RecordingHeader) throws {
        guard configuration.follow, let promoteAfter = configuration.promoteAfter else { return }
        let interval = Double(header.heartbeatInterval) / 1e9
        if interval == 0 {
            logger.warning("the primary writes no heartbeats (--heartbeat inf, or a log of format version 1): an idle primary will be taken for a stopped one after \(NumberFormat.fixed(promoteAfter)) s")
        } else if promoteAfter < 2 * interval {
            throw ToolError.usage("--promote-after \(NumberFormat.fixed(promoteAfter)) s is less than twice the primary's heartbeat interval (\(NumberFormat.fixed(interval)) s): an idle primary would be taken for a stopped one")
        }
    }

    /// The recorded (or the given) command, found and checked, in the recorded working directory
    /// and environment, with a new replay-mode region.
    private func programLauncher(_ header: RecordingHeader) throws -> ProgramLauncher {
        // Made absolute before the recorded working directory is entered. It reaches the layer
        // through the region: a variable more would move the program's initial stack.
        let recordedOutput = configuration.recordedOutput.map(CurrentProcess.absolute)
        if let recordedOutput, access(recordedOutput, R_OK) != 0 {
            throw ToolError.failed("cannot read the recorded output \(recordedOutput): \(String(cString: strerror(errno)))")
        }
        let arguments = configuration.command.isEmpty ? header.arguments : configuration.command
        guard !arguments.isEmpty else { throw ToolError.failed("the log records no command") }
        guard chdir(header.workingDirectory) == 0 else {
            throw ToolError.failed("cannot enter the recorded working directory \(header.workingDirectory)")
        }
        let path = try ProgramCheck.resolve(arguments[0], environment: header.environment)
        let layer = try Interposer.locate()
        let region = try SharedRegion(mode: REPL_MODE_REPLAY)
        var launcher = ProgramLauncher(path: path, arguments: arguments, environment: header.environment,
                                       layer: layer, region: region, defaultSignals: [])
        launcher.workingDirectory = header.workingDirectory
        if let recorded = header.inheritedDescriptors, let here = ProgramLauncher.inheritableDescriptors() {
            // The program's descriptors at the recorded numbers: what replplay holds beyond the
            // recorded ones stays here (one at a number the program later creates would stop
            // the replay there), and a recorded one replplay lacks is /dev/null.
            launcher.withheldDescriptors = here.filter { !recorded.contains($0) }
            launcher.standInDescriptors = recorded.filter { !here.contains($0) }
            if !launcher.standInDescriptors.isEmpty && configuration.printsSummary {
                logger.notice("the recorded program inherited descriptor(s) \(launcher.standInDescriptors.map(String.init).joined(separator: ", ")), which replplay does not have: /dev/null stands in")
            }
        }
        if let recordedOutput { try region.setRecordedOutput(recordedOutput) }
        return launcher
    }

    /// The program may finish before the feeder has read the END record after its last message
    /// (or, following, before that record reaches a refreshed copy): waits for it, or for
    /// --promote-after. Offline, only while the feeder is not stuck on messages the program left
    /// unreplayed.
    private func waitForEndRecord(_ feeder: RingFeeder, region: SharedRegion) {
        while !feeder.isDone {
            if configuration.follow, let promoteAfter = configuration.promoteAfter,
               SystemClock.monotonicSeconds() - max(feeder.lastGrowthTime, started) > promoteAfter { break }
            // Fed beyond what was replayed: the program left messages, and the END record does not
            // change that. (Fed short of it is the feeder's count lagging its last slot.)
            if !configuration.follow && feeder.lastFed > region.replayed { break }
            usleep(1000)
        }
    }
}
