import CProcessShims
import Glibc

/// The program's processes, seen from the tool that started them: the tool is their subreaper,
/// so every process of the tree, orphans included, is reaped here.
public struct ProcessTree {
    /// The program's root process (also its process group).
    public let root: pid_t
    /// How the root ended, once it has been reaped.
    public private(set) var rootStatus: ProgramStatus?

    /// This process's children that are not the program's (a debugger replplay started), with
    /// whatever they start: never killed, never waited for, as the tree's.
    public var spared: Set<pid_t> = []

    public init(root: pid_t) { self.root = root }

    /// Makes the calling process the subreaper of the processes it starts from now on.
    public static func becomeSubreaper() { _ = replrec_become_subreaper() }

    /// Reaps what has exited, without waiting; false once no process of the tree is left.
    public mutating func reapExited() -> Bool {
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, WNOHANG)
            if pid > 0 {
                note(pid, status)
                continue
            }
            if pid == 0 && !spared.isEmpty && rootStatus != nil { return !members().isEmpty }
            return !(pid < 0 && errno == ECHILD)
        }
    }

    /// Waits until every process of the tree has exited.
    public mutating func waitForAll() {
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, spared.isEmpty ? 0 : WNOHANG)
            if pid > 0 {
                note(pid, status)
            } else if pid == 0 {
                if members().isEmpty { return }  // only the spared are left
                usleep(1000)
            } else if errno != EINTR {
                return  // ECHILD: the whole tree has exited
            }
        }
    }

    /// Kills every process of the tree and waits for them: SIGKILL to its group and its root,
    /// then to every other descendant of this process (one that left the group, as a daemon
    /// does with setsid), found through /proc. Orphans are this process's children, since it is
    /// their subreaper, so the tree is all there.
    public mutating func kill() {
        Glibc.kill(-root, SIGKILL)
        Glibc.kill(root, SIGKILL)
        for _ in 0..<16 {  // a process may fork once more while it is being looked for
            let others = members()
            if others.isEmpty { break }
            for pid in others { Glibc.kill(pid, SIGKILL) }
        }
        waitForAll()
    }

    /// Sends `signal` to every process of the tree: its group, its root, and every other
    /// descendant of this process (SIGSTOP to hold it for a debugger, SIGCONT to resume it).
    public func signalAll(_ signal: Int32) {
        Glibc.kill(-root, signal)
        Glibc.kill(root, signal)
        for pid in members() { Glibc.kill(pid, signal) }
    }

    /// The live and unreaped processes of the tree: this process's descendants but the spared
    /// and theirs.
    private func members() -> [pid_t] {
        let spares = spared.flatMap { [$0] + Self.descendants(of: $0) }
        return Self.descendants(of: getpid()).filter { !spares.contains($0) }
    }

    /// The processes whose chain of parents leads to `ancestor`.
    static func descendants(of ancestor: pid_t) -> [pid_t] {
        var parents: [pid_t: pid_t] = [:]
        for pid in ProcDirectory.numbers(in: "/proc") ?? [] {
            if let parent = parent(of: pid) { parents[pid] = parent }
        }
        return parents.keys.filter { pid in
            var current = parents[pid]
            for _ in 0..<parents.count {  // a chain of parents is never longer than the table
                guard let parent = current, parent > 1 else { return false }
                if parent == ancestor { return true }
                current = parents[parent]
            }
            return false
        }
    }

    /// The parent of `pid`, from /proc/PID/stat ("PID (COMMAND) STATE PPID ..."; the command
    /// may hold spaces and parentheses, so the fields are read after its last parenthesis).
    private static func parent(of pid: pid_t) -> pid_t? {
        guard let file = fopen("/proc/\(pid)/stat", "r") else { return nil }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 1024)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return nil }
        let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let close = line.lastIndex(of: ")") else { return nil }
        let fields = line[line.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? pid_t(fields[1]) : nil
    }

    private mutating func note(_ pid: pid_t, _ status: Int32) {
        if pid == root { rootStatus = ProgramStatus(waitStatus: status) }
    }
}
