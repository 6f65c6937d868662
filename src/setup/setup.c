#include "setup/setup.h"

#include "core/clock.h"
#include "core/rand.h"
#include "integrations/integrations.h"
#include "tenancy/audit.h"
#include "tenancy/roles.h"

const char *const setup_step_ids[STEP__COUNT] = {"github", "targets", "credentials", "cicd", "slack"};

void setup_status_clear(struct setup_status *s)
{
    json_decref(s->targets);
    json_decref(s->platforms);
    memset(s, 0, sizeof *s);
}

enum err_code setup_read(struct store_conn *c, const char *tenant_id, struct setup_status *out, struct err *err)
{
    struct store_stmt *st;
    int rc;

    memset(out, 0, sizeof *out);
    if (store_select(c,
                     "SELECT githubConnected, targetPlatformsConfigured, platformCredentialsConfigured, cicdConfigured, "
                     "slackConfigured, setupComplete, setupCompletedAt, setupCompletedByAccountId, selectedTargets, "
                     "selectedPlatforms FROM tenant_release_settings WHERE tenantId = ?",
                     STORE_ARGS(STORE_TEXT(tenant_id)), &st, err))
        return err->code;
    rc = store_next(st, err);
    if (rc == 1) {
        out->exists = true;
        for (int i = 0; i < STEP__COUNT; i++)
            out->done[i] = store_col_bool(st, i);
        out->complete = store_col_bool(st, 5);
        snprintf(out->completed_at, sizeof out->completed_at, "%s", store_col_null(st, 6) ? "" : store_col_text(st, 6));
        snprintf(out->completed_by, sizeof out->completed_by, "%s", store_col_null(st, 7) ? "" : store_col_text(st, 7));
        out->targets = store_col_null(st, 8) ? NULL : json_loads(store_col_text(st, 8), 0, NULL);
        out->platforms = store_col_null(st, 9) ? NULL : json_loads(store_col_text(st, 9), 0, NULL);
    }
    store_finish(st);
    if (!out->targets)
        out->targets = json_array();
    if (!out->platforms)
        out->platforms = json_array();
    return rc < 0 ? err->code : ERR_OK;
}

static enum err_code ensure_row(struct store_conn *c, const char *tenant_id, struct err *err)
{
    char id[UUID_SIZE], now[TIMESTAMP_SIZE];
    int64_t n;

    if (store_int(c, "SELECT COUNT(*) FROM tenant_release_settings WHERE tenantId = ?", STORE_ARGS(STORE_TEXT(tenant_id)), &n, err))
        return err->code;
    if (n > 0)
        return ERR_OK;
    rand_uuid(id);
    clock_now(now);
    return store_run(c,
                     "INSERT INTO tenant_release_settings (id, tenantId, setupComplete, githubConnected, "
                     "targetPlatformsConfigured, platformCredentialsConfigured, cicdConfigured, slackConfigured, createdAt, "
                     "updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     STORE_ARGS(STORE_TEXT(id), STORE_TEXT(tenant_id), STORE_BOOL(false), STORE_BOOL(false), STORE_BOOL(false),
                                STORE_BOOL(false), STORE_BOOL(false), STORE_BOOL(false), STORE_TIME(now), STORE_TIME(now)),
                     NULL, err);
}

/* The targets a setup may select, in the order have_sql counts them. */
static const char *const target_types[] = {"APP_STORE", "PLAY_STORE", "FIREBASE", NULL};

/* What a tenant has, active, of what the wizard's steps ask for: one statement. */
enum { HAVE_SCM, HAVE_PIPELINE, HAVE_SLACK, HAVE_TARGET /* then one per target_types */, HAVE__COUNT = HAVE_TARGET + 3 };
static const char have_sql[] =
    "SELECT (SELECT COUNT(*) FROM tenant_scm_integrations WHERE tenantId = ? AND isActive = ?), "
    "(SELECT COUNT(*) FROM tenant_pipeline_integrations WHERE tenantId = ? AND isActive = ?), "
    "(SELECT COUNT(*) FROM tenant_communication_integrations WHERE tenantId = ? AND communicationType = 'SLACK' AND isActive = ?), "
    "(SELECT COUNT(*) FROM tenant_target_integrations WHERE tenantId = ? AND targetType = 'APP_STORE' AND isActive = ?), "
    "(SELECT COUNT(*) FROM tenant_target_integrations WHERE tenantId = ? AND targetType = 'PLAY_STORE' AND isActive = ?), "
    "(SELECT COUNT(*) FROM tenant_target_integrations WHERE tenantId = ? AND targetType = 'FIREBASE' AND isActive = ?)";

