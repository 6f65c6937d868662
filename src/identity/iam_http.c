/*
 * iam_http.c: an owner's identity providers (docs/sso.md, docs/api.md
 * "Single sign-on"). The client secret is write-only: stored encrypted,
 * answered as a mask. The group rules travel inside the provider, as one
 * list that a write replaces whole.
 */
#include "core/clock.h"
#include "core/encode.h"
#include "core/rand.h"
#include "core/workpool.h"
#include "core/xmalloc.h"
#include "crypto/secret.h"
#include "identity/iam.h"
#include "identity/identity_http.h"
#include "integrations/integrations.h"
#include "providers/call.h"
#include "providers/fields.h"
#include "sites/proof.h"
#include "tenancy/audit.h"
#include "tenancy/tenancy_http.h"
#include "usage/usage.h"

#define RULES_MAX 100
#define DOMAINS_MAX 20

const char *const iam_provider_types[] = {"AUTH0", "AZURE", "GOOGLE", "OIDC", "OKTA", NULL};

static struct identity_env env;

void identity_http_start(const struct identity_env *e)
{
    env = *e;
}

/* Space-separated scopes among which "openid". */
static const char *check_scopes(json_t *v)
{
    const char *s = json_string_value(v);
    for (const char *p = s; *p; p += strcspn(p, " "), p += strspn(p, " "))
        if (strncmp(p, "openid", 6) == 0 && (p[6] == ' ' || p[6] == '\0'))
            return check_printable(v);
    return "must include the scope openid";
}

/* [{group, role, priority?}], each group once. */
static const char *check_rules(json_t *v)
{
    json_t *r;
    size_t i;

    if (json_array_size(v) > RULES_MAX)
        return "at most 100 rules";
    json_array_foreach(v, i, r)
    {
        const char *group = json_string_value(json_object_get(r, "group"));
        const json_t *priority = json_object_get(r, "priority");
        if (!json_is_object(r) || !group || !group[0] || utf8_length(group) > 255 ||
            role_parse(json_string_value(json_object_get(r, "role"))) == ROLE_PUBLIC ||
            json_object_size(r) != 2u + (priority != NULL) ||
            (priority &&
             (!json_is_integer(priority) || json_integer_value(priority) < -1000 || json_integer_value(priority) > 1000)))
            return "each rule is {\"group\": 1 to 255 characters, \"role\": owner, editor or viewer, \"priority\": -1000 to 1000 "
                   "(optional)}";
        for (size_t j = 0; j < i; j++)
            if (strcmp(json_string_value(json_object_get(json_array_get(v, j), "group")), group) == 0)
                return "each group at most once";
    }
    return NULL;
}

/* Whether s is a lower-case host name such as example.com. */
static bool domain_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n > 0 && n <= 253 && strchr(s, '.') && s[0] != '.' && s[0] != '-' && s[n - 1] != '.' &&
           strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789.-") == n && !strstr(s, "..");
}

/* Lower-case host names (a.b), each once: the work e-mail domains a login page sends to this provider. */
static const char *check_domains(json_t *v)
{
    json_t *d;
    size_t i;

    if (json_array_size(v) > DOMAINS_MAX)
        return "at most 20 domains";
    json_array_foreach(v, i, d)
    {
        const char *s = json_string_value(d);
        if (!domain_valid(s))
            return "each domain is a lower-case host name such as example.com";
        for (size_t j = 0; j < i; j++)
            if (strcmp(json_string_value(json_array_get(v, j)), s) == 0)
                return "each domain at most once";
    }
    return NULL;
}

static const char *check_domain(json_t *v)
{
    return domain_valid(json_string_value(v)) ? NULL : "must be a lower-case host name such as example.com";
}

