import SejfCrypto

/// The building blocks of AWS Signature Version 4 shared by ``SigV4Verifier`` and
/// ``SigV4Signer``: the canonical request, the string to sign, the signing key and the signature,
/// exactly as AWS specifies them for every service except S3.
///
/// ```
/// CanonicalRequest = Method \n CanonicalPath \n CanonicalQuery \n
///                    CanonicalHeaders \n \n SignedHeaders \n HashedPayload
/// StringToSign     = "AWS4-HMAC-SHA256" \n Timestamp \n Scope \n hex(SHA256(CanonicalRequest))
/// SigningKey       = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")
/// Signature        = hex(HMAC(SigningKey, StringToSign))
/// ```
///
/// Everything here is a pure function of its arguments; hashing goes through `SejfCrypto`.
public enum SigV4 {
    /// The only algorithm SigV4 defines: `AWS4-HMAC-SHA256`.
    public static let algorithm = "AWS4-HMAC-SHA256"
    /// The last element of every credential scope.
    public static let terminator = "aws4_request"
    /// The payload hash of an empty body (hex SHA-256 of nothing).
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    /// The payload hash a presigned URL may use instead of a body hash.
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"

    // MARK: Canonical request

    /// The canonical request: method, canonical path, canonical query, canonical headers for
    /// `signedHeaders` (in that order), the signed header list, and the payload hash.
    ///
    /// - Parameters:
    ///   - excludingQueryKeys: decoded query keys left out (`X-Amz-Signature` for query-string auth).
    public static func canonicalRequest(
        _ request: SigV4Request, signedHeaders: [String], payloadHash: String,
        excludingQueryKeys: Set<String> = []
    ) -> String {
        [
            request.method,
            canonicalPath(request.path),
            canonicalQuery(request.query, excludingKeys: excludingQueryKeys),
            canonicalHeaders(request, signedHeaders: signedHeaders),
            signedHeaders.joined(separator: ";"),
            payloadHash,
        ].joined(separator: "\n")
    }

    /// The canonical URI path for services other than S3: dot segments removed, runs of slashes
    /// collapsed (a trailing slash kept), then every byte outside RFC 3986's unreserved set and `/`
    /// percent-encoded.
    ///
    /// The raw wire path is encoded as it is, so a path already percent-encoded on the wire is
    /// encoded a second time (`%20` becomes `%2520`), which is what AWS and the SDKs do for
    /// every service but S3.
    public static func canonicalPath(_ rawPath: String) -> String {
        if rawPath == "/" { return rawPath }  // every SDK's request to a JSON service
        let normalised = removeDotSegments(rawPath.isEmpty ? "/" : rawPath)
        return uriEncode(Array(normalised.utf8), keepSlash: true)
    }

