import Foundation
import Synchronization
import Testing
@testable import SejfStore

struct GroupCommitTests {
    @Test func aLoneCallerCommitsItsOwnItem() throws {
        let committer = GroupCommitter<Int, Int> { $0.map { $0 * 2 } }
        #expect(try committer.submit(21) == 42)
        #expect(committer.batches == 1)
    }

    @Test func concurrentCallersShareCommitsAndGetTheirOwnResults() throws {
        let committed = Mutex<[Int]>([])
        let committer = GroupCommitter<Int, Int> { batch in
            Thread.sleep(forTimeInterval: 0.005)  // a slow fsync, so callers pile up
            committed.withLock { $0 += batch }
            return batch.map { $0 + 1000 }
        }
        let results = Mutex<[Int: Int]>([:])
        DispatchQueue.concurrentPerform(iterations: 200) { i in
            let output = try! committer.submit(i)
            results.withLock { $0[i] = output }
        }
        #expect(results.withLock { $0 }.count == 200)
        #expect(results.withLock { $0 }.allSatisfy { $0.value == $0.key + 1000 })
        #expect(committed.withLock { $0 }.sorted() == Array(0..<200))
        #expect(committer.items == 200)
        #expect(committer.batches < 200, "items were batched")
    }

    @Test func aFailedBatchFailsItsCallersAndTheNextBatchWorks() throws {
        struct DiskFull: Error {}
        let failing = Mutex(true)
        let committer = GroupCommitter<Int, Int> { batch in
            if failing.withLock({ $0 }) { throw DiskFull() }
            return batch
        }
        #expect(throws: DiskFull.self) { try committer.submit(1) }
        failing.withLock { $0 = false }
        #expect(try committer.submit(2) == 2)
    }
}
