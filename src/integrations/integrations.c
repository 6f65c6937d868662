#include "integrations/integrations.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/rand.h"
#include "core/xmalloc.h"
#include "crypto/hash.h"
#include "tenancy/audit.h"

#define BOOKKEEPING_COLUMNS 10 /* catalog.c: id, tenantId, type, status, lastVerifiedAt, error, by, created, updated, saved */

void integration_row_free(struct integration_row *r)
{
    if (!r)
        return;
    secret_wipe_json(r->config);
    json_decref(r->config);
    json_decref(r->computed);
    json_decref(r->unreadable);
    json_decref(r->saved_at);
    free(r->last_error);
    free(r);
}

/* A PEM key's kind, by the format its field checks (a stored key passed that check). */
static const char *pem_kind(const char *format)
{
    static const char *const kinds[][2] = {{"pem-ec-p256", "P-256 EC key"}, {"pem-rsa", "RSA key"}};
    for (size_t i = 0; format && i < ARRAY_LEN(kinds); i++)
        if (strcmp(kinds[i][0], format) == 0)
            return kinds[i][1];
    return "PEM text";
}

json_t *secret_mask(const struct field *f, const char *plain, const char *saved_at)
{
    size_t n = strlen(plain);
    const char *end = strstr(plain, "-----END");
    char mask[96] = "****";

    if (strncmp(plain, "-----BEGIN", 10) == 0 && end) {
        /* The last four characters of the base64 body, before the END line: a header's dashes tell nothing. */
        n = (size_t)(end - plain);
        while (n > 0 && strchr("\r\n \t", plain[n - 1]))
            n--;
        if (n >= 16 && !memchr(plain + n - 4, '-', 4))
            snprintf(mask, sizeof mask, "%s ending \xe2\x80\xa6%.4s%s%.10s", pem_kind(f->format), plain + n - 4,
                     saved_at ? ", added on " : "", saved_at ? saved_at : "");
        return json_string(mask);
    }
    while (n > 0 && (plain[n - 1] == '\n' || plain[n - 1] == '\r' || plain[n - 1] == ' ' || plain[n - 1] == '\t'))
        n--;
    if (n >= 12) {
        memcpy(mask + 4, plain + n - 4, 4);
        mask[8] = '\0';
    }
    return json_string(mask);
}

static bool is_computed(const struct category *cat, const char *name)
{
    for (const char *const *x = cat->computed; x && *x; x++)
        if (strcmp(*x, name) == 0)
            return true;
    return false;
}

/* Does the provider have this field (a column of the category may belong to another type)? */
static const struct field *provider_field(const struct provider *p, const char *name)
{
    return schema_field(&p->schema, name);
}

/*
 * A field that is no longer secret (the App Store key and issuer ids were
 * once) may still hold a ciphertext written then: it reads as the text it
 * encrypts, and the next save stores that text in clear. Text that only
 * looks like a ciphertext of ours is taken as it is.
 */
static json_t *public_text(const struct keyring *keys, const struct secret_place *at, const char *stored)
{
    char key_id[SECRET_KEY_ID_LEN + 1];
    struct plaintext *plain = NULL;
    struct err err;
    json_t *v;

    err_clear(&err);
    if (!keys || secret_key_id(stored, key_id) != 0 || secret_decrypt(keys, at, stored, &plain, &err))
        return json_string(stored);
    v = json_stringn(plain->data, plain->len);
    plaintext_free(plain);
    return v;
}

