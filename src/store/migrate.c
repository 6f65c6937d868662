#define _POSIX_C_SOURCE 200809L
#include "store/migrate.h"

#include <ctype.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/rand.h"
#include "core/xmalloc.h"
#include "crypto/hash.h"

int migrate_lease_seconds = 300;

/* The history tables, the same on every database; created before anything else. */
static const char history_ddl[] = "CREATE TABLE IF NOT EXISTS schema_migrations (\n"
                                  " version INTEGER PRIMARY KEY,\n"
                                  " name VARCHAR(255) NOT NULL,\n"
                                  " checksum CHAR(64) NOT NULL,\n"
                                  " appliedAt VARCHAR(24) NOT NULL,\n"
                                  " durationMs INTEGER NOT NULL DEFAULT 0,\n"
                                  " dirty BOOLEAN NOT NULL DEFAULT FALSE);\n"
                                  "CREATE TABLE IF NOT EXISTS schema_migrations_lease (\n"
                                  " id INTEGER PRIMARY KEY,\n"
                                  " owner VARCHAR(255) NOT NULL,\n"
                                  " expiresAt VARCHAR(24) NOT NULL);\n";

struct applied {
    int version;
    char name[256];
    char checksum[SHA256_HEX_SIZE];
    bool dirty;
};

#define APPLIED_MAX 1024

struct history {
    struct applied rows[APPLIED_MAX];
    int count;
};

const struct migration_set *migrate_set_for(const struct store *s)
{
    static const struct migration_set empty = {"none", NULL, 0};
    const char *name = store_dialect_name(store_dialect(s));
    for (size_t i = 0; i < migration_sets_count; i++)
        if (strcmp(migration_sets[i].dialect, name) == 0)
            return &migration_sets[i];
    return &empty;
}

static void checksum(const struct migration *m, char out[SHA256_HEX_SIZE])
{
    hash_sha256_hex(m->up, strlen(m->up), out);
}

/* True when the rest of the line after p is blank, or a "--" comment. */
static bool line_ends(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\r')
        p++;
    return *p == '\n' || *p == '\0' || (p[0] == '-' && p[1] == '-');
}

/* True when [p, p + n) holds nothing but blanks and "--" comments. */
static bool only_comments(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '-' && i + 1 < n && p[i + 1] == '-') {
            while (i < n && p[i] != '\n')
                i++;
        } else if (!isspace((unsigned char)p[i])) {
            return false;
        }
    }
    return true;
}

size_t migrate_split(const char *sql, struct migrate_statement *out, size_t max)
{
    enum { CODE, QUOTED, DOLLAR, COMMENT } state = CODE;
    const char *start = sql;
    size_t n = 0;

    for (const char *p = sql;; p++) {
        bool end = *p == '\0';
        if (!end) {
            switch (state) {
            case QUOTED:
                if (*p == '\'')
                    state = CODE;
                continue;
            case DOLLAR:
                if (p[0] == '$' && p[1] == '$') {
                    state = CODE;
                    p++;
                }
                continue;
            case COMMENT:
                if (*p == '\n')
                    state = CODE;
                continue;
            case CODE:
                if (*p == '\'')
                    state = QUOTED;
                else if (p[0] == '$' && p[1] == '$')
                    state = DOLLAR, p++;
                else if (p[0] == '-' && p[1] == '-')
                    state = COMMENT;
                else if (*p == ';' && line_ends(p + 1))
                    end = true;
                break;
            }
            if (!end)
                continue;
        }
        if (!only_comments(start, (size_t)(p - start))) {
            if (n < max)
                out[n] = (struct migrate_statement){start, (size_t)(p - start)};
            n++;
        }
        if (*p == '\0')
            return n;
        start = p + 1;
    }
}

static enum err_code statement_body(struct store_conn *c, void *ctx, struct err *err)
{
    return store_exec_script(c, ctx, err);
}

/* Runs the statements of a script one by one, each in a transaction of its own. */
static enum err_code exec_each(struct store_conn *c, const char *sql, struct err *err)
{
    struct migrate_statement parts[MIGRATE_STATEMENTS_MAX];
    size_t n = migrate_split(sql, parts, ARRAY_LEN(parts));

    if (n > ARRAY_LEN(parts))
        return err_set(err, ERR_INTERNAL, "a migration has more than %d statements", MIGRATE_STATEMENTS_MAX);
    for (size_t i = 0; i < n; i++) {
        char *one = xstrndup(parts[i].sql, parts[i].len);
        enum err_code rc = store_tx(c, statement_body, one, err);
        free(one);
        if (rc)
            return rc;
    }
    return ERR_OK;
}

