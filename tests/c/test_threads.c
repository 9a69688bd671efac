/* One handle, many threads at once: reads, writes, batches, and a last error per thread. */
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

int main(int argc, char **argv) {
    static const struct test tests[] = {
        TEST(one_handle_serves_many_threads),
        TEST(batches_on_many_threads_take_turns),
        TEST(the_last_error_belongs_to_its_thread),
    };
    return RUN_TESTS(tests);
}
