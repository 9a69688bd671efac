-- The SQLite + FTS5 side of the benchmarks (docs/benchmarks.md, "The SQLite side"), shared by
-- the Rust bench (benches/src/sqlite.rs) and the Python one (benches/python/bench_python.py).
-- `{fts}` takes the FTS table's extra options: `, contentless_delete=1` where SQLite has it.
CREATE TABLE projects (id INTEGER PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE suites (id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE sections (id INTEGER PRIMARY KEY, suite_id INTEGER NOT NULL, parent_id INTEGER,
    depth INTEGER NOT NULL, display_order INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE section_closure (ancestor_id INTEGER NOT NULL, section_id INTEGER NOT NULL,
    PRIMARY KEY (ancestor_id, section_id)) WITHOUT ROWID;
CREATE TABLE refdata (kind TEXT NOT NULL, id INTEGER NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (kind, id)) WITHOUT ROWID;
CREATE TABLE cases (
    id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL, suite_id INTEGER NOT NULL,
    section_id INTEGER NOT NULL, template_id INTEGER, type_id INTEGER, priority_id INTEGER,
    milestone_id INTEGER, created_by INTEGER, created_on INTEGER, updated_by INTEGER,
    updated_on INTEGER, display_order INTEGER, data TEXT NOT NULL);
CREATE INDEX cases_section ON cases (section_id, display_order);
CREATE INDEX cases_suite_updated ON cases (suite_id, updated_on);
CREATE VIRTUAL TABLE cases_fts USING fts5 (title, refs, text, steps, options, content=''{fts});
CREATE TABLE journal (seq INTEGER PRIMARY KEY, op_id TEXT NOT NULL, route TEXT NOT NULL,
    body TEXT NOT NULL, time INTEGER NOT NULL, user_id INTEGER NOT NULL, state TEXT NOT NULL,
    effects TEXT NOT NULL);
