#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The perf suite's check of perf/sweep.py: run the quick sweep into a
temporary directory and check what it wrote is well-formed: the CSV (its
header holds the parameter and status columns, one row per point of the sweep
file, every point finished), one PNG per benchmark kind (the PNG signature and
an IHDR chunk) and the summary. No speed is asserted.

Usage: sweep_test.py SWEEP_PY SWEEP_INI TETHER_PMD HB_SCALE_BENCH
Exit status 0 (pass), 1 (fail), 77 (skip: no gnuplot).
"""

import csv
import math
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PLOTS = {"cut": ["cut.png"], "fp": ["fp.png"], "tput": ["tput.png"], "rtt": ["rtt.png"],
         "scale": ["scale.png"]}


def measured(cell):
    """A cell holding a real measurement: a finite number above 0."""
    try:
        v = float(cell)
    except ValueError:
        return False
    return math.isfinite(v) and v > 0


def fail(msg):
    print(f"FAIL: {msg}")
    sys.exit(1)


def main():
    if len(sys.argv) != 5:
        print(__doc__)
        return 2
    sweep, ini, app, scale = sys.argv[1:]
    if shutil.which("gnuplot") is None:
        print("SKIP: gnuplot is not installed (apt-get install gnuplot-nox)")
        return 77
    sys.path.insert(0, str(Path(sweep).parent))
    import sweep as sweep_mod  # the same parser the sweep uses, for the expected rows

    _, groups = sweep_mod.load_sweep(ini)
    want_rows = sum(1 for g in groups for _ in g.points(ini))
    kinds = {g.kind for g in groups}
    with tempfile.TemporaryDirectory(prefix="tt-sweep-") as out:
        proc = subprocess.run([sys.executable, sweep, "--config", ini, "--app", app,
                               "--scale-bench", scale, "--out", out],
                              capture_output=True, text=True, timeout=280)
        print(proc.stdout)
        print(proc.stderr, file=sys.stderr)
        if proc.returncode != 0:
            fail(f"sweep.py exited with {proc.returncode}")
        out = Path(out)
        csv_path = out / "sweep.csv"
        if not csv_path.is_file():
            fail("no sweep.csv")
        with open(csv_path, newline="") as f:
            rows = list(csv.reader(f))
        head, body = rows[0], rows[1:]
        for col in ["group", "kind", "point", "status", "run_s"]:
            if col not in head:
                fail(f"sweep.csv header lacks '{col}': {head[:8]}")
        if len(body) != want_rows:
            fail(f"sweep.csv has {len(body)} rows, the sweep file {want_rows} points")
        for r in body:
            if len(r) != len(head):
                fail(f"row of {len(r)} fields under a header of {len(head)}: {r[:4]}")
            rec = dict(zip(head, r))
            if rec["status"] != "ok":
                fail(f"point {rec['group']}#{rec['point']} status '{rec['status']}'")
            figs = [h for h in head if "[" in h and rec[h] != ""]
            if not figs:
                fail(f"point {rec['group']}#{rec['point']} has no figure")
            if not any(measured(rec[h]) for h in figs):
                fail(f"point {rec['group']}#{rec['point']}: no figure is a finite number > 0")
        for kind in kinds:
            names = list(PLOTS[kind])
            # The ratio plot exists when testpmd ran beside tether (ratio.* columns).
            if kind == "tput" and any(h.startswith("ratio.") for h in head):
                names.append("tput_ratio.png")
            for name in names:
                p = out / name
                if not p.is_file():
                    fail(f"no plot {name}")
                data = p.read_bytes()
                if data[:8] != PNG_MAGIC or data[12:16] != b"IHDR" or len(data) < 1000:
                    fail(f"{name} is not a PNG image")
        if not (out / "summary.md").is_file():
            fail("no summary.md")
    print(f"ok: {want_rows} points, plots for {', '.join(sorted(kinds))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
