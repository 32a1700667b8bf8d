/// The value of an app variable built from secrets: literal text with `{{…}}` placeholders, as
/// written in `environments/<env>.yaml`.
///
///     DATABASE_URL: { template: "postgres://{{db/credentials.username}}:{{db/credentials.password}}@{{db/credentials.host}}:{{db/credentials.port}}/{{db/credentials.dbname}}" }
///
/// A template is parsed once (when the environment definition is loaded) and rendered with values
/// the caller looks up, so it never reads anything itself.
///
/// ## Placeholders
///
/// | Written               | Means                                                                  |
/// |-----------------------|------------------------------------------------------------------------|
/// | `{{NAME}}`            | the whole value of secret `NAME`                                       |
/// | `{{NAME.KEY}}`        | field `KEY` of the JSON object stored in secret `NAME`                 |
/// | `{{[NAME]}}`          | the whole value of `NAME`, taken literally (dots and all)              |
/// | `{{[NAME].KEY}}`      | field `KEY` of `NAME`, both taken literally                            |
/// | `{{REF\|raw}}`        | the value exactly as stored: no percent-encoding and no URL checks      |
/// | `{{{{`                | a literal `{{` (a lone `{`, `}` or `}}` outside a placeholder is literal) |
///
/// Secret names follow AWS's rule (``SecretName``: `A-Za-z0-9/_+=.@-`), so they may contain dots.
/// In the plain form the **last** `.` starts a key only when what follows it is a plain key,
/// 1–256 characters of `A-Za-z0-9_-`; otherwise the whole text is the secret name. So
/// `{{db/credentials.password}}` is key `password` of `db/credentials`, and
/// `{{certs/tls.crt}}` is key `crt` of `certs/tls` — to mean the whole value of a secret *named*
/// `certs/tls.crt`, bracket the name: `{{[certs/tls.crt]}}`. The bracketed form also reaches keys
/// with dots or other characters (`{{[web/tls].tls.crt}}` is key `tls.crt` of `web/tls`); a
/// bracketed key is 1–256 characters other than whitespace, control characters and `{}[]|`.
/// Spaces just inside the braces and around `|` are ignored: `{{ db/credentials.password | raw }}`.
///
/// ## URLs are percent-encoded
///
/// When the template's text starts with a scheme and `://` (`[A-Za-z][A-Za-z0-9+.-]*://`, in
/// literal text), it builds a URL, and each placeholder is treated by where its literal
/// surroundings put it (RFC 3986):
///
/// - **userinfo** (in the authority, before its last literal `@`), **path**, **query** and
///   **fragment**: every byte of the value except the unreserved characters `A-Za-z0-9-._~` is
///   percent-encoded, so a password `p@ss:w/rd?#%` becomes `p%40ss%3Aw%2Frd%3F%23%25`;
/// - **host**: inserted as is, but it must be a registered name (letters, digits and
///   `-._~!$&'()*+,;=%`) or a bracketed IPv6 address (`[::1]`), else rendering fails;
/// - **port** (after the authority's last literal `:` that is not inside `[…]`): 0–65535 in digits.
///
/// The `|raw` filter turns all of this off for one placeholder (for instance to insert a whole
/// `host:port` or a path that contains `/` on purpose). A template that does not start with a
/// scheme inserts every value verbatim.
///
/// - Warning: Structure comes only from literal text: a value never adds a `/`, `@` or `?` to the
///   URL unless it is inserted with `|raw`.
public struct AppTemplate: Sendable, Equatable, CustomStringConvertible {
    /// Where a placeholder sits in the template, which decides how its value is inserted.
    public enum Component: String, Sendable, Equatable {
        /// Not a URL template: verbatim.
        case plain
        case userinfo, host, port, path, query, fragment
    }

    /// One `{{…}}` of the template.
    public struct Placeholder: Sendable, Equatable {
        /// The secret's name.
        public let secret: String
        /// The JSON field of the secret's value, or `nil` for the whole value.
        public let key: String?
        /// `|raw`: inserted without encoding or checks.
        public let raw: Bool
        /// Where it sits in a URL (`.plain` when the template is not a URL).
        public let component: Component
        /// The placeholder as written, braces included (for messages).
        public let text: String
    }

    public enum Part: Sendable, Equatable {
        case literal(String)
        case placeholder(Placeholder)
    }

    public static let maxLength = 8192
    public static let maxKeyLength = 256

