import Foundation
import Testing

/// A full disk and a read-only file system under the data directory (tmpfs mounts: needs root).
@Suite("Disk full and read-only")
struct DiskTests {
    private func freeBlocks(_ path: String) -> UInt64 {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return .max }
        return UInt64(info.f_bavail)
    }

    private func seed(_ sandbox: Sandbox) throws {
        try sandbox.initialise()
        try sandbox.put("db/password", "old-password")
        try sandbox.put("db/password", "current-password")
        try sandbox.put("api/key", "prod-api-key", env: "prod")
        expectSuccess(sandbox.sejf(["config", "set", "api/debug", "true", "--env", "dev"]))
    }

    private func expectSeedIntact(_ sandbox: Sandbox, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(try sandbox.get("db/password", sourceLocation: sourceLocation) == "current-password\n", sourceLocation: sourceLocation)
        #expect(try sandbox.get("db/password", extra: ["--label", "AWSPREVIOUS"], sourceLocation: sourceLocation) == "old-password\n",
                sourceLocation: sourceLocation)
        #expect(try sandbox.get("api/key", env: "prod", sourceLocation: sourceLocation) == "prod-api-key\n", sourceLocation: sourceLocation)
        #expect(sandbox.sejf(["config", "get", "api/debug", "--env", "dev"]).stdout == "true\n", sourceLocation: sourceLocation)
    }

    /// A read whose audit event cannot be written is not served (fail closed): one line, no value.
    private func expectReadRefused(_ sandbox: Sandbox, sourceLocation: SourceLocation = #_sourceLocation) {
        let read = sandbox.sejf(["secret", "get", "db/password", "--env", "dev"])
        let message = expectFailure(read, code: "InternalServiceError", sourceLocation: sourceLocation)
        #expect(message.contains("could not be audited"), "\(message)", sourceLocation: sourceLocation)
        #expect(!read.stdout.contains("current-password"), sourceLocation: sourceLocation)
    }

    @Test("a full disk refuses writes and unauditable reads with one line; after freeing space everything is intact")
    func diskFull() throws {
        let sandbox = try Sandbox()
        let mount = try sandbox.mountTmpfs("mnt", size: "2m")
        sandbox.data = mount + "/data"
        try seed(sandbox)

        let filler = mount + "/filler"
        let dd = CLI.run(executable: "/bin/dd", ["if=/dev/zero", "of=\(filler)", "bs=64k"])
        #expect(dd.status != 0, "dd should stop at a full disk: \(dd)")
        #expect(freeBlocks(mount) == 0, "the tmpfs is not full")

        // Reads fail closed: their audit events cannot be written.
        expectReadRefused(sandbox)

        let update = sandbox.sejf(["secret", "put", "db/password", "--env", "dev", "--value", "never-stored"])
        let message = expectFailure(update, code: "InternalServiceError")
        #expect(message.contains("disk is full") || message.contains("I/O"), "unclear disk-full message: \(message)")
        #expect(!message.contains("never-stored"))

        let create = sandbox.sejf(["secret", "put", "brand/new", "--env", "dev", "--value", "never-stored"])
        let createMessage = expectFailure(create)
        #expect(createMessage.contains("disk is full") || createMessage.contains("I/O"), "unclear disk-full message: \(createMessage)")

        try FileManager.default.removeItem(atPath: filler)
        try expectSeedIntact(sandbox)
        expectFailure(sandbox.sejf(["secret", "describe", "brand/new", "--env", "dev"]), code: "ResourceNotFoundException")
        let versions = sandbox.sejf(["secret", "versions", "db/password", "--env", "dev", "--include-deprecated", "--output", "json"])
        #expect((try jsonObject(versions)["Versions"] as? [Any])?.count == 2, "a failed put left a version behind")

        try sandbox.put("db/password", "after-space-freed")
        #expect(try sandbox.get("db/password") == "after-space-freed\n")
        #expect(try sandbox.get("db/password", extra: ["--label", "AWSPREVIOUS"]) == "current-password\n")
    }

    @Test("a read-only data directory: reads fail closed (no audit), writes are refused as read-only")
    func readOnly() throws {
        let sandbox = try Sandbox()
        let mount = try sandbox.mountTmpfs("mnt", size: "4m")
        sandbox.data = mount + "/data"
        try seed(sandbox)

        try sandbox.remount(mount, "ro")
        expectReadRefused(sandbox)

        let write = sandbox.sejf(["secret", "put", "db/password", "--env", "dev", "--value", "never-stored"])
        let message = expectFailure(write, code: "InternalServiceError")
        #expect(message.contains("read-only"), "a refused write should say the data directory is read-only: \(message)")

        try sandbox.remount(mount, "rw")
        try expectSeedIntact(sandbox)
        try sandbox.put("db/password", "after-remount")
        #expect(try sandbox.get("db/password") == "after-remount\n")
    }
}