struct integration_row *integration_from_stmt(struct store_stmt *st, const struct keyring *keys, const struct category *cat,
                                              bool decrypt)
{
    struct integration_row *r = xcalloc(1, sizeof *r);
    int col = BOOKKEEPING_COLUMNS;

    r->cat = cat;
    snprintf(r->id, sizeof r->id, "%s", store_col_text(st, 0));
    snprintf(r->tenant_id, sizeof r->tenant_id, "%s", store_col_text(st, 1));
    r->prov = provider_by_type(store_col_text(st, 2));
    snprintf(r->status, sizeof r->status, "%s", store_col_text(st, 3));
    snprintf(r->last_verified_at, sizeof r->last_verified_at, "%s", store_col_null(st, 4) ? "" : store_col_text(st, 4));
    r->last_error = store_col_null(st, 5) ? NULL : xstrdup(store_col_text(st, 5));
    snprintf(r->configured_by, sizeof r->configured_by, "%s", store_col_text(st, 6));
    snprintf(r->created_at, sizeof r->created_at, "%s", store_col_text(st, 7));
    snprintf(r->updated_at, sizeof r->updated_at, "%s", store_col_text(st, 8));
    r->saved_at = store_col_null(st, 9) ? NULL : json_loads(store_col_text(st, 9), 0, NULL);
    if (!json_is_object(r->saved_at)) {
        json_decref(r->saved_at);
        r->saved_at = json_object();
    }
    r->config = json_object();
    r->computed = json_object();
    r->unreadable = json_array();
    json_object_set_new(r->config, "type", json_string(r->prov ? r->prov->type : store_col_text(st, 2)));

    for (size_t i = 0; i < cat->ncolumns; i++, col++) {
        const struct field *f = cat->columns[i];
        json_t *v = NULL;

        if (store_col_null(st, col) || !r->prov || !provider_field(r->prov, f->name))
            continue;
        switch (f->kind) {
        case FIELD_INT:
            v = json_integer(store_col_int(st, col));
            break;
        case FIELD_BOOL:
            v = json_boolean(store_col_bool(st, col));
            break;
        case FIELD_ARRAY:
        case FIELD_OBJECT:
            v = json_loads(store_col_text(st, col), JSON_DECODE_ANY, NULL);
            break;
        case FIELD_STRING:
            if (!f->secret) {
                struct secret_place at = {r->tenant_id, cat->table, f->name, r->id};
                v = public_text(keys, &at, store_col_text(st, col));
            } else if (decrypt) {
                struct secret_place at = {r->tenant_id, cat->table, f->name, r->id};
                struct plaintext *plain = NULL;
                struct err err;
                err_clear(&err);
                if (secret_decrypt(keys, &at, store_col_text(st, col), &plain, &err) == ERR_OK) {
                    v = json_stringn(plain->data, plain->len);
                    plaintext_free(plain);
                } else {
                    log_error("integrations: %s.%s of %s does not decrypt: %s", cat->table, f->name, r->id, err.message);
                    json_array_append_new(r->unreadable, json_string(f->name));
                }
            }
            break;
        }
        if (v)
            json_object_set_new(r->config, f->name, v);
    }
    for (const char *const *x = cat->computed; x && *x; x++, col++)
        if (!store_col_null(st, col))
            json_object_set_new(r->computed, *x, json_string(store_col_text(st, col)));
    return r;
}

enum err_code integration_load(struct store_conn *c, const struct keyring *keys, const struct category *cat, const char *tenant_id,
                               const char *id, bool decrypt, struct integration_row **out, struct err *err)
{
    struct store_stmt *st;
    int rc;

    *out = NULL;
    if (store_select(c, cat->sql_select, STORE_ARGS(STORE_TEXT(tenant_id), STORE_TEXT(id)), &st, err))
        return err->code;
    rc = store_next(st, err);
    if (rc == 1)
        *out = integration_from_stmt(st, keys, cat, decrypt);
    store_finish(st);
    if (rc < 0)
        return err->code;
    return rc == 1 ? ERR_OK : err_set(err, ERR_NOT_FOUND, "not found");
}

json_t *integration_json(const struct integration_row *r, enum role role)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "id", r->id, "tenantId", r->tenant_id, "category", r->cat->slug, "type",
                          json_string_value(json_object_get(r->config, "type")));
    const struct provider *p = r->prov;

    for (size_t i = 0; p && i < p->schema.count; i++) {
        const struct field *f = &p->schema.fields[i];
        json_t *v = json_object_get(r->config, f->name);
        if (!f->secret) /* a copy: the row's own values are wiped when it is freed */
            json_object_set_new(j, f->name, v ? json_deep_copy(v) : json_null());
        else if (role == ROLE_OWNER)
            json_object_set_new(j, f->name,
                                json_is_string(v)
                                    ? secret_mask(f, json_string_value(v), json_string_value(json_object_get(r->saved_at, f->name)))
                                    : json_null());
    }
    json_object_update_new(j, json_deep_copy(r->computed));
    json_object_set_new(j, "verificationStatus", json_string(r->status));
    json_object_set_new(j, "lastVerifiedAt", r->last_verified_at[0] ? json_string(r->last_verified_at) : json_null());
    json_object_set_new(j, "lastVerificationError", json_text_or_null(r->last_error));
    json_object_set_new(j, "configuredByAccountId", json_string(r->configured_by));
    json_object_set_new(j, "createdAt", json_string(r->created_at));
    json_object_set_new(j, "updatedAt", json_string(r->updated_at));
    if (role == ROLE_OWNER && json_array_size(r->unreadable) > 0)
        json_object_set_new(j, "unreadableSecrets", json_deep_copy(r->unreadable));
    return j;
}

