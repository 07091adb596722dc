"""Tables of bench/run.py: medians of the trials with their spread, in Markdown."""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

from workloads import WORKLOADS

GUARANTEE_SHORT = {"at_least_once": "ALOS", "exactly_once_v2": "EOS v2"}


def one_line(r: Any, wall_s: float) -> str:
    if not r.ok:
        return (f"FAILED {r.system} ({r.workload}) {r.guarantee} trial {r.trial}: {r.detail}")
    return (f"{r.system:<12} ({r.workload}) {r.guarantee:<16} trial {r.trial}: "
            f"{r.records_per_s:>10,.0f} rec/s, {r.processing_s:6.2f} s, start-up "
            f"{r.startup_s:5.1f} s, CPU {r.cpu_per_100k:6.2f} s/100k, peak RSS "
            f"{r.peak_rss_mb:6.0f} MiB ({r.processes} procs) [{wall_s:.0f} s wall]")


def _med(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f}" if values else "–"


def _spread(values: list[float], fmt: str = "{:,.0f}") -> str:
    if not values:
        return "–"
    med = fmt.format(statistics.median(values))
    if len(values) == 1:
        return med
    return f"{med} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def throughput_rows(runs: list[dict]) -> list[dict]:
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in runs:
        groups[(r["workload"], r["guarantee"], r["system"])].append(r)
    order = {"raw": 0, "raystreams": 1, "kstreams-1t": 2, "kstreams-2t": 3, "quix": 4}
    rows = []
    for (w, g, s), rs in sorted(groups.items(),
                                key=lambda kv: (kv[0][0], kv[0][1], order.get(kv[0][2], 9))):
        ok = [r for r in rs if r["ok"]]
        rows.append({
            "workload": w, "guarantee": g, "system": s, "trials": len(rs), "verified": len(ok),
            "records_per_s": [r["records_per_s"] for r in ok],
            "cpu_per_100k": [r["cpu_per_100k"] for r in ok],
            "cpu_with_startup_per_100k": [(r["cpu_s"] + (r["startup_cpu_s"] or 0.0)) * 100_000
                                          / max(r["input_records"], 1) for r in ok],
            "peak_rss_mb": [r["peak_rss_mb"] for r in ok],
            "processes": [r["processes"] for r in ok],
            "startup_s": [r["startup_s"] for r in ok],
            "input_records": rs[0]["input_records"],
            "failures": [r["detail"] for r in rs if not r["ok"]],
        })
    return rows


