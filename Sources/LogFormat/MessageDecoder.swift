/// Decodes a messages frame's raw payload (see ``MessageEncoding``), handing each message to a
/// visitor.
struct MessageDecoder {
    private var table = CallSiteTable()

    /// A message whose payload is stored in the payload frames that follow.
    struct ExternalPayload: Equatable {
        var sequence: UInt64
        var size: Int
    }

    enum Failure: Error, Equatable {
        /// The message starting at this raw offset (with this sequence number) is malformed.
        case malformed(rawOffset: Int, sequence: UInt64, reason: String)
        case countMismatch(header: UInt32, decoded: UInt32)
    }

    /// Where the decoding of one frame stands.
    private struct Progress {
        let raw: UnsafeRawBufferPointer
        let firstSequence: UInt64
        let count: UInt32
        var reader: BinaryReader
        var decoded: UInt32 = 0
        var external: ExternalPayload?

        init(_ raw: UnsafeRawBufferPointer, firstSequence: UInt64, count: UInt32) {
            self.raw = raw
            self.firstSequence = firstSequence
            self.count = count
            reader = BinaryReader(raw)
        }

        /// The sequence number of the next message.
        var sequence: UInt64 { firstSequence &+ UInt64(decoded) }

        func malformed(at rawOffset: Int, _ reason: String) -> Failure {
            .malformed(rawOffset: rawOffset, sequence: sequence, reason: reason)
        }
    }

    /// Decodes `count` messages numbered from `firstSequence`. Returns the external payload the
    /// last message announces, if any.
    mutating func decode<Visitor: LogVisitor>(
        _ raw: UnsafeRawBufferPointer, firstSequence: UInt64, count: UInt32, visitor: inout Visitor
    ) -> Result<ExternalPayload?, Failure> {
        table.reset()
        var progress = Progress(raw, firstSequence: firstSequence, count: count)
        do throws(Failure) {
            while !progress.reader.isAtEnd {
                try Self.checkRoomForAnother(progress)
                if raw[progress.reader.position] < CallSiteTable.literalCode {
                    // The common case, in a tight loop: known call sites and nothing else (locks taken).
                    if Visitor.visitsPlainMessages {
                        try visitPlainRun(&progress, &visitor)
                    } else {
                        try skipPlainRun(&progress)
                    }
                } else {
                    try decodeMessage(&progress, &visitor)
                }
            }
        } catch {
            return .failure(error)
        }
        guard progress.decoded == count else { return .failure(.countMismatch(header: count, decoded: progress.decoded)) }
        return .success(progress.external)
    }

    /// Another message starts: only the last may announce an external payload, and the frame
    /// header says how many there are.
    @inline(__always)
    private static func checkRoomForAnother(_ progress: Progress) throws(Failure) {
        if progress.external != nil {
            throw progress.malformed(at: progress.reader.position, "message after an external payload")
        }
        guard progress.decoded < progress.count else {
            throw .countMismatch(header: progress.count, decoded: progress.decoded + 1)
        }
    }

    /// Counts a run of plain messages (a call-site slot in use, nothing else) without visiting
    /// them, sixteen bytes at a time.
    @inline(__always)
    private func skipPlainRun(_ progress: inout Progress) throws(Failure) {
        let raw = progress.raw, start = progress.reader.position
        let limit = min(raw.count, start + Int(progress.count - progress.decoded))
        let position = Self.endOfPlainRun(raw, from: start, limit: limit, slotsInUse: UInt8(table.used))
        progress.decoded += UInt32(position - start)
        if position < raw.count, progress.decoded < progress.count, raw[position] < CallSiteTable.literalCode {
            throw progress.malformed(at: position, "empty call-site slot \(raw[position])")
        }
        progress.reader.skip(position - start)
    }

    /// Visits a run of plain messages one by one.
    @inline(__always)
    private func visitPlainRun<Visitor: LogVisitor>(_ progress: inout Progress, _ visitor: inout Visitor) throws(Failure) {
        let raw = progress.raw, start = progress.reader.position
        var position = start
        var slot = raw[position]
        while true {
            guard let site = table.site(at: Int(slot)) else {
                throw progress.malformed(at: position, "empty call-site slot \(slot)")
            }
            visitor.message(MessageView(
                sequence: progress.sequence, process: site.process, thread: site.thread,
                kind: MessageKind(rawValue: site.kind), resource: site.resource, result: 0, errno: 0,
                payloadSize: 0, inlinePayload: UnsafeRawBufferPointer(start: nil, count: 0)))
            progress.decoded += 1
            position += 1
            guard position < raw.count, progress.decoded < progress.count else { break }
            slot = raw[position]
            guard slot < CallSiteTable.literalCode else { break }
        }
        progress.reader.skip(position - start)
    }

