import LogFormat

/// The events of a range of a log, laid out by logical thread: as an SVG picture or as Chrome
/// trace events.
struct TimelinePicture {
    struct Lane: Hashable, Comparable {
        var process: UInt32
        var thread: UInt32
        static func < (a: Lane, b: Lane) -> Bool { (a.process, a.thread) < (b.process, b.thread) }
        var name: String { "\(process):\(thread)" }
    }

    /// A lock taken by another thread than the one that took it last.
    struct HandOff {
        var from: (sequence: UInt64, lane: Lane)
        var to: (sequence: UInt64, lane: Lane)
    }

    let events: [Message]
    let lanes: [Lane]
    let handOffs: [HandOff]

    init(_ events: [Message]) {
        self.events = events
        lanes = Set(events.map { Lane(process: $0.process, thread: $0.thread) }).sorted()
        var holders: [UInt64: (UInt64, Lane)] = [:]
        var handOffs: [HandOff] = []
        for event in events where Self.isAcquisition(event.kind) && event.result == 0 {
            let lane = Lane(process: event.process, thread: event.thread)
            if let (sequence, previous) = holders[event.resource], previous != lane {
                handOffs.append(HandOff(from: (sequence, previous), to: (event.sequence, lane)))
            }
            holders[event.resource] = (event.sequence, lane)
        }
        self.handOffs = handOffs
    }

    /// Lock acquisitions whose resource is the lock: hand-offs are drawn between them.
    static func isAcquisition(_ kind: MessageKind) -> Bool {
        [.mutexLock, .mutexTimedlock, .rwlockRead, .rwlockWrite].contains(kind)
    }

    /// The family of a kind, by the number ranges of replkinds.h, and its colour.
    static func family(_ kind: MessageKind) -> (name: String, colour: String) {
        switch kind.rawValue {
        case 1...31: ("locks and waits", "#d62728")
        case 32...39: ("time", "#1f77b4")
        case 40...47: ("randomness", "#9467bd")
        case 48...79, 128...159: ("input, output, descriptors", "#2ca02c")
        case 80...111, 160...191: ("processes, threads, signals", "#ff7f0e")
        case 192...199: ("file locks", "#8c564b")
        default: ("the recorder's and the layer's notes", "#7f7f7f")
        }
    }

    // MARK: SVG

    private static let laneHeight = 28.0, left = 90.0, top = 40.0, step = 6.0

    func svg() -> String {
        let first = events.first!.sequence, last = events.last!.sequence
        let families = Set(events.map { Self.family($0.kind).name }).sorted()
        let legendWidth = families.reduce(0.0) { $0 + 24 + Double($1.count) * 6 }
        let width = max(Self.left + Double(last - first + 1) * Self.step + 40, Self.left + legendWidth + 20)
        let height = Self.top + Double(lanes.count) * Self.laneHeight + 60
        func x(_ sequence: UInt64) -> Double { Self.left + Double(sequence - first) * Self.step + Self.step / 2 }
        let laneIndex = Dictionary(uniqueKeysWithValues: lanes.enumerated().map { ($1, $0) })
        func y(_ lane: Lane) -> Double { Self.top + Double(laneIndex[lane]!) * Self.laneHeight + Self.laneHeight / 2 }

        var out = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="11">
            <title>replrec timeline: sequences \(first)...\(last), \(lanes.count) logical threads</title>
            <defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#444"/></marker></defs>
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(Self.left)" y="16">sequence \(first) … \(last)</text>

            """
        for lane in lanes {
            let laneY = y(lane)
            out += "<g class=\"lane\" data-thread=\"\(lane.name)\"><line x1=\"\(Self.left)\" y1=\"\(laneY)\" x2=\"\(Int(width) - 20)\" y2=\"\(laneY)\" stroke=\"#ddd\"/>"
            out += "<text x=\"8\" y=\"\(laneY + 4)\">thread \(lane.name)</text></g>\n"
        }
        for handOff in handOffs {
            out += "<line class=\"handoff\" x1=\"\(x(handOff.from.sequence))\" y1=\"\(y(handOff.from.lane))\" x2=\"\(x(handOff.to.sequence))\" y2=\"\(y(handOff.to.lane))\" stroke=\"#444\" stroke-width=\"0.8\" marker-end=\"url(#arrow)\"/>\n"
        }
        for event in events {
            let lane = Lane(process: event.process, thread: event.thread)
            let family = Self.family(event.kind)
            out += "<rect class=\"event\" data-seq=\"\(event.sequence)\" x=\"\(x(event.sequence) - 2.5)\" y=\"\(y(lane) - 8)\" width=\"5\" height=\"16\" fill=\"\(family.colour)\"><title>\(event.sequence) \(lane.name) \(Self.escaped(event.kind.description)) 0x\(String(event.resource, radix: 16)) = \(event.result)</title></rect>\n"
        }
        var legendX = Self.left
        let legendY = height - 24
        for family in families {
            let colour = events.lazy.map { Self.family($0.kind) }.first { $0.name == family }!.colour
            out += "<rect x=\"\(legendX)\" y=\"\(legendY - 9)\" width=\"10\" height=\"10\" fill=\"\(colour)\"/><text x=\"\(legendX + 14)\" y=\"\(legendY)\">\(Self.escaped(family))</text>\n"
            legendX += 24 + Double(family.count) * 6
        }
        return out + "</svg>\n"
    }

    private static func escaped(_ text: String) -> String {
        text.replacing("&", with: "&amp;").replacing("<", with: "&lt;").replacing(">", with: "&gt;")
    }

    // MARK: Chrome trace events

    func chromeTrace() -> String {
        var entries: [String] = []
        for lane in lanes {
            entries.append("{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":\(lane.process),\"tid\":\(lane.thread),\"args\":{\"name\":\"logical thread \(lane.name)\"}}")
        }
        for process in Set(lanes.map(\.process)).sorted() {
            entries.append("{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":\(process),\"args\":{\"name\":\"logical process \(process)\"}}")
        }
        for event in events {
            entries.append("{\"ph\":\"X\",\"name\":\(JSON.quoted(event.kind.description)),\"cat\":\(JSON.quoted(Self.family(event.kind).name)),\"ts\":\(event.sequence),\"dur\":1,\"pid\":\(event.process),\"tid\":\(event.thread),\"args\":{\"seq\":\(event.sequence),\"resource\":\(event.resource),\"result\":\(event.result),\"errno\":\(event.errno)}}")
        }
        for (index, handOff) in handOffs.enumerated() {
            entries.append("{\"ph\":\"s\",\"id\":\(index),\"name\":\"lock hand-off\",\"cat\":\"lock\",\"ts\":\(handOff.from.sequence),\"pid\":\(handOff.from.lane.process),\"tid\":\(handOff.from.lane.thread)}")
            entries.append("{\"ph\":\"f\",\"bp\":\"e\",\"id\":\(index),\"name\":\"lock hand-off\",\"cat\":\"lock\",\"ts\":\(handOff.to.sequence),\"pid\":\(handOff.to.lane.process),\"tid\":\(handOff.to.lane.thread)}")
        }
        return "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n" + entries.joined(separator: ",\n") + "\n]}\n"
    }
}
