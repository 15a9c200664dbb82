import Foundation
import TestSupport
import LogFormat
import Testing

/// `logtool` as a user runs it: output on stdout, diagnostics on stderr, documented exit codes.
@Suite struct CommandLineTests {
    /// Writes a synthetic log with `logtool synth`.
    static func synth(_ directory: String, _ extra: String...) throws {
        let result = try runProgram(Run.logtool, ["synth", directory, "--messages", "3000", "--pattern", "mixed",
                                                   "--small-payloads", "--segment-size", "16384", "--frame-size", "2048"] + extra)
        precondition(result.status == 0, result.stderr)
    }

    static func segments(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix("seg-") }.sorted()
    }

    @Test func verifyExitCodes() throws {
        let dir = TemporaryDirectory()
        let clean = dir.appending("clean"), open = dir.appending("open")
        try Self.synth(clean, "--exit-status", "9")
        try Self.synth(open, "--no-end")

        let ok = try Run.logtool("verify", clean)
        #expect(ok.status == 0)
        #expect(ok.stdout.hasPrefix("clean end: 3000 messages (sequence 1...3000)"))
        #expect(ok.stdout.contains("exit status 9"))
        #expect(ok.stderr.isEmpty)

        let stillOpen = try Run.logtool("verify", open)
        #expect(stillOpen.status == 2)
        #expect(stillOpen.stdout.hasPrefix("still open"))

        // Torn tail: cut the newest segment of the open log inside its last frame.
        let torn = dir.appending("torn")
        try copyLog(open, to: torn)
        let newest = torn + "/" + (try Self.segments(torn)).last!
        let size = try FileManager.default.attributesOfItem(atPath: newest)[.size] as! Int
        truncate(newest, off_t(size - 5))
        let tornResult = try Run.logtool("verify", torn)
        #expect(tornResult.status == 3)
        #expect(tornResult.stderr.contains("torn tail"))
        #expect(tornResult.stderr.contains(newest))

        // Corruption: a flipped byte in a middle segment.
        let corrupt = dir.appending("corrupt")
        try copyLog(clean, to: corrupt)
        let middle = corrupt + "/" + (try Self.segments(corrupt))[2]
        try modifyFile(middle) { $0[$0.count / 2] ^= 0x10 }
        let corruptResult = try Run.logtool("verify", corrupt)
        #expect(corruptResult.status == 4)
        #expect(corruptResult.stderr.contains("corruption"))
        #expect(corruptResult.stderr.contains("offset"))
        #expect(corruptResult.stderr.contains(middle))

        // Gap: a middle segment deleted.
        let gap = dir.appending("gap")
        try copyLog(clean, to: gap)
        let missing = try #require(SegmentName(fileName: try Self.segments(gap)[1]))
        try FileManager.default.removeItem(atPath: gap + "/" + missing.fileName)
        let gapResult = try Run.logtool("verify", gap)
        #expect(gapResult.status == 5)
        #expect(gapResult.stderr.contains("segment 2 is missing"))
        // Located at the first missing sequence number.
        #expect(gapResult.stderr.contains("(file \(gap), segment 2, sequence \(missing.firstSequence))"), "\(gapResult.stderr)")

        // Not a log: wrong magic.
        let alien = dir.appending("alien")
        try copyLog(clean, to: alien)
        let first = alien + "/" + (try Self.segments(alien))[0]
        try modifyFile(first) { $0[0] = 0x41 }
        let alienResult = try Run.logtool("verify", alien)
        #expect(alienResult.status == 6)
        #expect(alienResult.stderr.contains("not a log: not a replication log segment (bad magic) (file \(first), segment 1, offset 0)"),
                "\(alienResult.stderr)")

        // No log: empty directory, missing directory, a plain file.
        let empty = dir.appending("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: false)
        for (path, reason) in [(empty, "no segment in the directory"), (dir.appending("missing"), "no such directory"),
                               (first, "not a directory")] {
            let result = try Run.logtool("verify", path)
            #expect(result.status == 7, "\(path)")
            #expect(result.stderr.contains("no log: \(reason) (file \(path))"), "\(result.stderr)")
        }

        // Usage.
        let noDirectory = try Run.logtool("verify")
        #expect(noDirectory.status == 64)
        #expect(noDirectory.stderr.contains("Missing expected argument '<directory>'"), "\(noDirectory.stderr)")
        let unknown = try Run.logtool("frobnicate", clean)
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("unexpected arguments: 'frobnicate'"), "\(unknown.stderr)")

        // --quiet prints nothing, whatever the outcome.
        let quiet = try Run.logtool("verify", "--quiet", corrupt)
        #expect(quiet.status == 4)
        #expect(quiet.stdout.isEmpty && quiet.stderr.isEmpty)
    }

    @Test func statJSONHasTheAgreedKeys() throws {
        let dir = TemporaryDirectory()
        let log = dir.appending("log")
        try Self.synth(log)
        let result = try Run.logtool("stat", "--json", log)
        #expect(result.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect((object["messages"] as? NSNumber)?.intValue == 3000)
        #expect((object["segments"] as? NSNumber)?.intValue == (try Self.segments(log)).count)
        let raw = try #require((object["raw_bytes"] as? NSNumber)?.intValue)
        let stored = try #require((object["stored_bytes"] as? NSNumber)?.intValue)
        let onDisk = try Self.segments(log).reduce(0) {
            $0 + (try FileManager.default.attributesOfItem(atPath: log + "/" + $1)[.size] as! Int)
        }
        #expect(stored == onDisk)
        #expect(raw > 0)
        let kinds = try #require(object["kinds"] as? [String: Any])
        #expect(kinds.values.reduce(0) { $0 + ($1 as! NSNumber).intValue } == 3000)
        #expect(object["status"] as? String == "clean end")
    }

    @Test func dumpFiltersAndRanges() throws {
        let dir = TemporaryDirectory()
        let log = dir.appending("log")
        try Self.synth(log)
        let expected = Array(SyntheticWorkload(pattern: .mixed, seed: 1, largePayloads: false).prefix(3000))

        let range = try Run.logtool("dump", "--from", "1000", "--to", "1009", log)
        #expect(range.status == 0)
        let lines = range.stdout.split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(lines.count == 10)
        for (line, message) in zip(lines, expected[999..<1009]) {
            let fields = "\(message.sequence) \(message.process):\(message.thread) \(message.kind) res=0x\(String(message.resource, radix: 16)) ret=\(message.result)"
            #expect(line.hasPrefix(fields), "\(line)")
        }

        let kind = expected[0].kind, process = expected[0].process
        let byKind = try Run.logtool("dump", "--kind", kind.description, "--pid", String(process), log)
        let printed = byKind.stdout.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { UInt64($0.prefix { $0 != " " }) }
        #expect(printed == expected.filter { $0.kind == kind && $0.process == process }.map(\.sequence))

        let headers = try Run.logtool("dump", "--headers", "--to", "1", log)
        #expect(headers.stdout.contains("# segment 1 "))
        #expect(headers.stdout.contains("# frame @1:"))

        let badRange = try Run.logtool("dump", "--from", "5", "--to", "4", log)
        #expect(badRange.status == 64)
        #expect(badRange.stderr.contains("--to 4 is before --from 5"), "\(badRange.stderr)")
        #expect(badRange.stdout.isEmpty)
    }

    /// `dump`'s filters on the golden log select exactly the lines of its recorded dump
    /// (fixtures/logs/golden-v1/messages.jsonl, written with `--json --preview 1000000`) that
    /// match them: no more, no fewer, byte for byte.
    @Test(arguments: [
        DumpFilter(),
        DumpFilter(from: 150, to: 420),
        DumpFilter(pids: [2]),
        DumpFilter(pids: [1, 3], tids: [0, 4]),
        DumpFilter(kinds: ["send", "read"]),
        DumpFilter(from: 300, pids: [4], kinds: ["mutex_trylock", "clock_gettime", "barrier_wait"]),
        DumpFilter(to: 10, tids: [5]),
    ])
    func dumpFiltersSelectExactlyTheMatchingMessages(filter: DumpFilter) throws {
        let golden = Repository.goldenV1
        let lines = String(decoding: try readFile(golden + "/messages.jsonl"), as: UTF8.self)
            .split(separator: "\n").map(String.init)
        let expected = try lines.filter { try filter.admits(line: $0) }
        try #require(expected.count > 1, "\(filter) selects too little to tell")
        try #require(expected.count < lines.count - 1 || filter.arguments.isEmpty, "\(filter) selects everything")
        for codec in ["lz4", "zstd"] {
            let result = try runProgram(Run.logtool, ["dump", golden + "/" + codec, "--json", "--preview", "1000000"] + filter.arguments)
            #expect(result.status == 0, "\(result.stderr)")
            // The fields dump added since the fixture was written (the names and meanings it
            // decodes) come last in each object: without them, every line is the fixture's.
            let withoutLaterFields = result.stdout.split(separator: "\n").map {
                String($0).replacing(/,"errno_name":"[^"]*"/, with: "").replacing(/,"decoded":"(?:[^"\\]|\\.)*"/, with: "")
            }
            #expect(withoutLaterFields == expected, "\(codec) \(filter.arguments)")
        }
    }

    /// The options of a `dump`, and which lines of a JSON dump they admit.
    struct DumpFilter: Sendable, CustomStringConvertible {
        var from: UInt64?
        var to: UInt64?
        var pids: [UInt32] = []
        var tids: [UInt32] = []
        var kinds: [String] = []

        var arguments: [String] {
            var arguments: [String] = []
            if let from { arguments += ["--from", String(from)] }
            if let to { arguments += ["--to", String(to)] }
            for pid in pids { arguments += ["--pid", String(pid)] }
            for tid in tids { arguments += ["--tid", String(tid)] }
            if !kinds.isEmpty { arguments += ["--kind", kinds.joined(separator: ",")] }
            return arguments
        }

        var description: String { arguments.joined(separator: " ") }

        /// A message line by its fields; the END line unless `--to` stops the dump before it.
        func admits(line: String) throws -> Bool {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            guard object["type"] as? String == "message" else { return to == nil }
            let seq = try #require((object["seq"] as? NSNumber)?.uint64Value)
            let pid = try #require((object["pid"] as? NSNumber)?.uint32Value)
            let tid = try #require((object["tid"] as? NSNumber)?.uint32Value)
            let kind = try #require(object["kind"] as? String)
            let inRange = seq >= (from ?? 1) && seq <= (to ?? .max)
            let ofProcess = pids.isEmpty || pids.contains(pid), ofThread = tids.isEmpty || tids.contains(tid)
            return inRange && ofProcess && ofThread && (kinds.isEmpty || kinds.contains(kind))
        }
    }

    @Test func dumpOfADamagedLogPrintsWhatPrecedesTheDamage() throws {
        let dir = TemporaryDirectory()
        let log = dir.appending("log")
        try Self.synth(log)
        let removed = try #require(SegmentName(fileName: try Self.segments(log)[3]))
        try FileManager.default.removeItem(atPath: log + "/" + removed.fileName)
        let result = try Run.logtool("dump", log)
        #expect(result.status == 5)
        #expect(result.stderr.contains("segment 4 is missing"))
        let printed = result.stdout.split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(UInt64(printed.count) == removed.firstSequence - 1)
        #expect(printed.last?.hasPrefix("\(removed.firstSequence - 1) ") == true)
    }
}