#define PROVIDER_FIELDS(req)                                                                                                       \
    {.name = "name", .kind = FIELD_STRING, .required = req, .min = 1, .max = 200, .check = check_printable},                       \
        {.name = "type", .kind = FIELD_STRING, .required = req, .allowed = iam_provider_types},                                    \
        {.name = "issuer", .kind = FIELD_STRING, .required = req, .min = 8, .max = 2048, .check = check_url, .format = "url"},     \
        {.name = "clientId", .kind = FIELD_STRING, .required = req, .min = 1, .max = 255, .check = check_printable},               \
        {.name = "clientSecret", .kind = FIELD_STRING, .required = req, .min = 1, .max = 1024, .secret = true},                    \
        {.name = "scopes",                                                                                                         \
         .kind = FIELD_STRING,                                                                                                     \
         .min = 6,                                                                                                                 \
         .max = 1024,                                                                                                              \
         .check = check_scopes,                                                                                                    \
         .format = "scopes",                                                                                                       \
         .def = "\"openid email profile\""},                                                                                       \
        {.name = "groupsClaim", .kind = FIELD_STRING, .min = 1, .max = 255, .check = check_printable, .def = "\"groups\""},        \
        {.name = "defaultRole", .kind = FIELD_STRING, .allowed = member_roles, .def = "\"viewer\""},                               \
        {.name = "strict", .kind = FIELD_BOOL, .def = "false"}, {.name = "allowSignup", .kind = FIELD_BOOL, .def = "false"},       \
        {.name = "enabled", .kind = FIELD_BOOL, .def = "true"},                                                                    \
        {.name = "groupMappings", .kind = FIELD_ARRAY, .check = check_rules, .def = "[]"},                                         \
    {                                                                                                                              \
        .name = "emailDomains", .kind = FIELD_ARRAY, .check = check_domains, .def = "[]"                                           \
    }

SCHEMA(iam_provider_create_schema, PROVIDER_FIELDS(true));
SCHEMA(iam_provider_update_schema, PROVIDER_FIELDS(false));

/* The domains provider id of tenant claims, sorted: an array of strings. Caller owns *out. */
static enum err_code provider_domains(struct store_conn *c, const char *tenant, const char *id, json_t **out, struct err *err)
{
    struct store_stmt *st;
    int rc;

    *out = json_array();
    if (store_select(c, "SELECT domain FROM iam_domains WHERE tenantId = ? AND providerId = ? ORDER BY domain",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(id)), &st, err))
        return err->code;
    while ((rc = store_next(st, err)) == 1)
        json_array_append_new(*out, json_string(store_col_text(st, 0)));
    store_finish(st);
    return rc < 0 ? err->code : ERR_OK;
}

/* The API view of provider id (of the caller's tenant): its secret as a mask, its rules. Caller owns *out. */
static enum err_code provider_view(struct request *req, struct store_conn *c, const char *id, json_t **out, struct err *err)
{
    struct plaintext *plain = NULL;
    struct iam_provider p;
    json_t *rules = NULL, *domains = NULL, *mask;
    struct err inner;

    *out = NULL;
    if (iam_provider_load(c, principal_of(req)->tenant_id, id, &p, err))
        return err->code;
    if (iam_group_mappings(c, &p, &rules, err) || provider_domains(c, p.tenant_id, p.id, &domains, err)) {
        json_decref(rules);
        json_decref(domains);
        goto out;
    }
    err_clear(&inner);
    mask = iam_provider_secret(env.keys, &p, &plain, &inner) == ERR_OK
               ? secret_mask(schema_field(&iam_provider_create_schema, "clientSecret"), plain->data, NULL)
               : json_string("****");
    plaintext_free(plain);
    *out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:b, s:b, s:b, s:o, s:o, s:o, s:o, s:s, s:s, s:s}", "id", p.id,
                     "name", p.name, "type", p.type, "issuer", p.issuer, "clientId", p.client_id, "clientSecret", mask, "scopes",
                     p.scopes, "groupsClaim", p.groups_claim, "defaultRole", role_name(p.default_role), "strict", p.strict,
                     "allowSignup", p.allow_signup, "enabled", p.enabled, "groupMappings", rules, "emailDomains", domains,
                     "lastSyncAt", json_text_or_null(p.last_sync_at[0] ? p.last_sync_at : NULL), "lastError",
                     json_text_or_null(p.last_error[0] ? p.last_error : NULL), "loginUrl",
                     arena_printf(req->arena, "/api/v1/auth/oidc/%s/start", p.id), "createdAt", p.created_at, "updatedAt",
                     p.updated_at);
