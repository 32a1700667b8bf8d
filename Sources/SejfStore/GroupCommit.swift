import Foundation
import Synchronization

/// Batches work items from concurrent callers into one commit (group commit).
///
/// A caller hands in its item and waits. Whoever finds no commit running becomes the leader: it
/// takes every item queued so far — its own and those of callers that arrived meanwhile — commits
/// them in one go (one transaction, one fsync), and wakes the callers of that batch with their
/// results. If more callers queued up during the commit, the first of them is woken to lead the
/// next batch. So under load one durable commit serves many callers, each caller is woken once
/// (not at every commit), and alone a caller commits just its own item with no added wait.
///
/// If the commit throws, every item of that batch fails with the error, and the next batch
/// starts afresh: nothing is retried silently, and service resumes when the cause is gone.
public final class GroupCommitter<Item: Sendable, Output: Sendable>: Sendable {
    /// One caller: its item, and what wakes it — its result, or its turn to lead.
    private final class Waiter: @unchecked Sendable {
        let item: Item
        /// Written by the leader before `wake` is signalled, read by the waiter after.
        var result: Result<Output, any Error>?
        let wake = DispatchSemaphore(value: 0)

        init(_ item: Item) { self.item = item }
    }

    private struct State {
        var queue: [Waiter] = []
        var committing = false
        var batches = 0
        var items = 0
    }

    private let state = Mutex(State())
    private let commit: @Sendable ([Item]) throws -> [Output]

    /// Batches committed so far and items in them (for tests and metrics).
    public var batches: Int { state.withLock { $0.batches } }
    public var items: Int { state.withLock { $0.items } }

    /// - Parameter commit: commits a batch, returning one output per item, in order.
    public init(commit: @escaping @Sendable ([Item]) throws -> [Output]) {
        self.commit = commit
    }

    /// Submits `item` and returns once it is committed.
    /// - Throws: the commit's error, when the batch holding `item` failed.
    public func submit(_ item: Item) throws -> Output {
        let waiter = Waiter(item)
        let leads = state.withLock { state in
            state.queue.append(waiter)
            guard !state.committing else { return false }
            state.committing = true
            return true
        }
        if !leads { waiter.wake.wait() }
        if waiter.result == nil { lead(as: waiter) }
        return try waiter.result!.get()
    }

    /// Commits everything queued, wakes its callers, and passes the lead on to the next caller
    /// that queued meanwhile (or ends the leadership when nobody did).
    private func lead(as leader: Waiter) {
        let batch = state.withLock { state in
            defer { state.queue.removeAll() }
            return state.queue
        }
        let outcome = Result { try commit(batch.map(\.item)) }
        for (index, waiter) in batch.enumerated() {
            waiter.result = outcome.flatMap { outputs in
                index < outputs.count ? .success(outputs[index]) : .failure(GroupCommitError.missingOutput)
            }
        }
        let next = state.withLock { state in
            state.batches += 1
            state.items += batch.count
            if state.queue.isEmpty { state.committing = false }
            return state.queue.first
        }
        for waiter in batch where waiter !== leader { waiter.wake.signal() }
        next?.wake.signal()
    }
}

enum GroupCommitError: Error {
    /// The commit returned fewer outputs than it was given items.
    case missingOutput
}
