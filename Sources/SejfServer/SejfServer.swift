import Foundation
import SejfCrypto
import Hummingbird
import Logging
import HummingbirdCore
import HummingbirdTLS
import ServiceLifecycle
import NIOCore
import SejfAWS
import SejfService
import HTTPTypes

/// What `sejf server` listens on and how it behaves.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Requests with a larger body get 413 before any work is done.
    public var maxBodyBytes: Int
    /// TLS on the main listener, when set.
    public var tls: ReloadableTLS?
    /// Where `/healthz`, `/readyz` and `/metrics` are served; on the main listener when nil.
    public var admin: (host: String, port: Int)?

    public init(host: String = "127.0.0.1", port: Int = 8780, maxBodyBytes: Int = 1 << 20, tls: ReloadableTLS? = nil,
                admin: (host: String, port: Int)? = nil) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.tls = tls
        self.admin = admin
    }

    /// Parses `HOST:PORT` (`[::1]:PORT` for IPv6).
    public static func parseListen(_ text: String) throws -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw ServerError("a listen address must be HOST:PORT, e.g. 127.0.0.1:8780, not '\(text)'")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw ServerError("a listen address must name a host, e.g. 127.0.0.1:8780") }
        return (host, port)
    }
}

public struct ServerError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// Per-request data: Hummingbird's core context and the client's address.
public struct SejfRequestContext: Hummingbird.RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }
}

/// The Hummingbird 2 applications of `sejf server`: the AWS Secrets Manager API on `POST /`
/// (over TLS when configured), and `GET /healthz`, `/readyz`, `/metrics` — on the same listener,
/// or on a separate admin listener.
public enum SejfHTTPServer {
    /// What the health and metrics routes need.
    public struct Probes: Sendable {
        public var service: SecretsService
        public var metrics: ServerMetrics
        /// The database files whose size `sejf_database_bytes` reports.
        public var databaseFiles: [String]

        public init(service: SecretsService, metrics: ServerMetrics, databaseFiles: [String]) {
            self.service = service
            self.metrics = metrics
            self.databaseFiles = databaseFiles
        }
    }