static enum err_code ensure_history(struct store_conn *c, struct err *err)
{
    return exec_each(c, history_ddl, err);
}

static enum err_code load_history(struct store_conn *c, struct history *h, struct err *err)
{
    struct store_stmt *st;
    int rc;

    h->count = 0;
    if (store_select(c, "SELECT version, name, checksum, dirty FROM schema_migrations ORDER BY version", STORE_NO_ARGS, &st, err))
        return err->code;
    while ((rc = store_next(st, err)) == 1 && h->count < APPLIED_MAX) {
        struct applied *a = &h->rows[h->count++];
        a->version = (int)store_col_int(st, 0);
        snprintf(a->name, sizeof a->name, "%s", store_col_text(st, 1));
        snprintf(a->checksum, sizeof a->checksum, "%s", store_col_text(st, 2));
        a->dirty = store_col_bool(st, 3);
    }
    store_finish(st);
    return rc < 0 ? err->code : ERR_OK;
}

static const struct migration *find(const struct migration_set *set, int version)
{
    for (size_t i = 0; i < set->count; i++)
        if (set->items[i].version == version)
            return &set->items[i];
    return NULL;
}

static const struct applied *find_applied(const struct history *h, int version)
{
    for (int i = 0; i < h->count; i++)
        if (h->rows[i].version == version)
            return &h->rows[i];
    return NULL;
}

/* Fails on a dirty mark, a changed file, or a migration this binary does not know. */
static enum err_code check_history(const struct migration_set *set, const struct history *h, struct err *err)
{
    for (int i = 0; i < h->count; i++) {
        const struct applied *a = &h->rows[i];
        const struct migration *m = find(set, a->version);
        char sum[SHA256_HEX_SIZE];

        if (a->dirty)
            return err_set(err, ERR_CONFLICT,
                           "migration %04d_%s failed partway and is marked dirty: undo its partial changes by hand, "
                           "then run `slipway migrate repair`",
                           a->version, a->name);
        if (!m)
            return err_set(err, ERR_CONFLICT,
                           "the database has migration %04d_%s, which this slipway binary does not know (is it older than "
                           "the one that migrated the database?)",
                           a->version, a->name);
        checksum(m, sum);
        if (strcmp(sum, a->checksum) != 0)
            return err_set(err, ERR_CONFLICT,
                           "migration %04d_%s was changed after it was applied (checksum %.12s... in the database, %.12s... "
                           "in this binary); applied migrations must never be edited: add a new one",
                           a->version, a->name, a->checksum, sum);
    }
    return ERR_OK;
}

struct lease {
    char owner[128];
};

static void lease_times(char now[TIMESTAMP_SIZE], char until[TIMESTAMP_SIZE])
{
    int64_t t = clock_now_ms();
    clock_format(t, now);
    clock_format(t + (int64_t)migrate_lease_seconds * 1000, until);
}

static enum err_code lease_acquire(struct store_conn *c, struct lease *l, struct err *err)
{
    char host[64] = "host", id[UUID_SIZE], now[TIMESTAMP_SIZE], until[TIMESTAMP_SIZE];
    int64_t changes = 0;

    gethostname(host, sizeof host - 1);
    rand_uuid(id);
    snprintf(l->owner, sizeof l->owner, "%.60s:%ld:%.8s", host, (long)getpid(), id);
    lease_times(now, until);
    if (store_run(c, "UPDATE schema_migrations_lease SET owner = ?, expiresAt = ? WHERE id = 1 AND (expiresAt < ? OR owner = ?)",
                  STORE_ARGS(STORE_TEXT(l->owner), STORE_TEXT(until), STORE_TEXT(now), STORE_TEXT(l->owner)), &changes, err))
        return err->code;
    if (changes == 1)
        return ERR_OK;
    if (store_run(c, "INSERT INTO schema_migrations_lease (id, owner, expiresAt) VALUES (1, ?, ?)",
                  STORE_ARGS(STORE_TEXT(l->owner), STORE_TEXT(until)), NULL, err) == ERR_OK)
        return ERR_OK;
    if (err->code == ERR_CONFLICT)
        return err_set(err, ERR_CONFLICT,
                       "another process holds the migration lease (see schema_migrations_lease); wait for it to finish or "
                       "for the lease to expire");
    return err->code;
}

static enum err_code lease_renew(struct store_conn *c, const struct lease *l, struct err *err)
{
    char now[TIMESTAMP_SIZE], until[TIMESTAMP_SIZE];
    int64_t changes = 0;

