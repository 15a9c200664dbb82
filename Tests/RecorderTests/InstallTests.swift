import Foundation
import TestSupport
import LogFormat
import Testing

@Suite struct InstallTests {
    @Test func anInstalledReplrecFindsItsLayer() throws {
        let prefix = TemporaryDirectory()
        _ = Recording.layer
        // --bin-path: the test runner holds SwiftPM's build lock, so install what is built.
        let install = try Recording.run("/bin/bash", [Recording.root + "/scripts/install.sh", "--bin-path", Recording.products,
                                                      "--prefix", prefix.path])
        #expect(install.status == 0, "\(install.stderr)")
        for file in ["bin/replrec", "bin/replplay", "bin/logtool", "lib/libreplintercept.so"] {
            #expect(FileManager.default.fileExists(atPath: prefix.appending(file)), "\(file)")
        }
        let log = prefix.appending("log")
        let recorded = try Recording.run(prefix.appending("bin/replrec"), ["-q", "--log-dir", log, try Recording.fixture("mutex_race")])
        #expect(recorded.status == 0, "\(recorded.stderr)")
        let verified = try Recording.run(prefix.appending("bin/logtool"), ["verify", log])
        #expect(verified.status == 0)
        #expect(verified.stdout.hasPrefix("clean end: 80015 messages"))  // with isatty of stdout, objects and its line on stdout
        let replayed = try Recording.run(prefix.appending("bin/replplay"), ["-q", log])
        #expect(replayed.status == 0, "\(replayed.stderr)")
        #expect(replayed.stdout == recorded.stdout)
    }
}
