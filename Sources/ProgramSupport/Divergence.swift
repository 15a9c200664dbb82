import CReplABI
import LogFormat

/// What a thread of the replayed program found instead of the call the log records for its turn.
public struct Divergence: Sendable, CustomStringConvertible {
    /// The turn at which it happened.
    public var sequence: UInt64
    /// The call the log records for this turn.
    public var expected: RecordedCall
    /// The call the program made.
    public var observed: RecordedCall
    /// The real process and thread that made it.
    public var realPID: Int32
    public var realTID: Int32

    /// The layer's record of it in the shared region.
    public init(_ record: repl_divergence) {
        sequence = record.sequence
        expected = RecordedCall(kind: MessageKind(rawValue: record.expected_kind), resource: record.expected_resource,
                                process: record.expected_process, thread: record.expected_thread)
        observed = RecordedCall(kind: MessageKind(rawValue: record.observed_kind), resource: record.observed_resource,
                                process: record.observed_process, thread: record.observed_thread)
        realPID = record.real_pid
        realTID = record.real_tid
    }

    /// "sequence N, logical process P thread T: expected KIND on 0x…, observed KIND on 0x…
    /// (real pid …, tid …)": the text replplay reports (tests look for it).
    public var description: String {
        "sequence \(sequence), logical process \(expected.process) thread \(expected.thread): "
            + "expected \(expected.kindAndResource), observed \(observed.kindAndResource) "
            + "(real pid \(realPID), tid \(realTID))"
    }
}
