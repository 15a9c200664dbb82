import Glibc

/// One mutated log replayed by the real replplay, and what came of it.
struct Trial {
    enum Outcome: Hashable, CustomStringConvertible {
        /// The replay matched the (mutated) recording: the mutation changed nothing that matters.
        case matched
        /// replplay stopped with a divergence (120) or called the log damaged (121), naming where.
        case refused(status: Int32)
        /// As `refused`, but without naming a sequence number, segment or offset.
        case refusedWithoutPlace(status: Int32)
        /// Any other exit status, or replplay itself killed by a signal.
        case crashed(String)
        /// No exit before the deadline.
        case hung
        /// replplay exited, but a process of the replayed tree lived on.
        case leftBehind(Int)

        var description: String {
            switch self {
            case .matched: "matched"
            case .refused(let status): "refused (\(status))"
            case .refusedWithoutPlace(let status): "refused without naming where (\(status))"
            case .crashed(let what): "crashed: \(what)"
            case .hung: "hung"
            case .leftBehind(let count): "left \(count) processes behind"
            }
        }

        var isFailure: Bool {
            switch self {
            case .matched, .refused, .refusedWithoutPlace: false
            case .crashed, .hung, .leftBehind: true
            }
        }
    }

    var replplay: String
    var log: String
    var stateDirectory: String
    var deadline: Double
    var recordedStatus: Int32

    /// replplay's own statuses (README): anything else is the program's, passed through.
    private static let toolStatuses: Set<Int32> = [120, 121, 122, 125, 126, 127]

    func run() -> (Outcome, stderr: String) {
        let errors = log + ".stderr"
        guard let pid = spawn(["replplay", "-q", "--trust", "--watchdog", "2", log], stderr: errors) else {
            return (.crashed("cannot start \(replplay): \(String(cString: strerror(errno)))"), "")
        }
        var status: Int32 = 0
        let start = Self.now()
        while waitpid(pid, &status, WNOHANG) == 0 {
            if Self.now() - start > deadline {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                _ = Self.killDescendants()
                return (.hung, Self.contents(of: errors))
            }
            usleep(5_000)
        }
        let stderr = Self.contents(of: errors)
        usleep(100_000)  // a killed tree needs a moment to go
        let survivors = Self.killDescendants()
        if survivors > 0 { return (.leftBehind(survivors), stderr) }
        if status & 0x7f != 0 { return (.crashed("replplay killed by signal \(status & 0x7f)"), stderr) }
        let code = (status >> 8) & 0xff
        for sign in ["Fatal error", "Segmentation fault", "AddressSanitizer", "core dumped"] where stderr.contains(sign) {
            return (.crashed("\(sign) (exit \(code))"), stderr)
        }
        if code == recordedStatus && !stderr.contains("divergence") { return (.matched, stderr) }
        guard Self.toolStatuses.contains(code) else { return (.crashed("exit status \(code), recorded \(recordedStatus)"), stderr) }
        let placed = ["sequence", "segment", "offset"].contains { stderr.contains($0) }
        return (placed ? .refused(status: code) : .refusedWithoutPlace(status: code), stderr)
    }

    private func spawn(_ arguments: [String], stderr: String) -> pid_t? {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let environment = ["XDG_STATE_HOME=\(stateDirectory)", "PATH=/usr/bin:/bin"]
        var envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, replplay, &actions, nil, &argv, &envp) == 0 else { return nil }
        return pid
    }

    /// Kills and reaps every live process descended from this one (orphans of the replayed tree
    /// come here: the fuzzer is their subreaper); returns how many there were.
    static func killDescendants() -> Int {
        let me = getpid()
        var parents: [pid_t: pid_t] = [:]
        var live: Set<pid_t> = []
        guard let proc = opendir("/proc") else { return 0 }
        while let entry = readdir(proc) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            guard let pid = pid_t(name) else { continue }
            let stat = contents(of: "/proc/\(pid)/stat")
            // pid (comm) state ppid ...: comm may hold spaces and parentheses; read after the last ')'.
            guard let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 1, let parent = pid_t(fields[1]) else { continue }
            parents[pid] = parent
            if fields[0] != "Z" { live.insert(pid) }
        }
        closedir(proc)
        func descends(_ pid: pid_t) -> Bool {
            var current = pid
            for _ in 0..<64 {
                guard let parent = parents[current] else { return false }
                if parent == me { return true }
                current = parent
            }
            return false
        }
        let descendants = parents.keys.filter(descends)
        let survivors = descendants.filter { live.contains($0) }
        for pid in survivors { kill(pid, SIGKILL) }
        for pid in descendants where parents[pid] == me { waitpid(pid, nil, 0) }
        return survivors.count
    }

    static func contents(of path: String) -> String {
        guard let file = fopen(path, "r") else { return "" }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count == 0 { break }
            bytes += buffer[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
