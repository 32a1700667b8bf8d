import Foundation
import Testing
import SejfAWS

/// Cross-check with a real client: botocore (what boto3 and the AWS CLI use) signs requests in a
/// python3 subprocess; the Swift verifier must accept them.
///
/// Needs `python3` with botocore (CI has both). Set `SEJF_SKIP_BOTOCORE=1` to skip on a machine
/// without them.
@Suite("SigV4 against botocore", .enabled(if: ProcessInfo.processInfo.environment["SEJF_SKIP_BOTOCORE"] == nil))
struct SigV4BotocoreTests {
    static let accessKeyId = "AKIASEJFBOTOCORE0001"
    static let secretKey = "botocore/Secret+Key/0123456789abcdefABCDEF"
    static let sessionToken = "FwoGZXIvYXdzEXAMPLE//token+with/slashes=="

    /// Signs four requests with botocore and prints them as JSON: a GetSecretValue call, the same
    /// with a session token, a GET whose path and query are percent-encoded on the wire, and a
    /// presigned URL (`SigV4QueryAuth`).
    static let script = #"""
    import base64, json
    from urllib.parse import urlsplit
    import botocore.auth, botocore.awsrequest, botocore.credentials

    plain = botocore.credentials.Credentials("\#(accessKeyId)", "\#(secretKey)")
    with_token = botocore.credentials.Credentials("\#(accessKeyId)", "\#(secretKey)", "\#(sessionToken)")

    def emit(name, request):
        prepared = request.prepare()
        parts = urlsplit(prepared.url)
        body = prepared.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        headers = [[k, v.decode() if isinstance(v, bytes) else v] for k, v in prepared.headers.items()]
        return {"name": name, "method": prepared.method, "path": parts.path, "query": parts.query,
                "host": parts.netloc, "headers": headers, "body": base64.b64encode(body).decode()}

    def json_call(credentials):
        request = botocore.awsrequest.AWSRequest(
            method="POST", url="http://127.0.0.1:8080/",
            data=json.dumps({"SecretId": "db/credentials", "VersionStage": "AWSCURRENT"}).encode(),
            headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "secretsmanager.GetSecretValue"})
        botocore.auth.SigV4Auth(credentials, "secretsmanager", "prod").add_auth(request)
        return request

    out = [emit("GetSecretValue", json_call(plain)), emit("session token", json_call(with_token))]

    encoded = botocore.awsrequest.AWSRequest(method="GET", url="http://127.0.0.1:8080/some%20path/x~y?b=2&a=1%202&c=%2B")
    botocore.auth.SigV4Auth(plain, "secretsmanager", "prod").add_auth(encoded)
    out.append(emit("encoded path and query", encoded))

    presigned = botocore.awsrequest.AWSRequest(method="GET", url="http://127.0.0.1:8080/?Action=ListSecrets")
    botocore.auth.SigV4QueryAuth(plain, "secretsmanager", "prod", expires=300).add_auth(presigned)
    out.append(emit("presigned URL", presigned))

    print(json.dumps(out))
    """#

    struct SignedByBotocore: Decodable {
        let name: String
        let method: String
        let path: String
        let query: String
        let host: String
        let headers: [[String]]
        let body: String

        var request: SigV4Request {
            var headers = headers.map { (name: $0[0], value: $0[1]) }
            // The HTTP client adds Host on the wire; botocore signed it from the URL.
            if !headers.contains(where: { $0.name.lowercased() == "host" }) { headers.insert(("Host", host), at: 0) }
            return SigV4Request(method: method, path: path, query: query, headers: headers,
                                body: Array(Data(base64Encoded: body)!))
        }

        /// The signing time botocore used: `X-Amz-Date`, from the headers or the query.
        var signedAt: Date? {
            let request = request
            let text = request.value(of: "x-amz-date")
                ?? request.query.split(separator: "&").first { $0.hasPrefix("X-Amz-Date=") }.map { String($0.dropFirst(11)) }
            return text.flatMap(SigV4Timestamp.parse)
        }
    }

    static func signWithBotocore() throws -> [SignedByBotocore] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BotocoreFailed(message: "python3 exited with \(process.terminationStatus): \(errorText)")
        }
        return try JSONDecoder().decode([SignedByBotocore].self, from: data)
    }

    struct BotocoreFailed: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    @Test("requests signed by botocore verify; with another secret they do not")
    func botocoreSignedRequestsVerify() throws {
        let signed = try Self.signWithBotocore()
        #expect(signed.map(\.name) == ["GetSecretValue", "session token", "encoded path and query", "presigned URL"])
        for item in signed {
            let request = item.request
            let now = try #require(item.signedAt, "\(item.name): no X-Amz-Date")
            let identity = try SigV4Verifier.verify(
                request: request, now: now, expectedService: "secretsmanager", isValidRegion: { $0 == "prod" },
                secretFor: { $0 == Self.accessKeyId ? Array(Self.secretKey.utf8) : nil })
            #expect(identity.accessKeyId == Self.accessKeyId, "\(item.name)")
            #expect(identity.region == "prod", "\(item.name)")
            #expect(identity.date == now, "\(item.name)")
            #expect(identity.sessionToken == (item.name == "session token" ? Self.sessionToken : nil), "\(item.name)")

            #expect(throws: SigV4Error.signatureMismatch, "\(item.name)") {
                try SigV4Verifier.verify(
                    request: request, now: now, expectedService: "secretsmanager",
                    secretFor: { _ in Array("another secret".utf8) })
            }
        }
    }

    @Test("the Swift signer and botocore sign the same request identically")
    func sameSignatureAsBotocore() throws {
        let botocore = try #require(try Self.signWithBotocore().first { $0.name == "GetSecretValue" })
        var request = botocore.request
        let expected = request.value(of: "authorization")
        request.headers.removeAll { ["authorization", "content-length"].contains($0.name.lowercased()) }
        // botocore signs before its HTTP layer adds Content-Length, so the header was not signed.
        let ours = SigV4Signer.signature(
            for: request, accessKeyId: Self.accessKeyId, secretKey: Array(Self.secretKey.utf8), region: "prod",
            service: "secretsmanager", date: try #require(botocore.signedAt))
        #expect(ours.authorization == expected)
    }
}
