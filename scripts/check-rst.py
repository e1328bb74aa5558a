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
# roles doc, c:func, c:type, c:macro, manpage; directives toctree,
# kernel-doc; ref must name a label of the same file. Everything else is
# checked as plain reStructuredText:
# titles, lists, tables, literal blocks, inline markup, targets and
# references within the file.
import re
import sys

import docutils.core
import docutils.nodes
import docutils.utils
from docutils.parsers.rst import Directive, directives, roles


def literal_role(name, rawtext, text, lineno, inliner, options=None,
                 content=None):
    return [docutils.nodes.literal(rawtext, text)], []


for r in ("doc", "c:func", "c:type", "c:macro", "manpage"):
    roles.register_local_role(r, literal_role)

# :ref: (ynl-gen-rst.py links within its page with it) must name a label
# of the same file: an unknown one is an error here, as Sphinx warns.
labels = set()


def ref_role(name, rawtext, text, lineno, inliner, options=None,
             content=None):
    label = re.sub(r"^.*<(.*)>$", r"\1", text)
    if label not in labels:
        msg = inliner.reporter.error("unknown label %r" % label, line=lineno)
        return [inliner.problematic(rawtext, rawtext, msg)], [msg]
    return [docutils.nodes.literal(rawtext, text)], []


roles.register_local_role("ref", ref_role)


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
    labels.clear()
    labels.update(re.findall(r"^\.\. _([^:]+):\s*$", src, re.M))
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
