import NIOPosix

/// Runs synchronous, blocking work (SQLite writes, fsync, a group commit's wait) on a pool of
/// threads of its own, so it never blocks the Swift concurrency pool that serves connections.
///
/// The pool is wide on purpose: a write holds its thread until its group commit is durable,
/// and a commit can only batch the writes that have a thread to wait on. (Dispatch's pool grew
/// to a handful of threads under 64 concurrent puts, so commits held two or three writes each.)
final class BlockingWork: Sendable {
    /// The process's one pool of blocking threads.
    static let shared = BlockingWork(threads: 64)

    private let pool: NIOThreadPool

    init(threads: Int) {
        pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
    }

    func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            // The shared pool is never shut down, so every item runs.
            pool.submit { _ in continuation.resume(returning: body()) }
        }
    }
}
