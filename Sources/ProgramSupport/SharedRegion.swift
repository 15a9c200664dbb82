import CProcessShims
import CReplABI
import Glibc

/// The shared-memory region between a tool and the interception layer in the program's
/// processes: an anonymous file (memfd) that the tool holds open and the layer opens through
/// the tool's `/proc/PID/fd/N`, named in the program's environment. It has no name in
/// /dev/shm, so nothing is left behind whatever dies: the memory goes with the last process that
/// maps it.
///
/// The tools read and set it through the typed members here and in `SharedRegion+Record.swift`
/// and `SharedRegion+Replay.swift`; only the ring's data path (RingDrainer, RingFeeder) works on
/// `base` with the ABI header's inline helpers.
public final class SharedRegion: @unchecked Sendable {
    /// The path the layer opens it by: `/proc/PID/fd/N`, padded with `/.` to a fixed width.
    public let name: String
    /// The mapped region, for the ring's data path.
    public let base: UnsafeMutablePointer<repl_shared>
    /// Bytes mapped.
    public let size: Int
    /// The memfd, held open for the tool's life (close-on-exec: the program opens it by `name`).
    private let descriptor: Int32

    /// Creates, sizes and maps a new region and fills its header for `mode`
    /// (`REPL_MODE_RECORD` or `REPL_MODE_REPLAY`).
    public init(mode: UInt32 = REPL_MODE_RECORD) throws {
        size = repl_region_size()
        let fd = replrec_memfd("replrec-region")
        guard fd >= 0 else { throw ToolError.failed("cannot create the shared memory: \(String(cString: strerror(errno)))") }
        guard ftruncate(fd, off_t(size)) == 0 else {
            close(fd)
            throw ToolError.failed("cannot size the shared memory to \(size) bytes: \(String(cString: strerror(errno)))")
        }
        guard let mapped = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), mapped != MAP_FAILED else {
            close(fd)
            throw ToolError.failed("cannot map the shared memory: \(String(cString: strerror(errno)))")
        }
        descriptor = fd
        name = Self.path(pid: getpid(), descriptor: fd)
        base = mapped.assumingMemoryBound(to: repl_shared.self)
        base.pointee.magic = REPL_ABI_MAGIC
        base.pointee.abi_version = REPL_ABI_VERSION
        base.pointee.ring_slots = REPL_RING_SLOTS
        base.pointee.payload_areas = REPL_PAYLOAD_AREAS
        base.pointee.payload_area_size = REPL_PAYLOAD_AREA_SIZE
        base.pointee.recorder_pid = getpid()
        base.pointee.size = UInt64(size)
        base.pointee.mode = mode
    }

    /// `/proc/PID/fd/N` in a fixed width of 40 bytes: the layer's variables sit on the program's
    /// initial stack, and their length must be the same at record and at replay for stack
    /// addresses to match. `/.` and `//` pad it (procfs takes no leading zeros in a pid).
    static func path(pid: pid_t, descriptor: Int32) -> String {
        let tail = "/\(pid)/fd/\(descriptor)"
        let padding = 40 - "/proc".count - tail.count
        return "/proc" + String(repeating: "/.", count: padding / 2) + (padding % 2 == 1 ? "/" : "") + tail
    }

    /// Processes the program has started, the root included (statistics for the summary line).
    public var processesStarted: UInt32 { repl_processes_started(base) }

    /// Threads the program has started besides each process's first.
    public var threadsStarted: UInt32 { repl_threads_started(base) }

    /// Output commit: socket writes held for the log, how many of them had to wait (the others
    /// found what came before logged already), and how long those waited in all.
    public var commitStatistics: (writes: UInt64, waits: UInt64, waitSeconds: Double) {
        (repl_commit_writes(base), repl_commit_waits(base), Double(repl_commit_wait_ns(base)) / 1e9)
    }

    deinit {
        munmap(base, size)
        close(descriptor)
    }
}
