/* Boundary values through the C API: empty strings, a 10 MB text, 4-byte emoji, NUL inside JSON
 * strings, invalid UTF-8, ids at 2^31 - 1 and -1, a 64-deep section tree, timestamps 0 and 2^32.
 * Each comes back byte for byte, or is refused with the documented status and field. */
#include "harness.h"

#define EMOJI "\xf0\x9f\x98\x80" /* U+1F600, 4 bytes in UTF-8 */

/* Adds a case to section 11 (project 1) from a JSON body; returns the answer (to free). */
static char *add(trailstore_store *store, const char *body) {
    char *out = NULL;
    CHECK_OK(trailstore_store_call(store, "add_case/11", body, &out));
    return out;
}

/* get_case of the case `added` answers (to free). */
static char *reread(trailstore_store *store, const char *added) {
    char *out = NULL;
    CHECK_OK(trailstore_case_get(store, (uint64_t)json_int(added, "id"), &out));
    return out;
}

/* The call fails with `status`, about `field` (NULL: none), leaving the out-param alone. */
static void refused(trailstore_store *store, const char *route, const char *body,
                    trailstore_status status, const char *field) {
    char *out = UNTOUCHED;
    CHECK_STATUS(trailstore_store_call(store, route, body, &out), status);
    if (field)
        CHECK_FIELD(field);
    else
        CHECK(trailstore_last_error_field() == NULL);
    CHECK(out == UNTOUCHED);
}

static void empty_strings(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    /* An empty route names no method; an empty body is no body. */
    refused(store, "", NULL, TRAILSTORE_STATUS_UNKNOWN_METHOD, NULL);
    char *out = NULL;
    CHECK_OK(trailstore_store_call(store, "get_case/1", "", &out));
    trailstore_string_free(out);
    refused(store, "add_case/11", "", TRAILSTORE_STATUS_VALIDATION, "title");
    refused(store, "add_case/11", "{}", TRAILSTORE_STATUS_VALIDATION, "title");
    /* Required names may not be empty or blank... */
    refused(store, "add_case/11", "{\"title\": \"\", \"custom_component\": 1}",
            TRAILSTORE_STATUS_VALIDATION, "title");
    refused(store, "add_case/11", "{\"title\": \"   \", \"custom_component\": 1}",
            TRAILSTORE_STATUS_VALIDATION, "title");
    refused(store, "add_section/1", "{\"name\": \"\"}", TRAILSTORE_STATUS_VALIDATION, "name");
    refused(store, "add_project", "{\"name\": \"\"}", TRAILSTORE_STATUS_VALIDATION, "name");
    /* ...other texts may, and come back empty (an empty estimate clears it: null). */
    char *added = add(store, "{\"title\": \"Empty fields\", \"custom_component\": 1, \"refs\": \"\","
                             " \"custom_preconds\": \"\", \"custom_automation_id\": \"\","
                             " \"estimate\": \"\"}");
    char *again = reread(store, added);
    CHECK(json_str_is(again, "refs", ""));
    CHECK(json_str_is(again, "custom_preconds", ""));
    CHECK(json_str_is(again, "custom_automation_id", ""));
    CHECK(strncmp(json_member(again, "estimate"), "null", 4) == 0);
    trailstore_string_free(added);
    trailstore_string_free(again);
    CHECK_OK(trailstore_store_call(store, "add_section/1", "{\"name\": \"S\", \"description\": \"\"}",
                                   &out));
    CHECK(json_str_is(out, "description", ""));
    trailstore_string_free(out);
    /* Empty arguments of the other functions: a search of everything, no options. */
    CHECK_OK(trailstore_cases_search(store, 1, "", "", &out));
    CHECK(json_int(out, "size") == 50);
    trailstore_string_free(out);
    CHECK_OK(trailstore_cases_search(store, 1, "", "{}", &out));
    trailstore_string_free(out);
    out = UNTOUCHED;
    CHECK_STATUS(trailstore_conflicts_resolve(store, "", "local", NULL, &out),
                 TRAILSTORE_STATUS_VALIDATION);
    CHECK_FIELD("key");
    CHECK_STATUS(trailstore_conflicts_resolve(store, "case/1/title", "", NULL, &out),
                 TRAILSTORE_STATUS_VALIDATION);
    CHECK_FIELD("resolution");
    CHECK_STATUS(trailstore_conflicts_resolve(store, "case/1/title", "value", "", &out),
                 TRAILSTORE_STATUS_BAD_REQUEST);
    /* An empty URL is no URL a server has. */
    CHECK_STATUS(trailstore_store_pull(store, "", "u", "some-key", "", &out),
                 TRAILSTORE_STATUS_BAD_REQUEST);
    CHECK_CONTAINS(trailstore_last_error_message(), "http://");
    CHECK(out == UNTOUCHED);
    close_store(store, dir);
}

