"""One Store from many threads (the GIL is released during store work), and fork()."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import List

import pytest

import trailstore
from conftest import case_fields_for


def test_many_threads_read_one_store(store: trailstore.Store) -> None:
    expected = {i: store.cases.get_case(i)["title"] for i in range(1, 41)}

    def read(start: int) -> int:
        n = 0
        for _ in range(20):
            for i in range(1, 41):
                assert store.cases.get_case(i)["title"] == expected[i]
                n += 1
        assert len(store.cases.get_cases_bulk(1)) == 198
        return n

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert sum(pool.map(read, range(8))) == 8 * 20 * 40


def test_many_threads_write_one_store(store: trailstore.Store) -> None:
    before = store.stats()["cases"]

    def write(worker: int) -> List[int]:
        ids = []
        for i in range(15):
            case = store.cases.add_case(1, f"Worker {worker} case {i}", **case_fields_for(1))
            ids.append(case["id"])
        return ids

    with ThreadPoolExecutor(max_workers=6) as pool:
        ids = [i for chunk in pool.map(write, range(6)) for i in chunk]
    assert len(set(ids)) == 90
    assert store.stats()["cases"] == before + 90
    assert len(store.journal.entries()) == 90


def test_batches_on_several_threads(store: trailstore.Store) -> None:
    """Each thread's calls go through its own batch; batches of different threads take turns."""
    before = store.stats()["cases"]
    errors: List[BaseException] = []

    def work(worker: int) -> None:
        try:
            with store.batch():
                for i in range(10):
                    store.cases.add_case(1, f"T{worker}-{i}", **case_fields_for(1))
                if worker % 2:
                    raise KeyError("roll this one back")
        except KeyError:
            pass
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert store.stats()["cases"] == before + 20


def test_gil_is_released_while_a_write_waits(store: trailstore.Store) -> None:
    """A thread whose write waits for this thread's batch must not hold the GIL meanwhile:
    otherwise this thread could never finish the batch (a deadlock, caught by the timeout)."""
    done = threading.Event()
    result: List[int] = []
    with store.batch():
        store.cases.add_case(1, "In the batch", **case_fields_for(1))

        def writer() -> None:
            result.append(store.cases.add_case(1, "Waits for the batch", **case_fields_for(1))["id"])
            done.set()

        t = threading.Thread(target=writer)
        t.start()
        time.sleep(0.2)
        assert not done.is_set()  # it waits for the write lock...
        for i in range(20):  # ...while this thread keeps running Python and store calls
            store.cases.get_case(1)
    assert done.wait(timeout=30)
    t.join(timeout=30)
    assert store.cases.get_case(result[0])["title"] == "Waits for the batch"


def test_close_while_other_threads_read(store_dir: Path) -> None:
    store = trailstore.Store(store_dir)
    started = threading.Barrier(5)
    outcomes: List[str] = []

    def read() -> None:
        started.wait(timeout=30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                store.cases.get_case(1)
            except trailstore.ClosedError:
                outcomes.append("closed")
                return
        outcomes.append("never closed")

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    started.wait(timeout=30)
    time.sleep(0.05)
    store.close()
    for t in threads:
        t.join(timeout=60)
    assert outcomes == ["closed"] * 4
    # Every in-flight call has ended, so the file is free again.
    with trailstore.Store(store_dir) as again:
        assert again.cases.get_case(1)["id"] == 1


# --- fork ------------------------------------------------------------------------------------

needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def _in_child(body: str, **names: object) -> str:
    """Runs ``body`` (Python code whose last value is bound to ``out``) in a forked child and
    returns ``out`` from it, or what went wrong."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        scope = dict(names)
        try:
            exec(body, scope)
            out = str(scope.get("out"))
        except BaseException as e:  # noqa: BLE001 - reported to the parent
            out = f"raised {type(e).__name__}: {e}"
        os.write(write, out.encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        out = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, f"child died: {status}"
    return out


@needs_fork
def test_fork_every_operation_raises_forked_error(store: trailstore.Store) -> None:
    body = """
import trailstore
results = []
for op in (
    lambda: store.cases.get_case(1),
    lambda: store.cases.add_case(1, "x", custom_component=1),
    lambda: store.call("get_projects"),
    lambda: store.batch(),
    lambda: store.import_snapshot({}),
    lambda: store.stats(),
):
    try:
        op()
        results.append("ok")
    except trailstore.ForkedError as e:
        results.append("forked")
out = ",".join(results)
"""
    assert _in_child(body, store=store) == ",".join(["forked"] * 6)
    # The parent's store is untouched by the child.
    assert store.cases.get_case(1)["id"] == 1
    store.cases.add_case(1, "After the fork", custom_component=1)


@needs_fork
def test_fork_child_can_drop_and_close_the_inherited_store(store: trailstore.Store) -> None:
    body = """
import gc
store.close()
assert store.closed
del store
gc.collect()
out = "clean"
"""
    assert _in_child(body, store=store) == "clean"
    # The child's close() did not close or unlock the parent's file.
    assert not store.closed
    assert store.cases.get_case(1)["id"] == 1
    with pytest.raises(trailstore.StoreInUseError):
        trailstore.Store(store.path)


@needs_fork
def test_fork_inside_a_batch(store: trailstore.Store) -> None:
    with store.batch() as batch:
        store.cases.add_case(1, "Before the fork", custom_component=1)
        body = """
import trailstore
try:
    batch.call("get_case/1")
    out = "ok"
except trailstore.ForkedError:
    out = "forked"
assert not batch.is_open
del batch
"""
        assert _in_child(body, batch=batch) == "forked"
        store.cases.add_case(1, "After the fork", custom_component=1)
    titles = [c["title"] for c in store.cases.get_cases_bulk(1)]
    assert "Before the fork" in titles and "After the fork" in titles


@needs_fork
def test_fork_child_opens_its_own_store(tmp_path: Path, store: trailstore.Store) -> None:
    other = tmp_path / "child-store"
    body = """
import trailstore
with trailstore.Store(path) as mine:
    mine.projects.add_project("Child project")
    out = mine.projects.get_projects()["projects"][0]["name"]
"""
    assert _in_child(body, path=str(other)) == "Child project"
    with trailstore.Store(other) as s:
        assert s.projects.get_projects()["size"] == 1
