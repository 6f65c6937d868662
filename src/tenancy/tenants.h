/*
 * tenants.h: creating a tenant (a team) with its first owner, shared by
 * POST /api/v1/tenants, the first start and `slipway admin bootstrap`.
 */
#ifndef SLIPWAY_TENANTS_H
#define SLIPWAY_TENANTS_H

#include "http/request.h"

struct tenant {
    char id[UUID_SIZE];
    char created_at[TIMESTAMP_SIZE];
};

/*
 * Inserts the tenant and owner's membership and audits tenant.create; run
 * it inside a transaction. req may be NULL (command line); owner_id NULL
 * makes a tenant with no member yet (the administrator's, whose first
 * owner is invited: admin_http.c), audited as req's caller's.
 */
enum err_code tenants_create(struct store_conn *c, const struct request *req, const char *org_name, const char *owner_id,
                             const char *owner_email, struct tenant *t, struct err *err);

/*
 * store_tx for work on one tenant's data. It first adds one to the tenant's
 * revision: that UPDATE locks the tenant's row (PostgreSQL, MySQL; SQLite's
 * BEGIN IMMEDIATE already holds the one write lock), so the writes of one
 * tenant take turns, and a body that reads and then writes (the setup's
 * "update the SCM connection if there is one", "keep an owner") sees every
 * earlier commit, at READ COMMITTED, without the false conflicts that
 * SERIALIZABLE's predicate locks report between tenants. And the new
 * revision tells every process that what it cached of the tenant is old
 * (auth reads the revision with the caller's role; see setup_get).
 */
enum err_code tenant_tx(struct store_conn *c, const char *tenant_id, store_tx_fn body, void *ctx, struct err *err);

/* {id, orgName, role, createdAt, updatedAt}. Caller owns. */
json_t *tenant_json(const char *id, const char *org_name, const char *role, const char *created_at, const char *updated_at);

#endif
