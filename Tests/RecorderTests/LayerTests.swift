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

    @Test func cKindNumbersAreLogFormatKinds() throws {
        let header = try String(contentsOfFile: Recording.root + "/Sources/CInterpose/interpose.h", encoding: .utf8)
        let pattern = try NSRegularExpression(pattern: "REPL_([A-Z0-9_]+) = ([0-9]+)")
        let matches = pattern.matches(in: header, range: NSRange(header.startIndex..., in: header))
        #expect(matches.count > 50)
        for match in matches {
            let name = String(header[Range(match.range(at: 1), in: header)!]).lowercased()
            let number = UInt16(header[Range(match.range(at: 2), in: header)!])!
            let kind = MessageKind(rawValue: number)
            // The C names are the printed names, spelled in capitals (rwlock names differ only in
            // their "lock" suffix).
            let printed = kind.description.replacingOccurrences(of: "lock", with: "")
            #expect(printed == name.replacingOccurrences(of: "lock", with: ""), "C \(name) = \(number) is \(kind) in LogFormat")
        }
    }

    @Test func aProgramWithoutTheRecorderRunsUntouched() throws {
        let program = try Recording.fixture("mutex_race")
        let result = try Recording.run(program, [], environment: ["LD_PRELOAD": Recording.layer])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("acquisitions 80000 "))
    }
}
