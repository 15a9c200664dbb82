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
    /// Why the replay stopped there.
    public var cause: Cause
    /// What differed, in the layer's words (empty when the calls themselves differ).
    public var detail: String

    /// Why a replay stopped at a turn.
    public enum Cause: Sendable, Equatable {
        /// The program made another call than the log records.
        case call
        /// The call is the recorded one, but the bytes it hands are not (T1).
        case output
        /// The recorded result cannot be the answer to the call: the log is damaged.
        case damagedLog
    }

    /// The layer's record of it in the shared region.
    public init(_ record: repl_divergence) {
        sequence = record.sequence
        expected = RecordedCall(kind: MessageKind(rawValue: record.expected_kind), resource: record.expected_resource,
                                process: record.expected_process, thread: record.expected_thread)
        observed = RecordedCall(kind: MessageKind(rawValue: record.observed_kind), resource: record.observed_resource,
                                process: record.observed_process, thread: record.observed_thread)
        realPID = record.real_pid
        realTID = record.real_tid
        switch record.cause {
        case UInt32(REPL_STOP_OUTPUT): cause = .output
        case UInt32(REPL_STOP_DAMAGED): cause = .damagedLog
        default: cause = .call
        }
        var text = record.detail
        detail = withUnsafeBytes(of: &text) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    /// "sequence N, logical process P thread T: expected KIND on 0x…, observed KIND on 0x…
    /// (real pid …, tid …)": the text replplay reports (tests look for it).
    public var description: String {
        let call = "sequence \(sequence), logical process \(expected.process) thread \(expected.thread): "
        let real = "(real pid \(realPID), tid \(realTID))"
        switch cause {
        case .call:
            return call + "expected \(expected.kindAndResource), observed \(observed.kindAndResource) \(real)"
                + (detail.isEmpty ? "" : ": \(detail)")
        case .output, .damagedLog:
            return call + "\(observed.kindAndResource) \(real): \(detail)"
        }
    }
}
