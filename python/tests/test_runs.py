"""store.runs, store.tests, store.results, store.plans, store.configurations, store.statuses,
store.result_fields and the milestone writes: testrail-api's methods against a real store.

Each test works in a project of its own (multi-suite, one suite, plain cases) added to the
sample store, so that the sample's runs and plans do not enter its lists and counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from typing import Any, Callable, Dict, List, Mapping

import pytest

import trailstore

COUNT_KEYS = [
    "passed_count",
    "blocked_count",
    "untested_count",
    "retest_count",
    "failed_count",
] + [f"custom_status{n}_count" for n in range(1, 8)]

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class Outcome(Enum):
    """Statuses as a harness keeps them; testrail-api (and the store) send an Enum's value."""

    PASSED = 1
    BLOCKED = 2
    UNTESTED = 3
    RETEST = 4
    FAILED = 5
    FLAKY = 6  # the sample's custom status, custom_status1


@dataclass
class Lab:
    store: trailstore.Store
    project_id: int
    suite_id: int
    section_id: int
    case_ids: List[int]

    def add_run(self, **kwargs: Any) -> trailstore.Run:
        return self.store.runs.add_run(
            self.project_id, suite_id=self.suite_id, name=kwargs.pop("name", "Nightly"), **kwargs
        )

    def counts(self, run_id: int) -> Dict[str, int]:
        run: Mapping[str, Any] = self.store.runs.get_run(run_id)
        return {k: run[k] for k in COUNT_KEYS if run[k]}


def make_lab(store: trailstore.Store, cases: int = 5) -> Lab:
    project = store.projects.add_project("Runs lab", suite_mode=3)
    suite = store.suites.add_suite(project["id"], "Checkout")
    section = store.sections.add_section(project["id"], "Cards", suite_id=suite["id"])
    with store.batch():
        ids = [
            store.cases.add_case(section["id"], f"Case {i}", priority_id=2)["id"]
            for i in range(cases)
        ]
    return Lab(store, project["id"], suite["id"], section["id"], ids)


@pytest.fixture
def lab(store: trailstore.Store) -> Lab:
    return make_lab(store)


def journal_length(store: trailstore.Store) -> int:
    return len(store.journal.entries())


def keys_of(typed: Any) -> tuple[frozenset[str], frozenset[str]]:
    """The required and all keys a TypedDict declares."""
    required = frozenset(typed.__required_keys__)
    return required, required | frozenset(typed.__optional_keys__)


def assert_shape(value: Mapping[str, Any], typed: Any, closed: bool = True) -> None:
    """``value`` has every key ``typed`` requires and, when ``closed``, no key it does not
    declare (tests and results also carry custom fields, so they are checked open)."""
    required, declared = keys_of(typed)
    assert required <= set(value), sorted(required - set(value))
    if closed:
        assert set(value) <= declared, sorted(set(value) - declared)


# Runs -------------------------------------------------------------------------------------------


def test_add_run_includes_every_case_by_default(lab: Lab) -> None:
    run = lab.add_run()
    assert run["include_all"] is True
    tests = lab.store.tests.get_tests(run["id"])["tests"]
    assert sorted(t["case_id"] for t in tests) == lab.case_ids
    assert {t["status_id"] for t in tests} == {3}
    assert run["untested_count"] == len(lab.case_ids)


def test_add_run_with_case_ids(lab: Lab) -> None:
    chosen = [
        lab.case_ids[3],
        lab.case_ids[1],
        lab.case_ids[3],
    ]  # a repeat, as pytest-testrail sends
    run = lab.add_run(include_all=False, case_ids=chosen)
    assert run["include_all"] is False
    tests = lab.store.tests.get_tests_bulk(run["id"])
    assert sorted(t["case_id"] for t in tests) == sorted({lab.case_ids[1], lab.case_ids[3]})
    assert run["untested_count"] == 2
    # A case of another suite is not a valid selection, and no run is made.
    before = lab.store.runs.get_runs(lab.project_id)["size"]
    with pytest.raises(trailstore.ValidationError) as info:
        lab.add_run(include_all=False, case_ids=[1])
    assert str(info.value) == "Field :case_ids is not a valid ID."
    assert lab.store.runs.get_runs(lab.project_id)["size"] == before


def test_get_run_shape(lab: Lab) -> None:
    made = lab.add_run(description="All cards", refs="SHOP-1")
    run = lab.store.runs.get_run(made["id"])
    assert run == made
    assert_shape(run, trailstore.Run)
    assert run["plan_id"] is None and run["config"] is None and run["config_ids"] == []
    assert "entry_id" not in run
    assert run["is_completed"] is False and run["include_all"] is True
    assert run["completed_on"] is None
    counts: Mapping[str, Any] = run
    assert all(type(counts[k]) is int for k in COUNT_KEYS)
    assert run["untested_count"] == 5 and sum(counts[k] for k in COUNT_KEYS) == 5
    assert run["project_id"] == lab.project_id and run["suite_id"] == lab.suite_id
    assert run["name"] == "Nightly" and run["description"] == "All cards"
    assert run["refs"] == "SHOP-1"
    assert run["url"].endswith(f"/runs/view/{run['id']}")


