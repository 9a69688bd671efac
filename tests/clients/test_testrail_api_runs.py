"""testrail-api 1.14.0, unmodified, for runs, tests, results, statuses, configurations and plans
against `trailstore serve` on a fresh store set up through the API."""
import json

import pytest
from testrail_api._exception import AuthError, StatusCodeError

RUN_CLOSED = "This operation is not allowed. The test run is already completed."
PLAN_CLOSED = "This operation is not allowed. The test plan is already completed."


def refused(status, message, call, *args, **kwargs):
    """`call` raises testrail-api's StatusCodeError with TestRail's status and body."""
    with pytest.raises(StatusCodeError) as e:
        call(*args, **kwargs)
    assert e.value.status_code == status, e.value.content
    assert json.loads(e.value.content) == {"error": message}
    return e.value


@pytest.fixture()
def cases(lab):
    """Three cases in one section of the lab project."""
    section = lab.api.sections.add_section(lab.project_id, "Checkout")
    return [lab.api.cases.add_case(section["id"], title)["id"]
            for title in ("Pay by card", "Refund an order", "Redeem a gift card")]


def case_ids_of(api, run_id):
    return sorted(t["case_id"] for t in api.tests.get_tests_bulk(run_id))


def test_runs_add_get_update_close_delete(lab, cases):
    api, pid = lab.api, lab.project_id
    a, b, c = cases

    everything = api.runs.add_run(pid, suite_id=lab.suite_id, name="All cases")
    assert everything["include_all"] is True and everything["is_completed"] is False
    assert (everything["plan_id"], everything["config_ids"], everything["config"]) == (None, [], None)
    assert everything["untested_count"] == 3 and everything["completed_on"] is None
    assert case_ids_of(api, everything["id"]) == sorted(cases)
    assert api.runs.get_run(everything["id"]) == everything

    # Repeated case ids (pytest-testrail sends them) name each case once.
    some = api.runs.add_run(pid, suite_id=lab.suite_id, name="Some cases", description="smoke",
                            include_all=False, case_ids=[a, a, b])
    assert some["include_all"] is False
    assert case_ids_of(api, some["id"]) == sorted([a, b])
    refused(400, "Field :case_ids is not a valid ID.", api.runs.add_run, pid,
            suite_id=lab.suite_id, name="Bad", include_all=False, case_ids=[a, 999999])

    # Lists: newest first, paged under `runs`; the bulk helper reads every page.
    page = api.runs.get_runs(pid)
    assert [r["id"] for r in page["runs"]] == [some["id"], everything["id"]]
    assert (page["size"], page["_links"]["next"]) == (2, None)
    assert [r["id"] for r in api.runs.get_runs(pid, limit=1, offset=1)["runs"]] == [everything["id"]]
    assert sorted(r["id"] for r in api.runs.get_runs_bulk(pid)) == sorted([some["id"], everything["id"]])

    # update_run with include_all false and case_ids replaces the tests; b's test keeps its
    # result, a's test leaves the run.
    b_test = next(t for t in api.tests.get_tests_bulk(some["id"]) if t["case_id"] == b)
    api.results.add_result(b_test["id"], status_id=1, comment="kept")
    updated = api.runs.update_run(some["id"], name="Some cases, renamed", include_all=False,
                                  case_ids=[b, c])
    assert (updated["name"], updated["description"], updated["include_all"]) == \
        ("Some cases, renamed", "smoke", False)
    assert case_ids_of(api, some["id"]) == sorted([b, c])
    assert (updated["passed_count"], updated["untested_count"]) == (1, 1)
    b_after = next(t for t in api.tests.get_tests_bulk(some["id"]) if t["case_id"] == b)
    assert b_after["id"] == b_test["id"] and b_after["status_id"] == 1
    assert [r["comment"] for r in api.results.get_results(b_test["id"])["results"]] == ["kept"]
    # include_all true brings every case of the suite in.
    api.runs.update_run(some["id"], include_all=True)
    assert case_ids_of(api, some["id"]) == sorted(cases)

    # close_run: completed, listed by is_completed, and no more writes.
    closed = api.runs.close_run(some["id"])
    assert closed["is_completed"] is True and isinstance(closed["completed_on"], int)
    assert api.runs.get_run(some["id"])["is_completed"] is True
    assert [r["id"] for r in api.runs.get_runs(pid, is_completed=True)["runs"]] == [some["id"]]
    assert [r["id"] for r in api.runs.get_runs(pid, is_completed=False)["runs"]] == [everything["id"]]
    err = refused(403, RUN_CLOSED, api.runs.update_run, some["id"], name="again")
    assert isinstance(err, AuthError)  # testrail-api's class for 401 and 403
    refused(403, RUN_CLOSED, api.results.add_result, b_test["id"], status_id=5)

    # delete_run: soft=1 deletes nothing; a real delete answers an empty body and the run,
    # its tests and their results are gone.
    soft = api.runs.delete_run(everything["id"], soft=1)
    assert isinstance(soft, dict)
    assert api.runs.get_run(everything["id"])["id"] == everything["id"]
    assert len(api.tests.get_tests_bulk(everything["id"])) == 3
    any_test = api.tests.get_tests_bulk(everything["id"])[0]
    api.results.add_result(any_test["id"], status_id=5)
    assert api.runs.delete_run(everything["id"]) is None
    refused(400, "Field :run_id is not a valid test run.", api.runs.get_run, everything["id"])
    refused(400, "Field :test_id is not a valid test.", api.tests.get_test, any_test["id"])
    refused(400, "Field :test_id is not a valid test.", api.results.get_results, any_test["id"])
    assert [r["id"] for r in api.runs.get_runs_bulk(pid)] == [some["id"]]


