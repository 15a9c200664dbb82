import SystemPackage

/// Counts over a whole log, gathered by ``LogSummary/scan(directory:detailed:progress:)``: what
/// `logtool verify` and `logtool stat` print.
public struct LogSummary: Sendable {
    public var messages: UInt64 = 0
    public var frames: [FrameType: UInt64] = [:]
    public var segments: [SegmentName] = []
    /// Bytes of the segment files read, headers and footers included.
    public var storedBytes: UInt64 = 0
    /// Bytes of frame payloads before compression.
    public var rawBytes: UInt64 = 0
    public var payloadBytes: UInt64 = 0
    /// Per kind, process and thread: filled only by a detailed scan.
    public var byKind: [MessageKind: UInt64] = [:]
    public var byProcess: [UInt32: UInt64] = [:]
    public var byThread: [ThreadID: UInt64] = [:]
    public var firstSequence: UInt64?
    public var lastSequence: UInt64?
    /// Time of the first and last frame (ns since 1970).
    public var firstFrameTime: UInt64?
    public var lastFrameTime: UInt64?
    public var recording: RecordingHeader?
    public var recordingID: RecordingID?
    /// How the log ends, when it was read to its end without error.
    public var outcome: LogCursor.Outcome?
    /// The first problem met; everything before it was counted.
    public var problem: LogError?
    /// The first sequence number the recorder logged as lost by nobody it could name (a
    /// process died holding it, before claiming it): a replay cannot go past it.
    public var firstLost: UInt64?
    /// The numbers logged as lost by a thread whose process died in the call they were taken
    /// for (killed by another): a replay stops that thread there, as the primary's stopped.
    public var deaths: [Death] = []
    /// The first message whose recorded result cannot be what the layer recorded (a read's
    /// result that is not its payload's length): the log is damaged there.
    public var firstBadResult: (sequence: UInt64, problem: String)?

    /// A number lost by the thread that took it, in a call of `kind`.
    public struct Death: Hashable, Sendable {
        public var sequence: UInt64
        public var process: UInt32
        public var thread: UInt32
        public var kind: MessageKind
    }
    /// What the layer noted it does not cover: filled only by a detailed scan.
    public var uncovered = UncoveredImports()

    public struct ThreadID: Hashable, Sendable, Comparable {
        public var process: UInt32
        public var thread: UInt32
        public static func < (a: ThreadID, b: ThreadID) -> Bool { (a.process, a.thread) < (b.process, b.thread) }
    }

    /// Seconds from the start of the recording (or the first frame, when the header has no start
    /// time) to the last frame.
    public var duration: Double {
        let start = recording.map(\.startTime).flatMap { $0 > 0 ? $0 : nil } ?? firstFrameTime
        guard let start, let last = lastFrameTime, last > start else { return 0 }
        return Double(last - start) / 1e9
    }

    /// Reads a whole log offline, checking everything, and counts what it holds. Never throws for
    /// a bad log: the problem is in ``problem``. `detailed` also counts by kind, process and
    /// thread (slower). `progress` is called after each frame.
    public static func scan(directory: FilePath, detailed: Bool = false,
                            progress: ((LogLocation, UInt64) -> Void)? = nil) -> LogSummary {
        detailed ? scan(directory, DetailedCounter(), progress) : scan(directory, Counter(), progress)
    }

    private static func scan<Visitor: SummaryVisitor>(_ directory: FilePath, _ visitor: Visitor,
                                                      _ progress: ((LogLocation, UInt64) -> Void)?) -> LogSummary {
        let cursor = LogCursor(directory: directory, mode: .offline)
        var counter = visitor
        do {
            loop: while true {
                switch try cursor.step(&counter) {
                case .progressed:
                    progress?(cursor.position, counter.summary.storedBytes)
                case .waiting:
                    break loop  // offline cursors do not wait
                case .finished(let outcome):
                    counter.summary.outcome = outcome
                    break loop
                }
            }
        } catch let error as LogError {
            counter.summary.problem = error
        } catch {
            counter.summary.problem = LogError(.io, "\(error)")
        }
        var summary = counter.finished()
        summary.recording = cursor.recording
        if summary.problem == nil, let bad = summary.firstBadResult {
            summary.problem = LogError(.corruption, "the recorded result cannot be the call's: \(bad.problem)",
                                       at: LogLocation(file: directory.string, sequence: bad.sequence))
        }
        if summary.problem == nil, let lost = summary.firstLost {
            summary.problem = LogError(.gap, "sequence \(lost) was taken by a process that died before publishing it (the recorder logged it as lost); a replay stops there",
                                       at: LogLocation(file: directory.string, sequence: lost))
        }
        return summary
    }
}

