"""What every benchmark script shares: interleaved repeats, medians, spread flags, load average,
peak memory per side, a markdown table and a JSON file.

A script describes its *sides* (the library's run and the reference it is compared with: a
hand-written Gluon loop or scikit-learn) and its *comparisons* (which library side is measured
against which reference side, and the target), then calls :func:`main`::

    def sides(args):                      # a context manager: set-up shared by every run
        data = load()
        yield {"library": lambda repeat: Result(seconds, samples),
               "reference": lambda repeat: Result(seconds, samples)}

    main(Benchmark("cnn", "CNN classifier ...", "samples", contextmanager(sides),
                   [Comparison("CNN vs hand-written Gluon", "library", "reference", 1.10)]))

Measurement rules (docs/performance.md):

* every repeat measures every side once, in alternating order (reversed on odd repeats), so slow
  drifts of the machine hit both sides alike; a measurement runs the side back to back until
  ``--min-seconds`` (2 s) have passed (at least once), so a burst of the machine during one
  sub-second run weighs less;
* a side's figure is the median of its repeats; a comparison's *time ratio* is the library's
  median time per unit of work over the reference's (``<= target`` passes);
* the *spread* of a comparison is ``(max - min) / median`` of its per-repeat ratios (each repeat
  pairs two runs made next to each other); above 10 % the row is flagged;
* the load average is read before and after; peak resident memory of each side is measured in a
  fresh process that prepares the data and runs only that side once (``--only NAME``): the peak
  is taken over the run (Linux's high-water mark is reset after the set-up, whose transient peak
  while decoding the data would otherwise hide the run), so what the process holds (data, MXNet
  itself) is in both figures and the "+" figure is what the run added to it.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, ContextManager, Dict, List, Optional

#: a comparison whose per-repeat ratios vary by more than this is flagged
SPREAD_LIMIT = 0.10
#: a measurement of a side lasts at least this long (short runs are repeated back to back)
MIN_SECONDS = 2.0


@dataclass
class Result:
    """One run of one side: its wall time, the work it did (samples, steps, ...) and any quality
    figures worth printing next to the speed (test MSE, final loss)."""

    seconds: float
    work: float
    quality: Dict[str, float] = field(default_factory=dict)

    @property
    def seconds_per_unit(self) -> float:
        return self.seconds / self.work


@dataclass
class Comparison:
    """``library`` side against ``reference`` side; passes when the time ratio is ``<= target``."""

    label: str
    library: str
    reference: str
    target: Optional[float] = None


@dataclass
class Benchmark:
    key: str
    title: str
    unit: str
    sides: Callable[[argparse.Namespace], ContextManager[Dict[str, Callable[[int], Result]]]]
    comparisons: List[Comparison]
    add_arguments: Optional[Callable[[argparse.ArgumentParser], None]] = None


def load_average() -> float:
    return os.getloadavg()[0]


def peak_rss_mb() -> float:
    """This process's peak resident memory in MiB since start or since :func:`reset_peak_rss`
    (``VmHWM``; ``ru_maxrss`` where /proc is missing)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def current_rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def reset_peak_rss() -> bool:
    """Start a new peak-memory window (Linux >= 4.0: writing 5 to clear_refs resets ``VmHWM``);
    without it the set-up's transient peak (decoding the data set) would hide the run's own."""
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def _parser(benchmark: Benchmark) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=benchmark.title)
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats per side (median of these)")
    parser.add_argument("--json", default=None, help="also write the rows to this JSON file")
    parser.add_argument("--min-seconds", type=float, default=MIN_SECONDS,
                        help="a measurement repeats a side's run until this many seconds have passed")
    parser.add_argument("--no-memory", action="store_true", help="skip the per-side peak-memory runs")
    parser.add_argument("--only", default=None, help=argparse.SUPPRESS)  # internal: one side, print its peak RSS
    if benchmark.add_arguments is not None:
        benchmark.add_arguments(parser)
    return parser


def _peak_memory(side: str, argv: List[str]) -> dict:
    """Peak RSS (MiB) of a fresh process that prepares the data and runs only ``side`` once, and
    how much of it the run added over the set-up's peak (``run_increase_mb``)."""
    command = [sys.executable, os.path.abspath(sys.argv[0]), "--only", side, "--repeats", "1", "--no-memory"]
    command += _passthrough(argv)
    output = subprocess.run(command, check=True, capture_output=True, text=True,
                            env=dict(os.environ, ACCELBRAINBASE_PROGRESS="0")).stdout
    return json.loads(output.strip().splitlines()[-1])


def _passthrough(argv: List[str]) -> List[str]:
    """The script's own options (everything but the harness's) for the memory subprocesses."""
    kept, skip = [], False
    for item in argv:
        if skip:
            skip = False
            continue
        if item in ("--repeats", "--json", "--only"):
            skip = True
            continue
        if item.startswith(("--repeats=", "--json=", "--only=")) or item == "--no-memory":
            continue
        kept.append(item)
    return kept


def _spread(values: List[float]) -> float:
    return (max(values) - min(values)) / statistics.median(values) if len(values) > 1 else 0.0


def timed_run(side: Callable[[int], Result], repeat: int, min_seconds: float) -> Result:
    """One measurement of ``side``: it runs back to back until ``min_seconds`` have passed (at
    least once, as ``timeit``'s autorange does), so a burst of the machine during one short run
    weighs less; seconds and work are summed, the quality figures are the first run's."""
    first = side(repeat)
    seconds, work = first.seconds, first.work
    while seconds < min_seconds:
        more = side(repeat)
        seconds, work = seconds + more.seconds, work + more.work
    return Result(seconds, work, first.quality)


