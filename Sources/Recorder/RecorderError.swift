/// Why `replrec` could not record, with the exit status it reports.
///
/// Exit statuses of `replrec` itself (the program's own status passes through otherwise):
/// 125 the recorder failed (log, shared memory, a refused program), 126 the program cannot be
/// run, 127 the program was not found.
struct RecorderError: Error, CustomStringConvertible {
    enum Kind {
        case notFound, notExecutable, refused, failed
    }

    var kind: Kind
    var message: String

    static func notFound(_ message: String) -> RecorderError { .init(kind: .notFound, message: message) }
    static func notExecutable(_ message: String) -> RecorderError { .init(kind: .notExecutable, message: message) }
    static func refused(_ message: String) -> RecorderError { .init(kind: .refused, message: message) }
    static func failed(_ message: String) -> RecorderError { .init(kind: .failed, message: message) }

    var exitStatus: Int32 {
        switch kind {
        case .notFound: 127
        case .notExecutable: 126
        case .refused, .failed: 125
        }
    }

    var description: String { message }
}
