import Foundation
import SejfCrypto

/// Client-side AWS Signature Version 4: signs a request the way botocore does, so a Sejf server
/// (or AWS) verifies it.
///
/// Every header present is signed except `Authorization` and the few botocore leaves out because
/// proxies change them (`User-Agent`, `Expect`, hop-by-hop headers, `X-Amzn-Trace-Id`).
///
/// ```swift
/// var request = SigV4Request(method: "POST", path: "/", headers: [
///     ("Host", "sejf.internal:8443"),
///     ("Content-Type", "application/x-amz-json-1.1"),
///     ("X-Amz-Target", "secretsmanager.GetSecretValue"),
/// ], body: body)
/// for header in SigV4Signer.sign(
///     request: request, accessKeyId: keyId, secretKey: secret,
///     region: "prod", service: "secretsmanager", date: Date()) {
///     request.setHeader(header.name, header.value)
/// }
/// ```
public enum SigV4Signer {
    /// Everything a signature was computed from, for tests and debugging.
    public struct Signature: Sendable {
        /// The canonical request that was signed.
        public let canonicalRequest: String
        /// The string to sign.
        public let stringToSign: String
        /// The hex signature.
        public let signature: String
        /// The `Authorization` header value.
        public let authorization: String
        /// The headers to set on the request, replacing any of the same name:
        /// `X-Amz-Date`, then `X-Amz-Security-Token` and `X-Amz-Content-Sha256` when asked for,
        /// then `Authorization`.
        public let headers: [(name: String, value: String)]
    }

    /// Headers never signed (botocore's list): proxies and HTTP stacks may change them.
    public static let unsignedHeaders: Set<String> = [
        "authorization", "connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization",
        "te", "trailer", "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id",
    ]

    /// Signs `request` and returns the headers to set on it (replacing same-named ones).
    ///
    /// - Parameters:
    ///   - request: the request as it will be sent; it must carry `Host`.
    ///   - secretKey: the secret access key's UTF-8 bytes.
    ///   - region: the region (in Sejf, the environment).
    ///   - date: the signing time (`X-Amz-Date`).
    ///   - sessionToken: sent and signed as `X-Amz-Security-Token` when given.
    ///   - includeContentSHA256: also send and sign `X-Amz-Content-Sha256`.
    public static func sign(
        request: SigV4Request, accessKeyId: String, secretKey: [UInt8], region: String, service: String,
        date: Date, sessionToken: String? = nil, includeContentSHA256: Bool = false
    ) -> [(name: String, value: String)] {
        signature(
            for: request, accessKeyId: accessKeyId, secretKey: secretKey, region: region, service: service,
            date: date, sessionToken: sessionToken, includeContentSHA256: includeContentSHA256
        ).headers
    }

    /// Signs `request` like ``sign(request:accessKeyId:secretKey:region:service:date:sessionToken:includeContentSHA256:)``
    /// and returns every intermediate value too.
    public static func signature(
        for request: SigV4Request, accessKeyId: String, secretKey: [UInt8], region: String, service: String,
        date: Date, sessionToken: String? = nil, includeContentSHA256: Bool = false
    ) -> Signature {
        let timestamp = SigV4Timestamp.format(date)
        let payloadHash = SigV4.payloadHash(request.body)
        var added: [(name: String, value: String)] = [("X-Amz-Date", timestamp)]
        if let sessionToken { added.append(("X-Amz-Security-Token", sessionToken)) }
        if includeContentSHA256 { added.append(("X-Amz-Content-Sha256", payloadHash)) }

        var signed = request
        for header in added { signed.setHeader(header.name, header.value) }
        let signedHeaders = headerNamesToSign(signed)
        let scope = SigV4.scope(date: String(timestamp.prefix(8)), region: region, service: service)
        let canonicalRequest = SigV4.canonicalRequest(signed, signedHeaders: signedHeaders, payloadHash: payloadHash)
        let stringToSign = SigV4.stringToSign(timestamp: timestamp, scope: scope, canonicalRequest: canonicalRequest)
        let signature = sign(stringToSign, secretKey: secretKey, date: timestamp, region: region, service: service)
        let authorization = "\(SigV4.algorithm) Credential=\(accessKeyId)/\(scope), "
            + "SignedHeaders=\(signedHeaders.joined(separator: ";")), Signature=\(signature)"
        return Signature(
            canonicalRequest: canonicalRequest, stringToSign: stringToSign, signature: signature,
            authorization: authorization, headers: added + [("Authorization", authorization)])
    }

    /// Presigns `request` (query-string authentication) and returns its new raw query string:
    /// the original parameters, then `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`,
    /// `X-Amz-Expires`, `X-Amz-SignedHeaders` (and `X-Amz-Security-Token`), then
    /// `X-Amz-Signature`. Like botocore's `SigV4QueryAuth`, the payload hash is the body's.
    ///
    /// - Parameter expires: seconds the URL stays valid (at most 604800, a week).
    public static func presign(
        request: SigV4Request, accessKeyId: String, secretKey: [UInt8], region: String, service: String,
        date: Date, expires: Int, sessionToken: String? = nil
    ) -> String {
        let timestamp = SigV4Timestamp.format(date)
        let scope = SigV4.scope(date: String(timestamp.prefix(8)), region: region, service: service)
        let signedHeaders = headerNamesToSign(request)
        var parameters = [
            ("X-Amz-Algorithm", SigV4.algorithm),
            ("X-Amz-Credential", "\(accessKeyId)/\(scope)"),
            ("X-Amz-Date", timestamp),
            ("X-Amz-Expires", String(expires)),
            ("X-Amz-SignedHeaders", signedHeaders.joined(separator: ";")),
        ]
        if let sessionToken { parameters.append(("X-Amz-Security-Token", sessionToken)) }
        let encoded = parameters.map { SigV4.uriEncode($0.0.utf8, keepSlash: false) + "=" + SigV4.uriEncode($0.1.utf8, keepSlash: false) }
        var signed = request
        signed.query = ([request.query].filter { !$0.isEmpty } + encoded).joined(separator: "&")
        let canonicalRequest = SigV4.canonicalRequest(
            signed, signedHeaders: signedHeaders, payloadHash: SigV4.payloadHash(request.body))
        let stringToSign = SigV4.stringToSign(timestamp: timestamp, scope: scope, canonicalRequest: canonicalRequest)
        let signature = sign(stringToSign, secretKey: secretKey, date: timestamp, region: region, service: service)
        return signed.query + "&X-Amz-Signature=" + signature
    }

    /// The lower-case names of the headers to sign, sorted, without duplicates.
    static func headerNamesToSign(_ request: SigV4Request) -> [String] {
        let names = Set(request.headers.map { SigV4.lowercasedASCII($0.name) }).subtracting(unsignedHeaders)
        return names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    private static func sign(_ stringToSign: String, secretKey: [UInt8], date: String, region: String, service: String) -> String {
        var key = SigV4.signingKey(secretKey: secretKey, date: String(date.prefix(8)), region: region, service: service)
        defer { SecureBytes.wipe(&key) }
        return SigV4.signature(signingKey: key, stringToSign: stringToSign)
    }
}
