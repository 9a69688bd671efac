"""store.case_fields, case_types, priorities, templates, users and milestones."""

from __future__ import annotations

import pytest

import trailstore


def test_get_case_fields(store: trailstore.Store) -> None:
    fields = store.case_fields.get_case_fields()
    assert len(fields) == 17
    names = [f["system_name"] for f in fields]
    assert "custom_steps_separated" in names and "custom_platforms" in names
    component = next(f for f in fields if f["system_name"] == "custom_component")
    assert component["type_id"] == 6
    assert [c["context"]["project_ids"] for c in component["configs"]] == [[1], [2]]


def test_add_case_field(store: trailstore.Store) -> None:
    configs = [
        {
            "context": {"is_global": True, "project_ids": None},
            "options": {"is_required": False, "default_value": ""},
        }
    ]
    added = store.case_fields.add_case_field(
        type="String",
        name="browser",
        label="Browser",
        configs=configs,
        description="The browser the case needs",
        include_all=True,
    )
    assert added["system_name"] == "custom_browser"
    assert any(f["system_name"] == "custom_browser" for f in store.case_fields.get_case_fields())
    # New cases carry the new field.
    case = store.cases.add_case(1, "Works in Firefox", custom_component=1, custom_browser="Firefox")
    assert case["custom_browser"] == "Firefox"
    with pytest.raises(trailstore.ValidationError) as info:
        store.case_fields.add_case_field("String", "browser", "Again", configs)
    assert info.value.field == "name"


def test_get_case_types(store: trailstore.Store) -> None:
    types = store.case_types.get_case_types()
    assert len(types) == 12
    assert types[0] == {"id": 1, "name": "Acceptance", "is_default": False}


def test_get_priorities(store: trailstore.Store) -> None:
    priorities = store.priorities.get_priorities()
    assert [p["id"] for p in priorities] == [1, 2, 3, 4]
    assert priorities[0]["name"] == "1 - Low"


def test_get_templates(store: trailstore.Store) -> None:
    assert [t["id"] for t in store.templates.get_templates(1)] == [1, 2, 3]
    assert [t["id"] for t in store.templates.get_templates(2)] == [1, 2]
    with pytest.raises(trailstore.NotFoundError):
        store.templates.get_templates(42)


def test_users(store: trailstore.Store) -> None:
    users = store.users.get_users()
    assert [u["id"] for u in users] == [1, 2, 3, 4]
    assert store.users.get_users(1) == users
    page = store.users.get_users(limit=2, offset=2)
    assert [u["id"] for u in page["users"]] == [3, 4]
    assert [u["id"] for u in store.users.get_users_bulk()] == [1, 2, 3, 4]
    assert store.users.get_user(2)["email"] == "juergen.mueller@example.com"
    assert store.users.get_user_by_email("PRIYA.RAMAN@example.com")["id"] == 3
    with pytest.raises(trailstore.NotFoundError) as info:
        store.users.get_user_by_email("nobody@example.com")
    assert info.value.field == "email"
    assert str(info.value) == "Field :email is not a valid email address."


def test_current_user_follows_set_user_id(store: trailstore.Store) -> None:
    assert store.user_id == 1
    assert store.users.get_current_user()["id"] == 1
    store.set_user_id(3)
    assert store.user_id == 3
    # testrail-api passes a user id; it is accepted and ignored.
    assert store.users.get_current_user(1)["email"] == "priya.raman@example.com"
    case = store.cases.add_case(1, "Made by Priya", custom_component=1)
    assert case["created_by"] == 3
    with pytest.raises(trailstore.ValidationError):
        store.set_user_id(0)


def test_milestones(store: trailstore.Store) -> None:
    milestone = store.milestones.get_milestone(2)
    assert milestone["name"] and milestone["project_id"] == 1
    assert [m["id"] for m in milestone["milestones"]] == [3]
    page = store.milestones.get_milestones(1)
    assert [m["id"] for m in page["milestones"]] == [1, 2, 3]
    assert [m["id"] for m in store.milestones.get_milestones(1, is_completed=True)["milestones"]] == [1]
    assert [m["id"] for m in store.milestones.get_milestones(2, is_started=False)["milestones"]] == [6]
    assert [m["id"] for m in store.milestones.get_milestones_bulk(2)] == [4, 5, 6]
    with pytest.raises(trailstore.NotFoundError):
        store.milestones.get_milestone(99)
