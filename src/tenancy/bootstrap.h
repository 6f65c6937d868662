/*
 * bootstrap.h: the first account (the instance administrator), tenant and owner token of an empty
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
 * ERR_CONFLICT otherwise. email must already be valid. The account is the
 * instance administrator. A token only with_token: for a caller that shows
 * it (`slipway admin bootstrap` prints it); serve's first start shows the
 * password alone, so it leaves no credential that nobody has seen.
 */
enum err_code bootstrap_run(struct store *s, const struct password_params *pw, const char *email, const char *name, const char *org,
                            bool with_token, struct bootstrap *b, struct err *err);
void bootstrap_wipe(struct bootstrap *b);

#endif
