import Foundation
import Glibc
import LogFormat
import Testing
import TestSupport

@Suite(.serialized) struct InstallTests {
    /// Installs what is built (--bin-path: the test runner holds SwiftPM's build lock) under a
    /// fresh prefix.
    static func install(into prefix: TemporaryDirectory) throws {
        _ = Recording.layer
        let install = try Recording.run("/bin/bash", [Recording.root + "/scripts/install.sh", "--bin-path", Recording.products,
                                                      "--prefix", prefix.path])
        try #require(install.status == 0, "\(install.stderr)")
    }

    @Test func anInstalledReplrecFindsItsLayer() throws {
        let prefix = TemporaryDirectory()
        try Self.install(into: prefix)
        for file in ["bin/replrec", "bin/replplay", "bin/logtool", "lib/libreplintercept.so", "share/replrec/replrec-gdb.py"] {
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

    /// Manual pages and bash, zsh and fish completions for every tool; --uninstall removes
    /// everything the install put there, and the directories it made.
    @Test func manualPagesAndCompletionsAreInstalledAndUninstalled() throws {
        let prefix = TemporaryDirectory()
        try Self.install(into: prefix)
        for tool in ["replrec", "replplay", "logtool"] {
            let page = try String(contentsOfFile: prefix.appending("share/man/man1/\(tool).1"), encoding: .utf8)
            #expect(page.contains(".Dt \(tool.uppercased()) 1") && page.contains("Exit status"), "\(tool).1")
            #expect(try String(contentsOfFile: prefix.appending("share/bash-completion/completions/\(tool)"), encoding: .utf8)
                .contains("complete"), "\(tool) bash")
            #expect(try String(contentsOfFile: prefix.appending("share/zsh/site-functions/_\(tool)"), encoding: .utf8)
                .hasPrefix("#compdef \(tool)"), "\(tool) zsh")
            #expect(try String(contentsOfFile: prefix.appending("share/fish/vendor_completions.d/\(tool).fish"), encoding: .utf8)
                .contains("complete -c '\(tool)'"), "\(tool) fish")
        }
        #expect(FileManager.default.fileExists(atPath: prefix.appending("share/man/man1/logtool.verify.1")))
        // Bash completes replrec's options from the installed script.
        let completed = try runProgram("/bin/bash", ["-c", """
            source '\(prefix.appending("share/bash-completion/completions/replrec"))'
            COMP_WORDS=(replrec --he); COMP_CWORD=1; COMP_LINE='replrec --he'; COMP_POINT=${#COMP_LINE}
            _replrec replrec --he replrec; printf '%s\\n' "${COMPREPLY[@]}"
            """])
        #expect(completed.stdout.contains("--heartbeat") && completed.stdout.contains("--help"), "\(completed.stdout)\(completed.stderr)")

        let removed = try Recording.run("/bin/bash", [Recording.root + "/scripts/install.sh", "--prefix", prefix.path, "--uninstall"])
        #expect(removed.status == 0, "\(removed.stderr)")
        let left = FileManager.default.enumerator(atPath: prefix.path)?.allObjects as? [String] ?? []
        #expect(left.isEmpty, "left under the prefix: \(left)")
    }

    /// The installed tools carry the Swift runtime in themselves: with the toolchain's libraries
    /// hidden (a tmpfs mounted over them in a mount namespace of the test's own), they record,
    /// verify and replay, as on a backup host with no Swift.
    @Test func theInstalledToolsRunWithoutASwiftToolchain() throws {
        try #require(geteuid() == 0, "needs root to hide the toolchain in a mount namespace (CI runs as root)")
        let prefix = TemporaryDirectory()
        try Self.install(into: prefix)
        let maps = try runProgram("/bin/cat", ["/proc/\(getpid())/maps"]).stdout
        let runtime = try #require(maps.split(separator: "\n").compactMap { line in
            line.split(separator: " ", omittingEmptySubsequences: true).last.map(String.init)
        }.first { $0.hasSuffix("/libswiftCore.so") }, "the test runner maps no libswiftCore.so")
        let toolchainLibraries = (runtime as NSString).deletingLastPathComponent
        let bin = prefix.appending("bin")
        let program = try Recording.fixture("mutex_race")
        let script = """
            mount -t tmpfs tmpfs '\(toolchainLibraries)' || exit 90
            [ ! -e '\(runtime)' ] || exit 91
            cd '\(prefix.path)'
            '\(bin)/replrec' -q --log-dir log -- '\(program)' > recorded.out || exit 92
            '\(bin)/logtool' verify log > /dev/null || exit 93
            '\(bin)/replplay' -q log > replayed.out || exit 94
            cmp -s recorded.out replayed.out || exit 95
            '\(bin)/replplay' --version
            """
        let hidden = try runProgram("/usr/bin/unshare", ["--mount", "--propagation", "private", "/bin/bash", "-c", script])
        #expect(hidden.status == 0, "\(hidden.status): \(hidden.stderr)")
        #expect(hidden.stdout.hasPrefix("0."), "\(hidden.stdout)")
    }
}