    lease_times(now, until);
    if (store_run(c, "UPDATE schema_migrations_lease SET expiresAt = ? WHERE id = 1 AND owner = ?",
                  STORE_ARGS(STORE_TEXT(until), STORE_TEXT(l->owner)), &changes, err))
        return err->code;
    if (changes != 1)
        return err_set(err, ERR_CONFLICT, "the migration lease was lost (it expired and another process took it)");
    return ERR_OK;
}

static void lease_release(struct store_conn *c, const struct lease *l)
{
    struct err ignored;
    store_run(c, "DELETE FROM schema_migrations_lease WHERE id = 1 AND owner = ?", STORE_ARGS(STORE_TEXT(l->owner)), NULL,
              &ignored);
}

struct step {
    const struct migration *m;
    bool up;
    int64_t started;
};

static enum err_code record_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct step *s = ctx;
    char now[TIMESTAMP_SIZE];

    if (!s->up)
        return store_run(c, "DELETE FROM schema_migrations WHERE version = ?", STORE_ARGS(STORE_INT(s->m->version)), NULL, err);
    clock_now(now);
    return store_run(
        c, "UPDATE schema_migrations SET dirty = ?, appliedAt = ?, durationMs = ? WHERE version = ?",
        STORE_ARGS(STORE_BOOL(false), STORE_TEXT(now), STORE_INT(clock_mono_ms() - s->started), STORE_INT(s->m->version)), NULL,
        err);
}

/* Transactional DDL (SQLite): the whole file and its history row in one transaction. */
static enum err_code whole_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct step *s = ctx;

    if (store_exec_script(c, s->up ? s->m->up : s->m->down, err))
        return err->code;
    return record_body(c, ctx, err);
}

/*
 * Otherwise (PostgreSQL, CockroachDB, MySQL) each statement in a
 * transaction of its own, then the history row; a failure partway leaves
 * the dirty mark.
 */
static enum err_code apply_step(struct store_conn *c, struct step *s, struct err *err)
{
    if (store_transactional_ddl(store_conn_store(c)))
        return store_tx(c, whole_body, s, err);
    if (exec_each(c, s->up ? s->m->up : s->m->down, err))
        return err->code;
    return store_tx(c, record_body, s, err);
}

/* Marks the migration dirty (committed on its own), then runs it and clears the mark in one transaction. */
static enum err_code run_step(struct store_conn *c, const struct migration *m, bool up, struct err *err)
{
    struct step s = {m, up, clock_mono_ms()};
    char sum[SHA256_HEX_SIZE], now[TIMESTAMP_SIZE];

    checksum(m, sum);
    clock_now(now);
    if (up ? store_run(
                 c,
                 "INSERT INTO schema_migrations (version, name, checksum, appliedAt, durationMs, dirty) VALUES (?, ?, ?, ?, 0, ?)",
                 STORE_ARGS(STORE_INT(m->version), STORE_TEXT(m->name), STORE_TEXT(sum), STORE_TEXT(now), STORE_BOOL(true)), NULL,
                 err)
           : store_run(c, "UPDATE schema_migrations SET dirty = ? WHERE version = ?",
                       STORE_ARGS(STORE_BOOL(true), STORE_INT(m->version)), NULL, err))
        return err->code;
    if (apply_step(c, &s, err)) {
        log_error("migrate: %s of %04d_%s failed; it is marked dirty", up ? "up" : "down", m->version, m->name);
        return err_set(err, err->code,
                       "migration %04d_%s (%s) failed; it is marked dirty: fix the database, then run `slipway migrate repair`",
                       m->version, m->name, up ? "up" : "down");
    }
    log_info("migrate: %s %04d_%s in %lld ms", up ? "applied" : "reverted", m->version, m->name,
             (long long)(clock_mono_ms() - s.started));
    return ERR_OK;
}

/* Shared frame of up and down: connection, history table, lease, checks. */
struct session {
    struct store_conn *c;
    struct lease lease;
    struct history h;
};

static enum err_code session_open(struct store *s, const struct migration_set *set, struct session *ss, bool lease, struct err *err)
{
    ss->c = NULL;
    if (store_conn_get(s, &ss->c, err))
        return err->code;
    if (ensure_history(ss->c, err) || (lease && lease_acquire(ss->c, &ss->lease, err)))
        goto fail;
    if (load_history(ss->c, &ss->h, err) || check_history(set, &ss->h, err)) {
        if (lease)
            lease_release(ss->c, &ss->lease);
        goto fail;
    }
    return ERR_OK;
fail:
    store_conn_put(ss->c);
    ss->c = NULL;
    return err->code;
}

static void session_close(struct session *ss, bool lease)
{
    if (lease)
        lease_release(ss->c, &ss->lease);
    store_conn_put(ss->c);
}

