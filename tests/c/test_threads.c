/* One handle, many threads at once: reads, writes, batches, searches, and a last error per
 * thread. */
#include "harness.h"

#include <pthread.h>

enum { THREADS = 8, CASES_PER_THREAD = 15 };

struct worker {
    trailstore_store *store;
    int index;
    int failures;
    int64_t ids[CASES_PER_THREAD];
};

static void *add_and_read(void *arg) {
    struct worker *w = (struct worker *)arg;
    for (int i = 0; i < CASES_PER_THREAD; i++) {
        char title[64], body[128];
        snprintf(title, sizeof title, "Thread %d case %d", w->index, i);
        snprintf(body, sizeof body, "{\"title\": \"%s\", \"custom_component\": 1}", title);
        char *out = NULL;
        if (trailstore_case_add(w->store, 9, body, &out) != TRAILSTORE_STATUS_OK) {
            w->failures++;
            continue;
        }
        w->ids[i] = json_int(out, "id");
        trailstore_string_free(out);

        /* Read it back, and read things other threads are changing. */
        if (trailstore_case_get(w->store, (uint64_t)w->ids[i], &out) != TRAILSTORE_STATUS_OK ||
            strstr(out, title) == NULL) {
            w->failures++;
        }
        trailstore_string_free(out);
        if (trailstore_section_get_cases(w->store, 9, &out) != TRAILSTORE_STATUS_OK ||
            json_array_len(out) < i + 1) {
            w->failures++;
        }
        trailstore_string_free(out);
        if (trailstore_store_call(w->store, "get_cases/2&suite_id=4&limit=5", NULL, &out) !=
            TRAILSTORE_STATUS_OK) {
            w->failures++;
        }
        trailstore_string_free(out);
        /* A refusal on this thread is this thread's last error only. */
        if (trailstore_case_get(w->store, 999999, &out) != TRAILSTORE_STATUS_NOT_FOUND ||
            strcmp(trailstore_last_error_field(), "case_id") != 0) {
            w->failures++;
        }
    }
    return NULL;
}

static void one_handle_serves_many_threads(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    pthread_t threads[THREADS];
    struct worker workers[THREADS];
    memset(workers, 0, sizeof workers);
    for (int t = 0; t < THREADS; t++) {
        workers[t].store = store;
        workers[t].index = t;
        CHECK(pthread_create(&threads[t], NULL, add_and_read, &workers[t]) == 0);
    }
    for (int t = 0; t < THREADS; t++) CHECK(pthread_join(threads[t], NULL) == 0);
    for (int t = 0; t < THREADS; t++) CHECK(workers[t].failures == 0);

    /* Every add went in once, with its own id. */
    char *out = NULL;
    CHECK_OK(trailstore_section_get_cases(store, 9, &out));
    CHECK(json_array_len(out) == THREADS * CASES_PER_THREAD);
    trailstore_string_free(out);
    for (int a = 0; a < THREADS * CASES_PER_THREAD; a++)
        for (int b = a + 1; b < THREADS * CASES_PER_THREAD; b++)
            CHECK(workers[a / CASES_PER_THREAD].ids[a % CASES_PER_THREAD] !=
                  workers[b / CASES_PER_THREAD].ids[b % CASES_PER_THREAD]);
    CHECK_OK(trailstore_journal_get_pending(store, 0, &out));
    CHECK(json_array_len(out) == THREADS * CASES_PER_THREAD);
    trailstore_string_free(out);
    close_store(store, dir);
}

struct batcher {
    trailstore_store *store;
    int index;
    int failures;
};

