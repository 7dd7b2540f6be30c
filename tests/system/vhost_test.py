#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""tether-pmd master and worker as two processes linked by vhost-user: the
master on net_virtio_user (server=1, it owns the socket), the worker on
net_vhost (client=1, so that a restarted worker reconnects by itself).

Usage: vhost_test.py TETHER_PMD

The master's command file drives the run: a load of tasks, 10.7 s of steady
state (no timeout, no channel down), then `fault cut worker 1 channel 0` in
the master's fault shim: the channel goes down, the worker silences its
heartbeat, fences and exits 75 before the master declares it dead and
reschedules its tasks. The cut is restored, the worker started again (as its
supervisor would on status 75), it re-joins under a new epoch and the load
goes on. Checks from both processes' logs: every task committed exactly
once, none lost, fence before reschedule, stale results counted. Needs root
(the socket and DPDK's runtime directory); exits 77 (SKIP) otherwise.
"""
import os
import re
import signal
import sys

import systest as st

# Steady state before the cut; also past the join window (systest.JOIN_WINDOW_S).
STEADY_MS = int((st.JOIN_WINDOW_S + 0.5) * 1000)

MASTER_CMD = '''wait live 30000
{load}
sleep {steady_ms}
fault cut worker {w} channel 0
wait event worker-dead worker {w} 20000
fault restore worker {w} channel 0
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
CUT_RE = r'^worker \d+ channel 0: cut: every packet dropped at t=(\d+\.\d) us'
DEAD_RE = r'^worker-dead at t=(\d+\.\d) us: master'
NO_PMD_RE = r'(failed to parse device|Driver cannot attach|unknown driver|Cannot find)'


class Vhost:
    def __init__(self, exe):
        self.run = st.Run(exe, 'vhost')
        self.t = self.run.tap
        self.workers = []
        self.sock = os.path.join(self.run.tmp, 'vhost.sock')

    def start_worker(self):
        n = len(self.workers) + 1
        eal = self.run.eal_args('worker%d' % n, 1, 'net_vhost0,iface=%s,client=1' % self.sock)
        w = self.run.start('worker#%d' % n, None, eal, 'worker', self.wcfg)
        self.workers.append(w)
        return w

    def execute(self):
        t, run = self.t, self.run
        st.require_root_and_tools([], 'DPDK runtime directory, vhost-user socket')
        self.mcfg, self.wcfg = run.configs()
        cmd = run.write('master.cmd', MASTER_CMD.format(load=st.LOAD, steady_ms=STEADY_MS,
                                                        w=st.WORKER_ID))
        eal = run.eal_args('master', 0, 'net_virtio_user0,path=%s,server=1' % self.sock)
        self.master = m = run.start('master', None, eal, 'master', self.mcfg, cmd)
        # The server's socket first, so that the worker's first connect finds it.
        m.wait_text('err', r'waiting for client connection|tether\.app: master:', 30)
        if m.poll() is not None and re.search(NO_PMD_RE, m.err()):
            st.skip('no vhost-user/virtio_user PMD: ' + m.err().strip().splitlines()[-1])
        w1 = self.start_worker()
        live = m.wait_text('err', r'master: worker \d+ \(epoch \d+\): live:', 30)
        if not t.ok(live is not None, 'the worker joined over vhost-user and went live'):
            run.finish()
        rc = w1.wait(STEADY_MS / 1e3 + 20)
        t.ok(rc == 75, 'first worker fenced itself after the cut: status 75 (got %s)' % rc)
        if rc is None:
            w1.stop()
        self.t_restart = st.now()
        self.start_worker()
        end = m.wait_text('out', END_MARK, 90)
        t.ok(end is not None, 'master ran its command file to the end')
        self.t_end = st.now()
        run.lcore_stats('master', 'master')
        run.lcore_stats('worker%d' % len(self.workers), 'last worker')
        last = self.workers[-1]
        last.signal(signal.SIGTERM)
        rc = last.wait(10)
        t.ok(rc == 0, 'the last worker stopped on SIGTERM with status 0 (got %s)' % rc)
        rc = m.wait(15)
        t.ok(rc == 0, 'master exited with status 0 (got %s)' % rc)
        self.check()

    def check(self):
        t, m = self.t, self.master
        out = m.out()
        m_evs = m.events()
        w_runs = [(w.name, w.events()) for w in self.workers]
        w1 = w_runs[0][1]
        s = st.parse_summary(out)
        st.check_exactly_once(t, s)
        st.check_reschedule_accounting(t, s, m_evs)
        st.check_worker_tasks(t, s, m_evs, w_runs)

        # The cut's time on CLOCK_MONOTONIC: the command output gives it on the master's
        # own clock; the worker-dead event is on both (command output and log).
        cut = re.search(CUT_RE, out, re.M)
        dead_out = re.search(DEAD_RE, out, re.M)
        dead = st.first(m_evs, 'worker-dead')
        t_cut = None
        if t.ok(cut is not None and dead_out is not None and dead is not None,
                'the cut and the worker-dead are in the master output and log', out):
            t_cut = dead.t - (float(dead_out.group(1)) - float(cut.group(1))) / 1e6
        live1 = st.first(m_evs, 'live')
        if live1 is not None and t_cut is not None:
            st.no_trouble(t, m_evs, 'master (steady state)', live1.t, t_cut)
            st.no_trouble(t, w1, 'worker (steady state)', live1.t, t_cut)
            t.ok(t_cut - live1.t >= STEADY_MS / 1e3 - 0.5,
                 'steady state under load for %.1f s before the cut' % (t_cut - live1.t))
        fence = st.first(w1, 'fence')
        silenced = st.first(w1, 'hb-silenced')
        chan_down = st.first(w1, 'chan-down')
        ex = st.first(w1, 'exit')
        t.ok(chan_down is not None and fence is not None and chan_down.t <= fence.t
             and chan_down.args[0] == '0',
             'worker: channel 0 went down, then the fence', st.fmt_events(w1[-20:]))
        t.ok(silenced is not None and fence is not None and silenced.t <= fence.t,
             'worker: the heartbeat was silenced before the fence')
        t.ok(ex is not None and ex.args[0] == '75', 'worker logged exit with status 75')
        if fence is not None and dead is not None:
            t.ok(fence.t < dead.t, 'worker fenced (%.6f) before the master declared it dead '
                 '(%.6f): margin %.1f ms' % (fence.t, dead.t, (dead.t - fence.t) * 1e3))
            if t_cut is not None:
                t.ok(dead.t - t_cut < st.T1_S + 1.5,
                     'master rescheduled within T1 + 1.5 s of the cut (%.1f ms)'
                     % ((dead.t - t_cut) * 1e3))
            late = [e for e in m_evs if e.kind == 'reschedule' and e.t <= fence.t]
            t.ok(not late, 'every reschedule after the fence', st.fmt_events(late[:10]))
        e1 = w1[0].epoch if w1 else 0
        live2 = [e for e in m_evs if e.kind == 'live' and e.t > self.t_restart]
        t.ok(live2 and live2[0].epoch > e1, 're-joined under a newer epoch (%s > %d)'
             % (live2[0].epoch if live2 else '-', e1))
        w2 = w_runs[1][1] if len(w_runs) > 1 else []
        results2 = sum(1 for e in w2 if e.kind == 'task-result')
        t.ok(results2 > 0, 'the re-joined worker ran tasks (%d results)' % results2)
        if live2:
            st.no_trouble(t, m_evs, 'master after recovery', live2[0].t, self.t_end)
            st.no_trouble(t, w2, 'worker after recovery', live2[0].t, self.t_end)
        st.report('vhost_cut', [
            ('cut_to_silence_ms', st.fmt_ms(st.ms(t_cut, silenced.t if silenced else None))),
            ('cut_to_fence_ms', st.fmt_ms(st.ms(t_cut, fence.t if fence else None))),
            ('cut_to_reschedule_ms', st.fmt_ms(st.ms(t_cut, dead.t if dead else None))),
            ('fence_margin_ms', st.fmt_ms(st.ms(fence.t if fence else None,
                                                 dead.t if dead else None))),
            ('restart_to_live_ms', st.fmt_ms(st.ms(self.t_restart,
                                                   live2[0].t if live2 else None))),
            ('tasks', s['committed_once'] if s else '-'),
            ('duplicates', s['duplicates'] if s else '-'),
            ('lost', (s['submitted'] - s['committed_once']) if s else '-'),
            ('rescheduled', s['rescheduled'] if s else '-'),
            ('stale', s['stale'] if s else '-'),
        ])


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    v = Vhost(sys.argv[1])
    try:
        v.execute()
    except Exception as e:  # a harness error is a failed case, after the clean-up
        v.t.ok(False, 'harness: %s: %s' % (type(e).__name__, e))
    v.run.finish()


main()
