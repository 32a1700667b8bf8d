import Foundation

/// What a request claims about its signature — from the `Authorization` header or, for a
/// presigned URL, from the `X-Amz-*` query parameters — parsed but not yet checked.
///
/// ``SigV4Verifier`` parses one and then checks it; tests and diagnostics can parse one
/// themselves and rebuild the canonical request with ``SigV4Verifier/canonicalRequest(for:authorization:)``.
public struct SigV4Authorization: Sendable, Equatable {
    /// Where the signature travelled.
    public enum Source: Sendable, Equatable {
        /// `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`
        case header
        /// `?X-Amz-Algorithm=…&X-Amz-Credential=…&X-Amz-Date=…&X-Amz-SignedHeaders=…&X-Amz-Signature=…`
        case queryString
    }

    public let source: Source
    /// `accessKeyId/yyyymmdd/region/service/aws4_request`, as sent (not yet checked).
    public let credential: String
    /// The signed header names, in the order sent.
    public let signedHeaders: [String]
    /// The signature as sent (lower-case hex from every SDK).
    public let signature: String
    /// The request time as it enters the string to sign (`yyyymmddThhmmssZ`).
    public let timestamp: String
    /// The request time.
    public let date: Date
    /// The header the time came from (`x-amz-date` or `date`); nil for query-string auth.
    public let timestampHeader: String?
    /// `X-Amz-Expires` of a presigned URL, in seconds.
    public let expires: Int?
    /// `X-Amz-Security-Token`, from the header or the query, signed or not.
    public let sessionToken: String?

    /// The `/`-separated elements of ``credential``.
    public var credentialElements: [String] {
        SigV4.split(credential[...], at: UInt8(ascii: "/"), omittingEmptySubsequences: false).map(String.init)
    }

    /// The access key id: the first element of ``credential``.
    public var accessKeyId: String { credentialElements.first ?? "" }

    /// The credential scope: ``credential`` without the access key id.
    public var scope: String { credentialElements.dropFirst().joined(separator: "/") }

    /// Parses the signature parameters of `request`.
    ///
    /// The checks and their order follow AWS's: the `Authorization` header wins; without it a
    /// query-string signature is recognised by `X-Amz-Algorithm`; without either the request is
    /// anonymous.
    ///
    /// - Throws: ``SigV4Error`` — `MissingAuthenticationTokenException` when the request carries
    ///   no signature; `IncompleteSignatureException` when parameters are missing or unparsable
    ///   (AWS's texts, e.g. "Authorization header requires 'Credential' parameter. Authorization=…",
    ///   "Date must be in ISO-8601 'basic format'. Got '…'. …").
    public static func parse(_ request: SigV4Request) throws(SigV4Error) -> SigV4Authorization {
        let headerValues = request.values(of: "authorization")
        let queryAlgorithm = SigV4.queryValue(request.query, "X-Amz-Algorithm")
        if headerValues.count > 1 {
            throw .incomplete("Only one Authorization header is allowed, got \(headerValues.count).")
        }
        if let header = headerValues.first {
            if queryAlgorithm != nil {
                // A signature in two places is ambiguous; AWS refuses it as a mismatch.
                throw .invalid(SigV4Error.signatureMismatch.message, .malformed)
            }
            return try parseHeader(header, request)
        }
        if let queryAlgorithm {
            return try parseQuery(algorithm: queryAlgorithm, request)
        }
        throw .missingAuthenticationToken
    }

