#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""tether-pmd's command line: --help is complete and true, bad input is
refused with a message naming it and exit status 2.

Usage: cli_test.py TETHER_PMD SOURCE_ROOT

"Every option in --help is accepted": each option the help lists is run
with --check (parse and load the config, no EAL) and must exit 0. The other
direction (every option the parser takes is in --help) is args_test.c.
"""
import os
import re
import sys
import tempfile

from apptest import Tap, run

exe, src = sys.argv[1], sys.argv[2]
cfg = {r: os.path.join(src, 'config', r + '.ini') for r in ('master', 'worker', 'demo')}
t = Tap()

# --help, before or after --.
for args in (['--help'], ['-h'], ['--', '--help'], ['--', '-h']):
    rc, out, err = run(exe, args)
    t.ok(rc == 0, '%s exits 0' % ' '.join(args), out + err)
    t.has(out, r'^Usage: tether-pmd \[EAL options\] -- \[app options\]',
          '%s: usage line' % args[-1])
rc, help_text, _ = run(exe, ['--help'])
for code in (0, 1, 2, 3, 75):
    t.has(help_text, r'^  %-4d\S' % code, 'help documents exit status %d' % code)
t.has(help_text, r'75\s+worker: fenced itself', 'help: 75 is the fenced worker')
t.has(help_text, r'dpdk-telemetry\.py -f <file-prefix>', 'help: telemetry')
t.has(help_text, r'dpdk-dumpcap --file-prefix=<file-prefix>', 'help: capture')
t.has(help_text, r"user\.tether\.\*", 'help: log types')
t.ok(all(len(l) <= 80 for l in help_text.splitlines()), 'help fits 80 columns', help_text)

# Every option listed in --help is accepted.
section = help_text.split('App options (after --):\n', 1)[-1].split('\n\n', 1)[0]
opts = re.findall(r'^  (?:-(\w), )?--([a-z-]+)(?: (\S+))?', section, re.M)
t.ok(len(opts) >= 6, 'help lists the options (%d found)' % len(opts), help_text)
with tempfile.NamedTemporaryFile('w', suffix='.cmd', delete=False) as f:
    f.write('show workers\n')
    cmdfile = f.name
values = {'role': ['--role', 'worker', '--config', cfg['worker']],
          'config': ['--config', cfg['demo']],
          'cmdfile': ['--cmdfile', cmdfile],
          'bench': ['--bench', 'cut,count=1']}
for short, lng, val in opts:
    forms = ['--' + lng] + (['-' + short] if short else [])
    for form in forms:
        args = list(values.get(lng, [form]))
        args[0] = form
        if lng != 'help':
            args.append('--check')
        rc, out, err = run(exe, ['--'] + args)
        t.ok(rc == 0, 'option %s from --help is accepted (%s)' % (form, ' '.join(args)),
             out + err)
os.unlink(cmdfile)

# --check says what would run.
rc, out, err = run(exe, ['--', '--role', 'master', '--config', cfg['master'], '--check'])
t.has(out, r'^mode: master$', '--check: the mode')
t.has(out, r'^timing: ok: T1 = \d+ us > T2 \+ I \+ d_max \+ g', '--check: the timing rule')
rc, out, err = run(exe, ['--', '-i', '--check'])
t.has(out, r'^mode: embedded$', '-i without --role: the in-process topology')
rc, out, err = run(exe, ['--', '--check'])
t.has(out, r'^mode: demo$', 'no app option: the demo')

# Bad input: the message names the argument and what is allowed; exit 2.
bad = [
    (['--', '--frobnicate'], r"unknown or ambiguous option '--frobnicate'"),
    (['--', '-x'], r"unknown option '-x'"),
    (['--', '--role'], r"option '--role' needs a value \(master\|worker\)"),
    (['--', '--config'], r"option '--config' needs a value \(FILE\)"),
    (['--', '--cmdfile'], r"option '--cmdfile' needs a value \(FILE\)"),
    (['--', '--role', '--config', cfg['master']],
     r"option '--role' needs a value \(master\|worker\), got the option '--config'"),
    (['--', '--role', 'boss', '--config', cfg['master']],
     r"bad value 'boss' for --role: allowed values are master, worker"),
    (['--', '--role', 'master'], r'--role master needs --config FILE'),
    (['--', '--role=', '--config', cfg['master']], r"option '--role' needs a value"),
    (['--', 'extra'], r"unexpected argument 'extra'"),
    (['--role', 'master'], r"'--role' is a tether-pmd option: put it after '--'"),
    (['-i'], r"'-i' is a tether-pmd option: put it after '--'"),
    (['--', '--cmdfile', '/nonexistent/x.cmd'], r'--cmdfile /nonexistent/x\.cmd: No such file'),
    (['--', '--cmdfile', '/'], r'--cmdfile /: Is a directory'),
    (['--', '--config', '/nonexistent/x.ini'], r'/nonexistent/x\.ini'),
    (['--', '--role', 'worker', '--config', cfg['master']],
     r'\[node\] role = master, but --role worker was given'),
    (['--', '--config', cfg['master']], r'need role = demo; for this file use --role master'),
    (['--no-such-eal-option', '--'], r'EAL initialisation failed'),
]
for args, pat in bad:
    rc, out, err = run(exe, args)
    name = ' '.join(a if '/' not in a else os.path.basename(a) for a in args)
    t.ok(rc == 2, '%s: exit status 2 (got %d)' % (name, rc), out + err)
    t.has(err, pat, '%s: message' % name)
    if args[0] == '--':
        t.has(err, r'see \S+ --help|\.ini', '%s: points to --help or names the file' % name)
t.done()
