"""The lossless Dockerfile syntax layer: `parse(text)` and `render(tree)`."""

from __future__ import annotations

from dffix.syntax.parser import ParseError, parse
from dffix.syntax.tree import (
    Directive,
    Dockerfile,
    Flag,
    Form,
    Heredoc,
    Instruction,
    LineKind,
    OffsetMap,
    PhysLine,
    Span,
    Trivia,
    render,
)

__all__ = [
    "Directive",
    "Dockerfile",
    "Flag",
    "Form",
    "Heredoc",
    "Instruction",
    "LineKind",
    "OffsetMap",
    "ParseError",
    "PhysLine",
    "Span",
    "Trivia",
    "parse",
    "render",
]