def test_get_runs_pages_and_filters(lab: Lab) -> None:
    first = lab.add_run(name="First")
    second = lab.add_run(name="Second", refs="SHOP-7")
    page = lab.store.runs.get_runs(lab.project_id)
    assert_shape(page, trailstore.RunsPage)
    assert [r["id"] for r in page["runs"]] == [second["id"], first["id"]]  # newest first
    one = lab.store.runs.get_runs(lab.project_id, limit=1, offset=1)
    assert [r["id"] for r in one["runs"]] == [first["id"]]
    assert [
        r["id"] for r in lab.store.runs.get_runs(lab.project_id, refs_filter="shop-7")["runs"]
    ] == [second["id"]]
    lab.store.runs.close_run(first["id"])
    open_only = lab.store.runs.get_runs(lab.project_id, is_completed=False)["runs"]
    assert [r["id"] for r in open_only] == [second["id"]]
    assert [r["id"] for r in lab.store.runs.get_runs_bulk(lab.project_id)] == [
        second["id"],
        first["id"],
    ]
    with pytest.raises(TypeError, match="limit and offset are managed automatically"):
        lab.store.runs.get_runs_bulk(lab.project_id, offset=0)


def test_update_run_replaces_the_selection(lab: Lab) -> None:
    run = lab.add_run()
    updated = lab.store.runs.update_run(
        run["id"], name="Renamed", include_all=False, case_ids=lab.case_ids[:2]
    )
    assert updated["name"] == "Renamed" and updated["include_all"] is False
    assert updated["untested_count"] == 2
    tests = lab.store.tests.get_tests_bulk(run["id"])
    assert sorted(t["case_id"] for t in tests) == lab.case_ids[:2]


def test_delete_run_soft_then_hard(lab: Lab) -> None:
    run = lab.add_run()
    lab.store.results.add_result_for_case(run["id"], lab.case_ids[0], status_id=1)
    counts = lab.store.runs.delete_run(run["id"], soft=1)
    assert counts == {"runs": 1, "tests": 5, "results": 1}
    assert lab.store.runs.get_run(run["id"])["passed_count"] == 1
    assert lab.store.runs.delete_run(run["id"]) is None
    with pytest.raises(trailstore.NotFoundError) as info:
        lab.store.runs.get_run(run["id"])
    assert str(info.value) == "Field :run_id is not a valid test run."


# Tests ------------------------------------------------------------------------------------------


def test_get_tests_pages(store: trailstore.Store) -> None:
    lab = make_lab(store, cases=251)
    run = lab.add_run()
    page = store.tests.get_tests(run["id"])
    assert_shape(page, trailstore.TestsPage)
    assert page["offset"] == 0 and page["limit"] == 250 and page["size"] == 250
    assert page["_links"]["next"] == f"/api/v2/get_tests/{run['id']}&limit=250&offset=250"
    assert page["_links"]["prev"] is None
    rest = store.tests.get_tests(run["id"], offset=250)
    assert rest["size"] == 1 and rest["_links"]["next"] is None
    assert store.tests.get_tests(run["id"], offset=251)["tests"] == []
    small = store.tests.get_tests(run["id"], limit=10, offset=5)
    assert [t["id"] for t in small["tests"]] == [t["id"] for t in page["tests"][5:15]]
    every = store.tests.get_tests_bulk(run["id"])
    assert len(every) == 251 and len({t["id"] for t in every}) == 251
    assert every[:250] == page["tests"]
    # The route as pytest-testrail 3.1.1 sends it, with a "?" after the run id.
    assert store.call(f"get_tests/{run['id']}?limit=250&offset=250")["tests"] == rest["tests"]
    with pytest.raises(TypeError, match="limit and offset are managed automatically"):
        store.tests.get_tests_bulk(run["id"], limit=250)


