import ArgumentParser

/// Where `--stop-at` stops the replay for a debugger: before a sequence number (`N`), or before
/// the next event of a logical thread (`P:T`, as logtool dump prints it), counted from the
/// previous stop. Several are taken in the order given.
struct StopPoint: ExpressibleByArgument, Hashable, Sendable, CustomStringConvertible {
    enum Target: Hashable, Sendable {
        case sequence(UInt64)
        case nextEventOf(process: UInt32, thread: UInt32)
    }

    let target: Target

    init(_ target: Target) { self.target = target }

    init?(argument: String) {
        let parts = argument.split(separator: ":", omittingEmptySubsequences: false)
        switch parts.count {
        case 1:
            guard let sequence = UInt64(parts[0]), sequence > 0 else { return nil }
            target = .sequence(sequence)
        case 2:
            guard let process = UInt32(parts[0]), let thread = UInt32(parts[1]) else { return nil }
            target = .nextEventOf(process: process, thread: thread)
        default:
            return nil
        }
    }

    var description: String {
        switch target {
        case .sequence(let sequence): "sequence \(sequence)"
        case .nextEventOf(let process, let thread): "the next event of logical thread \(process):\(thread)"
        }
    }
}
