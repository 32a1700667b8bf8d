import Foundation
import Testing
import SejfAWS

/// A Secrets Manager request signed by ``SigV4Signer`` at the suite's time, and ways to refuse it.
enum SigV4Fixture {
    static let accessKeyId = "AKIASEJFTEST00000001"
    static let secretKey = "sejf/Test+Secret/Key0123456789abcdefghij"
    static let region = "prod"
    static let service = "secretsmanager"
    /// 2015-08-30T12:36:00Z.
    static let date = SigV4Suite.now
    static let body = Array(#"{"SecretId":"db/credentials"}"#.utf8)

    /// The unsigned request: host, content type, target, body.
    static func unsigned(host: Bool = true, body: [UInt8] = body) -> SigV4Request {
        var headers: [(name: String, value: String)] = [
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Target", "secretsmanager.GetSecretValue"),
        ]
        if host { headers.insert(("Host", "127.0.0.1:8080"), at: 0) }
        return SigV4Request(method: "POST", path: "/", headers: headers, body: body)
    }

    /// The request signed, with its headers set.
    static func signed(
        _ request: SigV4Request = unsigned(), region: String = region, service: String = service,
        date: Date = date, secretKey: String = secretKey, includeContentSHA256: Bool = false
    ) -> SigV4Request {
        var request = request
        for header in SigV4Signer.sign(
            request: request, accessKeyId: accessKeyId, secretKey: Array(secretKey.utf8), region: region,
            service: service, date: date, includeContentSHA256: includeContentSHA256) {
            request.setHeader(header.name, header.value)
        }
        return request
    }

    static func secret(for accessKeyId: String) -> [UInt8]? {
        accessKeyId == Self.accessKeyId ? Array(secretKey.utf8) : nil
    }

    static func verify(
        _ request: SigV4Request, now: Date = date, isValidRegion: (String) -> Bool = { !$0.isEmpty },
        secretFor: (String) throws -> [UInt8]? = secret(for:)
    ) throws -> SigV4Identity {
        try SigV4Verifier.verify(
            request: request, now: now, expectedService: service, isValidRegion: isValidRegion, secretFor: secretFor)
    }

    /// The error `verify` throws, checked never to reveal the secret key.
    static func refusal(
        _ request: SigV4Request, now: Date = date, isValidRegion: (String) -> Bool = { !$0.isEmpty },
        secretFor: (String) throws -> [UInt8]? = secret(for:)
    ) -> SigV4Error? {
        do {
            _ = try verify(request, now: now, isValidRegion: isValidRegion, secretFor: secretFor)
            return nil
        } catch let error as SigV4Error {
            #expect(!error.message.contains(secretKey))
            #expect(error.httpStatus == 400)
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    /// `request` with its Authorization header passed through `edit`.
    static func editingAuthorization(_ request: SigV4Request, _ edit: (String) -> String) -> SigV4Request {
        var request = request
        request.setHeader("Authorization", edit(request.value(of: "authorization")!))
        return request
    }
}

@Suite("SigV4 verifier")
struct SigV4VerifierTests {
    typealias F = SigV4Fixture

    static let mismatch = "The request signature we calculated does not match the signature you provided. "
        + "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."

    @Test("a correctly signed request names its signer")
    func accepts() throws {
        let identity = try F.verify(F.signed())
        #expect(identity == SigV4Identity(
            accessKeyId: F.accessKeyId, region: "prod", service: "secretsmanager", date: F.date, sessionToken: nil))
    }

    // MARK: Missing and malformed

    @Test("no Authorization header and no query signature: MissingAuthenticationTokenException")
    func missing() {
        let error = F.refusal(F.unsigned())
        #expect(error == SigV4Error(code: "MissingAuthenticationTokenException", message: "Missing Authentication Token",
                                    reason: .missing))
    }

    @Test("two Authorization headers: IncompleteSignatureException")
    func duplicatedAuthorization() {
        var request = F.signed()
        request.headers.append(("Authorization", request.value(of: "authorization")!))
        let error = F.refusal(request)
        #expect(error?.code == "IncompleteSignatureException")
        #expect(error?.reason == .malformed)
    }

    @Test("garbled Authorization headers: IncompleteSignatureException with AWS's text", arguments: [
        ("AWS4-HMAC-SHA256 Credential=AKIASEJFTEST00000001/20150830/prod/secretsmanager/aws4_request",
         "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. "
            + "Authorization=AWS4-HMAC-SHA256 Credential=AKIASEJFTEST00000001/20150830/prod/secretsmanager/aws4_request"),
        ("AWS4-HMAC-SHA256",
         "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. "
            + "Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256"),
        ("AWS4-HMAC-SHA256 Credential AKIASEJFTEST00000001/20150830/prod/secretsmanager/aws4_request, SignedHeaders=host, Signature=00",
         "'Credential AKIASEJFTEST00000001/20150830/prod/secretsmanager/aws4_request' not a valid key=value pair "
            + "(missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 Credential AKIASEJFTEST00000001/20150830/"
            + "prod/secretsmanager/aws4_request, SignedHeaders=host, Signature=00'."),
        ("AWS4-HMAC-SHA512 Credential=a/b/c/d/e, SignedHeaders=host, Signature=00",
         "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now). "),
        ("Bearer eyJhbGciOiJIUzI1NiJ9.e30.x",
         "Unsupported AWS 'algorithm': 'Bearer' (only AWS4-HMAC-SHA256 for now). "),
        ("AWS4-HMAC-SHA256 Credential=AKIASEJFTEST00000001/20150830/prod/secretsmanager, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=00",
         "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, "
            + "got 'AKIASEJFTEST00000001/20150830/prod/secretsmanager'"),
    ])
    func garbled(_ header: String, _ message: String) {
        var request = F.signed()
        request.setHeader("Authorization", header)
        #expect(F.refusal(request) == SigV4Error(code: "IncompleteSignatureException", message: message, reason: .malformed))
    }

    @Test("neither X-Amz-Date nor Date: IncompleteSignatureException")
    func noDate() {
        var request = F.signed()
        request.headers.removeAll { $0.name == "X-Amz-Date" }
        let error = F.refusal(request)
        #expect(error?.code == "IncompleteSignatureException")
        #expect(error?.message.hasPrefix(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Credential=")
            == true)
    }

    @Test("X-Amz-Date not in ISO 8601 basic format: IncompleteSignatureException")
    func badDate() {
        var request = F.signed()
        request.setHeader("X-Amz-Date", "2015-08-30T12:36:00Z")
        #expect(F.refusal(request) == SigV4Error(
            code: "IncompleteSignatureException",
            message: "Date must be in ISO-8601 'basic format'. Got '2015-08-30T12:36:00Z'. See http://en.wikipedia.org/wiki/ISO_8601",
            reason: .malformed))
    }

    @Test("SignedHeaders without host: InvalidSignatureException")
    func hostNotSigned() {
        // The signer signs what is there: without a Host header, host is not signed.
        let error = F.refusal(F.signed(F.unsigned(host: false)))
        #expect(error == SigV4Error(
            code: "InvalidSignatureException",
            message: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.", reason: .malformed))
    }

    @Test("SignedHeaders without x-amz-date: InvalidSignatureException")
    func dateNotSigned() {
        let request = F.editingAuthorization(F.signed()) { $0.replacingOccurrences(of: ";x-amz-date;", with: ";") }
        #expect(F.refusal(request) == SigV4Error(
            code: "InvalidSignatureException",
            message: "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.", reason: .malformed))
    }

    // MARK: Scope

    @Test("scope naming another service: InvalidSignatureException")
    func wrongService() {
        #expect(F.refusal(F.signed(service: "kms")) == SigV4Error(
            code: "InvalidSignatureException",
            message: "Credential should be scoped to correct service: 'secretsmanager'. ", reason: .scope))
    }

    @Test("scope naming a region that is not served: InvalidSignatureException")
    func wrongRegion() {
        #expect(F.refusal(F.signed(region: "staging"), isValidRegion: { $0 == "prod" }) == SigV4Error(
            code: "InvalidSignatureException",
            message: "Credential should be scoped to a valid region, not 'staging'. ", reason: .scope))
    }

    @Test("scope date other than the X-Amz-Date day: InvalidSignatureException")
    func wrongScopeDate() {
        let request = F.editingAuthorization(F.signed()) { $0.replacingOccurrences(of: "/20150830/", with: "/20150829/") }
        #expect(F.refusal(request) == SigV4Error(
            code: "InvalidSignatureException",
            message: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                + "'20150829' != '20150830', from '20150830T123600Z'. ",
            reason: .scope))
    }

    @Test("every scope problem is reported at once, in AWS's order")
    func everythingWrongInScope() {
        let request = F.editingAuthorization(F.signed()) {
            $0.replacingOccurrences(of: "/20150830/prod/secretsmanager/aws4_request",
                                    with: "/20150831/Prod/secretmanager/aws5_request")
        }
        #expect(F.refusal(request, isValidRegion: { $0 == "prod" })?.message ==
            "Credential should be scoped to a valid region, not 'Prod'. "
            + "Credential should be scoped to correct service: 'secretsmanager'. "
            + "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. "
            + "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            + "'20150831' != '20150830', from '20150830T123600Z'. ")
    }

    // MARK: Time

    @Test("AWS's own example: signed at 12:36, checked at 13:01")
    func expiredExample() {
        #expect(F.refusal(F.signed(), now: F.date.addingTimeInterval(25 * 60)) == SigV4Error(
            code: "InvalidSignatureException",
            message: "Signature expired: 20150830T123600Z is now earlier than 20150830T124600Z (20150830T130100Z - 15 min.)",
            reason: .expired))
    }

    @Test("16 minutes old: expired")
    func sixteenMinutesOld() {
        #expect(F.refusal(F.signed(), now: F.date.addingTimeInterval(16 * 60)) == SigV4Error(
            code: "InvalidSignatureException",
            message: "Signature expired: 20150830T123600Z is now earlier than 20150830T123700Z (20150830T125200Z - 15 min.)",
            reason: .expired))
    }

    @Test("16 minutes in the future: not yet current")
    func sixteenMinutesAhead() {
        #expect(F.refusal(F.signed(), now: F.date.addingTimeInterval(-16 * 60)) == SigV4Error(
            code: "InvalidSignatureException",
            message: "Signature not yet current: 20150830T123600Z is still later than 20150830T123500Z (20150830T122000Z + 15 min.)",
            reason: .expired))
    }

    @Test("14 and 15 minutes either way: accepted", arguments: [-15, -14, 14, 15])
    func withinSkew(_ minutes: Int) throws {
        _ = try F.verify(F.signed(), now: F.date.addingTimeInterval(TimeInterval(minutes * 60)))
    }

    // MARK: Keys and signatures

    @Test("unknown access key id: UnrecognizedClientException")
    func unknownKey() {
        var asked: [String] = []
        let error = F.refusal(F.signed(), secretFor: { asked.append($0); return nil })
        #expect(error == SigV4Error(
            code: "UnrecognizedClientException", message: "The security token included in the request is invalid.",
            reason: .unknownKey))
        #expect(asked == [F.accessKeyId])
    }

    @Test("the secret is not looked up for a request refused earlier")
    func noLookupWhenRefusedEarly() {
        var asked = 0
        _ = F.refusal(F.signed(), now: F.date.addingTimeInterval(3600), secretFor: { _ in asked += 1; return nil })
        _ = F.refusal(F.signed(service: "kms"), secretFor: { _ in asked += 1; return nil })
        #expect(asked == 0)
    }

    @Test("an error from the key lookup is passed through")
    func lookupErrorPropagates() {
        struct StoreDown: Error {}
        #expect(throws: StoreDown.self) { try F.verify(F.signed(), secretFor: { _ in throw StoreDown() }) }
    }

    @Test("wrong secret: InvalidSignatureException")
    func wrongSecret() {
        let error = F.refusal(F.signed(secretKey: "not-the-secret"))
        #expect(error == SigV4Error(code: "InvalidSignatureException", message: Self.mismatch, reason: .signatureMismatch))
    }

    @Test("one hex digit of the signature changed: InvalidSignatureException")
    func tamperedSignature() {
        let request = F.editingAuthorization(F.signed()) { header in
            var characters = Array(header)
            let index = characters.count - 20
            characters[index] = characters[index] == "a" ? "b" : "a"
            return String(characters)
        }
        #expect(F.refusal(request)?.reason == .signatureMismatch)
    }

    @Test("body changed after signing: InvalidSignatureException")
    func tamperedBody() {
        var request = F.signed()
        request.body = Array(#"{"SecretId":"db/other"}"#.utf8)
        #expect(F.refusal(request) == SigV4Error(code: "InvalidSignatureException", message: Self.mismatch,
                                                 reason: .signatureMismatch))
    }

    @Test("a signed header changed after signing: InvalidSignatureException")
    func tamperedHeader() {
        var request = F.signed()
        request.setHeader("X-Amz-Target", "secretsmanager.DeleteSecret")
        #expect(F.refusal(request)?.reason == .signatureMismatch)
    }

    @Test("an unsigned header added after signing is ignored")
    func unsignedHeaderAdded() throws {
        var request = F.signed()
        request.headers.append(("User-Agent", "aws-cli/2"))
        _ = try F.verify(request)
    }

    // MARK: X-Amz-Content-Sha256

    @Test("X-Amz-Content-Sha256 that matches the body: accepted")
    func contentHashAccepted() throws {
        let request = F.signed(includeContentSHA256: true)
        #expect(request.value(of: "x-amz-content-sha256") == SigV4.payloadHash(F.body))
        _ = try F.verify(request)
    }

    @Test("body changed under a signed X-Amz-Content-Sha256: refused for the body hash")
    func contentHashBodyChanged() {
        var request = F.signed(includeContentSHA256: true)
        request.body = Array(#"{"SecretId":"db/other"}"#.utf8)
        #expect(F.refusal(request) == SigV4Error(
            code: "InvalidSignatureException",
            message: "The provided 'x-amz-content-sha256' header does not match what was computed.", reason: .bodyHash))
    }

    @Test("X-Amz-Content-Sha256 not the body's hash, even unsigned: refused for the body hash")
    func contentHashWrong() {
        var request = F.signed()
        request.setHeader("X-Amz-Content-Sha256", SigV4.emptyPayloadHash)
        #expect(F.refusal(request)?.reason == .bodyHash)
    }

    @Test("UNSIGNED-PAYLOAD with an Authorization header: refused for the body hash")
    func unsignedPayloadInHeaderAuth() {
        var request = F.unsigned()
        request.setHeader("X-Amz-Content-Sha256", SigV4.unsignedPayload)
        #expect(F.refusal(F.signed(request))?.reason == .bodyHash)
    }

    // MARK: Date header

    @Test("a request dated by a signed Date header instead of X-Amz-Date: accepted")
    func dateHeader() throws {
        var request = F.unsigned()
        request.setHeader("Date", "Sun, 30 Aug 2015 12:36:00 GMT")
        let signedHeaders = ["content-type", "date", "host", "x-amz-target"]
        let scope = SigV4.scope(date: "20150830", region: F.region, service: F.service)
        let stringToSign = SigV4.stringToSign(
            timestamp: "20150830T123600Z", scope: scope,
            canonicalRequest: SigV4.canonicalRequest(request, signedHeaders: signedHeaders, payloadHash: SigV4.payloadHash(F.body)))
        let key = SigV4.signingKey(secretKey: Array(F.secretKey.utf8), date: "20150830", region: F.region, service: F.service)
        request.setHeader("Authorization", "AWS4-HMAC-SHA256 Credential=\(F.accessKeyId)/\(scope), "
            + "SignedHeaders=\(signedHeaders.joined(separator: ";")), Signature=\(SigV4.signature(signingKey: key, stringToSign: stringToSign))")
        #expect(try F.verify(request).date == F.date)

        let unsignedDate = F.editingAuthorization(request) { $0.replacingOccurrences(of: ";date;", with: ";") }
        #expect(F.refusal(unsignedDate)?.message == "'Date' must be a 'SignedHeader' in the AWS Authorization.")
    }

    // MARK: Query-string authentication (presigned URLs)

    static func presigned(expires: Int = 300) -> SigV4Request {
        var request = SigV4Request(method: "GET", path: "/", query: "Action=ListSecrets&MaxResults=10",
                                   headers: [("Host", "127.0.0.1:8080")])
        request.query = SigV4Signer.presign(
            request: request, accessKeyId: F.accessKeyId, secretKey: Array(F.secretKey.utf8), region: F.region,
            service: F.service, date: F.date, expires: expires)
        return request
    }

    @Test("a presigned URL verifies, within its expiry even beyond the clock skew")
    func presignedAccepted() throws {
        let request = Self.presigned(expires: 3600)
        #expect(request.query.contains("X-Amz-Credential=AKIASEJFTEST00000001%2F20150830%2Fprod%2Fsecretsmanager%2Faws4_request"))
        #expect(try F.verify(request).accessKeyId == F.accessKeyId)
        _ = try F.verify(request, now: F.date.addingTimeInterval(3000))
    }

    @Test("a presigned URL past X-Amz-Expires: refused")
    func presignedExpired() {
        #expect(F.refusal(Self.presigned(expires: 300), now: F.date.addingTimeInterval(301)) == SigV4Error(
            code: "InvalidSignatureException", message: "Request has expired", reason: .expired))
    }

    @Test("a presigned URL with a changed parameter: refused")
    func presignedTampered() {
        var request = Self.presigned()
        request.query = request.query.replacingOccurrences(of: "MaxResults=10", with: "MaxResults=100")
        #expect(F.refusal(request)?.reason == .signatureMismatch)
    }

    @Test("a presigned URL without X-Amz-Signature: IncompleteSignatureException")
    func presignedIncomplete() {
        var request = Self.presigned()
        request.query = String(request.query[..<request.query.range(of: "&X-Amz-Signature=")!.lowerBound])
        #expect(F.refusal(request) == SigV4Error(
            code: "IncompleteSignatureException",
            message: "AWS query-string parameters must include 'X-Amz-Signature'. Re-examine the query-string parameters.",
            reason: .malformed))
    }

    @Test("a query-string algorithm other than AWS4-HMAC-SHA256: MissingAuthenticationTokenException")
    func presignedOtherAlgorithm() {
        var request = Self.presigned()
        request.query = request.query.replacingOccurrences(of: "X-Amz-Algorithm=AWS4-HMAC-SHA256", with: "X-Amz-Algorithm=AWS3")
        #expect(F.refusal(request)?.code == "MissingAuthenticationTokenException")
    }

    @Test("a signature both in the header and in the query: refused")
    func signatureTwice() {
        var request = Self.presigned()
        request.setHeader("Authorization", F.signed().value(of: "authorization")!)
        #expect(F.refusal(request)?.code == "InvalidSignatureException")
    }
}
