"""store.sections, store.suites and store.projects: every method."""

from __future__ import annotations

import pytest

import trailstore


# --- sections -------------------------------------------------------------------------------


def test_get_section(store: trailstore.Store) -> None:
    section = store.sections.get_section(10)
    assert section["name"] == "Registration"
    assert section["parent_id"] == 1 and section["depth"] == 1
    with pytest.raises(trailstore.NotFoundError) as info:
        store.sections.get_section(99_999)
    assert info.value.field == "section_id"


def test_get_sections_and_bulk(store: trailstore.Store) -> None:
    page = store.sections.get_sections(1, limit=3)
    assert page["size"] == 3 and page["limit"] == 3
    assert [s["suite_id"] for s in page["sections"]] == [1, 1, 1]
    every = store.sections.get_sections_bulk(1)
    assert len(every) == 36
    assert all(s["suite_id"] == 1 for s in every)
    suite2 = store.sections.get_sections_bulk(2, suite_id=2)
    assert suite2 and all(s["suite_id"] == 2 for s in suite2)
    with pytest.raises(trailstore.ValidationError):
        store.sections.get_sections(2)  # multi-suite project without suite_id
    with pytest.raises(TypeError):
        store.sections.get_sections_bulk(1, offset=3)


def test_add_update_section(store: trailstore.Store) -> None:
    top = store.sections.add_section(1, "Payments", description="Cards and wallets")
    assert top["name"] == "Payments" and top["parent_id"] is None
    child = store.sections.add_section(1, "Cards", parent_id=top["id"])
    assert child["parent_id"] == top["id"] and child["depth"] == 1
    in_suite = store.sections.add_section(2, "Onboarding", suite_id=3)
    assert in_suite["suite_id"] == 3
    renamed = store.sections.update_section(top["id"], name="Payment methods")
    assert renamed["name"] == "Payment methods"
    with pytest.raises(trailstore.ValidationError) as info:
        store.sections.add_section(1, "")
    assert info.value.field == "name"


def test_move_section(store: trailstore.Store) -> None:
    moved = store.sections.move_section(10, parent_id=2)
    assert moved["parent_id"] == 2
    back = store.sections.move_section(10)  # testrail-api's default: to the root
    assert back["parent_id"] is None
    after = store.sections.move_section(10, parent_id=0, after_id=1)
    assert after["parent_id"] is None
    with pytest.raises(trailstore.ValidationError):
        store.sections.move_section(1, parent_id=11)  # into its own subtree


def test_delete_section(store: trailstore.Store) -> None:
    counts = store.sections.delete_section(1, soft=1)
    assert counts is not None and counts["sections"] >= 2 and counts["cases"] >= 1
    store.sections.get_section(1)
    assert store.sections.delete_section(1) is None
    with pytest.raises(trailstore.NotFoundError):
        store.sections.get_section(10)  # the subsection went too
    with pytest.raises(trailstore.NotFoundError):
        store.cases.get_case(1)


# --- suites ---------------------------------------------------------------------------------


def test_get_suite_and_suites(store: trailstore.Store) -> None:
    assert store.suites.get_suite(3)["project_id"] == 2
    page = store.suites.get_suites(2)
    assert [s["id"] for s in page["suites"]] == [2, 3, 4]
    assert store.suites.get_suites(2, offset=1, limit=1)["suites"][0]["id"] == 3
    assert [s["id"] for s in store.suites.get_suites_bulk(2)] == [2, 3, 4]
    with pytest.raises(trailstore.NotFoundError):
        store.suites.get_suite(99)


def test_add_update_delete_suite(store: trailstore.Store) -> None:
    suite = store.suites.add_suite(2, "Tablet", description="iPad and Android tablets")
    assert suite["project_id"] == 2 and suite["name"] == "Tablet"
    assert store.suites.update_suite(suite["id"], name="Tablets")["name"] == "Tablets"
    store.sections.add_section(2, "Layout", suite_id=suite["id"])
    counts = store.suites.delete_suite(suite["id"], soft=1)
    assert counts is not None and counts["sections"] == 1
    assert store.suites.delete_suite(suite["id"]) is None
    with pytest.raises(trailstore.NotFoundError):
        store.suites.get_suite(suite["id"])


# --- projects -------------------------------------------------------------------------------


def test_get_project_and_projects(store: trailstore.Store) -> None:
    assert store.projects.get_project(1)["name"] == "Web Shop"
    page = store.projects.get_projects()
    assert [p["name"] for p in page["projects"]] == ["Web Shop", "Mobile App"]
    assert page["size"] == 2
    assert store.projects.get_projects(is_completed=True)["projects"] == []
    assert len(store.projects.get_projects(is_completed=False)["projects"]) == 2
    assert store.projects.get_projects(limit=1, offset=1)["projects"][0]["id"] == 2


def test_add_update_delete_project(store: trailstore.Store) -> None:
    project = store.projects.add_project("Desktop", announcement="Offline copy", suite_mode=1)
    assert project["name"] == "Desktop" and project["suite_mode"] == 1
    updated = store.projects.update_project(project["id"], is_completed=True)
    assert updated["is_completed"] is True
    assert store.projects.get_projects(is_completed=1)["projects"][0]["id"] == project["id"]
    assert store.projects.delete_project(project["id"]) is None
    with pytest.raises(trailstore.NotFoundError) as info:
        store.projects.get_project(project["id"])
    assert info.value.field == "project_id"
