from __future__ import annotations

from pathlib import Path

import pytest

from dffix.docs import rule_doc
from dffix.edits import Applicability
from dffix.facts import BuildContext
from dffix.fixer import FixResult, check, fix
from dffix.rules.cmd import ShellFormCmd
from dffix.rules.execform import ENTRYPOINT_BRANCHES, NO_ENTRYPOINT, plain_words
from dffix.rules.user import posix_shell
from dffix.syntax import ParseError, parse
from tests.helpers import assert_fixes, assert_reports, assert_unchanged, fixed, loaded_by_a_diff, snippet

FROM = "FROM python:3.12-slim\n"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param("CMD node server.js", 'CMD ["node", "server.js"]', id="plain words"),
        pytest.param("cmd node server.js", 'cmd ["node", "server.js"]', id="keeps lowercase keyword"),
        pytest.param("ENTRYPOINT /app/run", 'ENTRYPOINT ["/app/run"]', id="entrypoint without cmd"),
        pytest.param("CMD   app  -v", 'CMD   ["app", "-v"]', id="keeps the space before the arguments"),
        pytest.param("CMD app -v  ", 'CMD ["app", "-v"]  ', id="keeps trailing spaces"),
        pytest.param("CMD a\tb", 'CMD ["a", "b"]', id="tab separates words"),
        pytest.param(
            "CMD app --port=80 -x:y,z+1@h%2",
            'CMD ["app", "--port=80", "-x:y,z+1@h%2"]',
            id="equals sign after the command name",
        ),
        pytest.param('CMD echo "hello world"', 'CMD ["echo", "hello world"]', id="double quotes unquoted"),
        pytest.param("CMD echo '$HOME *'", 'CMD ["echo", "$HOME *"]', id="single quotes keep everything"),
        pytest.param("CMD echo a\"b c\"'d'", 'CMD ["echo", "ab cd"]', id="quotes inside a word"),
        pytest.param('CMD app ""', 'CMD ["app", ""]', id="empty quoted argument"),
        pytest.param("CMD echo héllo 日本", 'CMD ["echo", "héllo", "日本"]', id="non-ascii kept as written"),
        pytest.param("CMD echo \"say 'hi'\"", 'CMD ["echo", "say \'hi\'"]', id="single quotes inside double"),
        pytest.param("CMD echo 'say \"hi\"'", 'CMD ["echo", "say \\"hi\\""]', id="json escapes quotes"),
        pytest.param(
            "CMD exec java -jar app.jar", 'CMD ["java", "-jar", "app.jar"]', id="leading exec dropped"
        ),
        pytest.param("CMD echo hello", 'CMD ["echo", "hello"]', id="echo without options"),
        pytest.param(
            'SHELL ["/bin/bash", "-o", "pipefail", "-c"]\nCMD app',
            'SHELL ["/bin/bash", "-o", "pipefail", "-c"]\nCMD ["app"]',
            id="after a quiet posix SHELL",
        ),
        pytest.param(
            """
            CMD java \\
              -Xmx1g \\
              -jar app.jar
            """,
            """
            CMD ["java", \\
              "-Xmx1g", \\
              "-jar", "app.jar"]
            """,
            id="continuation lines keep their layout",
        ),
        pytest.param(
            """
            CMD gunicorn \\
                # four workers
                --workers 4 \\

                app:app
            """,
            """
            CMD ["gunicorn", \\
                # four workers
                "--workers", "4", \\

                "app:app"]
            """,
            id="comment and blank lines in a continuation are kept",
        ),
        pytest.param(
            "ENTRYPOINT exec java $OPTS",
            'ENTRYPOINT ["/bin/sh", "-c", "exec java $OPTS"]',
            id="a command that already execs keeps its shell safely",
        ),
        pytest.param(
            "CMD exec -a name app",
            'CMD ["/bin/sh", "-c", "exec -a name app"]',
            id="exec with options keeps the shell",
        ),
        pytest.param(
            'SHELL ["/bin/bash", "-c"]\nCMD exec app $X',
            'SHELL ["/bin/bash", "-c"]\nCMD ["/bin/bash", "-c", "exec app $X"]',
            id="a command that already execs keeps the SHELL in force",
        ),
        pytest.param(
            'CMD app\nSHELL ["pwsh", "-c"]',
            'CMD ["app"]\nSHELL ["pwsh", "-c"]',
            id="a SHELL after the CMD does not count",
        ),
        pytest.param("CMD a\nCMD b", 'CMD ["a"]\nCMD ["b"]', id="every cmd of a stage"),
        pytest.param("FROM debian AS two\nCMD b", 'FROM debian AS two\nCMD ["b"]', id="earlier stages too"),
    ],
)
def test_shell_form_cmd_fixes(before: str, after: str) -> None:
    assert_fixes(ShellFormCmd(), FROM + snippet(before), FROM + snippet(after))