static void *batch_of_five(void *arg) {
    struct batcher *b = (struct batcher *)arg;
    for (int round = 0; round < 3; round++) {
        trailstore_batch *batch = NULL;
        if (trailstore_batch_begin(b->store, &batch) != TRAILSTORE_STATUS_OK) {
            b->failures++;
            continue;
        }
        for (int i = 0; i < 5; i++) {
            char body[128];
            snprintf(body, sizeof body,
                     "{\"title\": \"Batch %d.%d.%d\", \"custom_component\": 2}", b->index, round,
                     i);
            char *out = NULL;
            if (trailstore_batch_call(batch, "add_case/9", body, &out) != TRAILSTORE_STATUS_OK)
                b->failures++;
            trailstore_string_free(out);
        }
        /* Odd rounds roll back: only even rounds count. */
        trailstore_status s =
            round % 2 ? trailstore_batch_rollback(batch) : trailstore_batch_commit(batch);
        if (s != TRAILSTORE_STATUS_OK) b->failures++;
        trailstore_batch_free(batch);
    }
    return NULL;
}

static void batches_on_many_threads_take_turns(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    enum { N = 4 };
    pthread_t threads[N];
    struct batcher batchers[N];
    for (int t = 0; t < N; t++) {
        batchers[t].store = store;
        batchers[t].index = t;
        batchers[t].failures = 0;
        CHECK(pthread_create(&threads[t], NULL, batch_of_five, &batchers[t]) == 0);
    }
    /* Meanwhile, this thread reads. */
    for (int i = 0; i < 20; i++) {
        char *out = NULL;
        CHECK_OK(trailstore_case_get(store, 1, &out));
        trailstore_string_free(out);
    }
    for (int t = 0; t < N; t++) CHECK(pthread_join(threads[t], NULL) == 0);
    for (int t = 0; t < N; t++) CHECK(batchers[t].failures == 0);
    char *out = NULL;
    CHECK_OK(trailstore_section_get_cases(store, 9, &out));
    CHECK(json_array_len(out) == N * 2 * 5); /* rounds 0 and 2 */
    trailstore_string_free(out);
    close_store(store, dir);
}

struct probe {
    trailstore_store *store;
    int ok;
};

static void *check_own_last_error(void *arg) {
    struct probe *p = (struct probe *)arg;
    /* A new thread starts with no error, whatever the main thread did. */
    int ok = trailstore_last_error_code() == TRAILSTORE_STATUS_OK;
    ok = ok && strcmp(trailstore_last_error_message(), "") == 0;
    char *out = NULL;
    ok = ok && trailstore_store_call(p->store, "get_nothing", NULL, &out) ==
                   TRAILSTORE_STATUS_UNKNOWN_METHOD;
    ok = ok && strcmp(trailstore_last_error_message(), "Unknown method 'get_nothing'") == 0;
    p->ok = ok;
    return NULL;
}

static void the_last_error_belongs_to_its_thread(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    char *out = NULL;
    CHECK_STATUS(trailstore_case_add(store, 11, "{}", &out), TRAILSTORE_STATUS_VALIDATION);
    struct probe p = {store, 0};
    pthread_t thread;
    CHECK(pthread_create(&thread, NULL, check_own_last_error, &p) == 0);
    CHECK(pthread_join(thread, NULL) == 0);
    CHECK(p.ok);
    /* The other thread's failure did not touch this thread's. */
    CHECK(trailstore_last_error_code() == TRAILSTORE_STATUS_VALIDATION);
    CHECK_STR(trailstore_last_error_message(), "Field :title is a required field.");
    CHECK_FIELD("title");
    close_store(store, dir);
}

/* ---- reads, writes and searches at once ------------------------------------------------------ */

enum { MIX_THREADS = 8, MIX_ROUNDS = 24 };

struct mixer {
    trailstore_store *store;
    int index;
    int failures;
    int live;  /* this thread's cases that exist now */
    int stale; /* searches that missed this thread's own latest write */
    int64_t ids[MIX_ROUNDS * 3];
    int count;
};

#define MIX_FAIL(m, what)                                                                          \
    do {                                                                                           \
        fprintf(stderr, "thread %d: %s failed: %s\n", (m)->index, what,                            \
                trailstore_last_error_message());                                                  \
        (m)->failures++;                                                                           \
    } while (0)

