/* Pull, push, conflicts and bundles through the C API, against a real `trailstore serve`. */
#include "server.h"

#define LOCAL_ID_MIN ((1LL << 31) - (1LL << 24))

/* Each test: a server, a folder for the local stores, and no ambient credentials. */
struct env {
    struct server server;
    char *config_home;
    char *dir;
};

static void env_start(struct env *e) {
    e->config_home = isolate_credentials();
    server_start(&e->server);
    e->dir = temp_dir();
}

static void env_stop(struct env *e) {
    /* The key went to the server and nowhere else. */
    CHECK(files_containing(e->dir, SERVER_KEY) == 0);
    CHECK(files_containing(e->dir, WRONG_KEY) == 0);
    server_stop(&e->server);
    remove_tree(e->dir);
    remove_tree(e->config_home);
}

static trailstore_store *open_local(struct env *e, const char *name) {
    char *path = join(e->dir, name);
    trailstore_store *store = NULL;
    CHECK_OK(trailstore_store_open(path, &store));
    free(path);
    return store;
}

/* Pulls with the server's credentials; returns the report (to free). */
static char *pull(struct env *e, trailstore_store *store, const char *options) {
    char *report = NULL;
    CHECK_OK(trailstore_store_pull(store, e->server.url, SERVER_USER, SERVER_KEY, options, &report));
    CHECK(strstr(report, SERVER_KEY) == NULL);
    return report;
}

static char *push(struct env *e, trailstore_store *store, const char *options) {
    char *report = NULL;
    CHECK_OK(trailstore_store_push(store, e->server.url, SERVER_USER, SERVER_KEY, options, &report));
    CHECK(strstr(report, SERVER_KEY) == NULL);
    return report;
}

static long pending(trailstore_store *store) {
    char *out = NULL;
    CHECK_OK(trailstore_journal_get_pending(store, 0, &out));
    long n = json_array_len(out);
    trailstore_string_free(out);
    return n;
}

static void update_title(trailstore_store *store, uint64_t case_id, const char *title) {
    char body[256], *out = NULL;
    snprintf(body, sizeof body, "{\"title\": \"%s\"}", title);
    CHECK_OK(trailstore_case_update(store, case_id, body, &out));
    trailstore_string_free(out);
}

static void check_title(trailstore_store *store, uint64_t case_id, const char *title) {
    char *out = NULL;
    CHECK_OK(trailstore_case_get(store, case_id, &out));
    if (!json_str_is(out, "title", title)) {
        fprintf(stderr, "case %llu: %s\n  wanted title %s\n", (unsigned long long)case_id, out,
                title);
        CHECK(0);
    }
    trailstore_string_free(out);
}

