#!/usr/bin/env python3
"""trailstore's Python API against Python's sqlite3 + json.loads, on the benchmark's data, and
the Python API's performance targets.

    python benches/python/bench_python.py [--quick] [--size 10k|100k] [--reps N] [--dir DIR]
                                          [--only W1,W2,W3] [--json OUT]

Run it with an interpreter that has trailstore installed from source (`pip install ./python`;
benches/python/run.sh makes such a virtual environment under target/). It uses only the standard
library besides trailstore.

The data is the Rust suite's (`benches/`, crate trailstore-bench): the prepared store and SQLite
file in DIR/<size>-seed<seed>/ (made by the bench binary when missing) and, for W1, the same data
as a snapshot file (`trailstore-bench gen`). Every workload runs each side in turn, alternating
which goes first, several repetitions; the tables show medians and the trailstore/SQLite ratio.
Nothing asserts a time: `--quick` (10k cases, one repetition) only checks that everything runs.

- W1: bulk import from Python: `Store(dir)` + `store.import_snapshot(dict)` + `close()` against
  sqlite3 (the suite's schema, `executemany` into the rows and the FTS5 table in one
  transaction), both from the same dict (parsed beforehand, untimed); and the same import from
  Rust (`trailstore-bench child import-ts`, the trailstore side of the Rust W1, in a fresh
  process), for the target "within 1.5x of Rust".
- W2: `store.cases.get_case(id)` per call, the ids of the Rust W2, against
  `SELECT data FROM cases WHERE id = ?` + `json.loads`; plus the layers in between, and
  `pickle.loads` of the same dict (what CPython itself needs to build it).
- W3: a section's cases, `store.cases.get_cases(1, section_id=S)` against
  `SELECT data ... WHERE section_id = ? ORDER BY display_order, id` + `json.loads` of each row;
  and with `priority_id=[3, 4]` (the Rust W3a).

For profilers: `--loop get_case|native|list|sql_get N` runs one loop alone (see
docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import pathlib
import pickle
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import trailstore

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
GENERATOR = "generator v3\n"  # benches/src/bench.rs: the marker of prepared data
MASK = (1 << 64) - 1


# ---- the Rust suite's random streams (benches/src/gen.rs, SplitMix64) ---------------------------


class Rng:
    """`Rng::keyed(seed, key)` of benches/src/gen.rs, so the ids are the Rust W2's and W3's."""

    def __init__(self, seed: int, key: int) -> None:
        self.state = (seed ^ ((key * 0xD6E8FEB86659FD93) & MASK)) & MASK
        self.next_u64()

    def next_u64(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def below(self, n: int) -> int:
        return (self.next_u64() * n) >> 64


def parse_size(s: str) -> int:
    s = s.lower()
    if s.endswith("m"):
        return int(s[:-1]) * 1_000_000
    if s.endswith("k"):
        return int(s[:-1]) * 1000
    return int(s)


# ---- the data -----------------------------------------------------------------------------------


def run(cmd: Sequence[str], **kw: Any) -> subprocess.CompletedProcess:
    print("  $ " + " ".join(cmd), file=sys.stderr)
    return subprocess.run(cmd, check=True, **kw)


def ensure_prepared(bench: str, base: str, size: str, seed: int) -> Tuple[str, str]:
    """The prepared store and SQLite file of the Rust suite; the bench binary makes them when
    missing (it runs its W2 for that, which is short)."""
    root = os.path.join(base, f"{size}-seed{seed}")
    ts, db = os.path.join(root, "ts"), os.path.join(root, "sqlite.db")

    def ready() -> bool:
        try:
            with open(os.path.join(root, "READY")) as f:
                marker = f.read()
        except OSError:
            return False
        return marker == GENERATOR and os.path.isdir(ts) and os.path.isfile(db)

    if not ready():
        print(f"preparing {size} in {root} (trailstore-bench --only W2) ...", file=sys.stderr)
        run([bench, "--size", size, "--only", "W2", "--reps", "1", "--dir", base,
             "--seed", str(seed)], stdout=subprocess.DEVNULL)
        if not ready():
            raise SystemExit(f"the bench binary did not prepare {root}")
    return ts, db


def ensure_snapshot(bench: str, base: str, size: str, seed: int) -> List[str]:
    """The same data as snapshot files (`trailstore-bench gen`), kept next to the prepared data."""
    out = os.path.join(base, f"{size}-seed{seed}-snapshot")
    marker = os.path.join(out, "READY")
    try:
        with open(marker) as f:
            ok = f.read() == GENERATOR
    except OSError:
        ok = False
    if not ok:
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        run([bench, "--size", size, "--seed", str(seed), "gen", "--out", out],
            stderr=subprocess.DEVNULL)
        with open(marker, "w") as f:
            f.write(GENERATOR)
    return sorted(
        os.path.join(out, n) for n in os.listdir(out) if n.startswith("snapshot-")
    )


# ---- timing -------------------------------------------------------------------------------------


def timed(f: Callable[[], Any]) -> Tuple[float, Any]:
    """Seconds taken by f() with the garbage collector off (as timeit runs), and its result."""
    was = gc.isenabled()
    gc.disable()
    try:
        t = time.perf_counter()
        out = f()
        return time.perf_counter() - t, out
    finally:
        if was:
            gc.enable()


def alternate(reps: int, sides: Dict[str, Callable[[], float]]) -> Dict[str, List[float]]:
    """Runs every side `reps` times, rotating which goes first; each side's figures."""
    names = list(sides)
    out: Dict[str, List[float]] = {n: [] for n in names}
    for rep in range(max(1, reps)):
        k = rep % len(names)
        for n in names[k:] + names[:k]:
            out[n].append(sides[n]())
    return out