def markdown(doc: dict) -> str:
    env = doc["environment"]
    out = ["# raystreams benchmark results", "",
           f"Command: `{env['command']}`  ", f"Started: {env['started_utc']} UTC, "
           f"{env.get('wall_s', '?')} s wall  ", f"Machine: {env['machine']}  ",
           f"Load average (1 min) during the run: {env.get('load_average_1m')}  ",
           f"Broker: {env['broker']}; Python {env['python']}, Ray {env['ray']}, "
           f"confluent-kafka {env['confluent_kafka']}, {env['java']}, "
           f"Quix Streams {env.get('quixstreams', 'not run')}; raystreams "
           f"{env['raystreams_commit']}  ", f"Sizes: {env['sizes']}", ""]
    for name, why in doc.get("skipped_peers", {}).items():
        out.append(f"**Skipped peer {name}:** {why}  ")
    goals = targets(doc)
    if goals:
        out += ["", "## Issue 16's targets against this run (medians)", "",
                "| target | verdict | measured |", "|---|---|---|"]
        out += [f"| {t} | {v} | {m} |" for t, v, m in goals]
    if doc.get("runs"):
        out += ["", "## Throughput (median of the trials, (min–max))", "",
                "records/s: input records (lines for a–c, events for d–e) over the processing "
                "window (ready → last output record); CPU: seconds of all the system's "
                "processes per 100k input records in that window, and with the start-up's CPU "
                "added (an upper bound: start-up includes imports, JIT, restore); RSS: peak RSS summed over "
                "the system's processes; start-up: launch → ready.", "",
                "| workload | guarantee | system | records/s | CPU s/100k | CPU s/100k incl. "
                "start-up | peak RSS MiB (procs) | start-up s | verified |",
                "|---|---|---|---:|---:|---:|---:|---:|---:|"]
        for row in throughput_rows(doc["runs"]):
            procs = _med(row["processes"])
            out.append(
                f"| ({row['workload']}) {WORKLOADS[row['workload']].name} | "
                f"{GUARANTEE_SHORT[row['guarantee']]} | {row['system']} | "
                f"{_spread(row['records_per_s'])} | {_spread(row['cpu_per_100k'], '{:.2f}')} | "
                f"{_spread(row['cpu_with_startup_per_100k'], '{:.2f}')} | "
                f"{_med(row['peak_rss_mb'])} ({procs}) | {_spread(row['startup_s'], '{:.1f}')} | "
                f"{row['verified']}/{row['trials']} |")
        failures = [(row, f) for row in throughput_rows(doc["runs"]) for f in row["failures"]]
        if failures:
            out += ["", "Failed verifications:", ""]
            out += [f"- ({row['workload']}) {row['guarantee']} {row['system']}: {f[:500]}"
                    for row, f in failures]
    if doc.get("latency"):
        lat = doc["latency"]
        out += ["", f"## End-to-end latency at {lat['rate']} input records/s for "
                f"{lat['seconds']} s (input timestamp → receipt at an output consumer; "
                f"commit.interval.ms {lat['commit_interval_ms']})", "",
                "| workload | guarantee | system | p50 ms | p99 ms | max ms | samples | "
                "achieved input rate |", "|---|---|---|---:|---:|---:|---:|---:|"]
        for r in lat["runs"]:
            if r.get("ok"):
                out.append(f"| ({r['workload']}) | {GUARANTEE_SHORT[r['guarantee']]} | "
                           f"{r['system']} | {r['p50_ms']:.0f} | {r['p99_ms']:.0f} | "
                           f"{r['max_ms']:.0f} | {r['samples']} | {r['sent_rate']:,.0f}/s |")
            else:
                out.append(f"| ({r['workload']}) | {GUARANTEE_SHORT[r['guarantee']]} | "
                           f"{r['system']} | FAILED: {r.get('detail', '')[:200]} | | | | |")
    if doc.get("recovery"):
        rec = doc["recovery"]
        out += ["", f"## Recovery of a count store of {rec['keys']:,} keys (at_least_once, "
                "one task)", "", "| case | kill → processing again s | records restored | "
                "restore s | restore records/s |", "|---|---:|---:|---:|---:|"]
        for r in rec["cases"]:
            if r.get("ok"):
                rate = f"{r['restore_rate']:,.0f}" if r.get("restore_rate") else "–"
                restore_s = f"{r['restore_s']:.2f}" if r.get("restore_s") is not None else "–"
                out.append(f"| {r['case']} | {r['recovered_s']:.2f} | {r['records_restored']:,} "
                           f"| {restore_s} | {rate} |")
            else:
                out.append(f"| {r['case']} | FAILED: {r.get('detail', '')[:300]} | | | |")
        if rec.get("note"):
            out += ["", rec["note"]]
    if doc.get("scale"):
        sc = doc["scale"]
        out += ["", f"## Word-count scale curve ({sc['lines']:,} lines, at_least_once)", "",
                sc["note"], "", "| input partitions | task actors | lines/s | CPU s/100k lines | "
                "peak RSS MiB (procs) | verified |", "|---:|---:|---:|---:|---:|---:|"]
        for r in sc["runs"]:
            if r["ok"]:
                out.append(f"| {r['partitions']} | {r['task_actors']} | "
                           f"{r['records_per_s']:,.0f} | {r['cpu_per_100k']:.2f} | "
                           f"{r['peak_rss_mb']:,.0f} ({r['processes']}) | yes |")
            else:
                out.append(f"| {r['partitions']} | {r['task_actors']} | FAILED: "
                           f"{r['detail'][:300]} | | | |")
    if doc.get("profile", {}).get("tasks"):
        prof = doc["profile"]
        out += ["", f"## Profile (py-spy --gil, {prof['seconds']} s, word count at_least_once)",
                ""]
        for task, res in prof["tasks"].items():
            if "error" in res:
                out += [f"task {task}: py-spy failed: {res['error']}", ""]
                continue
            out += [f"task {task} (own samples by area: {res['areas']}):", "",
                    "| % samples (own) | function |", "|---:|---|"]
            out += [f"| {pct:.1f} | `{fn}` |" for pct, fn in res["top"]]
            out.append("")
    return "\n".join(out) + "\n"


def _median_of(rows: list[dict], workload: str, guarantee: str, system: str,
               field: str) -> float | None:
    for row in rows:
        if (row["workload"], row["guarantee"], row["system"]) == (workload, guarantee, system):
            return statistics.median(row[field]) if row[field] else None
    return None


def _verdict(ok: bool | None, text: str) -> tuple[str, str]:
    return ("met" if ok else "missed" if ok is not None else "not measured"), text


