/*
 * signup_http.c: open sign-up (docs/accounts.md), off unless
 * SLIPWAY_OPEN_SIGNUP is on: a new account, a tenant it owns and a login
 * token, in one transaction.
 *
 * Off, the route answers 404 as a route that does not exist would (with
 * the reason). On, it counts against the same per-client budget as logins
 * (SLIPWAY_LOGIN_RATE x 10 a minute from one address) before any hashing,
 * and hashes on the hashing pool like a login. An address that has an
 * account answers 409: sign-up can tell whether an address has an account,
 * which is why it is off by default.
 */
#include "core/ratelimit.h"
#include "crypto/hash.h"
#include "tenancy/accounts.h"
#include "tenancy/audit.h"
#include "tenancy/tenancy.h"
#include "tenancy/tenancy_http.h"
#include "tenancy/tenants.h"
#include "tenancy/tokens.h"

SCHEMA(
    signup_schema,
    {.name = "email", .kind = FIELD_STRING, .required = true, .min = 3, .max = EMAIL_MAX, .check = check_email, .format = "email"},
    {.name = "password", .kind = FIELD_STRING, .required = true, .min = 8, .max = 1024},
    {.name = "name", .kind = FIELD_STRING, .min = 1, .max = ACCOUNT_NAME_MAX, .check = check_printable},
    {.name = "orgName", .kind = FIELD_STRING, .required = true, .min = 1, .max = 200, .check = check_printable},
    {.name = "cookie", .kind = FIELD_BOOL});

struct signup_tx {
    const struct request *req;
    struct account account;
    struct tenant tenant;
    struct issued_token token;
};

static enum err_code signup_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct signup_tx *t = ctx;
    const char *org = json_string_value(json_object_get(t->req->body, "orgName"));

    if (accounts_insert(c, &t->account, err)) {
        if (err->code == ERR_CONFLICT)
            err_set(err, ERR_CONFLICT, "an account has this e-mail address: log in instead");
        return err->code;
    }
    if (tenants_create(c, t->req, org, t->account.id, t->account.email, &t->tenant, err) ||
        tokens_issue(c, t->account.id, NULL, "login", (int64_t)tenancy()->session_ttl * 1000, &t->token, err))
        return err->code;
    return audit_write(c, t->req,
                       &(struct audit_event){.tenant_id = t->tenant.id,
                                             .action = "auth.signup",
                                             .target_type = "account",
                                             .target_id = t->account.id,
                                             .actor_id = t->account.id,
                                             .actor_email = t->account.email},
                       err);
}

/* Runs on the hashing pool. */
static void signup_finish(struct request *req)
{
    char *password = (char *)json_string_value(json_object_get(req->body, "password"));
    struct signup_tx t = {.req = req};
    struct store_conn *db;
    json_t *answer;
    struct err err;

    err_clear(&err);
    account_email_normalize(json_string_value(json_object_get(req->body, "email")), t.account.email, sizeof t.account.email);
    account_name_or_default(json_string_value(json_object_get(req->body, "name")), t.account.email, t.account.name,
                            sizeof t.account.name);
    if (password_hash(&tenancy()->pw, password, t.account.password_hash, &err) == ERR_OK && request_db(req, &db, &err) == ERR_OK &&
        store_tx(db, signup_body, &t, &err) == ERR_OK) {
        answer = auth_session_answer(req, &t.token, &t.account);
        json_object_set_new(answer, "tenant",
                            tenant_json(t.tenant.id, json_string_value(json_object_get(req->body, "orgName")), "owner",
                                        t.tenant.created_at, t.tenant.created_at));
        response_json(req, 201, answer);
    }
    /* The password lives in the parsed body and the raw buffer: wipe both now, and the token once answered. */
    hash_cleanse(password, strlen(password));
    hash_cleanse(req->raw.data, req->raw.len);
    hash_cleanse(t.token.token, sizeof t.token.token);
    hash_cleanse(t.account.password_hash, sizeof t.account.password_hash);
    if (err.code)
        response_error(req, &err);
}

enum err_code auth_signup(struct request *req, struct err *err)
{
    const struct tenancy_env *env = tenancy();
    char addr[64];
    int wait = 0;

    if (!env->open_signup)
        return err_set(err, ERR_NOT_FOUND, "sign-up is off on this instance: ask an owner for an invitation");
    auth_client_key(req->ip, addr, sizeof addr);
    if (!ratelimit_hit(env->login_limit, addr, env->login_rate * 10, &wait)) {
        err->retry_after = wait;
        return err_set(err, ERR_RATE_LIMITED, "too many attempts; try again in %d seconds", err->retry_after);
    }
    return request_defer(req, env->hash_pool, signup_finish, err);
}

enum err_code auth_options(struct request *req, struct err *err)
{
    (void)err;
    response_header(req, "Cache-Control", "no-store");
    response_json(req, 200, json_pack("{s:b, s:b}", "signup", tenancy()->open_signup, "passwordReset", tenancy()->mail));
    return ERR_OK;
}
