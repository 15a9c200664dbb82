/// Bytes of one segment, read by offset. The scanner reads through this, so the same checks run
/// over a file (``SegmentFile``) or a buffer in memory (``MemorySegment``, for tests and fuzzing).
public protocol SegmentSource: AnyObject {
    /// Bytes known to be present now.
    var size: Int { get }
    /// A description for error messages (the file's path).
    var name: String { get }
    /// `count` bytes at `offset`, valid until the next call; `nil` when they are not all present.
    func bytes(at offset: Int, count: Int) throws -> UnsafeRawBufferPointer?
    /// Looks again for bytes appended (or the file replaced) since the last look; `true` when
    /// something changed.
    func refresh() throws -> Bool
}

/// A segment held in memory.
public final class MemorySegment: SegmentSource {
    private let storage: UnsafeMutableRawBufferPointer
    public let name: String

    public init(_ bytes: some Collection<UInt8>, name: String = "memory") {
        storage = .allocate(byteCount: max(bytes.count, 1), alignment: 16)
        storage.copyBytes(from: bytes)
        self.size = bytes.count
        self.name = name
    }

    deinit { storage.deallocate() }

    public let size: Int

    public func bytes(at offset: Int, count: Int) -> UnsafeRawBufferPointer? {
        guard offset >= 0, count >= 0, offset <= size - count else { return nil }
        return UnsafeRawBufferPointer(rebasing: storage[offset..<offset + count])
    }

    public func refresh() -> Bool { false }
}
