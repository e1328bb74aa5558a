#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Put the spec's documentation into the uapi header ynl-gen-c.py wrote.

ynl-gen-c.py (6.12) documents enums and flags in the uapi header but not
the family, its attributes or its commands; those docs reach only the rst
reference. The header is the contract C users read, so this step, run by
scripts/ynl-gen.sh right after ynl-gen-c.py, adds from the same spec:

  * the family's doc as a comment before the family name,
  * a kernel-doc block for the attribute enum (type and doc of each),
  * a kernel-doc block for the command enum (doc of each).

Usage: uapi-doc.py SPEC HEADER   (HEADER is rewritten in place)
"""
import sys
import textwrap

import yaml

WIDTH = 80


def c_name(prefix, name):
    return (prefix + name).upper().replace('-', '_')


def wrap(text, first, rest):
    """Wrap @text as comment lines: @first before the first line's words,
    @rest before the others; blank lines of the doc are kept."""
    out = []
    paras = text.strip().split('\n\n')
    for i, para in enumerate(paras):
        words = ' '.join(para.split())
        out += textwrap.wrap(words, WIDTH, initial_indent=first if i == 0 else rest,
                             subsequent_indent=rest, break_on_hyphens=False,
                             tabsize=8) or [first.rstrip()]
        if i + 1 < len(paras):
            out.append(' *')
    return out


def kdoc_enum(name, summary, members):
    lines = ['/**']
    lines += wrap(summary, ' * enum %s - ' % name, ' *   ')
    for member, doc in members:
        lines += wrap(doc, ' * @%s: ' % member, ' *   ')
    lines.append(' */')
    return lines


def family_comment(doc):
    lines = ['/*']
    for para in doc.strip().split('\n\n'):
        block = para.split('\n')
        # rst section titles and literal blocks keep their lines
        if len(block) == 2 and set(block[1]) <= set('=-~'):
            lines.append(' * ' + block[0])
        elif any(l.startswith('  ') for l in block):
            lines += [(' * ' + l).rstrip() for l in block]
        else:
            lines += wrap(para, ' * ', ' * ')
        lines.append(' *')
    if lines[-1] == ' *':
        lines.pop()
    lines.append(' */')
    return lines


def main():
    spec = yaml.safe_load(open(sys.argv[1]))
    path = sys.argv[2]
    src = open(path).read().split('\n')

    enums = {}
    for d in spec.get('definitions', []):
        if d.get('type') in ('enum', 'flags'):
            ename = d.get('enum-name') or (spec['name'] + '-' + d['name'])
            enums[d['name']] = ename.replace('-', '_')
    aset = spec['attribute-sets'][0]
    attrs = []
    for a in aset['attributes']:
        kind = a['type']
        if kind == 'unused':
            kind = ''
        elif kind == 'binary' and a.get('checks', {}).get('exact-len'):
            kind = 'binary, %d bytes' % a['checks']['exact-len']
        if 'enum' in a:
            kind += ', enum ' + enums.get(a['enum'], a['enum'])
        doc = a.get('doc', '')
        attrs.append((c_name(aset['name-prefix'], a['name']),
                      (kind + ': ' if kind else '') + doc))
    attrs += [(c_name('', aset['attr-cnt-name']), 'one more than the highest'),
              (c_name('', aset['attr-max-name']), 'the highest attribute number')]
    ops = spec['operations']
    cmds = [(c_name(ops['name-prefix'], o['name']), o.get('doc', ''))
            for o in ops['list']]
    cmds += [(c_name('', spec['cmd-cnt-name']), 'one more than the highest'),
             (c_name('', spec['cmd-max-name']), 'the highest command number')]

    attr_enum = aset['enum-name'].replace('-', '_')
    cmd_enum = ops['enum-name'].replace('-', '_')
    inserts = {
        'enum %s {' % attr_enum: kdoc_enum(
            attr_enum,
            'attributes of every command and event; the settings '
            'attributes (keepalive-secs .. flags) are those of a context, '
            'or a session\'s own overrides', attrs),
        'enum %s {' % cmd_enum: kdoc_enum(
            cmd_enum,
            'commands (requests) and events (notifications, _NTF)', cmds),
    }
    out = []
    family_done = False
    for line in src:
        if not family_done and line.startswith('#define ') and \
           spec['c-family-name'].upper().replace('-', '_') in line:
            out += family_comment(spec['doc'])
            family_done = True
        if line in inserts:
            out += inserts.pop(line)
        out.append(line)
    if inserts or not family_done:
        sys.exit('uapi-doc.py: %s: did not find %s' %
                 (path, ', '.join(list(inserts) or ['the family name'])))
    open(path, 'w').write('\n'.join(out))


if __name__ == '__main__':
    main()
