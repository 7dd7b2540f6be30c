#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""[auth] key_file: tasks run over authenticated heartbeats and channels;
a key file others can read, or one whose signing key the endpoints cannot
use, is refused with exit status 2 and a message saying what to do.

usage: auth_test.py TETHER_PMD SOURCE_ROOT
"""
import os
import sys
import tempfile

from apptest import Tap, run

exe, root = sys.argv[1], sys.argv[2]
tap = Tap()
SHA1_KEYS = ('bfd 1 meticulous-sha1 8f14e45fceea167a5a36dedd4bea2543\n'
             'dc 1 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n')
MD5_KEYS = 'bfd 1 md5 8f14e45fceea167a5a36dedd4bea2543\n'
SCRIPT = ('wait live 5000\nsubmit 30 crc32 64\nwait tasks 5000\n'
          'show tasks summary\nshow sessions\n')

with tempfile.TemporaryDirectory() as tmp:
    demo = open(os.path.join(root, 'config', 'demo.ini')).read()

    def setup(name, keys, mode):
        key_path = os.path.join(tmp, name + '.keys')
        with open(key_path, 'w') as f:
            f.write(keys)
        os.chmod(key_path, mode)
        ini = os.path.join(tmp, name + '.ini')
        with open(ini, 'w') as f:
            f.write(demo.replace('[auth]\n', '[auth]\nkey_file = %s\n' % key_path, 1))
        cmd = os.path.join(tmp, name + '.cmd')
        with open(cmd, 'w') as f:
            f.write(SCRIPT)
        return key_path, ['--', '--config', ini, '--cmdfile', cmd]

    _, args = setup('good', SHA1_KEYS, 0o600)
    rc, out, err = run(exe, args)
    tap.ok(rc == 0, 'authenticated run exits 0', out + err)
    tap.has(out, r'committed exactly once 30\b', 'all 30 tasks committed exactly once')
    tap.has(out, r'duplicates 0', 'no duplicates')
    tap.ok(out.count(' Up ') >= 6, 'all six heartbeat sessions Up with auth', out)

    key_path, args = setup('open', SHA1_KEYS, 0o644)
    rc, out, err = run(exe, args)
    tap.ok(rc == 2, 'a key file readable by others: exit 2', out + err)
    tap.has(err, r'mode 0644.*chmod 600 ' + key_path, 'the message names the mode and the fix')

    _, args = setup('md5', MD5_KEYS, 0o600)
    rc, out, err = run(exe, args)
    tap.ok(rc == 2, 'a first bfd key of type md5: exit 2', out + err)
    tap.has(err, r'first bfd key must be of type sha1 or meticulous-sha1', 'the message says which types')
tap.done()
