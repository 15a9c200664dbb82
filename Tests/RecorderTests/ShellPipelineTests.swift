import Foundation
import LogFormat
import Testing
import TestSupport

/// bash pipelines of coreutils and background jobs, recorded and replayed twice: the output and
/// the status are the recorded ones. Writers that write through stdio (seq, echo in a subshell)
/// fill pipes that nobody reads at replay; writers killed by SIGPIPE at record die at the same
/// point of the replay; SIGCHLD runs bash's handler where it ran on the primary.
@Suite struct ShellPipelineTests {
    static let scripts = [
        "seq 1 100000 | sort -R | md5sum",
        "yes | head -3; echo \"statuses ${PIPESTATUS[*]}\"",
        "seq 1 10000000 | head -2; echo \"statuses ${PIPESTATUS[*]}\"",
        "for i in $(seq 30000); do echo $i; done | sort -n | tail -1",
        "echo $RANDOM$RANDOM | tr 0-9 a-j; od -An -N8 -tx8 /dev/urandom",
        // A SIGCHLD that arrives while bash is inside a call replays as that call ends.
        "echo $RANDOM; (sleep 0.01; echo child) & wait; od -An -N8 -tx8 /dev/urandom",
        // Several SIGCHLDs, some coalesced, each where bash unblocked it on the primary.
        "for i in 1 2 3 4 5 6; do (echo $i $RANDOM) & done; wait; echo done",
        "trap 'echo trapped; exit 0' TERM; (sleep 0.05; kill -TERM $$) & for i in $(seq 1 100); do sleep 0.01; done",
    ]

    @Test(arguments: scripts)
    func aPipelineReplaysExactly(_ script: String) throws {
        let dir = TemporaryDirectory()
        // Through `unblocked`: the test runner's threads block SIGPIPE, and children inherit that.
        let (recorded, log) = try Recording.record([try Recording.fixture("unblocked"), "/bin/bash", "-c", script], in: dir)
        #expect(recorded.status == 0, "\(recorded.stderr)")
        #expect(!recorded.stdout.isEmpty)
        for run in 1...2 {
            let replayed = try runProgram(Recording.replplay, ["-q", "--watchdog", "5", log])
            #expect(replayed.status == 0, "replay \(run) of \(script): \(replayed.stderr)")
            #expect(replayed.stdout == recorded.stdout, "replay \(run) of \(script)")
        }
    }
}
