#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Run a performance sweep of tether and write a CSV, PNG plots and a summary.

    perf/sweep.py [--config config/sweep.ini] [--quick] [--build DIR] [--out DIR]

The sweep is an INI file (config/sweep.ini; --quick takes config/sweep-quick.ini).
Every section other than [sweep] and [defaults] is a group of points of one
benchmark kind; a key whose value is a comma-separated list is an axis, and the
group runs every combination of its axes. A value may be an expression over the
point's other parameters (+ - * / // %, min, max, ceil, floor, int, round), e.g.
`probe_timeout_us = max(3 * interval_us, 300)`. [defaults] applies to every group.

Kinds and what runs them:
  cut, fp, tput, rtt  tether-pmd -- --config POINT.ini --bench KIND,... on the
                      in-process topology (apps/tether-pmd/bench.h); the point's
                      tether-pmd configuration is config/demo.ini with the
                      point's parameters applied.
  tput                also dpdk-testpmd forwarding on two net_ring ports with the
                      same cores (-l 0-1, one forwarding lcore), measured
                      alternately with tether, `rounds` times each.
  scale               perf/hb_scale_bench (engine-level heartbeat sessions).

Output in --out (default perf/results/<sweep name>): sweep.csv (one row per
point: every parameter, every figure; distributions as p50/p99/p999/max/mean,
columns named FIGURE.STAT[UNIT]), <kind>.png plots (gnuplot), summary.md
(tables, machine, commands) and logs/ (each run's full output). Progress goes to
stderr.
"""

import argparse
import ast
import configparser
import csv
import datetime
import itertools
import math
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "config" / "demo.ini"

# Parameters that set the tether-pmd configuration: name -> (section, key).
APP_KEYS = {
    "mtu": ("port", "mtu"),
    "poll_mode": ("lcores", "poll_mode"),
    "idle_passes": ("lcores", "idle_passes"),
    "sleep_max_us": ("lcores", "sleep_max_us"),
    "interval_us": ("heartbeat", "interval_us"),
    "master_mult": ("heartbeat", "master_detect_mult"),
    "worker_mult": ("heartbeat", "worker_detect_mult"),
    "d_max_us": ("heartbeat", "d_max_us"),
    "granularity_us": ("heartbeat", "granularity_us"),
    "slow_tx_us": ("heartbeat", "slow_tx_us"),
    "channels": ("channels", "count"),
    "probe_interval_us": ("channels", "probe_interval_us"),
    "probe_timeout_us": ("channels", "probe_timeout_us"),
    "rto_min_us": ("channels", "rto_min_us"),
    "rto_max_us": ("channels", "rto_max_us"),
    "max_retx": ("channels", "max_retx"),
    "max_msg_bytes": ("channels", "max_msg_bytes"),
    "window": ("channels", "window"),
    "rx_window": ("channels", "rx_window"),
    "fence_action": ("fence", "action"),
    "max_tasks": ("tasks", "max_tasks"),
    "max_outstanding": ("tasks", "max_outstanding"),
    "max_result_bytes": ("tasks", "max_result_bytes"),
}
# Keys of the --bench spec, per kind (apps/tether-pmd/bench.h).
BENCH_KEYS = {
    "cut": ["count", "mode", "tasks", "timeout_ms"],
    "fp": ["seconds", "size", "inflight"],
    "tput": ["seconds", "size", "inflight"],
    "rtt": ["seconds", "size", "inflight", "load"],
}
SCALE_KEYS = ["sessions", "interval_us", "seconds", "mult"]
# Keys every app kind takes besides APP_KEYS and its bench keys.
APP_META = ["workers", "timeout_s", "eal_mem_mb", "poll_cpu"]
TPUT_META = ["rounds", "testpmd_modes", "testpmd_seconds"]
GROUP_META = ["kind", "stop_on_fail"]
KINDS = ["cut", "fp", "tput", "rtt", "scale"]
# The in-process topology gives the master one ring port per worker and a
# runtime endpoint has at most TT_RT_MAX_PORTS (8) ports (drivers/runtime.h).
MAX_WORKERS = 8

RESULT_RE = re.compile(r"^RESULT\s+(.*)$")
ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class SweepError(Exception):
    """A problem with the sweep file or the environment, worth one line."""


# ---- expressions ---------------------------------------------------------------------------

_FUNCS = {"min": min, "max": max, "ceil": math.ceil, "floor": math.floor, "int": int,
          "round": round}
_BINOPS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
           ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b,
           ast.FloorDiv: lambda a, b: a // b, ast.Mod: lambda a, b: a % b}


def split_list(text):
    """Split a value at the commas outside parentheses."""
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    out.append(cur.strip())
    return [x for x in out if x != ""]


def expr_names(text):
    """Names an expression refers to; None if the text is not an expression."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return None
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - set(_FUNCS)


def eval_expr(text, env):
    """Evaluate an arithmetic expression over env (numbers only)."""

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in env:
                raise SweepError(f"unknown name '{node.id}' in '{text}'")
            return env[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            return _BINOPS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in _FUNCS and not node.keywords):
            return _FUNCS[node.func.id](*[ev(a) for a in node.args])
        raise SweepError(f"'{text}': only numbers, parameter names, + - * / // % and "
                         f"{', '.join(sorted(_FUNCS))}() are allowed")

    return ev(ast.parse(text, mode="eval"))


def resolve(raw, where):
    """Turn one point's raw values into numbers and words, evaluating expressions."""
    env, pending = {}, dict(raw)
    while pending:
        progress = False
        for key, text in list(pending.items()):
            names = expr_names(text)
            if names is None or (isinstance(ast.parse(text, mode="eval").body, ast.Name)
                                 and text not in raw):
                env[key] = text  # a word: poll, shim, rejoin, io ...
            elif names - set(env):
                if names - set(raw):
                    raise SweepError(f"{where}: {key} = {text}: unknown name(s) "
                                     f"{', '.join(sorted(names - set(raw)))}")
                continue
            else:
                v = eval_expr(text, env)
                env[key] = int(v) if isinstance(v, float) and v.is_integer() else v
            del pending[key]
            progress = True
        if not progress:
            raise SweepError(f"{where}: circular expressions among "
                             f"{', '.join(sorted(pending))}")
    return env


# ---- the sweep file ------------------------------------------------------------------------

class Group:
    def __init__(self, name, kind, raw, stop_on_fail):
        self.name, self.kind, self.raw, self.stop_on_fail = name, kind, raw, stop_on_fail

    def points(self, path):
        """Every combination of the axes, resolved, in file order of the keys."""
        keys = list(self.raw)
        lists = [split_list(self.raw[k]) for k in keys]
        for combo in itertools.product(*lists):
            yield resolve(dict(zip(keys, combo)), f"{path} [{self.name}]")


def allowed_keys(kind):
    if kind == "scale":
        return set(SCALE_KEYS) | set(GROUP_META) | {"timeout_s", "poll_cpu"}
    keys = set(APP_KEYS) | set(APP_META) | set(BENCH_KEYS[kind]) | set(GROUP_META)
    if kind == "tput":
        keys |= set(TPUT_META)
    return keys


def load_sweep(path):
    cp = configparser.ConfigParser(inline_comment_prefixes=(";",), interpolation=None)
    cp.optionxform = str
    if not cp.read(path):
        raise SweepError(f"{path}: cannot read")
    name = cp.get("sweep", "name", fallback=Path(path).stem)
    defaults = dict(cp["defaults"]) if cp.has_section("defaults") else {}
    groups = []
    for sec in cp.sections():
        if sec in ("sweep", "defaults"):
            continue
        raw = dict(defaults)
        raw.update(dict(cp[sec]))
        kind = raw.pop("kind", None)
        if kind not in KINDS:
            raise SweepError(f"{path} [{sec}]: kind = {kind}: one of {', '.join(KINDS)}")
        stop = raw.pop("stop_on_fail", None)
        allowed = allowed_keys(kind)
        # [defaults] may hold keys of other kinds: keep only this kind's.
        for key in list(raw):
            if key not in allowed:
                if key in cp[sec]:
                    raise SweepError(f"{path} [{sec}]: key '{key}' is not used by kind "
                                     f"{kind} (allowed: {', '.join(sorted(allowed))})")
                del raw[key]
        groups.append(Group(sec, kind, raw, stop))
    if not groups:
        raise SweepError(f"{path}: no group of points (a section with kind = ...)")
    return name, groups


# ---- running -------------------------------------------------------------------------------

class Progress:
    """One line per point on stderr; live updates on a terminal."""

    def __init__(self, total):
        self.total, self.done, self.tty = total, 0, sys.stderr.isatty()
        self.t0 = time.monotonic()
        self.label = ""

    def start(self, label):
        self.label = label
        self.point_t0 = time.monotonic()
        self._show("running")

    def note(self, text):
        if self.tty:
            self._show(text)

    def end(self, status):
        self.done += 1
        self._show(f"{status} ({time.monotonic() - self.point_t0:.1f} s)", final=True)

    def _show(self, text, final=False):
        line = (f"[{self.done + (0 if final else 1):>3}/{self.total}] "
                f"{time.monotonic() - self.t0:6.0f} s  {self.label}: {text}")
        if self.tty:
            sys.stderr.write("\r\x1b[K" + line + ("\n" if final else ""))
        elif final or text == "running":
            sys.stderr.write(line + "\n")
        sys.stderr.flush()


def parse_result(line):
    """A RESULT line -> (name, unit, {stat: value})."""
    m = RESULT_RE.match(line)
    if not m:
        return None
    kv = dict(tok.split("=", 1) for tok in m.group(1).split() if "=" in tok)
    name, unit = kv.pop("name", None), kv.pop("unit", "")
    stats = {}
    for k, v in kv.items():
        try:
            stats[k] = float(v)
        except ValueError:
            pass
    return (name, unit, stats) if name else None


def figures_of(lines):
    """Columns of the RESULT lines of one run: FIGURE.STAT[UNIT] -> value."""
    out = {}
    for line in lines:
        r = parse_result(line.strip())
        if r is None:
            continue
        name, unit, stats = r
        for stat, v in stats.items():
            if stat == "value":
                out[f"{name}[{unit}]"] = v
            else:
                out[f"{name}.{stat}[{unit}]"] = v
    return out


def run_logged(cmd, log, timeout_s, progress=None, env=None):
    """Run cmd, log its output, show its '# progress' lines; return (rc, stdout lines)."""
    lines = []
    with open(log, "a") as lf:
        lf.write("$ " + " ".join(str(c) for c in cmd) + "\n")
        lf.flush()
        proc = subprocess.Popen([str(c) for c in cmd], stdout=subprocess.PIPE,
                                stderr=lf, stdin=subprocess.DEVNULL, text=True,
                                errors="replace", env=env)
        deadline = time.monotonic() + timeout_s
        try:
            for line in proc.stdout:
                lf.write(line)
                lines.append(line)
                if progress is not None and line.startswith("# progress"):
                    progress.note(line[2:].strip())
                if time.monotonic() > deadline:
                    proc.kill()
                    break
            rc = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
        lf.write(f"# exit status {rc}\n")
    return rc, lines


def write_app_config(params, path):
    """config/demo.ini with the point's parameters applied."""
    cp = configparser.ConfigParser(interpolation=None, comment_prefixes=(";",),
                                   inline_comment_prefixes=None)
    cp.optionxform = str
    cp.read(TEMPLATE)
    for key, value in params.items():
        if key in APP_KEYS:
            sec, k = APP_KEYS[key]
            cp[sec][k] = str(value)
    # The polling lcore on CPU poll_cpu, EAL's main lcore on the other one.
    cp["lcores"]["hb_lcore"] = str(poll_cpu(params))
    n = int(params.get("workers", 3))
    if not 1 <= n <= MAX_WORKERS:
        raise SweepError(f"workers = {n}: the in-process topology runs 1..{MAX_WORKERS}")
    cp.remove_section("workers")
    cp.add_section("workers")
    for i in range(1, n + 1):
        cp["workers"][str(i)] = f"10.99.{i // 200}.{10 + i % 200}:4800"
    with open(path, "w") as f:
        f.write("; generated by perf/sweep.py from config/demo.ini\n")
        cp.write(f)


def poll_cpu(params):
    """The CPU that polls (tether-pmd's polling lcore, testpmd's forwarding lcore,
    hb_scale_bench's thread): 0 or 1 of `-l 0-1`; the main lcore takes the other."""
    cpu = int(params.get("poll_cpu", 1))
    if cpu not in (0, 1):
        raise SweepError(f"poll_cpu = {cpu}: 0 or 1 (the lcores are -l 0-1)")
    return cpu


def app_eal(params, prefix):
    """tether-pmd's EAL options: its built-in ones (two lcores, no hugepages, no
    PCI) with room for 8 ring port pairs, the main lcore off the polling CPU and
    a file prefix of our own."""
    return ["-l", "0-1", "--main-lcore", str(1 - poll_cpu(params)), "--no-huge", "-m",
            str(params.get("eal_mem_mb", 1024)), "--no-pci", "--no-shconf",
            f"--file-prefix={prefix}", "--log-level=4"]


def noise_probe(cpu, seconds=0.5, gap_ns=50_000):
    """How much of `cpu` this process gets: spin on it for `seconds` and count the
    gaps between two clock reads longer than gap_ns (the CPU was taken away).
    Returns (share of the time lost, %; longest gap, us)."""
    try:
        old = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {cpu})
    except (AttributeError, OSError):
        return None, None
    clock = time.perf_counter_ns
    t0 = prev = clock()
    end = t0 + int(seconds * 1e9)
    lost = longest = 0
    while prev < end:
        now = clock()
        gap = now - prev
        if gap > gap_ns:
            lost += gap
            longest = max(longest, gap)
        prev = now
    os.sched_setaffinity(0, old)
    return round(100.0 * lost / (prev - t0), 2), round(longest / 1e3, 1)