static void pull_add_push_and_the_local_id_resolves(void) {
    struct env e;
    env_start(&e);
    trailstore_store *a = open_local(&e, "a");
    char *report = pull(&e, a, NULL);
    CHECK(json_member(report, "first") != NULL && strncmp(json_member(report, "first"), "true", 4) == 0);
    CHECK(json_int(report, "fetched") == 327);
    CHECK(json_int(report, "new") == 327);
    CHECK(json_int(report, "conflicts") == 0);
    CHECK(json_int(report, "requests") > 0);
    trailstore_string_free(report);
    char *out = NULL;
    CHECK_OK(trailstore_store_call(a, "get_cases/1", NULL, &out));
    CHECK(json_int(out, "size") == 198);
    trailstore_string_free(out);
    CHECK(pending(a) == 0); /* pulled data is server state */

    /* Offline work: a new case and an edit. */
    CHECK_OK(trailstore_case_add(a, 5, "{\"title\": \"Pushed from C\", \"custom_component\": 2}", &out));
    int64_t local = json_int(out, "id");
    CHECK(local >= LOCAL_ID_MIN);
    trailstore_string_free(out);
    update_title(a, 1, "Edited from C");
    CHECK(pending(a) == 2);

    /* A dry run lists the requests and sends nothing. */
    report = push(&e, a, "{\"dry_run\": true}");
    CHECK_CONTAINS(report, "\"dry_run\":[\"POST add_case/5 ");
    CHECK_CONTAINS(report, "POST update_case/1 ");
    CHECK(json_int(report, "created") == 0);
    trailstore_string_free(report);
    CHECK(pending(a) == 2);

    report = push(&e, a, NULL);
    CHECK(json_int(report, "created") == 1);
    CHECK(json_int(report, "updated") == 1);
    CHECK(json_int(report, "rejected") == 0);
    CHECK(json_int(report, "conflicts") == 0);
    CHECK(json_int(report, "entries_done") == 2);
    CHECK_CONTAINS(report, "\"dry_run\":[]");
    trailstore_string_free(report);
    CHECK(pending(a) == 0);

    /* The local id is an alias of the server id. */
    CHECK_OK(trailstore_case_get(a, (uint64_t)local, &out));
    int64_t server_id = json_int(out, "id");
    CHECK(server_id > 0 && server_id < LOCAL_ID_MIN);
    CHECK(json_str_is(out, "title", "Pushed from C"));
    trailstore_string_free(out);
    char *by_server_id = NULL;
    CHECK_OK(trailstore_case_get(a, (uint64_t)server_id, &by_server_id));
    CHECK_OK(trailstore_case_get(a, (uint64_t)local, &out));
    CHECK_STR(out, by_server_id);
    trailstore_string_free(out);
    trailstore_string_free(by_server_id);
    CHECK_OK(trailstore_case_get_history(a, (uint64_t)local, &out));
    CHECK(json_array_len(out) >= 1);
    trailstore_string_free(out);

    /* Pushing again sends nothing. */
    report = push(&e, a, "");
    CHECK(json_int(report, "sent") == 0);
    trailstore_string_free(report);

    /* Another store pulls both changes from the server, under the server id. */
    trailstore_store *b = open_local(&e, "b");
    trailstore_string_free(pull(&e, b, NULL));
    check_title(b, (uint64_t)server_id, "Pushed from C");
    check_title(b, 1, "Edited from C");
    /* An incremental pull of the first store finds nothing new. */
    report = pull(&e, a, "{\"scan\": false}");
    CHECK(strncmp(json_member(report, "first"), "false", 5) == 0);
    CHECK(json_int(report, "new") == 0);
    trailstore_string_free(report);
    trailstore_store_free(b);
    trailstore_store_free(a);
    env_stop(&e);
}

