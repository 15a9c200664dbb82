import CReplABI

/// What the recorder sets and reads in the region.
extension SharedRegion {
    /// Output commit: the layer holds each socket write until what came before it is in the log
    /// file. Set before the program starts; the layer reads it once per process.
    public var outputCommit: Bool {
        // needs accessor: the field is plain (no repl_output_commit / repl_set_output_commit).
        get { base.pointee.output_commit != 0 }
        set { base.pointee.output_commit = newValue ? 1 : 0 }
    }
}
