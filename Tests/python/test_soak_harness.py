"""Regression check of the soak harness (Tests/soak/soak.py). Not a timed test: a 30-second run
against the debug build, only to prove the harness works end to end (data set, pre-signed mixed
load, RSS and p99 per interval, the report and its verdict). It asserts zero errors, a clean
server exit and a complete report, never speed or memory figures."""
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SOAK = REPO / "Tests" / "soak" / "soak.py"
SEJF = Path(os.environ.get("SEJF_BIN", REPO / ".build" / "debug" / "sejf"))


def test_a_short_soak_has_no_errors_and_reports_every_interval(tmp_path):
    assert SEJF.exists(), f"{SEJF} does not exist: run `swift build` first"
    out = tmp_path / "soak.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SEJF_", "AWS_"))}
    # A growth bound no short run can meet: the harness's verdict must not depend on memory here.
    proc = subprocess.run(
        [sys.executable, str(SOAK), "--minutes", "0.5", "--interval", "3", "--warmup", "6", "--secrets", "40",
         "--clients", "3", "--max-growth-mb", "100000", "--sejf", str(SEJF), "--json", str(out), "--quiet"],
        capture_output=True, text=True, timeout=180, env=env, cwd=REPO)
    assert proc.returncode == 0, f"soak.py exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    report = json.loads(out.read_text())
    assert report["errors"] == 0 and report["problems"] == [] and report["server_exit_status"] == 0
    assert len(report["samples"]) >= 9  # one per 3 s interval over 30 s
    for sample in report["samples"]:
        assert sample["requests"] > 0 and sample["rss_mb"] > 0, sample
        assert 0 < sample["anon_mb"] < sample["rss_mb"], sample  # the heap's share, apart from the mapped binary
        assert sample["p99_ms"] >= sample["p50_ms"] > 0, sample
    assert report["rss_start_mb"] > 0 and report["rss_end_mb"] > 0 and report["p99_ms_median"] > 0
    assert 0 < report["anon_end_mb"] < report["rss_end_mb"]
    assert "soak OK" in proc.stdout and "MB/min" in proc.stdout


def synthetic(rss_per_minute, errors=0):
    """Samples every 30 s for 10 minutes, RSS rising by `rss_per_minute` MB per minute."""
    return [{"t": t, "rss_mb": 60 + rss_per_minute * t / 60, "requests": 100, "errors": errors if t == 300 else 0,
             "first_errors": ["get: HTTP 500"] if errors and t == 300 else [], "p50_ms": 1.0, "p99_ms": 5.0}
            for t in range(0, 630, 30)]


def test_the_verdict_follows_errors_and_the_rss_regression():
    sys.path.insert(0, str(SOAK.parent))
    import soak
    args = soak.parse_args(["--sejf", sys.executable, "--warmup", "60", "--max-growth-mb", "20"])
    steady = soak.summarise(synthetic(0.5), args, 600, 0)
    assert steady["problems"] == [] and steady["rss_slope_mb_per_min"] == 0.5 and steady["rss_growth_mb"] == 4.5
    assert (steady["rss_start_mb"], steady["rss_end_mb"]) == (60.5, 65.0)  # the warm-up minute left out
    leaking = soak.summarise(synthetic(3.0), args, 600, 0)
    assert leaking["problems"] == ["RSS grew 27.0 MB (more than 20.0 MB)"]
    failing = soak.summarise(synthetic(0.0, errors=2), args, 600, 0)
    assert failing["problems"] == ["2 errors"] and failing["first_errors"] == ["get: HTTP 500"]
    died = soak.summarise(synthetic(0.0), args, 600, -9)
    assert died["problems"] and "exited -9" in died["problems"][0]
