import ArgumentParser

/// `--tid`: a logical thread as dump prints it (`P:T`), or a thread number in any process (`T`).
struct ThreadFilter: ExpressibleByArgument, Hashable, Sendable {
    var process: UInt32?
    var thread: UInt32

    init?(argument: String) {
        let parts = argument.split(separator: ":", omittingEmptySubsequences: false)
        switch parts.count {
        case 1:
            guard let thread = UInt32(parts[0]) else { return nil }
            self.thread = thread
        case 2:
            guard let process = UInt32(parts[0]), let thread = UInt32(parts[1]) else { return nil }
            self.process = process
            self.thread = thread
        default:
            return nil
        }
    }

    func admits(process: UInt32, thread: UInt32) -> Bool {
        thread == self.thread && (self.process == nil || self.process == process)
    }
}
