/* Attachments through the C functions: empty, one-byte and 5 MB files round-trip through every
 * way in (a path, bytes, each also inside a batch) and every way out (the caller's buffer, a
 * file), odd names are kept and bad ones refused, a file whose name is not UTF-8 is refused
 * naming `path`, a 300 MB file (sparse) or buffer (untouched pages) is refused with TOO_LARGE and
 * nothing written, a buffer too small is BUFFER_TOO_SMALL with nothing written, unknown ids,
 * owners and routes are refused, the same bytes are stored once and go when their last owner
 * does (deleting a run deletes its results' files), and every pointer argument may be NULL
 * without a crash. */
#include "harness.h"

#include <fcntl.h>
#include <inttypes.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define MB (1024u * 1024u)

/* A store with a project, a section, two cases, a run of them and a comment-only result on the
 * first, all made through trailstore_store_call. */
struct lab {
    trailstore_store *store;
    char *dir;
    char *attachments; /* the store's folder of attachment bytes */
    uint64_t project, section, cases[2], run, result;
};

static uint64_t new_id(trailstore_store *store, const char *route, const char *body,
                       const char *key) {
    char *out = NULL;
    CHECK_OK(trailstore_store_call(store, route, body, &out));
    int64_t id = json_int(out, key);
    CHECK(id > 0);
    trailstore_string_free(out);
    return (uint64_t)id;
}

static void lab_open(struct lab *l) {
    l->store = open_empty(&l->dir);
    l->attachments = join(l->dir, "store/attachments");
    l->project = new_id(l->store, "add_project", "{\"name\": \"Rig\", \"suite_mode\": 1}", "id");
    char route[128];
    snprintf(route, sizeof route, "add_section/%" PRIu64, l->project);
    l->section = new_id(l->store, route, "{\"name\": \"Supply\"}", "id");
    snprintf(route, sizeof route, "add_case/%" PRIu64, l->section);
    l->cases[0] = new_id(l->store, route, "{\"title\": \"Calibrate\"}", "id");
    l->cases[1] = new_id(l->store, route, "{\"title\": \"Power cycle\"}", "id");
    snprintf(route, sizeof route, "add_run/%" PRIu64, l->project);
    l->run = new_id(l->store, route, "{\"name\": \"Nightly\"}", "id");
    snprintf(route, sizeof route, "add_result_for_case/%" PRIu64 "/%" PRIu64, l->run, l->cases[0]);
    l->result = new_id(l->store, route, "{\"comment\": \"Trace attached\"}", "id");
}

static void lab_close(struct lab *l) {
    free(l->attachments);
    close_store(l->store, l->dir);
}

static void case_route(const struct lab *l, char *route, size_t n) {
    snprintf(route, n, "add_attachment_to_case/%" PRIu64, l->cases[0]);
}

static void id_text(uint64_t id, char *out, size_t n) { snprintf(out, n, "%" PRIu64, id); }

static long journal_len(trailstore_store *store) {
    char *out = NULL;
    CHECK_OK(trailstore_journal_get_pending(store, 0, &out));
    long n = json_array_len(out);
    trailstore_string_free(out);
    return n;
}

/* Regular files under `dir` (the attachment bytes and any temporary file). */
static long files_found;
static int count_file(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)path;
    (void)sb;
    (void)ftw;
    if (flag == FTW_F) files_found++;
    return 0;
}
static long files_under(const char *dir) {
    files_found = 0;
    nftw(dir, count_file, 16, FTW_PHYS);
    return files_found;
}

/* `n` bytes that differ from any other call's: a pattern from a seed. */
static uint8_t *pattern(size_t n, uint8_t seed) {
    uint8_t *p = (uint8_t *)malloc(n ? n : 1);
    CHECK(p != NULL);
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)((uint8_t)i * 31u + seed + (i >> 16));
    return p;
}

static void write_file(const char *path, const uint8_t *data, size_t n) {
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    CHECK(n == 0 || fwrite(data, 1, n, f) == n);
    CHECK(fclose(f) == 0);
}

