/// A segment file's name: `seg-NNNNNNNN-SSSSSSSSSSSSSSSSSSSS.rlog`, the segment number (8 digits)
/// and its first sequence number (20 digits), so that `ls` lists segments in order.
///
/// Anything else in a log directory (rsync's `.seg-….XXXXXX` temporary files, notes a user left)
/// is not a segment and is ignored by readers.
public struct SegmentName: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let number: UInt32
    public let firstSequence: UInt64

    public init(number: UInt32, firstSequence: UInt64) {
        self.number = number
        self.firstSequence = firstSequence
    }

    public init?(fileName: String) {
        let utf8 = Array(fileName.utf8)
        guard utf8.count == 38, fileName.hasPrefix("seg-"), fileName.hasSuffix(".rlog"),
              utf8[12] == UInt8(ascii: "-") else { return nil }
        let numberDigits = utf8[4..<12], sequenceDigits = utf8[13..<33]
        guard numberDigits.allSatisfy(Self.isDigit), sequenceDigits.allSatisfy(Self.isDigit),
              let number = UInt32(String(decoding: numberDigits, as: UTF8.self)),
              let first = UInt64(String(decoding: sequenceDigits, as: UTF8.self)) else { return nil }
        self.number = number
        self.firstSequence = first
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    public var fileName: String {
        "seg-" + String(number).leftPadded(to: 8) + "-" + String(firstSequence).leftPadded(to: 20) + ".rlog"
    }

    public var description: String { fileName }

    public static func < (lhs: SegmentName, rhs: SegmentName) -> Bool { lhs.number < rhs.number }
}
