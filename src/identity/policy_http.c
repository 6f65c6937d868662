/*
 * policy_http.c: a tenant's sign-on policy (docs/sso.md, "Requiring
 * sign-on"), and how a login page finds a tenant's identity providers.
 *
 * The policy lives on the tenant's row (slug, ssoRequired,
 * breakGlassAccountId) because every request reads it: the token lookup of
 * tenancy/auth.c joins the tenant already and refuses a token whose session
 * the tenant's own sign-on did not make (sso_required), unless it is the
 * break-glass owner's. This file only writes it, with the checks that keep
 * a tenant from locking itself out.
 */
#include <ctype.h>

#include "core/clock.h"
#include "identity/identity_http.h"
#include "tenancy/audit.h"
#include "tenancy/tenancy_http.h"

#define SLUG_MAX 63

/* 2 to 63 of a-z, 0-9 and inner hyphens: it goes in URLs and on login pages; "" clears. */
static const char *check_slug(json_t *v)
{
    const char *s = json_string_value(v);
    size_t n = strlen(s);

    if (n == 0)
        return NULL;
    if (n < 2 || n > SLUG_MAX || s[0] == '-' || s[n - 1] == '-')
        return "2 to 63 characters of a-z, 0-9 and hyphens, not starting or ending with a hyphen";
    for (const char *p = s; *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-'))
            return "2 to 63 characters of a-z, 0-9 and hyphens, not starting or ending with a hyphen";
    return NULL;
}

SCHEMA(iam_settings_schema, {.name = "slug", .kind = FIELD_STRING, .max = SLUG_MAX, .check = check_slug, .format = "slug"},
       {.name = "ssoRequired", .kind = FIELD_BOOL},
       {.name = "breakGlassAccountId", .kind = FIELD_STRING, .max = UUID_SIZE - 1, .check = check_printable});

/* The tenant's policy as the API shows it. */
struct policy {
    char slug[SLUG_MAX + 1];
    bool sso_required;
    char break_glass[UUID_SIZE];
};

static enum err_code policy_load(struct store_conn *c, const char *tenant, struct policy *p, struct err *err)
{
    struct store_stmt *st;
    int rc;

    memset(p, 0, sizeof *p);
    if (store_select(c,
                     "SELECT slug, CASE WHEN ssoRequired THEN 1 ELSE 0 END, breakGlassAccountId FROM tenants "
                     "WHERE id = ? AND deletedAt IS NULL",
                     STORE_ARGS(STORE_TEXT(tenant)), &st, err))
        return err->code;
    if ((rc = store_next(st, err)) == 1) {
        snprintf(p->slug, sizeof p->slug, "%s", store_col_null(st, 0) ? "" : store_col_text(st, 0));
        p->sso_required = store_col_int(st, 1) != 0;
        snprintf(p->break_glass, sizeof p->break_glass, "%s", store_col_null(st, 2) ? "" : store_col_text(st, 2));
    }
    store_finish(st);
    return rc < 0 ? err->code : rc == 0 ? err_set(err, ERR_NOT_FOUND, "not found") : ERR_OK;
}

static json_t *policy_json(const struct policy *p)
{
    return json_pack("{s:o, s:b, s:o}", "slug", json_text_or_null(p->slug[0] ? p->slug : NULL), "ssoRequired", p->sso_required,
                     "breakGlassAccountId", json_text_or_null(p->break_glass[0] ? p->break_glass : NULL));
}

enum err_code iam_settings_get(struct request *req, struct err *err)
{
    struct store_conn *c;
    struct policy p;

    if (request_db(req, &c, err) || policy_load(c, principal_of(req)->tenant_id, &p, err))
        return err->code;
    response_json(req, 200, policy_json(&p));
    return ERR_OK;
}

/* A 400 naming the field and what is wrong with it. */
static enum err_code field_problem(struct err *err, const char *field, const char *problem)
{
    err_detail(err, field, "%s", problem);
    return err_set(err, ERR_INVALID, "the request body has 1 problem");
}

struct settings_tx {
    struct request *req;
    struct policy was, now;
};

/*
 * Requiring sign-on needs an enabled provider to sign in with, and a
 * break-glass owner who can sign in with a password when that provider is
 * down; and the owner who turns it on must stay in (the break-glass owner,
 * or signed in by this tenant's sign-on), or the write would lock them out.
 */
static enum err_code check_required(struct store_conn *c, struct settings_tx *t, struct err *err)
{
    const struct principal *who = principal_of(t->req);
    int64_t n;

    if (store_int(c, "SELECT COUNT(*) FROM iam_providers WHERE tenantId = ? AND enabled = ?",
                  STORE_ARGS(STORE_TEXT(who->tenant_id), STORE_BOOL(true)), &n, err))
        return err->code;
    if (n == 0)
        return err_set(err, ERR_CONFLICT, "requiring single sign-on needs an enabled identity provider first");
    if (!t->now.break_glass[0])
        return field_problem(err, "breakGlassAccountId",
                             "is required when ssoRequired is true: an owner who keeps a password login");
    if (store_int(c,
                  "SELECT COUNT(*) FROM tenant_members m JOIN accounts a ON a.id = m.accountId "
                  "WHERE m.tenantId = ? AND m.accountId = ? AND m.role = 'owner' AND a.passwordHash IS NOT NULL",
                  STORE_ARGS(STORE_TEXT(who->tenant_id), STORE_TEXT(t->now.break_glass)), &n, err))
        return err->code;
    if (n == 0)
        return field_problem(err, "breakGlassAccountId", "must be an owner of this tenant who has a password");
    if (strcmp(t->now.break_glass, who->account_id) != 0 &&
        store_int(c, "SELECT COUNT(*) FROM api_tokens WHERE id = ? AND ssoTenantId = ?",
                  STORE_ARGS(STORE_TEXT(who->token_id), STORE_TEXT(who->tenant_id)), &n, err) == ERR_OK &&
        n == 0)
        return err_set(err, ERR_CONFLICT,
                       "you would lock yourself out: sign in with this tenant's single sign-on first, or be the break-glass "
                       "owner");
    return err->code;
}

static enum err_code settings_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct settings_tx *t = ctx;
    const char *tenant = principal_of(t->req)->tenant_id;
    const json_t *body = t->req->body;
    json_t *changed;
    const char *k;
    json_t *v;
    int64_t n;
    char now[TIMESTAMP_SIZE];

    if (policy_load(c, tenant, &t->was, err))
        return err->code;
    t->now = t->was;
    if (json_is_string(json_object_get(body, "slug")))
        snprintf(t->now.slug, sizeof t->now.slug, "%s", json_string_value(json_object_get(body, "slug")));
    if (json_is_boolean(json_object_get(body, "ssoRequired")))
        t->now.sso_required = json_is_true(json_object_get(body, "ssoRequired"));
    if (json_is_string(json_object_get(body, "breakGlassAccountId")))
        snprintf(t->now.break_glass, sizeof t->now.break_glass, "%s",
                 json_string_value(json_object_get(body, "breakGlassAccountId")));
    if (t->now.slug[0] && strcmp(t->now.slug, t->was.slug) != 0 &&
        (store_int(c, "SELECT COUNT(*) FROM tenants WHERE slug = ?", STORE_ARGS(STORE_TEXT(t->now.slug)), &n, err) || n > 0))
        return err->code ? err->code : err_set(err, ERR_CONFLICT, "the slug is taken");
    if (t->now.sso_required && check_required(c, t, err))
        return err->code;
    clock_now(now);
    if (store_run(c, "UPDATE tenants SET slug = ?, ssoRequired = ?, breakGlassAccountId = ?, updatedAt = ? WHERE id = ?",
                  STORE_ARGS(STORE_TEXT(t->now.slug[0] ? t->now.slug : NULL), STORE_BOOL(t->now.sso_required),
                             STORE_TEXT(t->now.break_glass[0] ? t->now.break_glass : NULL), STORE_TIME(now), STORE_TEXT(tenant)),
                  NULL, err))
        return err->code;
    changed = json_object();
    json_object_foreach((json_t *)body, k, v) json_object_set(changed, k, v); /* no secret among them */
    return audit_write(c, t->req,
                       &(struct audit_event){.action = "iam.settings.update",
                                             .target_type = "tenant",
                                             .target_id = tenant,
                                             .details = request_keep(t->req, changed)},
                       err);
}

