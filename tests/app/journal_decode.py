# SPDX-License-Identifier: BSD-3-Clause
"""The master journal's record format (engine/journal.h), decoded in Python
for the tests that check a journal file from the outside: tests/app
journal_test.py and tests/system restart_test.py."""
import struct
import zlib

HDR = struct.Struct('>IBBHQIII')  # journal.h: magic, version, type, reserved, seq, len, crcs
MAGIC = 0x544A524E
T_START, T_SUBMIT, T_COMMIT, T_CANCELLED = 1, 2, 3, 4
EPOCH_SHIFT = 16  # a generation's task epochs: [gen << 16, (gen + 1) << 16)


def decode(data):
    """Records (type, seq, fields...) of a journal, and the valid length (journal.h)."""
    recs, off, seq = [], 0, 1
    while off + HDR.size <= len(data):
        magic, ver, typ, res, s, blen, hcrc, rcrc = HDR.unpack_from(data, off)
        if magic != MAGIC or zlib.crc32(data[off:off + 20]) != hcrc:
            break
        if ver != 1 or res != 0 or s != seq or off + HDR.size + blen > len(data):
            break
        body = data[off + HDR.size:off + HDR.size + blen]
        if zlib.crc32(data[off:off + 24] + body) != rcrc:
            break
        if typ == T_START:
            gen, base = struct.unpack('>II', body)
            recs.append((typ, s, gen, base))
        elif typ == T_SUBMIT:
            task, hlen, _, _, _, plen = struct.unpack_from('>QBBBBI', body)
            recs.append((typ, s, task, body[16:16 + hlen].decode(), plen))
        else:
            task, epoch, worker, status = struct.unpack_from('>QIIB', body)
            recs.append((typ, s, task, epoch, worker, status))
        off += HDR.size + blen
        seq += 1
    return recs, off

def offsets(data, valid):
    """Where each of the valid records starts."""
    offs, off = [], 0
    while off < valid:
        offs.append(off)
        off += HDR.size + HDR.unpack_from(data, off)[5]
    return offs

def state(recs):
    """Task id -> [submits, commits, cancels] of decoded records."""
    tasks = {}
    for r in recs:
        if r[0] == T_SUBMIT:
            tasks.setdefault(r[2], [0, 0, 0])[0] += 1
        elif r[0] in (T_COMMIT, T_CANCELLED):
            tasks.setdefault(r[2], [0, 0, 0])[1 if r[0] == T_COMMIT else 2] += 1
    return tasks

def record(typ, seq, body):
    """One encoded record (journal.h), to tear."""
    hdr = struct.pack('>IBBHQI', MAGIC, 1, typ, 0, seq, len(body))
    hdr += struct.pack('>I', zlib.crc32(hdr))
    return hdr + struct.pack('>I', zlib.crc32(hdr + body)) + body
