import CommandLineSupport
import Glibc

/// Finds libreplintercept.so: `REPLREC_INTERPOSER` when set, else next to the tool's executable,
/// else in ../lib relative to it (an installed prefix).
public enum Interposer {
    public static let fileName = "libreplintercept.so"

    public static func locate() throws -> String {
        if let explicit = getenv("REPLREC_INTERPOSER").map({ String(cString: $0) }), !explicit.isEmpty {
            guard access(explicit, R_OK) == 0 else {
                throw ToolError.failed("REPLREC_INTERPOSER names \(explicit), which cannot be read")
            }
            return explicit
        }
        guard let executable = CurrentProcess.executable else { throw ToolError.failed("cannot find replrec's own path") }
        let directory = CurrentProcess.executableDirectory
        for candidate in [directory + "/" + fileName, directory + "/../lib/" + fileName] where access(candidate, R_OK) == 0 {
            return candidate
        }
        throw ToolError.failed("\(fileName) not found next to \(executable) (build it with scripts/build-interposer.sh, or set REPLREC_INTERPOSER)")
    }
}
