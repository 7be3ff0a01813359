"""The Rule base class and the Violation it reports."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from dffix.edits import Applicability, Fix
from dffix.facts import Facts
from dffix.records import TYPE_CHECKING, Enum, NamedTuple
from dffix.syntax.tree import Dockerfile, Span

if TYPE_CHECKING:
    from typing import ClassVar


class Fixability(Enum):
    """Whether a rule can offer a fix, as shown by --list-rules and the docs."""

    ALWAYS = "always"
    SOMETIMES = "sometimes"
    NEVER = "never"


class Violation(NamedTuple):
    """One diagnostic: which rule, what is wrong, where, and an optional fix.

    `isolation` names a region (e.g. a stage) in which only one fix with the same key
    may be applied per pass, for rules that move or merge whole instructions.
    """

    code: str
    name: str
    message: str
    span: Span
    fix: Fix | None = None
    fix_title: str | None = None
    isolation: str | None = None


class Rule:
    """A check over one parsed Dockerfile that may propose fixes.

    Subclasses set the class attributes and implement `check`. Options arrive in
    `__init__` from the settings (`[tool.dffix.rules.<name>]`).
    """

    code: ClassVar[str]
    name: ClassVar[str]
    message: ClassVar[str]
    fix_title: ClassVar[str | None] = None
    fixability: ClassVar[Fixability] = Fixability.NEVER
    # The surest fix the rule can offer, None when it offers none to apply (see
    # `surest_fix`). While fixing at a level above it, the rule runs only on the text the
    # passes end with, to report what is left: it cannot change what they do.
    best_fix: ClassVar[Applicability | None] = Applicability.SAFE
    aliases: ClassVar[tuple[str, ...]] = ()  # hadolint code, BuildKit check name
    default_enabled: ClassVar[bool] = True
    # "warning", or "error" for what BuildKit refuses to build (the DF0xx rules).
    severity: ClassVar[str] = "warning"
    option_defaults: ClassVar[Mapping[str, object]] = {}

    def __init__(self, options: Mapping[str, object] | None = None) -> None:
        self.options = {**self.option_defaults, **(options or {})}

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        """Yield the violations of this rule in `df`."""
        raise NotImplementedError

    def violation(
        self,
        span: Span,
        fix: Fix | None = None,
        *,
        message: str | None = None,
        fix_title: str | None = None,
        isolation: str | None = None,
    ) -> Violation:
        """Return a Violation of this rule at `span`."""
        return Violation(
            code=self.code,
            name=self.name,
            message=message or self.message,
            span=span,
            fix=fix,
            fix_title=(fix_title or self.fix_title) if fix else None,
            isolation=isolation,
        )

    @classmethod
    def surest_fix(cls) -> Applicability | None:
        """Return the surest fix the rule can offer, None for none (Fixability.NEVER)."""
        return None if cls.fixability is Fixability.NEVER else cls.best_fix

    @classmethod
    def matches(cls, selector: str) -> bool:
        """Return whether a --select/--ignore/suppression word names this rule.

        A word matches the code, the name, an alias (case-insensitive), a code
        prefix such as `DF2`, or `ALL`.
        """
        word = selector.strip().upper()
        if word == "ALL":
            return True
        names = {cls.code.upper(), cls.name.upper(), *(a.upper() for a in cls.aliases)}
        return word in names or (word.startswith("DF") and cls.code.upper().startswith(word))
