"""Build dffix, pure by default; with DFFIX_MYPYC=1, its hot modules compiled with mypyc.

The compiled build is the same code: mypyc turns the type-checked modules below into C
extensions (as black ships its wheels). The source install and the editable install stay
pure Python. `DFFIX_MYPYC=1 pip install .` builds it; pip then fetches the pinned mypy
itself (setuptools asks for `setup_requires` before it builds the wheel).
"""

from __future__ import annotations

import os

from setuptools import setup

# The modules a fixing run spends its time in: the syntax layer, the fixer and the rules.
# They define no records or enums: mypyc would build those with typing's and enum's
# classes (dffix/rules/records.py says why). Left pure: the command line, the server and
# prove (start-up and I/O, not compute), the records and lazy-import shims, the modules
# that are mostly records (syntax/tree.py, edits.py, facts.py, rules/records.py,
# rules/deps/model.py), rules/base.py (rules in pure modules subclass its Rule),
# rules/multistage.py (it rewrites a rule's docstring at import), rules/split.py (its
# patterns, rarely run) and the small modules that take little time (suppress.py, and the
# deps readers copies, golang, php, ruby and paths).
COMPILED = [
    "src/dffix/fixer.py",
    "src/dffix/memo.py",
    "src/dffix/diff.py",
    "src/dffix/rules/apt.py",
    "src/dffix/rules/buildable.py",
    "src/dffix/rules/cmd.py",
    "src/dffix/rules/copy.py",
    "src/dffix/rules/execform.py",
    "src/dffix/rules/dockerignore.py",
    "src/dffix/rules/images.py",
    "src/dffix/rules/layers.py",
    "src/dffix/rules/packages.py",
    "src/dffix/rules/pm.py",
    "src/dffix/rules/practices.py",
    "src/dffix/rules/runtime.py",
    "src/dffix/rules/style.py",
    "src/dffix/rules/user.py",
    "src/dffix/rules/deps/commands.py",
    "src/dffix/rules/deps/context.py",
    "src/dffix/rules/deps/findings.py",
    "src/dffix/rules/deps/installers.py",
    "src/dffix/rules/deps/layout.py",
    "src/dffix/rules/deps/node.py",
    "src/dffix/rules/deps/pip.py",
    "src/dffix/rules/deps/planner.py",
    "src/dffix/rules/deps/pyproject.py",
    "src/dffix/rules/deps/run.py",
    "src/dffix/syntax/parser.py",
    "src/dffix/syntax/shell.py",
    "src/dffix/syntax/words.py",
]
MYPY = "mypy==2.4.1"  # mypyc's output changes with its version: the compiled build is pinned

if os.environ.get("DFFIX_MYPYC") == "1":
    try:
        from mypyc.build import mypycify
    except ImportError:  # setuptools' first call, to learn what the build needs
        setup(setup_requires=[MYPY])
    else:
        setup(setup_requires=[MYPY], ext_modules=mypycify(COMPILED, opt_level="3"))
else:
    setup()
