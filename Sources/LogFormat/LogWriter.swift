import Glibc
import SystemPackage

/// Appends messages to a log directory: frames them, compresses them, checksums them, rolls and
/// seals segments, and writes the END record.
///
/// Messages must arrive in sequence order, starting at 1, without gaps. Bytes once written are
/// never rewritten, so a copy kept with `rsync --append-verify` stays valid. Not thread-safe:
/// one writer, one thread (the recorder's drain loop).
///
/// Its mutable state is `@exclusivity(unchecked)`: one thread uses it, and the run-time checks
/// cost the recorder a third of its time per message.
public final class LogWriter {
    public let directory: LogDirectory
    public let recordingID: RecordingID
    public let options: Options
    @exclusivity(unchecked) public private(set) var statistics = Statistics()
    /// The sequence number the next message must carry.
    @exclusivity(unchecked) public private(set) var nextSequence: UInt64 = 1

    /// The last sequence number whose message is in the segment file (0: none yet); the
    /// messages after it wait in the pending frame.
    public var writtenThrough: UInt64 { frameMessages > 0 ? frameFirstSequence - 1 : nextSequence - 1 }

    private let recording: RecordingHeader
    @exclusivity(unchecked) private var file: FileDescriptor?
    /// The directory's lock (LogDirectory.createForWriting), held while the writer is open.
    private var lock: FileDescriptor?
    @exclusivity(unchecked) private var segment: SegmentName
    @exclusivity(unchecked) private var segmentState = SegmentState()

    // The messages frame being filled.
    private let raw: UnsafeMutableRawBufferPointer
    @exclusivity(unchecked) private var rawCount = 0
    @exclusivity(unchecked) private var frameFirstSequence: UInt64 = 1
    @exclusivity(unchecked) private var frameMessages: UInt32 = 0
    @exclusivity(unchecked) private var frameStartTime: UInt64 = 0
    /// When the last frame was written (monotonic ns), for heartbeats.
    @exclusivity(unchecked) private var lastFrameTime = SystemClock.monotonicNanoseconds()
    @exclusivity(unchecked) private var encoder = MessageEncoder()

    // One output buffer for a frame's header and stored payload, so a frame is one write().
    private let output: UnsafeMutableRawBufferPointer
    // Payload pieces on their way into a payload frame or an inline payload.
    private let chunk: UnsafeMutableRawBufferPointer
    private let zstd = ZstdContexts()
    @exclusivity(unchecked) private var lastSync = SystemClock.monotonicNanoseconds()
    /// The directory's device and inode when the log was made (checkInPlace).
    private var directoryIdentity: (device: UInt64, inode: UInt64)?

    private struct SegmentState {
        var size = 0
        var messages: UInt64 = 0
        var frames: UInt32 = 0
        var rawBytes: UInt64 = 0
        var index: [SegmentFooter.IndexEntry] = []
        var lastIndexedOffset: Int?
    }

    /// Creates the log directory (0700; an existing empty one is accepted, and with `replacing`
    /// one whose segments are removed first), locks it against other writers, and writes its
    /// first segment.
    public init(directory path: FilePath, recording: RecordingHeader, options: Options = Options(),
                recordingID: RecordingID = .random(), replacing: Bool = false) throws {
        self.options = try options.validated()
        self.directory = LogDirectory(path)
        var recording = recording
        recording.heartbeatInterval = self.options.heartbeatInterval.map(SystemClock.nanoseconds) ?? 0
        self.recording = recording
        self.recordingID = recordingID
        self.segment = SegmentName(number: 1, firstSequence: 1)
        let rawCapacity = self.options.frameSize + MessageEncoding.maxEncodedHeader + self.options.inlinePayloadLimit
        raw = .allocate(byteCount: rawCapacity, alignment: 16)
        output = .allocate(byteCount: FrameHeader.size + max(
            Codec.lz4.compressBound(rawCapacity), Codec.zstd.compressBound(rawCapacity), rawCapacity),
            alignment: 16)
        chunk = .allocate(byteCount: self.options.frameSize, alignment: 16)
        lock = try directory.createForWriting(replacing: replacing)
        directoryIdentity = Self.identity(of: path.string)
        try openSegment(SegmentHeader(recordingID: recordingID, segmentNumber: 1, codec: self.options.codec,
                                      firstSequence: 1, recording: recording))
    }