out:
    iam_provider_clear(&p);
    return err->code;
}

static enum err_code respond_provider(struct request *req, struct store_conn *c, int status, const char *id, struct err *err)
{
    json_t *view;

    if (provider_view(req, c, id, &view, err) == ERR_OK)
        response_json(req, status, view);
    return err->code;
}

enum err_code iam_providers_list(struct request *req, struct err *err)
{
    const char *tenant = principal_of(req)->tenant_id;
    json_t *items = json_array(), *ids = request_keep(req, json_array()), *id, *view;
    struct store_conn *c;
    struct store_stmt *st;
    size_t i;
    int rc;

    request_keep(req, items);
    if (request_db(req, &c, err) || store_select(c, "SELECT id FROM iam_providers WHERE tenantId = ? ORDER BY createdAt, id",
                                                 STORE_ARGS(STORE_TEXT(tenant)), &st, err))
        return err->code;
    while ((rc = store_next(st, err)) == 1)
        json_array_append_new(ids, json_string(store_col_text(st, 0)));
    store_finish(st);
    if (rc < 0)
        return err->code;
    json_array_foreach(ids, i, id)
    {
        if (provider_view(req, c, json_string_value(id), &view, err))
            return err->code;
        json_array_append_new(items, view);
    }
    response_json(req, 200, json_pack("{s:O}", "items", items));
    return ERR_OK;
}

enum err_code iam_provider_get(struct request *req, struct err *err)
{
    struct store_conn *c;

    if (request_db(req, &c, err))
        return err->code;
    return respond_provider(req, c, 200, request_param(req, "id"), err);
}

/* A write: the provider's fields (merged over the stored ones for an update) and its rules. */
struct provider_write {
    struct request *req;
    const char *id;
    bool create;
    json_t *fields; /* the body over the defaults (create) or the stored values (update) */
};

static const char *text(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static enum err_code write_rules(struct store_conn *c, const char *tenant, const char *id, const json_t *rules, struct err *err)
{
    const json_t *r;
    size_t i;

    if (store_run(c, "DELETE FROM iam_group_mappings WHERE tenantId = ? AND providerId = ?",
                  STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(id)), NULL, err))
        return err->code;
    json_array_foreach(rules, i, r)
    {
        char rid[UUID_SIZE];
        rand_uuid(rid);
        if (store_run(
                c,
                "INSERT INTO iam_group_mappings (id, providerId, tenantId, groupValue, role, priority) VALUES (?, ?, ?, ?, ?, ?)",
                STORE_ARGS(STORE_TEXT(rid), STORE_TEXT(id), STORE_TEXT(tenant), STORE_TEXT(text(r, "group")),
                           STORE_TEXT(text(r, "role")), STORE_INT(json_integer_value(json_object_get(r, "priority")))),
                NULL, err))
            return err->code;
    }
    return ERR_OK;
}

/* The caller's e-mail address ("" when none): a claim is of its domain only. */
static enum err_code caller_email(struct store_conn *c, const struct request *req, char *email, size_t size, struct err *err)
{
    struct store_stmt *st;
    int rc;

    email[0] = '\0';
    if (store_select(c, "SELECT email FROM accounts WHERE id = ?", STORE_ARGS(STORE_TEXT(principal_of(req)->account_id)), &st, err))
        return err->code;
    if ((rc = store_next(st, err)) == 1)
        snprintf(email, size, "%s", store_col_text(st, 0));
    store_finish(st);
    return rc < 0 ? err->code : ERR_OK;
}

