import CommandLineSupport
import Glibc
import LogFormat
import ProgramSupport

/// --stop-at's stops: armed one after another in the region, each reported on replplay's own
/// standard error as a thread takes it (the program may have moved its fd 2), and the processes
/// they stopped watched so that the watchdog waits while a person or a debugger holds them.
final class DebuggerStops {
    /// A stop a thread has taken.
    struct Stop {
        var sequence: UInt64
        var pid: pid_t
        var tid: pid_t
        var call: RecordedCall?
    }

    private var points: [StopPoint]
    private var next = 0
    private var armed: StopPoint?
    private var reported: UInt64 = 0
    /// Processes a stop has held: a debugger is attached to these.
    private(set) var heldProcesses: Set<pid_t> = []
    private(set) var last: Stop?

    init(_ points: [StopPoint]) { self.points = points }

    /// Arms the first stop (before the program starts).
    func armFirst(_ region: SharedRegion) { armNext(region, after: 0) }

    /// A stop taken since the last look, reported and the next one armed; nil when none.
    func poll(_ region: SharedRegion) -> Stop? {
        guard let taken = region.lastStop, taken.sequence != reported else { return nil }
        reported = taken.sequence
        armed = nil
        heldProcesses.insert(taken.pid)
        let stop = Stop(sequence: taken.sequence, pid: taken.pid, tid: taken.tid, call: region.publishedCall(at: taken.sequence))
        last = stop
        armNext(region, after: taken.sequence)
        let what = stop.call.map { "\($0.kindAndResource) by logical thread \($0.process):\($0.thread)" } ?? "the next call"
        writeStandardError("""
            replplay: stopped before sequence \(stop.sequence): \(what), pid \(stop.pid), tid \(stop.tid)
            replplay: attach: gdb -p \(stop.pid)  (in gdb: handle SIGSTOP nostop noprint nopass); resume without one: kill -CONT \(stop.pid)

            """)
        return stop
    }

    /// Arms a stop asked for while the replay runs (the gdb extension's requests).
    func arm(_ point: StopPoint, _ region: SharedRegion) {
        points.insert(point, at: next)
        armNext(region, after: region.replayed)
    }

    /// Whether a person or a debugger holds the program: a thread sits at a stop, or a process a
    /// stop held is stopped or traced. The watchdog waits then.
    func isHolding() -> Bool {
        heldProcesses.contains { pid in
            let status = Self.status(of: pid)
            let traced = status.first { $0.hasPrefix("TracerPid:") }.map { $0.split(separator: "\t").last != "0" } ?? false
            let stopped = status.first { $0.hasPrefix("State:") }.map { $0.contains("T (stopped)") || $0.contains("t (tracing stop)") } ?? false
            return traced || stopped
        }
    }

    /// The stops given that no thread reached.
    var unreached: [StopPoint] { (armed.map { [$0] } ?? []) + points[next...] }

    private func armNext(_ region: SharedRegion, after sequence: UInt64) {
        while next < points.count {
            let point = points[next]
            next += 1
            switch point.target {
            case .sequence(let at) where at > sequence:
                armed = point
                region.armStop(at: at)
                return
            case .sequence:
                writeStandardError("replplay: --stop-at \(point) is behind the replay (at sequence \(sequence)): skipped\n")
            case .nextEventOf(let process, let thread):
                armed = point
                region.armStop(at: sequence + 1, thread: (process, thread))
                return
            }
        }
        region.armStop(at: nil)
    }

    private static func status(of pid: pid_t) -> [Substring] {
        guard let file = fopen("/proc/\(pid)/status", "r") else { return [] }
        defer { fclose(file) }
        var lines: [Substring] = []
        var buffer = [CChar](repeating: 0, count: 256)
        while fgets(&buffer, Int32(buffer.count), file) != nil {
            lines.append(Substring(String(nulTerminated: buffer)).prefix { $0 != "\n" })
        }
        return lines
    }
}
