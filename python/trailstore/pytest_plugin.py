"""A pytest plugin that records every test's outcome as a result in a trailstore run, offline.

Off unless asked: ``pytest --trailstore=STORE --trailstore-project P`` turns it on (the store in
the same argument: pytest picks its root directory, which the automation ids depend on, from
the arguments that are existing paths before it knows the plugins' options). Each test that
ends is recorded as ``trailstore junit`` would record pytest's own JUnit report of it (the same
automation ids, sections, statuses, comments and elapsed times), through the core's
``Store.record``; ``trailstore push`` later sends the run to TestRail. The plugin never opens a
socket.

* ``@pytestrail.case('C123')`` (pytest-testrail's marker ``testrail(ids=...)``) gives a test its
  case ids; ``@pytestrail.defect('BUG-1')`` (``testrail_defects(defect_ids=...)``) its result's
  defects. The markers are recognised by name, so pytest-testrail need not be installed, and
  :data:`pytestrail` here makes the same markers.
* Any other test is matched by automation id ``classname.name`` as pytest's JUnit report writes
  them (``tests.test_shop.TestCart.test_total[eur]``), and its case is created when missing.
* Under pytest-xdist only the controller writes, from the reports its workers send; with reruns
  (pytest-rerunfailures) the last attempt is the one recorded.
* Tests are written in small groups as the session goes (every ``FLUSH_TESTS`` tests or
  ``FLUSH_SECONDS`` seconds, and at the end), each group in one transaction: the first group
  adds the run, the later ones add their cases to it.
"""

from __future__ import annotations

import datetime
import os
import re
import time
from typing import Any, Dict, Generator, List, Optional, Tuple

import pytest

__all__ = ["pytestrail", "FLUSH_TESTS", "FLUSH_SECONDS"]

#: How many ended tests are written together at most.
FLUSH_TESTS = 100
#: How long an ended test waits at most before it is written.
FLUSH_SECONDS = 2.0

# pytest-testrail 3.1.1's marker names (pytest_testrail/plugin.py TESTRAIL_PREFIX and
# TESTRAIL_DEFECTS_PREFIX) and the keyword arguments its decorators set.
CASE_MARKER = "testrail"
DEFECTS_MARKER = "testrail_defects"

# The report attributes the plugin adds; plain JSON values, so pytest-xdist carries them from
# a worker to the controller with the report.
_CASE_IDS = "trailstore_case_ids"
_DEFECTS = "trailstore_defects"

# pytest outcomes and the keys of the core's status map.
_STATUS_KEYS = {"passed": "passed", "failed": "failure", "skipped": "skipped", "error": "error"}


class pytestrail:
    """pytest-testrail's decorators, making the same markers, for suites without that package::

    @pytestrail.case("C123")
    @pytestrail.defect("BUG-1")
    def test_refund() -> None: ...
    """

    @staticmethod
    def case(*ids: str) -> pytest.MarkDecorator:
        """Marks a test with TestRail case ids (``"C123"``)."""
        return getattr(pytest.mark, CASE_MARKER)(ids=ids)

    @staticmethod
    def defect(*defect_ids: str) -> pytest.MarkDecorator:
        """Marks a test with defect ids, recorded in its result's ``defects``."""
        return getattr(pytest.mark, DEFECTS_MARKER)(defect_ids=defect_ids)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("trailstore", "recording results in a trailstore store, offline")
    group.addoption("--trailstore", metavar="STORE", default=None,
                    help="record every test's outcome in a run of this store (turns the plugin on)")
    group.addoption("--trailstore-project", metavar="NAME|ID", default=None,
                    help="the project, by name or id (required with --trailstore)")
    group.addoption("--trailstore-suite", metavar="NAME|ID", default=None,
                    help="the suite (multi-suite projects)")
    group.addoption("--trailstore-run", metavar="NAME", default=None,
                    help="the new run's name (default: 'Automated Run <UTC date and time>')")
    group.addoption("--trailstore-run-id", metavar="ID", type=int, default=None,
                    help="record into this existing run instead of a new one")
    group.addoption("--trailstore-close", action="store_true", default=False,
                    help="close the run when the session ends")
    group.addoption("--trailstore-version", metavar="VERSION", default=None,
                    help="the version every result records")
    group.addoption("--trailstore-section", metavar="NAME", default=None,
                    help="the section of new cases (default: the junit_suite_name ini value)")
    group.addoption("--trailstore-status", metavar="OUTCOME=ID", action="append", default=[],
                    help="the status an outcome records: passed=1, failed=5, skipped=4 and "
                         "error=5 unless changed (repeatable; also the trailstore_statuses ini)")
    parser.addini("trailstore_statuses", type="args", default=[],
                  help="OUTCOME=ID pairs, as --trailstore-status")


