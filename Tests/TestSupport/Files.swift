import Foundation
import SystemPackage

/// Whole files as bytes, to damage logs.

public func readFile(_ path: String) throws -> [UInt8] {
    Array(try Data(contentsOf: URL(fileURLWithPath: path)))
}

public func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

public func readFile(_ path: FilePath) throws -> [UInt8] { try readFile(path.string) }

public func writeFile(_ path: FilePath, _ bytes: [UInt8]) throws { try writeFile(path.string, bytes) }

/// Copies a log directory (to damage the copy).
public func copyLog(_ source: String, to destination: String) throws {
    try FileManager.default.copyItem(atPath: source, toPath: destination)
}

public func copyLog(_ source: FilePath, to destination: FilePath) throws {
    try copyLog(source.string, to: destination.string)
}

/// Changes a file's bytes in place.
public func modifyFile(_ path: String, _ change: (inout [UInt8]) throws -> Void) throws {
    var bytes = try readFile(path)
    try change(&bytes)
    try writeFile(path, bytes)
}