def bench_spec(kind, params):
    parts = [kind]
    for key in BENCH_KEYS[kind]:
        if key in params:
            parts.append(f"{key}={params[key]}")
    return ",".join(parts)


def testpmd_run(testpmd, mode, frame_bytes, seconds, log, cpu=1):
    """dpdk-testpmd forwarding on two net_ring ports for `seconds` full stats periods.

    Returns the median over the periods (the first, partial one dropped) of the
    packets forwarded per second (the sum of both ports' Rx-pps), or None.
    """
    prefix = f"sweep-tp-{os.getpid()}"
    cmd = ["stdbuf", "-oL", testpmd, "-l", "0-1", "--main-lcore", str(1 - cpu), "--no-huge",
           "-m", "512", "--no-pci",
           "--no-shconf", f"--file-prefix={prefix}", "--vdev=net_ring0", "--vdev=net_ring1",
           "--log-level=4", "--", f"--forward-mode={mode}", "--tx-first",
           f"--txpkts={frame_bytes}", "--stats-period=1", "--nb-cores=1",
           "--total-num-mbufs=8192"]
    periods, cur, started = [], None, False
    with open(log, "a") as lf:
        lf.write("$ " + " ".join(cmd) + "\n")
        lf.flush()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, text=True, errors="replace")
        deadline = time.monotonic() + seconds + 20
        try:
            for raw in proc.stdout:
                line = ANSI_RE.sub("", raw)
                lf.write(line)
                if "Port statistics" in line:
                    if cur is not None and cur > 0:
                        periods.append(cur)
                    cur = 0
                m = re.search(r"Rx-pps:\s+(\d+)", line)
                if m and cur is not None:
                    cur += int(m.group(1))
                # seconds full periods after the first non-zero (partial) one.
                if len(periods) >= seconds + 1 and not started:
                    started = True
                    proc.send_signal(signal.SIGINT)
                if time.monotonic() > deadline and not started:
                    started = True
                    proc.send_signal(signal.SIGINT)
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        lf.write(f"# exit status {proc.returncode}\n")
    shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)
    periods = periods[1:]
    return statistics.median(periods) if periods else None


