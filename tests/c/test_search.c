/* trailstore_cases_search: x_search_cases with its parameters given as a JSON object. */
#include "harness.h"

/* A case with a made-up word in its title, refs and preconditions (section 5 "Checkout", project
 * 1); returns its id. */
static int64_t add_marked(trailstore_store *store) {
    char *out = NULL;
    CHECK_OK(trailstore_case_add(store, 5,
                                 "{\"title\": \"Quokkatitle with a saved card\", \"template_id\": 2,"
                                 " \"custom_component\": 2, \"refs\": \"QRF-9911\","
                                 " \"custom_preconds\": \"Wombatprecond is ready\"}",
                                 &out));
    int64_t id = json_int(out, "id");
    trailstore_string_free(out);
    return id;
}

/* The `size` of one route's page. */
static int64_t size_of(trailstore_store *store, const char *route) {
    char *out = NULL;
    CHECK_OK(trailstore_store_call(store, route, NULL, &out));
    int64_t size = json_int(out, "size");
    trailstore_string_free(out);
    return size;
}

/* The `total` of a search (count: true is added to the options). */
static int64_t total_of(trailstore_store *store, uint64_t project, const char *query,
                        const char *options) {
    char opts[512];
    snprintf(opts, sizeof opts, "{\"count\": true%s%s}", options ? ", " : "", options ? options : "");
    char *out = NULL;
    CHECK_OK(trailstore_cases_search(store, project, query, opts, &out));
    int64_t total = json_int(out, "total");
    CHECK(total >= 0);
    trailstore_string_free(out);
    return total;
}

static void search_finds_a_case_by_each_field(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    int64_t id = add_marked(store);
    char want[64];
    snprintf(want, sizeof want, "\"case\":{\"id\":%lld,", (long long)id);

    const char *queries[] = {"quokkatitle", "title:quokkatitle", "QRF-9911", "refs:QRF-9911",
                             "text:wombatprecond", "quokka*",
                             "\"saved card\" AND (quokkatitle OR nothing)"};
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        char *out = NULL;
        CHECK_OK(trailstore_cases_search(store, 1, queries[i], "{\"count\": true}", &out));
        if (json_int(out, "total") != 1 || strstr(out, want) == NULL) {
            fprintf(stderr, "query %s answered %s\n", queries[i], out);
            CHECK(0);
        }
        /* Snippets mark the words (a prefix query has none: the core highlights terms only). */
        if (strchr(queries[i], '*') == NULL) CHECK_CONTAINS(out, "<b>");
        CHECK_CONTAINS(out, "\"score\":");
        trailstore_string_free(out);
    }
    /* The page is the route's: NULL options are the defaults (limit 50, no total). */
    char *out = NULL;
    CHECK_OK(trailstore_cases_search(store, 1, "quokkatitle", NULL, &out));
    CHECK(json_int(out, "offset") == 0);
    CHECK(json_int(out, "limit") == 50);
    CHECK(json_int(out, "size") == 1);
    CHECK(json_member(out, "total") == NULL);
    CHECK(json_member(out, "_links") != NULL);
    trailstore_string_free(out);
    /* The same answer as the route itself. */
    char *via_route = NULL;
    CHECK_OK(trailstore_cases_search(store, 1, "title:quokkatitle", "", &out));
    CHECK_OK(trailstore_store_call(store, "x_search_cases/1&q=title%3Aquokkatitle", NULL,
                                   &via_route));
    CHECK_STR(out, via_route);
    trailstore_string_free(out);
    trailstore_string_free(via_route);
    close_store(store, dir);
}

static void an_empty_query_matches_every_case(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    CHECK(total_of(store, 1, "", NULL) == size_of(store, "get_cases/1"));
    CHECK(total_of(store, 1, "", NULL) == 198);
    CHECK(total_of(store, 2, "", "\"suite_id\": 3") == size_of(store, "get_cases/2&suite_id=3"));
    close_store(store, dir);
}

