"""testrail-api 1.14.0, unmodified, for attachments against `trailstore serve`: uploads to
cases, results, runs, plans and plan entries (multipart, field `attachment`), the lists and
their bulk helpers, downloads written to a file, deletes, and the 256 MB limit."""
import json
import os
import subprocess

import pytest
from testrail_api._exception import StatusCodeError

NOT_FOUND = "Field :attachment_id is not a valid attachment."


@pytest.fixture()
def files(tmp_path):
    """Files whose bytes must come back unchanged: empty, one byte, 5 MB (crosses every read
    and write buffer on the way), and a name with spaces and non-ASCII letters."""
    src = tmp_path / "src"
    src.mkdir()
    made = {
        "empty.bin": b"",
        "one.txt": b"\x00",
        "big.bin": os.urandom(5 * 1024 * 1024),
        "Prüfbericht Ölpumpe – Ωμέγα.log": "Prüfung fehlgeschlagen: Ωμέγα\n".encode() * 40,
    }
    for name, data in made.items():
        (src / name).write_bytes(data)
    return {name: src / name for name in made}


def downloaded(api, tmp_path, attachment_id):
    """get_attachment streams the bytes into a file and answers that file's path."""
    target = tmp_path / "out" / f"{attachment_id}"
    target.parent.mkdir(exist_ok=True)
    assert api.attachments.get_attachment(attachment_id, target) == target
    return target.read_bytes()


def refused(status, call, *args):
    with pytest.raises(StatusCodeError) as e:
        call(*args)
    assert e.value.status_code == status, e.value.content
    return json.loads(e.value.content)["error"]


def store_bytes(lab):
    return sum(f.stat().st_size for f in lab.served.store.rglob("*") if f.is_file())


def test_upload_list_download_delete(lab, files, tmp_path):
    api, pid = lab.api, lab.project_id
    section = api.sections.add_section(pid, "Checkout")
    case = api.cases.add_case(section["id"], "Pay by card")
    other = api.cases.add_case(section["id"], "Refund an order")
    run = api.runs.add_run(pid, suite_id=lab.suite_id, name="With files")
    [test] = [t for t in api.tests.get_tests_bulk(run["id"]) if t["case_id"] == case["id"]]
    result = api.results.add_result(test["id"], status_id=5, comment="see the files")
    plan = api.plans.add_plan(pid, "Release 1")
    entry = api.plans.add_plan_entry(plan["id"], lab.suite_id, name="Web")

    # Every file to every kind of owner; each answer is {"attachment_id": N}.
    owners = {
        "case": (api.attachments.add_attachment_to_case, (case["id"],)),
        "result": (api.attachments.add_attachment_to_result, (result["id"],)),
        "run": (api.attachments.add_attachment_to_run, (run["id"],)),
        "plan": (api.attachments.add_attachment_to_plan, (plan["id"],)),
        "plan_entry": (api.attachments.add_attachment_to_plan_entry, (plan["id"], entry["id"])),
    }
    ids = {}
    for kind, (add, args) in owners.items():
        for name, path in files.items():
            answer = add(*args, path)
            assert list(answer) == ["attachment_id"] and isinstance(answer["attachment_id"], int)
            ids[kind, name] = answer["attachment_id"]
    assert len(set(ids.values())) == len(ids)

    # Downloads written to a file, identical to what was uploaded.
    for (kind, name), aid in ids.items():
        assert downloaded(api, tmp_path, aid) == files[name].read_bytes(), (kind, name)

    # The lists, paged under `attachments` in upload order, with names and sizes.
    expected = [(name, path.stat().st_size) for name, path in files.items()]
    lists = {
        "case": api.attachments.get_attachments_for_case(case["id"]),
        "result": api.attachments.get_attachments_for_test(test["id"]),
        "run": api.attachments.get_attachments_for_run(run["id"]),
        "plan": api.attachments.get_attachments_for_plan(plan["id"]),
        "plan_entry": api.attachments.get_attachments_for_plan_entry(plan["id"], entry["id"]),
    }
    for kind, page in lists.items():
        assert (page["offset"], page["size"], page["_links"]["next"]) == (0, 4, None), kind
        assert [(a["name"], a["size"]) for a in page["attachments"]] == expected, kind
        assert [a["id"] for a in page["attachments"]] == [ids[kind, n] for n in files], kind
        assert {a["entity_type"] for a in page["attachments"]} == {kind}
        assert {a["project_id"] for a in page["attachments"]} == {pid}
    assert {a["entity_id"] for a in lists["plan_entry"]["attachments"]} == {entry["id"]}
    assert {a["entity_id"] for a in lists["plan"]["attachments"]} == {str(plan["id"])}
    assert {(a["case_id"], a["result_id"]) for a in lists["result"]["attachments"]} == \
        {(case["id"], result["id"])}
    assert sorted(api.results.get_results(test["id"])["results"][0]["attachment_ids"]) == \
        sorted(ids["result", n] for n in files)
    # The plan's own files are not its entry's, and the reverse.
    assert not {a["id"] for a in lists["plan"]["attachments"]} & \
        {a["id"] for a in lists["plan_entry"]["attachments"]}

    # Pages and the bulk helpers, which read every page under `attachments`.
    second = api.attachments.get_attachments_for_case(case["id"], limit=2, offset=2)
    assert [a["name"] for a in second["attachments"]] == list(files)[2:]
    first = api.attachments.get_attachments_for_run(run["id"], limit=2)
    assert first["size"] == 2 and first["_links"]["next"] is not None
    bulks = {
        "case": api.attachments.get_attachments_for_case_bulk(case["id"]),
        "result": api.attachments.get_attachments_for_test_bulk(test["id"]),
        "run": api.attachments.get_attachments_for_run_bulk(run["id"]),
        "plan": api.attachments.get_attachments_for_plan_bulk(plan["id"]),
        "plan_entry": api.attachments.get_attachments_for_plan_entry_bulk(plan["id"], entry["id"]),
    }
    for kind, items in bulks.items():
        assert items == lists[kind]["attachments"], kind
    assert api.attachments.get_attachments_for_case(other["id"])["attachments"] == []

    # Deleting one attachment leaves the others, even those with the same bytes.
    big = "big.bin"
    assert api.attachments.delete_attachment(ids["case", big]) is None
    assert refused(400, api.attachments.get_attachment, ids["case", big], tmp_path / "gone") == NOT_FOUND
    assert not (tmp_path / "gone").exists()
    assert refused(400, api.attachments.delete_attachment, ids["case", big]) == NOT_FOUND
    assert [a["name"] for a in api.attachments.get_attachments_for_case_bulk(case["id"])] == \
        [n for n in files if n != big]
    assert downloaded(api, tmp_path, ids["run", big]) == files[big].read_bytes()
    api.attachments.delete_attachment(ids["result", big])
    assert sorted(api.results.get_results(test["id"])["results"][0]["attachment_ids"]) == \
        sorted(ids["result", n] for n in files if n != big)
    assert len(api.attachments.get_attachments_for_test_bulk(test["id"])) == 3

    # Owners that do not exist.
    refused(400, api.attachments.add_attachment_to_case, 999999, files["one.txt"])
    refused(400, api.attachments.add_attachment_to_result, 999999, files["one.txt"])
    refused(400, api.attachments.add_attachment_to_plan_entry, plan["id"], "no-such-entry",
            files["one.txt"])