def test_get_test_shape_and_status_filter(lab: Lab) -> None:
    run = lab.add_run()
    lab.store.results.add_results_for_cases(
        run["id"],
        [
            {"case_id": lab.case_ids[0], "status_id": 1},
            {"case_id": lab.case_ids[1], "status_id": 5},
        ],
    )
    tests = lab.store.tests.get_tests(run["id"])["tests"]
    for t in tests:
        assert_shape(t, trailstore.Test, closed=False)
        assert lab.store.tests.get_test(t["id"]) == t
    first = next(t for t in tests if t["case_id"] == lab.case_ids[0])
    assert first["title"] == "Case 0" and first["run_id"] == run["id"]
    assert first["priority_id"] == 2 and first["status_id"] == 1
    failed_or_passed = lab.store.tests.get_tests(run["id"], status_id=[1, 5])["tests"]
    assert sorted(t["case_id"] for t in failed_or_passed) == lab.case_ids[:2]
    untested = lab.store.tests.get_tests_bulk(run["id"], status_id=3)
    assert sorted(t["case_id"] for t in untested) == lab.case_ids[2:]
    data: Any = lab.store.tests.get_test(first["id"], with_data=1)
    assert set(data) == {"test", "results", "attachments"}
    assert data["test"] == first and [r["status_id"] for r in data["results"]] == [1]


def test_tests_follow_their_case_until_the_run_closes(lab: Lab) -> None:
    run = lab.add_run()
    case_id = lab.case_ids[0]

    def title() -> str:
        test = next(t for t in lab.store.tests.get_tests_bulk(run["id"]) if t["case_id"] == case_id)
        return test["title"]

    lab.store.cases.update_case(case_id, title="Pay by card, reworded", priority_id=4)
    assert title() == "Pay by card, reworded"
    closed = lab.store.runs.close_run(run["id"])
    assert closed["is_completed"] is True and isinstance(closed["completed_on"], int)
    lab.store.cases.update_case(case_id, title="Reworded after the close")
    assert title() == "Pay by card, reworded"
    frozen = lab.store.tests.get_tests_bulk(run["id"])
    assert next(t for t in frozen if t["case_id"] == case_id)["priority_id"] == 4
    # An open run's include_all takes cases added to the suite later; a closed one does not.
    live = lab.add_run(name="Live")
    new_case = lab.store.cases.add_case(lab.section_id, "Added later")
    assert new_case["id"] in {t["case_id"] for t in lab.store.tests.get_tests_bulk(live["id"])}
    assert new_case["id"] not in {t["case_id"] for t in lab.store.tests.get_tests_bulk(run["id"])}


# Results ----------------------------------------------------------------------------------------


def test_add_results_for_cases_answers_in_request_order(lab: Lab) -> None:
    run = lab.add_run()
    c = lab.case_ids
    request: List[Dict[str, Any]] = [
        {"case_id": c[2], "status_id": Outcome.PASSED, "comment": "first", "elapsed": "1m 45s"},
        {"case_id": c[0], "status_id": Outcome.FAILED, "comment": "second", "defects": "BUG-1"},
        {"case_id": c[2], "status_id": Outcome.RETEST, "comment": "third", "version": "1.2"},
        {"case_id": str(c[1]), "comment": "fourth: a comment only"},
        {"case_id": c[3], "status_id": Outcome.FLAKY, "comment": "fifth", "attachments": []},
    ]
    results = lab.store.results.add_results_for_cases(run["id"], request)
    assert isinstance(results, list) and len(results) == len(request)
    assert [r["comment"] for r in results] == [e["comment"] for e in request]
    ids = [r["id"] for r in results]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    for r in results:
        assert_shape(r, trailstore.Result, closed=False)
    assert [r["status_id"] for r in results] == [1, 5, 4, None, 6]
    assert results[0]["elapsed"] == "1m 45s" and results[1]["defects"] == "BUG-1"
    assert results[2]["version"] == "1.2" and results[0]["attachment_ids"] == []
    tests = {t["case_id"]: t for t in lab.store.tests.get_tests_bulk(run["id"])}
    assert [r["test_id"] for r in results] == [tests[c[i]]["id"] for i in (2, 0, 2, 1, 3)]
    # Each test has the status of its latest status-bearing result.
    assert [tests[i]["status_id"] for i in c] == [5, 3, 4, 6, 3]
    assert lab.counts(run["id"]) == {
        "failed_count": 1,
        "retest_count": 1,
        "custom_status1_count": 1,
        "untested_count": 2,
    }


def test_a_test_follows_its_latest_status_bearing_result(lab: Lab) -> None:
    run = lab.add_run()
    case_id = lab.case_ids[0]
    first = lab.store.results.add_result_for_case(run["id"], case_id, status_id=5)
    test_id = first["test_id"]
    assert lab.store.tests.get_test(test_id)["status_id"] == 5
    lab.store.results.add_result(test_id, comment="looked at it", assignedto_id=1)
    test = lab.store.tests.get_test(test_id)
    assert test["status_id"] == 5 and test["assignedto_id"] == 1
    lab.store.results.add_results(run["id"], [{"test_id": test_id, "status_id": 1}])
    assert lab.store.tests.get_test(test_id)["status_id"] == 1
    assert lab.counts(run["id"]) == {"passed_count": 1, "untested_count": 4}


