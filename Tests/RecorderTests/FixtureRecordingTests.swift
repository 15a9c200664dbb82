import Foundation
import TestSupport
import LogFormat
import Testing

/// Every fixture records: the exit status passes through, the log verifies clean, it holds the
/// kinds of calls the program makes under plausible logical ids, and the program's output keeps
/// what does not depend on the run (the rest differs natively from run to run anyway).
@Suite struct FixtureRecordingTests {
    typealias Case = FixtureExpectation

    /// Every fixture program that states what it shows (fixtures/programs/*.c).
    static let cases = FixtureExpectation.all

    @Test func everyFixtureProgramIsACase() {
        // A fixture whose expectation lines were mistyped would silently drop out of the tests.
        #expect(Self.cases.count >= 15, "\(Self.cases.map(\.name))")
        for name in ["mutex_race", "lock_variants", "fd_variants", "process_variants", "signals"] {
            #expect(Self.cases.contains { $0.name == name }, "\(name) is not a fixture case")
        }
    }

    @Test(arguments: cases)
    func fixtureRecords(_ fixture: Case) throws {
        let program = try fixture.program()
        let native = try Recording.run(program, [])
        #expect(native.status == fixture.exitStatus, "native \(fixture.name): \(native.stderr)")

        let dir = TemporaryDirectory()
        let (recorded, log) = try Recording.record([program], in: dir)
        #expect(recorded.status == fixture.exitStatus, "recorded \(fixture.name): \(recorded.stderr)")
        for line in fixture.stableLines {
            #expect(native.stdout.contains(line), "native \(fixture.name) lacks '\(line)'")
            #expect(recorded.stdout.contains(line), "recorded \(fixture.name) lacks '\(line)': \(recorded.stdout)")
        }
        #expect(Case.shape(recorded.stdout) == Case.shape(native.stdout), "\(fixture.name): recorded \(recorded.stdout), native \(native.stdout)")
        #expect(recorded.stderr.hasPrefix("replrec: ") && recorded.stderr.contains(" messages, "))

        let summary = LogSummary.scan(directory: .init(log))
        #expect(summary.problem == nil, "\(String(describing: summary.problem))")
        #expect(summary.outcome == .cleanEnd(EndRecord(lastSequence: summary.lastSequence ?? 0, exitStatus: fixture.exitStatus)))

        let contents = try LogContents(log)
        for kind in fixture.kinds {
            #expect(contents.kinds.contains(kind), "\(fixture.name): no \(kind) in the log")
        }
        #expect(contents.processes.count == fixture.processes, "\(fixture.name): processes \(contents.processes)")
        #expect(contents.threads.count >= fixture.minimumThreads, "\(fixture.name): threads \(contents.threads)")
        #expect(contents.processes.contains(0), "the root process is logical process 0")
        // Logical ids come from sequence numbers (R3): every id other than 0 names an earlier
        // fork, thread creation, or the thread_start of a thread started behind the layer.
        let creations = Dictionary(uniqueKeysWithValues: contents.messages.filter { [.fork, .threadCreate, .threadStart].contains($0.kind) }
            .map { ($0.sequence, $0.kind) })
        for message in contents.messages {
            if message.process != 0 { #expect(creations[UInt64(message.process)] == .fork, "process \(message.process)") }
            if message.thread != 0 {
                #expect([.threadCreate, .threadStart].contains(creations[UInt64(message.thread)]), "thread \(message.thread)")
            }
        }
        #expect(contents.recording?.arguments == [program])
        #expect(contents.recording?.environment.contains { $0.hasPrefix("REPLREC_") } == false)
    }

    @Test func theProgramSeesItsOwnEnvironment() throws {
        let program = try Recording.fixture("exec_chain")
        let dir = TemporaryDirectory()
        let (recorded, _) = try Recording.record([program], in: dir)
        // Stage 2 runs with the empty environment stage 1 gave it: the layer's variables are hidden.
        #expect(recorded.stdout.contains("stage 2 (environment entries: 0)"), "\(recorded.stdout)")
    }
}
