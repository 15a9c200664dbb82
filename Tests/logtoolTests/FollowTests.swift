import Foundation
import TestSupport
import LogFormat
import Testing

/// A follower reads a log while another process writes it (directly, or through a copy that
/// rsync refreshes in a loop): every message arrives once, in order, and the END record ends it.
@Suite(.serialized) struct FollowTests {
    static let count = 20_000
    static let expected = Array(SyntheticWorkload(pattern: .mixed, seed: 7, largePayloads: true).prefix(count))
    static let synthTemplate = "\"$LOGTOOL\" synth SRC --messages \(count) --pattern mixed --seed 7 --rate RATE --segment-size 262144 --frame-size 8192 --exit-status 3"
    static let synth = synthTemplate.replacingOccurrences(of: "RATE", with: "40000")
    /// Slower for rsync, so that the loop copies the log many times while it grows.
    static let slowSynth = synthTemplate.replacingOccurrences(of: "RATE", with: "10000")

    @Test func followsAWriterInAnotherProcess() throws {
        let dir = TemporaryDirectory()
        let log = dir.appending("log")
        // The follower starts before the directory exists.
        let writer = try Run.background("sleep 0.2; " + Self.synth.replacingOccurrences(of: "SRC", with: log))
        let followed = try LogContents.following(log)
        let (messages, outcome) = (followed.messages, followed.outcome)
        writer.waitUntilExit()
        #expect(writer.terminationStatus == 0)
        #expect(outcome == .cleanEnd(EndRecord(lastSequence: UInt64(Self.count), exitStatus: 3)))
        #expect(messages.count == Self.count)
        #expect(messages == Self.expected)
    }

    @Test(arguments: ["", "--append-verify"])
    func followsACopyRefreshedByRsync(mode: String) throws {
        let dir = TemporaryDirectory()
        let source = dir.appending("primary"), copy = dir.appending("backup")
        let script = """
            \(Self.slowSynth.replacingOccurrences(of: "SRC", with: source)) & writer=$!
            until [ -d \(source) ]; do sleep 0.005; done
            while kill -0 $writer 2>/dev/null; do rsync -a \(mode) \(source)/ \(copy)/ || exit 1; sleep 0.02; done
            wait $writer || exit 2
            rsync -a \(mode) \(source)/ \(copy)/
            """
        let loop = try Run.background(script)
        let followed = try LogContents.following(copy)
        let (messages, outcome) = (followed.messages, followed.outcome)
        loop.waitUntilExit()
        #expect(loop.terminationStatus == 0)
        #expect(outcome == .cleanEnd(EndRecord(lastSequence: UInt64(Self.count), exitStatus: 3)))
        #expect(messages.count == Self.count)
        #expect(messages == Self.expected)
        let segments = try LogDirectory(.init(copy)).segments()
        #expect(segments.count > 3, "the copy should span several segments")
    }

    @Test func dumpFollowPrintsWhatOfflineDumpPrints() throws {
        let dir = TemporaryDirectory()
        let log = dir.appending("log")
        let writer = try Run.background(Self.synth.replacingOccurrences(of: "SRC", with: log)
            .replacingOccurrences(of: "--messages \(Self.count)", with: "--messages 5000"))
        let followed = try Run.logtool("dump", "--follow", "--json", log)
        writer.waitUntilExit()
        let offline = try Run.logtool("dump", "--json", log)
        #expect(followed.status == 0)
        #expect(offline.status == 0)
        #expect(followed.stdout.split(separator: "\n").count == 5001)  // messages and the END line
        #expect(followed.stdout == offline.stdout)
    }
}