def test_edit_result(lab: Lab) -> None:
    run = lab.add_run()
    made = lab.store.results.add_result_for_case(
        run["id"], lab.case_ids[0], status_id=5, comment="flaky network", elapsed="30s"
    )
    edited = lab.store.results.edit_result(made["id"], status_id=1, comment="rerun passed")
    assert edited["id"] == made["id"] and edited["test_id"] == made["test_id"]
    assert edited["status_id"] == 1 and edited["comment"] == "rerun passed"
    assert edited["elapsed"] == "30s" and edited["created_on"] == made["created_on"]
    assert lab.store.results.get_results(made["test_id"])["results"] == [edited]
    assert lab.store.tests.get_test(made["test_id"])["status_id"] == 1
    assert lab.counts(run["id"]) == {"passed_count": 1, "untested_count": 4}


def test_refused_results_write_nothing(lab: Lab) -> None:
    run = lab.add_run()
    good = {"case_id": lab.case_ids[0], "status_id": 1}
    outside = lab.store.cases.add_case(lab.section_id, "Not in the run")["id"]
    picky = lab.add_run(name="Picky", include_all=False, case_ids=lab.case_ids[:2])
    before = journal_length(lab.store)
    refusals: List[tuple[int, List[Any], str]] = [
        (
            run["id"],
            [good, {"case_id": lab.case_ids[1], "status_id": Outcome.UNTESTED}],
            "Field :results.status_id uses an invalid status (Untested).",
        ),
        (
            picky["id"],
            [good, {"case_id": outside, "status_id": 1}],
            "Field :results contains one or more invalid results "
            f"(case C{outside} unknown or not part of the test run)",
        ),
        (run["id"], [], "Field :results cannot be empty (one result is required)"),
        (
            run["id"],
            [good, {"case_id": lab.case_ids[1], "defects": "BUG-2"}],
            "Field :results contains one or more invalid results "
            "(one of Status ID, Assigned To or Comment is required)",
        ),
        (
            run["id"],
            [good, {"case_id": lab.case_ids[1], "status_id": 1, "elapsed": "0s"}],
            "Field :results.elapsed is not in a valid time span format.",
        ),
    ]
    for run_id, results, message in refusals:
        with pytest.raises(trailstore.ValidationError) as info:
            lab.store.results.add_results_for_cases(run_id, results)
        assert str(info.value) == message
        assert info.value.http_status == 400
    with pytest.raises(trailstore.ValidationError) as single:
        lab.store.results.add_result_for_case(run["id"], lab.case_ids[0], status_id=3)
    assert str(single.value) == "Field :status_id uses an invalid status (Untested)."
    assert journal_length(lab.store) == before
    for r in (run, picky):
        assert lab.store.results.get_results_for_run(r["id"])["results"] == []
        assert set(lab.counts(r["id"])) == {"untested_count"}


def test_a_closed_run_refuses_results_and_edits(lab: Lab) -> None:
    run = lab.add_run()
    made = lab.store.results.add_result_for_case(run["id"], lab.case_ids[0], status_id=1)
    lab.store.runs.close_run(run["id"])
    before = journal_length(lab.store)
    message = "This operation is not allowed. The test run is already completed."
    attempts: List[Callable[[], object]] = [
        lambda: lab.store.results.add_results_for_cases(
            run["id"], [{"case_id": lab.case_ids[1], "status_id": 5}]
        ),
        lambda: lab.store.results.add_result_for_case(run["id"], lab.case_ids[1], status_id=5),
        lambda: lab.store.results.edit_result(made["id"], comment="too late"),
        lambda: lab.store.runs.update_run(run["id"], name="too late"),
    ]
    for attempt in attempts:
        with pytest.raises(trailstore.ForbiddenError) as info:
            attempt()
        assert str(info.value) == message
    assert journal_length(lab.store) == before
    assert lab.counts(run["id"]) == {"passed_count": 1, "untested_count": 4}


def test_get_results_newest_first_with_filters(lab: Lab) -> None:
    run = lab.add_run()
    c = lab.case_ids
    made = lab.store.results.add_results_for_cases(
        run["id"],
        [
            {"case_id": c[0], "status_id": 5, "defects": "BUG-1, BUG-2"},
            {"case_id": c[1], "status_id": 1},
            {"case_id": c[0], "status_id": 1},
        ],
    )
    ids = [r["id"] for r in made]
    page = lab.store.results.get_results_for_run(run["id"])
    assert_shape(page, trailstore.ResultsPage)
    assert [r["id"] for r in page["results"]] == ids[::-1]
    assert [
        r["id"]
        for r in lab.store.results.get_results_for_run(run["id"], limit=1, offset=1)["results"]
    ] == [ids[1]]
    failed = lab.store.results.get_results_for_run(run["id"], status_id=[5, 2])["results"]
    assert [r["id"] for r in failed] == [ids[0]]
    assert [
        r["id"]
        for r in lab.store.results.get_results_for_run_bulk(run["id"], defects_filter="bug-2")
    ] == [ids[0]]
    # created_after as a datetime, sent as its UNIX time.
    created = made[0]["created_on"]
    later = datetime.fromtimestamp(created + 60, timezone.utc)
    assert lab.store.results.get_results_for_run(run["id"], created_after=later)["results"] == []
    earlier = datetime.fromtimestamp(created - 60, timezone.utc)
    assert len(lab.store.results.get_results_for_run_bulk(run["id"], created_after=earlier)) == 3
    for_case = lab.store.results.get_results_for_case(run["id"], c[0])["results"]
    assert [r["id"] for r in for_case] == [ids[2], ids[0]]
    assert lab.store.results.get_results_for_case_bulk(run["id"], c[0]) == for_case
    assert lab.store.results.get_results_bulk(made[0]["test_id"]) == for_case
    with pytest.raises(TypeError):
        lab.store.results.get_results_for_run_bulk(run["id"], limit=5)