static void conflicts_are_listed_and_resolved(void) {
    struct env e;
    env_start(&e);
    trailstore_store *a = open_local(&e, "a");
    trailstore_store *b = open_local(&e, "b");
    trailstore_string_free(pull(&e, a, NULL));
    trailstore_string_free(pull(&e, b, NULL));

    /* The server's side (through b), then a's own edits of the same fields. */
    update_title(b, 2, "Server two");
    update_title(b, 3, "Server three");
    update_title(b, 4, "Server four");
    char *report = push(&e, b, NULL);
    CHECK(json_int(report, "updated") == 3);
    trailstore_string_free(report);
    update_title(a, 2, "Local two");
    update_title(a, 3, "Local three");
    update_title(a, 4, "Local four");

    char *out = NULL;
    CHECK_OK(trailstore_conflicts_list(a, &out));
    CHECK_STR(out, "[]");
    trailstore_string_free(out);
    report = pull(&e, a, NULL);
    CHECK(json_int(report, "conflicts") == 3);
    trailstore_string_free(report);
    /* Pull keeps the local values. */
    check_title(a, 2, "Local two");

    CHECK_OK(trailstore_conflicts_list(a, &out));
    CHECK(json_array_len(out) == 3);
    CHECK_CONTAINS(out, "\"key\":\"case/2/title\"");
    CHECK_CONTAINS(out, "\"local\":\"Local two\"");
    CHECK_CONTAINS(out, "\"server\":\"Server two\"");
    CHECK_CONTAINS(out, "\"source\":\"pull\"");
    trailstore_string_free(out);

    /* Refusals name what is wrong and change nothing. */
    out = UNTOUCHED;
    CHECK_STATUS(trailstore_conflicts_resolve(a, "case/2/title", "neither", NULL, &out),
                 TRAILSTORE_STATUS_VALIDATION);
    CHECK_FIELD("resolution");
    CHECK_STATUS(trailstore_conflicts_resolve(a, "case/999/title", "local", NULL, &out),
                 TRAILSTORE_STATUS_NOT_FOUND);
    CHECK_FIELD("key");
    CHECK_STATUS(trailstore_conflicts_resolve(a, "case/2/title", "value", NULL, &out),
                 TRAILSTORE_STATUS_VALIDATION);
    CHECK_FIELD("value");
    CHECK_STATUS(trailstore_conflicts_resolve(a, "case/2/title", "value", "not json", &out),
                 TRAILSTORE_STATUS_BAD_REQUEST);
    CHECK_CONTAINS(trailstore_last_error_message(), "value_json is not valid JSON");
    CHECK_STATUS(trailstore_conflicts_resolve(a, "case/2/title", "value", "\"\"", &out),
                 TRAILSTORE_STATUS_VALIDATION);
    CHECK_FIELD("title");
    CHECK(out == UNTOUCHED);

    /* One of each: a new value, the server's, ours. */
    CHECK_OK(trailstore_conflicts_resolve(a, "case/2/title", "value", "\"Agreed two\"", &out));
    CHECK_CONTAINS(out, "\"resolved\":\"case/2/title\"");
    CHECK(json_int(out, "entries_reopened") >= 0);
    trailstore_string_free(out);
    CHECK_OK(trailstore_conflicts_resolve(a, "case/3/title", "server", NULL, &out));
    trailstore_string_free(out);
    CHECK_OK(trailstore_conflicts_resolve(a, "case/4/title", "local", NULL, &out));
    trailstore_string_free(out);
    CHECK_OK(trailstore_conflicts_list(a, &out));
    CHECK_STR(out, "[]");
    trailstore_string_free(out);
    check_title(a, 2, "Agreed two");
    check_title(a, 3, "Server three");
    check_title(a, 4, "Local four");

    report = push(&e, a, NULL);
    CHECK(json_int(report, "conflicts") == 0);
    CHECK(json_int(report, "rejected") == 0);
    trailstore_string_free(report);
    CHECK(pending(a) == 0);
    trailstore_string_free(pull(&e, b, NULL));
    check_title(b, 2, "Agreed two");
    check_title(b, 3, "Server three");
    check_title(b, 4, "Local four");
    trailstore_store_free(b);
    trailstore_store_free(a);
    env_stop(&e);
}

static void a_push_conflict_is_listed_too(void) {
    struct env e;
    env_start(&e);
    trailstore_store *a = open_local(&e, "a");
    trailstore_store *b = open_local(&e, "b");
    trailstore_string_free(pull(&e, a, NULL));
    trailstore_string_free(pull(&e, b, NULL));
    update_title(b, 7, "Server seven");
    trailstore_string_free(push(&e, b, NULL));
    update_title(a, 7, "Local seven");
    /* No pull in between: push finds the server changed the field since. */
    char *report = push(&e, a, NULL);
    CHECK(json_int(report, "conflicts") == 1);
    CHECK(json_int(report, "updated") == 0);
    trailstore_string_free(report);
    char *out = NULL;
    CHECK_OK(trailstore_conflicts_list(a, &out));
    CHECK(json_array_len(out) == 1);
    CHECK_CONTAINS(out, "\"key\":\"case/7/title\"");
    CHECK_CONTAINS(out, "\"source\":\"push\"");
    trailstore_string_free(out);
    CHECK_OK(trailstore_conflicts_resolve(a, "case/7/title", "local", NULL, &out));
    trailstore_string_free(out);
    report = push(&e, a, NULL);
    CHECK(json_int(report, "updated") == 1);
    trailstore_string_free(report);
    trailstore_string_free(pull(&e, b, NULL));
    check_title(b, 7, "Local seven");
    trailstore_store_free(b);
    trailstore_store_free(a);
    env_stop(&e);
}

