// A mutation fuzzer over replplay's path from a log to the program: each run takes a recorded
// seed log, applies one to three mutations that keep it well-formed (so that the checksums do not
// stop it at the decoder), writes it as a new log and replays it with the real replplay, the real
// layer and the real program. Every outcome must be a matching replay or a refusal (120, 121)
// that names where; a crash, a hang or a process left behind is a failure, kept under
// Fuzz/crashes/ with the mutations that made it.
import ArgumentParser
import CFuzzShims
import Glibc
import LogFormat

@main
struct ReplayFuzz: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay-fuzz",
        abstract: "Replay mutated logs through replplay and count what happens.")

    @Option(help: "The replplay to run.")
    var replplay: String

    @Option(help: "A scratch directory for the mutated logs.")
    var work: String

    @Option(help: "Where failing logs are kept.")
    var crashes: String

    @Option(help: "How many mutated logs to replay.")
    var runs = 200

    @Option(help: "The generator's seed: the same seed and seed logs make the same mutants.")
    var seed: UInt64 = 1

    @Option(help: "Seconds before a replay counts as hung.")
    var deadline: Double = 60

    @Argument(help: "Seed log directories, each recorded to its END.")
    var seeds: [String]

    func validate() throws {
        if runs < 1 { throw ValidationError("--runs must be at least 1") }
        if seeds.isEmpty { throw ValidationError("give at least one seed log") }
    }

    func run() throws {
        fuzz_line_buffered_output()
        guard fuzz_become_subreaper() == 0 else { throw ValidationError("prctl(PR_SET_CHILD_SUBREAPER) failed") }
        let logs = try seeds.map(Seed.init(directory:))
        var rng = SplitMix64(seed: seed)
        var tally: [String: Int] = [:]
        var failures = 0
        mkdir(work, 0o755)
        mkdir(crashes, 0o755)
        for run in 1...runs {
            var mutant = logs[run % logs.count]
            let changes = (0..<Int.random(in: 1...3, using: &rng)).map { _ in
                Mutation.allCases.randomElement(using: &rng)!.apply(to: &mutant, using: &rng)
            }
            let log = "\(work)/mutant-\(run)"
            _ = try? Files.remove(log)
            try mutant.write(to: log)
            let trial = Trial(replplay: replplay, log: log, stateDirectory: work + "/state",
                              deadline: deadline, recordedStatus: mutant.end.exitStatus)
            let (outcome, stderr) = trial.run()
            tally[Self.bucket(outcome), default: 0] += 1
            if outcome.isFailure {
                failures += 1
                let kept = "\(crashes)/replay-\(seed)-\(run)"
                rename(log, kept)
                let note = "seed log: \(mutant.name)\n" + changes.joined(separator: "\n") + "\n\(outcome)\n--- replplay's stderr\n\(stderr)"
                try Files.write(note, to: kept + "/MUTATIONS.txt")
                print("run \(run): \(outcome) (\(mutant.name): \(changes.joined(separator: "; "))); kept in \(kept)")
            } else {
                if case .refusedWithoutPlace = outcome {
                    print("run \(run): \(outcome) (\(mutant.name): \(changes.joined(separator: "; "))): \(stderr.split(separator: "\n").last ?? "")")
                }
                _ = try? Files.remove(log)
                unlink(log + ".stderr")
            }
            if run % 50 == 0 { print("... \(run) runs, \(failures) failures") }
        }
        print("replay-fuzz: \(runs) mutated logs from \(logs.count) seeds (seed \(seed))")
        for (bucket, count) in tally.sorted(by: { $0.value > $1.value }) {
            print("  \(count)\t\(bucket)")
        }
        if failures > 0 { throw ExitCode(1) }
    }

    private static func bucket(_ outcome: Trial.Outcome) -> String {
        switch outcome {
        case .crashed: "crashed"
        case .leftBehind: "left processes behind"
        default: outcome.description
        }
    }
}
