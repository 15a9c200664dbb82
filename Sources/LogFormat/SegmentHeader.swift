/// The header at offset 0 of every segment file (see docs/log-format.md).
///
/// ```
/// 0  8  magic "REPLRLOG"                   40 u64 first sequence number
/// 8  u16 format version (2; 1 is read)      48 u64 predecessor's last sequence number
/// 10 u16 fixed header size (72)            56 u64 predecessor's size in bytes
/// 12 u8  codec                             64 u32 CRC-32C of the recording header bytes
/// 13 u8  flags (bit 0: recording header)   68 u32 CRC-32C of bytes 0..<68
/// 14 u16 reserved (0)                      72 recording header bytes (first segment only)
/// 16 16  recording id
/// 32 u32 segment number (from 1)
/// 36 u32 recording header length
/// ```
public struct SegmentHeader: Hashable, Sendable {
    public static let magic: [UInt8] = Array("REPLRLOG".utf8)
    /// The version this build writes. Version 2 adds heartbeat frames; a version-1 reader
    /// refuses a version-2 log by its version instead of misreading a heartbeat as damage.
    public static let formatVersion: UInt16 = 2
    /// The versions this build reads.
    public static let readableVersions: ClosedRange<UInt16> = 1...2
    public static let fixedSize = 72

    public var recordingID: RecordingID
    public var segmentNumber: UInt32
    public var codec: Codec
    public var firstSequence: UInt64
    public var previousLastSequence: UInt64
    public var previousSize: UInt64
    /// Present in the first segment only.
    public var recording: RecordingHeader?

    public init(recordingID: RecordingID, segmentNumber: UInt32, codec: Codec, firstSequence: UInt64,
                previousLastSequence: UInt64 = 0, previousSize: UInt64 = 0,
                recording: RecordingHeader? = nil) {
        self.recordingID = recordingID
        self.segmentNumber = segmentNumber
        self.codec = codec
        self.firstSequence = firstSequence
        self.previousLastSequence = previousLastSequence
        self.previousSize = previousSize
        self.recording = recording
    }

    public func encoded() -> [UInt8] {
        let recordingBytes = recording?.encoded() ?? []
        var out = BinaryWriter(capacity: Self.fixedSize + recordingBytes.count)
        out.raw(Self.magic)
        out.u16(Self.formatVersion)
        out.u16(UInt16(Self.fixedSize))
        out.u8(codec.rawValue)
        out.u8(recording == nil ? 0 : 1)
        out.u16(0)
        out.raw(recordingID.bytes)
        out.u32(segmentNumber)
        out.u32(UInt32(recordingBytes.count))
        out.u64(firstSequence)
        out.u64(previousLastSequence)
        out.u64(previousSize)
        out.u32(CRC32C.checksum(recordingBytes))
        out.u32(CRC32C.checksum(out.bytes))
        out.raw(recordingBytes)
        return out.bytes
    }

    /// The header's size on disk, recording header included.
    public var encodedSize: Int { Self.fixedSize + (recording?.encoded().count ?? 0) }

    /// Why a segment header could not be decoded.
    enum DecodeFailure: Error, Equatable {
        case tooShort(needed: Int)
        case badMagic
        case unsupportedVersion(UInt16)
        case malformed(String)
        case badChecksum
    }

    /// Decodes the header from the start of a segment file. `.tooShort` says how many bytes are
    /// needed when `bytes` holds fewer (a segment still being written).
    static func decode(_ bytes: UnsafeRawBufferPointer) -> Result<(SegmentHeader, size: Int), DecodeFailure> {
        guard bytes.count >= 10 else { return .failure(.tooShort(needed: fixedSize)) }
        guard bytes.prefix(8).elementsEqual(magic) else { return .failure(.badMagic) }
        var reader = BinaryReader(bytes, position: 8)
        let version = reader.u16()!
        guard readableVersions.contains(version) else { return .failure(.unsupportedVersion(version)) }
        guard bytes.count >= fixedSize else { return .failure(.tooShort(needed: fixedSize)) }
        // The fixed part checks itself first, so no length in it is trusted unchecked.
        guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<68]))
                == bytes.loadUnaligned(fromByteOffset: 68, as: UInt32.self).littleEndian else {
            return .failure(.badChecksum)
        }
        let fixed = reader.u16()!
        guard fixed == fixedSize else { return .failure(.malformed("fixed header size \(fixed)")) }
        let codecValue = reader.u8()!
        let flags = reader.u8()!
        let reserved = reader.u16()!
        let id = RecordingID(bytes: Array(reader.bytes(16)!))
        let number = reader.u32()!
        let recordingLength = Int(reader.u32()!)
        let first = reader.u64()!
        let previousLast = reader.u64()!
        let previousSize = reader.u64()!
        let recordingCRC = reader.u32()!
        guard recordingLength <= RecordingHeader.maxEncodedSize else {
            return .failure(.malformed("recording header length \(recordingLength)"))
        }
        guard let codec = Codec(rawValue: codecValue) else { return .failure(.malformed("codec \(codecValue)")) }
        guard flags & ~1 == 0 else { return .failure(.malformed("flags 0x\(String(flags, radix: 16))")) }
        guard number >= 1, first >= 1 else {
            return .failure(.malformed("segment number \(number), first sequence \(first)"))
        }
        // The checksum covers these fields, but a crafted header can carry a repaired one: every
        // field a writer sets to one value is checked for it.
        guard reserved == 0 else { return .failure(.malformed("reserved bytes 0x\(String(reserved, radix: 16))")) }
        guard (number == 1) == (flags & 1 != 0) else {
            return .failure(.malformed(number == 1 ? "segment 1 without the recording header" : "a recording header in segment \(number)"))
        }
        guard number != 1 || (first == 1 && previousLast == 0 && previousSize == 0) else {
            return .failure(.malformed("segment 1 starts at sequence \(first) after a predecessor (\(previousLast), \(previousSize) bytes)"))
        }
        guard bytes.count >= fixedSize + recordingLength else {
            return .failure(.tooShort(needed: fixedSize + recordingLength))
        }
        let recordingBytes = UnsafeRawBufferPointer(rebasing: bytes[fixedSize..<fixedSize + recordingLength])
        guard CRC32C.checksum(recordingBytes) == recordingCRC else { return .failure(.badChecksum) }
        var recording: RecordingHeader?
        if flags & 1 != 0 {
            guard let decoded = RecordingHeader.decode(recordingBytes) else {
                return .failure(.malformed("recording header fields"))
            }
            recording = decoded
        } else if recordingLength != 0 {
            return .failure(.malformed("recording header bytes without the flag"))
        }
        let header = SegmentHeader(recordingID: id, segmentNumber: number, codec: codec,
                                   firstSequence: first, previousLastSequence: previousLast,
                                   previousSize: previousSize, recording: recording)
        return .success((header, fixedSize + recordingLength))
    }
}

/// A recording's 16-byte random identity, shared by all its segments.
public struct RecordingID: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) {
        precondition(bytes.count == 16)
        self.bytes = bytes
    }

    public static func random() -> RecordingID {
        var generator = SystemRandomNumberGenerator()
        return RecordingID(bytes: (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    public var description: String {
        bytes.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