def median_row(rows):
    """Per column, the median over rounds."""
    out = {}
    for key in rows[0]:
        vals = [r[key] for r in rows if key in r]
        out[key] = statistics.median(vals)
    return out


class Sweep:
    def __init__(self, args, name, groups):
        self.args, self.name, self.groups = args, name, groups
        self.out = Path(args.out) if args.out else ROOT / "perf" / "results" / name
        self.rows = []
        self.params_order, self.figs_order = [], []
        self.app, self.scale_bench, self.testpmd = args.app, args.scale_bench, args.testpmd
        self.commands = []

    def add_row(self, row, params, figs):
        for k in params:
            if k not in self.params_order:
                self.params_order.append(k)
        for k in figs:
            if k not in self.figs_order:
                self.figs_order.append(k)
        self.rows.append(row)
        self.write_csv()

    def write_csv(self):
        head = ["group", "kind", "point", "status", "run_s"] + self.params_order + \
            self.figs_order
        with open(self.out / "sweep.csv", "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=head, restval="")
            w.writeheader()
            for r in self.rows:
                w.writerow({k: fmt(r.get(k)) for k in head})

    def run(self):
        (self.out / "logs").mkdir(parents=True, exist_ok=True)
        (self.out / "points").mkdir(exist_ok=True)
        plan = []
        for g in self.groups:
            for i, p in enumerate(g.points(self.args.config)):
                plan.append((g, i, p))
        prog = Progress(len(plan))
        failed = []
        self.started = datetime.datetime.now()
        self.load_start = os.getloadavg()
        for g, i, params in plan:
            label = f"{g.name}#{i} " + " ".join(
                f"{k}={v}" for k, v in params.items() if len(split_list(g.raw[k])) > 1)
            if any(skip_after_fail(g, params, f) for f in failed):
                prog.start(label)
                prog.end("skipped (a smaller point failed)")
                continue
            prog.start(label)
            t0 = time.monotonic()
            lost, gap = noise_probe(poll_cpu(params))
            try:
                status, figs = self.run_point(g, i, params, prog)
            except SweepError as e:
                status, figs = f"error: {e}", {}
            # What other work left of the polling CPU just before the point.
            if lost is not None:
                figs["noise.cpu_lost[pct]"] = lost
                figs["noise.max_gap[us]"] = gap
            row = {"group": g.name, "kind": g.kind, "point": i, "status": status,
                   "run_s": round(time.monotonic() - t0, 1)}
            row.update(params)
            row.update(figs)
            self.add_row(row, params, figs)
            if g.stop_on_fail and figs.get("hb_scale.ok[bool]", 1) == 0:
                failed.append((g, params))
            prog.end(status)
        self.load_end = os.getloadavg()
        plots = [] if self.args.no_plots else make_plots(self)
        write_summary(self, plots)
        return plots

    def run_point(self, g, i, params, prog):
        log = self.out / "logs" / f"{g.name}-{i}.log"
        if log.exists():
            log.unlink()
        timeout = float(params.get("timeout_s", 900))
        if g.kind == "scale":
            cmd = ["taskset", "-c", str(poll_cpu(params)), self.scale_bench]
            for key in SCALE_KEYS:
                if key in params:
                    cmd += [f"--{key.replace('_', '-')}", params[key]]
            self.note_command(g, cmd)
            rc, lines = run_logged(cmd, log, timeout, prog)
            figs = figures_of(lines)
            ok = rc == 0 or "hb_scale.ok[bool]" in figs
            return ("ok" if ok else f"exit {rc}"), figs
        ini = self.out / "points" / f"{g.name}-{i}.ini"
        write_app_config(params, ini)
        prefix = f"tt-sweep-{os.getpid()}"
        eal = app_eal(params, prefix)
        cmd = [self.app] + eal + ["--", "--config", ini, "--bench", bench_spec(g.kind, params)]
        self.note_command(g, [self.app] + eal[:-2] + ["--", "--config", f"points/{ini.name}",
                                                      "--bench", bench_spec(g.kind, params)])
        try:
            if g.kind != "tput":
                rc, lines = run_logged(cmd, log, timeout, prog)
                return ("ok" if rc == 0 else f"exit {rc}"), figures_of(lines)
            return self.run_tput(g, params, cmd, log, timeout, prog)
        finally:
            shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)

    def run_tput(self, g, params, cmd, log, timeout, prog):
        """tether and testpmd, alternately, `rounds` times."""
        rounds = int(params.get("rounds", 3))
        modes = [m for m in str(params.get("testpmd_modes", "io")).split() if m]
        tp_secs = int(params.get("testpmd_seconds", 2))
        per_round, status = [], "ok"
        for r in range(rounds):
            prog.note(f"round {r + 1}/{rounds}: tether")
            rc, lines = run_logged(cmd, log, timeout, None)
            figs = figures_of(lines)
            if rc != 0 or "tput.frame_bytes[B]" not in figs:
                status = f"exit {rc}"
                break
            frame = int(figs["tput.frame_bytes[B]"])
            for mode in modes:
                if not self.testpmd:
                    continue
                prog.note(f"round {r + 1}/{rounds}: testpmd {mode}")
                pps = testpmd_run(self.testpmd, mode, frame, tp_secs, log, poll_cpu(params))
                if pps is None:
                    status = f"testpmd {mode} failed"
                    continue
                gbps = pps * frame * 8 / 1e9
                figs[f"testpmd.{mode}.pps[1/s]"] = pps
                figs[f"testpmd.{mode}.gbps[Gb/s]"] = gbps
                # tether's data frames (both directions) against testpmd's frames of the
                # ASSIGN's first-segment size: the wire bit rates, and the frame rates.
                figs[f"ratio.{mode}.wire[x]"] = figs["tput.wire_gbps[Gb/s]"] / gbps
                figs[f"ratio.{mode}.frames[x]"] = figs["tput.data_frames_per_s[1/s]"] / pps
            per_round.append(figs)
            if modes and self.testpmd:
                self.note_command(g, testpmd_command(self.testpmd, modes[0], frame,
                                                     poll_cpu(params)), key="testpmd")
        if not per_round:
            return status, {}
        out = median_row(per_round)
        out["rounds[n]"] = len(per_round)
        for mode in modes:
            ratios = [f[f"ratio.{mode}.wire[x]"] for f in per_round
                      if f"ratio.{mode}.wire[x]" in f]
            if ratios:
                out[f"ratio.{mode}.wire.min[x]"] = min(ratios)
                out[f"ratio.{mode}.wire.max[x]"] = max(ratios)
        return status, out

    def note_command(self, g, cmd, key=None):
        text = cmd if isinstance(cmd, str) else " ".join(str(c) for c in cmd)
        entry = (g.name if key is None else f"{g.name} ({key})", text)
        if not any(e[0] == entry[0] for e in self.commands):
            self.commands.append(entry)