def med(v: Sequence[float]) -> float:
    return statistics.median(v) if v else float("nan")


def du(path: str) -> int:
    """Bytes allocated on disk (as du counts) under path."""
    if os.path.isfile(path):
        return os.stat(path).st_blocks * 512
    total = 0
    for d, _, files in os.walk(path):
        for f in files:
            total += os.stat(os.path.join(d, f)).st_blocks * 512
    return total


# ---- the SQLite side (benches/src/sqlite.rs, from Python) ---------------------------------------

# The Rust side's FTS table is contentless with `contentless_delete=1` (SQLite 3.43+). Python's
# sqlite3 links the system SQLite (3.40 on Debian 12), which predates it: there the table is
# contentless without it (an import never deletes). `--fts-plain` drops it on any version.
CONTENTLESS_DELETE = sqlite3.sqlite_version_info >= (3, 43, 0)
# The schema the Rust side uses too (`{fts}`: the FTS table's extra options).
SCHEMA = (pathlib.Path(__file__).resolve().parents[1] / "src" / "sqlite_schema.sql").read_text()


def records(snap: Dict[str, Any], key: str) -> List[Any]:
    v = snap.get(key)
    if isinstance(v, list):
        return v
    if isinstance(v, dict):
        return v.get(key) or []
    return []


class Fields:
    """What the FTS columns need of the custom fields (sqlite.rs `Fields`)."""

    def __init__(self, fields: List[Dict[str, Any]]) -> None:
        self.fields = []
        for f in fields:
            labels: Dict[int, Dict[int, str]] = {}
            for c in f.get("configs") or []:
                items: Dict[int, str] = {}
                for line in ((c.get("options") or {}).get("items") or "").splitlines():
                    i, sep, label = line.partition(",")
                    if sep:
                        try:
                            items[int(i.strip())] = label.strip()
                        except ValueError:
                            pass
                ctx = c.get("context") or {}
                pids = ctx.get("project_ids")
                if isinstance(pids, list) and ctx.get("is_global") is not True:
                    for p in pids:
                        labels[p] = items
                else:
                    labels[0] = items
            self.fields.append((f.get("system_name") or "", f.get("type_id") or 0, labels))

    def fts(self, c: Dict[str, Any], project_id: int) -> Tuple[str, str, str, str, str]:
        text: List[str] = []
        steps: List[str] = []
        options: List[str] = []
        for name, type_id, labels in self.fields:
            v = c.get(name)
            if v is None:
                continue
            items = labels.get(project_id) or labels.get(0) or {}
            if type_id in (1, 3, 4):
                if isinstance(v, str):
                    text.append(v)
            elif type_id == 10:
                for s in v:
                    for k in ("content", "expected", "additional_info"):
                        t = s.get(k)
                        if t:
                            steps.append(t)
            elif type_id == 6:
                if v in items:
                    options.append(items[v])
            elif type_id == 12:
                options.extend(items[i] for i in v if i in items)
        return (c.get("title") or "", c.get("refs") or "", "\n".join(text), "\n".join(steps),
                "\n".join(options))


