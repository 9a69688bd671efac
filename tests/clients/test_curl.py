"""Plain curl calls, written as TestRail's documentation writes them."""
import json
import subprocess

from conftest import KEY, USER


def curl(*args):
    out = subprocess.run(["curl", "-sS", "-w", "\n%{http_code}", *args], check=True, capture_output=True, text=True)
    body, _, status = out.stdout.rpartition("\n")
    return int(status), body


def test_curl_as_in_testrail_docs(served):
    api = served.api
    auth = ["-u", f"{USER}:{KEY}", "-H", "Content-Type: application/json"]
    status, body = curl(*auth, f"{api}get_case/1")
    assert status == 200 and json.loads(body)["id"] == 1
    status, body = curl(*auth, f"{api}get_cases/1&section_id=17&priority_id=3,4")
    page = json.loads(body)
    assert status == 200 and all(c["priority_id"] in (3, 4) for c in page["cases"])
    status, body = curl(*auth, "-X", "POST", f"{api}add_case/17",
                        "-d", '{"title": "Added with curl", "custom_component": 3}')
    case = json.loads(body)
    assert status == 200 and case["title"] == "Added with curl"
    status, body = curl(*auth, "-X", "POST", f"{api}update_case/{case['id']}", "-d", '{"priority_id": 4}')
    assert status == 200 and json.loads(body)["priority_id"] == 4
    status, body = curl(*auth, "-X", "POST", f"{api}delete_case/{case['id']}")
    assert (status, body) == (200, "")
    status, body = curl(*auth, f"{api}get_case/{case['id']}")
    assert status == 400 and json.loads(body) == {"error": "Field :case_id is not a valid test case."}
    status, body = curl("-u", f"{USER}:nope", f"{api}get_case/1")
    assert status == 401
    status, body = curl("-u", f"{USER}:{KEY}", "-X", "POST", f"{api}add_case/17", "-d", '{"title": "x"}')
    assert status == 400 and "Content-Type" in json.loads(body)["error"]