/* ---- writing ---- */

static const struct provider *resolve_type(const struct category *cat, json_t *type, struct err *err)
{
    const struct provider *p = json_is_string(type) ? provider_by_type(json_string_value(type)) : NULL;

    if (!type || json_is_null(type)) {
        err_detail(err, "type", "is required");
        return NULL;
    }
    if (!p || p->category != cat->id) {
        static const char intro[] = "must be one of: ", more[] = ", ...";
        const struct provider *q;
        struct buf list;
        bool cut = false;
        /* As many types as a detail's message holds; the rest is said to be there. */
        buf_init(&list, sizeof err->details[0].message - sizeof intro - sizeof more);
        for (size_t i = 0; (q = provider_at(i)) && !cut; i++)
            if (q->category == cat->id && provider_enabled(q))
                cut = buf_printf(&list, "%s%s", list.len ? ", " : "", q->type) != 0;
        err_detail(err, "type", "%s%s%s", intro, list.data ? list.data : "", cut ? more : "");
        buf_free(&list);
        return NULL;
    }
    if (!provider_enabled(p)) {
        err_detail(err, "type", "%s integrations are disabled on this server (%s=false)", p->type, p->flag);
        return NULL;
    }
    return p;
}

/* Pipelines point at the tenant's own SCM connection and target; some pipeline types need a matching SCM. */
void integration_check_references(struct store_conn *c, const char *tenant_id, const struct provider *p, json_t *config,
                                  struct err *err)
{
    static const struct {
        const char *field;
        enum category_id cat;
    } refs[] = {{"scmIntegrationId", CAT_SCM}, {"targetIntegrationId", CAT_TARGETS}};

    if (p->category != CAT_PIPELINES)
        return;
    for (size_t i = 0; i < ARRAY_LEN(refs); i++) {
        const char *id = json_string_value(json_object_get(config, refs[i].field));
        struct integration_row *r = NULL;
        struct err inner;
        err_clear(&inner);
        if (!id || !uuid_valid(id))
            continue; /* the schema already said so */
        if (integration_load(c, NULL, category_get(refs[i].cat), tenant_id, id, false, &r, &inner)) {
            err_detail(err, refs[i].field, "is not a %s integration of this tenant", category_get(refs[i].cat)->slug);
            continue;
        }
        if (refs[i].cat == CAT_SCM && p->scm_type && strcmp(r->prov->type, p->scm_type) != 0)
            err_detail(err, refs[i].field, "must be a %s connection for %s", p->scm_type, p->type);
        integration_row_free(r);
    }
}

/* The documents' convention: a column whose name ends in "At" holds a timestamp. */
static bool time_column(const char *name)
{
    size_t n = strlen(name);
    return n > 2 && strcmp(name + n - 2, "At") == 0;
}

/* A timestamp in slipway's one form (any RFC 3339 time the field's check let through), owned by the caller. */
static struct store_val time_value(const char *text, char **owned, size_t *nowned)
{
    int64_t ms;
    char *canon;

    if (!text || clock_parse(text, &ms))
        return STORE_TEXT(text);
    canon = xmalloc(TIMESTAMP_SIZE);
    clock_format(ms, canon);
    owned[(*nowned)++] = canon;
    return STORE_TIME(canon);
}

/* Binds every column of the category from config, encrypting secrets for this row. */
static enum err_code bind_columns(const struct integration_write *w, const struct provider *p, json_t *config, json_t *computed,
                                  struct store_val *vals, char **owned, size_t *nowned, const char *id, struct err *err)
{
    const struct category *cat = w->cat;
    size_t k = 0;