def test_crlf_is_kept() -> None:
    before = "FROM alpine\r\nCMD app \\\r\n  --flag\r\n"
    after = 'FROM alpine\r\nCMD ["app", \\\r\n  "--flag"]\r\n'
    assert fixed(ShellFormCmd(), before).text == after


def test_no_final_newline() -> None:
    assert fixed(ShellFormCmd(), "FROM alpine\nCMD app").text == 'FROM alpine\nCMD ["app"]'


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            "CMD java $JAVA_OPTS -jar app.jar",
            'CMD ["/bin/sh", "-c", "exec java $JAVA_OPTS -jar app.jar"]',
            id="variable keeps the shell and adds exec",
        ),
        pytest.param(
            "CMD FOO=1 BAR=$X app",
            'CMD ["/bin/sh", "-c", "FOO=1 BAR=$X exec app"]',
            id="exec goes after assignment prefixes",
        ),
        pytest.param(
            "CMD FOO=1 app",
            'CMD ["/bin/sh", "-c", "FOO=1 exec app"]',
            id="plain assignment prefix needs the shell",
        ),
        pytest.param(
            "CMD app > /var/log/app.log 2>&1",
            'CMD ["/bin/sh", "-c", "exec app > /var/log/app.log 2>&1"]',
            id="redirections",
        ),
        pytest.param(
            """CMD app "$X" 'a\\b' `date`""",
            """CMD ["/bin/sh", "-c", "exec app \\"$X\\" 'a\\\\b' `date`"]""",
            id="json escapes quotes and backslashes",
        ),
        pytest.param(
            'SHELL ["/bin/bash", "-c"]\nCMD app ~/x',
            'SHELL ["/bin/bash", "-c"]\nCMD ["/bin/bash", "-c", "exec app ~/x"]',
            id="uses the posix SHELL in force",
        ),
        pytest.param(
            """
            CMD app "$A" \\
              # the port
              --port $PORT
            """,
            """
            CMD ["/bin/sh", "-c", "exec app \\"$A\\" \\
              # the port
              --port $PORT"]
            """,
            id="continuation and comment lines kept inside the json string",
        ),
        pytest.param(
            "ENTRYPOINT /entry.sh\nCMD serve",
            'ENTRYPOINT ["/entry.sh"]\nCMD ["serve"]',
            id="entrypoint with a cmd in the stage",
        ),
        pytest.param(
            'ENTRYPOINT ["/entry.sh"]\nCMD serve --now',
            'ENTRYPOINT ["/entry.sh"]\nCMD ["serve", "--now"]',
            id="cmd with an entrypoint in the stage",
        ),
        pytest.param(
            'FROM alpine AS base\nENTRYPOINT ["/entry.sh"]\nFROM base\nCMD serve',
            'FROM alpine AS base\nENTRYPOINT ["/entry.sh"]\nFROM base\nCMD ["serve"]',
            id="cmd with an entrypoint inherited from a stage of the file",
        ),
        pytest.param("CMD echo -n hi", 'CMD ["echo", "-n", "hi"]', id="echo with an option"),
        pytest.param("CMD /entrypoint.sh", 'CMD ["/entrypoint.sh"]', id="a .sh script may lack #!"),
        pytest.param(
            'FROM debian AS base\nSHELL ["/bin/bash", "-c"]\nFROM base\nCMD app $X',
            'FROM debian AS base\nSHELL ["/bin/bash", "-c"]\nFROM base\n'
            'CMD ["/bin/bash", "-c", "exec app $X"]',
            id="SHELL inherited from the stage built on",
        ),
        pytest.param(
            'SHELL ["/bin/bash", "-lc"]\nCMD app',
            'SHELL ["/bin/bash", "-lc"]\nCMD ["app"]',
            id="login SHELL options no longer apply",
        ),
    ],
)
def test_shell_form_cmd_unsafe_fixes(before: str, after: str) -> None:
    source = FROM + snippet(before)
    assert_fixes(ShellFormCmd(), source, FROM + snippet(after), unsafe=True)
    assert fixed(ShellFormCmd(), source).text == source, "an unsafe fix was applied by default"


