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
        try FileManager.default.removeItem(atPath: gap + "/" + (try Self.segments(gap))[1])
        let gapResult = try Run.logtool("verify", gap)
        #expect(gapResult.status == 5)
        #expect(gapResult.stderr.contains("segment 2 is missing"))

        // Not a log: wrong magic.
        let alien = dir.appending("alien")
        try copyLog(clean, to: alien)
        let first = alien + "/" + (try Self.segments(alien))[0]
        try modifyFile(first) { $0[0] = 0x41 }
        #expect(try Run.logtool("verify", alien).status == 6)

        // No log: empty directory, missing directory, a plain file.
        let empty = dir.appending("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: false)
        #expect(try Run.logtool("verify", empty).status == 7)
        #expect(try Run.logtool("verify", dir.appending("missing")).status == 7)
        #expect(try Run.logtool("verify", first).status == 7)

        // Usage.
        #expect(try Run.logtool("verify").status == 64)
        #expect(try Run.logtool("frobnicate", clean).status == 64)

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
        #expect(lines.first?.hasPrefix("1000 \(expected[999].process):\(expected[999].thread) \(expected[999].kind) ") == true)

        let kind = expected[0].kind
        let byKind = try Run.logtool("dump", "--json", "--kind", kind.description, "--pid", String(expected[0].process), log)
        let objects = byKind.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.filter { $0["type"] as? String == "message" }
        #expect(objects.count == expected.filter { $0.kind == kind && $0.process == expected[0].process }.count)
        #expect(objects.allSatisfy { $0["kind"] as? String == kind.description })

        let headers = try Run.logtool("dump", "--headers", "--to", "1", log)
        #expect(headers.stdout.contains("# segment 1 "))
        #expect(headers.stdout.contains("# frame @1:"))

        let badRange = try Run.logtool("dump", "--from", "5", "--to", "4", log)
        #expect(badRange.status == 64)
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
