/* tokens_http.c: an account's own API tokens. */
#include "core/clock.h"
#include "crypto/hash.h"
#include "http/page.h"
#include "tenancy/audit.h"
#include "tenancy/tenancy_http.h"
#include "tenancy/tokens.h"

SCHEMA(token_create_schema,
       {.name = "name", .kind = FIELD_STRING, .required = true, .min = 1, .max = 200, .check = check_printable},
       {.name = "expiresInDays", .kind = FIELD_INT, .min = 1, .max = 3650});

static json_t *token_row(struct store_stmt *st)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "id", store_col_text(st, 0), "name", store_col_text(st, 1), "prefix",
                     store_col_text(st, 2), "createdAt", store_col_text(st, 3), "lastUsedAt",
                     json_text_or_null(store_col_text(st, 4)), "expiresAt", json_text_or_null(store_col_text(st, 5)), "revokedAt",
                     json_text_or_null(store_col_text(st, 6)));
}

enum err_code tokens_list(struct request *req, struct err *err)
{
    struct page p;

    if (page_parse(req, &p, err))
        return err->code;
    return page_respond(req, &p,
                        "SELECT id, name, prefix, createdAt, lastUsedAt, expiresAt, revokedAt FROM api_tokens "
                        "WHERE accountId = ? AND (createdAt <= ? AND (createdAt < ? OR id < ?)) "
                        "ORDER BY createdAt DESC, id DESC LIMIT ?",
                        STORE_ARGS(STORE_TEXT(principal_of(req)->account_id), PAGE_ARGS(&p)), 3, 0, token_row, err);
}

struct create_tx {
    const struct request *req;
    const char *name;
    int64_t ttl_ms;
    struct issued_token token;
};

static enum err_code create_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct create_tx *t = ctx;
    if (tokens_issue(c, principal_of(t->req)->account_id, principal_of(t->req)->sso_tenant_id, t->name, t->ttl_ms, &t->token, err))
        return err->code;
    return audit_write(c, t->req, &(struct audit_event){.action = "token.create", .target_type = "token", .target_id = t->token.id},
                       err);
}

enum err_code tokens_create(struct request *req, struct err *err)
{
    json_t *days = json_object_get(req->body, "expiresInDays");
    struct create_tx t = {.req = req, .name = json_string_value(json_object_get(req->body, "name"))};
    struct store_conn *db;

    if (json_is_integer(days))
        t.ttl_ms = json_integer_value(days) * 86400 * 1000;
    if (request_db(req, &db, err) || store_tx(db, create_body, &t, err))
        return err->code;
    response_json(req, 201, issued_token_json(&t.token, t.name, true));
    hash_cleanse(t.token.token, sizeof t.token.token);
    return ERR_OK;
}

static enum err_code revoke_body(struct store_conn *c, void *ctx, struct err *err)
{
    const struct request *req = ctx;
    const char *id = request_param(req, "id");
    char now[TIMESTAMP_SIZE];
    struct store_stmt *st;
    int rc;
    bool revoked = false;

    if (store_select(c, "SELECT revokedAt FROM api_tokens WHERE id = ? AND accountId = ?",
                     STORE_ARGS(STORE_TEXT(id), STORE_TEXT(principal_of(req)->account_id)), &st, err))
        return err->code;
    rc = store_next(st, err);
    if (rc == 1)
        revoked = !store_col_null(st, 0);
    store_finish(st);
    if (rc < 0)
        return err->code;
    if (rc == 0)
        return err_set(err, ERR_NOT_FOUND, "not found");
    if (revoked)
        return ERR_OK; /* revoking twice changes nothing */
    clock_now(now);
    if (store_run(c, "UPDATE api_tokens SET revokedAt = ? WHERE id = ? AND accountId = ?",
                  STORE_ARGS(STORE_TIME(now), STORE_TEXT(id), STORE_TEXT(principal_of(req)->account_id)), NULL, err))
        return err->code;
    return audit_write(c, req, &(struct audit_event){.action = "token.revoke", .target_type = "token", .target_id = id}, err);
}

enum err_code tokens_revoke(struct request *req, struct err *err)
{
    struct store_conn *db;

    if (request_db(req, &db, err) || store_tx(db, revoke_body, req, err))
        return err->code;
    response_empty(req, 204);
    return ERR_OK;
}
