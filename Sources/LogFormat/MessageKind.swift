internal import CReplABI

/// The intercepted call a message records.
///
/// The numbers and names come from the one list of kinds in the ABI header (replkinds.h), which
/// the interception layer shares; the constants below name the kinds this package's code uses.
/// An open set: a newer log may hold kinds this build does not name. They are carried, compared
/// and printed (as `kind#N`) like any other, never rejected. Numbers are grouped by family and
/// never reused.
public struct MessageKind: RawRepresentable, Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static func < (lhs: MessageKind, rhs: MessageKind) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The kind's name, `kind#N` for numbers this build does not know.
    public var description: String { Self.names[rawValue] ?? "kind#\(rawValue)" }

    /// The kind with this name (as printed by ``description``), including `kind#N` forms.
    public init?(name: String) {
        if let entry = Self.names.first(where: { $0.value == name }) {
            self.init(rawValue: entry.key)
        } else if name.hasPrefix("kind#"), let n = UInt16(name.dropFirst(5)) {
            self.init(rawValue: n)
        } else {
            return nil
        }
    }

    /// Every kind this build names, in numeric order.
    public static var known: [MessageKind] { names.keys.sorted().map(MessageKind.init(rawValue:)) }

    // Synchronisation (1-31)
    public static let mutexLock = MessageKind(REPL_MUTEX_LOCK)
    public static let mutexTrylock = MessageKind(REPL_MUTEX_TRYLOCK)
    public static let mutexTimedlock = MessageKind(REPL_MUTEX_TIMEDLOCK)
    public static let condWait = MessageKind(REPL_COND_WAIT)
    public static let condTimedwait = MessageKind(REPL_COND_TIMEDWAIT)
    public static let rwlockRead = MessageKind(REPL_RWLOCK_RDLOCK)
    public static let rwlockWrite = MessageKind(REPL_RWLOCK_WRLOCK)
    public static let rwlockTryRead = MessageKind(REPL_RWLOCK_TRYRDLOCK)
    public static let rwlockTryWrite = MessageKind(REPL_RWLOCK_TRYWRLOCK)
    public static let rwlockTimedRead = MessageKind(REPL_RWLOCK_TIMEDRDLOCK)
    public static let rwlockTimedWrite = MessageKind(REPL_RWLOCK_TIMEDWRLOCK)
    public static let spinLock = MessageKind(REPL_SPIN_LOCK)
    public static let spinTrylock = MessageKind(REPL_SPIN_TRYLOCK)
    public static let semWait = MessageKind(REPL_SEM_WAIT)
    public static let semTrywait = MessageKind(REPL_SEM_TRYWAIT)
    public static let semTimedwait = MessageKind(REPL_SEM_TIMEDWAIT)
    public static let semPost = MessageKind(REPL_SEM_POST)
    public static let barrierWait = MessageKind(REPL_BARRIER_WAIT)
    public static let once = MessageKind(REPL_ONCE)
    public static let threadJoin = MessageKind(REPL_THREAD_JOIN)

    // Time (32-39)
    public static let time = MessageKind(REPL_TIME)
    public static let gettimeofday = MessageKind(REPL_GETTIMEOFDAY)
    public static let clockGettime = MessageKind(REPL_CLOCK_GETTIME)
    public static let clock = MessageKind(REPL_CLOCK)

    // Randomness (40-47)
    public static let getrandom = MessageKind(REPL_GETRANDOM)
    public static let getentropy = MessageKind(REPL_GETENTROPY)
    public static let arc4random = MessageKind(REPL_ARC4RANDOM)

    // Input and output (48-79)
    public static let read = MessageKind(REPL_READ)
    public static let readv = MessageKind(REPL_READV)
    public static let pread = MessageKind(REPL_PREAD)
    public static let preadv = MessageKind(REPL_PREADV)
    public static let recv = MessageKind(REPL_RECV)
    public static let recvfrom = MessageKind(REPL_RECVFROM)
    public static let recvmsg = MessageKind(REPL_RECVMSG)
    public static let accept = MessageKind(REPL_ACCEPT)
    public static let connect = MessageKind(REPL_CONNECT)
    public static let poll = MessageKind(REPL_POLL)
    public static let select = MessageKind(REPL_SELECT)
    public static let epollWait = MessageKind(REPL_EPOLL_WAIT)
    public static let write = MessageKind(REPL_WRITE)
    public static let writev = MessageKind(REPL_WRITEV)
    public static let send = MessageKind(REPL_SEND)
    public static let sendmsg = MessageKind(REPL_SENDMSG)
    public static let pwrite = MessageKind(REPL_PWRITE)
    public static let pwritev = MessageKind(REPL_PWRITEV)
    public static let vmsplice = MessageKind(REPL_VMSPLICE)
    public static let socket = MessageKind(REPL_SOCKET)
    public static let socketpair = MessageKind(REPL_SOCKETPAIR)
    public static let pipe = MessageKind(REPL_PIPE)
    public static let open = MessageKind(REPL_OPEN)
    public static let close = MessageKind(REPL_CLOSE)
    public static let dup = MessageKind(REPL_DUP)
    public static let epollCreate = MessageKind(REPL_EPOLL_CREATE)
    public static let bind = MessageKind(REPL_BIND)
    public static let listen = MessageKind(REPL_LISTEN)
    public static let getsockname = MessageKind(REPL_GETSOCKNAME)
    public static let getpeername = MessageKind(REPL_GETPEERNAME)
    public static let setsockopt = MessageKind(REPL_SETSOCKOPT)
    public static let getsockopt = MessageKind(REPL_GETSOCKOPT)

    // Processes and threads (80-111)
    public static let getpid = MessageKind(REPL_GETPID)
    public static let getppid = MessageKind(REPL_GETPPID)
    public static let gettid = MessageKind(REPL_GETTID)
    public static let threadCreate = MessageKind(REPL_THREAD_CREATE)
    public static let threadStart = MessageKind(REPL_THREAD_START)
    public static let threadExit = MessageKind(REPL_THREAD_EXIT)
    public static let fork = MessageKind(REPL_FORK)
    public static let processStart = MessageKind(REPL_PROCESS_START)
    public static let exec = MessageKind(REPL_EXEC)
    public static let wait = MessageKind(REPL_WAIT)
    public static let exit = MessageKind(REPL_EXIT)
    public static let signal = MessageKind(REPL_SIGNAL)
    public static let kill = MessageKind(REPL_KILL)
    public static let objects = MessageKind(REPL_OBJECTS)

    // Written by the recorder (112-127)
    /// A sequence number taken by a process that died before it published the message.
    public static let lost = MessageKind(REPL_LOST)

    // The layer's notes on the recording (200-207)
    /// Functions the program's loaded objects import that the layer does not cover (payload:
    /// "function<TAB>object" lines; see ``UncoveredImports``).
    public static let uncovered = MessageKind(REPL_UNCOVERED)

    /// The log names, from the one list of kinds (replkinds.h).
    private static let names: [UInt16: String] = Dictionary(uniqueKeysWithValues: (0..<UInt16(REPL_KIND_LIMIT)).compactMap { kind in
        repl_kind_name(kind).map { (kind, String(cString: $0)) }
    })

    private init(_ kind: repl_kind) { self.init(rawValue: UInt16(kind.rawValue)) }
}
