"""Keeps the benchmark from rotting: ``python bench/run.py --quick`` runs every workload at a
small size on Apache Kafka 4.4 and Ray and verifies every output exactly. No speed is
asserted (the machine may be loaded); only that everything ran and was verified, and that a
peer that could not run was skipped with its reason printed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.bench]

REPO = Path(__file__).resolve().parents[2]


def test_quick_benchmark_runs_and_verifies_every_workload(tmp_path: Path) -> None:
    if os.environ.get("CI", "").lower() != "true":
        from raystreams.broker import ToolchainMissing, ensure_kafka_jars

        try:
            ensure_kafka_jars()
        except ToolchainMissing as e:
            pytest.skip(f"Apache Kafka 4.4 needs Java and Maven: {e}")
    env = {**os.environ, "RAY_AUTH_MODE": "disabled",
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    # its own session, so that a timeout stops the whole tree (Ray, the broker, the peers)
    proc = subprocess.Popen([sys.executable, str(REPO / "bench" / "run.py"), "--quick",
                             "--deadline", "300", "--out", str(tmp_path)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        # ~3 min on an idle 2-core machine; the bound is for a heavily shared one
        stdout, stderr = proc.communicate(timeout=3600)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            stdout, stderr = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            stdout, stderr = proc.communicate()
        pytest.fail(f"bench/run.py --quick did not finish in an hour:\n{stdout[-6000:]}")
    output = stdout[-6000:] + stderr[-3000:]
    assert proc.returncode == 0, output
    doc = json.loads((tmp_path / "results.json").read_text())
    assert (tmp_path / "results.md").read_text().startswith("# raystreams benchmark results")

    runs = doc["runs"]
    assert all(r["ok"] for r in runs), [r for r in runs if not r["ok"]]
    guarantees = {"at_least_once", "exactly_once_v2"}
    assert {(r["workload"], r["guarantee"]) for r in runs if r["system"] == "raw"} == \
        {("a", g) for g in guarantees}
    assert {(r["workload"], r["guarantee"]) for r in runs if r["system"] == "raystreams"} == \
        {(w, g) for w in "bcde" for g in guarantees}
    for r in runs:  # measured, not made up
        assert r["records_per_s"] > 0 and r["cpu_s"] >= 0 and r["peak_rss_mb"] > 0, r
    for peer, why in doc["skipped_peers"].items():  # skipped loudly, never silently
        assert why and f"SKIPPED peer {peer}" in stdout
    peers = {"kstreams-1t", "quix"} - {f"{p}-1t" if p == "kstreams" else p
                                       for p in doc["skipped_peers"]}
    for peer in peers:  # --quick runs the peers under at_least_once only
        assert {(r["workload"], r["guarantee"]) for r in runs if r["system"] == peer} == \
            {(w, "at_least_once") for w in "bcde"}, peer

    assert {(r["system"], r["workload"], r["guarantee"]) for r in doc["latency"]["runs"]
            if r["system"] == "raystreams" and r["ok"]} == \
        {("raystreams", w, g) for w in "bc" for g in guarantees}
    assert [c["case"] for c in doc["recovery"]["cases"] if c["ok"]] == \
        ["local checkpoint", "changelog alone", "standby replica"]
    assert [r["task_actors"] for r in doc["scale"]["runs"] if r["ok"]] == [2, 4]