static enum err_code read_have(struct store_conn *c, const char *tenant_id, int64_t have[HAVE__COUNT], struct err *err)
{
    struct store_val args[2 * HAVE__COUNT];
    struct store_stmt *st;
    int rc;

    for (int i = 0; i < HAVE__COUNT; i++) {
        args[2 * i] = STORE_TEXT(tenant_id);
        args[2 * i + 1] = STORE_BOOL(true);
    }
    if (store_select(c, have_sql, args, ARRAY_LEN(args), &st, err))
        return err->code;
    rc = store_next(st, err);
    for (int i = 0; i < HAVE__COUNT; i++)
        have[i] = rc == 1 ? store_col_int(st, i) : 0;
    store_finish(st);
    return rc < 0 ? err->code : ERR_OK;
}

enum err_code setup_refresh(struct store_conn *c, const char *tenant_id, const char *account_id, struct setup_status *out,
                            struct err *err)
{
    struct setup_status s = {0}; /* cleared on every failure, even one before setup_read fills it */
    int64_t have[HAVE__COUNT];
    char now[TIMESTAMP_SIZE];
    size_t i;
    json_t *t;

    if (ensure_row(c, tenant_id, err) || setup_read(c, tenant_id, &s, err) || read_have(c, tenant_id, have, err))
        goto out;
    s.done[STEP_GITHUB] = have[HAVE_SCM] > 0;
    s.done[STEP_TARGETS] = json_array_size(s.targets) > 0;
    s.done[STEP_CREDENTIALS] = s.done[STEP_TARGETS];
    json_array_foreach(s.targets, i, t)
    {
        bool found = false;
        for (int k = 0; target_types[k]; k++)
            found |= strcmp(target_types[k], json_string_value(t)) == 0 && have[HAVE_TARGET + k] > 0;
        if (!found)
            s.done[STEP_CREDENTIALS] = false;
    }
    s.done[STEP_CICD] = have[HAVE_PIPELINE] > 0;
    s.done[STEP_SLACK] = have[HAVE_SLACK] > 0;
    s.complete = s.done[STEP_GITHUB] && s.done[STEP_TARGETS] && s.done[STEP_CREDENTIALS];
    clock_now(now);
    if (s.complete && !s.completed_at[0]) {
        memcpy(s.completed_at, now, sizeof now);
        snprintf(s.completed_by, sizeof s.completed_by, "%s", account_id ? account_id : "");
    }
    store_run(c,
              "UPDATE tenant_release_settings SET githubConnected = ?, targetPlatformsConfigured = ?, "
              "platformCredentialsConfigured = ?, cicdConfigured = ?, slackConfigured = ?, setupComplete = ?, "
              "setupCompletedAt = ?, setupCompletedByAccountId = ?, updatedAt = ? WHERE tenantId = ?",
              STORE_ARGS(STORE_BOOL(s.done[STEP_GITHUB]), STORE_BOOL(s.done[STEP_TARGETS]), STORE_BOOL(s.done[STEP_CREDENTIALS]),
                         STORE_BOOL(s.done[STEP_CICD]), STORE_BOOL(s.done[STEP_SLACK]), STORE_BOOL(s.complete),
                         STORE_TIME(s.completed_at[0] ? s.completed_at : NULL),
                         STORE_TEXT(s.completed_by[0] ? s.completed_by : NULL), STORE_TIME(now), STORE_TEXT(tenant_id)),
              NULL, err);
out:
    if (out && !err->code)
        *out = s;
    else
        setup_status_clear(&s);
    return err->code;
}

/* ---- saving document 001's body ---- */

static const char *unique_of(json_t *v, const char *const *allowed, const char *what)
{
    size_t i, j;
    json_t *a, *b;
    json_array_foreach(v, i, a)
    {
        bool ok = false;
        for (const char *const *x = allowed; *x && json_is_string(a) && !ok; x++)
            ok = strcmp(*x, json_string_value(a)) == 0;
        if (!ok)
            return what;
        json_array_foreach(v, j, b) if (j < i && json_equal(a, b)) return "must not list the same value twice";
    }
    return NULL;
}

static const char *check_targets(json_t *v)
{
    return unique_of(v, target_types, "must list targets among APP_STORE, PLAY_STORE, FIREBASE");
}

