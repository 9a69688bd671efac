/* Runs, tests, results and plans: through the dispatcher (trailstore_store_call) as a TestRail
 * client sends them, and through the typed fast path trailstore_results_add_for_cases(): ids in
 * order, a bad entry refusing the whole call with nothing written, and bad arguments. */
#include "harness.h"

#include <inttypes.h>

/* The five system statuses, a custom one ("Flaky", id 6) and a user: the reference data of a
 * server, as a snapshot brings them to a store. */
static const char *REFERENCE =
    "{\"statuses\": ["
    "{\"id\": 1, \"name\": \"passed\", \"label\": \"Passed\", \"is_system\": true, \"is_final\": true},"
    "{\"id\": 2, \"name\": \"blocked\", \"label\": \"Blocked\", \"is_system\": true},"
    "{\"id\": 3, \"name\": \"untested\", \"label\": \"Untested\", \"is_system\": true,"
    " \"is_untested\": true},"
    "{\"id\": 4, \"name\": \"retest\", \"label\": \"Retest\", \"is_system\": true},"
    "{\"id\": 5, \"name\": \"failed\", \"label\": \"Failed\", \"is_system\": true, \"is_final\": true},"
    "{\"id\": 6, \"name\": \"custom_status1\", \"label\": \"Flaky\"}],"
    " \"users\": [{\"id\": 1, \"name\": \"Ada\", \"email\": \"ada@lab.example\", \"is_active\": true}]}";

#define MAX_CASES 200

/* A store with that reference data, a multi-suite project, a suite, a section and `n` cases,
 * all made through trailstore_store_call (the cases in one batch). */
struct lab {
    trailstore_store *store;
    char *dir;
    uint64_t project, suite, section;
    uint64_t cases[MAX_CASES];
};

static char *call_ok(trailstore_store *store, const char *route, const char *body) {
    char *out = NULL;
    CHECK_OK(trailstore_store_call(store, route, body, &out));
    return out;
}

static uint64_t new_id(trailstore_store *store, const char *route, const char *body) {
    char *out = call_ok(store, route, body);
    int64_t id = json_int(out, "id");
    CHECK(id > 0);
    trailstore_string_free(out);
    return (uint64_t)id;
}

static void lab_open(struct lab *l, size_t n) {
    CHECK(n <= MAX_CASES);
    l->store = open_empty(&l->dir);
    char *report = NULL;
    CHECK_OK(trailstore_store_import_json(l->store, REFERENCE, &report));
    trailstore_string_free(report);
    l->project = new_id(l->store, "add_project", "{\"name\": \"Rig\", \"suite_mode\": 3}");
    char route[128], body[256];
    snprintf(route, sizeof route, "add_suite/%" PRIu64, l->project);
    l->suite = new_id(l->store, route, "{\"name\": \"Power\"}");
    snprintf(route, sizeof route, "add_section/%" PRIu64, l->project);
    snprintf(body, sizeof body, "{\"name\": \"Supply\", \"suite_id\": %" PRIu64 "}", l->suite);
    l->section = new_id(l->store, route, body);
    trailstore_batch *batch = NULL;
    CHECK_OK(trailstore_batch_begin(l->store, &batch));
    snprintf(route, sizeof route, "add_case/%" PRIu64, l->section);
    for (size_t i = 0; i < n; i++) {
        char *out = NULL;
        snprintf(body, sizeof body, "{\"title\": \"Case %zu\"}", i);
        CHECK_OK(trailstore_batch_call(batch, route, body, &out));
        l->cases[i] = (uint64_t)json_int(out, "id");
        trailstore_string_free(out);
    }
    CHECK_OK(trailstore_batch_commit(batch));
    trailstore_batch_free(batch);
}

static void lab_close(struct lab *l) { close_store(l->store, l->dir); }

/* A run of the lab's suite: every case with `case_ids` NULL, else those (a JSON list). */
static uint64_t add_run(struct lab *l, const char *name, const char *case_ids) {
    char route[64], body[512];
    snprintf(route, sizeof route, "add_run/%" PRIu64, l->project);
    if (case_ids) {
        snprintf(body, sizeof body,
                 "{\"suite_id\": %" PRIu64 ", \"name\": \"%s\", \"include_all\": false,"
                 " \"case_ids\": %s}",
                 l->suite, name, case_ids);
    } else {
        snprintf(body, sizeof body, "{\"suite_id\": %" PRIu64 ", \"name\": \"%s\"}", l->suite, name);
    }
    return new_id(l->store, route, body);
}

