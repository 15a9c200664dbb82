import Glibc
import SystemPackage

/// Walks a log directory's segments in order, frame by frame, checking the segment chain, and
/// decides what the end of the data means: a clean end, a log still open, a torn tail, or
/// corruption.
///
/// In ``Mode/offline`` the data present is all there is. In ``Mode/follow`` the log may still be
/// growing (written locally, over NFS, or copied by rsync): where the data ends or a frame is
/// not complete yet, the cursor answers ``Step/waiting`` and tries again on the next step,
/// re-opening files by name; it waits for the directory and its first segment to appear, and
/// moves to segment N+1 only after reading segment N's footer.
///
/// One thread walks a cursor; its state skips the run-time exclusivity checks.
public final class LogCursor {
    public enum Mode: Sendable { case offline, follow }

    /// How a log ended.
    public enum Outcome: Hashable, Sendable {
        /// The END record and the final footer were read.
        case cleanEnd(EndRecord)
        /// Everything present is valid, but there is no END record (yet).
        case stillOpen(lastSequence: UInt64)
    }

    public enum Step: Hashable {
        /// A frame was read.
        case progressed
        /// (Follow mode) no new data yet.
        case waiting
        /// The log ends here.
        case finished(Outcome)
    }

    public let directory: LogDirectory
    public let mode: Mode
    /// The recording header, once the first segment has been read.
    @exclusivity(unchecked) public private(set) var recording: RecordingHeader?

    private let startSequence: UInt64?
    @exclusivity(unchecked) private var scanner: SegmentScanner<SegmentFile>?
    private var recordingID: RecordingID?

    /// - Parameter sequence: start at the segment and indexed frame that hold this sequence
    ///   number (earlier messages of that frame are still visited; readers filter them).
    public init(directory: FilePath, mode: Mode = .offline, from sequence: UInt64? = nil) {
        self.directory = LogDirectory(directory)
        self.mode = mode
        self.startSequence = sequence
    }

    /// The sequence number the next message will carry.
    public var nextSequence: UInt64 { scanner?.nextSequence ?? startSequence ?? 1 }

    /// Where the cursor is: the current segment and the offset of its next frame.
    public var position: LogLocation {
        LogLocation(file: scanner?.source.name, segment: scanner?.name?.number, offset: scanner?.offset,
                    sequence: nextSequence)
    }

    /// Time the last frame read was written (ns since 1970), 0 before the first.
    public var lastFrameTime: UInt64 { scanner?.lastFrameTime ?? 0 }

    /// How far a follower is behind what has been written.
    public struct Lag: Hashable, Sendable {
        /// Bytes present in the current and later segments that the cursor has not read yet.
        public var bytes: Int
        /// Nanoseconds since the last frame read was written (0 before the first frame).
        public var sinceLastFrame: UInt64
    }

    /// How far behind the cursor is, as of now (looks at the directory and file sizes).
    public func lag() throws -> Lag {
        var bytes = 0
        if let scanner {
            bytes = max(0, scanner.source.size - scanner.offset)
            for later in try directory.segments() where later.number > (scanner.name?.number ?? .max) {
                var info = stat()
                if stat(directory.path(of: later).string, &info) == 0 { bytes += Int(info.st_size) }
            }
        }
        let last = lastFrameTime
        let now = SystemClock.realtimeNanoseconds()
        return Lag(bytes: bytes, sinceLastFrame: last == 0 || now < last ? 0 : now - last)
    }

    /// Reads the next frame, handing its content to `visitor`.
    public func step<Visitor: LogVisitor>(_ visitor: inout Visitor) throws -> Step {
        while true {
            guard let scanner else {
                guard try openFirstSegment(&visitor) else { return .waiting }
                continue
            }
            switch try scanner.step(&visitor) {
            case .frame:
                return .progressed
            case .sealed:
                if let end = scanner.end {
                    // Following too: nothing comes after an END record, so a later segment is damage.
                    if let extra = try successor(of: scanner, anyLater: true) {
                        throw LogError(.corruption, "segment \(extra) follows the END record",
                                       at: LogLocation(file: directory.path(of: extra).string, segment: extra.number))
                    }
                    return .finished(.cleanEnd(end))
                }
                if try openNextSegment(after: scanner, &visitor) { continue }
                if mode == .follow { return .waiting }
                return .finished(.stillOpen(lastSequence: scanner.nextSequence - 1))
            case .boundary:
                if mode == .follow {
                    if try scanner.source.refresh() { continue }
                    return .waiting
                }
                if let next = try successor(of: scanner, anyLater: true) {
                    throw LogError(.corruption, "segment is not sealed, yet segment \(next) follows it",
                                   at: scanner.location(scanner.offset, sequence: scanner.nextSequence))
                }
                if scanner.end != nil {
                    throw LogError(.tornTail, "the END record was written but the segment was not sealed",
                                   at: scanner.location(scanner.offset, sequence: scanner.nextSequence))
                }
                return .finished(.stillOpen(lastSequence: scanner.nextSequence - 1))
            case .incomplete(let offset):
                let problem = LogError(.tornTail, "the data ends inside a frame",
                                       at: scanner.location(offset, sequence: scanner.nextSequence))
                if try classifyDamage(problem, at: offset, in: scanner) { continue }
                return .waiting
            case .damaged(let problem):
                if try classifyDamage(problem, at: problem.location?.offset ?? scanner.offset, in: scanner) { continue }
                return .waiting
            }
        }
    }