/* The total of a search with count (-1 on failure). */
static int64_t search_total(trailstore_store *store, const char *query, const char *extra) {
    char options[128];
    snprintf(options, sizeof options, "{\"count\": true, \"limit\": 5%s}", extra);
    char *out = NULL;
    if (trailstore_cases_search(store, 1, query, options, &out) != TRAILSTORE_STATUS_OK) return -1;
    int64_t total = json_int(out, "total");
    trailstore_string_free(out);
    return total;
}

/* Every case of project 1, counted page by page through get_cases. */
static int64_t count_cases(trailstore_store *store) {
    int64_t n = 0;
    for (int offset = 0;; offset += 250) {
        char route[64], *out = NULL;
        snprintf(route, sizeof route, "get_cases/1&offset=%d", offset);
        CHECK_OK(trailstore_store_call(store, route, NULL, &out));
        int64_t size = json_int(out, "size");
        trailstore_string_free(out);
        n += size;
        if (size < 250) return n;
    }
}

static void mix_add(struct mixer *m, const char *token, int round, int i) {
    char body[160], *out = NULL;
    snprintf(body, sizeof body,
             "{\"title\": \"Mixed %s round %d.%d\", \"custom_component\": %d}", token, round, i,
             1 + (round + i) % 3);
    if (trailstore_case_add(m->store, 9, body, &out) != TRAILSTORE_STATUS_OK) {
        MIX_FAIL(m, "add");
        return;
    }
    m->ids[m->count++] = json_int(out, "id");
    m->live++;
    trailstore_string_free(out);
}

static void *mix(void *arg) {
    struct mixer *m = (struct mixer *)arg;
    char token[32];
    /* One word per thread: letters only, so the tokenizer keeps it whole. */
    snprintf(token, sizeof token, "mixtoken%c", 'a' + m->index);
    for (int round = 0; round < MIX_ROUNDS; round++) {
        char *out = NULL;
        mix_add(m, token, round, 0);

        /* Edits of its own cases and of the sample's. */
        if (round % 3 == 2) {
            char body[160];
            snprintf(body, sizeof body, "{\"title\": \"Edited %s %d\", \"priority_id\": %d}",
                     token, round, 1 + round % 4);
            if (trailstore_case_update(m->store, (uint64_t)m->ids[m->count - 1], body, &out) !=
                TRAILSTORE_STATUS_OK)
                MIX_FAIL(m, "update");
            trailstore_string_free(out);
            snprintf(body, sizeof body, "{\"refs\": \"MIX-%d-%d\"}", m->index, round);
            if (trailstore_case_update(m->store, (uint64_t)(1 + (m->index * 7 + round) % 40), body,
                                       &out) != TRAILSTORE_STATUS_OK)
                MIX_FAIL(m, "update sample");
            trailstore_string_free(out);
        }
        /* Deletes of its own older cases. */
        if (round % 4 == 3) {
            if (trailstore_case_delete(m->store, (uint64_t)m->ids[m->count - 2]) !=
                TRAILSTORE_STATUS_OK)
                MIX_FAIL(m, "delete");
            else
                m->live--;
        }
        /* A batch of two now and then. */
        if (round % 5 == 4) {
            trailstore_batch *batch = NULL;
            if (trailstore_batch_begin(m->store, &batch) != TRAILSTORE_STATUS_OK) {
                MIX_FAIL(m, "batch");
            } else {
                int ok = 1;
                int64_t got[2] = {0, 0};
                for (int i = 0; i < 2; i++) {
                    char body[160];
                    snprintf(body, sizeof body,
                             "{\"title\": \"Batched %s %d.%d\", \"custom_component\": 2}", token,
                             round, i);
                    if (trailstore_batch_call(batch, "add_case/9", body, &out) !=
                        TRAILSTORE_STATUS_OK) {
                        ok = 0;
                        continue;
                    }
                    got[i] = json_int(out, "id");
                    trailstore_string_free(out);
                }
                if (!ok || trailstore_batch_commit(batch) != TRAILSTORE_STATUS_OK) {
                    MIX_FAIL(m, "batch commit");
                } else {
                    m->ids[m->count++] = got[0];
                    m->ids[m->count++] = got[1];
                    m->live += 2;
                }
                trailstore_batch_free(batch);
            }
        }

        /* A search sees this thread's every write that returned, even while other threads
         * write and search (the core commits and reloads the index reader under one lock). */
        int64_t mine = search_total(m->store, token, "");
        if (mine < 0) MIX_FAIL(m, "search");
        if (mine >= 0 && mine != m->live) {
            fprintf(stderr, "thread %d round %d: search found %lld of its %d cases\n", m->index,
                    round, (long long)mine, m->live);
            m->stale++;
        }
        if (search_total(m->store, "", ", \"priority_id\": [1, 2, 3, 4]") < 198 - 40)
            MIX_FAIL(m, "search with filters");
        if (search_total(m->store, "mixed OR edited OR batched", ", \"section_id\": 9") < m->live)
            MIX_FAIL(m, "search of the section");

        /* Reads of what others change. */
        if (trailstore_case_get(m->store, (uint64_t)(1 + (round * 13) % 40), &out) !=
            TRAILSTORE_STATUS_OK)
            MIX_FAIL(m, "get_case");
        trailstore_string_free(out);
        if (trailstore_section_get_cases(m->store, 9, &out) != TRAILSTORE_STATUS_OK ||
            json_array_len(out) < m->live)
            MIX_FAIL(m, "section_get_cases");
        trailstore_string_free(out);
        if (trailstore_store_call(m->store, "get_cases/1&priority_id=3,4&limit=20", NULL, &out) !=
            TRAILSTORE_STATUS_OK)
            MIX_FAIL(m, "get_cases");
        trailstore_string_free(out);
    }
    return NULL;
}

