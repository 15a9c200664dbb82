import LogFormat

/// An intercepted call as the ring and the divergence record name it: its kind, the resource it
/// acts on, and the logical thread that makes it.
public struct RecordedCall: Hashable, Sendable {
    public var kind: MessageKind
    public var resource: UInt64
    public var process: UInt32
    public var thread: UInt32

    public init(kind: MessageKind, resource: UInt64, process: UInt32, thread: UInt32) {
        self.kind = kind
        self.resource = resource
        self.process = process
        self.thread = thread
    }

    /// "mutex_lock on 0x7f…": the kind and the resource, as diagnostics print them.
    public var kindAndResource: String { "\(kind) on 0x\(String(resource, radix: 16))" }
}
