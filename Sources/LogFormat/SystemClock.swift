import Glibc

/// Reads the clocks the log needs, without Foundation.
enum SystemClock {
    /// Wall-clock time, nanoseconds since 1970 (frame timestamps).
    static func realtimeNanoseconds() -> UInt64 { read(CLOCK_REALTIME) }

    /// Monotonic time in nanoseconds (intervals).
    static func monotonicNanoseconds() -> UInt64 { read(CLOCK_MONOTONIC) }

    private static func read(_ clock: clockid_t) -> UInt64 {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}
