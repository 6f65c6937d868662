/* releases_http.c: /api/v1/{tenantId}/releases and the release configuration (docs/api.md, docs/releases.md). */
#include <ctype.h>

#include "core/clock.h"
#include "core/fnv.h"
#include "core/rand.h"
#include "core/revcache.h"
#include "core/xmalloc.h"
#include "http/jsonw.h"
#include "http/page.h"
#include "http/stream.h"
#include "integrations/webhooks.h"
#include "jobs/jobs.h"
#include "notify/approvals.h"
#include "notify/testruns.h"
#include "releases/lifecycle.h"
#include "releases/releases.h"
#include "releases/releases_http.h"
#include "setup/setup_http.h"
#include "stores/health.h"
#include "stores/stores.h"
#include "tenancy/audit.h"
#include "tenancy/roles.h"
#include "tenancy/tenants.h"
#include "usage/usage.h"

/* The workflow engine (releases_http_start). */
static struct jobs *jobs;

/*
 * The release page is kept, written, per process (docs/performance.md, "The
 * release page, kept"): by release id, valid at the tenant's revision. Every
 * write to what the page shows (the release, its builds, timeline, approvals,
 * store submissions and health readings) runs in tenant_tx, which raises that
 * revision in the same transaction, and auth reads the revision with the
 * caller's role before the handler runs: a page built after that read is at
 * least as new as the revision it is kept at, so a change made by any process
 * is seen by the next read. The page is the same for every role. A kept text
 * starts with its tenant and its ETag (KEPT_HEAD bytes); one larger than
 * KEPT_MAX is not kept (KEPT_SLOTS of them at most).
 */
#define KEPT_SLOTS 512
#define KEPT_MAX ((size_t)128 << 10)
#define ETAG_SIZE 19 /* "%016llx" quoted, and its NUL */
#define KEPT_HEAD (UUID_SIZE - 1 + ETAG_SIZE - 1)

static struct revcache *pages; /* made once at start-up (releases_http_start), kept to the end */

void releases_http_start(struct jobs *j)
{
    jobs = j;
    if (!pages)
        pages = revcache_new(KEPT_SLOTS);
    release_trains_start(j);
    webhooks_on_build(release_builds_webhook); /* a completed build applied in its delivery's transaction */
}

static const char *const release_types[] = {"MAJOR", "MINOR", "PATCH", "HOTFIX", NULL};
static const char *const platforms[] = {"IOS", "ANDROID", "WEB", NULL};
static const char *const schemes[] = {"SEMVER", "CALVER", NULL};
static const char *const approver_roles[] = {"owner", "editor", "viewer", NULL};
const char *const release_actions[] = {"pause", "resume", "retry", "cancel", "new-candidate", "finish", NULL};

/* A set: at least one value, none twice (the router checks each value is allowed, not the array's size). */
static const char *check_set(json_t *v)
{
    size_t i, j;

    if (json_array_size(v) == 0)
        return "must hold at least one value";
    for (i = 0; i < json_array_size(v); i++)
        for (j = 0; j < i; j++)
            if (json_equal(json_array_get(v, i), json_array_get(v, j)))
                return "must not hold a value twice";
    return NULL;
}

SCHEMA(release_create_schema, {.name = "version", .kind = FIELD_STRING, .required = true, .min = 1, .max = 64},
       {.name = "releaseType", .kind = FIELD_STRING, .required = true, .allowed = release_types},
       {.name = "platforms", .kind = FIELD_ARRAY, .required = true, .allowed = platforms, .check = check_set},
       {.name = "baseRef", .kind = FIELD_STRING, .min = 1, .max = 255, .check = check_printable},
       {.name = "targetDate", .kind = FIELD_STRING, .min = 10, .max = 10, .format = "date"},
       {.name = "scmIntegrationId", .kind = FIELD_STRING, .min = 36, .max = 36, .format = "uuid"});

static const char *const weekdays[] = {"MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY", NULL};
static const char *const train_types[] = {"MAJOR", "MINOR", "PATCH", NULL};

static bool one_of(const char *v, const char *const *names)
{
    for (int i = 0; v && names[i]; i++)
        if (strcmp(v, names[i]) == 0)
            return true;
    return false;
}

/* The kickoff schedule (docs/releases.md, "Scheduled trains"): {weekday, time "HH:MM", platforms, releaseType?}, UTC. */
static const char *check_schedule(json_t *v)
{
    const char *key, *time = json_string_value(json_object_get(v, "time"));
    json_t *item, *platforms_v = json_object_get(v, "platforms");
    size_t i;

    json_object_foreach(v, key, item)
    {
        if (strcmp(key, "weekday") != 0 && strcmp(key, "time") != 0 && strcmp(key, "platforms") != 0 &&
            strcmp(key, "releaseType") != 0)
            return "has an unknown field (weekday, time, platforms, releaseType)";
    }
    if (!one_of(json_string_value(json_object_get(v, "weekday")), weekdays))
        return "weekday must be MONDAY .. SUNDAY";
    if (!time || strlen(time) != 5 || time[2] != ':' || !isdigit((unsigned char)time[0]) || !isdigit((unsigned char)time[1]) ||
        !isdigit((unsigned char)time[3]) || !isdigit((unsigned char)time[4]) || (time[0] - '0') * 10 + time[1] - '0' > 23 ||
        time[3] > '5')
        return "time must be HH:MM (UTC)";
    if (!json_is_array(platforms_v) || json_array_size(platforms_v) == 0)
        return "platforms must be a non-empty array of IOS, ANDROID, WEB";
    json_array_foreach(platforms_v, i, item)
    {
        if (!one_of(json_string_value(item), platforms))
            return "platforms must be a non-empty array of IOS, ANDROID, WEB";
    }
    if (json_object_get(v, "releaseType") && !one_of(json_string_value(json_object_get(v, "releaseType")), train_types))
        return "releaseType must be MAJOR, MINOR or PATCH";
    return NULL;
}

SCHEMA(release_config_schema, {.name = "scmIntegrationId", .kind = FIELD_STRING, .min = 36, .max = 36, .format = "uuid"},
       {.name = "baseBranch", .kind = FIELD_STRING, .min = 1, .max = 255, .check = check_printable},
       {.name = "branchTemplate", .kind = FIELD_STRING, .min = 1, .max = 200, .check = check_printable},
       {.name = "candidateTagTemplate", .kind = FIELD_STRING, .min = 1, .max = 200, .check = check_printable},
       {.name = "finalTagTemplate", .kind = FIELD_STRING, .min = 1, .max = 200, .check = check_printable},
       {.name = "versionScheme", .kind = FIELD_STRING, .allowed = schemes}, {.name = "platformPipelines", .kind = FIELD_OBJECT},
       {.name = "approvalRoles", .kind = FIELD_ARRAY, .allowed = approver_roles, .check = check_set},
       {.name = "approvalCount", .kind = FIELD_INT, .min = 1, .max = 10},
       {.name = "buildTimeoutMinutes", .kind = FIELD_INT, .min = 1, .max = 1440},
       {.name = "schedule", .kind = FIELD_OBJECT, .check = check_schedule},
       {.name = "rolloutPlans", .kind = FIELD_OBJECT}, /* checked against the tenant's targets: store_default_plans_check */
       {.name = "minTestPassRate", .kind = FIELD_INT, .min = 0, .max = 100});

static const struct field action_fields[] = {{.name = "reason", .kind = FIELD_STRING, .min = 1, .max = 500}};
const struct schema release_action_schema = {
    .name = "release_action_schema", .fields = action_fields, .count = ARRAY_LEN(action_fields), .optional = true};

static const struct field approve_fields[] = {{.name = "note", .kind = FIELD_STRING, .min = 1, .max = 1000}};
const struct schema release_approve_schema = {
    .name = "release_approve_schema", .fields = approve_fields, .count = ARRAY_LEN(approve_fields), .optional = true};

SCHEMA(release_patch_schema, {.name = "notes", .kind = FIELD_STRING, .required = true, .max = 60000});

/* ---- the configuration ---- */

struct rel_config {
    char scm[UUID_SIZE], base[256], branch[256], candidate[256], final[256], scheme[16];
    json_t *pipelines, *roles; /* owned */
    json_t *schedule;          /* owned; NULL: no release train */
    json_t *plans;             /* owned: rolloutPlans, each store target's default rollout plan ({} for none) */
    int count;
    int64_t timeout; /* buildTimeoutMinutes: a build's overall deadline (docs/releases.md, "Builds") */
    int min_rate;    /* minTestPassRate: the regression approval's gate on the test runs (docs/notifications.md); -1 none */
    char updated_at[TIMESTAMP_SIZE];
};

static void config_clear(struct rel_config *cf)
{
    json_decref(cf->pipelines);
    json_decref(cf->roles);
    json_decref(cf->schedule);
    json_decref(cf->plans);
}

static enum err_code config_read(struct store_conn *db, const char *tenant, struct rel_config *cf, struct err *err)
{
    struct store_stmt *st;
    int rc;

