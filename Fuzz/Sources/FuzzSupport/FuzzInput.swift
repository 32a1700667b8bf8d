/// The fuzzer's bytes, consumed from the front: a selector byte, then length-prefixed pieces.
public struct FuzzInput {
    private var bytes: ArraySlice<UInt8>

    public init(_ data: UnsafePointer<UInt8>, _ size: Int) {
        bytes = ArraySlice(UnsafeBufferPointer(start: data, count: size))
    }

    /// Whether every byte has been consumed.
    public var isEmpty: Bool { bytes.isEmpty }

    /// The next byte, or 0 when none is left.
    public mutating func byte() -> UInt8 {
        bytes.popFirst() ?? 0
    }

    /// The next piece: a length byte, then that many bytes (fewer at the end of the input).
    public mutating func piece() -> [UInt8] {
        let count = Int(byte())
        let piece = bytes.prefix(count)
        bytes = bytes.dropFirst(count)
        return Array(piece)
    }

    /// The next piece as a string (invalid UTF-8 repaired, as a server decoding text would).
    public mutating func string() -> String {
        String(decoding: piece(), as: UTF8.self)
    }

    /// Everything left.
    public mutating func rest() -> [UInt8] {
        defer { bytes = [] }
        return Array(bytes)
    }

    /// Everything left as a string.
    public mutating func restString() -> String {
        String(decoding: rest(), as: UTF8.self)
    }
}
