/// What a recorded result may be, given its own message: a read's payload is the bytes it
/// returned, a ready count fits its set, a write's payload is a fingerprint. The layer checks the
/// rest against the call that receives the result (a read's buffer); this needs only the log, so
/// `logtool verify` and replplay's feeder both run it on every message.
extension MessageView {
    /// Why this message cannot be what the layer recorded, or nil when it can.
    public var resultProblem: String? {
        switch kind {
        case .read, .readv, .pread, .preadv, .recv, .getrandom:
            return payloadIsResult
        case .recvfrom, .recvmsg:
            return result > Int64(payloadSize) ? "\(kind) returned \(result) bytes with a payload of \(payloadSize)" : failed
        case .poll:
            if result > Int64(clamping: resource) { return "poll returned \(result) ready of \(resource) descriptors" }
            return result >= 0 ? expectPayload(resource, times: 8, "\(resource) pollfd entries") : failed
        case .select:
            // select's sets are bit sets of FD_SETSIZE (1024) descriptors.
            guard resource <= 1024 else { return "select on \(resource) descriptors (at most 1024)" }
            if result > 3 * Int64(resource) { return "select returned \(result) ready in 3 sets of \(resource)" }
            return result >= 0 ? expectPayload((resource + 7) / 8, times: 3, "3 sets of \(resource) bits") : failed
        case .epollWait:
            return result >= 0 ? expectPayload(UInt64(result), times: 12, "\(result) epoll events") : failed
        case _ where OutputFingerprint.isCarried(by: kind, resource: resource):
            return fingerprintProblem
        case .vmsplice:  // from a pipe: a read
            return payloadIsResult
        default:
            return nil
        }
    }

    /// A failure carries an errno and no payload.
    private var failed: String? {
        guard result < 0 else { return nil }
        if errno <= 0 { return "\(kind) failed (result \(result)) with errno \(errno)" }
        return payloadSize == 0 ? nil : "\(kind) failed with a payload of \(payloadSize) bytes"
    }

    private var payloadIsResult: String? {
        result >= 0 ? expectPayload(UInt64(result), times: 1, "the \(result) bytes it returned") : failed
    }

    /// The payload is `count` items of `size` bytes.
    private func expectPayload(_ count: UInt64, times size: UInt64, _ what: String) -> String? {
        let (bytes, overflow) = count.multipliedReportingOverflow(by: size)
        if !overflow && UInt64(payloadSize) == bytes { return nil }
        return "\(kind)'s payload is \(payloadSize) bytes, not \(overflow ? "\(count) × \(size)" : "\(bytes)") (\(what))"
    }

    /// No payload (a log from before fingerprints), or a fingerprint whose handed length covers
    /// what the write returned.
    private var fingerprintProblem: String? {
        if payloadSize == 0 { return failed }
        guard payloadSize == inlinePayload.count, let fingerprint = OutputFingerprint(inlinePayload) else {
            return "\(kind)'s payload is \(payloadSize) bytes, not a fingerprint (\(OutputFingerprint.size))"
        }
        if result > 0 && UInt64(result) > fingerprint.handed {
            return "\(kind) wrote \(result) bytes of the \(fingerprint.handed) it was handed"
        }
        return failed
    }
}

extension Message {
    /// Why this message cannot be what the layer recorded, or nil when it can
    /// (``MessageView/resultProblem``).
    public var resultProblem: String? { resultProblem(payloadSize: payload.count) }

    /// The same for a message whose payload, of `payloadSize` bytes, is not all in ``payload``
    /// (it streams in chunks, ``LogReader/Event``); ``payload`` is the inline part.
    public func resultProblem(payloadSize: Int) -> String? {
        payload.withUnsafeBytes { bytes in
            MessageView(sequence: sequence, process: process, thread: thread, kind: kind, resource: resource,
                        result: result, errno: errno, payloadSize: payloadSize,
                        inlinePayload: UnsafeRawBufferPointer(rebasing: bytes.prefix(payloadSize))).resultProblem
        }
    }
}
