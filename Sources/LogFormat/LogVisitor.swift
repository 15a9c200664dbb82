/// Receives what a ``LogCursor`` reads, in log order. Every method has an empty default, so a
/// visitor implements only what it needs (a dump wants messages, `verify` wants counts).
public protocol LogVisitor {
    /// Whether ``message(_:)`` must be called for plain messages: a known call site and nothing
    /// else (result 0, no errno, no payload), the bulk of a lock-heavy log. A visitor that counts
    /// messages per frame (``frameDecoded(_:)``) says `false`; the decoder then checks such
    /// messages in bulk without calling it. Defaults to `true`.
    static var visitsPlainMessages: Bool { get }
    /// A segment's header has been read and checked against its predecessor.
    mutating func segment(_ header: SegmentHeader, name: SegmentName, size: Int)
    /// A frame has been read and its checksums verified, before its content is decoded.
    mutating func frame(_ header: FrameHeader, offset: Int, segment: SegmentName)
    /// A frame's content has been delivered in full (after its messages, its payload chunk, its
    /// END record or its footer).
    mutating func frameDecoded(_ header: FrameHeader)
    /// A message. Its view is valid only during this call.
    mutating func message(_ message: MessageView)
    /// A chunk of the external payload of message `sequence`, in order.
    mutating func payloadChunk(_ bytes: UnsafeRawBufferPointer, sequence: UInt64, isLast: Bool)
    /// The END record.
    mutating func end(_ record: EndRecord)
    /// A segment's footer: the segment is sealed.
    mutating func footer(_ footer: SegmentFooter, segment: SegmentName)
}

extension LogVisitor {
    public static var visitsPlainMessages: Bool { true }
    public mutating func segment(_ header: SegmentHeader, name: SegmentName, size: Int) {}
    public mutating func frame(_ header: FrameHeader, offset: Int, segment: SegmentName) {}
    public mutating func frameDecoded(_ header: FrameHeader) {}
    public mutating func message(_ message: MessageView) {}
    public mutating func payloadChunk(_ bytes: UnsafeRawBufferPointer, sequence: UInt64, isLast: Bool) {}
    public mutating func end(_ record: EndRecord) {}
    public mutating func footer(_ footer: SegmentFooter, segment: SegmentName) {}
}
