import ArgumentParser
import CommandLineSupport
import Glibc
import LogFormat
import SystemPackage

struct Synth: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a synthetic log, to try out a standby setup or to benchmark.",
        discussion: """
            The same pattern and seed always give the same messages, so a copy read elsewhere can be
            compared with `logtool dump` output. With --rate the log grows over time like a live
            recording, flushed at least every millisecond.
            """)

    @Argument(help: "The log directory to create.")
    var directory: String

    @Option(help: "Number of messages.")
    var messages: UInt64 = 100_000

    @Option(help: "locks (lock-heavy, no payloads) or mixed (every field and payload size).")
    var pattern = SyntheticWorkload.Pattern.mixed

    @Option(help: "Seed of the message stream.")
    var seed: UInt64 = 1

    @Option(help: "lz4, zstd or none.")
    var codec = CodecOption.lz4

    @Option(help: "Segment size in bytes.")
    var segmentSize: Int = 64 << 20

    @Option(help: "Frame size (raw bytes) in bytes.")
    var frameSize: Int = 64 << 10

    @Option(help: "Messages per second (0: as fast as possible).")
    var rate: Double = 0

    @Flag(help: "Keep payloads under 20 KB (the mixed pattern otherwise has some of up to 300 KB).")
    var smallPayloads = false

    @Option(help: "Exit status for the END record.")
    var exitStatus: Int32 = 0

    @Flag(help: "Leave the log open: no END record.")
    var noEnd = false

    @Flag(name: .shortAndLong, help: "No progress line on a terminal.")
    var quiet = false

    func validate() throws {
        guard rate >= 0 else { throw ValidationError("--rate must not be negative") }
    }

    func run() throws {
        let options = LogWriter.Options(codec: codec.codec, segmentSize: segmentSize, frameSize: frameSize,
                                        durability: .none)
        let recording = RecordingHeader(arguments: ["logtool", "synth", pattern.rawValue, "--seed", String(seed)],
                                        workingDirectory: "/", hostName: CurrentProcess.hostName, startTime: UInt64(time(nil)) * 1_000_000_000)
        do {
            let writer = try LogWriter(directory: FilePath(directory), recording: recording, options: options)
            var workload = SyntheticWorkload(pattern: pattern, seed: seed,
                                             largePayloads: !smallPayloads)
            let start = SystemClock.monotonicSeconds()
            var sequence: UInt64 = 0
            let progress = quiet ? nil : StatusLine.forProgress(sharedWithProgram: false)
            defer { progress?.clear() }
            while sequence < messages {
                sequence += 1
                try writer.append(workload.next()!)
                if sequence & 4095 == 0 {
                    progress?.show("synth: \(sequence) of \(messages) messages, \(NumberFormat.bytes(writer.statistics.storedBytes))")
                }
                guard rate > 0 else { continue }
                let due = start + Double(sequence) / rate
                let now = SystemClock.monotonicSeconds()
                if due > now {
                    try writer.flush()
                    usleep(UInt32(min(due - now, 0.001) * 1e6))
                }
            }
            if noEnd { try writer.close() } else { try writer.finish(exitStatus: exitStatus) }
        } catch let error as LogError {
            throw error.reported()
        }
    }
}
