# SPDX-License-Identifier: BSD-3-Clause
"""Shared by the system tests: tether-pmd master and worker as separate
processes on a real link, a fault, and the checks on both processes' logs.

What a test owns, and removes however it ends (normal exit, a failed check,
an exception, SIGTERM from meson's timeout, SIGINT, SIGHUP):
  - network namespaces named tt-sys-<pid>-<role>, and the links inside them;
  - the tether-pmd processes it started;
  - a temporary directory (configs, command files, logs, sockets, objects);
  - DPDK's runtime directory of each --file-prefix it gave (tt-sys-<pid>-...).
Nothing else on the host is touched: no address, route or link outside those
namespaces. TETHER_SYSTEM_KEEP=1 in the environment keeps the temporary
directory (the logs) and prints where it is.

Output: one line "ok N - ..." or "not ok N - ..." per check (a failed one
with the lines it looked at as "# ..." diagnostics), a plan "1..N", and exit
status 0, 1 if a check failed, or 77 (meson: SKIP) when the test cannot run
here (not root, no network namespaces, no BPF classifier...).

Time: every tether-pmd log line of a state change or task event carries the
event's CLOCK_MONOTONIC time ("tether.sched: [4242.123456] ..."), the clock
time.monotonic() reads, so the two processes' events and the faults this
script injects are ordered on one clock.
"""
import atexit
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

# The TAP writer the app tests use (one line per check, diagnostics on failure).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'app'))
from apptest import Tap  # noqa: E402,F401

SKIP = 77

# Heartbeat and channel timers: generous for a shared, noisy 2-core VM
# (TESTBED.md: timers fire milliseconds late; with other jobs on the cores a
# polling lcore was seen losing its CPU for over 100 ms, which must not pass
# for a fault). T2 = 10 x 20 = 200 ms, T1 = 25 x 20 = 500 ms > T2 + I +
# d_max + g = 200 + 20 + 100 + 50 = 370 ms. A channel is down after 400 ms
# without an answer to its probes.
HB_INTERVAL_US = 20000
MASTER_MULT = 10
WORKER_MULT = 25
T1_S = WORKER_MULT * HB_INTERVAL_US / 1e6
T2_S = MASTER_MULT * HB_INTERVAL_US / 1e6
SLOW_TX_S = 1.0  # [heartbeat] slow_tx_us, the default: RFC 5880 6.8.3's one second
# The master counts a worker alive until T2 + d_max + g after the last Init or
# Up packet it sent, with T2 computed from that packet's Desired Min TX: an
# Init sent during bring-up at the slow rate keeps a dead worker's tasks
# until MASTER_MULT x SLOW_TX_S (+ d_max + g) after the join. A fault is
# injected after that window, so that it measures the steady-state timers.
JOIN_WINDOW_S = MASTER_MULT * SLOW_TX_S + 0.15
DC_PORT = 4790
WORKER_PORT_BASE = 4800
WORKER_ID = 1
MASTER_IP = '10.77.0.1'
WORKER_IP = '10.77.0.11'

# The load: spin tasks busy 1 ms each on the worker, 200 per second.
LOAD = 'load start 200 spin 64 1000'

COMMON_INI = '''
[port]
port_id = 0
queues = 1
hb_steer = no

[lcores]
layout = combined
hb_lcore = {lcore}
poll_mode = backoff

[heartbeat]
interval_us = {interval}
master_detect_mult = {mmult}
worker_detect_mult = {wmult}
d_max_us = 100000
granularity_us = 50000

[channels]
count = 2
port = {dc_port}
probe_interval_us = 20000
probe_timeout_us = 400000
rto_min_us = 20000
rto_max_us = 200000
max_retx = 6
'''

MASTER_INI = '''[node]
role = master

[net]
ip = {master_ip}
''' + COMMON_INI + '''
[tasks]
max_outstanding = 64

[workers]
{worker_id} = {worker_ip}:{port_base}
'''

