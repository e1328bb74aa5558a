#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""rst-check.py FILE...: parse reStructuredText with docutils; fail on any
warning or error (docutils report level 2 and up).

Sphinx is not needed: its :ref: role, which ynl-gen-rst.py uses for links
inside a page, is stood in for by a role that checks the label exists in
the same file (an unknown label is an error, as it would be a warning in
Sphinx)."""
import re
import sys

import docutils.core
import docutils.utils
from docutils import nodes
from docutils.parsers.rst import roles


def main(paths):
    bad = 0
    for path in paths:
        with open(path, encoding='utf-8') as f:
            text = f.read()
        labels = set(re.findall(r'^\.\. _([^:]+):\s*$', text, re.M))

        def ref_role(name, rawtext, text, lineno, inliner, options=None,
                     content=None):
            label = re.sub(r'^.*<(.*)>$', r'\1', text)
            if label not in labels:
                msg = inliner.reporter.error(f'unknown label {label!r}',
                                             line=lineno)
                return [inliner.problematic(rawtext, rawtext, msg)], [msg]
            return [nodes.reference(rawtext, text, refid=label)], []

        roles.register_local_role('ref', ref_role)
        out = []

        class Stream:
            def write(self, s):
                out.append(s)

        docutils.core.publish_doctree(
            text, source_path=path,
            settings_overrides={'report_level': 2, 'halt_level': 5,
                                'warning_stream': Stream()})
        if out:
            bad += 1
            sys.stdout.write(''.join(out))
        else:
            print(f'{path}: clean')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
