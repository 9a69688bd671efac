"""store.batch(): one transaction that commits once, or rolls back."""

from __future__ import annotations

import gc
import threading
from pathlib import Path

import pytest

import trailstore
from conftest import case_fields_for, import_counts


class Boom(Exception):
    pass


def count(store: trailstore.Store) -> int:
    return int(store.stats()["cases"])


def test_batch_commits_once_on_success(store: trailstore.Store) -> None:
    before = store.stats()
    with store.batch() as batch:
        assert batch.is_open
        ids = [store.cases.add_case(1, f"Batched {i}", **case_fields_for(1))["id"] for i in range(5)]
        # Reads of this thread see the batch's writes.
        assert store.cases.get_case(ids[0])["title"] == "Batched 0"
        assert batch.call(f"get_case/{ids[1]}")["title"] == "Batched 1"
    assert not batch.is_open
    after = store.stats()
    assert after["cases"] == before["cases"] + 5
    assert [e["route"] for e in store.journal.entries()] == ["add_case/1"] * 5


def test_batch_rolls_back_on_exception_and_reraises(store: trailstore.Store) -> None:
    before = store.stats()
    with pytest.raises(Boom):
        with store.batch():
            store.cases.add_case(1, "Never kept", **case_fields_for(1))
            store.cases.update_case(1, title="Never renamed")
            raise Boom()
    assert store.stats() == before
    assert store.cases.get_case(1)["title"] != "Never renamed"
    assert store.journal.entries() == []


def test_store_error_inside_batch_rolls_back(store: trailstore.Store) -> None:
    before = count(store)
    with pytest.raises(trailstore.ValidationError):
        with store.batch():
            store.cases.add_case(1, "Kept until the error", **case_fields_for(1))
            store.cases.add_case(1, "")  # invalid: the whole batch goes
    assert count(store) == before


def test_rejected_call_leaves_the_batch_usable(store: trailstore.Store) -> None:
    before = count(store)
    with store.batch():
        with pytest.raises(trailstore.ValidationError):
            store.cases.add_case(1, "")
        store.cases.add_case(1, "Still fine", **case_fields_for(1))
    assert count(store) == before + 1


def test_explicit_commit_and_rollback(store: trailstore.Store) -> None:
    before = count(store)
    batch = store.batch()
    store.cases.add_case(1, "Rolled back", **case_fields_for(1))
    batch.rollback()
    assert count(store) == before
    batch = store.batch()
    batch.call("add_case/1", {"title": "Committed", **case_fields_for(1)})
    batch.commit()
    assert count(store) == before + 1
    # Ending a batch inside its with block is fine; the block's end then does nothing.
    with store.batch() as b:
        store.cases.add_case(1, "Committed early", **case_fields_for(1))
        b.commit()
    assert count(store) == before + 2
    with pytest.raises(trailstore.ClosedError):
        batch.commit()
    with pytest.raises(trailstore.ClosedError):
        batch.rollback()


def test_abandoned_batch_rolls_back(store: trailstore.Store) -> None:
    before = count(store)
    batch = store.batch()
    store.cases.add_case(1, "Forgotten", **case_fields_for(1))
    del batch
    gc.collect()
    assert count(store) == before
    # And the thread can start a new one.
    with store.batch():
        store.cases.add_case(1, "Kept", **case_fields_for(1))
    assert count(store) == before + 1


def test_other_threads_do_not_see_uncommitted_writes(store: trailstore.Store) -> None:
    seen: list[int] = []
    with store.batch():
        made = store.cases.add_case(1, "Private until commit", **case_fields_for(1))

        def look() -> None:
            try:
                store.cases.get_case(made["id"])
                seen.append(1)
            except trailstore.NotFoundError:
                seen.append(0)

        t = threading.Thread(target=look)
        t.start()
        t.join(timeout=30)
    assert seen == [0]
    assert store.cases.get_case(made["id"])["title"] == "Private until commit"


def test_import_snapshot_in_batch(tmp_path: Path, sample_path: Path) -> None:
    with trailstore.Store(tmp_path / "s") as store:
        with pytest.raises(Boom):
            with store.batch() as batch:
                assert import_counts(store.import_snapshot(sample_path))["cases"] == 327
                assert store.cases.get_case(1)["id"] == 1
                raise Boom()
        assert store.stats()["cases"] == 0
        with store.batch() as batch:
            batch.import_snapshot(str(sample_path))
        assert store.stats()["cases"] == 327
        with store.batch() as batch:
            empty = import_counts(batch.import_snapshot({"projects": []}))
            assert set(empty.values()) == {0}


def test_batch_repr(store: trailstore.Store) -> None:
    with store.batch() as batch:
        assert "open" in repr(batch)
    assert "ended" in repr(batch)


def test_closing_the_store_leaves_an_open_batch_working(store: trailstore.Store) -> None:
    batch = store.batch()
    store.close()
    made = batch.call("add_case/1", {"title": "After close", **case_fields_for(1)})
    batch.commit()
    assert made["title"] == "After close"
    with pytest.raises(trailstore.ClosedError):
        store.cases.get_case(made["id"])