WORKER_INI = '''[node]
role = worker
worker_id = {worker_id}

[net]
ip = {worker_ip}
master_ip = {master_ip}
''' + COMMON_INI + '''port_base = {port_base}

[fence]
action = exit

[tasks]
max_outstanding = 64
'''

# Log levels: state changes (NOTICE) and per-task events (DEBUG) of the
# scheduler: the worker's "task N started/result sent", the master's
# reschedules and stale results.
LOG_ARGS = ['--log-level=user.tether.*:info', '--log-level=user.tether.sched:debug']


def skip(msg):
    print('SKIP: ' + msg)
    sys.stdout.flush()
    sys.exit(SKIP)


def now():
    """CLOCK_MONOTONIC in seconds: the clock of the apps' log stamps."""
    return time.monotonic()


def sh(args, check=True, timeout=30):
    """Run a command; return CompletedProcess (text). Raise on failure if check."""
    p = subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    if check and p.returncode != 0:
        raise RuntimeError('%s: status %d: %s' % (' '.join(args), p.returncode,
                                                  (p.stderr or p.stdout).strip()))
    return p


# ---- log parsing ------------------------------------------------------------------------------

LOG_RE = re.compile(r'^tether\.(\w+): \[(\d+)\.(\d{6})\] (master: )?worker (\d+) '
                    r'\(epoch (\d+)\): (.*)$')

# (kind, regex on the event text); groups are kept in Event.args.
KINDS = [
    ('hb-up', r'^heartbeat Up$'),
    ('hb-down', r'^heartbeat Down \((.*)\)$'),
    ('chan-up', r'^channel (\d+) up$'),
    ('chan-down', r'^channel (\d+) DOWN \((.*)\)$'),
    ('hb-silenced', r'^heartbeat silenced: channel (\d+) went down'),
    ('live', r'^live: all (\d+) channels up \(epoch (\d+)\)$'),
    ('fence', r'^FENCED: heartbeat lost; (\d+) task\(s\) aborted, action (\w+)$'),
    ('exit', r'^exit with status (\d+)$'),
    ('rejoin', r'^(?:accepted the re-join under|re-joined under) epoch (\d+) \(was (\d+)\)$'),
    ('worker-dead', r'^worker declared DEAD \(master timeout, T1\): (\d+) task\(s\) taken back$'),
    ('hb-reconnect', r'^heartbeat reconnected'),
    ('reschedule', r'^task (\d+) rescheduled as attempt \(epoch\) (\d+)$'),
    ('result-stale', r'^stale RESULT of task (\d+) rejected: (\S+)$'),
    ('task-start', r'^task (\d+) started$'),
    ('task-result', r'^task (\d+) result sent \((\S+)\)$'),
    ('cancel', r'^task (\d+) cancel'),
    ('cut', r'^channel (\d+) CUT'),
    ('restore', r'^channel (\d+) restored'),
    ('timers', r'^timers set'),
]
KIND_RES = [(k, re.compile(r)) for k, r in KINDS]

# State changes that must not happen in a run without a fault.
TROUBLE = ('hb-down', 'chan-down', 'hb-silenced', 'fence', 'exit', 'worker-dead',
           'hb-reconnect', 'reschedule', 'result-stale')


class Event:
    def __init__(self, t, node, worker, epoch, kind, args, text, src):
        self.t = t            # CLOCK_MONOTONIC seconds
        self.node = node      # 'master' or 'worker'
        self.worker = worker
        self.epoch = epoch
        self.kind = kind
        self.args = args
        self.text = text
        self.src = src        # which log ("master", "worker#1", ...)

    def __repr__(self):
        return '%.6f %-9s %-8s w%d e%d %s' % (self.t, self.src, self.node, self.worker,
                                              self.epoch, self.text)