/* The last error after a refused login: REMOTE, and no trace of any key. */
static void check_remote_refusal(trailstore_status status, char *out) {
    CHECK(status == TRAILSTORE_STATUS_REMOTE);
    CHECK(trailstore_last_error_code() == TRAILSTORE_STATUS_REMOTE);
    const char *message = trailstore_last_error_message();
    CHECK(strstr(message, WRONG_KEY) == NULL);
    CHECK(strstr(message, SERVER_KEY) == NULL);
    CHECK_CONTAINS(message, "401");
    CHECK(trailstore_last_error_field() == NULL);
    CHECK(out == UNTOUCHED);
}

static void a_wrong_key_is_remote_and_never_shown(void) {
    struct env e;
    env_start(&e);
    trailstore_store *a = open_local(&e, "a");
    char *out = UNTOUCHED;
    check_remote_refusal(
        trailstore_store_pull(a, e.server.url, SERVER_USER, WRONG_KEY, NULL, &out), out);
    check_remote_refusal(
        trailstore_store_pull(a, e.server.url, "nobody@example.com", SERVER_KEY, NULL, &out), out);
    /* A key in the URL is not shown either (the URL's user info is not used for the login). */
    char url[160];
    snprintf(url, sizeof url, "http://" SERVER_USER ":" WRONG_KEY "@%s",
             e.server.url + strlen("http://"));
    check_remote_refusal(trailstore_store_pull(a, url, SERVER_USER, WRONG_KEY, NULL, &out), out);
    /* Nothing was pulled. */
    CHECK_STATUS(trailstore_store_call(a, "get_projects", NULL, &out), TRAILSTORE_STATUS_OK);
    CHECK(json_int(out, "size") == 0);
    trailstore_string_free(out);

    /* Push: the journal stays as it was. */
    trailstore_string_free(pull(&e, a, NULL));
    update_title(a, 1, "Never sent");
    out = UNTOUCHED;
    check_remote_refusal(
        trailstore_store_push(a, e.server.url, SERVER_USER, WRONG_KEY, NULL, &out), out);
    CHECK(pending(a) == 1);
    char *report = push(&e, a, NULL);
    CHECK(json_int(report, "updated") == 1);
    trailstore_string_free(report);
    trailstore_store_free(a);
    env_stop(&e);
}

