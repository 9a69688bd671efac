/* Batches: commit, rollback, free, closed, busy, and other threads waiting for a batch. */
#include "harness.h"

#include <pthread.h>
#include <time.h>

#define CASE_IN_P1(title) "{\"title\": \"" title "\", \"custom_component\": 1}"

static long section_size(trailstore_store *store, uint64_t section) {
    char *out = NULL;
    CHECK_OK(trailstore_section_get_cases(store, section, &out));
    long n = json_array_len(out);
    trailstore_string_free(out);
    return n;
}

static void commit_makes_every_call_visible(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    trailstore_batch *batch = NULL;
    CHECK_OK(trailstore_batch_begin(store, &batch));
    CHECK(batch != NULL);
    char *out = NULL;
    CHECK_OK(trailstore_batch_call(batch, "add_case/9", CASE_IN_P1("One"), &out));
    trailstore_string_free(out);
    CHECK_OK(trailstore_batch_call(batch, "add_case/9", CASE_IN_P1("Two"), &out));
    trailstore_string_free(out);
    /* Reads in the batch see its writes; reads outside do not yet. */
    CHECK_OK(trailstore_batch_call(batch, "get_cases/1&section_id=9", NULL, &out));
    CHECK(json_int(out, "size") == 2);
    trailstore_string_free(out);
    CHECK(section_size(store, 9) == 0);

    CHECK_OK(trailstore_batch_commit(batch));
    trailstore_batch_free(batch);
    CHECK(section_size(store, 9) == 2);
    CHECK_OK(trailstore_journal_get_pending(store, 0, &out));
    CHECK(json_array_len(out) == 2);
    trailstore_string_free(out);
    close_store(store, dir);
}

static void rollback_discards_every_call(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    trailstore_batch *batch = NULL;
    CHECK_OK(trailstore_batch_begin(store, &batch));
    char *out = NULL;
    CHECK_OK(trailstore_batch_call(batch, "add_case/9", CASE_IN_P1("Gone"), &out));
    trailstore_string_free(out);
    CHECK_OK(trailstore_batch_call(batch, "delete_case/1", NULL, &out));
    CHECK_STR(out, "");
    trailstore_string_free(out);
    CHECK_OK(trailstore_batch_rollback(batch));
    trailstore_batch_free(batch);
    CHECK(section_size(store, 9) == 0);
    CHECK_OK(trailstore_case_get(store, 1, &out));
    trailstore_string_free(out);
    CHECK_OK(trailstore_journal_get_pending(store, 0, &out));
    CHECK_STR(out, "[]");
    trailstore_string_free(out);
    close_store(store, dir);
}

static void free_rolls_an_open_batch_back(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    trailstore_batch *batch = NULL;
    CHECK_OK(trailstore_batch_begin(store, &batch));
    char *out = NULL;
    CHECK_OK(trailstore_batch_call(batch, "add_case/9", CASE_IN_P1("Dropped"), &out));
    trailstore_string_free(out);
    trailstore_batch_free(batch);
    CHECK(section_size(store, 9) == 0);
    /* And the store takes writes again. */
    CHECK_OK(trailstore_case_add(store, 9, CASE_IN_P1("After"), &out));
    trailstore_string_free(out);
    close_store(store, dir);
}

static void a_finished_batch_is_closed(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    trailstore_batch *batch = NULL;
    CHECK_OK(trailstore_batch_begin(store, &batch));
    CHECK_OK(trailstore_batch_commit(batch));
    char *out = UNTOUCHED;
    CHECK_STATUS(trailstore_batch_call(batch, "get_case/1", NULL, &out), TRAILSTORE_STATUS_CLOSED);
    CHECK(out == UNTOUCHED);
    CHECK_STR(trailstore_last_error_message(), "The store is closed.");
    CHECK_STATUS(trailstore_batch_commit(batch), TRAILSTORE_STATUS_CLOSED);
    CHECK_STATUS(trailstore_batch_rollback(batch), TRAILSTORE_STATUS_CLOSED);
    trailstore_batch_free(batch);

    CHECK_OK(trailstore_batch_begin(store, &batch));
    CHECK_OK(trailstore_batch_rollback(batch));
    CHECK_STATUS(trailstore_batch_commit(batch), TRAILSTORE_STATUS_CLOSED);
    trailstore_batch_free(batch);
    close_store(store, dir);
}

static void a_refused_call_leaves_the_batch_usable(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    trailstore_batch *batch = NULL;
    CHECK_OK(trailstore_batch_begin(store, &batch));
    char *out = UNTOUCHED;
    CHECK_STATUS(trailstore_batch_call(batch, "add_case/9", "{}", &out),
                 TRAILSTORE_STATUS_VALIDATION);
    CHECK_FIELD("title");
    CHECK_STATUS(trailstore_batch_call(batch, "get_nothing", NULL, &out),
                 TRAILSTORE_STATUS_UNKNOWN_METHOD);
    CHECK_STATUS(trailstore_batch_call(batch, "add_case/9", "[", &out),
                 TRAILSTORE_STATUS_BAD_REQUEST);
    CHECK_STATUS(trailstore_batch_call(batch, "get_case/999999", NULL, &out),
                 TRAILSTORE_STATUS_NOT_FOUND);
    CHECK(out == UNTOUCHED);
    CHECK_OK(trailstore_batch_call(batch, "add_case/9", CASE_IN_P1("Kept"), &out));
    trailstore_string_free(out);
    CHECK_OK(trailstore_batch_commit(batch));
    trailstore_batch_free(batch);
    CHECK(section_size(store, 9) == 1);
    close_store(store, dir);
}