def pytest_configure(config: pytest.Config) -> None:
    # Registered whatever the options, so that marked suites pass --strict-markers without
    # pytest-testrail.
    config.addinivalue_line("markers", f"{CASE_MARKER}(ids): TestRail case ids of the test")
    config.addinivalue_line("markers", f"{DEFECTS_MARKER}(defect_ids): defects of its result")
    store = config.getoption("trailstore")
    if not store:
        return
    config.pluginmanager.register(_Marks(), "trailstore-marks")
    if hasattr(config, "workerinput"):
        # A pytest-xdist worker: its reports go to the controller, the one writer.
        return
    config.pluginmanager.register(_Recorder(config, store), "trailstore-recorder")


class _Marks:
    """Copies a test's markers onto its reports, where the controller can read them."""

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, Any, None]:
        outcome = yield
        report = outcome.get_result()
        case = item.get_closest_marker(CASE_MARKER)
        defects = item.get_closest_marker(DEFECTS_MARKER)
        setattr(report, _CASE_IDS, [str(i) for i in case.kwargs.get("ids", ())] if case else [])
        setattr(report, _DEFECTS,
                [str(d) for d in defects.kwargs.get("defect_ids", ())] if defects else [])


def _statuses(config: pytest.Config) -> Dict[str, int]:
    out: Dict[str, int] = {}
    pairs = list(config.getini("trailstore_statuses")) + list(
        config.getoption("trailstore_status"))
    for pair in pairs:
        outcome, _, status = str(pair).partition("=")
        key = _STATUS_KEYS.get(outcome.strip())
        if key is None or not status.strip().isdigit() or int(status) < 1:
            raise pytest.UsageError(
                f"--trailstore-status takes OUTCOME=ID with OUTCOME one of passed, failed, "
                f"skipped, error and ID a status id, got {pair!r}")
        out[key] = int(status)
    return out


def _case_ids(marks: List[str]) -> List[int]:
    """Case ids as pytest-testrail reads them: the trailing digits of each (``C123`` → 123)."""
    ids = []
    for m in marks:
        found = re.search(r"[0-9]+$", m)
        if found:
            ids.append(int(found.group()))
    return ids


def _address(nodeid: str) -> Tuple[str, str]:
    """The classname and name pytest's JUnit report gives a test (_pytest/junitxml.py
    ``mangle_test_address``): trcli's automation id is the two joined by a dot."""
    path, bracket, params = nodeid.partition("[")
    names = path.split("::")
    names[0] = re.sub(r"\.py$", "", names[0].replace("/", "."))
    names[-1] += bracket + params
    return ".".join(names[:-1]), names[-1]


class _Test:
    """A test while its phases' reports come in."""

    def __init__(self, report: pytest.TestReport) -> None:
        self.classname, self.name = _address(report.nodeid)
        self.case_ids = _case_ids(getattr(report, _CASE_IDS, []))
        self.defects: List[str] = list(getattr(report, _DEFECTS, []))
        self.outcome = "passed"
        self.detail: Dict[str, str] = {}
        self.elapsed = 0.0
        self.stale = False

    def take(self, report: pytest.TestReport) -> None:
        self.elapsed += report.duration
        if self.outcome != "passed":
            return
        if report.failed:
            # A failing setup or teardown is an error, as pytest's JUnit report says.
            self.outcome = "failure" if report.when == "call" else "error"
            crash = getattr(report.longrepr, "reprcrash", None)
            message = getattr(crash, "message", None) if crash is not None else None
            if report.when != "call":
                message = f"failed on {report.when} with \"{message or ''}\""
            self.detail = {"message": message or "", "text": str(report.longrepr)}
        elif report.skipped:
            self.outcome = "skipped"
            if hasattr(report, "wasxfail"):
                reason = str(report.wasxfail)
                reason = reason[len("reason: "):] if reason.startswith("reason: ") else reason
                self.detail = {"type": "pytest.xfail", "message": reason}
            elif isinstance(report.longrepr, tuple):
                path, line, reason = report.longrepr
                reason = reason[len("Skipped: "):] if reason.startswith("Skipped: ") else reason
                self.detail = {"type": "pytest.skip", "message": reason,
                               "text": f"{path}:{line}: {reason}"}

    def to_json(self, version: Optional[str]) -> Dict[str, Any]:
        fields: Dict[str, Any] = {}
        if version:
            fields["version"] = version
        if self.defects:
            fields["defects"] = ", ".join(self.defects)
        return {"name": self.name, "classname": self.classname, "case_ids": self.case_ids,
                # Milliseconds, as pytest's JUnit report writes `time`.
                "outcome": self.outcome, **self.detail, "elapsed": round(self.elapsed, 3),
                "result_fields": fields}


