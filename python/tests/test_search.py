"""store.search: the x_search_cases route from Python, against real stores with the sample."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, List, Set

import pytest

import trailstore


def ids_of(page: Dict[str, Any]) -> List[int]:
    return [hit["case"]["id"] for hit in page["results"]]


def every_hit(
    store: trailstore.Store, project_id: int, query: str = "", **filters: Any
) -> List[int]:
    """Every matching case id, page by page (limit 100)."""
    out: List[int] = []
    offset = 0
    while True:
        page = store.search(project_id, query, limit=100, offset=offset, highlight=False, **filters)
        out.extend(ids_of(page))
        if page["_links"]["next"] is None:
            return out
        offset += 100


def case_ids(cases: List[Dict[str, Any]]) -> Set[int]:
    return {c["id"] for c in cases}


@pytest.fixture
def marked(store: trailstore.Store) -> Dict[str, Any]:
    """A case with a made-up word in each searchable field."""
    return store.cases.add_case(
        5,  # "Checkout", project 1
        "Quokkatitle with a saved card",
        template_id=2,  # "Test Case (Steps)"
        custom_component=2,  # "Checkout"
        refs="QRF-9911",
        custom_preconds="Wombatprecond is ready",
        custom_steps_separated=[
            {
                "content": "Press the narwhalbutton",
                "expected": "Axolotlresult is shown",
                "additional_info": "Pangolininfo",
            }
        ],
    )


# -- What is findable ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, field",
    [
        ("quokkatitle", "title"),
        ("title:quokkatitle", "title"),
        ("QRF-9911", "refs"),
        ("refs:QRF-9911", "refs"),
        ("text:wombatprecond", "text"),
        ("wombatprecond", "text"),
        ("steps:narwhalbutton", "steps"),
        ("steps:axolotlresult", "steps"),
        ("pangolininfo", "steps"),
    ],
)
def test_every_text_field_is_findable(
    store: trailstore.Store, marked: Dict[str, Any], query: str, field: str
) -> None:
    page = store.search(1, query, count=True)
    assert page["total"] == 1 and ids_of(page) == [marked["id"]]
    hit = page["results"][0]
    assert hit["score"] > 0
    assert "<b>" in hit["highlights"][field]
    # The case comes in get_case's shape.
    assert hit["case"] == store.cases.get_case(marked["id"])


def test_a_field_restricts_the_query(store: trailstore.Store, marked: Dict[str, Any]) -> None:
    assert ids_of(store.search(1, "narwhalbutton")) == [marked["id"]]
    assert store.search(1, "title:narwhalbutton")["size"] == 0


def test_dropdown_labels_are_findable(store: trailstore.Store) -> None:
    checkout = case_ids([c for c in store.cases.get_cases_bulk(1) if c["custom_component"] == 2])
    assert checkout
    assert checkout <= set(every_hit(store, 1, "options:checkout"))


def test_sample_refs_and_ranking(store: trailstore.Store, sample: Dict[str, Any]) -> None:
    with_ref = {
        c["id"] for c in sample["cases"] if c["suite_id"] == 1 and "SHOP-813" in (c["refs"] or "")
    }
    assert len(with_ref) >= 1
    assert set(every_hit(store, 1, "refs:SHOP-813")) == with_ref
    # The closest title ranks first, and scores never rise down the page.
    page = store.search(1, '"saved card" cvc', limit=5)
    assert page["results"][0]["case"]["title"] == "Pay with a saved card by entering only the CVC"
    scores = [hit["score"] for hit in page["results"]]
    assert scores == sorted(scores, reverse=True)


def test_query_language(store: trailstore.Store, marked: Dict[str, Any]) -> None:
    mine = marked["id"]
    assert mine in ids_of(store.search(1, "quokka*"))
    assert mine in ids_of(store.search(1, "quokkatitle OR nothingmatchesthis"))
    assert mine not in ids_of(store.search(1, "quokkatitle NOT narwhalbutton"))
    assert mine not in ids_of(store.search(1, "quokkatitle -narwhalbutton"))
    assert mine in ids_of(store.search(1, '"saved card" AND (quokkatitle OR nothing)'))


# -- Filters ------------------------------------------------------------------------------------


def test_empty_query_matches_every_case_of_the_project(store: trailstore.Store) -> None:
    expected = case_ids(store.cases.get_cases_bulk(1))
    assert store.search(1, count=True)["total"] == len(expected)
    assert set(every_hit(store, 1)) == expected


def test_id_list_filters_match_get_cases(store: trailstore.Store) -> None:
    for filters in (
        {"priority_id": [3, 4]},
        {"priority_id": 4},
        {"type_id": [6]},
        {"priority_id": (3, 4), "type_id": {6, 7}},
        {"milestone_id": 1},
        {"created_by": [2], "updated_by": [3]},
        {"template_id": [2]},
    ):
        expected = case_ids(store.cases.get_cases_bulk(1, **filters))
        assert expected, filters
        assert set(every_hit(store, 1, **filters)) == expected, filters


def test_time_filters_take_datetimes_and_ints(store: trailstore.Store) -> None:
    cases = store.cases.get_cases_bulk(1)
    middle = sorted(c["created_on"] for c in cases)[len(cases) // 2]
    when = datetime.fromtimestamp(middle, tz=timezone.utc)
    after = {c["id"] for c in cases if c["created_on"] > middle}
    before = {c["id"] for c in cases if c["created_on"] < middle}
    assert set(every_hit(store, 1, created_after=when)) == after
    assert set(every_hit(store, 1, created_after=middle)) == after
    assert set(every_hit(store, 1, created_before=when)) == before
    updated = sorted(c["updated_on"] for c in cases)[len(cases) // 3]
    assert set(every_hit(store, 1, updated_after=updated, updated_before=datetime.now())) == {
        c["id"] for c in cases if c["updated_on"] > updated
    }


def test_section_filter_takes_subsections(store: trailstore.Store) -> None:
    sections = store.sections.get_sections_bulk(1)
    parent = next(s for s in sections if any(t["parent_id"] == s["id"] for t in sections))
    tree = {parent["id"]}
    for s in sections:  # tree order: a parent comes before its children
        if s["parent_id"] in tree:
            tree.add(s["id"])
    assert len(tree) > 1
    expected = {c["id"] for c in store.cases.get_cases_bulk(1) if c["section_id"] in tree}
    assert set(every_hit(store, 1, section_id=parent["id"])) == expected


def test_suite_and_custom_filters(store: trailstore.Store) -> None:
    android = store.cases.get_cases_bulk(2, suite_id=3)
    assert set(every_hit(store, 2, suite_id=3)) == case_ids(android)
    platforms = {c["id"] for c in android if set(c["custom_platforms"] or []) & {3, 4}}
    assert platforms
    assert set(every_hit(store, 2, suite_id=3, custom={"custom_platforms": [3, 4]})) == platforms

    web = store.cases.get_cases_bulk(1)
    checkout = {c["id"] for c in web if c["custom_component"] == 2}
    assert set(every_hit(store, 1, custom={"custom_component": [2]})) == checkout
    assert set(every_hit(store, 1, custom={"custom_component": 2})) == checkout
    flaky = {c["id"] for c in web if c["custom_is_flaky"] is True}
    assert flaky
    assert set(every_hit(store, 1, custom={"custom_is_flaky": True})) == flaky
    # Filters combine with the query and with each other.
    both = set(every_hit(store, 1, "card", custom={"custom_component": [2]}, priority_id=[3, 4]))
    assert both and both <= checkout


def test_custom_filters_need_system_names(store: trailstore.Store) -> None:
    with pytest.raises(ValueError, match="custom_component"):
        store.search(1, custom={"component": [2]})


def test_bad_filters_raise_the_store_errors(store: trailstore.Store) -> None:
    with pytest.raises(trailstore.NotFoundError) as info:
        store.search(1, suite_id=3)  # a suite of project 2
    assert info.value.field == "suite_id"
    with pytest.raises(trailstore.NotFoundError):
        store.search(424242)
    with pytest.raises(trailstore.ValidationError) as too_large:
        store.search(1, limit=251)
    assert too_large.value.field == "limit"


# -- Paging -------------------------------------------------------------------------------------


def test_paging(store: trailstore.Store) -> None:
    first = store.search(1, "card", limit=3, count=True)
    total = first["total"]
    assert total > 6
    assert (first["offset"], first["limit"], first["size"]) == (0, 3, 3)
    assert first["_links"]["prev"] is None and first["_links"]["next"]
    # _links.next is a route the store takes as it is.
    second = store.call(first["_links"]["next"])
    assert second["offset"] == 3 and second["_links"]["prev"]
    assert second == store.search(1, "card", limit=3, offset=3, count=True)
    # Pages neither repeat nor skip.
    seen = every_hit(store, 1, "card")
    assert len(seen) == len(set(seen)) == total
    assert seen[:6] == ids_of(first) + ids_of(second)
    last = store.search(1, "card", limit=3, offset=total - 1)
    assert last["size"] == 1 and last["_links"]["next"] is None
    assert store.search(1, "card", offset=total)["size"] == 0
    # total only when asked for.
    assert "total" not in store.search(1, "card")


def test_highlight_off(store: trailstore.Store) -> None:
    with_snippets = store.search(1, "saved card", limit=5)
    without = store.search(1, "saved card", limit=5, highlight=False)
    assert ids_of(with_snippets) == ids_of(without)
    assert all(hit["highlights"] for hit in with_snippets["results"])
    assert all(not hit["highlights"] for hit in without["results"])


# -- Errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["(card", "card)", '"unclosed phrase', "card AND", "nosuchfield:card"]
)
def test_a_bad_query_is_a_validation_error_on_q(store: trailstore.Store, query: str) -> None:
    with pytest.raises(trailstore.ValidationError) as info:
        store.search(1, query)
    assert info.value.field == "q"
    assert str(info.value).startswith("Field :q is not a valid search query")


# -- Read your writes ---------------------------------------------------------------------------


def test_search_sees_every_write_that_returned(store: trailstore.Store) -> None:
    case = store.cases.add_case(5, "Capybarafirst payment retry", custom_component=2)
    assert ids_of(store.search(1, "capybarafirst")) == [case["id"]]

    store.cases.update_case(case["id"], title="Tapirsecond payment retry", priority_id=4)
    assert store.search(1, "capybarafirst")["size"] == 0
    assert ids_of(store.search(1, "tapirsecond", priority_id=[4])) == [case["id"]]
    assert store.search(1, "tapirsecond", priority_id=[1])["size"] == 0

    store.cases.update_case(case["id"], custom_component=3)
    assert ids_of(store.search(1, "tapirsecond", custom={"custom_component": [3]})) == [case["id"]]
    assert store.search(1, "tapirsecond", custom={"custom_component": [2]})["size"] == 0

    store.cases.delete_case(case["id"])
    assert store.search(1, "tapirsecond")["size"] == 0

    # A committed batch's writes are searchable once it returns.
    with store.batch():
        added = [store.cases.add_case(5, f"Okapibatch {i}", custom_component=2) for i in range(3)]
    assert set(every_hit(store, 1, "okapibatch")) == {c["id"] for c in added}


def test_search_sees_moves_and_sample_edits(store: trailstore.Store) -> None:
    store.cases.update_case(1, title="Ibexrenamed account menu")
    assert ids_of(store.search(1, "ibexrenamed", section_id=1)) == [1]
    store.cases.update_case(1, section_id=5)
    assert ids_of(store.search(1, "ibexrenamed", section_id=5)) == [1]
    assert store.search(1, "ibexrenamed", section_id=1)["size"] == 0


def test_a_search_without_a_project_covers_every_project(store: trailstore.Store) -> None:
    one = store.cases.add_case(5, "Zyzzyva in the shop", custom_component=1)
    two = store.cases.add_case(37, "Zyzzyva on the phone", custom_platforms=[1])
    page = store.search(None, "zyzzyva")
    assert sorted((hit["project_id"], hit["case"]["id"]) for hit in page["results"]) == sorted(
        [(1, one["id"]), (2, two["id"])]
    )
    assert [hit["case"]["id"] for hit in store.search(1, "zyzzyva")["results"]] == [one["id"]]
