import Foundation
import SejfCore
import Synchronization

/// An exclusive advisory lock on a data directory (`flock(LOCK_EX | LOCK_NB)` on `<data>/.lock`),
/// held until ``release()`` or until the lock is deallocated.
///
/// `sejf server` holds it while it serves, and `sejf restore` takes it before it replaces the
/// database, so a database is never swapped under a running server. Ordinary CLI commands do not
/// take it: SQLite's own locking lets them share the database with a server.
///
/// The lock belongs to the open file, not to the process: it is released when the process exits
/// (even by a crash or `kill -9`), and it is not inherited across `exec` (the file is opened
/// close-on-exec), so a rotation hook or `sejf run`'s child never keeps it.
public final class DataDirectoryLock: Sendable {
    /// The lock file, `<data>/.lock`.
    public let path: String
    private let descriptor: Mutex<Int32?>

    fileprivate init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = Mutex(descriptor)
    }

    /// Whether the lock is still held by this object.
    public var isHeld: Bool { descriptor.withLock { $0 != nil } }

    /// Releases the lock; calling it again does nothing. The lock file stays (removing it would
    /// let two processes lock two different files).
    public func release() {
        descriptor.withLock { fd in
            guard let open = fd else { return }
            _ = ftruncate(open, 0)  // forget the recorded process id
            flock(open, LOCK_UN)
            close(open)
            fd = nil
        }
    }

    deinit { release() }
}

extension DataDirectory {
    /// The lock file: `<data>/.lock`.
    public var lockFilePath: String { (path as NSString).appendingPathComponent(".lock") }

    /// Takes the data directory's exclusive lock without waiting.
    ///
    /// The lock file is created (mode 0600) when missing, and records the holder's process id,
    /// which the refusal names.
    /// - Throws: `InvalidRequestException` when another process (a running `sejf server`, a
    ///   restore) holds the lock; `InternalServiceError` when the lock file cannot be opened.
    public func lockExclusively() throws -> DataDirectoryLock {
        let file = lockFilePath
        let fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw SejfError(.internalServiceError, "Cannot open the lock file \(file): \(String(cString: strerror(errno))).")
        }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            if code == EINTR { continue }
            let holder = Self.lockHolder(fd)
            close(fd)
            if code == EWOULDBLOCK || code == EAGAIN {
                throw SejfError(.invalidRequest,
                    "The data directory \(path) is in use by another process (a running sejf server?): \(file) is locked\(holder.map { " (by process \($0), as it records)" } ?? ""). Stop that process and try again.")
            }
            throw SejfError(.internalServiceError, "Cannot lock \(file): \(String(cString: strerror(code))).")
        }
        // Who holds it, for the message another process gets (advisory: never trusted for anything else).
        let pid = Array("\(getpid())\n".utf8)
        if ftruncate(fd, 0) == 0 {
            _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        }
        return DataDirectoryLock(path: file, descriptor: fd)
    }

    /// The process id the lock file records, if it records one.
    private static func lockHolder(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return Int32(String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
