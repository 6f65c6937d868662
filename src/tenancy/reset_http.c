/*
 * reset_http.c: a forgotten password, reset by mail (docs/accounts.md).
 *
 * POST /api/v1/auth/password-reset {email} answers 202 whatever the
 * address: whether an account has it is not told (the same statements run
 * up to the insert either way). When an account that may reset has it, a
 * password_resets row and the job that mails its link are one transaction
 * (account_mail.h); the token is made as the mail goes, stored as its
 * SHA-256, used once, for 30 minutes. Requests count against the login's
 * limits: the per-client budget, and the backoff of (client address, e-mail
 * address); an account gets at most RESET_PER_WINDOW mails in the 30
 * minutes, whoever asks, so nobody turns slipway into a mail bomb.
 *
 * POST /api/v1/auth/password-reset/confirm {token, password}: the new hash,
 * the reset used (and the account's other pending ones), every token of the
 * account revoked (sessions and API tokens: whoever knew the old password
 * is out) and the audit row are one transaction. Refused for a disabled
 * account (409), and for an account every tenant of which requires single
 * sign-on unless it is one's break-glass owner (403 sso_required): such an
 * account signs in at its identity provider, which resets passwords itself.
 * Both routes 404 when the instance sends no mail (SLIPWAY_SMTP_URL unset).
 */
#include "core/clock.h"
#include "core/ratelimit.h"
#include "core/rand.h"
#include "core/utf8.h"
#include "crypto/hash.h"
#include "crypto/token.h"
#include "tenancy/account_mail.h"
#include "tenancy/accounts.h"
#include "tenancy/audit.h"
#include "tenancy/tenancy.h"
#include "tenancy/tenancy_http.h"

#define RESET_TTL_MS (30LL * 60 * 1000)
#define RESET_PER_WINDOW 3
#define RESET_INVALID "this reset link is not valid: it may have been used, or have expired; ask for a new one"

SCHEMA(
    password_reset_schema,
    {.name = "email", .kind = FIELD_STRING, .required = true, .min = 3, .max = EMAIL_MAX, .check = check_email, .format = "email"});
SCHEMA(password_reset_confirm_schema, {.name = "token", .kind = FIELD_STRING, .required = true, .min = 1, .max = 128},
       {.name = "password", .kind = FIELD_STRING, .required = true, .min = 8, .max = 1024});

struct reset_tx {
    const struct request *req;
    char email[EMAIL_SIZE];
};

/* The account's id and whether it is disabled; ERR_NOT_FOUND when no account has the address. */
static enum err_code account_state(struct store_conn *c, const char *email, char id[UUID_SIZE], bool *disabled, struct err *err)
{
    struct store_stmt *st;
    int found;

    if (store_select(c, "SELECT id, disabledAt FROM accounts WHERE email = ?", STORE_ARGS(STORE_TEXT(email)), &st, err))
        return err->code;
    found = store_next(st, err);
    if (found == 1) {
        snprintf(id, UUID_SIZE, "%s", store_col_text(st, 0));
        *disabled = !store_col_null(st, 1);
    }
    store_finish(st);
    if (found < 0)
        return err->code;
    return found ? ERR_OK : err_set(err, ERR_NOT_FOUND, "no account");
}

static enum err_code reset_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct reset_tx *t = ctx;
    char account[UUID_SIZE], id[UUID_SIZE], now[TIMESTAMP_SIZE], since[TIMESTAMP_SIZE], expires[TIMESTAMP_SIZE];
    int64_t at = clock_now_ms(), recent = 0;
    bool disabled = false, ok = false;

    if (account_state(c, t->email, account, &disabled, err) == ERR_NOT_FOUND) {
        err_clear(err);
        return ERR_OK; /* no account: no mail, the same answer */
    }
    clock_format(at, now);
    clock_format(at - RESET_TTL_MS, since);
    clock_format(at + RESET_TTL_MS, expires);
    if (err->code || account_may_use_password(c, account, &ok, err) ||
        store_int(c, "SELECT COUNT(*) FROM password_resets WHERE accountId = ? AND createdAt > ?",
                  STORE_ARGS(STORE_TEXT(account), STORE_TIME(since)), &recent, err))
        return err->code;
    if (disabled || !ok || recent >= RESET_PER_WINDOW)
        return ERR_OK;
    rand_uuid(id);
    if (store_run(c, "INSERT INTO password_resets (id, accountId, createdAt, expiresAt) VALUES (?, ?, ?, ?)",
                  STORE_ARGS(STORE_TEXT(id), STORE_TEXT(account), STORE_TIME(now), STORE_TIME(expires)), NULL, err) ||
        account_mail_enqueue_in(c, ACCOUNT_MAIL_RESET, NULL, id, err))
        return err->code;
    return audit_write(c, t->req,
                       &(struct audit_event){.action = "auth.password.reset.request",
                                             .target_type = "account",
                                             .target_id = account,
                                             .actor_id = account,
                                             .actor_email = t->email},
                       err);
}

/* The login's limits: the client address's budget, and (with email) the backoff of (client address, e-mail address). */
static enum err_code refuse_too_many(const struct request *req, const char *email, struct err *err)
{
    const struct tenancy_env *env = tenancy();
    char addr[64];
    int wait = 0;

    auth_client_key(req->ip, addr, sizeof addr);
    if (!ratelimit_hit(env->login_limit, addr, env->login_rate * 10, &wait)) {
        err->retry_after = wait;
        return err_set(err, ERR_RATE_LIMITED, "too many attempts; try again in %d seconds", err->retry_after);
    }
    return email ? auth_backoff_check(req, email, err) : ERR_OK;
}