    for (size_t i = 0; i < cat->ncolumns; i++) {
        const struct field *f = cat->columns[i];
        json_t *v = provider_field(p, f->name) ? json_object_get(config, f->name) : NULL;

        vals[i] = STORE_NULL;
        if (!v || json_is_null(v))
            continue;
        switch (f->kind) {
        case FIELD_INT:
            vals[i] = STORE_INT(json_integer_value(v));
            break;
        case FIELD_BOOL:
            vals[i] = STORE_BOOL(json_is_true(v));
            break;
        case FIELD_ARRAY:
        case FIELD_OBJECT:
            owned[(*nowned)++] = json_dumps(v, JSON_COMPACT);
            vals[i] = STORE_TEXT(owned[*nowned - 1]);
            break;
        case FIELD_STRING:
            if (f->secret) {
                struct secret_place at = {w->tenant_id, cat->table, f->name, id};
                char *ct = NULL;
                if (secret_encrypt(w->keys, &at, json_string_value(v), json_string_length(v), &ct, err))
                    return err->code;
                owned[(*nowned)++] = ct;
                vals[i] = STORE_TEXT(ct);
            } else if (time_column(f->name)) {
                vals[i] = time_value(json_string_value(v), owned, nowned);
            } else {
                vals[i] = STORE_TEXT(json_string_value(v));
            }
            break;
        }
    }
    for (const char *const *x = cat->computed; x && *x; x++) {
        const char *v = json_string_value(json_object_get(computed, *x));
        vals[cat->ncolumns + k++] = time_column(*x) ? time_value(v, owned, nowned) : STORE_TEXT(v);
    }
    return ERR_OK;
}

static const char *conflict_message(const struct category *cat)
{
    switch (cat->id) {
    case CAT_SCM:
        return "this tenant already has a connection of this type for this organization";
    case CAT_TARGETS:
        return "this tenant already has a target of this type";
    default:
        return "already exists";
    }
}

/* Fields the body touched, by name: for the audit row (never values). */
static json_t *touched(json_t *body)
{
    json_t *names = json_array();
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v)
    {
        if (strcmp(key, "type") != 0)
            json_array_append_new(names, json_string(key));
    }
    return names;
}

static void apply_defaults(const struct provider *p, json_t *config)
{
    for (size_t i = 0; i < p->schema.count; i++) {
        const struct field *f = &p->schema.fields[i];
        if (f->def && !json_object_get(config, f->name))
            json_object_set_new(config, f->name, json_loads(f->def, JSON_DECODE_ANY, NULL));
    }
}

/* The schema, then the type's own rules; config gains its "type". Problems are details of err. */
static enum err_code check_config(const struct provider *p, json_t *config, struct err *err)
{
    if (schema_validate(&p->schema, config, err))
        return err->code;
    json_object_set_new(config, "type", json_string(p->type));
    if (p->prepare)
        p->prepare(config, err);
    return ERR_OK;
}

enum err_code integration_validate(const struct provider *p, json_t *config, struct err *err)
{
    json_object_del(config, "type");
    apply_defaults(p, config);
    if (check_config(p, config, err) == ERR_OK && err->ndetails)
        err_set(err, ERR_INVALID, "the configuration has %d problem%s", err->ndetails, err->ndetails == 1 ? "" : "s");
    return err->code;
}

/*
 * Drops from config the derived values (p->derived) that the patch leaves alone and that are what prepare
 * derives from the stored configuration: prepare then derives them again from the updated one. A stored
 * value set by hand differs from the derived one, and stays.
 */
static void forget_derived(const struct provider *p, json_t *stored, json_t *patch, json_t *config)
{
    for (const char *const *d = p->derived; d && *d && p->prepare; d++) {
        json_t *was = json_object_get(stored, *d), *again;
        struct err ignored;

        if (!was || json_object_get(patch, *d))
            continue;
        again = json_deep_copy(stored);
        json_object_del(again, *d);
        json_object_set_new(again, "type", json_string(p->type));
        err_clear(&ignored);
        p->prepare(again, &ignored);
        if (json_equal(json_object_get(again, *d), was))
            json_object_del(config, *d);
        secret_wipe_json(again);
        json_decref(again);
    }
}

