"""Run every benchmark and write one table: ``benchmarks/results.md`` and ``benchmarks/results.json``.

Each ``benchmarks/bench_*.py`` runs in its own process with ``--repeats N --json FILE`` (the shared
measurement rules are in ``benchmarks/_harness.py`` and ``docs/performance.md``). The table has
one row per comparison (library vs its reference: hand-written Gluon or scikit-learn) with the
median time ratio, its target, the spread of the per-repeat ratios (flagged above 10 %), the peak
memory ratio, and the machine's load average before and after that benchmark; the header names
the library version, the commit, the machine and whether oneDNN was on.

    python benchmarks/run_all.py [--repeats 3] [--only cnn rbm] [--out benchmarks/results]
"""
from __future__ import annotations

import argparse
import datetime
import glob
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def scripts(only) -> list:
    found = sorted(glob.glob(os.path.join(HERE, "bench_*.py")))
    names = {os.path.basename(path)[len("bench_"):-len(".py")]: path for path in found}
    if only:
        unknown = sorted(set(only) - set(names))
        if unknown:
            raise SystemExit("--only: no benchmark named %s (have %s)" % (", ".join(unknown), ", ".join(names)))
        return [(name, names[name]) for name in only]
    return sorted(names.items())


def commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
        return head + ("+uncommitted changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def library_version() -> str:
    sys.path.insert(0, ROOT)
    import accelbrainbase

    return getattr(accelbrainbase, "__version__", "unknown")


def run_one(name: str, path: str, repeats: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        rows_path = os.path.join(tmp, "rows.json")
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        process = subprocess.run([sys.executable, path, "--repeats", str(repeats), "--json", rows_path],
                                 capture_output=True, text=True, env=dict(os.environ, ACCELBRAINBASE_PROGRESS="0"))
        seconds = time.perf_counter() - started
        load_after = os.getloadavg()[0]
        rows = []
        if process.returncode == 0 and os.path.exists(rows_path):
            with open(rows_path) as handle:
                rows = json.load(handle)
        return {"name": name, "returncode": process.returncode, "seconds": seconds, "load_before": load_before,
                "load_after": load_after, "rows": rows, "stdout": process.stdout,
                "stderr_tail": process.stderr[-3000:] if process.returncode else ""}


def markdown(header: dict, results: list) -> str:
    lines = ["# Benchmark results", "",
             "accelbrainbase %(version)s, commit %(commit)s, %(date)s; %(machine)s; oneDNN %(onednn)s; "
             "%(repeats)d interleaved repeats per side (median), each a measurement of at least 2 s (short runs "
             "repeated back to back); load average %(load_before).2f before, "
             "%(load_after).2f after the whole run." % header, "",
             "Time ratio = the library's time per unit of work / the reference's (≤ target passes). "
             "Spread = (max − min) / median of the per-repeat ratios; above 10 % the row is flagged. "
             "Memory ratio = peak resident memory of a process running only the library side / only the "
             "reference side.", "",
             "| benchmark | comparison | time ratio | target | spread | memory ratio | load before → after |",
             "|---|---|---:|---:|---:|---:|---|"]
    for result in results:
        if result["returncode"] != 0:
            lines.append("| %s | **failed** (exit %d) | | | | | %.2f → %.2f |" % (
                result["name"], result["returncode"], result["load_before"], result["load_after"]))
            continue
        for row in result["rows"]:
            if row["kind"] != "comparison":
                continue
            target = "-" if row["target"] is None else "≤ %.2f %s" % (row["target"], "✓" if row["meets_target"] else "✗")
            memory = "-" if row["memory_ratio"] is None else "%.2f" % row["memory_ratio"]
            spread = "%.1f %%%s" % (100 * row["spread"], " **flagged**" if row["flagged"] else "")
            lines.append("| %s | %s | %.3f | %s | %s | %s | %.2f → %.2f |" % (
                result["name"], row["run"], row["time_ratio"], target, spread, memory, result["load_before"],
                result["load_after"]))
    lines += ["", "## Every side", "",
              "| benchmark | run | throughput (median) | spread | peak RSS MiB (run's own) | quality |",
              "|---|---|---:|---:|---:|---|"]
    for result in results:
        for row in result["rows"]:
            if row["kind"] != "side":
                continue
            quality = ", ".join("%s %.4g" % item for item in row["quality"].items())
            memory = ("%.0f (+%.0f)" % (row["peak_rss_mb"], row["run_increase_mb"])
                      if row.get("peak_rss_mb") else "-")
            lines.append("| %s | %s | %.0f %s | %.1f %% | %s | %s |" % (
                result["name"], row["run"], row["throughput_median"], row["unit"], 100 * row["spread"], memory,
                quality))
    extras = [r for r in results if "Time breakdown" in r["stdout"]]
    for result in extras:
        text = result["stdout"]
        start = text.index("Time breakdown")
        block = text[start:].split("\n\n")[0]
        lines += ["", "## %s: %s" % (result["name"], block.splitlines()[0]), ""] + block.splitlines()[1:]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", nargs="*", default=None, help="benchmark names (e.g. cnn rbm)")
    parser.add_argument("--out", default=os.path.join(HERE, "results"),
                        help="path prefix of the .md and .json files written")
    args = parser.parse_args()
    if args.repeats < 3:
        print("note: fewer than 3 repeats; medians of %d runs are not a result" % args.repeats)
    header = {
        "version": library_version(), "commit": commit(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": "%s, Python %s, %d CPU(s)" % (platform.machine(), platform.python_version(), os.cpu_count()),
        "onednn": "off" if os.environ.get("MXNET_MKLDNN_ENABLED") == "0" else "on",
        "repeats": args.repeats, "load_before": os.getloadavg()[0],
    }
    results = []
    for name, path in scripts(args.only):
        print("running %s ..." % name, flush=True)
        result = run_one(name, path, args.repeats)
        print("  %.0f s, exit %d, load %.2f -> %.2f" % (result["seconds"], result["returncode"],
                                                       result["load_before"], result["load_after"]), flush=True)
        if result["returncode"]:
            print(result["stderr_tail"])
        results.append(result)
    header["load_after"] = os.getloadavg()[0]
    text = markdown(header, results)
    with open(args.out + ".md", "w") as handle:
        handle.write(text)
    with open(args.out + ".json", "w") as handle:
        json.dump({"header": header, "benchmarks": [{k: v for k, v in r.items() if k != "stdout"} for r in results]},
                  handle, indent=1)
    print(text)
    failed = [r["name"] for r in results if r["returncode"]]
    if failed:
        raise SystemExit("failed: %s" % ", ".join(failed))


if __name__ == "__main__":
    main()
