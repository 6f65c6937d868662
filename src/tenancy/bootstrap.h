/*
 * bootstrap.h: the first account, tenant and owner token of an empty
 * database (serve's first start and `slipway admin bootstrap`).
 */
#ifndef SLIPWAY_BOOTSTRAP_H
#define SLIPWAY_BOOTSTRAP_H

#include "crypto/password.h"
#include "tenancy/accounts.h"
#include "tenancy/tenants.h"
#include "tenancy/tokens.h"

struct bootstrap {
    struct account account;
    struct tenant tenant;
    char password[25];         /* generated; shown once, then wiped by bootstrap_wipe */
    struct issued_token token; /* likewise */
};

/*
 * Creates everything in one transaction, only while no account exists:
 * ERR_CONFLICT otherwise. email must already be valid.
 */
enum err_code bootstrap_run(struct store *s, const struct password_params *pw, const char *email, const char *name, const char *org,
                            struct bootstrap *b, struct err *err);
void bootstrap_wipe(struct bootstrap *b);

#endif
