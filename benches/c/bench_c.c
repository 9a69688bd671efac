/*
 * W2 (point read by id) from C: trailstore's C ABI against SQLite's C API on the benchmark's data
 * Built and run by benches/c/run.sh; see docs/benchmarks.md.
 *
 *   bench_c STORE_DIR SQLITE_DB CASES [N] [REPS] [SEED]
 *
 * The ids are the Rust W2's (Rng::keyed(seed, 2) of benches/src/gen.rs, SplitMix64). Each
 * repetition runs every side over the same N ids, rotating which side goes first; the table
 * shows the medians in µs per call:
 *
 * - trailstore_store_call(h, "get_case/ID", NULL, &out) + trailstore_string_free(out): the
 *   route formatted with snprintf each call, as a caller would;
 * - trailstore_case_get(h, id, &out) + trailstore_string_free(out): the typed helper;
 * - SQLite: a prepared `SELECT data FROM cases WHERE id = ?1`, bind, step, and the stored JSON
 *   text copied out into a malloc'd string the caller frees (what trailstore hands out), then
 *   reset. SQLite keeps the JSON as text and returns it as it is; trailstore encodes its record
 *   as JSON on every call. Neither side parses JSON here (C has no standard parser).
 *
 * Built without SQLite (no -DHAVE_SQLITE: the amalgamation was not found), the SQLite side is
 * skipped with a message. Nothing asserts a time.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <trailstore.h>

#ifdef HAVE_SQLITE
#include "sqlite3.h"
#endif

/* ---- the Rust suite's random stream ---------------------------------------------------------- */

typedef struct {
    uint64_t state;
} rng;

static uint64_t rng_next(rng *r) {
    r->state += 0x9E3779B97F4A7C15ULL;
    uint64_t z = r->state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static rng rng_keyed(uint64_t seed, uint64_t key) {
    rng r = {seed ^ (key * 0xD6E8FEB86659FD93ULL)};
    rng_next(&r);
    return r;
}

static uint64_t rng_below(rng *r, uint64_t n) {
    return (uint64_t)(((unsigned __int128)rng_next(r) * n) >> 64);
}

/* ---- timing ---------------------------------------------------------------------------------- */

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die_ts(const char *what) {
    fprintf(stderr, "bench_c: %s: %s (%s)\n", what, trailstore_last_error_message(),
            trailstore_status_name(trailstore_last_error_code()));
    exit(1);
}

/* ---- the sides ------------------------------------------------------------------------------- */

typedef struct {
    const trailstore_store *store;
    const uint64_t *ids;
    int n;
    size_t bytes; /* JSON bytes handed out, summed (keeps the work observable) */
#ifdef HAVE_SQLITE
    sqlite3_stmt *stmt;
#endif
} ctx;

static double side_call(ctx *c) {
    char route[64];
    double t = now_s();
    for (int i = 0; i < c->n; i++) {
        char *out = NULL;
        snprintf(route, sizeof route, "get_case/%" PRIu64, c->ids[i]);
        if (trailstore_store_call(c->store, route, NULL, &out) != TRAILSTORE_STATUS_OK)
            die_ts(route);
        c->bytes += strlen(out);
        trailstore_string_free(out);
    }
    return (now_s() - t) * 1e6 / c->n;
}

static double side_get(ctx *c) {
    double t = now_s();
    for (int i = 0; i < c->n; i++) {
        char *out = NULL;
        if (trailstore_case_get(c->store, c->ids[i], &out) != TRAILSTORE_STATUS_OK)
            die_ts("trailstore_case_get");
        c->bytes += strlen(out);
        trailstore_string_free(out);
    }
    return (now_s() - t) * 1e6 / c->n;
}

#ifdef HAVE_SQLITE
static double side_sqlite(ctx *c) {
    double t = now_s();
    for (int i = 0; i < c->n; i++) {
        sqlite3_bind_int64(c->stmt, 1, (sqlite3_int64)c->ids[i]);
        if (sqlite3_step(c->stmt) != SQLITE_ROW) {
            fprintf(stderr, "bench_c: case %" PRIu64 " not in SQLite\n", c->ids[i]);
            exit(1);
        }
        const unsigned char *text = sqlite3_column_text(c->stmt, 0);
        int len = sqlite3_column_bytes(c->stmt, 0);
        char *out = malloc((size_t)len + 1);
        memcpy(out, text, (size_t)len + 1);
        c->bytes += strlen(out);
        free(out);
        sqlite3_reset(c->stmt);
    }
    return (now_s() - t) * 1e6 / c->n;
}
#endif

typedef double (*side_fn)(ctx *);

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s STORE_DIR SQLITE_DB CASES [N] [REPS] [SEED]\n", argv[0]);
        return 2;
    }
    const char *store_dir = argv[1], *db_path = argv[2];
    uint64_t cases = strtoull(argv[3], NULL, 10);
    int n = argc > 4 ? atoi(argv[4]) : 20000;
    int reps = argc > 5 ? atoi(argv[5]) : 5;
    uint64_t seed = argc > 6 ? strtoull(argv[6], NULL, 10) : 42;
    if (cases == 0 || n <= 0 || reps <= 0) {
        fprintf(stderr, "bench_c: CASES, N and REPS must be positive\n");
        return 2;
    }

    uint64_t *ids = malloc(sizeof *ids * (size_t)n);
    rng r = rng_keyed(seed, 2);
    for (int i = 0; i < n; i++) ids[i] = 1 + rng_below(&r, cases);

    trailstore_store *store = NULL;
    if (trailstore_store_open(store_dir, &store) != TRAILSTORE_STATUS_OK) die_ts(store_dir);
    ctx c = {.store = store, .ids = ids, .n = n, .bytes = 0};

    const char *names[3] = {"trailstore_store_call(\"get_case/ID\") + string_free",
                            "trailstore_case_get(id) + string_free",
                            "SQLite: SELECT data (prepared) + copy out + free"};
    side_fn sides[3] = {side_call, side_get, NULL};
    int nsides = 2;
    const char *sqlite_version = NULL;