def parse_log(text, src):
    """Timeline events of one process's stderr, in log order."""
    evs = []
    for line in text.splitlines():
        m = LOG_RE.match(line)
        if m is None:
            continue
        t = int(m.group(2)) + int(m.group(3)) / 1e6
        node = 'master' if m.group(4) else 'worker'
        body = m.group(7)
        kind, args = '?', ()
        for k, r in KIND_RES:
            mm = r.match(body)
            if mm:
                kind, args = k, mm.groups()
                break
        evs.append(Event(t, node, int(m.group(5)), int(m.group(6)), kind, args, body, src))
    return evs


SUMMARY_RES = {
    'tasks': re.compile(
        r'^tasks: submitted (\d+), finished (\d+) \(committed exactly once (\d+), status ok '
        r'(\d+), cancelled (\d+)\), in flight (\d+) \(pending (\d+)\), abandoned by stop (\d+)',
        re.M),
    'once': re.compile(r'^exactly-once: duplicates (\d+), commits of unknown tasks (\d+)(.*)$',
                       re.M),
    'sched': re.compile(r'^scheduler: assigned (\d+), rescheduled (\d+), stale results '
                        r'rejected (\d+)(.*), submits refused (\d+)$', re.M),
}


def parse_summary(out):
    """The last `show tasks summary` of a master's output, as a dict (None if absent)."""
    found = {}
    for key, r in SUMMARY_RES.items():
        ms = list(r.finditer(out))
        if not ms:
            return None
        found[key] = ms[-1].groups()
    t, o, s = found['tasks'], found['once'], found['sched']
    return {
        'submitted': int(t[0]), 'finished': int(t[1]), 'committed_once': int(t[2]),
        'status_ok': int(t[3]), 'cancelled': int(t[4]), 'in_flight': int(t[5]),
        'pending': int(t[6]), 'abandoned': int(t[7]),
        'duplicates': int(o[0]), 'unknown': int(o[1]), 'log_complete': o[2] == '',
        'assigned': int(s[0]), 'rescheduled': int(s[1]), 'stale': int(s[2]),
        'refused': int(s[4]),
    }


# ---- resources ----------------------------------------------------------------------------------


def telemetry(prefix, cmd, timeout=2.0):
    """One DPDK telemetry command ("/tether/stats") to the process of that file prefix.

    Returns the decoded JSON reply's value, or None if the socket cannot be reached.
    """
    import json
    import socket
    path = os.path.join('/var/run/dpdk', prefix, 'dpdk_telemetry.v2')
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as sock:
            sock.settimeout(timeout)
            sock.connect(path)
            hello = json.loads(sock.recv(1 << 16).decode())
            sock.send(cmd.encode())
            reply = json.loads(sock.recv(hello.get('max_output_len', 1 << 16)).decode())
    except (OSError, ValueError):
        return None
    # The reply is keyed by the command without its parameters.
    return reply.get(cmd.split(',', 1)[0])


