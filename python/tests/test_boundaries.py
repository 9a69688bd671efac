"""Boundary values through Python: empty strings, a 10 MB text, 4-byte emoji, NUL inside strings,
strings Python holds but UTF-8 cannot (lone surrogates), ids at 2**31 - 1 and negative, a 64-deep
section tree, timestamps 0 and 2**32; and many threads mixing reads, writes and searches.

Each value comes back exactly as it went in, or is refused with the documented exception and
field, and a refused call writes nothing.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Optional

import pytest

import trailstore
from conftest import case_fields_for

EMOJI = "\U0001f600"  # 4 bytes in UTF-8, a surrogate pair in JSON's \u escapes
ID_MAX = 2**31 - 1
LOCAL_ID_MIN = 2**31 - 2**24


def add(store: trailstore.Store, title: str = "Boundary", **fields: Any) -> Dict[str, Any]:
    """Adds a case to section 11 ("Login", project 1)."""
    return store.cases.add_case(11, title, **{**case_fields_for(1), **fields})


def refused(exc: type, field: Optional[str], call: Callable[[], Any]) -> Any:
    """``call()`` raises ``exc`` about ``field`` (None: any); returns pytest's ExceptionInfo."""
    with pytest.raises(exc) as info:
        call()
    if field is not None:
        assert info.value.field == field, str(info.value)
    return info


# -- Empty strings ------------------------------------------------------------------------------


def test_empty_strings(store: trailstore.Store) -> None:
    # Required names may not be empty or blank...
    for title in ("", "   "):
        refused(trailstore.ValidationError, "title", lambda: add(store, title))
    refused(trailstore.ValidationError, "name", lambda: store.sections.add_section(1, ""))
    refused(trailstore.ValidationError, "name", lambda: store.projects.add_project(""))
    # ...other texts may, and come back empty (an empty estimate clears it).
    case = add(store, refs="", custom_preconds="", custom_automation_id="", estimate="")
    again = store.cases.get_case(case["id"])
    assert (again["refs"], again["custom_preconds"], again["custom_automation_id"]) == ("", "", "")
    assert again["estimate"] is None
    assert store.sections.add_section(1, "S", description="")["description"] == ""
    # The empty route names no method; an empty query matches every case.
    refused(trailstore.UnknownMethodError, None, lambda: store.call(""))
    assert store.search(1, "", count=True)["total"] == len(store.cases.get_cases_bulk(1))
    refused(trailstore.ValidationError, "key", lambda: store.conflicts.resolve("", keep="local"))
    # An empty filter value is no filter, as in TestRail's query strings.
    assert store.cases.get_cases(1, priority_id="")["size"] == store.cases.get_cases(1)["size"]
    assert len(store.journal.entries()) == 2  # the case and the section


# -- Large and unusual text ---------------------------------------------------------------------


def ten_megabytes(last_word: str) -> str:
    words = ["lorem", "ipsum", "café", "dolor", EMOJI, "sit", 'quote"d', "back\\slash", "tab\tx"]
    parts: List[str] = []
    size = 0
    i = 0
    while size < 10 * 1024 * 1024 - 64:
        w = words[i % len(words)]
        parts.append(w)
        size += len(w.encode()) + 1
        i += 1
    parts.append(last_word)
    return " ".join(parts)


def test_a_ten_megabyte_text_round_trips(store: trailstore.Store) -> None:
    text = ten_megabytes("zebrafinchmarker")
    assert len(text.encode()) >= 10 * 1024 * 1024 - 64
    case = add(store, "Ten megabytes", custom_preconds=text)
    assert case["custom_preconds"] == text
    assert store.cases.get_case(case["id"])["custom_preconds"] == text
    page = store.search(1, "zebrafinchmarker", count=True)
    assert page["total"] == 1 and page["results"][0]["case"]["id"] == case["id"]
    # Replaced by another 10 MB, then by nothing.
    other = "X" + text[1:]
    store.cases.update_case(case["id"], custom_preconds=other)
    assert store.cases.get_case(case["id"])["custom_preconds"] == other
    store.cases.update_case(case["id"], custom_preconds="")
    assert store.cases.get_case(case["id"])["custom_preconds"] == ""
    # Where at most 250 characters go, it is refused without being quoted back.
    info = refused(trailstore.ValidationError, "title", lambda: add(store, text))
    assert len(str(info.value)) < 200