static const char *check_platforms(json_t *v)
{
    static const char *const platforms[] = {"IOS", "ANDROID", "WEB", NULL};
    return unique_of(v, platforms, "must list platforms among IOS, ANDROID, WEB");
}

#define OBJECT(n)                                                                                                                  \
    {                                                                                                                              \
        .name = n, .kind = FIELD_OBJECT                                                                                            \
    }
SCHEMA(setup_schema, OBJECT("github"), {.name = "targets", .kind = FIELD_ARRAY, .check = check_targets},
       {.name = "platforms", .kind = FIELD_ARRAY, .check = check_platforms}, OBJECT("appStoreConnect"), OBJECT("playStore"),
       OBJECT("cicd"), OBJECT("slack"));
SCHEMA(setup_targets_schema, {.name = "targets", .kind = FIELD_ARRAY, .required = true, .check = check_targets},
       {.name = "platforms", .kind = FIELD_ARRAY, .check = check_platforms});
SCHEMA(setup_credentials_schema, OBJECT("appStoreConnect"), OBJECT("playStore"));

struct rename {
    const char *from, *to; /* the setup body's name, the integration's column */
    const char *at;        /* where the setup body has it, when not in the section itself (shared Jenkins settings) */
};

struct section {
    const char *name; /* key in the setup body */
    enum category_id cat;
    const char *type, *display;
    const struct rename *fields;
    size_t nfields;
};

static const struct rename github_fields[] = {{"accessToken", "accessToken", NULL},
                                              {"organization", "organization", NULL},
                                              {"repoName", "repoName", NULL},
                                              {"defaultBranch", "defaultBranch", NULL}};
static const struct rename app_store_fields[] = {{"apiKeyId", "appleApiKeyId", NULL},
                                                 {"issuerId", "appleIssuerId", NULL},
                                                 {"privateKey", "applePrivateKey", NULL},
                                                 {"bundleId", "appleBundleId", NULL},
                                                 {"teamId", "appleTeamId", NULL}};
static const struct rename play_store_fields[] = {{"serviceAccountEmail", "googleServiceAccountEmail", NULL},
                                                  {"privateKey", "googlePrivateKey", NULL},
                                                  {"packageName", "googlePackageName", NULL}};
static const struct rename slack_fields[] = {{"botToken", "slackBotToken", NULL},
                                             {"channels", "slackChannels", NULL},
                                             {"webhookUrl", "slackWebhookUrl", NULL},
                                             {"notifyOnEvents", "notifyOnEvents", NULL}};
static const struct rename workflow_fields[] = {{"name", "displayName", NULL},
                                                {"workflowPath", "githubWorkflowPath", NULL},
                                                {"platform", "platform", NULL},
                                                {"target", "targetIntegrationId", NULL}};
static const struct rename jenkins_fields[] = {{"name", "displayName", NULL},        {"jobPath", "jenkinsJobPath", NULL},
                                               {"platform", "platform", NULL},       {"target", "targetIntegrationId", NULL},
                                               {"url", "jenkinsUrl", NULL},          {"username", "jenkinsUsername", NULL},
                                               {"apiToken", "jenkinsApiToken", NULL}};

#define SECTION(n, c, t, d, f)                                                                                                     \
    {                                                                                                                              \
        n, c, t, d, f, ARRAY_LEN(f)                                                                                                \
    }
static const struct section sections[] = {
    SECTION("github", CAT_SCM, "GITHUB", NULL, github_fields),
    SECTION("appStoreConnect", CAT_TARGETS, "APP_STORE", "App Store Connect", app_store_fields),
    SECTION("playStore", CAT_TARGETS, "PLAY_STORE", "Google Play", play_store_fields),
    SECTION("slack", CAT_COMMUNICATION, "SLACK", "Slack", slack_fields),
};

/* Copies inner's details into err under prefix, naming fields as the setup body does. */
static void map_details(const struct err *inner, const char *prefix, const struct rename *r, size_t n, struct err *err)
{
    for (int i = 0; i < inner->ndetails; i++) {
        const char *f = inner->details[i].field, *name = f, *at = NULL;
        char field[96];
        bool seen = false;
        for (size_t k = 0; k < n; k++) {
            if (strcmp(r[k].to, f) == 0) {
                name = r[k].from;
                at = r[k].at;
            }
        }
        if (at) /* a shared setting: named once, where the body has it */
            snprintf(field, sizeof field, "%s", at);
        else if (name == f && strcmp(f, "type") == 0) /* a disabled or unknown type: the section itself */
            snprintf(field, sizeof field, "%s", prefix);
        else
            snprintf(field, sizeof field, "%s.%s", prefix, name);
        for (int k = 0; k < err->ndetails && !seen; k++)
            seen = strcmp(err->details[k].field, field) == 0 && strcmp(err->details[k].message, inner->details[i].message) == 0;
        if (!seen)
            err_detail(err, field, "%s", inner->details[i].message);
    }
}

