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
