/*
 * A small test harness for the C tests: named tests, checks that abort with the library's last
 * error, temporary stores, and a JSON scanner just big enough to count and read what the tests
 * look at. Each test binary runs one named test (`./test_x name`), lists them (`--list`), or runs
 * them all; tests/c/run.sh runs each named test in its own process.
 */
#ifndef TRAILSTORE_TEST_HARNESS_H
#define TRAILSTORE_TEST_HARNESS_H

#define _GNU_SOURCE
#include <errno.h>
#include <execinfo.h>
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "trailstore.h"

#ifndef SAMPLE_SNAPSHOT
#error "compile with -DSAMPLE_SNAPSHOT=\"path/to/tests/data/sample_snapshot.json\""
#endif

typedef void (*test_fn)(void);
struct test {
    const char *name;
    test_fn fn;
};
#define TEST(name) {#name, name}

__attribute__((noreturn)) static inline void fail_here(const char *file, int line, const char *what) {
    const char *field = trailstore_last_error_field();
    fprintf(stderr, "%s:%d: check failed: %s\n  last error: %s (%u): %s [field: %s]\n", file, line,
            what, trailstore_status_name(trailstore_last_error_code()),
            (unsigned)trailstore_last_error_code(), trailstore_last_error_message(),
            field ? field : "none");
    abort();
}

/* Asserts that survive NDEBUG. */
#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) fail_here(__FILE__, __LINE__, #cond);                                         \
    } while (0)

#define CHECK_STATUS(expr, want)                                                                   \
    do {                                                                                           \
        trailstore_status got_ = (expr);                                                           \
        if (got_ != (want)) {                                                                      \
            fprintf(stderr, "%s:%d: %s gave %s (%u), wanted %s\n", __FILE__, __LINE__, #expr,     \
                    trailstore_status_name(got_), (unsigned)got_, trailstore_status_name(want));   \
            fail_here(__FILE__, __LINE__, "status");                                               \
        }                                                                                          \
        CHECK(trailstore_last_error_code() == (want));                                             \
    } while (0)

#define CHECK_OK(expr) CHECK_STATUS(expr, TRAILSTORE_STATUS_OK)

#define CHECK_STR(got, want)                                                                       \
    do {                                                                                           \
        const char *g_ = (got), *w_ = (want);                                                      \
        if (g_ == NULL || strcmp(g_, w_) != 0) {                                                   \
            fprintf(stderr, "%s:%d: %s is \"%s\", wanted \"%s\"\n", __FILE__, __LINE__, #got,     \
                    g_ ? g_ : "(NULL)", w_);                                                       \
            fail_here(__FILE__, __LINE__, "string");                                               \
        }                                                                                          \
    } while (0)

#define CHECK_CONTAINS(haystack, needle) CHECK(strstr((haystack), (needle)) != NULL)

/* The last error is about `field` (TestRail's field or the C argument). */
#define CHECK_FIELD(want) CHECK_STR(trailstore_last_error_field(), want)

/* A poison value: out-params must keep it on failure. */
#define UNTOUCHED ((char *)(uintptr_t)0x5a5a5a5a)

/* ---- temporary folders ---------------------------------------------------------------------- */

static inline int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* A fresh temporary folder; the caller frees the string and removes the folder. */
static inline char *temp_dir(void) {
    const char *base = getenv("TMPDIR");
    char *tmpl = (char *)malloc(4096);
    CHECK(tmpl != NULL);
    snprintf(tmpl, 4096, "%s/trailstore-c-test-XXXXXX", base && *base ? base : "/tmp");
    CHECK(mkdtemp(tmpl) != NULL);
    return tmpl;
}

static inline void remove_tree(char *dir) {
    if (dir) {
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(dir);
    }
}

/* `dir/name`, malloc'ed. */
static inline char *join(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *out = (char *)malloc(n);
    CHECK(out != NULL);
    snprintf(out, n, "%s/%s", dir, name);
    return out;
}

