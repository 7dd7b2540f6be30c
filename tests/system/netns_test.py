#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The fault matrix: tether-pmd master and worker in their own network
namespaces, on net_af_packet ports over veth pairs through a "wire"
namespace (a bridge), under a load of tasks, one fault per case.

Usage: netns_test.py TETHER_PMD CASE [BPF_SOURCE]
CASE (how the fault is injected; what must happen):
  steady     no fault for 15 s: no timeout, no fence, every task committed once
  dc_drop    wire: a BPF classifier on both bridge ports drops the data-channel
             packets (UDP port 4790) while heartbeats pass: the worker's
             channels go down, it silences its heartbeat, fences and exits 75
             before the master declares it dead and reschedules its tasks
  all_drop   wire: the classifier drops every UDP packet, heartbeats and data
             (ARP passes): both heartbeats time out, the worker fences (T2)
             and exits 75 before the master's T1; then the filter goes
  link_down  wire: the worker's bridge port goes down: both sides time out,
             the worker fences (exit 75) before the master reschedules; then
             the port comes back up
  kill       SIGKILL the worker: the master reschedules after T1
  stop       SIGSTOP the worker for longer than T1, then SIGCONT: the master
             reschedules during the stop; the worker, on waking, fences
             before it touches a task (no result after waking, or rejected
             as stale) and exits 75
  loss30     wire: the classifier drops 30 % of every UDP packet, both ways,
             at random (bpf_get_prandom_u32) for 5 s: the engine either rides
             it out with retransmissions (no fence) or fences cleanly; both
             pass if the safety properties hold; the row says which
  delay      shim: 5 ms + up to 2 ms of jitter on the heartbeat and both
             channels, both ways (each process delays what it sends) for 5 s:
             ridden out (far below d_max 100 ms and the 400 ms probe timeout)
  reorder    shim: 30 % of the channels' packets, both ways, held back and
             sent after the next one (at most 10 ms) for 5 s: ridden out
  dup        shim: 30 % of the heartbeat's and the channels' packets, both
             ways, sent twice for 5 s: ridden out, no duplicate commit