@pytest.mark.parametrize(
    "source",
    [
        pytest.param('CMD ["node", "server.js"]', id="exec form"),
        pytest.param("CMD", id="empty cmd"),
        pytest.param("CMD a && b", id="list with and"),
        pytest.param("CMD a || b", id="list with or"),
        pytest.param("CMD a; b", id="list with semicolon"),
        pytest.param("CMD a | b", id="pipeline"),
        pytest.param("CMD a &", id="background"),
        pytest.param("CMD ( a )", id="subshell"),
        pytest.param("CMD { a; }", id="group"),
        pytest.param("CMD if true; then a; fi", id="if"),
        pytest.param("CMD ! a", id="negation"),
        pytest.param("CMD cd /app", id="cd builtin"),
        pytest.param("CMD . /env", id="dot builtin"),
        pytest.param("CMD exec", id="bare exec"),
        pytest.param("CMD exec cd /x", id="exec of a builtin"),
        pytest.param("CMD FOO=1", id="only an assignment"),
        pytest.param("CMD cat <<EOF", id="heredoc in cmd"),
        pytest.param('CMD echo "abc', id="unclosed quote"),
        pytest.param("CMD ['python', 'app.py']", id="json with single quotes"),
        pytest.param('CMD ["python" "app.py"]', id="json without comma"),
        pytest.param('SHELL ["powershell", "-Command"]\nCMD Start-App', id="powershell SHELL"),
        pytest.param('SHELL ["cmd", "/S", "/C"]\nCMD app.exe', id="cmd SHELL"),
        pytest.param('SHELL ["/usr/bin/env", "bash", "-c"]\nCMD app', id="unknown SHELL"),
        pytest.param('FROM a AS w\nSHELL ["pwsh", "-c"]\nFROM w\nCMD app', id="non-posix SHELL inherited"),
        pytest.param("CMD ab\\\ncd", id="word split across lines"),
        pytest.param("HEALTHCHECK CMD curl -f http://localhost/", id="healthcheck cmd"),
        pytest.param("ONBUILD CMD app", id="onbuild cmd"),
        pytest.param("CMD --flag app", id="flags are a build error"),
        pytest.param("# hadolint ignore=DL3025\nCMD app", id="suppressed by hadolint code"),
        pytest.param("# dffix: ignore=JSONArgsRecommended\nCMD app", id="suppressed by buildkit name"),
    ],
)
def test_shell_form_cmd_unchanged(source: str) -> None:
    assert_unchanged(ShellFormCmd(), FROM + snippet(source))


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("FROM mcr.microsoft.com/windows/servercore:ltsc2022\nCMD app.exe", id="servercore"),
        pytest.param("FROM mcr.microsoft.com/windows/nanoserver:1809\nCMD app.exe", id="nanoserver"),
        pytest.param("FROM microsoft/windowsservercore AS w\nFROM w\nCMD app.exe", id="windows stage chain"),
        pytest.param("# escape=`\nFROM base\nCMD app.exe", id="backtick escape"),
        pytest.param("CMD app\nFROM alpine", id="cmd before FROM"),
    ],
)
def test_shell_form_cmd_unchanged_without_python_base(source: str) -> None:
    assert_unchanged(ShellFormCmd(), snippet(source))


