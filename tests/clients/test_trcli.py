"""trcli 1.15.3 `parse_junit`, unmodified, against `trailstore serve` on a fresh store: new runs,
an existing run, a closed run, a plan; every check reads the server's state back."""
import datetime
import json
import os
import pathlib
import subprocess

import pytest
import requests
from testrail_api._exception import StatusCodeError

from conftest import KEY, USER, VENV_BIN

REPORT = pathlib.Path(__file__).parent / "junit" / "checkout.xml"
CLOSED = "This operation is not allowed. The test run is already completed."

# Per JUnit test: the status trcli maps it to (passed 1, failure 5, skipped 4), the comment it
# builds ("Type: …\nMessage: …\nText: …" without empty parts) and the elapsed it rounds
# `time` to (2.6 -> 3s, 0.4 -> 1s, 0 -> omitted).
EXPECTED = {
    "test_card_payment": (1, "", "3s"),
    "test_refund": (5, "Type: AssertionError\nMessage: expected 200, got 500\n"
                       "Text: refund failed: the gateway answered 500", "1s"),
    "test_gift_card": (4, "Type: pytest.skip\nMessage: gift cards are disabled", None),
}


@pytest.fixture()
def trcli(lab, tmp_path):
    # trcli asks PyPI for a newer version unless its day-long cache says it asked already
    # (trcli/version_checker.py); a private HOME with a fresh cache keeps the run offline.
    home = tmp_path / "home"
    (home / ".trcli").mkdir(parents=True)
    (home / ".trcli" / "version_cache.json").write_text(json.dumps(
        {"last_check": datetime.datetime.now().isoformat(), "latest_version": "1.15.3"}))
    env = dict(os.environ, HOME=str(home))

    def run(*args):
        cmd = [VENV_BIN / "trcli", "-y", "-h", lab.served.url, "--project", "Lab",
               "-u", USER, "-k", KEY, "parse_junit", "-f", REPORT, *args]
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
        assert out.returncode == 0, out.stdout + out.stderr
        return out.stdout

    return run


def writes_since(lab, seq):
    """What was written after journal entry `seq`, in order, as (route, body), read from
    trailstore's own x_get_journal; and the last entry's number."""
    entries, offset = [], 0
    while True:
        page = requests.get(f"{lab.served.api}x_get_journal&since={seq}&offset={offset}",
                            auth=(USER, KEY), timeout=30).json()
        entries += page["journal"]
        if page["_links"]["next"] is None:
            break
        offset += page["size"]
    last = entries[-1]["seq"] if entries else seq
    return [(e["route"], e["body"]) for e in entries], last


def report_tests(api, run_id):
    """The run's tests of the report's cases, by title."""
    return {t["title"]: t for t in api.tests.get_tests_bulk(run_id) if t["title"] in EXPECTED}


def check_results(api, run_id, uploads=1):
    tests = report_tests(api, run_id)
    assert set(tests) == set(EXPECTED)
    for title, (status, comment, elapsed) in EXPECTED.items():
        test = tests[title]
        assert test["status_id"] == status, title
        assert test["custom_automation_id"] == f"tests.checkout.{title}"
        results = api.results.get_results(test["id"])["results"]
        assert len(results) == uploads, title
        assert (results[0]["status_id"], results[0]["comment"], results[0]["elapsed"]) == \
            (status, comment, elapsed), title
    for_run = api.results.get_results_for_run_bulk(run_id)
    assert {r["test_id"] for r in for_run} <= {t["id"] for t in api.tests.get_tests_bulk(run_id)}


def counts(run):
    return {k: run[k] for k in ("passed_count", "failed_count", "retest_count", "blocked_count",
                                "untested_count")}


