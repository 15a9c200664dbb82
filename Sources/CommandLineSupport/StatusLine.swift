import Glibc
import LogFormat

/// A self-overwriting status line on standard error (a terminal): each text replaces the last,
/// and `clear` leaves the line empty for the diagnostics that follow.
public final class StatusLine {
    private let minimumInterval: UInt64
    private let firstShown: UInt64
    private var lastShown: UInt64 = 0
    private var shown = false

    /// - Parameters:
    ///   - minimumInterval: seconds between two updates; texts that come sooner are not shown
    ///     (nor computed).
    ///   - delay: seconds from now before the first text is shown: work that ends sooner says
    ///     nothing.
    public init(minimumInterval: Double = 0, delay: Double = 0) {
        self.minimumInterval = UInt64(minimumInterval * 1e9)
        firstShown = SystemClock.monotonicNanoseconds() + UInt64(delay * 1e9)
    }

    /// A line for progress, when standard error is a terminal that a program's output does not
    /// share (`sharedWithProgram`: the tool runs one whose standard output could be that
    /// terminal; the line would run into what it prints); nil otherwise.
    public static func forProgress(sharedWithProgram: Bool, minimumInterval: Double = 0.5, delay: Double = 1) -> StatusLine? {
        guard isatty(STDERR_FILENO) == 1, !(sharedWithProgram && standardOutputSharesTheTerminal()) else { return nil }
        return StatusLine(minimumInterval: minimumInterval, delay: delay)
    }

    /// Whether standard output is the terminal standard error is.
    public static func standardOutputSharesTheTerminal() -> Bool {
        var output = stat(), errors = stat()
        guard fstat(STDOUT_FILENO, &output) == 0, fstat(STDERR_FILENO, &errors) == 0 else { return false }
        return output.st_rdev == errors.st_rdev && output.st_dev == errors.st_dev
    }

    public func show(_ text: @autoclosure () -> String) {
        let now = SystemClock.monotonicNanoseconds()
        guard now >= firstShown else { return }
        if minimumInterval > 0 {
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
