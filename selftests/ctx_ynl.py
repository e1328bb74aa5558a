#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""KTAP test: contexts through the kernel's own YNL library driven by our
YAML spec, cross-checked against the coap-keepalive CLI: what one writes
the other reads back identically, for do and dump.

One Python process for all of it (the YNL library imported, the CLI run
as a child): starting Python and parsing the spec cost 5-16 s each under
KASAN in TCG, which is why the shell version of this test did not fit in
the debug lane.

Env: CKA_SRC, CKA_CLI, CKA_YNL (the kernel tree's tools/net/ynl/cli.py: its
lib/ is imported), CKA_SPEC; CKA_NLSPECS (Documentation/netlink of that
tree; default next to CKA_YNL).
"""

import json
import os
import subprocess
import sys

SRC = os.environ.get('CKA_SRC', os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLI = os.environ.get('CKA_CLI', os.path.join(SRC, 'tools/coap-keepalive/coap-keepalive'))
YNL = os.environ.get('CKA_YNL', '')
SPEC = os.environ.get('CKA_SPEC', os.path.join(SRC, 'Documentation/netlink/specs/coap_keepalive.yaml'))
NLSPECS = os.environ.get('CKA_NLSPECS',
                         os.path.join(os.path.dirname(YNL), '../../../Documentation/netlink'))
SCHEMA = os.path.join(NLSPECS, 'genetlink-legacy.yaml')

PLAN = 7
results = []


def diag(text):
    for line in str(text).splitlines():
        print('#', line)


def result(ok, desc, why=''):
    results.append(ok)
    print(f"{'ok' if ok else 'not ok'} {len(results)} {desc}")
    if not ok and why:
        diag(why)
    sys.stdout.flush()


def plain(x):
    """A YNL reply as JSON would carry it (sets of flags become lists)."""
    return json.loads(json.dumps(x, default=lambda o: sorted(o)))


def norm(x):
    if isinstance(x, list):
        return sorted((norm(i) for i in x), key=lambda c: c.get('ctx-id', 0))
    if isinstance(x, dict):
        return {k: sorted(v) if isinstance(v, list) else v for k, v in x.items()}
    return x


def differ(a, b):
    """'' if the JSON values are equal (lists compared by ctx-id), else why."""
    a, b = norm(plain(a)), norm(plain(b))
    if a == b:
        return ''
    return ('first:  ' + json.dumps(a, sort_keys=True) + '\n' +
            'second: ' + json.dumps(b, sort_keys=True))


def cli(*args):
    """The CLI's JSON array; raises on failure with its stderr."""
    p = subprocess.run([CLI, '-j', *map(str, args)], capture_output=True, text=True)
    if p.returncode:
        raise RuntimeError(f"coap-keepalive {' '.join(map(str, args))}: exit {p.returncode}: {p.stderr.strip()}")
    return json.loads(p.stdout)


def cli1(*args):
    """The CLI's one object: -j always prints an array, here of one."""
    a = cli(*args)
    if not isinstance(a, list) or len(a) != 1:
        raise RuntimeError(f"not an array of one object: {a!r}")
    return a[0]


def check(desc, fn):
    try:
        why = fn()
    except Exception as e:  # a failed check says why, the next ones run
        why = f"{type(e).__name__}: {e}"
    result(not why, desc, why)


def main():
    print('TAP version 13')
    if not os.access(SCHEMA, os.R_OK) or not os.access(YNL, os.R_OK):
        print(f'1..0 # SKIP YNL or its schemas not found ({YNL}, {SCHEMA})')
        return 4
    sys.path.insert(0, os.path.dirname(YNL))
    from lib import YnlFamily, NlError  # pylint: disable=import-outside-toplevel

    print(f'1..{PLAN}')
    ynl = YnlFamily(SPEC, SCHEMA)
    ids = {}

    # Start clean.
    for c in cli('context', 'show'):
        cli('context', 'del', c['ctx-id'])

    def made_by_ynl():
        made = ynl.do('ctx-new', {
            'keepalive-secs': 42, 'ack-timeout-ms': 250, 'ack-random-factor': 1750,
            'max-retransmit': 3, 'pong-timeout-ms': 900, 'activity': 'rx',
            'jitter-pct': 5, 'action': 'abort', 'flags': ['answer-pings', 'empty-ping'],
        }, [])
        ids[1] = made['ctx-id']
        return differ(made, cli1('context', 'show', ids[1]))
    check('ynl ctx-new reply equals CLI context show', made_by_ynl)

    def made_by_cli():
        made = cli1('context', 'add', 'seconds', 7, 'activity', 'rxtx',
                    'action', 'notify', 'flags', 'none')
        ids[2] = made['ctx-id']
        return differ(made, ynl.do('ctx-get', {'ctx-id': ids[2]}, []))
    check('CLI context add equals ynl ctx-get', made_by_cli)

    def set_by_ynl():
        before = cli1('context', 'show', ids[2])
        ynl.do('ctx-set', {'ctx-id': ids[2], 'max-retransmit': 9}, [])
        before['max-retransmit'] = 9
        return differ(before, cli1('context', 'show', ids[2]))
    check('ynl ctx-set changes one setting, seen by the CLI', set_by_ynl)

    def dumps_agree():
        ydump = ynl.dump('ctx-get', {})
        if len(ydump) != 2:
            return f'ynl dump lists {len(ydump)} contexts, expected 2: {plain(ydump)}'
        return differ(ydump, cli('context', 'show'))
    check('ynl dump equals CLI dump (2 contexts)', dumps_agree)

    def del_by_ynl():
        ynl.do('ctx-del', {'ctx-id': ids[1]}, [])
        p = subprocess.run([CLI, 'context', 'show', str(ids[1])],
                           capture_output=True, text=True)
        if p.returncode == 0 or 'no context with this id' not in p.stderr:
            return f'CLI show of a deleted context: exit {p.returncode}: {p.stderr.strip()}'
        return ''
    check('ynl ctx-del removes the context', del_by_ynl)

    def range_error():
        try:
            ynl.do('ctx-set', {'ctx-id': ids[2], 'jitter-pct': 51}, [])
        except NlError as e:
            return '' if 'out of range' in str(e) else f'no "out of range" in: {e}'
        return 'jitter-pct 51 accepted'
    check("ynl sees the policy's out-of-range error", range_error)

    def bad_enum():
        try:
            ynl.do('ctx-set', {'ctx-id': ids[2], 'action': 'explode'}, [])
        except NlError as e:
            return f'the kernel was asked (it said: {e})'
        except Exception:  # YNL refuses the name itself
            pass
        else:
            return "action 'explode' accepted"
        got = cli1('context', 'show', ids[2])['action']
        return '' if got == 'notify' else f'action is now {got!r}'
    check('unknown enum name refused, context unchanged', bad_enum)

    if 2 in ids:
        cli('context', 'del', ids[2])
    failed = results.count(False)
    print(f'# {PLAN - failed} passed, {failed} failed')
    return 1 if failed or len(results) != PLAN else 0


if __name__ == '__main__':
    sys.exit(main())
