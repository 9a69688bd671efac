-- Runs, tests and results on the SQLite side of W9 and W10 (docs/benchmarks.md, "Recording
-- results"), added to a copy of the prepared database (sqlite_schema.sql) before those workloads.
-- What a developer keeping TestRail's guarantees on SQLite needs: a run row with its counts kept
-- up to date (never recounted on read), a test per case with its latest status, results with the
-- indexes `get_results` (by test) and `get_results_for_run` (by run) need, and the journal.
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL, suite_id INTEGER NOT NULL,
    is_completed INTEGER NOT NULL DEFAULT 0, data TEXT NOT NULL,
    passed_count INTEGER NOT NULL DEFAULT 0, blocked_count INTEGER NOT NULL DEFAULT 0,
    untested_count INTEGER NOT NULL DEFAULT 0, retest_count INTEGER NOT NULL DEFAULT 0,
    failed_count INTEGER NOT NULL DEFAULT 0,
    custom_status1_count INTEGER NOT NULL DEFAULT 0, custom_status2_count INTEGER NOT NULL DEFAULT 0,
    custom_status3_count INTEGER NOT NULL DEFAULT 0, custom_status4_count INTEGER NOT NULL DEFAULT 0,
    custom_status5_count INTEGER NOT NULL DEFAULT 0, custom_status6_count INTEGER NOT NULL DEFAULT 0,
    custom_status7_count INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS tests (
    id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, case_id INTEGER NOT NULL,
    status_id INTEGER NOT NULL, assignedto_id INTEGER);
CREATE UNIQUE INDEX IF NOT EXISTS tests_run_case ON tests (run_id, case_id);
CREATE INDEX IF NOT EXISTS tests_run ON tests (run_id, id);
CREATE TABLE IF NOT EXISTS results (
    id INTEGER PRIMARY KEY, test_id INTEGER NOT NULL, run_id INTEGER NOT NULL,
    status_id INTEGER, created_on INTEGER NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS results_test ON results (test_id, id);
CREATE INDEX IF NOT EXISTS results_run ON results (run_id, id);