/* An integer member of what `route` answers. */
static int64_t answer_int(trailstore_store *store, const char *route, const char *key) {
    char *out = call_ok(store, route, NULL);
    int64_t v = json_int(out, key);
    trailstore_string_free(out);
    return v;
}

static int64_t run_count(trailstore_store *store, uint64_t run, const char *key) {
    char route[64];
    snprintf(route, sizeof route, "get_run/%" PRIu64, run);
    return answer_int(store, route, key);
}

static int64_t results_in_run(trailstore_store *store, uint64_t run) {
    char route[64];
    snprintf(route, sizeof route, "get_results_for_run/%" PRIu64, run);
    return answer_int(store, route, "size");
}

static long journal_len(trailstore_store *store) {
    char *out = NULL;
    CHECK_OK(trailstore_journal_get_pending(store, 0, &out));
    long n = json_array_len(out);
    trailstore_string_free(out);
    return n;
}

/* Where item `i` of the JSON array starting at `p` starts (NULL when there is none). */
static const char *json_item(const char *p, long i) {
    if (p == NULL) return NULL;
    while (*p == ' ' || *p == '\n') p++;
    if (*p != '[') return NULL;
    p++;
    for (long k = 0;; k++) {
        while (*p == ' ' || *p == '\n' || *p == ',') p++;
        if (*p == ']' || *p == '\0') return NULL;
        if (k == i) return p;
        p = json_skip(p);
    }
}

/* Whether the member `key` of the object at `obj` starts with `text` (`null`, `false`, `[]`). */
static int json_raw_is(const char *obj, const char *key, const char *text) {
    const char *p = json_member(obj, key);
    return p != NULL && strncmp(p, text, strlen(text)) == 0;
}

/* The status counts of a run or plan: passed, blocked, untested, retest, failed, Flaky. */
#define CHECK_COUNTS(json, p, b, u, r, f, c)                                                        \
    do {                                                                                           \
        CHECK(json_int(json, "passed_count") == (p));                                              \
        CHECK(json_int(json, "blocked_count") == (b));                                             \
        CHECK(json_int(json, "untested_count") == (u));                                            \
        CHECK(json_int(json, "retest_count") == (r));                                              \
        CHECK(json_int(json, "failed_count") == (f));                                              \
        CHECK(json_int(json, "custom_status1_count") == (c));                                      \
    } while (0)