static void credentials_come_from_the_environment_and_the_config_file(void) {
    struct env e;
    env_start(&e);
    /* Missing credentials name where they come from; nothing is sent. */
    trailstore_store *a = open_local(&e, "a");
    char *out = UNTOUCHED;
    CHECK_STATUS(trailstore_store_pull(a, NULL, NULL, NULL, NULL, &out),
                 TRAILSTORE_STATUS_BAD_REQUEST);
    CHECK_CONTAINS(trailstore_last_error_message(), "TESTRAIL_URL");
    CHECK_STATUS(trailstore_store_pull(a, e.server.url, NULL, SERVER_KEY, NULL, &out),
                 TRAILSTORE_STATUS_BAD_REQUEST);
    CHECK_CONTAINS(trailstore_last_error_message(), "TESTRAIL_USER");
    CHECK_STATUS(trailstore_store_push(a, e.server.url, SERVER_USER, NULL, NULL, &out),
                 TRAILSTORE_STATUS_BAD_REQUEST);
    CHECK_CONTAINS(trailstore_last_error_message(), "TESTRAIL_KEY");
    CHECK_STATUS(trailstore_store_pull(a, "ftp://" SERVER_USER ":" WRONG_KEY "@host/", SERVER_USER,
                                       WRONG_KEY, NULL, &out),
                 TRAILSTORE_STATUS_BAD_REQUEST);
    CHECK_CONTAINS(trailstore_last_error_message(), "http://");
    CHECK(strstr(trailstore_last_error_message(), WRONG_KEY) == NULL);
    CHECK(out == UNTOUCHED);

    /* Options are checked by name and type. */
    CHECK_STATUS(trailstore_store_pull(a, e.server.url, SERVER_USER, SERVER_KEY, "{\"bogus\": 1}",
                                       &out),
                 TRAILSTORE_STATUS_VALIDATION);
    CHECK_FIELD("bogus");
    CHECK_CONTAINS(trailstore_last_error_message(), "projects, scan, results, attachments, config");
    CHECK_STATUS(trailstore_store_pull(a, e.server.url, SERVER_USER, SERVER_KEY,
                                       "{\"scan\": \"no\"}", &out),
                 TRAILSTORE_STATUS_VALIDATION);
    CHECK_FIELD("scan");
    CHECK_STATUS(trailstore_store_pull(a, e.server.url, SERVER_USER, SERVER_KEY,
                                       "{\"projects\": [0]}", &out),
                 TRAILSTORE_STATUS_VALIDATION);
    CHECK_FIELD("projects");
    CHECK_STATUS(trailstore_store_push(a, e.server.url, SERVER_USER, SERVER_KEY,
                                       "{\"dry_run\": 1}", &out),
                 TRAILSTORE_STATUS_VALIDATION);
    CHECK_FIELD("dry_run");
    CHECK_STATUS(trailstore_store_push(a, e.server.url, SERVER_USER, SERVER_KEY, "{\"scan\": true}",
                                       &out),
                 TRAILSTORE_STATUS_VALIDATION);
    CHECK_FIELD("scan");
    CHECK_STATUS(trailstore_store_push(a, e.server.url, SERVER_USER, SERVER_KEY, "[]", &out),
                 TRAILSTORE_STATUS_BAD_REQUEST);
    CHECK(out == UNTOUCHED);

    /* TESTRAIL_URL / TESTRAIL_USER / TESTRAIL_KEY, as TestRail's own tools read them. (setenv
     * while the store's threads run only because nothing else reads the environment now.) */
    CHECK(setenv("TESTRAIL_URL", e.server.url, 1) == 0);
    CHECK(setenv("TESTRAIL_USER", SERVER_USER, 1) == 0);
    CHECK(setenv("TESTRAIL_KEY", SERVER_KEY, 1) == 0);
    char *report = NULL;
    CHECK_OK(trailstore_store_pull(a, NULL, NULL, NULL, "{\"projects\": [1]}", &report));
    CHECK(json_int(report, "fetched") == 198);
    trailstore_string_free(report);
    /* An argument wins over the environment. */
    out = UNTOUCHED;
    CHECK_STATUS(trailstore_store_pull(a, NULL, NULL, WRONG_KEY, NULL, &out),
                 TRAILSTORE_STATUS_REMOTE);
    CHECK(strstr(trailstore_last_error_message(), WRONG_KEY) == NULL);
    update_title(a, 1, "Via the environment");
    CHECK_OK(trailstore_store_push(a, NULL, NULL, NULL, NULL, &report));
    CHECK(json_int(report, "updated") == 1);
    trailstore_string_free(report);
    unsetenv("TESTRAIL_URL");
    unsetenv("TESTRAIL_USER");
    unsetenv("TESTRAIL_KEY");

    /* A config file, used only when no one else can read it. */
    char *config = join(e.config_home, "config.json");
    FILE *f = fopen(config, "w");
    CHECK(f != NULL);
    fprintf(f, "{\"url\": \"%s\", \"user\": \"%s\", \"key\": \"%s\"}", e.server.url, SERVER_USER,
            SERVER_KEY);
    fclose(f);
    char options[512];
    snprintf(options, sizeof options, "{\"config\": \"%s\"}", config);
    CHECK(chmod(config, 0644) == 0);
    CHECK_STATUS(trailstore_store_pull(a, NULL, NULL, NULL, options, &out),
                 TRAILSTORE_STATUS_FORBIDDEN);
    CHECK_CONTAINS(trailstore_last_error_message(), "chmod 600");
    CHECK(strstr(trailstore_last_error_message(), SERVER_KEY) == NULL);
    CHECK(chmod(config, 0600) == 0);
    CHECK_OK(trailstore_store_pull(a, NULL, NULL, NULL, options, &report));
    trailstore_string_free(report);
    /* The default place: $XDG_CONFIG_HOME/trailstore/config.json. */
    char *folder = join(e.config_home, "trailstore");
    CHECK(mkdir(folder, 0700) == 0);
    char *default_config = join(folder, "config.json");
    CHECK(rename(config, default_config) == 0);
    CHECK_OK(trailstore_store_push(a, NULL, NULL, NULL, "{\"dry_run\": true}", &report));
    CHECK_CONTAINS(report, "\"dry_run\":[]");
    trailstore_string_free(report);
    CHECK(remove(default_config) == 0);
    free(default_config);
    free(folder);
    free(config);
    trailstore_store_free(a);
    env_stop(&e);
}

