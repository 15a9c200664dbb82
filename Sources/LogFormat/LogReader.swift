import Glibc
import SystemPackage

/// Reads a log's messages in sequence order, with their payloads assembled, from any sequence
/// number; offline (what is there) or following a log that is still being written.
///
/// ```swift
/// let reader = LogReader(directory: "replog", mode: .follow)
/// while let message = try reader.next() { … }   // returns nil after the END record
/// ```
///
/// One thread reads a reader; its state skips the run-time exclusivity checks, which would cost
/// per message.
public final class LogReader {
    public let cursor: LogCursor
    /// How long ``next()`` sleeps between looks at a log that has not grown.
    public var pollInterval: Duration
    /// How the log ended, once ``next()`` has returned `nil`.
    @exclusivity(unchecked) public private(set) var outcome: LogCursor.Outcome?

    @exclusivity(unchecked) private var collector: Collector

    /// What ``nextAvailable()`` found.
    public enum Availability: Hashable {
        case message(Message)
        /// (Follow mode) nothing new yet.
        case waiting
        case finished(LogCursor.Outcome)
    }

    /// What ``nextEvent()`` found: messages with their payloads in chunks, as the log holds them,
    /// so that a payload of any size passes through in bounded memory (one frame's worth).
    public enum Event {
        /// A message; its payload is `payload` when it is inline (`payloadSize` bytes), else it
        /// follows in ``payloadChunk(_:isLast:)`` events.
        case message(Message, payloadSize: Int)
        case payloadChunk([UInt8], isLast: Bool)
        /// (Follow mode) nothing new yet.
        case waiting
        case finished(LogCursor.Outcome)
    }

    /// `streamingPayloads`: read with ``nextEvent()`` (payloads in chunks) rather than
    /// ``next()`` and ``nextAvailable()`` (payloads assembled).
    public init(directory: FilePath, mode: LogCursor.Mode = .offline, from sequence: UInt64 = 1,
                pollInterval: Duration = .milliseconds(2), streamingPayloads: Bool = false) {
        cursor = LogCursor(directory: directory, mode: mode, from: sequence > 1 ? sequence : nil)
        collector = Collector(first: sequence, streaming: streamingPayloads)
        self.pollInterval = pollInterval
    }

    /// The next event if one can be read now, without waiting (a reader made with
    /// `streamingPayloads`).
    public func nextEvent() throws -> Event {
        precondition(collector.streaming, "nextEvent() reads a reader made with streamingPayloads")
        while true {
            if let event = collector.popEvent() { return event }
            if let outcome { return .finished(outcome) }
            switch try cursor.step(&collector) {
            case .progressed: continue
            case .waiting: return .waiting
            case .finished(let outcome): self.outcome = outcome
            }
        }
    }

    /// The recording header, once the first segment has been read.
    public var recording: RecordingHeader? { cursor.recording }

    /// The next message, waiting for it in follow mode; `nil` at the end of the log
    /// (``outcome`` says how it ended). Errors (torn tail, corruption, gap) are thrown when met,
    /// after every message before them has been returned.
    public func next() throws -> Message? {
        while true {
            switch try nextAvailable() {
            case .message(let message): return message
            case .finished: return nil
            case .waiting: sleep(for: pollInterval)
            }
        }
    }

    /// The next message if one can be read now, without waiting.
    public func nextAvailable() throws -> Availability {
        precondition(!collector.streaming, "a reader made with streamingPayloads is read with nextEvent()")
        while true {
            if let message = collector.pop() { return .message(message) }
            if let outcome { return .finished(outcome) }
            switch try cursor.step(&collector) {
            case .progressed: continue
            case .waiting: return .waiting
            case .finished(let outcome): self.outcome = outcome
            }
        }
    }

    private func sleep(for duration: Duration) {
        let (seconds, attoseconds) = duration.components
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        nanosleep(&request, nil)
    }

    /// Turns visited messages into owned ``Message`` values, holding one back until its external
    /// payload is complete.
    private struct Collector: LogVisitor {
        let first: UInt64
        let streaming: Bool
        var queue: [Message] = []
        var head = 0
        var assembling: Message?
        // Streaming: the events of the frames read so far (at most one frame's worth).
        var events: [Event] = []
        var eventHead = 0
        var streamingPayloadOf: UInt64?

        init(first: UInt64, streaming: Bool) {
            self.first = first
            self.streaming = streaming
        }

        mutating func popEvent() -> Event? { Self.pop(&events, &eventHead) }

        mutating func pop() -> Message? { Self.pop(&queue, &head) }

        /// The next of `items` from `head`; empties the array once all have been taken.
        private static func pop<Element>(_ items: inout [Element], _ head: inout Int) -> Element? {
            guard head < items.count else {
                if head > 0 {
                    items.removeAll(keepingCapacity: true)
                    head = 0
                }
                return nil
            }
            defer { head += 1 }
            return items[head]
        }

        mutating func message(_ view: MessageView) {
            guard view.sequence >= first else { return }
            if streaming {
                events.append(.message(Message(view), payloadSize: view.payloadSize))
                streamingPayloadOf = view.hasExternalPayload ? view.sequence : nil
                return
            }
            if view.hasExternalPayload {
                var message = Message(view)
                message.payload.reserveCapacity(min(view.payloadSize, 1 << 20))  // grows with the chunks that arrive
                assembling = message
            } else {
                queue.append(Message(view))
            }
        }

        mutating func payloadChunk(_ bytes: UnsafeRawBufferPointer, sequence: UInt64, isLast: Bool) {
            if streaming {
                guard streamingPayloadOf == sequence else { return }
                events.append(.payloadChunk(Array(bytes), isLast: isLast))
                if isLast { streamingPayloadOf = nil }
                return
            }
            guard assembling != nil else { return }
            assembling!.payload.append(contentsOf: bytes)
            if isLast {
                queue.append(assembling!)
                assembling = nil
            }
        }
    }
}