/*
 * Claims domain for provider id. A domain is the instance's provider's once
 * (the table's key): a login page sends everyone of that domain to it. So
 * an owner claims only the domain of their own e-mail address (email),
 * which the instance has seen them use; a domain another provider claims
 * is a 409 that does not say whose. The claim is offered only once proven
 * by DNS (iam_domain_check). *created: false when the provider had it
 * already (kept with its proof; a claim of before migration 0043 gets its
 * challenge token now). field: the body's field a refusal names.
 */
static enum err_code claim_domain(struct store_conn *c, const char *tenant, const char *id, const char *email, const char *domain,
                                  const char *field, bool *created, struct err *err)
{
    const char *at = strrchr(email, '@');
    char token[B64URL_LEN(32) + 1];
    unsigned char raw[32];
    int64_t n = 0;

    if (!at || strcmp(at + 1, domain) != 0) {
        err_detail(err, field, "you can claim only the domain of your own e-mail address, not %s", domain);
        return err_set(err, ERR_INVALID, "the request body has 1 problem");
    }
    rand_bytes(raw, sizeof raw);
    b64url_encode(raw, sizeof raw, token);
    if (store_run(c,
                  "UPDATE iam_domains SET challengeToken = COALESCE(challengeToken, ?) WHERE tenantId = ? AND providerId = ? "
                  "AND domain = ?",
                  STORE_ARGS(STORE_TEXT(token), STORE_TEXT(tenant), STORE_TEXT(id), STORE_TEXT(domain)), &n, err))
        return err->code;
    *created = n == 0;
    if (n == 0 && store_run(c, "INSERT INTO iam_domains (domain, providerId, tenantId, challengeToken) VALUES (?, ?, ?, ?)",
                            STORE_ARGS(STORE_TEXT(domain), STORE_TEXT(id), STORE_TEXT(tenant), STORE_TEXT(token)), NULL, err))
        return err->code == ERR_CONFLICT ? err_set(err, ERR_CONFLICT, "%s is claimed by another identity provider", domain)
                                         : err->code;
    return ERR_OK;
}

/* Replaces the domains provider id claims: the ones it keeps keep their proof. */
static enum err_code write_domains(struct store_conn *c, const struct request *req, const char *id, const json_t *domains,
                                   struct err *err)
{
    const char *tenant = principal_of(req)->tenant_id;
    char email[EMAIL_SIZE];
    json_t *had = NULL, *d;
    size_t i;
    bool created;

    if (caller_email(c, req, email, sizeof email, err) || provider_domains(c, tenant, id, &had, err))
        goto out;
    json_array_foreach(had, i, d)
    {
        bool kept = false;
        for (size_t j = 0; j < json_array_size(domains) && !kept; j++)
            kept = strcmp(json_string_value(json_array_get(domains, j)), json_string_value(d)) == 0;
        if (!kept && store_run(c, "DELETE FROM iam_domains WHERE tenantId = ? AND providerId = ? AND domain = ?",
                               STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(id), STORE_TEXT(json_string_value(d))), NULL, err))
            goto out;
    }
    json_array_foreach(domains, i,
                       d) if (claim_domain(c, tenant, id, email, json_string_value(d), "emailDomains", &created, err)) break;
out:
    json_decref(had);
    return err->code;
}

/*
 * ERR_CONFLICT when the tenant requires single sign-on and provider id is
 * its last enabled one: disabling or deleting it would leave only the
 * break-glass owner able to come in (policy_http.c).
 */
static enum err_code keeps_a_provider(struct store_conn *c, const char *tenant, const char *id, struct err *err)
{
    int64_t required, others;

    if (store_int(c, "SELECT CASE WHEN ssoRequired THEN 1 ELSE 0 END FROM tenants WHERE id = ?", STORE_ARGS(STORE_TEXT(tenant)),
                  &required, err) ||
        !required ||
        store_int(c, "SELECT COUNT(*) FROM iam_providers WHERE tenantId = ? AND id <> ? AND enabled = ?",
                  STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(id), STORE_BOOL(true)), &others, err) ||
        others > 0)
        return err->code;
    return err_set(err, ERR_CONFLICT,
                   "the tenant requires single sign-on and this is its last enabled identity provider: turn ssoRequired off "
                   "first (PATCH .../iam/settings)");
}