    memset(cf, 0, sizeof *cf);
    snprintf(cf->branch, sizeof cf->branch, "release/{version}");
    snprintf(cf->candidate, sizeof cf->candidate, "v{version}-rc.{n}");
    snprintf(cf->final, sizeof cf->final, "v{version}");
    snprintf(cf->scheme, sizeof cf->scheme, "SEMVER");
    cf->count = 1;
    cf->timeout = RELEASE_BUILD_TIMEOUT_DEFAULT;
    cf->min_rate = -1;
    if (store_select(db,
                     "SELECT scmIntegrationId, baseBranch, branchTemplate, candidateTagTemplate, finalTagTemplate, versionScheme, "
                     "platformPipelines, approvalRoles, approvalCount, updatedAt, buildTimeoutMinutes, kickoffSchedule, "
                     "rolloutPlans, minTestPassRate FROM release_configs WHERE tenantId = ?",
                     STORE_ARGS(STORE_TEXT(tenant)), &st, err))
        return err->code;
    rc = store_next(st, err);
    if (rc == 1) {
        char *outs[] = {cf->scm, cf->base, cf->branch, cf->candidate, cf->final, cf->scheme};
        size_t sizes[] = {sizeof cf->scm,       sizeof cf->base,  sizeof cf->branch,
                          sizeof cf->candidate, sizeof cf->final, sizeof cf->scheme};
        for (int i = 0; i < 6; i++)
            snprintf(outs[i], sizes[i], "%s", store_col_text(st, i) ? store_col_text(st, i) : "");
        cf->pipelines = store_col_text(st, 6) ? json_loads(store_col_text(st, 6), 0, NULL) : NULL;
        cf->roles = store_col_text(st, 7) ? json_loads(store_col_text(st, 7), 0, NULL) : NULL;
        cf->count = (int)store_col_int(st, 8);
        snprintf(cf->updated_at, sizeof cf->updated_at, "%s", store_col_text(st, 9) ? store_col_text(st, 9) : "");
        if (!store_col_null(st, 10))
            cf->timeout = store_col_int(st, 10);
        cf->schedule = store_col_text(st, 11) ? json_loads(store_col_text(st, 11), 0, NULL) : NULL;
        cf->plans = store_col_text(st, 12) ? json_loads(store_col_text(st, 12), 0, NULL) : NULL;
        cf->min_rate = store_col_null(st, 13) ? -1 : (int)store_col_int(st, 13);
    }
    store_finish(st);
    if (!cf->roles)
        cf->roles = json_loads(NOTIFY_RELEASE_DEFAULT_ROLES, 0, NULL);
    if (!cf->pipelines)
        cf->pipelines = json_object();
    if (!cf->plans)
        cf->plans = json_object();
    return rc < 0 ? err->code : ERR_OK;
}

static json_t *config_json(const struct rel_config *cf)
{
    return json_pack("{s:o, s:o, s:s, s:s, s:s, s:s, s:O, s:O, s:i, s:I, s:O, s:o, s:O, s:o}", "scmIntegrationId",
                     json_text_or_null(cf->scm[0] ? cf->scm : NULL), "baseBranch", json_text_or_null(cf->base[0] ? cf->base : NULL),
                     "branchTemplate", cf->branch, "candidateTagTemplate", cf->candidate, "finalTagTemplate", cf->final,
                     "versionScheme", cf->scheme, "platformPipelines", cf->pipelines, "approvalRoles", cf->roles, "approvalCount",
                     cf->count, "buildTimeoutMinutes", (json_int_t)cf->timeout, "schedule",
                     cf->schedule ? cf->schedule : json_null(), "updatedAt",
                     json_text_or_null(cf->updated_at[0] ? cf->updated_at : NULL), "rolloutPlans", cf->plans, "minTestPassRate",
                     cf->min_rate < 0 ? json_null() : json_integer(cf->min_rate));
}

enum err_code release_config_get(struct request *req, struct err *err)
{
    struct store_conn *db;
    struct rel_config cf;

    if (request_db(req, &db, err) || config_read(db, principal_of(req)->tenant_id, &cf, err))
        return err->code;
    response_json(req, 200, config_json(&cf));
    config_clear(&cf);
    return ERR_OK;
}

/* True when id is an integration of the tenant in table. */
static bool owned(struct store_conn *db, const char *sql, const char *tenant, const char *id, struct err *err)
{
    struct store_stmt *st;
    int rc;

    if (store_select(db, sql, STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(id)), &st, err))
        return false;
    rc = store_next(st, err);
    store_finish(st);
    return rc == 1;
}

static bool scm_owned(struct store_conn *db, const char *tenant, const char *id, struct err *err)
{
    return owned(db, "SELECT id FROM tenant_scm_integrations WHERE tenantId = ? AND id = ?", tenant, id, err);
}

struct config_tx {
    const struct request *req;
    const struct rel_config *cf;
};

static enum err_code config_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct config_tx *t = ctx;
    const struct rel_config *cf = t->cf;
    const char *tenant = principal_of(t->req)->tenant_id;
    char id[UUID_SIZE], now[TIMESTAMP_SIZE], *pipelines = json_dumps(cf->pipelines, JSON_COMPACT),
                                             *roles = json_dumps(cf->roles, JSON_COMPACT),
                                             *schedule = cf->schedule ? json_dumps(cf->schedule, JSON_COMPACT) : NULL,
                                             *plans = json_object_size(cf->plans) ? json_dumps(cf->plans, JSON_COMPACT) : NULL;
    int64_t changes = 0;

    clock_now(now);
    rand_uuid(id);
    if (store_run(c,
                  "UPDATE release_configs SET scmIntegrationId = ?, baseBranch = ?, branchTemplate = ?, candidateTagTemplate = ?, "
                  "finalTagTemplate = ?, versionScheme = ?, platformPipelines = ?, approvalRoles = ?, approvalCount = ?, "
                  "buildTimeoutMinutes = ?, kickoffSchedule = ?, minTestPassRate = ?, updatedByAccountId = ?, updatedAt = ?, "
                  "rolloutPlans = ? "
                  "WHERE tenantId = ?",
                  STORE_ARGS(STORE_TEXT(cf->scm[0] ? cf->scm : NULL), STORE_TEXT(cf->base[0] ? cf->base : NULL),
                             STORE_TEXT(cf->branch), STORE_TEXT(cf->candidate), STORE_TEXT(cf->final), STORE_TEXT(cf->scheme),
                             STORE_TEXT(pipelines), STORE_TEXT(roles), STORE_INT(cf->count), STORE_INT(cf->timeout),
                             STORE_TEXT(schedule), cf->min_rate < 0 ? STORE_NULL : STORE_INT(cf->min_rate),
                             STORE_TEXT(principal_of(t->req)->account_id), STORE_TIME(now), STORE_TEXT(plans), STORE_TEXT(tenant)),
                  &changes, err) == ERR_OK &&
        changes == 0)
        store_run(c,
                  "INSERT INTO release_configs (id, tenantId, scmIntegrationId, baseBranch, branchTemplate, candidateTagTemplate, "
                  "finalTagTemplate, versionScheme, platformPipelines, approvalRoles, approvalCount, buildTimeoutMinutes, "
                  "kickoffSchedule, minTestPassRate, updatedByAccountId, createdAt, updatedAt, rolloutPlans) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  STORE_ARGS(STORE_TEXT(id), STORE_TEXT(tenant), STORE_TEXT(cf->scm[0] ? cf->scm : NULL),
                             STORE_TEXT(cf->base[0] ? cf->base : NULL), STORE_TEXT(cf->branch), STORE_TEXT(cf->candidate),
                             STORE_TEXT(cf->final), STORE_TEXT(cf->scheme), STORE_TEXT(pipelines), STORE_TEXT(roles),
                             STORE_INT(cf->count), STORE_INT(cf->timeout), STORE_TEXT(schedule),
                             cf->min_rate < 0 ? STORE_NULL : STORE_INT(cf->min_rate), STORE_TEXT(principal_of(t->req)->account_id),
                             STORE_TIME(now), STORE_TIME(now), STORE_TEXT(plans)),
                  NULL, err);
    free(plans);
    free(pipelines);
    free(roles);
    free(schedule);
    if (err->code)
        return err->code;
    json_t *details = json_pack("{s:s, s:s}", "versionScheme", cf->scheme, "branchTemplate", cf->branch);
    audit_write(c, t->req,
                &(struct audit_event){.tenant_id = tenant,
                                      .action = "release.config.update",
                                      .target_type = "release_config",
                                      .target_id = tenant,
                                      .details = details},
                err);
    json_decref(details);
    if (!err->code && cf->schedule) /* the train's next slot (a job of an older schedule's slot ends without a release) */
        release_train_schedule(c, jobs, tenant, cf->schedule, clock_now_ms(), err);
    if (!err->code) { /* builds waiting for a pipeline look again */
        char key[JOB_EVENT_KEY_SIZE];
        snprintf(key, sizeof key, RELEASE_CONFIG_SIGNAL "%s", tenant);
        jobs_signal_in(c, key, NULL, err);
    }
    return err->code;
}

static void text_field(json_t *body, const char *name, char *out, size_t n)
{
    const char *v = json_string_value(json_object_get(body, name));
    if (v)
        snprintf(out, n, "%s", v);
}

enum err_code release_config_put(struct request *req, struct err *err)
{
    const char *tenant = principal_of(req)->tenant_id, *key;
    struct store_conn *db;
    struct rel_config cf;
    json_t *v, *body = req->body;
    char probe[512];

