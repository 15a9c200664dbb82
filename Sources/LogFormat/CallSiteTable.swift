/// The (process, thread, kind, resource) of a message: what repeats from one message to the next.
struct CallSite: Equatable {
    var process: UInt32
    var thread: UInt32
    var kind: UInt16
    var resource: UInt64
}

/// The small table of recent call sites that makes a repeated call cost one byte.
///
/// Writer and reader keep identical tables: both start empty at each frame (frames decode
/// independently), and both put a new call site in the next slot, round-robin. A message names a
/// slot (0-14) or carries its call site literally (slot code 15).
struct CallSiteTable {
    static let slotCount = 15
    static let literalCode: UInt8 = 15

    private var sites = [CallSite](repeating: CallSite(process: 0, thread: 0, kind: 0, resource: 0),
                                   count: slotCount)
    private var used = 0
    private var nextSlot = 0
    /// Literal resources are stored as the difference from the previous literal resource.
    var previousLiteralResource: UInt64 = 0

    mutating func reset() {
        used = 0
        nextSlot = 0
        previousLiteralResource = 0
    }

    /// The slot holding `site`, if any.
    @inline(__always)
    func slot(of site: CallSite) -> Int? {
        sites.withUnsafeBufferPointer { table in
            for i in 0..<used where table[i] == site { return i }
            return nil
        }
    }

    @inline(__always)
    func site(at slot: Int) -> CallSite? { slot < used ? sites[slot] : nil }

    @inline(__always)
    mutating func insert(_ site: CallSite) {
        sites[nextSlot] = site
        nextSlot = nextSlot == Self.slotCount - 1 ? 0 : nextSlot + 1
        if used < Self.slotCount { used += 1 }
    }
}
