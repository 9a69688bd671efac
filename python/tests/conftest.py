"""Fixtures: real stores in temporary folders, loaded with the repository's sample snapshot.

The sample (tests/data/sample_snapshot.json) has project 1 "Web Shop" (single suite 1) and
project 2 "Mobile App" (suites 2, 3, 4), 327 cases, custom fields of every type,
``custom_component`` required in project 1 and ``custom_platforms`` required in project 2.

``server`` is a real ``trailstore serve`` (the CLI built by run-tests.sh, or ``TRAILSTORE_BIN``)
on a store made with ``init --server-ids`` and the sample: the TestRail server of the pull and
push tests.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import struct
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest

import trailstore

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "tests" / "data" / "sample_snapshot.json"
BIN = Path(os.environ.get("TRAILSTORE_BIN", REPO / "target" / "debug" / "trailstore"))

#: The served user and key. The key is a sentinel: no output, message or file may contain it.
SERVER_USER = "harness@example.com"
SERVER_KEY = "SENTINEL-PY-KEY-3b8e41d0"


@pytest.fixture(scope="session")
def sample_path() -> Path:
    assert SAMPLE.is_file(), f"missing sample snapshot {SAMPLE}"
    return SAMPLE


@pytest.fixture(scope="session")
def sample(sample_path: Path) -> Dict[str, Any]:
    data: Dict[str, Any] = json.loads(sample_path.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="session")
def loaded_template(tmp_path_factory: pytest.TempPathFactory, sample_path: Path) -> Path:
    """A store folder with the sample imported, built once and copied for each test."""
    folder = tmp_path_factory.mktemp("template") / "store"
    with trailstore.Store(folder) as store:
        store.import_snapshot(sample_path)
    return folder


@pytest.fixture
def store_dir(tmp_path: Path, loaded_template: Path) -> Path:
    folder = tmp_path / "store"
    shutil.copytree(loaded_template, folder)
    return folder


@pytest.fixture
def store(store_dir: Path) -> Iterator[trailstore.Store]:
    s = trailstore.Store(store_dir)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def empty_store(tmp_path: Path) -> Iterator[trailstore.Store]:
    s = trailstore.Store(tmp_path / "empty")
    try:
        yield s
    finally:
        s.close()


def import_counts(report: Dict[str, Any]) -> Dict[str, int]:
    """The records-per-kind counts of an import report (the core's report nests them under
    "counts" alongside what the import merged)."""
    counts = report.get("counts", report)
    return {k: int(v) for k, v in counts.items()}


def case_fields_for(project_id: int) -> Dict[str, Any]:
    """The required custom fields a new case needs in each sample project."""
    if project_id == 1:
        return {"custom_component": 1}
    return {"custom_platforms": [1]}


def _patch_leaf(data: bytearray, start: int, needle: bytes, value: int) -> bool:
    # redb leaf page: type byte 1, pad, u16 pair count, u32 key ends, u32 value ends, keys, values.
    if data[start] != 1:
        return False
    n = struct.unpack_from("<H", data, start + 2)[0]
    if n == 0 or n > 1000:
        return False
    key_ends = struct.unpack_from(f"<{n}I", data, start + 4)
    value_ends = struct.unpack_from(f"<{n}I", data, start + 4 + 4 * n)
    for i in range(n):
        ks = 4 + 8 * n if i == 0 else key_ends[i - 1]
        if bytes(data[start + ks : start + key_ends[i]]) == needle:
            vs = key_ends[n - 1] if i == 0 else value_ends[i - 1]
            if value_ends[i] - vs != 8:
                return False
            struct.pack_into("<Q", data, start + vs, value)
            return True
    return False


def patch_meta(store_dir: Path, key: str, value: int, page: int = 4096) -> int:
    """Overwrites a u64 of the store's meta table in the closed data file, in every copy of its
    leaf page: how the tests make a store from a newer format or with no local ids left."""
    path = store_dir / "store.redb"
    data = bytearray(path.read_bytes())
    needle = key.encode()
    patched = 0
    pos = data.find(needle)
    while pos != -1:
        if _patch_leaf(data, pos - pos % page, needle, value):
            patched += 1
        pos = data.find(needle, pos + 1)
    path.write_bytes(bytes(data))
    return patched


def _cli(*args: Any) -> None:
    if not BIN.is_file():
        pytest.fail(f"no trailstore CLI at {BIN}: run `cargo build --bin trailstore` first")
    run = subprocess.run([str(BIN), *map(str, args)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.fixture(scope="session")
def server_template(tmp_path_factory: pytest.TempPathFactory, sample_path: Path) -> Path:
    """A server store (server-style ids) with the sample, made once by the CLI and copied."""
    folder = tmp_path_factory.mktemp("server-template") / "store"
    _cli("--store", folder, "init", "--server-ids")
    _cli("--store", folder, "import", sample_path)
    return folder


class Server:
    """A running ``trailstore serve``, and a minimal TestRail client to look at it directly."""

    def __init__(self, folder: Path, proc: "subprocess.Popen[str]", port: int) -> None:
        self.folder = folder
        self.proc = proc
        self.url = f"http://127.0.0.1:{port}/"
        self.user = SERVER_USER
        self.key = SERVER_KEY

    def request(self, route: str, body: Optional[Dict[str, Any]] = None) -> Any:
        """GET (no body) or POST a route; returns the JSON answer, None for an empty one."""
        token = base64.b64encode(f"{self.user}:{self.key}".encode()).decode()
        req = urllib.request.Request(
            f"{self.url}index.php?/api/v2/{route}",
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Basic {token}", "Content-Type": "application/json"},
            method="GET" if body is None else "POST",
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as answer:
                text = answer.read().decode()
        except urllib.error.HTTPError as e:
            raise AssertionError(f"{route}: HTTP {e.code} {e.read().decode()}") from None
        return json.loads(text) if text.strip() else None

    def get_all(self, route: str, key: str) -> List[Dict[str, Any]]:
        """Every item of a paged list, following ``_links.next``."""
        items: List[Dict[str, Any]] = []
        next_route: Optional[str] = route
        while next_route:
            page = self.request(next_route)
            items.extend(page[key])
            link = page["_links"]["next"]
            next_route = link.split("/api/v2/", 1)[1] if link else None
        return items

    def status(self, route: str) -> int:
        """The HTTP status of a GET (200, or TestRail's error status)."""
        try:
            self.request(route)
            return 200
        except AssertionError as e:
            return int(str(e).split("HTTP ")[1].split()[0])

    def credentials(self) -> Dict[str, str]:
        return {"url": self.url, "user": self.user, "key": self.key}


@pytest.fixture
def server(tmp_path: Path, server_template: Path) -> Iterator[Server]:
    """A fresh served copy of the server store, on a free port; stopped at teardown."""
    folder = tmp_path / "server"
    shutil.copytree(server_template, folder)
    yield from serve(folder, tmp_path / "server-stderr.txt")


def serve(folder: Path, errors: Path) -> Iterator[Server]:
    """Serves the store in ``folder`` until the generator is closed (its stderr to ``errors``)."""
    env = dict(os.environ, TRAILSTORE_SERVE_KEY=SERVER_KEY)
    with errors.open("w") as err:
        proc = subprocess.Popen(
            [str(BIN), "--store", str(folder), "serve"]
            + ["--bind", "127.0.0.1:0", "--user", SERVER_USER],
            stdout=subprocess.PIPE,
            stderr=err,
            env=env,
            text=True,
        )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("Serving ") and "http://127.0.0.1:" in first, (
            first + errors.read_text()
        )
        port = int(first.split("http://127.0.0.1:", 1)[1].split("/", 1)[0])
        yield Server(folder, proc, port)
    finally:
        proc.terminate()
        try:
            out, _ = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
    assert SERVER_KEY not in first + (out or "") + errors.read_text()


def files_containing(folder: Path, needle: str) -> List[Path]:
    """The files under ``folder`` whose bytes contain ``needle``."""
    data = needle.encode()
    return [f for f in folder.rglob("*") if f.is_file() and data in f.read_bytes()]