def measure(benchmark: Benchmark, args: argparse.Namespace) -> Dict[str, List[Result]]:
    """Run every side ``args.repeats`` times, interleaved; returns the results per side."""
    with benchmark.sides(args) as sides:
        results: Dict[str, List[Result]] = {name: [] for name in sides}
        order = list(sides)
        for repeat in range(args.repeats):
            for name in (order if repeat % 2 == 0 else order[::-1]):
                results[name].append(timed_run(sides[name], repeat, args.min_seconds))
                print("  repeat %d  %-44s %8.2f s" % (repeat, name, results[name][-1].seconds), file=sys.stderr,
                      flush=True)
    return results


def summarise(benchmark: Benchmark, results: Dict[str, List[Result]], memory: Dict[str, dict],
              load_before: float, load_after: float) -> List[dict]:
    """The benchmark's JSON rows: one per side and one per comparison."""
    rows = []
    for name, runs in results.items():
        per_unit = [r.seconds_per_unit for r in runs]
        rows.append({
            "benchmark": benchmark.key, "kind": "side", "run": name,
            "seconds_median": statistics.median(r.seconds for r in runs),
            "throughput_median": 1.0 / statistics.median(per_unit), "unit": "%s/s" % benchmark.unit,
            "spread": _spread(per_unit), "peak_rss_mb": memory.get(name, {}).get("peak_rss_mb"),
            "run_increase_mb": memory.get(name, {}).get("run_increase_mb"),
            "quality": runs[0].quality, "repeats": len(runs),
        })
    for comparison in benchmark.comparisons:
        library, reference = results[comparison.library], results[comparison.reference]
        per_repeat = [a.seconds_per_unit / b.seconds_per_unit for a, b in zip(library, reference)]
        ratio = (statistics.median(r.seconds_per_unit for r in library)
                 / statistics.median(r.seconds_per_unit for r in reference))
        lib_mem = memory.get(comparison.library, {}).get("peak_rss_mb")
        ref_mem = memory.get(comparison.reference, {}).get("peak_rss_mb")
        spread = _spread(per_repeat)
        rows.append({
            "benchmark": benchmark.key, "kind": "comparison", "run": comparison.label,
            "library": comparison.library, "reference": comparison.reference,
            "time_ratio": ratio, "target": comparison.target,
            "meets_target": None if comparison.target is None else ratio <= comparison.target,
            "spread": spread, "flagged": spread > SPREAD_LIMIT, "per_repeat_ratios": per_repeat,
            "memory_ratio": (lib_mem / ref_mem) if lib_mem and ref_mem else None,
            "load_before": load_before, "load_after": load_after,
        })
    return rows


def print_table(benchmark: Benchmark, rows: List[dict], args: argparse.Namespace) -> None:
    import mxnet as mx
    import numpy as np

    print("%s — mxnet %s, numpy %s, Python %s, %d CPU(s), oneDNN %s, %d interleaved repeats"
          % (benchmark.title, mx.__version__, np.__version__, platform.python_version(), os.cpu_count(),
             "off" if os.environ.get("MXNET_MKLDNN_ENABLED") == "0" else "on", args.repeats))
    print()
    print("| run | %s/s (median) | spread | peak RSS MiB (run's own) | quality |" % benchmark.unit)
    print("|---|---:|---:|---:|---|")
    for row in rows:
        if row["kind"] == "side":
            quality = ", ".join("%s %.4g" % item for item in row["quality"].items())
            memory = ("%.0f (+%.0f)" % (row["peak_rss_mb"], row["run_increase_mb"])
                      if row["peak_rss_mb"] else "-")
            print("| %s | %.0f | %.1f %% | %s | %s |" % (row["run"], row["throughput_median"], 100 * row["spread"],
                                                        memory, quality))
    print()
    print("| comparison | time ratio | target | spread of ratios | memory ratio | load before → after |")
    print("|---|---:|---:|---:|---:|---|")
    for row in rows:
        if row["kind"] == "comparison":
            target = "-" if row["target"] is None else "≤ %.2f %s" % (row["target"], "✓" if row["meets_target"] else "✗")
            memory = "-" if row["memory_ratio"] is None else "%.2f" % row["memory_ratio"]
            flag = " **flagged**" if row["flagged"] else ""
            print("| %s | %.3f | %s | %.1f %%%s | %s | %.2f → %.2f |" % (
                row["run"], row["time_ratio"], target, 100 * row["spread"], flag, memory,
                row["load_before"], row["load_after"]))


def main(benchmark: Benchmark, argv: Optional[List[str]] = None) -> List[dict]:
    argv = sys.argv[1:] if argv is None else argv
    args = _parser(benchmark).parse_args(argv)
    os.environ.setdefault("ACCELBRAINBASE_PROGRESS", "0")
    if args.repeats < 1:
        raise SystemExit("--repeats must be >= 1")
    if args.only is not None:
        with benchmark.sides(args) as sides:
            if args.only not in sides:
                raise SystemExit("--only must be one of %s" % sorted(sides))
            reset = reset_peak_rss()
            before = current_rss_mb()
            sides[args.only](0)
            after = peak_rss_mb()
        print(json.dumps({"side": args.only, "peak_rss_mb": after, "run_increase_mb": after - before,
                          "window": "run" if reset else "process"}))
        return []
    load_before = load_average()
    started = time.perf_counter()
    results = measure(benchmark, args)
    load_after = load_average()
    memory = {} if args.no_memory else {name: _peak_memory(name, argv) for name in results}
    rows = summarise(benchmark, results, memory, load_before, load_after)
    print_table(benchmark, rows, args)
    print("\n%.0f s" % (time.perf_counter() - started))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(rows, handle, indent=1)
    return rows
