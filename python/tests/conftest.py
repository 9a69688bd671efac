"""Fixtures: real stores in temporary folders, loaded with the repository's sample snapshot.

The sample (tests/data/sample_snapshot.json) has project 1 "Web Shop" (single suite 1) and
project 2 "Mobile App" (suites 2, 3, 4), 327 cases, custom fields of every type,
``custom_component`` required in project 1 and ``custom_platforms`` required in project 2.
"""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest

import trailstore

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "tests" / "data" / "sample_snapshot.json"


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
