/*
 * auth_http.c: login, logout and "who am I".
 *
 * A login spends ~85 ms in argon2id, so it runs on the hashing pool
 * (request_defer): HTTP workers stay free for everyone else, and a full
 * pool answers 503 instead of queueing without bound.
 *
 * Attempts are limited before any hashing happens (docs/api.md "Login
 * limits"), and never per e-mail address alone: a limit that everyone
 * shares would let anyone lock the owner out by guessing wrong on purpose.
 *  - per e-mail address and client address together: SLIPWAY_LOGIN_RATE
 *    attempts pass, then each waits twice as long as the one before (1, 2,
 *    4, 8, then 16 minutes); a login that succeeds forgets them;
 *  - per client address: ten times SLIPWAY_LOGIN_RATE attempts a minute,
 *    whatever the e-mail addresses (spraying).
 * A client address is the IPv4 address, or the IPv6 /64 (one host has a
 * whole /64 to pick addresses from).
 */
#include <arpa/inet.h>

#include "core/clock.h"
#include "core/ratelimit.h"
#include "crypto/hash.h"
#include "tenancy/accounts.h"
#include "tenancy/audit.h"
#include "tenancy/auth.h"
#include "tenancy/session.h"
#include "tenancy/tenancy.h"
#include "tenancy/tenancy_http.h"
#include "tenancy/tokens.h"

SCHEMA(login_schema,
       {.name = "email", .kind = FIELD_STRING, .required = true, .min = 3, .max = 254, .check = check_email, .format = "email"},
       {.name = "password", .kind = FIELD_STRING, .required = true, .min = 1, .max = 1024}, {.name = "cookie", .kind = FIELD_BOOL},
       {.name = "totpCode", .kind = FIELD_STRING, .min = 6, .max = 6},
       {.name = "recoveryCode", .kind = FIELD_STRING, .min = 1, .max = 64});

struct login_tx {
    const struct request *req;
    const struct account *account; /* NULL when no account has the e-mail address */
    const char *email;
    bool ok;
    int64_t ttl_ms;
    struct issued_token token;
    struct err factor; /* why the second factor refused a right password (totp_http.c) */
};

static enum err_code login_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct login_tx *t = ctx;

    err_clear(&t->factor);
    if (t->ok && totp_login_check(c, t->account->id, t->req->body, &t->factor)) {
        if (t->factor.code != ERR_TOTP_REQUIRED && t->factor.code != ERR_BAD_CREDENTIALS) {
            *err = t->factor;
            return err->code;
        }
        t->ok = false; /* the failed login is audited, and counts on the backoff like a wrong password */
    }
    if (t->ok && tokens_issue(c, t->account->id, NULL, "login", t->ttl_ms, &t->token, err))
        return err->code;
    return audit_write(c, t->req,
                       &(struct audit_event){.action = "auth.login",
                                             .target_type = "account",
                                             .target_id = t->account ? t->account->id : NULL,
                                             .failed = !t->ok,
                                             .actor_id = t->account ? t->account->id : NULL,
                                             .actor_email = t->email},
                       err);
}

void auth_client_key(const char *ip, char *out, size_t n)
{
    unsigned char a[16] = {0};
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

    if (inet_pton(AF_INET6, ip, a) != 1) {
        snprintf(out, n, "%s", ip);
        return;
    }
    if (memcmp(a, mapped, sizeof mapped) == 0) {
        inet_ntop(AF_INET, a + 12, out, (socklen_t)n);
        return;
    }
    memset(a + 8, 0, 8);
    inet_ntop(AF_INET6, a, out, (socklen_t)n);
    snprintf(out + strlen(out), n - strlen(out), "/64");
}

void auth_backoff_key(const struct request *req, const char *email, char out[AUTH_BACKOFF_KEY_SIZE])
{
    char addr[64];

    auth_client_key(req->ip, addr, sizeof addr);
    snprintf(out, AUTH_BACKOFF_KEY_SIZE, "%s\n%s", addr, email);
}

enum err_code auth_backoff_check(const struct request *req, const char *email, struct err *err)
{
    const struct tenancy_env *env = tenancy();
    char key[AUTH_BACKOFF_KEY_SIZE];
    int wait = 0;

    auth_backoff_key(req, email, key);
    if (!ratelimit_backoff(env->login_backoff, key, env->login_rate, &wait)) {
        err->retry_after = wait;
        return err_set(err, ERR_RATE_LIMITED, "too many attempts; try again in %d seconds", err->retry_after);
    }
    return ERR_OK;
}

/* This login's backoff key: the body's e-mail address, normalized. */
static void pair_key(const struct request *req, char out[AUTH_BACKOFF_KEY_SIZE])
{
    char email[EMAIL_SIZE];

    account_email_normalize(json_string_value(json_object_get(req->body, "email")), email, sizeof email);
    auth_backoff_key(req, email, out);
}

