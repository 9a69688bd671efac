/* The typed helpers: cases, a section's cases (every page), the journal, a case's history. */
#include "harness.h"

#define CASE_IN_P1(title) "{\"title\": \"" title "\", \"custom_component\": 1}"

static void case_get_answers_the_case(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    char *out = NULL;
    CHECK_OK(trailstore_case_get(store, 1, &out));
    CHECK(json_int(out, "id") == 1);
    CHECK(json_int(out, "section_id") == 1);
    CHECK_CONTAINS(out, "\"custom_steps_separated\":[");
    trailstore_string_free(out);

    out = UNTOUCHED;
    CHECK_STATUS(trailstore_case_get(store, 999999, &out), TRAILSTORE_STATUS_NOT_FOUND);
    CHECK_FIELD("case_id");
    CHECK(out == UNTOUCHED);
    CHECK_STATUS(trailstore_case_get(store, 0, &out), TRAILSTORE_STATUS_VALIDATION);
    CHECK_FIELD("case_id");
    CHECK(out == UNTOUCHED);
    close_store(store, dir);
}

static void case_add_gives_a_local_id(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    char *out = NULL;
    CHECK_OK(trailstore_case_add(store, 11, CASE_IN_P1("Sign in with a magic link"), &out));
    int64_t id = json_int(out, "id");
    CHECK(id >= (1LL << 31) - (1LL << 24)); /* trailstore's local id range */
    CHECK(json_int(out, "section_id") == 11);
    CHECK(json_int(out, "suite_id") == 1);
    trailstore_string_free(out);

    CHECK_OK(trailstore_case_get(store, (uint64_t)id, &out));
    CHECK_CONTAINS(out, "\"title\":\"Sign in with a magic link\"");
    trailstore_string_free(out);

    /* A multi-suite project's section: the suite comes from the section. */
    CHECK_OK(trailstore_case_add(store, 76, "{\"title\": \"Delta from C\", \"custom_platforms\": [1]}",
                                 &out));
    CHECK(json_int(out, "suite_id") == 4);
    trailstore_string_free(out);
    close_store(store, dir);
}

static void case_add_refusals(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    char *out = UNTOUCHED;
    CHECK_STATUS(trailstore_case_add(store, 11, "{}", &out), TRAILSTORE_STATUS_VALIDATION);
    CHECK_STR(trailstore_last_error_message(), "Field :title is a required field.");
    CHECK_FIELD("title");
    CHECK_STATUS(trailstore_case_add(store, 11, "{\"title\": \"x\"}", &out),
                 TRAILSTORE_STATUS_VALIDATION);
    CHECK_FIELD("custom_component");
    CHECK_STATUS(trailstore_case_add(store, 11, "{\"title\": \"x\", \"custom_component\": 1, "
                                                "\"estimate\": \"soon\"}",
                                     &out),
                 TRAILSTORE_STATUS_VALIDATION);
    CHECK_STR(trailstore_last_error_message(),
              "Field :estimate is not in a valid time span format.");
    CHECK_FIELD("estimate");
    CHECK_STATUS(trailstore_case_add(store, 11, "{\"title\": \"x\", \"custom_component\": 1, "
                                                "\"priority_id\": 99}",
                                     &out),
                 TRAILSTORE_STATUS_NOT_FOUND);
    CHECK_FIELD("priority_id");
    CHECK_STATUS(trailstore_case_add(store, 424242, CASE_IN_P1("x"), &out),
                 TRAILSTORE_STATUS_NOT_FOUND);
    CHECK_FIELD("section_id");
    CHECK_STATUS(trailstore_case_add(store, 11, "not json", &out), TRAILSTORE_STATUS_BAD_REQUEST);
    CHECK(out == UNTOUCHED);
    CHECK_OK(trailstore_journal_get_pending(store, 0, &out));
    CHECK_STR(out, "[]");
    trailstore_string_free(out);
    close_store(store, dir);
}

static void case_update_changes_fields(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    char *out = NULL;
    CHECK_OK(trailstore_case_update(store, 1, "{\"title\": \"Renamed from C\", \"priority_id\": 4}",
                                    &out));
    CHECK_CONTAINS(out, "\"title\":\"Renamed from C\"");
    CHECK(json_int(out, "priority_id") == 4);
    trailstore_string_free(out);
    CHECK_OK(trailstore_case_get(store, 1, &out));
    CHECK_CONTAINS(out, "\"title\":\"Renamed from C\"");
    trailstore_string_free(out);

    out = UNTOUCHED;
    CHECK_STATUS(trailstore_case_update(store, 1, "{\"title\": \"\"}", &out),
                 TRAILSTORE_STATUS_VALIDATION);
    CHECK_FIELD("title");
    CHECK_STATUS(trailstore_case_update(store, 999999, "{\"title\": \"x\"}", &out),
                 TRAILSTORE_STATUS_NOT_FOUND);
    CHECK_FIELD("case_id");
    CHECK(out == UNTOUCHED);
    close_store(store, dir);
}

static void case_delete_removes_it(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    CHECK_OK(trailstore_case_delete(store, 1));
    char *out = UNTOUCHED;
    CHECK_STATUS(trailstore_case_get(store, 1, &out), TRAILSTORE_STATUS_NOT_FOUND);
    CHECK(out == UNTOUCHED);
    CHECK_STATUS(trailstore_case_delete(store, 1), TRAILSTORE_STATUS_NOT_FOUND);
    CHECK_FIELD("case_id");
    close_store(store, dir);
}

