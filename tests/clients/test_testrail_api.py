"""A harness-style session with the real `testrail-api` client (tolstislon) against
`trailstore serve`: what a team's existing tooling does, offline."""
import datetime

import pytest
from testrail_api import TestRailAPI as Client
from testrail_api._exception import AuthError, StatusCodeError

from conftest import KEY, USER


@pytest.fixture()
def api(served):
    return Client(served.url, USER, KEY, warn_ignore=True)


def test_harness_session(api, sample):
    # Discover the project as harnesses do.
    projects = api.projects.get_projects()["projects"]
    shop = next(p for p in projects if p["name"] == "Web Shop")
    assert shop["suite_mode"] == 1
    fields = api.case_fields.get_case_fields()
    assert {f["system_name"] for f in fields} >= {"custom_component", "custom_steps_separated"}
    assert any(t["is_default"] for t in api.case_types.get_case_types())
    assert len(api.priorities.get_priorities()) == 4
    assert [t["id"] for t in api.templates.get_templates(shop["id"])] == [1, 2, 3]

    # Sections: a new tree for this run.
    run_root = api.sections.add_section(shop["id"], "Nightly imports", description="created by the harness")
    child = api.sections.add_section(shop["id"], "Payments", parent_id=run_root["id"])
    assert child["parent_id"] == run_root["id"] and child["depth"] == 1
    assert api.sections.get_section(child["id"])["name"] == "Payments"

    # Cases with custom fields, enough to page past 250.
    steps = [{"content": "Open the cart", "expected": "The cart shows"},
             {"content": "Pay by card", "expected": "The order is placed"}]
    first = api.cases.add_case(child["id"], "Card payment succeeds", template_id=2, priority_id=3,
                               custom_component=2, custom_steps_separated=steps,
                               custom_spec_url="https://wiki.example.com/pay", estimate="1m 30s")
    assert first["custom_steps_separated"][1]["expected"] == "The order is placed"
    assert first["estimate"] == "1m 30s"
    for i in range(60):
        api.cases.add_case(child["id"], f"Generated case {i}", custom_component=1, refs=f"GEN-{i}")
    every = api.cases.get_cases_bulk(shop["id"])
    assert len(every) == 198 + 61 > 250
    assert len({c["id"] for c in every}) == len(every), "no duplicates across pages"
    page = api.cases.get_cases(shop["id"], section_id=child["id"], priority_id=[3, 4], limit=10)
    assert [c["id"] for c in page["cases"]] == [first["id"]]
    since = api.cases.get_cases(shop["id"], created_after=datetime.datetime(2026, 1, 1), limit=250)
    assert first["id"] in [c["id"] for c in since["cases"]]

    # Updates, one and many.
    upd = api.cases.update_case(first["id"], priority_id=4, refs="PAY-1")
    assert (upd["priority_id"], upd["refs"], upd["title"]) == (4, "PAY-1", "Card payment succeeds")
    generated = [c["id"] for c in every if c["title"].startswith("Generated case ")][:5]
    bulk = api.cases.update_cases(generated, 1, priority_id=1)
    assert [c["priority_id"] for c in bulk["updated"]] == [1] * 5
    history = api.cases.get_history_for_case(first["id"])
    assert history["history"][0]["changes"]

    # Moves: a case by update_case, cases by move_cases_to_section, a section by move_section.
    moved = api.cases.update_case(first["id"], section_id=run_root["id"])
    assert moved["section_id"] == run_root["id"]
    api.cases.move_cases_to_section(run_root["id"], 1, generated[:2])
    assert {c["id"] for c in api.cases.get_cases(shop["id"], section_id=run_root["id"])["cases"]} >= set(generated[:2])
    api.sections.move_section(child["id"], parent_id=0)
    assert api.sections.get_section(child["id"])["parent_id"] is None
    copies = api.cases.copy_cases_to_section(child["id"], [first["id"]])
    assert copies[0]["title"] == "Card payment succeeds"

    # Deletes answer an empty body (None from this client).
    assert api.cases.delete_case(first["id"]) is None
    assert api.cases.delete_cases(shop["id"], generated[2:4]) is None
    assert api.sections.delete_section(child["id"]) is None
    remaining = api.cases.get_cases_bulk(shop["id"])
    assert first["id"] not in {c["id"] for c in remaining}
    # 259 + 1 copy - the case - 2 deleted - the section's 57 (56 generated + the copy).
    assert len(remaining) == 200

    # Multi-suite project: suites, and suite_id required.
    mobile = next(p for p in projects if p["name"] == "Mobile App")
    suites = api.suites.get_suites(mobile["id"])
    assert [s["name"] for s in suites["suites"]] == ["iOS", "Android", "Backend API"]
    ios = api.cases.get_cases(mobile["id"], suite_id=suites["suites"][0]["id"])
    assert ios["size"] > 0


def test_errors_reach_the_client_with_testrail_wording(api, served):
    with pytest.raises(StatusCodeError) as e:
        api.cases.add_case(17, "No component")
    assert e.value.status_code == 400
    assert b"Field :custom_component is a required field." in e.value.content
    with pytest.raises(StatusCodeError) as e:
        api.cases.get_case(999999)
    assert b"Field :case_id is not a valid test case." in e.value.content
    with pytest.raises(StatusCodeError) as e:
        api.cases.get_cases(2)  # multi-suite without suite_id
    assert b"Field :suite_id is a required field." in e.value.content
    bad = Client(served.url, USER, "wrong-key", warn_ignore=True)
    with pytest.raises(AuthError) as e:
        bad.projects.get_projects()
    assert e.value.status_code == 401