/* `n` bytes of text: words (some with é and an emoji), none that JSON escapes. */
static char *big_text(size_t n, const char *last_word) {
    static const char *words[] = {"lorem ", "ipsum ", "caf\xc3\xa9 ", "dolor ", EMOJI " ", "sit "};
    char *text = (char *)malloc(n + 1);
    CHECK(text != NULL);
    size_t len = 0, w = 0, tail = strlen(last_word);
    while (len + 8 + tail < n) {
        size_t k = strlen(words[w % 6]);
        memcpy(text + len, words[w % 6], k);
        len += k;
        w++;
    }
    memcpy(text + len, last_word, tail);
    len += tail;
    while (len < n) text[len++] = '.';
    text[len] = '\0';
    return text;
}

static void a_ten_megabyte_text_round_trips(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    const size_t TEN_MB = 10u * 1024 * 1024;
    char *text = big_text(TEN_MB, " zebrafinchmarker");
    CHECK(strlen(text) == TEN_MB);
    size_t cap = TEN_MB + 256;
    char *body = (char *)malloc(cap);
    CHECK(body != NULL);
    snprintf(body, cap,
             "{\"title\": \"Ten megabytes\", \"custom_component\": 1, \"custom_preconds\": \"%s\"}",
             text);
    char *added = NULL;
    CHECK_OK(trailstore_case_add(store, 11, body, &added));
    CHECK(json_str_is(added, "custom_preconds", text));
    char *again = reread(store, added);
    CHECK(json_str_is(again, "custom_preconds", text));
    uint64_t id = (uint64_t)json_int(added, "id");
    trailstore_string_free(again);
    trailstore_string_free(added);

    /* Searchable, to its last word. */
    char *out = NULL;
    CHECK_OK(trailstore_cases_search(store, 1, "zebrafinchmarker", "{\"count\": true}", &out));
    CHECK(json_int(out, "total") == 1);
    trailstore_string_free(out);

    /* Replaced by another 10 MB (through update_case), then by an empty text. */
    text[0] = 'X';
    snprintf(body, cap, "{\"custom_preconds\": \"%s\"}", text);
    CHECK_OK(trailstore_case_update(store, id, body, &out));
    trailstore_string_free(out);
    CHECK_OK(trailstore_case_get(store, id, &out));
    CHECK(json_str_is(out, "custom_preconds", text));
    trailstore_string_free(out);
    CHECK_OK(trailstore_case_update(store, id, "{\"custom_preconds\": \"\"}", &out));
    trailstore_string_free(out);
    CHECK_OK(trailstore_case_get(store, id, &out));
    CHECK(json_str_is(out, "custom_preconds", ""));
    trailstore_string_free(out);

    /* 10 MB where at most 250 characters go: refused, and the message does not quote it. */
    snprintf(body, cap, "{\"title\": \"%s\", \"custom_component\": 1}", text);
    out = UNTOUCHED;
    CHECK_STATUS(trailstore_case_add(store, 11, body, &out), TRAILSTORE_STATUS_VALIDATION);
    CHECK_FIELD("title");
    CHECK(strlen(trailstore_last_error_message()) < 200);
    CHECK(out == UNTOUCHED);
    free(body);
    free(text);
    close_store(store, dir);
}

