#include "tenancy/bootstrap.h"

#include "crypto/hash.h"
#include "tenancy/audit.h"

struct bootstrap_tx {
    struct bootstrap *b;
    const char *org;
    bool with_token;
};

static enum err_code body(struct store_conn *c, void *ctx, struct err *err)
{
    struct bootstrap_tx *t = ctx;
    struct bootstrap *b = t->b;
    struct store_stmt *st;
    int64_t accounts = 0;
    int rc;

    if (store_select(c, "SELECT COUNT(*) FROM accounts", STORE_NO_ARGS, &st, err))
        return err->code;
    rc = store_next(st, err);
    if (rc == 1)
        accounts = store_col_int(st, 0);
    store_finish(st);
    if (rc < 0)
        return err->code;
    if (accounts > 0)
        return err_set(err, ERR_CONFLICT, "the database already has accounts: bootstrap is only for an empty one");
    /* The first account administers the instance (docs/accounts.md). */
    if (accounts_insert(c, &b->account, err) ||
        store_run(c, "UPDATE accounts SET instanceAdmin = TRUE WHERE id = ?", STORE_ARGS(STORE_TEXT(b->account.id)), NULL, err) ||
        tenants_create(c, NULL, t->org, b->account.id, b->account.email, &b->tenant, err) ||
        (t->with_token && tokens_issue(c, b->account.id, NULL, "bootstrap", 0, &b->token, err)))
        return err->code;
    return audit_write(c, NULL,
                       &(struct audit_event){.tenant_id = b->tenant.id,
                                             .action = "admin.bootstrap",
                                             .target_type = "account",
                                             .target_id = b->account.id,
                                             .actor_id = b->account.id,
                                             .actor_email = b->account.email},
                       err);
}

enum err_code bootstrap_run(struct store *s, const struct password_params *pw, const char *email, const char *name, const char *org,
                            bool with_token, struct bootstrap *b, struct err *err)
{
    struct bootstrap_tx t = {b, org, with_token};
    struct store_conn *c;

    memset(b, 0, sizeof *b);
    account_email_normalize(email, b->account.email, sizeof b->account.email);
    account_name_or_default(name, b->account.email, b->account.name, sizeof b->account.name);
    password_generate(b->password);
    if (password_hash(pw, b->password, b->account.password_hash, err) || store_conn_get(s, &c, err))
        return err->code;
    store_tx(c, body, &t, err);
    store_conn_put(c);
    return err->code;
}

void bootstrap_wipe(struct bootstrap *b)
{
    hash_cleanse(b->password, sizeof b->password);
    hash_cleanse(b->token.token, sizeof b->token.token);
}
