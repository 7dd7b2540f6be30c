#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The master journal under kill -9 (issue 7): the in-process topology (one
master, three workers) runs a load of tasks with a [journal]; it is killed
with SIGKILL at a seeded random moment, several times, and started again on
the same journal, the fsync policy rotating always, batch, never. Between
some runs the test tears the file's tail as a crash inside a write (or a
power loss) would: half a record appended, or the last record cut short.

Every restart must log what it replayed, and the numbers must be the ones
this script decodes from the file itself (records, tasks pending, torn bytes
ignored). A last run without a kill finishes the rescheduled tasks. Then the
journal must hold, across all generations: whole records only, one
MASTER_START per start (generations 1, 2, 3, ...), every task submitted
exactly once and committed exactly once (none lost, none twice), each commit
under an epoch of the generation that made it, ids growing across
generations. The seed is printed; TETHER_SEED=N repeats a run.

usage: journal_test.py TETHER_PMD SOURCE_ROOT
"""
import os
import random
import re
import signal
import struct
import subprocess
import sys
import tempfile
import time

from apptest import Tap
from journal_decode import T_COMMIT, check_history, decode, offsets, record, state

exe, root = sys.argv[1], sys.argv[2]
tap = Tap()
seed = int(os.environ.get('TETHER_SEED', random.SystemRandom().randrange(1 << 31)))
rng = random.Random(seed)
print('# seed %d (TETHER_SEED=%d repeats this run)' % (seed, seed))

KILLS = 6
POLICIES = ('always', 'batch', 'never')
EAL = ['-l', '0-1', '--no-huge', '-m', '256', '--no-pci', '--no-shconf',
       '--log-level=user.tether.*:info']
# Spin tasks of 20 ms at 400 per second: about 8 in flight at a kill.
LOAD_CMD = 'wait live 30000\nload start 400 spin 64 20000\nsleep 60000\nquit\n'
LAST_CMD = 'wait live 30000\nsleep 4000\nshow tasks summary\nquit\n'
REPLAY_RE = re.compile(
    r'journal \S+: (created|opened) in [\d.]+ ms \(read, cut, fsync\); '
    r'replayed (\d+) records \((\d+) bytes\) in ([\d.]+) ms: '
    r'(\d+) tasks, (\d+) committed, (\d+) cancelled, (\d+) to reschedule; torn tail: '
    r'(\d+) bytes ignored.*; generation (\d+), task epochs from (\d+), fsync (\w+)')


def config(tmp, path, policy):
    demo = open(os.path.join(root, 'config', 'demo.ini')).read()
    assert '\n[journal]\n' in demo and demo.rstrip().splitlines()[-1].startswith(';')
    text = demo + 'path = %s\nfsync = %s\n' % (path, policy)
    if policy == 'batch':
        text += 'batch_records = 32\nbatch_us = 5000\n'
    cfg = os.path.join(tmp, 'demo-%s.ini' % policy)
    with open(cfg, 'w') as f:
        f.write(text)
    return cfg


def start(tmp, n, cfg, cmdtext):
    cmd = os.path.join(tmp, 'run%d.cmd' % n)
    with open(cmd, 'w') as f:
        f.write(cmdtext)
    out = open(os.path.join(tmp, 'run%d.out' % n), 'w')
    err = open(os.path.join(tmp, 'run%d.err' % n), 'w')
    p = subprocess.Popen([exe] + EAL + ['--', '--config', cfg, '--cmdfile', cmd],
                         stdin=subprocess.DEVNULL, stdout=out, stderr=err)
    return p, out, err


def text_of(f):
    f.flush()
    with open(f.name, errors='replace') as g:
        return g.read()


def wait_for(p, errf, pattern, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if re.search(pattern, text_of(errf), re.M):
            return True
        if p.poll() is not None:
            return False
        time.sleep(0.02)
    return False


def check_replay(n, err, expect):
    """The start's replay line against what the script decoded from the file."""
    m = REPLAY_RE.search(err)
    if not tap.ok(m is not None, 'run %d: the start logs what it replayed' % n, err):
        return None
    got = {'records': int(m.group(2)), 'pending': int(m.group(8)), 'torn': int(m.group(9)),
           'gen': int(m.group(10)), 'tasks': int(m.group(5)), 'committed': int(m.group(6))}
    tap.ok(got == expect, 'run %d: replayed %s (decoded from the file: %s), in %s ms'
           % (n, got, expect, m.group(4)), err)
    if expect['torn'] > 0:
        tap.has(err, r'torn tail: %d bytes after the last whole record \(.*\) ignored '
                r'and cut off' % expect['torn'], 'run %d: the torn tail is warned about' % n)
    return float(m.group(4))


