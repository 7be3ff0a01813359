"""What a simple command does to the project folder: the package managers, and the rest."""

from __future__ import annotations

import re
from collections.abc import Callable

from dffix.lazy import lazy_re
from dffix.rules.deps.golang import go_command, go_mod_content
from dffix.rules.deps.installers import tool_name, unwrap
from dffix.rules.deps.model import SYSTEM_WRITES, USERS, Cd, Effect, Tool, Writes
from dffix.rules.deps.node import node_content, npm_command, pnpm_command, yarn_command
from dffix.rules.deps.php import composer_content, composer_effect
from dffix.rules.deps.pip import pip_command, uv_command
from dffix.rules.deps.pyproject import pyproject_content, python_project_command
from dffix.rules.deps.ruby import bundle_effect, gem_command, gemfile_content

_PACKAGE_MANAGERS = frozenset(
    {"apt-get", "apt", "aptitude", "apk", "yum", "dnf", "microdnf", "zypper", "tdnf"}
)
_SYSTEM_TOOLS = frozenset(
    {
        *("apt-key", "add-apt-repository", "update-ca-certificates", "locale-gen", "ldconfig"),
        *("update-alternatives", "dpkg-reconfigure", "localedef", "corepack", "rpm"),
    }
)
_USER_TOOLS = frozenset({"useradd", "adduser", "groupadd", "addgroup", "usermod", "groupmod"})
_QUIET = frozenset({"echo", "printf", "true", ":", "set", "export", "umask", "sleep"})
_PATH_TOOLS = frozenset({"rm", "mkdir", "touch", "ln", "chmod", "chown", "chgrp"})
_VERSION_ARGS = frozenset({("--version",), ("-v",), ("-V",), ("version",), ("-version",)})


def package_manager_effect(args: tuple[str, ...]) -> Effect | None:
    """Return the writes of an apt/apk/yum call; None when it installs a local file."""
    for arg in args:
        if arg.startswith("-"):
            continue
        local = arg.startswith(("./", "../", "/", "~")) or ("." in arg and _PACKAGE_FILE.search(arg))
        if local and "://" not in arg:
            return None  # a package file: it may come from the project
    return SYSTEM_WRITES


_PACKAGE_FILE = lazy_re(r"\.(deb|rpm|apk)$")


def path_tool_effect(name: str, args: tuple[str, ...]) -> Effect | None:
    """Return the writes of rm/mkdir/ln/chmod/chown on absolute paths; None otherwise."""
    operands = [a for a in args if not a.startswith("-")]
    if name in ("chmod", "chown", "chgrp"):
        operands = operands[1:]
    if not operands:
        return None
    if any(not (o.startswith("/") or o.startswith("~/")) or "$" in o for o in operands):
        return None
    return Writes(tuple(o for o in operands if o.startswith("/")))


def fetch_effect(name: str, args: tuple[str, ...]) -> Effect | None:
    """Return the writes of curl/wget: to stdout or an absolute file; None for the cwd."""
    out_flags = ("-o", "--output") if name == "curl" else ("-O", "--output-document", "-P")
    outputs: list[str] = []
    for i, arg in enumerate(args):
        if name == "wget" and arg in ("-O-", "-qO-", "-qO", "-O"):
            nxt = args[i + 1] if i + 1 < len(args) else ""
            if arg.endswith("-") or nxt == "-":
                continue
        if arg in out_flags or (name == "curl" and re.fullmatch(r"-[a-zA-Z]*o", arg)):
            outputs.append(args[i + 1] if i + 1 < len(args) else "")
        elif name == "curl" and re.fullmatch(r"-[a-zA-Z]*O[a-zA-Z]*", arg):
            return None  # -O saves to a file named after the URL, in the working directory
    if name == "wget" and not outputs and not any(a.endswith("O-") or a == "-" for a in args):
        return None  # wget saves to the working directory
    return path_tool_effect("touch", tuple(outputs)) if outputs else Writes()


def command_effect(argv: tuple[str, ...]) -> Effect | None:
    """Return what a simple command does to the project folder; None when unknown."""
    argv = unwrap(argv)
    if not argv:
        return None
    name, args = tool_name(argv)
    if name is None:
        return None
    if args in _VERSION_ARGS:
        return Writes()
    handler = _HANDLERS.get(name)
    if handler is not None:
        return handler(args, " ".join(argv))  # the command as messages show it
    if name in _PACKAGE_MANAGERS:
        return package_manager_effect(args)
    if name in _SYSTEM_TOOLS:
        return SYSTEM_WRITES
    if name in _USER_TOOLS:
        return Writes(USERS)
    if name in _QUIET:
        return Writes()
    if name in _PATH_TOOLS:
        return path_tool_effect(name, args)
    if name in ("curl", "wget"):
        return fetch_effect(name, args)
    return None


def _cd(args: tuple[str, ...], words: str) -> Effect | None:
    return Cd(args[0]) if len(args) == 1 and args[0] not in ("-", "~") else None


_HANDLERS: dict[str, Callable[[tuple[str, ...], str], Effect | None]] = {
    "cd": _cd,
    "pip": pip_command,
    "uv": uv_command,
    "pipenv": python_project_command("pipenv"),
    "poetry": python_project_command("poetry"),
    "pdm": python_project_command("pdm"),
    "npm": npm_command,
    "yarn": yarn_command,
    "pnpm": pnpm_command,
    "go": go_command,
    "bundle": bundle_effect,
    "gem": gem_command,
    "composer": composer_effect,
}


def project_content(tool: Tool, text: str) -> str | None:
    """Return why a manifest makes the install read more than manifests, or None."""
    kind = tool.kind
    if kind in ("npm", "yarn", "pnpm"):
        return None if "fetch" in tool.options else node_content(text, tool)
    if kind in ("poetry", "uv", "pdm", "pipenv"):
        return pyproject_content(text, tool)
    if kind == "go":
        return go_mod_content(text)
    if kind == "bundler":
        return gemfile_content(text)
    if kind == "composer":
        return composer_content(text)
    return None
