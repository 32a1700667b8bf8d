"""`sejf backup` and `sejf restore` against a real `sejf server` under write load: every backup
verifies and holds every write acknowledged before it started; a restore brings the values back;
a restore is refused while the data directory is locked; `--dry-run` changes nothing."""
import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
import threading
import time
from pathlib import Path

import pytest

from conftest import Server, make_client, run_sejf


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot_names(path: Path, environment: str) -> set:
    """Secret names in a snapshot, read with Python's sqlite3, read-only (names are not encrypted)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {row[0] for row in db.execute("SELECT name FROM secrets WHERE environment = ?", (environment,))}
    finally:
        db.close()


def listing(directory: Path) -> list:
    return sorted(p.name for p in directory.iterdir())


@pytest.fixture
def setup():
    """A fresh data directory (dev, prod) and a running server on it; stopped at the end."""
    with tempfile.TemporaryDirectory(prefix="sejf-backup-") as tmp:
        root = Path(tmp)
        data = root / "data"
        report = json.loads(run_sejf("init", "--environments", "dev,prod", "--output", "json", data=data).stdout)
        server = Server(data)
        installation = {"data": data, "endpoint": server.endpoint, "server": server, "root": root,
                        "key_id": report["AccessKeyId"], "secret": report["SecretAccessKey"]}
        try:
            yield installation
        finally:
            server.stop()


class Writer(threading.Thread):
    """Creates secrets in dev and prod as fast as the server takes them; `acked` lists
    (environment, name, value) once the server has answered."""

    def __init__(self, installation):
        super().__init__(daemon=True)
        self.clients = {env: make_client(installation, region=env) for env in ("dev", "prod")}
        self.acked = []
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.error = None

    def run(self):
        n = 0
        try:
            while not self.stop_event.is_set():
                n += 1
                env = "dev" if n % 3 else "prod"
                name, value = f"load/{n:06d}", f"value-{n}-{os.urandom(8).hex()}"
                self.clients[env].create_secret(Name=name, SecretString=value)
                with self.lock:
                    self.acked.append((env, name, value))
        except Exception as error:  # reported by the test
            self.error = error

    def snapshot(self):
        with self.lock:
            return list(self.acked)

    def finish(self):
        self.stop_event.set()
        self.join(timeout=30)
        assert self.error is None, f"writer failed: {self.error!r}"


def test_backups_under_load_verify_and_restore(setup):
    data, root = setup["data"], setup["root"]
    writer = Writer(setup)
    writer.start()
    backups = []
    try:
        deadline = time.time() + 10
        while len(writer.snapshot()) < 20 and time.time() < deadline:
            time.sleep(0.05)
        for i in range(4):
            acked_before = writer.snapshot()
            out = root / f"backup-{i}.db"
            started = time.monotonic()
            result = run_sejf("backup", "--out", str(out), "--output", "json", data=data)
            elapsed = time.monotonic() - started
            report = json.loads(result.stdout)
            backups.append((out, acked_before, report, elapsed))
            time.sleep(0.2)
    finally:
        writer.finish()
    assert len(writer.acked) > 50, "the writer did not get going"

    for out, acked_before, report, elapsed in backups:
        print(f"backup {out.name}: {report['bytes']} bytes, online backup {report['backupSeconds']:.4f} s, "
              f"with verification {report['totalSeconds']:.3f} s, command {elapsed:.3f} s, "
              f"{report['snapshot']['secrets']} secrets, {report['snapshot']['auditEvents']} audit events")
        assert out.stat().st_mode & 0o777 == 0o600
        assert not Path(str(out) + "-wal").exists() and not Path(str(out) + "-journal").exists()
        snapshot = report["snapshot"]
        assert snapshot["integrity"] == "ok"
        assert [e["name"] for e in snapshot["environments"]] == ["dev", "prod"]
        assert snapshot["principals"] >= 1 and snapshot["accessKeys"] >= 1
        assert snapshot["auditVerified"] == snapshot["auditEvents"] > 0
        # Every write acknowledged before the backup started is in it.
        for env in ("dev", "prod"):
            names = snapshot_names(out, env)
            missing = [name for e, name, _ in acked_before if e == env and name not in names]
            assert not missing, f"{out.name} lacks acknowledged writes: {missing[:5]}"
        assert snapshot["secrets"] >= len(acked_before)
        # It verifies again as a restore would (dry run), on its own.
        plan = json.loads(run_sejf("restore", str(out), "--dry-run", "--output", "json", data=data).stdout)
        assert plan["dryRun"] is True and plan["restored"] is False
        assert plan["snapshot"]["secrets"] == snapshot["secrets"]

    # The backups are recorded in the live audit trail.
    events = run_sejf("audit", "export", "--format", "jsonl", data=data).stdout.splitlines()
    assert sum(1 for line in events if json.loads(line)["action"] == "sejf:Backup") == len(backups)

    # Restore the last backup into a copy of the data directory (keys included), server stopped.
    assert setup["server"].stop() == 0
    out, acked_before, report, _ = backups[-1]
    copy = root / "copy"
    shutil.copytree(data, copy)
    later = [(env, name) for env, name, _ in writer.acked if name not in {n for _, n, _ in acked_before}]
    result = run_sejf("restore", str(out), "--output", "json", data=copy)
    restored = json.loads(result.stdout)
    assert restored["restored"] is True and restored["replacesExisting"] is True
    kept = Path(restored["previousDatabase"])
    assert kept.parent == copy and kept.name.startswith("sejf.db.before-restore-") and kept.exists()
    for env, name, value in acked_before[:: max(1, len(acked_before) // 15)] + acked_before[-3:]:
        got = run_sejf("secret", "get", name, "--env", env, data=copy).stdout
        assert got == value + "\n"
    # Writes after the backup started and not in it are gone from the restored database.
    names_now = snapshot_names(copy / "sejf.db", "dev") | snapshot_names(copy / "sejf.db", "prod")
    assert len(names_now) == report["snapshot"]["secrets"]
    assert all(name not in names_now for _, name in later if name not in snapshot_names(out, "dev") | snapshot_names(out, "prod"))
    verify = run_sejf("audit", "verify", data=copy).stdout
    assert verify.startswith("ok:")
    # The text form says where the previous database went.
    text = run_sejf("restore", str(out), data=copy).stdout
    assert "The previous database is kept as" in text and "before-restore-" in text


def test_restore_is_refused_while_the_directory_is_in_use(setup):
    data, root = setup["data"], setup["root"]
    out = root / "backup.db"
    run_sejf("backup", "--out", str(out), data=data)
    database = data / "sejf.db"
    fd = os.open(data / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    before = (sha256(database), listing(data))
    try:
        with pytest.raises(BlockingIOError):  # the running server holds the data directory's lock
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = run_sejf("restore", str(out), data=data, check=False)
        assert result.returncode == 1
        assert "is in use by another process" in result.stderr, result.stderr
        assert result.stderr.count("\n") == 1
        assert (sha256(database), listing(data)) == before
    finally:
        os.close(fd)
    # Once the server has stopped, the restore goes through.
    assert setup["server"].stop() == 0
    run_sejf("restore", str(out), data=data)


def test_dry_run_changes_nothing(setup):
    data, root = setup["data"], setup["root"]
    client = make_client(setup, region="dev")
    client.create_secret(Name="before/backup", SecretString="one")
    out = root / "backup.db"
    run_sejf("backup", "--out", str(out), data=data)
    client.create_secret(Name="after/backup", SecretString="two")
    assert setup["server"].stop() == 0

    database = data / "sejf.db"
    before = (sha256(database), listing(data), sha256(out))
    result = run_sejf("restore", str(out), "--dry-run", data=data)
    assert "Dry run: would replace" in result.stdout and "Nothing was changed." in result.stdout
    assert "ok: audit chain intact" in result.stdout
    assert (sha256(database), listing(data), sha256(out)) == before
    assert run_sejf("secret", "get", "after/backup", "--env", "dev", data=data).stdout == "two\n"


def test_backup_refuses_an_existing_file_and_bad_snapshots(setup):
    data, root = setup["data"], setup["root"]
    taken = root / "taken.db"
    taken.write_text("keep me")
    result = run_sejf("backup", "--out", str(taken), data=data, check=False)
    assert result.returncode == 1 and "already exists" in result.stderr
    assert result.stderr.startswith("sejf: error: ") and result.stderr.count("\n") == 1
    assert taken.read_text() == "keep me"

    # A damaged snapshot: refused, nothing replaced.
    out = root / "backup.db"
    run_sejf("backup", "--out", str(out), data=data)
    raw = bytearray(out.read_bytes())
    middle = (len(raw) // 4096 // 2) * 4096
    raw[middle:middle + 64] = bytes(b ^ 0xFF for b in raw[middle:middle + 64])
    damaged = root / "damaged.db"
    damaged.write_bytes(bytes(raw))
    assert setup["server"].stop() == 0
    before = sha256(data / "sejf.db")
    result = run_sejf("restore", str(damaged), data=data, check=False)
    assert result.returncode == 1 and "damaged" in result.stderr, result.stderr
    assert sha256(data / "sejf.db") == before

    # A truncated snapshot (a copy cut short): refused, nothing replaced.
    truncated = root / "truncated.db"
    truncated.write_bytes(out.read_bytes()[: len(raw) // 2])
    result = run_sejf("restore", str(truncated), data=data, check=False)
    assert result.returncode == 1 and result.stderr.startswith("sejf: error: "), result.stderr
    assert sha256(data / "sejf.db") == before

    # Keys that do not open it: refused, naming the environment.
    other = root / "other"
    shutil.copytree(data, other)
    (other / "keys" / "prod.key").unlink()
    (other / "keys" / "prod.key").write_text("QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=\n")
    result = run_sejf("restore", str(out), data=other, check=False)
    assert result.returncode == 1 and "environment 'prod'" in result.stderr, result.stderr
    assert "QUFBQUFB" not in result.stderr