def testpmd_command(testpmd, mode, frame, cpu):
    return (f"{testpmd} -l 0-1 --main-lcore {1 - cpu} --no-huge -m 512 --no-pci --no-shconf "
            f"--vdev=net_ring0 "
            f"--vdev=net_ring1 -- --forward-mode={mode} --tx-first --txpkts={frame} "
            f"--stats-period=1 --nb-cores=1 --total-num-mbufs=8192")


def skip_after_fail(g, params, failed):
    """stop_on_fail = KEY: skip points equal to a failed one but for a larger KEY."""
    fg, fp = failed
    key = g.stop_on_fail
    if fg is not g or not key or key not in params:
        return False
    same = all(params.get(k) == fp.get(k) for k in params if k != key)
    return same and params[key] > fp[key]


def fmt(v):
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


# ---- plots ---------------------------------------------------------------------------------

def num(row, key):
    v = row.get(key)
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def series(rows, x, y, split=(), positive=True, where=None):
    """{split values: [(x, y)]} sorted by x (positive y only, for log axes), of
    the rows `where` accepts."""
    out = {}
    for r in rows:
        xv, yv = num(r, x), num(r, y)
        if xv is None or yv is None or (positive and yv <= 0):
            continue
        if where is not None and not where(r):
            continue
        label = " ".join(f"{k}={r.get(k)}" for k in split if k in r)
        out.setdefault(label, []).append((xv, yv))
    return {k: sorted(v) for k, v in out.items()}


