import Glibc

/// The two clocks the log and the tools read, without Foundation: the wall clock for time stamps
/// that leave the process (frame times, the recording's start), the monotonic clock for
/// intervals.
public enum SystemClock {
    /// Wall-clock time, nanoseconds since 1970.
    public static func realtimeNanoseconds() -> UInt64 { read(CLOCK_REALTIME) }

    /// Monotonic time in nanoseconds.
    public static func monotonicNanoseconds() -> UInt64 { read(CLOCK_MONOTONIC) }

    /// Wall-clock time, seconds since 1970.
    public static func realtimeSeconds() -> Double { Double(realtimeNanoseconds()) / 1e9 }

    /// Monotonic time in seconds.
    public static func monotonicSeconds() -> Double { Double(monotonicNanoseconds()) / 1e9 }

    /// A duration in whole nanoseconds (negative durations count as 0).
    public static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        return UInt64(seconds) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
    }

    private static func read(_ clock: clockid_t) -> UInt64 {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}
