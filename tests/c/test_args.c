/* Bad arguments: NULL in every pointer parameter of every function, invalid UTF-8 in every string
 * parameter (search, sync, conflicts and bundles included). Each gives a status naming the parameter, never a crash, and leaves out-params. */
#include "harness.h"

#define BAD_UTF8 "get_case/\xff\xfe"

/* The call failed with `status`, named `param`, and left `out` alone. */
#define CHECK_REFUSED(expr, status, param, out)                                                    \
    do {                                                                                           \
        CHECK_STATUS(expr, status);                                                                \
        CHECK_FIELD(param);                                                                        \
        CHECK((out) == UNTOUCHED);                                                                 \
    } while (0)

#define NULL_ARG TRAILSTORE_STATUS_NULL_ARGUMENT
#define UTF8 TRAILSTORE_STATUS_INVALID_UTF8

static void free_functions_take_null(void) {
    trailstore_string_free(NULL);
    trailstore_store_free(NULL);
    trailstore_batch_free(NULL);
    CHECK(trailstore_last_error_code() == TRAILSTORE_STATUS_OK);
}

static void null_message_is_clear(void) {
    char *out = UNTOUCHED;
    CHECK_STATUS(trailstore_store_call(NULL, "get_projects", NULL, &out), NULL_ARG);
    CHECK_STR(trailstore_last_error_message(), "Argument store must not be NULL.");
    CHECK_FIELD("store");
}

static void store_functions_refuse_null(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    trailstore_store *h = (trailstore_store *)UNTOUCHED;
    CHECK_REFUSED(trailstore_store_open(NULL, &h), NULL_ARG, "path", (char *)h);
    CHECK_STATUS(trailstore_store_open("/tmp/never-created-by-a-test", NULL), NULL_ARG);
    CHECK_FIELD("out_store");

    char *out = UNTOUCHED;
    CHECK_REFUSED(trailstore_store_call(NULL, "get_projects", NULL, &out), NULL_ARG, "store", out);
    CHECK_REFUSED(trailstore_store_call(store, NULL, NULL, &out), NULL_ARG, "route", out);
    CHECK_STATUS(trailstore_store_call(store, "get_projects", NULL, NULL), NULL_ARG);
    CHECK_FIELD("out_json");
    /* A NULL out-param is found before anything is written. */
    CHECK_STATUS(trailstore_store_call(store, "add_project", "{\"name\": \"Never\"}", NULL),
                 NULL_ARG);

    CHECK_REFUSED(trailstore_store_import_file(NULL, SAMPLE_SNAPSHOT, &out), NULL_ARG, "store",
                  out);
    CHECK_REFUSED(trailstore_store_import_file(store, NULL, &out), NULL_ARG, "path", out);
    CHECK_STATUS(trailstore_store_import_file(store, SAMPLE_SNAPSHOT, NULL), NULL_ARG);
    CHECK_FIELD("out_report_json");
    CHECK_REFUSED(trailstore_store_import_json(NULL, "{}", &out), NULL_ARG, "store", out);
    CHECK_REFUSED(trailstore_store_import_json(store, NULL, &out), NULL_ARG, "snapshot_json", out);
    CHECK_STATUS(trailstore_store_import_json(store, "{}", NULL), NULL_ARG);
    CHECK_FIELD("out_report_json");

    /* Nothing above wrote anything. */
    CHECK_OK(trailstore_journal_get_pending(store, 0, &out));
    CHECK_STR(out, "[]");
    trailstore_string_free(out);
    close_store(store, dir);
}