class Proc:
    """One tether-pmd process, its output in files."""

    def __init__(self, run, name, argv, interactive=False):
        self.run = run
        self.name = name
        self.out_path = os.path.join(run.tmp, name + '.out')
        self.err_path = os.path.join(run.tmp, name + '.err')
        self.argv = argv
        self.outf = open(self.out_path, 'w')
        self.errf = open(self.err_path, 'w')
        self.t_start = now()
        # interactive: the app's prompt (-i) reads the commands send() writes to its stdin.
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE if interactive else
                                  subprocess.DEVNULL, stdout=self.outf, stderr=self.errf,
                                  text=interactive)
        self.t_exit = None
        self.rc = None
        run.procs.append(self)

    def poll(self):
        if self.rc is None:
            rc = self.p.poll()
            if rc is not None:
                self.rc = rc
                self.t_exit = now()
        return self.rc

    def wait(self, timeout):
        """Exit status, or None if still running after timeout seconds."""
        end = now() + timeout
        while self.poll() is None and now() < end:
            time.sleep(0.01)
        return self.rc

    def send(self, text):
        """Type command lines at the prompt of an interactive process; False if it is gone."""
        if self.p.stdin is None or self.poll() is not None:
            return False
        try:
            self.p.stdin.write(text)
            self.p.stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            return False
        return True

    def signal(self, sig):
        if self.poll() is None:
            try:
                os.kill(self.p.pid, sig)
            except ProcessLookupError:
                pass

    def stop(self, grace=5.0):
        """SIGCONT (a stopped process cannot die of SIGTERM), SIGTERM, then SIGKILL."""
        if self.poll() is None:
            self.signal(signal.SIGCONT)
            self.signal(signal.SIGTERM)
            if self.wait(grace) is None:
                self.signal(signal.SIGKILL)
                self.wait(grace)
        for f in (self.outf, self.errf, self.p.stdin):
            if f is not None and not f.closed:
                try:
                    f.close()
                except OSError:
                    pass
        return self.rc

    def out(self):
        with open(self.out_path, errors='replace') as f:
            return f.read()

    def err(self):
        with open(self.err_path, errors='replace') as f:
            return f.read()

    def events(self):
        return parse_log(self.err(), self.name)

    def wait_text(self, which, pattern, timeout):
        """Wait until the stdout ('out') or stderr ('err') of the process matches pattern.

        Returns the match, or None on timeout or when the process exited without it.
        """
        r = re.compile(pattern, re.M)
        end = now() + timeout
        while True:
            text = self.out() if which == 'out' else self.err()
            m = r.search(text)
            if m is not None:
                return m
            if self.poll() is not None or now() >= end:
                return None
            time.sleep(0.02)


