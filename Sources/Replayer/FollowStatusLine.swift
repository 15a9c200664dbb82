import CommandLineSupport
import LogFormat

/// replplay's status line when it follows a log on a terminal: where the replay is, how fast it
/// goes and how far behind the primary's newest frame, twice a second.
struct FollowStatusLine {
    private let line = StatusLine()
    private var shownAt: Double
    private var replayedThen: UInt64

    init(replayed: UInt64, at now: Double) {
        shownAt = now
        replayedThen = replayed
    }

    /// Shows the position when half a second has passed since the last time.
    /// - Parameter newestFrameTime: when the newest frame fed was written (ns since 1970; 0: none).
    mutating func update(replayed: UInt64, at now: Double, newestFrameTime: UInt64) {
        guard now - shownAt >= 0.5 else { return }
        let rate = Double(replayed - replayedThen) / (now - shownAt)
        let lag = newestFrameTime > 0 ? SystemClock.realtimeSeconds() - Double(newestFrameTime) / 1e9 : 0
        line.show("replplay: sequence \(replayed), \(Int(rate)) messages/s, \(NumberFormat.fixed(max(0, lag) * 1000)) ms behind the log's newest frame")
        shownAt = now
        replayedThen = replayed
    }

    func clear() { line.clear() }
}