def gnuplot_png(path, title, xlabel, ylabel, curves, logx=True, logy=True, y2label=None):
    """Write one PNG: curves is [(title, [(x, y)], dashed[, on the y2 axis[, colour]])];
    the colour defaults to the curve's rank."""
    curves = [c for c in curves if c[1]]
    if not curves:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        script = [
            "set terminal pngcairo size 1000,700 font 'sans,10' noenhanced",
            f"set output '{path}'",
            f"set title \"{title}\"",
            f"set xlabel \"{xlabel}\"",
            f"set ylabel \"{ylabel}\"",
            "set grid",
            "set key below",
        ]
        if logx:
            script.append("set logscale x")
        if logy:
            script.append("set logscale y")
        else:
            script.append("set yrange [0:*]")
        if y2label:
            script += [f"set y2label \"{y2label}\"", "set y2tics", "set y2range [0:*]",
                       "set ytics nomirror"]
        plots = []
        for i, c in enumerate(curves):
            ctitle, pts, dashed = c[0], c[1], c[2]
            on_y2 = len(c) > 3 and c[3]
            colour = c[4] if len(c) > 4 else i
            dat = Path(tmp) / f"c{i}.dat"
            dat.write_text("".join(f"{x} {y}\n" for x, y in pts))
            style = "linespoints" + (" dt 2" if dashed else "") + f" lc {colour % 8 + 1} pt 7"
            axes = " axes x1y2" if on_y2 else ""
            plots.append(f"'{dat}' using 1:2{axes} with {style} title \"{ctitle}\"")
        script.append("plot " + ", ".join(plots))
        proc = subprocess.run(["gnuplot"], input="\n".join(script) + "\n", text=True,
                              capture_output=True)
        if proc.returncode != 0:
            raise SweepError(f"gnuplot failed for {path.name}: {proc.stderr.strip()}")
    return path