    if (request_db(req, &db, err) || config_read(db, tenant, &cf, err))
        return err->code;
    /* A PUT replaces: what the body leaves out takes its default. */
    config_clear(&cf);
    memset(&cf, 0, sizeof cf);
    snprintf(cf.branch, sizeof cf.branch, "release/{version}");
    snprintf(cf.candidate, sizeof cf.candidate, "v{version}-rc.{n}");
    snprintf(cf.final, sizeof cf.final, "v{version}");
    snprintf(cf.scheme, sizeof cf.scheme, "SEMVER");
    cf.count = 1;
    cf.timeout = RELEASE_BUILD_TIMEOUT_DEFAULT;
    cf.min_rate = json_is_integer(json_object_get(body, "minTestPassRate"))
                      ? (int)json_integer_value(json_object_get(body, "minTestPassRate"))
                      : -1;
    text_field(body, "scmIntegrationId", cf.scm, sizeof cf.scm);
    text_field(body, "baseBranch", cf.base, sizeof cf.base);
    text_field(body, "branchTemplate", cf.branch, sizeof cf.branch);
    text_field(body, "candidateTagTemplate", cf.candidate, sizeof cf.candidate);
    text_field(body, "finalTagTemplate", cf.final, sizeof cf.final);
    text_field(body, "versionScheme", cf.scheme, sizeof cf.scheme);
    if (json_is_integer(json_object_get(body, "approvalCount")))
        cf.count = (int)json_integer_value(json_object_get(body, "approvalCount"));
    if (json_is_integer(json_object_get(body, "buildTimeoutMinutes")))
        cf.timeout = json_integer_value(json_object_get(body, "buildTimeoutMinutes"));
    if (json_is_object(json_object_get(body, "schedule")))
        cf.schedule = json_deep_copy(json_object_get(body, "schedule"));
    cf.roles = json_object_get(body, "approvalRoles") ? json_deep_copy(json_object_get(body, "approvalRoles"))
                                                      : json_loads(NOTIFY_RELEASE_DEFAULT_ROLES, 0, NULL);
    cf.pipelines =
        json_object_get(body, "platformPipelines") ? json_deep_copy(json_object_get(body, "platformPipelines")) : json_object();
    cf.plans = json_object_get(body, "rolloutPlans") ? json_deep_copy(json_object_get(body, "rolloutPlans")) : json_object();
    if (!strstr(cf.branch, "{version}"))
        err_detail(err, "branchTemplate", "must contain {version}");
    if (!strstr(cf.candidate, "{version}") || !strstr(cf.candidate, "{n}"))
        err_detail(err, "candidateTagTemplate", "must contain {version} and {n}");
    if (!strstr(cf.final, "{version}"))
        err_detail(err, "finalTagTemplate", "must contain {version}");
    if (strcmp(cf.candidate, cf.final) == 0)
        err_detail(err, "candidateTagTemplate", "must differ from finalTagTemplate");
    if (!release_template(cf.branch, "1.0.0", 1, probe, 256) || !release_template(cf.candidate, "1.0.0", 1, probe, 256))
        err_detail(err, "branchTemplate", "makes names that are too long");
    if (cf.scm[0] && (!uuid_valid(cf.scm) || !scm_owned(db, tenant, cf.scm, err)) && !err->code)
        err_detail(err, "scmIntegrationId", "is not an SCM integration of this tenant");
    json_object_foreach(cf.pipelines, key, v)
    {
        char where[64];
        snprintf(where, sizeof where, "platformPipelines.%.40s", key);
        if (strcmp(key, "IOS") != 0 && strcmp(key, "ANDROID") != 0 && strcmp(key, "WEB") != 0)
            err_detail(err, where, "is not a platform (IOS, ANDROID, WEB)");
        else if (!json_is_string(v) || !uuid_valid(json_string_value(v)) ||
                 !owned(db, "SELECT id FROM tenant_pipeline_integrations WHERE tenantId = ? AND id = ?", tenant,
                        json_string_value(v), err))
            err_detail(err, where, "is not a pipeline integration of this tenant");
    }
    if (!err->code)
        store_default_plans_check(db, tenant, cf.plans, err);
    if (!err->code && err->ndetails)
        err_set(err, ERR_INVALID, "invalid release configuration");
    if (!err->code)
        tenant_tx(db, tenant, config_body, &(struct config_tx){req, &cf}, err);
    if (!err->code) {
        clock_now(cf.updated_at);
        response_json(req, 200, config_json(&cf));
    }
    config_clear(&cf);
    return err->code;
}

/* ---- releases ---- */

#define RELEASE_COLUMNS                                                                                                            \
    "id, tenantId, version, releaseType, platforms, status, resumeStatus, statusReason, scmIntegrationId, baseRef, baseCommit, "   \
    "releaseBranch, branchCommit, candidateNumber, candidateTag, targetDate, kickoffAt, createdByAccountId, createdAt, "           \
    "updatedAt, "                                                                                                                  \
    "candidateTagTemplate, finalTagTemplate, candidateCommit, finalTag, notes, notesEditedAt, archivedAt, trainSlot"

/* RELEASE_COLUMNS as the API names and types them: the list, the actions' answers and the release page. */
static const struct jsonw_col release_fields[] = {JSONW_TEXT_COL("id"),
                                                  JSONW_TEXT_COL("tenantId"),
                                                  JSONW_TEXT_COL("version"),
                                                  JSONW_TEXT_COL("releaseType"),
                                                  JSONW_JSON_COL("platforms", "[]"),
                                                  JSONW_TEXT_COL("status"),
                                                  JSONW_TEXT_COL("resumeStatus"),
                                                  JSONW_TEXT_COL("statusReason"),
                                                  JSONW_TEXT_COL("scmIntegrationId"),
                                                  JSONW_TEXT_COL("baseRef"),
                                                  JSONW_TEXT_COL("baseCommit"),
                                                  JSONW_TEXT_COL("releaseBranch"),
                                                  JSONW_TEXT_COL("branchCommit"),
                                                  JSONW_INT_COL("candidateNumber"),
                                                  JSONW_TEXT_COL("candidateTag"),
                                                  JSONW_TEXT_COL("targetDate"),
                                                  JSONW_TEXT_COL("kickoffAt"),
                                                  JSONW_TEXT_COL("createdByAccountId"),
                                                  JSONW_TEXT_COL("createdAt"),
                                                  JSONW_TEXT_COL("updatedAt"),
                                                  JSONW_TEXT_COL("candidateTagTemplate"),
                                                  JSONW_TEXT_COL("finalTagTemplate"),
                                                  JSONW_TEXT_COL("candidateCommit"),
                                                  JSONW_TEXT_COL("finalTag"),
                                                  JSONW_TEXT_COL("notes"),
                                                  JSONW_TEXT_COL("notesEditedAt"),
                                                  JSONW_TEXT_COL("archivedAt"),
                                                  JSONW_TEXT_COL("trainSlot")};

static json_t *release_row(struct store_stmt *st)
{
    json_t *row = json_object();

    for (int i = 0; i < (int)ARRAY_LEN(release_fields); i++) {
        const char *v = store_col_text(st, i);
        json_t *val;
        if (release_fields[i].kind == JSONW_JSON)
            val = v ? json_loads(v, 0, NULL) : NULL;
        else if (release_fields[i].kind == JSONW_INT)
            val = json_integer(store_col_int(st, i));
        else
            val = json_text_or_null(v);
        json_object_set_new(row, release_fields[i].name, val ? val : json_array());
    }
    return row;
}

enum err_code releases_list(struct request *req, struct err *err)
{
    const char *status = request_query(req, "status"), *archived = request_query(req, "archived");
    int only_archived = archived && strcmp(archived, "true") == 0;
    struct page p;

    page_parse(req, &p, err);
    if (status && release_status_parse(status) == REL_NONE)
        err_detail(err, "status", "must be a release status (KICKOFF, BUILDING, ...)");
    if (archived && strcmp(archived, "true") != 0 && strcmp(archived, "false") != 0)
        err_detail(err, "archived", "must be true or false");
    if (err->ndetails)
        return err_set(err, ERR_INVALID, "invalid query parameters");
    status = status ? status : "";
    /* archived=true lists only the archived ones; else they are hidden (docs/releases.md, "Archive") */
    return page_respond(req, &p,
                        "SELECT " RELEASE_COLUMNS " FROM releases WHERE tenantId = ? AND (? = '' OR status = ?) "
                        "AND ((? = 1 AND archivedAt IS NOT NULL) OR (? = 0 AND archivedAt IS NULL)) "
                        "AND (createdAt <= ? AND (createdAt < ? OR id < ?)) ORDER BY createdAt DESC, id DESC LIMIT ?",
                        STORE_ARGS(STORE_TEXT(principal_of(req)->tenant_id), STORE_TEXT(status), STORE_TEXT(status),
                                   STORE_INT(only_archived), STORE_INT(only_archived), PAGE_ARGS(&p)),
                        18, 0, release_row, err);
}

/* The release (as the list shows it) or NULL with ERR_NOT_FOUND. */
static json_t *release_load(struct store_conn *db, const char *tenant, const char *id, struct err *err)
{
    return page_row(db, "SELECT " RELEASE_COLUMNS " FROM releases WHERE tenantId = ? AND id = ?",
                    STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(id)), release_row, err);
}

#define EVENT_COLUMNS "id, kind, name, outcome, fromStatus, toStatus, message, details, actorAccountId, createdAt"