/* secretsSavedAt after a write of body: the stored times, now for each secret the body sets, none for one it clears. */
static char *secrets_saved_at(const struct provider *p, const struct integration_row *old, json_t *body, const char *now)
{
    json_t *saved = old ? json_deep_copy(old->saved_at) : json_object();
    char *text;

    for (size_t i = 0; i < p->schema.count; i++) {
        const struct field *f = &p->schema.fields[i];
        json_t *v = json_object_get(body, f->name);
        if (!f->secret || !v)
            continue;
        if (json_is_string(v))
            json_object_set_new(saved, f->name, json_string(now));
        else
            json_object_del(saved, f->name);
    }
    text = json_dumps(saved, JSON_COMPACT);
    json_decref(saved);
    return text;
}

enum err_code integration_write(struct integration_write *w, struct err *err)
{
    const struct category *cat = w->cat;
    struct integration_row *old = NULL;
    const struct provider *p;
    json_t *config = NULL, *computed = json_object(), *details;
    struct store_val vals[CATALOG_MAX_COLUMNS + 16]; /* bookkeeping, columns, computed columns, tenantId and id */
    char *owned[CATALOG_MAX_COLUMNS * 2 + 1];        /* ciphertexts, JSON texts and timestamps: one per column, and one */
    size_t nowned = 0, ncols = cat->ncolumns;
    char now[TIMESTAMP_SIZE];
    const char *status = "NOT_VERIFIED";
    enum err_code rc;
    const char *key;
    json_t *v;

    for (const char *const *x = cat->computed; x && *x; x++)
        ncols++;
    clock_now(now);
    if (w->id) {
        if (integration_load(w->c, w->keys, cat, w->tenant_id, w->id, true, &old, err))
            goto out;
        p = old->prov;
        if (json_object_get(w->body, "type"))
            err_detail(err, "type", "cannot change: create a new integration instead");
        json_t *patch = json_deep_copy(w->body);
        json_object_del(patch, "type");
        schema_validate_partial(&p->schema, patch, err);
        config = json_deep_copy(old->config);
        json_object_foreach(patch, key, v)
        {
            if (json_is_null(v))
                json_object_del(config, key);
            else
                json_object_set_new(config, key, json_deep_copy(v)); /* patch is wiped below */
        }
        forget_derived(p, old->config, patch, config);
        secret_wipe_json(patch);
        json_decref(patch);
        if (err->ndetails)
            goto invalid;
        json_object_del(config, "type");
        snprintf(w->out_id, sizeof w->out_id, "%s", w->id);
    } else {
        p = resolve_type(cat, json_object_get(w->body, "type"), err);
        if (!p)
            goto invalid;
        config = json_deep_copy(w->body);
        json_object_del(config, "type");
        apply_defaults(p, config);
        rand_uuid(w->out_id);
    }
    if (check_config(p, config, err))
        goto out;
    integration_check_references(w->c, w->tenant_id, p, config, err);
    if (err->ndetails)
        goto invalid;
    json_object_foreach(config, key, v) if (is_computed(cat, key)) json_object_set_new(computed, key, json_deep_copy(v));
    if (p->expiry && json_is_string(json_object_get(computed, p->expiry)) &&
        strcmp(json_string_value(json_object_get(computed, p->expiry)), now) <= 0)
        status = "EXPIRED";