/* A server that echoes what it was sent cannot put the key in a message: here the URL carries
 * the key where the server reads the method's name, and the server's 404 names that "method".
 * The core scrubs every pull and push error of the key (the C binding has no scrubbing of its
 * own), so the key shows as <hidden>. */
static void a_key_the_server_echoes_is_hidden(void) {
    struct env e;
    env_start(&e);
    trailstore_store *a = open_local(&e, "a");
    char *out = NULL;
    /* A pending change, so that push sends a request too. */
    CHECK_OK(trailstore_store_call(a, "add_project", "{\"name\": \"Pending locally\"}", &out));
    trailstore_string_free(out);
    char url[192];
    snprintf(url, sizeof url, "%sindex.php?/api/v2/" SERVER_KEY "&echo=", e.server.url);
    out = UNTOUCHED;
    CHECK_STATUS(trailstore_store_pull(a, url, SERVER_USER, SERVER_KEY, NULL, &out),
                 TRAILSTORE_STATUS_REMOTE);
    CHECK_CONTAINS(trailstore_last_error_message(), "404");
    CHECK_CONTAINS(trailstore_last_error_message(), "Unknown method '<hidden>'");
    CHECK(strstr(trailstore_last_error_message(), SERVER_KEY) == NULL);
    CHECK_STATUS(trailstore_store_push(a, url, SERVER_USER, SERVER_KEY, NULL, &out),
                 TRAILSTORE_STATUS_REMOTE);
    CHECK_CONTAINS(trailstore_last_error_message(), "Unknown method '<hidden>'");
    CHECK(strstr(trailstore_last_error_message(), SERVER_KEY) == NULL);
    CHECK(out == UNTOUCHED);
    trailstore_store_free(a);
    env_stop(&e);
}

/* Pull and push write when they end, which a batch open on the same thread would block for
 * ever: the core refuses them first, before a request is sent (the URL reaches no server). */