static void case_functions_refuse_null(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    char *out = UNTOUCHED;
    const char *body = "{\"title\": \"t\", \"custom_component\": 1}";
    CHECK_REFUSED(trailstore_case_get(NULL, 1, &out), NULL_ARG, "store", out);
    CHECK_STATUS(trailstore_case_get(store, 1, NULL), NULL_ARG);
    CHECK_FIELD("out_json");

    CHECK_REFUSED(trailstore_case_add(NULL, 11, body, &out), NULL_ARG, "store", out);
    CHECK_REFUSED(trailstore_case_add(store, 11, NULL, &out), NULL_ARG, "case_json", out);
    CHECK_STATUS(trailstore_case_add(store, 11, body, NULL), NULL_ARG);
    CHECK_FIELD("out_json");

    CHECK_REFUSED(trailstore_case_update(NULL, 1, body, &out), NULL_ARG, "store", out);
    CHECK_REFUSED(trailstore_case_update(store, 1, NULL, &out), NULL_ARG, "changes_json", out);
    CHECK_STATUS(trailstore_case_update(store, 1, body, NULL), NULL_ARG);
    CHECK_FIELD("out_json");

    CHECK_STATUS(trailstore_case_delete(NULL, 1), NULL_ARG);
    CHECK_FIELD("store");

    CHECK_REFUSED(trailstore_case_get_history(NULL, 1, &out), NULL_ARG, "store", out);
    CHECK_STATUS(trailstore_case_get_history(store, 1, NULL), NULL_ARG);
    CHECK_FIELD("out_json");
    CHECK_REFUSED(trailstore_section_get_cases(NULL, 11, &out), NULL_ARG, "store", out);
    CHECK_STATUS(trailstore_section_get_cases(store, 11, NULL), NULL_ARG);
    CHECK_FIELD("out_json");
    CHECK_REFUSED(trailstore_journal_get_pending(NULL, 0, &out), NULL_ARG, "store", out);
    CHECK_STATUS(trailstore_journal_get_pending(store, 0, NULL), NULL_ARG);
    CHECK_FIELD("out_json");

    /* Case 1 is still there, unchanged, and nothing was journaled. */
    CHECK_OK(trailstore_case_get(store, 1, &out));
    CHECK_CONTAINS(out, "\"title\":\"Account menu shows the customer's first name after sign-in\"");
    trailstore_string_free(out);
    CHECK_OK(trailstore_journal_get_pending(store, 0, &out));
    CHECK_STR(out, "[]");
    trailstore_string_free(out);
    close_store(store, dir);
}

static void results_fast_path_refuses_null_and_invalid_utf8(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    uint64_t ids[1] = {7};
    trailstore_case_result entry = {.case_id = 1, .status_id = 1};
    CHECK_STATUS(trailstore_results_add_for_cases(NULL, 1, &entry, 1, ids), NULL_ARG);
    CHECK_FIELD("store");
    CHECK_STATUS(trailstore_results_add_for_cases(store, 1, NULL, 1, ids), NULL_ARG);
    CHECK_FIELD("results");
    CHECK_STATUS(trailstore_results_add_for_cases(store, 1, &entry, 1, NULL), NULL_ARG);
    CHECK_FIELD("out_ids");
    const char *bad = BAD_UTF8;
    entry.comment = bad;
    CHECK_STATUS(trailstore_results_add_for_cases(store, 1, &entry, 1, ids), UTF8);
    CHECK_FIELD("results[0].comment");
    entry.comment = NULL;
    entry.elapsed = bad;
    CHECK_STATUS(trailstore_results_add_for_cases(store, 1, &entry, 1, ids), UTF8);
    CHECK_FIELD("results[0].elapsed");
    entry.elapsed = NULL;
    entry.version = bad;
    CHECK_STATUS(trailstore_results_add_for_cases(store, 1, &entry, 1, ids), UTF8);
    CHECK_FIELD("results[0].version");
    entry.version = NULL;
    entry.defects = bad;
    CHECK_STATUS(trailstore_results_add_for_cases(store, 1, &entry, 1, ids), UTF8);
    CHECK_FIELD("results[0].defects");
    entry.defects = NULL;
    entry.fields_json = bad;
    CHECK_STATUS(trailstore_results_add_for_cases(store, 1, &entry, 1, ids), UTF8);
    CHECK_FIELD("results[0].fields_json");
    CHECK(ids[0] == 7);
    close_store(store, dir);
}

static void batch_functions_refuse_null(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    trailstore_batch *batch = (trailstore_batch *)UNTOUCHED;
    CHECK_REFUSED(trailstore_batch_begin(NULL, &batch), NULL_ARG, "store", (char *)batch);
    CHECK_STATUS(trailstore_batch_begin(store, NULL), NULL_ARG);
    CHECK_FIELD("out_batch");

    CHECK_OK(trailstore_batch_begin(store, &batch));
    char *out = UNTOUCHED;
    CHECK_REFUSED(trailstore_batch_call(NULL, "get_case/1", NULL, &out), NULL_ARG, "batch", out);
    CHECK_REFUSED(trailstore_batch_call(batch, NULL, NULL, &out), NULL_ARG, "route", out);
    CHECK_STATUS(trailstore_batch_call(batch, "get_case/1", NULL, NULL), NULL_ARG);
    CHECK_FIELD("out_json");
    CHECK_STATUS(trailstore_batch_commit(NULL), NULL_ARG);
    CHECK_FIELD("batch");
    CHECK_STATUS(trailstore_batch_rollback(NULL), NULL_ARG);
    CHECK_FIELD("batch");
    /* The batch survived all that. */
    CHECK_OK(trailstore_batch_call(batch, "get_case/1", NULL, &out));
    trailstore_string_free(out);
    CHECK_OK(trailstore_batch_commit(batch));
    trailstore_batch_free(batch);
    close_store(store, dir);
}

