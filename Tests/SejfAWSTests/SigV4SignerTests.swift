import Foundation
import Testing
import SejfAWS

@Suite("SigV4 signer")
struct SigV4SignerTests {
    typealias F = SigV4Fixture

    @Test("round trip: a signed GetSecretValue request verifies")
    func roundTrip() throws {
        let request = SigV4Request(method: "POST", path: "/", headers: [
            ("Host", "sejf.internal:8443"),
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Target", "secretsmanager.GetSecretValue"),
        ], body: Array(#"{"SecretId":"db/credentials","VersionStage":"AWSCURRENT"}"#.utf8))
        let now = Date()
        var signed = request
        for header in SigV4Signer.sign(
            request: request, accessKeyId: F.accessKeyId, secretKey: Array(F.secretKey.utf8), region: "prod",
            service: "secretsmanager", date: now) {
            signed.setHeader(header.name, header.value)
        }
        let identity = try SigV4Verifier.verify(
            request: signed, now: now, expectedService: "secretsmanager", secretFor: F.secret(for:))
        #expect(identity.accessKeyId == F.accessKeyId)
        #expect(identity.region == "prod")
        #expect(identity.service == "secretsmanager")
        #expect(abs(identity.date.timeIntervalSince(now)) < 1)
    }

    @Test("headers to set: X-Amz-Date, then Authorization in botocore's form")
    func headers() {
        let headers = SigV4Signer.sign(
            request: F.unsigned(), accessKeyId: F.accessKeyId, secretKey: Array(F.secretKey.utf8), region: "prod",
            service: "secretsmanager", date: F.date)
        #expect(headers.map(\.name) == ["X-Amz-Date", "Authorization"])
        #expect(headers[0].value == "20150830T123600Z")
        #expect(headers[1].value.hasPrefix(
            "AWS4-HMAC-SHA256 Credential=AKIASEJFTEST00000001/20150830/prod/secretsmanager/aws4_request, "
                + "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature="))
        #expect(headers[1].value.split(separator: "=").last?.count == 64)
    }

    @Test("a session token and the payload hash are sent and signed when asked for")
    func tokenAndContentHash() throws {
        let signature = SigV4Signer.signature(
            for: F.unsigned(), accessKeyId: F.accessKeyId, secretKey: Array(F.secretKey.utf8), region: "prod",
            service: "secretsmanager", date: F.date, sessionToken: "token+/=", includeContentSHA256: true)
        #expect(signature.headers.map(\.name) == ["X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-Sha256", "Authorization"])
        #expect(signature.authorization.contains(
            "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token;x-amz-target,"))
        var request = F.unsigned()
        for header in signature.headers { request.setHeader(header.name, header.value) }
        #expect(try F.verify(request).sessionToken == "token+/=")
    }

    @Test("User-Agent and other headers proxies rewrite are not signed")
    func unsignedHeaders() throws {
        var request = F.unsigned()
        request.headers += [("User-Agent", "sejf-cli"), ("Expect", "100-continue"), ("X-Amzn-Trace-Id", "Root=1")]
        let signed = F.signed(request)
        #expect(signed.value(of: "authorization")?.contains("SignedHeaders=content-type;host;x-amz-date;x-amz-target,") == true)
        var rewritten = signed
        rewritten.setHeader("User-Agent", "proxy/1.0")
        _ = try F.verify(rewritten)
    }

    @Test("signing again replaces X-Amz-Date and Authorization instead of adding")
    func resign() throws {
        let once = F.signed()
        let later = F.date.addingTimeInterval(60)
        let twice = F.signed(once, date: later)
        #expect(twice.values(of: "x-amz-date") == ["20150830T123700Z"])
        #expect(twice.values(of: "authorization").count == 1)
        _ = try F.verify(twice, now: later)
    }
}

@Suite("SigV4 canonical form")
struct SigV4CanonicalTests {
    @Test("path: dot segments and duplicate slashes removed, trailing slash kept", arguments: [
        ("", "/"), ("/", "/"), ("//", "/"), ("/a/b/..", "/a"), ("/a/./b/", "/a/b/"), ("/../a", "/a"),
        ("//example//", "/example/"), ("/example1/example2/../..", "/"),
    ])
    func pathNormalisation(_ raw: String, _ canonical: String) {
        #expect(SigV4.canonicalPath(raw) == canonical)
    }

    @Test("path: the wire form is encoded again, as AWS does for every service but S3", arguments: [
        ("/a%20b", "/a%2520b"), ("/a b", "/a%20b"), ("/ሴ", "/%E1%88%B4"), ("/%E1%88%B4", "/%25E1%2588%25B4"),
        ("/$delete", "/%24delete"), ("/a+b", "/a%2Bb"), ("/-._~", "/-._~"),
    ])
    func pathEncoding(_ raw: String, _ canonical: String) {
        #expect(SigV4.canonicalPath(raw) == canonical)
    }

