import Glibc
import SystemPackage

/// A segment file read with `pread` through a buffer.
///
/// The file may still be growing (a live log), or be replaced by a longer copy of itself (rsync's
/// default temp-file-and-rename mode): ``refresh()`` re-opens it by name and re-reads its size.
/// Bytes once written never change, so buffered bytes stay valid across a refresh of the same file.
public final class SegmentFile: SegmentSource {
    public let path: FilePath
    public var name: String { path.string }
    public private(set) var size = 0

    private var descriptor: FileDescriptor
    private var identity: (device: UInt64, inode: UInt64)
    private var buffer: UnsafeMutableRawBufferPointer
    private var bufferOffset = 0
    private var bufferCount = 0
    private static let readSize = 1 << 20

    public init(_ path: FilePath) throws {
        self.path = path
        (descriptor, identity, size) = try Self.open(path)
        buffer = .allocate(byteCount: Self.readSize, alignment: 16)
    }

    deinit {
        try? descriptor.close()
        buffer.deallocate()
    }

    private static func open(_ path: FilePath) throws -> (FileDescriptor, (UInt64, UInt64), Int) {
        let fd: FileDescriptor
        do {
            // Non-blocking: a FIFO or a device named like a segment must not hold the open.
            fd = try FileDescriptor.open(path, .readOnly, options: [.closeOnExec, .nonBlocking])
        } catch let error as Errno {
            throw LogError.io("cannot open segment", path: path.string, error)
        }
        var info = stat()
        guard fstat(fd.rawValue, &info) == 0 else {
            let error = Errno(rawValue: Glibc.errno)
            try? fd.close()
            throw LogError.io("cannot stat segment", path: path.string, error)
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            try? fd.close()
            throw LogError(.notALog, "named like a segment but not a regular file (mode 0o\(String(info.st_mode, radix: 8)))",
                           at: LogLocation(file: path.string))
        }
        return (fd, (UInt64(info.st_dev), UInt64(info.st_ino)), Int(info.st_size))
    }

    public func bytes(at offset: Int, count: Int) throws -> UnsafeRawBufferPointer? {
        guard offset >= 0, count >= 0, offset <= size - count else { return nil }
        if offset >= bufferOffset, offset + count <= bufferOffset + bufferCount {
            let start = offset - bufferOffset
            return UnsafeRawBufferPointer(rebasing: buffer[start..<start + count])
        }
        if count > buffer.count {
            buffer.deallocate()
            buffer = .allocate(byteCount: count, alignment: 16)
        }
        let wanted = min(buffer.count, size - offset)
        var filled = 0
        while filled < wanted {
            let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<wanted])
            let n: Int
            do {
                n = try descriptor.read(fromAbsoluteOffset: Int64(offset + filled), into: chunk)
            } catch let error as Errno {
                bufferCount = 0
                throw LogError.io("cannot read segment", path: path.string, error)
            }
            if n == 0 { break }  // the file shrank under us: report what is there
            filled += n
        }
        bufferOffset = offset
        bufferCount = filled
        guard filled >= count else { return nil }
        return UnsafeRawBufferPointer(rebasing: buffer[0..<count])
    }

    public func refresh() throws -> Bool {
        let (fd, newIdentity, newSize) = try Self.open(path)
        let replaced = newIdentity != identity
        if replaced {
            try? descriptor.close()
            descriptor = fd
            identity = newIdentity
            bufferCount = 0
        } else {
            try? fd.close()
        }
        // A reader waiting at the tail re-reads it: a copy tool may have shown a partly written
        // page the first time.
        bufferCount = 0
        let changed = replaced || newSize != size
        size = newSize
        return changed
    }
}