static const struct jsonw_col event_cols[] = {
    JSONW_TEXT_COL("id"),       JSONW_TEXT_COL("kind"),          JSONW_TEXT_COL("name"),
    JSONW_TEXT_COL("outcome"),  JSONW_TEXT_COL("fromStatus"),    JSONW_TEXT_COL("toStatus"),
    JSONW_TEXT_COL("message"),  JSONW_JSON_COL("details", "{}"), JSONW_TEXT_COL("actorAccountId"),
    JSONW_TEXT_COL("createdAt")};

/* One timeline row of EVENT_COLUMNS (the stream's); details is JSON text. Caller owns the result. */
static json_t *event_row(struct store_stmt *st)
{
    json_t *e = json_object();

    for (int i = 0; i < (int)ARRAY_LEN(event_cols); i++) {
        const char *v = store_col_text(st, i);
        json_t *d = event_cols[i].kind == JSONW_JSON && v ? json_loads(v, 0, NULL) : NULL;
        json_object_set_new(e, event_cols[i].name,
                            event_cols[i].kind == JSONW_JSON ? (d ? d : json_object()) : json_text_or_null(v));
    }
    return e;
}

/*
 * The release page is written row by row into one buffer (http/jsonw.h),
 * not built as a jansson tree and dumped: the same text, without a tree
 * per row (docs/performance.md, "The release read, written").
 */
#define RELEASE_PAGE_MAX ((size_t)64 << 20)

/* key: the rows sql finds for (tenant, release id), as an array of cols objects (n of them). */
static enum err_code release_rows(struct store_conn *db, struct jsonw *w, const char *key, const char *sql, const char *tenant,
                                  const char *id, const struct jsonw_col *cols, int n, struct err *err)
{
    struct store_stmt *st;
    int rc;

    if (store_select(db, sql, STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(id)), &st, err))
        return err->code;
    jsonw_key(w, key);
    jsonw_array(w);
    while ((rc = store_next(st, err)) == 1)
        jsonw_row(w, st, cols, n);
    store_finish(st);
    jsonw_array_end(w);
    return rc < 0 ? err->code : ERR_OK;
}

/*
 * The timeline's newest TIMELINE_LAST entries, written oldest first (the
 * page shows where the release is now; events/stream has the whole history).
 * The query walks the (releaseId, createdAt, id) index backwards and stops
 * after TIMELINE_LAST rows, however long the history; the rows are turned
 * around here rather than sorted again by the database.
 */
#define TIMELINE_LAST 50

static enum err_code timeline(struct store_conn *db, struct jsonw *w, const char *tenant, const char *id, struct err *err)
{
    size_t at[TIMELINE_LAST + 1];
    struct store_stmt *st;
    struct jsonw rows;
    int rc = 0, n = 0;

    if (store_select(db,
                     "SELECT " EVENT_COLUMNS " FROM release_events WHERE tenantId = ? AND releaseId = ? "
                     "ORDER BY createdAt DESC, id DESC LIMIT ?",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(id), STORE_INT(TIMELINE_LAST)), &st, err))
        return err->code;
    jsonw_init(&rows, w->out.limit);
    while (n < TIMELINE_LAST && (rc = store_next(st, err)) == 1) {
        at[n++] = rows.out.len;
        rows.comma = false; /* one value after another, no separator: each is copied on its own below */
        jsonw_row(&rows, st, event_cols, (int)ARRAY_LEN(event_cols));
    }
    store_finish(st);
    at[n] = rows.out.len;
    jsonw_key(w, "events");
    jsonw_array(w);
    for (int i = n - 1; i >= 0; i--)
        jsonw_verbatim(w, rows.out.data + at[i], at[i + 1] - at[i]);
    jsonw_array_end(w);
    w->failed |= rows.failed;
    jsonw_free(&rows);
    return rc < 0 ? err->code : ERR_OK;
}

/* The release's builds, every attempt of every candidate, oldest first. */
static enum err_code builds(struct store_conn *db, struct jsonw *w, const char *tenant, const char *id, struct err *err)
{
    static const struct jsonw_col cols[] = {JSONW_TEXT_COL("id"),
                                            JSONW_TEXT_COL("platform"),
                                            JSONW_TEXT_COL("pipelineIntegrationId"),
                                            JSONW_INT_COL("candidateNumber"),
                                            JSONW_INT_COL("attempt"),
                                            JSONW_TEXT_COL("status"),
                                            JSONW_TEXT_COL("runId"),
                                            JSONW_TEXT_COL("buildNumber"),
                                            JSONW_TEXT_COL("buildUrl"),
                                            JSONW_TEXT_COL("artifactRef"),
                                            JSONW_TEXT_COL("startedAt"),
                                            JSONW_TEXT_COL("finishedAt"),
                                            JSONW_TEXT_COL("createdAt"),
                                            JSONW_TEXT_COL("updatedAt")};
    return release_rows(
        db, w, "builds",
        "SELECT id, platform, pipelineIntegrationId, candidateNumber, attempt, status, runId, buildNumber, buildUrl, "
        "artifactRef, startedAt, finishedAt, createdAt, updatedAt FROM release_builds WHERE tenantId = ? AND releaseId = ? "
        "ORDER BY candidateNumber, platform, attempt",
        tenant, id, cols, (int)ARRAY_LEN(cols), err);
}

/* The release's approvals, every candidate's, oldest first, with the approver's name. */
static enum err_code approvals(struct store_conn *db, struct jsonw *w, const char *tenant, const char *id, struct err *err)
{
    static const struct jsonw_col cols[] = {
        JSONW_TEXT_COL("id"),   JSONW_INT_COL("candidateNumber"), JSONW_TEXT_COL("accountId"), JSONW_TEXT_COL("accountName"),
        JSONW_TEXT_COL("role"), JSONW_TEXT_COL("note"),           JSONW_TEXT_COL("createdAt")};
    return release_rows(db, w, "approvals",
                        "SELECT a.id, a.candidateNumber, a.accountId, m.name, a.role, a.note, a.createdAt FROM release_approvals a "
                        "JOIN accounts m ON m.id = a.accountId WHERE a.tenantId = ? AND a.releaseId = ? "
                        "ORDER BY a.createdAt, a.id",
                        tenant, id, cols, (int)ARRAY_LEN(cols), err);
}

/* The release's store state per platform: each submission, oldest first (docs/stores.md; the full rows: .../submissions). */
static enum err_code stores(struct store_conn *db, struct jsonw *w, const char *tenant, const char *id, struct err *err)
{
    static const struct jsonw_col cols[] = {JSONW_TEXT_COL("submissionId"),  JSONW_TEXT_COL("platform"),
                                            JSONW_TEXT_COL("targetType"),    JSONW_TEXT_COL("track"),
                                            JSONW_TEXT_COL("status"),        JSONW_TEXT_COL("reviewState"),
                                            JSONW_TEXT_COL("pendingAction"), JSONW_TEXT_COL("updatedAt")};
    return release_rows(
        db, w, "stores",
        "SELECT id, platform, targetType, track, status, reviewState, pendingAction, updatedAt FROM store_submissions "
        "WHERE tenantId = ? AND releaseId = ? ORDER BY createdAt, id",
        tenant, id, cols, (int)ARRAY_LEN(cols), err);
}

struct release_page {
    const char *tenant, *id;
    struct jsonw w;
};

/* The release as the list shows it, then its builds, its newest events, its approvals, its store state and health. */
static enum err_code page_read(struct store_conn *db, void *ctx, struct err *err)
{
    struct release_page *p = ctx;
    struct store_stmt *st;
    int rc;

    if (store_select(db, "SELECT " RELEASE_COLUMNS " FROM releases WHERE tenantId = ? AND id = ?",
                     STORE_ARGS(STORE_TEXT(p->tenant), STORE_TEXT(p->id)), &st, err))
        return err->code;
    jsonw_object(&p->w);
    if ((rc = store_next(st, err)) == 1)
        jsonw_columns(&p->w, st, release_fields, (int)ARRAY_LEN(release_fields));
    store_finish(st);
    if (rc == 0)
        return err_set(err, ERR_NOT_FOUND, "not found");
    if (rc == 1 && !builds(db, &p->w, p->tenant, p->id, err) && !timeline(db, &p->w, p->tenant, p->id, err) &&
        !approvals(db, &p->w, p->tenant, p->id, err) && !stores(db, &p->w, p->tenant, p->id, err))
        health_write(db, &p->w, p->tenant, p->id, err); /* each staged rollout's health rule and latest reading (stores/health.h) */
    jsonw_object_end(&p->w);
    return err->code;
}

/* The page (len bytes at body) with its ETag, or a 304 when If-None-Match names it. */
static void page_send(struct request *req, const char *etag, const char *body, size_t len)
{
    response_header(req, "ETag", etag);
    if (etag_matches(request_header(req, "If-None-Match"), etag))
        response_empty(req, 304);
    else
        response_static(req, 200, "application/json", body, len);
}

/* The page's reads in one read transaction (store_read: on SQLite one lock and one snapshot, not one each). */
enum err_code release_get(struct request *req, struct err *err)
{
    const struct principal *who = principal_of(req);
    struct release_page p = {.tenant = who->tenant_id, .id = request_param(req, "releaseId")};
    struct store_conn *db;
    char etag[ETAG_SIZE], *text;
    size_t len;