/* A store in a fresh folder: *dir receives the folder to remove_tree() after freeing the store. */
static inline trailstore_store *open_empty(char **dir) {
    *dir = temp_dir();
    char *path = join(*dir, "store");
    trailstore_store *store = NULL;
    CHECK_OK(trailstore_store_open(path, &store));
    CHECK(store != NULL);
    free(path);
    return store;
}

/* A store loaded with tests/data/sample_snapshot.json. */
static inline trailstore_store *open_sample(char **dir) {
    trailstore_store *store = open_empty(dir);
    char *report = NULL;
    CHECK_OK(trailstore_store_import_file(store, SAMPLE_SNAPSHOT, &report));
    CHECK_CONTAINS(report, "\"cases\":327");
    trailstore_string_free(report);
    return store;
}

static inline void close_store(trailstore_store *store, char *dir) {
    trailstore_store_free(store);
    remove_tree(dir);
}

/* Ends a forked child with 0 when `ok`, else 1. The child execs a shell to exit instead of calling
 * _exit(): the library's worker threads do not exist in a child, so their memory looks leaked
 * there, and valgrind (unlike ASan) checks for leaks at _exit(). An exec'd process is not
 * checked. */
static inline void child_exit(int ok) {
    execl("/bin/sh", "sh", "-c", ok ? "exit 0" : "exit 1", (char *)NULL);
    _exit(ok ? 0 : 1);
}

/* ---- forked children ------------------------------------------------------------------------- */

/* A child that has not finished in this long is stuck: it prints where and dies, so that the
 * parent reports it at once instead of the whole test hitting run.sh's timeout with no word. */
#define CHILD_DEADLINE_SECONDS 60

/* ASan's own stack printer, when the test runs under ASan (weak: absent under valgrind). */
void __sanitizer_print_stack_trace(void) __attribute__((weak));

static void child_stuck(int sig) {
    (void)sig;
    static const char msg[] = "the forked child is stuck; it was here:\n";
    ssize_t ignored = write(2, msg, sizeof msg - 1);
    (void)ignored;
    if (__sanitizer_print_stack_trace) {
        __sanitizer_print_stack_trace();
    } else {
        void *frames[64];
        backtrace_symbols_fd(frames, backtrace(frames, 64), 2);
    }
    signal(SIGALRM, SIG_DFL);
    raise(SIGALRM);
}

/* fork() for a test: stdio flushed first (or the child would repeat the parent's buffered
 * output), and in the child a deadline (see CHILD_DEADLINE_SECONDS). */
static inline pid_t fork_child(void) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        abort();
    }
    if (pid == 0) {
        signal(SIGALRM, child_stuck);
        alarm(CHILD_DEADLINE_SECONDS);
    }
    return pid;
}

/* A check inside a forked child: on failure it names the check and the library's last error (the
 * child shares the parent's stderr), and ends the child with 1. */
#define CHILD_CHECK(cond)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: in the forked child, check failed: %s\n  last error: %s: %s\n", \
                    __FILE__, __LINE__, #cond,                                                     \
                    trailstore_status_name(trailstore_last_error_code()),                          \
                    trailstore_last_error_message());                                              \
            fflush(stderr);                                                                        \
            child_exit(0);                                                                         \
        }                                                                                          \
    } while (0)

/* Waits for the child `pid` (forked, or a spawned program) and fails the test, saying how the
 * child ended, unless it exited 0. */
#define wait_child(pid) wait_child_at((pid), __FILE__, __LINE__)
static inline void wait_child_at(pid_t pid, const char *file, int line) {
    int wstatus = 0;
    pid_t got;
    do {
        got = waitpid(pid, &wstatus, 0);
    } while (got < 0 && errno == EINTR);
    CHECK(got == pid);
    if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) return;
    if (WIFSIGNALED(wstatus)) {
        fprintf(stderr, "the child process was killed by signal %d (%s)\n", WTERMSIG(wstatus),
                strsignal(WTERMSIG(wstatus)));
    } else if (WIFEXITED(wstatus)) {
        fprintf(stderr, "the child process exited with status %d\n", WEXITSTATUS(wstatus));
    }
    fail_here(file, line, "the child process succeeded");
}

