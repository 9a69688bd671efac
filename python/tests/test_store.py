"""The Store itself: open, call, import_snapshot, journal, stats, close, value conversion."""

from __future__ import annotations

import enum
import json
import math
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict

import pytest

import trailstore
from conftest import case_fields_for, import_counts


def test_open_creates_an_empty_store(tmp_path: Path) -> None:
    folder = tmp_path / "new" / "store"
    with trailstore.Store(folder) as store:
        assert folder.is_dir()
        assert store.path == str(folder)
        assert store.projects.get_projects()["projects"] == []
        assert store.stats()["cases"] == 0
        assert "new" in repr(store)


def test_import_snapshot_from_path_and_dict(
    tmp_path: Path, sample_path: Path, sample: Dict[str, Any]
) -> None:
    with trailstore.Store(tmp_path / "a") as a:
        report = a.import_snapshot(sample_path)
        assert import_counts(report)["cases"] == 327
        assert import_counts(report)["projects"] == 2
        assert a.stats()["cases"] == 327
    with trailstore.Store(tmp_path / "b") as b:
        assert b.import_snapshot(str(sample_path)) == report
    with trailstore.Store(tmp_path / "c") as c:
        assert c.import_snapshot(sample) == report
        # Imported data is server state: nothing is journaled.
        assert c.journal.entries() == []


def test_import_bad_snapshot_changes_nothing(empty_store: trailstore.Store, tmp_path: Path) -> None:
    with pytest.raises(trailstore.BadRequestError):
        empty_store.import_snapshot({"cases": "not a list"})
    bad = tmp_path / "bad.json"
    bad.write_text("{ not json", encoding="utf-8")
    with pytest.raises(trailstore.BadRequestError) as info:
        empty_store.import_snapshot(bad)
    assert "is not valid JSON" in str(info.value)
    assert empty_store.stats()["cases"] == 0


def test_call_escape_hatch(store: trailstore.Store) -> None:
    assert store.call("get_case/1") == store.cases.get_case(1)
    # Full TestRail URL forms and the body of a POST.
    assert store.call("index.php?/api/v2/get_case/1")["id"] == 1
    made = store.call("add_case/1", {"title": "Via call", "custom_component": 1})
    assert made["title"] == "Via call"
    # What a _links.next says can be called as it is.
    page = store.call("get_cases/1&limit=2")
    assert store.call(page["_links"]["next"])["offset"] == 2
    assert store.call(f"delete_case/{made['id']}") is None


def test_call_errors(store: trailstore.Store) -> None:
    with pytest.raises(trailstore.UnknownMethodError) as info:
        store.call("get_bananas/1")
    assert str(info.value) == "Unknown method 'get_bananas'"
    assert info.value.http_status == 404
    with pytest.raises(trailstore.BadRequestError):
        store.call("add_case/1", [1, 2, 3])  # type: ignore[arg-type]
    with pytest.raises(trailstore.BadRequestError):
        store.call("get_cases/1&filter=%ff")  # not UTF-8


def test_journal(store: trailstore.Store) -> None:
    assert store.journal.entries() == []
    made = store.cases.add_case(1, "Journaled", **case_fields_for(1))
    store.cases.update_case(made["id"], title="Journaled twice")
    entries = store.journal.entries()
    assert [e["route"] for e in entries] == ["add_case/1", f"update_case/{made['id']}"]
    assert entries[0]["body"]["title"] == "Journaled"
    assert entries[0]["push"] == {"state": "pending"}
    assert entries[1]["effects"][0]["changes"][0] == {
        "field": "title",
        "old": "Journaled",
        "new": "Journaled twice",
    }
    assert store.journal.pending() == entries
    assert store.journal.entries(since=entries[0]["seq"]) == entries[1:]
    assert store.journal.pending(since=entries[1]["seq"]) == []
    assert store.journal.entries(state="done") == []
    page = store.journal.get_journal(limit=1)
    assert page["size"] == 1 and page["journal"] == entries[:1]
    history = store.journal.history(made["id"])
    assert [h["type_id"] for h in history] == [6, 1]  # newest first: update, creation


def test_journal_pages(store: trailstore.Store) -> None:
    with store.batch():
        for i in range(260):
            store.cases.add_case(1, f"Many {i}", **case_fields_for(1))
    entries = store.journal.entries()
    assert len(entries) == 260
    assert [e["seq"] for e in entries] == sorted(e["seq"] for e in entries)


def test_close_and_context_manager(store_dir: Path) -> None:
    store = trailstore.Store(store_dir)
    with store as same:
        assert same is store and not store.closed
    assert store.closed
    assert "closed" in repr(store)
    with pytest.raises(trailstore.ClosedError) as info:
        store.cases.get_case(1)
    assert str(info.value) == "The store is closed."
    store.close()  # twice is fine
    # The folder is free again for another handle.
    with trailstore.Store(store_dir) as again:
        assert again.cases.get_case(1)["id"] == 1


# --- value conversion -------------------------------------------------------------------------


class Priority(enum.Enum):
    LOW = 1
    HIGH = 4


def test_body_values_convert_like_testrail_api(store: trailstore.Store) -> None:
    due = datetime(2025, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
    case = store.cases.add_case(
        1,
        "Converted values",
        priority_id=Priority.HIGH,
        custom_component=1,
        custom_story_points=due,
        template_id=2,
        custom_steps_separated=({"content": "tuple step", "expected": "ok"},),
    )
    assert case["priority_id"] == 4
    assert case["custom_story_points"] == round(due.timestamp())
    assert case["custom_steps_separated"][0]["content"] == "tuple step"
    # Query parameters: Enum, bool.
    assert store.cases.get_cases(1, priority_id=[Priority.HIGH])["cases"][-1]["id"] == case["id"]
    assert store.projects.get_projects(is_completed=False)["size"] == 2


def test_unicode_round_trip(store: trailstore.Store) -> None:
    title = "Zahlung mit Karte — 支払い ✓ \U0001f600"
    case = store.cases.add_case(1, title, custom_component=1)
    assert store.cases.get_case(case["id"])["title"] == title


def test_values_json_cannot_hold(store: trailstore.Store) -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        store.cases.add_case(1, "x", custom_component=object())
    with pytest.raises(ValueError, match="not JSON compliant"):
        store.cases.add_case(1, "x", custom_story_points=math.nan)
    with pytest.raises(OverflowError):
        store.cases.add_case(1, "x", custom_component=2**70)
    deep: Any = []
    for _ in range(100):
        deep = [deep]
    with pytest.raises(ValueError, match="deeper"):
        store.cases.add_case(1, "x", custom_steps_separated=deep)
    looped: Any = []
    looped.append(looped)
    with pytest.raises(ValueError):
        store.cases.add_case(1, "x", custom_steps_separated=looped)
    with pytest.raises(TypeError, match="Keys must be str"):
        store.call("add_case/1", {("a",): 1})  # type: ignore[dict-item]
    # Nothing was written by any of them.
    assert store.journal.entries() == []


def test_int_keys_become_strings(empty_store: trailstore.Store, sample: Dict[str, Any]) -> None:
    # The snapshot's templates are keyed by project id; int keys become their digits, as
    # json.dumps writes them.
    snapshot = dict(sample)
    snapshot["templates"] = {int(k): v for k, v in sample["templates"].items()}
    report = empty_store.import_snapshot(snapshot)
    assert import_counts(report)["cases"] == 327
    assert [t["id"] for t in empty_store.templates.get_templates(2)] == [1, 2]
