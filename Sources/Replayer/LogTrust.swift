import CommandLineSupport
import Glibc
import LogFormat
import ProgramSupport
import SystemPackage

/// A log is a program to run: its recorded command, working directory and environment
/// (`LD_PRELOAD` among them) become the replay's. So, as git does with safe.directory, replplay
/// runs only logs that the replaying user owns and nobody else can write, unless told to trust
/// them, and says what a log will run the first time this user replays it.
struct LogTrust {
    let directory: LogDirectory

    /// Refuses a log directory or segment owned by another user, or writable by its group or by
    /// others: whoever could write it could choose what the replaying user runs. Following, the
    /// segments that appear later are as safe as the directory that holds them.
    func check() throws {
        let user = geteuid()
        var files = [directory.path.string]
        files += try directory.segments().map { directory.path(of: $0).string }
        for file in files {
            var info = stat()
            // stat, not lstat: a link is as trusted as what it leads to.
            guard stat(file, &info) == 0 else { continue }  // gone meanwhile: the reader reports it
            if info.st_uid != user {
                throw ToolError.untrusted("\(file) is owned by user \(info.st_uid), not by this user (\(user)); "
                                          + "replaying it would run what its owner chose: pass --trust if you trust them")
            }
            if info.st_mode & (S_IWGRP | S_IWOTH) != 0 {
                throw ToolError.untrusted("\(file) can be written by its group or by others (mode \(String(info.st_mode & 0o777, radix: 8))); "
                                          + "pass --trust if you trust them, or chmod go-w it")
            }
        }
    }

    /// The lines that say what the log will run: command, working directory, and the recorded
    /// environment's `LD_*` variables (which choose the libraries the program loads).
    static func announcement(of header: RecordingHeader, running command: [String]) -> String {
        var lines = ["replplay: this log has not been replayed by this user before; it runs:",
                     "replplay:   command: \(command.joined(separator: " "))"
                         + (command == header.arguments ? "" : " (the log records: \(header.arguments.joined(separator: " ")))"),
                     "replplay:   working directory: \(header.workingDirectory)"]
        let loader = header.environment.filter { $0.hasPrefix("LD_") }
        lines += loader.map { "replplay:   environment: \($0)" }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Whether this user has replayed the recording before; notes it as replayed. The list is
    /// `$XDG_STATE_HOME/replrec/replayed` (else `~/.local/state/replrec/replayed`), one id a line.
    static func isFamiliar(_ id: RecordingID) -> Bool {
        guard let file = replayedList() else { return false }
        if contents(of: file).split(separator: "\n").contains(Substring(id.description)) { return true }
        makeParents(of: file)
        let descriptor = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return false }
        let line = Array((id.description + "\n").utf8)
        _ = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        return false
    }

    private static func replayedList() -> String? {
        if let state = getenv("XDG_STATE_HOME").map({ String(cString: $0) }), state.hasPrefix("/") {
            return state + "/replrec/replayed"
        }
        guard let home = getenv("HOME").map({ String(cString: $0) }), home.hasPrefix("/") else { return nil }
        return home + "/.local/state/replrec/replayed"
    }

    private static func contents(of file: String) -> String {
        let descriptor = open(file, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return "" }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard n > 0 else { break }
            bytes += chunk[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func makeParents(of file: String) {
        var path = FilePath(file)
        path.removeLastComponent()
        var prefix = FilePath("/")
        for component in path.components {
            prefix.append(component)
            mkdir(prefix.string, 0o700)
        }
    }
}
