"""The pytest plugin (trailstore.pytest_plugin): a small suite run in its own pytest records its
outcomes in a local store (with pytest-xdist, pytest-rerunfailures and pytest-testrail's
markers), opens no socket doing so, and `push` then leaves exactly those results on a served
TestRail (a `trailstore serve` of a store made by `init --server-ids`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest

import trailstore
from trailstore.pytest_plugin import pytestrail

from conftest import BIN, SERVER_USER, Server, serve

SUITE = '''
import os
import pathlib
import time

import pytest

try:
    from pytest_testrail.plugin import pytestrail
except ImportError:
    from trailstore.pytest_plugin import pytestrail

CARD = os.environ["SHOP_CASE_CARD"]
REFUND = os.environ["SHOP_CASE_REFUND"]


@pytest.fixture(autouse=True)
def timed():
    # A test's time is rounded to the millisecond (as pytest's JUnit report writes it), and
    # trcli writes no elapsed for 0.000 s: on a fast machine an empty test takes less than that.
    yield
    time.sleep(0.002)


@pytestrail.case(CARD)
def test_pay_by_card():
    assert 2 + 2 == 4


@pytestrail.case(REFUND)
@pytestrail.defect("SHOP-7", "SHOP-8")
def test_refund():
    answer = 500
    assert answer == 200, "the gateway answered 500"


def test_gift_card():
    pass


@pytest.mark.skip(reason="wallets are switched off")
def test_wallet():
    pass


@pytest.mark.parametrize("currency", ["eur", "usd"])
def test_total(currency):
    assert currency in ("eur", "usd")


class TestCart:
    def test_empty(self):
        assert [] == []


@pytest.fixture
def database():
    raise ConnectionRefusedError("no database here")


def test_orders(database):
    pass


def test_flaky():
    # Fails on its first attempt only: with --reruns 1 its last outcome is a pass.
    marker = pathlib.Path(os.environ["SHOP_FLAKY_MARKER"])
    first = not marker.exists()
    marker.write_text("ran")
    assert not first, "first attempt"
'''

# Loaded in the suite's pytest (and each xdist worker) with -p: logs every socket call made
# from the trailstore package's code, and every connection to the lab's TestRail, which the
# plugin must never make. (Other plugins may use sockets of their own: pytest-rerunfailures
# listens on 127.0.0.1, urllib3 probes for IPv6.)
NETGUARD = '''
import os
import sys

_LOG = os.environ["NETGUARD_LOG"]
_PORT = int(os.environ["NETGUARD_PORT"])


def _from_trailstore():
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_globals.get("__name__", "").startswith("trailstore"):
            return True
        frame = frame.f_back
    return False


def _audit(event, args):
    if not event.startswith("socket."):
        return
    to_lab = event == "socket.connect" and len(args) > 1 and isinstance(args[1], tuple) \\
        and len(args[1]) > 1 and args[1][1] == _PORT
    if to_lab or _from_trailstore():
        with open(_LOG, "a") as f:
            f.write(f"{os.getpid()} {event} {args!r}\\n")


sys.addaudithook(_audit)
'''


def connects(trace: Path, port: int) -> List[str]:
    """The connect() calls of an strace log that leave the machine or reach the lab."""
    bad = []
    for line in trace.read_text().splitlines():
        if "connect(" not in line or ("AF_INET" not in line and "AF_INET6" not in line):
            continue
        loopback = 'inet_addr("127.' in line or '"::1"' in line
        if not loopback or f"htons({port})" in line:
            bad.append(line)
    return bad


#: What each test of SUITE records: title -> (status, comment start, defects).
EXPECTED: Dict[str, Tuple[int, str, Optional[str]]] = {
    "Pay by card": (1, "", None),
    "Refund an order": (5, "Message: AssertionError: the gateway answered 500", "SHOP-7, SHOP-8"),
    "Redeem a gift card": (1, "", None),
    "test_wallet": (4, "Type: pytest.skip\nMessage: wallets are switched off\nText: ", None),
    "test_total[eur]": (1, "", None),
    "test_total[usd]": (1, "", None),
    "test_empty": (1, "", None),
    "test_orders": (5, 'Message: failed on setup with "ConnectionRefusedError: no database', None),
    "test_flaky": (1, "", None),
}

#: The automation ids of the cases the plugin creates (pytest's JUnit classname.name).
CREATED = {
    "test_wallet": "test_shop.test_wallet",
    "test_total[eur]": "test_shop.test_total[eur]",
    "test_total[usd]": "test_shop.test_total[usd]",
    "test_empty": "test_shop.TestCart.test_empty",
    "test_orders": "test_shop.test_orders",
    "test_flaky": "test_shop.test_flaky",
}


class Lab:
    def __init__(self, server: Server, project_id: int, cases: Dict[str, int], run_id: int):
        self.server = server
        self.project_id = project_id
        self.cases = cases
        self.run_id = run_id


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    """A fresh served TestRail with project "Shop", trcli's automation id field, three cases
    (one with the automation id of an unmarked test) and a run of one of them."""
    folder = tmp_path / "server"
    init = subprocess.run(
        [str(BIN), "--store", str(folder), "init", "--server-ids", "--user-name", "Harness",
         "--user-email", SERVER_USER], capture_output=True, text=True)
    assert init.returncode == 0, init.stderr
    for server in serve(folder, tmp_path / "server-stderr.txt"):
        project = server.request("add_project", {"name": "Shop", "suite_mode": 1})
        server.request("add_case_field", {
            "type": "String", "name": "automation_id", "label": "Automation ID",
            "include_all": True,
            "configs": [{"context": {"is_global": True, "project_ids": None},
                         "options": {"is_required": False, "default_value": ""}}]})
        section = server.request(f"add_section/{project['id']}", {"name": "Checkout"})
        cases = {
            title: server.request(f"add_case/{section['id']}", dict(title=title, **extra))["id"]
            for title, extra in [("Pay by card", {}), ("Refund an order", {}),
                                 ("Redeem a gift card",
                                  {"custom_automation_id": "test_shop.test_gift_card"})]}
        run = server.request(f"add_run/{project['id']}", {
            "name": "Release 2", "include_all": False, "case_ids": [cases["Pay by card"]]})
        yield Lab(server, project["id"], cases, run["id"])


@pytest.fixture
def local(tmp_path: Path, lab: Lab, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A store that pulled the lab, closed again (the suite's pytest opens it)."""
    for var in ("TESTRAIL_URL", "TESTRAIL_USER", "TESTRAIL_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))
    folder = tmp_path / "local"
    with trailstore.Store(folder) as store:
        store.pull(**lab.server.credentials())
    return folder


def run_suite(tmp_path: Path, lab: Lab, *args: str, expect: int = 1) -> Tuple[str, List[str]]:
    """SUITE in its own pytest (this venv's); answers its output and the sockets it touched."""
    project = tmp_path / "shop"
    project.mkdir(exist_ok=True)
    (project / "test_shop.py").write_text(SUITE)
    (project / "netguard.py").write_text(NETGUARD)
    (project / "pytest.ini").write_text("[pytest]\n")
    log = tmp_path / "net.log"
    log.write_text("")
    marker = tmp_path / "flaky-marker"
    marker.unlink(missing_ok=True)
    nowhere = "http://127.0.0.1:9"
    port = int(lab.server.url.rsplit(":", 1)[1].strip("/"))
    env = dict(os.environ, NETGUARD_PORT=str(port),
               SHOP_CASE_CARD=f"C{lab.cases['Pay by card']}",
               SHOP_CASE_REFUND=f"C{lab.cases['Refund an order']}",
               SHOP_FLAKY_MARKER=str(marker), NETGUARD_LOG=str(log),
               HTTP_PROXY=nowhere, HTTPS_PROXY=nowhere, ALL_PROXY=nowhere, NO_PROXY="",
               PYTHONPATH=str(project), PYTHONDONTWRITEBYTECODE="1")
    cmd = [sys.executable, "-m", "pytest", "-p", "netguard", "-p", "no:cacheprovider", "-rA",
           *args]
    # Where strace is at hand, every connect() of the session and its workers, native code's
    # included, is seen too.
    trace = tmp_path / "connects.strace"
    strace = shutil.which("strace")
    if strace:
        cmd = [strace, "-f", "-qq", "-e", "trace=connect", "-e", "signal=none", "-o", str(trace),
               *cmd]
    out = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == expect, out.stdout + out.stderr
    if expect == 1:
        assert "trailstore: recording stopped" not in out.stdout, out.stdout
    sockets = [line for line in log.read_text().splitlines() if line]
    if strace:
        sockets += connects(trace, port)
    return out.stdout + out.stderr, sockets


def recorded(store: trailstore.Store, run_id: int) -> Dict[str, Tuple[int, str, Optional[str]]]:
    """Per test title of the run: its latest result's status, comment and defects."""
    tests = {t["id"]: t for t in store.tests.get_tests_bulk(run_id)}
    out: Dict[str, Tuple[int, str, Optional[str]]] = {}
    for test in tests.values():
        results = store.results.get_results(test["id"])["results"]
        if results:
            r = results[0]
            assert test["status_id"] == r["status_id"]
            out[test["title"]] = (r["status_id"], r["comment"] or "", r["defects"])
    return out


def check(got: Dict[str, Tuple[int, str, Optional[str]]]) -> None:
    assert sorted(got) == sorted(EXPECTED)
    for title, (status, comment, defects) in EXPECTED.items():
        g_status, g_comment, g_defects = got[title]
        assert (g_status, g_defects) == (status, defects), title
        assert g_comment.startswith(comment), (title, g_comment)
        if comment.startswith("Message:"):
            # The failure's text (pytest's report of it) follows its message.
            assert "\nText: " in g_comment and "test_shop.py" in g_comment, g_comment


def the_run(store: trailstore.Store, project_id: int, name: str) -> Dict[str, Any]:
    runs = [r for r in store.runs.get_runs(project_id)["runs"] if r["name"] == name]
    assert len(runs) == 1, runs
    return runs[0]


def results_on(server: Server, run_id: int) -> Dict[str, Tuple[int, str, Optional[str]]]:
    """recorded() of a served run, read over HTTP; every test has exactly one result."""
    out: Dict[str, Tuple[int, str, Optional[str]]] = {}
    for test in server.get_all(f"get_tests/{run_id}", "tests"):
        results = server.get_all(f"get_results/{test['id']}", "results")
        assert len(results) == 1, (test["title"], results)
        r = results[0]
        out[test["title"]] = (r["status_id"], r["comment"] or "", r["defects"])
    return out


@pytest.mark.parametrize("mode", [
    ["--reruns", "1"],
    ["-n", "2", "--reruns", "1"],
], ids=["reruns", "xdist-2-workers"])
def test_a_session_is_recorded_offline_then_pushed(
    tmp_path: Path, lab: Lab, local: Path, mode: List[str]
) -> None:
    output, sockets = run_suite(
        tmp_path, lab, f"--trailstore={local}", "--trailstore-project", "Shop",
        "--trailstore-run", "Nightly", "--trailstore-close", *mode)
    assert sockets == [], "the plugin (or pytest) touched the network"
    if "-n" in mode:
        assert "2 workers [9 items]" in output, output
    # test_flaky passes on its second attempt; test_refund and test_orders fail both.
    assert "3 rerun" in output, output
    assert "trailstore: 9 results in run R" in output, output

    with trailstore.Store(local) as store:
        run = the_run(store, lab.project_id, "Nightly")
        assert run["is_completed"] is True
        got = recorded(store, run["id"])
        check(got)
        cases = {c["title"]: c for c in store.cases.get_cases_bulk(lab.project_id)}
        assert {t: cases[t]["custom_automation_id"] for t in CREATED} == CREATED
        # Cases created by the plugin go to pytest's JUnit testsuite, "pytest", as trcli puts
        # them; the marked and matched ones stay where they are.
        sections = {s["id"]: s["name"] for s in store.sections.get_sections(lab.project_id)
                    ["sections"]}
        assert {sections[cases[t]["section_id"]] for t in CREATED} == {"pytest"}
        assert cases["Redeem a gift card"]["id"] == lab.cases["Redeem a gift card"]
        titles = {t["id"]: t["title"] for t in store.tests.get_tests_bulk(run["id"])}
        elapsed = [(titles[r["test_id"]], r["elapsed"])
                   for r in store.results.get_results_for_run_bulk(run["id"])]
        # Every test that ran took 2 ms to 1 s, which TestRail writes 1s. The skipped one ran no
        # fixture and may have taken under half a millisecond: no elapsed then, as trcli writes.
        assert all(e == "1s" for t, e in elapsed if t != "test_wallet"), elapsed
        assert all(e in ("1s", None) for t, e in elapsed if t == "test_wallet"), elapsed

        report = store.push(**lab.server.credentials())
    assert report["rejected"] == report["conflicts"] == report["blocked"] == 0, report
    served = [r for r in lab.server.get_all(f"get_runs/{lab.project_id}", "runs")
              if r["name"] == "Nightly"]
    assert len(served) == 1 and served[0]["is_completed"] is True
    assert results_on(lab.server, served[0]["id"]) == got


def test_the_same_as_pytests_junit_report_recorded_by_trailstore_junit(
    tmp_path: Path, lab: Lab, local: Path
) -> None:
    """One session, two doors: the plugin into the store, and pytest's own --junitxml report
    recorded by `trailstore junit` into a copy: the unmarked tests' cases, statuses, comments
    and elapsed times agree (the markers are not in a JUnit report)."""
    copy = tmp_path / "copy"
    shutil.copytree(local, copy)
    xml = tmp_path / "report.xml"
    run_suite(tmp_path, lab, f"--trailstore={local}", "--trailstore-project", "Shop",
              "--trailstore-run", "Nightly", f"--junitxml={xml}")
    junit = subprocess.run(
        [str(BIN), "--store", str(copy), "--json", "junit", str(xml), "--project", "Shop",
         "--title", "Nightly"], capture_output=True, text=True)
    assert junit.returncode == 0, junit.stderr

    def unmarked(folder: Path) -> Dict[str, Any]:
        with trailstore.Store(folder) as store:
            run = the_run(store, lab.project_id, "Nightly")
            cases = {c["id"]: c for c in store.cases.get_cases_bulk(lab.project_id)}
            out = {}
            for test in store.tests.get_tests_bulk(run["id"]):
                automation_id = cases[test["case_id"]]["custom_automation_id"]
                if not automation_id:
                    continue
                r = store.results.get_results(test["id"])["results"][0]
                out[automation_id] = (test["title"], r["status_id"], r["comment"], r["elapsed"])
            return out

    plugin, from_junit = unmarked(local), unmarked(copy)
    assert len(plugin) == 7, plugin  # every test but the two marked ones
    # In the JUnit report the marked tests are unmarked: they got cases of their own there.
    assert {k: from_junit[k] for k in plugin} == plugin
    assert len(from_junit) == 9


def test_an_existing_run_with_options_and_no_pytest_testrail(
    tmp_path: Path, lab: Lab, local: Path
) -> None:
    # pytest-testrail made unimportable: the suite falls back to trailstore's decorators.
    shadow = tmp_path / "shop" / "pytest_testrail"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('pytest-testrail is not installed')\n")
    run_suite(tmp_path, lab, f"--trailstore={local}", "--trailstore-project",
              str(lab.project_id), "--trailstore-run-id", str(lab.run_id),
              "--trailstore-version", "2.0.1", "--trailstore-status", "skipped=2",
              "--trailstore-status", "error=4", "-p", "no:pytest-testrail", "--reruns", "1")
    with trailstore.Store(local) as store:
        run = store.runs.get_run(lab.run_id)
        assert run["name"] == "Release 2" and run["is_completed"] is False
        got = recorded(store, lab.run_id)
        assert got["Pay by card"][0] == 1 and got["Refund an order"][2] == "SHOP-7, SHOP-8"
        assert got["test_wallet"][0] == 2
        assert got["test_orders"][0] == 4
        assert got["Refund an order"][0] == 5
        versions = {r["version"] for r in store.results.get_results_for_run_bulk(lab.run_id)}
        assert versions == {"2.0.1"}
        assert len(store.runs.get_runs(lab.project_id)["runs"]) == 1, "no new run"


def journal_size(folder: Path) -> int:
    with trailstore.Store(folder) as store:
        return len(store.journal.entries())


@pytest.mark.parametrize("args, message, code", [
    (["--trailstore-run", "Nightly"], "--trailstore needs --trailstore-project", 4),
    (["--trailstore-project", "Shop", "--trailstore-run", "N", "--trailstore-run-id", "1"],
     "not both", 4),
    (["--trailstore-project", "Shop", "--trailstore-status", "flaky=2"],
     "--trailstore-status takes OUTCOME=ID", 4),
    (["--trailstore-project", "Nope"], 'There is no project named "Nope"', 3),
    # TestRail refuses Untested (3) on a result.
    (["--trailstore-project", "Shop", "--trailstore-status", "error=3"], "status", 3),
], ids=["no-project", "run-and-run-id", "bad-status", "unknown-project", "untested-status"])
def test_bad_options_record_nothing(
    tmp_path: Path, lab: Lab, local: Path, args: List[str], message: str, code: int
) -> None:
    before = journal_size(local)
    output, _ = run_suite(tmp_path, lab, f"--trailstore={local}", *args, expect=code)
    assert message in output, output
    assert journal_size(local) == before


def test_a_marked_case_the_suite_lacks_stops_recording(
    tmp_path: Path, lab: Lab, local: Path
) -> None:
    lab.cases["Pay by card"] = 999999
    before = journal_size(local)
    output, _ = run_suite(tmp_path, lab, f"--trailstore={local}", "--trailstore-project",
                          "Shop", "--reruns", "1", expect=3)
    assert "trailstore: recording stopped, Nonexistent case IDs found in the report file: " \
        "C999999" in output, output
    assert journal_size(local) == before


def test_off_unless_asked(tmp_path: Path, lab: Lab, local: Path) -> None:
    before = journal_size(local)
    output, _ = run_suite(tmp_path, lab, "--reruns", "1")
    assert "trailstore:" not in output
    assert journal_size(local) == before


def test_its_markers_are_pytest_testrails() -> None:
    from pytest_testrail.plugin import pytestrail as theirs

    assert pytestrail.case("C1", "C2").mark == theirs.case("C1", "C2").mark
    assert pytestrail.defect("BUG-1").mark == theirs.defect("BUG-1").mark


def test_the_entry_point_names_the_plugin() -> None:
    from importlib.metadata import entry_points

    found = [e for e in entry_points(group="pytest11") if e.value == "trailstore.pytest_plugin"]
    assert [e.name for e in found] == ["trailstore"]
