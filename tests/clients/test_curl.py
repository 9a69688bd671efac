"""Plain curl calls, written as TestRail's documentation writes them."""
import json
import subprocess
import urllib.parse

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


def test_curl_attachment_upload_and_download(lab, tmp_path):
    """An upload as TestRail's documentation writes it (`-F "attachment=@file"` with a
    multipart Content-Type header), with a UTF-8 file name; the download's headers and bytes."""
    api = lab.served.api
    section = lab.api.sections.add_section(lab.project_id, "Payments")
    case_id = lab.api.cases.add_case(section["id"], "Transfer")["id"]
    auth = ["-u", f"{USER}:{KEY}"]
    name = "Überweisung fehlgeschlagen – 支付.png"
    png = tmp_path / name
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    status, body = curl(*auth, "-H", "Content-Type: multipart/form-data", "-F", f"attachment=@{png}",
                        f"{api}add_attachment_to_case/{case_id}")
    assert status == 200, body
    png_id = json.loads(body)["attachment_id"]
    # A name given with `;filename=` and a type curl is told, with the log's own extension.
    log = tmp_path / "upload.bin"
    log.write_bytes("Zeile 1: ok\nZeile 2: Fehler – ü\n".encode())
    status, body = curl(*auth, "-F", f"attachment=@{log};filename=Prüfung.log;type=text/plain",
                        f"{api}add_attachment_to_case/{case_id}")
    assert status == 200, body
    log_id = json.loads(body)["attachment_id"]

    status, body = curl(*auth, f"{api}get_attachments_for_case/{case_id}")
    listed = {a["id"]: a for a in json.loads(body)["attachments"]}
    assert status == 200
    assert (listed[png_id]["name"], listed[png_id]["size"]) == (name, png.stat().st_size)
    assert (listed[log_id]["name"], listed[log_id]["size"]) == ("Prüfung.log", log.stat().st_size)

    for aid, path, content_type in ((png_id, png, "image/png"),
                                    (log_id, log, "text/plain; charset=utf-8")):
        out, head = tmp_path / f"got-{aid}", tmp_path / f"head-{aid}"
        got = subprocess.run(["curl", "-sS", *auth, "-D", head, "-o", out, "-w", "%{http_code}",
                              f"{api}get_attachment/{aid}"], check=True, capture_output=True, text=True)
        assert got.stdout == "200"
        headers = {k.strip().lower(): v.strip() for k, _, v in
                   (line.partition(":") for line in head.read_text().splitlines()[1:] if ":" in line)}
        assert headers["content-type"] == content_type
        assert headers["content-length"] == str(path.stat().st_size)
        assert out.read_bytes() == path.read_bytes()
        kind, _, encoded = headers["content-disposition"].partition("; filename*=UTF-8''")
        assert (kind, urllib.parse.unquote(encoded)) == ("attachment", listed[aid]["name"])
    # Without the `attachment` field, and with a JSON body instead of a file.
    status, body = curl(*auth, "-F", f"file=@{log}", f"{api}add_attachment_to_case/{case_id}")
    assert (status, json.loads(body)) == (400, {"error": "Field :attachment is a required field."})
    status, body = curl(*auth, "-H", "Content-Type: application/json", "-d", "{}",
                        f"{api}add_attachment_to_case/{case_id}")
    assert status == 400 and "multipart/form-data" in json.loads(body)["error"]
    status, body = curl(*auth, f"{api}get_attachments_for_case/{case_id}")
    assert set(a["id"] for a in json.loads(body)["attachments"]) == set(listed)


def test_curl_256_mb_upload_is_streamed_and_one_byte_more_is_413(lab, tmp_path):
    """The largest file TestRail takes goes through `serve` without ever being whole in the
    server's memory (its peak resident size stays far below the file's size), and one byte more
    is refused with 413 and an `error` body, keeping nothing."""
    api = lab.served.api
    section = lab.api.sections.add_section(lab.project_id, "Firmware")
    case_id = lab.api.cases.add_case(section["id"], "Flash the image")["id"]
    auth = ["-u", f"{USER}:{KEY}"]
    mb = 1024 * 1024
    # Sparse files: 256 MB long, next to nothing on disk until the server writes its copy.
    largest, over = tmp_path / "largest.img", tmp_path / "over.img"
    subprocess.run(["truncate", "-s", str(256 * mb), largest], check=True)
    subprocess.run(["truncate", "-s", str(256 * mb + 1), over], check=True)

    status, body = curl(*auth, "-F", f"attachment=@{largest}", f"{api}add_attachment_to_case/{case_id}")
    assert status == 200, body
    largest_id = json.loads(body)["attachment_id"]
    status, body = curl(*auth, "-F", f"attachment=@{over}", f"{api}add_attachment_to_case/{case_id}")
    assert status == 413, body
    assert "256 MB" in json.loads(body)["error"]

    # VmHWM is the process's peak resident size since it started, in kB.
    status_file = f"/proc/{lab.served.proc.pid}/status"
    with open(status_file) as f:
        peak_kb = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    assert peak_kb < 160 * 1024, f"serve peaked at {peak_kb} kB for a 256 MB upload"

    status, body = curl(*auth, f"{api}get_attachments_for_case/{case_id}")
    listed = json.loads(body)["attachments"]
    assert [(a["id"], a["size"]) for a in listed] == [(largest_id, 256 * mb)]
    kept = [f for f in (lab.served.store / "attachments").rglob("*") if f.is_file()]
    assert [f.stat().st_size for f in kept] == [256 * mb], kept
