import CommandLineSupport
import Glibc
import LogFormat

/// What a message means, as strace would print it: errno and signal names, wait statuses,
/// clocks and their times, kill's target and signal. `logtool dump` prints it after the raw
/// fields; its JSON keeps both.
enum MessageDescription {
    /// The decoded details of `message` (its payload as far as `preview` holds it), or nil when
    /// there is nothing to add to the raw fields.
    static func details(_ message: Message, preview: UnsafeRawBufferPointer) -> String? {
        switch message.kind {
        case .clockGettime where preview.count == 16:
            return "\(clockName(Int32(truncatingIfNeeded: message.resource))) \(time(preview))"
        case .gettimeofday where preview.count == 16:
            let seconds = preview.loadUnaligned(as: Int64.self), micros = preview.loadUnaligned(fromByteOffset: 8, as: Int64.self)
            return "{\(seconds).\(String(micros).leftPadded(6))}"
        case .signal:
            return SignalName.of(Int32(truncatingIfNeeded: message.resource & 0xFF))
        case .kill:
            let target = Int32(truncatingIfNeeded: message.resource & 0xFFFF_FFFF)
            let signal = Int32(truncatingIfNeeded: message.resource >> 32)
            let whom = target > 0 ? "pid \(target)" : target == 0 ? "its group" : target == -1 ? "every process" : "group \(-target)"
            return "\(signal == 0 ? "0 (a check)" : SignalName.of(signal)) to \(whom)"
        case .wait where preview.count == 4 && message.result > 0:
            return "pid \(message.result) " + waitStatus(preview.loadUnaligned(as: Int32.self))
        default:
            return nil
        }
    }

    /// "ENOTTY" for 25, as errno.h names it; the number when it has no name here.
    static func errnoName(_ value: Int32) -> String { errnoNames[value] ?? "errno \(value)" }

    /// A wait status as a shell would say it.
    static func waitStatus(_ status: Int32) -> String {
        if status & 0x7F == 0 { return "exited \((status >> 8) & 0xFF)" }
        if status & 0xFF == 0x7F { return "stopped by \(SignalName.of((status >> 8) & 0xFF))" }
        if status == 0xFFFF { return "continued" }
        return "killed by \(SignalName.of(status & 0x7F))" + (status & 0x80 != 0 ? " (core dumped)" : "")
    }

    private static func time(_ bytes: UnsafeRawBufferPointer) -> String {
        let seconds = bytes.loadUnaligned(as: Int64.self), nanos = bytes.loadUnaligned(fromByteOffset: 8, as: Int64.self)
        return "{\(seconds).\(String(nanos).leftPadded(9))}"
    }

    private static func clockName(_ clock: Int32) -> String {
        let names = ["CLOCK_REALTIME", "CLOCK_MONOTONIC", "CLOCK_PROCESS_CPUTIME_ID", "CLOCK_THREAD_CPUTIME_ID",
                     "CLOCK_MONOTONIC_RAW", "CLOCK_REALTIME_COARSE", "CLOCK_MONOTONIC_COARSE", "CLOCK_BOOTTIME"]
        return clock >= 0 && Int(clock) < names.count ? names[Int(clock)] : "clock \(clock)"
    }


    private static let errnoNames: [Int32: String] = [
        EPERM: "EPERM", ENOENT: "ENOENT", ESRCH: "ESRCH", EINTR: "EINTR", EIO: "EIO", ENXIO: "ENXIO", E2BIG: "E2BIG",
        ENOEXEC: "ENOEXEC", EBADF: "EBADF", ECHILD: "ECHILD", EAGAIN: "EAGAIN", ENOMEM: "ENOMEM", EACCES: "EACCES",
        EFAULT: "EFAULT", EBUSY: "EBUSY", EEXIST: "EEXIST", EXDEV: "EXDEV", ENODEV: "ENODEV", ENOTDIR: "ENOTDIR",
        EISDIR: "EISDIR", EINVAL: "EINVAL", ENFILE: "ENFILE", EMFILE: "EMFILE", ENOTTY: "ENOTTY", ETXTBSY: "ETXTBSY",
        EFBIG: "EFBIG", ENOSPC: "ENOSPC", ESPIPE: "ESPIPE", EROFS: "EROFS", EMLINK: "EMLINK", EPIPE: "EPIPE",
        EDOM: "EDOM", ERANGE: "ERANGE", EDEADLK: "EDEADLK", ENAMETOOLONG: "ENAMETOOLONG", ENOSYS: "ENOSYS",
        ENOTEMPTY: "ENOTEMPTY", ELOOP: "ELOOP", ENOTSOCK: "ENOTSOCK", EADDRINUSE: "EADDRINUSE",
        EADDRNOTAVAIL: "EADDRNOTAVAIL", ENETUNREACH: "ENETUNREACH", ECONNABORTED: "ECONNABORTED",
        ECONNRESET: "ECONNRESET", ENOTCONN: "ENOTCONN", ETIMEDOUT: "ETIMEDOUT", ECONNREFUSED: "ECONNREFUSED",
        EHOSTUNREACH: "EHOSTUNREACH", EALREADY: "EALREADY", EINPROGRESS: "EINPROGRESS", EOWNERDEAD: "EOWNERDEAD",
        EOPNOTSUPP: "EOPNOTSUPP", ENODATA: "ENODATA", EOVERFLOW: "EOVERFLOW",
    ]
}

private extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
