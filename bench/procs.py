"""CPU seconds and peak RSS of a set of process trees, measured with psutil (bench/run.py).

A ``Meter`` watches the processes a ``roots()`` function names, with all their descendants
(for raystreams: every Ray process this driver started: GCS, raylet, workers, task actors
and supervisor; for a peer: its JVM or Python process). A sampler thread reads each
process's CPU times and peak RSS (``VmHWM``) every ``interval`` seconds, so a process that
exits inside a window still counts with its last sample. ``window()`` gives the CPU spent
between two marks; processes born inside the window count from zero.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import psutil


def vm_hwm_mb(pid: int) -> float:
    """Peak resident set size of ``pid`` in MiB (Linux ``VmHWM``), 0 if unknown."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except (OSError, ValueError):
        pass
    return 0.0


def tree(roots: Iterable[psutil.Process], exclude: set[int] = frozenset()) -> list[psutil.Process]:
    """``roots`` and their descendants, minus ``exclude`` and everything below them."""
    out: list[psutil.Process] = []
    stack = list(roots)
    while stack:
        p = stack.pop()
        if p.pid in exclude:
            continue
        out.append(p)
        with contextlib.suppress(psutil.Error):
            stack.extend(p.children())
    return out


class Meter:
    """Samples the CPU time and peak RSS of the processes ``roots()`` returns (with trees)."""

    def __init__(self, roots: Callable[[], list[psutil.Process]], interval: float = 0.25) -> None:
        self.roots = roots
        self.interval = interval
        self.cpu: dict[tuple[int, float], float] = {}   # (pid, create_time) -> cpu s
        self.hwm: dict[tuple[int, float], float] = {}
        self.names: dict[tuple[int, float], str] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-meter", daemon=True)

    def __enter__(self) -> Meter:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def sample(self) -> set[tuple[int, float]]:
        """Read every watched process now; returns the (pid, create time) of those alive."""
        seen: dict[tuple[int, float], tuple[float, float, str]] = {}
        for p in tree(self.roots()):
            try:
                with p.oneshot():
                    t = p.cpu_times()
                    ident = (p.pid, p.create_time())
                    seen[ident] = (t.user + t.system, vm_hwm_mb(p.pid), p.name())
            except psutil.Error:
                continue
        with self._lock:
            for ident, (cpu, hwm, name) in seen.items():
                self.cpu[ident] = cpu
                self.hwm[ident] = max(hwm, self.hwm.get(ident, 0.0))
                self.names[ident] = name
        return set(seen)

    def mark(self) -> tuple[float, dict[tuple[int, float], float]]:
        """A point in time to measure from: (time.time(), CPU of the processes alive now)."""
        t0 = time.time()
        alive = self.sample()
        with self._lock:
            return t0, {i: self.cpu[i] for i in alive}

    def since(self, start: tuple[float, dict[tuple[int, float], float]]) -> dict:
        """CPU seconds, summed peak RSS (MiB) and process count since ``start``: the processes
        alive then, and those born since (with their last sample if they have exited)."""
        t0, before = start
        self.sample()
        with self._lock:
            # psutil's create_time rests on /proc/stat's btime, a whole second: allow 2 s
            idents = [i for i in self.cpu if i in before or i[1] >= t0 - 2.0]
            cpu = sum(self.cpu[i] - before.get(i, 0.0) for i in idents)
            rss = sum(self.hwm.get(i, 0.0) for i in idents)
            by_name: dict[str, float] = {}
            for i in idents:
                name = self.names.get(i, "?")
                by_name[name] = by_name.get(name, 0.0) + self.cpu[i] - before.get(i, 0.0)
        return {"cpu_s": cpu, "peak_rss_mb": rss, "processes": len(idents),
                "cpu_by_process": {k: round(v, 2) for k, v in
                                   sorted(by_name.items(), key=lambda kv: -kv[1])[:8]}}
