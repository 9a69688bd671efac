/*
 * trailstore from C: open a store, import a TestRail snapshot, list a section's cases, add a
 * case, and show how a refused case reads.
 *
 *   cc example.c $(pkg-config --cflags --libs trailstore) -o example
 *   ./example ./my-store path/to/sample_snapshot.json
 *
 * Every function returns a trailstore_status (TRAILSTORE_STATUS_OK on success); on a failure,
 * trailstore_last_error_message() says why. Strings the library hands out are JSON text, freed
 * with trailstore_string_free().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <trailstore.h>

/* Prints the last error of this thread and returns 1, for `return fail("...")`. */
static int fail(const char *what) {
    const char *field = trailstore_last_error_field();
    fprintf(stderr, "%s failed: %s: %s%s%s\n", what,
            trailstore_status_name(trailstore_last_error_code()), trailstore_last_error_message(),
            field ? " field: " : "", field ? field : "");
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s STORE_DIR SNAPSHOT.json\n", argv[0]);
        return 2;
    }
    printf("trailstore %s\n", trailstore_version());

    trailstore_store *store = NULL;
    if (trailstore_store_open(argv[1], &store) != TRAILSTORE_STATUS_OK) return fail("open");

    char *report = NULL;
    if (trailstore_store_import_file(store, argv[2], &report) != TRAILSTORE_STATUS_OK) {
        trailstore_store_free(store);
        return fail("import");
    }
    printf("imported: %s\n", report);
    trailstore_string_free(report);

    /* Every case of section 11 ("Login"), all pages, as a JSON array. */
    char *cases = NULL;
    if (trailstore_section_get_cases(store, 11, &cases) != TRAILSTORE_STATUS_OK) {
        trailstore_store_free(store);
        return fail("list");
    }
    printf("section 11: %.160s...\n", cases);
    trailstore_string_free(cases);

    /* Add a case: the body is TestRail's add_case body. */
    char *added = NULL;
    const char *body = "{\"title\": \"Sign in with a passkey\", \"custom_component\": 1,"
                       " \"priority_id\": 3, \"refs\": \"AUTH-42\"}";
    if (trailstore_case_add(store, 11, body, &added) != TRAILSTORE_STATUS_OK) {
        trailstore_store_free(store);
        return fail("add");
    }
    printf("added: %.120s...\n", added);
    trailstore_string_free(added);

    /* A case without a title is refused the way TestRail refuses it; nothing is written and
     * nothing is returned (the out-param is left alone). */
    char *refused = NULL;
    trailstore_status status = trailstore_case_add(store, 11, "{\"custom_component\": 1}", &refused);
    if (status == TRAILSTORE_STATUS_VALIDATION) {
        printf("refused (%s): %s [field %s]\n", trailstore_status_name(status),
               trailstore_last_error_message(), trailstore_last_error_field());
    }

    /* Any other TestRail route goes through the dispatcher. */
    char *page = NULL;
    if (trailstore_store_call(store, "get_cases/1&section_id=11&limit=1", NULL, &page) ==
        TRAILSTORE_STATUS_OK) {
        printf("one page: %.80s...\n", page);
        trailstore_string_free(page);
    }

    trailstore_store_free(store);
    return status == TRAILSTORE_STATUS_VALIDATION ? 0 : 1;
}
