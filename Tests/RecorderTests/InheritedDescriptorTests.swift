import Foundation
import Glibc
import Testing
import TestSupport

/// The descriptors a program inherits are part of its start: the log names them, and a replay
/// starts the program with the same ones, whatever replplay itself holds.
@Suite struct InheritedDescriptorTests {
    /// fixtures/programs/many_sockets.c creates descriptors 3, 4, 5, … in turn. Recorded with
    /// descriptor 900 inherited, the log names 900. Replayed from a shell that holds 47 and 50
    /// instead (both numbers the program creates): it replays as recorded, 47 and 50 withheld
    /// from it and /dev/null standing in at 900, which replplay says (unless -q).
    @Test func aReplayStartsWithTheRecordedDescriptors() throws {
        let dir = TemporaryDirectory()
        let program = try Recording.fixture("many_sockets")
        let log = dir.appending("log")
        let recorded = try runProgram("/bin/bash", ["-c", "'\(Recording.replrec)' -q --log-dir '\(log)' -- '\(program)' 100 900</dev/null"])
        #expect(recorded.status == 0 && recorded.stdout == "bound 100\n", "\(recorded.stderr)")
        let header = try #require(try LogContents(log).recording)
        #expect(header.inheritedDescriptors?.contains(900) == true, "\(String(describing: header.inheritedDescriptors))")
        #expect(header.inheritedDescriptors?.contains(47) == false)

        let replayed = try runProgram("/bin/bash", ["-c", "'\(Recording.replplay)' '\(log)' 47</dev/null 50</dev/null"])
        #expect(replayed.status == 0 && replayed.stdout == "bound 100\n", "\(replayed.status): \(replayed.stderr)")
        // (The test runner's own leaked descriptors, if any, are listed with it.)
        let warning = replayed.stderr.split(separator: "\n").first { $0.contains("inherited descriptor(s) ") }
        #expect(warning.map { $0.contains(" 900,") && $0.hasSuffix("which replplay does not have: /dev/null stands in") } == true,
                "\(replayed.stderr)")
    }
}