def test_tests_and_results_page_past_250(lab):
    api, pid = lab.api, lab.project_id
    section = api.sections.add_section(lab.project_id, "Generated")
    # 1 case, doubled by copy_cases_to_section seven times to 256, less 5: 251 cases.
    ids = [api.cases.add_case(section["id"], "Generated 0")["id"]]
    while len(ids) < 251:
        ids += [c["id"] for c in api.cases.copy_cases_to_section(section["id"], ids)]
    api.cases.delete_cases(pid, ids[251:], suite_id=lab.suite_id)
    ids = ids[:251]
    assert len(api.cases.get_cases_bulk(pid)) == 251

    run = api.runs.add_run(pid, suite_id=lab.suite_id, name="Big")
    first = api.tests.get_tests(run["id"])
    assert (first["offset"], first["limit"], first["size"]) == (0, 250, 250)
    assert first["_links"]["next"] == f"/api/v2/get_tests/{run['id']}&limit=250&offset=250"
    second = api.tests.get_tests(run["id"], offset=250)
    assert (second["size"], second["_links"]["next"]) == (1, None)
    assert api.tests.get_tests(run["id"], offset=500)["tests"] == []
    tests = api.tests.get_tests_bulk(run["id"])
    assert len(tests) == 251 and sorted(t["case_id"] for t in tests) == sorted(ids)
    assert len({t["id"] for t in tests}) == 251
    one = api.tests.get_test(tests[0]["id"])
    assert one == tests[0]

    # One result per case in one request, then results paged the same way.
    statuses = [1 if i % 3 else 5 for i in range(251)]
    added = api.results.add_results_for_cases(
        run["id"], [{"case_id": cid, "status_id": s} for cid, s in zip(ids, statuses)])
    assert len(added) == 251
    by_test = {t["id"]: t["case_id"] for t in tests}
    assert [by_test[r["test_id"]] for r in added] == ids, "the reply is in request order"
    assert [r["status_id"] for r in added] == statuses
    every = api.results.get_results_for_run_bulk(run["id"])
    assert len(every) == 251 and {r["id"] for r in every} == {r["id"] for r in added}
    failed = api.results.get_results_for_run_bulk(run["id"], status_id=[5])
    assert len(failed) == statuses.count(5)
    assert len(api.tests.get_tests_bulk(run["id"], status_id=[5])) == statuses.count(5)
    counted = api.runs.get_run(run["id"])
    assert (counted["passed_count"], counted["failed_count"], counted["untested_count"]) == \
        (statuses.count(1), statuses.count(5), 0)