# Plans and configurations -----------------------------------------------------------------------


def test_configurations(lab: Lab) -> None:
    configs = lab.store.configurations
    group = configs.add_config_group(lab.project_id, "Browsers")
    assert group == {
        "id": group["id"],
        "name": "Browsers",
        "project_id": lab.project_id,
        "configs": [],
    }
    chrome = configs.add_config(group["id"], "Chrome")
    assert chrome == {"id": chrome["id"], "name": "Chrome", "group_id": group["id"]}
    firefox = configs.add_config(group["id"], "Firefox")
    renamed = configs.update_config_group(group["id"], "Web browsers")
    assert renamed["name"] == "Web browsers" and [c["id"] for c in renamed["configs"]] == [
        chrome["id"],
        firefox["id"],
    ]
    assert configs.update_config(firefox["id"], "Mozilla Firefox")["name"] == "Mozilla Firefox"
    listed = configs.get_configs(lab.project_id)
    assert listed == [configs.update_config_group(group["id"], "Web browsers")]
    for g in listed:
        assert_shape(g, trailstore.ConfigGroup)
        for one in g["configs"]:
            assert_shape(one, trailstore.Config)
    configs.delete_config(chrome["id"])
    assert [c["name"] for c in configs.get_configs(lab.project_id)[0]["configs"]] == [
        "Mozilla Firefox"
    ]
    configs.delete_config_group(group["id"])
    assert configs.get_configs(lab.project_id) == []
    with pytest.raises(trailstore.ValidationError) as info:
        configs.add_config_group(lab.project_id, "")
    assert str(info.value) == "Field :name is a required field."


