import ArgumentParser
import LogFormat

/// `logtool synth --pattern locks|mixed`, checked by ArgumentParser.
extension SyntheticWorkload.Pattern: ExpressibleByArgument {}
