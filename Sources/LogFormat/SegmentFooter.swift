/// The last frame of a sealed segment (frame type ``FrameType/footer``, stored raw).
///
/// Its payload ends with the frame's own total length and the seal magic, so one read of the
/// file's last 12 bytes finds it:
///
/// ```
/// u64 last sequence number       u64 stored bytes (frame headers included)
/// u64 message count              u32 index entry count, then per entry: u64 sequence, u64 offset
/// u32 frame count (before it)    u32 this frame's total length
/// u64 raw bytes                  8   seal magic "RLSEALED"
/// ```
public struct SegmentFooter: Hashable, Sendable {
    public static let sealMagic: [UInt8] = Array("RLSEALED".utf8)
    /// Bytes at the end of a sealed segment that locate the footer frame.
    public static let trailerSize = 12

    public var lastSequence: UInt64
    public var messageCount: UInt64
    public var frameCount: UInt32
    public var rawBytes: UInt64
    public var storedBytes: UInt64
    /// Sparse index: the first sequence number of a messages frame and the frame's offset.
    public var index: [IndexEntry]

    public struct IndexEntry: Hashable, Sendable {
        public var sequence: UInt64
        public var offset: UInt64
    }

    func encodedPayload() -> [UInt8] {
        var out = BinaryWriter(capacity: 48 + 16 * index.count)
        out.u64(lastSequence)
        out.u64(messageCount)
        out.u32(frameCount)
        out.u64(rawBytes)
        out.u64(storedBytes)
        out.u32(UInt32(index.count))
        for entry in index {
            out.u64(entry.sequence)
            out.u64(entry.offset)
        }
        out.u32(UInt32(FrameHeader.size + out.count + Self.trailerSize))
        out.raw(Self.sealMagic)
        return out.bytes
    }

    static func decode(payload: UnsafeRawBufferPointer) -> SegmentFooter? {
        var reader = BinaryReader(payload)
        guard let last = reader.u64(), let messages = reader.u64(), let frames = reader.u32(),
              let raw = reader.u64(), let stored = reader.u64(), let entries = reader.u32(),
              UInt64(entries) * 16 + UInt64(Self.trailerSize) == UInt64(reader.remaining) else { return nil }
        var index: [IndexEntry] = []
        index.reserveCapacity(Int(entries))
        for _ in 0..<entries {
            index.append(IndexEntry(sequence: reader.u64()!, offset: reader.u64()!))
        }
        guard reader.u32() == UInt32(FrameHeader.size + payload.count),
              reader.bytes(8)!.elementsEqual(sealMagic) else { return nil }
        return SegmentFooter(lastSequence: last, messageCount: messages, frameCount: frames,
                             rawBytes: raw, storedBytes: stored, index: index)
    }

    /// The footer frame's total length if `trailer` (a segment's last 12 bytes) is a seal.
    static func frameLength(fromTrailer trailer: UnsafeRawBufferPointer) -> Int? {
        guard trailer.count == trailerSize, trailer[4...].elementsEqual(sealMagic) else { return nil }
        return Int(UInt32(littleEndian: trailer.loadUnaligned(as: UInt32.self)))
    }
}

/// The END record: the recording finished and the root process exited like this.
public struct EndRecord: Hashable, Sendable {
    /// The last sequence number of the recording.
    public var lastSequence: UInt64
    /// The exit status as a shell reports it: the exit code, or 128 + the signal number.
    public var exitStatus: Int32
    /// The signal that ended the root process, 0 when it exited.
    public var signal: Int32

    public init(lastSequence: UInt64, exitStatus: Int32, signal: Int32 = 0) {
        self.lastSequence = lastSequence
        self.exitStatus = exitStatus
        self.signal = signal
    }

    static let encodedSize = 16

    func encodedPayload() -> [UInt8] {
        var out = BinaryWriter(capacity: Self.encodedSize)
        out.u64(lastSequence)
        out.u32(UInt32(bitPattern: exitStatus))
        out.u32(UInt32(bitPattern: signal))
        return out.bytes
    }

    static func decode(payload: UnsafeRawBufferPointer) -> EndRecord? {
        guard payload.count == encodedSize else { return nil }
        var reader = BinaryReader(payload)
        return EndRecord(lastSequence: reader.u64()!, exitStatus: Int32(bitPattern: reader.u32()!),
                         signal: Int32(bitPattern: reader.u32()!))
    }
}
