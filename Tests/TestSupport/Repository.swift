import SystemPackage

/// Where the repository's own files are, found from this file's path
/// (Tests/TestSupport/Repository.swift).
public enum Repository {
    public static let root: String = {
        var path = FilePath(#filePath)
        for _ in 0..<3 { path.removeLastComponent() }
        return path.string
    }()

    /// The logs the first build of format v1 wrote, and the messages they hold
    /// (fixtures/logs/make-golden.sh).
    public static let goldenV1 = root + "/fixtures/logs/golden-v1"
    public static let goldenV2 = root + "/fixtures/logs/golden-v2"
}
