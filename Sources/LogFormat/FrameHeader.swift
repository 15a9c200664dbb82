/// What a frame holds.
public enum FrameType: UInt8, Sendable, CustomStringConvertible {
    /// A batch of messages (sequence numbers implicit, from `firstSequence`).
    case messages = 1
    /// A chunk of the payload of the last message of the preceding messages frame.
    case payload = 2
    /// The recording ended cleanly: the END record.
    case end = 3
    /// The segment's footer: last sequence number, counts and sparse index. Always last.
    case footer = 4
    /// Nothing to say: a live recorder that has written nothing for its heartbeat interval
    /// (format version 2). Followers see the log grow, so that only a stopped primary stops it.
    case heartbeat = 5

    public var description: String {
        switch self {
        case .messages: "messages"
        case .payload: "payload"
        case .end: "end"
        case .footer: "footer"
        case .heartbeat: "heartbeat"
        }
    }
}

/// The fixed 44-byte header in front of every frame (see docs/log-format.md).
///
/// ```
/// 0  u32 sync word 0x46_4C_50_52 ("RPLF")   24 u32 message count (payload frames: chunk index)
/// 4  u8  frame type                          28 u32 CRC-32C of the stored payload
/// 5  u8  codec                               32 u64 time the frame was written, ns since 1970
/// 6  u16 flags (0)                           40 u32 CRC-32C of bytes 0..<40
/// 8  u32 stored length
/// 12 u32 raw length
/// 16 u64 first sequence number
/// ```
public struct FrameHeader: Sendable, Hashable {
    public static let size = 44
    public static let syncWord: UInt32 = 0x464C_5052
    /// No frame's raw payload may exceed this; readers reject larger claims before allocating.
    public static let maxRawLength = 4 << 20

    public var type: FrameType
    public var codec: Codec
    public var storedLength: Int
    public var rawLength: Int
    public var firstSequence: UInt64
    public var count: UInt32
    public var payloadChecksum: UInt32
    public var timestamp: UInt64

    public init(type: FrameType, codec: Codec, storedLength: Int, rawLength: Int,
                firstSequence: UInt64, count: UInt32, payloadChecksum: UInt32, timestamp: UInt64) {
        self.type = type
        self.codec = codec
        self.storedLength = storedLength
        self.rawLength = rawLength
        self.firstSequence = firstSequence
        self.count = count
        self.payloadChecksum = payloadChecksum
        self.timestamp = timestamp
    }

    /// The frame's size on disk, header included.
    public var totalLength: Int { Self.size + storedLength }

    /// Writes the header, with its checksum, into the first ``size`` bytes of `buffer`.
    public func encode(into buffer: UnsafeMutableRawBufferPointer) {
        precondition(buffer.count >= Self.size)
        buffer.storeBytes(of: Self.syncWord.littleEndian, toByteOffset: 0, as: UInt32.self)
        buffer.storeBytes(of: type.rawValue, toByteOffset: 4, as: UInt8.self)
        buffer.storeBytes(of: codec.rawValue, toByteOffset: 5, as: UInt8.self)
        buffer.storeBytes(of: UInt16(0), toByteOffset: 6, as: UInt16.self)
        buffer.storeBytes(of: UInt32(storedLength).littleEndian, toByteOffset: 8, as: UInt32.self)
        buffer.storeBytes(of: UInt32(rawLength).littleEndian, toByteOffset: 12, as: UInt32.self)
        buffer.storeBytes(of: firstSequence.littleEndian, toByteOffset: 16, as: UInt64.self)
        buffer.storeBytes(of: count.littleEndian, toByteOffset: 24, as: UInt32.self)
        buffer.storeBytes(of: payloadChecksum.littleEndian, toByteOffset: 28, as: UInt32.self)
        buffer.storeBytes(of: timestamp.littleEndian, toByteOffset: 32, as: UInt64.self)
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: buffer[0..<40]))
        buffer.storeBytes(of: crc.littleEndian, toByteOffset: 40, as: UInt32.self)
    }

    /// Why a header could not be decoded.
    enum DecodeFailure: Error, Equatable {
        case badSyncWord, badChecksum, unknownType(UInt8), unknownCodec(UInt8), badFlags(UInt16)
        case lengthOutOfRange(stored: UInt32, raw: UInt32)
    }

    /// Decodes and checks a header from the first ``size`` bytes of `buffer`.
    static func decode(_ buffer: UnsafeRawBufferPointer) -> Result<FrameHeader, DecodeFailure> {
        precondition(buffer.count >= size)
        func load<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
            T(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: T.self))
        }
        guard load(0, UInt32.self) == syncWord else { return .failure(.badSyncWord) }
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: buffer[0..<40]))
        guard load(40, UInt32.self) == crc else { return .failure(.badChecksum) }
        guard let type = FrameType(rawValue: load(4, UInt8.self)) else {
            return .failure(.unknownType(load(4, UInt8.self)))
        }
        guard let codec = Codec(rawValue: load(5, UInt8.self)) else {
            return .failure(.unknownCodec(load(5, UInt8.self)))
        }
        let flags = load(6, UInt16.self)
        guard flags == 0 else { return .failure(.badFlags(flags)) }
        let stored = load(8, UInt32.self)
        let raw = load(12, UInt32.self)
        let storedLimit = codec.compressBound(maxRawLength)
        guard raw <= maxRawLength, stored <= storedLimit, codec != .none || stored == raw else {
            return .failure(.lengthOutOfRange(stored: stored, raw: raw))
        }
        return .success(FrameHeader(
            type: type, codec: codec, storedLength: Int(stored), rawLength: Int(raw),
            firstSequence: load(16, UInt64.self), count: load(24, UInt32.self),
            payloadChecksum: load(28, UInt32.self), timestamp: load(32, UInt64.self)))
    }
}

extension FrameHeader.DecodeFailure: CustomStringConvertible {
    var description: String {
        switch self {
        case .badSyncWord: "no frame sync word"
        case .badChecksum: "frame header checksum mismatch"
        case .unknownType(let t): "unknown frame type \(t)"
        case .unknownCodec(let c): "unknown codec \(c)"
        case .badFlags(let f): "unknown frame flags 0x\(String(f, radix: 16))"
        case .lengthOutOfRange(let s, let r): "frame lengths out of range (stored \(s), raw \(r))"
        }
    }
}
