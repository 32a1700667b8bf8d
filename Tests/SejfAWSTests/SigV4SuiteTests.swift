import Foundation
import Testing
import SejfAWS

/// Every case of AWS's SigV4 test suite, through the signer and through the verifier.
@Suite("SigV4 test suite")
struct SigV4SuiteTests {
    @Test("the suite has its 34 cases")
    func allCasesFound() {
        #expect(SigV4Suite.caseNames.count == 34)
        #expect(SigV4Suite.caseNames.contains("normalize-path/get-space"))
        #expect(SigV4Suite.caseNames.contains("post-sts-token/post-sts-header-before"))
    }

    /// The signer, given the suite's `.req` and fixed inputs, produces its canonical request,
    /// string to sign and `Authorization` header exactly.
    @Test("signer reproduces .creq, .sts and .authz", arguments: SigV4Suite.caseNames)
    func signer(_ name: String) throws {
        let suiteCase = try SigV4Suite.load(name)
        let request = RawHTTP.parse(suiteCase.req)
        let signature = SigV4Signer.signature(
            for: request, accessKeyId: SigV4Suite.accessKeyId, secretKey: Array(SigV4Suite.secretKey.utf8),
            region: SigV4Suite.region, service: SigV4Suite.service, date: SigV4Suite.now,
            sessionToken: sessionTokenToAdd(suiteCase))
        #expect(signature.canonicalRequest == suiteCase.creq)
        #expect(signature.stringToSign == suiteCase.sts)
        #expect(signature.authorization == suiteCase.authz)
        #expect(signature.headers.last?.value == suiteCase.authz)
    }

    /// The verifier, given the signed request, rebuilds the same canonical request and string to
    /// sign, and accepts it with the suite's credentials and clock.
    @Test("verifier accepts the signed request", arguments: SigV4Suite.caseNames)
    func verifier(_ name: String) throws {
        let suiteCase = try SigV4Suite.load(name)
        let request = signedRequest(suiteCase)
        let authorization = try SigV4Authorization.parse(request)
        let canonicalRequest = SigV4Verifier.canonicalRequest(for: request, authorization: authorization)
        #expect(canonicalRequest == suiteCase.creq)
        #expect(SigV4.stringToSign(timestamp: authorization.timestamp, scope: authorization.scope,
                                   canonicalRequest: canonicalRequest) == suiteCase.sts)

        let identity = try SigV4Verifier.verify(
            request: request, now: SigV4Suite.now, expectedService: SigV4Suite.service,
            secretFor: SigV4Suite.secret(for:))
        #expect(identity.accessKeyId == SigV4Suite.accessKeyId)
        #expect(identity.region == SigV4Suite.region)
        #expect(identity.service == SigV4Suite.service)
        #expect(identity.date == SigV4Suite.now)
    }

    /// The README's mutations of every case are refused: one signature byte flipped, `host`
    /// dropped from SignedHeaders, the clock moved 16 minutes either way, the body changed.
    @Test("verifier refuses each case mutated", arguments: SigV4Suite.caseNames)
    func mutations(_ name: String) throws {
        let request = signedRequest(try SigV4Suite.load(name))
        let authorization = request.value(of: "authorization")!

        var flipped = request
        let last = authorization.last!
        flipped.setHeader("Authorization", String(authorization.dropLast()) + (last == "0" ? "1" : "0"))
        #expect(reason(flipped) == .signatureMismatch)

        var hostless = request
        let withoutHost = authorization.replacingOccurrences(of: "=host;", with: "=").replacingOccurrences(of: ";host;", with: ";")
        #expect(withoutHost != authorization)
        hostless.setHeader("Authorization", withoutHost)
        #expect(reason(hostless) == .malformed)

        #expect(reason(request, now: SigV4Suite.now.addingTimeInterval(16 * 60)) == .expired)
        #expect(reason(request, now: SigV4Suite.now.addingTimeInterval(-16 * 60)) == .expired)

        var changedBody = request
        changedBody.body += Array("x".utf8)
        #expect(reason(changedBody) == .signatureMismatch)
    }

    /// `get-vanilla-with-session-token` ships an inconsistent `.sreq`: it claims
    /// `SignedHeaders=host;x-amz-date;x-amz-security-token` but carries get-vanilla's signature
    /// (`5fa00fa3…`, computed without the token), while `.authz` holds the right one (`07ec1639…`).
    /// A verifier must refuse that `.sreq`; the request the case describes — `.req`, the token
    /// header, `.authz` — is what ``signedRequest(_:)`` verifies.
    @Test("get-vanilla-with-session-token: the shipped .sreq is refused, as it must be")
    func inconsistentSessionTokenCase() throws {
        let suiteCase = try SigV4Suite.load("get-vanilla-with-session-token")
        let shipped = RawHTTP.parse(suiteCase.sreq)
        #expect(reason(shipped) == .signatureMismatch)
        #expect(try SigV4Verifier.verify(
            request: signedRequest(suiteCase), now: SigV4Suite.now, expectedService: SigV4Suite.service,
            secretFor: SigV4Suite.secret(for:)).sessionToken == shipped.value(of: "x-amz-security-token"))
    }

    // MARK: Helpers

    /// The session token the signer must add: when `.creq` signs `x-amz-security-token` but
    /// `.req` lacks the header (get-vanilla-with-session-token), the token is the one in `.sreq`.
    private func sessionTokenToAdd(_ suiteCase: SigV4Suite.Case) -> String? {
        let request = RawHTTP.parse(suiteCase.req)
        guard suiteCase.creq.contains("\nx-amz-security-token:"), request.value(of: "x-amz-security-token") == nil
        else { return nil }
        return RawHTTP.parse(suiteCase.sreq).value(of: "x-amz-security-token")
    }

    /// The signed request of a case: `.sreq`, except for get-vanilla-with-session-token whose
    /// `.sreq` is inconsistent (see ``inconsistentSessionTokenCase()``): there `.req` plus the
    /// token header plus `.authz`.
    private func signedRequest(_ suiteCase: SigV4Suite.Case) -> SigV4Request {
        guard let token = sessionTokenToAdd(suiteCase) else { return RawHTTP.parse(suiteCase.sreq) }
        var request = RawHTTP.parse(suiteCase.req)
        request.setHeader("X-Amz-Security-Token", token)
        request.setHeader("Authorization", suiteCase.authz)
        return request
    }

    private func reason(_ request: SigV4Request, now: Date = SigV4Suite.now) -> SigV4Error.Reason? {
        do {
            _ = try SigV4Verifier.verify(request: request, now: now, expectedService: SigV4Suite.service,
                                         secretFor: SigV4Suite.secret(for:))
            return nil
        } catch let error as SigV4Error {
            return error.reason
        } catch {
            return nil
        }
    }
}