static void reads_writes_and_searches_at_once_stay_consistent(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    pthread_t threads[MIX_THREADS];
    static struct mixer mixers[MIX_THREADS];
    memset(mixers, 0, sizeof mixers);
    for (int t = 0; t < MIX_THREADS; t++) {
        mixers[t].store = store;
        mixers[t].index = t;
        CHECK(pthread_create(&threads[t], NULL, mix, &mixers[t]) == 0);
    }
    for (int t = 0; t < MIX_THREADS; t++) CHECK(pthread_join(threads[t], NULL) == 0);
    int live = 0, stale = 0;
    for (int t = 0; t < MIX_THREADS; t++) {
        CHECK(mixers[t].failures == 0);
        live += mixers[t].live;
        stale += mixers[t].stale;
    }
    if (stale > 0) {
        fprintf(stderr, "note: %d of %d searches missed their thread's latest write\n", stale,
                MIX_THREADS * MIX_ROUNDS);
        CHECK(stale == 0); /* read-your-writes holds on every thread */
    }

    /* At the end, search and get_cases agree on everything. */
    int64_t cases = count_cases(store);
    CHECK(cases == 198 + live);
    CHECK(search_total(store, "", "") == cases);
    char *out = NULL;
    CHECK_OK(trailstore_section_get_cases(store, 9, &out));
    CHECK(json_array_len(out) == live);
    trailstore_string_free(out);
    CHECK(search_total(store, "", ", \"section_id\": 9") == live);
    for (int t = 0; t < MIX_THREADS; t++) {
        char token[32];
        snprintf(token, sizeof token, "mixtoken%c", 'a' + t);
        CHECK(search_total(store, token, "") == mixers[t].live);
    }
    /* Filters agree too: the priorities the edits set. */
    for (int p = 1; p <= 4; p++) {
        char route[64], extra[64];
        snprintf(route, sizeof route, "get_cases/1&priority_id=%d", p);
        CHECK_OK(trailstore_store_call(store, route, NULL, &out));
        int64_t size = json_int(out, "size");
        trailstore_string_free(out);
        snprintf(extra, sizeof extra, ", \"priority_id\": %d", p);
        CHECK(search_total(store, "", extra) == size);
    }
    close_store(store, dir);
}

