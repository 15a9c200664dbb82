import CReplABI
import CommandLineSupport
import Glibc
import LogFormat
import ProgramSupport
import Synchronization

/// Feeds the log's messages into the ring, in sequence order, on a thread of its own: the
/// replayer's half of the data path (log → replayer → ring → program).
///
/// A message goes into slot `sequence % ring_slots` once the program has completed the call that
/// used that slot last; payloads over 16 bytes stream through payload area 0, which the thread
/// holding the turn reads. Publishing a slot that is the next turn wakes its owner.
///
/// Thread safety: what the supervisor reads while the feeder runs is atomic (`lastFed`, `isDone`,
/// `lastGrowthTime`, `newestFrameTime`) or under a lock (`failure`, `outcome`, `lagSamples`). The
/// reader, `samples` and `lastFrameTime` belong to the feeder's thread alone, hence
/// `@unchecked Sendable`, and their accesses skip the run-time exclusivity checks, which cost per
/// message.
final class RingFeeder: @unchecked Sendable {
    /// What the feeder thread reports when it ends.
    private struct Report {
        var outcome: LogCursor.Outcome?
        var failure: LogError?
        var lagSamples: [UInt64] = []
    }

    private let region: SharedRegion
    private let reader: LogReader
    private var thread = pthread_t()
    private let stopRequested = Atomic<Bool>(false)
    private let done = Atomic<Bool>(false)
    private let fed = Atomic<UInt64>(0)
    private let grewAt = Atomic<UInt64>(0)
    private let newestFrame = Atomic<UInt64>(0)
    private let report = Mutex(Report())
    /// The feeder thread's lag samples, handed over to `report` when it ends.
    @exclusivity(unchecked) private var samples: [UInt64] = []
    @exclusivity(unchecked) private var lastFrameTime: UInt64 = 0
    /// The newest frame's time the feeder has noticed, heartbeats included (feeder thread only).
    @exclusivity(unchecked) private var seenFrameTime: UInt64 = 0
    /// Whether the recording checks results against their buffers (read once the header is).
    @exclusivity(unchecked) private var checksResults: Bool?
    private let lostKind = MessageKind.lost

    /// When the newest frame fed was written on the primary (ns since 1970; 0 before the first).
    var newestFrameTime: UInt64 { newestFrame.load(ordering: .acquiring) }

    /// How the log ended, once the feeder is done (nil: stopped or failed).
    var outcome: LogCursor.Outcome? { report.withLock { $0.outcome } }

    /// Why the feeder stopped reading the log, when the log is damaged or unreadable.
    var failure: LogError? { report.withLock { $0.failure } }

    /// Follow lag samples, one per frame, once the feeder is done: nanoseconds from the frame's
    /// writing on the primary to its first message entering the ring here.
    var lagSamples: [UInt64] { report.withLock { $0.lagSamples } }

    init(region: SharedRegion, reader: LogReader) {
        self.region = region
        self.reader = reader
    }

    /// The last sequence number put into the ring.
    var lastFed: UInt64 { fed.load(ordering: .acquiring) }
    var isDone: Bool { done.load(ordering: .acquiring) }
    /// When the log last grew: a message put into the ring or any new frame read, a heartbeat
    /// included (monotonic seconds; 0 before the first). A live primary keeps it moving even
    /// when idle; promotion waits for it to stop.
    var lastGrowthTime: Double { Double(grewAt.load(ordering: .acquiring)) / 1e9 }

    /// Starts the thread that feeds the ring.
    func start() {
        let context = Unmanaged.passRetained(self).toOpaque()
        pthread_create(&thread, nil, { raw in
            let feeder = Unmanaged<RingFeeder>.fromOpaque(raw!).takeRetainedValue()
            feeder.run()
            return nil
        }, context)
    }

    /// Asks the feeder to stop at its next look at the log (promotion: the log is done with).
    func requestStop() {
        stopRequested.store(true, ordering: .releasing)
    }

    /// Stops the feeder and waits for its thread.
    func stop() {
        requestStop()
        pthread_join(thread, nil)
    }

    private var stopping: Bool { stopRequested.load(ordering: .acquiring) }

    private func run() {
        var ending = Report()
        do {
            ending.outcome = try feedUntilTheEnd()
        } catch let error as LogError {
            ending.failure = error
        } catch {
            ending.failure = LogError(.io, "\(error)")
        }
        ending.lagSamples = samples
        report.withLock { $0 = ending }
        done.store(true, ordering: .releasing)
    }

