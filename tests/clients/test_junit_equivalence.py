"""`trailstore junit` + `trailstore push` leaves a TestRail server as trcli 1.15.3 `parse_junit`
run directly against it would: for the same report and the same server state, (a) trcli
against served store A, and (b) `trailstore junit` into an offline store that pulled from served
store B (A's twin), then `trailstore push` to B, leave A and B equal in sections, cases, runs,
tests, statuses, comments, elapsed times and attachments (compared by names; ids may differ)."""
import datetime
import json
import os
import pathlib
import subprocess

import pytest
from testrail_api import TestRailAPI as Client

from conftest import BIN, KEY, USER, VENV_BIN, _serve

JUNIT = pathlib.Path(__file__).parent / "junit"
REPORT = JUNIT / "equivalence.xml"


def served_store(tmp_path, name):
    """A fresh TestRail (`init --server-ids`, so that a pull takes its ids as a server's)
    served over HTTP: the server and the generator that stops it."""
    store = tmp_path / name
    subprocess.run([BIN, "--store", store, "init", "--server-ids", "--user-name", "Harness",
                    "--user-email", USER], check=True, capture_output=True)
    gen = _serve(store)
    return next(gen), gen


def set_up(served):
    """What an admin and earlier work left on the server: the project, trcli's automation id
    field, a case the report matches, a manual case, a run of it and an empty plan."""
    api = Client(served.url, USER, KEY, warn_ignore=True)
    project = api.projects.add_project("Lab", suite_mode=1)
    api.case_fields.add_case_field(
        type="String", name="automation_id", label="Automation ID", include_all=True,
        configs=[{"context": {"is_global": True, "project_ids": None},
                  "options": {"is_required": False, "default_value": ""}}],
    )
    checkout = api.sections.add_section(project["id"], "Checkout")
    api.cases.add_case(checkout["id"], "Pay by card",
                       custom_automation_id="tests.checkout.test_card_payment")
    manual = api.sections.add_section(project["id"], "Manual")
    receipt = api.cases.add_case(manual["id"], "Inspect the receipt printer")
    run = api.runs.add_run(project["id"], name="Release 2", include_all=False,
                           case_ids=[receipt["id"]])
    plan = api.plans.add_plan(project["id"], "Release 3")
    milestone = api.milestones.add_milestone(project["id"], "3.0")
    return api, {"project": project["id"], "run": run["id"], "plan": plan["id"],
                 "milestone": milestone["id"]}


def state(api, project_id):
    """The server's sections, cases, runs (standalone and in plans), tests, results and result
    attachments, by names."""
    sections = {s["id"]: s for s in api.sections.get_sections(project_id)["sections"]}
    section_names = {i: s["name"] for i, s in sections.items()}
    out = {
        "sections": sorted((s["name"], section_names.get(s["parent_id"]), s["depth"])
                           for s in sections.values()),
        "cases": sorted(
            (c["title"], section_names[c["section_id"]], c.get("custom_automation_id"),
             c["refs"], c["priority_id"], c["type_id"], c["template_id"])
            for c in api.cases.get_cases_bulk(project_id)),
    }
    runs = list(api.runs.get_runs(project_id)["runs"])
    plans = []
    for p in api.plans.get_plans(project_id)["plans"]:
        plan = api.plans.get_plan(p["id"])
        plans.append((plan["name"], [(e["name"], [r["name"] for r in e["runs"]])
                                     for e in plan["entries"]]))
        runs += [r for e in plan["entries"] for r in e["runs"]]
    out["plans"] = sorted(plans)
    out["runs"] = {}
    for run in runs:
        run = api.runs.get_run(run["id"])
        tests = {}
        for t in api.tests.get_tests_bulk(run["id"]):
            results = [
                (r["status_id"], r["comment"], r["elapsed"], r["version"], r["defects"],
                 sorted((a["name"], a["size"]) for a in
                        api.attachments.get_attachments_for_test(t["id"])["attachments"]
                        if a["result_id"] == r["id"]))
                for r in api.results.get_results(t["id"])["results"]]
            tests[t["title"]] = (t["status_id"], t.get("custom_automation_id"), results)
        counts = {k: v for k, v in run.items() if k.endswith("_count")}
        out["runs"][run["name"]] = (run["description"], run["include_all"],
                                    run["is_completed"], run["refs"], run["milestone_id"] is not None,
                                    counts, tests)
    return out


