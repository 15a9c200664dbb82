/// The intercepted call a message records.
///
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
    public static let mutexLock = MessageKind(rawValue: 1)
    public static let mutexTrylock = MessageKind(rawValue: 2)
    public static let mutexTimedlock = MessageKind(rawValue: 3)
    public static let condWait = MessageKind(rawValue: 4)
    public static let condTimedwait = MessageKind(rawValue: 5)
    public static let rwlockRead = MessageKind(rawValue: 6)
    public static let rwlockWrite = MessageKind(rawValue: 7)
    public static let rwlockTryRead = MessageKind(rawValue: 8)
    public static let rwlockTryWrite = MessageKind(rawValue: 9)
    public static let rwlockTimedRead = MessageKind(rawValue: 10)
    public static let rwlockTimedWrite = MessageKind(rawValue: 11)
    public static let spinLock = MessageKind(rawValue: 12)
    public static let spinTrylock = MessageKind(rawValue: 13)
    public static let semWait = MessageKind(rawValue: 14)
    public static let semTrywait = MessageKind(rawValue: 15)
    public static let semTimedwait = MessageKind(rawValue: 16)
    public static let semPost = MessageKind(rawValue: 17)
    public static let barrierWait = MessageKind(rawValue: 18)
    public static let once = MessageKind(rawValue: 19)
    public static let threadJoin = MessageKind(rawValue: 20)

    // Time (32-39)
    public static let time = MessageKind(rawValue: 32)
    public static let gettimeofday = MessageKind(rawValue: 33)
    public static let clockGettime = MessageKind(rawValue: 34)
    public static let clock = MessageKind(rawValue: 35)

    // Randomness (40-47)
    public static let getrandom = MessageKind(rawValue: 40)
    public static let getentropy = MessageKind(rawValue: 41)
    public static let arc4random = MessageKind(rawValue: 42)

    // Input and output (48-79)
    public static let read = MessageKind(rawValue: 48)
    public static let readv = MessageKind(rawValue: 49)
    public static let pread = MessageKind(rawValue: 50)
    public static let preadv = MessageKind(rawValue: 51)
    public static let recv = MessageKind(rawValue: 52)
    public static let recvfrom = MessageKind(rawValue: 53)
    public static let recvmsg = MessageKind(rawValue: 54)
    public static let accept = MessageKind(rawValue: 55)
    public static let connect = MessageKind(rawValue: 56)
    public static let poll = MessageKind(rawValue: 57)
    public static let select = MessageKind(rawValue: 58)
    public static let epollWait = MessageKind(rawValue: 59)
    public static let write = MessageKind(rawValue: 60)
    public static let writev = MessageKind(rawValue: 61)
    public static let send = MessageKind(rawValue: 62)
    public static let sendmsg = MessageKind(rawValue: 63)
    public static let socket = MessageKind(rawValue: 64)
    public static let socketpair = MessageKind(rawValue: 65)
    public static let pipe = MessageKind(rawValue: 66)
    public static let open = MessageKind(rawValue: 67)
    public static let close = MessageKind(rawValue: 68)
    public static let dup = MessageKind(rawValue: 69)
    public static let epollCreate = MessageKind(rawValue: 70)
    public static let bind = MessageKind(rawValue: 71)
    public static let listen = MessageKind(rawValue: 72)
    public static let getsockname = MessageKind(rawValue: 73)
    public static let getpeername = MessageKind(rawValue: 74)
    public static let setsockopt = MessageKind(rawValue: 75)
    public static let getsockopt = MessageKind(rawValue: 76)

    // Processes and threads (80-111)
    public static let getpid = MessageKind(rawValue: 80)
    public static let getppid = MessageKind(rawValue: 81)
    public static let gettid = MessageKind(rawValue: 82)
    public static let threadCreate = MessageKind(rawValue: 83)
    public static let threadStart = MessageKind(rawValue: 84)
    public static let threadExit = MessageKind(rawValue: 85)
    public static let fork = MessageKind(rawValue: 86)
    public static let processStart = MessageKind(rawValue: 87)
    public static let exec = MessageKind(rawValue: 88)
    public static let wait = MessageKind(rawValue: 89)
    public static let exit = MessageKind(rawValue: 90)
    public static let signal = MessageKind(rawValue: 91)

    private static let names: [UInt16: String] = [
        1: "mutex_lock", 2: "mutex_trylock", 3: "mutex_timedlock", 4: "cond_wait",
        5: "cond_timedwait", 6: "rwlock_rdlock", 7: "rwlock_wrlock", 8: "rwlock_tryrdlock",
        9: "rwlock_trywrlock", 10: "rwlock_timedrdlock", 11: "rwlock_timedwrlock",
        12: "spin_lock", 13: "spin_trylock", 14: "sem_wait", 15: "sem_trywait",
        16: "sem_timedwait", 17: "sem_post", 18: "barrier_wait", 19: "once", 20: "thread_join",
        32: "time", 33: "gettimeofday", 34: "clock_gettime", 35: "clock",
        40: "getrandom", 41: "getentropy", 42: "arc4random",
        48: "read", 49: "readv", 50: "pread", 51: "preadv", 52: "recv", 53: "recvfrom",
        54: "recvmsg", 55: "accept", 56: "connect", 57: "poll", 58: "select", 59: "epoll_wait",
        60: "write", 61: "writev", 62: "send", 63: "sendmsg", 64: "socket", 65: "socketpair",
        66: "pipe", 67: "open", 68: "close", 69: "dup", 70: "epoll_create", 71: "bind",
        72: "listen", 73: "getsockname", 74: "getpeername", 75: "setsockopt", 76: "getsockopt",
        80: "getpid", 81: "getppid", 82: "gettid", 83: "thread_create", 84: "thread_start",
        85: "thread_exit", 86: "fork", 87: "process_start", 88: "exec", 89: "wait", 90: "exit",
        91: "signal",
    ]
}