with tempfile.TemporaryDirectory(prefix='tether-journal-') as tmp:
    path = os.path.join(tmp, 'master.jrnl')
    expect = {'records': 0, 'pending': 0, 'torn': 0, 'gen': 1, 'tasks': 0, 'committed': 0}
    replay_ms = []
    rescheduled = 0
    for n in range(1, KILLS + 2):
        last = n == KILLS + 1
        policy = POLICIES[(n - 1) % len(POLICIES)]
        p, outf, errf = start(tmp, n, config(tmp, path, policy), LAST_CMD if last else LOAD_CMD)
        try:
            live = wait_for(p, errf, r'live: all \d+ channels up', 30)
            tap.ok(live, 'run %d (fsync %s): workers live' % (n, policy), text_of(errf))
            if last:
                rc = p.wait(timeout=60)
                tap.ok(rc == 0, 'run %d: exits 0 after its last tasks' % n,
                       text_of(outf) + text_of(errf))
            else:
                delay = rng.uniform(0.05, 1.5)
                time.sleep(delay)
                p.send_signal(signal.SIGKILL)
                p.wait(timeout=10)
                print('# run %d: SIGKILL %.3f s after live' % (n, delay))
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        ms = check_replay(n, text_of(errf), expect)
        if ms is not None:
            replay_ms.append(ms)
        outf.close()
        errf.close()

        data = open(path, 'rb').read()
        recs, valid = decode(data)
        tap.ok(valid == len(data), 'run %d: the file holds whole records only (%d bytes)'
               % (n, len(data)))
        tasks = state(recs)
        if last:
            break
        # What the next start must find, after the tail is torn (every other run).
        torn = 0
        if n % 2 == 0 and recs:
            if rng.random() < 0.5:
                # A crash inside write(): part of a next record reached the file.
                whole = record(T_COMMIT, recs[-1][1] + 1,
                               struct.pack('>QIIB3x', 1, 1, 1, 0))
                torn = rng.randint(1, len(whole) - 1)
                with open(path, 'ab') as f:
                    f.write(whole[:torn])
                how = 'appended %d bytes of a record' % torn
            else:
                # Power loss: the last record cut short (it is lost, as if never written).
                start_last = offsets(data, valid)[-1]
                cut = rng.randint(1, valid - start_last - 1)
                with open(path, 'r+b') as f:
                    f.truncate(valid - cut)
                torn = valid - cut - start_last
                recs = recs[:-1]
                tasks = state(recs)
                how = 'cut the last record to %d bytes' % torn
            print('# run %d: torn tail: %s' % (n, how))
        pending = sum(1 for v in tasks.values() if v[1] == 0 and v[2] == 0 and v[0] > 0)
        rescheduled += pending
        expect = {'records': len(recs), 'pending': pending, 'torn': torn, 'gen': n + 1,
                  'tasks': len(tasks), 'committed': sum(1 for v in tasks.values() if v[1])}

    # The whole history, every generation.
    data = open(path, 'rb').read()
    recs, valid = decode(data)
    tap.ok(valid == len(data) and len(recs) > 0, 'final journal: %d whole records' % len(recs))
    tasks, _ = check_history(tap, recs, KILLS)
    submitted = [t for t, v in tasks.items() if v[0] > 0]
    tap.ok(rescheduled > 0, '%d pending tasks were rescheduled by the restarts' % rescheduled)
    print('# replay times (ms): %s' % ' '.join('%.2f' % v for v in replay_ms))
    print('# RESULT journal kills=%d records=%d bytes=%d tasks=%d rescheduled=%d '
          'replay_ms_max=%.2f' % (KILLS, len(recs), len(data), len(submitted), rescheduled,
                                  max(replay_ms or [0])))
tap.done()