enum err_code iam_settings_patch(struct request *req, struct err *err)
{
    struct settings_tx t = {.req = req};
    struct store_conn *c;

    if (request_db(req, &c, err) || store_tx(c, settings_body, &t, err))
        return err->code;
    response_json(req, 200, policy_json(&t.now));
    return ERR_OK;
}

/* The providers sql finds by key into items, each with its login URL (carrying invite, when given). */
static enum err_code sso_choices(struct request *req, struct store_conn *c, const char *sql, const char *key, const char *invite,
                                 json_t *items, struct err *err)
{
    struct store_stmt *st;
    int rc;

    if (store_select(c, sql, STORE_ARGS(STORE_TEXT(key), STORE_BOOL(true)), &st, err))
        return err->code;
    while ((rc = store_next(st, err)) == 1)
        json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:s}", "id", store_col_text(st, 0), "name", store_col_text(st, 1),
                                               "type", store_col_text(st, 2), "loginUrl",
                                               arena_printf(req->arena, "/api/v1/auth/oidc/%s/start%s%s", store_col_text(st, 0),
                                                            invite ? "?invite=" : "", invite ? invite : "")));
    store_finish(st);
    return rc < 0 ? err->code : ERR_OK;
}

/*
 * GET /api/v1/auth/sso?tenant={slug} or ?email={address} or ?invite={token}:
 * the enabled providers a login page offers, by the tenant's slug, by the
 * domain of a work e-mail that a provider claims, or (the invitation page) by
 * a pending invitation, whose token the login URLs then carry. Anyone may
 * ask: the answer holds what a "Sign in with ..." button shows (name, type,
 * where it starts) and nothing else; an unknown slug or domain, or an
 * invitation no longer pending, is an empty list, like a tenant without
 * sign-on.
 */
