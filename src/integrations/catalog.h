/*
 * catalog.h: where integrations of each category are stored, derived from
 * the provider registry.
 *
 * A category is a table (document 002's typed tables plus test management
 * and code signing): its slug in paths, its table and type column. What a
 * type is (its fields, which are secret, its rules) is the provider's
 * (src/providers/); catalog_init walks the registry and derives each
 * category's columns (the union of its providers' fields and computed
 * fields) and the SQL over them, so the providers are the one source of
 * truth. Generic code walks these to store, encrypt, mask and describe
 * integrations (GET /api/v1/integration-types) without naming a provider;
 * a unit test checks the migration's tables have the derived columns.
 */
#ifndef SLIPWAY_CATALOG_H
#define SLIPWAY_CATALOG_H

#include <jansson.h>

#include "providers/registry.h"

#define CATALOG_MAX_COLUMNS 40

struct category {
    enum category_id id;
    const char *slug;        /* in paths: "scm", "targets", ... */
    const char *table;       /* tenant_scm_integrations */
    const char *type_column; /* scmType */
    const char *display;

    /* Derived by catalog_init: every config column, the computed ones (NULL-terminated), and the SQL over them. */
    const struct field *columns[CATALOG_MAX_COLUMNS];
    size_t ncolumns;
    const char *computed[CATALOG_MAX_COLUMNS + 1];
    char *sql_insert, *sql_update, *sql_select, *sql_list, *sql_delete;
    /* Verification: the current status, a verdict recorded, overdue VALID rows, a claim on one of them. */
    char *sql_status, *sql_verdict, *sql_overdue, *sql_ids;
    /* Per secret column (NULL for the others), for key checks and rotation (rekey.c). */
    char *sql_key_ids[CATALOG_MAX_COLUMNS], *sql_secret_page[CATALOG_MAX_COLUMNS], *sql_secret_swap[CATALOG_MAX_COLUMNS],
        *sql_secret_current[CATALOG_MAX_COLUMNS];
};

/* Builds the registry's schemas, then each category's columns and SQL; call once at start-up. Aborts on an inconsistent table. */
void catalog_init(void);

const struct category *category_by_slug(const char *slug);
const struct category *category_get(enum category_id id);

/* The descriptor of every enabled type, for GET /api/v1/integration-types. Caller owns. */
json_t *catalog_describe(void);

#endif
