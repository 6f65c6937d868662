#include "identity/iam.h"

#include "crypto/secret.h"
#include "core/xmalloc.h"

#define PROVIDER_COLUMNS                                                                                                           \
    "id, tenantId, name, type, issuer, clientId, scopes, groupsClaim, defaultRole, strict, allowSignup, enabled, clientSecret, "   \
    "lastSyncAt, lastError, createdAt, updatedAt"

static void provider_row(struct store_stmt *st, struct iam_provider *p)
{
    memset(p, 0, sizeof *p);
    snprintf(p->id, sizeof p->id, "%s", store_col_text(st, 0));
    snprintf(p->tenant_id, sizeof p->tenant_id, "%s", store_col_text(st, 1));
    snprintf(p->name, sizeof p->name, "%s", store_col_text(st, 2));
    snprintf(p->type, sizeof p->type, "%s", store_col_text(st, 3));
    snprintf(p->issuer, sizeof p->issuer, "%s", store_col_text(st, 4));
    snprintf(p->client_id, sizeof p->client_id, "%s", store_col_text(st, 5));
    snprintf(p->scopes, sizeof p->scopes, "%s", store_col_text(st, 6));
    snprintf(p->groups_claim, sizeof p->groups_claim, "%s", store_col_text(st, 7));
    p->default_role = store_col_null(st, 8) ? ROLE_VIEWER : role_parse(store_col_text(st, 8));
    p->strict = store_col_bool(st, 9);
    p->allow_signup = store_col_bool(st, 10);
    p->enabled = store_col_bool(st, 11);
    p->client_secret = xstrdup(store_col_text(st, 12));
    if (!store_col_null(st, 13))
        snprintf(p->last_sync_at, sizeof p->last_sync_at, "%s", store_col_text(st, 13));
    if (!store_col_null(st, 14))
        snprintf(p->last_error, sizeof p->last_error, "%s", store_col_text(st, 14));
    snprintf(p->created_at, sizeof p->created_at, "%s", store_col_text(st, 15));
    snprintf(p->updated_at, sizeof p->updated_at, "%s", store_col_text(st, 16));
}

enum err_code iam_provider_load(struct store_conn *c, const char *tenant_id, const char *id, struct iam_provider *p,
                                struct err *err)
{
    struct store_stmt *st;
    int rc;

    if (tenant_id
            ? store_select(c, "SELECT " PROVIDER_COLUMNS " FROM iam_providers WHERE tenantId = ? AND id = ?",
                           STORE_ARGS(STORE_TEXT(tenant_id), STORE_TEXT(id)), &st, err)
            : store_select(c, "SELECT " PROVIDER_COLUMNS " FROM iam_providers WHERE id = ?", STORE_ARGS(STORE_TEXT(id)), &st, err))
        return err->code;
    rc = store_next(st, err);
    if (rc == 1)
        provider_row(st, p);
    store_finish(st);
    if (rc < 0)
        return err->code;
    return rc == 1 ? ERR_OK : err_set(err, ERR_NOT_FOUND, "no such identity provider");
}

void iam_provider_clear(struct iam_provider *p)
{
    free(p->client_secret);
    p->client_secret = NULL;
}

enum err_code iam_provider_secret(const struct keyring *keys, const struct iam_provider *p, struct plaintext **out, struct err *err)
{
    struct secret_place at = {p->tenant_id, "iam_providers", "clientSecret", p->id};

    if (secret_decrypt(keys, &at, p->client_secret, out, err))
        return err_set(err, ERR_INTERNAL, "the identity provider's client secret cannot be read");
    return ERR_OK;
}

enum err_code iam_group_mappings(struct store_conn *c, const struct iam_provider *p, json_t **out, struct err *err)
{
    struct store_stmt *st;
    int rc;

    *out = json_array();
    if (store_select(c,
                     "SELECT groupValue, role, priority FROM iam_group_mappings WHERE tenantId = ? AND providerId = ? "
                     "ORDER BY priority DESC, groupValue",
                     STORE_ARGS(STORE_TEXT(p->tenant_id), STORE_TEXT(p->id)), &st, err))
        return err->code;
    while ((rc = store_next(st, err)) == 1)
        json_array_append_new(*out, json_pack("{s:s, s:s, s:I}", "group", store_col_text(st, 0), "role", store_col_text(st, 1),
                                              "priority", (json_int_t)store_col_int(st, 2)));
    store_finish(st);
    return err->code;
}

enum role iam_role_of_groups(const json_t *rules, const json_t *groups)
{
    const json_t *rule, *g;
    size_t i, j;

    json_array_foreach(rules, i, rule)
    {
        const char *want = json_string_value(json_object_get(rule, "group"));
        json_array_foreach(groups, j, g) if (json_is_string(g) && strcmp(json_string_value(g), want) == 0) return role_parse(
            json_string_value(json_object_get(rule, "role")));
    }
    return ROLE_PUBLIC;
}