static void section_get_cases_lists_one_section(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    char *out = NULL;
    /* Login (section 11, project 1) has 15 cases; its subsections' cases are not listed. */
    CHECK_OK(trailstore_section_get_cases(store, 11, &out));
    CHECK(json_array_len(out) == 15);
    CHECK_CONTAINS(out, "\"section_id\":11");
    CHECK(strstr(out, "\"section_id\":26") == NULL);
    trailstore_string_free(out);
    /* Delta sync (section 76) is in suite 4 of the multi-suite project 2. */
    CHECK_OK(trailstore_section_get_cases(store, 76, &out));
    CHECK(json_array_len(out) == 15);
    CHECK_CONTAINS(out, "\"suite_id\":4");
    trailstore_string_free(out);
    /* "Deprecated (do not use)" has none. */
    CHECK_OK(trailstore_section_get_cases(store, 9, &out));
    CHECK_STR(out, "[]");
    trailstore_string_free(out);

    out = UNTOUCHED;
    CHECK_STATUS(trailstore_section_get_cases(store, 424242, &out), TRAILSTORE_STATUS_NOT_FOUND);
    CHECK_FIELD("section_id");
    CHECK(out == UNTOUCHED);
    close_store(store, dir);
}

static void section_get_cases_reads_every_page(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    enum { N = 260 }; /* more than one page of 250 */
    trailstore_batch *batch = NULL;
    CHECK_OK(trailstore_batch_begin(store, &batch));
    for (int i = 0; i < N; i++) {
        char body[128];
        snprintf(body, sizeof body, "{\"title\": \"Paged %03d\", \"custom_component\": 1}", i);
        char *out = NULL;
        CHECK_OK(trailstore_batch_call(batch, "add_case/9", body, &out));
        trailstore_string_free(out);
    }
    CHECK_OK(trailstore_batch_commit(batch));
    trailstore_batch_free(batch);

    /* The route alone answers one page... */
    char *page = NULL;
    CHECK_OK(trailstore_store_call(store, "get_cases/1&section_id=9", NULL, &page));
    CHECK(json_int(page, "size") == 250);
    trailstore_string_free(page);
    /* ...the helper all of them, in order. */
    char *out = NULL;
    CHECK_OK(trailstore_section_get_cases(store, 9, &out));
    CHECK(json_array_len(out) == N);
    const char *first = strstr(out, "Paged 000");
    const char *last = strstr(out, "Paged 259");
    CHECK(first != NULL && last != NULL && first < last);
    trailstore_string_free(out);

    /* The journal helper pages too: one entry per add. */
    CHECK_OK(trailstore_journal_get_pending(store, 0, &out));
    CHECK(json_array_len(out) == N);
    trailstore_string_free(out);
    close_store(store, dir);
}

static void journal_get_pending_lists_changes_in_order(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    char *out = NULL;
    /* An import is server state, not a change to push. */
    CHECK_OK(trailstore_journal_get_pending(store, 0, &out));
    CHECK_STR(out, "[]");
    trailstore_string_free(out);

    CHECK_OK(trailstore_case_add(store, 11, CASE_IN_P1("First"), &out));
    trailstore_string_free(out);
    CHECK_OK(trailstore_case_update(store, 2, "{\"title\": \"Second\"}", &out));
    trailstore_string_free(out);
    CHECK_OK(trailstore_case_delete(store, 3));

    CHECK_OK(trailstore_journal_get_pending(store, 0, &out));
    CHECK(json_array_len(out) == 3);
    const char *add = strstr(out, "\"route\":\"add_case/11\"");
    const char *update = strstr(out, "\"route\":\"update_case/2\"");
    const char *del = strstr(out, "\"route\":\"delete_case/3\"");
    CHECK(add && update && del && add < update && update < del);
    CHECK_CONTAINS(out, "\"state\":\"pending\"");
    trailstore_string_free(out);

    /* since: only what came after. */
    CHECK_OK(trailstore_journal_get_pending(store, 2, &out));
    CHECK(json_array_len(out) == 1);
    CHECK_CONTAINS(out, "\"route\":\"delete_case/3\"");
    trailstore_string_free(out);
    CHECK_OK(trailstore_journal_get_pending(store, 3, &out));
    CHECK_STR(out, "[]");
    trailstore_string_free(out);
    close_store(store, dir);
}

static void case_get_history_lists_changes_newest_first(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    char *out = NULL;
    CHECK_OK(trailstore_case_get_history(store, 1, &out));
    CHECK_STR(out, "[]");
    trailstore_string_free(out);

    CHECK_OK(trailstore_case_update(store, 1, "{\"title\": \"One\"}", &out));
    trailstore_string_free(out);
    CHECK_OK(trailstore_case_update(store, 1, "{\"title\": \"Two\"}", &out));
    trailstore_string_free(out);
    CHECK_OK(trailstore_case_get_history(store, 1, &out));
    CHECK(json_array_len(out) == 2);
    const char *two = strstr(out, "\"new_value\":\"Two\"");
    const char *one = strstr(out, "\"new_value\":\"One\"");
    CHECK(two && one && two < one);
    CHECK_CONTAINS(out, "\"field\":\"title\"");
    trailstore_string_free(out);

    out = UNTOUCHED;
    CHECK_STATUS(trailstore_case_get_history(store, 999999, &out), TRAILSTORE_STATUS_NOT_FOUND);
    CHECK_FIELD("case_id");
    CHECK(out == UNTOUCHED);
    close_store(store, dir);
}

int main(int argc, char **argv) {
    static const struct test tests[] = {
        TEST(case_get_answers_the_case),
        TEST(case_add_gives_a_local_id),
        TEST(case_add_refusals),
        TEST(case_update_changes_fields),
        TEST(case_delete_removes_it),
        TEST(section_get_cases_lists_one_section),
        TEST(section_get_cases_reads_every_page),
        TEST(journal_get_pending_lists_changes_in_order),
        TEST(case_get_history_lists_changes_newest_first),
    };
    return RUN_TESTS(tests);
}
