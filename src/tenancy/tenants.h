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
 * it inside a transaction. req may be NULL (command line).
 */
enum err_code tenants_create(struct store_conn *c, const struct request *req, const char *org_name, const char *owner_id,
                             const char *owner_email, struct tenant *t, struct err *err);

/* {id, orgName, role, createdAt, updatedAt}. Caller owns. */
json_t *tenant_json(const char *id, const char *org_name, const char *role, const char *created_at, const char *updated_at);

#endif