def test_undecodable_bytes_get_no_fix() -> None:
    source = "FROM alpine\nCMD echo caf\udce9\n"
    assert_unchanged(ShellFormCmd(), source)
    assert "not UTF-8" in assert_reports(ShellFormCmd(), source, fixable=False)[0]


@pytest.mark.parametrize(
    ("source", "words"),
    [
        pytest.param("CMD a && b", "joins commands with `&&`", id="list"),
        pytest.param("CMD if a; then b; fi", "joins commands with `;`", id="if joins with semicolons"),
        pytest.param("CMD cd /x", "`cd` is a shell builtin", id="builtin"),
        pytest.param("CMD ['a']", "not a valid JSON array", id="bad json"),
        pytest.param('SHELL ["pwsh", "-c"]\nCMD a', 'SHELL ["pwsh", "-c"]` is not a POSIX shell', id="pwsh"),
        pytest.param("CMD ab\\\ncd", "split across lines", id="split word"),
    ],
)
def test_shell_form_cmd_says_why_there_is_no_fix(source: str, words: str) -> None:
    [message] = assert_reports(ShellFormCmd(), FROM + snippet(source), fixable=False)
    assert words in message
    assert message.endswith("no fix")


@pytest.mark.parametrize(
    ("source", "words"),
    [
        pytest.param("ENTRYPOINT a\nCMD b", "the `CMD` of this stage", id="entrypoint and cmd"),
        pytest.param('ENTRYPOINT ["a"]\nCMD b', "the `ENTRYPOINT` gets these words", id="cmd and entrypoint"),
        pytest.param("CMD echo -e x", "`echo` program", id="twin builtin"),
        pytest.param('SHELL ["/bin/sh", "-xc"]\nCMD a', "no longer apply", id="shell options"),
        pytest.param("CMD a $B", "keeps it, the command is PID 1", id="keeps the shell"),
        pytest.param("CMD ./run.sh", "if `./run.sh` has no `#!` line", id="shell script"),
    ],
)
def test_shell_form_cmd_says_why_the_fix_is_unsafe(source: str, words: str) -> None:
    messages = assert_reports(ShellFormCmd(), FROM + snippet(source), fixable=True)
    assert any(words in m and "unsafe" in m for m in messages), messages


@pytest.mark.parametrize(
    ("command", "words"),
    [
        pytest.param("a b", ["a", "b"], id="words"),
        pytest.param("  a\t b  ", ["a", "b"], id="blanks"),
        pytest.param("'a b'\"c\"d", ["a bcd"], id="quotes joined"),
        pytest.param("'a\\b$c'", ["a\\b$c"], id="single quotes are literal"),
        pytest.param("a$b", None, id="variable"),
        pytest.param('"$b"', None, id="variable in double quotes"),
        pytest.param('"a\\"b"', None, id="backslash in double quotes"),
        pytest.param("a*", None, id="glob"),
        pytest.param("~/x", None, id="tilde"),
        pytest.param("a#b", None, id="hash"),
        pytest.param("a{b,c}", None, id="braces"),
        pytest.param("a\u00a0b", None, id="no-break space"),
        pytest.param("a\vb", None, id="vertical tab"),
        pytest.param("'a", None, id="unclosed quote"),
        pytest.param("", [], id="empty"),
    ],
)
def test_plain_words(command: str, words: list[str] | None) -> None:
    found = plain_words(command)
    assert (None if found is None else [w.value for w in found]) == words


@pytest.mark.parametrize(
    ("shell", "quiet"),
    [
        pytest.param(("/bin/sh", "-c"), True, id="default"),
        pytest.param(("/bin/bash", "-o", "pipefail", "-c"), True, id="pipefail"),
        pytest.param(("bash", "-euc"), True, id="errexit nounset"),
        pytest.param(("/bin/bash", "-lc"), False, id="login shell"),
        pytest.param(("/bin/ash", "-x", "-c"), False, id="xtrace"),
        pytest.param(("/bin/sh", "+o", "errexit", "-c"), False, id="plus o"),
        pytest.param(("powershell", "-Command"), None, id="powershell"),
        pytest.param(("cmd", "/S", "/C"), None, id="cmd"),
        pytest.param(("/bin/zsh", "-c"), None, id="zsh is not assumed posix"),
        pytest.param(("/bin/sh",), None, id="no -c"),
        pytest.param(("/bin/sh", "-c", "x"), None, id="extra argument"),
    ],
)
def test_posix_shell(shell: tuple[str, ...], quiet: bool | None) -> None:
    found = posix_shell(shell)
    assert (None if found is None else found.quiet) == quiet


