"""Composer: what `composer install` reads, and a composer.json with local repositories."""

from __future__ import annotations

from dffix.jsontext import loads
from dffix.rules.deps.model import SYSTEM_WRITES, Effect, Tool, manifest, optional, read_args

_COMPOSER_FLAGS = frozenset(
    {
        *("--no-dev", "--no-interaction", "-n", "--prefer-dist", "--no-progress", "-o"),
        *("--optimize-autoloader", "--classmap-authoritative", "-a", "--apcu-autoloader"),
        *("--ignore-platform-reqs", "--no-scripts", "--no-autoloader", "--no-plugins"),
        *("--no-suggest", "-q", "--quiet", "--no-ansi", "-v", "--no-cache", "--no-audit"),
        *("--prefer-install=dist",),
    }
)
_COMPOSER_VALUES = frozenset({"--ignore-platform-req", "--prefer-install"})


def composer_effect(args: tuple[str, ...], words: str) -> Effect | None:
    """Return what `composer install` does."""
    if args[:1] in (("self-update",), ("clear-cache",), ("clearcache",), ("--version",)):
        return SYSTEM_WRITES
    if args[:1] != ("install",):
        return None
    parsed = read_args(args[1:], _COMPOSER_FLAGS, _COMPOSER_VALUES)
    if parsed is None or parsed.positional:
        return None
    needs = None
    if not {"--no-scripts", "--no-autoloader"} <= parsed.flags:
        needs = (
            "`composer install` runs scripts and writes the autoloader, which need the source; "
            "add `--no-scripts --no-autoloader` and run `composer dump-autoload` after the copy"
        )
    reads = (manifest("composer.json"), optional("composer.lock", blind=True), optional("auth.json"))
    return Tool("composer", words, reads, ("vendor",), frozenset(), needs)


def composer_content(text: str) -> str | None:
    """Return why a composer.json makes the install read more than manifests, or None."""
    try:
        data = loads(text)
    except ValueError:
        return "composer.json is not valid JSON"
    if not isinstance(data, dict):
        return "composer.json is not an object"
    repos = data.get("repositories")
    entries = repos.values() if isinstance(repos, dict) else repos if isinstance(repos, list) else []
    for repo in entries:
        if isinstance(repo, dict) and repo.get("type") in ("path", "artifact"):
            return f"composer.json has a `{repo.get('type')}` repository with local files"
    config = data.get("config")
    if isinstance(config, dict) and "vendor-dir" in config:
        return "composer.json moves the vendor folder"
    return None
