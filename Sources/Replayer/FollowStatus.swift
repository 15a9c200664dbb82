import CommandLineSupport
import Glibc
import LogFormat

/// Where a replay stands, for the person or the service manager watching it: on a terminal of its
/// own a self-overwriting line twice a second (after the first second); following, otherwise (a
/// file, a journal, a terminal the program writes to as well) a full line every five seconds; and
/// with --status-file a small JSON object rewritten (atomically) every second.
struct FollowStatus {
    enum State: String {
        case replaying, following, live, ended
    }

    private enum Display {
        case line(StatusLine)
        case periodicLines
        case none
    }

    private let display: Display
    private let statusFile: String?
    private var shownAt: Double
    private var writtenAt = 0.0
    private var replayedThen: UInt64

    init(shows: Bool, following: Bool, statusFile: String?, replayed: UInt64, at now: Double) {
        if !shows {
            display = .none
        } else if let line = StatusLine.forProgress(sharedWithProgram: true) {
            display = .line(line)
        } else {
            display = following ? .periodicLines : .none
        }
        self.statusFile = statusFile
        shownAt = now
        replayedThen = replayed
    }

    /// - Parameter newestFrameTime: when the newest frame fed was written (ns since 1970; 0: none).
    mutating func update(_ state: State, replayed: UInt64, fed: UInt64, newestFrameTime: UInt64, at now: Double) {
        let lag = newestFrameTime > 0 ? max(0, SystemClock.realtimeSeconds() - Double(newestFrameTime) / 1e9) : 0
        if statusFile != nil, now - writtenAt >= 1 {
            writeStatusFile(state, replayed: replayed, fed: fed, lag: lag)
            writtenAt = now
        }
        let interval: Double
        switch display {
        case .none: return
        case .line: interval = 0.5
        case .periodicLines: interval = 5
        }
        guard now - shownAt >= interval else { return }
        let rate = Double(replayed - replayedThen) / (now - shownAt)
        let text = "replplay: \(state), sequence \(replayed), \(fed - min(fed, replayed)) messages behind the log, \(Int(rate)) messages/s, \(NumberFormat.fixed(lag * 1000)) ms behind the log's newest frame"
        switch display {
        case .line(let line): line.show(text)
        case .periodicLines: writeStandardError(text + "\n")
        case .none: break
        }
        shownAt = now
        replayedThen = replayed
    }

    /// The last word: the status file says how the replay ended (and whether it had gone live),
    /// the terminal line is cleared.
    func finish(wentLive: Bool, replayed: UInt64, fed: UInt64, exitStatus: Int32) {
        if case .line(let line) = display { line.clear() }
        writeStatusFile(.ended, replayed: replayed, fed: fed, lag: 0, ending: (wentLive, exitStatus))
    }

    private func writeStatusFile(_ state: State, replayed: UInt64, fed: UInt64, lag: Double,
                                 ending: (wentLive: Bool, exitStatus: Int32)? = nil) {
        guard let statusFile else { return }
        var line = JSONLine()
        line.add("state", string: state.rawValue)
        line.add("replayed", replayed)
        line.add("fed", fed)
        line.add("lag_messages", fed - min(fed, replayed))
        line.add("lag_seconds", NumberFormat.fixed(lag, 3))
        line.add("updated", NumberFormat.fixed(SystemClock.realtimeSeconds(), 3))
        line.add("pid", getpid())
        if let ending {
            line.add("went_live", ending.wentLive)
            line.add("exit_status", ending.exitStatus)
        }
        line.write(to: statusFile, mode: 0o644)
    }
}
