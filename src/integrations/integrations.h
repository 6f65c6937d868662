/*
 * integrations.h: storing and reading integrations of any category,
 * walking the catalog's descriptors. Secret fields are encrypted here, in
 * C, bound to tenant, table, column and row, and decrypted only into
 * memory that integration_row_free() wipes.
 */
#ifndef SLIPWAY_INTEGRATIONS_H
#define SLIPWAY_INTEGRATIONS_H

#include "crypto/secret.h"
#include "http/request.h"
#include "integrations/catalog.h"
#include "tenancy/roles.h"

/* One stored integration. config holds plaintext (secrets too, when decrypted): free it with integration_row_free. */
struct integration_row {
    const struct category *cat;
    const struct provider *prov;
    char id[UUID_SIZE], tenant_id[UUID_SIZE];
    char status[16];
    char last_verified_at[TIMESTAMP_SIZE]; /* empty: never */
    char *last_error;                      /* may be NULL */
    char configured_by[UUID_SIZE];
    char created_at[TIMESTAMP_SIZE], updated_at[TIMESTAMP_SIZE];
    json_t *config;     /* input fields, by API name (secrets only when loaded with decrypt) */
    json_t *computed;   /* read-only derived fields */
    json_t *unreadable; /* names of secrets that did not decrypt */
    json_t *saved_at;   /* when each secret was last written: {field: RFC 3339 time}, maybe empty */
};

void integration_row_free(struct integration_row *r);

/* Reads one row of the tenant; ERR_NOT_FOUND when the id is not in this category for this tenant. */
enum err_code integration_load(struct store_conn *c, const struct keyring *keys, const struct category *cat, const char *tenant_id,
                               const char *id, bool decrypt, struct integration_row **out, struct err *err);
/* Reads the row at the statement's cursor (a category's sql_select or sql_list). Caller frees. */
struct integration_row *integration_from_stmt(struct store_stmt *st, const struct keyring *keys, const struct category *cat,
                                              bool decrypt);

/* The API view: secrets masked for owners, left out for everyone else. Caller owns. */
json_t *integration_json(const struct integration_row *r, enum role role);

struct integration_write {
    struct store_conn *c;
    const struct request *req; /* for the audit row; may be NULL */
    const struct keyring *keys;
    const char *tenant_id, *account_id;
    const struct category *cat;
    const char *id; /* NULL: create */
    json_t *body;   /* create: type and fields; update: the fields to change (null clears) */
    bool audit;
    char out_id[UUID_SIZE];
};

/*
 * Validates (every problem at once), merges with the stored row on update,
 * checks references, encrypts secrets and writes the row. Run it inside a
 * transaction. ERR_INVALID, ERR_CONFLICT (unique key), ERR_NOT_FOUND,
 * ERR_UNAVAILABLE (no encryption key).
 */
enum err_code integration_write(struct integration_write *w, struct err *err);

/*
 * Checks a configuration (a create body without storing it) in place:
 * defaults, the type's schema and rules. config gains its "type".
 */
enum err_code integration_validate(const struct provider *p, json_t *config, struct err *err);

/* Pipelines: their SCM connection and target must be the tenant's own, of a type the pipeline can use. Adds details. */
void integration_check_references(struct store_conn *c, const char *tenant_id, const struct provider *p, json_t *config,
                                  struct err *err);

/*
 * What runs inside the transaction that deletes an integration, before its row goes, with the keyring its credentials
 * are read with: the stores module has a target's webhook deleted at its store (src/stores/hooks.c). Set once at
 * start-up, before the routes serve; NULL: none. integration_deleting runs it (ERR_OK without one).
 */
typedef enum err_code (*integrations_deleting_fn)(struct store_conn *c, const struct keyring *keys, const struct category *cat,
                                                  const char *tenant_id, const char *id, struct err *err);
void integrations_on_delete(integrations_deleting_fn fn);
enum err_code integration_deleting(struct store_conn *c, const struct keyring *keys, const struct category *cat,
                                   const char *tenant_id, const char *id, struct err *err);

/* Deletes one row; ERR_CONFLICT listing the pipelines that still use it. Run inside a transaction. */
enum err_code integration_delete(struct store_conn *c, const struct request *req, const struct category *cat, const char *tenant_id,
                                 const char *id, struct err *err);

/*
 * What an owner sees of a secret field f: "****" and the last four
 * characters when the secret has at least 12; a PEM key instead says what
 * it is, how its text ends and, when saved_at (an RFC 3339 time) is known,
 * the day it was added ("P-256 EC key ending \u2026AbC=, added on
 * 2026-06-12"). Caller owns.
 */
json_t *secret_mask(const struct field *f, const char *plain, const char *saved_at);

#endif
