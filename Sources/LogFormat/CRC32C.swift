import CCRC32C

/// CRC-32C (Castagnoli) over stored bytes, using the CPU's instruction where available.
public enum CRC32C {
    /// The checksum of `bytes`, continuing from `crc` (0 for a fresh checksum).
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        replrec_crc32c_extend(crc, bytes.baseAddress, bytes.count)
    }

    public static func checksum(_ bytes: [UInt8], continuing crc: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0, continuing: crc) }
    }

    /// Whether the hardware instruction is in use (for benchmarks and `logtool stat`).
    public static var isHardwareAccelerated: Bool { replrec_crc32c_is_hardware() != 0 }
}