@pytest.mark.parametrize(
    ("files", "copy", "program", "safe"),
    [
        pytest.param({"run.sh": "#!/bin/sh\nexec app\n"}, "COPY run.sh /", "/run.sh", True, id="with #!"),
        pytest.param({"run.sh": "exec app\n"}, "COPY run.sh /run.sh", "/run.sh", False, id="without #!"),
        pytest.param(
            {"bin/start": "exec app\n"}, "COPY bin/ /opt/bin/", "/opt/bin/start", False, id="in a folder"
        ),
        pytest.param({"app": "\x7fELF\x02"}, "COPY /app /usr/local/bin/", "app", True, id="a binary"),
        pytest.param({}, "COPY run.sh /", "/run.sh", False, id="not in the context"),
        pytest.param(
            {"run.sh": "x"}, "COPY --from=build /run.sh /", "/run.sh", False, id="copied from a stage"
        ),
    ],
)
def test_scripts_are_checked_in_the_build_context(
    tmp_path: Path, files: dict[str, str], copy: str, program: str, safe: bool
) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    source = f"FROM alpine\n{copy}\nCMD {program}\n"
    result = fix(source, [ShellFormCmd()], Applicability.SAFE, context=BuildContext(tmp_path))
    assert isinstance(result, FixResult)
    assert (result.text != source) == safe


@pytest.mark.parametrize(
    ("source", "words"),
    [
        pytest.param(
            "FROM redis:7\nCMD redis-server /etc/redis.conf", "drops root to `redis`", id="redis-server"
        ),
        pytest.param("FROM redis:7\nCMD /etc/redis.conf", "`/etc/redis.conf`", id="conf"),
        pytest.param("FROM postgres:16\nCMD postgres -c fsync=off", "`postgres`", id="postgres"),
        pytest.param("FROM mysql:8\nCMD mysqld --skip-log-bin", "`mysql`", id="mysql"),
        pytest.param("FROM mariadb:11\nCMD mariadbd", "`mysql`", id="mariadb"),
        pytest.param("FROM mongo:7\nCMD mongod --auth", "`mongodb`", id="mongo"),
        pytest.param("FROM rabbitmq:3\nCMD rabbitmq-server", "`rabbitmq`", id="rabbitmq"),
        pytest.param("FROM cassandra:5\nCMD cassandra -f", "`cassandra`", id="cassandra"),
        pytest.param("FROM couchdb:3\nCMD couchdb", "`couchdb`", id="couchdb"),
        pytest.param("FROM nginx:1.27\nCMD nginx -g 'daemon off;'", "docker-entrypoint.d", id="nginx"),
        pytest.param("FROM haproxy:3\nCMD haproxy -f /x.cfg", "`-W -db`", id="haproxy"),
        pytest.param("FROM memcached:1\nCMD -m 64", "`memcached`", id="memcached option"),
        pytest.param("FROM node:20\nCMD server.js", "`node`", id="node script name"),
        pytest.param("FROM docker.io/library/redis:7\nCMD redis-server", "`redis`", id="full path"),
        pytest.param("FROM redis:7 AS base\nFROM base\nCMD redis-server", "`redis`", id="through a stage"),
        pytest.param("FROM redis:7\nCMD exec redis-server", "`redis`", id="dropped exec"),
    ],
)
def test_official_entrypoint_branching_on_the_program_makes_the_fix_unsafe(source: str, words: str) -> None:
    source = snippet(source)
    [message] = assert_reports(ShellFormCmd(), source, fixable=True)
    assert "unsafe" in message and "ENTRYPOINT script" in message and words in message, message
    assert fixed(ShellFormCmd(), source).text == source
    assert fixed(ShellFormCmd(), source, unsafe=True).text != source


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("FROM redis:7\nCMD redis-cli ping", id="redis program the script does not look at"),
        pytest.param("FROM node:20\nCMD npm start", id="node with a program"),
        pytest.param("FROM memcached:1\nCMD memcached -m 64", id="memcached by name"),
        pytest.param("FROM python:3.12\nCMD postgres", id="an image without such a script"),
    ],
)
def test_official_entrypoint_that_does_not_branch_keeps_the_safe_fix(source: str) -> None:
    source = snippet(source)
    assert fixed(ShellFormCmd(), source).text != source