static void every_string_parameter_refuses_invalid_utf8(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    char *out = UNTOUCHED;
    CHECK_REFUSED(trailstore_store_call(store, BAD_UTF8, NULL, &out), UTF8, "route", out);
    CHECK_STR(trailstore_last_error_message(), "Argument route is not valid UTF-8.");
    CHECK_REFUSED(trailstore_store_call(store, "add_case/11", "{\"title\": \"\xc3\x28\"}", &out),
                  UTF8, "body_json", out);
    CHECK_REFUSED(trailstore_store_import_json(store, "{\"x\": \"\xff\"}", &out), UTF8,
                  "snapshot_json", out);
    CHECK_REFUSED(trailstore_case_add(store, 11, "{\"title\": \"\xe2\x82\"}", &out), UTF8,
                  "case_json", out);
    CHECK_REFUSED(trailstore_case_update(store, 1, "{\"title\": \"\x80\"}", &out), UTF8,
                  "changes_json", out);

    trailstore_batch *batch = NULL;
    CHECK_OK(trailstore_batch_begin(store, &batch));
    CHECK_REFUSED(trailstore_batch_call(batch, BAD_UTF8, NULL, &out), UTF8, "route", out);
    CHECK_REFUSED(trailstore_batch_call(batch, "add_case/11", "{\"title\": \"\xc0\xaf\"}", &out),
                  UTF8, "body_json", out);
    CHECK_OK(trailstore_batch_rollback(batch));
    trailstore_batch_free(batch);

    /* Valid UTF-8 beyond ASCII goes through and comes back as it went in. */
    CHECK_OK(trailstore_case_add(
        store, 11, "{\"title\": \"Caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\", \"custom_component\": 1}",
        &out));
    CHECK_CONTAINS(out, "Caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    trailstore_string_free(out);
    close_store(store, dir);
}

static void a_json_nul_escape_stays_escaped(void) {
    /* A C string cannot hold NUL, but JSON text can say \u0000: it must come back escaped, and an
     * error quoting it must not be cut at the NUL. */
    char *dir;
    trailstore_store *store = open_sample(&dir);
    char *out = NULL;
    CHECK_OK(trailstore_case_add(store, 11,
                                 "{\"title\": \"a\\u0000b\", \"custom_component\": 1}", &out));
    CHECK_CONTAINS(out, "\"title\":\"a\\u0000b\"");
    trailstore_string_free(out);
    out = UNTOUCHED;
    CHECK_STATUS(trailstore_store_import_json(store, "{\"format\": \"x\\u0000y\"}", &out),
                 TRAILSTORE_STATUS_BAD_REQUEST);
    CHECK_CONTAINS(trailstore_last_error_message(), "not a trailstore snapshot");
    CHECK(out == UNTOUCHED);
    close_store(store, dir);
}

static void search_sync_and_bundle_functions_refuse_null(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    char *out = UNTOUCHED;
    CHECK_REFUSED(trailstore_cases_search(NULL, 1, "card", NULL, &out), NULL_ARG, "store", out);
    CHECK_REFUSED(trailstore_cases_search(store, 1, NULL, NULL, &out), NULL_ARG, "query", out);
    CHECK_STATUS(trailstore_cases_search(store, 1, "card", NULL, NULL), NULL_ARG);
    CHECK_FIELD("out_json");

    /* Pull and push check their arguments before they look for credentials or a server. */
    const char *url = "http://127.0.0.1:9/";
    CHECK_REFUSED(trailstore_store_pull(NULL, url, "u", "k", NULL, &out), NULL_ARG, "store", out);
    CHECK_STATUS(trailstore_store_pull(store, url, "u", "k", NULL, NULL), NULL_ARG);
    CHECK_FIELD("out_report_json");
    CHECK_REFUSED(trailstore_store_push(NULL, url, "u", "k", NULL, &out), NULL_ARG, "store", out);
    CHECK_STATUS(trailstore_store_push(store, url, "u", "k", NULL, NULL), NULL_ARG);
    CHECK_FIELD("out_report_json");

    CHECK_REFUSED(trailstore_conflicts_list(NULL, &out), NULL_ARG, "store", out);
    CHECK_STATUS(trailstore_conflicts_list(store, NULL), NULL_ARG);
    CHECK_FIELD("out_json");
    CHECK_REFUSED(trailstore_conflicts_resolve(NULL, "case/1/title", "local", NULL, &out),
                  NULL_ARG, "store", out);
    CHECK_REFUSED(trailstore_conflicts_resolve(store, NULL, "local", NULL, &out), NULL_ARG,
                  "conflict_key", out);
    CHECK_REFUSED(trailstore_conflicts_resolve(store, "case/1/title", NULL, NULL, &out), NULL_ARG,
                  "resolution", out);
    CHECK_STATUS(trailstore_conflicts_resolve(store, "case/1/title", "local", NULL, NULL),
                 NULL_ARG);
    CHECK_FIELD("out_json");

    char *bundle = join(dir, "b.tsb");
    uint64_t count = 0x5a5a;
    CHECK_STATUS(trailstore_bundle_export(NULL, bundle, false, &count), NULL_ARG);
    CHECK_FIELD("store");
    CHECK_STATUS(trailstore_bundle_export(store, NULL, false, &count), NULL_ARG);
    CHECK_FIELD("path");
    CHECK_STATUS(trailstore_bundle_export(store, bundle, false, NULL), NULL_ARG);
    CHECK_FIELD("out_count");
    CHECK(count == 0x5a5a);
    CHECK(access(bundle, F_OK) != 0); /* nothing was written */
    CHECK_REFUSED(trailstore_bundle_import(NULL, bundle, &out), NULL_ARG, "store", out);
    CHECK_REFUSED(trailstore_bundle_import(store, NULL, &out), NULL_ARG, "path", out);
    CHECK_STATUS(trailstore_bundle_import(store, bundle, NULL), NULL_ARG);
    CHECK_FIELD("out_report_json");
    free(bundle);
    close_store(store, dir);
}

static void search_sync_and_conflict_strings_refuse_invalid_utf8(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    char *out = UNTOUCHED;
    CHECK_REFUSED(trailstore_cases_search(store, 1, "card \xff", NULL, &out), UTF8, "query", out);
    CHECK_REFUSED(trailstore_cases_search(store, 1, "card", "{\"q\": \"\xc3\x28\"}", &out), UTF8,
                  "options_json", out);

    const char *url = "http://127.0.0.1:9/";
    CHECK_REFUSED(trailstore_store_pull(store, "http://\xff/", "u", "k", NULL, &out), UTF8, "url",
                  out);
    CHECK_REFUSED(trailstore_store_pull(store, url, "\xe2\x82", "k", NULL, &out), UTF8, "user",
                  out);
    CHECK_REFUSED(trailstore_store_pull(store, url, "u", "KEY-\x80-KEY", NULL, &out), UTF8, "key",
                  out);
    CHECK(strstr(trailstore_last_error_message(), "KEY-") == NULL);
    CHECK_REFUSED(trailstore_store_pull(store, url, "u", "k", "{\"\xff\": 1}", &out), UTF8,
                  "options_json", out);
    CHECK_REFUSED(trailstore_store_push(store, "http://\xff/", "u", "k", NULL, &out), UTF8, "url",
                  out);
    CHECK_REFUSED(trailstore_store_push(store, url, "\xc0\xaf", "k", NULL, &out), UTF8, "user",
                  out);
    CHECK_REFUSED(trailstore_store_push(store, url, "u", "\xfe", NULL, &out), UTF8, "key", out);
    CHECK_REFUSED(trailstore_store_push(store, url, "u", "k", "{\"dry_run\": \"\xff\"}", &out),
                  UTF8, "options_json", out);

    CHECK_REFUSED(trailstore_conflicts_resolve(store, "case/1/\xff", "local", NULL, &out), UTF8,
                  "conflict_key", out);
    CHECK_REFUSED(trailstore_conflicts_resolve(store, "case/1/title", "loc\xe9l", NULL, &out), UTF8,
                  "resolution", out);
    CHECK_REFUSED(trailstore_conflicts_resolve(store, "case/1/title", "value", "\"\xff\"", &out),
                  UTF8, "value_json", out);

    /* Paths are bytes on Unix: a Latin-1 file name is a file name like any other. */
    char *bundle = join(dir, "caf\xe9.tsb");
    uint64_t count = 99;
    CHECK_OK(trailstore_bundle_export(store, bundle, false, &count));
    CHECK(count == 0);
    CHECK(access(bundle, F_OK) == 0);
    CHECK_OK(trailstore_bundle_import(store, bundle, &out));
    CHECK_CONTAINS(out, "\"kind\":\"changes\"");
    trailstore_string_free(out);
    free(bundle);
    close_store(store, dir);
}

int main(int argc, char **argv) {
    static const struct test tests[] = {
        TEST(free_functions_take_null),
        TEST(null_message_is_clear),
        TEST(store_functions_refuse_null),
        TEST(case_functions_refuse_null),
        TEST(batch_functions_refuse_null),
        TEST(results_fast_path_refuses_null_and_invalid_utf8),
        TEST(every_string_parameter_refuses_invalid_utf8),
        TEST(a_json_nul_escape_stays_escaped),
        TEST(search_sync_and_bundle_functions_refuse_null),
        TEST(search_sync_and_conflict_strings_refuse_invalid_utf8),
    };
    return RUN_TESTS(tests);
}