static void writes_beside_a_batch_on_its_thread_are_busy(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    trailstore_batch *batch = NULL;
    CHECK_OK(trailstore_batch_begin(store, &batch));
    char *out = UNTOUCHED;
    CHECK_STATUS(trailstore_case_add(store, 9, CASE_IN_P1("Beside"), &out),
                 TRAILSTORE_STATUS_BUSY);
    CHECK(out == UNTOUCHED);
    CHECK_CONTAINS(trailstore_last_error_message(), "batch is open on this thread");
    CHECK_STATUS(trailstore_store_call(store, "delete_case/1", NULL, &out),
                 TRAILSTORE_STATUS_BUSY);
    CHECK_STATUS(trailstore_case_delete(store, 1), TRAILSTORE_STATUS_BUSY);
    trailstore_batch *second = (trailstore_batch *)UNTOUCHED;
    CHECK_STATUS(trailstore_batch_begin(store, &second), TRAILSTORE_STATUS_BUSY);
    CHECK(second == (trailstore_batch *)UNTOUCHED);
    /* Reads do not need the writer. */
    CHECK_OK(trailstore_case_get(store, 1, &out));
    trailstore_string_free(out);

    CHECK_OK(trailstore_batch_commit(batch));
    trailstore_batch_free(batch);
    CHECK_OK(trailstore_case_add(store, 9, CASE_IN_P1("Now"), &out));
    trailstore_string_free(out);
    close_store(store, dir);
}

struct waiter {
    trailstore_store *store;
    trailstore_status status;
};

static void *write_after_batch(void *arg) {
    struct waiter *w = (struct waiter *)arg;
    char *out = NULL;
    w->status = trailstore_case_add(w->store, 9, CASE_IN_P1("From the other thread"), &out);
    trailstore_string_free(out);
    return NULL;
}

static void another_thread_waits_for_the_batch(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    trailstore_batch *batch = NULL;
    CHECK_OK(trailstore_batch_begin(store, &batch));
    struct waiter w = {store, TRAILSTORE_STATUS_INTERNAL};
    pthread_t thread;
    CHECK(pthread_create(&thread, NULL, write_after_batch, &w) == 0);
    /* Give the other thread time to block on the batch's write lock. */
    struct timespec pause = {0, 200 * 1000 * 1000};
    nanosleep(&pause, NULL);
    char *out = NULL;
    CHECK_OK(trailstore_batch_call(batch, "add_case/9", CASE_IN_P1("From the batch"), &out));
    trailstore_string_free(out);
    CHECK_OK(trailstore_batch_commit(batch));
    CHECK(pthread_join(thread, NULL) == 0);
    CHECK(w.status == TRAILSTORE_STATUS_OK);
    trailstore_batch_free(batch);

    /* The other thread's write went in after the batch, not beside it. */
    CHECK_OK(trailstore_journal_get_pending(store, 0, &out));
    const char *batch_entry = strstr(out, "From the batch");
    const char *other_entry = strstr(out, "From the other thread");
    CHECK(batch_entry && other_entry && batch_entry < other_entry);
    trailstore_string_free(out);
    close_store(store, dir);
}

static void a_batch_outlives_its_store_handle(void) {
    char *dir;
    trailstore_store *store = open_sample(&dir);
    trailstore_batch *batch = NULL;
    CHECK_OK(trailstore_batch_begin(store, &batch));
    trailstore_store_free(store);
    char *out = NULL;
    CHECK_OK(trailstore_batch_call(batch, "add_case/9", CASE_IN_P1("Late"), &out));
    trailstore_string_free(out);
    CHECK_OK(trailstore_batch_commit(batch));
    trailstore_batch_free(batch);

    /* The store was closed with the batch; it opens again with the write in it. */
    char *path = join(dir, "store");
    CHECK_OK(trailstore_store_open(path, &store));
    CHECK(section_size(store, 9) == 1);
    free(path);
    close_store(store, dir);
}

int main(int argc, char **argv) {
    static const struct test tests[] = {
        TEST(commit_makes_every_call_visible),
        TEST(rollback_discards_every_call),
        TEST(free_rolls_an_open_batch_back),
        TEST(a_finished_batch_is_closed),
        TEST(a_refused_call_leaves_the_batch_usable),
        TEST(writes_beside_a_batch_on_its_thread_are_busy),
        TEST(another_thread_waits_for_the_batch),
        TEST(a_batch_outlives_its_store_handle),
    };
    return RUN_TESTS(tests);
}