static enum err_code write_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct provider_write *w = ctx;
    const char *tenant = principal_of(w->req)->tenant_id;
    const json_t *f = w->fields, *secret = json_object_get(w->req->body, "clientSecret");
    struct secret_place at = {tenant, "iam_providers", "clientSecret", w->id};
    char now[TIMESTAMP_SIZE], *stored = NULL;
    json_t *changed = json_array(), *details = json_pack("{s:O}", "fields", changed), *v;
    const char *k;

    clock_now(now);
    if (!w->create && !json_is_true(json_object_get(f, "enabled")) && keeps_a_provider(c, tenant, w->id, err))
        goto out;
    if (json_is_string(secret) &&
        secret_encrypt(env.keys, &at, json_string_value(secret), strlen(json_string_value(secret)), &stored, err))
        goto out;
    struct store_val common[] = {STORE_TEXT(text(f, "name")),
                                 STORE_TEXT(text(f, "type")),
                                 STORE_TEXT(text(f, "issuer")),
                                 STORE_TEXT(text(f, "clientId")),
                                 STORE_TEXT(text(f, "scopes")),
                                 STORE_TEXT(text(f, "groupsClaim")),
                                 STORE_TEXT(text(f, "defaultRole")),
                                 STORE_BOOL(json_is_true(json_object_get(f, "strict"))),
                                 STORE_BOOL(json_is_true(json_object_get(f, "allowSignup"))),
                                 STORE_BOOL(json_is_true(json_object_get(f, "enabled")))};
    if (w->create) {
        if (store_run(
                c,
                "INSERT INTO iam_providers (name, type, issuer, clientId, scopes, groupsClaim, defaultRole, strict, allowSignup, "
                "enabled, clientSecret, id, tenantId, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                STORE_ARGS(common[0], common[1], common[2], common[3], common[4], common[5], common[6], common[7], common[8],
                           common[9], STORE_TEXT(stored), STORE_TEXT(w->id), STORE_TEXT(tenant), STORE_TIME(now), STORE_TIME(now)),
                NULL, err))
            goto out;
    } else if (store_run(c,
                         "UPDATE iam_providers SET name = ?, type = ?, issuer = ?, clientId = ?, scopes = ?, groupsClaim = ?, "
                         "defaultRole = ?, strict = ?, allowSignup = ?, enabled = ?, clientSecret = COALESCE(?, clientSecret), "
                         "updatedAt = ? WHERE id = ? AND tenantId = ?",
                         STORE_ARGS(common[0], common[1], common[2], common[3], common[4], common[5], common[6], common[7],
                                    common[8], common[9], STORE_TEXT(stored), STORE_TIME(now), STORE_TEXT(w->id),
                                    STORE_TEXT(tenant)),
                         NULL, err)) {
        goto out;
    }
    if (json_is_array(json_object_get(w->req->body, "groupMappings")) &&
        write_rules(c, tenant, w->id, json_object_get(w->req->body, "groupMappings"), err))
        goto out;
    if (json_is_array(json_object_get(w->req->body, "emailDomains")) &&
        write_domains(c, w->req, w->id, json_object_get(w->req->body, "emailDomains"), err))
        goto out;
    json_object_foreach(w->req->body, k, v) json_array_append_new(changed, json_string(k)); /* names, never values */
    audit_write(c, w->req,
                &(struct audit_event){.action = w->create ? "iam.provider.create" : "iam.provider.update",
                                      .target_type = "iam_provider",
                                      .target_id = w->id,
                                      .details = details},
                err);
out:
    json_decref(changed);
    json_decref(details);
    free(stored);
    return err->code;
}

