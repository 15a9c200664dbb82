import CReplABI
import CommandLineSupport
import Glibc
import LogFormat
import ProgramSupport
import Synchronization

/// Drains the message ring in sequence order into the log writer, on a thread of its own.
///
/// The recorder's data path: slot `drained + 1` published (acquire) → message and payload copied
/// into the writer (payloads streamed from the thread's area as its thread writes them) →
/// `drained` advanced (release), which frees the slot. `drained` is published every 1024
/// messages and whenever the ring runs dry, so that writers rarely share its cache line with us.
final class RingDrainer: @unchecked Sendable {
    private let region: SharedRegion
    private let writer: LogWriter
    private var thread = pthread_t()
    private let stopRequested = Atomic<Bool>(false)
    private let ending = Mutex(Ending())

    /// How draining ended, set by the drainer's thread as it returns.
    private struct Ending {
        var failure: (any Error)?
        var lost: UInt64?
    }

    /// The first error, after which draining stops (and the program is stopped by fail-stop).
    /// Meaningful after `stopAndWait()`.
    var failure: (any Error)? { ending.withLock { $0.failure } }

    /// How many sequence numbers were taken but never published, when the log ends before
    /// them (their process died in between). Meaningful after `stopAndWait()`.
    var lost: UInt64? { ending.withLock { $0.lost } }

    /// What the layer noted it does not cover, from the `uncovered` messages drained. Written by
    /// the drainer's thread only; meaningful after `stopAndWait()` (the join orders it).
    @exclusivity(unchecked) private(set) var uncovered = UncoveredImports()
    /// Execs that replaced a process's image: the layer attaches again in the new image, and
    /// the summary must not count it as another process. Same thread and ordering as `uncovered`.
    @exclusivity(unchecked) private(set) var execs: UInt32 = 0
    /// The kinds `copy` looks for, read once (a static's accessor per message costs).
    private let execKind = MessageKind.exec, uncoveredKind = MessageKind.uncovered

    init(region: SharedRegion, writer: LogWriter) {
        self.region = region
        self.writer = writer
    }

    /// Starts the thread that drains the ring.
    func start() {
        let context = Unmanaged.passRetained(self).toOpaque()
        pthread_create(&thread, nil, { raw in
            let drainer = Unmanaged<RingDrainer>.fromOpaque(raw!).takeRetainedValue()
            drainer.run()
            return nil
        }, context)
    }

    /// Drains what is left once every process has exited, then returns.
    func stopAndWait() {
        stopRequested.store(true, ordering: .releasing)
        pthread_join(thread, nil)
    }

    private func run() {
        do {
            let lost = try drain()
            ending.withLock { $0.lost = lost }
        } catch {
            ending.withLock { $0.failure = error }
            // Nobody drains any more: the program stops itself when the ring fills (fail-stop).
        }
    }

