import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SejfCore
import SejfService

/// The secrets API over HTTP: AWS JSON 1.1 requests, SigV4-signed, to `sejf server` or any
/// AWS Secrets Manager endpoint. The CLI uses it when `--endpoint`/`SEJF_ENDPOINT` is set.
public struct RemoteSecretsAPI: SecretsAPI {
    public let endpoint: URL
    public let region: String
    public let credentials: AWSCredentials
    public var timeout: TimeInterval = 30

    public init(endpoint: String, region: String, credentials: AWSCredentials) throws {
        guard let url = URL(string: endpoint), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            throw AWSWireError(code: "InvalidParameterException", message: "The endpoint must be an http(s) URL, e.g. http://127.0.0.1:8780, not '\(endpoint)'.")
        }
        self.endpoint = url
        self.region = region
        self.credentials = credentials
    }

    public func call<Operation: SecretsOperation>(_ operation: Operation.Type, _ request: Operation.Request) throws -> Operation.Response {
        let body = try WireJSON.encode(request)
        let (status, data) = try send(target: Operation.target, body: body)
        guard status == 200 else { throw Self.error(status: status, body: data) }
        do {
            return try JSONDecoder().decode(Operation.Response.self, from: data)
        } catch {
            throw AWSWireError(code: "SerializationException", message: "The server's answer to \(Operation.name) could not be read: \(error)")
        }
    }

    private func send(target: String, body: [UInt8]) throws -> (Int, Data) {
        let hostHeader = endpoint.port.map { "\(endpoint.host!):\($0)" } ?? endpoint.host!
        var signed = SigV4Request(method: "POST", path: endpoint.path.isEmpty ? "/" : endpoint.path, query: "",
                                  headers: [("Host", hostHeader), ("Content-Type", AWSProtocolHandler.contentType),
                                            ("X-Amz-Target", target)], body: body)
        for (name, value) in SigV4Signer.sign(request: signed, accessKeyId: credentials.accessKeyId,
                                              secretKey: Array(credentials.secretAccessKey.utf8), region: region,
                                              service: SigV4Authenticator.serviceName, date: Date(),
                                              sessionToken: credentials.sessionToken) {
            signed.setHeader(name, value)
        }
        var urlRequest = URLRequest(url: endpoint, timeoutInterval: timeout)
        urlRequest.httpMethod = "POST"
        urlRequest.httpBody = Data(body)
        for (name, value) in signed.headers where name.lowercased() != "host" {
            urlRequest.setValue(value, forHTTPHeaderField: name)
        }
        urlRequest.setValue("sejf-cli", forHTTPHeaderField: "User-Agent")
        return try Self.perform(urlRequest)
    }

    /// URLSession, waited for synchronously: the CLI does one request at a time.
    private static func perform(_ request: URLRequest) throws -> (Int, Data) {
        final class Box: @unchecked Sendable { var result: Result<(Int, Data), any Error>? }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let task = URLSession.shared.dataTask(with: request) { data, response, error in
            if let error {
                box.result = .failure(error)
            } else {
                box.result = .success(((response as? HTTPURLResponse)?.statusCode ?? 0, data ?? Data()))
            }
            done.signal()
        }
        task.resume()
        done.wait()
        switch box.result! {
        case .success(let answer): return answer
        case .failure(let error):
            throw AWSWireError(code: "ConnectionError", message: "Cannot reach \(request.url?.absoluteString ?? "the endpoint"): \(error.localizedDescription)")
        }
    }

    /// The AWS error in an answer: a ``SejfError`` when the code is one of the service's, so
    /// callers can match on it as they do in embedded mode.
    static func error(status: Int, body: Data) -> any Error {
        let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
        let type = (object["__type"] as? String).map { String($0.split(separator: "#").last ?? "") } ?? "HTTP\(status)"
        let message = (object["message"] as? String) ?? (object["Message"] as? String) ?? "HTTP status \(status)"
        if let code = SejfError.Code(rawValue: type) { return SejfError(code, message) }
        return AWSWireError(code: type, message: message, status: status)
    }
}
