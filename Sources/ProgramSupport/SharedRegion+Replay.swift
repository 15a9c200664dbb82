import CReplABI
import LogFormat

/// What the replayer sets and reads in the region.
extension SharedRegion {
    /// Arms the next stop for a debugger: the first thread about to execute a sequence number
    /// from `sequence` on (of logical thread `thread` when given) stops itself with SIGSTOP. The
    /// layer disarms it as it stops; nil disarms it now.
    public func armStop(at sequence: UInt64?, thread: (process: UInt32, thread: UInt32)? = nil) {
        repl_arm_stop(base, sequence ?? 0, thread?.process ?? REPL_ANY_THREAD, thread?.thread ?? 0)
    }

    /// The program's logical threads that have waited for a turn, with their real thread ids:
    /// a debugger's map from its threads to the log's.
    public var logicalThreads: [(process: UInt32, thread: UInt32, tid: pid_t)] {
        let table = repl_waiters(base)!
        var threads: [(process: UInt32, thread: UInt32, tid: pid_t)] = []
        for index in 0..<Int(REPL_WAITERS) {
            let key = repl_waiter_key(&table[index])
            guard key != 0, key != UInt64.max, table[index].tid != 0 else { continue }  // UInt64.max: REPL_WAITER_GONE
            threads.append((UInt32((key - 1) >> 32), UInt32(truncatingIfNeeded: key - 1), table[index].tid))
        }
        return threads.sorted { ($0.process, $0.thread) < ($1.process, $1.thread) }
    }

    /// Whether a stop is armed and not yet taken.
    public var hasArmedStop: Bool { repl_armed_stop(base) != 0 }

    /// The last stop a thread made for a debugger: the sequence number it stopped before and its
    /// real pid and tid; nil before the first.
    public var lastStop: (sequence: UInt64, pid: pid_t, tid: pid_t)? {
        var pid: Int32 = 0, tid: Int32 = 0
        let sequence = repl_stopped_at(base, &pid, &tid)
        return sequence == 0 ? nil : (sequence, pid, tid)
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