    /// Copies published messages into the writer until asked to stop and the ring is empty;
    /// returns how many numbers were lost (logged as `lost`), if any.
    private func drain() throws -> UInt64? {
        let shared = region.base
        let outputCommit = region.outputCommit
        var drained = repl_drained(shared)
        var drainedPublished = drained
        var committed: UInt64 = 0
        var idleRounds = 0
        var stalledSince: UInt64 = 0
        var lost: UInt64 = 0
        var placeCheckedAt = SystemClock.monotonicNanoseconds()
        // Once a second, busy or idle: writes into a removed file would succeed and be lost.
        func checkPlaceIfDue() throws {
            let now = SystemClock.monotonicNanoseconds()
            guard now - placeCheckedAt >= 1_000_000_000 else { return }
            placeCheckedAt = now
            try writer.checkInPlace()
        }
        while true {
            let next = drained + 1
            let slot = repl_ring_slot(shared, next)!
            if repl_slot_published(slot) == next {
                try copy(slot, sequence: next)
                drained = next
                if drained & 1023 == 0 {
                    repl_set_drained(shared, drained)
                    drainedPublished = drained
                    try checkPlaceIfDue()
                }
                if outputCommit && drained & 63 == 0 { try commit(upTo: drained, committed: &committed) }
                idleRounds = 0
                continue
            }
            // Nothing to copy: free the slots, let followers see what we have, then wait. Stored
            // only when it moved: every store takes the line from the writers, who read it.
            if drained != drainedPublished {
                repl_set_drained(shared, drained)
                drainedPublished = drained
            }
            try writer.flushIfDue()
            try checkPlaceIfDue()
            if outputCommit { try commit(upTo: drained, committed: &committed) }
            if stopRequested.load(ordering: .acquiring) {
                let taken = repl_next_sequence(shared)
                if taken == drained { return lost == 0 ? nil : lost }
                // Every process has exited, yet a number stays unpublished: its process died
                // between taking and publishing it. Nothing can fill the hole: the log says so
                // with a `lost` message in its place, by the thread that claimed the number and
                // with the call's kind as resource when it did (a replay stops that thread
                // there and goes on), and goes on with the numbers after it. The wait starts
                // once, at the first hole: any later one is as final.
                let now = SystemClock.monotonicNanoseconds()
                if stalledSince == 0 { stalledSince = now }
                if now - stalledSince > 2_000_000_000 {
                    let claim = repl_slot_claimed(slot, next) ? slot.pointee.call : nil
                    try writer.append(sequence: next, process: claim?.process ?? .max, thread: claim?.thread ?? .max, kind: .lost,
                                      resource: UInt64(claim?.kind ?? 0), result: -1, errno: EOWNERDEAD,
                                      payload: UnsafeRawBufferPointer(start: nil, count: 0))
                    drained = next
                    lost += 1
                    continue
                }
            }
            // Spin briefly, then sleep 50 µs, doubling up to 1.6 ms: a quiet program costs the
            // recorder about a thousand wake-ups a second, a busy one none. A thread that waits
            // for a commit cuts the sleep short.
            idleRounds += 1
            if idleRounds < 64 { continue }
            let sleeps = min(idleRounds - 64, 5)
            repl_recorder_sleep(shared, 50_000 << sleeps)  // a thread waiting for a commit wakes it
        }
    }

    /// Output commit: writes the pending frame at once when a program thread waits to answer a
    /// client until the messages before its answer are logged, and publishes how far the log
    /// file goes.
    private func commit(upTo drained: UInt64, committed: inout UInt64) throws {
        let wanted = repl_commit_wanted(region.base)
        if wanted > writer.writtenThrough && wanted <= drained { try writer.flush() }
        let written = writer.writtenThrough
        if written != committed {
            committed = written
            repl_set_committed(region.base, written)
        }
    }

    private func copy(_ slot: UnsafeMutablePointer<repl_slot>, sequence: UInt64) throws {
        let call = slot.pointee.call
        let length = Int(call.payload_length)
        let kind = MessageKind(rawValue: call.kind)
        if kind == execKind { execs = call.resource == 0 ? execs &+ 1 : execs &- 1 }  // resource 1: the exec failed
        if call.area == REPL_NO_AREA {
            try withUnsafeBytes(of: slot.pointee.inline_payload) { inline in
                let payload = UnsafeRawBufferPointer(rebasing: inline[0..<min(length, inline.count)])
                try writer.append(sequence: sequence, process: call.process, thread: call.thread, kind: kind,
                                  resource: call.resource, result: call.result, errno: call.error, payload: payload)
                if kind == uncoveredKind { uncovered.add(payload) }
            }
            return
        }
        guard UInt32(call.area) < REPL_PAYLOAD_AREAS else {
            throw ToolError.failed("message \(sequence) names payload area \(call.area), which does not exist")
        }
        let area = repl_area(region.base, UInt32(call.area))!
        try writer.append(sequence: sequence, process: call.process, thread: call.thread, kind: kind,
                          resource: call.resource, result: call.result, errno: call.error,
                          payloadSize: length) { piece in
            defer { if kind == uncoveredKind { uncovered.add(UnsafeRawBufferPointer(piece)) } }
            var filled = 0
            var waits = 0
            while filled < piece.count {
                let copied = repl_area_get(area, piece.baseAddress! + filled, piece.count - filled)
                filled += copied
                if copied == 0 {  // the thread is still copying its payload in
                    waits += 1
                    if waits > 100 {
                        var pause = timespec(tv_sec: 0, tv_nsec: 10_000)
                        nanosleep(&pause, nil)
                    }
                }
            }
        }
    }
}
