/// The (process, thread, kind, resource) of a message: what repeats from one message to the next.
struct CallSite: Equatable {
    var process: UInt32
    var thread: UInt32
    var kind: UInt16
    var resource: UInt64

    static let empty = CallSite(process: 0, thread: 0, kind: 0, resource: 0)
}

/// The table of recent call sites that makes a repeated call cost one byte.
///
/// Writer and reader keep identical tables: both start empty at each frame (frames decode
/// independently), and both put each literal call site in the next slot, round-robin. A message
/// names a slot (0-62) or carries its call site literally (slot code 63).
struct CallSiteTable {
    static let slotCount = 63
    static let literalCode: UInt8 = 63

    private(set) var sites = [CallSite](repeating: .empty, count: slotCount)
    private(set) var used = 0
    private var nextSlot = 0
    /// Literal resources are stored as the difference from the previous literal resource.
    var previousLiteralResource: UInt64 = 0

    mutating func reset() {
        used = 0
        nextSlot = 0
        previousLiteralResource = 0
    }

    @inline(__always)
    func site(at slot: Int) -> CallSite? { slot < used ? sites[slot] : nil }

    /// Stores a literal call site; returns the slot it took.
    @inline(__always) @discardableResult
    mutating func insert(_ site: CallSite) -> Int {
        let slot = nextSlot
        sites[slot] = site
        nextSlot = slot == Self.slotCount - 1 ? 0 : slot + 1
        if used < Self.slotCount { used += 1 }
        return slot
    }
}

/// The writer's side of the table: finds a call site's slot in O(1) through a small hash of hints.
///
/// A hint can be stale or shadowed by a colliding call site; the writer then sends a literal,
/// which the reader handles like any other. Hints only affect the size of the log, never what
/// the reader decodes.
struct CallSiteIndex {
    private(set) var table = CallSiteTable()
    /// Large against the 63 slots, so that two busy call sites rarely share a hint (they would
    /// then evict each other and cost a literal on every switch).
    private var hints = [UInt8](repeating: 0xFF, count: 1 << Self.hintBits)
    private static let hintBits = 12

    mutating func reset() {
        table.reset()
        hints.withUnsafeMutableBytes { $0.initializeMemory(as: UInt8.self, repeating: 0xFF) }
    }

    @inline(__always)
    private static func hash(_ site: CallSite) -> Int {
        var h = UInt64(site.process) &* 0x9E37_79B9_7F4A_7C15
        h ^= UInt64(site.thread) &* 0xC2B2_AE3D_27D4_EB4F
        h ^= UInt64(site.kind) &* 0x1656_67B1_9E37_79F9
        h ^= site.resource &* 0x85EB_CA77_C2B2_AE63
        return Int(truncatingIfNeeded: h >> (64 - UInt64(hintBits)))
    }

    /// The slot holding `site`, or `nil` after inserting it as a literal.
    @inline(__always)
    mutating func lookupOrInsert(_ site: CallSite) -> Int? {
        let h = Self.hash(site)
        let hint = Int(hints[h])
        if hint < table.used, table.sites[hint] == site { return hint }
        hints[h] = UInt8(truncatingIfNeeded: table.insert(site))
        return nil
    }

    var previousLiteralResource: UInt64 {
        get { table.previousLiteralResource }
        set { table.previousLiteralResource = newValue }
    }
}
