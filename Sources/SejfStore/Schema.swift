import GRDB

/// The database schema, as migrations. A shipped migration is never edited: change the schema by
/// appending a new one.
enum Schema {
    /// The SQL condition for an allowed read of a value (`AuditAction.valueReads`, checked by a
    /// test). Literal, not bound, so SQLite can use the partial indexes built with it; a
    /// migration's text never changes, so neither does this.
    static let valueReadFilter =
        "outcome = 'allowed' AND secret_arn IS NOT NULL AND action IN ('secretsmanager:BatchGetSecretValue', 'secretsmanager:GetSecretValue')"

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: environments, keys, secrets, versions, labels, tags") { db in
            try db.execute(sql: """
                CREATE TABLE meta (
                    key TEXT PRIMARY KEY NOT NULL,
                    value TEXT NOT NULL
                ) STRICT;

                CREATE TABLE environments (
                    name TEXT PRIMARY KEY NOT NULL,
                    description TEXT NOT NULL DEFAULT '',
                    namespace TEXT,
                    created_at REAL NOT NULL
                ) STRICT;

                -- Key-encryption keys: ids (fingerprints) and derivation parameters, never key bytes.
                CREATE TABLE keys (
                    id TEXT PRIMARY KEY NOT NULL,
                    environment TEXT NOT NULL REFERENCES environments(name),
                    source TEXT NOT NULL CHECK (source IN ('file', 'variable', 'passphrase')),
                    kdf_salt BLOB,
                    kdf_ops INTEGER,
                    kdf_mem INTEGER,
                    active INTEGER NOT NULL CHECK (active IN (0, 1)),
                    created_at REAL NOT NULL,
                    CHECK ((source = 'passphrase') = (kdf_salt IS NOT NULL AND kdf_ops IS NOT NULL AND kdf_mem IS NOT NULL))
                ) STRICT;
                CREATE UNIQUE INDEX keys_one_active_per_environment ON keys(environment) WHERE active = 1;

                CREATE TABLE secrets (
                    id INTEGER PRIMARY KEY,
                    environment TEXT NOT NULL REFERENCES environments(name),
                    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 512),
                    arn_suffix TEXT NOT NULL CHECK (length(arn_suffix) = 6),
                    description TEXT,
                    kms_key_id TEXT,
                    created_at REAL NOT NULL,
                    last_changed_at REAL NOT NULL,
                    last_accessed_at REAL,
                    deleted_at REAL,
                    purge_at REAL,
                    CHECK ((deleted_at IS NULL) = (purge_at IS NULL)),
                    UNIQUE (environment, name)
                ) STRICT;

                -- Values exist only as ciphertext; a version's value never changes.
                CREATE TABLE versions (
                    secret_id INTEGER NOT NULL REFERENCES secrets(id) ON DELETE CASCADE,
                    version_id TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    is_binary INTEGER NOT NULL CHECK (is_binary IN (0, 1)),
                    key_id TEXT NOT NULL REFERENCES keys(id),
                    wrapped_key BLOB NOT NULL,
                    ciphertext BLOB NOT NULL,
                    PRIMARY KEY (secret_id, version_id)
                ) STRICT;
                CREATE INDEX versions_by_key ON versions(key_id);
                CREATE TRIGGER versions_are_immutable
                BEFORE UPDATE OF secret_id, version_id, created_at, is_binary, ciphertext ON versions
                BEGIN SELECT RAISE(ABORT, 'secret versions are immutable'); END;

                -- One row per (secret, label): a label is on at most one version, so there is at
                -- most one AWSCURRENT per secret. A labelled version cannot be deleted.
                CREATE TABLE labels (
                    secret_id INTEGER NOT NULL,
                    label TEXT NOT NULL CHECK (length(label) BETWEEN 1 AND 256),
                    version_id TEXT NOT NULL,
                    position INTEGER NOT NULL,
                    PRIMARY KEY (secret_id, label),
                    FOREIGN KEY (secret_id, version_id) REFERENCES versions(secret_id, version_id)
                ) STRICT;

                CREATE TABLE tags (
                    secret_id INTEGER NOT NULL REFERENCES secrets(id) ON DELETE CASCADE,
                    key TEXT NOT NULL,
                    value TEXT NOT NULL,
                    position INTEGER NOT NULL,
                    PRIMARY KEY (secret_id, key)
                ) STRICT;

                CREATE TABLE principals (
                    name TEXT PRIMARY KEY NOT NULL,
                    description TEXT NOT NULL DEFAULT '',
                    created_at REAL NOT NULL
                ) STRICT;
                """)
        }
        migrator.registerMigration("v2: access keys") { db in
            try db.execute(sql: """
                -- Access keys for SigV4. The secret is sealed under the system key (keys/_system.key),
                -- whose id is meta 'system_key_id'.
                CREATE TABLE access_keys (
                    id TEXT PRIMARY KEY NOT NULL CHECK (length(id) BETWEEN 16 AND 128),
                    principal TEXT NOT NULL REFERENCES principals(name) ON DELETE CASCADE,
                    sealed_secret BLOB NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('Active', 'Inactive')),
                    created_at REAL NOT NULL,
                    last_used_at REAL
                ) STRICT;
                CREATE INDEX access_keys_by_principal ON access_keys(principal);
                """)
        }
        migrator.registerMigration("v3: replicas, rotation settings, resource policies") { db in
            try db.execute(sql: """
                -- A replica is a read-only copy of a secret in another environment, kept in step
                -- with its primary in the primary's write transactions.
                ALTER TABLE secrets ADD COLUMN primary_id INTEGER REFERENCES secrets(id);
                CREATE INDEX secrets_by_primary ON secrets(primary_id) WHERE primary_id IS NOT NULL;
                ALTER TABLE secrets ADD COLUMN rotation_enabled INTEGER NOT NULL DEFAULT 0 CHECK (rotation_enabled IN (0, 1));
                ALTER TABLE secrets ADD COLUMN rotation_lambda_arn TEXT;
                -- AWS's RotationRules structure, as JSON.
                ALTER TABLE secrets ADD COLUMN rotation_rules TEXT;
                ALTER TABLE secrets ADD COLUMN last_rotated_at REAL;
                ALTER TABLE secrets ADD COLUMN next_rotation_at REAL;
                ALTER TABLE secrets ADD COLUMN resource_policy TEXT;
                """)
        }
        migrator.registerMigration("v4: roles, bindings, audit trail") { db in
            try db.execute(sql: """
                -- Roles beyond the built-in ones; rules as JSON (validated by the service).
                CREATE TABLE roles (
                    name TEXT PRIMARY KEY NOT NULL,
                    description TEXT NOT NULL DEFAULT '',
                    rules TEXT NOT NULL,
                    created_at REAL NOT NULL
                ) STRICT;

                -- A binding gives a role (built-in or from `roles`) to principals in environments.
                CREATE TABLE bindings (
                    name TEXT PRIMARY KEY NOT NULL,
                    role TEXT NOT NULL,
                    principals TEXT NOT NULL,
                    environments TEXT NOT NULL,
                    created_at REAL NOT NULL
                ) STRICT;

                -- The audit trail: append-only, each row chained to the previous by a keyed hash.
                CREATE TABLE audit_events (
                    sequence INTEGER PRIMARY KEY,
                    time_ms INTEGER NOT NULL,
                    environment TEXT NOT NULL,
                    principal TEXT NOT NULL,
                    access_key_id TEXT,
                    action TEXT NOT NULL,
                    secret_arn TEXT,
                    version_id TEXT,
                    version_stages TEXT NOT NULL,
                    outcome TEXT NOT NULL CHECK (outcome IN ('allowed', 'denied', 'error')),
                    error_code TEXT,
                    source_address TEXT NOT NULL,
                    user_agent TEXT NOT NULL,
                    request_id TEXT NOT NULL,
                    hash BLOB NOT NULL
                ) STRICT;
                CREATE INDEX audit_by_time ON audit_events(time_ms);
                CREATE INDEX audit_by_secret ON audit_events(secret_arn, time_ms);
                CREATE INDEX audit_by_principal ON audit_events(principal, time_ms);
                -- Value reads, for who-read (by time) and stale (by secret): partial, covering.
                CREATE INDEX audit_value_reads_by_time ON audit_events(environment, time_ms, principal, secret_arn)
                    WHERE \(valueReadFilter);
                CREATE INDEX audit_value_reads_by_secret ON audit_events(environment, secret_arn, time_ms)
                    WHERE \(valueReadFilter);
                CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
                BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
                CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
                BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;

                -- The local operator stays an administrator in every environment (change it like any binding).
                INSERT INTO bindings (name, role, principals, environments, created_at)
                SELECT 'admin', 'admin', '["admin"]', '["*"]', created_at FROM principals WHERE name = 'admin';

                -- Where a pruned chain continues: the last pruned event's sequence and hash, with a
                -- MAC under the audit key so a checkpoint cannot be forged to hide deleted events.
                CREATE TABLE audit_checkpoints (
                    sequence INTEGER PRIMARY KEY,
                    hash BLOB NOT NULL,
                    time_ms INTEGER NOT NULL,
                    mac BLOB NOT NULL
                ) STRICT;
                """)
        }
        migrator.registerMigration("v5: rotations in progress") { db in
            try db.execute(sql: """
                -- A rotation that has started and not finished: the step to run next, so a rotation
                -- interrupted at any step resumes there; its last error and when to retry.
                CREATE TABLE rotations (
                    secret_id INTEGER PRIMARY KEY REFERENCES secrets(id) ON DELETE CASCADE,
                    token TEXT NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('rotate', 'rollback')),
                    step TEXT NOT NULL CHECK (step IN ('createSecret', 'setSecret', 'testSecret', 'finishSecret')),
                    rotator TEXT NOT NULL,
                    principal TEXT NOT NULL,
                    started_at REAL NOT NULL,
                    last_error TEXT,
                    failures INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
                    retry_at REAL,
                    holder TEXT,
                    lease_until REAL
                ) STRICT;
                CREATE INDEX secrets_next_rotation ON secrets (next_rotation_at) WHERE rotation_enabled = 1;

                -- Who scheduled rotations run as. No access key, no binding: it may read a master
                -- secret only once an operator binds it to a role that allows that.
                INSERT OR IGNORE INTO principals (name, description, created_at)
                VALUES ('sejf-scheduler', 'Scheduled rotations in sejf server (no access keys)', unixepoch('now'));
                """)
        }
        migrator.registerMigration("v6: key rotation") { db in
            try db.execute(sql: """
                -- `sejf key rotate` re-wraps data keys in place: a version's key_id and wrapped_key
                -- may change (versions_are_immutable still forbids any change to its ciphertext, id,
                -- date or type), but only together, and only to a key of the secret's own environment.
                CREATE TRIGGER versions_key_id_names_the_wrapping_key
                BEFORE UPDATE OF key_id, wrapped_key ON versions
                WHEN NEW.key_id IS NOT lower(hex(substr(NEW.wrapped_key, 2, 16)))
                BEGIN SELECT RAISE(ABORT, 'a version''s key_id must be the key its data key is wrapped with'); END;
                CREATE TRIGGER versions_rewrap_within_environment
                BEFORE UPDATE OF key_id ON versions
                WHEN (SELECT environment FROM keys WHERE id = NEW.key_id)
                     IS NOT (SELECT environment FROM secrets WHERE id = NEW.secret_id)
                BEGIN SELECT RAISE(ABORT, 'a version can only be re-wrapped under a key of its own environment'); END;

                -- The active key seals every new version: it can be replaced, never deleted (a key
                -- that still wraps a data key cannot be deleted either: versions.key_id references it).
                CREATE TRIGGER keys_active_is_not_deleted
                BEFORE DELETE ON keys WHEN OLD.active = 1
                BEGIN SELECT RAISE(ABORT, 'the active key of an environment cannot be deleted'); END;
                """)
        }
        migrator.registerMigration("v7: metadata generation") { db in
            try db.execute(sql: """
                -- A fresh random number each time a table StoreMetadata caches changes, so every
                -- process knows when its cached snapshot is stale (see StoreMetadata).
                CREATE TABLE metadata_generation (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    value INTEGER NOT NULL
                ) STRICT;
                INSERT INTO metadata_generation (id, value) VALUES (1, random());
                """)
            for table in ["meta", "environments", "keys", "roles", "bindings", "access_keys"] {
                for event in ["INSERT", "UPDATE", "DELETE"] {
                    // An access key's use (`last_used_at`) is not metadata.
                    let when = table == "access_keys" && event == "UPDATE"
                        ? "WHEN OLD.id IS NOT NEW.id OR OLD.principal IS NOT NEW.principal OR OLD.status IS NOT NEW.status"
                            + " OR OLD.sealed_secret IS NOT NEW.sealed_secret"
                        : ""
                    try db.execute(sql: """
                        CREATE TRIGGER \(table)_\(event.lowercased())_moves_metadata_generation AFTER \(event) ON \(table) \(when)
                        BEGIN UPDATE metadata_generation SET value = random(); END
                        """)
                }
            }
        }
        migrator.registerMigration("v8: ListSecrets orders") { db in
            // One index per ListSecrets sort order (by name: the UNIQUE constraint's), so a page
            // starts at its NextToken's position and reads only the rows it returns. A secret
            // never accessed sorts as 0; SQLite only searches a row-value range on an index of
            // columns, so that value is a (virtual) generated column, not an indexed expression.
            try db.execute(sql: """
                CREATE INDEX secrets_by_created_date ON secrets(environment, created_at, name);
                CREATE INDEX secrets_by_last_changed_date ON secrets(environment, last_changed_at, name);
                ALTER TABLE secrets ADD COLUMN last_accessed_order REAL GENERATED ALWAYS AS (COALESCE(last_accessed_at, 0)) VIRTUAL;
                CREATE INDEX secrets_by_last_accessed_date ON secrets(environment, last_accessed_order, name);
                """)
        }
        migrator.registerMigration("v9: secret revisions") { db in
            // A fresh random number each time a secret's row, tags, versions or labels change,
            // from any process, so a cached record of it is known stale (see SecretRecordCache).
            // Random, like metadata_generation: a rolled-back change cannot leave a value a later
            // commit reuses; a new secret gets a new one, as purged secrets' row ids are reused. A
            // table of its own keeps the triggers' writes small; a secret without a row here is
            // read from its tables, never from the cache.
            try db.execute(sql: """
                CREATE TABLE secret_revisions (
                    secret_id INTEGER PRIMARY KEY,
                    revision INTEGER NOT NULL
                ) STRICT;
                INSERT INTO secret_revisions (secret_id, revision) SELECT id, random() FROM secrets;
                """)
            for table in ["secrets", "tags", "versions", "labels"] {
                let id = table == "secrets" ? "id" : "secret_id"
                let moved = "WHEN OLD.\(id) IS NOT NEW.\(id)"  // never in Sejf's own writes
                for (event, row, when) in [("INSERT", "NEW", ""), ("UPDATE", "NEW", ""), ("UPDATE", "OLD", moved), ("DELETE", "OLD", "")] {
                    try db.execute(sql: """
                        CREATE TRIGGER \(table)_\(event.lowercased())_\(row.lowercased())_moves_secret_revision
                        AFTER \(event) ON \(table) \(when)
                        BEGIN INSERT OR REPLACE INTO secret_revisions (secret_id, revision) VALUES (\(row).\(id), random()); END
                        """)
                }
            }
        }
        return migrator
    }
}