def sqlite_open(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA cache_size=-262144")
    return conn


def sqlite_import(conn: sqlite3.Connection, snap: Dict[str, Any]) -> int:
    """One snapshot in one transaction: reference data, sections and their closure, the cases
    (columns + JSON) and their FTS documents."""
    dumps = json.dumps
    conn.execute("BEGIN")
    fields = Fields(snap.get("case_fields") or [])
    conn.execute("INSERT OR REPLACE INTO refdata VALUES ('case_fields', 0, ?)",
                 (dumps(snap.get("case_fields") or []),))
    for kind in ("users", "case_types", "priorities", "milestones"):
        conn.executemany("INSERT OR REPLACE INTO refdata VALUES (?, ?, ?)",
                         ((kind, v.get("id"), dumps(v)) for v in records(snap, kind)))
    if "templates" in snap:
        conn.execute("INSERT OR REPLACE INTO refdata VALUES ('templates', 0, ?)",
                     (dumps(snap["templates"]),))
    conn.executemany("INSERT OR REPLACE INTO projects VALUES (?, ?)",
                     ((p.get("id"), dumps(p)) for p in records(snap, "projects")))
    suites = records(snap, "suites")
    conn.executemany("INSERT OR REPLACE INTO suites VALUES (?, ?, ?)",
                     ((s.get("id"), s.get("project_id"), dumps(s)) for s in suites))
    sections = records(snap, "sections")
    parents = {s.get("id"): s.get("parent_id") for s in sections}
    conn.executemany(
        "INSERT OR REPLACE INTO sections VALUES (?, ?, ?, ?, ?, ?)",
        ((s.get("id"), s.get("suite_id"), s.get("parent_id"), s.get("depth") or 0,
          s.get("display_order") or 0, dumps(s)) for s in sections))

    def closure():
        for s in sections:
            sid = a = s.get("id")
            while a is not None:
                yield a, sid
                a = parents.get(a)

    conn.executemany("INSERT OR IGNORE INTO section_closure VALUES (?, ?)", closure())
    suite_project = dict(conn.execute("SELECT id, project_id FROM suites").fetchall())
    cases = records(snap, "cases")
    conn.executemany(
        "INSERT OR REPLACE INTO cases VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ((c["id"], suite_project.get(c.get("suite_id"), 0), c.get("suite_id"),
          c.get("section_id"), c.get("template_id"), c.get("type_id"), c.get("priority_id"),
          c.get("milestone_id"), c.get("created_by"), c.get("created_on"), c.get("updated_by"),
          c.get("updated_on"), c.get("display_order"), dumps(c)) for c in cases))
    conn.executemany(
        "INSERT INTO cases_fts (rowid, title, refs, text, steps, options) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        ((c["id"],) + fields.fts(c, suite_project.get(c.get("suite_id"), 0)) for c in cases))
    conn.execute("COMMIT")
    return len(cases)


# ---- the report ---------------------------------------------------------------------------------


class Row:
    def __init__(self, w: str, what: str, unit: str, ts: float, other: Optional[float],
                 targets: Sequence[Tuple[str, float]] = (), note: str = "") -> None:
        self.w, self.what, self.unit, self.ts, self.other = w, what, unit, ts, other
        self.targets = list(targets)  # ("factor", 3.0) | ("ratio", 1.5) | ("abs", 3.0)
        self.note = note

    def met(self) -> Optional[bool]:
        if not self.targets:
            return None
        ok = True
        for kind, v in self.targets:
            if kind == "factor":
                ok &= self.other is not None and self.other / self.ts >= v
            elif kind == "ratio":
                ok &= self.other is not None and self.ts / self.other <= v
            else:
                ok &= self.ts <= v
        return ok

    def target_text(self) -> str:
        parts = []
        for kind, v in self.targets:
            parts.append({"factor": f"≥ {v:g}x", "ratio": f"ratio ≤ {v:g}",
                          "abs": f"≤ {v:g} {self.unit}"}[kind])
        return "; ".join(parts)


def fmt(v: Optional[float]) -> str:
    if v is None or v != v:
        return "–"
    a = abs(v)
    if a >= 1000:
        return f"{v:.0f}"
    if a >= 100:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3f}"


