/// The compact encoding of messages inside a messages frame's raw payload.
///
/// Each message starts with a tag byte (see docs/log-format.md):
///
/// ```
/// bits 0-5  call-site slot 0-62, or 63: literal call site follows
///           (varint process, varint thread, varint kind, zig-zag varint resource delta)
/// bit 6     result follows (zig-zag varint); absent means 0
/// bit 7     extras byte follows:
///             bit 0  errno follows (varint); absent means 0
///             bit 1  inline payload follows (varint length, bytes)
///             bit 2  external payload: varint length; the bytes are in the payload frames that
///                    follow. Only the frame's last message may have it.
///             bits 3-7 zero
/// ```
///
/// A lock acquisition that returned 0 from a known call site is one byte.
enum MessageEncoding {
    static let resultFlag: UInt8 = 0x40
    static let extrasFlag: UInt8 = 0x80
    static let slotMask: UInt8 = 0x3F
    static let errnoExtra: UInt8 = 0x01
    static let inlinePayloadExtra: UInt8 = 0x02
    static let externalPayloadExtra: UInt8 = 0x04

    /// The most bytes a message takes before its inline payload.
    static let maxEncodedHeader = 1 + 1 + 5 + 5 + 3 + 10 + 10 + 5 + 10

    @inline(__always)
    static func putVarint(_ value: UInt64, _ base: UnsafeMutableRawPointer, _ position: inout Int) {
        var v = value
        while v >= 0x80 {
            base.storeBytes(of: UInt8(truncatingIfNeeded: v) | 0x80, toByteOffset: position, as: UInt8.self)
            position += 1
            v >>= 7
        }
        base.storeBytes(of: UInt8(v), toByteOffset: position, as: UInt8.self)
        position += 1
    }
}

/// Encodes messages for one frame at a time; the writer owns one.
struct MessageEncoder {
    private var index = CallSiteIndex()

    /// Starts a new frame: the call-site table empties.
    mutating func startFrame() { index.reset() }

    /// Encodes a message at `position` in `base`, which must have room for
    /// ``MessageEncoding/maxEncodedHeader`` plus the inline payload. Returns the new position.
    @inline(__always)
    mutating func encode(_ site: CallSite, result: Int64, errno: Int32, payloadSize: Int,
                         inlinePayload: UnsafeRawBufferPointer?, into base: UnsafeMutableRawPointer,
                         at start: Int) -> Int {
        var tag: UInt8
        var extras: UInt8 = 0
        if errno != 0 { extras |= MessageEncoding.errnoExtra }
        if payloadSize > 0 {
            extras |= inlinePayload != nil ? MessageEncoding.inlinePayloadExtra : MessageEncoding.externalPayloadExtra
        }
        var position = start + (extras != 0 ? 2 : 1)
        if let slot = index.lookupOrInsert(site) {
            tag = UInt8(truncatingIfNeeded: slot)
        } else {
            tag = CallSiteTable.literalCode
            MessageEncoding.putVarint(UInt64(site.process), base, &position)
            MessageEncoding.putVarint(UInt64(site.thread), base, &position)
            MessageEncoding.putVarint(UInt64(site.kind), base, &position)
            let delta = Int64(bitPattern: site.resource &- index.previousLiteralResource)
            MessageEncoding.putVarint(ZigZag.encode(delta), base, &position)
            index.previousLiteralResource = site.resource
        }
        if result != 0 {
            tag |= MessageEncoding.resultFlag
            MessageEncoding.putVarint(ZigZag.encode(result), base, &position)
        }
        if extras != 0 {
            tag |= MessageEncoding.extrasFlag
            base.storeBytes(of: extras, toByteOffset: start + 1, as: UInt8.self)
            if errno != 0 { MessageEncoding.putVarint(UInt64(UInt32(bitPattern: errno)), base, &position) }
            if payloadSize > 0 { MessageEncoding.putVarint(UInt64(payloadSize), base, &position) }
            if let inlinePayload, let source = inlinePayload.baseAddress {
                (base + position).copyMemory(from: source, byteCount: inlinePayload.count)
                position += inlinePayload.count
            }
        }
        base.storeBytes(of: tag, toByteOffset: start, as: UInt8.self)
        return position
    }
}

