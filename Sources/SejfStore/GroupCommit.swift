import Foundation

/// Batches work items from concurrent callers into one commit (group commit).
///
/// A caller hands in its item and waits. Whoever finds no commit running becomes the leader: it
/// takes every item queued so far — its own and those of callers that arrived meanwhile — commits
/// them in one go (one transaction, one fsync), and wakes everyone with their results. So under
/// load one durable commit serves many callers; alone, a caller commits just its own item with no
/// added wait.
///
/// If the commit throws, every item of that batch fails with the error, and the next caller
/// starts a fresh batch: nothing is retried silently, and service resumes when the cause is gone.
public final class GroupCommitter<Item: Sendable, Output: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [(ticket: UInt64, item: Item)] = []
    private var results: [UInt64: Result<Output, any Error>] = [:]
    private var nextTicket: UInt64 = 0
    private var committing = false
    private let commit: ([Item]) throws -> [Output]
    /// Batches committed so far and items in them (for tests and metrics).
    public private(set) var batches = 0
    public private(set) var items = 0

    /// - Parameter commit: commits a batch, returning one output per item, in order.
    public init(commit: @escaping ([Item]) throws -> [Output]) {
        self.commit = commit
    }

    /// Submits `item` and returns once it is committed.
    /// - Throws: the commit's error, when the batch holding `item` failed.
    public func submit(_ item: Item) throws -> Output {
        condition.lock()
        defer { condition.unlock() }
        let ticket = nextTicket
        nextTicket += 1
        queue.append((ticket, item))
        while true {
            if let result = results.removeValue(forKey: ticket) { return try result.get() }
            if committing {
                condition.wait()
                continue
            }
            committing = true
            let batch = queue
            queue.removeAll()
            condition.unlock()
            let outcome = Result { try commit(batch.map(\.item)) }
            condition.lock()
            for (index, entry) in batch.enumerated() {
                results[entry.ticket] = outcome.flatMap { outputs in
                    index < outputs.count ? .success(outputs[index]) : .failure(GroupCommitError.missingOutput)
                }
            }
            batches += 1
            items += batch.count
            committing = false
            condition.broadcast()
        }
    }
}

enum GroupCommitError: Error {
    /// The commit returned fewer outputs than it was given items.
    case missingOutput
}
