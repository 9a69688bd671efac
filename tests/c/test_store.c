/* The store handle, the dispatcher, snapshot import, statuses and the last error. */
#include "harness.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#ifndef TRAILSTORE_EXPECTED_VERSION
#error "compile with -DTRAILSTORE_EXPECTED_VERSION=\"x.y.z\" (bindings/c/Cargo.toml's version)"
#endif

static void version_is_the_crate_version(void) {
    CHECK_STR(trailstore_version(), TRAILSTORE_EXPECTED_VERSION);
    /* Static: the same pointer every time. */
    CHECK(trailstore_version() == trailstore_version());
}

static void every_status_has_its_number_and_name(void) {
    static const struct {
        trailstore_status status;
        unsigned number;
        const char *name;
    } all[] = {
        {TRAILSTORE_STATUS_OK, 0, "ok"},
        {TRAILSTORE_STATUS_VALIDATION, 1, "validation"},
        {TRAILSTORE_STATUS_NOT_FOUND, 2, "not_found"},
        {TRAILSTORE_STATUS_FORBIDDEN, 3, "forbidden"},
        {TRAILSTORE_STATUS_UNKNOWN_METHOD, 4, "unknown_method"},
        {TRAILSTORE_STATUS_BAD_REQUEST, 5, "bad_request"},
        {TRAILSTORE_STATUS_TOO_LARGE, 6, "too_large"},
        {TRAILSTORE_STATUS_IN_USE, 10, "in_use"},
        {TRAILSTORE_STATUS_DAMAGED, 11, "damaged"},
        {TRAILSTORE_STATUS_UNSUPPORTED, 12, "unsupported"},
        {TRAILSTORE_STATUS_FORKED, 13, "forked"},
        {TRAILSTORE_STATUS_IO, 14, "io"},
        {TRAILSTORE_STATUS_CLOSED, 15, "closed"},
        {TRAILSTORE_STATUS_INTERNAL, 16, "internal"},
        {TRAILSTORE_STATUS_BUSY, 17, "busy"},
        {TRAILSTORE_STATUS_REMOTE, 18, "remote"},
        {TRAILSTORE_STATUS_NULL_ARGUMENT, 100, "null_argument"},
        {TRAILSTORE_STATUS_INVALID_UTF8, 101, "invalid_utf8"},
        {TRAILSTORE_STATUS_BUFFER_TOO_SMALL, 102, "buffer_too_small"},
    };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        CHECK((unsigned)all[i].status == all[i].number);
        CHECK_STR(trailstore_status_name(all[i].status), all[i].name);
    }
    CHECK_STR(trailstore_status_name(7), "unknown");
    CHECK_STR(trailstore_status_name(99), "unknown");
    CHECK_STR(trailstore_status_name(103), "unknown");
    CHECK_STR(trailstore_status_name(0xffffffffu), "unknown");
}

static void open_creates_the_folder_and_keeps_data(void) {
    char *dir = temp_dir();
    char *path = join(dir, "nested/store");
    trailstore_store *store = NULL;
    CHECK_OK(trailstore_store_open(path, &store));
    char *out = NULL;
    CHECK_OK(trailstore_store_call(store, "add_project", "{\"name\": \"Kept\"}", &out));
    int64_t id = json_int(out, "id");
    CHECK(id > 0);
    trailstore_string_free(out);
    trailstore_store_free(store);

    store = NULL;
    CHECK_OK(trailstore_store_open(path, &store));
    char route[64];
    snprintf(route, sizeof route, "get_project/%lld", (long long)id);
    CHECK_OK(trailstore_store_call(store, route, NULL, &out));
    CHECK_CONTAINS(out, "\"name\":\"Kept\"");
    trailstore_string_free(out);
    trailstore_store_free(store);
    free(path);
    remove_tree(dir);
}