    @Test("query: decoded, encoded again, sorted by key then value", arguments: [
        ("", ""),
        ("b=2&a=1", "a=1&b=2"),
        ("a=2&a=1&a=10", "a=1&a=10&a=2"),
        ("k", "k="),
        ("k=&j", "j=&k="),
        ("a=1%202&b=x+y", "a=1%202&b=x%2By"),
        ("%7e=%7E", "~=~"),
        ("a=%zz&b=%4", "a=%25zz&b=%254"),
        ("a=b=c", "a=b%3Dc"),
        ("a=1&&b=2&", "a=1&b=2"),
        ("Param1=value2&Param1=Value1", "Param1=Value1&Param1=value2"),
    ])
    func query(_ raw: String, _ canonical: String) {
        #expect(SigV4.canonicalQuery(raw) == canonical)
    }

    @Test("header values: trimmed, runs of whitespace collapsed, duplicates joined with commas")
    func headerValues() {
        let request = SigV4Request(method: "GET", path: "/", headers: [
            ("My-Header", "  a   b\t\tc  "), ("Host", "h"), ("my-header", "second\n   line"), ("Other", "x"),
        ])
        #expect(SigV4.canonicalHeaders(request, signedHeaders: ["host", "my-header"]) == "host:h\nmy-header:a b c,second line\n")
        #expect(SigV4.trimAll(" \"a   b   c\" ") == "\"a b c\"")
    }

    @Test("Trimall: values already canonical come back as they are; others are trimmed and collapsed", arguments: [
        ("", ""), ("a", "a"), ("a b c", "a b c"), ("application/x-amz-json-1.1", "application/x-amz-json-1.1"),
        (" a", "a"), ("a ", "a"), ("a  b", "a b"), ("a\tb", "a b"), ("\u{0B}a\u{0C}", "a"), ("a\r\n b", "a b"),
        ("   ", ""), ("\t", ""), ("é  ü", "é ü"), ("ü\u{301} x", "ü\u{301} x"),
    ])
    func trimAll(_ value: String, _ canonical: String) {
        #expect(SigV4.trimAll(value) == canonical)
    }

    @Test("header names match without regard to ASCII case, and only whole names match")
    func headerNames() {
        var request = SigV4Request(method: "GET", path: "/", headers: [
            ("X-Amz-Date", "1"), ("x-amz-date-extra", "2"), ("HOST", "h"), ("x-amz-datE", "3"),
        ])
        #expect(request.values(of: "x-amz-date") == ["1", "3"])
        #expect(request.value(of: "Host") == "h")
        #expect(request.value(of: "x-amz-dat") == nil)
        request.setHeader("X-AMZ-DATE", "4")
        #expect(request.values(of: "x-amz-date") == ["4"])
        #expect(request.headers.count == 3)
    }

    @Test("the signing key matches AWS's documented example")
    func signingKey() {
        // From AWS's "Examples of how to derive a signing key for Signature Version 4".
        let key = SigV4.signingKey(
            secretKey: Array("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".utf8), date: "20120215", region: "us-east-1",
            service: "iam")
        #expect(key.map { String(format: "%02x", $0) }.joined()
            == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d")
    }

    @Test("timestamps: ISO 8601 basic and HTTP dates, strictly")
    func timestamps() {
        #expect(SigV4Timestamp.format(SigV4Suite.now) == "20150830T123600Z")
        #expect(SigV4Timestamp.format(Date(timeIntervalSince1970: 0.999)) == "19700101T000000Z")
        #expect(SigV4Timestamp.format(Date(timeIntervalSince1970: 951_782_400)) == "20000229T000000Z")
        #expect(SigV4Timestamp.parse("20150830T123600Z") == SigV4Suite.now)
        #expect(SigV4Timestamp.parseHTTPDate("Sun, 30 Aug 2015 12:36:00 GMT") == SigV4Suite.now)
        for bad in ["20150830T123600", "2015-08-30T12:36:00Z", "20150230T000000Z", "20150830T246000Z",
                    "20150830t123600z", "+0150830T123600Z", ""] {
            #expect(SigV4Timestamp.parse(bad) == nil, "\(bad)")
        }
        #expect(SigV4Timestamp.parseHTTPDate("Sun, 30 Aug 2015 12:36:00 UTC") == nil)
        for seconds in stride(from: -86_400 * 800, through: 86_400 * 40_000, by: 86_400 * 37 + 3_661) {
            let date = Date(timeIntervalSince1970: TimeInterval(seconds))
            #expect(SigV4Timestamp.parse(SigV4Timestamp.format(date)) == date)
        }
    }
}