def test_own_entrypoint_overrides_the_official_one() -> None:
    source = snippet('FROM redis:7\nENTRYPOINT ["/run.sh"]\nCMD redis-server')
    [message] = assert_reports(ShellFormCmd(), source, fixable=True)
    assert "the `ENTRYPOINT` gets these words" in message and "redis` image" not in message


def test_a_shell_form_entrypoint_with_cmd_in_a_later_stage_is_unsafe() -> None:
    source = snippet("FROM alpine AS base\nENTRYPOINT /usr/bin/app\nFROM base\nCMD serve")
    messages = assert_reports(ShellFormCmd(), source)
    assert any("a stage built on this one sets a `CMD`" in m for m in messages), messages
    assert "ENTRYPOINT /usr/bin/app" in fixed(ShellFormCmd(), source).text


def test_a_later_stage_with_its_own_entrypoint_keeps_the_fix_safe() -> None:
    source = snippet('FROM alpine AS base\nENTRYPOINT /usr/bin/app\nFROM base\nENTRYPOINT ["x"]\nCMD serve')
    assert 'ENTRYPOINT ["/usr/bin/app"]' in fixed(ShellFormCmd(), source).text


@pytest.mark.parametrize(
    ("files", "shell", "after"),
    [
        pytest.param({"app.sh": "echo hi\n"}, "", 'CMD ["/bin/sh", "/app.sh", "--x"]', id="sh runs it"),
        pytest.param(
            {"app.sh": "echo hi\n"},
            'SHELL ["/bin/bash", "-c"]\n',
            'CMD ["/bin/bash", "/app.sh", "--x"]',
            id="the SHELL in force runs it",
        ),
        pytest.param({"app.sh": "#!/bin/sh\necho hi\n"}, "", 'CMD ["/app.sh", "--x"]', id="with #! it runs"),
    ],
)
def test_a_script_without_shebang_is_run_by_the_shell(
    tmp_path: Path, files: dict[str, str], shell: str, after: str
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    source = f"FROM alpine\nCOPY app.sh /app.sh\n{shell}CMD /app.sh --x\n"
    result = fix(source, [ShellFormCmd()], Applicability.UNSAFE, context=BuildContext(tmp_path))
    assert isinstance(result, FixResult)
    assert result.text == f"FROM alpine\nCOPY app.sh /app.sh\n{shell}{after}\n"


def test_the_message_says_the_shell_runs_a_script_without_shebang(tmp_path: Path) -> None:
    (tmp_path / "app.sh").write_text("echo hi\n")
    source = "FROM alpine\nCOPY app.sh /app.sh\nCMD /app.sh\n"
    df = parse(source)
    assert not isinstance(df, ParseError)
    [found] = check(df, [ShellFormCmd()], context=BuildContext(tmp_path))
    assert found.fix is not None and found.fix.applicability == Applicability.UNSAFE
    assert "`/app.sh` has no `#!` line" in found.message and "runs it with `/bin/sh`" in found.message


def test_copies_with_and_without_shebang_get_no_fix(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "run.sh").write_text("#!/bin/bash\necho\n")
    (tmp_path / "run.sh").write_text("echo\n")
    source = "FROM alpine\nCOPY a/run.sh run.sh /opt/\nCMD /opt/run.sh\n"
    df = parse(source)
    assert not isinstance(df, ParseError)
    [found] = check(df, [ShellFormCmd()], context=BuildContext(tmp_path))
    assert found.fix is None and "with and without a `#!` line" in found.message
    assert found.message.endswith("no fix")


def test_the_entrypoint_table_in_the_docs_is_the_one_the_rule_uses() -> None:
    doc = rule_doc(ShellFormCmd)
    for image, branch in ENTRYPOINT_BRANCHES.items():
        row = f"| `{image}` | " + ", ".join(f"`{p}`" for p in branch.firsts) + f" | {branch.does} |"
        assert row in doc, row


def test_a_cmd_two_stages_below_a_shell_form_entrypoint_makes_its_fix_unsafe() -> None:
    source = snippet("FROM alpine AS a\nENTRYPOINT /usr/bin/app\nFROM a AS b\nRUN true\nFROM b\nCMD serve")
    assert "ENTRYPOINT /usr/bin/app" in fixed(ShellFormCmd(), source).text
    assert 'ENTRYPOINT ["/usr/bin/app"]' in fixed(ShellFormCmd(), source, unsafe=True).text


@pytest.mark.parametrize(
    ("source", "words"),
    [
        pytest.param(
            "FROM aleksaubry/swift-apns\nCMD swift run", "`aleksaubry/swift-apns`", id="unknown image"
        ),
        pytest.param("FROM myorg/redis:7\nCMD redis-server", "`myorg/redis:7`", id="not the official image"),
        pytest.param("ARG BASE=alpine\nFROM $BASE\nCMD app", "`$BASE`", id="base from an ARG"),
        pytest.param("FROM myorg/app AS base\nFROM base\nCMD app", "`myorg/app`", id="through a stage"),
        pytest.param("FROM maven:3\nCMD mvn package", "the official image `maven`", id="official, not read"),
    ],
)
def test_a_base_image_that_may_set_an_entrypoint_makes_the_fix_unsafe(source: str, words: str) -> None:
    source = snippet(source)
    [message] = assert_reports(ShellFormCmd(), source, fixable=True)
    assert "unsafe" in message and "sets an ENTRYPOINT" in message and words in message, message
    assert fixed(ShellFormCmd(), source).text == source
    assert fixed(ShellFormCmd(), source, unsafe=True).text != source


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("FROM scratch\nCOPY app /app\nCMD /app", id="scratch"),
        pytest.param("FROM ubuntu:24.04 AS a\nFROM a\nCMD app", id="a stage on an image without one"),
        pytest.param("FROM docker.io/library/golang:1.23\nCMD app", id="official by its full path"),
        pytest.param("FROM eclipse-temurin:21\nCMD java -jar app.jar", id="an entrypoint that runs its args"),
        pytest.param("FROM tomcat:10\nCMD catalina run", id="an image that resets its entrypoint"),
    ],
)
def test_a_base_image_known_to_have_no_entrypoint_keeps_the_safe_fix(source: str) -> None:
    source = snippet(source)
    assert fixed(ShellFormCmd(), source).text != source


