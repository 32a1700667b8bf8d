"""Regression check of the benchmark harness (Benchmarks/bench.py). Not a timed test: it runs the
smallest configuration (`--quick`: 20 secrets, 1 s, 4 connections) against the debug build, only
to prove the harness still works end to end — data set through the API, SigV4 pre-signing, the
generated wrk script, the JSON report. It asserts zero errors and some throughput, never speed."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "Benchmarks" / "bench.py"
SEJF = Path(os.environ.get("SEJF_BIN", REPO / ".build" / "debug" / "sejf"))


def test_quick_benchmark_of_sejf_get_and_put_has_no_errors(tmp_path):
    if shutil.which("wrk") is None:
        pytest.fail("wrk is not installed: the benchmark harness needs it (apt-get install wrk; scripts/test.sh installs it)")
    assert SEJF.exists(), f"{SEJF} does not exist: run `swift build` first"
    out = tmp_path / "results.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SEJF_", "AWS_"))}
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--targets", "sejf", "--workloads", "get,put",
         "--sejf", str(SEJF), "--out", str(out)],
        capture_output=True, text=True, timeout=120, env=env, cwd=REPO)
    assert proc.returncode == 0, f"bench.py exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    report = json.loads(out.read_text())

    assert report["settings"]["quick"] is True
    assert report["settings"]["secrets"] == 20 and report["settings"]["connections"] == 4
    assert report["failures"] == []
    results = {(r["target"], r["workload"]): r for r in report["results"]}
    assert set(results) == {("sejf", "get"), ("sejf", "put")}
    for key, result in results.items():
        assert result["ok"], f"{key}: {result.get('problem')}"
        assert result["error_total"] == 0, f"{key}: errors {result['errors']}"
        assert result["requests"] > 0 and result["rps"] > 0, f"{key}: no throughput"
        assert result["latency_ms"]["p50"] > 0 and result["latency_ms"]["p99"] >= result["latency_ms"]["p50"]
    # Puts are never replayed: each one sent carries its own ClientRequestToken.
    assert results[("sejf", "put")]["sent"]["put"] <= results[("sejf", "put")]["pool_sizes"]["put"]

    sejf = report["targets"]["sejf"]
    assert sejf["exit_status"] == 0, sejf.get("server_log")
    assert sejf["rss_idle_mb"] > 0
    assert report["machine"]["nproc"] >= 1 and report["machine"]["cpu_model"] is not None
    assert "sejf/ceiling" not in report["ratios"].get("get", {})   # only sejf ran
    assert "req/s" in proc.stdout   # the table
