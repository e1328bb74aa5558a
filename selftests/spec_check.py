#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The uapi header, the YAML spec and the running kernel say the same thing.

KTAP test. Checks:
  1. every command, attribute, enum entry, flag and constant of the YAML spec
     is in uapi/linux/coap_keepalive.h with the same number, and nothing in
     the header is missing from the spec;
  2. every attribute is documented in both;
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
HEADER = os.path.join(SRC, 'uapi/linux/coap_keepalive.h')
SPEC = os.path.join(SRC, 'Documentation/netlink/specs/coap_keepalive.yaml')
U32_MAX = 0xffffffff

results = []


def check(desc, problems):
    results.append((desc, problems))


def c_name(*parts):
    return '_'.join(p.strip('-') for p in parts).replace('-', '_').upper()


def parse_header(text):
    """Return ({name: value} for enum members and #defines, documented names)."""
    vals = {}
    body = re.sub(r'/\*.*?\*/', '', text, flags=re.S)
    for m in re.finditer(r'^#define\s+(\w+)\s+(\d+)\b', body, re.M):
        vals[m.group(1)] = int(m.group(2))
    for m in re.finditer(r'^#define\s+(\w+)\s+"([^"]*)"', body, re.M):
        vals[m.group(1)] = m.group(2)
    for m in re.finditer(r'enum\s+(\w+)\s*\{(.*?)\};', body, re.S):
        nxt = 0
        for item in m.group(2).split(','):
            item = item.strip()
            if not item:
                continue
            name, _, expr = item.partition('=')
            name = name.strip()
            expr = expr.strip()
            if expr:
                expr = re.sub(r'(\d+)U\b', r'\1', expr)
                nxt = eval(expr, {}, dict(vals))  # numbers and names only
            vals[name] = nxt
            nxt += 1
    docs = set(re.findall(r'@(\w+):', text))
    return vals, docs


def spec_expected(spec):
    """Names and numbers the header must have, and names needing docs."""
    want = {}
    docs = []
    want['COAP_KA_GENL_NAME'] = spec['name']
    for d in spec['definitions']:
        if d['type'] == 'const':
            want[c_name('coap-ka', d['name'])] = d['value']
            continue
        prefix = d['name-prefix']
        for i, e in enumerate(d['entries']):
            name = c_name(prefix, e['name'])
            want[name] = (1 << i) if d['type'] == 'flags' else i
            docs.append(name)
    for aset in spec['attribute-sets']:
        for i, a in enumerate(aset['attributes']):
            name = c_name(aset['name-prefix'], a['name'])
            want[name] = a.get('value', i + 1)
            docs.append(name)
    ops = spec['operations']
    for i, op in enumerate(ops['list']):
        name = c_name(ops['name-prefix'], op['name'])
        want[name] = op.get('value', i + 1)
        docs.append(name)
    for g in spec['mcast-groups']['list']:
        want['COAP_KA_MCGRP_' + c_name(g['name'])] = g['name']
    return want, docs


def header_vs_spec(spec, vals, hdocs):
    want, docs = spec_expected(spec)
    bad = [f'{n}: header {vals.get(n)!r}, spec {v!r}'
           for n, v in want.items() if vals.get(n) != v]
    check('header has every spec name with the same value', bad)

    # The other way: header members of our enums the spec does not know.
    known = set(want)
    extra = [n for n in vals
             if re.match(r'COAP_KA_(A|CMD|ACTIVITY|ACTION|F)_', n)
             and not re.search(r'_(UNSPEC|MAX|CNT|ALL)$', n) and n not in known]
    check('spec has every header attribute, command and enum', extra)

    undocumented = [n for n in docs if n not in hdocs]
    for aset in spec['attribute-sets']:
        undocumented += [a['name'] for a in aset['attributes'] if not a.get('doc')]
    check('every attribute, command and enum entry documented in both',
          undocumented)


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
    bad = []
    for i, op in enumerate(spec['operations']['list']):
        if 'event' in op:
            continue
        cmd = op.get('value', i + 1)
        kop = op_policy.get(cmd)
        if kop is None:
            bad.append(f'{op["name"]}: kernel has no policy for cmd {cmd}')
            continue
        s = aset[op['attribute-set']]
        num = {a['name']: a.get('value', j + 1)
               for j, a in enumerate(s['attributes'])}
        # genl_ops share one policy between do and dump: compare the union.
        modes = [m for m in ('do', 'dump') if m in op]
        want = set()
        for m in modes:
            want |= set(op[m].get('request', {}).get('attributes', []))
        # nlctrl does not advertise big-endian (NLA_BE16/32) attributes.
        want -= {a['name'] for a in s['attributes']
                 if a.get('byte-order') == 'big-endian'}
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


def main():
    with open(SPEC) as f:
        spec = yaml.safe_load(f)
    with open(HEADER) as f:
        vals, hdocs = parse_header(f.read())
    header_vs_spec(spec, vals, hdocs)
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
