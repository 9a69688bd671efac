/* Bundles through the C API: export and import round trips, and damaged bundles refused. */
#include "harness.h"

#include <sys/stat.h>

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    CHECK(fseek(f, 0, SEEK_END) == 0);
    long n = ftell(f);
    CHECK(n > 0);
    rewind(f);
    char *buf = (char *)malloc((size_t)n);
    CHECK(buf != NULL);
    CHECK(fread(buf, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void write_file(const char *path, const char *bytes, size_t len) {
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    CHECK(fwrite(bytes, 1, len, f) == len);
    fclose(f);
}

static char *pending_json(trailstore_store *store) {
    char *out = NULL;
    CHECK_OK(trailstore_journal_get_pending(store, 0, &out));
    return out;
}

/* Three local changes in a sample store: an add, an edit, a delete. Returns the new case's id. */
static int64_t make_changes(trailstore_store *store) {
    char *out = NULL;
    CHECK_OK(trailstore_case_add(store, 11,
                                 "{\"title\": \"Bundled \\ud83d\\ude80 case\", \"custom_component\": 1}",
                                 &out));
    int64_t id = json_int(out, "id");
    trailstore_string_free(out);
    CHECK_OK(trailstore_case_update(store, 1, "{\"title\": \"Bundled edit\"}", &out));
    trailstore_string_free(out);
    CHECK_OK(trailstore_case_delete(store, 3));
    return id;
}

static void a_changes_bundle_carries_the_pending_journal(void) {
    char *dir_a, *dir_b;
    trailstore_store *a = open_sample(&dir_a);
    trailstore_store *b = open_sample(&dir_b);
    int64_t id = make_changes(a);
    char *bundle = join(dir_a, "changes.tsb");
    uint64_t count = 0;
    CHECK_OK(trailstore_bundle_export(a, bundle, false, &count));
    CHECK(count == 3);

    char *report = NULL;
    CHECK_OK(trailstore_bundle_import(b, bundle, &report));
    CHECK_CONTAINS(report, "\"kind\":\"changes\"");
    CHECK_CONTAINS(report, "\"imported\":true");
    CHECK(json_int(report, "entries") == 3);
    trailstore_string_free(report);
    /* The same pending entries, in order, with the same routes, bodies and operation ids. */
    char *journal_a = pending_json(a), *journal_b = pending_json(b);
    CHECK(json_array_len(journal_b) == 3);
    CHECK_STR(journal_b, journal_a);
    trailstore_string_free(journal_a);
    trailstore_string_free(journal_b);
    /* And the records they made. */
    char *case_a = NULL, *case_b = NULL;
    CHECK_OK(trailstore_case_get(a, (uint64_t)id, &case_a));
    CHECK_OK(trailstore_case_get(b, (uint64_t)id, &case_b));
    CHECK_STR(case_b, case_a);
    CHECK_CONTAINS(case_b, "Bundled \xf0\x9f\x9a\x80 case");
    trailstore_string_free(case_a);
    trailstore_string_free(case_b);

    /* A second import is a no-op. */
    CHECK_OK(trailstore_bundle_import(b, bundle, &report));
    CHECK_CONTAINS(report, "\"imported\":false");
    CHECK(json_int(report, "entries") == 0);
    trailstore_string_free(report);
    char *journal = pending_json(b);
    CHECK(json_array_len(journal) == 3);
    trailstore_string_free(journal);
    free(bundle);
    close_store(b, dir_b);
    close_store(a, dir_a);
}

static void a_snapshot_bundle_carries_the_server_state(void) {
    char *dir;
    trailstore_store *a = open_sample(&dir);
    make_changes(a);
    char *bundle = join(dir, "snapshot.tsb");
    uint64_t count = 0;
    CHECK_OK(trailstore_bundle_export(a, bundle, true, &count));
    /* Server cases only: the local one is not server state (the deleted one is gone). */
    CHECK(count == 326);

    char *dir_c;
    trailstore_store *c = open_empty(&dir_c);
    char *report = NULL;
    CHECK_OK(trailstore_bundle_import(c, bundle, &report));
    CHECK_CONTAINS(report, "\"kind\":\"snapshot\"");
    CHECK(json_int(report, "entries") == 326);
    trailstore_string_free(report);
    char *out = NULL;
    CHECK_OK(trailstore_store_call(c, "get_projects", NULL, &out));
    CHECK(json_int(out, "size") == 2);
    trailstore_string_free(out);
    /* Imported as base state: nothing to push. */
    out = pending_json(c);
    CHECK_STR(out, "[]");
    trailstore_string_free(out);
    CHECK_OK(trailstore_cases_search(c, 1, "", "{\"count\": true}", &out));
    CHECK(json_int(out, "total") == 197);
    trailstore_string_free(out);
    free(bundle);
    close_store(c, dir_c);
    close_store(a, dir);
}

/* The bundle at `path` is refused with BAD_REQUEST ("damaged or was altered" unless `why` says
 * otherwise), and the store's journal and cases are as they were. */
static void check_refused(trailstore_store *store, const char *path, trailstore_status status,
                          const char *why) {
    char *before = pending_json(store);
    char *out = UNTOUCHED;
    CHECK_STATUS(trailstore_bundle_import(store, path, &out), status);
    CHECK_CONTAINS(trailstore_last_error_message(), why);
    CHECK(out == UNTOUCHED);
    char *after = pending_json(store);
    CHECK_STR(after, before);
    trailstore_string_free(before);
    trailstore_string_free(after);
}

static void altered_and_truncated_bundles_are_refused(void) {
    char *dir_a, *dir_b;
    trailstore_store *a = open_sample(&dir_a);
    trailstore_store *b = open_sample(&dir_b);
    make_changes(a);
    char *bundle = join(dir_a, "changes.tsb");
    uint64_t count = 0;
    CHECK_OK(trailstore_bundle_export(a, bundle, false, &count));
    size_t len = 0;
    char *bytes = read_file(bundle, &len);
    const char *damaged = "The bundle is damaged or was altered";
    char *copy = join(dir_b, "tampered.tsb");

    /* One byte changed anywhere: the middle (a part), the manifest, the checksum line. */
    size_t spots[] = {len / 2, 25, len - 5};
    for (size_t i = 0; i < sizeof spots / sizeof spots[0]; i++) {
        bytes[spots[i]] ^= 0x01;
        write_file(copy, bytes, len);
        bytes[spots[i]] ^= 0x01;
        check_refused(b, copy, TRAILSTORE_STATUS_BAD_REQUEST, damaged);
    }
    /* "Bundled edit" made "Bundlxd edit" with the checksums left: still refused. */
    char *edit = (char *)memmem(bytes, len, "Bundled edit", 12);
    CHECK(edit != NULL);
    edit[6] = 'x';
    write_file(copy, bytes, len);
    check_refused(b, copy, TRAILSTORE_STATUS_BAD_REQUEST, damaged);
    edit[6] = 'd';
    /* Truncated, to nothing, and not a bundle at all. */
    write_file(copy, bytes, len - 1);
    check_refused(b, copy, TRAILSTORE_STATUS_BAD_REQUEST, damaged);
    write_file(copy, bytes, len / 2);
    check_refused(b, copy, TRAILSTORE_STATUS_BAD_REQUEST, damaged);
    write_file(copy, "", 0);
    check_refused(b, copy, TRAILSTORE_STATUS_BAD_REQUEST, damaged);
    write_file(copy, "{\"format\": \"trailstore-snapshot\"}", 33);
    check_refused(b, copy, TRAILSTORE_STATUS_BAD_REQUEST, damaged);
    /* A file that is not there. */
    char *missing = join(dir_b, "missing.tsb");
    check_refused(b, missing, TRAILSTORE_STATUS_IO, "I/O error");
    /* The original still imports. */
    write_file(copy, bytes, len);
    char *report = NULL;
    CHECK_OK(trailstore_bundle_import(b, copy, &report));
    CHECK(json_int(report, "entries") == 3);
    trailstore_string_free(report);
    free(missing);
    free(copy);
    free(bytes);
    free(bundle);
    close_store(b, dir_b);
    close_store(a, dir_a);
}

static void a_bundle_without_its_base_is_refused(void) {
    char *dir_a, *dir_b;
    trailstore_store *a = open_sample(&dir_a);
    trailstore_store *b = open_empty(&dir_b);
    make_changes(a);
    char *bundle = join(dir_a, "changes.tsb");
    uint64_t count = 0;
    CHECK_OK(trailstore_bundle_export(a, bundle, false, &count));
    /* "The bundle needs test case 1, ..., which this store does not have: pull from the server
     * first, then import the bundle." */
    check_refused(b, bundle, TRAILSTORE_STATUS_BAD_REQUEST, "which this store does not have");
    free(bundle);
    close_store(b, dir_b);
    close_store(a, dir_a);
}

static void export_errors(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    uint64_t count = 77;
    CHECK_STATUS(trailstore_bundle_export(store, "/dev/null/x.tsb", false, &count),
                 TRAILSTORE_STATUS_IO);
    CHECK(count == 77);
    char *missing_dir = join(dir, "no/such/folder/x.tsb");
    CHECK_STATUS(trailstore_bundle_export(store, missing_dir, true, &count), TRAILSTORE_STATUS_IO);
    CHECK(count == 77);
    /* An empty journal is a bundle of nothing, not an error. */
    char *empty = join(dir, "empty.tsb");
    CHECK_OK(trailstore_bundle_export(store, empty, false, &count));
    CHECK(count == 0);
    /* An existing file is replaced. */
    make_changes(store);
    CHECK_OK(trailstore_bundle_export(store, empty, false, &count));
    CHECK(count == 3);
    free(empty);
    free(missing_dir);
    close_store(store, dir);
}

int main(int argc, char **argv) {
    static const struct test tests[] = {
        TEST(a_changes_bundle_carries_the_pending_journal),
        TEST(a_snapshot_bundle_carries_the_server_state),
        TEST(altered_and_truncated_bundles_are_refused),
        TEST(a_bundle_without_its_base_is_refused),
        TEST(export_errors),
    };
    return RUN_TESTS(tests);
}