    /// The template as written.
    public let source: String
    /// Literal text and placeholders, in order; adjacent literals are merged.
    public let parts: [Part]
    /// Whether the text starts with `scheme://`, so placeholders are percent-encoded by component.
    public let isURL: Bool

    public var description: String { source }

    /// The placeholders, in order (repeats included).
    public var placeholders: [Placeholder] {
        parts.compactMap { if case .placeholder(let p) = $0 { p } else { nil } }
    }

    /// The secrets (and JSON keys) the template reads, each once, in order of first appearance.
    public var references: [(secret: String, key: String?)] {
        var seen: [String: Set<String?>] = [:]
        var result: [(secret: String, key: String?)] = []
        for p in placeholders where seen[p.secret, default: []].insert(p.key).inserted {
            result.append((secret: p.secret, key: p.key))
        }
        return result
    }

    /// Parses a template.
    ///
    ///     let t = try AppTemplate("redis://:{{redis/credentials.password}}@{{redis/credentials.host}}:6379/0")
    ///
    /// - Throws: ``SejfError`` (`InvalidParameterException`) naming the placeholder and its
    ///   position (1-based, in characters) for an unclosed `{{`, an empty placeholder, a name that
    ///   is not a secret name, a bad key, an unknown filter, or a template over 8,192 characters.
    ///   The message does not name the file or field; the loader prefixes them.
    public init(_ source: String) throws {
        guard source.unicodeScalars.count <= Self.maxLength else {
            throw SejfError(.invalidParameter, "a template must be at most \(Self.maxLength) characters")
        }
        self.source = source
        let bytes = Array(source.utf8)
        var raw: [RawPart] = []
        var literal: [UInt8] = []
        var i = 0
        func position(_ offset: Int) -> Int { String(decoding: bytes[..<offset], as: UTF8.self).count + 1 }
        while i < bytes.count {
            guard bytes[i] == .openBrace, i + 1 < bytes.count, bytes[i + 1] == .openBrace else {
                literal.append(bytes[i])
                i += 1
                continue
            }
            if i + 3 < bytes.count, bytes[i + 2] == .openBrace, bytes[i + 3] == .openBrace {
                literal += [.openBrace, .openBrace]
                i += 4
                continue
            }
            var close = i + 2
            while close + 1 < bytes.count, !(bytes[close] == .closeBrace && bytes[close + 1] == .closeBrace), bytes[close] != .openBrace {
                close += 1
            }
            guard close + 1 < bytes.count, bytes[close] == .closeBrace, bytes[close + 1] == .closeBrace else {
                let shown = String(decoding: bytes[i..<min(bytes.count, i + 40)], as: UTF8.self)
                throw SejfError(.invalidParameter,
                    "'{{' at character \(position(i)) is not closed by '}}' ('\(shown)'; write '{{{{' for a literal '{{')")
            }
            let text = String(decoding: bytes[i..<(close + 2)], as: UTF8.self)
            let body = String(decoding: bytes[(i + 2)..<close], as: UTF8.self)
            do {
                raw.append(.literal(literal))
                literal = []
                raw.append(.placeholder(try Self.parsePlaceholder(body), text))
            } catch let error as SejfError {
                throw SejfError(error.code, "placeholder '\(text)' at character \(position(i)): \(error.message)")
            }
            i = close + 2
        }
        raw.append(.literal(literal))
        let components = Self.components(raw)
        isURL = components != nil
        var parts: [Part] = []
        for (index, part) in raw.enumerated() {
            switch part {
            case .literal(let bytes) where bytes.isEmpty:
                continue
            case .literal(let bytes):
                parts.append(.literal(String(decoding: bytes, as: UTF8.self)))
            case .placeholder(let ref, let text):
                parts.append(.placeholder(Placeholder(secret: ref.secret, key: ref.key, raw: ref.raw,
                                                      component: components?[index] ?? .plain, text: text)))
            }
        }
        self.parts = parts
    }

