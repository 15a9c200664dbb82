import Foundation
import TestSupport
import LogFormat
import Testing

/// Every fixture records: the exit status passes through, the log verifies clean, it holds the
/// kinds of calls the program makes under plausible logical ids, and the program's output keeps
/// what does not depend on the run (the rest differs natively from run to run anyway).
@Suite struct FixtureRecordingTests {
    struct Case: Sendable, CustomStringConvertible, Hashable {
        var name: String
        var exitStatus: Int32
        /// Output lines that are the same in every run.
        var stableLines: [String]
        var kinds: [MessageKind]
        var processes: Int
        var minimumThreads: Int
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "mutex_race", exitStatus: 0, stableLines: [], kinds: [.mutexLock, .threadCreate, .threadJoin, .barrierWait],
             processes: 1, minimumThreads: 5),
        Case(name: "prodcons", exitStatus: 0, stableLines: ["items 20000 sum 200010000"],
             kinds: [.mutexLock, .condWait, .clockGettime, .threadCreate, .threadJoin], processes: 1, minimumThreads: 5),
        Case(name: "clocks_random", exitStatus: 0, stableLines: [],
             kinds: [.clockGettime, .gettimeofday, .time, .getrandom, .getentropy, .read, .arc4random],
             processes: 1, minimumThreads: 1),
        Case(name: "fork_workers", exitStatus: 3, stableLines: ["all 4 workers reaped"],
             kinds: [.fork, .wait, .read, .write, .clockGettime, .getpid, .exit], processes: 5, minimumThreads: 5),
        Case(name: "sem_rwlock", exitStatus: 0, stableLines: ["rounds 5000 total 5000 spins 5000"],
             kinds: [.semWait, .semPost, .semTrywait, .rwlockRead, .rwlockWrite, .spinLock], processes: 1, minimumThreads: 4),
        Case(name: "tcp_echo", exitStatus: 0, stableLines: ["connections 3 echoed 600 of 600 bytes 12270"],
             kinds: [.accept, .connect, .epollWait, .read, .write, .send, .recv], processes: 1, minimumThreads: 4),
        Case(name: "old_condvar", exitStatus: 0, stableLines: ["old condition variables work"],
             kinds: [.condTimedwait, .mutexLock, .threadCreate], processes: 1, minimumThreads: 2),
        Case(name: "exec_chain", exitStatus: 7,
             stableLines: ["stage 3 from the shell", "system returned 0"],
             kinds: [.getrandom, .exec, .fork, .wait], processes: 2, minimumThreads: 2),
        Case(name: "stdio_input", exitStatus: 0, stableLines: [],
             kinds: [.open, .read, .close, .pipe, .fork, .wait], processes: 2, minimumThreads: 2),
        Case(name: "hidden_threads", exitStatus: 0, stableLines: [],
             kinds: [.threadStart, .mutexLock, .barrierWait, .threadJoin], processes: 1, minimumThreads: 4),
        Case(name: "fd_churn", exitStatus: 0, stableLines: ["wrong reads 0 "],
             kinds: [.open, .close, .threadCreate, .threadJoin], processes: 1, minimumThreads: 5),
        Case(name: "signals", exitStatus: 0, stableLines: [],
             kinds: [.signal, .poll, .getpid, .threadJoin], processes: 1, minimumThreads: 2),
    ]

    @Test(arguments: cases)
    func fixtureRecords(_ fixture: Case) throws {
        let program = try Recording.fixture(fixture.name)
        let native = try Recording.run(program, [])
        #expect(native.status == fixture.exitStatus, "native \(fixture.name): \(native.stderr)")

        let dir = TemporaryDirectory()
        let (recorded, log) = try Recording.record([program], in: dir)
        #expect(recorded.status == fixture.exitStatus, "recorded \(fixture.name): \(recorded.stderr)")
        for line in fixture.stableLines {
            #expect(native.stdout.contains(line), "native \(fixture.name) lacks '\(line)'")
            #expect(recorded.stdout.contains(line), "recorded \(fixture.name) lacks '\(line)': \(recorded.stdout)")
        }
        #expect(recorded.stdout.split(separator: "\n").count == native.stdout.split(separator: "\n").count)
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
