import Foundation
import Logging
import NIOSSL
import Synchronization

/// TLS for the main listener from PEM files (`--tls-cert`, `--tls-key`), TLS 1.2 or newer, with
/// the certificate and key re-read on ``reload()`` (SIGHUP): each new handshake uses what was
/// loaded last; connections already open are not touched. A reload that fails (a missing file,
/// a key that does not match) keeps the previous certificate and says why.
public final class ReloadableTLS: Sendable {
    public let certificatePath: String
    public let keyPath: String
    /// How often the files are checked for a change (SIGHUP reloads at once).
    public let checkSeconds: Double
    private let current: Mutex<(chain: [NIOSSLCertificate], key: NIOSSLPrivateKey)>

    /// Loads both files now. - Throws: ``ServerError`` naming the file that cannot be used.
    public init(certificatePath: String, keyPath: String, checkSeconds: Double = 30) throws {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        self.checkSeconds = checkSeconds
        current = Mutex(try Self.load(certificatePath, keyPath))
    }

    /// Re-reads the files; on failure the previous certificate stays in use.
    public func reload() throws {
        let loaded = try Self.load(certificatePath, keyPath)
        current.withLock { $0 = loaded }
    }

    /// The server configuration: the loaded certificate, and a per-handshake callback that
    /// supplies whatever is current.
    public func configuration() -> TLSConfiguration {
        let (chain, key) = current.withLock { $0 }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.sslContextCallback = { [self] _, promise in
            let (chain, key) = current.withLock { $0 }
            var override = NIOSSLContextConfigurationOverride()
            override.certificateChain = chain.map { .certificate($0) }
            override.privateKey = .privateKey(key)
            promise.succeed(override)
        }
        return configuration
    }

    private static func load(_ certificatePath: String, _ keyPath: String) throws -> ([NIOSSLCertificate], NIOSSLPrivateKey) {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw ServerError("cannot read the TLS certificate \(certificatePath): \(error)")
        }
        guard !chain.isEmpty else { throw ServerError("no certificate in \(certificatePath)") }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        } catch {
            throw ServerError("cannot read the TLS private key \(keyPath) (PEM, unencrypted)")
        }
        // The key must belong to the certificate: a mismatch would fail every handshake later.
        do {
            _ = try NIOSSLContext(configuration: .makeServerConfiguration(certificateChain: chain.map { .certificate($0) },
                                                                          privateKey: .privateKey(key)))
        } catch {
            throw ServerError("the TLS private key \(keyPath) does not match the certificate \(certificatePath)")
        }
        return (chain, key)
    }
}