/* A section's cases are read on one snapshot however many pages they fill: a move made while
 * they are read shows entirely or not at all. A mover rotates section 9 (its first case out to
 * section 11, then back, where it goes last), so every committed list is a run of consecutive
 * titles; a list stitched from pages of two states has a gap where the move shifted page two. */
enum { ROTATED = 260, ROTATION_READS = 40 };

struct rotation {
    trailstore_store *store;
    int64_t ids[ROTATED];
    _Atomic int stop;
    int moves;
    int failures;
};

static int move_case(trailstore_store *store, int64_t id, int section) {
    char route[64], body[96], *out = NULL;
    snprintf(route, sizeof route, "move_cases_to_section/%d", section);
    snprintf(body, sizeof body, "{\"case_ids\": [%lld], \"suite_id\": 1}", (long long)id);
    trailstore_status status = trailstore_store_call(store, route, body, &out);
    trailstore_string_free(out);
    return status == TRAILSTORE_STATUS_OK;
}

static void *rotate(void *arg) {
    struct rotation *r = (struct rotation *)arg;
    for (int k = 0; !r->stop; k++) {
        int64_t first = r->ids[k % ROTATED];
        if (!move_case(r->store, first, 11) || !move_case(r->store, first, 9)) {
            r->failures++;
            return NULL;
        }
        r->moves++;
    }
    return NULL;
}

/* Whether `json` (section 9's cases) is ROTATED or ROTATED - 1 titles "Rotated %03d" in
 * consecutive order (wrapping from ROTATED - 1 to 0). */
static int is_one_state(const char *json) {
    int n = 0, prev = -1;
    for (const char *p = strstr(json, "Rotated "); p; p = strstr(p + 1, "Rotated ")) {
        int i = atoi(p + strlen("Rotated "));
        if (prev >= 0 && i != (prev + 1) % ROTATED) return 0;
        prev = i;
        n++;
    }
    return n == ROTATED || n == ROTATED - 1;
}

static void section_cases_are_read_on_one_snapshot(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    static struct rotation r;
    memset(&r, 0, sizeof r);
    r.store = store;
    trailstore_batch *batch = NULL;
    CHECK_OK(trailstore_batch_begin(store, &batch));
    for (int i = 0; i < ROTATED; i++) {
        char body[128], *out = NULL;
        snprintf(body, sizeof body, "{\"title\": \"Rotated %03d\", \"custom_component\": 1}", i);
        CHECK_OK(trailstore_batch_call(batch, "add_case/9", body, &out));
        r.ids[i] = json_int(out, "id");
        trailstore_string_free(out);
    }
    CHECK_OK(trailstore_batch_commit(batch));
    trailstore_batch_free(batch);

    pthread_t mover;
    CHECK(pthread_create(&mover, NULL, rotate, &r) == 0);
    int torn = 0;
    for (int i = 0; i < ROTATION_READS; i++) {
        char *out = NULL;
        CHECK_OK(trailstore_section_get_cases(store, 9, &out));
        torn += !is_one_state(out);
        trailstore_string_free(out);
    }
    r.stop = 1;
    CHECK(pthread_join(mover, NULL) == 0);
    CHECK(r.failures == 0);
    CHECK(r.moves > 0);
    fprintf(stderr, "%d reads during %d moves, %d of them torn\n", ROTATION_READS, r.moves, torn);
    CHECK(torn == 0);
    close_store(store, dir);
}

int main(int argc, char **argv) {
    static const struct test tests[] = {
        TEST(one_handle_serves_many_threads),
        TEST(batches_on_many_threads_take_turns),
        TEST(the_last_error_belongs_to_its_thread),
        TEST(reads_writes_and_searches_at_once_stay_consistent),
        TEST(section_cases_are_read_on_one_snapshot),
    };
    return RUN_TESTS(tests);
}
