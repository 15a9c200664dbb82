import CReplABI
import Glibc

/// The shared-memory region between a tool and the interception layer in the program's
/// processes: created 0600, named in the program's environment, removed when the run ends.
///
/// The tools read and set it through the typed members here and in `SharedRegion+Record.swift`
/// and `SharedRegion+Replay.swift`; only the ring's data path (RingDrainer, RingFeeder) works on
/// `base` with the ABI header's inline helpers.
public final class SharedRegion: @unchecked Sendable {
    /// The POSIX shared-memory name (`/replrec-` and 16 hex digits).
    public let name: String
    /// The mapped region, for the ring's data path.
    public let base: UnsafeMutablePointer<repl_shared>
    /// Bytes mapped.
    public let size: Int

    /// Creates, sizes and maps a new region and fills its header for `mode`
    /// (`REPL_MODE_RECORD` or `REPL_MODE_REPLAY`).
    public init(mode: UInt32 = REPL_MODE_RECORD) throws {
        // Fixed width: the layer's variables sit on the program's initial stack, and their length
        // must be the same at record and at replay for stack addresses to match.
        var random = SystemRandomNumberGenerator()
        let hex = String(random.next(), radix: 16)
        name = "/replrec-" + String(repeating: "0", count: 16 - hex.count) + hex
        size = repl_region_size()
        let fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ToolError.failed("cannot create shared memory \(name): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard ftruncate(fd, off_t(size)) == 0 else {
            shm_unlink(name)
            throw ToolError.failed("cannot size shared memory \(name) to \(size) bytes: \(String(cString: strerror(errno)))")
        }
        guard let mapped = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), mapped != MAP_FAILED else {
            shm_unlink(name)
            throw ToolError.failed("cannot map shared memory \(name): \(String(cString: strerror(errno)))")
        }
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

    /// Removes the name (processes still mapping it keep their mapping).
    public func unlink() { shm_unlink(name) }

    /// Processes the program has started, the root included (statistics for the summary line).
    public var processesStarted: UInt32 { repl_processes_started(base) }

    /// Threads the program has started besides each process's first.
    public var threadsStarted: UInt32 { repl_threads_started(base) }

    deinit {
        munmap(base, size)
        shm_unlink(name)
    }
}