class Run:
    """Everything one test creates, removed by cleanup() whatever happens."""

    def __init__(self, exe, case):
        self.exe = exe
        self.case = case
        self.tag = 'tt-sys-%d' % os.getpid()
        self.tmp = tempfile.mkdtemp(prefix='tether-system-%s-' % case)
        self.procs = []
        self.netns = []
        self.prefixes = []
        self.tap = Tap()
        self.cleaned = False
        atexit.register(self.cleanup)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._on_signal)

    def _on_signal(self, sig, frame):
        print('# signal %d: cleaning up' % sig)
        sys.stdout.flush()
        # SystemExit runs the finally blocks and atexit, which clean up.
        sys.exit(1)

    def prefix(self, role):
        p = '%s-%s' % (self.tag, role)
        self.prefixes.append(p)
        return p

    def eal_args(self, role, main_lcore, vdev):
        """EAL options of one process: both lcores (the other process polls on the other
        one), its own main lcore, no hugepages, no PCI, its own file prefix."""
        return ['-l', '0-1', '--main-lcore', str(main_lcore), '--no-huge', '-m', '256',
                '--no-pci', '--file-prefix=' + self.prefix(role), '--vdev=' + vdev] + LOG_ARGS

    def lcore_stats(self, role, label):
        """Print the polling lcore's counters of a running process (telemetry), for the
        record: timer lateness and sleeps say whether the VM starved it."""
        st = telemetry('%s-%s' % (self.tag, role), '/tether/stats')
        lc = (st or {}).get('lcore')
        if lc:
            self.tap.note('%s lcore: passes %s, busy %s permille, sleeps %s, deadlines %s, '
                          'latest timer %.1f ms late' % (
                              label, lc.get('passes'), lc.get('busy_permille'),
                              lc.get('sleeps'), lc.get('deadlines'),
                              lc.get('late_max_ns', 0) / 1e6))
        return lc

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, 'w') as f:
            f.write(text)
        return path

    def configs(self):
        """The master's and the worker's config files: same timers, distinct lcores."""
        v = dict(interval=HB_INTERVAL_US, mmult=MASTER_MULT, wmult=WORKER_MULT,
                 dc_port=DC_PORT, port_base=WORKER_PORT_BASE, worker_id=WORKER_ID,
                 master_ip=MASTER_IP, worker_ip=WORKER_IP)
        m = self.write('master.ini', MASTER_INI.format(lcore=1, **v))
        w = self.write('worker.ini', WORKER_INI.format(lcore=0, **v))
        return m, w

    def start(self, name, ns, eal, role, cfg, cmdfile=None, interactive=False):
        """Start one tether-pmd; interactive: with its prompt (-i) on a pipe (Proc.send)."""
        argv = [] if ns is None else ['ip', 'netns', 'exec', ns]
        argv += [self.exe] + eal + ['--', '--role', role, '--config', cfg]
        if cmdfile is not None:
            argv += ['--cmdfile', cmdfile]
        if interactive:
            argv += ['-i']
        return Proc(self, name, argv, interactive)

    # -- network namespaces --

    def ns(self, role):
        return '%s-%s' % (self.tag, role)

    def add_netns(self, role):
        name = self.ns(role)
        sh(['ip', 'netns', 'add', name])
        self.netns.append(name)
        # No IPv6 (no ND/MLD frames), set before any link appears in the namespace.
        for key in ('all', 'default'):
            sh(['ip', 'netns', 'exec', name, 'sysctl', '-qw',
                'net.ipv6.conf.%s.disable_ipv6=1' % key], check=False)
        sh(['ip', '-n', name, 'link', 'set', 'lo', 'up'])
        return name

    def wire(self):
        """wire: bridge br0 with ports pm and pw; veth pm<->eth0 in master, pw<->eth0 in worker.

        No addresses anywhere: the tether-pmd ports carry their own IPv4 (10.77.0.x)
        in their configs; the kernel interfaces only carry the frames.
        """
        w = self.add_netns('wire')
        m = self.add_netns('master')
        k = self.add_netns('worker')
        sh(['ip', '-n', w, 'link', 'add', 'br0', 'type', 'bridge'])
        sh(['ip', '-n', w, 'link', 'set', 'br0', 'up'])
        for port, ns in (('pm', m), ('pw', k)):
            sh(['ip', '-n', w, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0',
                'netns', ns])
            sh(['ip', '-n', w, 'link', 'set', port, 'master', 'br0', 'up'])
            sh(['ip', '-n', ns, 'link', 'set', 'eth0', 'up'])
        return w, m, k

    def in_ns(self, ns, args, check=True):
        return sh(['ip', 'netns', 'exec', ns] + args, check=check)

    # -- cleanup --

    def cleanup(self):
        if self.cleaned:
            return
        self.cleaned = True
        for p in self.procs:
            p.stop(grace=3.0)
        for ns in reversed(self.netns):
            sh(['ip', 'netns', 'del', ns], check=False)
        for p in self.prefixes:
            shutil.rmtree(os.path.join('/var/run/dpdk', p), ignore_errors=True)
        if os.environ.get('TETHER_SYSTEM_KEEP'):
            print('# kept the logs in ' + self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)
        sys.stdout.flush()

    def dump(self, procs=None):
        """The tails of every process's output, for a failed run."""
        for p in procs or self.procs:
            for which, text in (('stdout', p.out()), ('stderr', p.err())):
                lines = [ln for ln in text.splitlines() if not ln.startswith('VHOST_CONFIG')]
                print('# ---- %s %s (last 60 lines) ----' % (p.name, which))
                for ln in lines[-60:]:
                    print('# ' + ln)
        sys.stdout.flush()

    def finish(self):
        t = self.tap
        print('1..%d' % t.n)
        if t.failed:
            self.dump()
        sys.stdout.flush()
        self.cleanup()
        sys.exit(1 if t.failed else 0)


def require_root_and_tools(tools, why='network namespaces, tc, BPF'):
    if os.geteuid() != 0:
        skip('needs root (%s)' % why)
    for tool in tools:
        if shutil.which(tool) is None:
            skip('needs %s' % tool)