def test_four_byte_emoji(store: trailstore.Store) -> None:
    # The title limit counts characters: 250 emoji (1,000 bytes) fit, 251 do not.
    title = EMOJI * 250
    case = add(store, title, refs=EMOJI + "-1", custom_preconds=f"pre {EMOJI} post")
    again = store.cases.get_case(case["id"])
    assert again["title"] == title
    assert (again["refs"], again["custom_preconds"]) == (EMOJI + "-1", f"pre {EMOJI} post")
    info = refused(trailstore.ValidationError, "title", lambda: add(store, EMOJI * 251))
    assert "250" in str(info.value)
    # The highest code point, names, search and highlights.
    assert add(store, "max \U0010ffff")["title"] == "max \U0010ffff"
    assert store.sections.add_section(1, f"{EMOJI} Rockets")["name"] == f"{EMOJI} Rockets"
    add(store, f"Launch {EMOJI} hedgehogword")
    page = store.search(1, "hedgehogword", count=True)
    assert page["total"] == 1
    assert page["results"][0]["highlights"]["title"] == f"Launch {EMOJI} <b>hedgehogword</b>"
    store.search(1, f"hedgehogword {EMOJI}")  # an emoji in a query is never an error


def test_nul_inside_strings(store: trailstore.Store) -> None:
    case = add(store, "a\x00b", refs="\x00", custom_preconds="x\x00\x00y")
    again = store.cases.get_case(case["id"])
    assert (again["title"], again["refs"], again["custom_preconds"]) == ("a\x00b", "\x00", "x\x00\x00y")
    assert store.sections.add_section(1, "\x00")["name"] == "\x00"
    # NUL separates words in a query as in the text; it never cuts the query short.
    add(store, "quollword\x00numbatword")
    page = store.search(1, "quollword\x00numbatword", count=True)
    assert page["total"] == 1
    assert page["results"][0]["case"]["title"] == "quollword\x00numbatword"
    # A message quoting a NUL keeps all of it.
    info = refused(
        trailstore.NotFoundError,
        "key",
        lambda: store.conflicts.resolve("case/1/ti\x00tle", keep="local"),
    )
    assert "case/1/ti\x00tle" in str(info.value)


def test_strings_utf8_cannot_hold_are_refused_before_the_store(store: trailstore.Store) -> None:
    """Python's str may hold lone surrogates (from os.fsdecode, say); UTF-8 cannot."""
    for bad in ("\udcff", "\ud83d", "a\udc80b"):
        for call in (
            lambda: store.call(f"get_cases/1&filter={bad}"),
            lambda: add(store, bad),
            lambda: store.call("add_case/11", {"title": "x", bad: 1}),
            lambda: store.search(1, bad),
            lambda: store.cases.update_case(1, title=bad),
        ):
            with pytest.raises(UnicodeEncodeError):
                call()
    # Percent-encoded bytes that are not UTF-8 are TestRail's GET error.
    with pytest.raises(trailstore.BadRequestError, match="Invalid characters in GET"):
        store.call("get_cases/1&filter=%ff%fe")
    assert store.journal.entries() == []


# -- Ids ----------------------------------------------------------------------------------------


def test_ids_at_the_edges(store: trailstore.Store) -> None:
    # 2**31 - 1 is an id (of nothing here); 2**31, 0 and negatives are not ids.
    refused(trailstore.NotFoundError, "case_id", lambda: store.cases.get_case(ID_MAX))
    refused(trailstore.NotFoundError, "section_id", lambda: store.sections.get_section(ID_MAX))
    refused(trailstore.NotFoundError, "project_id", lambda: store.cases.get_cases(ID_MAX))
    refused(trailstore.NotFoundError, "project_id", lambda: store.search(ID_MAX))
    refused(trailstore.NotFoundError, "section_id", lambda: store.cases.add_case(ID_MAX, "x"))
    for bad in (ID_MAX + 1, 0, -1, -(2**31), 2**64):
        refused(trailstore.ValidationError, "case_id", lambda: store.cases.get_case(bad))
        refused(trailstore.ValidationError, "project_id", lambda: store.search(bad))
        refused(trailstore.ValidationError, "section_id", lambda: store.cases.add_case(bad, "x"))
    refused(trailstore.ValidationError, "section_id", lambda: store.cases.get_cases(1, section_id=-1))
    refused(trailstore.ValidationError, "priority_id", lambda: store.cases.get_cases(1, priority_id=[3, -1]))
    refused(trailstore.ValidationError, "section_id", lambda: store.search(1, section_id=-1))
    # Ids in bodies.
    for bad in (-1, ID_MAX + 1, 2**63):
        refused(trailstore.ValidationError, "priority_id", lambda: add(store, priority_id=bad))
    refused(trailstore.NotFoundError, "priority_id", lambda: add(store, priority_id=ID_MAX))
    # An id filter above 2**31 - 1 is a number that matches nothing (the core range-checks path
    # ids, not filter lists).
    refused(trailstore.ValidationError, "priority_id", lambda: store.cases.get_cases(1, priority_id=ID_MAX + 1))
    refused(trailstore.ValidationError, "priority_id", lambda: store.search(1, priority_id=[ID_MAX + 1], count=True))
    assert store.journal.entries() == []