def targets(doc: dict) -> list[tuple[str, str, str]]:
    """Issue 16's targets against this run's medians: (target, verdict, numbers)."""
    rows = throughput_rows(doc.get("runs", []))
    out: list[tuple[str, str, str]] = []

    def med(w: str, g: str, s: str, f: str) -> float | None:
        return _median_of(rows, w, g, s, f)

    for g in GUARANTEE_SHORT:
        rs_cpu, ks_cpu, qx_cpu = (med("c", g, s, "cpu_per_100k")
                                  for s in ("raystreams", "kstreams-1t", "quix"))
        rs_tp, ks_tp = med("c", g, "raystreams", "records_per_s"), med("c", g, "kstreams-1t",
                                                                         "records_per_s")
        tag = GUARANTEE_SHORT[g]
        if rs_cpu and ks_cpu:
            ratio = ks_cpu / rs_cpu  # lines per CPU-second, raystreams over Kafka Streams
            out.append((f"(c) {tag}: ≥ 70% of Kafka Streams (1 thread) lines per CPU-second",
                        *_verdict(ratio >= 0.7, f"{100 * ratio:.0f}% ({100_000 / rs_cpu:,.0f} "
                                                f"vs {100_000 / ks_cpu:,.0f} lines/CPU-s)")))
        if rs_tp and ks_tp:
            out.append((f"(c) {tag}: ≥ Kafka Streams (1 thread) throughput",
                         *_verdict(rs_tp >= ks_tp, f"{100 * rs_tp / ks_tp:.0f}% ({rs_tp:,.0f} vs "
                                                   f"{ks_tp:,.0f} lines/s)")))
        if rs_cpu and qx_cpu:
            x = qx_cpu / rs_cpu
            out.append((f"(c) {tag}: ≥ 5× Quix Streams' lines per CPU-second",
                        *_verdict(x >= 5, f"{x:.1f}×")))
        rs_mem, ks_mem = med("c", g, "raystreams", "peak_rss_mb"), med("c", g, "kstreams-1t",
                                                                       "peak_rss_mb")
        if rs_mem and ks_mem:
            out.append((f"(c) {tag}: peak memory ≤ Kafka Streams'",
                        *_verdict(rs_mem <= ks_mem, f"{rs_mem:,.0f} vs {ks_mem:,.0f} MiB")))
        raw, rs_b = med("a", g, "raw", "records_per_s"), med("b", g, "raystreams",
                                                             "records_per_s")
        if raw and rs_b:
            out.append((f"(b) {tag}: ≥ 60% of the raw ceiling's lines/s",
                        *_verdict(rs_b / raw >= 0.6, f"{100 * rs_b / raw:.0f}% ({rs_b:,.0f} vs "
                                                     f"{raw:,.0f})")))
    for w in "bcde":
        alos = med(w, "at_least_once", "raystreams", "records_per_s")
        eos = med(w, "exactly_once_v2", "raystreams", "records_per_s")
        if alos and eos:
            out.append((f"({w}) EOS ≥ 90% of ALOS throughput at commit 1 s",
                        *_verdict(eos / alos >= 0.9, f"{100 * eos / alos:.0f}%")))
    out.append(("EOS ≥ 70% of ALOS at commit 100 ms", "not measured",
                "throughput runs use 1 s; latency runs use 100 ms at a fixed rate"))
    lat = {(r["system"], r["workload"], r["guarantee"]): r
           for r in doc.get("latency", {}).get("runs", []) if r.get("ok")}
    rate = doc.get("latency", {}).get("rate")
    for w, limit in (("b", 50), ("c", 200)):
        for g in GUARANTEE_SHORT:
            r, k = lat.get(("raystreams", w, g)), lat.get(("kstreams-1t", w, g))
            if r:
                out.append((f"({w}) {GUARANTEE_SHORT[g]}: p99 < {limit} ms at {rate}/s "
                            "(commit 100 ms)", *_verdict(r["p99_ms"] < limit,
                                                         f"p99 {r['p99_ms']:.0f} ms")))
            if r and k:
                out.append((f"({w}) {GUARANTEE_SHORT[g]}: p99 below Kafka Streams' at {rate}/s",
                            *_verdict(r["p99_ms"] < k["p99_ms"],
                                      f"{r['p99_ms']:.0f} vs {k['p99_ms']:.0f} ms")))
    cases = {c["case"]: c for c in doc.get("recovery", {}).get("cases", []) if c.get("ok")}
    keys = doc.get("recovery", {}).get("keys")
    if "local checkpoint" in cases:
        c = cases["local checkpoint"]
        out.append((f"restore < 1 s from the local checkpoint ({keys:,} keys)",
                    *_verdict(c.get("restore_s", 0.0) < 1.0,
                              f"{c['records_restored']:,} records restored in "
                              f"{c.get('restore_s', 0.0):.2f} s; processing again "
                              f"{c['recovered_s']:.1f} s after the kill")))
    if "changelog alone" in cases and cases["changelog alone"].get("restore_rate"):
        c = cases["changelog alone"]
        out.append(("≥ 200k changelog records/s from the changelog alone",
                    *_verdict(c["restore_rate"] >= 200_000,
                              f"{c['restore_rate']:,.0f} records/s")))
    return out


def all_ok(doc: dict) -> bool:
    runs_ok = all(r["ok"] for r in doc.get("runs", []))
    lat_ok = all(r.get("ok") for r in doc.get("latency", {}).get("runs", []))
    rec_ok = all(r.get("ok") for r in doc.get("recovery", {}).get("cases", []))
    scale_ok = all(r.get("ok") for r in doc.get("scale", {}).get("runs", []))
    return runs_ok and lat_ok and rec_ok and scale_ok
