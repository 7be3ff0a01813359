"""Forked worker processes for a run over many files, without concurrent.futures.

`concurrent.futures.process` costs ~15 ms to import (it brings in logging, threading and
most of multiprocessing) and starts two threads in the parent; that was a tenth of a
300-file run's serial start. Here the parent forks the workers itself: each inherits
everything already loaded (the work list too, so a task is an index), reads indices
from its own pipe and writes back each pickled result. The parent keeps two indices in
flight per worker (so none waits on the parent), hands out the next one as a result
comes back, and gives the results to the caller in index order.

A worker that dies (the OOM killer, a signal) ends its pipe: the file it was on gets
`on_death`'s result, the indices it held go to the others, and a new worker is forked
while work is left. Only for POSIX systems with `os.fork`; the caller falls back to a
process pool elsewhere.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import sys
from collections import deque
from collections.abc import Callable

from dffix.records import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from typing import Any

T = TypeVar("T")

_IN_FLIGHT = 2  # indices sent ahead to each worker
_INDEX = 4  # bytes of an index on a task pipe (one write each: never split)
_SIZE = 8  # bytes of a result's length on a result pipe
_READABLE = select.POLLIN | select.POLLHUP | select.POLLERR


class _Worker:
    __slots__ = ("buffer", "pid", "results", "tasks", "todo")

    def __init__(self, pid: int, tasks: int, results: int) -> None:
        self.pid, self.tasks, self.results = pid, tasks, results
        self.todo: deque[int] = deque()  # indices sent and not answered, oldest first
        self.buffer = bytearray()


def run(
    count: int,
    jobs: int,
    task: Callable[[int], T],
    on_result: Callable[[int, T], None],
    on_death: Callable[[int], T],
    in_worker: Callable[[], None] = lambda: None,
) -> None:
    """Run `task(i)` for every i in range(count) in up to `jobs` forked processes.

    `on_result(i, result)` is called in the parent in the order of i. A worker that dies
    while on index i gives it `on_death(i)`. `in_worker` runs first in each worker.
    Ctrl-C in the parent stops the workers and is raised on.
    """
    pending = deque(range(count))
    workers: dict[int, _Worker] = {}  # by the parent's end of its result pipe
    done: dict[int, T] = {}
    following = 0  # the next index to hand to on_result
    poll = select.poll()  # the result pipes (poll(2): no limit on descriptor numbers)
    try:
        for _ in range(min(jobs, count)):
            _start(workers, poll, task, in_worker)
        for worker in list(workers.values()):
            _feed(worker, pending)
        while following < count:
            if not workers:  # none could be forked (out of processes, of memory): here, then
                while pending:
                    index = pending.popleft()
                    done[index] = task(index)
            for fd, _ in poll.poll() if workers else ():
                worker = workers[fd]
                chunk = os.read(fd, 1 << 16)
                if chunk:
                    for result in _answers(worker, chunk):
                        done[worker.todo.popleft()] = result
                    _feed(worker, pending)
                    continue
                # The pipe ended: the worker left, done (no index held) or dead.
                if worker.todo:
                    dead = worker.todo.popleft()
                    done[dead] = on_death(dead)
                    pending.extendleft(reversed(worker.todo))
                _close(worker, poll, workers)
                if pending and (new := _start(workers, poll, task, in_worker)) is not None:
                    _feed(new, pending)  # what it held (the others may have ended)
            while following in done:
                on_result(following, done.pop(following))
                following += 1
    finally:
        for worker in list(workers.values()):
            _close(worker, poll, workers, kill=True)


def _start(
    workers: dict[int, _Worker],
    poll: select.poll,
    task: Callable[[int], object],
    in_worker: Callable[[], None],
) -> _Worker | None:
    """Fork one worker and register it; None when the system refuses (the others, or the
    parent itself, do the work)."""
    sys.stdout.flush()
    sys.stderr.flush()
    fds: list[int] = []
    try:
        fds += os.pipe()
        fds += os.pipe()
        pid = os.fork()
    except OSError:
        for fd in fds:
            os.close(fd)
        return None
    task_r, task_w, result_r, result_w = fds
    if pid == 0:  # the worker: never returns
        code = 70
        try:
            os.close(task_w)
            os.close(result_r)
            for other in workers.values():  # the parent's ends of the others' pipes
                if other.tasks >= 0:  # (closed already when it was given its last index)
                    os.close(other.tasks)
                os.close(other.results)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            in_worker()
            _serve(task_r, result_w, task)
            code = 0
        finally:
            os._exit(code)
    os.close(task_r)
    os.close(result_w)
    worker = workers[result_r] = _Worker(pid, task_w, result_r)
    poll.register(result_r, _READABLE)
    return worker


def _serve(tasks: int, results: int, task: Callable[[int], object]) -> None:
    """In a worker: answer each index read from `tasks` until the parent closes it."""
    while True:
        raw = os.read(tasks, _INDEX)
        if len(raw) < _INDEX:
            return
        data = pickle.dumps(task(int.from_bytes(raw, "little")), pickle.HIGHEST_PROTOCOL)
        view = memoryview(len(data).to_bytes(_SIZE, "little") + data)
        while view:
            view = view[os.write(results, view) :]


def _feed(worker: _Worker, pending: deque[int]) -> None:
    """Send `worker` indices until it holds _IN_FLIGHT; close its tasks when none are left.

    A worker that died meanwhile is seen when its result pipe ends (a write to its task
    pipe may fail first: that index stays pending)."""
    while len(worker.todo) < _IN_FLIGHT and pending and worker.tasks >= 0:
        index = pending.popleft()
        try:
            os.write(worker.tasks, index.to_bytes(_INDEX, "little"))
        except BrokenPipeError:
            pending.appendleft(index)
            _end_tasks(worker)
            return
        worker.todo.append(index)
    if not pending:
        # Nothing more for anyone: the worker leaves once it has read its pipe empty.
        _end_tasks(worker)


def _answers(worker: _Worker, chunk: bytes) -> list[Any]:
    """Add what the worker wrote; return the results now whole, oldest first."""
    buffer = worker.buffer
    buffer += chunk
    found = []
    while len(buffer) >= _SIZE:
        size = int.from_bytes(buffer[:_SIZE], "little")
        if len(buffer) < _SIZE + size:
            break
        found.append(pickle.loads(buffer[_SIZE : _SIZE + size]))
        del buffer[: _SIZE + size]
    return found


def _end_tasks(worker: _Worker) -> None:
    if worker.tasks >= 0:
        os.close(worker.tasks)
        worker.tasks = -1


def _close(worker: _Worker, poll: select.poll, workers: dict[int, _Worker], kill: bool = False) -> None:
    """Forget a worker: close its pipes and reap it (killed first when `kill`)."""
    _end_tasks(worker)
    poll.unregister(worker.results)
    os.close(worker.results)
    del workers[worker.results]
    if kill:
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker.pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(worker.pid, 0)