static void a_second_open_is_in_use(void) {
    char *dir = temp_dir();
    char *path = join(dir, "store");
    trailstore_store *first = NULL;
    CHECK_OK(trailstore_store_open(path, &first));
    trailstore_store *second = (trailstore_store *)UNTOUCHED;
    CHECK_STATUS(trailstore_store_open(path, &second), TRAILSTORE_STATUS_IN_USE);
    CHECK(second == (trailstore_store *)UNTOUCHED);
    CHECK_CONTAINS(trailstore_last_error_message(), "in use by another process");
    CHECK(trailstore_last_error_field() == NULL);

    /* Another process is refused too. */
    pid_t pid = fork_child();
    if (pid == 0) {
        trailstore_store *other = NULL;
        CHILD_CHECK(trailstore_store_open(path, &other) == TRAILSTORE_STATUS_IN_USE);
        child_exit(1);
    }
    wait_child(pid);

    /* Once closed, it opens again. */
    trailstore_store_free(first);
    CHECK_OK(trailstore_store_open(path, &second));
    trailstore_store_free(second);
    free(path);
    remove_tree(dir);
}

static void a_garbage_file_is_damaged(void) {
    char *dir = temp_dir();
    char *path = join(dir, "store");
    CHECK(mkdir(path, 0700) == 0);
    char *file = join(path, "store.redb");
    FILE *f = fopen(file, "wb");
    CHECK(f != NULL);
    for (int i = 0; i < 4096; i++) fputc("not a database "[i % 15], f);
    fclose(f);
    trailstore_store *store = (trailstore_store *)UNTOUCHED;
    CHECK_STATUS(trailstore_store_open(path, &store), TRAILSTORE_STATUS_DAMAGED);
    CHECK(store == (trailstore_store *)UNTOUCHED);
    CHECK_CONTAINS(trailstore_last_error_message(), "damaged");
    free(file);
    free(path);
    remove_tree(dir);
}

static void an_uncreatable_folder_is_io(void) {
    trailstore_store *store = (trailstore_store *)UNTOUCHED;
    CHECK_STATUS(trailstore_store_open("/dev/null/store", &store), TRAILSTORE_STATUS_IO);
    CHECK(store == (trailstore_store *)UNTOUCHED);
    CHECK_CONTAINS(trailstore_last_error_message(), "I/O error");
}

static void a_file_is_no_store(void) {
    char *dir = temp_dir();
    char *file = join(dir, "plain-file");
    FILE *f = fopen(file, "w");
    CHECK(f != NULL);
    fclose(f);
    trailstore_store *store = (trailstore_store *)UNTOUCHED;
    CHECK_STATUS(trailstore_store_open(file, &store), TRAILSTORE_STATUS_BAD_REQUEST);
    CHECK(store == (trailstore_store *)UNTOUCHED);
    CHECK_CONTAINS(trailstore_last_error_message(), "a store is a folder");
    free(file);
    remove_tree(dir);
}

static void a_path_is_bytes_not_utf8(void) {
    /* On Unix a path is any bytes: a Latin-1 folder name opens like any other. */
    char *dir = temp_dir();
    char *path = join(dir, "caf\xe9");
    trailstore_store *store = NULL;
    CHECK_OK(trailstore_store_open(path, &store));
    trailstore_store_free(store);
    struct stat st;
    CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode));
    free(path);
    remove_tree(dir);
}

static void call_reads_testrail_json(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    char *out = NULL;
    CHECK_OK(trailstore_store_call(store, "get_projects", NULL, &out));
    CHECK_CONTAINS(out, "\"name\":\"Web Shop\"");
    CHECK_CONTAINS(out, "\"name\":\"Mobile App\"");
    trailstore_string_free(out);

    /* A paged answer, as TestRail 6.7+ gives it; the route may carry TestRail's URL prefix. */
    CHECK_OK(trailstore_store_call(store, "index.php?/api/v2/get_cases/1&limit=2", "", &out));
    CHECK(json_int(out, "offset") == 0);
    CHECK(json_int(out, "limit") == 2);
    CHECK(json_int(out, "size") == 2);
    CHECK_CONTAINS(out, "\"next\":\"/api/v2/get_cases/1&limit=2&offset=2\"");
    trailstore_string_free(out);

    CHECK_OK(trailstore_store_call(store, "get_case/1", NULL, &out));
    CHECK(json_int(out, "id") == 1);
    CHECK(json_int(out, "section_id") == 1);
    trailstore_string_free(out);
    close_store(store, dir);
}