def table(rows: List[Row], other: str, ratio: str) -> str:
    out = [f"| W | what | unit | trailstore | {other} | {ratio} | trailstore is | target | met |",
           "|---|---|---|---:|---:|---:|---|---|---|"]
    for r in rows:
        if r.other:
            f = r.other / r.ts
            good, bad = ("smaller", "larger") if r.unit == "MB" else ("faster", "slower")
            verdict = f"{f:.1f}x {good}" if f >= 1 else f"{1 / f:.1f}x {bad}"
            rat = fmt(r.ts / r.other)
        else:
            verdict, rat = "–", "–"
        met = {None: "", True: "yes", False: "**no**"}[r.met()]
        what = f"{r.what} ({r.note})" if r.note else r.what
        out.append(f"| {r.w} | {what} | {r.unit} | {fmt(r.ts)} | {fmt(r.other)} | {rat} | "
                   f"{verdict} | {r.target_text()} | {met} |")
    return "\n".join(out) + "\n"


# ---- the workloads ------------------------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.cases = parse_size(args.size)
        self.reps = args.reps or (1 if args.quick else 5)
        self.rows: List[Row] = []      # trailstore (Python) vs sqlite3 (Python)
        self.layers: List[Tuple[str, str, float, float]] = []  # (side, layer, µs, of the whole)
        self.rust: List[Row] = []      # trailstore from Python vs from Rust
        self.notes: List[str] = []

    def say(self, msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    # -- W1 --
    def w1(self) -> None:
        a = self.args
        files = ensure_snapshot(a.bench, a.dir, a.size, a.seed)
        self.say(f"W1 bulk import from Python ({self.cases} cases, {len(files)} snapshot file(s))")
        def load(path: str) -> Any:
            with open(path) as f:
                return json.load(f)

        t, snaps = timed(lambda: [load(f) for f in files])
        self.say(f"  json.load of the snapshot: {t:.2f} s (untimed in W1)")
        gc.collect()
        gc.freeze()  # the parsed data is long-lived: keep the collector from walking it
        reps = 1 if a.quick else min(self.reps, 3)
        work = tempfile.mkdtemp(prefix="w1-py-", dir=a.dir)
        ts_dir, rs_dir = os.path.join(work, "ts"), os.path.join(work, "rust-ts")
        db = os.path.join(work, "sqlite.db")
        phases: Dict[str, List[float]] = {"open": [], "import": [], "close": []}
        sizes: Dict[str, int] = {}

        def py_ts() -> float:
            shutil.rmtree(ts_dir, ignore_errors=True)

            def go() -> None:
                t0 = time.perf_counter()
                store = trailstore.Store(ts_dir)
                t1 = time.perf_counter()
                for s in snaps:
                    store.import_snapshot(s)
                t2 = time.perf_counter()
                store.close()
                t3 = time.perf_counter()
                phases["open"].append(t1 - t0)
                phases["import"].append(t2 - t1)
                phases["close"].append(t3 - t2)

            t, _ = timed(go)
            sizes["ts"] = du(ts_dir)
            self.say(f"  trailstore from Python {t:.2f} s")
            return t

        def rust_ts() -> float:
            shutil.rmtree(rs_dir, ignore_errors=True)
            p = subprocess.run([a.bench, "child", "import-ts", rs_dir, str(self.cases),
                                str(a.seed)], check=True, capture_output=True, text=True)
            r = json.loads(p.stdout.strip().splitlines()[-1])
            self.say(f"  trailstore from Rust {r['ms'] / 1e3:.2f} s")
            return r["ms"] / 1e3

        def py_sql() -> float:
            for ext in ("", "-wal", "-shm"):
                if os.path.exists(db + ext):
                    os.remove(db + ext)

            def go() -> None:
                conn = sqlite_open(db)
                fts = ", contentless_delete=1" if CONTENTLESS_DELETE and not a.fts_plain else ""
                conn.executescript(SCHEMA.replace("{fts}", fts))
                for s in snaps:
                    sqlite_import(conn, s)
                conn.close()

            t, _ = timed(go)
            sizes["sql"] = sum(du(db + x) for x in ("", "-wal") if os.path.exists(db + x))
            self.say(f"  sqlite3 from Python {t:.2f} s")
            return t

        if a.w1_sqlite_only:
            res = alternate(reps, {"sql": py_sql})
            self.say(f"  sqlite3 only: median {med(res['sql']):.2f} s (contentless_delete: "
                     f"{CONTENTLESS_DELETE and not a.fts_plain})")
            shutil.rmtree(work, ignore_errors=True)
            return
        res = alternate(reps, {"py": py_ts, "rust": rust_ts, "sql": py_sql})
        shutil.rmtree(work, ignore_errors=True)
        del snaps
        gc.unfreeze()
        gc.collect()
        py, rust, sql = med(res["py"]), med(res["rust"]), med(res["sql"])
        per = lambda s: s * 1e6 / self.cases  # noqa: E731
        self.rows.append(Row(
            "W1", f"import {self.cases} cases + index, from a dict", "s", py, sql,
            note=f"{per(py):.1f} vs {per(sql):.1f} µs/case; best {min(res['py']):.2f} vs "
                 f"{min(res['sql']):.2f} s"))
        self.rows.append(Row(
            "W1", "size on disk (allocated)", "MB", sizes.get("ts", 0) / 2**20,
            sizes.get("sql", 0) / 2**20))
        self.rust.append(Row(
            "W1", f"import {self.cases} cases + index: Python `import_snapshot(dict)` vs Rust "
                  "`Store::import_snapshot(&Value)`", "s", py, rust, [("ratio", 1.5)],
            note=f"best {min(res['py']):.2f} vs {min(res['rust']):.2f} s"))
        self.notes.append(
            "W1 from Python, phases (median s): open {:.3f}, import_snapshot {:.2f}, close {:.3f}"
            .format(med(phases["open"]), med(phases["import"]), med(phases["close"])))

    # -- W2 --
    def w2(self, store: "trailstore.Store", conn: sqlite3.Connection) -> None:
        n = 2000 if self.args.quick else 20000
        rng = Rng(self.args.seed, 2)
        ids = [1 + rng.below(self.cases) for _ in range(n)]
        routes = [f"get_case/{i}" for i in ids]
        self.say(f"W2 point reads ({n} random ids, {self.reps} repetition(s))")
        get_case = store.cases.get_case
        call = store.call
        native = store._native.call  # the compiled method under Store.call (no Python layers)
        execute = conn.execute
        loads = json.loads
        q = "SELECT data FROM cases WHERE id = ?"
        texts = [execute(q, (i,)).fetchone()[0] for i in ids]
        # The same case on both sides (the store answers TestRail's JSON, SQLite keeps it).
        a, b = get_case(ids[0]), loads(texts[0])
        if a["id"] != b["id"] or a["title"] != b["title"]:
            raise SystemExit(f"get_case({ids[0]}) differs between the sides")

        def per_call(f: Callable[[], None]) -> Callable[[], float]:
            return lambda: timed(f)[0] * 1e6 / n

        def ts_get_case() -> None:
            for i in ids:
                get_case(i)

        def ts_call() -> None:
            for r in routes:
                call(r)

        def ts_native() -> None:
            for r in routes:
                native(r, None)

        def sql_get() -> None:
            for i in ids:
                loads(execute(q, (i,)).fetchone()[0])

        def sql_select() -> None:
            for i in ids:
                execute(q, (i,)).fetchone()

        def sql_loads() -> None:
            for t in texts:
                loads(t)

        # CPython's floor for handing out a fresh dict of a case: its C unpickler building the
        # same objects from bytes in memory, with no storage at all.
        pickled = [pickle.dumps(loads(t), protocol=pickle.HIGHEST_PROTOCOL) for t in texts]
        unpickle = pickle.loads

        def py_unpickle() -> None:
            for b in pickled:
                unpickle(b)

        res = alternate(self.reps, {
            "get_case": per_call(ts_get_case), "sql": per_call(sql_get),
            "call": per_call(ts_call), "native": per_call(ts_native),
            "select": per_call(sql_select), "loads": per_call(sql_loads),
            "unpickle": per_call(py_unpickle),
        })
        m = {k: med(v) for k, v in res.items()}
        self.rows.append(Row("W2", "`store.cases.get_case(id)` vs SELECT + `json.loads`", "µs",
                             m["get_case"], m["sql"], [("factor", 2.0)]))
        g, sq = m["get_case"], m["sql"]
        self.layers += [
            ("trailstore", "`store.cases.get_case(id)` (category method → `Store._call` → native)",
             g, g),
            ("trailstore", "`store.call(\"get_case/ID\")` (no category method)", m["call"], g),
            ("trailstore", "`store._native.call(route, None)` (the compiled method alone)",
             m["native"], g),
            ("sqlite3", "SELECT + fetchone + `json.loads`", sq, sq),
            ("sqlite3", "SELECT + fetchone only", m["select"], sq),
            ("sqlite3", "`json.loads` of the row's text only", m["loads"], sq),
            ("CPython", "`pickle.loads` of the same dict (building its objects, no storage)",
             m["unpickle"], sq),
        ]
        floor = getattr(self, "storage_floor", None)
        if floor is not None:
            self.layers.append(
                ("Rust", "storage floor (trailstore-bench W2, same ids): the packed record looked "
                 "up in redb and unpacked, no decoding", floor, g))
            budget, floors = sq / 2, m["unpickle"] + floor
            self.notes.append(
                f"W2 budget: 2x faster than sqlite3 + `json.loads` is {fmt(budget)} µs a call; "
                f"CPython's floor for the dict ({fmt(m['unpickle'])} µs) and the storage floor "
                f"({fmt(floor)} µs) together take {fmt(floors)} µs")
            per_call = getattr(self, "per_call_floor", None)
            if per_call is not None:
                # The same floor with what every call that reads the latest commit also pays:
                # a read transaction of its own and the table opened in it.
                self.layers.append(
                    ("Rust", "storage floor per call (trailstore-bench W2, same ids): a read "
                     "transaction and the table opened for each id, looked up and unpacked",
                     per_call, g))
                slack = budget - m["unpickle"] - per_call
                self.notes.append(
                    f"W2: with a read transaction a call, the floors take "
                    f"{fmt(m['unpickle'] + per_call)} µs, "
                    + (f"leaving {fmt(slack)} µs of the budget for parsing the route and "
                       f"decoding the record" if slack >= 0 else
                       f"{fmt(-slack)} µs over the budget before the route is parsed or the "
                       f"record decoded"))
            typed = getattr(self, "rust_typed", None)
            if typed is not None:
                # What the floors leave of the budget must pay for the rest of a call: parsing
                # the route, the read transaction and decoding the record, which Rust's typed
                # get measures on the same ids, beside the storage floor inside it.
                self.layers.append(
                    ("Rust", "`Store::answer` typed (trailstore-bench W2, same ids): route, read "
                     "transaction, record unpacked and decoded; no dict", typed, g))
                rest = budget - floors
                left = (f"the floors leave {fmt(rest)} µs of the budget" if rest >= 0 else
                        f"the floors alone are {fmt(-rest)} µs over the budget, with nothing left")
                self.notes.append(
                    f"W2: {left} for the rest of a call "
                    f"(the route, the read transaction, decoding the record); in Rust, on the "
                    f"same ids, those take {fmt(typed - floor)} µs (the typed get, "
                    f"{fmt(typed)} µs, less the storage floor); the compiled method spends "
                    f"{fmt(m['native'] - typed)} µs beyond the typed get (crossing into Python and "
                    f"building the dict), against `pickle.loads`' {fmt(m['unpickle'])} µs")
        self.notes.append("W2: mean JSON text per case {:.0f} bytes (SQLite's stored text)".format(
            sum(map(len, texts)) / len(texts)))

    # -- W3 --
    def w3(self, store: "trailstore.Store", conn: sqlite3.Connection) -> None:
        n = 20 if self.args.quick else 200
        secs = [r[0] for r in conn.execute("SELECT id FROM sections WHERE suite_id = 1 ORDER BY id")]
        rng = Rng(self.args.seed, 3)
        picks = [secs[rng.below(len(secs))] for _ in range(n)]
        self.say(f"W3 section listings ({n} sections, {self.reps} repetition(s))")
        get_cases = store.cases.get_cases
        execute = conn.execute
        loads = json.loads
        q_all = ("SELECT data FROM cases WHERE section_id = ? ORDER BY display_order, id "
                 "LIMIT 250")
        q_pri = ("SELECT data FROM cases WHERE section_id = ? AND priority_id IN (3, 4) "
                 "ORDER BY display_order, id LIMIT 250")
        # Same cases, same order, on both sides.
        for s in picks[:3]:
            a = [c["id"] for c in get_cases(1, section_id=s)["cases"]]
            b = [loads(r[0])["id"] for r in execute(q_all, (s,))]
            if a != b:
                raise SystemExit(f"section {s}: the sides list different cases")
        counts = {"all": 0, "pri": 0}

        def ts_all() -> None:
            k = 0
            for s in picks:
                k += len(get_cases(1, section_id=s)["cases"])
            counts["all"] = k

        def ts_pri() -> None:
            k = 0
            for s in picks:
                k += len(get_cases(1, section_id=s, priority_id=[3, 4])["cases"])
            counts["pri"] = k

        def sql_all() -> None:
            for s in picks:
                [loads(r[0]) for r in execute(q_all, (s,)).fetchall()]

        def sql_pri() -> None:
            for s in picks:
                [loads(r[0]) for r in execute(q_pri, (s,)).fetchall()]

        per = lambda f: (lambda: timed(f)[0] * 1e3 / n)  # noqa: E731
        res = alternate(self.reps, {"ts_all": per(ts_all), "sql_all": per(sql_all),
                                    "ts_pri": per(ts_pri), "sql_pri": per(sql_pri)})
        m = {k: med(v) for k, v in res.items()}
        self.rows.append(Row(
            "W3", "a section's cases: `get_cases(1, section_id=S)` vs SELECT + `json.loads` each",
            "ms", m["ts_all"], m["sql_all"], [("factor", 1.0)],
            note=f"{counts['all'] / n:.0f} cases a section"))
        self.rows.append(Row(
            "W3", "section + priority 3, 4: `get_cases(1, section_id=S, priority_id=[3, 4])`",
            "ms", m["ts_pri"], m["sql_pri"], [("factor", 1.0)],
            note=f"{counts['pri'] / n:.0f} cases a listing"))

    # -- the Rust W2, as a reference in the same run --
    def rust_w2(self) -> None:
        a = self.args
        out = os.path.join(tempfile.mkdtemp(prefix="w2-rust-", dir=a.dir), "w2.json")
        cmd = [a.bench, "--size", a.size, "--only", "W2", "--dir", a.dir, "--seed", str(a.seed),
               "--reps", str(self.reps), "--json", out]
        if a.quick:
            cmd.append("--quick")
        self.say("W2 from Rust (trailstore-bench --only W2), for reference")
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(out) as f:
            rows = json.load(f)
        shutil.rmtree(os.path.dirname(out), ignore_errors=True)
        for r in rows:
            # The first W2 row; the others break it down (the Value alone, the typed get, what
            # reading the packed record costs below any decoding).
            if r["w"] == "W2" and r["what"].startswith("get_case by id (Rust, JSON out)"):
                self.rust_w2_row = (r["trailstore"], r["sqlite"])
            if r["w"] == "W2" and r["what"].startswith("get_case by id, typed answer"):
                self.rust_typed = r["trailstore"]
            if r["w"] == "W2" and r["what"].startswith("storage floor: looked up and"):
                self.storage_floor = r["trailstore"]
            if r["w"] == "W2" and r["what"].startswith("storage floor per call"):
                self.per_call_floor = r["trailstore"]

    def all(self) -> None:
        a = self.args
        only = {w.strip().upper() for w in a.only.split(",")} if a.only else {"W1", "W2", "W3"}
        if only & {"W2", "W3"}:
            ts_dir, db = ensure_prepared(a.bench, a.dir, a.size, a.seed)
            if "W2" in only:
                self.rust_w2()
            store = trailstore.Store(ts_dir)
            conn = sqlite_open(db)
            try:
                if "W2" in only:
                    self.w2(store, conn)
                if "W3" in only:
                    self.w3(store, conn)
            finally:
                store.close()
                conn.close()
        if "W1" in only:
            self.w1()

    def report(self) -> str:
        a = self.args
        out = [f"trailstore {getattr(trailstore, '__version__', '?')} (Python API) vs Python "
               f"sqlite3 (SQLite {sqlite3.sqlite_version}) + json, Python "
               f"{platform.python_version()}, {self.cases} cases, seed {a.seed}, {self.reps} "
               f"repetition(s){', --quick' if a.quick else ''}", ""]
        if self.rows:
            out.append(table(self.rows, "sqlite3", "ts/sqlite3"))
        if self.layers:
            out.append("W2, the layers of one call (medians of the same run):\n")
            out.append("| side | what runs | µs per call | share of the side's call |")
            out.append("|---|---|---:|---:|")
            for side, what, v, whole in self.layers:
                out.append(f"| {side} | {what} | {fmt(v)} | {100 * v / whole:.0f} % |")
            out.append("")
        if self.rust:
            out.append(table(self.rust, "Rust", "Python/Rust"))
        if hasattr(self, "rust_w2_row"):
            t, s = self.rust_w2_row
            self.notes.append(f"W2 from Rust in the same run (trailstore-bench --only W2): "
                              f"`Store::call(\"get_case/ID\")` {fmt(t)} µs, rusqlite SELECT + "
                              f"serde_json {fmt(s)} µs")
        out += [f"- {n}" for n in self.notes]
        return "\n".join(out) + "\n"

    def to_json(self) -> List[Dict[str, Any]]:
        def one(r: Row, other: str) -> Dict[str, Any]:
            return {"w": r.w, "what": r.what, "unit": r.unit, "trailstore": r.ts, other: r.other,
                    "note": r.note, "met": r.met()}

        layers = [{"w": "W2", "side": side, "what": what, "unit": "µs", "value": v}
                  for side, what, v, _ in self.layers]
        return ([one(r, "sqlite") for r in self.rows] + layers
                + [one(r, "rust") for r in self.rust])


# ---- profiling loops ----------------------------------------------------------------------------


def loop(args: argparse.Namespace) -> None:
    """One hot loop alone, for perf: `--loop get_case|native|list|sql_get N`."""
    what, n = args.loop[0], int(args.loop[1])
    cases = parse_size(args.size)
    ts_dir, db = ensure_prepared(args.bench, args.dir, args.size, args.seed)
    rng = Rng(args.seed, 2)
    ids = [1 + rng.below(cases) for _ in range(n)]
    store = trailstore.Store(ts_dir)
    conn = sqlite_open(db)
    if what == "get_case":
        f = store.cases.get_case

        def go() -> None:
            for i in ids:
                f(i)
    elif what == "native":
        native = store._native.call
        routes = [f"get_case/{i}" for i in ids]

        def go() -> None:
            for r in routes:
                native(r, None)
    elif what == "list":
        secs = [r[0] for r in conn.execute("SELECT id FROM sections WHERE suite_id = 1")]
        picks = [secs[i % len(secs)] for i in ids]
        g = store.cases.get_cases

        def go() -> None:
            for s in picks:
                g(1, section_id=s)
    elif what == "sql_get":
        q = "SELECT data FROM cases WHERE id = ?"

        def go() -> None:
            for i in ids:
                json.loads(conn.execute(q, (i,)).fetchone()[0])
    else:
        raise SystemExit(f"--loop: get_case, native, list or sql_get, not {what}")
    gc.collect()
    t, _ = timed(go)
    print(json.dumps({"loop": what, "n": n, "us_per_call": t * 1e6 / n}))
    store.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="10k cases, one repetition: a smoke run")
    p.add_argument("--size", default=None, help="10k or 100k (default 100k; 10k with --quick)")
    p.add_argument("--reps", type=int, default=None, help="repetitions (default 5; W1: 3)")
    p.add_argument("--dir", default=os.path.join(REPO, "target", "bench-data"),
                   help="where the prepared data sets live (the bench binary's --dir)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--only", default="", help="W1,W2,W3 (default: all)")
    p.add_argument("--bench", default=os.path.join(REPO, "target", "release", "trailstore-bench"),
                   help="the trailstore-bench binary (cargo build --release -p trailstore-bench)")
    p.add_argument("--json", default=None, help="also write the rows as JSON here")
    p.add_argument("--fts-plain", action="store_true",
                   help="W1's FTS table without contentless_delete even where SQLite has it")
    p.add_argument("--w1-sqlite-only", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--loop", nargs=2, metavar=("WHAT", "N"), help=argparse.SUPPRESS)
    args = p.parse_args()
    args.size = args.size or ("10k" if args.quick else "100k")
    args.dir = os.path.abspath(args.dir)
    os.makedirs(args.dir, exist_ok=True)
    if not os.access(args.bench, os.X_OK):
        raise SystemExit(f"{args.bench}: not built (cargo build --release -p trailstore-bench)")
    if args.loop:
        loop(args)
        return
    start = time.perf_counter()
    b = Bench(args)
    b.all()
    b.say(f"total {time.perf_counter() - start:.1f} s")
    print()
    print(b.report())
    if args.json:
        with open(args.json, "w") as f:
            json.dump(b.to_json(), f, indent=2)


if __name__ == "__main__":
    main()
