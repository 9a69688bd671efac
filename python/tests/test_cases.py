"""store.cases: every method, against the sample snapshot."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

import trailstore
from conftest import case_fields_for


def test_get_case_returns_testrail_shape(store: trailstore.Store) -> None:
    case = store.cases.get_case(1)
    assert case["id"] == 1
    assert case["title"] == "Account menu shows the customer's first name after sign-in"
    assert case["section_id"] == 1 and case["suite_id"] == 1
    # Custom fields of the case's project, steps as a list of dicts.
    assert case["custom_component"] == 4
    assert isinstance(case["custom_steps_separated"], list)
    assert case["custom_steps_separated"][0]["expected"] == "Both fields accept input"
    assert "custom_platforms" not in case  # a project-2 field
    assert list(case)[:3] == ["id", "title", "section_id"]


def test_get_case_unknown_id(store: trailstore.Store) -> None:
    with pytest.raises(trailstore.NotFoundError) as info:
        store.cases.get_case(999_999)
    assert info.value.field == "case_id"
    assert str(info.value) == "Field :case_id is not a valid test case."


def test_get_cases_page_shape(store: trailstore.Store) -> None:
    page = store.cases.get_cases(1, limit=5)
    assert set(page) == {"offset", "limit", "size", "_links", "cases"}
    assert page["size"] == 5 and len(page["cases"]) == 5
    assert page["_links"]["next"].endswith("&limit=5&offset=5")
    assert page["_links"]["prev"] is None
    second = store.cases.get_cases(1, limit=5, offset=5)
    assert second["_links"]["prev"] is not None
    assert {c["id"] for c in page["cases"]}.isdisjoint(c["id"] for c in second["cases"])


def test_get_cases_list_filter_like_testrail_api(store: trailstore.Store) -> None:
    cases = store.cases.get_cases(1, priority_id=[3, 4])["cases"]
    assert cases and all(c["priority_id"] in (3, 4) for c in cases)
    # A tuple and a set are sent as "3,4" too.
    assert store.cases.get_cases(1, priority_id=(3, 4))["cases"] == cases
    assert store.cases.get_cases(1, priority_id={4, 3})["cases"] == cases
    only_high = store.cases.get_cases(1, priority_id=4)["cases"]
    assert {c["priority_id"] for c in only_high} == {4}


def test_get_cases_datetime_filter(store: trailstore.Store) -> None:
    every = store.cases.get_cases_bulk(1)
    cut = sorted(c["created_on"] for c in every)[len(every) // 2]
    after = store.cases.get_cases_bulk(1, created_after=datetime.fromtimestamp(cut, timezone.utc))
    assert after and all(c["created_on"] > cut for c in after)
    assert len(after) == sum(1 for c in every if c["created_on"] > cut)
    # The same as the UNIX time itself.
    assert after == store.cases.get_cases_bulk(1, created_after=cut)


def test_get_cases_text_filter_is_encoded(store: trailstore.Store) -> None:
    section = store.sections.add_section(1, "Odd titles")
    title = "Pay 50% & get + back = yes?"
    made = store.cases.add_case(section["id"], title, **case_fields_for(1))
    found = store.cases.get_cases(1, filter="50% & get +")["cases"]
    assert [c["id"] for c in found] == [made["id"]]


def test_get_cases_section_and_suite(store: trailstore.Store) -> None:
    in_section = store.cases.get_cases(1, section_id=11)["cases"]
    assert in_section and all(c["section_id"] == 11 for c in in_section)
    # Multi-suite project: suite_id is required, as in TestRail.
    with pytest.raises(trailstore.ValidationError) as info:
        store.cases.get_cases(2)
    assert info.value.field == "suite_id"
    suite3 = store.cases.get_cases(2, suite_id=3)["cases"]
    assert len(suite3) == 45 and all(c["suite_id"] == 3 for c in suite3)


def test_get_cases_limit_over_250_is_an_error(store: trailstore.Store) -> None:
    with pytest.raises(trailstore.ValidationError) as info:
        store.cases.get_cases(1, limit=251)
    assert "limit" in str(info.value)


def test_get_cases_bulk_reads_every_page(store: trailstore.Store) -> None:
    assert len(store.cases.get_cases_bulk(1)) == 198
    with store.batch():
        for i in range(60):
            store.cases.add_case(1, f"Bulk {i}", **case_fields_for(1))
    every = store.cases.get_cases_bulk(1)
    assert len(every) == 258
    assert len({c["id"] for c in every}) == 258
    assert len(store.cases.get_cases_bulk(2, suite_id=2)) == 46
    with pytest.raises(TypeError):
        store.cases.get_cases_bulk(1, limit=10)


def test_get_cases_bulk_in_a_batch_sees_the_batch(store: trailstore.Store) -> None:
    with store.batch() as batch:
        for i in range(3):
            store.cases.add_case(9, f"Batched {i}", **case_fields_for(1))
        titles = [c["title"] for c in store.cases.get_cases_bulk(1, section_id=9)]
        assert titles == ["Batched 0", "Batched 1", "Batched 2"]
        batch.rollback()
    assert store.cases.get_cases_bulk(1, section_id=9) == []


def test_query_parameters_are_encoded_by_the_core(store: trailstore.Store) -> None:
    # A nested list is no query parameter: the core's refusal, the same as C's.
    with pytest.raises(trailstore.ValidationError) as info:
        store.cases.get_cases(1, priority_id=[[3]])
    assert info.value.field == "priority_id"
    assert str(info.value) == (
        "Field :priority_id must be a number, a string, a boolean, or a list of them."
    )
    # None leaves a parameter out; a frozenset is a list like any other.
    every = store.cases.get_cases_bulk(1, priority_id=None)
    assert len(every) == 198
    high = store.cases.get_cases_bulk(1, priority_id=frozenset({4, 3}))
    assert high == [c for c in every if c["priority_id"] in (3, 4)]


def test_add_case(store: trailstore.Store) -> None:
    case = store.cases.add_case(
        3,
        "Search finds products by SKU",
        priority_id=4,
        refs="SHOP-1",
        custom_component=2,
        custom_steps_separated=[{"content": "Type a SKU", "expected": "The product"}],
    )
    assert case["id"] >= 2_130_706_432  # trailstore's local id range
    assert case["title"] == "Search finds products by SKU"
    assert case["priority_id"] == 4 and case["section_id"] == 3
    assert store.cases.get_case(case["id"]) == case


def test_add_case_validation_error_names_field(store: trailstore.Store) -> None:
    with pytest.raises(trailstore.ValidationError) as info:
        store.cases.add_case(1, "")
    assert info.value.field == "title"
    assert str(info.value) == "Field :title is a required field."
    assert info.value.code == 1 and info.value.http_status == 400
    with pytest.raises(trailstore.ValidationError) as info:
        store.cases.add_case(1, "No component")
    assert info.value.field == "custom_component"


def test_update_case(store: trailstore.Store) -> None:
    updated = store.cases.update_case(1, title="Renamed", priority_id=1)
    assert updated["title"] == "Renamed" and updated["priority_id"] == 1
    assert store.cases.get_case(1)["title"] == "Renamed"
    moved = store.cases.update_case(1, section_id=2)
    assert moved["section_id"] == 2


def test_update_cases(store: trailstore.Store) -> None:
    answer = store.cases.update_cases([1, 3], 1, priority_id=4)
    assert [c["id"] for c in answer["updated"]] == [1, 3]
    assert all(store.cases.get_case(i)["priority_id"] == 4 for i in (1, 3))
    # Single-suite project: no suite id is fine too.
    store.cases.update_cases([1], None, priority_id=2)
    assert store.cases.get_case(1)["priority_id"] == 2


def test_delete_case_and_soft(store: trailstore.Store) -> None:
    counts = store.cases.delete_case(1, soft=1)
    assert counts == {"cases": 1, "tests": 0, "results": 0}
    assert store.cases.get_case(1)["id"] == 1
    assert store.cases.delete_case(1) is None
    with pytest.raises(trailstore.NotFoundError):
        store.cases.get_case(1)


def test_delete_cases(store: trailstore.Store) -> None:
    assert store.cases.delete_cases(1, [1, 3], soft=1) == {"cases": 2, "tests": 0, "results": 0}
    assert store.cases.delete_cases(1, [1, 3], suite_id=1) is None
    for case_id in (1, 3):
        with pytest.raises(trailstore.NotFoundError):
            store.cases.get_case(case_id)
    # Cases of another project are refused.
    other = store.cases.get_cases(2, suite_id=2, limit=1)["cases"][0]["id"]
    with pytest.raises(trailstore.ValidationError):
        store.cases.delete_cases(1, [other])


def test_copy_cases_to_section(store: trailstore.Store) -> None:
    copies = store.cases.copy_cases_to_section(2, [1, 3])
    assert [c["title"] for c in copies] == [store.cases.get_case(i)["title"] for i in (1, 3)]
    assert all(c["section_id"] == 2 and c["id"] not in (1, 3) for c in copies)


def test_move_cases_to_section(store: trailstore.Store) -> None:
    assert store.cases.move_cases_to_section(2, 1, [1, 3]) is None
    assert store.cases.get_case(1)["section_id"] == 2
    assert store.cases.get_case(3)["section_id"] == 2
    with pytest.raises(trailstore.NotFoundError):
        store.cases.move_cases_to_section(2, 3, [1])


def test_get_history_for_case(store: trailstore.Store) -> None:
    assert store.cases.get_history_for_case(1)["history"] == []
    store.cases.update_case(1, title="First rename")
    store.cases.update_case(1, title="Second rename")
    page = store.cases.get_history_for_case(1)
    assert page["size"] == 2
    newest = page["history"][0]
    assert newest["type_id"] == 6
    assert newest["changes"][0]["field"] == "title"
    assert newest["changes"][0]["new_value"] == "Second rename"
    one = store.cases.get_history_for_case(1, limit=1, offset=1)
    assert one["history"][0]["changes"][0]["new_value"] == "First rename"