    /// Renders the template with values from `lookup`.
    ///
    ///     let url = try template.render(variable: "DATABASE_URL") { secret, key in
    ///         try values.field(key, of: secret)   // nil when the secret or key does not exist
    ///     }
    ///
    /// `lookup` is called once per placeholder with the secret's name and the JSON key (`nil` for
    /// the whole value); it returns the value as text, or `nil` when there is none. A missing
    /// value is an error, never an empty string.
    ///
    /// - Parameter variable: the environment variable being rendered, named in every error.
    /// - Throws: `ResourceNotFoundException` naming `variable` and the placeholder when `lookup`
    ///   returns `nil`; `InvalidRequestException` when a URL host or port value is not one;
    ///   a ``SejfError`` thrown by `lookup` again with its code, its message prefixed with the
    ///   variable and placeholder. Other errors from `lookup` pass through unchanged. No message
    ///   contains a value.
    public func render(variable: String, lookup: (_ secret: String, _ key: String?) throws -> String?) throws -> String {
        var output = ""
        for part in parts {
            switch part {
            case .literal(let text):
                output += text
            case .placeholder(let p):
                let value: String?
                do {
                    value = try lookup(p.secret, p.key)
                } catch let error as SejfError {
                    throw SejfError(error.code, "variable '\(variable)' (\(p.text)): \(error.message)")
                }
                guard let value else {
                    throw Self.missing(variable: variable, secret: p.secret, key: p.key, placeholder: p.text)
                }
                output += try Self.insert(value, p, variable: variable)
            }
        }
        return output
    }

    /// The error for a secret or key with no value: `ResourceNotFoundException` naming the
    /// variable (shared with the loader's plain `secret`/`config` variables).
    public static func missing(variable: String, secret: String, key: String?, placeholder: String? = nil) -> SejfError {
        let what = key.map { "no value for key '\($0)' of secret '\(secret)'" } ?? "no value for secret '\(secret)'"
        return SejfError(.resourceNotFound, "variable '\(variable)': \(what)\(placeholder.map { " (\($0))" } ?? "")")
    }

