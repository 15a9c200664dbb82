// libFuzzer entry point: feeds bytes to the segment scanner, which must never crash, hang or
// allocate without bound, whatever it is given.
//
// The first input byte picks a mode:
//  - even: the rest is a segment file as is (headers, checksums, lengths all fuzzed);
//  - odd:  the rest describes frames that this harness wraps with valid checksums, so that the
//          fuzzer reaches what lies behind them: decompression, message decoding, payload
//          chunks, END records and footers.
import LogFormat

struct Ignore: LogVisitor {}

struct Collect: LogVisitor {
    static var visitsPlainMessages: Bool { false }
    var count = 0
    mutating func frameDecoded(_ header: FrameHeader) { count &+= Int(header.count) }
}

/// Frames from fuzz input: per frame a 6-byte descriptor (type, codec, count, raw length, stored
/// length) and the stored bytes; every checksum is made valid.
func checksummedSegment(_ input: ArraySlice<UInt8>) -> [UInt8] {
    var bytes = SegmentHeader(recordingID: RecordingID(bytes: [UInt8](repeating: 7, count: 16)), segmentNumber: 1,
                              codec: .lz4, firstSequence: 1, recording: RecordingHeader(arguments: ["fuzz"])).encoded()
    var rest = input
    var sequence: UInt64 = 1
    while rest.count >= 6 {
        let d = Array(rest.prefix(6))
        rest = rest.dropFirst(6)
        let type = FrameType(rawValue: d[0] % 4 + 1)!
        let codec = Codec(rawValue: d[1] % 3)!
        let count = UInt32(d[2])
        let storedLength = min(Int(d[5]) * 4, rest.count)
        let stored = Array(rest.prefix(storedLength))
        rest = rest.dropFirst(storedLength)
        let rawLength = codec == .none ? storedLength : Int(UInt16(d[3]) | UInt16(d[4]) << 8)
        let header = FrameHeader(type: type, codec: codec, storedLength: stored.count, rawLength: rawLength,
                                 firstSequence: sequence, count: count, payloadChecksum: CRC32C.checksum(stored),
                                 timestamp: 0)
        var headerBytes = [UInt8](repeating: 0, count: FrameHeader.size)
        headerBytes.withUnsafeMutableBytes { header.encode(into: $0) }
        bytes += headerBytes + stored
        if type == .messages { sequence &+= UInt64(count) }
    }
    return bytes
}

func scan<Visitor: LogVisitor>(_ segment: MemorySegment, _ visitor: inout Visitor) {
    let scanner = SegmentScanner(segment)
    guard (try? scanner.readHeader()) != nil else { return }
    _ = try? scanner.claimsSealed()
    _ = try? scanner.footerFromTrailer()
    for _ in 0..<10_000 {
        guard let step = try? scanner.step(&visitor) else { return }
        switch step {
        case .frame: continue
        case .damaged, .incomplete:
            _ = try? scanner.intactFrame(after: scanner.offset)
            return
        case .boundary, .sealed: return
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let bytes = input[0] % 2 == 0 ? Array(input.dropFirst()) : checksummedSegment(input.dropFirst())
    let segment = MemorySegment(bytes, name: "fuzz")
    var ignore = Ignore()
    scan(segment, &ignore)
    var collect = Collect()
    scan(segment, &collect)
    return 0
}

// SwiftPM names an executable's entry point `<module>_main` and points `main` at it; libFuzzer
// brings its own driver, which this entry point starts.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_cdecl("logformat_fuzz_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return runFuzzerDriver(&argc, &argv) { data, size in fuzz(data, size) }
}