/* The whole file at `path`, malloc'ed; its length in *n. */
static uint8_t *read_file(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    CHECK(fseek(f, 0, SEEK_END) == 0);
    long len = ftell(f);
    CHECK(len >= 0);
    rewind(f);
    uint8_t *p = (uint8_t *)malloc((size_t)len + 1);
    CHECK(p != NULL);
    CHECK(fread(p, 1, (size_t)len, f) == (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return p;
}

static int exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* get_attachment/ID through the dispatcher: the metadata JSON (caller frees). */
static char *metadata(trailstore_store *store, uint64_t id) {
    char route[64];
    snprintf(route, sizeof route, "get_attachment/%" PRIu64, id);
    char *out = NULL;
    CHECK_OK(trailstore_store_call(store, route, NULL, &out));
    return out;
}

/* Attachment `id` holds exactly `data` (`n` bytes) by every way out: its size, a read into a
 * buffer of exactly that size and one of more, and a file saved under `dir`. */
static void check_bytes(trailstore_store *store, const char *dir, uint64_t id, const uint8_t *data,
                        size_t n) {
    char id_s[32];
    id_text(id, id_s, sizeof id_s);
    uint64_t size = 12345;
    CHECK_OK(trailstore_attachment_size(store, id_s, &size));
    CHECK(size == n);

    uint8_t *buf = n ? (uint8_t *)malloc(n) : NULL;
    size_t len = 12345;
    CHECK_OK(trailstore_attachment_read(store, id_s, buf, n, &len));
    CHECK(len == n);
    CHECK(n == 0 || memcmp(buf, data, n) == 0);
    free(buf);
    uint8_t *roomy = (uint8_t *)malloc(n + 100);
    CHECK(roomy != NULL);
    memset(roomy, 0x5a, n + 100);
    len = 12345;
    CHECK_OK(trailstore_attachment_read(store, id_s, roomy, n + 100, &len));
    CHECK(len == n);
    CHECK(n == 0 || memcmp(roomy, data, n) == 0);
    CHECK(roomy[n] == 0x5a && roomy[n + 99] == 0x5a);
    free(roomy);

    char *path = join(dir, "saved.bin");
    uint64_t saved = 12345;
    CHECK_OK(trailstore_attachment_save(store, id_s, path, &saved));
    CHECK(saved == n);
    size_t got_n = 0;
    uint8_t *got = read_file(path, &got_n);
    CHECK(got_n == n);
    CHECK(n == 0 || memcmp(got, data, n) == 0);
    free(got);
    CHECK(remove(path) == 0);
    free(path);

    char *meta = metadata(store, id);
    CHECK(json_int(meta, "id") == (int64_t)id);
    CHECK(json_int(meta, "size") == (int64_t)n);
    trailstore_string_free(meta);
}

static void empty_one_byte_and_5_mb_round_trip_through_every_function(void) {
    struct lab l;
    lab_open(&l);
    const size_t sizes[] = {0, 1, 5 * MB};
    char route[128];
    long journal = journal_len(l.store);
    for (size_t i = 0; i < 3; i++) {
        size_t n = sizes[i];
        uint8_t *data = pattern(n, (uint8_t)i);

        /* Bytes from memory, to the case. */
        uint64_t from_bytes = 0;
        case_route(&l, route, sizeof route);
        CHECK_OK(trailstore_attachment_add_bytes(l.store, route, "trace.log", n ? data : NULL, n,
                                                 &from_bytes));
        CHECK(from_bytes > 0);
        check_bytes(l.store, l.dir, from_bytes, data, n);

        /* A file under its own name, to the result. */
        char name[64];
        snprintf(name, sizeof name, "size-%zu.bin", n);
        char *path = join(l.dir, name);
        write_file(path, data, n);
        uint64_t from_file = 0;
        snprintf(route, sizeof route, "add_attachment_to_result/%" PRIu64, l.result);
        CHECK_OK(trailstore_attachment_add_file(l.store, route, path, &from_file));
        CHECK(from_file > 0 && from_file != from_bytes);
        check_bytes(l.store, l.dir, from_file, data, n);
        char *meta = metadata(l.store, from_file);
        CHECK(json_str_is(meta, "name", name));
        CHECK(json_str_is(meta, "entity_type", "result"));
        CHECK(json_int(meta, "result_id") == (int64_t)l.result);
        trailstore_string_free(meta);

        /* The same, inside a batch, to the run. */
        trailstore_batch *batch = NULL;
        uint64_t in_batch[2] = {0, 0};
        snprintf(route, sizeof route, "add_attachment_to_run/%" PRIu64, l.run);
        CHECK_OK(trailstore_batch_begin(l.store, &batch));
        CHECK_OK(trailstore_batch_attachment_add_bytes(batch, route, "mem.bin", n ? data : NULL, n,
                                                       &in_batch[0]));
        CHECK_OK(trailstore_batch_attachment_add_file(batch, route, path, &in_batch[1]));
        CHECK_OK(trailstore_batch_commit(batch));
        trailstore_batch_free(batch);
        check_bytes(l.store, l.dir, in_batch[0], data, n);
        check_bytes(l.store, l.dir, in_batch[1], data, n);

        CHECK(remove(path) == 0);
        free(path);
        free(data);
    }
    /* Each owner lists its own, as TestRail pages them. */
    char *out = NULL;
    snprintf(route, sizeof route, "get_attachments_for_case/%" PRIu64, l.cases[0]);
    CHECK_OK(trailstore_store_call(l.store, route, NULL, &out));
    CHECK(json_int(out, "size") == 3);
    CHECK(json_array_len(json_member(out, "attachments")) == 3);
    trailstore_string_free(out);
    snprintf(route, sizeof route, "get_attachments_for_run/%" PRIu64, l.run);
    CHECK_OK(trailstore_store_call(l.store, route, NULL, &out));
    CHECK(json_int(out, "size") == 6);
    trailstore_string_free(out);
    /* One journal entry per upload. */
    CHECK(journal_len(l.store) == journal + 3 * 4);
    lab_close(&l);
}

static void odd_names_are_kept_and_bad_ones_refused(void) {
    struct lab l;
    lab_open(&l);
    char route[128];
    case_route(&l, route, sizeof route);
    static const struct {
        const char *given, *kept_json;
    } names[] = {
        {"r\xc3\xa9sum\xc3\xa9 (final) [v2].log", "r\xc3\xa9sum\xc3\xa9 (final) [v2].log"},
        {"a b \"quoted\" 'x'.txt", "a b \\\"quoted\\\" 'x'.txt"},
        {".hidden", ".hidden"},
        {"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x98\x80.png",
         "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x98\x80.png"},
        {"logs/sub/run.txt", "run.txt"},
        {"back\\slash.txt", "slash.txt"},
        {"100% & done?.txt", "100% & done?.txt"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        uint64_t id = 0;
        CHECK_OK(trailstore_attachment_add_bytes(l.store, route, names[i].given,
                                                 (const uint8_t *)"x", 1, &id));
        char *meta = metadata(l.store, id);
        if (!json_str_is(meta, "name", names[i].kept_json)) {
            fprintf(stderr, "%s kept as %s\n", names[i].given, meta);
            CHECK(0);
        }
        trailstore_string_free(meta);
    }
    /* Odd names of real files are their attachment names too. */
    static const char *files[] = {"with space.txt", "quote\"d.txt", "caf\xc3\xa9 \xe2\x82\xac.txt",
                                  "-dash"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char *path = join(l.dir, files[i]);
        write_file(path, (const uint8_t *)"odd", 3);
        uint64_t id = 0;
        CHECK_OK(trailstore_attachment_add_file(l.store, route, path, &id));
        char id_s[32];
        id_text(id, id_s, sizeof id_s);
        uint8_t buf[8];
        size_t len = 0;
        CHECK_OK(trailstore_attachment_read(l.store, id_s, buf, sizeof buf, &len));
        CHECK(len == 3 && memcmp(buf, "odd", 3) == 0);
        char *meta = metadata(l.store, id);
        CHECK(strstr(meta, i == 1 ? "\"quote\\\"d.txt\"" : files[i]) != NULL);
        trailstore_string_free(meta);
        free(path);
    }

    long journal = journal_len(l.store);
    static const char *bad[] = {"", "   ", "dir/", "..", ".", "line\nbreak.txt", "tab\there"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t id = 777;
        CHECK_STATUS(trailstore_attachment_add_bytes(l.store, route, bad[i],
                                                     (const uint8_t *)"x", 1, &id),
                     TRAILSTORE_STATUS_VALIDATION);
        CHECK_FIELD("attachment");
        CHECK(id == 777);
    }
    /* 250 characters are taken, 251 are not. */
    char long_name[260];
    memset(long_name, 'n', 251);
    long_name[251] = '\0';
    uint64_t id = 777;
    CHECK_STATUS(trailstore_attachment_add_bytes(l.store, route, long_name, (const uint8_t *)"x", 1,
                                                 &id),
                 TRAILSTORE_STATUS_VALIDATION);
    CHECK(id == 777);
    CHECK(journal_len(l.store) == journal);
    long_name[250] = '\0';
    CHECK_OK(trailstore_attachment_add_bytes(l.store, route, long_name, (const uint8_t *)"x", 1,
                                             &id));
    lab_close(&l);
}

static void a_file_name_that_is_not_utf8_is_refused_naming_path(void) {
    struct lab l;
    lab_open(&l);
    char route[128];
    case_route(&l, route, sizeof route);
    char *path = join(l.dir, "caf\xe9.txt");
    write_file(path, (const uint8_t *)"bytes", 5);
    long journal = journal_len(l.store);
    uint64_t id = 777;
    CHECK_STATUS(trailstore_attachment_add_file(l.store, route, path, &id),
                 TRAILSTORE_STATUS_INVALID_UTF8);
    CHECK_FIELD("path");
    CHECK_CONTAINS(trailstore_last_error_message(), "name is not valid UTF-8");
    CHECK_CONTAINS(trailstore_last_error_message(), "trailstore_attachment_add_bytes()");
    CHECK(id == 777);
    trailstore_batch *batch = NULL;
    CHECK_OK(trailstore_batch_begin(l.store, &batch));
    CHECK_STATUS(trailstore_batch_attachment_add_file(batch, route, path, &id),
                 TRAILSTORE_STATUS_INVALID_UTF8);
    CHECK_FIELD("path");
    CHECK_OK(trailstore_batch_commit(batch));
    trailstore_batch_free(batch);
    CHECK(id == 777);
    CHECK(journal_len(l.store) == journal);
    CHECK(files_under(l.attachments) == 0);
    free(path);

    /* A folder whose name is not UTF-8 is fine: only the file's name becomes the attachment's. */
    char *folder = join(l.dir, "d\xff");
    CHECK(mkdir(folder, 0700) == 0);
    path = join(folder, "ok.txt");
    write_file(path, (const uint8_t *)"fine", 4);
    CHECK_OK(trailstore_attachment_add_file(l.store, route, path, &id));
    char *meta = metadata(l.store, id);
    CHECK(json_str_is(meta, "name", "ok.txt"));
    trailstore_string_free(meta);
    /* And a file can be saved to such a path. */
    char *saved = join(folder, "\xfe\xfd.bin");
    char id_s[32];
    id_text(id, id_s, sizeof id_s);
    uint64_t n = 0;
    CHECK_OK(trailstore_attachment_save(l.store, id_s, saved, &n));
    CHECK(n == 4 && exists(saved));
    free(saved);
    free(path);
    free(folder);
    lab_close(&l);
}

static void over_256_mb_is_refused_with_nothing_written(void) {
    struct lab l;
    lab_open(&l);
    char route[128];
    snprintf(route, sizeof route, "add_attachment_to_result/%" PRIu64, l.result);
    long journal = journal_len(l.store);

    /* A sparse 300 MB file: refused from its size, before a byte is read. */
    char *path = join(l.dir, "huge.bin");
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    CHECK(fd >= 0);
    CHECK(ftruncate(fd, (off_t)300 * MB) == 0);
    CHECK(close(fd) == 0);
    uint64_t id = 777;
    CHECK_STATUS(trailstore_attachment_add_file(l.store, route, path, &id),
                 TRAILSTORE_STATUS_TOO_LARGE);
    CHECK_CONTAINS(trailstore_last_error_message(), "256 MB");
    CHECK(id == 777);

    /* 300 MB of memory never touched (so never backed by RAM): refused before a byte is copied. */
    size_t big = (size_t)300 * MB;
    void *mem = mmap(NULL, big, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    CHECK(mem != MAP_FAILED);
    CHECK_STATUS(trailstore_attachment_add_bytes(l.store, route, "huge.bin", (const uint8_t *)mem,
                                                 big, &id),
                 TRAILSTORE_STATUS_TOO_LARGE);
    CHECK(id == 777);

    /* The same inside a batch, which goes on afterwards. */
    trailstore_batch *batch = NULL;
    CHECK_OK(trailstore_batch_begin(l.store, &batch));
    CHECK_STATUS(trailstore_batch_attachment_add_file(batch, route, path, &id),
                 TRAILSTORE_STATUS_TOO_LARGE);
    CHECK_STATUS(trailstore_batch_attachment_add_bytes(batch, route, "huge.bin",
                                                       (const uint8_t *)mem, big, &id),
                 TRAILSTORE_STATUS_TOO_LARGE);
    CHECK(id == 777);
    CHECK_OK(trailstore_batch_commit(batch));
    trailstore_batch_free(batch);
    CHECK(munmap(mem, big) == 0);

    CHECK(journal_len(l.store) == journal);
    CHECK(files_under(l.attachments) == 0);
    char *out = NULL;
    snprintf(route, sizeof route, "get_attachments_for_run/%" PRIu64, l.run);
    CHECK_OK(trailstore_store_call(l.store, route, NULL, &out));
    CHECK(json_int(out, "size") == 0);
    trailstore_string_free(out);
    CHECK(remove(path) == 0);
    free(path);
    lab_close(&l);
}

static void a_buffer_too_small_writes_nothing_and_says_the_size(void) {
    struct lab l;
    lab_open(&l);
    char route[128];
    case_route(&l, route, sizeof route);
    uint64_t id = 0;
    CHECK_OK(trailstore_attachment_add_bytes(l.store, route, "five.txt", (const uint8_t *)"12345",
                                             5, &id));
    char id_s[32];
    id_text(id, id_s, sizeof id_s);
    uint8_t buf[16];
    memset(buf, 0x5a, sizeof buf);
    size_t len = 777;
    CHECK_STATUS(trailstore_attachment_read(l.store, id_s, buf, 4, &len),
                 TRAILSTORE_STATUS_BUFFER_TOO_SMALL);
    CHECK_FIELD("cap");
    CHECK_CONTAINS(trailstore_last_error_message(), "has 5 bytes");
    CHECK_STR(trailstore_status_name(TRAILSTORE_STATUS_BUFFER_TOO_SMALL), "buffer_too_small");
    CHECK(len == 777);
    for (size_t i = 0; i < sizeof buf; i++) CHECK(buf[i] == 0x5a);
    /* NULL with capacity 0 asks too much of no buffer. */
    CHECK_STATUS(trailstore_attachment_read(l.store, id_s, NULL, 0, &len),
                 TRAILSTORE_STATUS_BUFFER_TOO_SMALL);
    CHECK(len == 777);
    /* The size, then a read that fits. */
    uint64_t size = 0;
    CHECK_OK(trailstore_attachment_size(l.store, id_s, &size));
    CHECK(size == 5);
    CHECK_OK(trailstore_attachment_read(l.store, id_s, buf, (size_t)size, &len));
    CHECK(len == 5 && memcmp(buf, "12345", 5) == 0 && buf[5] == 0x5a);
    CHECK_STR(trailstore_last_error_message(), "");
    lab_close(&l);
}

static void unknown_ids_owners_routes_and_files_are_refused(void) {
    struct lab l;
    lab_open(&l);
    long journal = journal_len(l.store);
    uint64_t id = 777, size = 777;
    size_t len = 777;
    uint8_t buf[8];
    char *target = join(l.dir, "never.bin");
    static const char *unknown[] = {"999999", "2147483647"};
    for (size_t i = 0; i < 2; i++) {
        CHECK_STATUS(trailstore_attachment_size(l.store, unknown[i], &size),
                     TRAILSTORE_STATUS_NOT_FOUND);
        CHECK_FIELD("attachment_id");
        CHECK_STATUS(trailstore_attachment_read(l.store, unknown[i], buf, sizeof buf, &len),
                     TRAILSTORE_STATUS_NOT_FOUND);
        CHECK_FIELD("attachment_id");
        CHECK_STATUS(trailstore_attachment_save(l.store, unknown[i], target, &size),
                     TRAILSTORE_STATUS_NOT_FOUND);
        CHECK_FIELD("attachment_id");
    }
    /* Id 0 is no id at all: the core's route rule refuses it, naming the field. */
    CHECK_STATUS(trailstore_attachment_size(l.store, "0", &size), TRAILSTORE_STATUS_VALIDATION);
    CHECK_FIELD("attachment_id");
    CHECK_STATUS(trailstore_attachment_save(l.store, "0", target, &size),
                 TRAILSTORE_STATUS_VALIDATION);
    /* Text that is no id is refused too, whatever it holds. */
    static const char *junk[] = {"", "abc", "12&limit=1", "-1", "1/2"};
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        trailstore_status s = trailstore_attachment_size(l.store, junk[i], &size);
        if (s == TRAILSTORE_STATUS_OK) {
            fprintf(stderr, "attachment id \"%s\" was taken\n", junk[i]);
            CHECK(0);
        }
    }
    CHECK(size == 777 && len == 777);
    CHECK(!exists(target));

    /* A deleted attachment is gone for every way out. */
    char route[128];
    case_route(&l, route, sizeof route);
    CHECK_OK(trailstore_attachment_add_bytes(l.store, route, "gone.txt", (const uint8_t *)"gone", 4,
                                             &id));
    char id_s[32];
    id_text(id, id_s, sizeof id_s);
    char *out = NULL;
    snprintf(route, sizeof route, "delete_attachment/%" PRIu64, id);
    CHECK_OK(trailstore_store_call(l.store, route, NULL, &out));
    CHECK_STR(out, "");
    trailstore_string_free(out);
    CHECK_STATUS(trailstore_attachment_read(l.store, id_s, buf, sizeof buf, &len),
                 TRAILSTORE_STATUS_NOT_FOUND);
    CHECK_STATUS(trailstore_attachment_save(l.store, id_s, target, &size),
                 TRAILSTORE_STATUS_NOT_FOUND);
    CHECK(!exists(target));
    CHECK(files_under(l.attachments) == 0);
    journal += 2;

    /* Owners that do not exist, routes that take no file. */
    char *file = join(l.dir, "real.txt");
    write_file(file, (const uint8_t *)"real", 4);
    id = 777;
    CHECK_STATUS(trailstore_attachment_add_bytes(l.store, "add_attachment_to_case/999999", "a.txt",
                                                 (const uint8_t *)"a", 1, &id),
                 TRAILSTORE_STATUS_NOT_FOUND);
    CHECK_FIELD("case_id");
    CHECK_STR(trailstore_last_error_message(), "Field :case_id is not a valid test case.");
    CHECK_STATUS(trailstore_attachment_add_file(l.store, "add_attachment_to_result/999999", file,
                                                &id),
                 TRAILSTORE_STATUS_NOT_FOUND);
    CHECK_FIELD("result_id");
    CHECK_STATUS(trailstore_attachment_add_file(l.store, "add_attachment_to_plan/999999", file, &id),
                 TRAILSTORE_STATUS_NOT_FOUND);
    CHECK_STATUS(trailstore_attachment_add_bytes(l.store, "get_case/1", "a.txt",
                                                 (const uint8_t *)"a", 1, &id),
                 TRAILSTORE_STATUS_BAD_REQUEST);
    CHECK_STATUS(trailstore_attachment_add_file(l.store, "no_such_route/1", file, &id),
                 TRAILSTORE_STATUS_UNKNOWN_METHOD);
    /* A file that is not there, and a folder. */
    case_route(&l, route, sizeof route);
    char *missing = join(l.dir, "missing.txt");
    CHECK_STATUS(trailstore_attachment_add_file(l.store, route, missing, &id), TRAILSTORE_STATUS_IO);
    CHECK_FIELD("path");
    CHECK_CONTAINS(trailstore_last_error_message(), "missing.txt");
    CHECK_STATUS(trailstore_attachment_add_file(l.store, route, l.dir, &id),
                 TRAILSTORE_STATUS_BAD_REQUEST);
    CHECK_FIELD("path");
    CHECK(id == 777);
    CHECK(journal_len(l.store) == journal);

    /* Saving where no file can be: IO naming the path, and nothing there. */
    CHECK_OK(trailstore_attachment_add_file(l.store, route, file, &id));
    id_text(id, id_s, sizeof id_s);
    char *nowhere = join(l.dir, "no/such/folder/x.bin");
    size = 777;
    CHECK_STATUS(trailstore_attachment_save(l.store, id_s, nowhere, &size), TRAILSTORE_STATUS_IO);
    CHECK_FIELD("path");
    CHECK_CONTAINS(trailstore_last_error_message(), "no/such/folder/x.bin");
    CHECK(size == 777);
    /* Saving over a file replaces it. */
    write_file(target, (const uint8_t *)"previous content", 16);
    CHECK_OK(trailstore_attachment_save(l.store, id_s, target, &size));
    size_t n = 0;
    uint8_t *got = read_file(target, &n);
    CHECK(size == 4 && n == 4 && memcmp(got, "real", 4) == 0);
    free(got);
    free(nowhere);
    free(missing);
    free(file);
    free(target);
    lab_close(&l);
}

static void uploads_inside_a_batch_commit_or_roll_back_with_it(void) {
    struct lab l;
    lab_open(&l);
    char route[128], body[128];
    char *out = NULL;
    long journal = journal_len(l.store);

    /* A result and its screenshot in one batch: the owner is what the batch just added. */
    trailstore_batch *batch = NULL;
    CHECK_OK(trailstore_batch_begin(l.store, &batch));
    snprintf(route, sizeof route, "add_result_for_case/%" PRIu64 "/%" PRIu64, l.run, l.cases[1]);
    CHECK_OK(trailstore_batch_call(batch, route, "{\"comment\": \"see the screenshot\"}", &out));
    int64_t result = json_int(out, "id");
    trailstore_string_free(out);
    uint64_t shot = 0, log = 0;
    snprintf(route, sizeof route, "add_attachment_to_result/%" PRId64, result);
    CHECK_OK(trailstore_batch_attachment_add_bytes(batch, route, "shot.png",
                                                   (const uint8_t *)"\x89PNG", 4, &shot));
    char *file = join(l.dir, "console.log");
    write_file(file, (const uint8_t *)"boot ok\n", 8);
    CHECK_OK(trailstore_batch_attachment_add_file(batch, route, file, &log));
    /* The batch sees them; a write beside it on this thread is BUSY, with nothing kept. */
    snprintf(route, sizeof route, "get_attachment/%" PRIu64, shot);
    CHECK_OK(trailstore_batch_call(batch, route, NULL, &out));
    CHECK(json_str_is(out, "name", "shot.png"));
    trailstore_string_free(out);
    uint64_t busy = 777;
    case_route(&l, route, sizeof route);
    CHECK_STATUS(trailstore_attachment_add_bytes(l.store, route, "beside.txt",
                                                 (const uint8_t *)"b", 1, &busy),
                 TRAILSTORE_STATUS_BUSY);
    CHECK_STATUS(trailstore_attachment_add_file(l.store, route, file, &busy),
                 TRAILSTORE_STATUS_BUSY);
    CHECK(busy == 777);
    /* A refused upload leaves the batch as it was. */
    CHECK_STATUS(trailstore_batch_attachment_add_bytes(batch, "add_attachment_to_case/999999",
                                                       "a.txt", (const uint8_t *)"a", 1, &busy),
                 TRAILSTORE_STATUS_NOT_FOUND);
    CHECK_OK(trailstore_batch_commit(batch));
    /* A committed batch takes no more. */
    CHECK_STATUS(trailstore_batch_attachment_add_bytes(batch, route, "late.txt",
                                                       (const uint8_t *)"l", 1, &busy),
                 TRAILSTORE_STATUS_CLOSED);
    CHECK_STATUS(trailstore_batch_attachment_add_file(batch, route, file, &busy),
                 TRAILSTORE_STATUS_CLOSED);
    CHECK(busy == 777);
    trailstore_batch_free(batch);
    check_bytes(l.store, l.dir, shot, (const uint8_t *)"\x89PNG", 4);
    check_bytes(l.store, l.dir, log, (const uint8_t *)"boot ok\n", 8);
    /* One entry for the result, one per upload. */
    CHECK(journal_len(l.store) == journal + 3);

    /* Rolled back: neither the attachment nor its entry. */
    uint64_t dropped = 0;
    CHECK_OK(trailstore_batch_begin(l.store, &batch));
    CHECK_OK(trailstore_batch_attachment_add_file(batch, route, file, &dropped));
    CHECK_OK(trailstore_batch_rollback(batch));
    trailstore_batch_free(batch);
    char id_s[32];
    id_text(dropped, id_s, sizeof id_s);
    uint64_t size = 777;
    CHECK_STATUS(trailstore_attachment_size(l.store, id_s, &size), TRAILSTORE_STATUS_NOT_FOUND);
    CHECK(size == 777);
    CHECK(journal_len(l.store) == journal + 3);

    /* Freed open: rolled back too. */
    CHECK_OK(trailstore_batch_begin(l.store, &batch));
    CHECK_OK(trailstore_batch_attachment_add_bytes(batch, route, "x.txt", (const uint8_t *)"x", 1,
                                                   &dropped));
    trailstore_batch_free(batch);
    snprintf(body, sizeof body, "get_attachments_for_case/%" PRIu64, l.cases[0]);
    CHECK_OK(trailstore_store_call(l.store, body, NULL, &out));
    CHECK(json_int(out, "size") == 0);
    trailstore_string_free(out);
    free(file);
    lab_close(&l);
}

static void the_same_bytes_are_stored_once_and_go_with_their_owner(void) {
    struct lab l;
    lab_open(&l);
    char route[128];
    uint8_t *data = pattern(64 * 1024, 7);
    char *path = join(l.dir, "same.bin");
    write_file(path, data, 64 * 1024);

    /* The same bytes on the result (from a file), the run and the case (from memory): three
     * attachments, one file. */
    uint64_t on_result = 0, on_run = 0, on_case = 0;
    snprintf(route, sizeof route, "add_attachment_to_result/%" PRIu64, l.result);
    CHECK_OK(trailstore_attachment_add_file(l.store, route, path, &on_result));
    CHECK(files_under(l.attachments) == 1);
    snprintf(route, sizeof route, "add_attachment_to_run/%" PRIu64, l.run);
    CHECK_OK(trailstore_attachment_add_bytes(l.store, route, "again.bin", data, 64 * 1024, &on_run));
    case_route(&l, route, sizeof route);
    CHECK_OK(trailstore_attachment_add_bytes(l.store, route, "third.bin", data, 64 * 1024,
                                             &on_case));
    CHECK(on_result != on_run && on_run != on_case && on_result != on_case);
    CHECK(files_under(l.attachments) == 1);
    /* Other bytes are another file. */
    uint64_t other = 0;
    CHECK_OK(trailstore_attachment_add_bytes(l.store, route, "other.bin", (const uint8_t *)"o", 1,
                                             &other));
    CHECK(files_under(l.attachments) == 2);

    /* Deleting the run deletes its results and every attachment of both; the case's copy still
     * names the bytes, so the file stays. */
    char *out = NULL;
    snprintf(route, sizeof route, "delete_run/%" PRIu64, l.run);
    CHECK_OK(trailstore_store_call(l.store, route, NULL, &out));
    trailstore_string_free(out);
    uint64_t size = 777;
    char id_s[32];
    id_text(on_result, id_s, sizeof id_s);
    CHECK_STATUS(trailstore_attachment_size(l.store, id_s, &size), TRAILSTORE_STATUS_NOT_FOUND);
    id_text(on_run, id_s, sizeof id_s);
    CHECK_STATUS(trailstore_attachment_size(l.store, id_s, &size), TRAILSTORE_STATUS_NOT_FOUND);
    CHECK(size == 777);
    CHECK(files_under(l.attachments) == 2);
    check_bytes(l.store, l.dir, on_case, data, 64 * 1024);

    /* Deleting the case takes its last attachments, and with them both files. */
    snprintf(route, sizeof route, "delete_case/%" PRIu64, l.cases[0]);
    CHECK_OK(trailstore_store_call(l.store, route, NULL, &out));
    trailstore_string_free(out);
    id_text(on_case, id_s, sizeof id_s);
    CHECK_STATUS(trailstore_attachment_size(l.store, id_s, &size), TRAILSTORE_STATUS_NOT_FOUND);
    id_text(other, id_s, sizeof id_s);
    CHECK_STATUS(trailstore_attachment_size(l.store, id_s, &size), TRAILSTORE_STATUS_NOT_FOUND);
    CHECK(files_under(l.attachments) == 0);
    free(path);
    free(data);
    lab_close(&l);
}

static void every_pointer_argument_may_be_null_and_strings_must_be_utf8(void) {
    struct lab l;
    lab_open(&l);
    char route[128];
    case_route(&l, route, sizeof route);
    char *file = join(l.dir, "f.txt");
    write_file(file, (const uint8_t *)"f", 1);
    uint64_t id = 0;
    CHECK_OK(trailstore_attachment_add_file(l.store, route, file, &id));
    char id_s[32];
    id_text(id, id_s, sizeof id_s);
    long journal = journal_len(l.store);
    const uint8_t *d = (const uint8_t *)"d";
    uint64_t u = 777;
    size_t z = 777;
    uint8_t buf[4];
    char *target = join(l.dir, "out.bin");
    const char *bad = "add_attachment_to_case/\xff";

#define REFUSED(expr, status, field)                                                               \
    do {                                                                                           \
        CHECK_STATUS(expr, status);                                                                \
        CHECK_FIELD(field);                                                                        \
        CHECK(u == 777 && z == 777);                                                               \
    } while (0)
    const trailstore_status N = TRAILSTORE_STATUS_NULL_ARGUMENT, U = TRAILSTORE_STATUS_INVALID_UTF8;

    REFUSED(trailstore_attachment_add_file(NULL, route, file, &u), N, "store");
    REFUSED(trailstore_attachment_add_file(l.store, NULL, file, &u), N, "route");
    REFUSED(trailstore_attachment_add_file(l.store, route, NULL, &u), N, "path");
    REFUSED(trailstore_attachment_add_file(l.store, route, file, NULL), N, "out_id");
    REFUSED(trailstore_attachment_add_file(l.store, bad, file, &u), U, "route");

    REFUSED(trailstore_attachment_add_bytes(NULL, route, "n", d, 1, &u), N, "store");
    REFUSED(trailstore_attachment_add_bytes(l.store, NULL, "n", d, 1, &u), N, "route");
    REFUSED(trailstore_attachment_add_bytes(l.store, route, NULL, d, 1, &u), N, "name");
    REFUSED(trailstore_attachment_add_bytes(l.store, route, "n", NULL, 1, &u), N, "data");
    REFUSED(trailstore_attachment_add_bytes(l.store, route, "n", d, 1, NULL), N, "out_id");
    REFUSED(trailstore_attachment_add_bytes(l.store, bad, "n", d, 1, &u), U, "route");
    REFUSED(trailstore_attachment_add_bytes(l.store, route, "caf\xe9.txt", d, 1, &u), U, "name");

    REFUSED(trailstore_attachment_size(NULL, id_s, &u), N, "store");
    REFUSED(trailstore_attachment_size(l.store, NULL, &u), N, "attachment_id");
    REFUSED(trailstore_attachment_size(l.store, id_s, NULL), N, "out_size");
    REFUSED(trailstore_attachment_size(l.store, "1\xff", &u), U, "attachment_id");

    REFUSED(trailstore_attachment_read(NULL, id_s, buf, 4, &z), N, "store");
    REFUSED(trailstore_attachment_read(l.store, NULL, buf, 4, &z), N, "attachment_id");
    REFUSED(trailstore_attachment_read(l.store, id_s, NULL, 4, &z), N, "buf");
    REFUSED(trailstore_attachment_read(l.store, id_s, buf, 4, NULL), N, "out_len");
    REFUSED(trailstore_attachment_read(l.store, "\xc3\x28", buf, 4, &z), U, "attachment_id");

    REFUSED(trailstore_attachment_save(NULL, id_s, target, &u), N, "store");
    REFUSED(trailstore_attachment_save(l.store, NULL, target, &u), N, "attachment_id");
    REFUSED(trailstore_attachment_save(l.store, id_s, NULL, &u), N, "path");
    REFUSED(trailstore_attachment_save(l.store, id_s, target, NULL), N, "out_size");
    REFUSED(trailstore_attachment_save(l.store, "\x80", target, &u), U, "attachment_id");
    CHECK(!exists(target));

    trailstore_batch *batch = NULL;
    CHECK_OK(trailstore_batch_begin(l.store, &batch));
    REFUSED(trailstore_batch_attachment_add_file(NULL, route, file, &u), N, "batch");
    REFUSED(trailstore_batch_attachment_add_file(batch, NULL, file, &u), N, "route");
    REFUSED(trailstore_batch_attachment_add_file(batch, route, NULL, &u), N, "path");
    REFUSED(trailstore_batch_attachment_add_file(batch, route, file, NULL), N, "out_id");
    REFUSED(trailstore_batch_attachment_add_file(batch, bad, file, &u), U, "route");
    REFUSED(trailstore_batch_attachment_add_bytes(NULL, route, "n", d, 1, &u), N, "batch");
    REFUSED(trailstore_batch_attachment_add_bytes(batch, NULL, "n", d, 1, &u), N, "route");
    REFUSED(trailstore_batch_attachment_add_bytes(batch, route, NULL, d, 1, &u), N, "name");
    REFUSED(trailstore_batch_attachment_add_bytes(batch, route, "n", NULL, 1, &u), N, "data");
    REFUSED(trailstore_batch_attachment_add_bytes(batch, route, "n", d, 1, NULL), N, "out_id");
    REFUSED(trailstore_batch_attachment_add_bytes(batch, route, "\xff", d, 1, &u), U, "name");
    CHECK_OK(trailstore_batch_commit(batch));
    trailstore_batch_free(batch);
#undef REFUSED

    /* NULL data with length 0 is an empty file. */
    CHECK_OK(trailstore_attachment_add_bytes(l.store, route, "empty", NULL, 0, &u));
    CHECK(u != 777);
    CHECK(journal_len(l.store) == journal + 1);
    free(target);
    free(file);
    lab_close(&l);
}

int main(int argc, char **argv) {
    static const struct test tests[] = {
        TEST(empty_one_byte_and_5_mb_round_trip_through_every_function),
        TEST(odd_names_are_kept_and_bad_ones_refused),
        TEST(a_file_name_that_is_not_utf8_is_refused_naming_path),
        TEST(over_256_mb_is_refused_with_nothing_written),
        TEST(a_buffer_too_small_writes_nothing_and_says_the_size),
        TEST(unknown_ids_owners_routes_and_files_are_refused),
        TEST(uploads_inside_a_batch_commit_or_roll_back_with_it),
        TEST(the_same_bytes_are_stored_once_and_go_with_their_owner),
        TEST(every_pointer_argument_may_be_null_and_strings_must_be_utf8),
    };
    return RUN_TESTS(tests);
}
