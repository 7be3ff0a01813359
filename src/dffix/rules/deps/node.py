"""npm, Yarn and pnpm: what an install reads and writes, and what package.json says."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dffix.jsontext import loads
from dffix.lazy import lazy_re
from dffix.rules.deps.model import Effect, Tool, Writes, abs_paths, blocker, manifest, optional, read_args

_NODE_FLAGS = frozenset(
    {
        *("--production", "--no-optional", "--ignore-scripts", "--legacy-peer-deps", "--no-audit"),
        *("--no-fund", "--quiet", "--silent", "-s", "-q", "--prefer-offline", "--unsafe-perm"),
        *("--no-package-lock", "--force", "--verbose", "--no-progress", "--strict-peer-deps"),
        *("--no-save", "--prefer-online", "--foreground-scripts", "-d", "--frozen-lockfile"),
        *("--immutable", "--immutable-cache", "--pure-lockfile", "--non-interactive", "--prod"),
        *("--ignore-engines", "--ignore-optional", "--ignore-platform", "--check-files", "-P"),
        *("--check-cache", "--inline-builds", "--offline", "--shamefully-hoist", "--no-lockfile"),
        *("--production=true", "--production=false", "--only=production", "--only=prod"),
        *("--omit=dev", "--omit=optional", "--omit=peer", "--include=dev", "--no-color"),
        *("--ignore-scripts=true", "--audit=false", "--fund=false", "--progress=false"),
        *("--loglevel=error", "--loglevel=warn", "--loglevel=silent", "--loglevel=info"),
        *("--no-bin-links", "--no-shrinkwrap", "--dev", "--no-update-notifier"),
    }
)
_NODE_VALUES = frozenset(
    {
        *("--only", "--omit", "--include", "--loglevel", "--registry", "--network-timeout"),
        *("--mutex", "--fetch-retries", "--fetch-timeout", "--maxsockets", "--reporter"),
        *("--network-concurrency", "--fetch-retry-mintimeout", "--fetch-retry-maxtimeout"),
    }
)
_NODE_PATHS = frozenset({"--cache", "--cache-folder", "--store-dir", "--cache-dir"})


def node_effect(kind: str, args: tuple[str, ...], words: str) -> Effect | None:
    """Return what `npm ci`/`npm install`/`yarn install`/`pnpm install ARGS` does."""
    parsed = read_args(args, _NODE_FLAGS | {"-g", "--global"}, _NODE_VALUES | _NODE_PATHS)
    if parsed is None:
        return None
    paths = abs_paths(parsed.all(*_NODE_PATHS))
    if paths is None:
        return None
    if parsed.flags & {"-g", "--global"}:
        # A global install of named packages: npm does not read the project's .npmrc.
        named = kind == "npm" and all(_is_npm_name(p) for p in parsed.positional)
        return paths if named and parsed.positional else None
    if parsed.positional:
        return None  # `npm install express` edits package.json
    options = frozenset(
        {"ignore-scripts"} if parsed.flags & {"--ignore-scripts", "--ignore-scripts=true"} else ()
    )
    return Tool(kind, words, NODE_READS[kind], NODE_OUTPUTS[kind], options, writes=paths.paths)


def _is_npm_name(spec: str) -> bool:
    return not re.match(r"^(?:\.|/|~|file:|link:)", spec) and not spec.endswith(".tgz")


NODE_READS = {
    "npm": (
        manifest("package.json"),
        optional("package-lock.json", blind=True),
        optional("npm-shrinkwrap.json"),
        optional(".npmrc"),
        blocker("binding.gyp"),
    ),
    "yarn": (
        manifest("package.json"),
        optional("yarn.lock", blind=True),
        optional(".yarnrc"),
        optional(".yarnrc.yml"),
        optional(".npmrc"),
        blocker(".yarn"),
        blocker("binding.gyp"),
    ),
    "pnpm": (
        manifest("package.json"),
        optional("pnpm-lock.yaml", blind=True),
        optional(".npmrc"),
        optional(".pnpmfile.cjs"),
        blocker("pnpm-workspace.yaml"),
        blocker("binding.gyp"),
    ),
}
NODE_OUTPUTS = {
    "npm": ("node_modules",),
    "yarn": ("node_modules", ".pnp.cjs", ".pnp.js", ".pnp.loader.mjs", ".yarn"),
    "pnpm": ("node_modules",),
}

_NODE_SCRIPTS = ("preinstall", "install", "postinstall", "prepublish", "preprepare", "prepare", "postprepare")
_NODE_DEP_KEYS = (
    *("dependencies", "devDependencies", "optionalDependencies", "peerDependencies"),
    *("resolutions", "overrides", "bundleDependencies", "bundledDependencies"),
)
_NODE_LOCAL = lazy_re(r"^(?:file:|link:|portal:|workspace:|patch:|\.{1,2}/|/|~/)")


def node_content(text: str, tool: Tool) -> str | None:
    """Return why a package.json makes the install read more than manifests, or None."""
    try:
        data = loads(text)
    except ValueError:
        return "package.json is not valid JSON"
    if not isinstance(data, dict):
        return "package.json is not an object"
    scripts = data.get("scripts")
    if "ignore-scripts" not in tool.options and isinstance(scripts, dict):
        hooks = [s for s in _NODE_SCRIPTS if s in scripts]
        if hooks:
            return f"package.json has a `{hooks[0]}` script, which runs during the install"
    if "workspaces" in data:
        return "package.json declares workspaces, which live in other folders"
    pnpm = data.get("pnpm")
    if isinstance(pnpm, dict) and "patchedDependencies" in pnpm:
        return "package.json patches dependencies with files from the project"
    for key in _NODE_DEP_KEYS:
        for value in _strings(data.get(key)):
            if _NODE_LOCAL.match(value):
                return f"package.json depends on a local path (`{value}`)"
    return None


def _strings(value: object) -> Iterator[str]:
    """Yield every string inside nested dicts and lists."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def npm_command(args: tuple[str, ...], words: str) -> Effect | None:
    if args[:1] and args[0] in ("ci", "install", "i", "isntall", "add"):
        return node_effect("npm", args[1:], words)
    if args[:2] == ("cache", "clean") or args[:1] in (("set",),):
        return Writes()
    if args[:1] == ("config",) and not any(a.startswith(("--location", "-L")) for a in args):
        return Writes()
    return None


def yarn_command(args: tuple[str, ...], words: str) -> Effect | None:
    if not args or args[0] == "install" or args[0].startswith("-"):
        rest = args[1:] if args and args[0] == "install" else args
        return node_effect("yarn", rest, words)
    if args[:2] == ("cache", "clean"):
        return Writes()
    return None


def pnpm_command(args: tuple[str, ...], words: str) -> Effect | None:
    if args[:1] and args[0] in ("install", "i"):
        return node_effect("pnpm", args[1:], words)
    if args[:1] == ("fetch",):
        parsed = read_args(args[1:], _NODE_FLAGS, _NODE_VALUES)
        if parsed is None or parsed.positional:
            return None
        reads = (manifest("pnpm-lock.yaml"), optional(".npmrc"), blocker("pnpm-workspace.yaml"))
        return Tool("pnpm", words, reads, (), frozenset({"fetch"}))
    if args[:2] == ("store", "prune"):
        return Writes()
    return None
