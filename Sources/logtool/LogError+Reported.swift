import ArgumentParser
import CommandLineSupport
import LogFormat

extension LogError {
    /// Reports the error on standard error and turns it into the documented exit status.
    func reported() -> ExitCode {
        logger.error("\(self)")
        return ExitStatus(code).exitCode
    }
}
