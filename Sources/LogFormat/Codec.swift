import CLZ4
import CZstd

/// How a frame's payload is compressed. The raw value is what the frame header stores.
public enum Codec: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Stored as is; also used for any frame that compression would not make smaller.
    case none = 0
    /// LZ4 block format (the default: fast enough to stay off the recorder's critical path).
    case lz4 = 1
    /// zstd, level 1: smaller logs for a little more CPU.
    case zstd = 2

    public var description: String {
        switch self {
        case .none: "none"
        case .lz4: "lz4"
        case .zstd: "zstd"
        }
    }

    public init?(name: String) {
        guard let codec = Codec.allCases.first(where: { $0.description == name }) else { return nil }
        self = codec
    }

    /// The largest output `compress` can produce for `rawCount` input bytes.
    func compressBound(_ rawCount: Int) -> Int {
        switch self {
        case .none: rawCount
        case .lz4: Int(LZ4_compressBound(Int32(rawCount)))
        case .zstd: ZSTD_compressBound(rawCount)
        }
    }

    /// Compresses `raw` into `output`, returning the stored size, or `nil` when the codec cannot
    /// make it smaller (the caller then stores the frame raw).
    func compress(_ raw: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer,
                  zstdContext: OpaquePointer?) -> Int? {
        switch self {
        case .none:
            return nil
        case .lz4:
            let n = LZ4_compress_default(
                raw.baseAddress?.assumingMemoryBound(to: CChar.self),
                output.baseAddress?.assumingMemoryBound(to: CChar.self),
                Int32(raw.count), Int32(output.count))
            return n > 0 && Int(n) < raw.count ? Int(n) : nil
        case .zstd:
            let n = ZSTD_compressCCtx(zstdContext, output.baseAddress, output.count,
                                      raw.baseAddress, raw.count, 1)
            return ZSTD_isError(n) == 0 && n < raw.count ? n : nil
        }
    }

    /// Decompresses `stored` into exactly `output.count` bytes; `false` when the data does not
    /// decode to exactly that size.
    func decompress(_ stored: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer,
                    zstdContext: OpaquePointer?) -> Bool {
        switch self {
        case .none:
            guard stored.count == output.count else { return false }
            if let base = output.baseAddress, let source = stored.baseAddress {
                base.copyMemory(from: source, byteCount: stored.count)
            }
            return true
        case .lz4:
            let n = LZ4_decompress_safe(
                stored.baseAddress?.assumingMemoryBound(to: CChar.self),
                output.baseAddress?.assumingMemoryBound(to: CChar.self),
                Int32(stored.count), Int32(output.count))
            return Int(n) == output.count
        case .zstd:
            // A frame that says it holds more than the header's raw length is rejected before
            // anything is written: no decompression bombs.
            let declared = ZSTD_getFrameContentSize(stored.baseAddress, stored.count)
            guard declared == UInt64(output.count) else { return false }
            let n = ZSTD_decompressDCtx(zstdContext, output.baseAddress, output.count,
                                        stored.baseAddress, stored.count)
            return ZSTD_isError(n) == 0 && n == output.count
        }
    }
}

/// A reusable zstd compression or decompression context (one per writer or reader).
final class ZstdContexts {
    let compression: OpaquePointer?
    let decompression: OpaquePointer?

    init() {
        compression = ZSTD_createCCtx()
        decompression = ZSTD_createDCtx()
    }

    deinit {
        ZSTD_freeCCtx(compression)
        ZSTD_freeDCtx(decompression)
    }
}
