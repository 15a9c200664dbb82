// Throughput of the replication log: the writer on a lock-heavy stream of small messages, the
// bytes each message costs, and `logtool verify`'s reading speed beside `lz4 -t` and `zstd -t`
// on the same raw bytes. Prints numbers; asserts nothing.
import Foundation
import LogFormat
import SystemPackage

let arguments = CommandLine.arguments
func option(_ name: String, default value: String) -> String {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return value }
    return arguments[i + 1]
}

let messageCount = Int(option("--messages", default: "100000000"))!
let repetitions = Int(option("--repetitions", default: "3"))!
let scratch = option("--dir", default: FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory())
let logtool = option("--logtool", default: "")
let work = URL(fileURLWithPath: scratch).appendingPathComponent("replrec-bench-\(getpid())").path
try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: work) }

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func size(of directory: String) -> Int {
    (try? FileManager.default.contentsOfDirectory(atPath: directory))?.reduce(0) {
        $0 + ((try? FileManager.default.attributesOfItem(atPath: directory + "/" + $1)[.size] as? Int) ?? 0)
    } ?? 0
}

func fixed(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }

// One million lock messages, generated once and replayed with fresh sequence numbers, so that
// the writer's time is not the generator's.
let pattern = Array(SyntheticWorkload(pattern: .locks, seed: 42).prefix(1 << 20))

/// Writes `messageCount` lock messages; returns seconds taken and the writer's statistics.
func writeLockStream(codec: Codec, to directory: String) throws -> (Double, LogWriter.Statistics) {
    try? FileManager.default.removeItem(atPath: directory)
    let writer = try LogWriter(directory: FilePath(directory), recording: RecordingHeader(arguments: ["bench"]),
                               options: .init(codec: codec, durability: .none))
    let start = now()
    var sequence: UInt64 = 1
    while sequence <= UInt64(messageCount) {
        for m in pattern where sequence <= UInt64(messageCount) {
            try writer.append(sequence: sequence, process: m.process, thread: m.thread, kind: m.kind,
                              resource: m.resource, result: m.result, errno: m.errno)
            sequence += 1
        }
    }
    try writer.finish(exitStatus: 0)
    return (now() - start, writer.statistics)
}

/// Runs a command with its output discarded, returning its wall time, or nil if it failed.
/// (posix_spawn and waitpid: Foundation's Process.waitUntilExit polls, which would blur the times.)
func timeCommand(_ path: String, _ args: [String]) -> Double? {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let argv = ([path] + args).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let start = now()
    guard posix_spawn(&pid, path, &actions, nil, argv, environ) == 0 else { return nil }
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    let elapsed = now() - start
    return status == 0 ? elapsed : nil
}

func best(_ times: [Double?]) -> Double? { times.compactMap { $0 }.min() }

print("replrec log benchmark: \(messageCount) lock messages, best of \(repetitions), scratch \(scratch), CRC-32C \(CRC32C.isHardwareAccelerated ? "hardware" : "table")")
print("")
print("writer (lock-heavy stream, one thread)")
print("codec   messages/s      raw MB/s   stored MB/s   stored bytes/message")
var logs: [Codec: String] = [:]
for codec in [Codec.lz4, .zstd, .none] {
    let directory = work + "/\(codec)"
    var runs: [(Double, LogWriter.Statistics)] = []
    for _ in 0..<repetitions { runs.append(try writeLockStream(codec: codec, to: directory)) }
    let (seconds, stats) = runs.min { $0.0 < $1.0 }!
    logs[codec] = directory
    print("\(codec)".padding(toLength: 8, withPad: " ", startingAt: 0)
          + "\(fixed(Double(stats.messages) / seconds / 1e6, 2)) M".padding(toLength: 16, withPad: " ", startingAt: 0)
          + fixed(Double(stats.rawBytes) / seconds / 1e6).padding(toLength: 11, withPad: " ", startingAt: 0)
          + fixed(Double(stats.storedBytes) / seconds / 1e6).padding(toLength: 14, withPad: " ", startingAt: 0)
          + fixed(Double(stats.storedBytes) / Double(stats.messages), 3))
}

// The raw bytes: the uncompressed log (frames stored raw), compressed by the reference tools.
let rawFile = work + "/raw.bin"
_ = FileManager.default.createFile(atPath: rawFile, contents: nil)
let rawHandle = FileHandle(forWritingAtPath: rawFile)!
for name in try FileManager.default.contentsOfDirectory(atPath: logs[.none]!).sorted() {
    rawHandle.write(try Data(contentsOf: URL(fileURLWithPath: logs[.none]! + "/" + name)))
}
try rawHandle.close()
let rawSize = Double((try FileManager.default.attributesOfItem(atPath: rawFile)[.size] as? Int) ?? 0)
_ = timeCommand("/usr/bin/lz4", ["-1", "-q", "-f", rawFile, rawFile + ".lz4"])
_ = timeCommand("/usr/bin/zstd", ["-1", "-q", "-f", rawFile, "-o", rawFile + ".zst"])

print("")
print("reading (MB/s of stored bytes; verify decodes and checks every message)")
print("what                                  stored MB    seconds   stored MB/s   messages/s")
func row(_ what: String, storedBytes: Double, seconds: Double?) {
    guard let seconds else {
        print(what.padding(toLength: 38, withPad: " ", startingAt: 0) + "(not available)")
        return
    }
    print(what.padding(toLength: 38, withPad: " ", startingAt: 0)
          + fixed(storedBytes / 1e6, 2).padding(toLength: 13, withPad: " ", startingAt: 0)
          + fixed(seconds, 3).padding(toLength: 10, withPad: " ", startingAt: 0)
          + fixed(storedBytes / seconds / 1e6).padding(toLength: 14, withPad: " ", startingAt: 0)
          + "\(fixed(Double(messageCount) / seconds / 1e6, 1)) M")
}
for codec in [Codec.lz4, .zstd] {
    let directory = logs[codec]!
    let seconds = best((0..<repetitions).map { _ in
        let start = now()
        let summary = LogSummary.scan(directory: FilePath(directory))
        precondition(summary.problem == nil && summary.messages == UInt64(messageCount))
        return now() - start
    })
    row("LogSummary.scan (\(codec))", storedBytes: Double(size(of: directory)), seconds: seconds)
    if !logtool.isEmpty {
        row("logtool verify (\(codec))", storedBytes: Double(size(of: directory)),
            seconds: best((0..<repetitions).map { _ in timeCommand(logtool, ["verify", "--quiet", directory]) }))
    }
}
let lz4Size = Double((try? FileManager.default.attributesOfItem(atPath: rawFile + ".lz4")[.size] as? Int) ?? 0)
let zstdSize = Double((try? FileManager.default.attributesOfItem(atPath: rawFile + ".zst")[.size] as? Int) ?? 0)
row("lz4 -t (same raw bytes, lz4 -1)", storedBytes: lz4Size,
    seconds: best((0..<repetitions).map { _ in timeCommand("/usr/bin/lz4", ["-t", "-q", rawFile + ".lz4"]) }))
row("zstd -t (same raw bytes, zstd -1)", storedBytes: zstdSize,
    seconds: best((0..<repetitions).map { _ in timeCommand("/usr/bin/zstd", ["-t", "-q", rawFile + ".zst"]) }))
print("")
print("raw log (frames stored uncompressed): \(fixed(rawSize / 1e6, 2)) MB, \(fixed(rawSize / Double(messageCount), 3)) bytes per message")