static void call_writes_and_delete_answers_empty(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    char *out = NULL;
    CHECK_OK(trailstore_store_call(store, "add_section/1", "{\"name\": \"From C\"}", &out));
    int64_t section = json_int(out, "id");
    CHECK(section > 0);
    trailstore_string_free(out);

    char route[64];
    snprintf(route, sizeof route, "delete_section/%lld", (long long)section);
    out = UNTOUCHED;
    CHECK_OK(trailstore_store_call(store, route, NULL, &out));
    CHECK(out != UNTOUCHED && out != NULL);
    CHECK_STR(out, "");
    trailstore_string_free(out);

    snprintf(route, sizeof route, "get_section/%lld", (long long)section);
    CHECK_STATUS(trailstore_store_call(store, route, NULL, &out), TRAILSTORE_STATUS_NOT_FOUND);
    CHECK_FIELD("section_id");
    close_store(store, dir);
}

static void an_unknown_route_is_unknown_method(void) {
    char *dir;
    trailstore_store *store = open_empty(&dir);
    char *out = UNTOUCHED;
    CHECK_STATUS(trailstore_store_call(store, "get_nothing/1", NULL, &out),
                 TRAILSTORE_STATUS_UNKNOWN_METHOD);
    CHECK(out == UNTOUCHED);
    CHECK_STR(trailstore_last_error_message(), "Unknown method 'get_nothing'");
    CHECK_STATUS(trailstore_store_call(store, "", NULL, &out), TRAILSTORE_STATUS_UNKNOWN_METHOD);
    CHECK(out == UNTOUCHED);
    close_store(store, dir);
}

static void wrong_json_is_bad_request(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    const char *bodies[] = {"{not json", "[1, 2]", "\"text\"", "{\"title\": \"x\"} trailing"};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        char *out = UNTOUCHED;
        CHECK_STATUS(trailstore_store_call(store, "add_case/11", bodies[i], &out),
                     TRAILSTORE_STATUS_BAD_REQUEST);
        CHECK(out == UNTOUCHED);
        CHECK_CONTAINS(trailstore_last_error_message(), "Invalid JSON");
    }
    /* A bad query value is refused as TestRail refuses it, naming the parameter. */
    char *out = UNTOUCHED;
    CHECK_STATUS(trailstore_store_call(store, "get_cases/1&limit=abc", NULL, &out),
                 TRAILSTORE_STATUS_VALIDATION);
    CHECK_FIELD("limit");
    /* Nothing was written. */
    CHECK_OK(trailstore_journal_get_pending(store, 0, &out));
    CHECK_STR(out, "[]");
    trailstore_string_free(out);
    close_store(store, dir);
}

static void validation_names_the_field(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    char *out = UNTOUCHED;
    CHECK_STATUS(trailstore_store_call(store, "add_case/11", "{}", &out),
                 TRAILSTORE_STATUS_VALIDATION);
    CHECK(out == UNTOUCHED);
    CHECK_STR(trailstore_last_error_message(), "Field :title is a required field.");
    CHECK_FIELD("title");

    /* custom_component is required in project 1 (section 11 is in it). */
    CHECK_STATUS(trailstore_store_call(store, "add_case/11", "{\"title\": \"No component\"}", &out),
                 TRAILSTORE_STATUS_VALIDATION);
    CHECK_STR(trailstore_last_error_message(), "Field :custom_component is a required field.");
    CHECK_FIELD("custom_component");
    CHECK(out == UNTOUCHED);
    close_store(store, dir);
}

static void an_unknown_id_is_not_found(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    char *out = UNTOUCHED;
    CHECK_STATUS(trailstore_store_call(store, "get_case/999999", NULL, &out),
                 TRAILSTORE_STATUS_NOT_FOUND);
    CHECK_FIELD("case_id");
    CHECK(out == UNTOUCHED);
    CHECK_STATUS(trailstore_store_call(store, "add_case/999999", "{\"title\": \"x\"}", &out),
                 TRAILSTORE_STATUS_NOT_FOUND);
    CHECK_FIELD("section_id");
    CHECK(out == UNTOUCHED);
    close_store(store, dir);
}

