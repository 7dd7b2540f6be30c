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

def check_history(tap, recs, kills):
    """The checks both journal tests make of a whole file written by kills + 1
    master generations under a load that never cancels. Returns (tasks, late):
    state(recs) and how many tasks pending at a kill a later master committed."""
    gens = [r[2] for r in recs if r[0] == T_START]
    tap.ok(gens == list(range(1, kills + 2)),
           'one MASTER_START per master start, generations 1..%d' % (kills + 1), str(gens))
    tasks = state(recs)
    tap.ok(len(tasks) > 0, '%d tasks submitted over %d kills' % (len(tasks), kills))
    tap.ok(all(v[0] == 1 for v in tasks.values()), 'every task submitted once, no orphan end',
           str([(t, v) for t, v in tasks.items() if v[0] != 1][:20]))
    twice = [t for t, v in tasks.items() if v[1] > 1]
    tap.ok(not twice, 'no task committed twice across the restarts', str(twice[:20]))
    # Nothing cancels here: a task the replay dropped or cancelled is lost.
    lost = [t for t, v in tasks.items() if v[1] != 1 or v[2] != 0]
    tap.ok(not lost, 'none lost: every task committed, none cancelled (%d)' % len(tasks),
           str(lost[:20]))
    gen, bad_epoch, ids_back, max_id, prev_max, late, sub_gen = 0, [], [], 0, 0, 0, {}
    for r in recs:
        if r[0] == T_START:
            gen = r[2]
            prev_max = max_id
        elif r[0] == T_SUBMIT:
            if r[2] <= prev_max:
                ids_back.append(r[2])
            max_id = max(max_id, r[2])
            sub_gen[r[2]] = gen
        elif r[0] == T_COMMIT:
            if r[3] >> EPOCH_SHIFT != gen:
                bad_epoch.append((r[2], r[3], gen))
            if sub_gen.get(r[2], gen) != gen:
                late += 1
    tap.ok(not bad_epoch, 'every commit carries an epoch of the generation that made it',
           str(bad_epoch[:20]))
    tap.ok(not ids_back, 'new task ids are above every id of earlier generations',
           str(ids_back[:20]))
    tap.ok(late > 0, '%d tasks pending at a kill were committed by a later master' % late)
    return tasks, late


def record(typ, seq, body):
    """One encoded record (journal.h), to tear."""
    hdr = struct.pack('>IBBHQI', MAGIC, 1, typ, 0, seq, len(body))
    hdr += struct.pack('>I', zlib.crc32(hdr))
    return hdr + struct.pack('>I', zlib.crc32(hdr + body)) + body
