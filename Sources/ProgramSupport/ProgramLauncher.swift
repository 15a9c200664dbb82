import CReplABI
import CProcessShims
import Glibc

/// Starts the program to record: the interception layer preloaded (after keeping any
/// LD_PRELOAD the user had), the region named in its environment, address-space randomisation
/// off, standard input, output and error passed through.
public struct ProgramLauncher {
    public var path: String
    public var arguments: [String]
    /// The environment the program sees (and the log records), without the layer's variables.
    public var environment: [String]
    public var layer: String
    public var region: SharedRegion
    /// Signals the tool ignores for itself that the program gets with default handling.
    public var defaultSignals: [Int32]
    /// Device and inode of the tool's own stdout and stderr, which the recording's processes
    /// share: their writes are numbered at record and made at replay. Passed in a fixed width,
    /// so that the program's initial stack is laid out the same at record and at replay.
    public var inheritedOutputs = ProgramLauncher.standardOutputs()
    /// The working directory to start in (nil: the tool's own).
    public var workingDirectory: String?
    /// Descriptors of the tool's that the program must not inherit (replay: ones the recorded
    /// program did not have).
    public var withheldDescriptors: [Int32] = []
    /// Numbers the program must find open although the tool has nothing there (replay: ones the
    /// recorded program inherited): /dev/null stands in at each.
    public var standInDescriptors: [Int32] = []

    public init(path: String, arguments: [String], environment: [String], layer: String, region: SharedRegion,
                defaultSignals: [Int32]) {
        self.path = path
        self.arguments = arguments
        self.environment = environment
        self.layer = layer
        self.region = region
        self.defaultSignals = defaultSignals
    }

    /// The environment of the recorded program: the recorder's own, minus the layer's variables
    /// and minus the layer in LD_PRELOAD.
    public static func programEnvironment(_ environment: [String], layer: String) -> [String] {
        environment.compactMap { variable in
            if variable.hasPrefix("REPLREC_") { return nil }
            if variable.hasPrefix("LD_PRELOAD=") {
                let kept = variable.dropFirst("LD_PRELOAD=".count).split(separator: ":").filter { $0 != layer }
                return kept.isEmpty ? nil : "LD_PRELOAD=" + kept.joined(separator: ":")
            }
            return variable
        }
    }

    /// The environment the program starts with: its own plus what the layer needs.
    public var launchEnvironment: [String] {
        var result = environment.filter { !$0.hasPrefix("LD_PRELOAD=") }
        let userPreload = environment.first { $0.hasPrefix("LD_PRELOAD=") }.map { String($0.dropFirst("LD_PRELOAD=".count)) }
        result.append("LD_PRELOAD=" + ([layer] + (userPreload.map { [$0] } ?? [])).joined(separator: ":"))
        result.append("REPLREC_SHM=\(region.name)")
        result.append("REPLREC_PROCESS=0")
        result.append("REPLREC_LAYER=\(layer)")
        func digits(_ value: UInt64) -> String {
            let text = String(value)
            return String(repeating: "0", count: 20 - text.count) + text
        }
        result.append("REPLREC_OUTPUTS=" + inheritedOutputs.prefix(2).map { digits($0.device) + ":" + digits($0.inode) }
            .joined(separator: ","))
        return result
    }

    /// The descriptors above standard error that a program started now would inherit (open, not
    /// close-on-exec), ascending; nil when /proc/self/fd cannot be read.
    public static func inheritableDescriptors() -> [Int32]? {
        // The listing's own descriptor is closed by the time its flags are asked for.
        ProcDirectory.numbers(in: "/proc/self/fd")?.filter { fd in
            let flags = fcntl(fd, F_GETFD)
            return fd > STDERR_FILENO && flags >= 0 && flags & FD_CLOEXEC == 0
        }.sorted()
    }

    /// Device and inode of this process's standard output and error (zeros for one that cannot
    /// be examined).
    static func standardOutputs() -> [(device: UInt64, inode: UInt64)] {
        [STDOUT_FILENO, STDERR_FILENO].map { fd in
            var info = stat()
            guard fstat(fd, &info) == 0 else { return (0, 0) }
            return (UInt64(info.st_dev), UInt64(info.st_ino))
        }
    }

    /// Starts the program in a process group of its own; its pid.
    public func launch() throws -> pid_t {
        guard replrec_disable_aslr() == 0 else {
            throw ToolError.failed("cannot turn address-space randomisation off: \(String(cString: strerror(errno)))")
        }
        var pid: pid_t = 0
        let argv = arguments.map { strdup($0) } + [nil]  // argv[0] as the user typed it
        let envp = launchEnvironment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for sig in defaultSignals { sigaddset(&defaults, sig) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        // Its own process group, so that the tool can stop the whole program at once.
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let workingDirectory { replrec_spawn_chdir(&actions, workingDirectory) }
        for fd in withheldDescriptors { posix_spawn_file_actions_addclose(&actions, fd) }
        for fd in standInDescriptors { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_RDWR, 0) }
        let result = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw ToolError.notExecutable("cannot start \(path): \(String(cString: strerror(result)))")
        }
        return pid
    }
}
