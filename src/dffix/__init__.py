"""dffix: a Dockerfile auto-fixer that keeps every byte it does not fix."""

from __future__ import annotations

__version__ = "0.1.0"
# Where the project lives: rule documentation links in reports, project URLs.
HOMEPAGE = "https://github.com/dffix/dffix"


def version_line() -> str:
    """Return what `dffix --version` prints: `dffix X.Y.Z`, and `(compiled)` after it for
    the build setup.py compiles with mypyc (black and mypy say the same of theirs)."""
    import os

    here = os.path.dirname(__file__)
    compiled = any(n.startswith("fixer.") and not n.endswith(".py") for n in os.listdir(here))
    return f"dffix {__version__}{' (compiled)' if compiled else ''}\n"