#ifdef HAVE_SQLITE
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        fprintf(stderr, "bench_c: %s: %s\n", db_path, sqlite3_errmsg(db));
        return 1;
    }
    /* The Rust side's settings (benches/src/sqlite.rs): WAL, a 256 MiB page cache. */
    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA cache_size=-262144;", NULL, NULL, NULL);
    if (sqlite3_prepare_v2(db, "SELECT data FROM cases WHERE id = ?1", -1, &c.stmt, NULL) !=
        SQLITE_OK) {
        fprintf(stderr, "bench_c: prepare: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    sides[2] = side_sqlite;
    nsides = 3;
    sqlite_version = sqlite3_libversion();
#else
    (void)db_path;
    fprintf(stderr, "bench_c: SQLite side skipped: built without the SQLite amalgamation "
                    "(sqlite3.c of libsqlite3-sys not found; see benches/c/run.sh)\n");
#endif

    /* One untimed pass per side: both read the same pages into memory first. */
    ctx warm = c;
    warm.n = n < 1000 ? n : 1000;
    for (int s = 0; s < nsides; s++) sides[s](&warm);

    double *res[3];
    size_t bytes[3] = {0, 0, 0};
    for (int s = 0; s < nsides; s++) res[s] = malloc(sizeof(double) * (size_t)reps);
    for (int rep = 0; rep < reps; rep++) {
        for (int k = 0; k < nsides; k++) {
            int s = (k + rep) % nsides;
            c.bytes = 0;
            res[s][rep] = sides[s](&c);
            bytes[s] = c.bytes;
        }
    }

    printf("W2 from C: trailstore %s (libtrailstore, release) vs SQLite %s (C API), %" PRIu64
           " cases, %d random ids, %d repetition(s)\n\n",
           trailstore_version(), sqlite_version ? sqlite_version : "(skipped)", cases, n, reps);
    double sql = nsides == 3 ? median(res[2], reps) : 0;
    printf("| W | what | unit | value | SQLite | ts/SQLite | trailstore is |\n");
    printf("|---|---|---|---:|---:|---:|---|\n");
    for (int s = 0; s < nsides; s++) {
        double m = median(res[s], reps);
        if (s < 2 && sql > 0) {
            double f = sql / m;
            printf("| W2 | %s (%.0f bytes of JSON a case) | µs | %.2f | %.2f | %.2f | %.1fx %s |\n",
                   names[s], (double)bytes[s] / n, m, sql, m / sql, f >= 1 ? f : 1 / f,
                   f >= 1 ? "faster" : "slower");
        } else {
            printf("| W2 | %s (%.0f bytes of JSON a case) | µs | %.2f | | | |\n", names[s],
                   (double)bytes[s] / n, m);
        }
    }
    printf("\n{\"w\": \"W2-C\", \"call_us\": %.3f, \"case_get_us\": %.3f, \"sqlite_us\": %.3f}\n",
           median(res[0], reps), median(res[1], reps), sql);

#ifdef HAVE_SQLITE
    sqlite3_finalize(c.stmt);
    sqlite3_close(db);
#endif
    trailstore_store_free(store);
    for (int s = 0; s < nsides; s++) free(res[s]);
    free(ids);
    return 0;
}
