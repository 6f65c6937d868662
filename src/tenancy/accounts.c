#include "tenancy/accounts.h"

#include "core/clock.h"
#include "core/rand.h"

void account_email_normalize(const char *email, char *out, size_t n)
{
    size_t len = utf8_copy(out, n, email);
    for (size_t i = 0; i < len; i++)
        if (out[i] >= 'A' && out[i] <= 'Z')
            out[i] = (char)(out[i] - 'A' + 'a');
}

void account_name_or_default(const char *name, const char *email, char *out, size_t n)
{
    size_t local = strcspn(email, "@"), most = utf8_offset(email, ACCOUNT_NAME_MAX);
    size_t len = local < most ? local : most;

    if (name)
        utf8_copy(out, n, name);
    else
        utf8_copy(out, len + 1 < n ? len + 1 : n, email);
}

enum err_code accounts_find_by_email(struct store_conn *c, const char *email, struct account *a, struct err *err)
{
    struct store_stmt *st;
    int rc;

    if (store_select(c, "SELECT id, email, name, passwordHash, createdAt, updatedAt FROM accounts WHERE email = ?",
                     STORE_ARGS(STORE_TEXT(email)), &st, err))
        return err->code;
    rc = store_next(st, err);
    if (rc == 1) {
        snprintf(a->id, sizeof a->id, "%s", store_col_text(st, 0));
        utf8_copy(a->email, sizeof a->email, store_col_text(st, 1));
        utf8_copy(a->name, sizeof a->name, store_col_text(st, 2));
        snprintf(a->password_hash, sizeof a->password_hash, "%s", store_col_null(st, 3) ? "" : store_col_text(st, 3));
        snprintf(a->created_at, sizeof a->created_at, "%s", store_col_text(st, 4));
        snprintf(a->updated_at, sizeof a->updated_at, "%s", store_col_text(st, 5));
    }
    store_finish(st);
    if (rc < 0)
        return err->code;
    return rc == 1 ? ERR_OK : err_set(err, ERR_NOT_FOUND, "no such account");
}

enum err_code accounts_insert(struct store_conn *c, struct account *a, struct err *err)
{
    rand_uuid(a->id);
    clock_now(a->created_at);
    memcpy(a->updated_at, a->created_at, sizeof a->updated_at);
    if (store_run(c, "INSERT INTO accounts (id, email, name, passwordHash, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?)",
                  STORE_ARGS(STORE_TEXT(a->id), STORE_TEXT(a->email), STORE_TEXT(a->name),
                             STORE_TEXT(a->password_hash[0] ? a->password_hash : NULL), STORE_TIME(a->created_at),
                             STORE_TIME(a->updated_at)),
                  NULL, err)) {
        if (err->code == ERR_CONFLICT)
            return err_set(err, ERR_CONFLICT, "an account with this e-mail address already exists");
        return err->code;
    }
    return ERR_OK;
}

json_t *account_json(const char *id, const char *email, const char *name, const char *created_at, const char *updated_at)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", id, "email", email, "name", name, "createdAt", created_at, "updatedAt",
                     updated_at);
}

/*
 * Two reads, no lock: a tenant turning its requirement on between them and
 * the caller's use of the answer is the same race as the turn coming a
 * moment later, and the token lookup of every request enforces it anyway.
 */
enum err_code account_may_use_password(struct store_conn *c, const char *account_id, bool *ok, struct err *err)
{
    int64_t members = 0, open = 0;

    if (store_int(c,
                  "SELECT COUNT(*) FROM tenant_members m JOIN tenants t ON t.id = m.tenantId "
                  "WHERE m.accountId = ? AND t.deletedAt IS NULL",
                  STORE_ARGS(STORE_TEXT(account_id)), &members, err) ||
        store_int(c,
                  "SELECT COUNT(*) FROM tenant_members m JOIN tenants t ON t.id = m.tenantId "
                  "WHERE m.accountId = ? AND t.deletedAt IS NULL AND (NOT t.ssoRequired OR t.breakGlassAccountId = ?)",
                  STORE_ARGS(STORE_TEXT(account_id), STORE_TEXT(account_id)), &open, err))
        return err->code;
    *ok = members == 0 || open > 0;
    return ERR_OK;
}

enum err_code account_has_password(struct store_conn *c, const char *account_id, bool *has, struct err *err)
{
    int64_t n = 0;

    if (store_int(c, "SELECT COUNT(*) FROM accounts WHERE id = ? AND passwordHash IS NOT NULL", STORE_ARGS(STORE_TEXT(account_id)),
                  &n, err))
        return err->code;
    *has = n > 0;
    return ERR_OK;
}