#: A snapshot at the edges: the largest server id (2**31 - 2**24 - 1), timestamps 0 and 2**32.
def edge_snapshot(far_id: int = 5) -> Dict[str, Any]:
    return {
        "projects": [{"id": 1, "name": "Edges", "suite_mode": 1}],
        "suites": [{"id": 1, "name": "Master", "project_id": 1}],
        "sections": [{"id": LOCAL_ID_MIN - 1, "suite_id": 1, "name": "Top"}],
        "case_types": [{"id": 7, "name": "Other", "is_default": True}],
        "priorities": [{"id": 2, "name": "Medium", "is_default": True}],
        "templates": [{"id": 1, "name": "Test Case (Text)", "is_default": True}],
        "cases": [
            {"id": LOCAL_ID_MIN - 1, "title": "Epoch", "section_id": LOCAL_ID_MIN - 1,
             "suite_id": 1, "created_on": 0, "updated_on": 0},
            {"id": far_id, "title": "Far future", "section_id": LOCAL_ID_MIN - 1, "suite_id": 1,
             "created_on": 2**32, "updated_on": 2**32},
        ],
    }


@pytest.mark.parametrize(
    "filters, size",
    [
        ({"created_after": 0}, 1),
        ({"created_before": 0}, 0),
        ({"created_before": 1}, 1),
        ({"created_after": -1}, 2),
        ({"created_after": 2**32 - 1}, 1),
        ({"created_after": 2**32}, 0),
        ({"created_before": 2**32}, 1),
        ({"created_before": 2**32 + 1}, 2),
        ({"updated_after": 0}, 1),
        ({"updated_before": 2**32}, 1),
        ({"updated_after": 2**32}, 0),
        ({"created_after": datetime.fromtimestamp(0, tz=timezone.utc)}, 1),
        ({"updated_after": datetime.fromtimestamp(2**32 - 1, tz=timezone.utc)}, 1),
    ],
)
def test_timestamps_0_and_2_to_the_32(
    empty_store: trailstore.Store, filters: Dict[str, Any], size: int
) -> None:
    empty_store.import_snapshot(edge_snapshot())
    assert empty_store.cases.get_case(LOCAL_ID_MIN - 1)["created_on"] == 0
    assert empty_store.cases.get_case(5)["updated_on"] == 2**32
    # Strict bounds in get_cases and in search alike.
    assert empty_store.cases.get_cases(1, **filters)["size"] == size
    assert empty_store.search(1, count=True, **filters)["total"] == size


def test_timestamps_beyond_64_bits_and_local_ids_in_snapshots(empty_store: trailstore.Store) -> None:
    empty_store.import_snapshot(edge_snapshot())
    refused(
        trailstore.ValidationError,
        "created_after",
        lambda: empty_store.cases.get_cases(1, created_after=10**20),
    )
    refused(
        trailstore.ValidationError,
        "updated_before",
        lambda: empty_store.search(1, updated_before=10**20),
    )
    # A snapshot may not use local ids.
    info = refused(
        trailstore.ValidationError, "id", lambda: empty_store.import_snapshot(edge_snapshot(ID_MAX))
    )
    assert "local id range" in str(info.value)
    assert empty_store.cases.get_case(5)["title"] == "Far future"


# -- Deep trees ---------------------------------------------------------------------------------


def test_a_section_tree_64_deep(store: trailstore.Store) -> None:
    ids: List[int] = []
    for depth in range(64):
        parent = {"parent_id": ids[-1]} if ids else {}
        section = store.sections.add_section(1, f"Level {depth}", **parent)
        assert section["depth"] == depth
        ids.append(section["id"])
    deepest = store.sections.get_section(ids[-1])
    assert (deepest["depth"], deepest["parent_id"]) == (63, ids[-2])
    case = store.cases.add_case(ids[-1], "Deepest wallabyword", **case_fields_for(1))
    # Search from the top finds it; get_cases lists a section's own cases only.
    page = store.search(1, section_id=ids[0], count=True)
    assert page["total"] == 1 and page["results"][0]["case"]["id"] == case["id"]
    assert [c["id"] for c in store.cases.get_cases_bulk(1, section_id=ids[-1])] == [case["id"]]
    assert store.cases.get_cases(1, section_id=ids[0])["size"] == 0
    # One level deeper when moved under another section; never into its own subtree.
    store.sections.move_section(ids[0], parent_id=1)
    assert store.sections.get_section(ids[-1])["depth"] == 64
    assert store.search(1, "wallabyword", section_id=1, count=True)["total"] == 1
    refused(
        trailstore.ValidationError,
        "parent_id",
        lambda: store.sections.move_section(ids[0], parent_id=ids[-1]),
    )
    # Deleting the top deletes all 64 and the case.
    assert store.sections.delete_section(ids[0]) is None
    refused(trailstore.NotFoundError, "section_id", lambda: store.sections.get_section(ids[-1]))
    refused(trailstore.NotFoundError, "case_id", lambda: store.cases.get_case(case["id"]))
    assert store.search(1, "wallabyword", count=True)["total"] == 0