    text = pages ? revcache_get(pages, p.id, who->tenant_revision, req->arena, &len) : NULL;
    if (text && len >= KEPT_HEAD && strncmp(text, p.tenant, UUID_SIZE - 1) == 0) {
        memcpy(etag, text + UUID_SIZE - 1, ETAG_SIZE - 1);
        etag[ETAG_SIZE - 1] = '\0';
        page_send(req, etag, text + KEPT_HEAD, len - KEPT_HEAD);
        return ERR_OK;
    }
    if (request_db(req, &db, err))
        return err->code;
    jsonw_init(&p.w, RELEASE_PAGE_MAX);
    if (store_read(db, page_read, &p, err) == ERR_OK && !p.w.failed) {
        len = KEPT_HEAD + p.w.out.len;
        text = arena_alloc(req->arena, len + 1);
        snprintf(etag, sizeof etag, "\"%016llx\"", (unsigned long long)fnv1a(p.w.out.data, p.w.out.len, 0));
        memcpy(text, p.tenant, UUID_SIZE - 1);
        memcpy(text + UUID_SIZE - 1, etag, ETAG_SIZE - 1);
        memcpy(text + KEPT_HEAD, p.w.out.data, p.w.out.len);
        text[len] = '\0';
        if (pages && len <= KEPT_MAX)
            revcache_put(pages, p.id, who->tenant_revision, text, len);
        page_send(req, etag, text + KEPT_HEAD, len - KEPT_HEAD);
    } else if (!err->code) {
        response_jsonw(req, 200, &p.w); /* a failed writer: a 500 */
    }
    jsonw_free(&p.w);
    return err->code;
}

struct create_tx {
    const struct release_new *n;
    const char *version, *scm, *base, *branch, *tag;
    const char *candidate_template, *final_template; /* the configuration's, kept on the release */
    char id[UUID_SIZE];
};

static enum err_code create_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct create_tx *t = ctx;
    const struct release_new *n = t->n;
    char now[TIMESTAMP_SIZE], cutoff[TIMESTAMP_SIZE], job[UUID_SIZE], dedupe[80];
    char *plats = json_dumps(json_object_get(n->body, "platforms"), JSON_COMPACT);
    json_t *payload, *details;

    clock_now(now);
    clock_format(clock_now_ms() - RELEASE_IDEMPOTENCY_MS, cutoff);
    if (n->idempotency_key &&
        store_run(c,
                  "UPDATE releases SET idempotencyKey = NULL WHERE tenantId = ? AND idempotencyKey = ? "
                  "AND createdAt < ?",
                  STORE_ARGS(STORE_TEXT(n->tenant), STORE_TEXT(n->idempotency_key), STORE_TIME(cutoff)), NULL, err)) {
        free(plats);
        return err->code;
    }
    store_run(
        c,
        "INSERT INTO releases (id, tenantId, version, releaseType, platforms, status, scmIntegrationId, baseRef, releaseBranch, "
        "candidateTagTemplate, finalTagTemplate, candidateNumber, targetDate, createdByAccountId, trainSlot, idempotencyKey, "
        "createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, 'KICKOFF', ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?)",
        STORE_ARGS(STORE_TEXT(t->id), STORE_TEXT(n->tenant), STORE_TEXT(t->version),
                   STORE_TEXT(json_string_value(json_object_get(n->body, "releaseType"))), STORE_TEXT(plats), STORE_TEXT(t->scm),
                   STORE_TEXT(t->base), STORE_TEXT(t->branch), STORE_TEXT(t->candidate_template), STORE_TEXT(t->final_template),
                   STORE_TEXT(json_string_value(json_object_get(n->body, "targetDate"))), STORE_TEXT(n->actor),
                   STORE_TIME(n->train_slot), STORE_TEXT(n->idempotency_key), STORE_TIME(now), STORE_TIME(now)),
        NULL, err);
    free(plats);
    if (err->code == ERR_CONFLICT)
        return err_set(err, ERR_CONFLICT, "a release of version %s already exists", t->version);
    if (err->code)
        return err->code;
    details = json_pack("{s:s, s:s, s:s}", "version", t->version, "branch", t->branch, "tag", t->tag);
    if (n->train_slot)
        json_object_set_new(details, "trainSlot", json_string(n->train_slot));
    payload = json_pack("{s:s, s:s, s:s}", "releaseId", t->id, "branch", t->branch, "tag", t->tag);
    snprintf(dedupe, sizeof dedupe, "release-kickoff:%s", t->id);
    if (release_event_add(c, n->tenant, t->id,
                          &(struct release_event_row){.kind = "ACTION",
                                                      .name = "create",
                                                      .outcome = "OK",
                                                      .to = "KICKOFF",
                                                      .message = n->train_slot ? "release started by the train; kickoff queued"
                                                                               : "release created; kickoff queued",
                                                      .details = details,
                                                      .actor = n->actor},
                          err) == ERR_OK &&
        jobs_enqueue_in(
            c, jobs,
            &(struct job_new){
                .kind = RELEASE_KICKOFF_JOB, .tenant = n->tenant, .payload = payload, .dedupe_key = dedupe, .max_attempts = 10},
            job, err) == ERR_OK &&
        audit_write(c, n->req,
                    &(struct audit_event){.tenant_id = n->tenant,
                                          .action = "release.create",
                                          .target_type = "release",
                                          .target_id = t->id,
                                          .details = details,
                                          .actor_email = n->req ? NULL : RELEASE_TRAIN_ACTOR},
                    err) == ERR_OK &&
        n->also)
        n->also(c, n->also_ctx, err);
    json_decref(details);
    json_decref(payload);
    return err->code;
}

/* The SCM a new release uses: the body's, the configuration's, else the tenant's oldest active VALID one. */
static enum err_code pick_scm(struct store_conn *db, const char *tenant, const char *asked, char out[UUID_SIZE], char base[256],
                              struct err *err)
{
    struct store_stmt *st;
    int rc;

    out[0] = '\0';
    /* None asked: the id bound is NULL, never '' (PostgreSQL's uuid column refuses ''). */
    if (store_select(db,
                     "SELECT id, defaultBranch FROM tenant_scm_integrations WHERE tenantId = ? AND isActive = ? "
                     "AND verificationStatus = 'VALID' AND (? = '' OR id = ?) ORDER BY createdAt, id",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_BOOL(true), STORE_TEXT(asked), STORE_TEXT(asked[0] ? asked : NULL)), &st,
                     err))
        return err->code;
    rc = store_next(st, err);
    if (rc == 1) {
        snprintf(out, UUID_SIZE, "%s", store_col_text(st, 0));
        if (!base[0])
            snprintf(base, 256, "%s", store_col_text(st, 1) ? store_col_text(st, 1) : "main");
    }
    store_finish(st);
    if (rc < 0)
        return err->code;
    if (!out[0]) {
        err_detail(err, "scmIntegrationId", "is not an active, verified (VALID) SCM integration of this tenant");
        return err_set(err, ERR_INVALID, "the release needs a verified source control connection");
    }
    return ERR_OK;
}

/* The release the tenant made with this Idempotency-Key in the last 24 hours into id; false when none. */
static bool idempotent_find(struct store_conn *db, const char *tenant, const char *key, char id[UUID_SIZE], struct err *err)
{
    char cutoff[TIMESTAMP_SIZE];
    struct store_stmt *st;
    bool found;

    clock_format(clock_now_ms() - RELEASE_IDEMPOTENCY_MS, cutoff);
    if (store_select(db, "SELECT id FROM releases WHERE tenantId = ? AND idempotencyKey = ? AND createdAt >= ?",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(key), STORE_TIME(cutoff)), &st, err))
        return false;
    found = store_next(st, err) == 1;
    if (found)
        snprintf(id, UUID_SIZE, "%s", store_col_text(st, 0));
    store_finish(st);
    return found;
}

enum err_code release_create(struct store_conn *db, const struct release_new *n, char id[UUID_SIZE], struct err *err)
{
    const char *tenant = n->tenant, *version = json_string_value(json_object_get(n->body, "version"));
    const char *type = json_string_value(json_object_get(n->body, "releaseType"));
    const char *date = json_string_value(json_object_get(n->body, "targetDate")), *problem;
    const char *asked = json_string_value(json_object_get(n->body, "scmIntegrationId"));
    struct create_tx t = {.n = n};
    char scm[UUID_SIZE], base[256] = "", branch[256], tag[256], next[RELEASE_VERSION_SIZE];
    struct rel_config cf;
    json_t *reasons;
    int64_t ms;
    char day[TIMESTAMP_SIZE];

