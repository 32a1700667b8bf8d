import Foundation
import SejfCrypto

/// Who signed a request that passed ``SigV4Verifier/verify(request:now:expectedService:maxClockSkew:isValidRegion:secretFor:)``.
public struct SigV4Identity: Sendable, Equatable {
    /// The access key id from the credential scope; its secret produced the signature.
    public let accessKeyId: String
    /// The region of the scope — in Sejf, the environment.
    public let region: String
    /// The service of the scope (always the expected service).
    public let service: String
    /// When the request was signed.
    public let date: Date
    /// `X-Amz-Security-Token`, if the request carried one (signed or not). Sejf issues no session
    /// tokens, so a caller that does not expect one should refuse the request.
    public let sessionToken: String?

    public init(accessKeyId: String, region: String, service: String, date: Date, sessionToken: String? = nil) {
        self.accessKeyId = accessKeyId
        self.region = region
        self.service = service
        self.date = date
        self.sessionToken = sessionToken
    }
}

/// Server-side AWS Signature Version 4 verification: given a request, the time, and a way to
/// look up secrets, either names the access key that signed the request or throws AWS's error.
///
/// It takes values and returns values — no clock, no storage, no logging — so the HTTP layer
/// decides where the request, the time and the secrets come from.
///
/// ```swift
/// let identity = try SigV4Verifier.verify(
///     request: request, now: Date(), expectedService: "secretsmanager",
///     secretFor: { accessKeyId in try keys.secret(for: accessKeyId) })
/// // identity.region is the environment, identity.accessKeyId the caller.
/// ```
///
/// The checks run in AWS's order, each with its own error: signature parameters present and
/// well formed; request time within ``defaultMaxClockSkew`` of `now` (or, for a presigned URL,
/// before `X-Amz-Date + X-Amz-Expires`); `host` and the time header signed; credential scope
/// naming `expectedService`, a valid region, the request's date and `aws4_request`; a known
/// access key; `X-Amz-Content-Sha256`, when sent, equal to the body's hash; and finally the
/// signature, compared in constant time.
public enum SigV4Verifier {
    /// How far the request time may be from the server's clock, either way: 15 minutes.
    public static let defaultMaxClockSkew: TimeInterval = 15 * 60

    /// Verifies the SigV4 signature of `request`.
    ///
    /// - Parameters:
    ///   - now: the server's current time.
    ///   - expectedService: the service the scope must name (`secretsmanager`).
    ///   - maxClockSkew: the allowed distance between the request time and `now`.
    ///   - isValidRegion: whether the scope's region may be served (in Sejf: names an environment).
    ///   - secretFor: the secret access key (its UTF-8 bytes) for an access key id, or nil when
    ///     the id is unknown. It is called at most once, after every check that needs no secret.
    /// - Returns: the verified identity.
    /// - Throws: ``SigV4Error`` for every authentication failure (see ``SigV4Error/Reason``), or
    ///   whatever `secretFor` throws.
    public static func verify(
        request: SigV4Request,
        now: Date,
        expectedService: String,
        maxClockSkew: TimeInterval = defaultMaxClockSkew,
        isValidRegion: (String) -> Bool = { !$0.isEmpty },
        secretFor: (String) throws -> [UInt8]?
    ) throws -> SigV4Identity {
        try verify(request: request, now: now, expectedService: expectedService, maxClockSkew: maxClockSkew,
                   isValidRegion: isValidRegion) { scope in
            guard var secret = try secretFor(scope.accessKeyId) else { return nil }
            defer { SecureBytes.wipe(&secret) }
            return SecureBytes(signingKeyOf: secret, scope)
        }
    }

    /// Verifies the SigV4 signature of `request` with the signing key of its credential scope —
    /// for a caller that keeps derived keys, as AWS's SDKs do, rather than deriving one per request.
    ///
    /// - Parameter signingKeyFor: the signing key (``SigV4/signingKey(secretKey:date:region:service:)``)
    ///   of the scope's access key, day, region and service, or nil when the access key is
    ///   unknown. It is called at most once, after every check that needs no secret.
    /// - Throws: as ``verify(request:now:expectedService:maxClockSkew:isValidRegion:secretFor:)``.
    public static func verify(
        request: SigV4Request,
        now: Date,
        expectedService: String,
        maxClockSkew: TimeInterval = defaultMaxClockSkew,
        isValidRegion: (String) -> Bool = { !$0.isEmpty },
        signingKeyFor: (SigV4Scope) throws -> SecureBytes?
    ) throws -> SigV4Identity {
        let authorization = try SigV4Authorization.parse(request)
        try checkTime(authorization, now: now, maxClockSkew: maxClockSkew)
        try checkSignedHeaders(authorization)
        let scope = try checkScope(authorization, expectedService: expectedService, isValidRegion: isValidRegion)

        guard let signingKey = try signingKeyFor(scope) else { throw SigV4Error.unrecognizedClient }

        try checkPayloadHash(request, authorization)

        let stringToSign = SigV4.stringToSign(
            timestamp: authorization.timestamp, scope: authorization.scope,
            canonicalRequest: canonicalRequest(for: request, authorization: authorization))
        let expected = signingKey.withUnsafeBytes { SigV4.signature(signingKey: $0, stringToSign: stringToSign) }
        guard constantTimeEquals(Array(expected.utf8), Array(authorization.signature.utf8)) else {
            throw SigV4Error.signatureMismatch
        }
        return SigV4Identity(
            accessKeyId: scope.accessKeyId, region: scope.region, service: scope.service, date: authorization.date,
            sessionToken: authorization.sessionToken)
    }

