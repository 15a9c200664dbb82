import Foundation
import SystemPackage

/// A fresh private directory (0700, from mkdtemp) under the temporary directory, removed when
/// the value goes away.
public final class TemporaryDirectory {
    /// As a string, for Foundation and shell scripts.
    public let path: String

    public init(_ label: String = "replrec-test") {
        let pattern = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(label + "-XXXXXX").path
        var template = Array(pattern.utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(created != nil, "mkdtemp failed")
        path = String(cString: created!)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// A path inside the directory.
    public func appending(_ name: String) -> String { path + "/" + name }

    /// The directory, for LogFormat's API.
    public var filePath: FilePath { FilePath(path) }

    /// A path inside the directory, for LogFormat's API.
    public func filePath(_ name: String) -> FilePath { filePath.appending(name) }
}
