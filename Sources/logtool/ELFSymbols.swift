import Glibc

/// The data symbols of a program's executable, to name the locks a log's messages act on: a
/// recorded (and replayed) program runs without address randomisation, so a position-independent
/// executable is loaded at 0x555555554000 on x86-64 and a fixed one where it says.
struct ELFSymbols {
    struct Symbol {
        var start: UInt64
        var size: UInt64
        var name: String
    }

    /// Where Linux loads a position-independent executable when randomisation is off (x86-64).
    static let pieBase: UInt64 = 0x5555_5555_4000

    private var symbols: [Symbol] = []

    /// Reads `path`'s .symtab (or .dynsym); nil when it is not a 64-bit little-endian ELF file.
    init?(path: String) {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while bytes.count < 256 << 20 {
            let count = fread(&buffer, 1, buffer.count, file)
            if count == 0 { break }
            bytes += buffer[0..<count]
        }
        guard bytes.count > 64, bytes[0..<4] == [0x7F, 0x45, 0x4C, 0x46], bytes[4] == 2, bytes[5] == 1 else { return nil }
        func u16(_ at: Int) -> UInt64 { at + 2 <= bytes.count ? UInt64(bytes[at]) | UInt64(bytes[at + 1]) << 8 : 0 }
        func u32(_ at: Int) -> UInt64 { u16(at) | u16(at + 2) << 16 }
        func u64(_ at: Int) -> UInt64 { u32(at) | u32(at + 4) << 32 }
        let base = u16(16) == 3 ? Self.pieBase : 0  // ET_DYN: position-independent
        let sectionTable = Int(u64(40)), sectionSize = Int(u16(58)), sectionCount = Int(u16(60))
        func section(_ index: Int) -> (type: UInt64, offset: Int, size: Int, link: Int, entry: Int) {
            let at = sectionTable + index * sectionSize
            return (u32(at + 4), Int(u64(at + 24)), Int(u64(at + 32)), Int(u32(at + 40)), Int(u64(at + 56)))
        }
        guard sectionTable > 0, sectionSize == 64, sectionTable + sectionCount * 64 <= bytes.count else { return nil }
        let tables = (0..<sectionCount).map(section)
        guard let table = tables.first(where: { $0.type == 2 }) ?? tables.first(where: { $0.type == 11 }),
              table.entry == 24, table.link < tables.count else { return nil }
        let strings = tables[table.link]
        for at in stride(from: table.offset, to: min(table.offset + table.size, bytes.count - 24), by: 24) {
            let info = bytes[at + 4], value = u64(at + 8), size = u64(at + 16)
            guard info & 0xF == 1, value != 0 else { continue }  // STT_OBJECT
            let nameStart = strings.offset + Int(u32(at))
            guard nameStart < bytes.count else { continue }
            let end = bytes[nameStart...].firstIndex(of: 0) ?? bytes.count
            symbols.append(Symbol(start: base + value, size: max(size, 1), name: String(decoding: bytes[nameStart..<end], as: UTF8.self)))
        }
        symbols.sort { $0.start < $1.start }
    }

    /// "lock" or "table+16" for an address inside a data symbol; nil elsewhere (the heap, a
    /// stack, a library).
    func name(of address: UInt64) -> String? {
        var low = 0, high = symbols.count
        while low < high {
            let middle = (low + high) / 2
            if symbols[middle].start <= address { low = middle + 1 } else { high = middle }
        }
        guard low > 0 else { return nil }
        let symbol = symbols[low - 1]
        guard address < symbol.start + symbol.size else { return nil }
        let offset = address - symbol.start
        return offset == 0 ? symbol.name : "\(symbol.name)+\(offset)"
    }
}
