import Glibc

/// What the tool's own process has: its environment, working directory and host.
public enum CurrentProcess {
    /// The environment, `NAME=value` entries in their order.
    public static var environment: [String] {
        var result: [String] = []
        var pointer = Glibc.environ
        while let entry = pointer.pointee {
            result.append(String(cString: entry))
            pointer += 1
        }
        return result
    }

    /// The working directory; nil when it cannot be read (removed, or a path too long).
    public static var workingDirectory: String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return nil }
        return String(nulTerminated: buffer)
    }

    /// The host name, as `gethostname` reports it.
    public static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count - 1)
        return String(nulTerminated: buffer)
    }

    /// The tool's own executable (/proc/self/exe); nil when it cannot be read.
    public static var executable: String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return nil }
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The directory that holds the tool's executable ("." when it cannot be read).
    public static var executableDirectory: String {
        guard let executable, let slash = executable.lastIndex(of: "/") else { return "." }
        return String(executable[..<slash])
    }

    /// `path` made absolute against the working directory (unchanged when that cannot be read).
    public static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        guard let directory = workingDirectory else { return path }
        return directory + "/" + path
    }
}
