import ArgumentParser
import LogFormat

/// `--sync`: when the recorder forces the log to disk.
enum SyncPolicy: String, CaseIterable, ExpressibleByArgument {
    /// Never explicitly; the kernel writes back when it likes.
    case none
    /// Every 100 ms (the writer's default).
    case interval
    /// After every frame.
    case always

    /// The log writer's setting for this policy.
    var durability: LogWriter.Durability {
        switch self {
        case .none: .none
        case .interval: .default
        case .always: .always
        }
    }
}
