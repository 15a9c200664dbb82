import ArgumentParser

/// A positive number of seconds given on the command line (`--watchdog`, `--promote-after`,
/// `--heartbeat`): decimals, or `inf` for "never" where the option allows it. Zero, negative
/// and not-a-number values are refused when parsed, in every form (`--opt V`, `--opt=V`).
public struct Seconds: ExpressibleByArgument, Hashable, Sendable, CustomStringConvertible {
    public let value: Double

    public init(_ value: Double) {
        precondition(value > 0, "Seconds must be positive")
        self.value = value
    }

    public init?(argument: String) {
        let text = argument.lowercased()
        let parsed = text == "inf" || text == "infinity" ? Double.infinity : Double(text)
        guard let parsed, parsed > 0, !parsed.isNaN else { return nil }
        value = parsed
    }

    public var isInfinite: Bool { value.isInfinite }

    public var duration: Duration { isInfinite ? .seconds(Int64.max) : .nanoseconds(Int64(value * 1e9)) }

    public var description: String { isInfinite ? "inf" : NumberFormat.fixed(value) }

    public var defaultValueDescription: String { description }

    public static var defaultCompletionKind: CompletionKind { .default }
}
