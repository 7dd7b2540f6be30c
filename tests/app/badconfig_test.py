#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Bad configuration files through the program itself: each one exits 2
with a message naming the file, line, section and key, the bad value and
what is allowed (the loader's full table is tests/eal/config_test.c).

usage: badconfig_test.py TETHER_PMD SOURCE_ROOT
"""
import os
import re
import sys
import tempfile

from apptest import Tap, run

exe, root = sys.argv[1], sys.argv[2]
tap = Tap()
worker = open(os.path.join(root, 'config', 'worker.ini')).read()


def sub(key, value):
    """worker.ini with `key = ...` set to value."""
    text, n = re.subn(r'^%s = .*$' % key, '%s = %s' % (key, value), worker, flags=re.M)
    assert n == 1, key
    return text


CASES = [
    ('out of range', sub('worker_detect_mult', '0'),
     r'\[heartbeat\] worker_detect_mult = 0: .*1\.\.255'),
    ('not a number', sub('interval_us', '10ms'), r'\[heartbeat\] interval_us = 10ms'),
    ('unknown key', worker.replace('[fence]\n', '[fence]\nactoin = exit\n', 1),
     r"\[fence\] unknown key 'actoin'; known: action"),
    ('unknown section', worker + '\n[hearbeat]\ninterval_us = 1000\n',
     r'unknown section \[hearbeat\]; known: node, port'),
    ('bad address', sub('ip', '10.0.0.300'), r'\[net\] ip = 10\.0\.0\.300'),
    ('unsafe timers', sub('worker_detect_mult', '3'),
     r'\[heartbeat\] refused: T1 > T2 \+ I \+ d_max \+ g does not hold: T1 = .* = 30000 us.*Fix: raise worker detect_mult to at least 5'),
    # rte_cfgfile would read the line only up to the NUL (found by fuzz_config).
    ('NUL byte', worker.replace('role = worker', 'ro\0le = worker', 1),
     r'a NUL byte at column 3: the file must be text'),
]

with tempfile.TemporaryDirectory() as tmp:
    for name, text, pattern in CASES:
        path = os.path.join(tmp, name.replace(' ', '_') + '.ini')
        with open(path, 'w') as f:
            f.write(text)
        rc, out, err = run(exe, ['--', '--role', 'worker', '--config', path, '--check'])
        tap.ok(rc == 2, '%s: exit 2' % name, out + err)
        tap.has(err, re.escape(path) + r':\d+: ' + pattern,
                '%s: message names file:line and the rule' % name)

    # [journal] (master): the fsync policy, keys that need a path or fsync = batch.
    # master.ini ends with its (commented) [journal] section: keys go after it.
    master = open(os.path.join(root, 'config', 'master.ini')).read()
    assert master.rstrip().splitlines()[-1].startswith(';')
    assert '\n[journal]\n' in master
    journal = master + 'path = /tmp/tt-badconfig.jrnl\n'
    MASTER_CASES = [
        ('journal fsync', journal + 'fsync = sometimes\n',
         r'\[journal\] fsync = sometimes: must be one of: always, batch, never'),
        ('journal without path', master + 'fsync = never\n',
         r'\[journal\] fsync = never: needs \[journal\] path'),
        ('journal batch key', journal + 'fsync = always\nbatch_us = 500\n',
         r'\[journal\] batch_us = 500: applies to fsync = batch only \(fsync is always\)'),
        ('journal batch range', journal + 'fsync = batch\nbatch_records = 0\n',
         r'\[journal\] batch_records = 0: must be an integer 1\.\.1000000'),
    ]
    for name, text, pattern in MASTER_CASES:
        path = os.path.join(tmp, name.replace(' ', '_') + '.ini')
        with open(path, 'w') as f:
            f.write(text)
        rc, out, err = run(exe, ['--', '--role', 'master', '--config', path, '--check'])
        tap.ok(rc == 2, '%s: exit 2' % name, out + err)
        tap.has(err, re.escape(path) + r':\d+: ' + pattern,
                '%s: message names file:line and the rule' % name)
    # A worker keeps no journal.
    path = os.path.join(tmp, 'worker_journal.ini')
    with open(path, 'w') as f:
        f.write(worker + '\n[journal]\npath = /tmp/x.jrnl\n')
    rc, out, err = run(exe, ['--', '--role', 'worker', '--config', path, '--check'])
    tap.ok(rc == 2, 'journal in a worker: exit 2', out + err)
    tap.has(err, re.escape(path) + r':\d+: .*journal', 'journal in a worker: names the section')

    # A directory opens like a file and fails on the first read: say so.
    rc, out, err = run(exe, ['--', '--role', 'worker', '--config', tmp, '--check'])
    tap.ok(rc == 2, 'directory: exit 2', out + err)
    tap.has(err, re.escape(tmp) + r': cannot read: Is a directory',
            'directory: message names the path and the reason')
tap.done()
