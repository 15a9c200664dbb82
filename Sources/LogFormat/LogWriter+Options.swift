extension LogWriter {
    /// When the writer forces data to stable storage.
    public enum Durability: Hashable, Sendable, CustomStringConvertible {
        /// Never explicitly; the kernel writes back when it likes.
        case none
        /// `fdatasync` after a frame when this many milliseconds have passed since the last one.
        case interval(milliseconds: Int)
        /// `fdatasync` after every frame.
        case always

        public static let `default` = Durability.interval(milliseconds: 100)

        public var description: String {
            switch self {
            case .none: "none"
            case .interval(let ms): "interval(\(ms) ms)"
            case .always: "always"
            }
        }
    }

    /// How the writer lays out the log.
    public struct Options: Hashable, Sendable {
        public var codec: Codec = .lz4
        /// A segment is sealed and the next begun once it holds this many bytes.
        public var segmentSize: Int = 64 << 20
        /// A messages frame is written once its raw (uncompressed) payload reaches this size.
        public var frameSize: Int = 64 << 10
        /// Payloads larger than this go to payload frames of their own.
        public var inlinePayloadLimit: Int = 16 << 10
        /// A sealed segment's index gets an entry at most every this many bytes.
        public var indexInterval: Int = 256 << 10
        /// ``LogWriter/flushIfDue()`` writes a frame whose first message is older than this, so
        /// that followers see quiet periods' messages promptly.
        public var flushDeadline: Duration = .milliseconds(2)
        public var durability: Durability = .default
        /// ``LogWriter/flushIfDue()`` writes a heartbeat frame when nothing has been written for
        /// this long, so that a follower can tell an idle recorder from a stopped one; `nil`
        /// writes none. Stored in the recording header.
        public var heartbeatInterval: Duration?

        public init(codec: Codec = .lz4, segmentSize: Int = 64 << 20, frameSize: Int = 64 << 10,
                    durability: Durability = .default, heartbeatInterval: Duration? = nil) {
            self.codec = codec
            self.segmentSize = segmentSize
            self.frameSize = frameSize
            self.durability = durability
            self.heartbeatInterval = heartbeatInterval
        }

        func validated() throws -> Options {
            guard (1 << 10)...(1 << 20) ~= frameSize else {
                throw LogError(.misuse, "frame size \(frameSize) is outside 1 KiB...1 MiB")
            }
            guard segmentSize >= 4 << 10 else {
                throw LogError(.misuse, "segment size \(segmentSize) is below 4 KiB")
            }
            if let heartbeatInterval, heartbeatInterval <= .zero {
                throw LogError(.misuse, "heartbeat interval \(heartbeatInterval) is not positive")
            }
            var options = self
            options.inlinePayloadLimit = min(inlinePayloadLimit, frameSize / 2)
            return options
        }
    }

    /// What the writer has written so far.
    public struct Statistics: Hashable, Sendable {
        public var messages: UInt64 = 0
        public var frames: UInt64 = 0
        public var segments: Int = 0
        /// Bytes of encoded messages and payloads before compression.
        public var rawBytes: UInt64 = 0
        /// Bytes in segment files, headers and footers included.
        public var storedBytes: UInt64 = 0
        /// Calls that forced a segment file to stable storage: `fdatasync` after a frame (as
        /// ``Durability`` asks), `fsync` when a segment is sealed or the log closed.
        public var syncs: UInt64 = 0
    }
}
