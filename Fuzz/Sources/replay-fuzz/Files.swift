import Glibc

/// The few file operations the fuzzer needs, without Foundation.
enum Files {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Removes a directory tree (`rm -rf`).
    static func remove(_ path: String) throws {
        var pid: pid_t = 0
        let words: [String] = ["rm", "-rf", "--", path]
        var argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        guard posix_spawn(&pid, "/bin/rm", nil, nil, &argv, environ) == 0 else { throw Failure(description: "cannot run rm") }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }

    static func write(_ text: String, to path: String) throws {
        guard let file = fopen(path, "w") else { throw Failure(description: "\(path): \(String(cString: strerror(errno)))") }
        defer { fclose(file) }
        fputs(text, file)
    }
}