static void runs_tests_and_results_through_the_dispatcher(void) {
    struct lab l;
    lab_open(&l, 3);
    char ids[128], route[128], body[512];
    snprintf(ids, sizeof ids, "[%" PRIu64 ", %" PRIu64 ", %" PRIu64 "]", l.cases[0], l.cases[1],
             l.cases[2]);
    uint64_t run = add_run(&l, "Nightly", ids);

    snprintf(route, sizeof route, "get_run/%" PRIu64, run);
    char *got = call_ok(l.store, route, NULL);
    CHECK(json_raw_is(got, "is_completed", "false"));
    CHECK(json_raw_is(got, "include_all", "false"));
    CHECK(json_raw_is(got, "plan_id", "null"));
    CHECK(json_raw_is(got, "config_ids", "[]"));
    CHECK(json_str_is(got, "name", "Nightly"));
    CHECK_COUNTS(got, 0, 0, 3, 0, 0, 0);
    trailstore_string_free(got);

    /* One test per case, untested, in the cases' order. */
    snprintf(route, sizeof route, "get_tests/%" PRIu64, run);
    got = call_ok(l.store, route, NULL);
    const char *tests = json_member(got, "tests");
    CHECK(json_array_len(tests) == 3);
    uint64_t test_ids[3];
    for (long i = 0; i < 3; i++) {
        const char *t = json_item(tests, i);
        CHECK(json_int(t, "case_id") == (int64_t)l.cases[i]);
        CHECK(json_int(t, "status_id") == 3);
        CHECK(json_int(t, "run_id") == (int64_t)run);
        test_ids[i] = (uint64_t)json_int(t, "id");
    }
    trailstore_string_free(got);

    /* A bare array in request order; a later entry for the same case sets its status. */
    snprintf(route, sizeof route, "add_results_for_cases/%" PRIu64, run);
    snprintf(body, sizeof body,
             "{\"results\": [{\"case_id\": %" PRIu64 ", \"status_id\": 1},"
             " {\"case_id\": \"%" PRIu64 "\", \"status_id\": 5, \"comment\": \"Timeout\","
             " \"elapsed\": \"1m 5s\", \"attachments\": [\"/tmp/log.txt\"]},"
             " {\"case_id\": %" PRIu64 ", \"status_id\": 4}]}",
             l.cases[0], l.cases[1], l.cases[1]);
    got = call_ok(l.store, route, body);
    CHECK(json_array_len(got) == 3);
    CHECK(json_int(json_item(got, 0), "test_id") == (int64_t)test_ids[0]);
    CHECK(json_str_is(json_item(got, 1), "comment", "Timeout"));
    CHECK(json_str_is(json_item(got, 1), "elapsed", "1m 5s"));
    CHECK(json_int(json_item(got, 2), "status_id") == 4);
    CHECK(json_int(json_item(got, 1), "id") < json_int(json_item(got, 2), "id"));
    trailstore_string_free(got);

    snprintf(route, sizeof route, "get_run/%" PRIu64, run);
    got = call_ok(l.store, route, NULL);
    CHECK_COUNTS(got, 1, 0, 1, 1, 0, 0);
    trailstore_string_free(got);
    snprintf(route, sizeof route, "get_tests/%" PRIu64 "&status_id=4,5", run);
    CHECK(answer_int(l.store, route, "size") == 1);

    /* A custom status through add_result; the run counts it under custom_status1_count. */
    snprintf(route, sizeof route, "add_result/%" PRIu64, test_ids[2]);
    got = call_ok(l.store, route, "{\"status_id\": 6}");
    trailstore_string_free(got);
    CHECK(run_count(l.store, run, "custom_status1_count") == 1);
    CHECK(run_count(l.store, run, "untested_count") == 0);

    /* Closed: results are refused with TestRail's message, and nothing changes. */
    snprintf(route, sizeof route, "close_run/%" PRIu64, run);
    got = call_ok(l.store, route, "{\"run_id\": 1}");
    CHECK(json_raw_is(got, "is_completed", "true"));
    CHECK(!json_raw_is(got, "completed_on", "null"));
    trailstore_string_free(got);
    long journal = journal_len(l.store);
    char *out = UNTOUCHED;
    snprintf(route, sizeof route, "add_result_for_case/%" PRIu64 "/%" PRIu64, run, l.cases[0]);
    CHECK_STATUS(trailstore_store_call(l.store, route, "{\"status_id\": 5}", &out),
                 TRAILSTORE_STATUS_FORBIDDEN);
    CHECK_STR(trailstore_last_error_message(),
              "This operation is not allowed. The test run is already completed.");
    CHECK(out == UNTOUCHED);
    snprintf(route, sizeof route, "add_results_for_cases/%" PRIu64, run);
    snprintf(body, sizeof body, "{\"results\": [{\"case_id\": %" PRIu64 ", \"status_id\": 5}]}",
             l.cases[0]);
    CHECK_STATUS(trailstore_store_call(l.store, route, body, &out), TRAILSTORE_STATUS_FORBIDDEN);
    CHECK(out == UNTOUCHED);
    snprintf(route, sizeof route, "get_run/%" PRIu64, run);
    got = call_ok(l.store, route, NULL);
    CHECK_COUNTS(got, 1, 0, 0, 1, 0, 1);
    trailstore_string_free(got);
    CHECK(results_in_run(l.store, run) == 4);
    CHECK(journal_len(l.store) == journal);
    lab_close(&l);
}

/* Two configuration groups: Browsers (Firefox, Chrome) and OS (Linux). */
struct configs {
    uint64_t firefox, chrome, linux_;
};

