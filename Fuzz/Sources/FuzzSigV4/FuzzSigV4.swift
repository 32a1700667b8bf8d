import Foundation
import FuzzSupport
import SejfAWS

/// SigV4 on a request built from the input: `Authorization` header (or presigned query) parsing,
/// the canonical request, and full verification against a fixed key. With the first byte odd
/// the request is first signed properly, so verification runs to the signature comparison.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let signs = input.byte() & 1 == 1
    var request = SigV4Request(method: input.string(), path: input.string(), query: input.string(), headers: [])
    for _ in 0..<Int(input.byte() % 8) {
        request.headers.append((name: input.string(), value: input.string()))
    }
    request.body = input.rest()
    if signs {
        request.headers += SigV4Signer.sign(request: request, accessKeyId: accessKeyId, secretKey: secretKey, region: "dev",
                                            service: "secretsmanager", date: now)
    }
    if let authorization = try? SigV4Authorization.parse(request) {
        _ = SigV4Verifier.canonicalRequest(for: request, authorization: authorization)
    }
    _ = try? SigV4Verifier.verify(request: request, now: now, expectedService: "secretsmanager") {
        $0 == accessKeyId ? secretKey : nil
    }
    return 0
}

private let accessKeyId = "AKIDEXAMPLE"
private let secretKey = Array("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".utf8)
private let now = Date(timeIntervalSince1970: 1_440_938_160)  // 20150830T123600Z, the AWS test suite's time