    /// The API application; with the probes too unless `configuration.admin` moves them.
    public static func application(
        handler: AWSProtocolHandler, probes: Probes, configuration: ServerConfiguration, logger: Logger,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol & Service {
        let router = Router(context: SejfRequestContext.self)
        router.add(middleware: AWSRequestLogger())
        if configuration.admin == nil { addProbes(to: router, probes) }
        router.post("/") { request, context in
            try await respond(to: request, context: context, handler: handler, metrics: probes.metrics,
                              maxBodyBytes: configuration.maxBodyBytes)
        }
        let http1 = HTTP1Channel.Configuration(additionalChannelHandlers: [HTTP10ConnectionClose.Installer()])
        let server: HTTPServerBuilder = try configuration.tls.map { try .tls(.http1(configuration: http1), tlsConfiguration: $0.configuration()) }
            ?? .http1(configuration: http1)
        return Application(
            router: router, server: server,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "sejf"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? configuration.port) },
            logger: logger)
    }

    /// The admin application: only the probes, plain HTTP (for kubelet and Prometheus).
    public static func adminApplication(probes: Probes, host: String, port: Int, logger: Logger,
                                        onListening: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol & Service {
        let router = Router(context: SejfRequestContext.self)
        addProbes(to: router, probes)
        return Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "sejf-admin"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) }, logger: logger)
    }

    /// `/healthz`: the process answers. `/readyz`: 200 `ready`, or 503 with a JSON object naming
    /// each failing check. `/metrics`: Prometheus text format 0.0.4.
    static func addProbes(to router: Router<SejfRequestContext>, _ probes: Probes) {
        router.get("/healthz") { _, _ in "ok\n" }
        router.get("/readyz") { _, _ -> Response in
            let checks = await BlockingWork.shared.run { probes.service.readiness() }
            let failing = checks.filter { $0.problem != nil }
            guard !failing.isEmpty else { return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ready\n"))) }
            let report = Dictionary(uniqueKeysWithValues: checks.map { ($0.name, $0.problem ?? "ok") })
            let body = (try? JSONSerialization.data(withJSONObject: ["ready": false, "checks": report], options: [.sortedKeys])) ?? Data()
            return Response(status: .serviceUnavailable, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        router.get("/metrics") { _, _ -> Response in
            let text = await BlockingWork.shared.run { probes.metrics.render(service: probes.service, databaseFiles: probes.databaseFiles) }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }

    static func respond(to request: Request, context: SejfRequestContext, handler: AWSProtocolHandler, metrics: ServerMetrics,
                        maxBodyBytes: Int) async throws -> Response {
        await metrics.observe {
            let answer = await answer(request, context: context, handler: handler, maxBodyBytes: maxBodyBytes)
            return (response(answer), answer.operation, answer.errorCode)
        }
    }

    /// One API request, from the body to the AWS answer, logged (never a value, key or signature).
    static func answer(_ request: Request, context: SejfRequestContext, handler: AWSProtocolHandler,
                       maxBodyBytes: Int) async -> AWSHTTPResponse {
        let start = ContinuousClock.now
        let requestId = randomUUIDString()
        var request = request
        let tooLarge = AWSWireError(code: "RequestEntityTooLargeException", message: "The request body is larger than \(maxBodyBytes) bytes.",
                                    status: 413)
        // A declared Content-Length over the limit is refused before any of the body is read:
        // `collectBody` only fails once more than the limit has arrived, so a client that
        // announces 64 MiB and sends 1 KiB would otherwise wait for an answer forever.
        if let declared = request.headers[.contentLength], let length = Int(declared), length > maxBodyBytes {
            return AWSProtocolHandler.errorResponse(tooLarge, requestId: requestId, operation: nil)
        }
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: maxBodyBytes)
        } catch {
            return AWSProtocolHandler.errorResponse(tooLarge, requestId: requestId, operation: nil)
        }
        let awsRequest = AWSHTTPRequest(
            SigV4Request(method: request.method.rawValue, path: request.uri.path, query: request.uri.query ?? "",
                         headers: wireHeaders(request), body: Array(buffer: body)),
            sourceAddress: context.remoteAddress?.ipAddress ?? "unknown")
        let answer = await handler.serve(awsRequest, requestId: requestId, offload: BlockingWork.shared.run)
        let elapsed = ContinuousClock.now - start
        context.logger.info("request", metadata: [
            "request_id": .string(requestId), "principal": .string(answer.principal ?? "-"), "operation": .string(answer.operation ?? "-"),
            "status": .stringConvertible(answer.status), "error": .string(answer.errorCode ?? "-"),
            "duration_ms": .string(String(format: "%.3f", Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)),
        ])
        if let detail = answer.errorDetail {
            context.logger.error("internal error", metadata: ["request_id": .string(requestId), "detail": .string(detail)])
        }
        return answer
    }

    /// The header fields as the client sent them. HTTP types keep `Host` as the `:authority`
    /// pseudo-header; SigV4 signs it as `host`, so it is put back.
    static func wireHeaders(_ request: Request) -> [(name: String, value: String)] {
        let host = request.head.authority.map { [(name: "Host", value: $0)] } ?? []
        return host + request.headers.map { (name: $0.name.rawName, value: $0.value) }
    }

    static func response(_ answer: AWSHTTPResponse) -> Response {
        var headers = HTTPFields()
        for (name, value) in answer.headers {
            if let field = HTTPField.Name(name) { headers.append(HTTPField(name: field, value: value)) }
        }
        return Response(status: .init(code: answer.status), headers: headers,
                         body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
    }
}

/// Logs each request's method, path and duration (never headers or bodies: they carry
/// signatures and values).
struct AWSRequestLogger: RouterMiddleware {
    typealias Context = SejfRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        context.logger.debug("handled", metadata: [
            "method": .string(request.method.rawValue), "path": .string(request.uri.path),
            "status": .stringConvertible(response.status.code),
            "duration_ms": .stringConvertible(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000),
        ])
        return response
    }
}