    /// RFC 3986 section 5.2.4 dot-segment removal, plus AWS's collapsing of duplicate slashes —
    /// the same rules as botocore's `remove_dot_segments`.
    static func removeDotSegments(_ path: String) -> String {
        var output: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".": continue
            case "..": if !output.isEmpty { output.removeLast() }
            default: output.append(segment)
            }
        }
        let leading = path.hasPrefix("/") ? "/" : ""
        let trailing = path.hasSuffix("/") && !output.isEmpty ? "/" : ""
        return leading + output.joined(separator: "/") + trailing
    }

    /// The canonical query string: each `key=value` pair percent-decoded then encoded again with
    /// RFC 3986's unreserved set (so `+` stays a literal plus), a key without `=` given an empty
    /// value, sorted by encoded key and then encoded value, joined with `&`.
    public static func canonicalQuery(_ rawQuery: String, excludingKeys: Set<String> = []) -> String {
        if rawQuery.isEmpty { return "" }
        let excluded = Set(excludingKeys.map { Array($0.utf8) })
        var pairs: [(key: [UInt8], value: [UInt8])] = []
        for (key, value) in queryPairs(rawQuery) where !excluded.contains(key) {
            pairs.append((Array(uriEncode(key, keepSlash: false).utf8), Array(uriEncode(value, keepSlash: false).utf8)))
        }
        pairs.sort { a, b in
            a.key == b.key ? a.value.lexicographicallyPrecedes(b.value) : a.key.lexicographicallyPrecedes(b.key)
        }
        return pairs.map { String(decoding: $0.key + [UInt8(ascii: "=")] + $0.value, as: UTF8.self) }
            .joined(separator: "&")
    }

    /// The decoded `(key, value)` byte pairs of a raw query string, in order; empty pieces skipped.
    static func queryPairs(_ rawQuery: String) -> [(key: [UInt8], value: [UInt8])] {
        rawQuery.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true).map { piece in
            if let equals = piece.firstIndex(of: UInt8(ascii: "=")) {
                return (percentDecode(piece[..<equals]), percentDecode(piece[piece.index(after: equals)...]))
            }
            return (percentDecode(piece), [])
        }
    }

    /// The first decoded value of query parameter `key`, as text.
    static func queryValue(_ rawQuery: String, _ key: String) -> String? {
        if rawQuery.isEmpty { return nil }
        let wanted = Array(key.utf8)
        return queryPairs(rawQuery).first { $0.key == wanted }.map { String(decoding: $0.value, as: UTF8.self) }
    }

    /// The canonical headers block: for each signed header present in the request, the lower-case
    /// name, `:`, and its values (whitespace trimmed, inner runs collapsed to one space) joined
    /// with `,` in the order received; one line each, each ending with a newline.
    public static func canonicalHeaders(_ request: SigV4Request, signedHeaders: [String]) -> String {
        var block = ""
        for name in signedHeaders {
            let values = request.values(of: name)
            if values.isEmpty { continue }
            block += lowercasedASCII(name) + ":" + values.map(trimAll).joined(separator: ",") + "\n"
        }
        return block
    }

    /// Trims leading and trailing whitespace and turns every inner run of whitespace (spaces,
    /// tabs, folded line breaks) into one space — the spec's `Trimall`.
    public static func trimAll(_ value: String) -> String {
        let bytes = value.utf8
        var previousIsSpace = true  // so a leading space counts as a run
        var isCanonical = true
        for byte in bytes {
            let space = isTrimAllSpace(byte)
            if space && (previousIsSpace || byte != UInt8(ascii: " ")) { isCanonical = false; break }
            previousIsSpace = space
        }
        if isCanonical && !previousIsSpace || bytes.isEmpty { return value }  // most values: nothing to do
        return bytes.split(whereSeparator: isTrimAllSpace).map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
    }

    /// The whitespace `trimAll` trims and collapses: space, tab, line feed, carriage return,
    /// vertical tab and form feed.
    private static func isTrimAllSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0D).contains(byte)
    }

    /// Hex SHA-256 of the body.
    public static func payloadHash(_ body: [UInt8]) -> String {
        body.isEmpty ? emptyPayloadHash : Hash.hex(Hash.sha256(body))
    }

    // MARK: String to sign, key, signature

    /// The credential scope `yyyymmdd/region/service/aws4_request`.
    public static func scope(date: String, region: String, service: String) -> String {
        "\(date)/\(region)/\(service)/\(terminator)"
    }

    /// The string to sign: algorithm, timestamp (`yyyymmddThhmmssZ`), scope, and the hex SHA-256
    /// of the canonical request, one per line.
    public static func stringToSign(timestamp: String, scope: String, canonicalRequest: String) -> String {
        [algorithm, timestamp, scope, Hash.hex(Hash.sha256(Array(canonicalRequest.utf8)))].joined(separator: "\n")
    }

    /// The signing key for one day, region and service.
    ///
    /// - Warning: the result is key material; wipe it with `SecureBytes.wipe` once used.
    public static func signingKey(secretKey: [UInt8], date: String, region: String, service: String) -> [UInt8] {
        var key = Array("AWS4".utf8) + secretKey
        defer { SecureBytes.wipe(&key) }
        var dateKey = Hash.hmacSHA256(key: key, Array(date.utf8))
        defer { SecureBytes.wipe(&dateKey) }
        var regionKey = Hash.hmacSHA256(key: dateKey, Array(region.utf8))
        defer { SecureBytes.wipe(&regionKey) }
        var serviceKey = Hash.hmacSHA256(key: regionKey, Array(service.utf8))
        defer { SecureBytes.wipe(&serviceKey) }
        return Hash.hmacSHA256(key: serviceKey, Array(terminator.utf8))
    }

    /// The lower-case hex signature of `stringToSign` under `signingKey`.
    public static func signature(signingKey: [UInt8], stringToSign: String) -> String {
        signingKey.withUnsafeBytes { signature(signingKey: $0, stringToSign: stringToSign) }
    }

    /// The lower-case hex signature of `stringToSign` under a signing key read in place.
    public static func signature(signingKey: UnsafeRawBufferPointer, stringToSign: String) -> String {
        Hash.hex(Hash.hmacSHA256(key: signingKey, Array(stringToSign.utf8)))
    }

    // MARK: Encoding helpers

    /// Percent-encodes every byte outside `A–Z a–z 0–9 - . _ ~` (and `/` when `keepSlash`), with
    /// upper-case hex digits.
    public static func uriEncode<Bytes: Sequence>(_ bytes: Bytes, keepSlash: Bool) -> String where Bytes.Element == UInt8 {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            if isUnreserved(byte) || (keepSlash && byte == UInt8(ascii: "/")) {
                out.append(byte)
            } else {
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0f)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// Decodes `%XX` escapes; a `%` not followed by two hex digits stays a literal `%`. `+` is not
    /// a space here (SigV4 is not form encoding).
    static func percentDecode<Bytes: Collection>(_ bytes: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        let input = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity(input.count)
        var i = 0
        while i < input.count {
            if input[i] == UInt8(ascii: "%"), i + 2 < input.count,
               let high = hexValue(input[i + 1]), let low = hexValue(input[i + 2]) {
                out.append(high << 4 | low)
                i += 3
            } else {
                out.append(input[i])
                i += 1
            }
        }
        return out
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// The pieces of `text` between the bytes `separator` (an ASCII character), as slices of it:
    /// a scan of bytes, much cheaper than splitting on Characters.
    static func split(_ text: Substring, at separator: UInt8, omittingEmptySubsequences: Bool = true) -> [Substring] {
        text.utf8.split(separator: separator, omittingEmptySubsequences: omittingEmptySubsequences)
            .map { text[$0.startIndex..<$0.endIndex] }
    }

    /// ASCII-only lower-casing, as HTTP header names need (no locale, no Unicode folding).
    static func lowercasedASCII(_ text: String) -> String {
        String(decoding: text.utf8.map(lowercasedASCII), as: UTF8.self)
    }

    /// Whether `a` and `b` are equal once ASCII letters are lower-cased (header names), without
    /// building either lower-cased string.
    static func equalsIgnoringASCIICase(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && zip(a.utf8, b.utf8).allSatisfy { lowercasedASCII($0) == lowercasedASCII($1) }
    }

    private static func lowercasedASCII(_ byte: UInt8) -> UInt8 {
        byte >= 65 && byte <= 90 ? byte + 32 : byte
    }
}
