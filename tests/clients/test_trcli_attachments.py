"""trcli 1.15.3 `parse_junit` with `testrail_attachment` properties, unmodified, against
`trailstore serve`: trcli posts each file to `add_attachment_to_result/{result_id}` after the
results (trcli/api/result_handler.py, up to 10 uploads at once), and the store keeps them on
that result, byte for byte."""
import datetime
import json
import os
import pathlib
import subprocess

import requests

from conftest import KEY, USER, VENV_BIN
from test_trcli import writes_since

JUNIT = pathlib.Path(__file__).parent / "junit"
SCREENSHOT = JUNIT / "attachments" / "refund-failure.png"
LOG = JUNIT / "attachments" / "refund.log"


def report(screenshot, log):
    """A JUnit report whose failing test names two files; trcli opens each path as written,
    so a relative one is resolved from trcli's working directory, not from the report's."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="checkout" tests="2" failures="1" time="1.6">
  <testsuite name="Checkout" tests="2" failures="1" time="1.6">
    <testcase classname="tests.checkout" name="test_card_payment" time="1.2"/>
    <testcase classname="tests.checkout" name="test_refund" time="0.4">
      <properties>
        <property name="testrail_attachment" value="{screenshot}"/>
        <property name="testrail_attachment" value="{log}"/>
      </properties>
      <failure type="AssertionError" message="expected 200, got 500">refund failed: the gateway answered 500</failure>
    </testcase>
  </testsuite>
</testsuites>
"""


def run_trcli(lab, tmp_path, report_file, *args):
    # A private HOME whose version cache is fresh keeps trcli from asking PyPI
    # (trcli/version_checker.py).
    home = tmp_path / "home"
    (home / ".trcli").mkdir(parents=True, exist_ok=True)
    (home / ".trcli" / "version_cache.json").write_text(json.dumps(
        {"last_check": datetime.datetime.now().isoformat(), "latest_version": "1.15.3"}))
    cmd = [VENV_BIN / "trcli", "-y", "-h", lab.served.url, "--project", "Lab", "-u", USER,
           "-k", KEY, "parse_junit", "-f", report_file, *args]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=JUNIT, timeout=120,
                         env=dict(os.environ, HOME=str(home)))
    assert out.returncode == 0, out.stdout + out.stderr
    # trcli exits 0 even when an upload fails; its warning is the only sign.
    assert "failed to upload" not in (out.stdout + out.stderr).lower(), out.stdout + out.stderr
    return out.stdout


def download(lab, attachment_id):
    r = requests.get(f"{lab.served.api}get_attachment/{attachment_id}", auth=(USER, KEY), timeout=30)
    assert r.status_code == 200, r.text
    return r


def test_parse_junit_uploads_result_attachments(lab, tmp_path):
    api = lab.api
    report_file = tmp_path / "report.xml"
    # The screenshot relative to trcli's working directory (JUNIT), the log absolute.
    report_file.write_text(report(SCREENSHOT.relative_to(JUNIT), LOG))
    run_trcli(lab, tmp_path, report_file, "--title", "Nightly with files")

    [run] = api.runs.get_runs(lab.project_id)["runs"]
    tests = {t["title"]: t for t in api.tests.get_tests_bulk(run["id"])}
    refund, payment = tests["test_refund"], tests["test_card_payment"]
    assert refund["status_id"] == 5
    [result] = api.results.get_results(refund["id"])["results"]
    # Both files went to that result, after the results were written.
    writes, _ = writes_since(lab, 0)
    routes = [route for route, _ in writes]
    assert routes[-3:] == [f"add_results_for_cases/{run['id']}"] + \
        [f"add_attachment_to_result/{result['id']}"] * 2
    files = {SCREENSHOT.name: SCREENSHOT.read_bytes(), LOG.name: LOG.read_bytes()}

    # The result names both files; the test lists them with their names and sizes.
    listed = api.attachments.get_attachments_for_test(refund["id"])
    assert (listed["offset"], listed["size"], listed["_links"]["next"]) == (0, 2, None)
    by_name = {a["name"]: a for a in listed["attachments"]}
    assert sorted(by_name) == sorted(files)
    assert sorted(result["attachment_ids"]) == sorted(a["id"] for a in listed["attachments"])
    assert api.attachments.get_attachments_for_test_bulk(refund["id"]) == listed["attachments"]
    for name, data in files.items():
        a = by_name[name]
        assert (a["filename"], a["size"], a["result_id"], a["case_id"], a["project_id"]) == \
            (name, len(data), result["id"], refund["case_id"], lab.project_id)
        assert (a["entity_type"], a["entity_id"]) == ("result", str(result["id"]))
        assert a["is_image"] is (name.endswith(".png"))
        got = download(lab, a["id"])
        assert got.content == data, name
    assert download(lab, by_name[SCREENSHOT.name]["id"]).headers["Content-Type"] == "image/png"

    # The passing test had no file, and its case none either (the files are the result's).
    [passed] = api.results.get_results(payment["id"])["results"]
    assert passed["attachment_ids"] == []
    assert api.attachments.get_attachments_for_test(payment["id"])["attachments"] == []
    assert api.attachments.get_attachments_for_case(refund["case_id"])["attachments"] == []

    # A second upload into the same run: the test's newest result comes first, with its own
    # two files; the first result keeps its two.
    run_trcli(lab, tmp_path, report_file, "--run-id", str(run["id"]))
    newer, older = api.results.get_results(refund["id"])["results"]
    assert older["id"] == result["id"]
    assert sorted(older["attachment_ids"]) == sorted(result["attachment_ids"])
    assert len(newer["attachment_ids"]) == 2
    assert not set(newer["attachment_ids"]) & set(older["attachment_ids"])
    both = api.attachments.get_attachments_for_test_bulk(refund["id"])
    assert [a["result_id"] for a in both] == [newer["id"]] * 2 + [older["id"]] * 2
    for a in both:
        assert download(lab, a["id"]).content == files[a["name"]]