# ---- the checks -----------------------------------------------------------------------------


def fmt_events(evs):
    return '\n'.join(repr(e) for e in evs)


def check_exactly_once(t, s, label='master'):
    """From the master's end-of-run summary: every task committed exactly once, none lost."""
    if not t.ok(s is not None, '%s printed its task summary' % label):
        return False
    t.ok(s['submitted'] > 0, 'tasks submitted under load (%d)' % s['submitted'])
    t.ok(s['refused'] == 0, 'no submit refused (%d)' % s['refused'])
    t.ok(s['finished'] == s['submitted'] and s['in_flight'] == 0 and s['pending'] == 0,
         'none lost: finished %d of %d, in flight %d, pending %d'
         % (s['finished'], s['submitted'], s['in_flight'], s['pending']))
    t.ok(s['committed_once'] == s['submitted'] and s['cancelled'] == 0,
         'every task committed exactly once (%d of %d)' % (s['committed_once'], s['submitted']))
    t.ok(s['status_ok'] == s['committed_once'],
         'every committed result has status ok (%d)' % s['status_ok'])
    t.ok(s['duplicates'] == 0 and s['unknown'] == 0 and s['log_complete'],
         'no duplicate commit, no commit of an unknown task, every commit checked')
    return True


def check_worker_tasks(t, s, master_evs, worker_runs, killed=()):
    """Cross-check the worker logs against the master's summary and reschedules.

    worker_runs: [(name, events)] for each worker incarnation, in start order.
    killed: names of incarnations ended by SIGKILL: their log misses the events
    of their last few ms (recorded, never drained and printed), so the count of
    results they sent is a lower bound only.
    """
    results = {}   # task -> [(incarnation index, epoch, time)]
    for i, (name, evs) in enumerate(worker_runs):
        fence = [e for e in evs if e.kind == 'fence']
        t_fence = fence[0].t if fence else None
        after = [e for e in evs if e.kind in ('task-start', 'task-result')
                 and t_fence is not None and e.t > t_fence]
        t.ok(not after, '%s: no task started and no result sent after its fence' % name,
             fmt_events(after[:20]))
        for e in evs:
            if e.kind == 'task-result':
                results.setdefault(int(e.args[0]), []).append((i, e.epoch, e.t))
    resched = [e for e in master_evs if e.kind == 'reschedule']
    resched_ids = {}
    for e in resched:
        resched_ids[int(e.args[0])] = resched_ids.get(int(e.args[0]), 0) + 1
    twice = [k for k, v in resched_ids.items() if v > 1]
    t.ok(not twice, 'no task rescheduled more than once (%d rescheduled)' % len(resched_ids),
         str(twice[:20]))
    if s is not None and not killed:
        t.ok(len(results) >= s['committed_once'],
             'the workers sent a result for %d distinct tasks, the master committed %d'
             % (len(results), s['committed_once']))
    elif s is not None:
        t.note('the workers logged results for %d distinct tasks, the master committed %d '
               '(%s killed: its last events never reached its log)'
               % (len(results), s['committed_once'], ', '.join(killed)))
    # A task whose result went out from two incarnations must be one the master took back.
    dup = [k for k, v in results.items() if len({inc for inc, _, _ in v}) > 1
           and k not in resched_ids]
    t.ok(not dup, 'results from two worker incarnations only for rescheduled tasks',
         str(dup[:20]))
    if len(worker_runs) > 1:
        # Every task the master took back ran again on the re-joined worker.
        redone = [k for k in resched_ids
                  if not any(inc > 0 for inc, _, _ in results.get(k, []))]
        t.ok(not redone, 'every rescheduled task ran again on the re-joined worker '
             '(%d tasks)' % len(resched_ids), str(redone[:20]))
        # The new incarnation's work starts after the old one's last event.
        for i in range(1, len(worker_runs)):
            prev = worker_runs[i - 1][1]
            cur = [e for e in worker_runs[i][1] if e.kind == 'task-start']
            if prev and cur:
                t.ok(cur[0].t > prev[-1].t,
                     '%s starts tasks (%.6f) after %s ended (%.6f): never two at once'
                     % (worker_runs[i][0], cur[0].t, worker_runs[i - 1][0], prev[-1].t))
    return resched_ids