def test_plans_with_configurations(lab: Lab) -> None:
    configs = lab.store.configurations
    browsers = configs.add_config_group(lab.project_id, "Browsers")
    chrome = configs.add_config(browsers["id"], "Chrome")
    firefox = configs.add_config(browsers["id"], "Firefox")
    systems = configs.add_config_group(lab.project_id, "OS")
    linux = configs.add_config(systems["id"], "Linux")
    plans = lab.store.plans

    plan = plans.add_plan(
        lab.project_id,
        "Release 2.0",
        description="Cross-browser",
        entries=[
            {
                "suite_id": lab.suite_id,
                "name": "Browsers",
                "include_all": False,
                "case_ids": lab.case_ids[:3],
                "runs": [
                    {"config_ids": [chrome["id"], linux["id"]]},
                    {"config_ids": [firefox["id"], linux["id"]]},
                ],
            }
        ],
    )
    assert_shape(plan, trailstore.Plan)
    assert plan["is_completed"] is False and plan["untested_count"] == 6
    (entry,) = plan["entries"]
    assert_shape(entry, trailstore.PlanEntry)
    assert GUID.match(entry["id"]) and entry["suite_id"] == lab.suite_id
    assert entry["include_all"] is False
    runs = entry["runs"]
    assert [r["config"] for r in runs] == ["Chrome, Linux", "Firefox, Linux"]
    for r in runs:
        assert_shape(r, trailstore.Run)
        assert r["plan_id"] == plan["id"] and r["entry_id"] == entry["id"]
        assert r["name"] == "Browsers" and r["untested_count"] == 3
    assert sorted(runs[0]["config_ids"]) == sorted([chrome["id"], linux["id"]])
    assert plans.get_plan(plan["id"]) == plan
    # A plan's runs are not listed among the project's runs unless asked for.
    assert lab.store.runs.get_runs(lab.project_id)["runs"] == []
    every = lab.store.runs.get_runs(lab.project_id, include_plan_runs=True)["runs"]
    assert sorted(r["id"] for r in every) == sorted(r["id"] for r in runs)
    # A run's configuration names follow a rename.
    configs.update_config(chrome["id"], "Chromium")
    assert lab.store.runs.get_run(runs[0]["id"])["config"] == "Chromium, Linux"

    # Results count up in the plan too.
    lab.store.results.add_results_for_cases(
        runs[0]["id"], [{"case_id": lab.case_ids[0], "status_id": Outcome.PASSED}]
    )
    assert plans.get_plan(plan["id"])["passed_count"] == 1

    smoke = plans.add_plan_entry(plan["id"], lab.suite_id, name="Smoke", include_all=True)
    assert set(smoke) == {"id", "suite_id", "name", "refs", "description", "include_all", "runs"}
    assert GUID.match(smoke["id"]) and smoke["name"] == "Smoke"
    (smoke_run,) = smoke["runs"]
    assert smoke_run["entry_id"] == smoke["id"] and smoke_run["config"] is None
    assert smoke_run["config_ids"] == [] and smoke_run["untested_count"] == 5

    grown = plans.add_run_to_plan_entry(
        plan["id"], entry["id"], [firefox["id"]], include_all=False, case_ids=lab.case_ids[:1]
    )
    assert [len(e["runs"]) for e in grown["entries"]] == [3, 1]
    added = grown["entries"][0]["runs"][-1]
    assert added["config"] == "Firefox" and added["untested_count"] == 1

    described = plans.update_plan_entry(plan["id"], entry["id"], description="Every browser")
    assert described["id"] == entry["id"]
    assert {r["description"] for r in described["runs"]} == {"Every browser"}
    assert plans.update_plan(plan["id"], name="Release 2.0.1")["name"] == "Release 2.0.1"
    moved = plans.update_run_in_plan_entry(added["id"], description="Firefox only")
    assert moved["id"] == plan["id"]
    assert lab.store.runs.get_run(added["id"])["description"] == "Firefox only"

    plans.delete_run_from_plan_entry(added["id"])
    with pytest.raises(trailstore.NotFoundError):
        lab.store.runs.get_run(added["id"])
    plans.delete_plan_entry(plan["id"], smoke["id"])
    kept = plans.get_plan(plan["id"])
    assert [e["id"] for e in kept["entries"]] == [entry["id"]]
    assert len(kept["entries"][0]["runs"]) == 2

    page = plans.get_plans(lab.project_id)
    assert_shape(page, trailstore.PlansPage)
    assert [p["id"] for p in page["plans"]] == [plan["id"]]
    assert "entries" not in page["plans"][0]
    assert plans.get_plans_bulk(lab.project_id) == page["plans"]
    with pytest.raises(TypeError):
        plans.get_plans_bulk(lab.project_id, limit=1)

    closed = plans.close_plan(plan["id"])
    assert closed["is_completed"] is True
    assert all(r["is_completed"] is True for e in closed["entries"] for r in e["runs"])
    assert plans.get_plans(lab.project_id, is_completed=False)["plans"] == []
    plans.delete_plan(plan["id"])
    with pytest.raises(trailstore.NotFoundError) as info:
        plans.get_plan(plan["id"])
    assert str(info.value) == "Field :plan_id is not a valid test plan."


def test_plan_entry_config_ids_are_the_union_of_its_runs(lab: Lab) -> None:
    """An entry's ``config_ids`` lists every configuration its runs use, several of a group when
    runs differ in it (TestRail's add_plan_entry example: entry ``[1, 2, 4, 5, 6]``, runs
    ``[2, 5]`` and ``[2, 6]``); each run takes one of each group."""
    configs = lab.store.configurations
    browsers = configs.add_config_group(lab.project_id, "Browsers")
    chrome = configs.add_config(browsers["id"], "Chrome")["id"]
    firefox = configs.add_config(browsers["id"], "Firefox")["id"]
    systems = configs.add_config_group(lab.project_id, "OS")
    linux = configs.add_config(systems["id"], "Linux")["id"]
    plan = lab.store.plans.add_plan(lab.project_id, "Release 2.1")
    entry = lab.store.plans.add_plan_entry(
        plan["id"],
        lab.suite_id,
        config_ids=[chrome, firefox, linux],
        runs=[{"config_ids": [chrome, linux]}, {"config_ids": [firefox, linux]}],
    )
    assert [r["config"] for r in entry["runs"]] == ["Chrome, Linux", "Firefox, Linux"]
    # A run still takes one configuration of each group.
    with pytest.raises(trailstore.ValidationError) as info:
        lab.store.plans.add_plan_entry(
            plan["id"],
            lab.suite_id,
            config_ids=[chrome, firefox],
            runs=[{"config_ids": [chrome, firefox]}],
        )
    assert str(info.value) == (
        "Field :config_ids uses an invalid combination of configurations (use one from each group)."
    )


# Milestones, statuses, result fields ------------------------------------------------------------


