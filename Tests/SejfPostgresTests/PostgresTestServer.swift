import Foundation
import Testing

/// A private PostgreSQL 15 server for one test suite: a fresh cluster in a temporary directory,
/// on a free loopback port, with a superuser password and `scram-sha-256` required for TCP
/// logins (so a wrong password really fails).
///
/// Run as root (as in CI), the cluster belongs to the `postgres` OS user, since `initdb`
/// refuses root. Missing binaries fail the tests: they are not skipped.
final class PostgresTestServer: Sendable {
    /// Where the binaries are; `SEJF_PG_BIN` overrides.
    static let bin = ProcessInfo.processInfo.environment["SEJF_PG_BIN"] ?? "/usr/lib/postgresql/15/bin"

    /// The server of the running suite (see ``PostgresServerTrait``).
    @TaskLocal static var current: PostgresTestServer?

    let port: Int
    let superuserPassword: String
    private let directory: String
    private var data: String { directory + "/data" }

    /// Creates and starts the cluster:
    /// `initdb -D DIR/data -U postgres --pwfile=DIR/pw --auth-host=scram-sha-256 --auth-local=trust`,
    /// a `pg_hba.conf` allowing only local sockets (trust) and 127.0.0.1/32 (scram-sha-256), then
    /// `pg_ctl -D DIR/data -o "-p PORT -k DIR -c listen_addresses=127.0.0.1" -w start`.
    init() throws {
        for tool in ["initdb", "pg_ctl", "postgres", "psql"] where !FileManager.default.isExecutableFile(atPath: "\(Self.bin)/\(tool)") {
            throw Failure("PostgreSQL is not installed: \(Self.bin)/\(tool) is missing (install postgresql-15, or set SEJF_PG_BIN)")
        }
        directory = try Self.makeDirectory()
        superuserPassword = UUID().uuidString
        port = try Self.freePort()
        do {
            try Self.write(superuserPassword + "\n", to: directory + "/pw")
            try Self.runAsOwner(["initdb", "-D", data, "-U", "postgres", "--pwfile=\(directory)/pw", "--auth-host=scram-sha-256",
                                 "--auth-local=trust", "-E", "UTF8", "--locale=C", "--no-sync"])
            try Self.write("local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n", to: data + "/pg_hba.conf")
            try Self.runAsOwner(["pg_ctl", "-D", data, "-l", directory + "/log", "-w", "-t", "30",
                                 "-o", "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c fsync=off", "start"])
        } catch {
            stop()
            throw error
        }
    }

    /// Stops the server (`pg_ctl stop -m immediate`, by its data directory) and deletes the
    /// directory.
    func stop() {
        _ = try? Self.runAsOwner(["pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs `sql` with `psql` over TCP as `user` (the superuser by default) and returns its
    /// unaligned output.
    /// - Throws: when `psql` fails, with its message.
    @discardableResult
    func psql(_ sql: String, user: String = "postgres", password: String? = nil, database: String = "postgres") throws -> String {
        try Self.run(["\(Self.bin)/psql", "-X", "-w", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", "\(port)",
                      "-U", user, "-d", database, "-c", sql],
                     environment: ["PGPASSWORD": password ?? superuserPassword, "PGCONNECT_TIMEOUT": "5", "PGSSLMODE": "disable"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Whether `user` can log in with `password` (checked with `psql`, not the code under test).
    func canLogIn(_ user: String, _ password: String) -> Bool {
        (try? psql("SELECT 1", user: user, password: password)) == "1"
    }

    /// A secret value in AWS's shape for this server.
    func secret(user: String, password: String, extra: [String: Any] = [:]) -> String {
        var object: [String: Any] = ["engine": "postgres", "host": "127.0.0.1", "port": port, "username": user,
                                     "password": password, "dbname": "postgres"]
        object.merge(extra) { $1 }
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    // MARK: Processes and files

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    private static var isRoot: Bool { geteuid() == 0 }

    /// Runs a PostgreSQL tool, as the `postgres` OS user when running as root.
    @discardableResult
    private static func runAsOwner(_ arguments: [String]) throws -> String {
        let tool = "\(bin)/\(arguments[0])"
        let rest = Array(arguments.dropFirst())
        return try isRoot ? run(["/usr/sbin/runuser", "-u", "postgres", "--", tool] + rest) : run([tool] + rest)
    }

    /// Runs a program and returns its output (stdout and stderr together).
    ///
    /// `posix_spawn` and `waitpid`, not Foundation's `Process`, whose `waitUntilExit` can hang
    /// when several threads start processes at once; the child gets no descriptor but 0, 1 and 2,
    /// so a server it starts cannot hold another test's pipe open.
    @discardableResult
    private static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> String {
        var template = Array((FileManager.default.temporaryDirectory.path + "/sejf-pg-output-XXXXXX").utf8CString)
        let outputFD = mkstemp(&template)
        guard outputFD >= 0 else { throw Failure("mkstemp failed") }
        close(outputFD)
        let outputPath = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { unlink(outputPath) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_TRUNC, 0)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // glibc ≥ 2.34 has it, Swift's Glibc module does not declare it.
        typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let addCloseFrom = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(addCloseFrom, to: AddCloseFrom.self)(&actions, 3)
        }

        let variables = ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"].merging(environment) { $1 }.map { "\($0)=\($1)" }
        var pid = pid_t()
        let spawned = withCStrings(arguments) { argv in
            withCStrings(variables) { envp in posix_spawn(&pid, arguments[0], &actions, nil, argv, envp) }
        }
        guard spawned == 0 else { throw Failure("cannot run \(arguments[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        guard status == 0 else {
            throw Failure("\(URL(fileURLWithPath: arguments[0]).lastPathComponent) failed (wait status \(status)): \(output)")
        }
        return output
    }

    /// Calls `body` with `strings` as a NULL-terminated array of C strings.
    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { pointers.forEach { free($0) } }
        return body(pointers)
    }

    /// A new temporary directory, owned by `postgres` when running as root.
    private static func makeDirectory() throws -> String {
        var template = Array((FileManager.default.temporaryDirectory.path + "/sejf-pg-XXXXXX").utf8CString)
        guard let path = mkdtemp(&template) else { throw Failure("mkdtemp failed") }
        let directory = String(cString: path)
        if isRoot { try run(["/bin/chown", "postgres:postgres", directory]) }
        return directory
    }

    /// Writes a file readable only by its owner (`postgres` when running as root).
    private static func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o600)
        if isRoot { try run(["/bin/chown", "postgres:postgres", path]) }
    }

    /// A TCP port nothing listens on at the moment.
    static func freePort() throws -> Int {
        let (fd, port) = try loopbackSocket()
        close(fd)
        return port
    }

    /// A socket bound to 127.0.0.1 on a port the kernel chose: its descriptor and port.
    static func loopbackSocket() throws -> (Int32, Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else {
            close(fd)
            throw Failure("cannot bind a loopback socket")
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }
}

/// Starts a ``PostgresTestServer`` around a suite and stops it afterwards; tests find it in
/// ``PostgresTestServer/current``.
struct PostgresServerTrait: SuiteTrait, TestScoping {
    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let server = try PostgresTestServer()
        defer { server.stop() }
        try await PostgresTestServer.$current.withValue(server) { try await function() }
    }
}

extension Trait where Self == PostgresServerTrait {
    /// A private PostgreSQL server for the suite.
    static var postgresServer: Self { Self() }
}
