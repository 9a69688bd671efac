/* Fuzz target for the C entry points: arbitrary bytes as routes, JSON bodies, search queries
 * and options, conflict keys, with NULLs where pointers may be NULL. Every call must return a
 * status; nothing may crash, leak or touch memory it should not (run under ASan/UBSan).
 *
 * Input: one byte choosing the call, then argument A, a 0xFF byte, argument B. Bytes are passed
 * as they are (invalid UTF-8 included); a NUL ends a C string early, as it would in C.
 *
 *   libFuzzer:  clang -fsanitize=fuzzer,address -Iinclude tests/c/fuzz_c_api.c \
 *                   -Ltarget/debug -ltrailstore -o fuzz_c_api && ./fuzz_c_api fuzz/corpus/c_api
 *   replay:     built by tests/c/run.sh with -DTRAILSTORE_FUZZ_REPLAY (a main() that runs the
 *               corpus and mutations of it: every prefix, byte flips, splices).
 */
#define _DEFAULT_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trailstore.h"

#ifndef SAMPLE_SNAPSHOT
#define SAMPLE_SNAPSHOT "tests/data/sample_snapshot.json"
#endif

static trailstore_store *store;

static void setup(void) {
    if (store) return;
    char dir[] = "/tmp/trailstore-fuzz-c-XXXXXX";
    if (!mkdtemp(dir) || trailstore_store_open(dir, &store) != TRAILSTORE_STATUS_OK) {
        fprintf(stderr, "fuzz: cannot open a store: %s\n", trailstore_last_error_message());
        abort();
    }
    char *report = NULL;
    if (trailstore_store_import_file(store, SAMPLE_SNAPSHOT, &report) == TRAILSTORE_STATUS_OK) {
        trailstore_string_free(report);
    }
}

static char *cstr(const uint8_t *p, size_t n) {
    char *s = malloc(n + 1);
    if (!s) abort();
    if (n) memcpy(s, p, n);
    s[n] = 0;
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    setup();
    if (size == 0) return 0;
    uint8_t op = data[0];
    data++;
    size--;
    size_t split = 0;
    while (split < size && data[split] != 0xFF) split++;
    char *a = cstr(data, split);
    char *b = split < size ? cstr(data + split + 1, size - split - 1) : cstr(data, 0);
    const char *b_or_null = b[0] ? b : NULL;
    char *out = NULL;
    trailstore_batch *batch = NULL;
    switch (op % 9) {
    case 0: /* any route in a batch that is rolled back */
        if (trailstore_batch_begin(store, &batch) == TRAILSTORE_STATUS_OK) {
            (void)trailstore_batch_call(batch, a, b_or_null, &out);
            (void)trailstore_batch_rollback(batch);
            trailstore_batch_free(batch);
        }
        break;
    case 1: /* reads through the dispatcher */
        if (strncmp(a, "get_", 4) == 0 || strncmp(a, "x_get", 5) == 0) {
            (void)trailstore_store_call(store, a, b_or_null, &out);
        }
        break;
    case 2:
        (void)trailstore_cases_search(store, 1 + op % 3, a, b_or_null, &out);
        break;
    case 3:
        (void)trailstore_case_add(store, 17, a, &out);
        break;
    case 4:
        (void)trailstore_case_update(store, 1 + (uint64_t)(size % 300), a, &out);
        break;
    case 5:
        (void)trailstore_store_import_json(store, a, &out);
        break;
    case 6: /* NULLs where they are refused */
        (void)trailstore_store_call(store, NULL, a, &out);
        (void)trailstore_store_call(NULL, a, b_or_null, &out);
        (void)trailstore_store_call(store, a, b_or_null, NULL);
        (void)trailstore_cases_search(store, 1, NULL, a, &out);
        break;
    case 7:
        (void)trailstore_conflicts_resolve(store, a, b, b_or_null, &out);
        break;
    default:
        (void)trailstore_store_call(store, "get_case/1", a, &out);
        (void)trailstore_status_name((trailstore_status)(uint8_t)a[0]);
        break;
    }
    trailstore_string_free(out);
    free(a);
    free(b);
    return 0;
}

#ifdef TRAILSTORE_FUZZ_REPLAY
#include <dirent.h>

static void run(const uint8_t *p, size_t n) { (void)LLVMFuzzerTestOneInput(p, n); }

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    DIR *d = opendir(argv[1]);
    if (!d) return 2;
    struct dirent *e;
    size_t inputs = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", argv[1], e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        uint8_t buf[65536];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        run(buf, n);
        inputs++;
        for (size_t cut = 0; cut < n; cut++, inputs++) run(buf, cut);
        for (size_t at = 0; at < n; at += 1 + n / 48) {
            const uint8_t flips[] = {0x01, 0x80, 0xff};
            for (size_t k = 0; k < 3; k++, inputs++) {
                uint8_t m[65536];
                memcpy(m, buf, n);
                m[at] ^= flips[k];
                run(m, n);
            }
        }
        for (uint8_t op = 0; op < 9; op++, inputs++) { /* the same arguments for every call */
            uint8_t m[65536];
            memcpy(m, buf, n);
            if (n) m[0] = op;
            run(m, n);
        }
    }
    closedir(d);
    trailstore_store_free(store);
    printf("replayed %zu inputs\n", inputs);
    return 0;
}
#endif
