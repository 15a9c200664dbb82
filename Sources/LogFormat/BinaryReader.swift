/// Reads little-endian integers, varints and byte strings from a buffer, checking every bound.
///
/// A read past the end or an overlong varint returns `nil`; callers turn that into a
/// ``LogError`` that says where. Nothing here allocates from a length field before checking it
/// against the bytes actually present.
struct BinaryReader {
    let buffer: UnsafeRawBufferPointer
    private(set) var position: Int

    init(_ buffer: UnsafeRawBufferPointer, position: Int = 0) {
        self.buffer = buffer
        self.position = position
    }

    var remaining: Int { buffer.count - position }
    var isAtEnd: Bool { position >= buffer.count }

    mutating func skip(_ count: Int) { position = min(position + count, buffer.count) }

    mutating func u8() -> UInt8? { fixed(UInt8.self) }
    mutating func u16() -> UInt16? { fixed(UInt16.self) }
    mutating func u32() -> UInt32? { fixed(UInt32.self) }
    mutating func u64() -> UInt64? { fixed(UInt64.self) }

    private mutating func fixed<T: FixedWidthInteger>(_: T.Type) -> T? {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { return nil }
        let value = buffer.loadUnaligned(fromByteOffset: position, as: T.self)
        position += size
        return T(littleEndian: value)
    }

    mutating func varint() -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while position < buffer.count {
            let byte = buffer[position]
            position += 1
            if shift == 63 && byte > 1 { return nil }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
            if shift > 63 { return nil }
        }
        return nil
    }

    mutating func signedVarint() -> Int64? { varint().map(ZigZag.decode) }

    mutating func bytes(_ count: Int) -> UnsafeRawBufferPointer? {
        guard count >= 0, remaining >= count else { return nil }
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: buffer[position..<position + count])
    }

    /// A varint length followed by that many bytes.
    mutating func bytesWithLength() -> UnsafeRawBufferPointer? {
        guard let length = varint(), length <= UInt64(remaining) else { return nil }
        return bytes(Int(length))
    }
}
