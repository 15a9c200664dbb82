import Foundation
import Glibc
import LogFormat
import SystemPackage
import Testing
import TestSupport

/// Where a replay runs a recorded delivery among a thread's mask changes: at the change it was
/// counted at on the primary, whether that change lets the signal through or blocks it, and only
/// once the turns before it (another process's) are taken.
@Suite struct SignalPlacementTests {
    /// fixtures/programs/mask_window.c, recorded once; then logs crafted from it that move the
    /// delivery to mask change N (odd: a blocking, even: an unblocking) and the child's exit, a
    /// quarter of a second of computing away at replay, just before it. Each replays with the
    /// handler in round (N - 1) / 2, the crafted exit status, twice. Change 1 is the first after
    /// the kill: no earlier unblocking has waited for the child's turn there.
    @Test(arguments: [1, 2, 7, 120])
    func aDeliveryRunsAtTheMaskChangeItWasCountedAt(change: Int) throws {
        let dir = TemporaryDirectory()
        let program = try Recording.fixture("mask_window")
        let (recorded, log) = try Recording.record([program], in: dir)
        #expect(recorded.status == 0, "natively the handler runs before the loop or in its first round: \(recorded.stderr)")
        let contents = try LogContents(log)
        let delivery = try #require(contents.messages.first { $0.kind == .signal })
        let childExit = try #require(contents.messages.first { $0.kind == .exit && $0.process != delivery.process })

        var order = contents.messages.filter { $0.sequence != childExit.sequence }
        order.insert(childExit, at: try #require(order.firstIndex { $0.sequence == delivery.sequence }))
        let crafted = dir.appending("moved-to-\(change)")
        let writer = try LogWriter(directory: FilePath(crafted), recording: try #require(contents.recording))
        for (index, var message) in order.enumerated() {
            message.sequence = UInt64(index + 1)
            if message.kind == .signal { message.resource = UInt64(SIGUSR1) | UInt64(change) << 40 }
            try writer.append(message)
        }
        let round = (change - 1) / 2
        try writer.finish(exitStatus: Int32(round))

        for run in 1...2 {
            let replayed = try runProgram(Recording.replplay, ["-q", crafted])
            #expect(replayed.status == Int32(round), "change \(change), replay \(run): \(replayed.stderr)")
        }
    }
}
