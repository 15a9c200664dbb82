import CReplABI
import Glibc

/// The shared-memory region the interception layer writes messages into: created 0600 by the
/// recorder, named in the program's environment, removed when the recording ends.
final class SharedRegion: @unchecked Sendable {
    let name: String
    let base: UnsafeMutablePointer<repl_shared>
    let size: Int

    init() throws {
        var random = SystemRandomNumberGenerator()
        name = "/replrec-\(getpid())-\(String(random.next() & 0xFFFF_FFFF, radix: 16))"
        size = repl_region_size()
        let fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw RecorderError.failed("cannot create shared memory \(name): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard ftruncate(fd, off_t(size)) == 0 else {
            shm_unlink(name)
            throw RecorderError.failed("cannot size shared memory \(name) to \(size) bytes: \(String(cString: strerror(errno)))")
        }
        guard let mapped = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), mapped != MAP_FAILED else {
            shm_unlink(name)
            throw RecorderError.failed("cannot map shared memory \(name): \(String(cString: strerror(errno)))")
        }
        base = mapped.assumingMemoryBound(to: repl_shared.self)
        base.pointee.magic = REPL_ABI_MAGIC
        base.pointee.abi_version = REPL_ABI_VERSION
        base.pointee.ring_slots = REPL_RING_SLOTS
        base.pointee.payload_areas = REPL_PAYLOAD_AREAS
        base.pointee.payload_area_size = REPL_PAYLOAD_AREA_SIZE
        base.pointee.recorder_pid = getpid()
        base.pointee.size = UInt64(size)
    }

    /// Removes the name (processes still mapping it keep their mapping).
    func unlink() { shm_unlink(name) }

    deinit {
        munmap(base, size)
        shm_unlink(name)
    }
}