    /// Damage or an incomplete frame at `offset`: corruption when anything follows it (intact
    /// frames, a seal, a later segment); otherwise a torn tail, which a follower
    /// waits on. Returns `true` when new data arrived and the step should be retried.
    private func classifyDamage(_ problem: LogError, at offset: Int, in scanner: SegmentScanner<SegmentFile>) throws -> Bool {
        var corruption = problem
        corruption.code = .corruption
        if let intact = try scanner.intactFrame(after: offset) {
            corruption.message += "; an intact frame follows at offset \(intact)"
            throw corruption
        }
        // A complete seal at the end means the writer finished this segment: the damage is not
        // an interrupted write. (Without one, even damage after the END record is a torn seal.)
        if try scanner.claimsSealed() {
            corruption.message += " in a sealed segment"
            throw corruption
        }
        if mode == .follow {
            return try scanner.source.refresh()
        }
        if let next = try successor(of: scanner, anyLater: true) {
            corruption.message += "; segment \(next) follows"
            throw corruption
        }
        var torn = problem
        torn.code = .tornTail
        throw torn
    }

    // MARK: Segments

    private func openFirstSegment<Visitor: LogVisitor>(_ visitor: inout Visitor) throws -> Bool {
        guard try directory.exists() else {
            if mode == .follow { return false }
            throw LogError(.noLog, "no such directory", at: LogLocation(file: directory.path.string))
        }
        let names = try directory.segments()
        guard let first = names.first else {
            if mode == .follow { return false }
            throw LogError(.noLog, "no segment in the directory", at: LogLocation(file: directory.path.string))
        }
        var chosen = first
        if let startSequence {
            chosen = names.last(where: { $0.firstSequence <= startSequence }) ?? first
        } else if first.number != 1 {
            throw LogError(.gap, "segment 1 is missing; the log starts at segment \(first.number)",
                           at: LogLocation(file: directory.path(of: first).string, segment: first.number))
        }
        let scanner = SegmentScanner(try SegmentFile(directory.path(of: chosen)), name: chosen)
        guard let header = try scanner.readHeader() else {
            if mode == .follow { return false }
            throw LogError(names.count > 1 ? .corruption : .tornTail, "the segment header is incomplete",
                           at: scanner.location(0))
        }
        if header.segmentNumber == 1 {
            guard let recording = header.recording else {
                throw LogError(.corruption, "the first segment has no recording header", at: scanner.location(0))
            }
            self.recording = recording
        }
        recordingID = header.recordingID
        visitor.segment(header, name: chosen, size: scanner.source.size)
        if let startSequence, let footer = try scanner.footerFromTrailer(),
           let entry = footer.index.last(where: { $0.sequence <= startSequence }) {
            scanner.resume(at: Int(entry.offset), sequence: entry.sequence)
        }
        self.scanner = scanner
        return true
    }

    /// Segment N+1 (or, with `anyLater`, any later segment) if present; a gap if N+1 is missing
    /// but a later one exists.
    private func successor(of scanner: SegmentScanner<SegmentFile>, anyLater: Bool = false) throws -> SegmentName? {
        guard let current = scanner.name else { return nil }
        let later = try directory.segments().filter { $0.number > current.number }
        guard let next = later.first else { return nil }
        if next.number != current.number + 1, !anyLater {
            throw LogError(.gap, "segment \(current.number + 1) is missing; \(next) follows segment \(current.number)",
                           at: LogLocation(file: directory.path.string, segment: current.number + 1,
                                           sequence: scanner.nextSequence))
        }
        return next
    }

    /// Moves to the segment after a sealed one, checking the chain. `false` when it is not there
    /// (yet).
    private func openNextSegment<Visitor: LogVisitor>(after current: SegmentScanner<SegmentFile>,
                                                      _ visitor: inout Visitor) throws -> Bool {
        guard let name = try successor(of: current) else { return false }
        if name.number != current.name!.number + 1 {
            throw LogError(.gap, "segment \(current.name!.number + 1) is missing; \(name) follows",
                           at: LogLocation(file: directory.path.string, segment: current.name!.number + 1,
                                           sequence: current.nextSequence))
        }
        let scanner = SegmentScanner(try SegmentFile(directory.path(of: name)), name: name)
        guard let header = try scanner.readHeader() else {
            if mode == .follow { return false }
            let followed = try directory.segments().contains { $0.number > name.number }
            throw LogError(followed ? .corruption : .tornTail, "the segment header is incomplete",
                           at: scanner.location(0))
        }
        let expectedLast = current.nextSequence - 1
        var broken: [String] = []
        if header.recordingID != recordingID { broken.append("recording id \(header.recordingID) differs") }
        if header.previousLastSequence != expectedLast || header.firstSequence != current.nextSequence {
            broken.append("it continues from sequence \(header.previousLastSequence), segment \(current.name!.number) ends at \(expectedLast)")
        }
        if header.previousSize != UInt64(current.source.size) {
            broken.append("it says its predecessor holds \(header.previousSize) bytes, segment \(current.name!.number) holds \(current.source.size)")
        }
        guard broken.isEmpty else {
            throw LogError(.gap, "broken segment chain: " + broken.joined(separator: "; "),
                           at: scanner.location(0, sequence: current.nextSequence))
        }
        visitor.segment(header, name: name, size: scanner.source.size)
        self.scanner = scanner
        return true
    }
}
