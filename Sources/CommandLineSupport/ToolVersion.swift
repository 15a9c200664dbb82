import LogFormat

/// The version every tool prints for `--version`: the release, and the log format it writes.
public enum ToolVersion {
    public static let release = "0.13.0"

    public static var description: String {
        "\(release) (log format \(SegmentHeader.formatVersion), reads \(SegmentHeader.readableVersions.lowerBound)-\(SegmentHeader.readableVersions.upperBound))"
    }
}
