"""store.pull, store.push and store.conflicts against a real `trailstore serve` (see conftest)."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

import trailstore
from conftest import SERVER_KEY, Server, files_containing


@pytest.fixture(autouse=True)
def no_ambient_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Credentials only from what each test gives: no TESTRAIL_* and no user config file."""
    for var in ("TESTRAIL_URL", "TESTRAIL_USER", "TESTRAIL_KEY"):
        monkeypatch.delenv(var, raising=False)
    config_home = tmp_path / "xdg-config"
    config_home.mkdir()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config_home))


@pytest.fixture
def local(tmp_path: Path) -> Iterator[trailstore.Store]:
    """An empty local store."""
    store = trailstore.Store(tmp_path / "local")
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def pulled(local: trailstore.Store, server: Server) -> trailstore.Store:
    """The local store after a first pull from the server."""
    local.pull(**server.credentials())
    return local


def served_cases(server: Server) -> Dict[int, Dict[str, Any]]:
    """Every case the server serves, by id, read over HTTP."""
    out: Dict[int, Dict[str, Any]] = {}
    for project in server.get_all("get_projects", "projects"):
        for suite in server.get_all(f"get_suites/{project['id']}", "suites"):
            route = f"get_cases/{project['id']}&suite_id={suite['id']}"
            for case in server.get_all(route, "cases"):
                out[case["id"]] = case
    return out


def local_cases(store: trailstore.Store) -> Dict[int, Dict[str, Any]]:
    out: Dict[int, Dict[str, Any]] = {}
    for project in store.projects.get_projects()["projects"]:
        for suite in store.suites.get_suites_bulk(project["id"]):
            for case in store.cases.get_cases_bulk(project["id"], suite_id=suite["id"]):
                out[case["id"]] = case
    return out


def states(store: trailstore.Store) -> List[str]:
    return [e["push"]["state"] for e in store.journal.entries()]


# -- Pull ---------------------------------------------------------------------------------------


def test_pull_into_a_fresh_store(local: trailstore.Store, server: Server) -> None:
    report = local.pull(server.url, server.user, server.key)
    served = served_cases(server)
    assert len(served) == 327
    assert report["first"] is True
    assert (report["fetched"], report["new"], report["conflicts"]) == (327, 327, 0)
    assert report["requests"] > 0
    assert set(report) == {
        "first", "fetched", "new", "changed", "deleted", "conflicts", "runs", "tests", "results",
        "attachments", "requests",
    }  # fmt: skip
    # Open runs come with their tests (results only when asked for, which Python does not).
    open_runs = server.get_all("get_runs/1&is_completed=0", "runs")
    assert open_runs and report["runs"] >= len(open_runs) and report["results"] == 0
    served_tests = [server.get_all(f"get_tests/{r['id']}", "tests") for r in open_runs]
    assert report["tests"] >= sum(len(tests) for tests in served_tests)
    pulled_runs = local.runs.get_runs_bulk(1, is_completed=0)
    assert [r["id"] for r in pulled_runs] == [r["id"] for r in open_runs]
    # The cases are those served, field for field.
    assert local_cases(local) == served
    assert local.projects.get_projects()["size"] == 2
    assert local.case_fields.get_case_fields() == server.request("get_case_fields")
    # Server state, not local changes; and searchable at once.
    assert local.journal.entries() == []
    assert local.search(1, "saved card", count=True)["total"] > 0
    # The key reached no file of the store.
    assert files_containing(Path(local.path), SERVER_KEY) == []


def test_a_second_pull_is_incremental(pulled: trailstore.Store, server: Server) -> None:
    server.request("update_case/7", {"title": "Changed on the server"})
    server.request("delete_case/8", {})
    report = pulled.pull(**server.credentials())
    assert report["first"] is False
    assert (report["changed"], report["deleted"], report["conflicts"]) == (1, 1, 0)
    assert pulled.cases.get_case(7)["title"] == "Changed on the server"
    with pytest.raises(trailstore.NotFoundError):
        pulled.cases.get_case(8)
    assert local_cases(pulled) == served_cases(server)