static void four_byte_emoji_round_trip(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    /* 250 characters are 1,000 bytes: the title's limit counts characters. */
    char title[251 * 4 + 1] = "";
    for (int i = 0; i < 250; i++) strcat(title, EMOJI);
    char body[2048];
    snprintf(body, sizeof body, "{\"title\": \"%s\", \"custom_component\": 1, \"refs\": \"" EMOJI
                                "-1\", \"custom_preconds\": \"pre " EMOJI " post\"}",
             title);
    char *added = add(store, body);
    char *again = reread(store, added);
    CHECK(json_str_is(again, "title", title));
    CHECK(json_str_is(again, "refs", EMOJI "-1"));
    CHECK(json_str_is(again, "custom_preconds", "pre " EMOJI " post"));
    trailstore_string_free(added);
    trailstore_string_free(again);
    strcat(title, EMOJI);
    snprintf(body, sizeof body, "{\"title\": \"%s\", \"custom_component\": 1}", title);
    refused(store, "add_case/11", body, TRAILSTORE_STATUS_VALIDATION, "title");
    CHECK_CONTAINS(trailstore_last_error_message(), "250");

    /* An escaped surrogate pair is the same character; a lone surrogate is no JSON text. */
    added = add(store, "{\"title\": \"pair \\ud83d\\ude00 \\u00e9\", \"custom_component\": 1}");
    CHECK(json_str_is(added, "title", "pair " EMOJI " \xc3\xa9"));
    trailstore_string_free(added);
    refused(store, "add_case/11", "{\"title\": \"lone \\ud83d\", \"custom_component\": 1}",
            TRAILSTORE_STATUS_BAD_REQUEST, NULL);
    /* The highest code point is text like any other. */
    added = add(store, "{\"title\": \"max \xf4\x8f\xbf\xbf\", \"custom_component\": 1}");
    CHECK(json_str_is(added, "title", "max \xf4\x8f\xbf\xbf"));
    trailstore_string_free(added);

    /* Names, search queries and highlights with emoji. */
    char *out = NULL;
    CHECK_OK(trailstore_store_call(store, "add_section/1", "{\"name\": \"" EMOJI " Rockets\"}", &out));
    CHECK(json_str_is(out, "name", EMOJI " Rockets"));
    trailstore_string_free(out);
    added = add(store, "{\"title\": \"Launch " EMOJI " hedgehogword\", \"custom_component\": 1}");
    trailstore_string_free(added);
    CHECK_OK(trailstore_cases_search(store, 1, "hedgehogword " EMOJI, "{\"count\": true}", &out));
    CHECK(json_int(out, "total") >= 0); /* the emoji may or may not be a token: never an error */
    trailstore_string_free(out);
    CHECK_OK(trailstore_cases_search(store, 1, "hedgehogword", "{\"count\": true}", &out));
    CHECK(json_int(out, "total") == 1);
    CHECK_CONTAINS(out, "Launch " EMOJI " <b>hedgehogword</b>");
    trailstore_string_free(out);
    close_store(store, dir);
}

static void nul_inside_json_strings(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    /* C strings end at NUL; JSON says \u0000, and it is kept and sent back escaped. */
    char *added = add(store, "{\"title\": \"a\\u0000b\", \"custom_component\": 1, \"refs\": "
                             "\"\\u0000\", \"custom_preconds\": \"x\\u0000\\u0000y\"}");
    char *again = reread(store, added);
    CHECK(json_str_is(again, "title", "a\\u0000b"));
    CHECK(json_str_is(again, "refs", "\\u0000"));
    CHECK(json_str_is(again, "custom_preconds", "x\\u0000\\u0000y"));
    trailstore_string_free(added);
    trailstore_string_free(again);
    char *out = NULL;
    CHECK_OK(trailstore_store_call(store, "add_section/1", "{\"name\": \"\\u0000\"}", &out));
    CHECK(json_str_is(out, "name", "\\u0000"));
    trailstore_string_free(out);
    /* A search option with NUL in it arrives encoded (%00), not cut. */
    CHECK_OK(trailstore_cases_search(store, 1, "", "{\"refs\": \"\\u0000\", \"count\": true}", &out));
    trailstore_string_free(out);
    /* NUL in a query separates words, as in the text. */
    added = add(store, "{\"title\": \"quollword\\u0000numbatword\", \"custom_component\": 1}");
    trailstore_string_free(added);
    CHECK_OK(trailstore_store_call(store, "x_search_cases/1&q=quollword%00numbatword&count=1", NULL,
                                   &out));
    CHECK(json_int(out, "total") == 1);
    CHECK_CONTAINS(out, "\"title\":\"quollword\\u0000numbatword\"");
    trailstore_string_free(out);
    /* A message that quotes a NUL is not cut at it. */
    out = UNTOUCHED;
    CHECK_STATUS(trailstore_store_call(store, "x_resolve_conflict",
                                       "{\"key\": \"case/1/ti\\u0000tle\", \"resolution\": \"local\"}",
                                       &out),
                 TRAILSTORE_STATUS_NOT_FOUND);
    CHECK_FIELD("key");
    CHECK_CONTAINS(trailstore_last_error_message(), "case/1/ti\xef\xbf\xbdtle).");
    CHECK(out == UNTOUCHED);
    close_store(store, dir);
}

