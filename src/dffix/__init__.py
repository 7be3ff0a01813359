"""dffix: a Dockerfile auto-fixer that keeps every byte it does not fix."""

from __future__ import annotations

__version__ = "0.1.0"
