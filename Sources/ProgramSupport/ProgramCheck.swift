import Glibc
import SystemPackage

/// Finds the program to record and refuses what LD_PRELOAD cannot reach: setuid and setgid
/// programs (the loader ignores LD_PRELOAD there) and statically linked ones (no loader at all).
public enum ProgramCheck {
    /// The program's path: as given when it contains a slash, else searched in the PATH of
    /// `environment` (the program's, `NAME=value` entries).
    public static func resolve(_ command: String, environment: [String]) throws -> String {
        let searchPath = environment.first { $0.hasPrefix("PATH=") }.map { String($0.dropFirst("PATH=".count)) }
        return try resolve(command, path: searchPath)
    }

    /// The program's path: as given when it contains a slash, else searched in `searchPath`
    /// (a default one when nil).
    public static func resolve(_ command: String, path searchPath: String?) throws -> String {
        if command.contains("/") { return try check(command) }
        for directory in (searchPath ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = (directory.isEmpty ? "." : String(directory)) + "/" + command
            if access(candidate, X_OK) == 0 { return try check(candidate) }
        }
        throw ToolError.notFound("\(command): command not found")
    }

    private static func check(_ path: String) throws -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { throw ToolError.notFound("\(path): no such file") }
        guard info.st_mode & S_IFMT == S_IFREG, access(path, X_OK) == 0 else {
            throw ToolError.notExecutable("\(path): not an executable file")
        }
        if info.st_mode & (S_ISUID | S_ISGID) != 0 {
            throw ToolError.refused("\(path) is setuid or setgid: the loader ignores LD_PRELOAD there, so it cannot be recorded")
        }
        if try isStaticallyLinkedELF(path) {
            throw ToolError.refused("\(path) is statically linked: the interception layer cannot be loaded into it")
        }
        return path
    }

    /// Whether `path` is an ELF executable without a program interpreter (PT_INTERP).
    /// Scripts (#!) and other formats are left to the kernel.
    public static func isStaticallyLinkedELF(_ path: String) throws -> Bool {
        guard let fd = try? FileDescriptor.open(FilePath(path), .readOnly) else { return false }
        defer { try? fd.close() }
        var header = [UInt8](repeating: 0, count: 64)
        let n = (try? header.withUnsafeMutableBytes { try fd.read(fromAbsoluteOffset: 0, into: $0) }) ?? 0
        guard n == 64, header[0] == 0x7F, header[1] == 0x45, header[2] == 0x4C, header[3] == 0x46,
              header[4] == 2, header[5] == 1 else { return false }  // 64-bit little-endian ELF only
        func u16(_ at: Int) -> Int { Int(header[at]) | Int(header[at + 1]) << 8 }
        func u64(_ at: Int) -> Int { (0..<8).reduce(0) { $0 | Int(header[at + $1]) << (8 * $1) } }
        let programHeaders = u64(32), entrySize = u16(54), count = u16(56)
        guard entrySize >= 4, count > 0, count < 4096 else { return false }
        var table = [UInt8](repeating: 0, count: entrySize * count)
        let read = (try? table.withUnsafeMutableBytes {
            try fd.read(fromAbsoluteOffset: Int64(programHeaders), into: $0)
        }) ?? 0
        guard read == table.count else { return false }
        // No PT_INTERP (type 3) means no dynamic loader runs, static-pie included.
        let ptInterp: UInt32 = 3
        let hasInterpreter = (0..<count).contains { i in
            let at = i * entrySize
            let type = UInt32(table[at]) | UInt32(table[at + 1]) << 8 | UInt32(table[at + 2]) << 16 | UInt32(table[at + 3]) << 24
            return type == ptInterp
        }
        return !hasInterpreter
    }
}