def run_trcli(served, tmp_path, *args):
    # A private HOME whose version cache is fresh keeps trcli from asking PyPI
    # (trcli/version_checker.py).
    home = tmp_path / "home"
    (home / ".trcli").mkdir(parents=True, exist_ok=True)
    (home / ".trcli" / "version_cache.json").write_text(json.dumps(
        {"last_check": datetime.datetime.now().isoformat(), "latest_version": "1.15.3"}))
    cmd = [VENV_BIN / "trcli", "-y", "-h", served.url, "--project", "Lab", "-u", USER,
           "-k", KEY, "parse_junit", "-f", REPORT, *args]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=JUNIT, timeout=120,
                         env=dict(os.environ, HOME=str(home)))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "failed to upload" not in (out.stdout + out.stderr).lower(), out.stdout + out.stderr


def trailstore(store, tmp_path, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESTRAIL_")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "no-config")
    out = subprocess.run([BIN, "--store", store, *args], capture_output=True, text=True,
                         cwd=JUNIT, timeout=300, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


@pytest.fixture()
def twins(tmp_path):
    a, stop_a = served_store(tmp_path, "a")
    b, stop_b = served_store(tmp_path, "b")
    yield a, b
    for stop in (stop_a, stop_b):
        next(stop, None)


@pytest.mark.parametrize("options", [
    ["--title", "Nightly"],
    ["--title", "Nightly", "--close-run", "--allow-ms", "--result-fields", "version:2.0.1",
     "--run-description", "From the lab"],
    ["--run-id", "{run}"],
    ["--plan-id", "{plan}", "--title", "Linux"],
    ["--title", "Nightly", "--case-matcher", "name", "--milestone-id", "{milestone}",
     "--case-fields", "priority_id:4"],
], ids=["new-run", "closed-ms-fields", "existing-run", "plan-entry", "name-matcher-milestone"])
def test_junit_then_push_leaves_the_server_as_trcli_does(twins, tmp_path, options):
    a, b = twins
    api_a, ids_a = set_up(a)
    api_b, ids_b = set_up(b)
    assert ids_a == ids_b, "the twins start alike"
    assert state(api_a, ids_a["project"]) == state(api_b, ids_b["project"])
    args = [o.format(**ids_a) for o in options]

    # (a) trcli against A.
    run_trcli(a, tmp_path, *args)

    # (b) offline: pull B, record the report, push to B.
    offline = tmp_path / "offline"
    remote = ["--url", b.url, "--user", USER, "--key", KEY]
    trailstore(offline, tmp_path, "pull", *remote)
    recorded = json.loads(trailstore(offline, tmp_path, "--json", "junit", REPORT,
                                     "--project", "Lab", *args))
    assert recorded["results_added"] == 5
    assert recorded["attachments_added"] == 1
    pushed = json.loads(trailstore(offline, tmp_path, "--json", "push", *remote))
    assert pushed["rejected"] == pushed["conflicts"] == pushed["blocked"] == 0, pushed

    got_a, got_b = state(api_a, ids_a["project"]), state(api_b, ids_b["project"])
    assert got_a == got_b
    # And what they hold is the report, as trcli maps it.
    if "--run-id" in options:
        run_name = "Release 2"
    elif "--plan-id" in options:
        run_name = "Linux"
    else:
        run_name = "Nightly"
    description, include_all, completed, _, milestone, counts, tests = got_b["runs"][run_name]
    assert milestone is ("--milestone-id" in options)
    assert include_all is False
    assert completed is ("--close-run" in options)
    assert tests["test_refund"][0] == 5
    refund = tests["test_refund"][2][0]
    assert refund[:2] == (5, "The gateway was in maintenance\n\nType: AssertionError\n"
                             "Message: expected 200, got 500\n"
                             "Text: refund failed: the gateway answered 500")
    assert refund[4] == "SHOP-7"
    assert refund[5] == [("refund.log", (JUNIT / "attachments" / "refund.log").stat().st_size)]
    if "name" in options:
        # The name matcher finds no case id in these names, so every test gets a new case.
        assert "Pay by card" not in tests
        assert tests["test_card_payment"][2][0][0] == 1
    else:
        assert tests["Pay by card"][2][0][0] == 1, "the existing case was matched"
    assert tests["test_gift_card"][0] == 4
    assert tests["test_by_title"][2][0][:2] == (5, "Message: the index is missing")
    elapsed = "12.5s" if "--allow-ms" in options else "12s"
    assert tests["test_by_title"][2][0][2] == elapsed
    if "--run-id" in options:
        assert tests["Inspect the receipt printer"][0] == 3
    else:
        assert description.endswith("build: 812\nbranch: release/2")
    priority = 4 if "priority_id:4" in options else 2
    # Only the auto matcher gives the cases it creates an automation id.
    automation_id = None if "name" in options else "tests.checkout.wallets.test_paypal[eu.west]"
    assert ("test_paypal[eu west]", "Checkout", automation_id, None, priority, 7, 1) \
        in got_b["cases"]
    assert ("Search", None, 0) in got_b["sections"]
