/* Must FAIL under AddressSanitizer: it leaks a string the library returned. run.sh checks that it
 * does, so a leak check that silently stopped working cannot pass the other tests. */
#include <stdio.h>
#include <stdlib.h>

#include "trailstore.h"

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    trailstore_store *store = NULL;
    if (trailstore_store_open(argv[1], &store) != TRAILSTORE_STATUS_OK) return 3;
    char *out = NULL;
    if (trailstore_store_call(store, "get_projects", NULL, &out) != TRAILSTORE_STATUS_OK) return 4;
    out = NULL; /* the leak: never passed to trailstore_string_free */
    trailstore_store_free(store);
    return 0;
}
