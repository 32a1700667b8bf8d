"""Crash safety: the short form of Tests/crash/crash_harness.py. `sejf server` is killed with
SIGKILL 10 times under concurrent boto3 writes and audited reads; after each kill the database
must pass `PRAGMA integrity_check`, `sejf audit verify` must pass, every acknowledged write must
be there (and no refused one), and every acknowledged GetSecretValue must have its audit event.
The long form is `python3 Tests/crash/crash_harness.py --kills 100` (see Tests/crash/README.md)."""
import json
import os
import subprocess
import sys

from conftest import REPO, SEJF, clean_env

HARNESS = REPO / "Tests" / "crash" / "crash_harness.py"


def test_kill_9_ten_times_loses_nothing_acknowledged(tmp_path):
    assert SEJF.exists(), f"{SEJF} does not exist: run `swift build` first"
    seed = int(os.environ.get("SEJF_CRASH_SEED", "0")) or int.from_bytes(os.urandom(4), "big")
    out = tmp_path / "crash.json"
    result = subprocess.run(
        [sys.executable, str(HARNESS), "--kills", "10", "--clients", "4", "--seed", str(seed),
         "--sejf", str(SEJF), "--json", str(out), "--quiet"],
        capture_output=True, text=True, env=clean_env(), timeout=240)
    assert out.exists(), f"the harness did not finish (seed {seed}):\n{result.stdout}\n{result.stderr}"
    summary = json.loads(out.read_text())
    assert summary["violations"] == [], (
        f"seed {seed}: reproduce with `python3 Tests/crash/crash_harness.py --seed {seed}`\n"
        + "\n".join(summary["violations"][:40]))
    assert result.returncode == 0, result.stdout + result.stderr
    assert summary["kills"] == 10
    # The kills must land under load, or the test proves nothing.
    assert summary["acknowledged_writes_verified"] > 50 and summary["reads_verified"] > 20, summary
