"""The pytest-testrail 3.1.1 plugin, unmodified, reporting a small pytest project to
`trailstore serve` on a fresh store; every check reads the server's state back."""
import os
import pathlib
import subprocess
import sys

import pytest

from conftest import KEY, USER

PROJECT = pathlib.Path(__file__).parent / "shop_project"


class Shop:
    def __init__(self, lab, cases):
        self.lab = lab
        self.api = lab.api
        self.cases = cases  # pytest test name -> case

    def case_id(self, name):
        return self.cases[name]["id"]


@pytest.fixture()
def shop(lab):
    section = lab.api.sections.add_section(lab.project_id, "Shop")
    cases = {name: lab.api.cases.add_case(section["id"], title)
             for name, title in [("test_pay_by_card", "Pay by card"),
                                 ("test_refund", "Refund an order"),
                                 ("test_gift_card", "Redeem a gift card")]}
    return Shop(lab, cases)


def run_pytest(shop, *args):
    """The project's tests in their own pytest, with the clients venv's python and plugin."""
    env = dict(os.environ,
               SHOP_CASE_PAY=str(shop.case_id("test_pay_by_card")),
               SHOP_CASE_REFUND=str(shop.case_id("test_refund")),
               SHOP_CASE_GIFT=str(shop.case_id("test_gift_card")),
               PYTHONDONTWRITEBYTECODE="1")
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs", "--testrail",
           "--tr-url", shop.lab.served.url, "--tr-email", USER, "--tr-password", KEY, *args]
    out = subprocess.run(cmd, cwd=PROJECT, capture_output=True, text=True, env=env, timeout=120)
    # One test fails by design, so pytest exits 1; anything else is a broken run.
    assert out.returncode == 1, out.stdout + out.stderr
    return out.stdout


def latest_results(shop, run_id):
    """Per pytest test name whose case is in the run: the test, and its results."""
    by_case = {t["case_id"]: t for t in shop.api.tests.get_tests_bulk(run_id)}
    found = {}
    for name, case in shop.cases.items():
        if case["id"] in by_case:
            test = by_case[case["id"]]
            found[name] = (test, shop.api.results.get_results(test["id"])["results"])
    return found


def check_reported(shop, run_id, names):
    """The plugin's mapping: passed 1, failed 5, skipped inside the test 2 (Blocked), one
    result each, with its comment and `elapsed` rounded up to 1s."""
    found = latest_results(shop, run_id)
    expected_status = {"test_pay_by_card": 1, "test_refund": 5, "test_gift_card": 2}
    for name in names:
        test, results = found[name]
        assert test["status_id"] == expected_status[name], name
        assert len(results) == 1, name
        result = results[0]
        assert (result["status_id"], result["elapsed"], result["defects"]) == \
            (expected_status[name], "1s", None), name
        if name == "test_pay_by_card":
            assert result["comment"] == ""
        elif name == "test_refund":
            assert result["comment"].startswith("# Pytest result: #\n    ")
            assert "the gateway declined the refund" in result["comment"]
        else:
            assert "gift cards are disabled in this region" in result["comment"]
    return found


def test_new_run(shop):
    lab = shop.lab
    out = run_pytest(shop, "--tr-testrun-project-id", str(lab.project_id),
                     "--tr-testrun-suite-id", str(lab.suite_id), "--tr-testrun-name", "Shop nightly")
    assert "1 failed, 1 passed, 1 skipped" in out
    runs = shop.api.runs.get_runs(lab.project_id)["runs"]
    assert [r["name"] for r in runs] == ["Shop nightly"]
    run = shop.api.runs.get_run(runs[0]["id"])
    assert (run["suite_id"], run["include_all"], run["is_completed"], run["description"]) == \
        (lab.suite_id, False, False, "")
    assert (run["passed_count"], run["failed_count"], run["blocked_count"], run["untested_count"]) == \
        (1, 1, 1, 0)
    assert sorted(t["case_id"] for t in shop.api.tests.get_tests_bulk(run["id"])) == \
        sorted(c["id"] for c in shop.cases.values())
    check_reported(shop, run["id"], shop.cases)


def test_existing_run_then_closed(shop):
    lab = shop.lab
    run = shop.api.runs.add_run(lab.project_id, suite_id=lab.suite_id, name="Release 3",
                                include_all=False, case_ids=[c["id"] for c in shop.cases.values()])
    out = run_pytest(shop, "--tr-run-id", str(run["id"]), "--tr-close-on-complete")
    assert "1 failed, 1 passed, 1 skipped" in out
    assert [r["id"] for r in shop.api.runs.get_runs(lab.project_id)["runs"]] == [run["id"]]
    check_reported(shop, run["id"], shop.cases)
    closed = shop.api.runs.get_run(run["id"])
    assert closed["is_completed"] is True

    # The plugin uses a given run only while `is_completed is False`; for a closed one it
    # makes a new run (with --tr-testrun-* for it) and leaves the closed run as it was.
    out = run_pytest(shop, "--tr-run-id", str(run["id"]), "--tr-testrun-project-id",
                     str(lab.project_id), "--tr-testrun-suite-id", str(lab.suite_id),
                     "--tr-testrun-name", "Release 3 rerun")
    runs = shop.api.runs.get_runs(lab.project_id)["runs"]
    assert sorted(r["name"] for r in runs) == ["Release 3", "Release 3 rerun"]
    rerun = next(r for r in runs if r["name"] == "Release 3 rerun")
    check_reported(shop, rerun["id"], shop.cases)
    check_reported(shop, run["id"], shop.cases)  # still one result each


def test_skip_missing_reads_the_runs_tests(shop):
    lab = shop.lab
    # A run without the card payment case: that test must be skipped by pytest, which the
    # plugin decides from `get_tests/R?limit=250&offset=0` (a second `?`); had that request
    # failed, the plugin would have read no tests and skipped all three.
    run = shop.api.runs.add_run(lab.project_id, suite_id=lab.suite_id, name="Refunds only",
                                include_all=False,
                                case_ids=[shop.case_id("test_refund"), shop.case_id("test_gift_card")])
    out = run_pytest(shop, "--tr-run-id", str(run["id"]), "--tr-skip-missing")
    assert "1 failed, 2 skipped" in out
    assert "Test is not present in testrun." in out
    assert [r["id"] for r in shop.api.runs.get_runs(lab.project_id)["runs"]] == [run["id"]]
    found = check_reported(shop, run["id"], ["test_refund", "test_gift_card"])
    assert set(found) == {"test_refund", "test_gift_card"}
    after = shop.api.runs.get_run(run["id"])
    assert (after["failed_count"], after["blocked_count"], after["passed_count"]) == (1, 1, 0)
