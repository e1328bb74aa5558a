#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The YAML spec holds together, and the running kernel says what it says.

The uapi header and the kernel's policies and ops table are generated from
the spec (scripts/ynl-gen.sh; the host check "ynl-gen" of make check fails
when a committed file differs from what the spec gives), so header and spec
cannot disagree. What can still differ is checked here. KTAP test:
  1. the limits the spec gives C users (enum coap_ka_limits) are the bounds
     its attributes' checks give the kernel's policies;
  2. every attribute, command and enum entry is documented in the spec (the
     docs are the contract, and the only place it is written);
  3. (with the module loaded and the kernel's YNL library at hand) the policy
     the kernel reports through nlctrl for each command takes exactly the
     attributes the spec lists for its request, with the spec's ranges.
Environment: CKA_SRC (repo root), CKA_YNL (path of tools/net/ynl/cli.py),
CKA_NLSPECS (Documentation/netlink of a kernel tree; optional).
"""
import os
import re
import sys

import yaml

SRC = os.environ.get('CKA_SRC', os.path.join(os.path.dirname(__file__), '..'))
SPEC = os.path.join(SRC, 'Documentation/netlink/specs/coap_keepalive.yaml')
U32_MAX = 0xffffffff

results = []


def check(desc, problems):
    results.append((desc, problems))


def numbered(items):
    """{name: number} of attributes or operations: an explicit value sets the
    number, the next ones count on from it."""
    out, val = {}, 0
    for i, x in enumerate(items):
        val = x.get('value', val + 1 if i else 1)
        out[x['name']] = val
    return out


# Limit names whose attribute is not simply the name without -min/-max.
LIMIT_ATTR = {'random-factor': 'ack-random-factor'}
# Limits that bound a count of attributes, not an attribute's value.
COUNT_LIMITS = {'session-add-peers-max'}


def limits_vs_checks(spec):
    lim = next(d for d in spec['definitions'] if d['name'] == 'limits')
    attrs = {a['name']: a for s in spec['attribute-sets']
             if 'subset-of' not in s for a in s['attributes']}
    bad, seen = [], 0
    for e in lim['entries']:
        base, _, bound = e['name'].rpartition('-')
        if bound not in ('min', 'max') or e['name'] in COUNT_LIMITS:
            continue  # defaults, counts
        attr = attrs.get(LIMIT_ATTR.get(base, base))
        if attr is None:
            bad.append(f'limit {e["name"]}: no attribute {base}')
            continue
        seen += 1
        got = attr.get('checks', {}).get(bound)
        if got != e['value']:
            bad.append(f'limit {e["name"]} = {e["value"]}, attribute '
                       f'{attr["name"]} checks {bound}: {got}')
    if not seen:
        bad.append('no min/max limits found')
    check('the spec\'s limits are its attributes\' checks', bad)


def documented(spec):
    missing = []
    for d in spec['definitions']:
        missing += [f'{d["name"]}.{e["name"]}' for e in d.get('entries', [])
                    if not e.get('doc')]
        if not d.get('doc'):
            missing.append(d['name'])
    for s in spec['attribute-sets']:
        missing += [a['name'] for a in s['attributes'] if not a.get('doc')]
    missing += [op['name'] for op in spec['operations']['list']
                if not op.get('doc')]
    check('every attribute, command and enum entry documented', missing)


def resolve(spec, v):
    if isinstance(v, int):
        return v
    for d in spec['definitions']:
        if d['type'] == 'const' and d['name'] == v:
            return d['value']
    raise KeyError(v)


TYPE_MAX = {'u8': 0xff, 'u16': 0xffff, 'u32': U32_MAX, 'u64': (1 << 64) - 1}


def expected_policy(spec, aset, attr_name):
    """What the kernel should report for an attribute: a dict of nlctrl keys."""
    a = next(x for x in aset['attributes'] if x['name'] == attr_name)
    chk = a.get('checks', {})
    if a['type'] == 'nest':
        return {}
    if a['type'] == 'binary':
        n = chk.get('exact-len')
        return {'min-length': n, 'max-length': n} if n else {}
    if a['type'] == 's32':
        return {'min-value-s': chk.get('min', -(1 << 31)),
                'max-value-s': chk.get('max', (1 << 31) - 1)}
    lo = resolve(spec, chk.get('min', 0))
    hi = resolve(spec, chk.get('max', TYPE_MAX[a['type']]))
    if 'enum' in a:
        d = next(x for x in spec['definitions'] if x['name'] == a['enum'])
        if d['type'] == 'flags':
            return {'mask': (1 << len(d['entries'])) - 1}
        hi = len(d['entries']) - 1
    return {'min-value-u': lo, 'max-value-u': hi}


def kernel_vs_spec(spec):
    ynl = os.environ.get('CKA_YNL')
    if not ynl or not os.path.exists('/sys/module/coap_keepalive'):
        check('kernel policies match the spec # SKIP no module or YNL', None)
        return
    sys.path.insert(0, os.path.dirname(ynl))
    from lib import YnlFamily  # noqa: E402
    specs = os.environ.get('CKA_NLSPECS',
                           os.path.join(os.path.dirname(ynl),
                                        '../../../Documentation/netlink'))
    ctrl = YnlFamily(os.path.join(specs, 'specs/nlctrl.yaml'),
                     os.path.join(specs, 'genetlink-legacy.yaml'),
                     process_unknown=True)  # nlctrl pads u64 masks
    replies = ctrl.dump('getpolicy', {'family-name': spec['name']})
    op_policy, policies = {}, {}
    for r in replies:
        if 'op-policy' in r:
            op = dict(r['op-policy'])
            op_policy[op.pop('op-id')] = op
        if 'policy' in r:
            pol = dict(r['policy'])
            # 6.12's nlctrl.yaml swaps the numbers of "mask" and "pad", so
            # the kernel's u64 mask arrives named "pad".
            if isinstance(pol.get('pad'), bytes) and len(pol['pad']) == 8:
                pol['mask'] = int.from_bytes(pol.pop('pad'), sys.byteorder)
            policies.setdefault(pol.pop('policy-id'), {})[pol.pop('attr-id')] = pol

    aset = {a['name']: a for a in spec['attribute-sets']}
    cmds = numbered(spec['operations']['list'])
    bad = []
    for op in spec['operations']['list']:
        if 'do' not in op and 'dump' not in op:
            continue  # events, unspec
        cmd = cmds[op['name']]
        kop = op_policy.get(cmd)
        if kop is None:
            bad.append(f'{op["name"]}: kernel has no policy for cmd {cmd}')
            continue
        s = aset[op['attribute-set']]
        num = numbered(s['attributes'])
        # genl_ops share one policy between do and dump: compare the union.
        modes = [m for m in ('do', 'dump') if m in op]
        want = set()
        for m in modes:
            want |= set(op[m].get('request', {}).get('attributes', []))
        for mode in modes:
            if mode not in kop:
                bad.append(f'{op["name"]} {mode}: kernel has no policy')
                continue
            pol = policies.get(kop[mode], {})
            got = {n for n, v in num.items() if v in pol}
            if got != want:
                bad.append(f'{op["name"]} {mode}: kernel takes {sorted(got)}, '
                           f'spec says {sorted(want)}')
            for name in want & got:
                p = pol[num[name]]
                for key, val in expected_policy(spec, s, name).items():
                    if p.get(key) != val:
                        bad.append(f'{op["name"]} {name}: kernel {key} '
                                   f'{p.get(key)}, spec {val}')
    check('kernel policies match the spec', bad)


CLI_ATTRS = os.path.join(SRC, 'tools/coap-keepalive/attrs.c')


def cli_tables(spec):
    """The CLI's tables (tools/coap-keepalive/attrs.c) name every attribute
    and every enum and flag value as the spec does, and nothing else: they
    are the one hand-written list besides the spec, so they are checked."""
    with open(CLI_ATTRS) as f:
        src = f.read()
    # an entry opens with .name = "x" or CKA_NAME("x") (the name and its length)
    cli_attrs = dict(re.findall(
        r'\[(COAP_KA_A_[A-Z0-9_]+)\]\s*=\s*\{\s*(?:\.name\s*=\s*|CKA_NAME\()"([^"]+)"', src))
    cli_vals = dict(re.findall(r'\{\s*(COAP_KA_[A-Z0-9_]+),\s*"([^"]+)"\s*\}', src))
    bad = []
    aset = spec['attribute-sets'][0]
    want = {}
    for a in aset['attributes']:
        if a['type'] != 'unused':
            want[(aset['name-prefix'] + a['name']).upper().replace('-', '_')] = a['name']
    for c, n in want.items():
        if cli_attrs.get(c) != n:
            bad.append(f'attribute {n}: CLI has {cli_attrs.get(c)!r} for {c}')
    bad += [f'CLI attribute {c} ({n}) not in the spec'
            for c, n in cli_attrs.items() if c not in want]
    want = {}
    for d in spec['definitions']:
        if d['type'] not in ('enum', 'flags') or d['name'] == 'limits':
            continue
        for e in d['entries']:
            name = e if isinstance(e, str) else e['name']
            want[(d['name-prefix'] + name).upper().replace('-', '_')] = name
    for c, n in want.items():
        if cli_vals.get(c) != n:
            bad.append(f'value {n}: CLI has {cli_vals.get(c)!r} for {c}')
    bad += [f'CLI value {c} ({n}) not in the spec'
            for c, n in cli_vals.items() if c not in want]
    check('the CLI\'s attribute and value names are the spec\'s', bad)


def main():
    with open(SPEC) as f:
        spec = yaml.safe_load(f)
    limits_vs_checks(spec)
    documented(spec)
    cli_tables(spec)
    try:
        kernel_vs_spec(spec)
    except Exception as e:  # a broken reply is a failure, not a crash
        check('kernel policies match the spec', [f'{type(e).__name__}: {e}'])

    print('TAP version 13')
    print(f'1..{len(results)}')
    failed = 0
    for n, (desc, problems) in enumerate(results, 1):
        if problems is None:
            print(f'ok {n} {desc}')
        elif problems:
            failed += 1
            print(f'not ok {n} {desc}')
            for p in problems:
                print(f'# {p}')
        else:
            print(f'ok {n} {desc}')
    print(f'# Totals: pass:{len(results) - failed} fail:{failed}')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
