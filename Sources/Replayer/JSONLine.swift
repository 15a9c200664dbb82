import Glibc

/// A one-line JSON object that watchers read whole (the status file, the gdb extension's state):
/// written to a temporary name and renamed into place, so that a reader never sees half of it.
struct JSONLine {
    /// `"key":value` pairs, values already in JSON.
    var fields: [String] = []

    mutating func add(_ key: String, _ value: some CustomStringConvertible) { fields.append("\"\(key)\":\(value)") }

    mutating func add(_ key: String, string: String) { fields.append("\"\(key)\":\"\(string)\"") }

    /// The object, as a value for another's field.
    var object: String { "{" + fields.joined(separator: ",") + "}" }

    func write(to path: String, mode: mode_t) {
        let text = object + "\n"
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { return }
        _ = text.withCString { Glibc.write(fd, $0, strlen($0)) }
        close(fd)
        rename(temporary, path)
    }
}
