"""A real `trailstore serve` for the clients: on a store loaded with the sample snapshot, or on a
fresh store made by `trailstore init` and set up through the API as a TestRail admin would."""
import json
import os
import pathlib
import subprocess
import sys

import pytest
from testrail_api import TestRailAPI as Client

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(os.environ.get("TRAILSTORE_BIN", ROOT / "target" / "debug" / "trailstore"))
SAMPLE = ROOT / "tests" / "data" / "sample_snapshot.json"
USER = "harness@example.com"
KEY = "SENTINEL-CLIENT-KEY-51c9"
# run.sh runs this suite with the clients venv's python, which also holds trcli's script.
VENV_BIN = pathlib.Path(sys.executable).parent

# The tiny project that pytest-testrail reports from is run by a test, not collected here.
collect_ignore = ["shop_project"]


class Served:
    def __init__(self, store, proc, port):
        self.store = store
        self.proc = proc
        self.url = f"http://127.0.0.1:{port}/"
        self.api = f"{self.url}index.php?/api/v2/"


def _serve(store):
    env = dict(os.environ, TRAILSTORE_SERVE_KEY=KEY)
    proc = subprocess.Popen(
        [BIN, "--store", store, "serve", "--bind", "127.0.0.1:0", "--user", USER],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True,
    )
    line = proc.stdout.readline()
    port = int(line.split("http://127.0.0.1:")[1].split("/")[0])
    yield Served(store, proc, port)
    proc.terminate()
    out, err = proc.communicate(timeout=10)
    # The key is in no output of the server and in no file of the store.
    assert KEY not in line + out + err
    for f in store.rglob("*"):
        if f.is_file():
            assert KEY.encode() not in f.read_bytes(), f


@pytest.fixture()
def served(tmp_path):
    store = tmp_path / "store"
    subprocess.run([BIN, "--store", store, "import", SAMPLE], check=True, capture_output=True)
    yield from _serve(store)


@pytest.fixture()
def sample():
    return json.loads(SAMPLE.read_text())


@pytest.fixture()
def fresh(tmp_path):
    """A store made by `init` alone: a fresh TestRail whose only user is the harness."""
    store = tmp_path / "fresh"
    subprocess.run([BIN, "--store", store, "init", "--user-name", "Harness", "--user-email", USER],
                   check=True, capture_output=True)
    yield from _serve(store)


class Lab:
    def __init__(self, served, api, project, suite_id):
        self.served = served
        self.api = api
        self.project = project
        self.project_id = project["id"]
        self.suite_id = suite_id


@pytest.fixture()
def lab(fresh):
    """What an admin sets up on a fresh TestRail before automation reports to it: a
    single-suite project and the String field `custom_automation_id`, which trcli's auto case
    matcher requires before it creates cases (trcli/api/api_request_handler.py:128-160, called
    from trcli/api/project_based_client.py:80-85 with -y)."""
    api = Client(fresh.url, USER, KEY, warn_ignore=True)
    project = api.projects.add_project("Lab", announcement="Automation results", suite_mode=1)
    api.case_fields.add_case_field(
        type="String", name="automation_id", label="Automation ID", include_all=True,
        configs=[{"context": {"is_global": True, "project_ids": None},
                  "options": {"is_required": False, "default_value": ""}}],
    )
    suites = api.suites.get_suites(project["id"])["suites"]
    assert len(suites) == 1, "a single-suite project has its one suite"
    return Lab(fresh, api, project, suites[0]["id"])