def test_results_add_edit_read(lab, cases):
    api, pid = lab.api, lab.project_id
    a, b, c = cases
    statuses = api.statuses.get_statuses()
    assert [(s["id"], s["name"]) for s in statuses] == \
        [(1, "passed"), (2, "blocked"), (3, "untested"), (4, "retest"), (5, "failed")]
    assert [s["is_untested"] for s in statuses] == [False, False, True, False, False]
    fields = api.result_fields.get_result_fields()
    assert isinstance(fields, list)
    assert "custom_step_results" in {f["system_name"] for f in fields}

    run = api.runs.add_run(pid, suite_id=lab.suite_id, name="Results", include_all=False,
                           case_ids=[a, b])
    tests = {t["case_id"]: t for t in api.tests.get_tests_bulk(run["id"])}
    ta, tb = tests[a], tests[b]
    assert ta["status_id"] == 3

    r1 = api.results.add_result(ta["id"], status_id=5, comment="broken", elapsed="1m 45s",
                                defects="BUG-1, BUG-2", version="1.2")
    assert (r1["test_id"], r1["status_id"], r1["comment"], r1["elapsed"], r1["defects"], r1["version"]) == \
        (ta["id"], 5, "broken", "1m 45s", "BUG-1, BUG-2", "1.2")
    # A comment alone does not change the test's status.
    api.results.add_result(ta["id"], comment="looking into it")
    assert api.tests.get_test(ta["id"])["status_id"] == 5
    r3 = api.results.add_result_for_case(run["id"], a, status_id=1, comment="fixed")
    assert r3["test_id"] == ta["id"] and api.tests.get_test(ta["id"])["status_id"] == 1
    newest_first = api.results.get_results(ta["id"])["results"]
    assert [r["id"] for r in newest_first] == [r3["id"], newest_first[1]["id"], r1["id"]]
    assert [r["id"] for r in api.results.get_results(ta["id"], status_id=[5])["results"]] == [r1["id"]]
    assert [r["id"] for r in api.results.get_results(ta["id"], defects_filter="BUG-2")["results"]] == [r1["id"]]
    assert [r["id"] for r in api.results.get_results_for_case(run["id"], a)["results"]] == \
        [r["id"] for r in newest_first]

    # Bulk: the same test twice (the later one sets the status); answers in request order.
    many = api.results.add_results(run["id"], [
        {"test_id": tb["id"], "status_id": 5, "comment": "first"},
        {"test_id": ta["id"], "status_id": 4},
        {"test_id": tb["id"], "status_id": 2, "comment": "second"},
    ])
    assert [(r["test_id"], r["status_id"]) for r in many] == [(tb["id"], 5), (ta["id"], 4), (tb["id"], 2)]
    assert api.tests.get_test(tb["id"])["status_id"] == 2
    for_cases = api.results.add_results_for_cases(run["id"], [
        {"case_id": b, "status_id": 1, "elapsed": "30s"},
        {"case_id": a, "status_id": 5, "comment": "regressed"},
    ])
    assert [(r["test_id"], r["status_id"]) for r in for_cases] == [(tb["id"], 1), (ta["id"], 5)]
    assert for_cases[0]["elapsed"] == "30s"

    edited = api.results.edit_result(for_cases[1]["id"], comment="regressed: BUG-3", defects="BUG-3")
    assert (edited["id"], edited["status_id"], edited["comment"], edited["defects"]) == \
        (for_cases[1]["id"], 5, "regressed: BUG-3", "BUG-3")
    assert api.results.get_results(ta["id"])["results"][0]["comment"] == "regressed: BUG-3"

    run_results = api.results.get_results_for_run(run["id"])
    assert run_results["size"] == 3 + 3 + 2
    assert [r["id"] for r in run_results["results"]] == \
        sorted((r["id"] for r in run_results["results"]), reverse=True)
    assert len(api.results.get_results_for_run_bulk(run["id"], status_id=[1])) == 2
    run_now = api.runs.get_run(run["id"])
    assert (run_now["passed_count"], run_now["failed_count"]) == (1, 1)

    # Errors in TestRail's words; a rejected bulk request adds nothing.
    before = api.results.get_results_for_run(run["id"])["size"]
    refused(400, f"Field :results contains one or more invalid results (case C{c} unknown or not part of the test run)",
            api.results.add_results_for_cases, run["id"],
            [{"case_id": a, "status_id": 1}, {"case_id": c, "status_id": 1}])
    refused(400, "Field :results cannot be empty (one result is required)",
            api.results.add_results_for_cases, run["id"], [])
    refused(400, "Field :results.status_id uses an invalid status (Untested).",
            api.results.add_results_for_cases, run["id"], [{"case_id": a, "status_id": 3}])
    refused(400, "Field :status_id uses an invalid status (Untested).",
            api.results.add_result, ta["id"], status_id=3)
    refused(400, "No (active) test found for the run/case combination.",
            api.results.add_result_for_case, run["id"], c, status_id=1)
    refused(400, "Field :test_id is not a valid test.", api.results.add_result, 999999, status_id=1)
    refused(400, "Field :run_id is not a valid test run.",
            api.results.add_results_for_cases, 999999, [{"case_id": a, "status_id": 1}])
    assert api.results.get_results_for_run(run["id"])["size"] == before


