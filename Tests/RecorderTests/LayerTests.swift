import Foundation
import TestSupport
import LogFormat
import Testing

/// The interception layer as a shared object, and its ABI with LogFormat.
@Suite struct LayerTests {
    @Test func theLayerNeedsOnlyLibcAndExportsOnlyInterposedCalls() throws {
        let dynamic = try Recording.run("/usr/bin/readelf", ["-d", Recording.layer])
        let needed = dynamic.stdout.split(separator: "\n").filter { $0.contains("(NEEDED)") }
        #expect(!needed.isEmpty)
        for line in needed {
            #expect(line.contains("libc.so") || line.contains("libdl.so") || line.contains("libpthread.so"), "\(line)")
        }
        let symbols = try Recording.run("/usr/bin/nm", ["-D", "--defined-only", Recording.layer])
        let exported = symbols.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").last.map(String.init) }
        #expect(exported.contains("pthread_mutex_lock"))
        #expect(exported.contains("clock_gettime"))
        #expect(!exported.contains { $0.hasPrefix("repl_") }, "internal symbols are hidden")
    }

    /// The one list of kinds (the ABI header) and LogFormat's MessageKind agree in both
    /// directions: every entry is a kind with that number and name, and every kind is an entry.
    @Test func theKindListIsLogFormatsKinds() throws {
        let header = try String(contentsOfFile: Recording.root + "/Sources/CReplABI/include/replkinds.h", encoding: .utf8)
        let pattern = try NSRegularExpression(pattern: #"X\((\d+), ([A-Z0-9_]+), "([a-z0-9_]+)"\)"#)
        let entries = pattern.matches(in: header, range: NSRange(header.startIndex..., in: header)).map { match in
            let field = { (i: Int) in String(header[Range(match.range(at: i), in: header)!]) }
            return (number: UInt16(field(1))!, cName: field(2), logName: field(3))
        }
        #expect(entries.count > 60)
        #expect(Set(entries.map(\.number)).count == entries.count, "a number is listed twice")
        #expect(Set(entries.map(\.logName)).count == entries.count, "a name is listed twice")
        for entry in entries {
            #expect(entry.cName.lowercased() == entry.logName, "REPL_\(entry.cName) is printed \(entry.logName)")
            #expect(MessageKind(rawValue: entry.number).description == entry.logName)
            #expect(MessageKind(name: entry.logName)?.rawValue == entry.number)
        }
        #expect(Set(MessageKind.known.map(\.rawValue)) == Set(entries.map(\.number)))
    }

    /// The functions the layer reports as not covered (coverage.c) are ones it does not export,
    /// and a program that imports two of them hears of it from replrec and from logtool stat.
    @Test func uncoveredImportsAreReported() throws {
        let source = try String(contentsOfFile: Recording.root + "/Sources/CInterpose/coverage.c", encoding: .utf8)
        let table = try #require(source.range(of: "uncovered[] = {").flatMap { start in
            source.range(of: "};", range: start.upperBound..<source.endIndex).map { source[start.upperBound..<$0.lowerBound] }
        })
        let names = table.split(separator: "\"").enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
        #expect(names.count > 50 && names == names.sorted(), "the table is searched with bsearch")
        let exported = try Recording.run("/usr/bin/nm", ["-D", "--defined-only", Recording.layer]).stdout
        for name in names { #expect(!exported.contains(" \(name)\n"), "the layer interposes \(name)") }

        let dir = TemporaryDirectory()
        let program = try Recording.fixture("uncovered_calls")
        let (recorded, log) = try Recording.record([program], in: dir)
        #expect(recorded.status == 0, "\(recorded.stderr)")
        #expect(recorded.stderr.contains("not covered, so not recorded if called: gethostname, uname "), "\(recorded.stderr)")
        let stat = try runProgram(Recording.logtool, ["stat", log])
        #expect(stat.stdout.contains("  gethostname  uncovered_calls\n"), "\(stat.stdout)")
        #expect(stat.stdout.contains("  uname        uncovered_calls\n"), "\(stat.stdout)")
        let replayed = try runProgram(Recording.replplay, ["-q", log])
        #expect(replayed.status == 0, "\(replayed.stderr)")
    }

    /// The fortified fixture really calls the checking entry points it is there to cover.
    @Test func theFortifiedFixtureCallsTheCheckingEntryPoints() throws {
        let fixture = try #require(FixtureRecordingTests.cases.first { $0.name == "fortified" })
        let imports = try Recording.run("/usr/bin/nm", ["-u", try fixture.program()]).stdout
        for name in ["__read_chk", "__pread64_chk", "__recv_chk", "__recvfrom_chk", "__poll_chk", "__ppoll_chk",
                     "__open64_2", "__openat64_2"] {
            #expect(imports.contains(" \(name)@"), "fortified does not call \(name)")
        }
        let exported = try Recording.run("/usr/bin/nm", ["-D", "--defined-only", Recording.layer]).stdout
        for name in ["__read_chk", "__open64_2", "pread64", "preadv64"] {
            #expect(exported.contains(" \(name)\n"), "the layer does not interpose \(name)")
        }
    }

    @Test func aProgramWithoutTheRecorderRunsUntouched() throws {
        let program = try Recording.fixture("mutex_race")
        let result = try Recording.run(program, [], environment: ["LD_PRELOAD": Recording.layer])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("acquisitions 80000 "))
    }
}
