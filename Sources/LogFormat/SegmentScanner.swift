/// Reads one segment's frames in order and checks everything that can be checked inside one
/// segment: checksums, sequence continuity, payload chunks, the END record and the footer.
///
/// The scanner does not decide whether damage at the end of a segment is a torn tail or
/// corruption: that depends on what follows (``LogCursor`` knows). It reports such damage as a
/// ``Step/damaged(_:)`` or ``Step/incomplete(at:)`` step; anything inside a frame whose
/// checksums are valid is thrown as corruption or a gap.
public final class SegmentScanner<Source: SegmentSource> {
    public let source: Source
    /// The segment's name in its directory, when it has one.
    public let name: SegmentName?
    public private(set) var header: SegmentHeader?
    /// Offset of the next frame.
    public private(set) var offset = 0
    /// The sequence number the next message must carry.
    public private(set) var nextSequence: UInt64 = 1
    public private(set) var end: EndRecord?
    public private(set) var footer: SegmentFooter?
    /// Timestamp of the last frame read (ns since 1970), 0 before the first.
    public private(set) var lastFrameTime: UInt64 = 0

    /// What one ``step(_:)`` found.
    public enum Step: Equatable {
        /// A frame was read and handed to the visitor.
        case frame(FrameType)
        /// The data ends exactly at a frame boundary, and the segment is not sealed.
        case boundary
        /// The footer has been read; the segment is complete.
        case sealed
        /// The data ends inside the frame that starts at this offset.
        case incomplete(at: Int)
        /// The frame at this offset fails its checks.
        case damaged(LogError)
    }