/* Runs a write of the provider id over fields (borrowed) and answers it. */
static enum err_code provider_write(struct request *req, const char *id, bool create, json_t *fields, struct err *err)
{
    struct provider_write w = {.req = req, .id = id, .create = create, .fields = fields};
    struct store_conn *c;

    if (!keyring_can_encrypt(env.keys))
        return err_set(err, ERR_UNAVAILABLE, "no encryption key is configured: client secrets cannot be stored");
    if (request_db(req, &c, err) || store_tx(c, write_body, &w, err))
        return err->code;
    return respond_provider(req, c, create ? 201 : 200, id, err);
}

/* Sets body's keys (but nulls: absent) over fields. */
static void merge(json_t *fields, json_t *body)
{
    const char *k;
    json_t *v;
    json_object_foreach(body, k, v) if (!json_is_null(v)) json_object_set(fields, k, v);
}

enum err_code iam_provider_post(struct request *req, struct err *err)
{
    json_t *fields = request_keep(req, json_object());
    const struct schema *s = &iam_provider_create_schema;
    char id[UUID_SIZE];

    for (size_t i = 0; i < s->count; i++)
        if (s->fields[i].def)
            json_object_set_new(fields, s->fields[i].name, json_loads(s->fields[i].def, JSON_DECODE_ANY, NULL));
    merge(fields, req->body);
    rand_uuid(id);
    return provider_write(req, arena_strdup(req->arena, id), true, fields, err);
}

enum err_code iam_provider_patch(struct request *req, struct err *err)
{
    struct iam_provider p;
    struct store_conn *c;
    json_t *fields;

    if (request_db(req, &c, err) || iam_provider_load(c, principal_of(req)->tenant_id, request_param(req, "id"), &p, err))
        return err->code;
    fields = request_keep(req, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:b}", "name", p.name, "type", p.type,
                                         "issuer", p.issuer, "clientId", p.client_id, "scopes", p.scopes, "groupsClaim",
                                         p.groups_claim, "defaultRole", role_name(p.default_role), "strict", p.strict,
                                         "allowSignup", p.allow_signup, "enabled", p.enabled));
    iam_provider_clear(&p);
    merge(fields, req->body);
    return provider_write(req, request_param(req, "id"), false, fields, err);
}

static enum err_code delete_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct request *req = ctx;
    const char *tenant = principal_of(req)->tenant_id, *id = request_param(req, "id");
    int64_t n = 0;

    if (keeps_a_provider(c, tenant, id, err))
        return err->code;
    if (store_run(c, "DELETE FROM iam_providers WHERE tenantId = ? AND id = ?", STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(id)), &n,
                  err))
        return err->code;
    if (n == 0)
        return err_set(err, ERR_NOT_FOUND, "no such identity provider");
    return audit_write(c, req,
                       &(struct audit_event){.action = "iam.provider.delete", .target_type = "iam_provider", .target_id = id}, err);
}

enum err_code iam_provider_delete(struct request *req, struct err *err)
{
    struct store_conn *c;

    if (request_db(req, &c, err) || store_tx(c, delete_body, req, err))
        return err->code;
    response_empty(req, 204);
    return ERR_OK;
}

/* ---- proving an e-mail domain by DNS (docs/sso.md, "Finding the sign-on") ---- */

#define DOMAIN_COLUMNS "domain, challengeToken, provenAt, lastCheckedAt, lastError, failures"

SCHEMA(
    iam_domain_schema,
    {.name = "domain", .kind = FIELD_STRING, .required = true, .min = 1, .max = 253, .check = check_domain, .format = "hostname"});