def check_reschedule_accounting(t, s, master_evs):
    """The summary's counters against the master's own log lines."""
    dead = [e for e in master_evs if e.kind == 'worker-dead']
    taken = sum(int(e.args[0]) for e in dead)
    resched = [e for e in master_evs if e.kind == 'reschedule']
    stale = [e for e in master_evs if e.kind == 'result-stale']
    if s is None:
        return
    t.ok(s['rescheduled'] == taken == len(resched),
         'rescheduled %d = tasks taken back at worker-dead %d = reschedule lines %d'
         % (s['rescheduled'], taken, len(resched)))
    t.ok(s['stale'] == len(stale),
         'stale results rejected and counted: %d = %d stale lines' % (s['stale'], len(stale)))


def no_trouble(t, evs, label, t_from, t_to):
    bad = [e for e in evs if e.kind in TROUBLE and t_from <= e.t < t_to]
    t.ok(not bad, '%s: no timeout, channel down, fence or reschedule during the run' % label,
         fmt_events(bad[:30]))


def first(evs, kind, after=None, node=None, epoch=None):
    for e in evs:
        if e.kind != kind or (after is not None and e.t < after):
            continue
        if node is not None and e.node != node:
            continue
        if epoch is not None and e.epoch != epoch:
            continue
        return e
    return None


def ms(a, b):
    """b - a in ms, or None."""
    if a is None or b is None:
        return None
    return (b - a) * 1e3


def fmt_ms(v):
    return '-' if v is None else '%.1f' % v


def report(case, rows):
    """One machine-readable line for the README's table."""
    print('# RESULT %s %s' % (case, ' '.join('%s=%s' % kv for kv in rows)))
    sys.stdout.flush()


# ---- the fault matrix's checks (netns_test.py) ------------------------------------------------


def task_intervals(worker_runs, ends):
    """When each worker incarnation held each task: {task: [(name, epoch, t_start, t_end)]}.

    A task runs from its "started" event to its "result sent" event; a task with no
    result ran until its incarnation stopped acting: its fence, else ends[name] (the
    SIGKILL, or the process's exit), else the end of its log.
    """
    spans = {}
    for name, evs in worker_runs:
        fence = first(evs, 'fence')
        stop = fence.t if fence else ends.get(name, evs[-1].t if evs else 0.0)
        open_ = {}
        for e in evs:
            if e.kind == 'task-start':
                open_[(int(e.args[0]), e.epoch)] = e.t
            elif e.kind == 'task-result':
                key = (int(e.args[0]), e.epoch)
                t0 = open_.pop(key, e.t)
                spans.setdefault(key[0], []).append((name, key[1], t0, e.t))
        for (task, epoch), t0 in open_.items():
            spans.setdefault(task, []).append((name, epoch, t0, max(t0, stop)))
    return spans


def check_no_overlap(t, worker_runs, ends):
    """Never two workers executing one task at once: the execution intervals of a task in
    different incarnations or epochs are disjoint. Returns how many tasks ran more than once."""
    spans = task_intervals(worker_runs, ends)
    bad = []
    multi = 0
    for task, sp in spans.items():
        if len(sp) < 2:
            continue
        multi += 1
        sp = sorted(sp, key=lambda x: x[2])
        for a, b in zip(sp, sp[1:]):
            if (a[0], a[1]) != (b[0], b[1]) and b[2] < a[3]:
                bad.append('task %d: %s epoch %d ran %.6f..%.6f, %s epoch %d from %.6f'
                           % (task, a[0], a[1], a[2], a[3], b[0], b[1], b[2]))
    t.ok(not bad, 'never two workers executing one task at once (%d tasks ran in more than '
         'one incarnation or epoch; their intervals are disjoint)' % multi, '\n'.join(bad[:20]))
    return multi


