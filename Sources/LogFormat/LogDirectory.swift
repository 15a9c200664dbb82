import Glibc
import SystemPackage

/// A log directory: the segment files in it, found by name.
public struct LogDirectory: Sendable {
    public let path: FilePath

    public init(_ path: FilePath) { self.path = path }

    /// The path of a segment's file.
    public func path(of segment: SegmentName) -> FilePath { path.appending(segment.fileName) }

    /// Whether the directory exists (`false` for a missing path). Throws ``LogError/Code/noLog``
    /// when the path exists but is not a directory.
    public func exists() throws -> Bool {
        var info = stat()
        guard stat(path.string, &info) == 0 else {
            let error = Errno(rawValue: Glibc.errno)
            if error == .noSuchFileOrDirectory { return false }
            throw LogError.io("cannot stat the log directory", path: path.string, error)
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw LogError(.noLog, "not a directory", at: LogLocation(file: path.string))
        }
        return true
    }

    /// The segments present, in order. Names that are not segment names are ignored; two files
    /// with the same segment number are corruption.
    public func segments() throws -> [SegmentName] {
        guard let dir = opendir(path.string) else {
            let error = Errno(rawValue: Glibc.errno)
            if error == .notDirectory {
                throw LogError(.noLog, "not a directory", at: LogLocation(file: path.string))
            }
            if error == .noSuchFileOrDirectory {
                throw LogError(.noLog, "no such directory", at: LogLocation(file: path.string))
            }
            throw LogError.io("cannot read the log directory", path: path.string, error)
        }
        defer { closedir(dir) }
        var names: [SegmentName] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if let segment = SegmentName(fileName: name) { names.append(segment) }
        }
        names.sort()
        // Two files with one number (a copy from another recording, a renamed file): which one
        // is the log's cannot be told, and taking either would hide the other.
        for (first, second) in zip(names, names.dropFirst()) where first.number == second.number {
            throw LogError(.corruption, "two segment files have number \(first.number): \(first) and \(second)",
                           at: LogLocation(file: path(of: second).string, segment: second.number))
        }
        return names
    }

    /// The recording's id and header, from the first segment; `nil` while that segment does not
    /// exist or its header is not complete yet (a log being written or copied).
    public func recordingStart() throws -> (id: RecordingID, header: RecordingHeader)? {
        guard try exists(), let first = try segments().first else { return nil }
        guard first.number == 1 else {
            throw LogError(.gap, "segment 1 is missing; the log starts at segment \(first.number)",
                           at: LogLocation(file: path(of: first).string, segment: first.number))
        }
        let scanner = SegmentScanner(try SegmentFile(path(of: first)), name: first)
        guard let header = try scanner.readHeader() else { return nil }
        guard let recording = header.recording else {
            throw LogError(.corruption, "the first segment has no recording header", at: scanner.location(0))
        }
        return (header.recordingID, recording)
    }

    /// Creates the directory (mode 0700) for a new log, or accepts an existing one that holds no
    /// segment yet (or, `replacing`, removes the segments it holds), and takes the writer's lock
    /// on it: an exclusive `flock` on the directory, held until the returned descriptor is
    /// closed. One writer per log: a second one, even with `replacing`, is refused while the
    /// first holds the lock, so two recordings never interleave in one directory.
    func createForWriting(replacing: Bool = false) throws -> FileDescriptor {
        if try !exists() {
            guard mkdir(path.string, 0o700) == 0 || Glibc.errno == EEXIST else {
                throw LogError.io("cannot create the log directory", path: path.string, Errno(rawValue: Glibc.errno))
            }
        }
        let lock: FileDescriptor
        do {
            lock = try FileDescriptor.open(path, .readOnly, options: [.directory, .closeOnExec])
        } catch let error as Errno {
            throw LogError.io("cannot open the log directory", path: path.string, error)
        }
        guard flock(lock.rawValue, LOCK_EX | LOCK_NB) == 0 else {
            let error = Errno(rawValue: Glibc.errno)
            try? lock.close()
            if error == .wouldBlock {
                throw LogError(.inUse, "another writer is recording into the log (it holds the directory's lock)",
                               at: LogLocation(file: path.string))
            }
            throw LogError.io("cannot lock the log directory", path: path.string, error)
        }
        do {
            let present = try segments()
            if replacing {
                for segment in present { unlink(self.path(of: segment).string) }
            } else if !present.isEmpty {
                throw LogError(.misuse, "the directory already holds a log (\(present[0]))", at: LogLocation(file: path.string))
            }
        } catch {
            try? lock.close()
            throw error
        }
        return lock
    }

    /// Makes the directory's entries durable (after a segment file is created).
    func synchronize() throws {
        let fd = try FileDescriptor.open(path, .readOnly, options: [.directory])
        defer { try? fd.close() }
        _ = fsync(fd.rawValue)
    }
}
