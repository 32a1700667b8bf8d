import Foundation
import Logging
import PostgresNIO
import SejfCore
import Synchronization

/// One logged-in connection, used synchronously by a rotation step.
///
/// The rotation engine is synchronous, so the session drives PostgresNIO's `EventLoopFuture`
/// API and blocks the calling thread until each result arrives. The work runs on NIO's event
/// loops, never on Swift concurrency's cooperative pool, so a caller blocking a cooperative
/// thread cannot starve it. Every wait ends at the step's deadline.
final class PostgresSession {
    private let connection: PostgresConnection
    private let endpoint: String
    private let deadline: NIODeadline
    private let logger: Logger

    private static let ids = Atomic<Int>(0)

    private init(_ connection: PostgresConnection, endpoint: String, deadline: NIODeadline, logger: Logger) {
        self.connection = connection
        self.endpoint = endpoint
        self.deadline = deadline
        self.logger = logger
    }

    /// Logs in with `credentials` (described as `who` in messages, e.g. "the AWSCURRENT
    /// credentials"), without TLS.
    ///
    /// - Returns: the session, or `.failure` when the server refused the login (wrong password,
    ///   unknown role, no `pg_hba.conf` entry): the caller may try other credentials.
    /// - Throws: `SejfError` for anything else: unreachable server, timeout, unknown database.
    static func logIn(_ credentials: PostgresCredentials, _ who: String, settings: PostgresRotatorSettings,
                      deadline: NIODeadline) throws -> Result<PostgresSession, SejfError> {
        let endpoint = credentials.endpoint
        guard MultiThreadedEventLoopGroup.currentEventLoop == nil else {
            throw SejfError(.internalServiceError, "PostgreSQL rotation cannot run on an event loop thread.")
        }
        var configuration = PostgresConnection.Configuration(
            host: credentials.host, port: credentials.port, username: credentials.username,
            password: credentials.password, database: credentials.dbname, tls: .disable)
        configuration.options.connectTimeout = min(settings.connectTimeout.timeAmount, deadline - .now())
        let future = PostgresConnection.connect(
            on: PostgresConnection.defaultEventLoopGroup.next(), configuration: configuration,
            id: ids.add(1, ordering: .relaxed).newValue, logger: settings.logger)
        do {
            return .success(PostgresSession(try wait(future, until: deadline), endpoint: endpoint,
                                            deadline: deadline, logger: settings.logger))
        } catch is TimedOut {
            future.whenSuccess { connection in
                connection.close().whenComplete { _ in withExtendedLifetime(connection) {} }
            }
            throw SejfError(.invalidRequest, "PostgreSQL at \(endpoint) did not complete the login of \(who) in time.")
        } catch let error as PSQLError where error.code == .server {
            let message = "Cannot log in to PostgreSQL at \(endpoint) with \(who) (user \"\(credentials.username)\"): "
                + serverMessage(error, redacting: [credentials.password])
            let rejected = error.serverInfo?[.sqlState]?.hasPrefix("28") == true
            if rejected { return .failure(SejfError(.invalidRequest, message)) }
            throw SejfError(.invalidRequest, message)
        } catch {
            throw SejfError(.invalidRequest, "Cannot connect to PostgreSQL at \(endpoint): \(reason(error)).")
        }
    }

    /// Runs one statement. `secrets` are removed from any error message, should the server
    /// quote them.
    /// - Throws: `SejfError` naming `what` and the server's reason.
    @discardableResult
    func run(_ query: PostgresQuery, _ what: String, redacting secrets: [String] = []) throws -> PostgresQueryResult {
        do {
            return try Self.wait(connection.query(query, logger: logger), until: deadline)
        } catch is TimedOut {
            throw SejfError(.invalidRequest, "PostgreSQL at \(endpoint) did not answer \(what) in time.")
        } catch let error as PSQLError where error.code == .server {
            throw SejfError(.invalidRequest, "PostgreSQL at \(endpoint) refused \(what): \(Self.serverMessage(error, redacting: secrets))")
        } catch {
            throw SejfError(.invalidRequest, "The connection to PostgreSQL at \(endpoint) failed during \(what): \(Self.reason(error)).")
        }
    }

    /// Closes the connection (a local operation, no round trip); an open transaction rolls back.
    func close() {
        _ = try? connection.close().wait()
    }

    private struct TimedOut: Error {}

    /// Blocks until `future` completes or `deadline` passes (throwing ``TimedOut``).
    private static func wait<T: Sendable>(_ future: EventLoopFuture<T>, until deadline: NIODeadline) throws -> T {
        let promise = future.eventLoop.makePromise(of: T.self)
        let timer = future.eventLoop.scheduleTask(deadline: deadline) { promise.fail(TimedOut()) }
        future.whenComplete {
            timer.cancel()
            promise.completeWith($0)
        }
        return try promise.futureResult.wait()
    }

    /// The server's message (and SQLSTATE), on one line, without `secrets`.
    private static func serverMessage(_ error: PSQLError, redacting secrets: [String]) -> String {
        var message = error.serverInfo?[.message] ?? "unknown error"
        for secret in secrets where !secret.isEmpty {
            message = message.replacingOccurrences(of: secret, with: "<redacted>")
        }
        let state = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
        return oneLine(message) + state
    }

    /// Why a connection failed, short and on one line (never PSQLError's generic text).
    private static func reason(_ error: any Error) -> String {
        switch error {
        case let error as PSQLError:
            if let underlying = error.underlying { return reason(underlying) }
            return error.code == .serverClosedConnection ? "the server closed the connection" : "\(error.code)"
        case ChannelError.connectTimeout: return "connection timed out"
        case let error as NIOConnectionError:
            if let first = error.connectionErrors.first { return reason(first.error) }
            return error.dnsAError != nil || error.dnsAAAAError != nil ? "cannot resolve the host name" : "no address to connect to"
        case let error as IOError: return String(cString: strerror(error.errnoCode))
        case is SocketAddressError: return "cannot resolve the host name"
        default: return oneLine(String(describing: error))
        }
    }

    private static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}

extension Duration {
    var timeAmount: TimeAmount {
        .nanoseconds(components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000)
    }
}