    /// Feeds messages as the log offers them; the log's outcome, or nil when asked to stop.
    /// Payloads pass through in chunks, as the log holds them: replplay's memory does not grow
    /// with a payload's size, and a crafted log that declares a huge one costs nothing.
    private func feedUntilTheEnd() throws -> LogCursor.Outcome? {
        while !stopping {
            switch try reader.nextEvent() {
            case .message(let message, let payloadSize):
                if message.kind == lostKind && message.process == .max {  // nobody to stop there: no way past it
                    throw LogError(.gap, "the recording lost sequence \(message.sequence): a process died between taking it and publishing its message",
                                   at: LogLocation(sequence: message.sequence))
                }
                if checksResults == nil { checksResults = reader.recording?.hasCheckedResults == true }
                if checksResults == true,  // the program would be handed it
                   let problem = message.resultProblem(payloadSize: payloadSize) {
                    throw LogError(.corruption, "the recorded result cannot be the call's: \(problem)",
                                   at: LogLocation(sequence: message.sequence))
                }
                guard feed(message, payloadSize: payloadSize) else { return nil }
                sampleLag()
            case .payloadChunk(let bytes, _):
                guard stream(bytes) else { return nil }
            case .waiting:
                let frameTime = reader.cursor.lastFrameTime
                if frameTime != seenFrameTime {  // a heartbeat, or frames of no message for the ring
                    seenFrameTime = frameTime
                    grewAt.store(SystemClock.monotonicNanoseconds(), ordering: .releasing)
                    if fed.load(ordering: .relaxed) == repl_replayed(region.base) {
                        newestFrame.store(frameTime, ordering: .releasing)  // caught up with it
                    }
                }
                pause(microseconds: 1000)
            case .finished(let outcome):
                return outcome
            }
        }
        return nil
    }

    /// Puts one message into the ring (a payload over 16 bytes follows in chunks, `stream`);
    /// false when asked to stop while waiting for room.
    private func feed(_ message: Message, payloadSize: Int) -> Bool {
        let shared = region.base
        let slots = UInt64(REPL_RING_SLOTS)
        var rounds = 0
        while message.sequence - repl_replayed(shared) > slots {
            if stopping { return false }
            rounds += 1
            if rounds > 64 { pause(microseconds: 50) }
        }
        let slot = repl_ring_slot(shared, message.sequence)!
        let inline = payloadSize <= Int(REPL_INLINE_PAYLOAD)
        var call = repl_call(process: message.process, thread: message.thread, resource: message.resource,
                             result: message.result, error: message.errno, kind: message.kind.rawValue,
                             area: inline ? UInt16(REPL_NO_AREA) : 0, payload_length: UInt64(payloadSize))
        message.payload.withUnsafeBytes { bytes in
            repl_slot_fill(slot, &call, inline ? bytes.baseAddress : nil)
        }
        if repl_publish_for_replay(shared, slot, message.sequence) != 0 {
            repl_wake_owner(shared, message.process, message.thread)
        }
        fed.store(message.sequence, ordering: .releasing)
        // A payload held in the frame itself but too large for the slot streams now; one in
        // payload frames follows in chunks.
        return inline || message.payload.isEmpty || stream(message.payload)
    }

    /// Once per frame: when the log last grew (a clock read per message would cost a tenth of
    /// a replay), and the lag from the frame's writing.
    private func sampleLag() {
        let frameTime = reader.cursor.lastFrameTime
        guard frameTime != lastFrameTime, frameTime != 0 else { return }
        lastFrameTime = frameTime
        grewAt.store(SystemClock.monotonicNanoseconds(), ordering: .releasing)
        newestFrame.store(frameTime, ordering: .releasing)
        let nanoseconds = SystemClock.realtimeNanoseconds()
        if samples.count < 1_000_000 { samples.append(nanoseconds > frameTime ? nanoseconds - frameTime : 0) }
    }

    /// Writes a payload into area 0 as its reader makes room.
    private func stream(_ payload: [UInt8]) -> Bool {
        let area = repl_area(region.base, 0)!
        var offset = 0
        var rounds = 0
        while offset < payload.count {
            let copied = payload.withUnsafeBytes { bytes in
                repl_area_put(area, bytes.baseAddress! + offset, payload.count - offset)
            }
            offset += copied
            if copied == 0 {  // full: the thread holding the turn is reading
                if stopping { return false }
                rounds += 1
                if rounds > 64 { pause(microseconds: 50) }
            }
        }
        return true
    }

    private func pause(microseconds: Int) {
        var time = timespec(tv_sec: 0, tv_nsec: microseconds * 1000)
        nanosleep(&time, nil)
    }
}
