import CommandLineSupport
import Glibc
import LogFormat
import ProgramSupport

/// The one-line summary replrec prints when the recording ends.
extension RecordingSession {
    /// "replrec: N messages, P processes, T threads, R raw / S stored bytes in K segment(s), …",
    /// and the functions the program imports that the layer does not cover, if any.
    func summaryLine(_ stats: LogWriter.Statistics, region: SharedRegion, status: ProgramStatus,
                     drained drainer: RingDrainer, seconds: Double) -> String {
        let uncovered = drainer.uncovered
        let processes = region.processesStarted &- drainer.execs
        return "replrec: \(stats.messages) messages, \(processes) processes, "
            + "\(region.threadsStarted &+ processes) threads, "
            + "\(stats.rawBytes) raw / \(stats.storedBytes) stored bytes in \(stats.segments) segment(s), "
            + "\(NumberFormat.fixed(seconds)) s, recorder peak RSS \(Self.peakResidentMiB()) MiB, "
            + "exit status \(status.exitStatus) -> \(configuration.logDirectory)"
            + commitSummary(region)
            + (uncovered.isEmpty ? "" : "; not covered, so not recorded if called: \(uncovered.names) (logtool stat names the objects)")
            + "\n"
    }

    /// "; output commit: A socket writes, W waited for the log, mean wait M µs (C µs per write)", when
    /// the program wrote to sockets under output commit.
    func commitSummary(_ region: SharedRegion) -> String {
        let (writes, waits, seconds) = region.commitStatistics
        guard configuration.outputCommit, writes > 0 else { return "" }
        let meanWait = waits == 0 ? 0 : seconds / Double(waits) * 1e6
        return "; output commit: \(writes) socket writes, \(waits) waited for the log, mean wait "
            + "\(NumberFormat.fixed(meanWait, 1)) µs (\(NumberFormat.fixed(seconds / Double(writes) * 1e6, 1)) µs per write)"
    }

    /// The recorder's own peak resident memory (VmHWM), in MiB.
    static func peakResidentMiB() -> String {
        guard let file = fopen("/proc/self/status", "r") else { return "?" }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(nulTerminated: line)
            if text.hasPrefix("VmHWM:"), let kib = Double(text.dropFirst(6).filter(\.isNumber)) {
                return NumberFormat.fixed(kib / 1024)
            }
        }
        return "?"
    }
}