# -- Many threads ---------------------------------------------------------------------------------

THREADS = 12
ROUNDS = 20


def test_many_threads_mixing_reads_writes_and_searches(store: trailstore.Store) -> None:
    """Every thread adds, edits and deletes its own cases, edits the sample's, searches and reads,
    while the others do the same (the GIL is released during store work: see the batch phase).
    At the end, search and get_cases agree on everything."""
    start = threading.Barrier(THREADS + 1)
    lives: Dict[int, int] = {}
    stale: List[str] = []

    def add9(title: str, **fields: Any) -> int:
        # Section 9 ("Deprecated (do not use)") has no cases and no subsections of its own.
        return store.cases.add_case(9, title, **case_fields_for(1), **fields)["id"]

    def work(worker: int) -> int:
        token = "mixtoken" + chr(ord("a") + worker)  # letters only: one search term
        mine: List[int] = []
        start.wait(timeout=60)
        for r in range(ROUNDS):
            mine.append(add9(f"Mixed {token} {r}", priority_id=1 + r % 4))
            if r % 3 == 2:
                store.cases.update_case(mine[-1], title=f"Edited {token} {r}", priority_id=2)
                store.cases.update_case(1 + (worker * 7 + r) % 40, refs=f"MIX-{worker}-{r}")
            if r % 4 == 3:
                store.cases.delete_case(mine.pop(-2))
            # A search should see this thread's every write that returned. While other threads
            # search too it may not yet (the core reloads its index reader after letting go of
            # the index lock: see tests/c/test_threads.c); noted, and strict at the end.
            found = store.search(1, token, count=True, limit=5)["total"]
            if found != len(mine):
                stale.append(f"worker {worker} round {r}: {found} of {len(mine)}")
            assert store.search(1, "mixed OR edited", section_id=9, count=True)["total"] >= len(mine)
            assert store.cases.get_case(1 + (r * 13) % 40)["id"] > 0
            assert len(store.cases.get_cases_bulk(1, section_id=9)) >= len(mine)
        lives[worker] = len(mine)
        return len(mine)

    before = len(store.cases.get_cases_bulk(1))
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(work, w) for w in range(THREADS)]
        # While they run, this thread holds the write lock for a while: their writes wait (without
        # the GIL, or this thread could never commit) and their reads and searches go on.
        start.wait(timeout=60)
        time.sleep(0.05)
        with store.batch():
            add9("Held the write lock")
            time.sleep(0.3)
        live = sum(f.result(timeout=600) for f in futures)

    if stale:
        print(f"note: {len(stale)} of {THREADS * ROUNDS} searches missed their thread's latest "
              f"write, e.g. {stale[0]}")
        assert not stale, "read-your-writes must hold on every thread"
    cases = store.cases.get_cases_bulk(1)
    assert len(cases) == before + live + 1
    assert store.search(1, count=True)["total"] == len(cases)
    for worker, n in lives.items():
        assert store.search(1, "mixtoken" + chr(ord("a") + worker), count=True)["total"] == n
    for p in range(1, 5):
        expected = store.cases.get_cases(1, priority_id=p, limit=250)["size"]
        assert store.search(1, priority_id=p, count=True)["total"] == expected
    in_section = store.cases.get_cases_bulk(1, section_id=9)
    assert len(in_section) == live + 1
    assert store.search(1, section_id=9, count=True)["total"] == len(in_section)
    # Every journal entry is accounted for: adds, edits, deletes and the batch's add.
    edits = sum(1 for w in range(THREADS) for r in range(ROUNDS) if r % 3 == 2) * 2
    deletes = sum(1 for w in range(THREADS) for r in range(ROUNDS) if r % 4 == 3)
    assert len(store.journal.entries()) == THREADS * ROUNDS + edits + deletes + 1