def check_fence_first(t, master_evs, worker_runs, gone, starts, t_until):
    """Every worker incarnation the master declared dead had stopped acting first.

    The incarnation of a declaration is the last one started before it (starts:
    {name: start time}; a worker is only started again once the master declared
    the one before dead). Declarations from t_until on (the end of the run, when
    the test stops the last worker) are not faults and are left out.
    gone: {incarnation name: time} for incarnations that stop without a fence line of
    their own (SIGKILL: the kill; SIGSTOP: the stop, after which it cannot act and on
    waking it fences before it touches a task). Otherwise the incarnation's fence.
    Returns the margins (declaration - stop) in ms, smallest first.
    """
    margins = []
    deads = [e for e in master_evs if e.kind == 'worker-dead' and e.t < t_until]
    resched = [e for e in master_evs if e.kind == 'reschedule']
    runs = dict(worker_runs)
    for i, d in enumerate(deads):
        # The reschedules of this declaration: after the one before, up to the next.
        t_prev = deads[i - 1].t if i > 0 else float('-inf')
        t_next = deads[i + 1].t if i + 1 < len(deads) else float('inf')
        mine = [e for e in resched if t_prev < e.t <= t_next]
        before = [n for n, _ in worker_runs if starts[n] < d.t]
        if not t.ok(before, 'master declared the worker dead at %.6f: a worker incarnation '
                    'had been started before' % d.t):
            continue
        name = before[-1]
        evs = runs[name]
        fence = first(evs, 'fence')
        t_gone = gone.get(name, fence.t if fence else None)
        t.ok(t_gone is not None and t_gone < d.t,
             '%s stopped acting (%s at %s) before the master declared it dead (%.6f)'
             % (name, 'signal' if name in gone else 'fence',
                '-' if t_gone is None else '%.6f' % t_gone, d.t), fmt_events(evs[-20:]))
        late = [e for e in mine if t_gone is None or e.t <= t_gone]
        t.ok(not late, 'all %d reschedules of its tasks came after %s stopped acting'
             % (len(mine), name), fmt_events(late[:10]))
        if t_gone is not None:
            margins.append((d.t - t_gone) * 1e3)
    return sorted(margins)


def recovery(master_evs, worker_runs, stale_ids, t_clear, rejoined):
    """After a fault clears: (t_up, t_commit, n_after).

    t_up: sessions Up again: the master's first "live" after t_clear if the worker
    had to re-join, else t_clear (they never went down). t_commit: the first result
    sent after t_up that the master did not reject as stale (it committed it, as the
    exactly-once check confirms). n_after: distinct tasks committed that way.
    """
    if rejoined:
        live = first(master_evs, 'live', after=t_clear)
        t_up = live.t if live else None
    else:
        t_up = t_clear
    if t_up is None:
        return None, None, 0
    res = sorted((e.t, int(e.args[0])) for _, evs in worker_runs for e in evs
                 if e.kind == 'task-result' and e.t >= t_up and int(e.args[0]) not in stale_ids)
    return t_up, (res[0][0] if res else None), len({k for _, k in res})


def result_row(case, fault, outcome, recovery_ms, s, stale, margins, extra=()):
    """The fault matrix's row of one case (the README's table), machine-readable."""
    rows = [('fault', fault), ('outcome', outcome), ('recovery_ms', fmt_ms(recovery_ms)),
            ('committed', s['committed_once'] if s else '-'),
            ('duplicates', s['duplicates'] if s else '-'),
            ('lost', (s['submitted'] - s['committed_once']) if s else '-'),
            ('stale_rejected', stale),
            ('fence_margin_ms', fmt_ms(margins[0]) if margins else '-')]
    report(case, rows + list(extra))