def test_new_run_creates_cases_then_matches_them(lab, trcli):
    api = lab.api
    trcli("--title", "Nightly 1")
    runs = api.runs.get_runs(lab.project_id)["runs"]
    assert [r["name"] for r in runs] == ["Nightly 1"]
    run = api.runs.get_run(runs[0]["id"])
    assert (run["suite_id"], run["project_id"], run["include_all"], run["is_completed"]) == \
        (lab.suite_id, lab.project_id, False, False)
    assert (run["plan_id"], run["config_ids"]) == (None, [])
    assert counts(run) == {"passed_count": 1, "failed_count": 1, "retest_count": 1,
                           "blocked_count": 0, "untested_count": 0}
    # The auto matcher made one case per JUnit test, with its automation id, in a section
    # named after the test suite.
    cases = api.cases.get_cases_bulk(lab.project_id)
    assert sorted(c["custom_automation_id"] for c in cases) == \
        sorted(f"tests.checkout.{t}" for t in EXPECTED)
    sections = api.sections.get_sections(lab.project_id)["sections"]
    assert [s["name"] for s in sections] == ["Checkout"]
    assert {c["section_id"] for c in cases} == {sections[0]["id"]}
    tests = api.tests.get_tests_bulk(run["id"])
    assert sorted(t["case_id"] for t in tests) == sorted(c["id"] for c in cases)
    check_results(api, run["id"])

    # A second upload of the same report finds those cases by automation id: no new case,
    # no new section, and the new run tests the same cases.
    trcli("--title", "Nightly 2")
    again = api.cases.get_cases_bulk(lab.project_id)
    assert sorted(c["id"] for c in again) == sorted(c["id"] for c in cases)
    assert len(api.sections.get_sections(lab.project_id)["sections"]) == 1
    runs = api.runs.get_runs(lab.project_id)["runs"]
    assert sorted(r["name"] for r in runs) == ["Nightly 1", "Nightly 2"]
    second = next(r for r in runs if r["name"] == "Nightly 2")
    assert sorted(t["case_id"] for t in api.tests.get_tests_bulk(second["id"])) == \
        sorted(c["id"] for c in cases)
    check_results(api, second["id"])
    check_results(api, run["id"])  # the first run is as it was


def test_existing_run_keeps_its_cases_and_gains_the_reports(lab, trcli):
    api = lab.api
    manual_section = api.sections.add_section(lab.project_id, "Manual")
    manual = api.cases.add_case(manual_section["id"], "Inspect the receipt printer")
    run = api.runs.add_run(lab.project_id, suite_id=lab.suite_id, name="Release 2 regression",
                           include_all=False, case_ids=[manual["id"]])
    assert [t["case_id"] for t in api.tests.get_tests_bulk(run["id"])] == [manual["id"]]

    # trcli reads the run's tests and sends update_run with the union of both selections.
    _, seq = writes_since(lab, 0)
    trcli("--run-id", str(run["id"]))
    writes, _ = writes_since(lab, seq)
    [(_, update)] = [w for w in writes if w[0] == f"update_run/{run['id']}"]
    after = api.runs.get_run(run["id"])
    assert (after["name"], after["include_all"], after["is_completed"]) == \
        ("Release 2 regression", False, False)
    assert counts(after) == {"passed_count": 1, "failed_count": 1, "retest_count": 1,
                             "blocked_count": 0, "untested_count": 1}
    report_cases = [c for c in api.cases.get_cases_bulk(lab.project_id) if c["id"] != manual["id"]]
    assert len(report_cases) == 3
    tests = api.tests.get_tests_bulk(run["id"])
    assert sorted(t["case_id"] for t in tests) == sorted([manual["id"]] + [c["id"] for c in report_cases])
    assert (update["include_all"], sorted(update["case_ids"])) == (False, sorted(t["case_id"] for t in tests))
    manual_test = next(t for t in tests if t["case_id"] == manual["id"])
    assert manual_test["status_id"] == 3
    assert api.results.get_results(manual_test["id"])["results"] == []
    check_results(api, run["id"])
    assert [r["id"] for r in api.runs.get_runs(lab.project_id)["runs"]] == [run["id"]]

    # Again into the same run: the cases are matched, the run keeps its four tests, and each
    # report test has a second result.
    trcli("--run-id", str(run["id"]))
    assert len(api.cases.get_cases_bulk(lab.project_id)) == 4
    assert len(api.tests.get_tests_bulk(run["id"])) == 4
    check_results(api, run["id"], uploads=2)