    if (!jobs)
        return err_set(err, ERR_UNAVAILABLE, "releases are not started yet");
    if (n->idempotency_key && idempotent_find(db, tenant, n->idempotency_key, id, err))
        return ERR_OK;
    if (err->code || usage_check(tenant, USAGE_RELEASES_CREATED, err)) /* the administrator's limit (docs/sites.md): 429 */
        return err->code;
    if (date) {
        snprintf(day, sizeof day, "%sT00:00:00Z", date);
        if (clock_parse(day, &ms))
            err_detail(err, "targetDate", "must be a date, YYYY-MM-DD");
    }
    if (config_read(db, tenant, &cf, err))
        return err->code;
    if (strcmp(version, "next") == 0 && release_next_version(db, tenant, cf.scheme, type, next, err) == ERR_OK)
        version = next;
    if (!err->code && (problem = release_version_problem(cf.scheme, version)))
        err_detail(err, "version", "%s", problem);
    text_field(n->body, "baseRef", base, sizeof base);
    if (!err->code && !base[0] && strcmp(type, "HOTFIX") == 0 &&
        release_last_final_tag(db, tenant, base, sizeof base, err) == ERR_OK && !base[0])
        err_set(err, ERR_CONFLICT, "a hotfix branches from the last finished release's final tag, and no release has finished yet");
    if (err->code) {
        config_clear(&cf);
        return err->code;
    }
    if (!base[0])
        snprintf(base, sizeof base, "%s", cf.base);
    if (!release_template(cf.branch, version, 1, branch, sizeof branch) ||
        !release_template(cf.candidate, version, 1, tag, sizeof tag))
        err_detail(err, "version", "makes a branch or tag name that is too long");
    if (err->ndetails) {
        config_clear(&cf);
        return err_set(err, ERR_INVALID, "invalid release");
    }
    reasons = json_array();
    if (setup_release_blockers(db, tenant, reasons, err) == ERR_OK && json_array_size(reasons) > 0) {
        err_detail(err, "tenant", "%s", json_string_value(json_array_get(reasons, 0)));
        err_set(err, ERR_CONFLICT, "the tenant cannot create releases yet (can-create-releases): %s",
                json_string_value(json_array_get(reasons, 0)));
    }
    json_decref(reasons);
    if (!err->code)
        pick_scm(db, tenant, asked ? asked : cf.scm, scm, base, err);
    if (err->code) {
        config_clear(&cf);
        return err->code;
    }
    rand_uuid(t.id);
    t.version = version, t.scm = scm, t.base = base, t.branch = branch, t.tag = tag;
    t.candidate_template = cf.candidate, t.final_template = cf.final;
    tenant_tx(db, tenant, create_body, &t, err);
    config_clear(&cf);
    /* The same key sent twice at once: the one that lost the race answers the winner's release. */
    if (err->code == ERR_CONFLICT && n->idempotency_key) {
        struct err again;
        err_clear(&again);
        if (idempotent_find(db, tenant, n->idempotency_key, id, &again)) {
            err_clear(err);
            return ERR_OK;
        }
    }
    if (err->code)
        return err->code;
    memcpy(id, t.id, UUID_SIZE);
    jobs_nudge(jobs);
    usage_count(tenant, NULL, USAGE_RELEASES_CREATED, 1);
    return ERR_OK;
}

/* An Idempotency-Key: 1 to 200 printable ASCII characters. */
static bool idempotency_key_valid(const char *key)
{
    size_t len = strlen(key);

    if (len == 0 || len > 200)
        return false;
    for (size_t i = 0; i < len; i++)
        if (key[i] < 0x21 || key[i] > 0x7e)
            return false;
    return true;
}

enum err_code releases_create(struct request *req, struct err *err)
{
    const char *tenant = principal_of(req)->tenant_id, *key = request_header(req, "Idempotency-Key");
    struct store_conn *db;
    char id[UUID_SIZE];
    json_t *row;

    if (key && !idempotency_key_valid(key)) {
        err_detail(err, "Idempotency-Key", "must be 1 to 200 printable ASCII characters");
        return err_set(err, ERR_INVALID, "invalid Idempotency-Key header");
    }
    if (request_db(req, &db, err) ||
        release_create(
            db,
            &(struct release_new){
                .tenant = tenant, .body = req->body, .req = req, .actor = principal_of(req)->account_id, .idempotency_key = key},
            id, err) ||
        !(row = release_load(db, tenant, id, err)))
        return err->code;
    response_json(req, 201, row);
    return ERR_OK;
}

/* ---- actions ---- */

struct action_tx {
    const struct request *req;
    const char *id, *action, *reason;
    enum release_event event;
    struct jobs *jobs;
    struct store_conn *c; /* the transaction's */
};

static void enqueue_build(void *ctx, const struct job_new *n, struct err *err)
{
    struct action_tx *t = ctx;
    char id[UUID_SIZE];
    jobs_enqueue_in(t->c, t->jobs, n, id, err);
}

/* The audit row of each action (lifecycle.h: release_action_parse). */
static const char *const audit_actions[REV__COUNT] = {[REV_PAUSE] = "release.pause",
                                                      [REV_RESUME] = "release.resume",
                                                      [REV_RETRY] = "release.retry",
                                                      [REV_CANCEL] = "release.cancel",
                                                      [REV_NEW_CANDIDATE] = "release.new_candidate",
                                                      [REV_FINISH] = "release.finish"};

/*
 * A workflow of kind for the release, in the action's transaction. One a
 * request: a refused one can be asked again, and two at once are harmless
 * (their steps read before they write).
 */
static enum err_code enqueue_workflow(struct action_tx *t, const char *kind, const json_t *payload, const char *now,
                                      struct err *err)
{
    char dedupe[160], job[UUID_SIZE];

    snprintf(dedupe, sizeof dedupe, "%s:%s:%s", kind, t->id, now);
    return jobs_enqueue_in(
        t->c, t->jobs,
        &(struct job_new){
            .kind = kind, .tenant = principal_of(t->req)->tenant_id, .payload = payload, .dedupe_key = dedupe, .max_attempts = 10},
        job, err);
}

/* The workflow a deferred action starts (candidates.c), in the action's transaction. */
static enum err_code start_deferred(struct action_tx *t, const char *commit, int64_t candidate, const char *now, struct err *err)
{
    bool finish = t->event == REV_FINISH;
    json_t *payload = finish ? json_pack("{s:s}", "releaseId", t->id)
                             : json_pack("{s:s, s:I, s:s}", "releaseId", t->id, "from", (json_int_t)candidate, "commit", commit);

    enqueue_workflow(t, finish ? RELEASE_FINISH_JOB : RELEASE_CANDIDATE_JOB, payload, now, err);
    json_decref(payload);
    return err->code;
}

static enum err_code action_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct action_tx *t = ctx;
    const char *tenant = principal_of(t->req)->tenant_id;
    char from[16] = "", stage[16] = "", commit[65] = "", now[TIMESTAMP_SIZE], key[JOB_EVENT_KEY_SIZE];
    /* These two move the release only once their workflow's provider calls succeed (candidates.c). */
    bool deferred = t->event == REV_NEW_CANDIDATE || t->event == REV_FINISH;
    int64_t candidate = 0;
    struct store_stmt *st;
    enum release_status to;
    json_t *details;
    int rc;

    t->c = c;
    if (store_select(c, "SELECT status, resumeStatus, candidateCommit, candidateNumber FROM releases WHERE tenantId = ? AND id = ?",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(t->id)), &st, err))
        return err->code;
    rc = store_next(st, err);
    if (rc == 1) {
        release_cols(st, 0, from, sizeof from, stage, sizeof stage, commit, sizeof commit, NULL);
        candidate = store_col_int(st, 3);
    }
    store_finish(st);
    if (rc <= 0)
        return rc < 0 ? err->code : err_set(err, ERR_NOT_FOUND, "not found");
    to = release_transition(release_status_parse(from), t->event, release_status_parse(stage));
    if (to == REL_NONE)
        return err_set(err, ERR_CONFLICT, "a %s release cannot %s", from, t->action);
    clock_now(now);
    if (!deferred &&
        store_run(c,
                  "UPDATE releases SET status = ?, resumeStatus = ?, statusReason = ?, updatedAt = ? WHERE tenantId = ? AND id = ?",
                  STORE_ARGS(STORE_TEXT(release_status_name(to)), STORE_TEXT(to == REL_PAUSED ? from : NULL),
                             STORE_TEXT(to == REL_CANCELLED ? (t->reason ? t->reason : "cancelled") : NULL), STORE_TIME(now),
                             STORE_TEXT(tenant), STORE_TEXT(t->id)),
                  NULL, err))
        return err->code;
    details = json_pack("{s:s, s:s, s:s?}", "from", from, "to", release_status_name(to), "reason", t->reason);
    snprintf(key, sizeof key, "release-resume:%s", t->id);
    if (release_event_add(c, tenant, t->id,
                          &(struct release_event_row){.kind = "ACTION",
                                                      .name = t->action,
                                                      .outcome = "OK",
                                                      .from = from,
                                                      .to = deferred ? NULL : release_status_name(to), /* asked: not moved yet */
                                                      .message = t->reason,
                                                      .details = details,
                                                      .actor = principal_of(t->req)->account_id},
                          err) == ERR_OK &&
        audit_write(c, t->req,
                    &(struct audit_event){.tenant_id = tenant,
                                          .action = audit_actions[t->event],
                                          .target_type = "release",
                                          .target_id = t->id,
                                          .details = details},
                    err) == ERR_OK) {
        if (deferred) {
            start_deferred(t, commit, candidate, now, err);
        } else if (t->event == REV_RETRY && to == REL_KICKOFF) { /* a new kickoff: its steps skip what is done */
            char branch[256], tag[256];
            if (release_names_of(c, tenant, t->id, 1, branch, tag, NULL, err) == ERR_OK) {
                json_t *payload = json_pack("{s:s, s:s, s:s}", "releaseId", t->id, "branch", branch, "tag", tag);
                enqueue_workflow(t, RELEASE_KICKOFF_JOB, payload, now, err);
                json_decref(payload);
            }
        } else if (t->event == REV_RETRY && to == REL_BUILDING) { /* only the failed platforms build again */
            if (release_builds_add(c, tenant, t->id, true, err) == ERR_OK &&
                release_builds_jobs(c, tenant, t->id, enqueue_build, t, err) == ERR_OK)
                jobs_signal_in(c, key, NULL, err);
        } else if (t->event == REV_RESUME || t->event == REV_CANCEL) {
            jobs_signal_in(c, key, NULL, err); /* a kickoff or build waiting for resume wakes (and sees a cancel) */
            if (!err->code && to == REL_CANCELLED)
                release_builds_wake(c, tenant, t->id, err); /* builds waiting on their CI cancel its runs (builds.c) */
            if (!err->code && to == REL_BUILDING)
                release_builds_settle(c, tenant, t->id, err); /* every build may have ended while it was paused */
        }
    }
    json_decref(details);
    return err->code;
}

