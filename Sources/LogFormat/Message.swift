/// One replication message: an intercepted call, who made it, and what it returned.
public struct Message: Hashable, Sendable {
    /// The global sequence number (1, 2, 3, … across the whole recording).
    public var sequence: UInt64
    /// The logical process id (deterministic: the same at replay).
    public var process: UInt32
    /// The logical thread id within the process.
    public var thread: UInt32
    public var kind: MessageKind
    /// What the call touched: a lock's address, a file descriptor, a clock id.
    public var resource: UInt64
    /// The call's return value.
    public var result: Int64
    /// `errno` after the call, 0 when the call succeeded.
    public var errno: Int32
    /// Data the call returned (bytes read, a clock value, random bytes); any size.
    public var payload: [UInt8]

    public init(sequence: UInt64, process: UInt32, thread: UInt32, kind: MessageKind,
                resource: UInt64 = 0, result: Int64 = 0, errno: Int32 = 0, payload: [UInt8] = []) {
        self.sequence = sequence
        self.process = process
        self.thread = thread
        self.kind = kind
        self.resource = resource
        self.result = result
        self.errno = errno
        self.payload = payload
    }
}

/// A decoded message whose payload still points into the reader's buffer: valid only during the
/// visitor call that receives it. ``Message/init(_:)`` copies it out.
public struct MessageView {
    public var sequence: UInt64
    public var process: UInt32
    public var thread: UInt32
    public var kind: MessageKind
    public var resource: UInt64
    public var result: Int64
    public var errno: Int32
    /// The payload's full size; for a payload stored in payload frames this is larger than
    /// `inlinePayload.count`, and the bytes arrive through ``LogVisitor/payloadChunk(_:sequence:isLast:)``.
    public var payloadSize: Int
    public var inlinePayload: UnsafeRawBufferPointer

    /// Whether the payload is stored in payload frames after this message's frame.
    public var hasExternalPayload: Bool { payloadSize != inlinePayload.count }
}

extension Message {
    /// Copies a view, with the inline payload.
    public init(_ view: MessageView) {
        self.init(sequence: view.sequence, process: view.process, thread: view.thread,
                  kind: view.kind, resource: view.resource, result: view.result,
                  errno: view.errno, payload: Array(view.inlinePayload))
    }
}