static void filters_match_get_cases(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    /* Lists as JSON arrays (sent as 3,4), single ids as numbers or strings. */
    CHECK(total_of(store, 1, "", "\"priority_id\": [3, 4]") ==
          size_of(store, "get_cases/1&priority_id=3,4"));
    CHECK(total_of(store, 1, "", "\"priority_id\": 4") == size_of(store, "get_cases/1&priority_id=4"));
    CHECK(total_of(store, 1, "", "\"priority_id\": \"3,4\"") ==
          size_of(store, "get_cases/1&priority_id=3,4"));
    CHECK(total_of(store, 1, "", "\"type_id\": [6], \"milestone_id\": [1]") ==
          size_of(store, "get_cases/1&type_id=6&milestone_id=1"));
    CHECK(total_of(store, 1, "", "\"created_by\": [2], \"updated_by\": [3]") ==
          size_of(store, "get_cases/1&created_by=2&updated_by=3"));
    /* A section has its subsections: Account (1) holds more than its own cases. */
    int64_t subtree = total_of(store, 1, "", "\"section_id\": 1");
    CHECK(subtree > size_of(store, "get_cases/1&section_id=1"));
    /* null leaves a parameter out. */
    CHECK(total_of(store, 1, "", "\"section_id\": null") == 198);
    /* Custom Dropdown filters, and a Checkbox as true. */
    int64_t checkout = total_of(store, 1, "", "\"custom_component\": [2]");
    CHECK(checkout > 0 && checkout < 198);
    CHECK(total_of(store, 1, "", "\"custom_component\": 2") == checkout);
    int64_t flaky = total_of(store, 1, "", "\"custom_is_flaky\": true");
    CHECK(flaky > 0 && flaky < 198);

    /* The example of the docs: a section, priorities, a limit and a total. */
    char *out = NULL;
    CHECK_OK(trailstore_cases_search(store, 1, "card",
                                     "{\"section_id\": 5, \"priority_id\": [3, 4], \"limit\": 20,"
                                     " \"count\": true}",
                                     &out));
    CHECK(json_int(out, "limit") == 20);
    CHECK(json_int(out, "size") <= 20);
    CHECK(json_int(out, "total") >= json_int(out, "size"));
    CHECK(json_int(out, "size") > 0);
    trailstore_string_free(out);
    /* highlight: false leaves the snippets out; count: false the total. */
    CHECK_OK(trailstore_cases_search(store, 1, "card",
                                     "{\"highlight\": false, \"count\": false, \"limit\": 3}", &out));
    CHECK(json_int(out, "size") == 3);
    CHECK(json_member(out, "total") == NULL);
    CHECK(strstr(out, "<b>") == NULL);
    CHECK_CONTAINS(out, "\"highlights\":{}");
    trailstore_string_free(out);
    close_store(store, dir);
}

static void paging_follows_the_links(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    char *first = NULL;
    CHECK_OK(trailstore_cases_search(store, 1, "card", "{\"limit\": 3, \"count\": true}", &first));
    CHECK(json_int(first, "size") == 3);
    CHECK(json_int(first, "total") > 6);
    CHECK_CONTAINS(first, "\"next\":\"/api/v2/x_search_cases/1&");
    char *second = NULL, *by_offset = NULL;
    /* _links.next is a route the dispatcher takes as it is. */
    const char *next = strstr(first, "\"next\":\"") + 8;
    char route[512];
    size_t n = (size_t)(strchr(next, '"') - next);
    CHECK(n < sizeof route);
    memcpy(route, next, n);
    route[n] = '\0';
    CHECK_OK(trailstore_store_call(store, route, NULL, &second));
    CHECK_OK(trailstore_cases_search(store, 1, "card",
                                     "{\"limit\": 3, \"offset\": 3, \"count\": true}", &by_offset));
    CHECK_STR(second, by_offset);
    CHECK(json_int(second, "offset") == 3);
    trailstore_string_free(first);
    trailstore_string_free(second);
    trailstore_string_free(by_offset);
    close_store(store, dir);
}

