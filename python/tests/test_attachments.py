"""store.attachments: testrail-api's Attachments methods against a real store.

Files go in by path (``str``, ``pathlib.Path``, or ``bytes`` for a name that is not text) or as
bytes in memory, come back byte for byte through ``get_attachment(id, path)``, are refused past
256 MB with nothing written, are stored once however often they are attached, and go with what
they are attached to. Uploads inside ``store.batch()`` commit or roll back with it.
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List

import pytest

import trailstore

MB = 1024 * 1024


@dataclass
class Run:
    id: int
    #: The results of cases 1 and 2 (one each).
    results: List[int]
    #: The tests of cases 1 and 2.
    tests: List[int]


@pytest.fixture
def run(store: trailstore.Store) -> Run:
    """A run of five Web Shop cases with a result on cases 1 and 2."""
    r = store.runs.add_run(1, name="Attachments", include_all=False, case_ids=[1, 2, 3, 4, 5])
    added = store.results.add_results_for_cases(
        r["id"], [{"case_id": 1, "status_id": 5}, {"case_id": 2, "status_id": 1}]
    )
    return Run(r["id"], [a["id"] for a in added], [a["test_id"] for a in added])


def blob_files(store: trailstore.Store) -> List[Path]:
    """Every file under the store's attachment folder (stored bytes and temporary files)."""
    root = Path(store.path) / "attachments"
    return sorted(p for p in root.rglob("*") if p.is_file())


def journal_length(store: trailstore.Store) -> int:
    return len(store.journal.entries())


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def assert_shape(value: Any, typed: Any) -> None:
    """``value`` has every key the TypedDict ``typed`` requires and none it does not declare."""
    required = set(typed.__required_keys__)
    declared = required | set(typed.__optional_keys__)
    assert required <= set(value), sorted(required - set(value))
    assert set(value) <= declared, sorted(set(value) - declared)


def names(page_or_list: Any) -> List[str]:
    items = page_or_list["attachments"] if isinstance(page_or_list, dict) else page_or_list
    return [a["name"] for a in items]