static void the_last_error_clears_on_success(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    CHECK(trailstore_last_error_code() == TRAILSTORE_STATUS_OK);
    char *out = NULL;
    CHECK_STATUS(trailstore_store_call(store, "add_case/11", "{}", &out),
                 TRAILSTORE_STATUS_VALIDATION);
    /* Infallible functions leave it alone. */
    (void)trailstore_version();
    (void)trailstore_status_name(1);
    trailstore_string_free(NULL);
    CHECK(trailstore_last_error_code() == TRAILSTORE_STATUS_VALIDATION);
    CHECK_FIELD("title");
    /* The next fallible call that succeeds clears it. */
    CHECK_OK(trailstore_store_call(store, "get_case/1", NULL, &out));
    trailstore_string_free(out);
    CHECK_STR(trailstore_last_error_message(), "");
    CHECK(trailstore_last_error_field() == NULL);
    close_store(store, dir);
}

static void import_json_reports_and_refuses_whole(void) {
    char *dir;
    trailstore_store *store = open_empty(&dir);
    char *report = NULL;
    CHECK_OK(trailstore_store_import_json(
        store,
        "{\"projects\": [{\"id\": 1, \"name\": \"Tiny\", \"suite_mode\": 1}],"
        " \"suites\": [{\"id\": 1, \"name\": \"Master\", \"project_id\": 1}],"
        " \"sections\": [{\"id\": 1, \"suite_id\": 1, \"name\": \"Only\"}]}",
        &report));
    /* The core's import report, passed through: counts by kind, among others. */
    CHECK_CONTAINS(report, "\"projects\":1");
    CHECK_CONTAINS(report, "\"sections\":1");
    trailstore_string_free(report);

    report = UNTOUCHED;
    CHECK_STATUS(trailstore_store_import_json(store, "{nope", &report),
                 TRAILSTORE_STATUS_BAD_REQUEST);
    CHECK_CONTAINS(trailstore_last_error_message(), "The snapshot is not valid JSON");
    CHECK_STATUS(trailstore_store_import_json(store, "[]", &report), TRAILSTORE_STATUS_BAD_REQUEST);
    CHECK_STATUS(trailstore_store_import_json(store, "{\"version\": 999}", &report),
                 TRAILSTORE_STATUS_UNSUPPORTED);
    CHECK_STATUS(trailstore_store_import_json(
                     store, "{\"projects\": [{\"id\": 2, \"suite_mode\": 1}]}", &report),
                 TRAILSTORE_STATUS_VALIDATION);
    CHECK(report == UNTOUCHED);
    /* The refused imports changed nothing. */
    char *out = NULL;
    CHECK_OK(trailstore_store_call(store, "get_projects", NULL, &out));
    CHECK(json_int(out, "size") == 1);
    trailstore_string_free(out);
    close_store(store, dir);
}

static void import_file_errors(void) {
    char *dir;
    trailstore_store *store = open_empty(&dir);
    char *missing = join(dir, "missing.json");
    char *report = UNTOUCHED;
    CHECK_STATUS(trailstore_store_import_file(store, missing, &report), TRAILSTORE_STATUS_IO);
    CHECK(report == UNTOUCHED);

    char *bad = join(dir, "bad.json");
    FILE *f = fopen(bad, "w");
    CHECK(f != NULL);
    fputs("{\"projects\": [", f);
    fclose(f);
    CHECK_STATUS(trailstore_store_import_file(store, bad, &report), TRAILSTORE_STATUS_BAD_REQUEST);
    CHECK_CONTAINS(trailstore_last_error_message(), "bad.json is not valid JSON");
    CHECK(report == UNTOUCHED);

    CHECK_OK(trailstore_store_import_file(store, SAMPLE_SNAPSHOT, &report));
    CHECK_CONTAINS(report, "\"cases\":327");
    trailstore_string_free(report);
    free(missing);
    free(bad);
    close_store(store, dir);
}