static void invalid_utf8_in_route_and_body(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    const char *bad[] = {
        "\xff",             /* never in UTF-8 */
        "\xc3\x28",         /* a broken two-byte sequence */
        "\xc0\xaf",         /* an overlong '/' */
        "\xed\xa0\x80",     /* a surrogate, encoded */
        "\xf4\x90\x80\x80", /* above U+10FFFF */
        "\xe2\x82",         /* cut short */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char route[64], body[128];
        snprintf(route, sizeof route, "get_cases/1&filter=%s", bad[i]);
        refused(store, route, NULL, TRAILSTORE_STATUS_INVALID_UTF8, "route");
        snprintf(body, sizeof body, "{\"title\": \"%s\", \"custom_component\": 1}", bad[i]);
        refused(store, "add_case/11", body, TRAILSTORE_STATUS_INVALID_UTF8, "body_json");
        char *out = UNTOUCHED;
        CHECK_STATUS(trailstore_case_add(store, 11, body, &out), TRAILSTORE_STATUS_INVALID_UTF8);
        CHECK_FIELD("case_json");
        CHECK_STATUS(trailstore_cases_search(store, 1, bad[i], NULL, &out),
                     TRAILSTORE_STATUS_INVALID_UTF8);
        CHECK_FIELD("query");
        CHECK(out == UNTOUCHED);
    }
    /* Invalid UTF-8 percent-encoded in a route is TestRail's GET error, not a crash. */
    refused(store, "get_cases/1&filter=%ff%fe", NULL, TRAILSTORE_STATUS_BAD_REQUEST, NULL);
    CHECK_CONTAINS(trailstore_last_error_message(), "Invalid characters in GET");
    /* Nothing was written. */
    char *out = NULL;
    CHECK_OK(trailstore_journal_get_pending(store, 0, &out));
    CHECK_STR(out, "[]");
    trailstore_string_free(out);
    close_store(store, dir);
}

