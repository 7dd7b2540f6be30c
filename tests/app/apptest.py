# SPDX-License-Identifier: BSD-3-Clause
"""Shared by the app tests: run tether-pmd, check its output, print TAP.

Every check is one TAP line, so that meson counts and names each. A failed
check prints the output it looked at as TAP diagnostics ("# ...").
"""
import os
import re
import subprocess
import sys
import tempfile


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, desc, diag=None):
        self.n += 1
        print(('ok %d - %s' if cond else 'not ok %d - %s') % (self.n, desc))
        if not cond:
            self.failed += 1
            for line in (diag or '').splitlines()[-60:]:
                print('# ' + line)
        sys.stdout.flush()
        return cond

    def has(self, text, pattern, desc):
        """pattern (a regex) occurs in text."""
        return self.ok(re.search(pattern, text, re.M) is not None, desc, text)

    def lacks(self, text, pattern, desc):
        return self.ok(re.search(pattern, text, re.M) is None, desc, text)

    def note(self, text):
        """Text as TAP diagnostics, whatever the checks say."""
        for line in text.splitlines():
            print('# ' + line)
        sys.stdout.flush()

    def done(self):
        print('1..%d' % self.n)
        sys.exit(1 if self.failed else 0)


def run(exe, args, stdin=None, timeout=60):
    """Run exe with args; return (exit status, stdout, stderr)."""
    p = subprocess.run([exe] + args, input=stdin, capture_output=True, text=True,
                       timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def run_cmdfile(exe, text, extra=(), timeout=60):
    """Run the in-process topology on a command file holding text."""
    with tempfile.NamedTemporaryFile('w', suffix='.cmd', delete=False) as f:
        f.write(text)
        path = f.name
    try:
        return path, run(exe, ['--', '--cmdfile', path] + list(extra), timeout=timeout)
    finally:
        os.unlink(path)
