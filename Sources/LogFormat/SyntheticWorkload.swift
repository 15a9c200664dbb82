/// Deterministic streams of messages shaped like real recordings, for trying out a standby setup
/// (`logtool synth`), for benchmarks and for tests. The same pattern and seed always give the
/// same messages.
public struct SyntheticWorkload: IteratorProtocol, Sequence {
    public enum Pattern: String, CaseIterable, Sendable {
        /// A lock-heavy multi-threaded program: four threads taking four mutexes, condition
        /// waits and semaphores, in runs the way a scheduler interleaves them. No payloads.
        case locks
        /// Every kind, field and payload size: negative results, errno values, unknown kinds,
        /// extreme ids and, with `largePayloads`, payloads of up to 300 KB.
        case mixed
    }

    public let pattern: Pattern
    private var rng: SplitMix64
    private var sequence: UInt64 = 0
    private var thread: UInt32 = 1
    private let largePayloads: Bool
    /// Every kind of call (not `lost`, which marks a hole the recorder could not fill), and two
    /// this build does not know.
    private static let kinds = MessageKind.known.filter { $0 != .lost } + [MessageKind(rawValue: 999), MessageKind(rawValue: .max)]

    public init(pattern: Pattern, seed: UInt64, largePayloads: Bool = true) {
        self.pattern = pattern
        self.rng = SplitMix64(seed: seed)
        self.largePayloads = largePayloads
    }

    public mutating func next() -> Message? {
        sequence += 1
        switch pattern {
        case .locks: return nextLockMessage()
        case .mixed: return nextMixedMessage()
        }
    }

    private mutating func nextLockMessage() -> Message {
        let r = rng.next()
        if r & 3 == 0 { thread = UInt32((r >> 2) & 3) + 1 }  // a context switch
        let mutex: UInt64 = (r >> 4) & 3 == 0 ? (r >> 6) & 3 : UInt64(thread - 1)
        let kind: MessageKind
        switch (r >> 8) % 10 {
        case 0: kind = .condWait
        case 1: kind = .semPost
        default: kind = .mutexLock
        }
        return Message(sequence: sequence, process: 1, thread: thread, kind: kind,
                       resource: 0x5555_5555_8040 + mutex * 0x40)
    }

    private mutating func nextMixedMessage() -> Message {
        let payloadSize: Int
        switch rng.next() % 100 {
        case 0..<60: payloadSize = 0
        case 60..<95: payloadSize = Int(rng.next() % 200)
        case 95..<99: payloadSize = Int(rng.next() % 20_000)
        default: payloadSize = largePayloads ? Int(rng.next() % 300_000) : 10
        }
        let process = UInt32(rng.next() % 4) + (rng.next() % 50 == 0 ? .max - 3 : 1)
        let thread = UInt32(rng.next() % 6)
        let kind = Self.kinds[Int(rng.next() % UInt64(Self.kinds.count))]
        let resource = rng.next() % 3 == 0 ? rng.next() : 0x7f00_0000_1000 + (rng.next() % 8) * 64
        let result = rng.next() % 4 == 0 ? Int64(bitPattern: rng.next()) : Int64(rng.next() % 5) - 1
        let errno = rng.next() % 5 == 0 ? Int32(bitPattern: UInt32(truncatingIfNeeded: rng.next())) : 0
        var payload = [UInt8](repeating: 0, count: payloadSize)
        for i in payload.indices { payload[i] = UInt8(truncatingIfNeeded: rng.next() % 7) }
        return Message(sequence: sequence, process: process, thread: thread, kind: kind, resource: resource,
                       result: result, errno: errno, payload: payload)
    }
}

/// SplitMix64: small, fast, and the same on every platform, so that a seed repeats a synthetic
/// workload or a fuzzing run exactly.
public struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