static void sync_is_refused_inside_a_batch(void) {
    char *dir;
    trailstore_store *store = open_empty(&dir);
    trailstore_batch *batch = NULL;
    CHECK_OK(trailstore_batch_begin(store, &batch));
    char *out = UNTOUCHED;
    CHECK_STATUS(trailstore_store_pull(store, "http://127.0.0.1:9/", SERVER_USER, SERVER_KEY, NULL,
                                       &out),
                 TRAILSTORE_STATUS_BUSY);
    CHECK_CONTAINS(trailstore_last_error_message(), "before pull");
    CHECK_STATUS(trailstore_store_push(store, "http://127.0.0.1:9/", SERVER_USER, SERVER_KEY, NULL,
                                       &out),
                 TRAILSTORE_STATUS_BUSY);
    CHECK_CONTAINS(trailstore_last_error_message(), "before push");
    CHECK(out == UNTOUCHED);
    CHECK_OK(trailstore_batch_rollback(batch));
    trailstore_batch_free(batch);
    close_store(store, dir);
}

static void the_air_gap_end_to_end(void) {
    struct env e;
    env_start(&e);
    trailstore_store *connected = open_local(&e, "connected");
    trailstore_string_free(pull(&e, connected, NULL));

    /* 1. The server's state, in a snapshot bundle. */
    char *snapshot = join(e.dir, "data.tsb");
    uint64_t count = 0;
    CHECK_OK(trailstore_bundle_export(connected, snapshot, true, &count));
    CHECK(count == 327);
    /* 2. In the lab. */
    trailstore_store *lab = open_local(&e, "lab");
    char *report = NULL;
    CHECK_OK(trailstore_bundle_import(lab, snapshot, &report));
    CHECK_CONTAINS(report, "\"kind\":\"snapshot\"");
    CHECK_CONTAINS(report, "\"imported\":true");
    CHECK(json_int(report, "entries") == 327);
    trailstore_string_free(report);
    /* 3. Offline work. */
    char *out = NULL;
    CHECK_OK(trailstore_case_add(lab, 5, "{\"title\": \"Airgapped case\", \"custom_component\": 2}",
                                 &out));
    trailstore_string_free(out);
    update_title(lab, 9, "Airgapped edit");
    /* 4. The changes, in a changes bundle. */
    char *changes = join(e.dir, "changes.tsb");
    CHECK_OK(trailstore_bundle_export(lab, changes, false, &count));
    CHECK(count == 2);
    /* 5. Back on the connected machine, twice (the second import does nothing). */
    CHECK_OK(trailstore_bundle_import(connected, changes, &report));
    CHECK_CONTAINS(report, "\"kind\":\"changes\"");
    CHECK(json_int(report, "entries") == 2);
    trailstore_string_free(report);
    CHECK_OK(trailstore_bundle_import(connected, changes, &report));
    CHECK_CONTAINS(report, "\"imported\":false");
    trailstore_string_free(report);
    CHECK(pending(connected) == 2);
    /* 6. Pushed, exactly once. */
    report = push(&e, connected, NULL);
    CHECK(json_int(report, "created") == 1);
    CHECK(json_int(report, "updated") == 1);
    trailstore_string_free(report);
    trailstore_store *check = open_local(&e, "check");
    trailstore_string_free(pull(&e, check, NULL));
    CHECK_OK(trailstore_cases_search(check, 1, "airgapped", "{\"count\": true}", &out));
    CHECK(json_int(out, "total") == 2);
    trailstore_string_free(out);
    check_title(check, 9, "Airgapped edit");
    trailstore_store_free(check);
    trailstore_store_free(lab);
    trailstore_store_free(connected);
    free(snapshot);
    free(changes);
    env_stop(&e);
}

int main(int argc, char **argv) {
    static const struct test tests[] = {
        TEST(pull_add_push_and_the_local_id_resolves),
        TEST(conflicts_are_listed_and_resolved),
        TEST(a_push_conflict_is_listed_too),
        TEST(a_wrong_key_is_remote_and_never_shown),
        TEST(credentials_come_from_the_environment_and_the_config_file),
        TEST(a_key_the_server_echoes_is_hidden),
        TEST(sync_is_refused_inside_a_batch),
        TEST(the_air_gap_end_to_end),
    };
    return RUN_TESTS(tests);
}
