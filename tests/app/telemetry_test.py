#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The /tether/... telemetry endpoints, read over DPDK's telemetry v2 socket
(what dpdk-telemetry.py speaks) while tether-pmd runs its in-process
topology at the prompt.

Usage: telemetry_test.py TETHER_PMD
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from apptest import Tap

exe = sys.argv[1]
prefix = 'tt-telemetry-%d' % os.getpid()
if os.getuid() == 0:
    rundir = os.path.join('/var/run/dpdk', prefix)
else:
    rundir = os.path.join(os.environ.get('XDG_RUNTIME_DIR', '/tmp'), 'dpdk', prefix)
sock_path = os.path.join(rundir, 'dpdk_telemetry.v2')
t = Tap()


class Client:
    """One connection to the telemetry v2 socket: a JSON greeting, then one
    JSON reply per command."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.s.connect(path)
        self.info = json.loads(self.s.recv(1 << 16).decode())

    def query(self, cmd):
        self.s.send(cmd.encode())
        return json.loads(self.s.recv(self.info['max_output_len']).decode())

    def close(self):
        self.s.close()


def wait_for(pred, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.05)
    return False


out = tempfile.TemporaryFile('w+')
proc = subprocess.Popen([exe, '-l', '0-1', '--no-huge', '-m', '256', '--no-pci', '--no-shconf',
                         '--file-prefix', prefix, '--log-level=4', '--', '-i'],
                        stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT, text=True)


def output():
    out.seek(0)
    return out.read()


try:
    proc.stdin.write('wait live 5000\nsubmit 10 echo 32\nwait tasks 5000\n')
    proc.stdin.flush()
    t.ok(wait_for(lambda: 'every task finished' in output(), 20),
         'the app is up and ran 10 tasks', output())
    t.ok(os.path.exists(sock_path), 'telemetry socket at ' + sock_path)
    c = Client(sock_path)
    t.ok(c.info.get('pid') == proc.pid, 'greeting names the app (pid %s)' % c.info.get('pid'))

    cmds = c.query('/')['/']
    for name in ('/tether/workers', '/tether/sessions', '/tether/channels', '/tether/tasks',
                 '/tether/stats'):
        t.ok(name in cmds, name + ' is registered', str(cmds))
    help_ch = c.query('/help,/tether/channels')
    t.ok('worker id' in str(help_ch), '/help,/tether/channels describes its parameter',
         str(help_ch))

    w = c.query('/tether/workers')['/tether/workers']
    for i in (1, 2, 3):
        m, k = w.get('master/%d' % i, {}), w.get('worker/%d' % i, {})
        t.ok(m.get('state') == 'live' and m.get('hb_state') == 'Up' and
             m.get('channels_up') == 2 and m.get('epoch') == 1,
             '/tether/workers: the master sees worker %d live, Up, 2 channels up' % i, str(m))
        t.ok(k.get('state') == 'live' and k.get('fences') == 0 and k.get('epoch') == 1,
             '/tether/workers: worker %d sees itself live, never fenced' % i, str(k))

    s = c.query('/tether/sessions')['/tether/sessions']
    t.ok(len(s) == 6, '/tether/sessions: 6 sessions', str(s))
    ms = s.get('master/2', {})
    t.ok(ms.get('state') == 'Up' and ms.get('interval_us') == 10000 and
         ms.get('detect_us') == 100000 and ms.get('silenced') == 0,
         '/tether/sessions: master/2 Up, 10 ms interval, T1 100 ms', str(ms))
    t.ok(s.get('worker/2', {}).get('detect_us') == 50000, '/tether/sessions: worker/2 T2 50 ms',
         str(s.get('worker/2')))

    ids = c.query('/tether/channels')['/tether/channels']
    t.ok(ids == [1, 2, 3], '/tether/channels without a worker: the worker ids', str(ids))
    ch = c.query('/tether/channels,2')['/tether/channels']
    t.ok(sorted(ch) == ['master/0', 'master/1', 'worker/0', 'worker/1'],
         '/tether/channels,2: both channels at both ends', str(ch))
    t.ok(all(v.get('state') == 'up' and v.get('epoch') == 1 for v in ch.values()),
         '/tether/channels,2: every channel up, epoch 1', str(ch))
    t.ok(c.query('/tether/channels,9')['/tether/channels'] is None,
         '/tether/channels,9: no such worker: an error (null)')
    t.ok(c.query('/tether/channels,x')['/tether/channels'] is None,
         '/tether/channels,x: not a number: an error (null)')

    k = c.query('/tether/tasks')['/tether/tasks']
    t.ok(k.get('submitted') == 10 and k.get('committed_once') == 10 and
         k.get('duplicates') == 0 and k.get('in_flight') == 0 and k.get('status_ok') == 10,
         '/tether/tasks: 10 submitted, 10 committed exactly once', str(k))

    st = c.query('/tether/stats')['/tether/stats']
    lc = st.get('lcore', {})
    t.ok(lc.get('lcore_id') == 1 and lc.get('state') == 'running' and lc.get('passes', 0) > 0,
         '/tether/stats: the polling lcore runs', str(lc))
    p0 = st.get('port0', {})
    t.ok(p0.get('endpoint') == 'master' and p0.get('rx_pkts', 0) > 0 and
         p0.get('hb_steering') == 'software',
         '/tether/stats: port 0 is the master\'s, receiving, software steering', str(p0))
    t.ok(len([k for k in st if k.startswith('port')]) == 6, '/tether/stats: 6 ports', str(st))
    c.close()

    # The stock client reads the same endpoints.
    tool = shutil.which('dpdk-telemetry.py')
    if tool:
        r = subprocess.run([tool, '-f', prefix], input='/tether/tasks\n', capture_output=True,
                           text=True, timeout=30)
        t.ok('"committed_once": 10' in r.stdout, 'dpdk-telemetry.py -f %s reads /tether/tasks'
             % prefix, r.stdout + r.stderr)

    proc.stdin.write('quit\n')
    proc.stdin.flush()
    t.ok(proc.wait(timeout=30) == 0, 'quit: exit status 0', output())
finally:
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    try:
        os.rmdir(rundir)
    except OSError:
        pass
t.ok(not os.path.exists(sock_path), 'the socket is gone after exit')
t.done()
