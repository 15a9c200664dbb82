import CommandLineSupport
import Glibc

/// `--promote-command`: a shell command run before a backup goes live (to fence the old
/// primary, move an address, tell a load balancer), in a process group of its own so that a
/// command that overstays its limit is ended with everything it started.
struct PromoteCommand {
    enum Outcome: Equatable {
        case exited(Int32)
        case failed(String)
    }

    let command: String
    /// Variables added to replplay's own environment.
    let environment: [String]

    init(_ command: String, environment: [String]) {
        self.command = command
        self.environment = environment
    }

    func run(limit seconds: Double) -> Outcome {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        let words = ["/bin/sh", "-c", command]
        var argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var envp: [UnsafeMutablePointer<CChar>?] = (CurrentProcess.environment + environment).map { strdup($0) } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/sh", nil, &attributes, &argv, &envp)
        guard spawned == 0 else { return .failed("could not be started: \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        var waited = 0.0
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { break }
            if reaped < 0 && errno != EINTR { return .failed("could not be waited for: \(String(cString: strerror(errno)))") }
            if waited >= seconds {
                kill(-pid, SIGKILL)
                waitpid(pid, &status, 0)
                return .failed("did not finish within \(Int(seconds)) s and was killed")
            }
            usleep(10_000)
            waited += 0.01
        }
        if status & 0x7f != 0 { return .failed("was killed by signal \(status & 0x7f)") }
        return .exited((status >> 8) & 0xff)
    }
}