def test_over_256_mb_is_refused_and_nothing_is_kept(lab, tmp_path):
    api = lab.api
    section = api.sections.add_section(lab.project_id, "Checkout")
    case = api.cases.add_case(section["id"], "Pay by card")
    kept = tmp_path / "kept.txt"
    kept.write_bytes(b"small")
    api.attachments.add_attachment_to_case(case["id"], kept)
    before_list = api.attachments.get_attachments_for_case(case["id"])
    before_size = store_bytes(lab)

    # Sparse: 300 MB long, next to nothing on disk.
    huge = tmp_path / "huge.bin"
    subprocess.run(["truncate", "-s", "300M", huge], check=True)
    with pytest.raises(StatusCodeError) as e:
        api.attachments.add_attachment_to_case(case["id"], huge)
    # 413 has no dedicated subclass in testrail-api (_exception.py maps 401/403/404/429/5xx).
    assert (type(e.value), e.value.status_code) == (StatusCodeError, 413), e.value.content
    assert "256 MB" in json.loads(e.value.content)["error"]

    assert api.attachments.get_attachments_for_case(case["id"]) == before_list
    # No part of the file stayed in the store folder.
    assert store_bytes(lab) - before_size < 1024 * 1024


def test_attachments_go_with_their_owner(lab, tmp_path):
    """Deleting a run, a plan entry, a plan or a case deletes the files attached to it (and to
    the run's results); nothing else loses its files."""
    api, pid = lab.api, lab.project_id
    small = tmp_path / "note.txt"
    small.write_bytes(b"owned")
    section = api.sections.add_section(pid, "Checkout")
    case = api.cases.add_case(section["id"], "Pay by card")
    run = api.runs.add_run(pid, suite_id=lab.suite_id, name="Doomed")
    [test] = api.tests.get_tests_bulk(run["id"])
    result = api.results.add_result(test["id"], status_id=1)
    plan = api.plans.add_plan(pid, "Release 1")
    entry = api.plans.add_plan_entry(plan["id"], lab.suite_id, name="Web")
    att = api.attachments
    ids = {
        "case": att.add_attachment_to_case(case["id"], small)["attachment_id"],
        "run": att.add_attachment_to_run(run["id"], small)["attachment_id"],
        "result": att.add_attachment_to_result(result["id"], small)["attachment_id"],
        "plan": att.add_attachment_to_plan(plan["id"], small)["attachment_id"],
        "plan_entry": att.add_attachment_to_plan_entry(plan["id"], entry["id"], small)["attachment_id"],
    }

    def alive():
        kept = set()
        for kind, aid in ids.items():
            try:
                att.get_attachment(aid, tmp_path / "probe")
                kept.add(kind)
            except StatusCodeError as e:
                assert (e.status_code, json.loads(e.content)["error"]) == (400, NOT_FOUND)
        return kept

    api.runs.delete_run(run["id"])
    assert alive() == {"case", "plan", "plan_entry"}
    api.plans.delete_plan_entry(plan["id"], entry["id"])
    assert alive() == {"case", "plan"}
    api.plans.delete_plan(plan["id"])
    assert alive() == {"case"}
    api.cases.delete_case(case["id"])
    assert alive() == set()
