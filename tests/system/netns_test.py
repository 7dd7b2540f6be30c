#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""tether-pmd master and worker in their own network namespaces, on
net_af_packet ports over veth pairs through a "wire" namespace (a bridge),
under a load of tasks, with one fault per case.

Usage: netns_test.py TETHER_PMD CASE [BPF_SOURCE]
CASE:
  steady     no fault for 20 s: no timeout, no fence, every task committed once
  dc_drop    a BPF classifier on both bridge ports drops the data-channel
             packets (UDP port 4790) while heartbeats pass: the worker's
             channels go down, it silences its heartbeat, fences and exits 75
             before the master declares it dead and reschedules its tasks
  link_down  the worker's bridge port goes down: both sides time out, the
             worker fences (exit 75) before the master reschedules
  kill       SIGKILL the worker: the master reschedules after T1
  stop       SIGSTOP the worker for longer than T1, then SIGCONT: the master
             reschedules during the stop; the worker, on waking, fences
             before it touches a task (no result after waking, or rejected
             as stale) and exits 75
The fault comes once the load has run for systest.JOIN_WINDOW_S (10.7 s)
after the join. After a fault clears the worker is started again (as its
supervisor would on status 75): it re-joins under a new epoch and the load goes on. Every case
then checks from both processes' logs: every task committed exactly once,
none lost, no task rescheduled twice, stale results counted, and no result
from a worker after its fence. Needs root; exits 77 (SKIP) otherwise.
"""
import os
import platform
import signal
import sys
import time

import systest as st

PRE_FAULT_S = st.JOIN_WINDOW_S + 0.5  # load before the fault (see JOIN_WINDOW_S)
STEADY_MS = 20000    # the steady case's load
STOP_S = 1.5         # SIGSTOP length: T1 is 0.5 s

STEADY_CMD = '''wait live 30000
{load}
sleep {steady_ms}
load stop
wait tasks 30000
show tasks summary
show workers
sleep 1500
quit
'''

FAULT_CMD = '''wait live 30000
{load}
wait event worker-dead worker {w} 60000
wait event live worker {w} 60000
sleep 3000
load stop
wait tasks 30000
show tasks summary
show workers
sleep 1500
quit
'''

END_MARK = r'^tether> sleep 1500$'
CASES = ('steady', 'dc_drop', 'link_down', 'kill', 'stop')


class Case:
    def __init__(self, exe, case, bpf_src):
        self.case = case
        self.bpf_src = bpf_src
        self.run = st.Run(exe, case)
        self.t = self.run.tap
        self.workers = []   # Proc per incarnation
        self.t_fault = None
        self.t_clear = None
        self.t_cont = None

    # -- set-up --

    def setup(self):
        st.require_root_and_tools(['ip', 'tc'] + (['clang'] if self.case == 'dc_drop' else []))
        if self.case == 'dc_drop':
            self.bpf_obj = self.build_bpf()
        try:
            self.wns, self.mns, self.kns = self.run.wire()
        except RuntimeError as e:
            st.skip('cannot build the namespaces and the bridge: %s' % e)
        if self.case == 'dc_drop':
            for port in ('pm', 'pw'):
                p = self.run.in_ns(self.wns, ['tc', 'qdisc', 'add', 'dev', port, 'clsact'],
                                   check=False)
                if p.returncode != 0:
                    st.skip('no clsact qdisc: %s' % p.stderr.strip())
        self.mcfg, self.wcfg = self.run.configs()

    def build_bpf(self):
        inc = '/usr/include/bpf/bpf_helpers.h'
        if not os.path.exists(inc):
            st.skip('needs the libbpf headers (%s, package libbpf-dev)' % inc)
        obj = os.path.join(self.run.tmp, 'drop_dc.o')
        arch = '/usr/include/%s-linux-gnu' % platform.machine()
        p = st.sh(['clang', '-O2', '-g', '-target', 'bpf', '-DTT_DC_PORT=%d' % st.DC_PORT,
                   '-I' + arch, '-c', self.bpf_src, '-o', obj], check=False, timeout=120)
        self.t.ok(p.returncode == 0, 'BPF drop filter builds (clang -target bpf)', p.stderr)
        if p.returncode != 0:
            self.run.finish()
        return obj

    def start_worker(self):
        n = len(self.workers) + 1
        eal = self.run.eal_args('worker%d' % n, 1, 'net_af_packet0,iface=eth0')
        w = self.run.start('worker#%d' % n, self.kns, eal, 'worker', self.wcfg)
        self.workers.append(w)
        return w

    def start_master(self, text):
        cmd = self.run.write('master.cmd', text)
        eal = self.run.eal_args('master', 0, 'net_af_packet0,iface=eth0')
        self.master = self.run.start('master', self.mns, eal, 'master', self.mcfg, cmd)

    # -- faults --

    def bpf(self, on):
        for port in ('pm', 'pw'):
            args = ['tc', 'filter', 'add', 'dev', port, 'ingress', 'bpf', 'da', 'obj',
                    self.bpf_obj, 'sec', 'tc'] if on else \
                ['tc', 'filter', 'del', 'dev', port, 'ingress']
            p = self.run.in_ns(self.wns, args, check=False)
            if on and p.returncode != 0:
                st.skip('cannot attach a BPF classifier (cls_bpf): %s' % p.stderr.strip())
            self.t.ok(p.returncode == 0, 'tc filter %s on bridge port %s'
                      % ('attached' if on else 'removed', port), p.stderr)

    def link(self, up):
        p = self.run.in_ns(self.wns, ['ip', 'link', 'set', 'pw', 'up' if up else 'down'],
                           check=False)
        self.t.ok(p.returncode == 0, 'bridge port pw set %s' % ('up' if up else 'down'),
                  p.stderr)

    def inject(self):
        w = self.workers[0]
        if self.case == 'dc_drop':
            self.bpf(True)
        elif self.case == 'link_down':
            self.link(False)
        elif self.case == 'kill':
            w.signal(signal.SIGKILL)
        elif self.case == 'stop':
            w.signal(signal.SIGSTOP)
        self.t_fault = st.now()

    def clear(self):
        """Wait for the fault's effect, clear it, start the worker again."""
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
        if self.case == 'dc_drop':
            self.bpf(False)
        elif self.case == 'link_down':
            self.link(True)
        self.t_clear = st.now()
        self.start_worker()

    # -- the run --

    def execute(self):
        t = self.t
        fault = self.case != 'steady'
        self.start_worker()
        text = (FAULT_CMD if fault else STEADY_CMD).format(load=st.LOAD, steady_ms=STEADY_MS,
                                                            w=st.WORKER_ID)
        self.start_master(text)
        live = self.master.wait_text('err', r'master: worker \d+ \(epoch \d+\): live:', 30)
        if not t.ok(live is not None, 'the worker joined and went live'):
            self.run.finish()
        if fault:
            time.sleep(PRE_FAULT_S)
            self.inject()
            self.clear()
        end = self.master.wait_text('out', END_MARK, 90)
        t.ok(end is not None, 'master ran its command file to the end')
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
        s = st.parse_summary(self.master.out())
        st.check_exactly_once(t, s)
        st.check_reschedule_accounting(t, s, m_evs)
        st.check_worker_tasks(t, s, m_evs, w_runs,
                              killed=[self.workers[0].name] if case == 'kill' else [])
        w1 = w_runs[0][1]
        results = sum(1 for e in w1 if e.kind == 'task-result')
        t.ok(results > 0, 'the first worker sent results (%d)' % results)
        if case == 'steady':
            st.no_trouble(t, m_evs, 'master', 0, self.t_end)
            st.no_trouble(t, w1, 'worker', 0, self.t_end)
            t.ok(s is not None and s['rescheduled'] == 0 and s['stale'] == 0,
                 'nothing rescheduled, nothing stale')
            lives = [e for e in m_evs if e.kind == 'live']
            t.ok(len(lives) == 1, 'one join over the run (%d)' % len(lives))
            st.report(case, [('tasks', s['committed_once'] if s else '-'),
                             ('duplicates', s['duplicates'] if s else '-'),
                             ('rescheduled', 0), ('stale', s['stale'] if s else '-')])
            return
        self.check_fault(m_evs, w_runs, s)

    def check_fault(self, m_evs, w_runs, s):
        t, case, tf = self.t, self.case, self.t_fault
        w1 = w_runs[0][1]
        dead = st.first(m_evs, 'worker-dead', after=tf)
        resched = [e for e in m_evs if e.kind == 'reschedule']
        fence = st.first(w1, 'fence')
        silenced = st.first(w1, 'hb-silenced', after=tf)
        before = [e for e in m_evs + w1 if e.kind in st.TROUBLE and e.t < tf]
        t.ok(not before, 'no timeout or fence before the fault', st.fmt_events(before))
        t.ok(dead is not None, 'master: worker declared dead after the fault',
             st.fmt_events(m_evs[-30:]))
        if case in ('dc_drop', 'link_down', 'stop'):
            t.ok(fence is not None, 'worker fenced itself', st.fmt_events(w1[-30:]))
            ex = st.first(w1, 'exit')
            t.ok(ex is not None and ex.args[0] == '75', 'worker logged exit with status 75')
        if case in ('dc_drop', 'link_down') and fence is not None and dead is not None:
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
        if case == 'link_down':
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
            t.ok(s is not None and s['stale'] >= len(woke),
                 'any result after waking rejected as stale')
        # Recovery: the worker re-joined under a newer epoch and the load went on.
        e1 = w1[0].epoch if w1 else 0
        live2 = [e for e in m_evs if e.kind == 'live' and e.t > self.t_clear]
        t.ok(live2 and live2[0].epoch > e1, 're-joined under a newer epoch (%s > %d)'
             % (live2[0].epoch if live2 else '-', e1))
        w2 = w_runs[1][1] if len(w_runs) > 1 else []
        results2 = sum(1 for e in w2 if e.kind == 'task-result')
        t.ok(results2 > 0, 'the re-joined worker ran tasks (%d results)' % results2)
        if live2:
            st.no_trouble(t, m_evs, 'master after recovery', live2[0].t, self.t_end)
            st.no_trouble(t, w2, 'worker after recovery', live2[0].t, self.t_end)
        st.report(case, [
            ('fault_to_silence_ms', st.fmt_ms(st.ms(tf, silenced.t if silenced else None))),
            ('fault_to_fence_ms', st.fmt_ms(st.ms(tf, fence.t if fence else None))),
            ('fault_to_reschedule_ms', st.fmt_ms(st.ms(tf, dead.t if dead else None))),
            # dc_drop, link_down: how long before the reschedule the worker fenced;
            # stop: the worker can only fence once awake, after the reschedule.
            ('fence_margin_ms', st.fmt_ms(st.ms(fence.t if fence else None,
                                                 dead.t if dead else None))
             if case != 'stop' else '-'),
            ('wake_to_fence_ms', st.fmt_ms(st.ms(self.t_cont, fence.t if fence else None))
             if case == 'stop' else '-'),
            ('clear_to_live_ms', st.fmt_ms(st.ms(self.t_clear, live2[0].t if live2 else None))),
            ('tasks', s['committed_once'] if s else '-'),
            ('duplicates', s['duplicates'] if s else '-'),
            ('lost', (s['submitted'] - s['committed_once']) if s else '-'),
            ('rescheduled', s['rescheduled'] if s else '-'),
            ('stale', s['stale'] if s else '-'),
        ])


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        sys.exit(2)
    exe, case = sys.argv[1], sys.argv[2]
    if case not in CASES:
        print('unknown case %s: one of %s' % (case, ' '.join(CASES)))
        sys.exit(2)
    bpf_src = sys.argv[3] if len(sys.argv) > 3 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), 'drop_dc.bpf.c')
    c = Case(exe, case, bpf_src)
    try:
        c.setup()
        c.execute()
    except Exception as e:  # a harness error is a failed case, after the clean-up
        c.t.ok(False, 'harness: %s: %s' % (type(e).__name__, e))
    c.run.finish()


main()
