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


def run_bench(out: Path, *options: str, timeout: float) -> tuple[subprocess.CompletedProcess, dict]:
    """bench.py with `options` against the debug build (wrk and the binary checked first), without
    SEJF_* or AWS_* variables; asserts it exited 0 and returns its output and JSON report."""
    if shutil.which("wrk") is None:
        pytest.fail("wrk is not installed: the benchmark harness needs it (apt-get install wrk; scripts/test.sh installs it)")
    assert SEJF.exists(), f"{SEJF} does not exist: run `swift build` first"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SEJF_", "AWS_"))}
    proc = subprocess.run([sys.executable, str(BENCH), *options, "--sejf", str(SEJF), "--out", str(out)],
                          capture_output=True, text=True, timeout=timeout, env=env, cwd=REPO)
    assert proc.returncode == 0, f"bench.py exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc, json.loads(out.read_text())


def test_quick_benchmark_of_sejf_get_and_put_has_no_errors(tmp_path):
    proc, report = run_bench(tmp_path / "results.json", "--quick", "--targets", "sejf", "--workloads", "get,put",
                             timeout=120)

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


SEED_TOOL = Path(os.environ.get("SEJF_SEED_BIN", REPO / "Benchmarks" / "tools" / ".build-tools" / "release" / "sejf-seed"))


def test_quick_scale_run_seeds_and_measures_both_data_sets(tmp_path):
    """`--scale --quick`: 20 secrets, then 50 × 2 versions with 1,000 audit events seeded by
    sejf-seed. The tool is a package of its own (Benchmarks/tools) that CI does not build (it
    would add minutes); the test runs where it was built (`scripts/bench.sh --scale` builds it)."""
    if not SEED_TOOL.exists():
        pytest.skip(f"no sejf-seed at {SEED_TOOL}: build it with swift build -c release --package-path Benchmarks/tools "
                    "--scratch-path Benchmarks/tools/.build-tools --product sejf-seed (or set SEJF_SEED_BIN)")
    proc, report = run_bench(tmp_path / "scale.json", "--scale", "--quick", "--seed-tool", str(SEED_TOOL), timeout=300)
    assert report["failures"] == []
    sizes = report["scale"]["sizes"]
    assert sizes["large"]["size"] == {"secrets": 50, "versions": 2, "audit_events": 1000}
    assert sizes["large"]["seed"]["database_bytes"] > 0
    assert sizes["store"]["size"] == {"secrets": 50, "versions": 2, "audit_events": 0}
    for label in ("baseline", "store", "large"):
        result = next(r for r in report["results"] if r["target"] == f"sejf[{label}]")
        assert result["ok"] and result["error_total"] == 0 and result["rps"] > 0, result.get("problem")
        lists = sizes[label]["list_secrets"]
        assert lists["first_page"]["entries"] == min(lists["page_size"], sizes[label]["size"]["secrets"])
        assert lists["walk"]["pages"] > 1   # --quick pages are of 10
        assert lists["tag_filter"]["entries"] > 0 and lists["name_filter"]["entries"] > 0
        assert sizes[label]["audit_cli"]["verify"]["median_ms"] > 0
    # ~80% of the 1,000 seeded events are allowed reads; the wrk run adds its own.
    assert sizes["large"]["audit_cli"]["who_read"]["reads"] > 800
    assert set(report["scale"]["get_changes"]) == {"large_vs_baseline", "store_vs_baseline", "large_vs_store"}
    assert "Scale runs" in proc.stdout
