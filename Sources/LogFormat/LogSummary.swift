import SystemPackage

/// Counts over a whole log, gathered by ``LogSummary/scan(directory:)``: what `logtool verify`
/// and `logtool stat` print.
public struct LogSummary: Sendable {
    public var messages: UInt64 = 0
    public var frames: [FrameType: UInt64] = [:]
    public var segments: [SegmentName] = []
    /// Bytes of the segment files read, headers and footers included.
    public var storedBytes: UInt64 = 0
    /// Bytes of frame payloads before compression.
    public var rawBytes: UInt64 = 0
    public var payloadBytes: UInt64 = 0
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

    public struct ThreadID: Hashable, Sendable, Comparable {
        public var process: UInt32
        public var thread: UInt32
        public static func < (a: ThreadID, b: ThreadID) -> Bool { (a.process, a.thread) < (b.process, b.thread) }
    }

    /// Seconds between the first and the last frame.
    public var duration: Double {
        guard let first = firstFrameTime, let last = lastFrameTime, last > first else { return 0 }
        return Double(last - first) / 1e9
    }

    /// Reads a whole log offline, checking everything, and counts what it holds. Never throws for
    /// a bad log: the problem is in ``problem``. `progress` is called after each frame.
    public static func scan(directory: FilePath, progress: ((LogLocation, UInt64) -> Void)? = nil) -> LogSummary {
        let cursor = LogCursor(directory: directory, mode: .offline)
        var counter = Counter()
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
        counter.summary.recording = cursor.recording
        return counter.summary
    }

    private struct Counter: LogVisitor {
        var summary = LogSummary()

        mutating func segment(_ header: SegmentHeader, name: SegmentName, size: Int) {
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

        mutating func message(_ message: MessageView) {
            summary.messages += 1
            if summary.firstSequence == nil { summary.firstSequence = message.sequence }
            summary.lastSequence = message.sequence
            summary.payloadBytes += UInt64(message.payloadSize)
            summary.byKind[message.kind, default: 0] += 1
            summary.byProcess[message.process, default: 0] += 1
            summary.byThread[ThreadID(process: message.process, thread: message.thread), default: 0] += 1
        }
    }
}
