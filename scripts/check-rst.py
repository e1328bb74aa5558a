#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# check-rst.py FILE.rst...: parse each file with docutils (no Sphinx) and
# print every message of level 2 (warning) or above; exit 1 if any.
#
# The kernel's documentation is built by Sphinx, whose roles and
# directives plain docutils does not know. The few our files (and the
# ones tools/net/ynl/ynl-gen-rst.py generates) use are registered here as
# stand-ins that accept their argument and render it as literal text:
# roles ref, doc, c:func, c:type, c:macro, manpage; directives toctree,
# kernel-doc. Everything else is checked as plain reStructuredText:
# titles, lists, tables, literal blocks, inline markup, targets and
# references within the file.
import sys

import docutils.core
import docutils.nodes
import docutils.utils
from docutils.parsers.rst import Directive, directives, roles


def literal_role(name, rawtext, text, lineno, inliner, options=None,
                 content=None):
    return [docutils.nodes.literal(rawtext, text)], []


for r in ("ref", "doc", "c:func", "c:type", "c:macro", "manpage"):
    roles.register_local_role(r, literal_role)


class Ignored(Directive):
    """A Sphinx directive: its arguments and content are not checked."""
    has_content = True
    optional_arguments = 10
    final_argument_whitespace = True
    option_spec = None

    def run(self):
        return []


# Accept any option (:maxdepth:, :glob:, :internal: ...).
class AnyOptions(dict):
    def __getitem__(self, key):
        return directives.unchanged

    def __contains__(self, key):
        return True


Ignored.option_spec = AnyOptions()
for d in ("toctree", "kernel-doc"):
    directives.register_directive(d, Ignored)


class Collect:
    def __init__(self):
        self.text = []

    def write(self, s):
        self.text.append(s)

    def flush(self):
        pass


bad = 0
for path in sys.argv[1:]:
    out = Collect()
    with open(path, encoding="utf-8") as f:
        src = f.read()
    try:
        docutils.core.publish_doctree(
            src, source_path=path,
            settings_overrides={
                "report_level": 2,	# warnings and worse
                "halt_level": 5,	# never stop: report them all
                "warning_stream": out,
                "file_insertion_enabled": False,
                "raw_enabled": False,
            })
    except Exception as e:		# a crash is a failure too
        out.write("%s: docutils failed: %s\n" % (path, e))
    msgs = "".join(out.text)
    if msgs:
        bad = 1
        sys.stdout.write(msgs)
    else:
        print("%s: ok" % path)
sys.exit(bad)