static void ids_at_the_edges(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    /* 2^31 - 1 is an id (of nothing here); 2^31, 0 and -1 are not ids. */
    refused(store, "get_case/2147483647", NULL, TRAILSTORE_STATUS_NOT_FOUND, "case_id");
    refused(store, "get_section/2147483647", NULL, TRAILSTORE_STATUS_NOT_FOUND, "section_id");
    refused(store, "get_cases/2147483647", NULL, TRAILSTORE_STATUS_NOT_FOUND, "project_id");
    refused(store, "get_case/2147483648", NULL, TRAILSTORE_STATUS_VALIDATION, "case_id");
    refused(store, "get_case/0", NULL, TRAILSTORE_STATUS_VALIDATION, "case_id");
    refused(store, "get_case/-1", NULL, TRAILSTORE_STATUS_VALIDATION, "case_id");
    refused(store, "get_case/18446744073709551616", NULL, TRAILSTORE_STATUS_VALIDATION, "case_id");
    refused(store, "get_cases/-1", NULL, TRAILSTORE_STATUS_VALIDATION, "project_id");
    refused(store, "get_cases/1&section_id=-1", NULL, TRAILSTORE_STATUS_VALIDATION, "section_id");
    refused(store, "get_cases/1&priority_id=-1", NULL, TRAILSTORE_STATUS_VALIDATION, "priority_id");
    refused(store, "get_cases/1&priority_id=3,-1", NULL, TRAILSTORE_STATUS_VALIDATION,
            "priority_id");
    refused(store, "x_search_cases/1&section_id=-1", NULL, TRAILSTORE_STATUS_VALIDATION,
            "section_id");
    refused(store, "x_search_cases/-1", NULL, TRAILSTORE_STATUS_VALIDATION, "project_id");
    refused(store, "x_search_cases/2147483647", NULL, TRAILSTORE_STATUS_NOT_FOUND, "project_id");
    refused(store, "add_case/2147483647", "{\"title\": \"x\"}", TRAILSTORE_STATUS_NOT_FOUND,
            "section_id");
    refused(store, "add_case/-1", "{\"title\": \"x\"}", TRAILSTORE_STATUS_VALIDATION, "section_id");
    /* Ids in bodies. */
    const char *bodies[] = {
        "{\"title\": \"x\", \"custom_component\": 1, \"priority_id\": -1}",
        "{\"title\": \"x\", \"custom_component\": 1, \"priority_id\": 2147483648}",
        "{\"title\": \"x\", \"custom_component\": 1, \"priority_id\": 18446744073709551616}",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++)
        refused(store, "add_case/11", bodies[i], TRAILSTORE_STATUS_VALIDATION, "priority_id");
    refused(store, "add_case/11",
            "{\"title\": \"x\", \"custom_component\": 1, \"priority_id\": 2147483647}",
            TRAILSTORE_STATUS_NOT_FOUND, "priority_id");

    /* Through the typed helpers (uint64_t): -1 is 2^64 - 1. */
    char *out = UNTOUCHED;
    CHECK_STATUS(trailstore_case_get(store, 2147483647u, &out), TRAILSTORE_STATUS_NOT_FOUND);
    CHECK_FIELD("case_id");
    CHECK_STATUS(trailstore_case_get(store, 2147483648u, &out), TRAILSTORE_STATUS_VALIDATION);
    CHECK_FIELD("case_id");
    CHECK_STATUS(trailstore_case_get(store, (uint64_t)-1, &out), TRAILSTORE_STATUS_VALIDATION);
    CHECK_FIELD("case_id");
    CHECK_STATUS(trailstore_case_delete(store, (uint64_t)-1), TRAILSTORE_STATUS_VALIDATION);
    CHECK_STATUS(trailstore_section_get_cases(store, (uint64_t)-1, &out),
                 TRAILSTORE_STATUS_VALIDATION);
    CHECK_FIELD("section_id");
    CHECK_STATUS(trailstore_cases_search(store, 2147483647u, "", NULL, &out),
                 TRAILSTORE_STATUS_NOT_FOUND);
    CHECK_FIELD("project_id");
    CHECK_STATUS(trailstore_cases_search(store, (uint64_t)-1, "", NULL, &out),
                 TRAILSTORE_STATUS_VALIDATION);
    CHECK_FIELD("project_id");
    CHECK_STATUS(trailstore_cases_search(store, 1, "", "{\"section_id\": -1}", &out),
                 TRAILSTORE_STATUS_VALIDATION);
    CHECK_FIELD("section_id");
    CHECK(out == UNTOUCHED);
    /* An id filter above 2^31 - 1 is refused as a path id is. */
    CHECK_STATUS(trailstore_cases_search(store, 1, "", "{\"priority_id\": [2147483648], \"count\": 1}",
                                         &out),
                 TRAILSTORE_STATUS_VALIDATION);
    CHECK_FIELD("priority_id");
    CHECK(out == UNTOUCHED);
    CHECK_STATUS(trailstore_store_call(store, "get_cases/1&priority_id=2147483648", NULL, &out),
                 TRAILSTORE_STATUS_VALIDATION);
    CHECK_FIELD("priority_id");
    CHECK(out == UNTOUCHED);
    close_store(store, dir);
}

/* A snapshot at the edges: the largest server id (2^31 - 2^24 - 1) and timestamps 0 and 2^32. */
static const char EDGE_SNAPSHOT[] =
    "{\"projects\": [{\"id\": 1, \"name\": \"Edges\", \"suite_mode\": 1}],"
    " \"suites\": [{\"id\": 1, \"name\": \"Master\", \"project_id\": 1}],"
    " \"sections\": [{\"id\": 2130706431, \"suite_id\": 1, \"name\": \"Top\"}],"
    " \"case_types\": [{\"id\": 7, \"name\": \"Other\", \"is_default\": true}],"
    " \"priorities\": [{\"id\": 2, \"name\": \"Medium\", \"is_default\": true}],"
    " \"templates\": [{\"id\": 1, \"name\": \"Test Case (Text)\", \"is_default\": true}],"
    " \"cases\": ["
    "  {\"id\": 2130706431, \"title\": \"Epoch\", \"section_id\": 2130706431, \"suite_id\": 1,"
    "   \"created_on\": 0, \"updated_on\": 0},"
    "  {\"id\": 5, \"title\": \"Far future\", \"section_id\": 2130706431, \"suite_id\": 1,"
    "   \"created_on\": 4294967296, \"updated_on\": 4294967296}]}";

