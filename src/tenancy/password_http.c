/*
 * password_http.c: changing one's own password (docs/accounts.md).
 *
 * PUT /api/v1/me/password {currentPassword, newPassword}: the current one
 * must be right (an account with no password, made by single sign-on, sets
 * none here: it has no current one to prove). The new hash, the end of every
 * other token of the account (a stolen session dies with the old password;
 * the caller's own stays) and the audit row are one transaction. Both
 * passwords are hashed or checked on the hashing pool, and wiped from the
 * parsed body and the raw buffer once done. Wrong attempts count against
 * the login backoff of (client address, the account's e-mail address), so
 * a stolen session cannot guess the password faster than a login could.
 */
#include "core/clock.h"
#include "core/ratelimit.h"
#include "crypto/hash.h"
#include "tenancy/accounts.h"
#include "tenancy/audit.h"
#include "tenancy/tenancy.h"
#include "tenancy/tenancy_http.h"

SCHEMA(password_change_schema, {.name = "currentPassword", .kind = FIELD_STRING, .required = true, .min = 1, .max = 1024},
       {.name = "newPassword", .kind = FIELD_STRING, .required = true, .min = 8, .max = 1024});

struct password_tx {
    const struct request *req;
    char hash[PASSWORD_HASH_SIZE];
    int64_t revoked;
};

static enum err_code password_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct password_tx *t = ctx;
    const struct principal *who = principal_of(t->req);
    char now[TIMESTAMP_SIZE];
    json_t *details;
    enum err_code rc;

    clock_now(now);
    if (store_run(c, "UPDATE accounts SET passwordHash = ?, updatedAt = ? WHERE id = ?",
                  STORE_ARGS(STORE_TEXT(t->hash), STORE_TIME(now), STORE_TEXT(who->account_id)), NULL, err) ||
        store_run(c, "UPDATE api_tokens SET revokedAt = ? WHERE accountId = ? AND id <> ? AND revokedAt IS NULL",
                  STORE_ARGS(STORE_TIME(now), STORE_TEXT(who->account_id), STORE_TEXT(who->token_id)), &t->revoked, err))
        return err->code;
    details = json_pack("{s:I}", "tokensRevoked", (json_int_t)t->revoked);
    rc = audit_write(
        c, t->req,
        &(struct audit_event){
            .action = "auth.password.change", .target_type = "account", .target_id = who->account_id, .details = details},
        err);
    json_decref(details);
    return rc;
}

/* Runs on the hashing pool. */
static void password_finish(struct request *req)
{
    char *current = (char *)json_string_value(json_object_get(req->body, "currentPassword"));
    char *next = (char *)json_string_value(json_object_get(req->body, "newPassword"));
    char key[AUTH_BACKOFF_KEY_SIZE];
    struct password_tx t = {.req = req};
    struct account me = {0};
    struct store_conn *db;
    struct err err;
    bool allowed = false;

    err_clear(&err);
    if (request_db(req, &db, &err) || accounts_find_by_email(db, principal_of(req)->email, &me, &err))
        goto out;
    if (!me.password_hash[0]) {
        err_set(&err, ERR_CONFLICT, "this account signs in with single sign-on and has no password to change");
        goto out;
    }
    if (account_may_use_password(db, me.id, &allowed, &err))
        goto out;
    if (!allowed) {
        err_set(&err, ERR_SSO_REQUIRED, "every organisation of this account requires its single sign-on: it sets no password");
        goto out;
    }
    auth_backoff_key(req, principal_of(req)->email, key); /* the caller's guesses count as its logins' */
    if (!password_verify(&tenancy()->pw, me.password_hash, current)) {
        err_detail(&err, "currentPassword", "is not this account's password");
        err_set(&err, ERR_INVALID, "the current password is wrong");
        goto out;
    }
    ratelimit_forget(tenancy()->login_backoff, key);
    if (password_hash(&tenancy()->pw, next, t.hash, &err) || store_tx(db, password_body, &t, &err))
        goto out;
    response_json(req, 200, json_pack("{s:I}", "tokensRevoked", (json_int_t)t.revoked));
out:
    hash_cleanse(current, strlen(current));
    hash_cleanse(next, strlen(next));
    hash_cleanse(req->raw.data, req->raw.len);
    hash_cleanse(me.password_hash, sizeof me.password_hash);
    hash_cleanse(t.hash, sizeof t.hash);
    if (err.code)
        response_error(req, &err);
}

enum err_code me_password_change(struct request *req, struct err *err)
{
    const struct tenancy_env *env = tenancy();
    char key[AUTH_BACKOFF_KEY_SIZE];
    int wait = 0;

    auth_backoff_key(req, principal_of(req)->email, key); /* the caller's guesses count as its logins' */
    if (!ratelimit_backoff(env->login_backoff, key, env->login_rate, &wait)) {
        err->retry_after = wait;
        return err_set(err, ERR_RATE_LIMITED, "too many wrong passwords; try again in %d seconds", err->retry_after);
    }
    return request_defer(req, env->hash_pool, password_finish, err);
}