def make_plots(sw):
    if shutil.which("gnuplot") is None:
        raise SweepError("gnuplot not found: apt-get install gnuplot-nox (.ci/install-deps)")
    by_kind = {}
    for r in sw.rows:
        by_kind.setdefault(r["kind"], []).append(r)
    out = []
    if "cut" in by_kind:
        rows = by_kind["cut"]
        curves = []

        def shim(r):
            return r.get("mode", "shim") != "admin"

        def admin(r):
            return r.get("mode") == "admin"

        # cut->silenced is cut->channel down here: both sit on one lcore (hop 0).
        for colour, (fig, what, sel) in enumerate([
                ("detect", "cut->channel down = HB silenced", shim),
                ("fence", "cut->fence (T2)", shim),
                ("resched", "cut->reschedule (T1)", shim),
                ("resched", "admin cut->reschedule (T1)", admin)]):
            for stat, dashed in [("p50", False), ("p99", True)]:
                for _, pts in series(rows, "interval_us", f"cut.{fig}.{stat}[us]",
                                     where=sel).items():
                    curves.append((f"{what} {stat}", pts, dashed, False, colour))
        out.append(gnuplot_png(sw.out / "cut.png", "Cut a data channel: time to each step",
                               "heartbeat interval (us)", "time since the cut (us)", curves))
    if "fp" in by_kind:
        rows = by_kind["fp"]
        curves = []
        for label, pts in series(rows, "interval_us", "fp.per_1e6[n]",
                                 ("inflight", "granularity_us"), positive=False).items():
            curves.append((f"false positives per 10^6 intervals {label}".strip(), pts, False))
        for label, pts in series(rows, "interval_us", "fp.util[pct]",
                                 ("inflight", "granularity_us"), positive=False).items():
            curves.append((f"loop utilisation % {label}".strip(), pts, True, True))
        out.append(gnuplot_png(sw.out / "fp.png",
                               "Heartbeat false positives, data path saturated",
                               "heartbeat interval (us)", "per 10^6 intervals", curves,
                               logy=False, y2label="loop utilisation (%)"))
    if "tput" in by_kind:
        rows = by_kind["tput"]
        curves = []
        for key, what, dashed in [("tput.goodput_gbps[Gb/s]", "tether goodput", False),
                                  ("tput.wire_gbps[Gb/s]", "tether data frames", False)]:
            for label, pts in series(rows, "size", key).items():
                curves.append((f"{what} {label}".strip(), pts, dashed))
        modes = sorted({k.split(".")[1] for r in rows for k in r
                        if k.startswith("testpmd.") and k.endswith(".gbps[Gb/s]")})
        for mode in modes:
            for label, pts in series(rows, "size", f"testpmd.{mode}.gbps[Gb/s]").items():
                curves.append((f"testpmd {mode} fwd, same frame {label}".strip(), pts, True))
        out.append(gnuplot_png(sw.out / "tput.png",
                               "Data throughput: tether echo tasks vs dpdk-testpmd, same ports "
                               "and cores", "message payload (bytes)", "Gbit/s", curves))
        curves = []
        for mode in modes:
            for label, pts in series(rows, "size", f"ratio.{mode}.wire[x]").items():
                curves.append((f"tether / testpmd {mode} {label}".strip(), pts, False))
        out.append(gnuplot_png(sw.out / "tput_ratio.png",
                               "tether data-frame bit rate / testpmd forwarding bit rate",
                               "message payload (bytes)", "ratio", curves))
    if "rtt" in by_kind:
        rows = by_kind["rtt"]
        curves = []
        for stat, dashed in [("p50", False), ("p99", True), ("p999", True)]:
            for label, pts in series(rows, "load", f"rtt.rtt.{stat}[us]", ("size",)).items():
                curves.append((f"{stat} {label}".strip(), pts, dashed))
        out.append(gnuplot_png(sw.out / "rtt.png", "ASSIGN->RESULT round trip",
                               "load (% of saturation; 0: one task at a time)",
                               "round trip (us)", curves, logx=False))
    if "scale" in by_kind:
        rows = by_kind["scale"]
        curves = []
        for label, pts in series(rows, "sessions", "hb_scale.util[pct]",
                                 ("interval_us",)).items():
            curves.append((f"loop utilisation % {label}", pts, False))
        for label, pts in series(rows, "sessions", "hb_scale.late.max[us]",
                                 ("interval_us",)).items():
            curves.append((f"latest timer (us) {label}", pts, True))
        out.append(gnuplot_png(sw.out / "scale.png",
                               "Heartbeat sessions on one thread",
                               "sessions", "% / us", curves))
    return [p for p in out if p is not None]