/* The tenant's integration of this type that setup manages: the earliest one (optionally with this display name). */
static enum err_code find(struct store_conn *c, const char *tenant, enum category_id cat, const char *type, const char *name,
                          char id[UUID_SIZE], struct err *err)
{
    static const char *const by_type[CAT__COUNT] = {
        [CAT_SCM] = "SELECT id FROM tenant_scm_integrations WHERE tenantId = ? AND scmType = ? ORDER BY createdAt, id",
        [CAT_TARGETS] = "SELECT id FROM tenant_target_integrations WHERE tenantId = ? AND targetType = ? ORDER BY createdAt, id",
        [CAT_COMMUNICATION] = "SELECT id FROM tenant_communication_integrations WHERE tenantId = ? AND communicationType = ? "
                              "ORDER BY createdAt, id",
    };
    struct store_stmt *st;
    int rc;

    id[0] = '\0';
    if (name ? store_select(c,
                            "SELECT id FROM tenant_pipeline_integrations WHERE tenantId = ? AND pipelineType = ? AND "
                            "displayName = ? ORDER BY createdAt, id",
                            STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(type), STORE_TEXT(name)), &st, err)
             : store_select(c, by_type[cat], STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(type)), &st, err))
        return err->code;
    rc = store_next(st, err);
    if (rc == 1)
        snprintf(id, UUID_SIZE, "%s", store_col_text(st, 0));
    store_finish(st);
    return rc < 0 ? err->code : ERR_OK;
}

/* Builds the integration body from a setup section: renamed fields, unknown ones reported under prefix. */
static json_t *translate(json_t *section, const char *prefix, const struct rename *r, size_t n, struct err *err)
{
    json_t *body = json_object(), *v;
    const char *key;

    json_object_foreach(section, key, v)
    {
        const char *to = NULL;
        for (size_t k = 0; k < n && !to; k++)
            if (strcmp(r[k].from, key) == 0 && !r[k].at) /* shared settings are not accepted inside the section */
                to = r[k].to;
        if (!to) {
            char field[64];
            snprintf(field, sizeof field, "%s.%s", prefix, key);
            err_detail(err, field, "is not a known field");
        } else {
            json_object_set_new(body, to, json_deep_copy(v)); /* a copy: the body is wiped after use */
        }
    }
    return body;
}

struct save {
    struct store_conn *c;
    const struct request *req;
    const struct keyring *keys;
    const char *tenant, *account;
    json_t *changes; /* what each integration write did, for the one setup.save audit row */
};

/* Creates or updates one integration from a translated body; validation problems land in err under prefix. */
static enum err_code upsert(const struct save *s, enum category_id cat, const char *type, const char *existing, json_t *body,
                            const char *prefix, const struct rename *r, size_t n, struct err *err)
{
    struct integration_write w = {.c = s->c,
                                  .req = s->req,
                                  .keys = s->keys,
                                  .tenant_id = s->tenant,
                                  .account_id = s->account,
                                  .cat = category_get(cat),
                                  .id = existing[0] ? existing : NULL,
                                  .body = body};
    struct err inner;
    json_t *fields = json_array(), *v;
    const char *key;

    if (!existing[0])
        json_object_set_new(body, "type", json_string(type));
    err_clear(&inner);
    if (integration_write(&w, &inner) == ERR_OK) {
        /* Audited once, in the save's row: which integration, created or updated, the names of the fields touched. */
        json_object_foreach(body, key, v) if (strcmp(key, "type") != 0) json_array_append_new(fields, json_string(key));
        json_array_append_new(s->changes, json_pack("{s:s, s:s, s:s, s:s, s:o}", "category", category_get(cat)->slug, "type", type,
                                                    "id", w.out_id, "change", existing[0] ? "update" : "create", "fields", fields));
        return ERR_OK;
    }
    json_decref(fields);
    if (inner.code != ERR_INVALID) {
        *err = inner;
        return err->code;
    }
    map_details(&inner, prefix, r, n, err);
    return ERR_OK; /* keep going: report every section's problems at once */
}

