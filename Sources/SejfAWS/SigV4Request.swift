/// An HTTP request as AWS Signature Version 4 sees it: the raw pieces from the wire, before any
/// decoding, so the verifier signs exactly what the client signed.
///
/// The server builds one per request from what Hummingbird received; the CLI client builds one
/// for the request it is about to send and hands it to ``SigV4Signer``.
///
/// ```swift
/// let request = SigV4Request(
///     method: "POST", path: "/", query: "",
///     headers: [("Host", "127.0.0.1:8080"),
///               ("Content-Type", "application/x-amz-json-1.1"),
///               ("X-Amz-Target", "secretsmanager.GetSecretValue")],
///     body: Array(#"{"SecretId":"db/credentials"}"#.utf8))
/// ```
///
/// - Warning: `host` must be among the headers (HTTP/2 servers see `:authority` instead: pass
///   its value as `Host`), with the port exactly as the client wrote it, or every signature fails.
public struct SigV4Request: Sendable {
    /// The HTTP method, upper case (`GET`, `POST`).
    public var method: String
    /// The path as on the wire, percent-encoding included, without the query (`/`, `/a%20b`).
    public var path: String
    /// The raw query string, without the leading `?` (empty when there is none).
    public var query: String
    /// The headers in the order received; names in any case; duplicates allowed.
    public var headers: [(name: String, value: String)]
    /// The body bytes (empty for none).
    public var body: [UInt8]

    public init(
        method: String, path: String, query: String = "",
        headers: [(name: String, value: String)], body: [UInt8] = []
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// Every value of the header `name` (case-insensitive), in the order received.
    public func values(of name: String) -> [String] {
        headers.compactMap { SigV4.equalsIgnoringASCIICase($0.name, name) ? $0.value : nil }
    }

    /// The first value of the header `name` (case-insensitive), if present.
    public func value(of name: String) -> String? {
        headers.first { SigV4.equalsIgnoringASCIICase($0.name, name) }?.value
    }

    /// Replaces every header named `name` (case-insensitive) by one header with `value`, appended.
    public mutating func setHeader(_ name: String, _ value: String) {
        headers.removeAll { SigV4.equalsIgnoringASCIICase($0.name, name) }
        headers.append((name: name, value: value))
    }
}
