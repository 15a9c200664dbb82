import SystemPackage

/// An error met while writing, reading or checking a replication log.
///
/// Every error says what was wrong (``code`` and ``message``) and where (``location``): the
/// segment file, the byte offset in it and the sequence number involved, as far as they are known.
public struct LogError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem this is. Codes map to the documented exit codes of the tools.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The log ends inside a frame of its newest segment, or its last frame is damaged and
        /// nothing follows it: the writer was interrupted.
        public static let tornTail = Code("torn tail")
        /// Damaged bytes followed by more data, or damage in a sealed segment.
        public static let corruption = Code("corruption")
        /// Missing sequence numbers or a broken segment chain.
        public static let gap = Code("gap")
        /// A format version this build does not know.
        public static let unsupportedVersion = Code("unsupported version")
        /// A file in the log directory that is not a replication log segment.
        public static let notALog = Code("not a log")
        /// The directory does not exist, is not a directory, or holds no segment.
        public static let noLog = Code("no log")
        /// A system call failed.
        public static let io = Code("i/o error")
        /// The caller broke the writer's contract (a sequence number out of order, a closed writer).
        public static let misuse = Code("misuse")
        /// Another writer holds the log directory's lock: it is recording into it.
        public static let inUse = Code("in use")
    }

    public var code: Code
    public var message: String
    public var location: LogLocation?
    public var errno: Errno?

    public init(_ code: Code, _ message: String, at location: LogLocation? = nil, errno: Errno? = nil) {
        self.code = code
        self.message = message
        self.location = location
        self.errno = errno
    }

    public var description: String {
        var text = "\(code): \(message)"
        if let location { text += " (\(location))" }
        if let errno { text += ": \(errno)" }
        return text
    }
}

/// Where in a log something was found. Fields that are not known are `nil`.
public struct LogLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String?
    public var segment: UInt32?
    public var offset: Int?
    public var sequence: UInt64?

    public init(file: String? = nil, segment: UInt32? = nil, offset: Int? = nil, sequence: UInt64? = nil) {
        self.file = file
        self.segment = segment
        self.offset = offset
        self.sequence = sequence
    }

    public var description: String {
        var parts: [String] = []
        if let file { parts.append("file \(file)") }
        if let segment { parts.append("segment \(segment)") }
        if let offset { parts.append("offset \(offset)") }
        if let sequence { parts.append("sequence \(sequence)") }
        return parts.joined(separator: ", ")
    }
}

extension LogError {
    static func io(_ what: String, path: String, _ errno: Errno) -> LogError {
        LogError(.io, what, at: LogLocation(file: path), errno: errno)
    }
}
