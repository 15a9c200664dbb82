/// How far the replayed program has come: what the watchdog and promotion look at.
struct ReplayProgress {
    /// The last sequence number seen completed.
    private(set) var replayed: UInt64
    /// When `replayed` last moved (monotonic seconds).
    private(set) var movedAt: Double
    /// Once the program has gone live: the last sequence number replayed before.
    var promotedAfter: UInt64?
    /// When --promote-command last refused (monotonic seconds): the next try waits for another
    /// --promote-after of silence from then.
    var promotionRefusedAt: Double = 0

    init(replayed: UInt64, at now: Double) {
        self.replayed = replayed
        movedAt = now
    }

    /// Whether the program runs live (promoted).
    var isLive: Bool { promotedAfter != nil }

    /// The program is held (a debugger, a stop): the watchdog counts from now.
    mutating func hold(at now: Double) { movedAt = now }

    /// Notes the program's position; true when it has moved since the last look.
    mutating func advance(to replayed: UInt64, at now: Double) -> Bool {
        guard replayed != self.replayed else { return false }
        self.replayed = replayed
        movedAt = now
        return true
    }
}
