#!/usr/bin/env python3
"""Fusion full vs none (and elementwise) on every built-in model.

Runs `kiln-bench model` at each fusion level for each model and batch, all
in one run on one machine, and `kiln-bench bandwidth` for the memory
bandwidth the bytes-moved estimate is divided by; writes
benchmarks/results/fusion.md. Only the standard library is used.

    benchmarks/fusion.py [--threads=T] [--out=PATH]
"""
import argparse
import datetime
import os
import platform
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "build", "tools", "kiln-bench")
CASES = [("linreg", 4), ("house_mlp", 1), ("house_mlp", 64),
         ("binary_mlp", 32), ("fashion_mlp", 1), ("fashion_mlp", 64),
         ("cnn", 1), ("cnn", 8), ("text_transformer", 1),
         ("text_transformer", 8), ("norm_chain", 4096),
         ("long_attention", 1)]
LEVELS = ["none", "elementwise", "full"]


def run(args):
    out = subprocess.run([BENCH] + args, check=True, capture_output=True,
                         text=True).stdout.strip().splitlines()[-1]
    return dict(kv.split("=", 1) for kv in out.split()[2:] if "=" in kv), out


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", default=os.path.join(ROOT, "benchmarks", "results",
                                                 "fusion.md"))
    a = p.parse_args()
    if not os.path.exists(BENCH):
        sys.exit("fusion.py: %s is missing; build with scripts/build.sh" % BENCH)
    bw = float(run(["bandwidth"])[0]["gbps"])
    rows = []
    for model, batch in CASES:
        r = {}
        for level in LEVELS:
            r[level], line = run(["model", model, "--batch=%d" % batch,
                                  "--threads=%d" % a.threads,
                                  "--fusion=" + level])
            print(line, flush=True)
        rows.append((model, batch, r))

    lines = [
        "# Fusion: none vs elementwise vs full",
        "",
        "Measured %s UTC by `benchmarks/fusion.py --threads=%d`, all in one "
        "run: %s, %d CPUs, load average at the end %s." % (
            datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M"), a.threads,
            cpu_name(), os.cpu_count(),
            " ".join("%.2f" % x for x in os.getloadavg())),
        "",
        "Memory bandwidth (`kiln-bench bandwidth`, one thread copying 256 "
        "MiB): %.1f GB/s." % bw,
        "",
        "Per level: kernels (steps), the cost model's estimate of the bytes "
        "its kernels move (MB), and the median time (ms) of "
        "`kiln-bench model`. `speedup` is none's time over full's; "
        "`bytes ratio` is none's estimated bytes over full's, the speedup a "
        "purely memory-bound model would see; `full vs bytes` is full's "
        "time over its bytes divided by the bandwidth (1.0: as fast as its "
        "memory traffic allows).",
        "",
        "| model | batch | none: kernels / MB / ms | elementwise | full | "
        "speedup | bytes ratio | full vs bytes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for model, batch, r in rows:
        def cell(level):
            x = r[level]
            return "%s / %.2f / %.4g" % (x["kernels"],
                                         int(x["est_bytes"]) / 1e6,
                                         float(x["median_ms"]))
        none, full = r["none"], r["full"]
        speedup = float(none["median_ms"]) / float(full["median_ms"])
        ratio = int(none["est_bytes"]) / max(int(full["est_bytes"]), 1)
        bound_ms = int(full["est_bytes"]) / (bw * 1e6)
        lines.append("| %s | %d | %s | %s | %s | %.2fx | %.1f | %.2f |" % (
            model, batch, cell("none"), cell("elementwise"), cell("full"),
            speedup, ratio, float(full["median_ms"]) / bound_ms))
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    tmp = a.out + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, a.out)
    print("fusion.py: wrote " + os.path.relpath(a.out, ROOT))


if __name__ == "__main__":
    main()