static enum err_code save_section(const struct save *s, const struct section *sec, json_t *value, struct err *err)
{
    char id[UUID_SIZE];
    json_t *body;
    enum err_code rc;

    if (!json_is_object(value))
        return ERR_OK; /* the top-level schema reported it */
    body = translate(value, sec->name, sec->fields, sec->nfields, err);
    if (find(s->c, s->tenant, sec->cat, sec->type, NULL, id, err)) {
        json_decref(body);
        return err->code;
    }
    if (!id[0] && sec->display) {
        json_object_set_new(body, "displayName", json_string(sec->display));
    } else if (!sec->display) {
        /* The SCM connection is shown as organization/repoName, kept in step with them. */
        struct integration_row *old = NULL;
        const char *org = json_string_value(json_object_get(value, "organization"));
        const char *repo = json_string_value(json_object_get(value, "repoName"));
        char display[520];
        if (id[0] && integration_load(s->c, NULL, category_get(sec->cat), s->tenant, id, false, &old, err)) {
            json_decref(body);
            return err->code;
        }
        if (!org && old)
            org = json_string_value(json_object_get(old->config, "organization"));
        if (!repo && old)
            repo = json_string_value(json_object_get(old->config, "repoName"));
        snprintf(display, sizeof display, "%s/%s", org ? org : "", repo ? repo : "");
        if (org && repo)
            json_object_set_new(body, "displayName", json_string(display));
        integration_row_free(old);
    }
    rc = upsert(s, sec->cat, sec->type, id, body, sec->name, sec->fields, sec->nfields, err);
    secret_wipe_json(body);
    json_decref(body);
    return rc;
}

static enum err_code save_cicd(const struct save *s, json_t *cicd, struct err *err)
{
    const char *type = json_string_value(json_object_get(cicd, "type"));
    bool jenkins = type && strcmp(type, "JENKINS") == 0;
    const char *list = jenkins ? "pipelines" : "workflows";
    const struct rename *r = jenkins ? jenkins_fields : workflow_fields;
    size_t nr = jenkins ? ARRAY_LEN(jenkins_fields) : ARRAY_LEN(workflow_fields);
    json_t *items = json_object_get(cicd, list), *item;
    char scm[UUID_SIZE];
    const char *key;
    size_t i;
    json_t *v;

    if (!json_is_object(cicd))
        return ERR_OK;
    if (!type || (strcmp(type, "GITHUB_ACTIONS") != 0 && !jenkins)) {
        err_detail(err, "cicd.type", "must be GITHUB_ACTIONS or JENKINS");
        return ERR_OK;
    }
    if (!provider_enabled(provider_by_type(type))) {
        err_detail(err, "cicd.type", "%s integrations are disabled on this server (%s=false)", type, provider_by_type(type)->flag);
        return ERR_OK;
    }
    json_object_foreach(cicd, key, v)
    {
        bool shared = jenkins && (strcmp(key, "url") == 0 || strcmp(key, "username") == 0 || strcmp(key, "apiToken") == 0);
        if (strcmp(key, "type") != 0 && strcmp(key, list) != 0 && !shared) {
            char field[64];
            snprintf(field, sizeof field, "cicd.%s", key);
            err_detail(err, field, "is not a known field");
        }
    }
    if (!json_is_array(items)) {
        err_detail(err, jenkins ? "cicd.pipelines" : "cicd.workflows", "must be an array");
        return ERR_OK;
    }
    if (find(s->c, s->tenant, CAT_SCM, "GITHUB", NULL, scm, err))
        return err->code;
    if (!scm[0]) {
        err_detail(err, "cicd", "needs the github connection: send the github section too");
        return ERR_OK;
    }
    json_array_foreach(items, i, item)
    {
        char prefix[64], existing[UUID_SIZE], target[UUID_SIZE] = "";
        const char *name, *t;
        json_t *body;

        snprintf(prefix, sizeof prefix, "cicd.%s[%zu]", list, i);
        if (!json_is_object(item)) {
            err_detail(err, prefix, "must be an object");
            continue;
        }
        name = json_string_value(json_object_get(item, "name"));
        t = json_string_value(json_object_get(item, "target"));
        body = translate(item, prefix, r, nr, err);
        if (jenkins) {
            /* The server's address and credentials are shared by every Jenkins pipeline. */
            static const char *const shared[][2] = {
                {"url", "jenkinsUrl"}, {"username", "jenkinsUsername"}, {"apiToken", "jenkinsApiToken"}};
            for (size_t k = 0; k < ARRAY_LEN(shared); k++)
                if (json_object_get(cicd, shared[k][0]))
                    json_object_set_new(body, shared[k][1], json_deep_copy(json_object_get(cicd, shared[k][0])));
        }
        if (!t) {
            char field[80];
            snprintf(field, sizeof field, "%s.target", prefix);
            err_detail(err, field, "is required: APP_STORE, PLAY_STORE or FIREBASE");
        } else if (find(s->c, s->tenant, CAT_TARGETS, t, NULL, target, err)) {
            json_decref(body);
            return err->code;
        } else if (!target[0]) {
            char field[80];
            snprintf(field, sizeof field, "%s.target", prefix);
            err_detail(err, field, "names %s, which has no credentials yet: add them (appStoreConnect, playStore) first", t);
        }
        json_object_set_new(body, "targetIntegrationId", json_string(target));
        json_object_set_new(body, "scmIntegrationId", json_string(scm));
        if (find(s->c, s->tenant, CAT_PIPELINES, type, name ? name : "", existing, err)) {
            json_decref(body);
            return err->code;
        }
        if (target[0] && upsert(s, CAT_PIPELINES, type, existing, body, prefix, r, nr, err)) {
            secret_wipe_json(body);
            json_decref(body);
            return err->code;
        }
        secret_wipe_json(body);
        json_decref(body);
    }
    return ERR_OK;
}

