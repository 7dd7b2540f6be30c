#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Print one closing line for a meson test log: "tests: N passed, N failed".

Counts TAP sub-tests (each cmocka case) where a test speaks TAP, and the
test itself otherwise. Exits non-zero if anything failed or nothing ran.
"""
import json
import re
import sys

passed = failed = skipped = 0
with open(sys.argv[1]) as log:
    for line in log:
        rec = json.loads(line)
        res = rec.get("result")
        out = rec.get("stdout") or ""
        oks = len(re.findall(r"^ok \d+", out, re.M))
        bad = len(re.findall(r"^not ok \d+", out, re.M))
        if re.search(r"^1\.\.\d+", out, re.M) and (oks or bad):
            skips = len(re.findall(r"^ok \d+.*# SKIP", out, re.M | re.I))
            passed += oks - skips
            skipped += skips
            failed += bad
            if res not in ("OK", "SKIP", "EXPECTEDFAIL") and not bad:
                failed += 1
        elif res in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif res == "SKIP":
            skipped += 1
        else:
            failed += 1
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or passed == 0 else 0)
