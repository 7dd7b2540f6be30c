#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Command scenarios: the in-process topology (one master, three workers,
two channels each) driven by --cmdfile, one scenario per command family.

Usage: cmdfile_test.py TETHER_PMD FAMILY
FAMILY: run | show | set | fault | task | errors

Each scenario is a command file, the exit status it must end with (1 when
it runs a command that must fail, 2 when it has lines that are not
commands), and what its output must show, in order.
"""
import re
import sys

from apptest import Tap, run_cmdfile

SCENARIOS = {
    # start, stop, quit, sleep, wait, help
    'run': ('''
wait live 5000
stop
show workers
start
wait live 5000
show workers
help quit
help fault
wait event chan-up 1000
quit
show sessions
''', 0, [
        r'^tether> stop\nstopped: heartbeats and channels are silent',
        r'^worker\s+2\s+1\s+live\s',
        r'^tether> start\nstarted: 4 endpoint\(s\) on lcore 1',
        r'^tether> wait live 5000\nevery worker live, every channel up',
        r'^master\s+1\s+2\s+live\s+Up\s+2/2 up',
        r'^worker\s+3\s+2\s+live\s+Up\s+2/2 up',
        r'^  quit: stop everything and exit',
        r'^  fault cut\|restore worker <id> channel <c>:',
        r'^  fault dup worker <id> channel <c> <percent>:',
        r'^  fault reorder worker <id> channel <c> <percent> <hold-us>:',
        r'^  fault pause worker <id> <ms>:',
        r'^chan-up at t=\d+\.\d us: ',
        r'^tether> quit\nbye',
    ], [r'tether> show sessions']),

    # show port stats|xstats all|N, workers, sessions, channels, tasks, timeline
    'show': ('''
wait live 5000
submit 20 crc32 256
wait tasks 3000
show port stats all
show port stats 3
show port xstats 1
show workers
show sessions
show channels
show channels worker 3
show tasks
show tasks summary
show timeline 4
show timeline
show port stats 99
show channels worker 9
''', 1, [
        r'^######## port 0: master port 0 ########',
        r'^  RX-packets: [1-9]\d* ',
        r'heartbeat steering: software',
        r'^  rx_pkts\s+[1-9]\d*\s+rx_udp',
        r'^######## port 5: worker 3 port 0 ########',
        r'^tether> show port stats 3\n######## port 3: worker 2 port 0 ########',
        r'^tether> show port xstats 1\n######## port 1: worker 1 port 0 ########\n  rx_good_packets\s+[1-9]',
        r'^node\s+worker\s+epoch\s+state\s+heartbeat\s+channels\s+tasks\s+detect',
        r'^master\s+3\s+1\s+live\s+Up\s+2/2 up\s+0\s+100\.0ms',
        r'^worker\s+1\s+1\s+live\s+Up\s+2/2 up\s+0\s+50\.0ms\s+0\s+0',
        r'^master\s+2\s+Up\s+no\s+0x[0-9a-f]{8}\s+10000\s+5\s+100000\s+no',
        r'^worker\s+2\s+Up\s+no\s+0x[0-9a-f]{8}\s+10000\s+10\s+50000\s+no',
        r'^master\s+1\s+0\s+up\s+-\s+1\s',
        r'^worker\s+3\s+1\s+up\s+-\s+1\s',
        r'^tether> show channels worker 3\n.*\n(master\s+3\s.*\n){2}(worker\s+3\s.*\n){2}(?=tether>)',
        r'^tether> show tasks\nno task in flight\ntasks: submitted 20, finished 20 \(committed exactly once 20, status ok 20',
        r'^exactly-once: duplicates 0, commits of unknown tasks 0',
        r'^scheduler: assigned 20, rescheduled 0, stale results rejected 0',
        r'^tether> show timeline 4\n\s+time\(us\)\s+node\s+event\n(\s+\d+\.\d\s+\S+ \d?\s+worker \d: .*\n){4}(?=tether>)',
        r'live: all 2 channels up \(epoch 1\)',
        r'^error: port 99 is not one of this process\'s ports \(0 1 2 3 4 5\)',
        r'^error: no worker 9 \(workers: 1 2 3\)',
    ], []),

    # set hb interval|mult, live through Poll/Final; unsafe values refused
    'set': ('''
wait live 5000
set hb interval 15000
sleep 300
show sessions
set hb mult master 9
set hb mult worker 12 worker 2
sleep 300
show sessions
set hb mult master 3 worker 1
sleep 300
show workers
set hb interval 0
set hb mult worker 0
set hb interval 10000 worker 7
set hb interval 10000
sleep 300
wait live 3000
''', 1, [
        r'^master, worker 1: Poll sequence started: interval 15000 us, detect mult 5',
        r'^worker 3: Poll sequence started: interval 15000 us, detect mult 10',
        r'^6 session\(s\) set',
        r'^master\s+1\s+Up\s+no\s+\S+\s+15000\s+5\s+150000\s+no',
        r'^worker\s+3\s+Up\s+no\s+\S+\s+15000\s+10\s+75000\s+no',
        r'^error: worker 1: nothing changed: refused: T1 > T2 \+ I \+ d_max \+ g does not hold: '
        r'.*Fix: raise worker detect_mult to at least 11 or lower master detect_mult to at most 8',
        r'^worker 2: Poll sequence started: interval 15000 us, detect mult 12',
        r'^master\s+2\s+Up\s+no\s+\S+\s+15000\s+5\s+180000\s+no',
        r'^worker\s+2\s+Up\s+no\s+\S+\s+15000\s+12\s+75000\s+no',
        r'^master, worker 1: Poll sequence started: interval 15000 us, detect mult 3',
        r'^worker\s+1\s+1\s+live\s+Up\s+2/2 up\s+0\s+45\.0ms',
        r'^error: interval 0 us: give 1 or more',
        r'^error: Detect Mult 0: allowed 1\.\.255',
        r'^error: no worker 7 \(workers: 1 2 3\)',
        r'^every worker live, every channel up',
    ], [r'fenced', r'FENCED']),

    # fault cut|restore (network and admin), drop, dup, reorder, delay, clear, pause
    'fault': ('''
wait live 5000
fault drop worker 1 hb 10
fault drop worker 1 channel 0 0.5
fault delay worker 3 channel 1 1000 200
fault delay worker 3 hb 500
show channels worker 3
show sessions
fault clear worker 1
fault clear worker 3
show channels worker 3
fault dup worker 2 channel 0 5
fault dup worker 2 hb 2.5
fault reorder worker 2 channel 1 20
fault reorder worker 2 hb 10 5000
show channels worker 2
show sessions
fault clear worker 2
show channels worker 2
fault cut worker 2 channel 1
wait event chan-down worker 2 3000
wait event hb-silenced worker 2 3000
wait event fence worker 2 3000
wait event worker-dead worker 2 3000
fault restore worker 2 channel 1
wait event live worker 2 5000
fault cut worker 3 channel 0 admin
wait event chan-down worker 3 1000
wait event fence worker 3 3000
fault cut worker 3 channel 0 admin
fault restore worker 3 channel 0 admin
wait event live worker 3 5000
fault pause worker 1 250
wait event fence worker 1 3000
wait event worker-dead worker 1 3000
sleep 300
wait live 5000
show workers
fault drop worker 1 hb 101
fault drop worker 1 hb lots
fault cut worker 7 channel 0
fault cut worker 1 channel 2
fault dup worker 1 hb 101
fault reorder worker 1 channel 0 lots
fault reorder worker 1 channel 0 10 0
fault reorder worker 7 hb 10
fault dup worker 1 channel 2 10
''', 1, [
        r'^worker 1 heartbeat: dropping 10% of packets',
        r'^worker 1 channel 0: dropping 0\.5% of packets',
        r'^worker 3 channel 1: delay 1000 us \+ jitter up to 200 us',
        r'^master\s+3\s+1\s+up\s.*delay 1000\+200us',
        r'^worker\s+3\s+1\s+up\s.*delay 1000\+200us',
        r'^master\s+1\s+Up\s.* / drop 10%',
        r'^worker\s+3\s+Up\s.* / delay 500\+0us',
        r'^worker 3: every shim fault cleared\ntether> show channels worker 3\n(.*\n){4}',
        r'^worker 2 channel 0: duplicating 5% of packets',
        r'^worker 2 heartbeat: duplicating 2\.5% of packets',
        r'^worker 2 channel 1: holding 20% of packets behind the next one \(at most 10000 us\)',
        r'^worker 2 heartbeat: holding 10% of packets behind the next one \(at most 5000 us\)',
        r'^master\s+2\s+0\s+up\s.*\sdup 5%\n',
        r'^master\s+2\s+1\s+up\s.*\sreorder 20%/10000us\n',
        r'^worker\s+2\s+0\s+up\s.*\sdup 5%\n',
        r'^worker\s+2\s+1\s+up\s.*\sreorder 20%/10000us\n',
        r'^master\s+2\s+Up\s.* / dup 2\.5% reorder 10%/5000us\n',
        r'^worker\s+2\s+Up\s.* / dup 2\.5% reorder 10%/5000us\n',
        r'^worker 2: every shim fault cleared\ntether> show channels worker 2\n.*\n(.*\s-\n){4}',
        r'^worker 2 channel 1: cut: every packet dropped at t=\d+\.\d us \(both directions\)',
        r'^chan-down at t=\d+\.\d us: \S+( 2)?, worker 2: channel 1 DOWN \(probe-timeout\)',
        r'^hb-silenced at t=.*worker 2: heartbeat silenced: channel 1 went down',
        r'^fence at t=.*worker 2: FENCED: heartbeat lost',
        r'^worker-dead at t=.*master, worker 2: worker declared DEAD \(master timeout, T1\)',
        r'^live at t=.*worker 2: live: all 2 channels up \(epoch 2\)',
        r'^worker 3 channel 0: admin cut at t=\d+\.\d us \(master\)',
        r'^chan-down at t=.*worker 3: channel 0 DOWN \(cut\)',
        r'^fence at t=.*worker 3: FENCED',
        r'^error: worker 3 channel 0 is already cut',
        r'^worker 3 channel 0: admin restore at t=',
        r'^live at t=.*worker 3: live: all 2 channels up \(epoch 2\)',
        r'^worker 1: links frozen for 250 ms at t=',
        r'^fence at t=.*worker 1: FENCED',
        r'^worker-dead at t=.*master, worker 1: worker declared DEAD',
        r'^every worker live, every channel up',
        # a frozen worker may fence more than once while the master still holds its
        # old incarnation (it refuses the new epoch's CONNECT until it declares it dead)
        r'^worker\s+1\s+(\d+)\s+live\s+Up\s+2/2 up\s+0\s+\S+\s+[1-9]\d*\s+[1-9]\d*',
        r'^worker\s+2\s+2\s+live\s+Up\s+2/2 up\s+0\s+\S+\s+1\s+1',
        r'^worker\s+3\s+2\s+live\s+Up\s+2/2 up\s+0\s+\S+\s+1\s+1',
        r'^error: drop 101%?: a percentage 0\.\.100|^error: drop \'101\': a percentage',
        r"^error: drop 'lots': a percentage 0\.\.100",
        r'^error: no worker 7 \(workers: 1 2 3\)',
        r'^error: channel 2: worker 1 has channels 0\.\.1',
        r"^error: dup '101': a percentage 0\.\.100",
        r"^error: reorder 'lots': a percentage 0\.\.100",
        r'^error: reorder hold 0 us: give 1 or more',
        r'^error: no worker 7 \(workers: 1 2 3\)',
        r'^error: channel 2: worker 1 has channels 0\.\.1',
    ], []),

    # submit, load start|stop, wait tasks, the task summary
    'task': ('''
wait live 5000
submit 50 echo 100
submit 10 spin 16 5000
submit 5 nosuch 10
wait tasks 5000
show tasks summary
load start 200 crc32 64
sleep 500
show tasks summary
load stop
wait tasks 5000
show tasks summary
submit 1 spin 2 1000
submit 1 bad/name 10
submit 0 echo 1
load start 0 echo 1
submit 1 echo 70000
load stop
''', 1, [
        r'^50 task\(s\) submitted \(handler echo, 100 bytes\)',
        r'^10 task\(s\) submitted \(handler spin, 16 bytes\)',
        r'^5 task\(s\) submitted \(handler nosuch, 10 bytes\)',
        r'^every task finished: 65 submitted, 65 finished',
        r'^tasks: submitted 65, finished 65 \(committed exactly once 65, status ok 60, '
        r'cancelled 0\), in flight 0',
        r'^load: 200 tasks/s \(handler crc32, 64 bytes\)',
        r'^load: running at 200 tasks/s',
        r'^load stopped after \d+ task\(s\)',
        r'^exactly-once: duplicates 0, commits of unknown tasks 0',
        r'^error: size 2: a spin task needs at least 4 bytes',
        r"^error: handler 'bad/name': 1\.\.31 characters",
        r'^error: submit 0 tasks: give 1 or more',
        r'^error: rate 0: give tasks per second, 1 or more',
        r"^error: size 70000: at most \d+ bytes with handler 'echo'",
        r'^no load running',
    ], []),

    # lines that are not commands: reported with their line number, the rest still runs
    'errors': ('''
show workerz
fault cut worker x channel 0
frobnicate now
# a comment, then a blank line

set hb interval
wait live 5000
show workers
''', 2, [
        r"^error: \S+:1: bad arguments: 'show workerz'\n  usage:\n    show port stats",
        r"^error: \S+:2: bad arguments: 'fault cut worker x channel 0'\n  usage:\n    fault cut",
        r"^error: \S+:3: unknown command: 'frobnicate now'\n  type 'help' for the commands",
        r"^error: \S+:6: bad arguments: 'set hb interval'",
        r'^every worker live, every channel up',
        r'^master\s+1\s+1\s+live',
    ], [r'tether> # a comment']),
}


def main():
    exe, family = sys.argv[1], sys.argv[2]
    text, want_rc, patterns, absent = SCENARIOS[family]
    t = Tap()
    path, (rc, out, err) = run_cmdfile(exe, text.lstrip('\n'), timeout=120)
    t.ok(rc == want_rc, '%s: exit status %d (got %d)' % (family, want_rc, rc), out + err)
    pos = 0
    for pat in patterns:
        m = re.compile(pat, re.M).search(out, pos)
        if t.ok(m is not None, '%s: %s' % (family, pat[:70]), out[pos:] + '\n-- stderr --\n' + err):
            pos = m.end()
    for pat in absent:
        t.lacks(out, pat, '%s: no %s' % (family, pat))
    t.done()


main()