    /// Percent-encodes every byte except RFC 3986's unreserved characters (`A-Za-z0-9-._~`).
    public static func percentEncode(_ value: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in value.utf8 {
            if isUnreserved(byte) {
                out.append(byte)
            } else {
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: - Parsing

    private enum RawPart {
        case literal([UInt8])
        case placeholder(Reference, String)
    }

    private struct Reference {
        var secret: String
        var key: String?
        var raw: Bool
    }

    private static func parsePlaceholder(_ body: String) throws -> Reference {
        let pieces = body.split(separator: "|", omittingEmptySubsequences: false).map { trim($0) }
        let ref = pieces[0]
        var raw = false
        for filter in pieces.dropFirst() {
            guard filter == "raw" else { throw SejfError(.invalidParameter, "unknown filter '\(filter)' (known: raw)") }
            raw = true
        }
        guard !ref.isEmpty else {
            throw SejfError(.invalidParameter, "names no secret (write {{NAME}} or {{NAME.KEY}})")
        }
        var name = ref
        var key: String?
        if ref.hasPrefix("[") {
            guard let close = ref.firstIndex(of: "]") else {
                throw SejfError(.invalidParameter, "'[' is not closed by ']'")
            }
            name = String(ref[ref.index(after: ref.startIndex)..<close])
            let rest = ref[ref.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix("."), rest.count > 1 else {
                    throw SejfError(.invalidParameter, "expected '.KEY' or nothing after ']'")
                }
                let bracketedKey = String(rest.dropFirst())
                guard bracketedKey.unicodeScalars.allSatisfy(isBracketedKeyScalar) else {
                    throw SejfError(.invalidParameter,
                        "key '\(bracketedKey)' may not contain whitespace, control characters or any of {}[]|")
                }
                key = bracketedKey
            }
        } else if let dot = ref.lastIndex(of: ".") {
            let suffix = ref[ref.index(after: dot)...]
            if dot != ref.startIndex, !suffix.isEmpty, suffix.utf8.allSatisfy(isPlainKeyByte) {
                name = String(ref[..<dot])
                key = String(suffix)
            }
        }
        if let key, key.unicodeScalars.count > maxKeyLength {
            throw SejfError(.invalidParameter, "the key is longer than \(maxKeyLength) characters")
        }
        do {
            try SecretName.validate(name)
        } catch {
            throw SejfError(.invalidParameter,
                "'\(name.prefix(80))' is not a secret name (1-512 letters, digits or any of /_+=.@-)")
        }
        return Reference(secret: name, key: key, raw: raw)
    }

    /// The component of each placeholder (indexed like `parts`), or `nil` when the text does not
    /// start with `scheme://`.
    private static func components(_ parts: [RawPart]) -> [Int: Component]? {
        guard case .literal(let first)? = parts.first, let start = schemeEnd(first) else { return nil }
        enum Item { case byte(UInt8), placeholder(Int) }
        var result: [Int: Component] = [:]
        var authority: [Item] = []
        var phase: Component? = nil  // nil while in the authority
        for (index, part) in parts.enumerated() {
            switch part {
            case .placeholder:
                if let phase { result[index] = phase } else { authority.append(.placeholder(index)) }
            case .literal(let bytes):
                for byte in (index == 0 ? Array(bytes[start...]) : bytes) {
                    switch (phase, byte) {
                    case (nil, UInt8(ascii: "/")): phase = .path
                    case (nil, UInt8(ascii: "?")), (.path?, UInt8(ascii: "?")): phase = .query
                    case (nil, UInt8(ascii: "#")), (.path?, UInt8(ascii: "#")), (.query?, UInt8(ascii: "#")): phase = .fragment
                    case (nil, _): authority.append(.byte(byte))
                    default: break
                    }
                }
            }
        }
        // userinfo@host:port — by literal '@' and ':' only.
        let at = authority.lastIndex { if case .byte(UInt8(ascii: "@")) = $0 { true } else { false } }
        let hostStart = at.map { $0 + 1 } ?? 0
        var portStart = authority.count
        for i in stride(from: authority.count - 1, through: hostStart, by: -1) {
            if case .byte(let b) = authority[i] {
                if b == UInt8(ascii: "]") { break }
                if b == UInt8(ascii: ":") { portStart = i + 1; break }
            }
        }
        for (i, item) in authority.enumerated() {
            guard case .placeholder(let index) = item else { continue }
            result[index] = i < hostStart ? .userinfo : i >= portStart ? .port : .host
        }
        return result
    }

    /// The offset just past `scheme://`, if `bytes` starts with one.
    private static func schemeEnd(_ bytes: [UInt8]) -> Int? {
        guard let first = bytes.first, isLetter(first) else { return nil }
        var i = 1
        while i < bytes.count, isLetter(bytes[i]) || isDigit(bytes[i]) || bytes[i] == UInt8(ascii: "+")
                || bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: ".") {
            i += 1
        }
        guard bytes[i...].starts(with: Array("://".utf8)) else { return nil }
        return i + 3
    }

    // MARK: - Rendering

    private static func insert(_ value: String, _ p: Placeholder, variable: String) throws -> String {
        if p.raw { return value }
        switch p.component {
        case .plain:
            return value
        case .userinfo, .path, .query, .fragment:
            return percentEncode(value)
        case .host:
            guard isHost(value) else {
                throw SejfError(.invalidRequest,
                    "variable '\(variable)': the value of \(p.text) is not a URL host (a host is letters, digits and -._~!$&'()*+,;=%, or an IPv6 address in brackets); write \(p.text.dropLast(2))|raw}} to insert it unchecked")
            }
            return value
        case .port:
            guard (1...5).contains(value.utf8.count), value.utf8.allSatisfy(isDigit), let port = Int(value), port <= 65535 else {
                throw SejfError(.invalidRequest,
                    "variable '\(variable)': the value of \(p.text) is not a URL port (0-65535 in digits); write \(p.text.dropLast(2))|raw}} to insert it unchecked")
            }
            return value
        }
    }

    private static func isHost(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        if bytes.first == UInt8(ascii: "["), bytes.last == UInt8(ascii: "]"), bytes.count > 2 {
            return bytes.dropFirst().dropLast().allSatisfy { isHexDigit($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") }
        }
        return bytes.allSatisfy { isUnreserved($0) || Array("!$&'()*+,;=%".utf8).contains($0) }
    }

    // MARK: - Characters

    private static func trim(_ s: Substring) -> String {
        String(s.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }

    private static func isLetter(_ c: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(c)
    }

    private static func isDigit(_ c: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) }

    private static func isHexDigit(_ c: UInt8) -> Bool {
        isDigit(c) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(c) || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(c)
    }

    private static func isUnreserved(_ c: UInt8) -> Bool {
        isLetter(c) || isDigit(c) || c == UInt8(ascii: "-") || c == UInt8(ascii: ".") || c == UInt8(ascii: "_") || c == UInt8(ascii: "~")
    }

    private static func isPlainKeyByte(_ c: UInt8) -> Bool {
        isLetter(c) || isDigit(c) || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
    }

    private static func isBracketedKeyScalar(_ s: Unicode.Scalar) -> Bool {
        !s.properties.isWhitespace && !(s.value < 0x20 || (0x7F...0x9F).contains(s.value)) && !"{}[]|".unicodeScalars.contains(s)
    }
}

extension UInt8 {
    fileprivate static let openBrace = UInt8(ascii: "{")
    fileprivate static let closeBrace = UInt8(ascii: "}")
}
