"""`kill -9` in the middle of the administrative operations, at random moments: `sejf key rotate`
(re-wrapping data keys while `sejf server` serves), `sejf backup` (online, while it serves) and
`sejf restore` (server stopped). After each kill: `PRAGMA integrity_check` is ok, `sejf audit
verify` passes, every secret reads with its right value, and a retry of the interrupted operation
completes. A killed backup never leaves a file under the name asked for, and a half-written file
is never accepted by restore; a killed restore leaves the old data or the new, never a mix.

A secret rotation killed between its steps is in test_rotation.py
(`test_a_rotation_killed_at_a_step_completes_on_resume`).

`SEJF_OPERATION_KILLS` sets the kills per operation (default 3, the CI form; the long form is 25,
see Tests/crash/README.md); `SEJF_CRASH_SEED` fixes the kill moments (the seed is printed)."""
import itertools
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import SEJF, assert_sound, clean_env, make_client, run_sejf, running_installation

KILLS = int(os.environ.get("SEJF_OPERATION_KILLS", "3"))
SEED = int(os.environ.get("SEJF_CRASH_SEED", "0")) or int.from_bytes(os.urandom(4), "big")


@pytest.fixture
def rng():
    """The random kill moments; the seed is printed (shown when a test fails)."""
    print(f"kill moments from seed {SEED}: reproduce with SEJF_CRASH_SEED={SEED}")
    return random.Random(SEED)