/* One claim as the API shows it: the TXT record to publish (null before the claim has a token), whether it is proven. */
static json_t *domain_view(struct store_stmt *st)
{
    const char *domain = store_col_text(st, 0), *token = store_col_text(st, 1);
    char name[300];

    snprintf(name, sizeof name, PROOF_SSO_LABEL ".%s", domain);
    return json_pack("{s:s, s:o, s:b, s:o, s:o, s:o, s:I}", "domain", domain, "record",
                     token ? json_pack("{s:s, s:s, s:s}", "type", "TXT", "name", name, "value", token) : json_null(), "proven",
                     store_col_text(st, 2) != NULL, "provenAt", json_text_or_null(store_col_text(st, 2)), "lastCheckedAt",
                     json_text_or_null(store_col_text(st, 3)), "lastError", json_text_or_null(store_col_text(st, 4)), "failures",
                     (json_int_t)store_col_int(st, 5));
}

/* The claims of provider id (of the caller's tenant), or only domain's when it is not NULL. Caller owns *out. */
static enum err_code domain_views(struct store_conn *c, const struct request *req, const char *domain, json_t **out,
                                  struct err *err)
{
    const char *tenant = principal_of(req)->tenant_id, *id = request_param(req, "id");
    struct iam_provider p;
    struct store_stmt *st;
    int rc;

    *out = NULL;
    if (iam_provider_load(c, tenant, id, &p, err))
        return err->code;
    iam_provider_clear(&p);
    /* A domain has no LIKE wildcard (check_domain): LIKE it is equality, and "%" is every claim. */
    if (store_select(
            c, "SELECT " DOMAIN_COLUMNS " FROM iam_domains WHERE tenantId = ? AND providerId = ? AND domain LIKE ? ORDER BY domain",
            STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(id), STORE_TEXT(domain ? domain : "%")), &st, err))
        return err->code;
    *out = json_array();
    while ((rc = store_next(st, err)) == 1)
        json_array_append_new(*out, domain_view(st));
    store_finish(st);
    if (rc < 0 || (domain && json_array_size(*out) == 0)) {
        json_decref(*out);
        *out = NULL;
        return rc < 0 ? err->code : err_set(err, ERR_NOT_FOUND, "this identity provider does not claim that domain");
    }
    return ERR_OK;
}

/* Answers domain's claim of the request's provider with status. */
static enum err_code respond_domain(struct request *req, struct store_conn *c, int status, const char *domain, struct err *err)
{
    json_t *views;

    if (domain_views(c, req, domain, &views, err) == ERR_OK)
        response_json(req, status, json_incref(json_array_get(views, 0)));
    json_decref(views);
    return err->code;
}

enum err_code iam_domains_list(struct request *req, struct err *err)
{
    struct store_conn *c;
    json_t *views;

    if (request_db(req, &c, err) || domain_views(c, req, NULL, &views, err))
        return err->code;
    response_json(req, 200, json_pack("{s:o}", "items", views));
    return ERR_OK;
}

struct claim {
    struct request *req;
    bool created;
};

static enum err_code claim_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct claim *w = ctx;
    struct request *req = w->req;
    const char *tenant = principal_of(req)->tenant_id, *id = request_param(req, "id");
    const char *domain = json_string_value(json_object_get(req->body, "domain"));
    struct iam_provider p;
    char email[EMAIL_SIZE];
    json_t *details;

    if (iam_provider_load(c, tenant, id, &p, err))
        return err->code;
    iam_provider_clear(&p);
    if (caller_email(c, req, email, sizeof email, err) || claim_domain(c, tenant, id, email, domain, "domain", &w->created, err))
        return err->code;
    details = json_pack("{s:s, s:s}", "providerId", id, "domain", domain);
    audit_write(
        c, req,
        &(struct audit_event){.action = "iam.domain.claim", .target_type = "iam_provider", .target_id = id, .details = details},
        err);
    json_decref(details);
    return err->code;
}

/* POST .../iam/providers/{id}/domains {"domain"}: the claim and the TXT record that proves it (201; 200 when it was claimed). */
enum err_code iam_domain_claim(struct request *req, struct err *err)
{
    struct claim w = {.req = req};
    struct store_conn *c;

