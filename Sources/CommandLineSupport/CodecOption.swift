import ArgumentParser
import LogFormat

/// `--codec lz4|zstd|none` (replrec, logtool synth), checked by ArgumentParser.
///
/// A type of its own rather than a conformance on `Codec`: ArgumentParser shows a raw-valued
/// case-iterable type by its raw value, which for `Codec` is the byte the frame header stores.
public enum CodecOption: String, CaseIterable, ExpressibleByArgument, Sendable {
    case lz4, zstd, none

    /// The log's codec of this name.
    public var codec: Codec {
        switch self {
        case .lz4: .lz4
        case .zstd: .zstd
        case .none: .none
        }
    }
}