static void a_bad_query_is_validation_on_q(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    const char *bad[] = {"(card", "card)", "\"unclosed phrase", "card AND", "nosuchfield:card"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *out = UNTOUCHED;
        CHECK_STATUS(trailstore_cases_search(store, 1, bad[i], NULL, &out),
                     TRAILSTORE_STATUS_VALIDATION);
        CHECK_FIELD("q");
        CHECK(strncmp(trailstore_last_error_message(), "Field :q is not a valid search query",
                      36) == 0);
        CHECK(out == UNTOUCHED);
    }
    close_store(store, dir);
}

static void bad_options_are_refused(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    char *out = UNTOUCHED;
    /* The query belongs in `query`. */
    CHECK_STATUS(trailstore_cases_search(store, 1, "", "{\"q\": \"card\"}", &out),
                 TRAILSTORE_STATUS_VALIDATION);
    CHECK_FIELD("q");
    /* Not an object, not JSON. */
    CHECK_STATUS(trailstore_cases_search(store, 1, "", "[1, 2]", &out),
                 TRAILSTORE_STATUS_BAD_REQUEST);
    CHECK_CONTAINS(trailstore_last_error_message(), "options_json must be a JSON object");
    CHECK_STATUS(trailstore_cases_search(store, 1, "", "{\"limit\": ", &out),
                 TRAILSTORE_STATUS_BAD_REQUEST);
    CHECK_CONTAINS(trailstore_last_error_message(), "options_json is not valid JSON");
    /* A value that is no parameter value names the parameter. */
    CHECK_STATUS(trailstore_cases_search(store, 1, "", "{\"priority_id\": {\"id\": 3}}", &out),
                 TRAILSTORE_STATUS_VALIDATION);
    CHECK_FIELD("priority_id");
    CHECK_STATUS(trailstore_cases_search(store, 1, "", "{\"priority_id\": [[3]]}", &out),
                 TRAILSTORE_STATUS_VALIDATION);
    CHECK_FIELD("priority_id");
    /* The route's own refusals. */
    CHECK_STATUS(trailstore_cases_search(store, 1, "", "{\"limit\": 251}", &out),
                 TRAILSTORE_STATUS_VALIDATION);
    CHECK_FIELD("limit");
    CHECK_STATUS(trailstore_cases_search(store, 1, "", "{\"limit\": 0}", &out),
                 TRAILSTORE_STATUS_VALIDATION);
    CHECK_FIELD("limit");
    CHECK_STATUS(trailstore_cases_search(store, 1, "", "{\"priority_id\": \"x\"}", &out),
                 TRAILSTORE_STATUS_VALIDATION);
    CHECK_FIELD("priority_id");
    CHECK_STATUS(trailstore_cases_search(store, 1, "", "{\"suite_id\": 3}", &out),
                 TRAILSTORE_STATUS_NOT_FOUND);
    CHECK_FIELD("suite_id");
    CHECK_STATUS(trailstore_cases_search(store, 1, "", "{\"section_id\": 424242}", &out),
                 TRAILSTORE_STATUS_NOT_FOUND);
    CHECK_FIELD("section_id");
    CHECK_STATUS(trailstore_cases_search(store, 424242, "", NULL, &out),
                 TRAILSTORE_STATUS_NOT_FOUND);
    CHECK_FIELD("project_id");
    CHECK_STATUS(trailstore_cases_search(store, 0, "", NULL, &out), TRAILSTORE_STATUS_VALIDATION);
    CHECK_FIELD("project_id");
    CHECK(out == UNTOUCHED);
    close_store(store, dir);
}

