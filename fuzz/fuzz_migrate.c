/*
 * fuzz_migrate.c: migration files as the migration runner reads them.
 *
 * The file names (NNNN_name.up.sql with a matching .down.sql) are checked
 * at build time by cmake/embed_migrations.cmake; what the binary parses is
 * each file's content (a ";"-separated script run by the store) and the
 * history table it writes and reads back (versions, names, checksums,
 * dirty marks). So the input is a directory of migrations:
 *
 *     <version> <name>\n<up script>\n%\n<down script>\n%%\n<next migration>...
 *
 * and each input runs up, status, check, down and up again on a fresh
 * SQLite database. Whatever the scripts do (even to the history tables),
 * the runner must answer with an error, not crash; a failed step leaves a
 * dirty mark that the next check refuses.
 *
 * SQLite is fenced in: ATTACH and VACUUM (which could write files), long
 * strings and endless statements are refused by an authorizer, limits and a
 * progress handler set on every connection the store opens.
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz.h"
#include "core/log.h"
#include "store/migrate.h"

#define MAX_INPUT 16384
#define MAX_MIGRATIONS 8
#define STEP_BUDGET 200000L

static long steps_left;
static char db_path[256], db_url[300];

static int deny_files(void *ctx, int action, const char *a, const char *b, const char *c, const char *d)
{
    (void)ctx, (void)a, (void)b, (void)c, (void)d;
    return action == SQLITE_ATTACH || action == SQLITE_DETACH ? SQLITE_DENY : SQLITE_OK;
}

static int budget(void *ctx)
{
    (void)ctx;
    return --steps_left < 0;
}

static int fence(sqlite3 *db, char **errmsg, const void *api)
{
    (void)errmsg, (void)api;
    sqlite3_set_authorizer(db, deny_files, NULL);
    sqlite3_progress_handler(db, 100, budget, NULL);
    sqlite3_limit(db, SQLITE_LIMIT_LENGTH, 1 << 20);
    sqlite3_limit(db, SQLITE_LIMIT_SQL_LENGTH, 1 << 20);
    sqlite3_limit(db, SQLITE_LIMIT_COMPOUND_SELECT, 16);
    return SQLITE_OK;
}

static void remove_db(void)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char p[300];
    for (size_t i = 0; i < ARRAY_LEN(suffixes); i++) {
        snprintf(p, sizeof p, "%s%s", db_path, suffixes[i]);
        unlink(p);
    }
}

/* True when text holds word, in any case. */
static bool has_word(const char *text, const char *word)
{
    size_t n = strlen(word);
    for (; *text; text++) {
        size_t i = 0;
        while (i < n && text[i] && (text[i] | 0x20) == word[i])
            i++;
        if (i == n)
            return true;
    }
    return false;
}

static int by_version(const void *a, const void *b)
{
    const struct migration *x = a, *y = b;
    return (x->version > y->version) - (x->version < y->version);
}

/* Splits text (modified in place) into migrations; returns how many, or -1 if it is not a directory of them. */
static int parse(char *text, struct migration *out)
{
    int n = 0;
    char *next;

    for (char *m = text; m && n < MAX_MIGRATIONS; m = next) {
        char *end = strstr(m, "\n%%\n"), *nl, *sep, *name;
        long version;

        next = end ? end + 4 : NULL;
        if (end)
            *end = '\0';
        nl = strchr(m, '\n');
        if (!nl)
            return -1;
        *nl = '\0';
        version = strtol(m, &name, 10);
        if (version < 1 || version > 9999 || *name != ' ')
            return -1;
        sep = strstr(nl + 1, "\n%\n");
        if (sep)
            *sep = '\0';
        out[n] = (struct migration){(int)version, name + 1, nl + 1, sep ? sep + 3 : ""};
        for (int i = 0; i < n; i++)
            if (out[i].version == out[n].version)
                return -1;
        n++;
    }
    qsort(out, (size_t)n, sizeof *out, by_version);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    struct migration items[MAX_MIGRATIONS];
    struct migration_set set = {"sqlite", items, 0};
    struct store *s = NULL;
    struct err err;
    char *text;
    int n, done = 0, pending = -1;
    FILE *devnull;

    if (!ready) {
        log_set_level(LOG_ERROR);
        sqlite3_auto_extension((void (*)(void))fence);
        snprintf(db_path, sizeof db_path, "%s/slipway-fuzz-migrate-%ld.db", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
                 (long)getpid());
        snprintf(db_url, sizeof db_url, "sqlite://%s", db_path);
        migrate_lease_seconds = 60;
        ready = true;
    }
    if (size > MAX_INPUT)
        return 0;
    text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    /* VACUUM INTO writes a file: the one statement the authorizer cannot refuse. */
    if (strlen(text) != size || has_word(text, "vacuum") || (n = parse(text, items)) <= 0) {
        free(text);
        return 0;
    }
    set.count = (size_t)n;
    remove_db();
    steps_left = STEP_BUDGET;
    err_clear(&err);
    if (store_open(db_url, NULL, &s, &err) == ERR_OK) {
        devnull = fopen("/dev/null", "w");
        if (migrate_up(s, &set, &done, &err) == ERR_OK) {
            CHECK(done <= n);
            if (migrate_check(s, &set, &pending, &err) == ERR_OK)
                CHECK(pending >= 0 && pending <= n);
        } else {
            CHECK(err.code != ERR_OK && err.message[0] != '\0');
        }
        err_clear(&err);
        migrate_status(s, &set, devnull, &err);
        err_clear(&err);
        if (migrate_down(s, &set, n, &done, &err) == ERR_OK)
            migrate_up(s, &set, &done, &err);
        fclose(devnull);
        store_close(s);
    }
    remove_db();
    free(text);
    return 0;
}
