import LogFormat

/// One change to a log that keeps it well-formed (valid checksums, contiguous sequence numbers),
/// so that what it tests is replplay's path from the log to the program: the feeder, the shared
/// region, the layer's checks of each recorded result against the call it is returned to.
enum Mutation: CaseIterable {
    case result, errno, payload, thread, process, kind, resource, swapAdjacent, drop, duplicate, exitStatus

    /// Applies the mutation at a random message; returns what it did, for the report.
    func apply(to seed: inout Seed, using rng: inout SplitMix64) -> String {
        guard !seed.messages.isEmpty else { return "nothing (no messages)" }
        let index = Int.random(in: 0..<seed.messages.count, using: &rng)
        let before = seed.messages[index]
        let at = "at #\(index + 1) (\(before.kind))"
        switch self {
        case .result:
            seed.messages[index].result = Self.interesting(around: before.result, using: &rng)
            return "result \(before.result) -> \(seed.messages[index].result) \(at)"
        case .errno:
            let value = [0, -1, 4, 11, 22, 9999, Int32.max].randomElement(using: &rng)!
            seed.messages[index].errno = value
            return "errno \(before.errno) -> \(value) \(at)"
        case .payload:
            seed.messages[index].payload = Self.mutated(before.payload, using: &rng)
            return "payload \(before.payload.count) -> \(seed.messages[index].payload.count) bytes \(at)"
        case .thread:
            let other = seed.messages.randomElement(using: &rng)!.thread
            seed.messages[index].thread = Bool.random(using: &rng) ? other : UInt32.random(in: 0...70_000, using: &rng)
            return "thread \(before.thread) -> \(seed.messages[index].thread) \(at)"
        case .process:
            let other = seed.messages.randomElement(using: &rng)!.process
            seed.messages[index].process = Bool.random(using: &rng) ? other : UInt32.random(in: 0...5_000, using: &rng)
            return "process \(before.process) -> \(seed.messages[index].process) \(at)"
        case .kind:
            let kind = Bool.random(using: &rng) ? MessageKind.known.randomElement(using: &rng)!
                                                : MessageKind(rawValue: UInt16.random(in: 0...UInt16.max, using: &rng))
            seed.messages[index].kind = kind
            return "kind \(before.kind) -> \(kind) \(at)"
        case .resource:
            let other = seed.messages.randomElement(using: &rng)!.resource
            seed.messages[index].resource = Bool.random(using: &rng) ? other : UInt64.random(in: 0...UInt64.max, using: &rng)
            return "resource \(before.resource) -> \(seed.messages[index].resource) \(at)"
        case .swapAdjacent:
            guard index + 1 < seed.messages.count else { return "nothing (last message)" }
            seed.messages.swapAt(index, index + 1)
            return "swapped \(at) with the next (\(seed.messages[index].kind))"
        case .drop:
            seed.messages.remove(at: index)
            return "dropped \(at)"
        case .duplicate:
            seed.messages.insert(before, at: index)
            return "duplicated \(at)"
        case .exitStatus:
            let status = Int32.random(in: 0...255, using: &rng)
            seed.end.exitStatus = status
            return "exit status \(seed.end.exitStatus) recorded"
        }
    }

    /// Boundary values and near misses: off by one, sign flips, the extremes.
    private static func interesting(around value: Int64, using rng: inout SplitMix64) -> Int64 {
        [0, -1, 1, value &+ 1, value &- 1, value &* 2, -value, Int64.max, Int64.min, Int64(Int32.max) + 1,
         Int64.random(in: -4096...65536, using: &rng)].randomElement(using: &rng)!
    }

    private static func mutated(_ payload: [UInt8], using rng: inout SplitMix64) -> [UInt8] {
        var bytes = payload
        switch Int.random(in: 0..<5, using: &rng) {
        case 0 where !bytes.isEmpty:
            bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= 1 << UInt8.random(in: 0...7, using: &rng)
        case 1 where !bytes.isEmpty:
            bytes.removeLast(Int.random(in: 1...bytes.count, using: &rng))
        case 2:
            bytes += (0..<Int.random(in: 1...4096, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        case 3:
            bytes = []
        default:
            bytes = (0..<Int.random(in: 0...70_000, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        }
        return bytes
    }
}