def test_close_run_then_writes_are_refused(lab, trcli):
    api = lab.api
    trcli("--title", "Nightly closed", "--close-run")
    runs = api.runs.get_runs(lab.project_id)["runs"]
    assert [r["name"] for r in runs] == ["Nightly closed"]
    run = api.runs.get_run(runs[0]["id"])
    # Results first, then the close (trcli sends `{"run_id": R}` with it).
    writes, _ = writes_since(lab, 0)
    routes = [route for route, _ in writes]
    assert routes[-1] == f"close_run/{run['id']}"
    assert f"add_results_for_cases/{run['id']}" in routes
    assert run["is_completed"] is True
    assert isinstance(run["completed_on"], int)
    check_results(api, run["id"])

    tests = report_tests(api, run["id"])
    refund = tests["test_refund"]
    refused = [
        lambda: api.results.add_result(refund["id"], status_id=1),
        lambda: api.results.add_result_for_case(run["id"], refund["case_id"], status_id=1),
        lambda: api.results.add_results_for_cases(run["id"], [{"case_id": refund["case_id"], "status_id": 1}]),
    ]
    for write in refused:
        with pytest.raises(StatusCodeError) as e:
            write()
        assert e.value.status_code == 403
        assert json.loads(e.value.content) == {"error": CLOSED}
    check_results(api, run["id"])  # nothing was added


def test_plan_gets_a_new_entry_with_the_results(lab, trcli):
    api = lab.api
    plan = api.plans.add_plan(lab.project_id, "Release 2", description="Two platforms")
    assert plan["entries"] == []
    trcli("--plan-id", str(plan["id"]), "--title", "Linux nightly")

    plan = api.plans.get_plan(plan["id"])
    assert len(plan["entries"]) == 1
    entry = plan["entries"][0]
    assert isinstance(entry["id"], str) and entry["suite_id"] == lab.suite_id
    assert len(entry["runs"]) == 1
    run = entry["runs"][0]
    assert (run["name"], run["plan_id"], run["entry_id"], run["config_ids"], run["include_all"]) == \
        ("Linux nightly", plan["id"], entry["id"], [], False)
    assert counts(plan) == {"passed_count": 1, "failed_count": 1, "retest_count": 1,
                            "blocked_count": 0, "untested_count": 0}
    assert api.runs.get_run(run["id"])["plan_id"] == plan["id"]
    check_results(api, run["id"])
    # A plan's runs are not standalone runs.
    assert api.runs.get_runs(lab.project_id)["runs"] == []

    # Uploading into that plan run by id, renaming it: trcli finds its entry through get_plan
    # and sends update_plan_entry (the run has a plan and no configurations).
    _, seq = writes_since(lab, 0)
    trcli("--run-id", str(run["id"]), "--title", "Linux nightly, rerun")
    writes, _ = writes_since(lab, seq)
    assert f"update_plan_entry/{plan['id']}/{entry['id']}" in [route for route, _ in writes]
    plan = api.plans.get_plan(plan["id"])
    assert [len(e["runs"]) for e in plan["entries"]] == [1]
    assert (plan["entries"][0]["name"], plan["entries"][0]["runs"][0]["name"]) == \
        ("Linux nightly, rerun", "Linux nightly, rerun")
    assert len(api.tests.get_tests_bulk(run["id"])) == 3
    check_results(api, run["id"], uploads=2)

def test_plan_run_with_a_configuration(lab, trcli):
    api = lab.api
    trcli("--title", "Cases first")  # the report's cases, by trcli's matcher
    cases = {c["title"]: c["id"] for c in api.cases.get_cases_bulk(lab.project_id)}
    group = api.configurations.add_config_group(lab.project_id, "Operating systems")
    linux = api.configurations.add_config(group["id"], "Linux")
    plan = api.plans.add_plan(lab.project_id, "Release 3")
    entry = api.plans.add_plan_entry(
        plan["id"], lab.suite_id, name="Configured", config_ids=[linux["id"]],
        runs=[{"config_ids": [linux["id"]], "include_all": False,
               "case_ids": [cases["test_card_payment"]]}])
    run = entry["runs"][0]
    assert run["config"] == "Linux"

    # A run with a plan and configurations is updated through update_run_in_plan_entry,
    # with the report's cases joined to the run's.
    _, seq = writes_since(lab, 0)
    trcli("--run-id", str(run["id"]))
    writes, _ = writes_since(lab, seq)
    [(_, update)] = [w for w in writes if w[0] == f"update_run_in_plan_entry/{run['id']}"]
    assert sorted(update["case_ids"]) == sorted(cases.values())
    assert sorted(t["case_id"] for t in api.tests.get_tests_bulk(run["id"])) == sorted(cases.values())
    check_results(api, run["id"])
    after = api.runs.get_run(run["id"])
    assert (after["plan_id"], after["config_ids"], after["name"]) == (plan["id"], [linux["id"]], "Configured")
