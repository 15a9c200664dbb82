/// Appends little-endian integers, varints and byte strings to a growable byte array.
///
/// Used for the small structures of the format (headers, footers, the recording header). The
/// per-message hot path has its own unchecked encoder (``MessageEncoder``).
struct BinaryWriter {
    var bytes: [UInt8] = []

    init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func u16(_ value: UInt16) { littleEndian(value) }
    mutating func u32(_ value: UInt32) { littleEndian(value) }
    mutating func u64(_ value: UInt64) { littleEndian(value) }

    private mutating func littleEndian<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func signedVarint(_ value: Int64) { varint(ZigZag.encode(value)) }

    mutating func bytesWithLength(_ data: some Collection<UInt8>) {
        varint(UInt64(data.count))
        bytes.append(contentsOf: data)
    }

    mutating func raw(_ data: some Sequence<UInt8>) { bytes.append(contentsOf: data) }

    var count: Int { bytes.count }
}

/// Zig-zag mapping of signed to unsigned integers, so that small negative values stay short.
enum ZigZag {
    @inline(__always) static func encode(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: (value << 1) ^ (value >> 63))
    }

    @inline(__always) static func decode(_ value: UInt64) -> Int64 {
        Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1)
    }
}