enum err_code release_action(struct request *req, struct err *err)
{
    const char *action = request_param(req, "action");
    struct action_tx t = {.req = req, .id = request_param(req, "releaseId"), .action = action, .jobs = jobs};
    struct store_conn *db;
    json_t *row;
    int event = release_action_parse(action);

    if (event < 0 || !uuid_valid(t.id))
        return err_set(err, ERR_NOT_FOUND, "not found");
    t.event = (enum release_event)event;
    t.reason = req->body ? json_string_value(json_object_get(req->body, "reason")) : NULL;
    if (request_db(req, &db, err) || tenant_tx(db, principal_of(req)->tenant_id, action_body, &t, err))
        return err->code;
    jobs_nudge(jobs);
    if (!(row = release_load(db, principal_of(req)->tenant_id, t.id, err)))
        return err->code;
    response_json(req, 200, row);
    return ERR_OK;
}

/* ---- archive ---- */

struct archive_tx {
    const struct request *req;
    const char *id, *reason;
    bool archive; /* else unarchive */
};

/*
 * Archives or unarchives a finished or cancelled release; one already so is
 * left unchanged (no timeline event, no audit row): the call is idempotent.
 */
static enum err_code archive_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct archive_tx *t = ctx;
    const char *tenant = principal_of(t->req)->tenant_id, *action = t->archive ? "archive" : "unarchive";
    char status[16] = "", now[TIMESTAMP_SIZE];
    bool archived = false;
    struct store_stmt *st;
    enum release_status s;
    json_t *details;
    int rc;

    if (store_select(c, "SELECT status, archivedAt FROM releases WHERE tenantId = ? AND id = ?",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(t->id)), &st, err))
        return err->code;
    rc = store_next(st, err);
    if (rc == 1) {
        release_cols(st, 0, status, sizeof status, NULL);
        archived = store_col_text(st, 1) != NULL;
    }
    store_finish(st);
    if (rc <= 0)
        return rc < 0 ? err->code : err_set(err, ERR_NOT_FOUND, "not found");
    s = release_status_parse(status);
    if (s != REL_FINISHED && s != REL_CANCELLED)
        return err_set(err, ERR_CONFLICT, "a %s release cannot %s: only a FINISHED or CANCELLED one", status, action);
    if (archived == t->archive)
        return ERR_OK;
    clock_now(now);
    if (store_run(c, "UPDATE releases SET archivedAt = ?, updatedAt = ? WHERE tenantId = ? AND id = ?",
                  STORE_ARGS(t->archive ? STORE_TIME(now) : STORE_NULL, STORE_TIME(now), STORE_TEXT(tenant), STORE_TEXT(t->id)),
                  NULL, err))
        return err->code;
    details = json_pack("{s:s, s:s?}", "status", status, "reason", t->reason);
    if (release_event_add(c, tenant, t->id,
                          &(struct release_event_row){.kind = "ACTION",
                                                      .name = action,
                                                      .outcome = "OK",
                                                      .from = status,
                                                      .to = status,
                                                      .message = t->reason,
                                                      .details = details,
                                                      .actor = principal_of(t->req)->account_id},
                          err) == ERR_OK)
        audit_write(c, t->req,
                    &(struct audit_event){.tenant_id = tenant,
                                          .action = t->archive ? "release.archive" : "release.unarchive",
                                          .target_type = "release",
                                          .target_id = t->id,
                                          .details = details},
                    err);
    json_decref(details);
    return err->code;
}

/* Runs body in the tenant's transaction, then answers release id as the list shows it (200). */
static enum err_code release_tx_respond(struct request *req, const char *id, store_tx_fn body, void *ctx, struct err *err)
{
    struct store_conn *db;
    json_t *row;

    if (request_db(req, &db, err) || tenant_tx(db, principal_of(req)->tenant_id, body, ctx, err))
        return err->code;
    if (!(row = release_load(db, principal_of(req)->tenant_id, id, err)))
        return err->code;
    response_json(req, 200, row);
    return ERR_OK;
}

static enum err_code archive_respond(struct request *req, bool archive, struct err *err)
{
    struct archive_tx t = {.req = req, .id = request_param(req, "releaseId"), .archive = archive};

    if (!uuid_valid(t.id))
        return err_set(err, ERR_NOT_FOUND, "not found");
    t.reason = req->body ? json_string_value(json_object_get(req->body, "reason")) : NULL;
    return release_tx_respond(req, t.id, archive_body, &t, err);
}

enum err_code release_archive(struct request *req, struct err *err)
{
    return archive_respond(req, true, err);
}

enum err_code release_unarchive(struct request *req, struct err *err)
{
    return archive_respond(req, false, err);
}

/* ---- regression approvals ---- */

struct approve_tx {
    const struct request *req;
    const char *id, *note;
};

/* True when the configuration's approvalRoles hold role. */
static bool may_approve(const struct rel_config *cf, const char *role)
{
    for (size_t i = 0; i < json_array_size(cf->roles); i++)
        if (json_is_string(json_array_get(cf->roles, i)) && strcmp(json_string_value(json_array_get(cf->roles, i)), role) == 0)
            return true;
    return false;
}

static enum err_code approve_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct approve_tx *t = ctx;
    const struct principal *p = principal_of(t->req);
    const char *tenant = p->tenant_id, *role = role_name(p->role);
    char status[16] = "", id[UUID_SIZE], now[TIMESTAMP_SIZE];
    int64_t candidate = 0, count = 0;
    struct store_stmt *st;
    struct rel_config cf;
    json_t *details;
    bool allowed;
    int rc;

    if (store_select(c, "SELECT status, candidateNumber FROM releases WHERE tenantId = ? AND id = ?",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(t->id)), &st, err))
        return err->code;
    rc = store_next(st, err);
    if (rc == 1) {
        release_cols(st, 0, status, sizeof status, NULL);
        candidate = store_col_int(st, 1);
    }
    store_finish(st);
    if (rc <= 0)
        return rc < 0 ? err->code : err_set(err, ERR_NOT_FOUND, "not found");
    if (strcmp(status, "REGRESSION") != 0)
        return err_set(err, ERR_CONFLICT, "a %s release cannot be approved: approvals are taken in REGRESSION", status);
    if (config_read(c, tenant, &cf, err))
        return err->code;
    allowed = may_approve(&cf, role);
    config_clear(&cf);
    if (!allowed)
        return err_set(err, ERR_CONFLICT, "the release configuration's approvalRoles do not include your role (%s)", role);
    if (cf.min_rate >= 0 && testruns_gate(c, tenant, t->id, candidate, cf.min_rate, err)) /* the candidate's test runs */
        return err->code;
    rand_uuid(id);
    clock_now(now);
    if (store_run(c,
                  "INSERT INTO release_approvals (id, tenantId, releaseId, candidateNumber, accountId, role, note, createdAt) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                  STORE_ARGS(STORE_TEXT(id), STORE_TEXT(tenant), STORE_TEXT(t->id), STORE_INT(candidate), STORE_TEXT(p->account_id),
                             STORE_TEXT(role), STORE_TEXT(t->note), STORE_TIME(now)),
                  NULL, err) == ERR_CONFLICT)
        return err_set(err, ERR_CONFLICT, "you have approved candidate %lld of this release already", (long long)candidate);
    if (err->code)
        return err->code;
    details = json_pack("{s:I, s:s, s:s?}", "candidate", (json_int_t)candidate, "role", role, "note", t->note);
    if (release_event_add(c, tenant, t->id,
                          &(struct release_event_row){.kind = "ACTION",
                                                      .name = "approve",
                                                      .outcome = "OK",
                                                      .message = t->note,
                                                      .details = details,
                                                      .actor = p->account_id},
                          err) == ERR_OK)
        audit_write(
            c, t->req,
            &(struct audit_event){
                .tenant_id = tenant, .action = "release.approve", .target_type = "release", .target_id = t->id, .details = details},
            err);
    json_decref(details);
    /* The candidate's approvals so far, oldest first: who (release.approved's approvers), and how many. */
    if (err->code || store_select(c,
                                  "SELECT p.accountId, a.name, p.role FROM release_approvals p LEFT JOIN accounts a ON a.id = "
                                  "p.accountId WHERE p.tenantId = ? AND p.releaseId = ? AND p.candidateNumber = ? "
                                  "ORDER BY p.createdAt, p.id",
                                  STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(t->id), STORE_INT(candidate)), &st, err))
        return err->code;
    json_t *approvers = json_array();
    while ((rc = store_next(st, err)) == 1)
        json_array_append_new(approvers, json_pack("{s:s, s:o, s:s}", "accountId", store_col_text(st, 0), "name",
                                                   json_text_or_null(store_col_text(st, 1)), "role", store_col_text(st, 2)));
    store_finish(st);
    count = (int64_t)json_array_size(approvers);
    if (rc >= 0 && count >= cf.count) {
        /* The last approval needed: the table moves the status read in this transaction (REGRESSION -> READY). */
        enum release_status to = release_transition(release_status_parse(status), REV_APPROVED, REL_NONE);
        char message[80];
        snprintf(message, sizeof message, "%lld of %d approvals of candidate %lld", (long long)count, cf.count,
                 (long long)candidate);
        details = json_pack("{s:I, s:O}", "candidate", (json_int_t)candidate, "approvers", approvers);
        if (store_run(c, "UPDATE releases SET status = ?, updatedAt = ? WHERE tenantId = ? AND id = ?",
                      STORE_ARGS(STORE_TEXT(release_status_name(to)), STORE_TIME(now), STORE_TEXT(tenant), STORE_TEXT(t->id)), NULL,
                      err) == ERR_OK)
            release_event_add(c, tenant, t->id,
                              &(struct release_event_row){.kind = "STATUS",
                                                          .name = release_event_name(REV_APPROVED),
                                                          .from = status,
                                                          .to = release_status_name(to),
                                                          .message = message,
                                                          .details = details},
                              err);
        json_decref(details);
    }
    json_decref(approvers);
    return err->code;
}

