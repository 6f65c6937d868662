#include "tenancy/tokens.h"

#include "core/clock.h"
#include "core/rand.h"

enum err_code tokens_issue(struct store_conn *c, const char *account_id, const char *sso_tenant, const char *name, int64_t ttl_ms,
                           struct issued_token *t, struct err *err)
{
    char hash[SHA256_HEX_SIZE];
    int64_t now = clock_now_ms(), disabled = 0;

    /* Every way in (a password, single sign-on, an invitation, a new token) ends here: a disabled account gets none. */
    if (store_int(c, "SELECT COUNT(*) FROM accounts WHERE id = ? AND disabledAt IS NOT NULL", STORE_ARGS(STORE_TEXT(account_id)),
                  &disabled, err))
        return err->code;
    if (disabled)
        return err_set(err, ERR_BAD_CREDENTIALS, "this account is disabled: ask the instance administrator");
    rand_uuid(t->id);
    token_generate(t->token);
    token_hash(t->token, hash);
    memcpy(t->prefix, t->token, TOKEN_PREFIX_LEN);
    t->prefix[TOKEN_PREFIX_LEN] = '\0';
    clock_format(now, t->created_at);
    t->expires_at[0] = '\0';
    if (ttl_ms > 0)
        clock_format(now + ttl_ms, t->expires_at);
    return store_run(c,
                     "INSERT INTO api_tokens (id, accountId, name, tokenHash, prefix, createdAt, expiresAt, ssoTenantId) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     STORE_ARGS(STORE_TEXT(t->id), STORE_TEXT(account_id), STORE_TEXT(name), STORE_TEXT(hash),
                                STORE_TEXT(t->prefix), STORE_TIME(t->created_at),
                                STORE_TIME(t->expires_at[0] ? t->expires_at : NULL),
                                STORE_TEXT(sso_tenant && sso_tenant[0] ? sso_tenant : NULL)),
                     NULL, err);
}

json_t *issued_token_json(const struct issued_token *t, const char *name, bool with_secret)
{
    json_t *j =
        json_pack("{s:s, s:s, s:s, s:s, s:n, s:o, s:n}", "id", t->id, "name", name, "prefix", t->prefix, "createdAt", t->created_at,
                  "lastUsedAt", "expiresAt", t->expires_at[0] ? json_string(t->expires_at) : json_null(), "revokedAt");
    if (with_secret)
        json_object_set_new(j, "token", json_string(t->token));
    return j;
}
