import LogFormat

/// A self-overwriting status line on standard error (a terminal): each text replaces the last,
/// and `clear` leaves the line empty for the diagnostics that follow.
public final class StatusLine {
    private let minimumInterval: UInt64
    private var lastShown: UInt64 = 0
    private var shown = false

    /// - Parameter minimumInterval: seconds between two updates; texts that come sooner are not
    ///   shown (nor computed).
    public init(minimumInterval: Double = 0) {
        self.minimumInterval = UInt64(minimumInterval * 1e9)
    }

    public func show(_ text: @autoclosure () -> String) {
        if minimumInterval > 0 {
            let now = SystemClock.monotonicNanoseconds()
            guard !shown || now - lastShown > minimumInterval else { return }
            lastShown = now
        }
        writeStandardError("\r\u{1B}[K" + text())
        shown = true
    }

    public func clear() {
        if shown { writeStandardError("\r\u{1B}[K") }
    }
}