    struct store_val *cols = vals + 8;
    if (bind_columns(w, p, config, computed, cols, owned, &nowned, w->out_id, err))
        goto out;
    owned[nowned++] = secrets_saved_at(p, old, w->body, now);
    if (w->id) {
        /* UPDATE: status, error, updatedAt, secretsSavedAt, columns..., tenantId, id */
        memmove(vals + 4, cols, sizeof *vals * ncols);
        vals[0] = STORE_TEXT(status);
        vals[1] = STORE_NULL;
        vals[2] = STORE_TIME(now);
        vals[3] = STORE_TEXT(owned[nowned - 1]);
        vals[4 + ncols] = STORE_TEXT(w->tenant_id);
        vals[5 + ncols] = STORE_TEXT(w->id);
        rc = store_run(w->c, cat->sql_update, vals, ncols + 6, NULL, err);
    } else {
        vals[0] = STORE_TEXT(w->out_id);
        vals[1] = STORE_TEXT(w->tenant_id);
        vals[2] = STORE_TEXT(p->type);
        vals[3] = STORE_TEXT(status);
        vals[4] = STORE_TEXT(w->account_id);
        vals[5] = STORE_TIME(now);
        vals[6] = STORE_TIME(now);
        vals[7] = STORE_TEXT(owned[nowned - 1]);
        rc = store_run(w->c, cat->sql_insert, vals, ncols + 8, NULL, err);
    }
    if (rc == ERR_CONFLICT)
        err_set(err, ERR_CONFLICT, "%s", conflict_message(cat));
    if (rc || !w->audit)
        goto out;
    details = json_pack("{s:s, s:s, s:o}", "category", cat->slug, "type", p->type, "fields", touched(w->body));
    audit_write(w->c, w->req,
                &(struct audit_event){.tenant_id = w->tenant_id,
                                      .action = w->id ? "integration.update" : "integration.create",
                                      .target_type = cat->slug,
                                      .target_id = w->out_id,
                                      .details = details},
                err);
    json_decref(details);
    goto out;
invalid:
    err_set(err, ERR_INVALID, "the integration has %d problem%s", err->ndetails, err->ndetails == 1 ? "" : "s");
out:
    for (size_t i = 0; i < nowned; i++)
        free(owned[i]);
    secret_wipe_json(config);
    json_decref(config);
    json_decref(computed);
    integration_row_free(old);
    return err->code;
}

static integrations_deleting_fn deleting;

void integrations_on_delete(integrations_deleting_fn fn)
{
    deleting = fn;
}

enum err_code integration_deleting(struct store_conn *c, const struct keyring *keys, const struct category *cat,
                                   const char *tenant_id, const char *id, struct err *err)
{
    return deleting ? deleting(c, keys, cat, tenant_id, id, err) : ERR_OK;
}

enum err_code integration_delete(struct store_conn *c, const struct request *req, const struct category *cat, const char *tenant_id,
                                 const char *id, struct err *err)
{
    static const char *const users[CAT__COUNT] = {
        [CAT_SCM] = "SELECT id, displayName FROM tenant_pipeline_integrations WHERE tenantId = ? AND scmIntegrationId = ? "
                    "ORDER BY displayName, id",
        [CAT_TARGETS] = "SELECT id, displayName FROM tenant_pipeline_integrations WHERE tenantId = ? AND targetIntegrationId = ? "
                        "ORDER BY displayName, id",
    };
    struct integration_row *row = NULL;
    struct store_stmt *st;
    int64_t changes = 0;
    json_t *details;
    int rc;

    if (integration_load(c, NULL, cat, tenant_id, id, false, &row, err))
        return err->code;
    details = json_pack("{s:s, s:s}", "category", cat->slug, "type", row->prov ? row->prov->type : "");
    integration_row_free(row);
    /* Pipelines use SCM connections and targets: refuse, naming them, rather than let the foreign key fail. */
    if (users[cat->id]) {
        if (store_select(c, users[cat->id], STORE_ARGS(STORE_TEXT(tenant_id), STORE_TEXT(id)), &st, err))
            goto out;
        while ((rc = store_next(st, err)) == 1)
            err_detail(err, "pipelines", "%s (%s)", store_col_text(st, 0), store_col_text(st, 1));
        store_finish(st);
        if (rc < 0)
            goto out;
        if (err->ndetails) {
            err_set(err, ERR_CONFLICT, "%d pipeline%s still use%s this integration: delete or re-point %s first", err->ndetails,
                    err->ndetails == 1 ? "" : "s", err->ndetails == 1 ? "s" : "", err->ndetails == 1 ? "it" : "them");
            goto out;
        }
    }
    if (store_run(c, cat->sql_delete, STORE_ARGS(STORE_TEXT(tenant_id), STORE_TEXT(id)), &changes, err))
        goto out;
    if (changes == 0) {
        err_set(err, ERR_NOT_FOUND, "not found");
        goto out;
    }
    audit_write(
        c, req,
        &(struct audit_event){
            .tenant_id = tenant_id, .action = "integration.delete", .target_type = cat->slug, .target_id = id, .details = details},
        err);
out:
    json_decref(details);
    return err->code;
}