    private static func parseHeader(_ rawHeader: String, _ request: SigV4Request) throws(SigV4Error) -> SigV4Authorization {
        let header = trimmed(rawHeader)
        let algorithm = header.prefix { $0 != " " }
        guard algorithm == SigV4.algorithm else {
            throw .incomplete("Unsupported AWS 'algorithm': '\(algorithm)' (only \(SigV4.algorithm) for now). ")
        }
        var parameters: [String: String] = [:]
        for piece in SigV4.split(header.dropFirst(algorithm.count), at: UInt8(ascii: ",")) {
            let parameter = trimmed(piece)
            if parameter.isEmpty { continue }
            guard let equals = parameter.utf8.firstIndex(of: UInt8(ascii: "=")) else {
                throw .incomplete(
                    "'\(parameter)' not a valid key=value pair (missing equal-sign) in Authorization header: '\(header)'.")
            }
            // Later values win, as AWS does.
            parameters[String(parameter[..<equals])] = String(parameter[parameter.utf8.index(after: equals)...])
        }

        var problems: [String] = []
        for name in ["Credential", "Signature", "SignedHeaders"] where parameters[name] == nil {
            problems.append("Authorization header requires '\(name)' parameter.")
        }
        let amzDate = request.value(of: "x-amz-date")
        let httpDate = request.value(of: "date")
        if amzDate == nil && httpDate == nil {
            problems.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
        }
        if !problems.isEmpty {
            throw .incomplete(problems.joined(separator: " ") + " Authorization=" + header)
        }

        let date: Date
        let timestampHeader: String
        if let amzDate {
            date = try parseISO(trimmed(amzDate))
            timestampHeader = "x-amz-date"
        } else {
            let text = trimmed(httpDate!)
            guard let parsed = SigV4Timestamp.parseHTTPDate(text) else { throw notISO(text) }
            date = parsed
            timestampHeader = "date"
        }
        return SigV4Authorization(
            source: .header,
            credential: parameters["Credential"]!,
            signedHeaders: signedHeaderList(parameters["SignedHeaders"]!),
            signature: parameters["Signature"]!,
            timestamp: SigV4Timestamp.format(date),
            date: date,
            timestampHeader: timestampHeader,
            expires: nil,
            sessionToken: request.value(of: "x-amz-security-token").map(trimmed))
    }

    private static func parseQuery(algorithm: String, _ request: SigV4Request) throws(SigV4Error) -> SigV4Authorization {
        guard algorithm == SigV4.algorithm else { throw .missingAuthenticationToken }
        let query = request.query
        let credential = SigV4.queryValue(query, "X-Amz-Credential")
        let signature = SigV4.queryValue(query, "X-Amz-Signature")
        let signedHeaders = SigV4.queryValue(query, "X-Amz-SignedHeaders")
        let amzDate = SigV4.queryValue(query, "X-Amz-Date")
        var problems: [String] = []
        if credential == nil { problems.append("AWS query-string parameters must include 'X-Amz-Credential'.") }
        if signature == nil { problems.append("AWS query-string parameters must include 'X-Amz-Signature'.") }
        if signedHeaders == nil { problems.append("AWS query-string parameters must include 'X-Amz-SignedHeaders'.") }
        if amzDate == nil { problems.append("AWS query-string parameters must include 'X-Amz-Date'.") }
        if !problems.isEmpty {
            throw .incomplete(problems.joined(separator: " ") + " Re-examine the query-string parameters.")
        }

        var expires: Int?
        if let text = SigV4.queryValue(query, "X-Amz-Expires") {
            guard let seconds = Int(text) else { throw .incomplete("X-Amz-Expires should be a number") }
            guard seconds >= 0 else { throw .incomplete("X-Amz-Expires must be non-negative") }
            guard seconds <= 604_800 else {
                throw .incomplete("X-Amz-Expires must be less than a week (in seconds) that is 604800")
            }
            expires = seconds
        }
        let date = try parseISO(amzDate!)
        return SigV4Authorization(
            source: .queryString,
            credential: credential!,
            signedHeaders: signedHeaderList(signedHeaders!),
            signature: signature!,
            timestamp: SigV4Timestamp.format(date),
            date: date,
            timestampHeader: nil,
            expires: expires,
            sessionToken: SigV4.queryValue(query, "X-Amz-Security-Token")
                ?? request.value(of: "x-amz-security-token").map(trimmed))
    }

    private static func parseISO(_ text: String) throws(SigV4Error) -> Date {
        guard let date = SigV4Timestamp.parse(text) else { throw notISO(text) }
        return date
    }

    private static func notISO(_ text: String) -> SigV4Error {
        .incomplete("Date must be in ISO-8601 'basic format'. Got '\(text)'. See http://en.wikipedia.org/wiki/ISO_8601")
    }

    private static func signedHeaderList(_ text: String) -> [String] {
        SigV4.split(text[...], at: UInt8(ascii: ";")).map { trimmed($0) }
    }

    private static func trimmed(_ text: String) -> String {
        trimmed(text[...])
    }

    private static func trimmed(_ text: Substring) -> String {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A }
        let bytes = text.utf8
        guard let first = bytes.firstIndex(where: { !isSpace($0) }),
              let last = bytes.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }
}