static struct configs add_configs(struct lab *l) {
    char route[64];
    struct configs c;
    snprintf(route, sizeof route, "add_config_group/%" PRIu64, l->project);
    uint64_t browsers = new_id(l->store, route, "{\"name\": \"Browsers\"}");
    uint64_t os = new_id(l->store, route, "{\"name\": \"OS\"}");
    snprintf(route, sizeof route, "add_config/%" PRIu64, browsers);
    c.firefox = new_id(l->store, route, "{\"name\": \"Firefox\"}");
    c.chrome = new_id(l->store, route, "{\"name\": \"Chrome\"}");
    snprintf(route, sizeof route, "add_config/%" PRIu64, os);
    c.linux_ = new_id(l->store, route, "{\"name\": \"Linux\"}");
    return c;
}

static void plans_with_configurations(void) {
    struct lab l;
    lab_open(&l, 2);
    struct configs c = add_configs(&l);
    char route[128], body[1024];
    snprintf(route, sizeof route, "add_plan/%" PRIu64, l.project);
    snprintf(body, sizeof body,
             "{\"name\": \"Release 2.1\", \"entries\": [{\"suite_id\": %" PRIu64 ","
             " \"include_all\": true, \"runs\": [{\"config_ids\": [%" PRIu64 ", %" PRIu64 "]},"
             " {\"config_ids\": [%" PRIu64 ", %" PRIu64 "]}]}]}",
             l.suite, c.firefox, c.linux_, c.chrome, c.linux_);
    char *plan = call_ok(l.store, route, body);
    uint64_t plan_id = (uint64_t)json_int(plan, "id");
    CHECK_COUNTS(plan, 0, 0, 4, 0, 0, 0);
    const char *entry = json_item(json_member(plan, "entries"), 0);
    CHECK(entry != NULL);
    /* An entry id is a GUID string; each run names its entry, its plan and its configurations. */
    const char *guid = json_member(entry, "id");
    CHECK(guid[0] == '"' && json_skip(guid) - guid == 38);
    const char *runs = json_member(entry, "runs");
    CHECK(json_array_len(runs) == 2);
    const char *run0 = json_item(runs, 0), *run1 = json_item(runs, 1);
    CHECK(json_str_is(run0, "config", "Firefox, Linux"));
    CHECK(json_str_is(run1, "config", "Chrome, Linux"));
    CHECK(json_int(run0, "plan_id") == (int64_t)plan_id);
    CHECK(strncmp(json_member(run0, "entry_id"), guid, 38) == 0);
    CHECK(json_int(run0, "untested_count") == 2);
    uint64_t firefox_run = (uint64_t)json_int(run0, "id");
    uint64_t chrome_run = (uint64_t)json_int(run1, "id");
    trailstore_string_free(plan);

    /* Results through the fast path count in the run and in the plan. */
    trailstore_case_result results[2] = {
        {.case_id = l.cases[0], .status_id = 1},
        {.case_id = l.cases[1], .status_id = 5, .comment = "Crashes on Linux"},
    };
    uint64_t out_ids[2] = {0, 0};
    CHECK_OK(trailstore_results_add_for_cases(l.store, firefox_run, results, 2, out_ids));
    CHECK(out_ids[0] > 0 && out_ids[1] > out_ids[0]);
    snprintf(route, sizeof route, "get_plan/%" PRIu64, plan_id);
    plan = call_ok(l.store, route, NULL);
    CHECK_COUNTS(plan, 1, 0, 2, 0, 1, 0);
    trailstore_string_free(plan);
    char *got = NULL;
    snprintf(route, sizeof route, "get_run/%" PRIu64, chrome_run);
    got = call_ok(l.store, route, NULL);
    CHECK_COUNTS(got, 0, 0, 2, 0, 0, 0);
    CHECK(json_raw_is(got, "config_ids", "["));
    trailstore_string_free(got);

    /* get_runs lists standalone runs unless asked for the plans' too. */
    snprintf(route, sizeof route, "get_runs/%" PRIu64, l.project);
    CHECK(answer_int(l.store, route, "size") == 0);
    snprintf(route, sizeof route, "get_runs/%" PRIu64 "&include_plan_runs=1", l.project);
    CHECK(answer_int(l.store, route, "size") == 2);

    /* A plan's run closes with its plan; then it takes no more results. */
    char *out = UNTOUCHED;
    snprintf(route, sizeof route, "close_run/%" PRIu64, chrome_run);
    CHECK_STATUS(trailstore_store_call(l.store, route, NULL, &out), TRAILSTORE_STATUS_FORBIDDEN);
    CHECK_STR(trailstore_last_error_message(),
              "This operation is not allowed. The test run belongs to a test plan and cannot be "
              "closed independently.");
    snprintf(route, sizeof route, "close_plan/%" PRIu64, plan_id);
    got = call_ok(l.store, route, NULL);
    CHECK(json_raw_is(got, "is_completed", "true"));
    trailstore_string_free(got);
    results[0].status_id = 5;
    out_ids[0] = out_ids[1] = 7;
    CHECK_STATUS(trailstore_results_add_for_cases(l.store, chrome_run, results, 2, out_ids),
                 TRAILSTORE_STATUS_FORBIDDEN);
    CHECK_STR(trailstore_last_error_message(),
              "This operation is not allowed. The test run is already completed.");
    CHECK(out_ids[0] == 7 && out_ids[1] == 7);
    CHECK(results_in_run(l.store, chrome_run) == 0);
    lab_close(&l);
}