enum err_code auth_password_reset(struct request *req, struct err *err)
{
    struct reset_tx t = {.req = req};
    struct store_conn *db;

    if (!account_mail_on())
        return err_set(err, ERR_NOT_FOUND, "this instance sends no mail (SLIPWAY_SMTP_URL): ask an owner or the administrator");
    account_email_normalize(json_string_value(json_object_get(req->body, "email")), t.email, sizeof t.email);
    if (refuse_too_many(req, t.email, err) || request_db(req, &db, err) || store_tx(db, reset_body, &t, err))
        return err->code;
    account_mail_nudge();
    response_json(req, 202, json_pack("{s:s}", "status", "if an account has this address, a reset link is on its way"));
    return ERR_OK;
}

/* ---- the new password ---- */

struct confirm_tx {
    const struct request *req;
    char token_hash[SHA256_HEX_SIZE];
    char password_hash[PASSWORD_HASH_SIZE];
    int64_t revoked;
};

static enum err_code confirm_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct confirm_tx *t = ctx;
    char id[UUID_SIZE], account[UUID_SIZE], email[EMAIL_SIZE], now[TIMESTAMP_SIZE];
    struct store_stmt *st;
    bool disabled = false, ok = false;
    int64_t used = 0;
    int found;

    clock_now(now);
    if (store_select(c,
                     "SELECT r.id, a.id, a.email, a.disabledAt FROM password_resets r JOIN accounts a ON a.id = r.accountId "
                     "WHERE r.tokenHash = ? AND r.usedAt IS NULL AND r.expiresAt > ?",
                     STORE_ARGS(STORE_TEXT(t->token_hash), STORE_TIME(now)), &st, err))
        return err->code;
    found = store_next(st, err);
    if (found == 1) {
        snprintf(id, sizeof id, "%s", store_col_text(st, 0));
        snprintf(account, sizeof account, "%s", store_col_text(st, 1));
        utf8_copy(email, sizeof email, store_col_text(st, 2));
        disabled = !store_col_null(st, 3);
    }
    store_finish(st);
    if (found < 0)
        return err->code;
    if (found == 0)
        return err_set(err, ERR_NOT_FOUND, RESET_INVALID);
    if (disabled)
        return err_set(err, ERR_CONFLICT, "this account is disabled: ask the instance's administrator");
    if (account_may_use_password(c, account, &ok, err))
        return err->code;
    if (!ok)
        return err_set(err, ERR_SSO_REQUIRED,
                       "this account signs in with its organisation's single sign-on, which keeps its password");
    if (store_run(c, "UPDATE password_resets SET usedAt = ? WHERE id = ? AND usedAt IS NULL",
                  STORE_ARGS(STORE_TIME(now), STORE_TEXT(id)), &used, err))
        return err->code;
    if (used != 1) /* a concurrent confirm of the same token won */
        return err_set(err, ERR_NOT_FOUND, RESET_INVALID);
    if (store_run(c, "UPDATE password_resets SET usedAt = ? WHERE accountId = ? AND usedAt IS NULL",
                  STORE_ARGS(STORE_TIME(now), STORE_TEXT(account)), NULL, err) ||
        store_run(c, "UPDATE accounts SET passwordHash = ?, updatedAt = ? WHERE id = ?",
                  STORE_ARGS(STORE_TEXT(t->password_hash), STORE_TIME(now), STORE_TEXT(account)), NULL, err) ||
        store_run(c, "UPDATE api_tokens SET revokedAt = ? WHERE accountId = ? AND revokedAt IS NULL",
                  STORE_ARGS(STORE_TIME(now), STORE_TEXT(account)), &t->revoked, err))
        return err->code;
    return audit_write(c, t->req,
                       &(struct audit_event){.action = "auth.password.reset",
                                             .target_type = "account",
                                             .target_id = account,
                                             .actor_id = account,
                                             .actor_email = email},
                       err);
}

/* Runs on the hashing pool. */
static void confirm_finish(struct request *req)
{
    const char *token = json_string_value(json_object_get(req->body, "token"));
    char *password = (char *)json_string_value(json_object_get(req->body, "password"));
    struct confirm_tx t = {.req = req};
    struct store_conn *db;
    struct err err;

    err_clear(&err);
    token_hash(token, t.token_hash); /* well formed (auth_password_reset_confirm) */
    if (password_hash(&tenancy()->pw, password, t.password_hash, &err) == ERR_OK && request_db(req, &db, &err) == ERR_OK &&
        store_tx(db, confirm_body, &t, &err) == ERR_OK)
        response_json(req, 200, json_pack("{s:I}", "tokensRevoked", (json_int_t)t.revoked));
    hash_cleanse(password, strlen(password));
    hash_cleanse(req->raw.data, req->raw.len);
    hash_cleanse(t.password_hash, sizeof t.password_hash);
    if (err.code)
        response_error(req, &err);
}

enum err_code auth_password_reset_confirm(struct request *req, struct err *err)
{
    if (!reset_token_well_formed(json_string_value(json_object_get(req->body, "token")))) {
        err_detail(err, "token", "is not a reset token (slwr_ and 43 base64url characters)");
        return err_set(err, ERR_INVALID, "the token is not a reset token: copy the link from the mail whole");
    }
    if (!account_mail_on())
        return err_set(err, ERR_NOT_FOUND, "this instance sends no mail (SLIPWAY_SMTP_URL): there is no password reset");
    if (refuse_too_many(req, NULL, err))
        return err->code;
    return request_defer(req, tenancy()->hash_pool, confirm_finish, err);
}