static void ids_and_timestamps_of_a_snapshot_at_the_edges(void) {
    char *dir;
    trailstore_store *store = open_empty(&dir);
    char *report = NULL;
    CHECK_OK(trailstore_store_import_json(store, EDGE_SNAPSHOT, &report));
    trailstore_string_free(report);
    char *out = NULL;
    CHECK_OK(trailstore_case_get(store, 2130706431u, &out));
    CHECK(json_int(out, "id") == 2130706431);
    CHECK(json_int(out, "section_id") == 2130706431);
    CHECK(json_int(out, "created_on") == 0);
    trailstore_string_free(out);
    CHECK_OK(trailstore_case_get(store, 5, &out));
    CHECK(json_int(out, "created_on") == 4294967296LL);
    CHECK(json_int(out, "updated_on") == 4294967296LL);
    trailstore_string_free(out);

    /* The filters are strict: 0 and 2^32 are inside the range of neither bound. */
    static const struct {
        const char *filter;
        int64_t size;
    } cases[] = {
        {"created_after=0", 1},          {"created_before=0", 0},
        {"created_before=1", 1},         {"created_after=-1", 2},
        {"created_after=4294967295", 1}, {"created_after=4294967296", 0},
        {"created_before=4294967296", 1}, {"created_before=4294967297", 2},
        {"updated_after=0", 1},          {"updated_before=4294967296", 1},
        {"updated_after=4294967296", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char route[128], options[128];
        snprintf(route, sizeof route, "get_cases/1&%s", cases[i].filter);
        CHECK_OK(trailstore_store_call(store, route, NULL, &out));
        if (json_int(out, "size") != cases[i].size) {
            fprintf(stderr, "%s: %s\n", route, out);
            CHECK(0);
        }
        trailstore_string_free(out);
        /* The same through search options. */
        const char *eq = strchr(cases[i].filter, '=');
        snprintf(options, sizeof options, "{\"%.*s\": %s, \"count\": true}",
                 (int)(eq - cases[i].filter), cases[i].filter, eq + 1);
        CHECK_OK(trailstore_cases_search(store, 1, "", options, &out));
        if (json_int(out, "total") != cases[i].size) {
            fprintf(stderr, "search %s: %s\n", options, out);
            CHECK(0);
        }
        trailstore_string_free(out);
    }
    /* Beyond 64 bits is no timestamp. */
    refused(store, "get_cases/1&created_after=99999999999999999999", NULL,
            TRAILSTORE_STATUS_VALIDATION, "created_after");
    out = UNTOUCHED;
    CHECK_STATUS(trailstore_cases_search(store, 1, "", "{\"updated_before\": 99999999999999999999}",
                                         &out),
                 TRAILSTORE_STATUS_VALIDATION);
    CHECK_FIELD("updated_before");
    CHECK_STATUS(trailstore_cases_search(store, 1, "", "{\"created_after\": \"soon\"}", &out),
                 TRAILSTORE_STATUS_VALIDATION);
    CHECK_FIELD("created_after");
    CHECK(out == UNTOUCHED);

    /* Local ids start above: a snapshot may not use them (case 5 made 2^31 - 1). */
    const char *five = strstr(EDGE_SNAPSHOT, "{\"id\": 5,");
    CHECK(five != NULL);
    size_t head = (size_t)(five - EDGE_SNAPSHOT);
    char *fixed = (char *)malloc(sizeof EDGE_SNAPSHOT + 16);
    CHECK(fixed != NULL);
    memcpy(fixed, EDGE_SNAPSHOT, head);
    strcpy(fixed + head, "{\"id\": 2147483647,");
    strcat(fixed, five + strlen("{\"id\": 5,"));
    out = UNTOUCHED;
    char *dir2;
    trailstore_store *other = open_empty(&dir2);
    CHECK_STATUS(trailstore_store_import_json(other, fixed, &out), TRAILSTORE_STATUS_VALIDATION);
    CHECK_FIELD("id");
    CHECK_CONTAINS(trailstore_last_error_message(), "local id range");
    CHECK(out == UNTOUCHED);
    close_store(other, dir2);
    free(fixed);
    close_store(store, dir);
}

static void a_section_tree_64_deep(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    enum { DEPTH = 64 };
    int64_t ids[DEPTH];
    char body[128], *out = NULL;
    for (int d = 0; d < DEPTH; d++) {
        if (d == 0)
            snprintf(body, sizeof body, "{\"name\": \"Level 0\"}");
        else
            snprintf(body, sizeof body, "{\"name\": \"Level %d\", \"parent_id\": %lld}", d,
                     (long long)ids[d - 1]);
        CHECK_OK(trailstore_store_call(store, "add_section/1", body, &out));
        ids[d] = json_int(out, "id");
        CHECK(json_int(out, "depth") == d);
        trailstore_string_free(out);
    }
    char route[64];
    snprintf(route, sizeof route, "get_section/%lld", (long long)ids[DEPTH - 1]);
    CHECK_OK(trailstore_store_call(store, route, NULL, &out));
    CHECK(json_int(out, "depth") == DEPTH - 1);
    CHECK(json_int(out, "parent_id") == ids[DEPTH - 2]);
    trailstore_string_free(out);

    /* A case at the bottom: found from the top of the tree by search, and in its section. */
    CHECK_OK(trailstore_case_add(store, (uint64_t)ids[DEPTH - 1],
                                 "{\"title\": \"Deepest wallabyword\", \"custom_component\": 1}", &out));
    int64_t case_id = json_int(out, "id");
    trailstore_string_free(out);
    char options[96];
    snprintf(options, sizeof options, "{\"section_id\": %lld, \"count\": true}", (long long)ids[0]);
    CHECK_OK(trailstore_cases_search(store, 1, "", options, &out));
    CHECK(json_int(out, "total") == 1);
    CHECK_CONTAINS(out, "wallabyword");
    trailstore_string_free(out);
    CHECK_OK(trailstore_section_get_cases(store, (uint64_t)ids[DEPTH - 1], &out));
    CHECK(json_array_len(out) == 1);
    trailstore_string_free(out);
    CHECK_OK(trailstore_section_get_cases(store, (uint64_t)ids[0], &out));
    CHECK_STR(out, "[]"); /* its own cases only */
    trailstore_string_free(out);

    /* Moved under another section, the whole chain goes one deeper (64 at the bottom). */
    snprintf(route, sizeof route, "move_section/%lld", (long long)ids[0]);
    CHECK_OK(trailstore_store_call(store, route, "{\"parent_id\": 1}", &out));
    trailstore_string_free(out);
    snprintf(route, sizeof route, "get_section/%lld", (long long)ids[DEPTH - 1]);
    CHECK_OK(trailstore_store_call(store, route, NULL, &out));
    CHECK(json_int(out, "depth") == DEPTH);
    trailstore_string_free(out);
    CHECK_OK(trailstore_cases_search(store, 1, "wallabyword", "{\"section_id\": 1, \"count\": true}",
                                     &out));
    CHECK(json_int(out, "total") == 1);
    trailstore_string_free(out);
    /* A section cannot move into its own subtree. */
    snprintf(route, sizeof route, "move_section/%lld", (long long)ids[0]);
    snprintf(body, sizeof body, "{\"parent_id\": %lld}", (long long)ids[DEPTH - 1]);
    refused(store, route, body, TRAILSTORE_STATUS_VALIDATION, "parent_id");

    /* Deleting the top deletes all 64 and the case. */
    snprintf(route, sizeof route, "delete_section/%lld", (long long)ids[0]);
    CHECK_OK(trailstore_store_call(store, route, NULL, &out));
    CHECK_STR(out, "");
    trailstore_string_free(out);
    snprintf(route, sizeof route, "get_section/%lld", (long long)ids[DEPTH - 1]);
    refused(store, route, NULL, TRAILSTORE_STATUS_NOT_FOUND, "section_id");
    out = UNTOUCHED;
    CHECK_STATUS(trailstore_case_get(store, (uint64_t)case_id, &out), TRAILSTORE_STATUS_NOT_FOUND);
    CHECK_OK(trailstore_cases_search(store, 1, "wallabyword", "{\"count\": true}", &out));
    CHECK(json_int(out, "total") == 0);
    trailstore_string_free(out);
    close_store(store, dir);
}

int main(int argc, char **argv) {
    static const struct test tests[] = {
        TEST(empty_strings),
        TEST(a_ten_megabyte_text_round_trips),
        TEST(four_byte_emoji_round_trip),
        TEST(nul_inside_json_strings),
        TEST(invalid_utf8_in_route_and_body),
        TEST(ids_at_the_edges),
        TEST(ids_and_timestamps_of_a_snapshot_at_the_edges),
        TEST(a_section_tree_64_deep),
    };
    return RUN_TESTS(tests);
}
