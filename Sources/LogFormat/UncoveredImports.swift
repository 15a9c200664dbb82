/// The libc functions a recording's programs import that the interception layer does not cover
/// (they can return a nondeterministic result or act on another process unseen), and which
/// loaded objects import them: gathered from the layer's `uncovered` notes.
public struct UncoveredImports: Sendable, Equatable {
    /// Function name → the objects (file names) that import it.
    public private(set) var functions: [String: Set<String>] = [:]

    public init() {}

    public var isEmpty: Bool { functions.isEmpty }

    /// Adds the lines of one `uncovered` message's payload ("function\tobject\n" each).
    public mutating func add(_ payload: UnsafeRawBufferPointer) {
        for line in String(decoding: payload, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: "\t", maxSplits: 1)
            guard let function = fields.first, !function.isEmpty else { continue }
            functions[String(function), default: []].insert(fields.count > 1 ? String(fields[1]) : "?")
        }
    }

    /// "flock, gethostname, uname": the functions, sorted.
    public var names: String { functions.keys.sorted().joined(separator: ", ") }

    /// One line per function: "  gethostname   bash, hostname".
    public var table: String {
        let width = (functions.keys.map(\.count).max() ?? 0) + 2
        return functions.keys.sorted().map { name in
            let pad = String(repeating: " ", count: width - name.count)
            return "  \(name)\(pad)\(functions[name]!.sorted().joined(separator: ", "))\n"
        }.joined()
    }
}