class _Recorder:
    """The controller's writer: gathers ended tests and records them in groups."""

    def __init__(self, config: pytest.Config, path: str) -> None:
        import trailstore

        project = config.getoption("trailstore_project")
        if not project:
            raise pytest.UsageError("--trailstore needs --trailstore-project NAME|ID")
        run_name = config.getoption("trailstore_run")
        self.run_id: Optional[int] = config.getoption("trailstore_run_id")
        if run_name is not None and self.run_id is not None:
            raise pytest.UsageError(
                "give --trailstore-run (a new run's name) or --trailstore-run-id, not both")
        suite = config.getoption("trailstore_suite")
        self.base: Dict[str, Any] = {
            "project": project,
            "suite": int(suite) if suite and suite.isdigit() else suite,
            "section": config.getoption("trailstore_section") or config.getini("junit_suite_name"),
            "statuses": _statuses(config),
        }
        self.name = run_name or datetime.datetime.now(datetime.timezone.utc).strftime(
            "Automated Run %d-%m-%Y %H:%M:%S")
        self.close = bool(config.getoption("trailstore_close"))
        self.version: Optional[str] = config.getoption("trailstore_version")
        self.store = trailstore.Store(os.fspath(path))
        self.path = self.store.path
        self.running: Dict[str, _Test] = {}
        self.ended: List[_Test] = []
        self.last_flush = time.monotonic()
        self.recorded = 0
        self.error: Optional[BaseException] = None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.error is not None:
            return
        test = self.running.get(report.nodeid)
        if test is None or (test.stale and report.when == "setup"):
            test = self.running[report.nodeid] = _Test(report)
        # pytest types outcome without "rerun", which pytest-rerunfailures sets on the attempt
        # it runs again: the rest of that attempt's reports are ignored, the next one counts.
        if str(report.outcome) == "rerun":
            test.stale = True
        if test.stale:
            return
        test.take(report)
        if report.when == "teardown":
            self.ended.append(self.running.pop(report.nodeid))
            if (len(self.ended) >= FLUSH_TESTS
                    or time.monotonic() - self.last_flush >= FLUSH_SECONDS):
                self.flush(final=False)

    def flush(self, final: bool) -> None:
        import trailstore

        self.last_flush = time.monotonic()
        close = final and self.close
        if not self.ended and not (close and self.run_id is not None):
            return
        try:
            if not self.ended:
                self.store.call(f"close_run/{self.run_id}", {})
                return
            recording = dict(self.base, close_run=close,
                             tests=[t.to_json(self.version) for t in self.ended])
            if self.run_id is None:
                recording["name"] = self.name
            else:
                recording["run_id"] = self.run_id
            report = self.store.record(recording)
        except trailstore.Error as e:
            # Nothing of this group was written; the later tests are not recorded either, and
            # the session fails with the store's message.
            self.error = e
            return
        self.run_id = report["run_id"]
        self.recorded += report["results_added"]
        self.ended = []

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.error is None:
            self.flush(final=True)
        self.store.close()
        if self.error is not None:
            # Above the tests' own failures: a run recorded only in part must not go unseen.
            session.exitstatus = pytest.ExitCode.INTERNAL_ERROR

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.error is not None:
            terminalreporter.write_line(
                f"trailstore: recording stopped, {self.error}", red=True, bold=True)
        if self.run_id is not None:
            terminalreporter.write_line(
                f"trailstore: {self.recorded} results in run R{self.run_id} of {self.path}")
