import Foundation
import LogFormat
import TestSupport

/// What a fixture program shows, as its opening comment states it:
///
///     * Expected: exit 0; 1 process; at least 4 threads
///     * Kinds: mutex_lock thread_create
///     * Stable: a line every run prints
///     * Build: -D_FORTIFY_SOURCE=2       (compiler flags beyond the usual, optional)
///
/// Every program in fixtures/programs with an `Expected:` line is a fixture case: recorded,
/// checked against these lines, and replayed. A new fixture is one file.
struct FixtureExpectation: Sendable, CustomStringConvertible, Hashable {
    var name: String
    var exitStatus: Int32
    var processes: Int
    var minimumThreads: Int
    var kinds: [MessageKind]
    /// Output lines (or their beginnings) that are the same in every run.
    var stableLines: [String]
    /// Compiler flags the program is built with, beyond the usual ones.
    var buildFlags: [String]
    var description: String { name }

    /// Every fixture case, by name.
    static let all: [FixtureExpectation] = {
        let directory = Repository.root + "/fixtures/programs"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".c") }.sorted().compactMap { file in
            let source = (try? String(contentsOfFile: directory + "/" + file, encoding: .utf8)) ?? ""
            return FixtureExpectation(name: String(file.dropLast(2)), source: source)
        }
    }()

    /// Reads the expectation lines of a fixture's opening comment; nil when it states none.
    init?(name: String, source: String) {
        let comment = source.components(separatedBy: "*/").first ?? ""
        var fields: [String: [String]] = [:]
        for line in comment.split(separator: "\n") {
            let text = line.drop { $0 == " " || $0 == "*" || $0 == "/" }
            guard let colon = text.firstIndex(of: ":"), ["Expected", "Kinds", "Stable", "Build"].contains(String(text[..<colon])) else { continue }
            fields[String(text[..<colon]), default: []].append(String(text[text.index(colon, offsetBy: 2)...]))
        }
        guard let expected = fields["Expected"]?.first else { return nil }
        let numbers = expected.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        precondition(numbers.count == 3, "\(name): 'Expected: exit N; N process(es); at least N thread(s)', not '\(expected)'")
        self.name = name
        exitStatus = Int32(numbers[0])
        processes = numbers[1]
        minimumThreads = numbers[2]
        kinds = (fields["Kinds"] ?? []).flatMap { $0.split(separator: " ") }.map { kind in
            guard let known = MessageKind(name: String(kind)) else { preconditionFailure("\(name): no kind '\(kind)'") }
            return known
        }
        stableLines = fields["Stable"] ?? []
        buildFlags = (fields["Build"] ?? []).flatMap { $0.split(separator: " ").map(String.init) }
    }

    /// The program, compiled as its comment says.
    func program() throws -> String { try Recording.fixture(name, flags: buildFlags) }

    /// The output with every number (decimal or hexadecimal) replaced by `#`: what stays the
    /// same from run to run of a fixture whose values differ.
    static func shape(_ output: String) -> String {
        // A hexadecimal number may be all letters ("beadface"): long runs of a-f count as numbers too.
        output.replacingOccurrences(of: #"\b(?=[0-9a-f]*[0-9])[0-9a-f]+\b|\b[a-f]{8,}\b"#, with: "#", options: .regularExpression)
    }
}