def test_milestone_writes(lab: Lab) -> None:
    milestones = lab.store.milestones
    due = datetime(2030, 1, 1, tzinfo=timezone.utc)
    release = milestones.add_milestone(lab.project_id, "Release 3", due_on=due, refs="SHOP-9")
    assert_shape(release, trailstore.Milestone)
    assert release["due_on"] == 1893456000 and release["refs"] == "SHOP-9"
    assert release["milestones"] == [] and release["is_started"] is False
    sprint = milestones.add_milestone(lab.project_id, "Sprint 1", parent_id=release["id"])
    assert sprint["parent_id"] == release["id"]
    assert [m["id"] for m in milestones.get_milestone(release["id"])["milestones"]] == [
        sprint["id"]
    ]

    started = milestones.update_milestone(release["id"], is_started=True, description="Go")
    assert started["is_started"] is True and isinstance(started["started_on"], int)
    assert started["description"] == "Go" and started["due_on"] == 1893456000
    page = milestones.get_milestones(lab.project_id, is_started=True)
    assert_shape(page, trailstore.MilestonesPage)
    assert [m["id"] for m in page["milestones"]] == [release["id"]]
    assert {m["id"] for m in milestones.get_milestones_bulk(lab.project_id)} == {
        release["id"],
        sprint["id"],
    }

    run = lab.add_run(milestone_id=sprint["id"])
    assert run["milestone_id"] == sprint["id"]
    milestones.delete_milestone(release["id"])
    for gone in (release, sprint):
        with pytest.raises(trailstore.NotFoundError) as info:
            milestones.get_milestone(gone["id"])
        assert str(info.value) == "Field :milestone_id is not a valid milestone."
    assert lab.store.runs.get_run(run["id"])["milestone_id"] is None
    with pytest.raises(trailstore.ValidationError) as required:
        milestones.add_milestone(lab.project_id, "")
    assert str(required.value) == "Field :name is a required field."


def test_statuses_and_result_fields(store: trailstore.Store) -> None:
    statuses = store.statuses.get_statuses()
    for s in statuses:
        assert_shape(s, trailstore.Status)
    assert [(s["id"], s["name"]) for s in statuses] == [
        (1, "passed"),
        (2, "blocked"),
        (3, "untested"),
        (4, "retest"),
        (5, "failed"),
        (6, "custom_status1"),
    ]
    assert statuses[2]["is_untested"] is True and statuses[5]["label"] == "Flaky"
    assert store.call("get_statuses/1") == statuses  # trcli's form, with a project id
    fields = store.result_fields.get_result_fields()
    for f in fields:
        assert_shape(f, trailstore.ResultField)
        for config in f["configs"]:
            assert_shape(config, trailstore.ResultFieldConfig)
    assert [f["system_name"] for f in fields] == [
        "custom_step_results",
        "custom_environment",
        "custom_build",
    ]
    assert fields[0]["type_id"] == 11


# What each method sends -------------------------------------------------------------------------


