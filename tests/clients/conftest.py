"""A real `trailstore serve` on a real store loaded with the sample snapshot, for the clients."""
import json
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(os.environ.get("TRAILSTORE_BIN", ROOT / "target" / "debug" / "trailstore"))
SAMPLE = ROOT / "tests" / "data" / "sample_snapshot.json"
USER = "harness@example.com"
KEY = "SENTINEL-CLIENT-KEY-51c9"


class Served:
    def __init__(self, store, proc, port):
        self.store = store
        self.proc = proc
        self.url = f"http://127.0.0.1:{port}/"
        self.api = f"{self.url}index.php?/api/v2/"


@pytest.fixture()
def served(tmp_path):
    store = tmp_path / "store"
    subprocess.run([BIN, "--store", store, "import", SAMPLE], check=True, capture_output=True)
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
def sample():
    return json.loads(SAMPLE.read_text())