    if (request_db(req, &c, err) || store_tx(c, claim_body, &w, err))
        return err->code;
    return respond_domain(req, c, w.created ? 201 : 200, json_string_value(json_object_get(req->body, "domain")), err);
}

/* A DNS check in flight: the request waits (suspended) while a DNS pool thread asks the resolver. */
struct domain_check {
    struct request *req;
    char domain[254], token[B64URL_LEN(32) + 1];
};

/*
 * On the DNS pool: the TXT question (blocking), then the outcome saved and
 * answered. A check that does not find the token unproves the domain: the
 * login page stops offering the provider for it at once.
 */
static void domain_check_run(void *arg)
{
    struct domain_check *k = arg;
    struct request *req = k->req;
    const char *tenant = principal_of(req)->tenant_id, *id = request_param(req, "id");
    char now[TIMESTAMP_SIZE], problem[PROOF_PROBLEM_SIZE] = "";
    struct store_conn *c;
    json_t *details = NULL;
    struct err err;
    bool found;

    err_clear(&err);
    found = proof_dns(env.dns_resolver, env.loop->timeout_ms, PROOF_SSO_LABEL, k->domain, k->token, problem);
    clock_now(now);
    details = json_pack("{s:s, s:s, s:b}", "providerId", id, "domain", k->domain, "proven", found);
    if (request_db(req, &c, &err) == ERR_OK &&
        store_run(c,
                  "UPDATE iam_domains SET provenAt = CASE WHEN ? THEN COALESCE(provenAt, ?) ELSE NULL END, lastCheckedAt = ?, "
                  "lastError = ?, failures = 0, failingSince = NULL WHERE tenantId = ? AND providerId = ? AND domain = ?",
                  STORE_ARGS(STORE_BOOL(found), STORE_TIME(now), STORE_TIME(now), STORE_TEXT(found ? NULL : problem),
                             STORE_TEXT(tenant), STORE_TEXT(id), STORE_TEXT(k->domain)),
                  NULL, &err) == ERR_OK &&
        audit_write(
            c, req,
            &(struct audit_event){.action = "iam.domain.check", .target_type = "iam_provider", .target_id = id, .details = details},
            &err) == ERR_OK)
        respond_domain(req, c, 200, k->domain, &err);
    json_decref(details);
    usage_count(tenant, NULL, USAGE_DOMAIN_CHECKS, 1);
    if (err.code)
        response_error(req, &err);
    free(k);
    request_resume(req);
}

/* POST .../iam/providers/{id}/domains/check {"domain"}: asks the resolver for the claim's TXT record now. */
enum err_code iam_domain_check(struct request *req, struct err *err)
{
    const char *domain = json_string_value(json_object_get(req->body, "domain"));
    struct domain_check *k;
    struct store_conn *c;
    json_t *views;
    const char *token;

    if (request_db(req, &c, err) || domain_views(c, req, domain, &views, err)) /* another tenant's provider: 404 first */
        return err->code;
    request_keep(req, views);
    if (!(env.dns_resolver && env.dns_resolver[0])) {
        err_detail(err, "domain", "this server has no DNS resolver configured (SLIPWAY_DNS_RESOLVER): a domain cannot be proven");
        return err_set(err, ERR_INVALID, "invalid check");
    }
    token = json_string_value(json_object_get(json_object_get(json_array_get(views, 0), "record"), "value"));
    if (!token)
        return err_set(err, ERR_CONFLICT, "this claim has no challenge yet: claim it again (POST .../domains) to get its record");
    k = xcalloc(1, sizeof *k);
    k->req = req;
    snprintf(k->domain, sizeof k->domain, "%s", domain);
    snprintf(k->token, sizeof k->token, "%s", token);
    request_suspend(req);
    if (workpool_submit(env.dns_pool, domain_check_run, k) != 0) {
        request_resume(req);
        free(k);
        return err_set(err, ERR_UNAVAILABLE, "the server is busy; try again shortly");
    }
    return ERR_OK;
}

const struct identity_env *identity(void)
{
    return &env;
}
