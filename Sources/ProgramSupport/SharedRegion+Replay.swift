import CReplABI
import LogFormat

/// What the replayer sets and reads in the region.
extension SharedRegion {
    /// The sequence number at which the thread about to execute it stops (SIGSTOP) for a
    /// debugger; nil for none. Set before the program starts.
    public var stopAt: UInt64? {
        // A plain field: written before the program starts, read-only after.
        get { base.pointee.stop_at == 0 ? nil : base.pointee.stop_at }
        set { base.pointee.stop_at = newValue ?? 0 }
    }

    /// Tells the layer where the recording's captured standard output is (before the program
    /// starts), for reports of output that differs.
    public func setRecordedOutput(_ path: String) throws {
        let bytes = Array(path.utf8)
        guard bytes.count < Int(REPL_PATH_LIMIT), !bytes.contains(0) else {
            throw ToolError.failed("the recorded output's path is longer than \(REPL_PATH_LIMIT - 1) bytes")
        }
        withUnsafeMutableBytes(of: &base.pointee.recorded_output) { field in
            field.copyBytes(from: bytes)
            field[bytes.count] = 0
        }
    }

    /// The last sequence number the program has completed.
    public var replayed: UInt64 { repl_replayed(base) }

    /// What did not match, once a thread of the program has seen a divergence.
    public var divergence: Divergence? {
        // 2 while the layer fills the report (its detail is formatted text), 1 once it is filled,
        // before `diverged` is stored with release order; the acquire here orders it.
        guard repl_has_diverged(base) == 1 else { return nil }
        return Divergence(base.pointee.divergence)
    }

    /// Goes live: every waiting thread is woken and performs its calls for real from now on.
    public func promote() { repl_promote(base) }

    /// The call the ring holds for `sequence`, when the replayer has published it there.
    public func publishedCall(at sequence: UInt64) -> RecordedCall? {
        let slot = repl_ring_slot(base, sequence)!
        guard repl_slot_published(slot) == sequence else { return nil }
        let call = slot.pointee.call
        return RecordedCall(kind: MessageKind(rawValue: call.kind), resource: call.resource,
                            process: call.process, thread: call.thread)
    }
}