static void a_forked_child_gets_forked(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    char *path = join(dir, "store");
    pid_t pid = fork_child();
    if (pid == 0) {
        char *out = NULL;
        CHILD_CHECK(trailstore_store_call(store, "get_projects", NULL, &out) ==
                    TRAILSTORE_STATUS_FORKED);
        CHILD_CHECK(trailstore_last_error_code() == TRAILSTORE_STATUS_FORKED);
        CHILD_CHECK(strstr(trailstore_last_error_message(), "fork()") != NULL);
        CHILD_CHECK(trailstore_case_add(store, 11, "{\"title\": \"x\"}", &out) ==
                    TRAILSTORE_STATUS_FORKED);
        trailstore_batch *batch = NULL;
        CHILD_CHECK(trailstore_batch_begin(store, &batch) == TRAILSTORE_STATUS_FORKED);
        /* Freeing the inherited handle must leave the parent's file and lock alone. */
        trailstore_store_free(store);
        trailstore_store *again = NULL;
        CHILD_CHECK(trailstore_store_open(path, &again) == TRAILSTORE_STATUS_IN_USE);
        child_exit(1);
    }
    wait_child(pid);
    /* The parent's handle still reads and writes. */
    char *out = NULL;
    CHECK_OK(trailstore_case_add(store, 9, "{\"title\": \"After fork\", \"custom_component\": 1}",
                                 &out));
    trailstore_string_free(out);
    free(path);
    close_store(store, dir);
}

static void a_forked_child_leaves_the_parents_batch_alone(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    trailstore_batch *batch = NULL;
    CHECK_OK(trailstore_batch_begin(store, &batch));
    char *out = NULL;
    CHECK_OK(trailstore_batch_call(batch, "add_case/9", "{\"title\": \"Before fork\", "
                                                        "\"custom_component\": 1}",
                                   &out));
    trailstore_string_free(out);
    pid_t pid = fork_child();
    if (pid == 0) {
        char *child_out = NULL;
        CHILD_CHECK(trailstore_batch_call(batch, "get_case/1", NULL, &child_out) ==
                    TRAILSTORE_STATUS_FORKED);
        CHILD_CHECK(trailstore_batch_commit(batch) == TRAILSTORE_STATUS_FORKED);
        /* Neither frees nor rolls back the parent's transaction. */
        trailstore_batch_free(batch);
        trailstore_store_free(store);
        child_exit(1);
    }
    wait_child(pid);
    /* The parent's batch goes on and commits. */
    CHECK_OK(trailstore_batch_call(batch, "add_case/9", "{\"title\": \"After fork\", "
                                                        "\"custom_component\": 1}",
                                   &out));
    trailstore_string_free(out);
    CHECK_OK(trailstore_batch_commit(batch));
    trailstore_batch_free(batch);
    CHECK_OK(trailstore_section_get_cases(store, 9, &out));
    CHECK(json_array_len(out) == 2);
    trailstore_string_free(out);
    close_store(store, dir);
}

int main(int argc, char **argv) {
    static const struct test tests[] = {
        TEST(version_is_the_crate_version),
        TEST(every_status_has_its_number_and_name),
        TEST(open_creates_the_folder_and_keeps_data),
        TEST(a_second_open_is_in_use),
        TEST(a_garbage_file_is_damaged),
        TEST(an_uncreatable_folder_is_io),
        TEST(a_file_is_no_store),
        TEST(a_path_is_bytes_not_utf8),
        TEST(call_reads_testrail_json),
        TEST(call_writes_and_delete_answers_empty),
        TEST(an_unknown_route_is_unknown_method),
        TEST(wrong_json_is_bad_request),
        TEST(validation_names_the_field),
        TEST(an_unknown_id_is_not_found),
        TEST(the_last_error_clears_on_success),
        TEST(import_json_reports_and_refuses_whole),
        TEST(import_file_errors),
        TEST(a_forked_child_gets_forked),
        TEST(a_forked_child_leaves_the_parents_batch_alone),
    };
    return RUN_TESTS(tests);
}