enum err_code release_approve(struct request *req, struct err *err)
{
    struct approve_tx t = {.req = req, .id = request_param(req, "releaseId")};

    if (!uuid_valid(t.id))
        return err_set(err, ERR_NOT_FOUND, "not found");
    t.note = req->body ? json_string_value(json_object_get(req->body, "note")) : NULL;
    return release_tx_respond(req, t.id, approve_body, &t, err);
}

/* ---- notes ---- */

struct notes_edit_tx {
    const struct request *req;
    const char *id, *notes;
};

static enum err_code notes_edit_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct notes_edit_tx *t = ctx;
    const char *tenant = principal_of(t->req)->tenant_id;
    char status[16] = "", now[TIMESTAMP_SIZE];
    struct store_stmt *st;
    int rc;

    if (store_select(c, "SELECT status FROM releases WHERE tenantId = ? AND id = ?",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(t->id)), &st, err))
        return err->code;
    if ((rc = store_next(st, err)) == 1)
        release_cols(st, 0, status, sizeof status, NULL);
    store_finish(st);
    if (rc <= 0)
        return rc < 0 ? err->code : err_set(err, ERR_NOT_FOUND, "not found");
    if (release_is_final(release_status_parse(status)))
        return err_set(err, ERR_CONFLICT, "a %s release's notes cannot change", status);
    clock_now(now);
    if (store_run(c, "UPDATE releases SET notes = ?, notesEditedAt = ?, updatedAt = ? WHERE tenantId = ? AND id = ?",
                  STORE_ARGS(STORE_TEXT(t->notes), STORE_TIME(now), STORE_TIME(now), STORE_TEXT(tenant), STORE_TEXT(t->id)), NULL,
                  err) ||
        release_event_add(c, tenant, t->id,
                          &(struct release_event_row){.kind = "ACTION",
                                                      .name = "edit-notes",
                                                      .outcome = "OK",
                                                      .message = "the notes were edited: new candidates keep them",
                                                      .actor = principal_of(t->req)->account_id},
                          err))
        return err->code;
    return audit_write(
        c, t->req,
        &(struct audit_event){.tenant_id = tenant, .action = "release.notes.update", .target_type = "release", .target_id = t->id},
        err);
}

enum err_code release_patch(struct request *req, struct err *err)
{
    struct notes_edit_tx t = {.req = req, .id = request_param(req, "releaseId")};
    struct store_conn *db;
    json_t *row;
    const char *was;
    int64_t grow;

    if (!uuid_valid(t.id))
        return err_set(err, ERR_NOT_FOUND, "not found");
    t.notes = json_string_value(json_object_get(req->body, "notes"));
    if (request_db(req, &db, err) || !(row = release_load(db, principal_of(req)->tenant_id, t.id, err)))
        return err->code;
    was = json_string_value(json_object_get(row, "notes"));
    grow = (int64_t)strlen(t.notes) - (was ? (int64_t)strlen(was) : 0); /* the bytes kept grow by */
    json_decref(row);
    if (usage_check_storage(db, principal_of(req)->tenant_id, grow, err) || /* 429 */
        tenant_tx(db, principal_of(req)->tenant_id, notes_edit_body, &t, err))
        return err->code;
    if (!(row = release_load(db, principal_of(req)->tenant_id, t.id, err)))
        return err->code;
    response_json(req, 200, row);
    return ERR_OK;
}

/* ---- the live timeline ---- */

/*
 * GET .../releases/{releaseId}/events/stream: the release's timeline as
 * Server-Sent Events, one event "release-event" a row of release_events (as
 * the release's "events"), oldest first. The cursor (each event's id) is
 * "createdAt/eventId". Without Last-Event-ID the stream starts at the
 * timeline's beginning, so a page that opens it needs no separate read. As
 * the audit stream does, a row is sent once it is a second old (stream.h:
 * struct stream_rows).
 *
 * Beside it, "release-health": the release's health ({"health": [...]}, as
 * GET's) whenever it differs from what this stream sent last (a new reading
 * of a watched rollout, which is no timeline row): state, not history, so
 * its id is the timeline's cursor as it stands, and a stream (re)opened
 * sends the current health at once (none while no rule watches the
 * release). Read at most once a TIMELINE_HEALTH_MS.
 */
#define TIMELINE_START "1970-01-01T00:00:00.000Z/" PAGE_NO_ID
#define TIMELINE_HEALTH_MS 1000

struct timeline_feed {
    char tenant_id[UUID_SIZE], release_id[UUID_SIZE];
    char *health;           /* the health last sent (JSON text; owned), NULL before the first */
    int64_t health_next_ms; /* when health is read again */
};

/* The release's health as an event when it changed since the last one sent. */
static enum err_code timeline_health(struct timeline_feed *f, struct store *store, struct buf *out, const char *cursor,
                                     struct err *err)
{
    struct store_conn *db = NULL;
    json_t *health = NULL;
    char *text = NULL;

    if (clock_now_ms() < f->health_next_ms)
        return ERR_OK;
    f->health_next_ms = clock_now_ms() + TIMELINE_HEALTH_MS;
    if (store_conn_get(store, &db, err) == ERR_OK)
        health = json_pack("{s:o}", "health", health_read(db, f->tenant_id, f->release_id, err));
    store_conn_put(db);
    if (!err->code && (text = json_dumps(health, JSON_COMPACT)) && (!f->health || strcmp(text, f->health) != 0)) {
        if (stream_event(out, cursor, "release-health", text) < 0) {
            f->health_next_ms = 0; /* the queue is full: sent at the next poll */
        } else {
            free(f->health);
            f->health = text;
            text = NULL;
        }
    }
    free(text);
    json_decref(health);
    return err->code;
}

static const struct stream_rows timeline_rows = {"SELECT " EVENT_COLUMNS
                                                 " FROM release_events WHERE tenantId = ? AND releaseId = ? AND createdAt >= ? "
                                                 "AND (createdAt > ? OR id > ?) AND createdAt <= ? ORDER BY createdAt, id LIMIT ?",
                                                 "release-event", event_row};

static enum err_code timeline_poll(void *ctx, struct store *store, struct buf *out, char cursor[STREAM_CURSOR_MAX], struct err *err)
{
    struct timeline_feed *f = ctx;
    const char *keys[] = {f->tenant_id, f->release_id};
    if (stream_rows_poll(&timeline_rows, keys, ARRAY_LEN(keys), store, out, cursor, err))
        return err->code;
    return timeline_health(f, store, out, cursor, err);
}

static void timeline_free(void *ctx)
{
    struct timeline_feed *f = ctx;
    free(f->health);
    free(f);
}

enum err_code release_stream(struct request *req, struct err *err)
{
    static const struct stream_source source = {timeline_poll, timeline_free};
    const char *last = request_header(req, "Last-Event-ID"), *tenant = principal_of(req)->tenant_id;
    const char *id = request_param(req, "releaseId");
    char at[TIMESTAMP_SIZE], event[UUID_SIZE];
    struct timeline_feed *f;
    struct store_conn *db;
    json_t *row;

    /* A connection of its own, not request_db's: that one would be held for as long as the stream stays open. */
    if (store_conn_get(req->store, &db, err))
        return err->code;
    row = release_load(db, tenant, id, err);
    store_conn_put(db);
    if (!row)
        return err->code;
    json_decref(row);
    if (last && *last && (strlen(last) >= STREAM_CURSOR_MAX || !stream_cursor_parse(last, at, event)))
        return err_set(err, ERR_INVALID, "Last-Event-ID must be the id of an event this stream sent");
    f = xcalloc(1, sizeof *f);
    memcpy(f->tenant_id, tenant, sizeof f->tenant_id);
    memcpy(f->release_id, id, sizeof f->release_id);
    f->health = xstrdup("{\"health\":[]}"); /* a release no rule watches sends none */
    return response_stream(req, &source, f, TIMELINE_START, NULL, err);
}