def test_pull_with_results_then_record_offline(local: trailstore.Store, server: Server) -> None:
    open_runs = server.get_all("get_runs/1&is_completed=0", "runs")
    served = {
        r["id"]: server.get_all(f"get_results_for_run/{r['id']}", "results") for r in open_runs
    }
    assert any(served.values()), "the sample's open runs should have results"
    report = local.pull(**server.credentials(), results=True)
    assert report["results"] >= sum(len(results) for results in served.values())
    for run_id, results in served.items():
        assert local.results.get_results_for_run_bulk(run_id) == results
    # A harness adds a result to the server's run offline; it waits in the journal for push.
    run = open_runs[0]
    test = local.tests.get_tests(run["id"], limit=1)["tests"][0]
    added = local.results.add_result(test["id"], status_id=5, comment="Offline")
    assert local.tests.get_test(test["id"])["status_id"] == 5
    assert local.results.get_results_for_run(run["id"])["results"][0] == added
    assert [e["route"] for e in local.journal.pending()] == [f"add_result/{test['id']}"]


def upload_to_server(server: Server, route: str, name: str, data: bytes) -> int:
    """POSTs one file as TestRail's multipart ``attachment`` part; returns its attachment id."""
    import base64
    import urllib.request

    boundary = "trailstore-test-boundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="attachment"; '
        f'filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
    token = base64.b64encode(f"{server.user}:{server.key}".encode()).decode()
    req = urllib.request.Request(
        f"{server.url}index.php?/api/v2/{route}",
        data=body,
        headers={
            "Authorization": f"Basic {token}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=30) as answer:
        return int(json.loads(answer.read())["attachment_id"])


def test_pull_with_attachments_brings_the_cases_files(
    local: trailstore.Store, server: Server, tmp_path: Path
) -> None:
    data = bytes(range(256)) * 40
    attachment_id = upload_to_server(server, "add_attachment_to_case/7", "trace.bin", data)
    report = local.pull(**server.credentials(), attachments=True)
    assert report["attachments"] == 1
    served = server.request("get_attachments_for_case/7")["attachments"]
    assert local.attachments.get_attachments_for_case(7)["attachments"] == served
    copy = local.attachments.get_attachment(attachment_id, tmp_path / "copy.bin")
    assert copy.read_bytes() == data
    # Pulled files are server state: nothing waits to be pushed.
    assert local.journal.pending() == []


def test_pull_only_some_projects(local: trailstore.Store, server: Server) -> None:
    report = local.pull(**server.credentials(), projects=[2])
    assert [p["id"] for p in local.projects.get_projects()["projects"]] == [2]
    mobile = [c for c in served_cases(server).values() if c["suite_id"] != 1]
    assert report["fetched"] == len(mobile)
    with pytest.raises(trailstore.RemoteError, match="project 99"):
        local.pull(**server.credentials(), projects=99)


def test_pull_releases_the_gil(local: trailstore.Store, server: Server) -> None:
    done = threading.Event()
    ticks = 0
    result: List[Dict[str, Any]] = []

    def run() -> None:
        result.append(local.pull(**server.credentials()))
        done.set()

    worker = threading.Thread(target=run)
    worker.start()
    while not done.is_set():
        ticks += 1  # runs while the pull works, which it could not if the pull held the GIL
        done.wait(0.001)
    worker.join()
    assert result and result[0]["fetched"] == 327
    assert ticks > 10


# -- Credentials --------------------------------------------------------------------------------


def test_credentials_from_the_environment(
    local: trailstore.Store, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TESTRAIL_URL", server.url)
    monkeypatch.setenv("TESTRAIL_USER", server.user)
    monkeypatch.setenv("TESTRAIL_KEY", server.key)
    assert local.pull()["fetched"] == 327
    local.cases.update_case(3, title="Sent with the environment's key")
    assert local.push()["updated"] == 1
    assert server.request("get_case/3")["title"] == "Sent with the environment's key"


def test_credentials_from_a_private_config_file(
    local: trailstore.Store, server: Server, tmp_path: Path
) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps(server.credentials()), encoding="utf-8")
    os.chmod(config, 0o600)
    assert local.pull(config=config)["fetched"] == 327
    # Arguments win over the file: a wrong key given explicitly is used, and refused.
    with pytest.raises(trailstore.RemoteError):
        local.pull(key="not-the-key", config=config)
    # The default path: $XDG_CONFIG_HOME/trailstore/config.json.
    default = Path(os.environ["XDG_CONFIG_HOME"]) / "trailstore" / "config.json"
    default.parent.mkdir()
    default.write_text(config.read_text(encoding="utf-8"), encoding="utf-8")
    os.chmod(default, 0o600)
    assert local.pull()["first"] is False


def test_a_config_file_others_can_read_is_refused(
    local: trailstore.Store, server: Server, tmp_path: Path
) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps(server.credentials()), encoding="utf-8")
    os.chmod(config, 0o644)
    with pytest.raises(trailstore.ForbiddenError) as info:
        local.pull(config=config)
    assert "chmod 600" in str(info.value)
    assert SERVER_KEY not in str(info.value)


def test_missing_credentials(local: trailstore.Store, server: Server) -> None:
    with pytest.raises(trailstore.BadRequestError, match="TESTRAIL_URL"):
        local.pull()
    with pytest.raises(trailstore.BadRequestError, match="TESTRAIL_KEY"):
        local.push(server.url, server.user)
    with pytest.raises(trailstore.BadRequestError, match="http://"):
        local.pull("ftp://example.invalid/", server.user, server.key)


def test_a_wrong_key_raises_remote_error_without_the_key(
    local: trailstore.Store, server: Server
) -> None:
    wrong = "WRONG-KEY-SENTINEL-9d2f77"
    with pytest.raises(trailstore.RemoteError) as info:
        local.pull(server.url, server.user, wrong)
    err = info.value
    assert type(err) is trailstore.RemoteError and isinstance(err, trailstore.Error)
    assert (err.code, err.name, err.http_status, err.field) == (18, "remote", 502, None)
    assert "401" in str(err) and "Authentication failed" in str(err)
    for text in (str(err), repr(err), repr(err.args)):
        assert wrong not in text and SERVER_KEY not in text
    # Nothing was pulled.
    assert local.projects.get_projects()["size"] == 0

    # Push: refused too, the journal stays pending for the next push.
    local.pull(**server.credentials())
    local.cases.update_case(4, title="Not sent with a wrong key")
    with pytest.raises(trailstore.RemoteError) as pushed:
        local.push(server.url, server.user, wrong)
    assert wrong not in str(pushed.value) and wrong not in repr(pushed.value)
    assert states(local) == ["pending"]
    assert server.request("get_case/4")["title"] != "Not sent with a wrong key"
    assert files_containing(Path(local.path), wrong) == []


def test_sync_is_refused_inside_a_batch(pulled: trailstore.Store, server: Server) -> None:
    with pulled.batch():
        with pytest.raises(trailstore.BusyError):
            pulled.pull(**server.credentials())
        with pytest.raises(trailstore.BusyError):
            pulled.push(**server.credentials())
    assert pulled.pull(**server.credentials())["first"] is False


def test_sync_is_refused_inside_a_batch_before_any_request(local: trailstore.Store) -> None:
    # Nothing listens on the URL: a refusal that came after the first request would be a
    # RemoteError.
    with local.batch():
        with pytest.raises(trailstore.BusyError, match="before pull"):
            local.pull("http://127.0.0.1:9/", "someone@example.com", SERVER_KEY)
        with pytest.raises(trailstore.BusyError, match="before push"):
            local.push("http://127.0.0.1:9/", "someone@example.com", SERVER_KEY)


def test_a_key_the_server_echoes_is_hidden(local: trailstore.Store, server: Server) -> None:
    # The URL puts the key where the server reads the method's name, and the server's 404
    # names that method: the server echoes the key.
    url = f"{server.url}index.php?/api/v2/{server.key}&echo="
    with pytest.raises(AssertionError, match=f"Unknown method '{SERVER_KEY}'"):
        server.request(f"{server.key}&echo=")
    # The core scrubs every error of pull and push of the key before Python sees it (a pending
    # change makes push send a request too).
    local.projects.add_project("Pending locally")
    for sync in (local.pull, local.push):
        with pytest.raises(trailstore.RemoteError) as info:
            sync(url, server.user, server.key)
        err = info.value
        assert "Unknown method '<hidden>'" in str(err)
        for text in (str(err), repr(err), repr(err.args)):
            assert SERVER_KEY not in text
    assert files_containing(Path(local.path), SERVER_KEY) == []


# -- Push ---------------------------------------------------------------------------------------


def test_push_local_adds_updates_and_deletes(pulled: trailstore.Store, server: Server) -> None:
    section = pulled.sections.add_section(1, "Offline work", description="Written on a train")
    added = pulled.cases.add_case(
        section["id"], "Pay with a gift card", custom_component=2, priority_id=4
    )
    local_section, local_id = section["id"], added["id"]
    assert local_id >= 2_130_706_432  # a local id
    pulled.cases.update_case(5, title="Edited offline", refs="SHOP-9000")
    pulled.cases.delete_case(6)

    report = pulled.push(**server.credentials())
    assert (report["created"], report["updated"], report["deleted"]) == (2, 1, 1), report
    assert (report["rejected"], report["conflicts"], report["blocked"]) == (0, 0, 0)
    assert report["entries_done"] == 4 and report["dry_run"] == []
    assert states(pulled) == ["done"] * 4

    # The local ids still resolve, to the records under their server ids.
    case = pulled.cases.get_case(local_id)
    server_id = case["id"]
    assert server_id != local_id and server_id < 2_130_706_432
    assert pulled.sections.get_section(local_section)["id"] == case["section_id"]
    assert pulled.cases.update_case(local_id, estimate="5m")["id"] == server_id

    # The server has them.
    on_server = server.request(f"get_case/{server_id}")
    assert (on_server["title"], on_server["priority_id"]) == ("Pay with a gift card", 4)
    assert server.request(f"get_section/{case['section_id']}")["name"] == "Offline work"
    five = server.request("get_case/5")
    assert (five["title"], five["refs"]) == ("Edited offline", "SHOP-9000")
    assert server.status("get_case/6") == 400

    # The edit made through the local id goes out on the next push.
    assert pulled.push(**server.credentials())["updated"] == 1
    assert server.request(f"get_case/{server_id}")["estimate"] == "5m"
    assert local_cases(pulled) == served_cases(server)


def test_dry_run_lists_requests_and_sends_nothing(
    pulled: trailstore.Store, server: Server
) -> None:
    added = pulled.cases.add_case(5, "Dry run case", custom_component=2)
    pulled.cases.update_case(added["id"], priority_id=4)  # folds into the add
    pulled.cases.update_case(9, title="Dry run title")
    before = served_cases(server)

    report = pulled.push(**server.credentials(), dry_run=True)
    requests = report["dry_run"]
    assert len(requests) == 2, requests
    assert requests[0].startswith("POST add_case/5 ")
    body = json.loads(requests[0].split(" ", 2)[2])
    assert (body["title"], body["priority_id"]) == ("Dry run case", 4)
    assert requests[1].startswith("POST update_case/9 ") and "Dry run title" in requests[1]
    assert report["entries_done"] == 0
    # Nothing changed on either side.
    assert served_cases(server) == before
    assert states(pulled) == ["pending"] * 3
    assert pulled.cases.get_case(added["id"])["id"] == added["id"]

    report = pulled.push(**server.credentials())
    assert (report["created"], report["updated"], report["dry_run"]) == (1, 1, [])
    assert server.request("get_case/9")["title"] == "Dry run title"


# -- Conflicts ----------------------------------------------------------------------------------


def test_a_conflict_keeps_both_values_until_resolved(
    pulled: trailstore.Store, server: Server
) -> None:
    assert pulled.conflicts.get_conflicts() == []
    pulled.cases.update_case(20, title="Local title")
    server.request("update_case/20", {"title": "Server title"})

    report = pulled.push(**server.credentials())
    assert report["conflicts"] == 1 and report["updated"] == 0, report
    assert server.request("get_case/20")["title"] == "Server title"  # never overwritten
    assert states(pulled) == ["conflict"]

    [conflict] = pulled.conflicts.get_conflicts()
    assert conflict["key"] == "case/20/title"
    assert (conflict["entity"], conflict["id"], conflict["field"]) == ("case", 20, "title")
    assert (conflict["local"], conflict["server"]) == ("Local title", "Server title")
    assert conflict["base"] == journal_old_value(pulled, 20, conflict)
    assert conflict["source"] == "push"
    assert pulled.cases.get_case(20)["title"] == "Local title"  # the local value stays

    answer = pulled.conflicts.resolve("case/20/title", keep="server")
    assert answer["resolved"] == "case/20/title"
    assert pulled.conflicts.get_conflicts() == []
    assert pulled.cases.get_case(20)["title"] == "Server title"
    report = pulled.push(**server.credentials())
    assert (report["sent"], report["conflicts"]) == (0, 0)
    assert server.request("get_case/20")["title"] == "Server title"
    assert local_cases(pulled) == served_cases(server)


def journal_old_value(store: trailstore.Store, case_id: int, conflict: Dict[str, Any]) -> Any:
    """The base of a conflict is the value the local edit started from: the journal's old value."""
    [entry] = [e for e in store.journal.entries() if e["route"] == f"update_case/{case_id}"]
    changes = [c for effect in entry["effects"] for c in effect["changes"]]
    [change] = [c for c in changes if c["field"] == conflict["field"]]
    return change["old"]


def test_keep_local_and_a_new_value(pulled: trailstore.Store, server: Server) -> None:
    pulled.cases.update_case(21, title="Mine")
    server.request("update_case/21", {"title": "Theirs"})
    pulled.cases.update_case(22, refs="MINE-1")
    server.request("update_case/22", {"refs": "THEIRS-1"})
    # Pull sees them too.
    assert pulled.pull(**server.credentials())["conflicts"] == 2
    by_key = {c["key"]: c for c in pulled.conflicts.get_conflicts()}
    assert set(by_key) == {"case/21/title", "case/22/refs"}
    assert by_key["case/22/refs"]["source"] == "pull"
    assert (by_key["case/22/refs"]["local"], by_key["case/22/refs"]["server"]) == (
        "MINE-1",
        "THEIRS-1",
    )

    assert pulled.conflicts.resolve("case/21/title", "local")["resolved"] == "case/21/title"
    pulled.conflicts.resolve("case/22/refs", value="BOTH-1")
    assert pulled.conflicts.get_conflicts() == []
    report = pulled.push(**server.credentials())
    assert report["conflicts"] == 0 and report["updated"] >= 2, report
    assert server.request("get_case/21")["title"] == "Mine"
    assert server.request("get_case/22")["refs"] == "BOTH-1"


def test_resolve_arguments(pulled: trailstore.Store) -> None:
    with pytest.raises(TypeError):
        pulled.conflicts.resolve("case/1/title")
    with pytest.raises(TypeError):
        pulled.conflicts.resolve("case/1/title", keep="local", value="x")
    with pytest.raises(ValueError):
        pulled.conflicts.resolve("case/1/title", keep="value")
    with pytest.raises(trailstore.NotFoundError) as info:
        pulled.conflicts.resolve("case/1/title", keep="server")
    assert info.value.field == "key"


def test_a_change_the_server_refuses_is_rejected_not_raised(
    pulled: trailstore.Store, server: Server
) -> None:
    # A field the server now requires, which the local store has not pulled yet.
    server.request(
        "add_case_field",
        {
            "type": "String",
            "name": "must_have",
            "label": "Must have",
            "include_all": True,
            "configs": [
                {
                    "context": {"is_global": True, "project_ids": None},
                    "options": {"is_required": True, "default_value": ""},
                }
            ],
        },
    )
    pulled.cases.add_case(5, "Lacks a required field", custom_component=2)
    report = pulled.push(**server.credentials())
    assert (report["rejected"], report["created"]) == (1, 0), report
    [entry] = pulled.journal.entries()
    assert entry["push"]["state"] == "rejected"
    assert "must_have" in entry["push"]["message"]


def test_push_sends_a_recorded_run_and_its_results_once(
    pulled: trailstore.Store, server: Server
) -> None:
    run = pulled.runs.add_run(1, name="Recorded offline", include_all=False, case_ids=[1, 2, 3])
    pulled.results.add_results_for_cases(
        run["id"],
        [
            {"case_id": 1, "status_id": 1, "elapsed": "12s"},
            {"case_id": 2, "status_id": 5, "comment": "Timeout", "defects": "SHOP-1"},
            {"case_id": 3, "status_id": 4},
        ],
    )
    report = pulled.push(**server.credentials())
    assert (report["created"], report["results"], report["rejected"]) == (1, 3, 0), report
    server_run = pulled.runs.get_run(run["id"])  # the local id is an alias of the server's
    assert server_run["id"] < 2_130_706_432
    served = server.get_all(f"get_results_for_run/{server_run['id']}", "results")
    assert sorted(r["status_id"] for r in served) == [1, 4, 5]
    assert server.request(f"get_run/{server_run['id']}")["failed_count"] == 1
    # Pushing again sends nothing more.
    again = pulled.push(**server.credentials())
    assert (again["sent"], again["results"]) == (0, 0)
    assert len(server.get_all(f"get_results_for_run/{server_run['id']}", "results")) == 3


def test_push_holds_or_redirects_results_of_a_run_closed_on_the_server(
    pulled: trailstore.Store, server: Server
) -> None:
    run_id = server.get_all("get_runs/1&is_completed=0", "runs")[0]["id"]
    test = pulled.tests.get_tests(run_id, limit=1)["tests"][0]
    pulled.results.add_result(test["id"], status_id=5, comment="Seen offline")
    server.request(f"close_run/{run_id}", {})
    with pytest.raises(trailstore.ValidationError, match="closed_run"):
        pulled.push(**server.credentials(), closed_run="later")  # type: ignore[arg-type]

    held = pulled.push(**server.credentials())
    assert (held["held"], held["results"]) == (1, 0), held
    assert states(pulled) == ["held"]

    moved = pulled.push(**server.credentials(), closed_run="new")
    assert (moved["held"], moved["results"]) == (0, 1), moved
    newest = server.get_all("get_runs/1", "runs")[0]
    assert newest["id"] != run_id and newest["failed_count"] == 1
    assert states(pulled) == ["done"]