/* TestRail's own example of add_plan gives an entry the union of its runs' configurations
 * (`"config_ids": [1, 2, 4, 5, 6]`, runs `[2, 5]` and `[3, 5]`), and trcli sends the same list on
 * the entry and its run: two configurations of one group on the entry are allowed. */
static void plan_entry_config_ids_are_the_union_of_its_runs(void) {
    struct lab l;
    lab_open(&l, 1);
    struct configs c = add_configs(&l);
    char route[128], body[1024];
    snprintf(route, sizeof route, "add_plan/%" PRIu64, l.project);
    snprintf(body, sizeof body,
             "{\"name\": \"Union\", \"entries\": [{\"suite_id\": %" PRIu64 ","
             " \"config_ids\": [%" PRIu64 ", %" PRIu64 ", %" PRIu64 "],"
             " \"runs\": [{\"config_ids\": [%" PRIu64 ", %" PRIu64 "]},"
             " {\"config_ids\": [%" PRIu64 ", %" PRIu64 "]}]}]}",
             l.suite, c.firefox, c.chrome, c.linux_, c.firefox, c.linux_, c.chrome, c.linux_);
    char *plan = call_ok(l.store, route, body);
    CHECK(json_array_len(json_member(json_item(json_member(plan, "entries"), 0), "runs")) == 2);
    trailstore_string_free(plan);
    lab_close(&l);
}

static void two_hundred_results_in_one_call_come_back_in_order(void) {
    struct lab l;
    lab_open(&l, MAX_CASES);
    uint64_t run = add_run(&l, "Everything", NULL);
    CHECK(run_count(l.store, run, "untested_count") == MAX_CASES);
    long journal = journal_len(l.store);

    static const uint64_t cycle[5] = {1, 2, 4, 5, 6};
    trailstore_case_result results[MAX_CASES];
    char comments[MAX_CASES][32];
    uint64_t out_ids[MAX_CASES];
    memset(results, 0, sizeof results);
    for (size_t i = 0; i < MAX_CASES; i++) {
        /* Backwards, so that the ids' order is the request's, not the cases'. */
        results[i].case_id = l.cases[MAX_CASES - 1 - i];
        results[i].status_id = cycle[i % 5];
        snprintf(comments[i], sizeof comments[i], "Entry %zu", i);
        results[i].comment = comments[i];
        results[i].elapsed = "5s";
        results[i].version = "2.1.0";
        out_ids[i] = 0;
    }
    CHECK_OK(trailstore_results_add_for_cases(l.store, run, results, MAX_CASES, out_ids));
    for (size_t i = 1; i < MAX_CASES; i++) CHECK(out_ids[i] > out_ids[i - 1]);
    CHECK(out_ids[0] > 0);

    /* Each id is the result of its entry. */
    static const size_t probes[3] = {0, 57, MAX_CASES - 1};
    for (size_t k = 0; k < 3; k++) {
        size_t i = probes[k];
        char route[96];
        snprintf(route, sizeof route, "get_results_for_case/%" PRIu64 "/%" PRIu64, run,
                 results[i].case_id);
        char *got = call_ok(l.store, route, NULL);
        const char *r = json_item(json_member(got, "results"), 0);
        CHECK(json_int(r, "id") == (int64_t)out_ids[i]);
        CHECK(json_int(r, "status_id") == (int64_t)results[i].status_id);
        CHECK(json_str_is(r, "comment", comments[i]));
        CHECK(json_str_is(r, "version", "2.1.0"));
        CHECK(json_str_is(r, "elapsed", "5s"));
        trailstore_string_free(got);
    }
    char route[64];
    snprintf(route, sizeof route, "get_run/%" PRIu64, run);
    char *got = call_ok(l.store, route, NULL);
    CHECK_COUNTS(got, 40, 40, 0, 40, 40, 40);
    trailstore_string_free(got);
    CHECK(results_in_run(l.store, run) == MAX_CASES);
    /* One call, one journal entry: the route's. */
    CHECK(journal_len(l.store) == journal + 1);
    lab_close(&l);
}

