import Glibc

/// The numbered entries of a /proc directory: the pids in /proc, the descriptors in
/// /proc/self/fd.
enum ProcDirectory {
    /// The entries of `path` whose names are numbers; nil when it cannot be read.
    static func numbers(in path: String) -> [Int32]? {
        guard let directory = opendir(path) else { return nil }
        defer { closedir(directory) }
        var numbers: [Int32] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if let number = Int32(name) { numbers.append(number) }
        }
        return numbers
    }
}