    /// The canonical request the verifier signs for `request` as `authorization` describes it:
    /// the signed headers it names, the payload hash from `X-Amz-Content-Sha256` when sent (else
    /// the body's), and for a presigned URL every query parameter but `X-Amz-Signature`.
    public static func canonicalRequest(for request: SigV4Request, authorization: SigV4Authorization) -> String {
        let payloadHash = request.value(of: "x-amz-content-sha256").map(SigV4.trimAll) ?? SigV4.payloadHash(request.body)
        return SigV4.canonicalRequest(
            request, signedHeaders: authorization.signedHeaders, payloadHash: payloadHash,
            excludingQueryKeys: authorization.source == .queryString ? ["X-Amz-Signature"] : [])
    }

    // MARK: Checks

    private static func checkTime(_ authorization: SigV4Authorization, now: Date, maxClockSkew: TimeInterval) throws {
        let minutes = Int((maxClockSkew / 60).rounded())
        let latest = now.addingTimeInterval(maxClockSkew)
        if authorization.date > latest {
            throw SigV4Error.invalid(
                "Signature not yet current: \(authorization.timestamp) is still later than "
                    + "\(SigV4Timestamp.format(latest)) (\(SigV4Timestamp.format(now)) + \(minutes) min.)",
                .expired)
        }
        if let expires = authorization.expires {
            // A presigned URL lives until X-Amz-Date + X-Amz-Expires.
            if now > authorization.date.addingTimeInterval(TimeInterval(expires)) {
                throw SigV4Error.invalid("Request has expired", .expired)
            }
            return
        }
        let earliest = now.addingTimeInterval(-maxClockSkew)
        if authorization.date < earliest {
            throw SigV4Error.invalid(
                "Signature expired: \(authorization.timestamp) is now earlier than "
                    + "\(SigV4Timestamp.format(earliest)) (\(SigV4Timestamp.format(now)) - \(minutes) min.)",
                .expired)
        }
    }

    private static func checkSignedHeaders(_ authorization: SigV4Authorization) throws {
        let signed = Set(authorization.signedHeaders.map(SigV4.lowercasedASCII))
        guard signed.contains("host") || signed.contains(":authority") else {
            throw SigV4Error.invalid("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.", .malformed)
        }
        // The time header must be signed too (the query-string form carries the time in the query).
        if let header = authorization.timestampHeader, !signed.contains(header) {
            let name = header == "date" ? "Date" : "X-Amz-Date"
            throw SigV4Error.invalid("'\(name)' must be a 'SignedHeader' in the AWS Authorization.", .malformed)
        }
    }

    private static func checkScope(
        _ authorization: SigV4Authorization, expectedService: String, isValidRegion: (String) -> Bool
    ) throws -> SigV4Scope {
        let elements = authorization.credentialElements
        guard elements.count == 5 else {
            throw SigV4Error.incomplete(
                "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, "
                    + "got '\(authorization.credential)'")
        }
        let (date, region, service, terminator) = (elements[1], elements[2], elements[3], elements[4])
        let requestDate = String(authorization.timestamp.prefix(8))
        var problems = ""
        if !isValidRegion(region) {
            problems += "Credential should be scoped to a valid region, not '\(region)'. "
        }
        if service != expectedService {
            problems += "Credential should be scoped to correct service: '\(expectedService)'. "
        }
        if terminator != SigV4.terminator {
            problems += "Credential should be scoped with a valid terminator: '\(SigV4.terminator)', not '\(terminator)'. "
        }
        if date != requestDate {
            problems += "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                + "'\(date)' != '\(requestDate)', from '\(authorization.timestamp)'. "
        }
        guard problems.isEmpty else { throw SigV4Error.invalid(problems, .scope) }
        return SigV4Scope(accessKeyId: elements[0], date: date, region: region, service: service)
    }

    /// A sent `X-Amz-Content-Sha256` enters the canonical request instead of the body, so it must
    /// be the body's hash — or a body changed after signing would pass. `UNSIGNED-PAYLOAD` is
    /// accepted only for presigned URLs without a body.
    private static func checkPayloadHash(_ request: SigV4Request, _ authorization: SigV4Authorization) throws {
        guard let sent = request.value(of: "x-amz-content-sha256").map(SigV4.trimAll) else { return }
        if sent == SigV4.unsignedPayload {
            guard authorization.source == .queryString, request.body.isEmpty else { throw SigV4Error.bodyHashMismatch }
            return
        }
        let actual = SigV4.payloadHash(request.body)
        guard constantTimeEquals(Array(SigV4.lowercasedASCII(sent).utf8), Array(actual.utf8)) else {
            throw SigV4Error.bodyHashMismatch
        }
    }
}
