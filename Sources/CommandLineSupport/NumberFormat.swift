/// Numbers the way the tools print them: fixed decimals without Foundation, byte counts in
/// binary units.
public enum NumberFormat {
    /// `value` rounded to `decimals` places, always that many: `fixed(1.5)` is "1.50"; "-" for a
    /// value that is not finite.
    public static func fixed(_ value: Double, _ decimals: Int = 2) -> String {
        guard value.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (value * scale).rounded()
        let whole = Int64(scaled / scale)
        var fraction = String(Int64(abs(scaled.truncatingRemainder(dividingBy: scale))))
        while fraction.count < decimals { fraction = "0" + fraction }
        let sign = scaled < 0 && whole == 0 ? "-" : ""
        return decimals == 0 ? "\(whole)" : "\(sign)\(whole).\(fraction)"
    }

    /// "512 B", "1.5 KiB", "3.2 GiB".
    public static func bytes(_ count: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : fixed(value, 1) + " " + units[unit]
    }
}
