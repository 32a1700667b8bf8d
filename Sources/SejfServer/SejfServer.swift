import Foundation
import Hummingbird
import Logging
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

    public init(host: String = "127.0.0.1", port: Int = 8780, maxBodyBytes: Int = 1 << 20) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
    }

    /// Parses `HOST:PORT` (`[::1]:PORT` for IPv6).
    public static func parseListen(_ text: String) throws -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw ServerError("--listen must be HOST:PORT, e.g. 127.0.0.1:8780")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw ServerError("--listen must name a host, e.g. 127.0.0.1:8780") }
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

/// The Hummingbird 2 application serving the AWS Secrets Manager API on `POST /`, plus
/// `GET /healthz`. Graceful shutdown on SIGTERM/SIGINT comes from swift-service-lifecycle.
public enum SejfHTTPServer {
    /// Builds the application.
    /// - Parameters:
    ///   - services: background services run beside the server and stopped with it (the
    ///     rotation scheduler).
    ///   - onListening: called with the bound port once the server accepts connections.
    public static func application(
        handler: AWSProtocolHandler, configuration: ServerConfiguration, logger: Logger, services: [any Service] = [],
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router(context: SejfRequestContext.self)
        router.add(middleware: AWSRequestLogger())
        router.get("/healthz") { _, _ in "ok\n" }
        router.post("/") { request, context in
            try await respond(to: request, context: context, handler: handler, maxBodyBytes: configuration.maxBodyBytes)
        }
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "sejf"),
            services: services,
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? configuration.port) },
            logger: logger)
    }

    static func respond(to request: Request, context: SejfRequestContext, handler: AWSProtocolHandler,
                        maxBodyBytes: Int) async throws -> Response {
        let requestId = UUID().uuidString.lowercased()
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: maxBodyBytes)
        } catch {
            return response(AWSProtocolHandler.errorResponse(
                AWSWireError(code: "RequestEntityTooLargeException", message: "The request body is larger than \(maxBodyBytes) bytes.", status: 413),
                requestId: requestId, operation: nil))
        }
        let awsRequest = AWSHTTPRequest(
            SigV4Request(method: request.method.rawValue, path: request.uri.path, query: request.uri.query ?? "",
                         headers: wireHeaders(request), body: Array(buffer: body)),
            sourceAddress: context.remoteAddress?.ipAddress ?? "unknown")
        let answer = await blockingWork.run { handler.handle(awsRequest, requestId: requestId) }
        context.logger.info("request", metadata: [
            "request_id": .string(requestId), "operation": .string(answer.operation ?? "-"), "status": .stringConvertible(answer.status),
            "error": .string(answer.errorCode ?? "-"),
        ])
        if let detail = answer.errorDetail {
            context.logger.error("internal error", metadata: ["request_id": .string(requestId), "detail": .string(detail)])
        }
        return response(answer)
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

/// Runs the service's synchronous, blocking work (SQLite, fsync, the audit group commit) on
/// Dispatch threads, so it never blocks the Swift concurrency pool that serves connections.
let blockingWork = BlockingWork()

final class BlockingWork: Sendable {
    private let queue = DispatchQueue(label: "sejf.service", qos: .userInitiated, attributes: .concurrent)

    func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: body()) }
        }
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