@pytest.mark.parametrize("size", [0, 1, 5 * MB], ids=["empty", "one-byte", "5MB"])
def test_bytes_round_trip(store: trailstore.Store, run: Run, tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    src = write(tmp_path / "trace.bin", data)
    added = store.attachments.add_attachment_to_result(run.results[0], src)
    assert set(added) == {"attachment_id"}
    out = tmp_path / "out" / "copy.bin"
    out.parent.mkdir()
    got = store.attachments.get_attachment(added["attachment_id"], out)
    assert got == out and isinstance(got, Path)
    assert out.read_bytes() == data
    # A str path too, and a file already there is replaced.
    got = store.attachments.get_attachment(added["attachment_id"], str(out))
    assert got == out and out.read_bytes() == data
    meta = store.attachments.get_attachments_for_test(run.tests[0])["attachments"]
    assert [(m["id"], m["name"], m["size"]) for m in meta] == [
        (added["attachment_id"], "trace.bin", size)
    ]


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_bytes_in_memory_round_trip(
    store: trailstore.Store, run: Run, tmp_path: Path, kind: Any
) -> None:
    data = os.urandom(3000)
    added = store.attachments.add_attachment_bytes(
        f"add_attachment_to_result/{run.results[1]}", "screenshot.png", kind(data)
    )
    out = store.attachments.get_attachment(added["attachment_id"], tmp_path / "shot.png")
    assert out.read_bytes() == data
    (meta,) = store.attachments.get_attachments_for_test_bulk(run.tests[1])
    assert meta["filetype"] == "png" and meta["is_image"] is True
    assert meta["entity_type"] == "result" and meta["result_id"] == run.results[1]
    assert meta["case_id"] == 2 and meta["project_id"] == 1
    assert meta["size"] == 3000 and meta["filename"] == "screenshot.png"
    # The result names its attachment.
    (result,) = store.results.get_results_bulk(run.tests[1])
    assert result["attachment_ids"] == [added["attachment_id"]]


def test_a_file_over_256_mb_is_refused_and_nothing_is_written(
    store: trailstore.Store, run: Run, tmp_path: Path
) -> None:
    huge = tmp_path / "huge.bin"
    with huge.open("wb") as f:
        f.truncate(300 * MB)  # sparse: the test itself writes nothing
    journal = journal_length(store)
    listed = store.attachments.get_attachments_for_case(1)
    stats = store.stats()
    with pytest.raises(trailstore.TooLargeError) as info:
        store.attachments.add_attachment_to_case(1, huge)
    err = info.value
    assert isinstance(err, trailstore.Error)
    assert (err.code, err.name, err.http_status) == (6, "too_large", 413)
    assert "256 MB" in str(err)
    assert journal_length(store) == journal
    assert store.attachments.get_attachments_for_case(1) == listed
    assert store.stats() == stats
    assert blob_files(store) == []
    # Up to the limit is taken (bytes in memory, refused one byte past it the same way).
    with pytest.raises(trailstore.TooLargeError):
        store.attachments.add_attachment_bytes(
            f"add_attachment_to_run/{run.id}", "over.bin", bytes(256 * MB + 1)
        )
    assert blob_files(store) == []
    assert journal_length(store) == journal


@pytest.mark.parametrize(
    "name",
    ["résumé (final).log", "with  two spaces.txt", 'say "hi".txt', "it's mine.txt", "日本語.png"],
)
def test_odd_names_are_kept(store: trailstore.Store, tmp_path: Path, name: str) -> None:
    src = write(tmp_path / name, name.encode())
    added = store.attachments.add_attachment_to_case(3, str(src))
    (meta,) = store.attachments.get_attachments_for_case_bulk(3)
    assert meta["id"] == added["attachment_id"]
    assert meta["name"] == name and meta["filename"] == name
    out = store.attachments.get_attachment(added["attachment_id"], tmp_path / f"out {name}")
    assert out.read_bytes() == name.encode()


@pytest.mark.skipif(sys.platform != "linux", reason="Linux file names are any bytes")
def test_a_file_name_that_is_not_text_is_refused_clearly(
    store: trailstore.Store, run: Run, tmp_path: Path
) -> None:
    raw = os.path.join(os.fsencode(tmp_path), b"caf\xe9.txt")
    with open(raw, "wb") as f:
        f.write(b"bytes")
    journal = journal_length(store)
    # As bytes, as the str Python decodes it to (surrogate escapes), and as a Path of that.
    for given in (raw, os.fsdecode(raw), Path(os.fsdecode(raw))):
        with pytest.raises(trailstore.ValidationError) as info:
            store.attachments.add_attachment_to_run(run.id, given)
        assert info.value.field == "attachment"
        assert str(info.value).startswith("Field :attachment needs a file name"), info.value
    # The same inside a batch.
    with pytest.raises(trailstore.ValidationError) as info:
        with store.batch():
            store.attachments.add_attachment_to_run(run.id, raw)
    assert info.value.field == "attachment"
    assert journal_length(store) == journal
    assert store.attachments.get_attachments_for_run(run.id)["attachments"] == []
    assert blob_files(store) == []
    # A name from memory is checked by the same rule.
    for bad in ("", "line\nbreak.txt", "dir/"):
        with pytest.raises(trailstore.ValidationError) as info:
            store.attachments.add_attachment_bytes(f"add_attachment_to_run/{run.id}", bad, b"x")
        assert info.value.field == "attachment"
    # A bytes path whose name is text is fine.
    ok = write(tmp_path / "plain.txt", b"plain")
    added = store.attachments.add_attachment_to_run(run.id, os.fsencode(ok))
    out = store.attachments.get_attachment(added["attachment_id"], os.fsencode(tmp_path / "o"))
    assert out == tmp_path / "o" and out.read_bytes() == b"plain"


def test_the_same_bytes_are_listed_twice_and_stored_once(
    store: trailstore.Store, run: Run, tmp_path: Path
) -> None:
    data = os.urandom(100_000)
    a = store.attachments.add_attachment_to_case(4, write(tmp_path / "a.log", data))
    b = store.attachments.add_attachment_to_case(4, write(tmp_path / "b.log", data))
    c = store.attachments.add_attachment_bytes(f"add_attachment_to_run/{run.id}", "c.log", data)
    ids = [x["attachment_id"] for x in (a, b, c)]
    assert len(set(ids)) == 3
    assert names(store.attachments.get_attachments_for_case(4)) == ["a.log", "b.log"]
    assert names(store.attachments.get_attachments_for_run(run.id)) == ["c.log"]
    (stored,) = blob_files(store)
    assert stored.read_bytes() == data
    # Deleting one keeps the bytes for the others; deleting every one removes them.
    journal = journal_length(store)
    store.attachments.delete_attachment(ids[0])
    assert journal_length(store) == journal + 1
    assert blob_files(store) == [stored]
    assert names(store.attachments.get_attachments_for_case(4)) == ["b.log"]
    with pytest.raises(trailstore.NotFoundError):
        store.attachments.get_attachment(ids[0], tmp_path / "gone")
    store.attachments.delete_attachment(ids[1])
    store.attachments.delete_attachment(ids[2])
    assert blob_files(store) == []


def test_deleting_a_run_removes_its_files(
    store: trailstore.Store, run: Run, tmp_path: Path
) -> None:
    on_result = store.attachments.add_attachment_bytes(
        f"add_attachment_to_result/{run.results[0]}", "result.log", b"result bytes"
    )["attachment_id"]
    on_run = store.attachments.add_attachment_to_run(
        run.id, write(tmp_path / "run.log", b"run bytes")
    )["attachment_id"]
    on_case = store.attachments.add_attachment_bytes(
        "add_attachment_to_case/5", "case.log", b"case bytes"
    )["attachment_id"]
    assert len(blob_files(store)) == 3
    store.runs.delete_run(run.id)
    for gone in (on_result, on_run):
        out = tmp_path / f"{gone}.out"
        with pytest.raises(trailstore.NotFoundError):
            store.attachments.get_attachment(gone, out)
        assert not out.exists()
    (left,) = blob_files(store)
    assert left.read_bytes() == b"case bytes"
    assert store.attachments.get_attachment(on_case, tmp_path / "c").read_bytes() == b"case bytes"


def test_a_tests_attachments_are_its_results_newest_first(
    store: trailstore.Store, run: Run
) -> None:
    test = run.tests[0]
    first = run.results[0]
    second = store.results.add_result(test, status_id=1, comment="rerun")["id"]
    other = run.results[1]
    for result, name in ((first, "first-1.txt"), (first, "first-2.txt"), (second, "second.txt")):
        store.attachments.add_attachment_bytes(
            f"add_attachment_to_result/{result}", name, name.encode()
        )
    store.attachments.add_attachment_bytes(f"add_attachment_to_result/{other}", "x.txt", b"x")
    page = store.attachments.get_attachments_for_test(test)
    assert names(page) == ["second.txt", "first-1.txt", "first-2.txt"]
    assert page["offset"] == 0 and page["size"] == 3 and page["_links"]["next"] is None
    one = store.attachments.get_attachments_for_test(test, limit=1, offset=1)
    assert names(one) == ["first-1.txt"] and one["_links"]["next"] is not None
    assert names(store.attachments.get_attachments_for_test_bulk(test)) == names(page)
    assert names(store.attachments.get_attachments_for_test(run.tests[1])) == ["x.txt"]


def test_unknown_ids_raise_not_found_and_write_nothing(
    store: trailstore.Store, run: Run, tmp_path: Path
) -> None:
    out = tmp_path / "never.bin"
    for unknown in (999999, "999999", "3f0e1c2a-0000-4000-8000-000000000000"):
        with pytest.raises(trailstore.NotFoundError) as info:
            store.attachments.get_attachment(unknown, out)
        assert info.value.field == "attachment_id"
        assert not out.exists()
    with pytest.raises(trailstore.NotFoundError):
        store.attachments.delete_attachment(999999)
    with pytest.raises(TypeError):
        store.attachments.get_attachment(1.5, out)  # type: ignore[arg-type]
    # An unknown owner is refused before the file is even opened (this one does not exist).
    missing = tmp_path / "missing.txt"
    for add, field in (
        (store.attachments.add_attachment_to_case, "case_id"),
        (store.attachments.add_attachment_to_result, "result_id"),
        (store.attachments.add_attachment_to_run, "run_id"),
        (store.attachments.add_attachment_to_plan, "plan_id"),
    ):
        with pytest.raises(trailstore.NotFoundError) as info:
            add(999999, missing)
        assert info.value.field == field
    with pytest.raises(trailstore.NotFoundError):
        store.attachments.get_attachments_for_case(999999)
    with pytest.raises(trailstore.NotFoundError):
        store.attachments.get_attachments_for_test(999999)
    # An upload route called without a file says how to send one.
    with pytest.raises(trailstore.BadRequestError) as bad:
        store.call(f"add_attachment_to_run/{run.id}", {"attachment": "log.txt"})
    assert "multipart/form-data" in str(bad.value)
    assert blob_files(store) == []


def test_the_users_own_files_fail_as_open_does(
    store: trailstore.Store, run: Run, tmp_path: Path
) -> None:
    journal = journal_length(store)
    missing = tmp_path / "missing.txt"
    with pytest.raises(FileNotFoundError) as info:
        store.attachments.add_attachment_to_run(run.id, missing)
    assert info.value.filename == str(missing)
    with pytest.raises(IsADirectoryError):
        store.attachments.add_attachment_to_run(run.id, tmp_path)
    added = store.attachments.add_attachment_bytes(f"add_attachment_to_run/{run.id}", "a", b"a")
    with pytest.raises(FileNotFoundError):
        store.attachments.get_attachment(added["attachment_id"], tmp_path / "no" / "dir")
    assert journal_length(store) == journal + 1
    assert names(store.attachments.get_attachments_for_run(run.id)) == ["a"]
    # Nothing half-uploaded is left behind.
    assert len(blob_files(store)) == 1


def test_every_owner_and_the_bulk_helpers(
    store: trailstore.Store, run: Run, tmp_path: Path
) -> None:
    plan = store.plans.add_plan(
        1, "Release", entries=[{"suite_id": 1, "include_all": False, "case_ids": [1]}]
    )
    entry = plan["entries"][0]["id"]
    src = write(tmp_path / "plan.txt", b"plan")
    a = store.attachments
    a.add_attachment_to_plan(plan["id"], src)
    a.add_attachment_to_plan_entry(plan["id"], entry, write(tmp_path / "entry.txt", b"entry"))
    a.add_attachment_to_run(run.id, write(tmp_path / "run.txt", b"run"))
    a.add_attachment_to_case(1, write(tmp_path / "case.txt", b"case"))
    page = a.get_attachments_for_plan(plan["id"])
    assert_shape(page, trailstore.AttachmentsPage)
    assert_shape(page["attachments"][0], trailstore.Attachment)
    assert names(page) == ["plan.txt"]
    assert names(a.get_attachments_for_plan_entry(plan["id"], entry)) == ["entry.txt"]
    (on_entry,) = a.get_attachments_for_plan_entry_bulk(plan["id"], entry)
    assert on_entry["entity_type"] == "plan_entry" and on_entry["entity_id"] == entry
    assert_shape(on_entry, trailstore.Attachment)
    assert names(a.get_attachments_for_plan_bulk(plan["id"])) == ["plan.txt"]
    assert names(a.get_attachments_for_run_bulk(run.id)) == ["run.txt"]
    (on_case,) = a.get_attachments_for_case_bulk(1)
    assert on_case["entity_type"] == "case" and on_case["entity_id"] == "1"
    assert on_case["case_id"] == 1 and on_case["result_id"] is None
    assert_shape(on_case, trailstore.Attachment)
    a.add_attachment_to_result(run.results[0], write(tmp_path / "result.txt", b"result"))
    (on_result,) = a.get_attachments_for_test_bulk(run.tests[0])
    assert_shape(on_result, trailstore.Attachment)
    assert on_result["entity_id"] == str(run.results[0]) and on_result["case_id"] == 1
    with pytest.raises(trailstore.NotFoundError) as info:
        a.get_attachments_for_plan_entry(plan["id"], "0000-not-an-entry")
    assert info.value.field == "entry_id"

    # Past one page: 251 attachments on one case (in one batch, one commit), read back by the
    # bulk helper across pages and by the pages themselves.
    with store.batch():
        for i in range(251):
            a.add_attachment_bytes("add_attachment_to_case/2", f"{i:03}.txt", b"%d" % i)
    first = a.get_attachments_for_case(2)
    assert first["size"] == 250 and first["_links"]["next"] is not None
    rest = a.get_attachments_for_case(2, offset=250)
    assert names(rest) == ["250.txt"]
    everything = a.get_attachments_for_case_bulk(2)
    assert names(everything) == [f"{i:03}.txt" for i in range(251)]
    assert a.get_attachments_for_case(2, limit=10, offset=5)["size"] == 10


def test_uploads_in_a_batch_commit_with_it(
    store: trailstore.Store, run: Run, tmp_path: Path
) -> None:
    journal = journal_length(store)
    with store.batch():
        by_path = store.attachments.add_attachment_to_result(
            run.results[0], write(tmp_path / "in-batch.log", b"from a file")
        )["attachment_id"]
        by_bytes = store.attachments.add_attachment_bytes(
            f"add_attachment_to_result/{run.results[0]}", "mem.log", b"from memory"
        )["attachment_id"]
        # The batch sees its own uploads: lists and bytes.
        assert names(store.attachments.get_attachments_for_test(run.tests[0])) == [
            "in-batch.log",
            "mem.log",
        ]
        got = store.attachments.get_attachment(by_bytes, tmp_path / "mem.out")
        assert got.read_bytes() == b"from memory"
        # Nothing is committed yet: the journal (read by another thread) is unchanged.
        seen: Dict[str, int] = {}

        def count_from_another_thread() -> None:
            seen["journal"] = journal_length(store)

        t = threading.Thread(target=count_from_another_thread)
        t.start()
        t.join()
        assert seen["journal"] == journal
    assert journal_length(store) == journal + 2
    assert store.attachments.get_attachment(by_path, tmp_path / "p").read_bytes() == b"from a file"


def test_uploads_in_a_rolled_back_batch_are_not_kept(
    store_dir: Path, run: Run, store: trailstore.Store, tmp_path: Path
) -> None:
    journal = journal_length(store)

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with store.batch():
            store.attachments.add_attachment_bytes(
                f"add_attachment_to_run/{run.id}", "dropped.log", b"rolled back"
            )
            raise Boom()
    assert journal_length(store) == journal
    assert store.attachments.get_attachments_for_run(run.id)["attachments"] == []
    # A closed batch takes no upload.
    batch = store.batch()
    batch.commit()
    with pytest.raises(trailstore.ClosedError):
        batch._native.upload_bytes(f"add_attachment_to_run/{run.id}", "late.log", b"late")
    # Bytes placed for a batch that never committed are gone once the store is opened again.
    store.close()
    with trailstore.Store(store_dir) as again:
        assert blob_files(again) == []


def test_uploads_to_what_the_batch_itself_added(store: trailstore.Store, tmp_path: Path) -> None:
    """A harness records results and attaches their logs in one batch: the result exists only
    in the batch when its attachment is added."""
    r = store.runs.add_run(1, name="Batched", include_all=False, case_ids=[1])
    src = write(tmp_path / "log.txt", b"log")
    with store.batch():
        (result,) = store.results.add_results_for_cases(r["id"], [{"case_id": 1, "status_id": 5}])
        store.attachments.add_attachment_to_result(result["id"], src)
        case = store.cases.add_case(1, "New in the batch", custom_component=1)
        store.attachments.add_attachment_bytes(
            f"add_attachment_to_case/{case['id']}", "case.txt", b"case"
        )
    assert names(store.attachments.get_attachments_for_test(result["test_id"])) == ["log.txt"]
    assert names(store.attachments.get_attachments_for_case(case["id"])) == ["case.txt"]