private protocol SummaryVisitor: LogVisitor {
    var summary: LogSummary { get set }
    mutating func finished() -> LogSummary
}

/// What verification needs: totals, sequence range, sizes, times.
private struct Counter: SummaryVisitor {
    var summary = LogSummary()
    static var visitsPlainMessages: Bool { false }

    /// Set by the first segment's recording header.
    var checksResults = false

    mutating func segment(_ header: SegmentHeader, name: SegmentName, size: Int) {
        if let recording = header.recording { checksResults = recording.hasCheckedResults }
        summary.segments.append(name)
        summary.recordingID = header.recordingID
        summary.storedBytes += UInt64(header.encodedSize)
    }

    mutating func frame(_ header: FrameHeader, offset: Int, segment: SegmentName) {
        summary.frames[header.type, default: 0] += 1
        summary.storedBytes += UInt64(header.totalLength)
        summary.rawBytes += UInt64(header.rawLength)
        if summary.firstFrameTime == nil { summary.firstFrameTime = header.timestamp }
        summary.lastFrameTime = header.timestamp
    }

    // Messages are counted per frame: the per-message path stays free for the decoder.
    mutating func frameDecoded(_ header: FrameHeader) {
        guard header.type == .messages else { return }
        summary.messages += UInt64(header.count)
        if summary.firstSequence == nil { summary.firstSequence = header.firstSequence }
        summary.lastSequence = header.firstSequence + UInt64(header.count) - 1
    }

    @inline(__always)
    mutating func message(_ message: MessageView) {
        summary.payloadBytes += UInt64(message.payloadSize)
        if checksResults, summary.firstBadResult == nil, let problem = message.resultProblem {
            summary.firstBadResult = (message.sequence, problem)
        }
        if message.kind == .lost {
            if message.process != .max {
                summary.deaths.append(LogSummary.Death(sequence: message.sequence, process: message.process, thread: message.thread,
                                            kind: MessageKind(rawValue: UInt16(truncatingIfNeeded: message.resource))))
            } else if summary.firstLost == nil {
                summary.firstLost = message.sequence
            }
        }
    }

    mutating func finished() -> LogSummary { summary }
}

/// Also counts by kind, process and thread. Runs of one thread are added up before they touch
/// the dictionaries.
private struct DetailedCounter: SummaryVisitor {
    var base = Counter()
    var summary: LogSummary {
        get { base.summary }
        set { base.summary = newValue }
    }
    private var kinds = [UInt64](repeating: 0, count: Int(UInt16.max) + 1)
    private var run: (thread: LogSummary.ThreadID, count: UInt64)?

    mutating func segment(_ header: SegmentHeader, name: SegmentName, size: Int) {
        base.segment(header, name: name, size: size)
    }

    mutating func frame(_ header: FrameHeader, offset: Int, segment: SegmentName) {
        base.frame(header, offset: offset, segment: segment)
    }

    mutating func frameDecoded(_ header: FrameHeader) { base.frameDecoded(header) }

    mutating func message(_ message: MessageView) {
        base.message(message)
        kinds[Int(message.kind.rawValue)] += 1
        if message.kind == .uncovered { base.summary.uncovered.add(message.inlinePayload) }
        let thread = LogSummary.ThreadID(process: message.process, thread: message.thread)
        if run?.thread == thread {
            run!.count += 1
        } else {
            flushRun()
            run = (thread, 1)
        }
    }

    private mutating func flushRun() {
        guard let run else { return }
        base.summary.byThread[run.thread, default: 0] += run.count
        base.summary.byProcess[run.thread.process, default: 0] += run.count
    }

    mutating func finished() -> LogSummary {
        flushRun()
        run = nil
        for (kind, count) in kinds.enumerated() where count > 0 {
            base.summary.byKind[MessageKind(rawValue: UInt16(kind))] = count
        }
        return base.summary
    }
}