enum err_code sso_discover(struct request *req, struct err *err)
{
    const char *slug = request_query(req, "tenant"), *email = request_query(req, "email"), *invite = request_query(req, "invite");
    const char *domain, *sql = NULL, *key = slug;
    json_t *items = request_keep(req, json_array());
    struct invitation_ref inv = {.id = ""};
    struct store_conn *c;
    char lower[256];

    if (!!slug + !!email + !!invite != 1)
        return err_set(err, ERR_INVALID,
                       "give one of tenant (the tenant's slug), email (a work e-mail address) or invite (an invitation's token)");
    if (email) {
        domain = strrchr(email, '@');
        if (!domain || !domain[1] || strlen(domain + 1) >= sizeof lower)
            return field_problem(err, "email", "is not an e-mail address");
        size_t i = 0;
        for (domain++; domain[i]; i++)
            lower[i] = (char)tolower((unsigned char)domain[i]);
        lower[i] = '\0';
        key = lower;
        sql = "SELECT p.id, p.name, p.type FROM iam_domains d JOIN iam_providers p ON p.id = d.providerId "
              "JOIN tenants t ON t.id = p.tenantId WHERE d.domain = ? AND t.deletedAt IS NULL AND d.provenAt IS NOT NULL "
              "AND p.enabled = ? ORDER BY p.createdAt, p.id";
    } else {
        sql = slug ? "SELECT p.id, p.name, p.type FROM iam_providers p JOIN tenants t ON t.id = p.tenantId "
                     "WHERE t.slug = ? AND t.deletedAt IS NULL AND p.enabled = ? ORDER BY p.createdAt, p.id"
                   : "SELECT p.id, p.name, p.type FROM iam_providers p WHERE p.tenantId = ? AND p.enabled = ? "
                     "ORDER BY p.createdAt, p.id";
    }
    if (request_db(req, &c, err))
        return err->code;
    if (invite) {
        if (invitation_pending(c, invite, &inv, err) == ERR_NOT_FOUND)
            err_clear(err);
        if (err->code)
            return err->code;
        key = inv.tenant_id; /* "" for none: an invitation no longer pending offers nothing, like an unknown slug */
    }
    if (key[0] && sso_choices(req, c, sql, key, invite, items, err))
        return err->code;
    response_header(req, "Cache-Control", "no-store");
    response_json(req, 200, json_pack("{s:O}", "items", items));
    return ERR_OK;
}