# ---- summary -------------------------------------------------------------------------------

SUMMARY_COLUMNS = {
    "cut": ["interval_us", "mode", "cut.cuts[n]", "cut.detect.p50[us]", "cut.detect.p99[us]",
            "cut.hop.p99[us]", "cut.silence.p50[us]", "cut.silence.p99[us]",
            "cut.fence.p50[us]", "cut.fence.p99[us]", "cut.resched.p50[us]",
            "cut.resched.p99[us]", "cut.resched.p999[us]", "cut.resched.max[us]",
            "cut.order_violations[n]", "cut.same_pass[n]", "cut.failed[n]", "cut.not_live[n]",
            "cut.other_failures[n]"],
    "fp": ["interval_us", "granularity_us", "inflight", "fp.session_intervals[n]",
           "fp.false_positives[n]", "fp.per_1e6[n]", "fp.stale_hb[n]", "fp.down.probe_timeout[n]",
           "fp.down.retx_exhausted[n]", "fp.tasks_per_s[1/s]", "fp.util[pct]",
           "fp.pass_max[us]"],
    "tput": ["size", "tput.msgs_per_s[1/s]", "tput.goodput_gbps[Gb/s]",
             "tput.wire_gbps[Gb/s]", "tput.frame_bytes[B]", "testpmd.io.pps[1/s]",
             "testpmd.io.gbps[Gb/s]", "ratio.io.wire[x]", "ratio.io.wire.min[x]",
             "ratio.io.wire.max[x]", "testpmd.csum.gbps[Gb/s]", "ratio.csum.wire[x]",
             "tput.rtt.p50[us]", "tput.util[pct]", "tput.fences[n]"],
    "rtt": ["size", "load", "rtt.achieved_per_s[1/s]", "rtt.rtt.p50[us]", "rtt.rtt.p99[us]",
            "rtt.rtt.p999[us]", "rtt.rtt.max[us]", "rtt.rtt.samples[us]", "rtt.util[pct]",
            "rtt.fences[n]"],
    "scale": ["interval_us", "sessions", "hb_scale.util[pct]", "hb_scale.late.p50[us]",
              "hb_scale.late.p99[us]", "hb_scale.late.max[us]", "hb_scale.over_interval[n]",
              "hb_scale.over_interval_stall[n]", "hb_scale.stall_max[us]",
              "hb_scale.expiries[n]", "hb_scale.ns_per_pkt[ns]", "hb_scale.ok[bool]",
              "hb_scale.clean[bool]"],
}


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def write_summary(sw, plots):
    lines = [f"# tether performance sweep '{sw.name}'", ""]
    lines.append(f"- command: `perf/sweep.py {' '.join(sys.argv[1:])}` "
                 f"(sweep file {Path(sw.args.config).name})")
    lines.append(f"- started {sw.started:%Y-%m-%d %H:%M}, machine: {os.cpu_count()} CPUs, "
                 f"{cpu_model()}, Linux {platform.release()}")
    lines.append(f"- load average at start {sw.load_start[0]:.2f}, at end {sw.load_end[0]:.2f} "
                 f"(a shared VM: other work shares the CPUs)")
    lost = [r["noise.cpu_lost[pct]"] for r in sw.rows if "noise.cpu_lost[pct]" in r]
    if lost:
        lines.append(f"- polling CPU taken by other work just before each point (0.5 s probe): "
                     f"median {statistics.median(lost):.1f} %, worst {max(lost):.1f} % "
                     f"(columns noise.*)")
    lines.append("")
    for kind, cols in SUMMARY_COLUMNS.items():
        rows = [r for r in sw.rows if r["kind"] == kind]
        if not rows:
            continue
        cols = [c for c in cols + ["noise.cpu_lost[pct]", "noise.max_gap[us]"]
                if any(c in r for r in rows)]
        lines.append(f"## {kind}")
        lines.append("")
        lines.append("| " + " | ".join(cols) + " |")
        lines.append("|" + "---|" * len(cols))
        for r in rows:
            lines.append("| " + " | ".join(fmt(r.get(c)) for c in cols) + " |")
        lines.append("")
    lines.append("## commands (first point of each group; points/ has the configurations)")
    lines.append("")
    for name, cmd in sw.commands:
        lines.append(f"- {name}: `{cmd}`")
    lines.append("")
    if plots:
        lines.append("## plots")
        lines.append("")
        for p in plots:
            lines.append(f"![{p.stem}]({p.name})")
        lines.append("")
    (sw.out / "summary.md").write_text("\n".join(lines))