def test_a_shell_form_entrypoint_on_an_unknown_image_is_still_safe() -> None:
    # The file's own ENTRYPOINT replaces the inherited one and resets the inherited CMD.
    source = snippet("FROM myorg/app\nENTRYPOINT /usr/bin/app")
    assert fixed(ShellFormCmd(), source).text == snippet('FROM myorg/app\nENTRYPOINT ["/usr/bin/app"]')


def test_the_images_without_entrypoint_are_in_the_docs() -> None:
    doc = " ".join(rule_doc(ShellFormCmd).split())
    for image in NO_ENTRYPOINT:
        assert f"`{image}`" in doc, image


@pytest.mark.parametrize(
    ("cmd", "loaded"), [('CMD ["python", "app.py"]', False), ("CMD python app.py", True)]
)
def test_the_rewrite_loads_only_for_a_file_with_a_shell_form_command(
    tmp_path: Path, cmd: str, loaded: bool
) -> None:
    """A whole `--diff` run: without a shell-form CMD or ENTRYPOINT, execform never loads."""
    text = f"FROM python:3.12\nRUN apt-get update && apt-get install -y gcc\n{cmd}\n"
    execform = "dffix.rules.execform"
    assert loaded_by_a_diff(tmp_path, text, (execform,)) == ([execform] if loaded else [])