def run_and_kill(args, data, delay) -> bool:
    """Starts `sejf ARGS --data DATA` and SIGKILLs it after `delay` seconds. Returns whether the
    kill landed (the command was still running) rather than the command having finished."""
    process = subprocess.Popen([str(SEJF), *args, "--data", str(data)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env=clean_env())
    try:
        process.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return True


def timed_run(*args, data) -> float:
    """Runs a `sejf` command to completion (it must succeed); returns how long it took."""
    started = time.monotonic()
    run_sejf(*args, data=data)
    return time.monotonic() - started


def reference_duration(run_once, runs=3):
    """The median duration of `runs` complete runs (`run_once()` returns one's duration): one run
    on a busy machine can take several times as long as the next."""
    return statistics.median(run_once() for _ in range(runs))


def kill_rounds(rng, reference, attempt):
    """Calls `attempt(delay)` with random kill moments until KILLS of them landed mid-operation (at
    most 8 × KILLS attempts); returns the number that landed. Moments alternate between the whole
    of the operation's reference duration and 70–110% of it (one run's length varies), around the
    end where the operations commit (the last batches, linking the backup, installing the
    restored file)."""
    landed = 0
    for n in range(8 * KILLS):
        if landed == KILLS:
            break
        low, high = (0.03, 0.97) if n % 2 == 0 else (0.7, 1.1)
        delay = rng.uniform(low, high) * reference
        hit = attempt(delay)
        print(f"kill at {delay:.3f} s of {reference:.3f} s: {'landed' if hit else 'the command had finished'}")
        landed += hit
    return landed


def value_of(name, generation=0):
    """The value a test secret holds in a given generation (16 KiB, so the database has some size)."""
    return f"{name}#{generation}:" + (name * 1024)[:16384]


def seed_secrets(installation, count, second_every=3):
    """Creates `count` secrets in dev through the server (every `second_every`-th also gets a second
    version); returns name -> [values, oldest first]."""
    names = [f"app/{i:04d}" for i in range(count)]
    clients = [make_client(installation) for _ in range(4)]

    def create(i):
        client = clients[i % len(clients)]
        client.create_secret(Name=names[i], SecretString=value_of(names[i]))
        if i % second_every == 0:
            client.put_secret_value(SecretId=names[i], SecretString=value_of(names[i], 1))

    with ThreadPoolExecutor(len(clients)) as pool:
        list(pool.map(create, range(count)))
    return {name: [value_of(name)] + ([value_of(name, 1)] if i % second_every == 0 else []) for i, name in enumerate(names)}


def assert_values(client, expected):
    """Every secret's AWSCURRENT (and AWSPREVIOUS, when it has one) reads with its right value."""
    for name, values in expected.items():
        assert client.get_secret_value(SecretId=name)["SecretString"] == values[-1], name
        if len(values) > 1:
            assert client.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == values[-2], name


# ------------------------------------------------------------------ sejf key rotate

def kek_list(data):
    """The dev environment's keys, active first, with the versions each wraps."""
    return json.loads(run_sejf("key", "kek-list", "--env", "dev", "--output", "json", data=data).stdout)


def test_key_rotate_killed_mid_rewrap(rng):
    with running_installation("dev", prefix="sejf-kill-kek-") as installation:
        data = installation["data"]
        expected = seed_secrets(installation, 160)
        total = sum(len(values) for values in expected.values())
        rotate = ("key", "rotate", "--env", "dev", "--batch", "3")
        reference = reference_duration(lambda: timed_run(*rotate, data=data))
        client = make_client(installation)

        def attempt(delay):
            landed = run_and_kill(rotate, data, delay)
            assert_sound(data)
            assert_values(client, expected)  # old key or new, every value reads
            keys = kek_list(data)
            assert sum(k["versions"] for k in keys) == total and keys[0]["active"]
            unfinished = keys[0]["versions"] < total
            print(f"  keys {[(k['keyId'][:8], k['versions']) for k in keys]}")
            retry = run_sejf(*rotate, data=data)
            if unfinished:  # killed mid-rewrap: the retry finishes it, with no third key
                assert "no new key was made" in retry.stdout, retry.stdout
                assert [k["keyId"] for k in kek_list(data)] == [k["keyId"] for k in keys]
            keys = kek_list(data)
            assert keys[0]["versions"] == total and all(k["versions"] == 0 for k in keys[1:])
            assert_sound(data)
            return landed

        assert kill_rounds(rng, reference, attempt) == KILLS
        assert_values(client, expected)


# ------------------------------------------------------------------ sejf backup

def snapshot_names(path: Path) -> set:
    """Secret names in a snapshot file (names are not encrypted), read from a private copy of the
    file alone, as restore reads it: a file left by a kill may still be in WAL mode, or have a
    journal beside it, which a read-only connection cannot open."""
    with tempfile.TemporaryDirectory(prefix="sejf-snapshot-") as tmp:
        copy = Path(tmp) / "copy.db"
        shutil.copyfile(path, copy)
        db = sqlite3.connect(copy)
        try:
            return {row[0] for row in db.execute("SELECT name FROM secrets")}
        finally:
            db.close()


def assert_complete_or_refused(snapshot: Path, data: Path, names: set):
    """A snapshot file left by a killed backup is either refused by restore with one clear line,
    or (the kill came after the copy was whole) accepted and holds every secret."""
    plan = run_sejf("restore", str(snapshot), "--dry-run", data=data, check=False)
    print(f"  restore --dry-run of {snapshot.name}: " + ("accepted" if plan.returncode == 0 else plan.stderr.strip()))
    if plan.returncode == 0:
        assert names <= snapshot_names(snapshot), f"{snapshot.name} was accepted but lacks secrets"
    else:
        assert plan.returncode == 1 and plan.stderr.startswith("sejf: error: ") and plan.stderr.count("\n") == 1, plan.stderr


def test_backup_killed_midway_leaves_no_backup_and_retries(rng):
    with running_installation("dev", prefix="sejf-kill-backup-") as installation:
        data, root = installation["data"], installation["data"].parent
        names = set(seed_secrets(installation, 300, second_every=1000))
        references = itertools.count()
        reference = reference_duration(
            lambda: timed_run("backup", "--out", str(root / f"reference-{next(references)}.db"), data=data))
        rounds = {"n": 0}

        def attempt(delay):
            rounds["n"] += 1
            out = root / f"backup-{rounds['n']}.db"
            landed = run_and_kill(("backup", "--out", str(out)), data, delay)
            assert_sound(data)  # the live database, under the running server
            partials = sorted(root.glob(f"{out.name}.partial-*"))
            if out.exists():  # only a backup that was whole, verified and audited has the name
                assert run_sejf("restore", str(out), "--dry-run", data=data).returncode == 0
                assert names <= snapshot_names(out)
                # Killed between the link and the clean-up: the partial name is the same file.
                assert all(partial.samefile(out) for partial in partials), partials
            else:
                for partial in partials:
                    print(f"  left {partial.name}, {partial.stat().st_size} bytes")
                    assert_complete_or_refused(partial, data, names)
            for partial in partials:
                partial.unlink()
            if not out.exists():
                run_sejf("backup", "--out", str(out), data=data)  # the retry, under the same name
            assert not list(root.glob(f"{out.name}.partial-*")), "a finished backup left its partial file"
            return landed

        assert kill_rounds(rng, reference, attempt) == KILLS
        assert_sound(data)


# ------------------------------------------------------------------ sejf restore

def versions_state(database: Path) -> set:
    """(name, version id) of every version in the database: what a restore replaces."""
    db = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return set(db.execute("SELECT s.name, v.version_id FROM versions v JOIN secrets s ON s.id = v.secret_id"))
    finally:
        db.close()


@pytest.fixture
def restore_world(tmp_path):
    """A stopped data directory ("old") and a snapshot of an earlier state ("new", to restore):
    the live data has 40 secrets and 30 versions that the snapshot lacks."""
    with running_installation("dev", prefix="sejf-kill-restore-") as installation:
        data = installation["data"]
        seed_secrets(installation, 200, second_every=1000)
        snapshot = tmp_path / "snapshot.db"
        run_sejf("backup", "--out", str(snapshot), data=data)
        seed_more = make_client(installation)
        for i in range(30):
            seed_more.put_secret_value(SecretId=f"app/{i:04d}", SecretString=value_of(f"app/{i:04d}", 2))
        for i in range(40):
            seed_more.create_secret(Name=f"later/{i}", SecretString="later")
        assert installation["server"].stop() == 0
        pristine = tmp_path / "pristine"
        shutil.copytree(data, pristine)
    old, new = versions_state(pristine / "sejf.db"), versions_state(snapshot)
    assert old != new
    yield {"pristine": pristine, "snapshot": snapshot, "old": old, "new": new, "tmp": tmp_path}


def test_restore_killed_midway_leaves_old_or_new_never_a_mix(rng, restore_world):
    world = restore_world
    rounds = {"n": 0}

    def fresh_copy():
        rounds["n"] += 1
        data = world["tmp"] / f"round-{rounds['n']}"
        shutil.copytree(world["pristine"], data)
        return data

    reference = reference_duration(lambda: timed_run("restore", str(world["snapshot"]), data=fresh_copy()))

    def attempt(delay):
        data = fresh_copy()
        landed = run_and_kill(("restore", str(world["snapshot"])), data, delay)
        assert_sound(data)
        state = versions_state(data / "sejf.db")
        assert state in (world["old"], world["new"]), "a killed restore left a mix of the old and the new data"
        restored = state == world["new"]
        print(f"  {'new' if restored else 'old'} data, {sorted(p.name for p in data.iterdir())}")
        current = run_sejf("secret", "get", "app/0001", "--env", "dev", data=data).stdout
        assert current == value_of("app/0001", 0 if restored else 2) + "\n"
        later = run_sejf("secret", "get", "later/0", "--env", "dev", data=data, check=False)
        assert (later.returncode != 0) == restored

        run_sejf("restore", str(world["snapshot"]), data=data)  # the retry
        assert versions_state(data / "sejf.db") == world["new"]
        assert not (data / "sejf.db.restoring").exists()
        assert_sound(data)
        shutil.rmtree(data)
        return landed

    assert kill_rounds(rng, reference, attempt) == KILLS