# ---- main ----------------------------------------------------------------------------------

class Replot:
    """The rows of an existing sweep.csv, for make_plots()."""

    def __init__(self, out):
        self.out = Path(out)
        self.rows = []
        try:
            f = open(self.out / "sweep.csv", newline="")
        except OSError as e:
            raise SweepError(f"--replot {out}: {e.strerror}: {self.out / 'sweep.csv'}")
        with f:
            for rec in csv.DictReader(f):
                row = {}
                for k, v in rec.items():
                    if v == "":
                        continue
                    try:
                        x = float(v)
                        row[k] = int(x) if x.is_integer() and "[" not in k else x
                    except ValueError:
                        row[k] = v
                self.rows.append(row)


def find_tool(given, build, rel, name):
    if given:
        return Path(given)
    p = Path(build) / rel
    if p.exists():
        return p
    raise SweepError(f"{name} not found at {p}: build first (meson setup build && ninja -C "
                     f"build) or give --build DIR")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--config", help="sweep file (default config/sweep.ini, "
                    "config/sweep-quick.ini with --quick)")
    ap.add_argument("--quick", action="store_true",
                    help="the quick sweep (under 2 minutes on 2 cores)")
    ap.add_argument("--build", default=str(ROOT / "build"), help="meson build directory")
    ap.add_argument("--app", help="tether-pmd (default BUILD/apps/tether-pmd/tether-pmd)")
    ap.add_argument("--scale-bench", help="hb_scale_bench (default BUILD/perf/hb_scale_bench)")
    ap.add_argument("--testpmd", default=shutil.which("dpdk-testpmd"),
                    help="dpdk-testpmd (default: from PATH; none: no comparison)")
    ap.add_argument("--out", help="output directory (default perf/results/<sweep name>)")
    ap.add_argument("--only", help="comma-separated group names to run")
    ap.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    ap.add_argument("--replot", metavar="DIR",
                    help="only draw the plots again from DIR/sweep.csv (no run)")
    args = ap.parse_args()
    if args.replot:
        try:
            for p in make_plots(Replot(args.replot)):
                print(f"plot:    {p}")
        except SweepError as e:
            print(f"sweep: {e}", file=sys.stderr)
            return 2
        return 0
    if args.config is None:
        args.config = str(ROOT / "config" / ("sweep-quick.ini" if args.quick else "sweep.ini"))
    try:
        name, groups = load_sweep(args.config)
        if args.only:
            want = set(args.only.split(","))
            groups = [g for g in groups if g.name in want]
            if not groups:
                raise SweepError(f"--only {args.only}: no such group in {args.config}")
        kinds = {g.kind for g in groups}
        if kinds - {"scale"}:
            args.app = find_tool(args.app, args.build, "apps/tether-pmd/tether-pmd",
                                 "tether-pmd")
        if "scale" in kinds:
            args.scale_bench = find_tool(args.scale_bench, args.build,
                                         "perf/hb_scale_bench", "hb_scale_bench")
        if "tput" in kinds and not args.testpmd:
            print("note: dpdk-testpmd not found: throughput without the testpmd comparison",
                  file=sys.stderr)
        sw = Sweep(args, name, groups)
        plots = sw.run()
    except SweepError as e:
        print(f"sweep: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nsweep: interrupted", file=sys.stderr)
        return 130
    print(f"CSV:     {sw.out / 'sweep.csv'}")
    for p in plots:
        print(f"plot:    {p}")
    print(f"summary: {sw.out / 'summary.md'}")
    print(f"logs:    {sw.out / 'logs'}")
    bad = [r for r in sw.rows if r["status"] != "ok" and not r["status"].startswith("skipped")]
    if bad:
        print(f"{len(bad)} point(s) did not finish cleanly: see the status column",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
