import Glibc

/// TCP ports for the servers the tests start: one block per test process, below the kernel's
/// ephemeral range (32768 on), so that no client connection of another test can hold one.
public enum TestPort {
    /// How many ports each test process has; `offset` is below it.
    public static let perProcess = 13

    /// The test process's port number `offset`.
    public static func number(_ offset: Int) -> Int {
        precondition((0..<perProcess).contains(offset), "port offset \(offset) is outside 0..<\(perProcess)")
        return 20000 + Int(getpid()) % 900 * perProcess + offset
    }
}
