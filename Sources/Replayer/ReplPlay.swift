import ArgumentParser
import CommandLineSupport
import CProcessShims
import CReplABI
import Glibc
import LogFormat
import Logging
import ProgramSupport
import SystemPackage

@main
struct ReplPlay: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replplay",
        abstract: "Replay a recorded program in the primary's exact order.",
        discussion: """
            Runs the command, environment and working directory recorded in DIR (a command after
            -- overrides the recorded one, e.g. a rebuilt binary with debug symbols) with the
            interception layer in replay mode: every intercepted call waits for its turn and
            returns the recorded result.

            Exit status: the recorded exit status when replay completes; 120 divergence (the
            program made another call than the log records, stopped making progress, or ended
            differently); 121 the log is damaged (corruption, gap, unsupported version, torn
            tail when not following); 125 replplay failed; 126/127 the program cannot be run.
            """)

    @Argument(help: "The log directory.")
    var directory: String

    @Flag(help: "Keep waiting for the log to grow until its END record (a backup).")
    var follow = false

    @Option(help: "Seconds without progress, while messages are waiting, before a divergence is reported.")
    var watchdog: Double = 10

    @Option(name: .customLong("promote-after"),
            help: "With --follow: go live when the log has not grown for this many seconds and has no END record.")
    var promoteAfter: Double?

    @Option(name: .customLong("stop-at"),
            help: "Stop the thread about to execute this sequence number (SIGSTOP) and print how to attach a debugger.")
    var stopAt: UInt64?

    @Flag(name: .shortAndLong, help: "No summary line.")
    var quiet = false

    @Argument(parsing: .postTerminator, help: "A command to run instead of the recorded one.")
    var command: [String] = []

    func validate() throws {
        if promoteAfter != nil && !follow { throw ValidationError("--promote-after needs --follow") }
        if let promoteAfter, promoteAfter <= 0 { throw ValidationError("--promote-after must be positive") }
        if stopAt == 0 { throw ValidationError("--stop-at takes a sequence number from 1") }
    }

    static func main() {
        LoggingSystem.bootstrap { label in StandardErrorLogHandler(label: label) }
        do {
            let command = try parseAsRoot() as! ReplPlay
            Glibc.exit(try command.replay())
        } catch let error as ToolError {
            Logger(label: "replplay").error("\(error)")
            Glibc.exit(error.exitStatus.rawValue)
        } catch let error as LogError {
            Logger(label: "replplay").error("\(error)")
            Glibc.exit(ToolExitStatus.damagedLog.rawValue)
        } catch {
            exit(withError: error)
        }
    }

    private var logger: Logger { Logger(label: "replplay") }

    func replay() throws -> Int32 {
        let started = SystemClock.monotonicSeconds()
        let logPath = CurrentProcess.absolute(directory)
        let log = LogDirectory(FilePath(logPath))
        var recording = try log.recordingHeader()
        while recording == nil {
            guard follow else {
                throw LogError(.noLog, "no recording header yet", at: LogLocation(file: logPath))
            }
            usleep(20_000)
            recording = try log.recordingHeader()
        }
        let header = recording!
        let arguments = command.isEmpty ? header.arguments : command
        guard !arguments.isEmpty else { throw ToolError.failed("the log records no command") }
        guard chdir(header.workingDirectory) == 0 else {
            throw ToolError.failed("cannot enter the recorded working directory \(header.workingDirectory)")
        }
        let searchPath = header.environment.first { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) }
        let path = try ProgramCheck.resolve(arguments[0], path: searchPath)
        let layer = try Interposer.locate()
        let region = try SharedRegion(mode: REPL_MODE_REPLAY)
        region.stopAt = stopAt
        let reader = LogReader(directory: FilePath(logPath), mode: follow ? .follow : .offline)
        let feeder = RingFeeder(region: region, reader: reader)
        feeder.start()

        _ = replrec_become_subreaper()
        var launcher = ProgramLauncher(path: path, arguments: arguments, environment: header.environment,
                                       layer: layer, region: region, defaultSignals: [])
        launcher.workingDirectory = header.workingDirectory
        launcher.inheritedOutputs = Self.inheritedOutputs()
        let root = try launcher.launch()
        let result = supervise(root: root, region: region, feeder: feeder)
        if case .exited = result {
            // The program may finish before the feeder has read the END record after its last
            // message (or, following, before that record reaches a refreshed copy): wait for it,
            // or for --promote-after. Offline, only while the feeder is not stuck on messages the
            // program left unreplayed.
            while !feeder.isDone {
                if follow, let promoteAfter, SystemClock.monotonicSeconds() - max(feeder.lastFedTime, started) > promoteAfter { break }
                if !follow && feeder.lastFed != region.replayed { break }
                usleep(1000)
            }
        }
        feeder.stop()
        region.unlink()

        switch result {
        case .promoted(let status, let sequence):
            if !quiet {
                writeStandardError("replplay: the program ran live after sequence \(sequence) and exited with status \(status)\n")
            }
            return status
        case .diverged(let report):
            logger.error("divergence: \(report)")
            return ToolExitStatus.divergence.rawValue
        case .badLog(let error):
            logger.error("\(error)")
            return ToolExitStatus.damagedLog.rawValue
        case .exited(let status):
            let replayed = region.replayed
            guard case .cleanEnd(let end)? = feeder.outcome else {
                logger.error("the program exited (status \(status)) at sequence \(replayed), but the log has no END record")
                return ToolExitStatus.divergence.rawValue
            }
            guard replayed == end.lastSequence else {
                logger.error("divergence: the program ended after sequence \(replayed); the recording goes on to \(end.lastSequence)")
                return ToolExitStatus.divergence.rawValue
            }
            guard status == end.exitStatus else {
                logger.error("divergence: the program exited with status \(status); the recording ended with \(end.exitStatus)")
                return ToolExitStatus.divergence.rawValue
            }
            if !quiet {
                writeStandardError("replplay: replayed \(replayed) messages in \(NumberFormat.fixed(SystemClock.monotonicSeconds() - started)) s, exit status \(status) as recorded"
                                   + (follow ? Self.lagSummary(feeder.lagSamples) : "") + "\n")
            }
            return status
        }
    }

    enum Result {
        case exited(Int32)
        /// Went live after this sequence number; the program's own exit status.
        case promoted(Int32, UInt64)
        case diverged(String)
        case badLog(LogError)
    }

    /// Reaps the tree, watching for divergence, lack of progress and a damaged log.
    private func supervise(root: pid_t, region: SharedRegion, feeder: RingFeeder) -> Result {
        var rootStatus: Int32 = 0
        var lastReplayed = region.replayed
        var lastProgress = SystemClock.monotonicSeconds()
        var promotedAt: UInt64?
        let statusLine = follow && !quiet && isatty(STDERR_FILENO) == 1 ? StatusLine() : nil
        var lastStatus = SystemClock.monotonicSeconds()
        var statusReplayed = lastReplayed
        defer { statusLine?.clear() }
        func stopProgram() {
            kill(-root, SIGKILL)
            kill(root, SIGKILL)
        }
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, WNOHANG)
            if pid == root {
                rootStatus = replrec_exited(status) != 0 ? replrec_exit_status(status) : 128 + replrec_term_signal(status)
            }
            if pid < 0 && errno == ECHILD { return promotedAt.map { .promoted(rootStatus, $0) } ?? .exited(rootStatus) }
            if pid > 0 { continue }

            if let divergence = region.divergence {
                let report = divergence.description
                stopProgram()
                Self.reapAll()
                return .diverged(report)
            }
            if promotedAt == nil, let failure = feeder.failure, failure.code != .tornTail || !follow {
                // Everything before the damage has been fed; the program cannot go past it.
                if region.replayed == feeder.lastFed {
                    stopProgram()
                    Self.reapAll()
                    return .badLog(failure)
                }
            }
            let replayed = region.replayed
            let now = SystemClock.monotonicSeconds()
            if promotedAt != nil {
                // Live: the program runs for real until it exits.
            } else if replayed != lastReplayed {
                lastReplayed = replayed
                lastProgress = now
            } else if let promoteAfter, !feeder.isDone, replayed == feeder.lastFed,
                      now - max(lastProgress, feeder.lastFedTime) > promoteAfter {
                // The log stopped growing without an END record: the primary is gone. Everything
                // logged has been replayed; go live.
                feeder.requestStop()
                region.promote()
                promotedAt = replayed
                logger.notice("promoted: the log stopped growing \(NumberFormat.fixed(promoteAfter)) s ago without an END record; live after sequence \(replayed)")
            } else if now - lastProgress > watchdog, stopAt.map({ $0 != replayed + 1 }) ?? true {
                let pending = feeder.lastFed > replayed
                if pending || feeder.isDone {
                    let report = pending
                        ? "no progress for \(NumberFormat.fixed(watchdog)) s at sequence \(replayed + 1): \(Self.expected(region, replayed + 1)) does not come"
                        : "the program goes on past the end of the recording (sequence \(replayed)) for \(NumberFormat.fixed(watchdog)) s"
                    stopProgram()
                    Self.reapAll()
                    return .diverged(report)
                }
            }
            if let status = statusLine, now - lastStatus >= 0.5 {
                let rate = Double(replayed - statusReplayed) / (now - lastStatus)
                let newest = feeder.newestFrameTime
                let lag = newest > 0 ? SystemClock.realtimeSeconds() - Double(newest) / 1e9 : 0
                status.show("replplay: sequence \(replayed), \(Int(rate)) messages/s, \(NumberFormat.fixed(max(0, lag) * 1000)) ms behind the log's newest frame")
                lastStatus = now
                statusReplayed = replayed
            }
            usleep(2000)
        }
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

    private static func reapAll() {
        var status: Int32 = 0
        while waitpid(-1, &status, 0) > 0 || errno == EINTR {}
    }

    private static func expected(_ region: SharedRegion, _ sequence: UInt64) -> String {
        guard let call = region.publishedCall(at: sequence) else { return "the message" }
        return "\(call.kindAndResource) by logical process \(call.process) thread \(call.thread)"
    }

    /// Device and inode of replplay's stdout and stderr: writes to these are performed at replay.
    private static func inheritedOutputs() -> [(device: UInt64, inode: UInt64)] {
        [STDOUT_FILENO, STDERR_FILENO].map { fd in
            var info = stat()
            guard fstat(fd, &info) == 0 else { return (0, 0) }
            return (UInt64(info.st_dev), UInt64(info.st_ino))
        }
    }
}