/* Every refused call below leaves out_ids, the run's counts, its results and the journal as
 * they were. */
#define CHECK_NOTHING_WRITTEN(l, run, ids, n, journal)                                            \
    do {                                                                                           \
        for (size_t k_ = 0; k_ < (n); k_++) CHECK((ids)[k_] == 0xabababab);                      \
        CHECK(run_count((l).store, run, "untested_count") == 2);                                   \
        CHECK(results_in_run((l).store, run) == 0);                                                \
        CHECK(journal_len((l).store) == (journal));                                               \
    } while (0)

static void a_bad_entry_refuses_the_whole_call(void) {
    struct lab l;
    lab_open(&l, 3);
    char ids[64], want[256];
    snprintf(ids, sizeof ids, "[%" PRIu64 ", %" PRIu64 "]", l.cases[0], l.cases[1]);
    uint64_t run = add_run(&l, "Two of three", ids);
    long journal = journal_len(l.store);
    uint64_t out_ids[2] = {0xabababab, 0xabababab};

    /* A case that is not in the run, after a good entry. */
    trailstore_case_result results[2] = {
        {.case_id = l.cases[0], .status_id = 1},
        {.case_id = l.cases[2], .status_id = 1},
    };
    CHECK_STATUS(trailstore_results_add_for_cases(l.store, run, results, 2, out_ids),
                 TRAILSTORE_STATUS_VALIDATION);
    snprintf(want, sizeof want,
             "Field :results contains one or more invalid results (case C%" PRIu64
             " unknown or not part of the test run)",
             l.cases[2]);
    CHECK_STR(trailstore_last_error_message(), want);
    CHECK_FIELD("results");
    CHECK_NOTHING_WRITTEN(l, run, out_ids, 2, journal);

    /* Untested cannot be added. */
    results[1].case_id = l.cases[1];
    results[1].status_id = 3;
    CHECK_STATUS(trailstore_results_add_for_cases(l.store, run, results, 2, out_ids),
                 TRAILSTORE_STATUS_VALIDATION);
    CHECK_STR(trailstore_last_error_message(),
              "Field :results.status_id uses an invalid status (Untested).");
    CHECK_FIELD("results.status_id");
    CHECK_NOTHING_WRITTEN(l, run, out_ids, 2, journal);

    /* An entry that says nothing; a status that does not exist; a time span of nothing. */
    results[1].status_id = 0;
    CHECK_STATUS(trailstore_results_add_for_cases(l.store, run, results, 2, out_ids),
                 TRAILSTORE_STATUS_VALIDATION);
    CHECK_STR(trailstore_last_error_message(),
              "Field :results contains one or more invalid results (one of Status ID, Assigned "
              "To or Comment is required)");
    results[1].status_id = 99;
    CHECK_STATUS(trailstore_results_add_for_cases(l.store, run, results, 2, out_ids),
                 TRAILSTORE_STATUS_NOT_FOUND);
    CHECK_STR(trailstore_last_error_message(), "Field :results.status_id is not a valid status.");
    CHECK_FIELD("results.status_id");
    results[1].status_id = 5;
    results[1].elapsed = "0s";
    CHECK_STATUS(trailstore_results_add_for_cases(l.store, run, results, 2, out_ids),
                 TRAILSTORE_STATUS_VALIDATION);
    CHECK_FIELD("results.elapsed");
    CHECK_NOTHING_WRITTEN(l, run, out_ids, 2, journal);

    /* An unknown run. */
    results[1].elapsed = "1m 5s";
    CHECK_STATUS(trailstore_results_add_for_cases(l.store, 999999, results, 2, out_ids),
                 TRAILSTORE_STATUS_NOT_FOUND);
    CHECK_STR(trailstore_last_error_message(), "Field :run_id is not a valid test run.");
    CHECK_NOTHING_WRITTEN(l, run, out_ids, 2, journal);

    /* Fixed, the same call goes through: every member arrives, the typed ones over
     * fields_json's, and keys TestRail ignores are ignored. */
    results[0].comment = "Stable at 12 V";
    results[0].version = "2.1.0";
    results[0].defects = "BUG-1,BUG-2";
    results[0].assignedto_id = 1;
    results[0].fields_json =
        "{\"status_id\": 5, \"custom_testrail_bdd_scenario_results\": [], \"attachments\": []}";
    CHECK_OK(trailstore_results_add_for_cases(l.store, run, results, 2, out_ids));
    CHECK(out_ids[0] != 0xabababab && out_ids[1] > out_ids[0]);
    char route[96];
    snprintf(route, sizeof route, "get_results_for_case/%" PRIu64 "/%" PRIu64, run, l.cases[0]);
    char *got = call_ok(l.store, route, NULL);
    const char *r = json_item(json_member(got, "results"), 0);
    CHECK(json_int(r, "id") == (int64_t)out_ids[0]);
    CHECK(json_int(r, "status_id") == 1);
    CHECK(json_str_is(r, "comment", "Stable at 12 V"));
    CHECK(json_str_is(r, "version", "2.1.0"));
    CHECK(json_str_is(r, "defects", "BUG-1,BUG-2"));
    CHECK(json_int(r, "assignedto_id") == 1);
    CHECK(json_member(r, "custom_testrail_bdd_scenario_results") == NULL);
    trailstore_string_free(got);
    snprintf(route, sizeof route, "get_run/%" PRIu64, run);
    got = call_ok(l.store, route, NULL);
    CHECK_COUNTS(got, 1, 0, 0, 0, 1, 0);
    trailstore_string_free(got);
    CHECK(journal_len(l.store) == journal + 1);
    lab_close(&l);
}

