import CReplABI

/// What the recorder sets and reads in the region.
extension SharedRegion {
    /// Output commit: the layer holds each socket write until what came before it is in the log
    /// file. Set before the program starts; the layer reads it once per process.
    public var outputCommit: Bool {
        // A plain field: written before the program starts, read-only after.
        get { base.pointee.output_commit != 0 }
        set { base.pointee.output_commit = newValue ? 1 : 0 }
    }

    /// replrec --chaos: the layer perturbs scheduling at intercepted calls (set before the
    /// program starts).
    public var chaos: Bool {
        get { base.pointee.chaos != 0 }
        set { base.pointee.chaos = newValue ? 1 : 0 }
    }
}