/// Decodes a messages frame's raw payload, handing each message to a visitor.
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

    /// Decodes `count` messages numbered from `firstSequence`. Returns the external payload the
    /// last message announces, if any.
    mutating func decode<Visitor: LogVisitor>(
        _ raw: UnsafeRawBufferPointer, firstSequence: UInt64, count: UInt32, visitor: inout Visitor
    ) -> Result<ExternalPayload?, Failure> {
        table.reset()
        var reader = BinaryReader(raw)
        var decoded: UInt32 = 0
        var external: ExternalPayload?
        while !reader.isAtEnd {
            let start = reader.position
            let sequence = firstSequence &+ UInt64(decoded)
            func fail(_ reason: String) -> Result<ExternalPayload?, Failure> {
                .failure(.malformed(rawOffset: start, sequence: sequence, reason: reason))
            }
            if external != nil { return fail("message after an external payload") }
            guard decoded < count else {
                return .failure(.countMismatch(header: count, decoded: decoded + 1))
            }
            // The common case, in a tight loop: known call sites and nothing else (locks taken).
            var position = start
            var next = raw[position]
            if next < CallSiteTable.literalCode, !Visitor.visitsPlainMessages {
                position = Self.endOfPlainRun(raw, from: position, limit: min(raw.count, position + Int(count - decoded)),
                                              slotsInUse: UInt8(table.used))
                decoded += UInt32(position - start)
                if position < raw.count, decoded < count, raw[position] < CallSiteTable.literalCode {
                    return .failure(.malformed(rawOffset: position, sequence: firstSequence &+ UInt64(decoded),
                                               reason: "empty call-site slot \(raw[position])"))
                }
                reader.skip(position - start)
                continue
            }
            if next < CallSiteTable.literalCode {
                while true {
                    guard let site = table.site(at: Int(next)) else {
                        return .failure(.malformed(rawOffset: position, sequence: firstSequence &+ UInt64(decoded),
                                                   reason: "empty call-site slot \(next)"))
                    }
                    visitor.message(MessageView(
                        sequence: firstSequence &+ UInt64(decoded), process: site.process, thread: site.thread,
                        kind: MessageKind(rawValue: site.kind), resource: site.resource, result: 0, errno: 0,
                        payloadSize: 0, inlinePayload: UnsafeRawBufferPointer(start: nil, count: 0)))
                    decoded += 1
                    position += 1
                    guard position < raw.count, decoded < count else { break }
                    next = raw[position]
                    guard next < CallSiteTable.literalCode else { break }
                }
                reader.skip(position - start)
                continue
            }
            let tag = reader.u8()!
            var extras: UInt8 = 0
            if tag & MessageEncoding.extrasFlag != 0 {
                guard let e = reader.u8(), e & ~0x07 == 0,
                      e & (MessageEncoding.inlinePayloadExtra | MessageEncoding.externalPayloadExtra) != 0x06 else {
                    return fail("bad extras byte")
                }
                extras = e
            }
            let code = tag & MessageEncoding.slotMask
            let site: CallSite
            if code == CallSiteTable.literalCode {
                guard let process = reader.varint(), let p = UInt32(exactly: process),
                      let thread = reader.varint(), let t = UInt32(exactly: thread),
                      let kind = reader.varint(), let k = UInt16(exactly: kind),
                      let delta = reader.varint()
                else { return fail("bad literal call site") }
                let resource = table.previousLiteralResource &+ UInt64(bitPattern: ZigZag.decode(delta))
                site = CallSite(process: p, thread: t, kind: k, resource: resource)
                table.previousLiteralResource = resource
                table.insert(site)
            } else {
                guard let known = table.site(at: Int(code)) else { return fail("empty call-site slot \(code)") }
                site = known
            }
            var result: Int64 = 0
            if tag & MessageEncoding.resultFlag != 0 {
                guard let r = reader.signedVarint() else { return fail("bad result") }
                result = r
            }
            var errno: Int32 = 0
            if extras & MessageEncoding.errnoExtra != 0 {
                guard let e = reader.varint(), let e32 = UInt32(exactly: e), e32 != 0 else { return fail("bad errno") }
                errno = Int32(bitPattern: e32)
            }
            var payloadSize = 0
            var inline = UnsafeRawBufferPointer(start: nil, count: 0)
            if extras & (MessageEncoding.inlinePayloadExtra | MessageEncoding.externalPayloadExtra) != 0 {
                guard let size = reader.varint(), size > 0, size <= UInt64(Int.max) else {
                    return fail("bad payload length")
                }
                payloadSize = Int(size)
                if extras & MessageEncoding.inlinePayloadExtra != 0 {
                    guard let bytes = reader.bytes(payloadSize) else { return fail("payload past frame end") }
                    inline = bytes
                } else {
                    external = ExternalPayload(sequence: sequence, size: payloadSize)
                }
            }
            visitor.message(MessageView(
                sequence: sequence, process: site.process, thread: site.thread,
                kind: MessageKind(rawValue: site.kind), resource: site.resource, result: result,
                errno: errno, payloadSize: payloadSize, inlinePayload: inline))
            decoded += 1
        }
        guard decoded == count else { return .failure(.countMismatch(header: count, decoded: decoded)) }
        return .success(external)
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
