// `ceiling --port N [--host 127.0.0.1]`: answers every `POST /` with the same 200-byte
// AWS JSON 1.1 body, after reading the request body (any real handler must). No routing beyond
// that, no middleware, no logging: the best Hummingbird 2 does on this machine, which
// `Benchmarks/bench.py` reports `sejf server` against.
import Hummingbird
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@main
struct Ceiling {
    /// The fixed answer: a JSON object of exactly 200 bytes, shaped like a GetSecretValue answer.
    static let answer: String = {
        let head = #"{"ARN":"arn:aws:secretsmanager:dev:123456789012:secret:bench/ceiling-AbCdEf","Name":"bench/ceiling","VersionId":"00000000-0000-4000-8000-000000000000","SecretString":""#
        let tail = #"","CreatedDate":1.7e9}"#
        let padding = 200 - head.utf8.count - tail.utf8.count
        precondition(padding > 0, "the fixed answer's frame is longer than 200 bytes")
        let body = head + String(repeating: "x", count: padding) + tail
        precondition(body.utf8.count == 200)
        return body
    }()

    static func main() async throws {
        var host = "127.0.0.1"
        var port = 8790
        var arguments = CommandLine.arguments.dropFirst().makeIterator()
        while let argument = arguments.next() {
            switch argument {
            case "--port":
                guard let value = arguments.next(), let number = Int(value), (0...65535).contains(number) else {
                    fatalError("--port needs a number from 0 to 65535")
                }
                port = number
            case "--host":
                guard let value = arguments.next() else { fatalError("--host needs a value") }
                host = value
            case "-h", "--help":
                print("usage: ceiling [--port N] [--host ADDRESS]")
                return
            default:
                fatalError("unknown argument \(argument); usage: ceiling [--port N] [--host ADDRESS]")
            }
        }

        let (listenHost, listenPort) = (host, port)
        let body = ByteBuffer(string: answer)
        let router = Router()
        router.post("/") { request, _ -> Response in
            _ = try await request.body.collect(upTo: 1 << 20)
            return Response(
                status: .ok,
                headers: [.contentType: "application/x-amz-json-1.1"],
                body: .init(byteBuffer: body))
        }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(listenHost, port: listenPort), serverName: "ceiling"),
            onServerRunning: { channel in
                print("ceiling listening on http://\(listenHost):\(channel.localAddress?.port ?? listenPort)")
                fflush(nil)
            })
        try await app.runService()
    }
}
