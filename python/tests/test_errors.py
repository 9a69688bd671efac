"""Every exception class, each raised for real by the store (none constructed by hand)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import trailstore
from conftest import patch_meta

ALL = [
    (trailstore.ValidationError, 1, "validation", 400),
    (trailstore.NotFoundError, 2, "not_found", 400),
    (trailstore.ForbiddenError, 3, "forbidden", 403),
    (trailstore.UnknownMethodError, 4, "unknown_method", 404),
    (trailstore.BadRequestError, 5, "bad_request", 400),
    (trailstore.StoreInUseError, 10, "in_use", 500),
    (trailstore.DamagedStoreError, 11, "damaged", 500),
    (trailstore.UnsupportedFormatError, 12, "unsupported", 500),
    (trailstore.ForkedError, 13, "forked", 500),
    (trailstore.StoreIOError, 14, "io", 500),
    (trailstore.ClosedError, 15, "closed", 500),
    (trailstore.InternalError, 16, "internal", 500),
    (trailstore.BusyError, 17, "busy", 409),
    (trailstore.RemoteError, 18, "remote", 502),  # raised for real in test_sync.py
]


@pytest.mark.parametrize("cls, code, name, status", ALL)
def test_hierarchy_and_class_attributes(
    cls: type[trailstore.Error], code: int, name: str, status: int
) -> None:
    assert issubclass(cls, trailstore.Error) and issubclass(cls, Exception)
    assert cls.code == code and cls.name == name and cls.http_status == status
    assert cls.field is None
    assert cls.__module__ == "trailstore"
    assert cls.__doc__
    assert cls.__name__ in trailstore.__all__


def test_every_code_has_its_own_class() -> None:
    assert len({code for _, code, _, _ in ALL}) == len(ALL)
    assert trailstore.Error.code == 0


def _check(err: trailstore.Error, cls: type[trailstore.Error]) -> None:
    assert type(err) is cls
    assert err.code == cls.code and err.name == cls.name and err.http_status == cls.http_status
    assert str(err)


def test_validation_error(store: trailstore.Store) -> None:
    with pytest.raises(trailstore.ValidationError) as info:
        store.cases.add_case(1, "x" * 251, custom_component=1)
    _check(info.value, trailstore.ValidationError)
    assert info.value.field == "title"
    assert "title" in str(info.value)


def test_not_found_error(store: trailstore.Store) -> None:
    with pytest.raises(trailstore.NotFoundError) as info:
        store.cases.add_case(99_999, "Nowhere")
    _check(info.value, trailstore.NotFoundError)
    assert info.value.field == "section_id"
    assert str(info.value) == "Field :section_id is not a valid section."


def test_forbidden_error(store_dir: Path) -> None:
    # A store that has handed out every local case id.
    assert patch_meta(store_dir, "next_local_id.case", 2**31) >= 1
    with trailstore.Store(store_dir) as store:
        with pytest.raises(trailstore.ForbiddenError) as info:
            store.cases.add_case(1, "One too many", custom_component=1)
        _check(info.value, trailstore.ForbiddenError)
        assert "every local test case id" in str(info.value)
        # Other kinds still have ids left.
        store.sections.add_section(1, "Still fine")


def test_unknown_method_error(store: trailstore.Store) -> None:
    with pytest.raises(trailstore.UnknownMethodError) as info:
        store.call("add_attachment_to_result/1", {"attachment": "log.txt"})
    _check(info.value, trailstore.UnknownMethodError)


def test_bad_request_error(store: trailstore.Store) -> None:
    with pytest.raises(trailstore.BadRequestError) as info:
        store.call("add_case/1", ["not", "an", "object"])  # type: ignore[arg-type]
    _check(info.value, trailstore.BadRequestError)


def test_store_in_use_error_from_another_process(store_dir: Path) -> None:
    script = textwrap.dedent(
        """
        import sys, trailstore
        store = trailstore.Store(sys.argv[1])
        print("open", flush=True)
        sys.stdin.readline()
        store.close()
        """
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", script, str(store_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        with pytest.raises(trailstore.StoreInUseError) as info:
            trailstore.Store(store_dir)
        _check(info.value, trailstore.StoreInUseError)
        assert "in use by another process" in str(info.value)
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.wait(timeout=30) == 0
    # Released: it opens now.
    with trailstore.Store(store_dir) as store:
        assert store.cases.get_case(1)["id"] == 1


def test_store_in_use_error_in_the_same_process(store: trailstore.Store) -> None:
    with pytest.raises(trailstore.StoreInUseError):
        trailstore.Store(store.path)


def test_damaged_store_error(tmp_path: Path) -> None:
    folder = tmp_path / "damaged"
    folder.mkdir()
    (folder / "store.redb").write_bytes(os.urandom(64 * 1024))
    with pytest.raises(trailstore.DamagedStoreError) as info:
        trailstore.Store(folder)
    _check(info.value, trailstore.DamagedStoreError)
    assert "damaged" in str(info.value)


def test_unsupported_format_error(store_dir: Path) -> None:
    assert patch_meta(store_dir, "format_version", 99) >= 1
    with pytest.raises(trailstore.UnsupportedFormatError) as info:
        trailstore.Store(store_dir)
    _check(info.value, trailstore.UnsupportedFormatError)
    assert "format version 99" in str(info.value)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_forked_error(store: trailstore.Store) -> None:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: report the error's class and message through the pipe
        os.close(read)
        try:
            store.cases.get_case(1)
            out = "no error"
        except trailstore.Error as e:
            out = f"{type(e).__name__}|{e.code}|{e}"
        except BaseException as e:  # noqa: BLE001 - anything else is a failure to report
            out = f"unexpected {type(e).__name__}: {e}"
        os.write(write, out.encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        out = pipe.read()
    assert os.waitpid(pid, 0)[1] == 0
    name, code, message = out.split("|", 2)
    assert (name, code) == ("ForkedError", "13")
    assert "fork()" in message and "open the store in the child" in message


def test_store_io_error(tmp_path: Path, empty_store: trailstore.Store) -> None:
    with pytest.raises(trailstore.StoreIOError) as info:
        empty_store.import_snapshot(tmp_path / "missing.json")
    _check(info.value, trailstore.StoreIOError)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(trailstore.StoreIOError):
        trailstore.Store(blocker / "store")


def test_closed_error(store: trailstore.Store) -> None:
    batch = store.batch()
    batch.commit()
    with pytest.raises(trailstore.ClosedError) as info:
        batch.call("get_case/1")
    _check(info.value, trailstore.ClosedError)
    store.close()
    with pytest.raises(trailstore.ClosedError):
        store.cases.get_case(1)
    with pytest.raises(trailstore.ClosedError):
        store.batch()


def test_internal_error_from_a_panic() -> None:
    from trailstore import _native

    # The panic hooks exist only in the test build; fail, never skip, against another wheel.
    assert hasattr(_native, "_test_panic"), (
        "this wheel was built without --features testing: run python/run-tests.sh"
    )
    with pytest.raises(trailstore.InternalError) as info:
        _native._test_panic("boom")
    _check(info.value, trailstore.InternalError)
    assert "boom" in str(info.value)
    # A panic in work done without the GIL too.
    with pytest.raises(trailstore.InternalError, match="boom without the GIL"):
        _native._test_panic_detached("boom without the GIL")


def test_busy_error(store: trailstore.Store) -> None:
    with store.batch():
        with pytest.raises(trailstore.BusyError) as info:
            store.batch()
        _check(info.value, trailstore.BusyError)
        assert "batch" in str(info.value)


def test_catching_the_base_class(store: trailstore.Store) -> None:
    with pytest.raises(trailstore.Error):
        store.cases.get_case(424242)
