"""DF4xx: CMD and ENTRYPOINT.

The rule and its documentation; the reading of a shell-form command and its rewrite in
exec form are in `dffix.rules.execform`, loaded for the files that have one.
"""

from __future__ import annotations

from collections.abc import Iterator

from dffix.facts import Facts
from dffix.rules.base import Fixability, Rule, Violation
from dffix.syntax.tree import Dockerfile, Form


class ShellFormCmd(Rule):
    """## What it does
    Flags `CMD` and `ENTRYPOINT` written in shell form (`CMD node server.js`)
    instead of exec form (`CMD ["node", "server.js"]`).

    ## Why is this bad?
    Shell form runs the command as `/bin/sh -c "<command>"`. The shell is then the
    container's PID 1: `docker stop` sends SIGTERM to the shell, which does not pass it
    on, so the app gets killed after the timeout instead of shutting down cleanly. A
    shell-form `ENTRYPOINT` also ignores `CMD` and the arguments of `docker run`.

    ## Example
    ```dockerfile
    FROM python:3.12-slim
    CMD gunicorn --bind 0.0.0.0:8000 app:app
    ```

    ## Use instead
    ```dockerfile
    FROM python:3.12-slim
    CMD ["gunicorn", "--bind", "0.0.0.0:8000", "app:app"]
    ```

    ## Fix safety
    Safe when the command is plain words: no `$`, globs, pipes, `&&`, `;`, `&`,
    redirections, backslashes, backticks, `~`, `#`, `( )`, `{ }`, no `NAME=value`
    prefix and no shell builtin or keyword (`cd`, `.`, `if`, ...). Single-quoted words
    and double-quoted words without `$`, backtick or backslash are unquoted the way the
    shell would (`echo "hello world"` becomes `["echo", "hello world"]`). A leading
    `exec` is dropped, since exec form already replaces the shell. Non-ASCII text is
    kept as written in the JSON. (The shell also exports `PWD`, and bash `SHLVL`; a
    program that reads `$PWD` instead of asking for its working directory would no
    longer find it. We accept that difference.)

    The plain-words fix is unsafe when:
    - an `ENTRYPOINT` is visible in the stage (in it, or in a stage of this file it is
      built `FROM`): the entrypoint then receives the words instead of
      `/bin/sh -c "<command>"`;
    - the fix is for a `CMD`, no `ENTRYPOINT` of the file is in force, and the stage
      is built (following `FROM <stage>`) on an official image whose ENTRYPOINT script
      looks at its first argument, and the program matches what it looks for (table
      below). In shell form that argument was `/bin/sh`, which matches nothing, so the
      script just ran the command; in exec form the script sees the program and, say,
      chowns the data folder and drops root (`FROM redis` + `CMD redis-server ...`);
    - the fix is for a `CMD`, no `ENTRYPOINT` of the file is in force, and the stage
      is built (following `FROM <stage>`) on an image that may set one: any image but
      `scratch`, the official images in the table below and those listed after it.
      An inherited ENTRYPOINT would get the words instead of `/bin/sh -c "<command>"`
      (`FROM someone/swift-app` + `CMD swift run`);
    - the fix is for an `ENTRYPOINT` and the stage, or a later stage built on it that
      sets no `ENTRYPOINT` of its own, has a `CMD`: the `CMD`, ignored by a shell-form
      `ENTRYPOINT`, becomes its arguments. (An inherited `CMD` is reset by
      `ENTRYPOINT`, so earlier stages do not count.) A script of the file's own that
      branches on `$1` is covered by these two: a `CMD` under any `ENTRYPOINT` of the
      file is unsafe, and a shell-form `ENTRYPOINT` becomes exec form safely only when
      no `CMD` reaches it (then the script gets no arguments, as before);
    - the command is `echo`, `printf`, `test`, `kill`, ... with an option: exec form runs
      the program of that name, not the shell's builtin, and options differ;
    - the `SHELL` has options that matter (`-l`, `-x`): they no longer apply;
    - the program may be a script without a `#!` line. The kernel refuses to start one
      (`exec format error`); the shell, told so, runs the file itself. A file the stage
      copies from the build context is read: without a `#!` line the fix runs it with
      the shell, `["/bin/sh", "/app.sh", ...]` (the program of the `SHELL` in force),
      which is what dash does on its own; copies with and without a `#!` line get no
      fix. With no copy in the context, a name ending in `.sh` is suspect and the fix
      keeps the plain words (unsafe: it works if the script has a `#!` line).

    Official images whose ENTRYPOINT script branches on its first argument (read from
    each image's `docker-entrypoint.sh`; `-*` means any option, which the scripts
    prefix with the image's program):

    | image | first arguments it looks for | then it |
    |---|---|---|
    | `redis` | `-*`, `*.conf`, `redis-server` | chowns its data, drops root to `redis` |
    | `postgres` | `-*`, `postgres` | initialises the database and drops root to `postgres` |
    | `mysql` | `-*`, `mysqld` | initialises the database and drops root to `mysql` |
    | `mariadb` | `-*`, `mariadbd`, `mysqld` | initialises the database and drops root to `mysql` |
    | `percona` | `-*`, `mysqld` | initialises the database and drops root to `mysql` |
    | `mongo` | `-*`, `mongo*` | chowns its data, drops root to `mongodb`, may init the db |
    | `rabbitmq` | `rabbitmq*` | chowns its data, drops root to `rabbitmq` |
    | `cassandra` | `-*`, `cassandra` | chowns its data, drops root to `cassandra`, edits its config |
    | `couchdb` | `-*`, `+*`, `couchdb`, `/opt/couchdb/bin/couchdb` | chowns, drops root to `couchdb` |
    | `elasticsearch` | `eswrapper`, `*elasticsearch` | runs it as user 1000 (`chroot --userspec`) |
    | `zookeeper` | `zkServer.sh` | chowns its data, drops root to `zookeeper` |
    | `ghost` | `node` | chowns its data, drops root to `node` and fills the content folder |
    | `nginx` | `nginx`, `nginx-debug` | runs /docker-entrypoint.d/ (config templates, IPv6 listen) |
    | `haproxy` | `-*`, `haproxy` | adds `-W -db` to `haproxy` |
    | `wordpress` | `apache2*`, `php-fpm` | installs WordPress and writes wp-config.php |
    | `joomla` | `apache2*`, `php-fpm` | installs Joomla into the web root |
    | `nextcloud` | `apache*`, `php-fpm` | installs or upgrades Nextcloud |
    | `odoo` | `-*`, `--`, `odoo` | waits for PostgreSQL and adds the database options |
    | `influxdb` | `-*`, `run`, `influxd` | sets up InfluxDB on first start |
    | `consul` | `*` | runs a consul subcommand as `consul <it>` and drops root |
    | `registry` | `-*`, `*.yaml`, `*.yml`, `serve`, `garbage-collect`, `help` | runs `registry` with it |
    | `docker` | `*` | runs a docker subcommand as `docker <it>` (`dockerd` under docker-init) |
    | `node` | `-*`, `*.js`, `*.mjs`, `*.cjs` | runs it with `node` when it is not a program |
    | `memcached` | `-*` | runs `memcached` with the options |
    | `php` | `-*` | runs `php` (or `php-fpm`, `apache2-foreground`) with the options |
    | `telegraf` | `-*` | runs `telegraf` with the options |

    Official images known to set no ENTRYPOINT (read from their Dockerfiles), so a
    `CMD` in exec form runs as written: `debian`, `ubuntu`, `alpine`, `busybox`,
    `centos`, `fedora`, `amazonlinux`, `rockylinux`, `almalinux`, `oraclelinux` and
    `buildpack-deps` (root filesystems with only a `CMD`), `python`, `pypy`, `golang`,
    `openjdk`, `ruby`, `rust`, `gcc`, `perl`, `erlang`, `httpd`, and `tomcat` (which
    resets its base's with `ENTRYPOINT []`). `eclipse-temurin` sets
    `/__cacert_entrypoint.sh`, which may import CA certificates and then runs
    `exec "$@"` without looking at its arguments, so it counts as none. Other official
    images are treated as unknown (`maven`, for one, sets `mvn-entrypoint.sh`).

    A command that needs the shell (variables, command substitution, redirections) but
    is a single simple command gets an unsafe fix that keeps the shell and adds `exec`,
    so the command replaces the shell as PID 1:
    `["/bin/sh", "-c", "exec java $JAVA_OPTS -jar app.jar"]`, using the `SHELL` in
    force when it is a POSIX shell (`["/bin/bash", "-c", "exec ..."]`; a `SHELL` of a
    stage this one is built `FROM` counts too). When the command already starts with
    `exec`, that array is exactly what BuildKit builds from the shell form, so the fix
    is safe.

    There is no fix when the command is a list (`&&`, `||`, `;`, `|`, `&`), a compound
    command or a shell builtin; after a `SHELL` that is not a POSIX shell (PowerShell,
    `cmd`); on a Windows base image, whose default shell is `cmd /S /C` (also assumed
    when the file uses the `` ` `` escape character); for text that starts with `[` but
    is not a valid JSON array (reported: it runs as a shell command, usually by
    mistake); and for bytes that are not UTF-8.

    A command continued over several lines keeps its lines: each line's words become
    JSON strings and the continuation backslashes and comment lines stay where they
    are, which BuildKit reads as one JSON array. A word split across lines gets no fix.

    `ONBUILD CMD` and `HEALTHCHECK CMD` are left alone: the first runs in another
    build, the second is not the container's main process.

    ## References
    - Dockerfile reference: "Shell and exec form"
    - hadolint DL3025; BuildKit check `JSONArgsRecommended`
    """

    code = "DF401"
    name = "shell-form-cmd"
    message = "`CMD` or `ENTRYPOINT` in shell form"
    fix_title = "Rewrite in exec form (a JSON array)"
    fixability = Fixability.SOMETIMES
    aliases = ("DL3025", "JSONArgsRecommended")

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        for instr in df.instruction_list:
            if instr.kind != "CMD" and instr.kind != "ENTRYPOINT":
                continue
            # Empty CMD, exec form, flags (BuildKit rejects them) or before FROM: nothing to
            # do (the stage looked up only for the rest).
            if instr.form is Form.JSON or not instr.values or instr.flags:
                continue
            stage = facts.stage_of(instr)
            if stage is None:
                continue
            # The reading and the rewrite load only now: most files have no shell form.
            from dffix.rules.execform import check_one

            yield check_one(self, df, facts, stage, instr)