    private static func identity(of path: String) -> (device: UInt64, inode: UInt64)? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return (UInt64(info.st_dev), UInt64(info.st_ino))
    }

    /// Throws when what is being written is no longer where readers look for it: the segment
    /// file was unlinked (the directory deleted), or the directory's path now names another
    /// directory or nothing (renamed, replaced). Writes into such a file succeed and are lost,
    /// so the recorder checks this about once a second.
    public func checkInPlace() throws {
        guard let file else { return }
        var info = stat()
        let location = LogLocation(file: currentPath, segment: segment.number, offset: segmentState.size)
        if fstat(file.rawValue, &info) == 0 && info.st_nlink == 0 {
            throw LogError(.io, "the segment file was removed (the log directory deleted?): what is written now is lost",
                           at: location)
        }
        if let directoryIdentity, let now = Self.identity(of: directory.path.string), now == directoryIdentity { return }
        throw LogError(.io, "the log directory \(directory.path.string) was renamed, removed or replaced: what is written now is lost",
                       at: location)
    }

    deinit {
        if let file { try? file.close() }
        if let lock { try? lock.close() }
        raw.deallocate()
        output.deallocate()
        chunk.deallocate()
    }

    /// Appends one message; its sequence number must be ``nextSequence``.
    public func append(_ message: Message) throws {
        try message.payload.withUnsafeBytes { payload in
            try append(sequence: message.sequence, process: message.process, thread: message.thread,
                       kind: message.kind, resource: message.resource, result: message.result,
                       errno: message.errno, payload: payload)
        }
    }

    /// Appends one message from its fields, reading the payload in place (no copy before
    /// compression).
    public func append(sequence: UInt64, process: UInt32, thread: UInt32, kind: MessageKind,
                       resource: UInt64, result: Int64, errno: Int32,
                       payload: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)) throws {
        guard payload.count > options.inlinePayloadLimit else {
            try checkNext(sequence)
            try encode(CallSite(process: process, thread: thread, kind: kind.rawValue, resource: resource),
                       sequence: sequence, result: result, errno: errno, payloadSize: payload.count, inline: payload)
            return
        }
        var offset = 0
        try append(sequence: sequence, process: process, thread: thread, kind: kind, resource: resource,
                   result: result, errno: errno, payloadSize: payload.count) { chunk in
            chunk.copyMemory(from: UnsafeRawBufferPointer(rebasing: payload[offset..<offset + chunk.count]))
            offset += chunk.count
        }
    }

    /// Appends one message whose payload `fill` produces piece by piece: it is called with
    /// buffers to fill completely, in order, `payloadSize` bytes in all. The recorder streams
    /// payloads of any size this way, without ever holding one whole.
    public func append(sequence: UInt64, process: UInt32, thread: UInt32, kind: MessageKind,
                       resource: UInt64, result: Int64, errno: Int32, payloadSize: Int,
                       fill: (UnsafeMutableRawBufferPointer) throws -> Void) throws {
        try checkNext(sequence)
        let site = CallSite(process: process, thread: thread, kind: kind.rawValue, resource: resource)
        if payloadSize <= options.inlinePayloadLimit {
            let piece = UnsafeMutableRawBufferPointer(rebasing: chunk[0..<payloadSize])
            try fill(piece)
            try encode(site, sequence: sequence, result: result, errno: errno, payloadSize: payloadSize,
                       inline: UnsafeRawBufferPointer(piece))
            return
        }
        try encode(site, sequence: sequence, result: result, errno: errno, payloadSize: payloadSize, inline: nil)
        try writeMessagesFrame(mayRoll: false)  // its payload frames go in the same segment
        var chunkIndex: UInt32 = 0
        var left = payloadSize
        while left > 0 {
            let piece = UnsafeMutableRawBufferPointer(rebasing: chunk[0..<min(options.frameSize, left)])
            try fill(piece)
            try writeFrame(.payload, payload: UnsafeRawBufferPointer(piece), firstSequence: sequence,
                           count: chunkIndex, codec: options.codec)
            left -= piece.count
            chunkIndex += 1
        }
        try rollIfFull()
    }

    private func checkNext(_ sequence: UInt64) throws {
        guard sequence == nextSequence else {
            throw LogError(sequence > nextSequence ? .gap : .misuse,
                           "message \(sequence) appended where \(nextSequence) was due",
                           at: LogLocation(file: currentPath, segment: segment.number, sequence: sequence))
        }
        guard file != nil else { throw LogError(.misuse, "append after the log was closed") }
    }

    /// Adds a message to the frame being filled; `inline` is nil for an external payload.
    @inline(__always)
    private func encode(_ site: CallSite, sequence: UInt64, result: Int64, errno: Int32, payloadSize: Int,
                        inline: UnsafeRawBufferPointer?) throws {
        let needed = MessageEncoding.maxEncodedHeader + (inline?.count ?? 0)
        if rawCount + needed > raw.count { try writeMessagesFrame() }
        if frameMessages == 0 {
            frameFirstSequence = sequence
            frameStartTime = SystemClock.monotonicNanoseconds()
            encoder.startFrame()
        }
        rawCount = encoder.encode(site, result: result, errno: errno, payloadSize: payloadSize,
                                  inlinePayload: inline, into: raw.baseAddress!, at: rawCount)
        frameMessages += 1
        nextSequence += 1
        if rawCount >= options.frameSize, inline != nil || payloadSize == 0 { try writeMessagesFrame() }
    }

    /// Writes the messages collected so far as a frame (readers and followers see them then).
    public func flush() throws {
        if frameMessages > 0 { try writeMessagesFrame() }
    }

    /// Writes the pending frame if its first message has waited longer than
    /// ``Options/flushDeadline``. The recorder calls this whenever it has nothing to append.
    ///
    /// With nothing pending and nothing written for ``Options/heartbeatInterval``, it writes a
    /// heartbeat frame instead.
    public func flushIfDue() throws {
        guard frameMessages > 0 else {
            if let interval = options.heartbeatInterval,
               SystemClock.monotonicNanoseconds() - lastFrameTime >= SystemClock.nanoseconds(interval) {
                try writeFrame(.heartbeat, payload: UnsafeRawBufferPointer(start: nil, count: 0),
                               firstSequence: nextSequence, count: 0, codec: .none)
            }
            return
        }
        if SystemClock.monotonicNanoseconds() - frameStartTime >= SystemClock.nanoseconds(options.flushDeadline) {
            try writeMessagesFrame()
        }
    }

    /// Ends the recording: flushes, writes the END record, seals the segment and closes it.
    public func finish(exitStatus: Int32, signal: Int32 = 0) throws {
        try flush()
        let end = EndRecord(lastSequence: nextSequence - 1, exitStatus: exitStatus, signal: signal)
        try end.encodedPayload().withUnsafeBytes { payload in
            try writeFrame(.end, payload: payload, firstSequence: nextSequence, count: 0, codec: .none)
        }
        try sealAndClose()
        releaseLock()
    }

    private func releaseLock() {
        if let lock { try? lock.close() }
        lock = nil
    }

    /// Flushes and closes without an END record: the log stays "still open", as after a crash
    /// at a frame boundary.
    public func close() throws {
        try flush()
        if let file {
            _ = fsync(file.rawValue)
            statistics.syncs += 1
            try file.close()
            self.file = nil
        }
        releaseLock()
    }

    /// Removes what this writer wrote, and the directory if that leaves it empty, holding the
    /// lock until it is done: for a recording whose program never started, whose log would only
    /// block the next run.
    public func discard() {
        if let file { try? file.close() }
        file = nil
        for name in (try? directory.segments()) ?? [] { unlink(directory.path(of: name).string) }
        rmdir(directory.path.string)
        releaseLock()
    }

    // MARK: Frames

    private var currentPath: String { directory.path(of: segment).string }

    private func writeMessagesFrame(mayRoll: Bool = true) throws {
        let offset = segmentState.size
        if segmentState.lastIndexedOffset.map({ offset - $0 >= options.indexInterval }) ?? true {
            segmentState.index.append(.init(sequence: frameFirstSequence, offset: UInt64(offset)))
            segmentState.lastIndexedOffset = offset
        }
        try writeFrame(.messages, payload: UnsafeRawBufferPointer(rebasing: raw[0..<rawCount]),
                       firstSequence: frameFirstSequence, count: frameMessages, codec: options.codec)
        segmentState.messages += UInt64(frameMessages)
        statistics.messages += UInt64(frameMessages)
        rawCount = 0
        frameMessages = 0
        if mayRoll { try rollIfFull() }
    }

    private func writeFrame(_ type: FrameType, payload: UnsafeRawBufferPointer, firstSequence: UInt64,
                            count: UInt32, codec: Codec) throws {
        guard let file else { throw LogError(.misuse, "write after the log was closed") }
        let body = UnsafeMutableRawBufferPointer(rebasing: output[FrameHeader.size...])
        var stored = codec.compress(payload, into: body, zstdContext: zstd.compression)
        let usedCodec: Codec = stored == nil ? .none : codec
        if stored == nil {
            if let source = payload.baseAddress { body.baseAddress!.copyMemory(from: source, byteCount: payload.count) }
            stored = payload.count
        }
        let storedBytes = UnsafeRawBufferPointer(rebasing: body[0..<stored!])
        let header = FrameHeader(type: type, codec: usedCodec, storedLength: stored!, rawLength: payload.count,
                                 firstSequence: firstSequence, count: count,
                                 payloadChecksum: CRC32C.checksum(storedBytes),
                                 timestamp: SystemClock.realtimeNanoseconds())
        header.encode(into: output)
        let frame = UnsafeRawBufferPointer(rebasing: output[0..<header.totalLength])
        do {
            _ = try file.writeAll(frame)
        } catch let error as Errno {
            throw LogError(.io, "cannot write a frame of \(frame.count) bytes",
                           at: LogLocation(file: currentPath, segment: segment.number, offset: segmentState.size,
                                           sequence: firstSequence),
                           errno: error)
        }
        segmentState.size += header.totalLength
        segmentState.frames += 1
        lastFrameTime = SystemClock.monotonicNanoseconds()
        segmentState.rawBytes += UInt64(payload.count)
        statistics.frames += 1
        statistics.rawBytes += UInt64(payload.count)
        statistics.storedBytes += UInt64(header.totalLength)
        try syncIfDue(file)
    }

    private func syncIfDue(_ file: FileDescriptor) throws {
        switch options.durability {
        case .none:
            return
        case .always:
            break
        case .interval(let milliseconds):
            let now = SystemClock.monotonicNanoseconds()
            guard now - lastSync >= UInt64(milliseconds) * 1_000_000 else { return }
        }
        guard fdatasync(file.rawValue) == 0 else {
            throw LogError.io("fdatasync failed", path: currentPath, Errno(rawValue: Glibc.errno))
        }
        statistics.syncs += 1
        lastSync = SystemClock.monotonicNanoseconds()
    }

    // MARK: Segments

    private func openSegment(_ header: SegmentHeader) throws {
        segment = SegmentName(number: header.segmentNumber, firstSequence: header.firstSequence)
        let path = directory.path(of: segment)
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(path, .writeOnly, options: [.create, .exclusiveCreate, .closeOnExec],
                                         permissions: [.ownerRead, .ownerWrite])
            let bytes = header.encoded()
            _ = try fd.writeAll(bytes)
            segmentState = SegmentState(size: bytes.count)
            statistics.storedBytes += UInt64(bytes.count)
        } catch let error as Errno {
            throw LogError.io("cannot create a segment", path: path.string, error)
        }
        file = fd
        statistics.segments += 1
        if options.durability != .none { try directory.synchronize() }
    }

    private func writeFooter() throws {
        let footer = SegmentFooter(
            lastSequence: nextSequence - 1, messageCount: segmentState.messages,
            frameCount: segmentState.frames, rawBytes: segmentState.rawBytes,
            storedBytes: UInt64(segmentState.size), index: segmentState.index)
        try footer.encodedPayload().withUnsafeBytes { payload in
            try writeFrame(.footer, payload: payload, firstSequence: nextSequence, count: 0, codec: .none)
        }
    }

    /// Writes the footer and closes the segment; returns the segment's final size.
    @discardableResult
    private func sealAndClose() throws -> Int {
        try writeFooter()
        let size = segmentState.size
        guard let file else { return size }
        if options.durability != .none {
            guard fsync(file.rawValue) == 0 else {
                throw LogError.io("fsync failed", path: currentPath, Errno(rawValue: Glibc.errno))
            }
            statistics.syncs += 1
        }
        try file.close()
        self.file = nil
        return size
    }

    private func rollIfFull() throws {
        guard segmentState.size >= options.segmentSize else { return }
        let number = segment.number + 1
        let sealedSize = try sealAndClose()
        try openSegment(SegmentHeader(recordingID: recordingID, segmentNumber: number, codec: options.codec,
                                      firstSequence: nextSequence, previousLastSequence: nextSequence - 1,
                                      previousSize: UInt64(sealedSize)))
    }
}
