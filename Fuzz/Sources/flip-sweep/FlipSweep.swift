// Flips bits of every byte of every segment of a log, one flip at a time, and reads the damaged
// log as every tool does (LogSummary.scan, what `logtool verify` prints). Each flip must be
// caught, classified as damage (corruption, not a log, an unsupported version; a torn tail only
// in the newest segment's last frame, where a flip looks exactly like an interrupted seal), and
// located in the flipped file at or before the flipped byte. Prints the counts; exits 1 if any
// flip went unnoticed or misplaced.
import ArgumentParser
import Glibc
import LogFormat
import SystemPackage

@main
struct FlipSweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flip-sweep", abstract: "Flip every bit of a log, one at a time, and count what the reader catches.")

    @Flag(help: "Flip one bit per byte (bit = offset mod 8) instead of all eight.")
    var oneBitPerByte = false

    @Argument(help: "A log directory; it is restored after each flip.")
    var directory: String

    struct Visitor: LogVisitor {
        var lastFrame: [String: Int] = [:]
        mutating func frame(_ header: FrameHeader, offset: Int, segment: SegmentName) {
            lastFrame[segment.fileName] = offset
        }
    }

    func run() throws {
        let log = FilePath(directory)
        let segments = try LogDirectory(log).segments()
        let cursor = LogCursor(directory: log)
        var frames = Visitor()
        while case .progressed = try cursor.step(&frames) {}
        var tried = 0, caught = 0, missed: [String] = [], misplaced: [String] = []
        var codes: [String: Int] = [:]
        for segment in segments {
            let path = LogDirectory(log).path(of: segment).string
            let original = try Self.read(path)
            let lastFrame = frames.lastFrame[segment.fileName] ?? 0
            for offset in original.indices {
                for bit in oneBitPerByte ? [offset % 8] : Array(0..<8) {
                    var damaged = original
                    damaged[offset] ^= UInt8(1 << bit)
                    try Self.write(damaged, to: path)
                    tried += 1
                    let place = "\(segment.fileName):\(offset) bit \(bit)"
                    guard let problem = LogSummary.scan(directory: log).problem else { missed.append(place); continue }
                    var allowed: Set<LogError.Code> = [.corruption, .notALog, .unsupportedVersion]
                    if segment == segments.last && offset >= lastFrame { allowed.insert(.tornTail) }
                    guard allowed.contains(problem.code), problem.location?.file == path,
                          (problem.location?.offset ?? .max) <= offset else {
                        misplaced.append("\(place): \(problem)")
                        continue
                    }
                    caught += 1
                    codes["\(problem.code)", default: 0] += 1
                }
            }
            try Self.write(original, to: path)
        }
        print("flip-sweep: \(tried) flips in \(segments.count) segments of \(directory)")
        print("  \(caught) caught, classified and located (\(codes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))")
        print("  \(missed.count) missed, \(misplaced.count) misclassified or misplaced")
        for line in (missed + misplaced).prefix(20) { print("    \(line)") }
        if !missed.isEmpty || !misplaced.isEmpty { throw ExitCode(1) }
    }

    static func read(_ path: String) throws -> [UInt8] {
        let fd = try FileDescriptor.open(FilePath(path), .readOnly)
        defer { try? fd.close() }
        let size = Int(try fd.seek(offset: 0, from: .end))
        return try [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            count = try fd.read(fromAbsoluteOffset: 0, into: UnsafeMutableRawBufferPointer(buffer))
        }
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        let fd = try FileDescriptor.open(FilePath(path), .writeOnly, options: .truncate)
        defer { try? fd.close() }
        _ = try bytes.withUnsafeBytes { try fd.writeAll($0) }
    }
}
