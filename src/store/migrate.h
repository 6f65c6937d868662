/*
 * migrate.h: schema migrations, embedded in the binary at build time.
 *
 * Each dialect has its own ordered set from migrations/<dialect>/
 * NNNN_name.up.sql and .down.sql. The history table schema_migrations keeps
 * version, name, SHA-256 of the up file, applied time and duration, and a
 * dirty mark. Rules:
 *  - an applied migration whose file changed is refused (checksum);
 *  - a migration is marked dirty before it runs and cleaned in the same
 *    transaction that applies it, so a failure (even a partial one on a
 *    database without transactional DDL) leaves the mark, and every later
 *    run refuses until `slipway migrate repair`;
 *  - a lease row in schema_migrations_lease (owner, expiry), not an
 *    advisory lock, keeps two processes from migrating at once.
 */
#ifndef SLIPWAY_MIGRATE_H
#define SLIPWAY_MIGRATE_H

#include "core/common.h"
#include "core/err.h"
#include "store/store.h"

struct migration {
    int version;
    const char *name;
    const char *up;
    const char *down;
};

struct migration_set {
    const char *dialect;
    const struct migration *items; /* ascending versions */
    size_t count;
};

/* The embedded sets (generated from migrations/). */
extern const struct migration_set migration_sets[];
extern const size_t migration_sets_count;

/* The embedded set for the store's dialect (an empty set if there is none). */
const struct migration_set *migrate_set_for(const struct store *s);

/* Applies every pending migration; *applied (may be NULL) counts them. */
enum err_code migrate_up(struct store *s, const struct migration_set *set, int *applied, struct err *err);
/* Reverts the last `steps` applied migrations. */
enum err_code migrate_down(struct store *s, const struct migration_set *set, int steps, int *reverted, struct err *err);
/* Prints applied, pending, changed and dirty migrations. */
enum err_code migrate_status(struct store *s, const struct migration_set *set, FILE *out, struct err *err);
/*
 * For `serve`: fails when the schema is dirty, changed, or from a newer
 * binary; *pending gets the number of migrations not yet applied.
 */
enum err_code migrate_check(struct store *s, const struct migration_set *set, int *pending, struct err *err);
/* Forgets dirty marks (after the operator has undone a partial migration by hand). */
enum err_code migrate_repair(struct store *s, int *cleared, struct err *err);

/*
 * A migration file's statements: each ends at a ";" that is the last
 * non-blank character of its line (but for a "--" comment), outside
 * quotes, $$ blocks and comments (so a trigger body on one line, or a function in $$, stays
 * whole). Fills out[0..max) and returns how many there are (possibly more
 * than max); statements that are only comments are skipped.
 */
struct migrate_statement {
    const char *sql; /* not NUL-terminated */
    size_t len;
};
#define MIGRATE_STATEMENTS_MAX 256
size_t migrate_split(const char *sql, struct migrate_statement *out, size_t max);

/* Seconds a lease lasts unless renewed (tests shorten it). */
extern int migrate_lease_seconds;

#endif
