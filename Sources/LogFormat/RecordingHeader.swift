/// What was recorded, and where: stored once, in the first segment's header.
///
/// Encoded as tagged fields (`tag varint, length varint, bytes`) so that later versions can add
/// fields that older readers skip. See docs/log-format.md.
public struct RecordingHeader: Hashable, Sendable {
    public var arguments: [String]
    public var environment: [String]
    public var workingDirectory: String
    public var userID: UInt32
    public var hostName: String
    /// Start of the recording, nanoseconds since 1970.
    public var startTime: UInt64
    /// Version of the interception layer's shared-memory ABI that produced the log.
    public var interposerABIVersion: UInt32
    /// How often the recorder writes a heartbeat frame when it has nothing else to write,
    /// nanoseconds; 0 when it writes none (format version 1, or heartbeats off).
    public var heartbeatInterval: UInt64 = 0
    /// The descriptors above standard error that the program inherited from the recorder, in
    /// ascending order; nil when the log does not say (logs from before it). A replay starts the
    /// program with the same ones: its calls that create descriptors get the recorded numbers.
    public var inheritedDescriptors: [Int32]?

    public init(arguments: [String] = [], environment: [String] = [], workingDirectory: String = "",
                userID: UInt32 = 0, hostName: String = "", startTime: UInt64 = 0,
                interposerABIVersion: UInt32 = 0) {
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.userID = userID
        self.hostName = hostName
        self.startTime = startTime
        self.interposerABIVersion = interposerABIVersion
    }

    /// The first layer ABI whose messages follow the payload rules that
    /// ``MessageView/resultProblem`` checks (a write's payload is its fingerprint). Older logs,
    /// and logs made by other writers (synthetic ones say 0), are checked for their format only.
    public static let firstABIWithCheckedResults: UInt32 = 4

    /// Whether the messages' results are checked against their payloads.
    public var hasCheckedResults: Bool { interposerABIVersion >= Self.firstABIWithCheckedResults }

    /// Largest encoded header a reader accepts.
    static let maxEncodedSize = 16 << 20

    private enum Tag: UInt64 {
        case argument = 1, environment, workingDirectory, userID, hostName, startTime, abiVersion, heartbeatInterval
        case inheritedDescriptors
    }

    func encoded() -> [UInt8] {
        var out = BinaryWriter(capacity: 1024)
        func field(_ tag: Tag, _ value: some Collection<UInt8>) {
            out.varint(tag.rawValue)
            out.bytesWithLength(value)
        }
        func number(_ tag: Tag, _ value: UInt64) {
            var inner = BinaryWriter(capacity: 10)
            inner.varint(value)
            field(tag, inner.bytes)
        }
        for argument in arguments { field(.argument, Array(argument.utf8)) }
        for variable in environment { field(.environment, Array(variable.utf8)) }
        field(.workingDirectory, Array(workingDirectory.utf8))
        number(.userID, UInt64(userID))
        field(.hostName, Array(hostName.utf8))
        number(.startTime, startTime)
        number(.abiVersion, UInt64(interposerABIVersion))
        if heartbeatInterval > 0 { number(.heartbeatInterval, heartbeatInterval) }
        if let inheritedDescriptors {
            var list = BinaryWriter(capacity: 4 * inheritedDescriptors.count)
            for fd in inheritedDescriptors { list.varint(UInt64(fd)) }
            field(.inheritedDescriptors, list.bytes)
        }
        return out.bytes
    }

    /// Decodes tagged fields; unknown tags are skipped. `nil` when the bytes are malformed.
    static func decode(_ bytes: UnsafeRawBufferPointer) -> RecordingHeader? {
        var header = RecordingHeader()
        var reader = BinaryReader(bytes)
        while !reader.isAtEnd {
            guard let tag = reader.varint(), let value = reader.bytesWithLength() else { return nil }
            let text = String(decoding: value, as: UTF8.self)
            func number() -> UInt64? {
                var inner = BinaryReader(value)
                return inner.varint()
            }
            switch Tag(rawValue: tag) {
            case .argument: header.arguments.append(text)
            case .environment: header.environment.append(text)
            case .workingDirectory: header.workingDirectory = text
            case .hostName: header.hostName = text
            case .userID:
                guard let n = number(), let id = UInt32(exactly: n) else { return nil }
                header.userID = id
            case .startTime:
                guard let n = number() else { return nil }
                header.startTime = n
            case .abiVersion:
                guard let n = number(), let v = UInt32(exactly: n) else { return nil }
                header.interposerABIVersion = v
            case .heartbeatInterval:
                guard let n = number() else { return nil }
                header.heartbeatInterval = n
            case .inheritedDescriptors:
                var list = BinaryReader(value)
                var descriptors: [Int32] = []
                while !list.isAtEnd {
                    guard let n = list.varint(), let fd = Int32(exactly: n) else { return nil }
                    descriptors.append(fd)
                }
                header.inheritedDescriptors = descriptors
            case nil:
                continue
            }
        }
        return header
    }
}