static void special_characters_reach_the_query_as_they_are(void) {
    /* &, =, +, % and # would break a hand-made route; the options and the query are encoded. */
    char *dir;
    trailstore_store *store = open_sample(&dir);
    char *out = NULL;
    CHECK_OK(trailstore_case_add(store, 5,
                                 "{\"title\": \"Refund 100% of A&B=C+D #7\", \"custom_component\": 2}",
                                 &out));
    int64_t id = json_int(out, "id");
    trailstore_string_free(out);
    char want[64];
    snprintf(want, sizeof want, "\"case\":{\"id\":%lld,", (long long)id);
    CHECK_OK(trailstore_cases_search(store, 1, "\"a&b=c+d\"", "{\"count\": true}", &out));
    CHECK(json_int(out, "total") == 1);
    CHECK_CONTAINS(out, want);
    trailstore_string_free(out);
    /* An option's string value is encoded too: "2&priority_id=1" is one (bad) value. */
    out = UNTOUCHED;
    CHECK_STATUS(trailstore_cases_search(store, 1, "", "{\"custom_component\": \"2&limit=1\"}",
                                         &out),
                 TRAILSTORE_STATUS_VALIDATION);
    CHECK_FIELD("custom_component");
    CHECK(out == UNTOUCHED);
    close_store(store, dir);
}

static void search_sees_every_write_that_returned(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    char *out = NULL;
    CHECK_OK(trailstore_case_add(store, 5,
                                 "{\"title\": \"Capybarafirst payment retry\", \"custom_component\": 2}",
                                 &out));
    int64_t id = json_int(out, "id");
    trailstore_string_free(out);
    CHECK(total_of(store, 1, "capybarafirst", NULL) == 1);
    CHECK_OK(trailstore_case_update(store, (uint64_t)id,
                                    "{\"title\": \"Tapirsecond payment retry\", \"priority_id\": 4}",
                                    &out));
    trailstore_string_free(out);
    CHECK(total_of(store, 1, "capybarafirst", NULL) == 0);
    CHECK(total_of(store, 1, "tapirsecond", "\"priority_id\": [4]") == 1);
    CHECK(total_of(store, 1, "tapirsecond", "\"priority_id\": [1]") == 0);
    CHECK_OK(trailstore_case_delete(store, (uint64_t)id));
    CHECK(total_of(store, 1, "tapirsecond", NULL) == 0);

    /* Inside a batch a search sees what was committed before it; the batch's writes once it
     * commits. */
    trailstore_batch *batch = NULL;
    CHECK_OK(trailstore_batch_begin(store, &batch));
    CHECK_OK(trailstore_batch_call(batch, "add_case/5",
                                   "{\"title\": \"Okapibatch\", \"custom_component\": 2}", &out));
    trailstore_string_free(out);
    CHECK(total_of(store, 1, "okapibatch", NULL) == 0);
    CHECK_OK(trailstore_batch_commit(batch));
    trailstore_batch_free(batch);
    CHECK(total_of(store, 1, "okapibatch", NULL) == 1);
    close_store(store, dir);
}

/* trailstore_cases_search_all searches every project; each hit names its project. */
static void search_all_covers_every_project(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    char *out = NULL;
    CHECK_OK(trailstore_cases_search_all(store, "", "{\"count\": true}", &out));
    int64_t all = json_int(out, "total");
    trailstore_string_free(out);
    CHECK(all == 327);
    CHECK(total_of(store, 1, "", NULL) + total_of(store, 2, "", NULL) == all);
    CHECK_OK(trailstore_store_call(store, "add_case/37",
                                   "{\"title\": \"Zyzzyva on the phone\", \"custom_platforms\": [1]}",
                                   &out));
    trailstore_string_free(out);
    CHECK_OK(trailstore_cases_search_all(store, "zyzzyva", NULL, &out));
    CHECK(strstr(out, "\"project_id\":2,") != NULL);
    trailstore_string_free(out);
    close_store(store, dir);
}

int main(int argc, char **argv) {
    static const struct test tests[] = {
        TEST(search_finds_a_case_by_each_field),
        TEST(an_empty_query_matches_every_case),
        TEST(filters_match_get_cases),
        TEST(paging_follows_the_links),
        TEST(a_bad_query_is_validation_on_q),
        TEST(bad_options_are_refused),
        TEST(special_characters_reach_the_query_as_they_are),
        TEST(search_sees_every_write_that_returned),
        TEST(search_all_covers_every_project),
    };
    return RUN_TESTS(tests);
}
