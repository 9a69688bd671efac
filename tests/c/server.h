/*
 * A real `trailstore serve` for the sync tests: a server store made by the CLI (`init
 * --server-ids`, then `import` of the sample), served on a free port of 127.0.0.1 with a sentinel
 * key, and stopped with SIGTERM. The CLI is TRAILSTORE_BIN from the environment, else the path
 * compiled in (-DTRAILSTORE_BIN=..., tests/c/run.sh builds it).
 */
#ifndef TRAILSTORE_TEST_SERVER_H
#define TRAILSTORE_TEST_SERVER_H

#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#ifndef TRAILSTORE_BIN
#error "compile with -DTRAILSTORE_BIN=\"path/to/target/debug/trailstore\""
#endif

extern char **environ;

#define SERVER_USER "harness@example.com"
/* Sentinels: no message, report or file may ever contain them. */
#define SERVER_KEY "SENTINEL-C-KEY-7d1f03a2e9"
#define WRONG_KEY "SENTINEL-WRONG-KEY-90c4e1b7"

static inline const char *cli_path(void) {
    const char *bin = getenv("TRAILSTORE_BIN");
    return bin && *bin ? bin : TRAILSTORE_BIN;
}

/* Runs the CLI with `args` (NULL-terminated, after the program name), its output discarded;
 * checks that it exits 0. */
static inline void run_cli(const char *const *args) {
    const char *argv[16];
    size_t n = 0;
    argv[n++] = cli_path();
    for (; args[n - 1] != NULL; n++) {
        CHECK(n < 15);
        argv[n] = args[n - 1];
    }
    argv[n] = NULL;
    posix_spawn_file_actions_t fa;
    CHECK(posix_spawn_file_actions_init(&fa) == 0);
    CHECK(posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0) == 0);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(rc));
        CHECK(rc == 0);
    }
    wait_child(pid);
}

struct server {
    pid_t pid;
    FILE *out;
    char *dir;
    char url[64];
};

/* Makes a server store with the sample and serves it; `url` is where. */
static inline void server_start(struct server *s) {
    s->dir = temp_dir();
    char *store = join(s->dir, "server");
    const char *init[] = {"--store", store, "init", "--server-ids", NULL};
    run_cli(init);
    const char *import[] = {"--store", store, "import", SAMPLE_SNAPSHOT, NULL};
    run_cli(import);

    /* The environment plus the key, which the server reads from TRAILSTORE_SERVE_KEY. */
    size_t n = 0;
    while (environ[n]) n++;
    char **envp = (char **)calloc(n + 2, sizeof *envp);
    CHECK(envp != NULL);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "TRAILSTORE_SERVE_KEY=", 21) != 0) envp[k++] = environ[i];
    envp[k++] = (char *)"TRAILSTORE_SERVE_KEY=" SERVER_KEY;
    envp[k] = NULL;

    int fds[2];
    CHECK(pipe(fds) == 0);
    posix_spawn_file_actions_t fa;
    CHECK(posix_spawn_file_actions_init(&fa) == 0);
    CHECK(posix_spawn_file_actions_adddup2(&fa, fds[1], 1) == 0);
    CHECK(posix_spawn_file_actions_addclose(&fa, fds[0]) == 0);
    CHECK(posix_spawn_file_actions_addclose(&fa, fds[1]) == 0);
    const char *argv[] = {cli_path(), "--store", store,  "serve", "--bind",
                          "127.0.0.1:0", "--user", SERVER_USER, NULL};
    int rc = posix_spawn(&s->pid, argv[0], &fa, NULL, (char *const *)argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    free(envp);
    close(fds[1]);
    CHECK(rc == 0);
    s->out = fdopen(fds[0], "r");
    CHECK(s->out != NULL);

    /* "Serving DIR at http://127.0.0.1:PORT/ (TestRail API v2 at ...). Ctrl-C stops." */
    char line[4096];
    CHECK(fgets(line, sizeof line, s->out) != NULL);
    CHECK(strncmp(line, "Serving ", 8) == 0);
    CHECK(strstr(line, SERVER_KEY) == NULL);
    const char *at = strstr(line, "http://127.0.0.1:");
    CHECK(at != NULL);
    int port = atoi(at + strlen("http://127.0.0.1:"));
    CHECK(port > 0 && port < 65536);
    snprintf(s->url, sizeof s->url, "http://127.0.0.1:%d/", port);
    free(store);
}

/* Stops the server (SIGTERM, then SIGKILL after 20 s) and removes its store. */
static inline void server_stop(struct server *s) {
    CHECK(kill(s->pid, SIGTERM) == 0);
    int wstatus = 0;
    for (int i = 0;; i++) {
        pid_t got = waitpid(s->pid, &wstatus, WNOHANG);
        CHECK(got >= 0);
        if (got == s->pid) break;
        if (i == 2000) {
            kill(s->pid, SIGKILL);
            CHECK(waitpid(s->pid, &wstatus, 0) == s->pid);
            break;
        }
        struct timespec ten_ms = {0, 10 * 1000 * 1000};
        nanosleep(&ten_ms, NULL);
    }
    /* Whatever else it printed, it never printed the key. */
    char line[4096];
    while (fgets(line, sizeof line, s->out) != NULL) CHECK(strstr(line, SERVER_KEY) == NULL);
    fclose(s->out);
    remove_tree(s->dir);
}

/* ---- no credentials but those a test gives --------------------------------------------------- */

/* Clears TESTRAIL_URL/USER/KEY and points XDG_CONFIG_HOME at an empty folder, so that neither the
 * environment nor a developer's config file lends credentials. Call before any store is opened
 * (setenv is not thread-safe). Returns the folder, for remove_tree(). */
static inline char *isolate_credentials(void) {
    unsetenv("TESTRAIL_URL");
    unsetenv("TESTRAIL_USER");
    unsetenv("TESTRAIL_KEY");
    char *config_home = temp_dir();
    CHECK(setenv("XDG_CONFIG_HOME", config_home, 1) == 0);
    return config_home;
}

/* ---- looking for a sentinel in files ---------------------------------------------------------- */

static const char *scan_needle;
static int scan_hits;

static inline int scan_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)ftw;
    if (flag != FTW_F || !S_ISREG(sb->st_mode)) return 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL) return 0;
    size_t len = strlen(scan_needle);
    char *buf = (char *)malloc((size_t)sb->st_size + 1);
    CHECK(buf != NULL);
    size_t got = fread(buf, 1, (size_t)sb->st_size, f);
    fclose(f);
    if (got >= len && memmem(buf, got, scan_needle, len) != NULL) {
        fprintf(stderr, "%s contains %s\n", path, scan_needle);
        scan_hits++;
    }
    free(buf);
    return 0;
}

/* The number of files under `dir` whose bytes contain `needle`. */
static inline int files_containing(const char *dir, const char *needle) {
    scan_needle = needle;
    scan_hits = 0;
    CHECK(nftw(dir, scan_entry, 16, FTW_PHYS) == 0);
    return scan_hits;
}

#endif /* TRAILSTORE_TEST_SERVER_H */
