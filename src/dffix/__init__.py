"""dffix: a Dockerfile auto-fixer that keeps every byte it does not fix."""

from __future__ import annotations

__version__ = "0.1.0"
# Where the project lives: rule documentation links in reports, project URLs.
HOMEPAGE = "https://github.com/dffix/dffix"
