import CReplABI
import Glibc

/// The shared-memory region between a tool and the interception layer in the program's
/// processes: created 0600, named in the program's environment, removed when the run ends.
public final class SharedRegion: @unchecked Sendable {
    public let name: String
    public let base: UnsafeMutablePointer<repl_shared>
    public let size: Int

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

    deinit {
        munmap(base, size)
        shm_unlink(name)
    }
}