json_t *auth_session_answer(struct request *req, const struct issued_token *token, const struct account *a)
{
    json_t *answer = json_pack("{s:s, s:s, s:o}", "tokenId", token->id, "expiresAt", token->expires_at, "account",
                               account_json(a->id, a->email, a->name, a->created_at, a->updated_at));

    if (json_is_true(json_object_get(req->body, "cookie"))) {
        /* A browser session: the token goes into an HttpOnly cookie, never into the page. */
        char csrf[SHA256_HEX_SIZE];
        session_cookies_set(req, token->token, tenancy()->session_ttl, csrf);
        json_object_set_new(answer, "csrfToken", json_string(csrf));
    } else {
        json_object_set_new(answer, "token", json_string(token->token));
    }
    return answer;
}

/* Runs on the hashing pool. */
static void login_finish(struct request *req)
{
    const struct tenancy_env *env = tenancy();
    json_t *pw_json = json_object_get(req->body, "password");
    char *password = (char *)json_string_value(pw_json);
    char email[EMAIL_SIZE], pair[AUTH_BACKOFF_KEY_SIZE];
    struct account account;
    struct login_tx t = {.req = req, .email = email, .ttl_ms = (int64_t)env->session_ttl * 1000};
    struct store_conn *db;
    struct err err;

    err_clear(&err);
    account_email_normalize(json_string_value(json_object_get(req->body, "email")), email, sizeof email);
    if (request_db(req, &db, &err))
        goto out;
    if (accounts_find_by_email(db, email, &account, &err) == ERR_OK)
        t.account = &account;
    else if (err.code != ERR_NOT_FOUND)
        goto out;
    err_clear(&err);
    t.ok = password_verify(&env->pw, t.account && account.password_hash[0] ? account.password_hash : NULL, password);
    if (store_tx(db, login_body, &t, &err))
        goto out;
    if (!t.ok) {
        if (t.factor.code)
            err = t.factor;
        else
            err_set(&err, ERR_BAD_CREDENTIALS, "wrong e-mail address or password");
        goto out;
    }
    pair_key(req, pair); /* a login that succeeds forgets the wrong attempts before it */
    ratelimit_forget(env->login_backoff, pair);
    response_json(req, 200, auth_session_answer(req, &t.token, &account));
out:
    /* The password lives in the parsed body and the raw buffer: wipe both now. */
    hash_cleanse(password, strlen(password));
    hash_cleanse(req->raw.data, req->raw.len);
    hash_cleanse(t.token.token, sizeof t.token.token);
    if (err.code)
        response_error(req, &err);
}

enum err_code auth_login(struct request *req, struct err *err)
{
    const struct tenancy_env *env = tenancy();
    char addr[64], pair[AUTH_BACKOFF_KEY_SIZE];
    int wait = 0;

    auth_client_key(req->ip, addr, sizeof addr);
    pair_key(req, pair);
    if (!ratelimit_hit(env->login_limit, addr, env->login_rate * 10, &wait) ||
        !ratelimit_backoff(env->login_backoff, pair, env->login_rate, &wait)) {
        err->retry_after = wait;
        return err_set(err, ERR_RATE_LIMITED, "too many login attempts; try again in %d seconds", err->retry_after);
    }
    return request_defer(req, env->hash_pool, login_finish, err);
}

static enum err_code logout_body(struct store_conn *c, void *ctx, struct err *err)
{
    const struct request *req = ctx;
    char now[TIMESTAMP_SIZE];

    clock_now(now);
    if (store_run(c, "UPDATE api_tokens SET revokedAt = ? WHERE id = ? AND revokedAt IS NULL",
                  STORE_ARGS(STORE_TIME(now), STORE_TEXT(principal_of(req)->token_id)), NULL, err))
        return err->code;
    return audit_write(
        c, req, &(struct audit_event){.action = "auth.logout", .target_type = "token", .target_id = principal_of(req)->token_id},
        err);
}

enum err_code auth_logout(struct request *req, struct err *err)
{
    struct store_conn *db;

    if (request_db(req, &db, err) || store_tx(db, logout_body, req, err))
        return err->code;
    session_cookies_clear(req);
    response_empty(req, 204);
    return ERR_OK;
}

/*
 * The account, with whether it has a password and whether it may use one
 * (accounts.h: account_may_use_password): what the account page offers.
 */
enum err_code me_get(struct request *req, struct err *err)
{
    const struct principal *w = principal_of(req);
    struct store_conn *db;
    bool has = false, allowed = false;
    json_t *me;

    if (request_db(req, &db, err) || account_has_password(db, w->account_id, &has, err) ||
        account_may_use_password(db, w->account_id, &allowed, err))
        return err->code;
    me = account_json(w->account_id, w->email, w->name, w->created_at, w->updated_at);
    json_object_set_new(me, "hasPassword", json_boolean(has));
    json_object_set_new(me, "passwordAllowed", json_boolean(allowed));
    response_json(req, 200, me);
    return ERR_OK;
}
