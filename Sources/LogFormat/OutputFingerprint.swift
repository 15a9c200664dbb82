internal import CReplABI

/// The payload of a write-like call's message (T1): the length the program handed to the call
/// and the CRC-32C of the bytes the call wrote (the first `result` of them). See replabi.h.
public struct OutputFingerprint: Hashable, Sendable {
    /// Bytes the program handed to the call.
    public var handed: UInt64
    /// CRC-32C of the bytes written (0 when none were).
    public var crc: UInt32

    /// The encoded size, 12 bytes.
    public static let size = Int(REPL_FINGERPRINT_SIZE)

    /// Whether messages of this kind (on this resource) carry a fingerprint.
    public static func isCarried(by kind: MessageKind, resource: UInt64) -> Bool {
        switch kind {
        case .write, .writev, .send, .sendmsg, .pwrite, .pwritev: true
        case .vmsplice: resource >> 32 == 0  // into a pipe; from one it is a read
        default: false
        }
    }

    /// Decodes a payload of exactly ``size`` bytes.
    public init?(_ payload: UnsafeRawBufferPointer) {
        guard payload.count == Self.size else { return nil }
        handed = payload.loadUnaligned(as: UInt64.self).littleEndian
        crc = payload.loadUnaligned(fromByteOffset: 8, as: UInt32.self).littleEndian
    }
}