static void the_fast_path_refuses_bad_arguments(void) {
    struct lab l;
    lab_open(&l, 2);
    char ids[64];
    snprintf(ids, sizeof ids, "[%" PRIu64 ", %" PRIu64 "]", l.cases[0], l.cases[1]);
    uint64_t run = add_run(&l, "Arguments", ids);
    long journal = journal_len(l.store);
    uint64_t out_ids[2] = {0xabababab, 0xabababab};
    trailstore_case_result results[2] = {
        {.case_id = l.cases[0], .status_id = 1},
        {.case_id = l.cases[1], .status_id = 5},
    };

    /* NULL pointers, each named; a NULL out-param is found before anything is written. */
    CHECK_STATUS(trailstore_results_add_for_cases(NULL, run, results, 2, out_ids),
                 TRAILSTORE_STATUS_NULL_ARGUMENT);
    CHECK_FIELD("store");
    CHECK_STR(trailstore_last_error_message(), "Argument store must not be NULL.");
    CHECK_STATUS(trailstore_results_add_for_cases(l.store, run, NULL, 2, out_ids),
                 TRAILSTORE_STATUS_NULL_ARGUMENT);
    CHECK_FIELD("results");
    CHECK_STATUS(trailstore_results_add_for_cases(l.store, run, results, 2, NULL),
                 TRAILSTORE_STATUS_NULL_ARGUMENT);
    CHECK_FIELD("out_ids");
    CHECK_NOTHING_WRITTEN(l, run, out_ids, 2, journal);

    /* No results: TestRail's message; the arrays may then be NULL. */
    CHECK_STATUS(trailstore_results_add_for_cases(l.store, run, NULL, 0, NULL),
                 TRAILSTORE_STATUS_VALIDATION);
    CHECK_STR(trailstore_last_error_message(),
              "Field :results cannot be empty (one result is required)");
    CHECK_FIELD("results");
    CHECK_STATUS(trailstore_results_add_for_cases(l.store, run, results, 0, out_ids),
                 TRAILSTORE_STATUS_VALIDATION);
    CHECK_NOTHING_WRITTEN(l, run, out_ids, 2, journal);

    /* A string member that is not UTF-8, named by its entry. */
    results[1].comment = "caf\xc3\x28";
    CHECK_STATUS(trailstore_results_add_for_cases(l.store, run, results, 2, out_ids),
                 TRAILSTORE_STATUS_INVALID_UTF8);
    CHECK_FIELD("results[1].comment");
    CHECK_STR(trailstore_last_error_message(), "Argument results[1].comment is not valid UTF-8.");
    results[1].comment = NULL;
    results[0].elapsed = "\xff";
    CHECK_STATUS(trailstore_results_add_for_cases(l.store, run, results, 2, out_ids),
                 TRAILSTORE_STATUS_INVALID_UTF8);
    CHECK_FIELD("results[0].elapsed");
    results[0].elapsed = NULL;
    results[0].version = "\xfe";
    CHECK_STATUS(trailstore_results_add_for_cases(l.store, run, results, 2, out_ids),
                 TRAILSTORE_STATUS_INVALID_UTF8);
    CHECK_FIELD("results[0].version");
    results[0].version = NULL;
    results[1].defects = "BUG-\x80";
    CHECK_STATUS(trailstore_results_add_for_cases(l.store, run, results, 2, out_ids),
                 TRAILSTORE_STATUS_INVALID_UTF8);
    CHECK_FIELD("results[1].defects");
    results[1].defects = NULL;
    results[1].fields_json = "{\"custom_env\": \"\xc0\"}";
    CHECK_STATUS(trailstore_results_add_for_cases(l.store, run, results, 2, out_ids),
                 TRAILSTORE_STATUS_INVALID_UTF8);
    CHECK_FIELD("results[1].fields_json");
    CHECK_NOTHING_WRITTEN(l, run, out_ids, 2, journal);

    /* fields_json must be a JSON object. */
    results[1].fields_json = "[1, 2]";
    CHECK_STATUS(trailstore_results_add_for_cases(l.store, run, results, 2, out_ids),
                 TRAILSTORE_STATUS_BAD_REQUEST);
    CHECK_FIELD("results[1].fields_json");
    CHECK_STR(trailstore_last_error_message(),
              "Argument results[1].fields_json must be a JSON object.");
    results[1].fields_json = "{\"custom_env\": ";
    CHECK_STATUS(trailstore_results_add_for_cases(l.store, run, results, 2, out_ids),
                 TRAILSTORE_STATUS_BAD_REQUEST);
    CHECK_FIELD("results[1].fields_json");
    CHECK(strncmp(trailstore_last_error_message(),
                  "Argument results[1].fields_json is not valid JSON: ", 51) == 0);
    results[1].fields_json = "\"staging\"";
    CHECK_STATUS(trailstore_results_add_for_cases(l.store, run, results, 2, out_ids),
                 TRAILSTORE_STATUS_BAD_REQUEST);
    CHECK_NOTHING_WRITTEN(l, run, out_ids, 2, journal);

    /* A write beside the batch this thread holds is BUSY, as every write is. */
    results[1].fields_json = NULL;
    trailstore_batch *batch = NULL;
    CHECK_OK(trailstore_batch_begin(l.store, &batch));
    CHECK_STATUS(trailstore_results_add_for_cases(l.store, run, results, 2, out_ids),
                 TRAILSTORE_STATUS_BUSY);
    CHECK_OK(trailstore_batch_rollback(batch));
    trailstore_batch_free(batch);
    CHECK_NOTHING_WRITTEN(l, run, out_ids, 2, journal);

    /* Blank fields_json is no fields; the call goes through, and clears the last error. */
    results[1].fields_json = "  ";
    CHECK_OK(trailstore_results_add_for_cases(l.store, run, results, 2, out_ids));
    CHECK_STR(trailstore_last_error_message(), "");
    CHECK(trailstore_last_error_field() == NULL);
    CHECK(results_in_run(l.store, run) == 2);
    lab_close(&l);
}

int main(int argc, char **argv) {
    static const struct test tests[] = {
        TEST(runs_tests_and_results_through_the_dispatcher),
        TEST(plans_with_configurations),
        TEST(plan_entry_config_ids_are_the_union_of_its_runs),
        TEST(two_hundred_results_in_one_call_come_back_in_order),
        TEST(a_bad_entry_refuses_the_whole_call),
        TEST(the_fast_path_refuses_bad_arguments),
    };
    return RUN_TESTS(tests);
}