static enum err_code save_selection(const struct save *s, const char *column_sql, json_t *value, struct err *err)
{
    char *text;
    char now[TIMESTAMP_SIZE];
    enum err_code rc;

    if (!json_is_array(value))
        return ERR_OK;
    text = json_dumps(value, JSON_COMPACT);
    clock_now(now);
    rc = store_run(s->c, column_sql, STORE_ARGS(STORE_TEXT(text), STORE_TIME(now), STORE_TEXT(s->tenant)), NULL, err);
    free(text);
    return rc;
}

enum err_code setup_save(struct store_conn *c, const struct request *req, const struct keyring *keys, json_t *body,
                         struct setup_status *out, struct err *err)
{
    struct save s = {c, req, keys, principal_of(req)->tenant_id, principal_of(req)->account_id, json_array()};
    json_t *saved = json_array(), *details;
    const char *key;
    json_t *v;

    json_object_foreach(body, key, v) json_array_append_new(saved, json_string(key));
    /*
     * Shape problems and every section's problems are reported together:
     * keep the details and go on, but write no selection that failed its
     * check (a database may refuse it before the details are told).
     */
    bool shape_ok = schema_validate(&setup_schema, body, err) == ERR_OK;
    err->code = ERR_OK;
    if (ensure_row(c, s.tenant, err) ||
        (shape_ok &&
         (save_selection(&s, "UPDATE tenant_release_settings SET selectedTargets = ?, updatedAt = ? WHERE tenantId = ?",
                         json_object_get(body, "targets"), err) ||
          save_selection(&s, "UPDATE tenant_release_settings SET selectedPlatforms = ?, updatedAt = ? WHERE tenantId = ?",
                         json_object_get(body, "platforms"), err))))
        goto out;
    for (size_t i = 0; i < ARRAY_LEN(sections); i++)
        if (save_section(&s, &sections[i], json_object_get(body, sections[i].name), err))
            goto out;
    if (save_cicd(&s, json_object_get(body, "cicd"), err))
        goto out;
    if (err->ndetails) {
        err_set(err, ERR_INVALID, "the setup has %d problem%s; nothing was saved", err->ndetails, err->ndetails == 1 ? "" : "s");
        goto out;
    }
    if (setup_refresh(c, s.tenant, s.account, out, err))
        goto out;
    details = json_pack("{s:O, s:b, s:O}", "sections", saved, "setupComplete", out->complete, "integrations", s.changes);
    audit_write(c, req,
                &(struct audit_event){.tenant_id = s.tenant,
                                      .action = "setup.save",
                                      .target_type = "release_settings",
                                      .target_id = s.tenant,
                                      .details = details},
                err);
    json_decref(details);
out:
    json_decref(saved);
    json_decref(s.changes);
    return err->code;
}