    private var pendingPayload: (sequence: UInt64, size: Int, received: Int, nextChunk: UInt32)?
    private var decoder = MessageDecoder()
    private var rawBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 16)
    private let zstd = ZstdContexts()
    /// Whether the scan began at the segment's first frame (counts in the footer can be checked).
    private var scannedFromStart = true
    private var messages: UInt64 = 0
    private var frames: UInt32 = 0
    private var rawBytes: UInt64 = 0
    private var messageFrames: [SegmentFooter.IndexEntry] = []

    public init(_ source: Source, name: SegmentName? = nil) {
        self.source = source
        self.name = name
    }

    deinit { rawBuffer.deallocate() }

    func location(_ offset: Int, sequence: UInt64? = nil) -> LogLocation {
        LogLocation(file: source.name, segment: name?.number ?? header?.segmentNumber, offset: offset,
                    sequence: sequence)
    }

    // MARK: Header

    /// Reads and checks the segment header. `nil` when the file does not hold all of it yet.
    public func readHeader() throws -> SegmentHeader? {
        if let header { return header }
        var needed = SegmentHeader.fixedSize
        while true {
            let available = min(source.size, needed)
            guard let bytes = try source.bytes(at: 0, count: available) else { return nil }
            switch SegmentHeader.decode(bytes) {
            case .success(let (decoded, size)):
                if let name, name.number != decoded.segmentNumber || name.firstSequence != decoded.firstSequence {
                    throw LogError(.corruption,
                                   "the header says segment \(decoded.segmentNumber) from sequence \(decoded.firstSequence), the name says otherwise",
                                   at: location(0))
                }
                header = decoded
                offset = size
                nextSequence = decoded.firstSequence
                return decoded
            case .failure(.tooShort(let required)):
                guard required > available, source.size >= required else { return nil }
                needed = required
            case .failure(.badMagic):
                throw LogError(.notALog, "not a replication log segment (bad magic)", at: location(0))
            case .failure(.unsupportedVersion(let version)):
                throw LogError(.unsupportedVersion,
                               "segment format version \(version); this build reads versions \(SegmentHeader.readableVersions.lowerBound)-\(SegmentHeader.readableVersions.upperBound)",
                               at: location(8))
            case .failure(.badChecksum):
                throw LogError(.corruption, "segment header checksum mismatch", at: location(0))
            case .failure(.malformed(let what)):
                throw LogError(.corruption, "malformed segment header: \(what)", at: location(0))
            }
        }
    }

    /// Continues the scan at a frame boundary taken from the footer index (a seek).
    public func resume(at frameOffset: Int, sequence: UInt64) {
        offset = frameOffset
        nextSequence = sequence
        scannedFromStart = false
    }

    // MARK: Frames

    /// Reads the next frame and hands its content to `visitor`.
    public func step<Visitor: LogVisitor>(_ visitor: inout Visitor) throws -> Step {
        precondition(header != nil, "readHeader() first")
        if footer != nil {
            if source.size > offset {
                throw LogError(.corruption, "data after the segment footer", at: location(offset))
            }
            return .sealed
        }
        let frameOffset = offset
        let frame: FrameHeader, stored: UnsafeRawBufferPointer
        switch try readFrame(at: frameOffset) {
        case .intact(let header, let bytes): (frame, stored) = (header, bytes)
        case .notRead(let step): return step
        }
        // The frame is as its writer wrote it: from here, anything inconsistent is thrown.
        visitor.frame(frame, offset: frameOffset, segment: segmentName)
        let raw = try decompress(frame, stored, at: frameOffset)
        try consume(frame, raw: raw, at: frameOffset, visitor: &visitor)
        visitor.frameDecoded(frame)
        try advance(past: frame, at: frameOffset)
        return .frame(frame.type)
    }

    /// A frame whose header and stored payload are present and pass their checksums, or the
    /// step that reports why there is none.
    private enum FrameRead {
        case intact(FrameHeader, stored: UnsafeRawBufferPointer)
        case notRead(Step)
    }

    private func readFrame(at frameOffset: Int) throws -> FrameRead {
        guard let headerBytes = try source.bytes(at: frameOffset, count: FrameHeader.size) else {
            return .notRead(frameOffset == source.size ? .boundary : .incomplete(at: frameOffset))
        }
        let frame: FrameHeader
        switch FrameHeader.decode(headerBytes) {
        case .success(let decoded): frame = decoded
        case .failure(.unknownType(let type)):
            // An intact header (its checksum holds) of a type this build does not know: a newer
            // writer's, not damage.
            throw LogError(.unsupportedVersion, "frame type \(type) is newer than this build of the reader",
                           at: location(frameOffset, sequence: nextSequence))
        case .failure(let failure):
            return .notRead(.damaged(LogError(.corruption, "\(failure)", at: location(frameOffset, sequence: nextSequence))))
        }
        guard let stored = try source.bytes(at: frameOffset + FrameHeader.size, count: frame.storedLength) else {
            return .notRead(.incomplete(at: frameOffset))
        }
        guard CRC32C.checksum(stored) == frame.payloadChecksum else {
            return .notRead(.damaged(LogError(.corruption, "frame payload checksum mismatch",
                                              at: location(frameOffset, sequence: frame.firstSequence))))
        }
        return .intact(frame, stored: stored)
    }

    /// The frame's raw payload, in the scanner's buffer (valid until the next frame).
    private func decompress(_ frame: FrameHeader, _ stored: UnsafeRawBufferPointer,
                            at frameOffset: Int) throws -> UnsafeRawBufferPointer {
        if rawBuffer.count < frame.rawLength {
            rawBuffer.deallocate()
            rawBuffer = .allocate(byteCount: frame.rawLength, alignment: 16)
        }
        let raw = UnsafeMutableRawBufferPointer(rebasing: rawBuffer[0..<frame.rawLength])
        guard frame.codec.decompress(stored, into: raw, zstdContext: zstd.decompression) else {
            throw LogError(.corruption, "frame does not decompress (\(frame.codec)) to its \(frame.rawLength) raw bytes",
                           at: location(frameOffset, sequence: frame.firstSequence))
        }
        return UnsafeRawBufferPointer(raw)
    }

    /// Moves past a consumed frame; the footer must be the segment's last bytes.
    private func advance(past frame: FrameHeader, at frameOffset: Int) throws {
        offset = frameOffset + frame.totalLength
        lastFrameTime = frame.timestamp
        if frame.type == .footer {
            guard offset == source.size else {
                throw LogError(.corruption, "data after the segment footer", at: location(offset))
            }
        } else {
            frames += 1
            rawBytes += UInt64(frame.rawLength)
        }
    }

    private var segmentName: SegmentName {
        name ?? SegmentName(number: header!.segmentNumber, firstSequence: header!.firstSequence)
    }

    // MARK: Frame contents

    /// Checks an intact frame against what came before it and hands its content to `visitor`.
    private func consume<Visitor: LogVisitor>(_ frame: FrameHeader, raw: UnsafeRawBufferPointer, at frameOffset: Int,
                                              visitor: inout Visitor) throws {
        if frame.type != .payload, let pending = pendingPayload {
            throw corruption("payload of message \(pending.sequence) ends after \(pending.received) of \(pending.size) bytes",
                             frame, at: frameOffset)
        }
        if end != nil, frame.type != .footer {
            throw corruption("\(frame.type) frame after the END record", frame, at: frameOffset)
        }
        switch frame.type {
        case .messages: try consumeMessages(frame, raw: raw, at: frameOffset, visitor: &visitor)
        case .payload: try consumePayloadChunk(frame, raw: raw, at: frameOffset, visitor: &visitor)
        case .end: try consumeEnd(frame, raw: raw, at: frameOffset, visitor: &visitor)
        case .footer: try consumeFooter(frame, raw: raw, at: frameOffset, visitor: &visitor)
        case .heartbeat:
            guard frame.count == 0, frame.rawLength == 0, frame.firstSequence == nextSequence else {
                throw corruption("malformed heartbeat (count \(frame.count), \(frame.rawLength) bytes, sequence \(frame.firstSequence))",
                                 frame, at: frameOffset)
            }
        }
    }

    /// Damage inside an intact frame: located at the frame and its first sequence number.
    private func corruption(_ message: String, _ frame: FrameHeader, at frameOffset: Int) -> LogError {
        LogError(.corruption, message, at: location(frameOffset, sequence: frame.firstSequence))
    }

    private func consumeMessages<Visitor: LogVisitor>(_ frame: FrameHeader, raw: UnsafeRawBufferPointer,
                                                      at frameOffset: Int, visitor: inout Visitor) throws {
        guard frame.firstSequence == nextSequence else {
            if frame.firstSequence > nextSequence {
                throw LogError(.gap, "sequence numbers jump from \(nextSequence) to \(frame.firstSequence)",
                               at: location(frameOffset, sequence: nextSequence))
            }
            throw corruption("sequence number \(frame.firstSequence) repeats (expected \(nextSequence))", frame, at: frameOffset)
        }
        guard frame.count > 0 else { throw corruption("messages frame with no message", frame, at: frameOffset) }
        switch decoder.decode(raw, firstSequence: frame.firstSequence, count: frame.count, visitor: &visitor) {
        case .success(let external):
            pendingPayload = external.map { ($0.sequence, $0.size, 0, 0) }
        case .failure(let failure):
            throw corruption("\(failure)", frame, at: frameOffset)
        }
        messageFrames.append(.init(sequence: frame.firstSequence, offset: UInt64(frameOffset)))
        nextSequence += UInt64(frame.count)
        messages += UInt64(frame.count)
    }

    /// A chunk of the external payload the last message announced, in order and within its size.
    private func consumePayloadChunk<Visitor: LogVisitor>(_ frame: FrameHeader, raw: UnsafeRawBufferPointer,
                                                          at frameOffset: Int, visitor: inout Visitor) throws {
        guard var pending = pendingPayload, frame.firstSequence == pending.sequence,
              frame.count == pending.nextChunk else {
            throw corruption("payload frame (chunk \(frame.count)) that no message announced", frame, at: frameOffset)
        }
        guard frame.rawLength > 0, frame.rawLength <= pending.size - pending.received else {
            throw corruption("payload chunk of \(frame.rawLength) bytes overruns the announced \(pending.size)",
                             frame, at: frameOffset)
        }
        pending.received += frame.rawLength
        pending.nextChunk += 1
        let isLast = pending.received == pending.size
        pendingPayload = isLast ? nil : pending
        visitor.payloadChunk(raw, sequence: frame.firstSequence, isLast: isLast)
    }

    private func consumeEnd<Visitor: LogVisitor>(_ frame: FrameHeader, raw: UnsafeRawBufferPointer,
                                                 at frameOffset: Int, visitor: inout Visitor) throws {
        guard let record = EndRecord.decode(payload: raw), record.lastSequence == nextSequence - 1,
              frame.firstSequence == nextSequence else {
            throw corruption("END record does not match the last sequence number \(nextSequence - 1)", frame, at: frameOffset)
        }
        end = record
        visitor.end(record)
    }

    /// The footer: its last sequence number always, its counts and index when the scan began at
    /// the segment's first frame.
    private func consumeFooter<Visitor: LogVisitor>(_ frame: FrameHeader, raw: UnsafeRawBufferPointer,
                                                    at frameOffset: Int, visitor: inout Visitor) throws {
        guard let decoded = SegmentFooter.decode(payload: raw) else { throw corruption("malformed footer", frame, at: frameOffset) }
        guard decoded.lastSequence == nextSequence - 1 else {
            throw corruption("footer says last sequence \(decoded.lastSequence), the segment ends at \(nextSequence - 1)",
                             frame, at: frameOffset)
        }
        if scannedFromStart { try checkCounts(of: decoded, frame, at: frameOffset) }
        footer = decoded
        visitor.footer(decoded, segment: segmentName)
    }

    private func checkCounts(of footer: SegmentFooter, _ frame: FrameHeader, at frameOffset: Int) throws {
        guard footer.messageCount == messages, footer.frameCount == frames, footer.rawBytes == rawBytes,
              footer.storedBytes == UInt64(frameOffset) else {
            throw corruption("footer counts (\(footer.messageCount) messages, \(footer.frameCount) frames) do not match the segment (\(messages), \(frames))",
                             frame, at: frameOffset)
        }
        let known = Set(messageFrames)
        for entry in footer.index where !known.contains(entry) {
            throw corruption("footer index entry \(entry.sequence)@\(entry.offset) names no messages frame", frame, at: frameOffset)
        }
    }

    // MARK: Telling a torn tail from corruption

    /// Whether the segment ends with a seal (its last bytes are a footer trailer).
    public func claimsSealed() throws -> Bool {
        guard source.size >= SegmentFooter.trailerSize,
              let trailer = try source.bytes(at: source.size - SegmentFooter.trailerSize,
                                             count: SegmentFooter.trailerSize) else { return false }
        return SegmentFooter.frameLength(fromTrailer: trailer) != nil
    }

    /// The offset of the first intact frame (valid header and payload checksums) after `offset`,
    /// if any: damage followed by intact data is corruption, not a torn tail.
    public func intactFrame(after offset: Int) throws -> Int? {
        let sync = withUnsafeBytes(of: FrameHeader.syncWord.littleEndian) { Array($0) }
        var chunkStart = offset + 1
        let chunkSize = 1 << 20
        while chunkStart + FrameHeader.size <= source.size {
            let count = min(chunkSize + 3, source.size - chunkStart)
            guard let chunk = try source.bytes(at: chunkStart, count: count) else { return nil }
            var candidates: [Int] = []
            var i = 0
            while i + 4 <= chunk.count {
                if chunk[i] == sync[0], chunk[i + 1] == sync[1], chunk[i + 2] == sync[2], chunk[i + 3] == sync[3] {
                    candidates.append(chunkStart + i)
                }
                i += 1
            }
            for candidate in candidates {
                guard let headerBytes = try source.bytes(at: candidate, count: FrameHeader.size),
                      case .success(let frame) = FrameHeader.decode(headerBytes),
                      let stored = try source.bytes(at: candidate + FrameHeader.size, count: frame.storedLength),
                      CRC32C.checksum(stored) == frame.payloadChecksum else { continue }
                return candidate
            }
            chunkStart += chunkSize
        }
        return nil
    }

    /// The footer found from the segment's trailer with one read from the end, if the segment is
    /// sealed and the footer intact (used to seek with its index).
    public func footerFromTrailer() throws -> SegmentFooter? {
        guard source.size >= SegmentFooter.trailerSize,
              let trailer = try source.bytes(at: source.size - SegmentFooter.trailerSize, count: SegmentFooter.trailerSize),
              let length = SegmentFooter.frameLength(fromTrailer: trailer),
              length >= FrameHeader.size + SegmentFooter.trailerSize, length <= source.size,
              let bytes = try source.bytes(at: source.size - length, count: length),
              case .success(let frame) = FrameHeader.decode(UnsafeRawBufferPointer(rebasing: bytes[0..<FrameHeader.size])),
              frame.type == .footer, frame.codec == .none, frame.totalLength == length else { return nil }
        let payload = UnsafeRawBufferPointer(rebasing: bytes[FrameHeader.size...])
        guard CRC32C.checksum(payload) == frame.payloadChecksum else { return nil }
        return SegmentFooter.decode(payload: payload)
    }
}
