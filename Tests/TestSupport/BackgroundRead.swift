import Foundation

/// Reads a pipe to its end on another thread.
public final class BackgroundRead: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    public init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    /// Everything the pipe delivered, once its writer has closed it.
    public func wait() -> Data {
        done.wait()
        return data
    }

    /// ``wait()``, as text.
    public func text() -> String { String(decoding: wait(), as: UTF8.self) }
}