Where the fault made the worker fence, it is started again once the fault
is cleared (as its supervisor would on status 75): it re-joins under a new
epoch and the load goes on. Faults that take the worker down come once the
load has run past systest.JOIN_WINDOW_S (10.7 s) after the join, so that
they meet the steady-state timers; the shim faults (ridden out) come after
2 s. Every case checks from both processes' logs: every task committed
exactly once, none lost, no task rescheduled twice, no two worker
incarnations executing one task at once, every incarnation the master
declared dead stopped acting before its tasks were rescheduled, stale
results counted, recovery once the fault clears (sessions Up, tasks
committed after), and prints its row of the fault matrix ("# RESULT ...").
Needs root; exits 77 (SKIP) otherwise.
"""
import os
import platform
import re
import signal
import sys
import time

import systest as st

PRE_FAULT_S = st.JOIN_WINDOW_S + 0.5  # load before a fault that fences (see JOIN_WINDOW_S)
PRE_SHIM_S = 2.0     # load before a fault that is ridden out
STEADY_MS = 15000    # the steady case's load
STOP_S = 1.5         # SIGSTOP length: T1 is 0.5 s
FAULT_S = 5.0        # loss30 and the shim faults last this long
AFTER_S = 2.0        # load after recovery
RECOVER_S = 25.0     # longest wait for the re-join after the fault clears

# Wire faults: (UDP port, 0 for every UDP packet; drop probability in ppm).
WIRE = {'dc_drop': (st.DC_PORT, 1000000), 'all_drop': (0, 1000000), 'loss30': (0, 300000)}

# Shim faults: the commands each process runs on what it sends ({w}: the worker).
SHIM = {
    'delay': ['fault delay worker {w} hb 5000 2000', 'fault delay worker {w} channel 0 5000 2000',
              'fault delay worker {w} channel 1 5000 2000'],
    'reorder': ['fault reorder worker {w} channel 0 30 10000',
                'fault reorder worker {w} channel 1 30 10000'],
    'dup': ['fault dup worker {w} hb 30', 'fault dup worker {w} channel 0 30',
            'fault dup worker {w} channel 1 30'],
}
# What each shim fault must have done to the channels' packets (telemetry counter).
SHIM_CTR = {'delay': 'shim_pkts_delayed', 'reorder': 'shim_pkts_reordered',
            'dup': 'shim_pkts_duplicated'}
SHIM_ECHO = {'delay': r'delay 5000 us \+ jitter up to 2000 us',
             'reorder': r'holding 30% of packets behind the next one \(at most 10000 us\)',
             'dup': r'duplicating 30% of packets'}

# How each case is injected, for its row of the matrix.
HOW = {
    'steady': 'none',
    'dc_drop': 'wire-bpf-udp4790-100%',
    'all_drop': 'wire-bpf-all-udp-100%',
    'link_down': 'wire-bridge-port-down-up',
    'kill': 'SIGKILL-worker',
    'stop': 'SIGSTOP-1.5s-SIGCONT',
    'loss30': 'wire-bpf-all-udp-30%-random-5s',
    'delay': 'shim-hb+dc-5ms+2ms-jitter-both-ways-5s',
    'reorder': 'shim-dc-30%-held-10ms-both-ways-5s',
    'dup': 'shim-hb+dc-30%-both-ways-5s',
}
FENCING = ('dc_drop', 'all_drop', 'link_down', 'kill', 'stop')
RIDDEN = ('delay', 'reorder', 'dup')
CASES = tuple(HOW)

# The load: 200 spin tasks a second, each 50 ms long on the worker (a timer, no CPU), so
# that about ten are executing whenever a fault strikes: those are the tasks a fenced
# worker aborts and the master gives to the next incarnation, whose execution intervals
# check_no_overlap() compares.
LOAD = 'load start 200 spin 64 50000'
START_CMD = 'wait live 30000\n{load}\n'
END_CMD = '''load stop
wait tasks 30000
show tasks summary
show workers
sleep 1500
quit
'''
END_MARK = r'^tether> sleep 1500$'


class Case:
    def __init__(self, exe, case, bpf_src):
        self.case = case
        self.bpf_src = bpf_src
        self.run = st.Run(exe, case)
        self.t = self.run.tap
        self.workers = []   # Proc per incarnation
        self.gone = {}      # incarnation -> when a signal stopped it acting
        self.t_fault = None
        self.t_clear = None
        self.t_cont = None
        self.shim_seen = {}
        self.retx = None

    # -- set-up --

    def setup(self):
        wire = self.case in WIRE
        st.require_root_and_tools(['ip', 'tc'] + (['clang'] if wire else []))
        if wire:
            self.bpf_obj = self.build_bpf(*WIRE[self.case])
        try:
            self.wns, self.mns, self.kns = self.run.wire()
        except RuntimeError as e:
            st.skip('cannot build the namespaces and the bridge: %s' % e)
        if wire:
            for port in ('pm', 'pw'):
                p = self.run.in_ns(self.wns, ['tc', 'qdisc', 'add', 'dev', port, 'clsact'],
                                   check=False)
                if p.returncode != 0:
                    st.skip('no clsact qdisc: %s' % p.stderr.strip())
            # Whether this kernel has cls_bpf at all, with a one-instruction classic BPF
            # program (accept): a missing feature skips here, before the run, so that a
            # failure to attach our own filter later is a failure, not a skip.
            p = self.run.in_ns(self.wns, ['tc', 'filter', 'add', 'dev', 'pm', 'ingress', 'bpf',
                                          'bytecode', '1,6 0 0 4294967295'], check=False)
            if p.returncode != 0:
                st.skip('cannot attach a BPF classifier (cls_bpf): %s' % p.stderr.strip())
            self.run.in_ns(self.wns, ['tc', 'filter', 'del', 'dev', 'pm', 'ingress'],
                           check=False)
        self.mcfg, self.wcfg = self.run.configs()

    def build_bpf(self, port, ppm):
        inc = '/usr/include/bpf/bpf_helpers.h'
        if not os.path.exists(inc):
            st.skip('needs the libbpf headers (%s, package libbpf-dev)' % inc)
        obj = os.path.join(self.run.tmp, 'wire_drop.o')
        arch = '/usr/include/%s-linux-gnu' % platform.machine()
        p = st.sh(['clang', '-O2', '-g', '-target', 'bpf', '-DTT_DROP_PORT=%d' % port,
                   '-DTT_DROP_PPM=%d' % ppm, '-I' + arch, '-c', self.bpf_src, '-o', obj],
                  check=False, timeout=120)
        self.t.ok(p.returncode == 0, 'BPF drop filter builds (clang -target bpf, port %d, '
                  '%d ppm)' % (port, ppm), p.stderr)
        if p.returncode != 0:
            self.run.finish()
        return obj

    def start_worker(self):
        n = len(self.workers) + 1
        eal = self.run.eal_args('worker%d' % n, 1, 'net_af_packet0,iface=eth0')
        # Only the shim cases type commands at the worker: the others run it as deployed.
        w = self.run.start('worker#%d' % n, self.kns, eal, 'worker', self.wcfg,
                           interactive=self.case in SHIM)
        self.workers.append(w)
        return w

    def start_master(self):
        eal = self.run.eal_args('master', 0, 'net_af_packet0,iface=eth0')
        self.master = self.run.start('master', self.mns, eal, 'master', self.mcfg,
                                     interactive=True)
        self.master.send(START_CMD.format(load=LOAD))

    # -- faults --

    def bpf(self, on):
        for port in ('pm', 'pw'):
            args = ['tc', 'filter', 'add', 'dev', port, 'ingress', 'bpf', 'da', 'obj',
                    self.bpf_obj, 'sec', 'tc'] if on else \
                ['tc', 'filter', 'del', 'dev', port, 'ingress']
            p = self.run.in_ns(self.wns, args, check=False)
            self.t.ok(p.returncode == 0, 'tc filter %s on bridge port %s'
                      % ('attached' if on else 'removed', port), p.stderr)

    def link(self, up):
        p = self.run.in_ns(self.wns, ['ip', 'link', 'set', 'pw', 'up' if up else 'down'],
                           check=False)
        self.t.ok(p.returncode == 0, 'bridge port pw set %s' % ('up' if up else 'down'),
                  p.stderr)

    def shim(self, on):
        """Type the case's fault commands (or `fault clear`) at both processes."""
        w = st.WORKER_ID
        text = ''.join(c.format(w=w) + '\n' for c in SHIM[self.case]) if on else \
            'fault clear worker %d\n' % w
        for p in (self.master, self.workers[-1]):
            self.t.ok(p.send(text), '%s: fault commands typed at its prompt (%s)'
                      % (p.name, 'set' if on else 'clear'))

    def inject(self):
        w = self.workers[0]
        if self.case in WIRE:
            self.bpf(True)
        elif self.case in SHIM:
            self.shim(True)
        elif self.case == 'link_down':
            self.link(False)
        elif self.case == 'kill':
            w.signal(signal.SIGKILL)
        elif self.case == 'stop':
            w.signal(signal.SIGSTOP)
        self.t_fault = st.now()
        if self.case in ('kill', 'stop'):
            self.gone[w.name] = self.t_fault

    def lift(self):
        if self.case in WIRE:
            self.bpf(False)
        elif self.case in SHIM:
            self.shim(False)
        elif self.case == 'link_down':
            self.link(True)
        self.t_clear = st.now()

    def chan_sum(self, key):
        """{process name: sum of a /tether/channels counter over its channels} (None: no
        reply, e.g. the worker is gone)."""
        sums = {}
        for role, proc in (('master', self.master), ('worker%d' % len(self.workers),
                                                     self.workers[-1])):
            ch = st.telemetry('%s-%s' % (self.run.tag, role),
                              '/tether/channels,%d' % st.WORKER_ID)
            sums[proc.name] = None if not isinstance(ch, dict) else \
                sum(v.get(key, 0) for v in ch.values() if isinstance(v, dict))
        return sums

    def fenced_fault(self):
        """A fault that takes the worker down: wait for it to end, then clear the fault."""
        t, w, m = self.t, self.workers[0], self.master
        if self.case == 'stop':
            rest = self.t_fault + STOP_S - st.now()
            if rest > 0:
                time.sleep(rest)
            w.signal(signal.SIGCONT)
            self.t_cont = st.now()
        rc = w.wait(20)
        want = {'kill': -signal.SIGKILL}.get(self.case, 75)
        t.ok(rc == want, 'first worker ended with status %s (got %s)' % (want, rc))
        if rc is None:
            w.stop()  # never two incarnations on one port
        dead = m.wait_text('err', r'master: worker \d+ \(epoch \d+\): worker declared DEAD', 10)
        t.ok(dead is not None, 'master declared the worker dead')
        self.lift()

    def timed_fault(self):
        """loss30 and the shim faults: FAULT_S long whatever happens, then cleared."""
        w = self.workers[0]
        end = self.t_fault + FAULT_S
        retx0 = self.retx_at_fault
        time.sleep(FAULT_S - 1.0)
        if self.case in SHIM:
            self.shim_seen = self.chan_sum(SHIM_CTR[self.case])
        while st.now() < end:
            time.sleep(0.05)
        retx1 = self.chan_sum('retransmits')
        self.lift()
        # Data-channel retransmissions during the fault, both ends (while the worker lives).
        self.retx = sum((retx1[k] or 0) - (retx0.get(k) or 0) for k in retx1) \
            if all(v is not None for v in retx1.values()) else None
        if w.poll() is not None:
            self.t.note('%s ended during the fault with status %s' % (w.name, w.rc))

    def wait_dead_then_restart(self):
        """If the last worker has ended: once the master has taken its tasks back, start
        the next incarnation (never two on one port, never one the master still holds)."""
        w = self.workers[-1]
        if w.poll() is None:
            return False
        t_end = st.now() + 15
        while st.now() < t_end:
            if any(e.kind == 'worker-dead' and e.t >= w.t_start for e in self.master.events()):
                break
            time.sleep(0.05)
        self.start_worker()
        return True

    def wait_live(self, after, timeout):
        end = st.now() + timeout
        while st.now() < end:
            if any(e.kind == 'live' and e.t > after for e in self.master.events()):
                return True
            if self.master.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    # -- the run --

    def execute(self):
        t = self.t
        case = self.case
        self.start_worker()
        self.start_master()
        live = self.master.wait_text('err', r'master: worker \d+ \(epoch \d+\): live:', 30)
        if not t.ok(live is not None, 'the worker joined and went live'):
            self.run.finish()
        self.rejoined = False
        if case == 'steady':
            time.sleep(STEADY_MS / 1000.0)
        else:
            time.sleep(PRE_SHIM_S if case in SHIM else PRE_FAULT_S)
            if case not in FENCING:
                self.retx_at_fault = self.chan_sum('retransmits')
            self.inject()
            if case in FENCING:
                self.fenced_fault()
            else:
                self.timed_fault()
            self.rejoined = self.wait_dead_then_restart()
            if self.rejoined:
                t.ok(self.wait_live(self.t_clear, RECOVER_S),
                     'the worker re-joined after the fault cleared')
            time.sleep(AFTER_S)
        self.master.send(END_CMD)
        end = self.master.wait_text('out', END_MARK, 90)
        t.ok(end is not None, 'master ran its commands to the end')
        self.t_end = st.now()
        self.run.lcore_stats('master', 'master')
        self.run.lcore_stats('worker%d' % len(self.workers), 'last worker')
        last = self.workers[-1]
        last.signal(signal.SIGTERM)
        rc = last.wait(10)
        t.ok(rc == 0, 'the last worker stopped on SIGTERM with status 0 (got %s)' % rc)
        rc = self.master.wait(15)
        t.ok(rc == 0, 'master exited with status 0 (got %s)' % rc)
        self.check()

    # -- checks --

    def check(self):
        t, case = self.t, self.case
        m_evs = self.master.events()
        w_runs = [(w.name, w.events()) for w in self.workers]
        ends = {w.name: w.t_exit for w in self.workers if w.t_exit is not None}
        ends.update(self.gone)
        s = st.parse_summary(self.master.out())
        errs = [ln for p in [self.master] + self.workers for ln in p.out().splitlines()
                if ln.startswith('error:')]
        t.ok(not errs, 'no command failed at either prompt', '\n'.join(errs))
        st.check_exactly_once(t, s)
        st.check_reschedule_accounting(t, s, m_evs)
        st.check_worker_tasks(t, s, m_evs, w_runs,
                              killed=[self.workers[0].name] if case == 'kill' else [])
        st.check_no_overlap(t, w_runs, ends)
        margins = st.check_fence_first(t, m_evs, w_runs, self.gone,
                                       {w.name: w.t_start for w in self.workers}, self.t_end)
        w1 = w_runs[0][1]
        results = sum(1 for e in w1 if e.kind == 'task-result')
        t.ok(results > 0, 'the first worker sent results (%d)' % results)
        stale = s['stale'] if s else '-'
        t.note('stale results rejected and counted: %s' % stale)
        if case == 'steady':
            st.no_trouble(t, m_evs, 'master', 0, self.t_end)
            st.no_trouble(t, w1, 'worker', 0, self.t_end)
            t.ok(s is not None and s['rescheduled'] == 0 and s['stale'] == 0,
                 'nothing rescheduled, nothing stale')
            lives = [e for e in m_evs if e.kind == 'live']
            t.ok(len(lives) == 1, 'one join over the run (%d)' % len(lives))
            st.result_row(case, HOW[case], 'no-fault', None, s, stale, margins)
            return
        self.check_fault(m_evs, w_runs, s, margins, stale)

    def check_fault(self, m_evs, w_runs, s, margins, stale):
        t, case, tf = self.t, self.case, self.t_fault
        w1 = w_runs[0][1]
        # The declaration that follows the fault (not the one after the test stopped the
        # last worker at the end).
        dead = st.first(m_evs, 'worker-dead', after=tf)
        if dead is not None and dead.t >= self.t_end:
            dead = None
        resched = [e for e in m_evs if e.kind == 'reschedule']
        fence = st.first(w1, 'fence')
        silenced = st.first(w1, 'hb-silenced', after=tf)
        before = [e for e in m_evs + w1 if e.kind in st.TROUBLE and e.t < tf]
        t.ok(not before, 'no timeout or fence before the fault', st.fmt_events(before))
        if case in FENCING:
            t.ok(dead is not None, 'master: worker declared dead after the fault',
                 st.fmt_events(m_evs[-30:]))
        if case in ('dc_drop', 'all_drop', 'link_down', 'stop'):
            t.ok(fence is not None, 'worker fenced itself', st.fmt_events(w1[-30:]))
            ex = st.first(w1, 'exit')
            t.ok(ex is not None and ex.args[0] == '75', 'worker logged exit with status 75')
        if case in ('dc_drop', 'all_drop', 'link_down') and fence is not None \
                and dead is not None:
            t.ok(fence.t < dead.t, 'worker fenced (%.6f) before the master declared it dead '
                 '(%.6f): margin %.1f ms' % (fence.t, dead.t, (dead.t - fence.t) * 1e3))
            late = [e for e in resched if e.t <= fence.t]
            t.ok(not late, 'every reschedule after the fence', st.fmt_events(late[:10]))
            t.ok(fence.t - tf < st.T1_S + 1.5 and dead.t - tf < st.T1_S + 1.5,
                 'fence (%.1f ms) and reschedule (%.1f ms) within T1 + 1.5 s of the fault'
                 % ((fence.t - tf) * 1e3, (dead.t - tf) * 1e3))
        if case == 'dc_drop':
            first_bad = [e for e in w1 if e.kind in st.TROUBLE and e.t >= tf][:1]
            t.ok(first_bad and first_bad[0].kind == 'chan-down',
                 'worker: a data channel went down first (heartbeats still passed)',
                 st.fmt_events(first_bad))
            t.ok(silenced is not None and fence is not None and silenced.t <= fence.t,
                 'worker: the channel down silenced the heartbeat before the fence')
            mfirst = [e for e in m_evs if e.kind in st.TROUBLE and e.t >= tf][:1]
            t.ok(mfirst and mfirst[0].kind == 'chan-down',
                 'master: a data channel went down first', st.fmt_events(mfirst))
        if case in ('all_drop', 'link_down'):
            hbd = st.first(w1, 'hb-down', after=tf)
            mhbd = st.first(m_evs, 'hb-down', after=tf)
            t.ok(hbd is not None and 'Detection Time Expired' in hbd.args[0],
                 'worker: heartbeat timed out', st.fmt_events(w1[-20:]))
            t.ok(mhbd is not None and 'Detection Time Expired' in mhbd.args[0],
                 'master: heartbeat timed out', st.fmt_events(m_evs[-20:]))
        if case == 'kill' and dead is not None:
            t.ok(dead.t - tf >= st.T1_S - st.HB_INTERVAL_US / 1e6 - 0.02,
                 'master waited its detection time T1 (%.1f ms after the kill, T1 %.0f ms)'
                 % ((dead.t - tf) * 1e3, st.T1_S * 1e3))
            t.ok(dead.t - tf < st.T1_S + 1.5,
                 'master rescheduled within T1 + 1.5 s of the kill (%.1f ms)'
                 % ((dead.t - tf) * 1e3))
        if case == 'stop':
            tc = self.t_cont
            t.ok(dead is not None and tf < dead.t < tc,
                 'master declared the worker dead during the stop')
            t.ok(fence is not None and fence.t >= tc - 0.005,
                 'worker fenced on waking (%.1f ms after SIGCONT)'
                 % (((fence.t - tc) * 1e3) if fence else -1))
            # From SIGCONT on (5 ms of slack for the stamp: an event recorded just before
            # the stop is drained and stamped only after the wake, a second later, through
            # the TSC frequency estimate).
            woke = [e for e in w1 if e.kind in ('task-start', 'task-result')
                    and e.t >= tc - 0.005]
            t.ok(not woke, 'worker: no task started and no result sent after waking '
                 '(its timer checked first)', st.fmt_events(woke[:10]))
        if case in SHIM:
            self.check_shim(m_evs, w_runs)
        # Recovery once the fault cleared.
        stale_ids = {int(e.args[0]) for e in m_evs if e.kind == 'result-stale'}
        t_up, t_commit, n_after = st.recovery(m_evs, w_runs, stale_ids, self.t_clear,
                                              self.rejoined)
        if self.rejoined:
            e1 = w1[0].epoch if w1 else 0
            live2 = st.first(m_evs, 'live', after=self.t_clear)
            t.ok(live2 is not None and live2.epoch > e1, 're-joined under a newer epoch '
                 '(%s > %d)' % (live2.epoch if live2 else '-', e1))
            w2 = w_runs[-1][1]
            results2 = sum(1 for e in w2 if e.kind == 'task-result')
            t.ok(results2 > 0, 'the re-joined worker ran tasks (%d results)' % results2)
            if live2:
                st.no_trouble(t, m_evs, 'master after recovery', live2.t, self.t_end)
                st.no_trouble(t, w2, 'worker after recovery', live2.t, self.t_end)
            outcome = 'fenced+rejoined'
        else:
            # Ridden out: the sessions never went down, nothing was rescheduled.
            st.no_trouble(t, m_evs, 'master', 0, self.t_end)
            st.no_trouble(t, w1, 'worker', 0, self.t_end)
            outcome = 'ridden-out'
        if case == 'loss30':
            t.note('30 %% loss for %.0f s: %s' % (FAULT_S, outcome))
            # Either outcome is fine, but the loss must have happened: a filter that
            # dropped nothing would pass as "ridden out".
            t.ok(self.rejoined or (self.retx or 0) > 0,
                 'the loss was felt: %s retransmissions during the fault, or a fence'
                 % self.retx)
        t.ok(t_commit is not None and n_after > 0,
             'tasks committed after recovery (%d), the first %s ms after the fault cleared'
             % (n_after, st.fmt_ms(st.ms(self.t_clear, t_commit))))
        if self.rejoined and t_up is not None:
            t.note('fault cleared -> sessions Up again %.1f ms -> first commit %.1f ms'
                   % (st.ms(self.t_clear, t_up), st.ms(self.t_clear, t_commit) or -1))
        st.result_row(case, HOW[case], outcome, st.ms(self.t_clear, t_commit), s, stale,
                      margins, [
                          ('fault_to_fence_ms', st.fmt_ms(st.ms(tf, fence.t if fence
                                                                else None))),
                          ('fault_to_reschedule_ms', st.fmt_ms(st.ms(tf, dead.t if dead
                                                                     else None))),
                          ('clear_to_up_ms', st.fmt_ms(st.ms(self.t_clear, t_up))),
                          ('retx_during_fault', '-' if self.retx is None else self.retx),
                          ('rescheduled', s['rescheduled'] if s else '-')])

    def check_shim(self, m_evs, w_runs):
        """The shim commands were taken at both ends and did something to the packets."""
        t, case = self.t, self.case
        for p in [self.master, self.workers[0]]:
            out = p.out()
            n = len(re.findall(SHIM_ECHO[case], out))
            t.ok(n == len(SHIM[case]), '%s: %d fault commands taken (%s)'
                 % (p.name, n, SHIM_ECHO[case]), out[-2000:])
            t.ok('every shim fault cleared' in out, '%s: the fault cleared' % p.name)
            seen = self.shim_seen.get(p.name)
            t.ok(seen is not None and seen > 0, '%s: its shim %s %s channel packets'
                 % (p.name, SHIM_CTR[case].replace('shim_pkts_', ''), seen))


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        sys.exit(2)
    exe, case = sys.argv[1], sys.argv[2]
    if case not in CASES:
        print('unknown case %s: one of %s' % (case, ' '.join(CASES)))
        sys.exit(2)
    bpf_src = sys.argv[3] if len(sys.argv) > 3 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), 'wire_drop.bpf.c')
    c = Case(exe, case, bpf_src)
    try:
        c.setup()
        c.execute()
    except Exception as e:  # a harness error is a failed case, after the clean-up
        c.t.ok(False, 'harness: %s: %s' % (type(e).__name__, e))
    c.run.finish()


main()