def test_configurations_and_plans(lab, cases):
    api, pid = lab.api, lab.project_id
    a, b, c = cases

    browsers = api.configurations.add_config_group(pid, "Browsers")
    assert (browsers["name"], browsers["project_id"], browsers["configs"]) == ("Browsers", pid, [])
    chrome = api.configurations.add_config(browsers["id"], "Chrome")
    firefox = api.configurations.add_config(browsers["id"], "Firefox")
    assert (chrome["name"], chrome["group_id"]) == ("Chrome", browsers["id"])
    systems = api.configurations.add_config_group(pid, "Operating systems")
    linux = api.configurations.add_config(systems["id"], "Linux")
    windows = api.configurations.add_config(systems["id"], "Windows")
    groups = api.configurations.get_configs(pid)
    assert [(g["name"], [x["name"] for x in g["configs"]]) for g in groups] == \
        [("Browsers", ["Chrome", "Firefox"]), ("Operating systems", ["Linux", "Windows"])]
    refused(400, "Field :config_group_id is not a valid configuration group.",
            api.configurations.add_config, 999999, "Safari")

    # A plan with an entry for one configuration; add_run_to_plan_entry adds a second.
    plan = api.plans.add_plan(pid, "Release 4", description="Browsers", entries=[{
        "suite_id": lab.suite_id, "name": "Web", "include_all": True,
        "config_ids": [chrome["id"], linux["id"]],
        "runs": [{"config_ids": [chrome["id"], linux["id"]]}],
    }])
    assert plan["name"] == "Release 4" and plan["is_completed"] is False
    [web] = plan["entries"]
    assert isinstance(web["id"], str) and web["name"] == "Web"
    [chrome_run] = web["runs"]
    grown = api.plans.add_run_to_plan_entry(plan["id"], web["id"], [firefox["id"], linux["id"]],
                                            include_all=False, case_ids=[a])
    web = next(e for e in grown["entries"] if e["id"] == web["id"])
    _, firefox_run = web["runs"]
    assert (chrome_run["config"], chrome_run["config_ids"]) == ("Chrome, Linux", [chrome["id"], linux["id"]])
    assert (firefox_run["config"], firefox_run["config_ids"]) == ("Firefox, Linux", [firefox["id"], linux["id"]])
    for r in web["runs"]:
        assert (r["plan_id"], r["entry_id"], r["name"]) == (plan["id"], web["id"], "Web")
    assert case_ids_of(api, chrome_run["id"]) == sorted(cases)
    assert case_ids_of(api, firefox_run["id"]) == [a]
    refused(400, "Field :config_ids specifies the same configuration combination more than once.",
            api.plans.add_run_to_plan_entry, plan["id"], web["id"], [firefox["id"], linux["id"]])
    plan = api.plans.get_plan(plan["id"])
    assert plan["untested_count"] == 4
    listed = api.plans.get_plans(pid)["plans"]
    assert [p["id"] for p in listed] == [plan["id"]] and "entries" not in listed[0]
    assert api.runs.get_runs(pid)["runs"] == []  # plan runs are not standalone runs

    # Runs of a plan go through the plan routes.
    refused(400, "Field :run_id is part of a test run. Please use API endpoints for test plan entries.",
            api.runs.update_run, chrome_run["id"], name="x")
    refused(403, "This operation is not allowed. The test run belongs to a test plan and cannot be closed independently.",
            api.runs.close_run, chrome_run["id"])

    # An entry without configurations; add_plan_entry answers the entry.
    entry = api.plans.add_plan_entry(plan["id"], lab.suite_id, name="API", include_all=False,
                                     case_ids=[a, b])
    assert isinstance(entry["id"], str) and entry["name"] == "API" and len(entry["runs"]) == 1
    api_run = entry["runs"][0]
    assert (api_run["entry_id"], api_run["config"], api_run["config_ids"]) == (entry["id"], None, [])
    assert case_ids_of(api, api_run["id"]) == sorted([a, b])
    # update_plan_entry replaces the selection of the entry's runs and answers the entry.
    entry = api.plans.update_plan_entry(plan["id"], entry["id"], name="API v2", include_all=False,
                                        case_ids=[c])
    assert entry["name"] == "API v2" and [r["name"] for r in entry["runs"]] == ["API v2"]
    assert case_ids_of(api, api_run["id"]) == [c]
    refused(400, "Field :run_id is a test plan entry. Please use update_plan_entry instead.",
            api.plans.update_run_in_plan_entry, api_run["id"], description="x")

    # One more run in the configured entry, then one edited; both answer the plan.
    grown = api.plans.add_run_to_plan_entry(plan["id"], web["id"], [chrome["id"], windows["id"]],
                                            include_all=False, case_ids=[b])
    web_now = next(e for e in grown["entries"] if e["id"] == web["id"])
    assert [r["config"] for r in web_now["runs"]] == ["Chrome, Linux", "Firefox, Linux", "Chrome, Windows"]
    extra = web_now["runs"][2]
    assert case_ids_of(api, extra["id"]) == [b]
    edited = api.plans.update_run_in_plan_entry(extra["id"], description="only refunds",
                                                include_all=False, case_ids=[b, c])
    assert "entries" in edited
    assert api.runs.get_run(extra["id"])["description"] == "only refunds"
    assert case_ids_of(api, extra["id"]) == sorted([b, c])

    # Results in plan runs add up in the plan.
    api.results.add_results_for_cases(chrome_run["id"], [{"case_id": a, "status_id": 1},
                                                        {"case_id": b, "status_id": 5}])
    api.results.add_result_for_case(api_run["id"], c, status_id=1)
    counted = api.plans.get_plan(plan["id"])
    assert (counted["passed_count"], counted["failed_count"]) == (2, 1)

    # Removing a run from an entry, then an entry.
    assert api.plans.delete_run_from_plan_entry(extra["id"]) is None
    refused(400, "Field :run_id is not a valid test run.", api.runs.get_run, extra["id"])
    assert api.plans.delete_plan_entry(plan["id"], entry["id"]) is None
    refused(400, "Field :run_id is not a valid test run.", api.runs.get_run, api_run["id"])
    after = api.plans.get_plan(plan["id"])
    assert [e["id"] for e in after["entries"]] == [web["id"]]
    assert [r["id"] for r in after["entries"][0]["runs"]] == [chrome_run["id"], firefox_run["id"]]
    assert (after["passed_count"], after["failed_count"]) == (1, 1)

    # close_plan closes every run; then nothing more is written to them or to the plan.
    closed = api.plans.close_plan(plan["id"])
    assert closed["is_completed"] is True and isinstance(closed["completed_on"], int)
    assert all(r["is_completed"] is True for e in closed["entries"] for r in e["runs"])
    refused(403, RUN_CLOSED, api.results.add_result_for_case, chrome_run["id"], c, status_id=1)
    refused(403, PLAN_CLOSED, api.plans.close_plan, plan["id"])
    refused(403, PLAN_CLOSED, api.plans.add_plan_entry, plan["id"], lab.suite_id)

    assert api.plans.delete_plan(plan["id"]) is None
    refused(400, "Field :plan_id is not a valid test plan.", api.plans.get_plan, plan["id"])
    refused(400, "Field :run_id is not a valid test run.", api.runs.get_run, chrome_run["id"])
    assert api.plans.get_plans(pid)["plans"] == []