    /// Decodes and visits one message with a tag byte's full form: a literal call site, a
    /// result, extras (errno, payload).
    @inline(__always)
    private mutating func decodeMessage<Visitor: LogVisitor>(_ progress: inout Progress,
                                                             _ visitor: inout Visitor) throws(Failure) {
        let start = progress.reader.position, sequence = progress.sequence
        let fail = { (reason: String) -> Failure in .malformed(rawOffset: start, sequence: sequence, reason: reason) }
        let tag = progress.reader.u8()!
        guard let extras = Self.readExtras(tag: tag, &progress.reader) else { throw fail("bad extras byte") }
        let site = try readCallSite(code: tag & MessageEncoding.slotMask, &progress.reader, fail: fail)
        var result: Int64 = 0
        if tag & MessageEncoding.resultFlag != 0 {
            guard let r = progress.reader.signedVarint() else { throw fail("bad result") }
            result = r
        }
        var errno: Int32 = 0
        if extras & MessageEncoding.errnoExtra != 0 {
            guard let e = progress.reader.varint(), let e32 = UInt32(exactly: e), e32 != 0 else { throw fail("bad errno") }
            errno = Int32(bitPattern: e32)
        }
        let (payloadSize, inline) = try Self.readPayload(extras: extras, &progress, fail: fail)
        visitor.message(MessageView(
            sequence: progress.sequence, process: site.process, thread: site.thread,
            kind: MessageKind(rawValue: site.kind), resource: site.resource, result: result,
            errno: errno, payloadSize: payloadSize, inlinePayload: inline))
        progress.decoded += 1
    }

    /// The extras byte, 0 when the tag says there is none; `nil` when it is malformed.
    @inline(__always)
    private static func readExtras(tag: UInt8, _ reader: inout BinaryReader) -> UInt8? {
        guard tag & MessageEncoding.extrasFlag != 0 else { return 0 }
        let both = MessageEncoding.inlinePayloadExtra | MessageEncoding.externalPayloadExtra
        guard let extras = reader.u8(), extras & ~0x07 == 0, extras & both != both else { return nil }
        return extras
    }

    /// The message's call site: a slot in use, or a literal one (which then takes the next slot).
    @inline(__always)
    private mutating func readCallSite(code: UInt8, _ reader: inout BinaryReader,
                                       fail: (String) -> Failure) throws(Failure) -> CallSite {
        guard code == CallSiteTable.literalCode else {
            guard let known = table.site(at: Int(code)) else { throw fail("empty call-site slot \(code)") }
            return known
        }
        guard let process = reader.varint(), let p = UInt32(exactly: process),
              let thread = reader.varint(), let t = UInt32(exactly: thread),
              let kind = reader.varint(), let k = UInt16(exactly: kind),
              let delta = reader.varint()
        else { throw fail("bad literal call site") }
        let resource = table.previousLiteralResource &+ UInt64(bitPattern: ZigZag.decode(delta))
        let site = CallSite(process: p, thread: t, kind: k, resource: resource)
        table.previousLiteralResource = resource
        table.insert(site)
        return site
    }

    /// The payload's size and inline bytes (none for an external payload, which `progress`
    /// then records).
    @inline(__always)
    private static func readPayload(extras: UInt8, _ progress: inout Progress,
                                    fail: (String) -> Failure) throws(Failure) -> (Int, UnsafeRawBufferPointer) {
        let none = UnsafeRawBufferPointer(start: nil, count: 0)
        guard extras & (MessageEncoding.inlinePayloadExtra | MessageEncoding.externalPayloadExtra) != 0 else { return (0, none) }
        guard let size = progress.reader.varint(), size > 0, size <= UInt64(Int.max) else {
            throw fail("bad payload length")
        }
        let payloadSize = Int(size)
        guard extras & MessageEncoding.inlinePayloadExtra != 0 else {
            progress.external = ExternalPayload(sequence: progress.sequence, size: payloadSize)
            return (payloadSize, none)
        }
        guard let bytes = progress.reader.bytes(payloadSize) else { throw fail("payload past frame end") }
        return (payloadSize, bytes)
    }
}

extension MessageDecoder {
    /// The offset of the first byte at or after `start` (and before `limit`) that is not a plain
    /// message of a slot in use, sixteen bytes at a time.
    @inline(__always)
    static func endOfPlainRun(_ raw: UnsafeRawBufferPointer, from start: Int, limit: Int, slotsInUse: UInt8) -> Int {
        var position = start
        let bound = SIMD16<UInt8>(repeating: slotsInUse)
        while position + 16 <= limit {
            let bytes = raw.loadUnaligned(fromByteOffset: position, as: SIMD16<UInt8>.self)
            guard all(bytes .< bound) else { break }
            position += 16
        }
        while position < limit, raw[position] < slotsInUse { position += 1 }
        return position
    }
}

extension MessageDecoder.Failure: CustomStringConvertible {
    var description: String {
        switch self {
        case .malformed(let offset, let sequence, let reason):
            "malformed message \(sequence) at raw offset \(offset) of its frame: \(reason)"
        case .countMismatch(let header, let decoded):
            "frame header says \(header) messages, payload holds \(decoded)"
        }
    }
}