def test_methods_send_what_testrail_api_sends() -> None:
    """Each method's endpoint, query parameters and body, as testrail-api 1.14.0 builds them
    (``_category.py``); the store then reads them as TestRail does."""
    sent: List[tuple[str, Any, Any]] = []

    def call(endpoint: str, params: Any = None, body: Any = None) -> Any:
        sent.append((endpoint, params, body))
        return None

    def list_all(endpoint: str, params: Any = None) -> List[Any]:
        sent.append(("*" + endpoint, params, None))
        return []

    runs = trailstore.Runs(call, list_all)
    tests = trailstore.Tests(call, list_all)
    results = trailstore.Results(call, list_all)
    plans = trailstore.Plans(call, list_all)
    configs = trailstore.Configurations(call, list_all)
    milestones = trailstore.Milestones(call, list_all)
    statuses = trailstore.Statuses(call, list_all)
    fields = trailstore.ResultFields(call, list_all)
    entry = "2e3f1a52-0c34-4b5e-9a6b-1d2c3e4f5a6b"
    rows = [{"case_id": 1, "status_id": 1}]
    expected: List[tuple[Callable[[], object], tuple[str, Any, Any]]] = [
        (lambda: runs.get_run(7), ("get_run/7", None, None)),
        (lambda: runs.get_runs(1, is_completed=0), ("get_runs/1", {"is_completed": 0}, None)),
        (lambda: runs.add_run(1, name="n"), ("add_run/1", None, {"name": "n"})),
        (lambda: runs.update_run(7, refs="R"), ("update_run/7", None, {"refs": "R"})),
        (lambda: runs.close_run(7), ("close_run/7", None, None)),
        (lambda: runs.delete_run(7), ("delete_run/7", {"soft": 0}, None)),
        (lambda: runs.delete_run(7, soft=1), ("delete_run/7", {"soft": 1}, None)),
        (lambda: runs.get_runs_bulk(1, suite_id=2), ("*get_runs/1", {"suite_id": 2}, None)),
        (lambda: tests.get_test(9), ("get_test/9", {}, None)),
        (lambda: tests.get_test(9, with_data=1), ("get_test/9", {"with_data": 1}, None)),
        (
            lambda: tests.get_tests(7, status_id=[4, 5]),
            ("get_tests/7", {"limit": 250, "offset": 0, "status_id": [4, 5]}, None),
        ),
        (lambda: tests.get_tests_bulk(7), ("*get_tests/7", {}, None)),
        (
            lambda: results.get_results(9, 10, 20),
            ("get_results/9", {"limit": 10, "offset": 20}, None),
        ),
        (
            lambda: results.get_results_for_case(7, 3),
            ("get_results_for_case/7/3", {"limit": 250, "offset": 0}, None),
        ),
        (
            lambda: results.get_results_for_run(7, defects_filter="B-1"),
            ("get_results_for_run/7", {"limit": 250, "offset": 0, "defects_filter": "B-1"}, None),
        ),
        (lambda: results.add_result(9, status_id=1), ("add_result/9", None, {"status_id": 1})),
        (
            lambda: results.add_result_for_case(7, 3, comment="c"),
            ("add_result_for_case/7/3", None, {"comment": "c"}),
        ),
        (lambda: results.add_results(7, rows), ("add_results/7", None, {"results": rows})),
        (
            lambda: results.add_results_for_cases(7, rows),
            ("add_results_for_cases/7", None, {"results": rows}),
        ),
        (lambda: results.edit_result(11, comment="c"), ("edit_result/11", None, {"comment": "c"})),
        (lambda: results.get_results_bulk(9), ("*get_results/9", {}, None)),
        (lambda: results.get_results_for_case_bulk(7, 3), ("*get_results_for_case/7/3", {}, None)),
        (lambda: results.get_results_for_run_bulk(7), ("*get_results_for_run/7", {}, None)),
        (lambda: plans.get_plan(4), ("get_plan/4", None, None)),
        (lambda: plans.get_plans(1), ("get_plans/1", {}, None)),
        (lambda: plans.add_plan(1, "P"), ("add_plan/1", None, {"name": "P"})),
        (
            lambda: plans.add_plan_entry(4, 2, include_all=True),
            ("add_plan_entry/4", None, {"suite_id": 2, "include_all": True}),
        ),
        (
            lambda: plans.add_run_to_plan_entry(4, entry, (5, 6), refs="R"),
            (f"add_run_to_plan_entry/4/{entry}", None, {"config_ids": [5, 6], "refs": "R"}),
        ),
        (lambda: plans.update_plan(4, name="Q"), ("update_plan/4", None, {"name": "Q"})),
        (
            lambda: plans.update_plan_entry(4, entry, name="E"),
            (f"update_plan_entry/4/{entry}", None, {"name": "E"}),
        ),
        (
            lambda: plans.update_run_in_plan_entry(7, refs="R"),
            ("update_run_in_plan_entry/7", None, {"refs": "R"}),
        ),
        (lambda: plans.close_plan(4), ("close_plan/4", None, None)),
        (lambda: plans.delete_plan(4), ("delete_plan/4", None, None)),
        (lambda: plans.delete_plan_entry(4, entry), (f"delete_plan_entry/4/{entry}", None, None)),
        (lambda: plans.delete_run_from_plan_entry(7), ("delete_run_from_plan_entry/7", None, None)),
        (lambda: plans.get_plans_bulk(1), ("*get_plans/1", {}, None)),
        (lambda: configs.get_configs(1), ("get_configs/1", None, None)),
        (lambda: configs.add_config_group(1, "G"), ("add_config_group/1", None, {"name": "G"})),
        (lambda: configs.add_config(2, "C"), ("add_config/2", None, {"name": "C"})),
        (
            lambda: configs.update_config_group(2, "G"),
            ("update_config_group/2", None, {"name": "G"}),
        ),
        (lambda: configs.update_config(3, "C"), ("update_config/3", None, {"name": "C"})),
        (lambda: configs.delete_config_group(2), ("delete_config_group/2", None, None)),
        (lambda: configs.delete_config(3), ("delete_config/3", None, None)),
        (
            lambda: milestones.add_milestone(1, "M", due_on=5),
            ("add_milestone/1", None, {"name": "M", "due_on": 5}),
        ),
        (
            lambda: milestones.update_milestone(8, is_completed=True),
            ("update_milestone/8", None, {"is_completed": True}),
        ),
        (lambda: milestones.delete_milestone(8), ("delete_milestone/8", None, None)),
        (lambda: statuses.get_statuses(), ("get_statuses", None, None)),
        (lambda: fields.get_result_fields(), ("get_result_fields", None, None)),
    ]
    for method, request in expected:
        sent.clear()
        method()
        assert sent == [request]