def test_plan_entry_config_ids_are_the_union_of_its_runs(lab, cases):
    """add_plan as TestRail documents it: an entry's `config_ids` lists every configuration its
    runs use (several of one group), each run picks one per group."""
    api, pid = lab.api, lab.project_id
    browsers = api.configurations.add_config_group(pid, "Browsers")
    chrome = api.configurations.add_config(browsers["id"], "Chrome")
    firefox = api.configurations.add_config(browsers["id"], "Firefox")
    plan = api.plans.add_plan(pid, "Release 5", entries=[{
        "suite_id": lab.suite_id, "include_all": True,
        "config_ids": [chrome["id"], firefox["id"]],
        "runs": [{"config_ids": [chrome["id"]]},
                 {"config_ids": [firefox["id"]], "include_all": False, "case_ids": cases[:1]}],
    }])
    [entry] = plan["entries"]
    assert [(r["config"], r["config_ids"]) for r in entry["runs"]] == \
        [("Chrome", [chrome["id"]]), ("Firefox", [firefox["id"]])]
    assert [len(api.tests.get_tests_bulk(r["id"])) for r in entry["runs"]] == [3, 1]
    # add_plan_entry takes the same union.
    added = api.plans.add_plan_entry(plan["id"], lab.suite_id, name="Again",
                                     config_ids=[chrome["id"], firefox["id"]],
                                     runs=[{"config_ids": [chrome["id"]]}, {"config_ids": [firefox["id"]]}])
    assert [r["config"] for r in added["runs"]] == ["Chrome", "Firefox"]