/* The next migration to run: the first pending one going up, the last applied one going down; NULL when done. */
static const struct migration *next_step(const struct migration_set *set, const struct history *h, bool up, int done)
{
    if (!up)
        return done < h->count ? find(set, h->rows[h->count - 1 - done].version) : NULL;
    for (size_t i = 0; i < set->count; i++)
        if (!find_applied(h, set->items[i].version) && done-- == 0)
            return &set->items[i];
    return NULL;
}

/* Runs up to `steps` migrations in one direction, under the lease. */
static enum err_code migrate(struct store *s, const struct migration_set *set, bool up, int steps, int *done, struct err *err)
{
    struct session *ss = calloc(1, sizeof *ss);
    const struct migration *m;
    int n = 0;

    err_clear(err);
    if (!ss)
        return err_set(err, ERR_INTERNAL, "out of memory");
    if (session_open(s, set, ss, true, err) == ERR_OK) {
        while (n < steps && (m = next_step(set, &ss->h, up, n)) != NULL) {
            if (lease_renew(ss->c, &ss->lease, err) || run_step(ss->c, m, up, err))
                break;
            n++;
        }
        session_close(ss, true);
    }
    free(ss);
    if (done)
        *done = n;
    return err->code;
}

enum err_code migrate_up(struct store *s, const struct migration_set *set, int *applied, struct err *err)
{
    return migrate(s, set, true, INT32_MAX, applied, err);
}

enum err_code migrate_down(struct store *s, const struct migration_set *set, int steps, int *reverted, struct err *err)
{
    return migrate(s, set, false, steps, reverted, err);
}

enum err_code migrate_check(struct store *s, const struct migration_set *set, int *pending, struct err *err)
{
    struct session *ss = calloc(1, sizeof *ss);
    int n = 0;
    err_clear(err);

    if (!ss)
        return err_set(err, ERR_INTERNAL, "out of memory");
    if (session_open(s, set, ss, false, err) == ERR_OK) {
        for (size_t i = 0; i < set->count; i++)
            if (!find_applied(&ss->h, set->items[i].version))
                n++;
        session_close(ss, false);
    }
    free(ss);
    *pending = n;
    return err->code;
}

enum err_code migrate_status(struct store *s, const struct migration_set *set, FILE *out, struct err *err)
{
    struct store_conn *c;
    struct store_stmt *st;
    int rc;
    err_clear(err);

    if (store_conn_get(s, &c, err))
        return err->code;
    if (ensure_history(c, err))
        goto out;
    fprintf(out, "database: %s\n", store_dialect_name(store_dialect(s)));
    /* Applied (and dirty, changed, unknown) rows first, as the database has them. */
    if (store_select(c, "SELECT version, name, checksum, appliedAt, durationMs, dirty FROM schema_migrations ORDER BY version",
                     STORE_NO_ARGS, &st, err))
        goto out;
    while ((rc = store_next(st, err)) == 1) {
        int version = (int)store_col_int(st, 0);
        const struct migration *m = find(set, version);
        const char *state = "applied";
        char sum[SHA256_HEX_SIZE];

        if (store_col_bool(st, 5))
            state = "dirty";
        else if (!m)
            state = "unknown (newer binary?)";
        else if (checksum(m, sum), strcmp(sum, store_col_text(st, 2)) != 0)
            state = "changed";
        fprintf(out, "%04d_%-32s %-24s %s (%lld ms)\n", version, store_col_text(st, 1), state, store_col_text(st, 3),
                (long long)store_col_int(st, 4));
    }
    store_finish(st);
    if (rc < 0)
        goto out;
    for (size_t i = 0; i < set->count; i++) {
        const struct migration *m = &set->items[i];
        int64_t found = 0;
        if (store_select(c, "SELECT COUNT(*) FROM schema_migrations WHERE version = ?", STORE_ARGS(STORE_INT(m->version)), &st,
                         err))
            goto out;
        if (store_next(st, err) == 1)
            found = store_col_int(st, 0);
        store_finish(st);
        if (!found)
            fprintf(out, "%04d_%-32s %-24s\n", m->version, m->name, "pending");
    }
out:
    store_conn_put(c);
    return err->code;
}

enum err_code migrate_repair(struct store *s, int *cleared, struct err *err)
{
    struct store_conn *c;
    int64_t n = 0;
    err_clear(err);

    if (store_conn_get(s, &c, err))
        return err->code;
    if (ensure_history(c, err) == ERR_OK)
        store_run(c, "DELETE FROM schema_migrations WHERE dirty = ?", STORE_ARGS(STORE_BOOL(true)), &n, err);
    store_conn_put(c);
    *cleared = (int)n;
    return err->code;
}
