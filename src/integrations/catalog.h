/*
 * catalog.h: every integration category and type, as data.
 *
 * A category is a table (document 002's typed tables plus test management
 * and code signing). A provider is one integration type: its category,
 * display name, feature flag, and fields (name = column = API field, kind,
 * required, limits, allowed values, format check, secret). Generic code
 * walks these descriptors to validate input, encrypt secret fields, mask
 * them on output, build the SQL of each table, and describe the types to
 * clients (GET /api/v1/integration-types). Only the hooks (a cross-field
 * check, later verification) are per-provider code.
 *
 * Invariant: a category's column list is derived from its providers'
 * fields at start-up (catalog_init), so the descriptors are the one source
 * of truth; a unit test checks the migration's tables have those columns.
 */
#ifndef SLIPWAY_CATALOG_H
#define SLIPWAY_CATALOG_H

#include <jansson.h>

#include "http/schema.h"

struct verification;
struct outbound_response;

enum category_id {
    CAT_SCM,
    CAT_TARGETS,
    CAT_PIPELINES,
    CAT_COMMUNICATION,
    CAT_TICKETS,
    CAT_TEST_MANAGEMENT,
    CAT_CODE_SIGNING,
    CAT__COUNT
};

#define CATALOG_MAX_COLUMNS 40

struct category {
    enum category_id id;
    const char *slug;        /* in paths: "scm", "targets", ... */
    const char *table;       /* tenant_scm_integrations */
    const char *type_column; /* scmType */
    const char *display;
    const struct field *common; /* fields every type of the category has */
    size_t ncommon;
    const char *const *computed; /* read-only columns filled by a provider hook, NULL-terminated */

    /* Derived by catalog_init: every config column, and the SQL over them. */
    const struct field *columns[CATALOG_MAX_COLUMNS];
    size_t ncolumns;
    char *sql_insert, *sql_update, *sql_select, *sql_list, *sql_delete;
    /* Verification: the current status, a verdict recorded, overdue VALID rows, a claim on one of them. */
    char *sql_status, *sql_verdict, *sql_overdue, *sql_ids;
    /* Per secret column (NULL for the others), for key checks and rotation (rekey.c). */
    char *sql_key_ids[CATALOG_MAX_COLUMNS], *sql_secret_page[CATALOG_MAX_COLUMNS], *sql_secret_swap[CATALOG_MAX_COLUMNS],
        *sql_secret_current[CATALOG_MAX_COLUMNS];
};

struct provider {
    const char *type; /* GITHUB */
    enum category_id category;
    const char *display;
    const char *flag; /* feature flag switching it off, or NULL */
    const struct field *fields;
    size_t nfields;
    /*
     * Cross-field rules and derived values, run on the merged
     * configuration before it is stored; may add details to err and fill
     * computed columns (for example a certificate's expiry).
     */
    void (*prepare)(json_t *config, struct err *err);
    /*
     * Fields prepare derives when they are absent (NULL-terminated, or NULL). An update that leaves one
     * alone derives it again from the updated configuration, unless its stored value was set by hand
     * (differs from what prepare derives from the stored configuration).
     */
    const char *const *derived;
    const char *kind;     /* in /api/v1/setup/verify-{kind} */
    const char *scm_type; /* pipelines that act through their SCM connection: the SCM type it must be, else NULL */
    /* Checks the credential with the provider (verify/verifiers.c); see verify/verify.h. */
    void (*verify)(struct verification *v, const struct outbound_response *res);

    struct schema schema; /* derived: common fields, the category's, then the provider's */
};

/* Builds derived columns, schemas and SQL; call once at start-up. Aborts on an inconsistent table. */
void catalog_init(void);

const struct category *category_by_slug(const char *slug);
const struct category *category_get(enum category_id id);
/* By type name; NULL if unknown. Disabled providers are still found (check provider_enabled). */
const struct provider *provider_by_type(const char *type);
const struct provider *provider_at(size_t i); /* NULL past the end */
const struct provider *provider_by_kind(const char *kind);
bool provider_enabled(const struct provider *p);

/* The descriptor of every enabled type, for GET /api/v1/integration-types. Caller owns. */
json_t *catalog_describe(void);

#endif