/* ---- a JSON scanner for the tests' own checks ------------------------------------------------ */

/* Past one JSON value starting at p (no validation: the library's output is valid JSON). */
static inline const char *json_skip(const char *p) {
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') p++;
    if (*p == '"') {
        for (p++; *p && *p != '"'; p++)
            if (*p == '\\' && p[1]) p++;
        return *p ? p + 1 : p;
    }
    if (*p == '{' || *p == '[') {
        int depth = 0;
        for (; *p; p++) {
            if (*p == '"') {
                p = json_skip(p) - 1;
            } else if (*p == '{' || *p == '[') {
                depth++;
            } else if (*p == '}' || *p == ']') {
                if (--depth == 0) return p + 1;
            }
        }
        return p;
    }
    while (*p && *p != ',' && *p != '}' && *p != ']') p++;
    return p;
}

/* The number of items of the top-level JSON array `json`, or -1 when it is not an array. */
static inline long json_array_len(const char *json) {
    const char *p = json;
    while (*p == ' ' || *p == '\n') p++;
    if (*p != '[') return -1;
    p++;
    long n = 0;
    for (;;) {
        while (*p == ' ' || *p == '\n' || *p == ',') p++;
        if (*p == ']' || *p == '\0') return n;
        p = json_skip(p);
        n++;
    }
}

/* Where the value of member `key` of the top-level object `json` starts, or NULL. */
static inline const char *json_member(const char *json, const char *key) {
    const char *p = json;
    while (*p == ' ' || *p == '\n') p++;
    if (*p != '{') return NULL;
    p++;
    size_t klen = strlen(key);
    for (;;) {
        while (*p == ' ' || *p == '\n' || *p == ',') p++;
        if (*p != '"') return NULL;
        const char *k = p + 1;
        const char *after = json_skip(p);
        int match = (size_t)(after - k - 1) == klen && strncmp(k, key, klen) == 0;
        p = after;
        while (*p == ' ' || *p == ':') p++;
        if (match) return p;
        p = json_skip(p);
    }
}

/* The integer member `key` of the top-level object `json` (INT64_MIN when missing or not one). */
static inline int64_t json_int(const char *json, const char *key) {
    const char *p = json_member(json, key);
    if (p == NULL) return INT64_MIN;
    char *end = NULL;
    long long v = strtoll(p, &end, 10);
    return end == p ? INT64_MIN : (int64_t)v;
}

/* Whether member `key` of the top-level object `json` is the JSON string whose text between the
 * quotes is exactly `raw` (as the library writes it: `"` `\` and control characters escaped). */
static inline int json_str_is(const char *json, const char *key, const char *raw) {
    const char *p = json_member(json, key);
    if (p == NULL || *p != '"') return 0;
    size_t n = strlen(raw);
    return strncmp(p + 1, raw, n) == 0 && p[1 + n] == '"';
}

/* ---- running -------------------------------------------------------------------------------- */

static inline int run_tests(const struct test *tests, size_t count, int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < count; i++) printf("%s\n", tests[i].name);
        return 0;
    }
    int ran = 0;
    for (size_t i = 0; i < count; i++) {
        if (argc > 1 && strcmp(argv[1], tests[i].name) != 0) continue;
        tests[i].fn();
        printf("ok %s\n", tests[i].name);
        ran++;
    }
    if (ran == 0) {
        fprintf(stderr, "no test named %s\n", argc > 1 ? argv[1] : "(none)");
        return 2;
    }
    return 0;
}

#define RUN_TESTS(list) run_tests(list, sizeof(list) / sizeof(list[0]), argc, argv)

#endif /* TRAILSTORE_TEST_HARNESS_H */
