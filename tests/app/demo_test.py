#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The embedded demo: `tether-pmd` with no arguments at all.

Checks: exit status 0 in under 10 s; every step of the timeline is printed
in order (cut, channel DOWN with its reason, heartbeat silenced, worker
fenced, master timeout, tasks rescheduled with their new epoch, restore,
re-join, live); the summary's exactly-once figures; the three measured
latencies; and the safety order (the fence before the master's timeout).
"""
import re
import sys
import time

from apptest import Tap, run

exe = sys.argv[1]
t = Tap()
start = time.monotonic()
rc, out, err = run(exe, [], timeout=60)
elapsed = time.monotonic() - start

t.ok(rc == 0, 'exit status 0 (every invariant held), got %d' % rc, out + err)
t.ok(elapsed < 10.0, 'finishes in under 10 s (took %.1f s)' % elapsed)
t.has(out, r'^tether demo: 1 master \+ 3 workers x 2 data channels', 'header: the topology')
t.has(out, r'fences itself after T2 = 50\.0 ms of silence,\n.*T1 = 100\.0 ms > '
      r'T2 \+ I \+ d_max \+ g = 72\.0 ms', 'header: the timing rule with the numbers')
t.has(out, r'every worker live: 3 heartbeats Up, 6 channels up', 'bring-up')
t.has(out, r'task load: 500 tasks/s', 'task load')

# The timeline, in order.
steps = [
    ('cut', r'^\s+\+0\.0 us\s+operator\s+worker 2 channel 1 CUT'),
    ('channel DOWN and why', r'worker 2: channel 1 DOWN \(probe-timeout\)'),
    ('heartbeat silenced', r'worker 2: heartbeat silenced: channel 1 went down'),
    ('worker fenced (T2)', r'worker 2\s+worker 2: FENCED: heartbeat lost; \d+ task\(s\) aborted, action rejoin \(T2\)'),
    ('master timeout (T1)', r'master\s+worker 2: worker declared DEAD \(master timeout, T1\): \d+ task'),
    ('tasks rescheduled, new epoch', r'master\s+worker 2: \d+ task\(s\) RESCHEDULED on live '
     r'workers, new task epoch 2'),
]
pos = 0
for name, pat in steps:
    m = re.compile(pat, re.M).search(out, pos)
    if t.ok(m is not None, 'timeline in order: ' + name, out):
        pos = m.end()
# After the reschedule: the link comes back and the worker re-joins (either first), then live.
after = pos
for name, pat in [('restore', r'operator\s+worker 2 channel 1 restored'),
                  ('re-join accepted',
                   r'master\s+worker 2: accepted the re-join under epoch 2 \(was 1\)')]:
    m = re.compile(pat, re.M).search(out, after)
    if t.ok(m is not None, 'after the reschedule: ' + name, out):
        pos = max(pos, m.end())
t.ok(re.compile(r'worker 2\s+worker 2: live: all 2 channels up \(epoch 2\)', re.M).search(
    out, pos) is not None, 'then live again under epoch 2', out)

times = [float(x) for x in re.findall(r'^\s+\+(\d+\.\d) us', out, re.M)]
t.ok(times == sorted(times), 'timeline times never go back', out)

m = re.search(r'tasks submitted (\d+), committed exactly once (\d+), duplicates (\d+), '
              r'lost (\d+)', out)
if t.ok(m is not None, 'summary line present', out):
    sub, once, dup, lost = map(int, m.groups())
    t.ok(sub > 0 and once == sub, 'every task committed exactly once (%d of %d)' % (once, sub))
    t.ok(dup == 0 and lost == 0, 'no duplicate, none lost')
t.has(out, r'rescheduled [1-9]\d* \(new epoch 2\), stale results rejected \d+',
      'summary: rescheduled tasks and stale results')
t.has(out, r'worker 2 re-joined: epoch 1 -> 2', 'summary: the re-join epochs')

lat = {}
for name in ('silence', 'fence', 'reschedule'):
    m = re.search(r'cut->%s\s+(\d+\.\d) us' % name, out)
    if t.ok(m is not None, 'cut->%s measured' % name, out):
        lat[name] = float(m.group(1))
if len(lat) == 3:
    t.ok(0 < lat['silence'] < lat['fence'] < lat['reschedule'],
         'silence < fence < reschedule (%s)' % lat)
# Timers never fire early. Once the worker's channel went down (its silence),
# neither side sends an alive heartbeat, and the last one left at most one
# interval I = 10 ms before: the worker cannot fence before T2 - I = 40 ms
# after it, nor the master declare it dead before T1 - I = 90 ms after it.
m = re.search(r'cut->silence\s+\d+\.\d us at the master, (\d+\.\d) us at the worker', out)
if t.ok(m is not None and len(lat) == 3, 'cut->silence at the worker measured', out):
    w_sil = float(m.group(1))
    t.ok(lat['fence'] - w_sil >= 40000.0,
         'the fence came T2 - I or more after the silence (%.1f us)' % (lat['fence'] - w_sil))
    t.ok(lat['reschedule'] - w_sil >= 90000.0,
         'the reschedule came T1 - I or more after the silence (%.1f us)'
         % (lat['reschedule'] - w_sil))
t.has(out, r'^result: every invariant held', 'result line')
t.lacks(out, r'BROKEN', 'no broken invariant')
t.done()
