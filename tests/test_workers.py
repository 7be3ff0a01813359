"""The forked workers give every result once, in order, and survive a worker's death."""

from __future__ import annotations

import os

import pytest

from dffix import workers

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def _collect(count: int, jobs: int, task, on_death=lambda i: ("dead", i)) -> list[tuple[int, object]]:  # type: ignore[no-untyped-def]
    got: list[tuple[int, object]] = []
    workers.run(count, jobs, task, lambda i, r: got.append((i, r)), on_death)
    return got


@pytest.mark.parametrize(("count", "jobs"), [(0, 2), (1, 2), (3, 8), (50, 2), (200, 3)])
def test_every_result_comes_once_in_order(count: int, jobs: int) -> None:
    got = _collect(count, jobs, lambda i: (i * i, os.getpid()))
    assert [i for i, _ in got] == list(range(count))
    assert [r[0] for _, r in got] == [i * i for i in range(count)]  # type: ignore[index]
    if count >= 50:  # the work is shared out, not done by one worker or by the parent
        pids = {r[1] for _, r in got}  # type: ignore[index]
        assert len(pids) == jobs and os.getpid() not in pids


def test_large_results_come_whole() -> None:
    got = _collect(20, 2, lambda i: "x" * (200_000 + i))
    assert [len(r) for _, r in got] == [200_000 + i for i in range(20)]  # type: ignore[arg-type]


def test_a_worker_that_dies_loses_only_its_file() -> None:
    def task(i: int) -> int:
        if i in (7, 30):
            os._exit(9)  # as the OOM killer would: no exception, no cleanup
        return i

    got = _collect(40, 2, task)
    assert [i for i, _ in got] == list(range(40))
    assert dict(got)[7] == ("dead", 7) and dict(got)[30] == ("dead", 30)
    assert all(r == i for i, r in got if i not in (7, 30))


@pytest.mark.parametrize("dies", [8, 9])
def test_a_worker_that_dies_at_the_end_loses_only_its_file(dies: int) -> None:
    # By then every index is handed out and the other worker has been told there are no
    # more: the one that replaces the dead worker takes what it held.
    def task(i: int) -> int:
        if i == dies:
            os._exit(9)
        return i

    got = dict(_collect(10, 2, task))
    assert got == {i: ("dead", i) if i == dies else i for i in range(10)}


def test_every_worker_dying_still_answers_every_index() -> None:
    got = _collect(6, 2, lambda i: os._exit(1))
    assert got == [(i, ("dead", i)) for i in range(6)]


def test_no_worker_is_left_behind() -> None:
    _collect(30, 3, lambda i: i)
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


def test_when_no_worker_can_be_forked_the_parent_does_the_work(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", refuse)
    got = _collect(5, 2, lambda i: (i, os.getpid()))
    assert got == [(i, (i, os.getpid())) for i in range(5)]


def test_when_a_dead_worker_cannot_be_replaced_the_parent_finishes(monkeypatch: pytest.MonkeyPatch) -> None:
    fork, forks = os.fork, list[int]()

    def once() -> int:
        if forks:
            raise OSError(12, "Cannot allocate memory")
        forks.append(1)
        return fork()

    monkeypatch.setattr(os, "fork", once)

    def task(i: int) -> tuple[int, int]:
        if i == 3 and os.getpid() != parent:
            os._exit(9)
        return i, os.getpid()

    parent = os.getpid()
    got = dict(_collect(8, 1, task))
    assert got[3] == ("dead", 3)
    assert [got[i][0] for i in range(8) if i != 3] == [0, 1, 2, 4, 5, 6, 7]  # type: ignore[index]
    assert got[7][1] == parent  # type: ignore[index]


def test_a_refused_pipe_leaves_no_descriptor_open(monkeypatch: pytest.MonkeyPatch) -> None:
    pipe, made = os.pipe, list[int]()

    def every_other() -> tuple[int, int]:
        made.append(1)
        if len(made) % 2 == 0:
            raise OSError(24, "Too many open files")
        return pipe()

    monkeypatch.setattr(os, "pipe", every_other)
    before = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None
    assert _collect(4, 2, lambda i: i) == [(i, i) for i in range(4)]  # done in the parent
    if before is not None:
        assert len(os.listdir("/proc/self/fd")) == before
