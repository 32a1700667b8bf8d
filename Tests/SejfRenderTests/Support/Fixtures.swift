@testable import SejfRender

/// Values that break naive quoting, each under a valid environment variable name.
enum Awkward {
    static let pem = """
        -----BEGIN PRIVATE KEY-----
        MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQC7VJTUt9Us8cKj
        MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu
        NMoSfm76oqFvAp8Gy0iz5sxjZmSnXyCdPEovGhLa0VzMaQ8s+CLOyS56YyCFGeJZ
        -----END PRIVATE KEY-----

        """

    /// 65,536 bytes of ASCII, spaces and punctuation included.
    static let big: String = {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789 -_.:/+=,;!?#%&*()[]<>|~".unicodeScalars)
        var s = String.UnicodeScalarView()
        for i in 0..<65_536 { s.append(alphabet[(i * 7 + i / 13) % alphabet.count]) }
        return String(s)
    }()

    static let values: [(name: String, value: String)] = [
        ("PEM_KEY", pem),
        ("DOUBLE_QUOTES", "say \"quotes\" twice"),
        ("QUOTED", "\"quotes\""),
        ("SINGLE_QUOTED", "'single'"),
        ("APOSTROPHE", "it's"),
        ("HOME_REF", "$HOME"),
        ("BACKTICKS", "`cmd`"),
        ("SUBSHELL", "$(id) and $1 $? $$"),
        ("HASH", "#hash"),
        ("HASH_AFTER_SPACE", "value #not a comment"),
        ("BACKSLASHES", "C:\\new\\table\\n"),
        ("BACKSLASH_DOLLAR", "\\$HOME"),
        ("UNICODE", "zażółć 🚀"),
        ("EMPTY", ""),
        ("BIG", big),
        ("SPACES", "  padded  "),
        ("TAB", "\tindented\t"),
        ("EQUALS", "a=b==c="),
        ("NEWLINES_ONLY", "\n\n"),
        ("TRAILING_NEWLINE", "line\n"),
        ("LEADING_NEWLINE", "\nline"),
        ("KITCHEN_SINK", "it's \"all\" # here\n\\ and \\\\ twice\ttab ; & | < > * ? ~ ! { } [ ]"),
        ("UNTERMINATED_BRACE", "$ {not} ${unterminated"),
        ("LINE_SEPARATORS", "a\u{0B}b\u{0C}c\u{85}d\u{2028}e\u{2029}f"),
    ]

    static func variables(_ kind: RenderVariable.Kind = .secret) -> [RenderVariable] {
        values.map { RenderVariable(name: $0.name, value: $0.value, kind: kind) }
    }

    static var expected: [String: String] {
        Dictionary(uniqueKeysWithValues: values.map { ($0.name, $0.value) })
    }
}

/// SplitMix64: a small seeded generator, so a failing fuzz case can be replayed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random short strings over characters that quoting gets wrong.
func randomAwkwardValues(count: Int, seed: UInt64, extra: [Unicode.Scalar] = []) -> [String] {
    let alphabet: [Unicode.Scalar] = [
        "a", "Z", "0", " ", "\t", "\n", "\"", "'", "\\", "$", "`", "#", "{", "}", ":", "-", "=", "!", "*", "&", "|",
        ">", "%", "@", "?", "[", "]", ",", "~", ";", "(", ")", "ż", "🚀", "\u{0B}", "\u{0C}", "\u{85}", "\u{2028}",
        "\u{2029}", "\u{FEFF}", "\u{A0}",
    ] + extra
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in
        var s = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0...16, using: &rng) { s.append(alphabet.randomElement(using: &rng)!) }
        return String(s)
    }
}
