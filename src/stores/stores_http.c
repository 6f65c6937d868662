/* stores_http.c: a release's store submissions and their rollout actions (docs/api.md, docs/stores.md). */
#include "stores/stores_http.h"

#include <ctype.h>
#include <inttypes.h>

#include "core/clock.h"
#include "core/rand.h"
#include "http/page.h"
#include "jobs/jobs.h"
#include "providers/registry.h"
#include "releases/releases.h"
#include "stores/health.h"
#include "stores/hooks_http.h"
#include "stores/lifecycle.h"
#include "stores/stores.h"
#include "tenancy/audit.h"
#include "tenancy/roles.h"
#include "tenancy/tenants.h"

/* The workflow engine (stores_http_start). */
static struct jobs *jobs;

void stores_http_start(struct jobs *j)
{
    jobs = j;
    store_webhooks_http_start(j); /* a target's webhook registered with its store (hooks_http.h) */
}

static const char *const store_platforms[] = {"IOS", "ANDROID", NULL};
static const char *const release_types[] = {"MANUAL", "AFTER_APPROVAL", "SCHEDULED", NULL};
const char *const submission_actions[] = {"rollout", "halt", "resume", "complete", "promote", NULL};

/* Release notes: {language tag: text}, at most 20 languages, each text 1 to 500 characters (Play's limit). */
static const char *check_notes(json_t *v)
{
    const char *lang;
    json_t *text;

    if (json_object_size(v) > 20)
        return "must hold at most 20 languages";
    json_object_foreach(v, lang, text)
    {
        size_t n = strlen(lang);
        if (n < 2 || n > 16)
            return "must have language tags such as en-US as keys";
        for (size_t i = 0; i < n; i++)
            if (!isalnum((unsigned char)lang[i]) && lang[i] != '-')
                return "must have language tags such as en-US as keys";
        if (!json_is_string(text) || json_string_length(text) == 0 || utf8_length(json_string_value(text)) > 500 ||
            check_printable(text))
            return "must map each language to a text of 1 to 500 characters";
    }
    return NULL;
}

/* Testers {groups?: [names], emails?: [addresses]}: TestFlight beta groups, Firebase group aliases and e-mails; 50 each. */
static const char *check_testers(json_t *v)
{
    const char *key;
    json_t *list, *item;
    size_t i;

    json_object_foreach(v, key, list)
    {
        if (strcmp(key, "groups") != 0 && strcmp(key, "emails") != 0)
            return "may only have groups and emails";
        if (!json_is_array(list) || json_array_size(list) > 50)
            return "must have arrays of at most 50 groups and 50 emails";
        json_array_foreach(list, i, item)
        {
            if (!json_is_string(item) || json_string_length(item) == 0 || json_string_length(item) > 254 || check_printable(item))
                return "must have group names and e-mail addresses of 1 to 254 characters";
            if (strcmp(key, "emails") == 0 && check_email(item))
                return "must have e-mail addresses in emails";
        }
    }
    return NULL;
}

const char *store_plan_problem(const json_t *v)
{
    json_int_t last = 0;
    const char *key;
    json_t *stage, *x;
    size_t i;

    if (json_array_size(v) == 0)
        return NULL;
    if (json_array_size(v) < 2 || json_array_size(v) > STORE_PLAN_MAX_STAGES)
        return "must have 2 to 10 stages";
    json_array_foreach(v, i, stage)
    {
        if (!json_is_object(stage))
            return "must have stages {rolloutPermille, waitMinutes}";
        json_object_foreach(stage, key, x)
        {
            if ((strcmp(key, "rolloutPermille") != 0 && strcmp(key, "waitMinutes") != 0) || !json_is_integer(x))
                return "must have stages of integers rolloutPermille and waitMinutes only";
        }
        x = json_object_get(stage, "rolloutPermille");
        if (!x || json_integer_value(x) <= last || json_integer_value(x) > 1000)
            return "must have rolloutPermille growing strictly from 1 to 1000";
        last = json_integer_value(x);
        x = json_object_get(stage, "waitMinutes");
        if (!x || json_integer_value(x) < 0 || json_integer_value(x) > 10080)
            return "must have waitMinutes of 0 to 10080 (a week) in each stage";
    }
    return last == 1000 ? NULL : "must end at rolloutPermille 1000 (everyone)";
}

static const char *check_plan(json_t *v)
{
    return store_plan_problem(v);
}

static unsigned store_features(const char *type);

enum err_code store_default_plans_check(struct store_conn *c, const char *tenant, const json_t *plans, struct err *err)
{
    const char *key, *problem = NULL;
    json_t *plan;
    char where[64];

    json_object_foreach((json_t *)plans, key, plan)
    {
        struct store_stmt *st;
        int rc = 0;
        snprintf(where, sizeof where, "rolloutPlans.%.40s", key);
        if (uuid_valid(key) && store_select(c, "SELECT targetType FROM tenant_target_integrations WHERE tenantId = ? AND id = ?",
                                            STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(key)), &st, err) == ERR_OK) {
            rc = store_next(st, err);
            if (rc == 1 && !(store_features(store_col_text(st, 0)) & STORE_PLANS))
                rc = 2;
            store_finish(st);
        }
        if (err->code)
            return err->code;
        if (rc != 1)
            err_detail(err, where,
                       rc == 2 ? "names a target whose store keeps its own schedule: rollout plans apply to Google Play only"
                               : "is not a store target of this tenant");
        else if ((problem = json_array_size(plan) ? store_plan_problem(plan) : "must be a rollout plan"))
            err_detail(err, where, "%s", problem);
    }
    return ERR_OK;
}

SCHEMA(submission_create_schema, {.name = "platform", .kind = FIELD_STRING, .required = true, .allowed = store_platforms},
       {.name = "targetIntegrationId", .kind = FIELD_STRING, .min = 36, .max = 36, .format = "uuid"},
       {.name = "track", .kind = FIELD_STRING, .min = 1, .max = 64, .check = check_printable},
       {.name = "buildNumber", .kind = FIELD_STRING, .min = 1, .max = 64, .check = check_printable},
       {.name = "rolloutPermille", .kind = FIELD_INT, .min = 1, .max = 1000},
       {.name = "inAppUpdatePriority", .kind = FIELD_INT, .min = 0, .max = 5},
       {.name = "releaseNotes", .kind = FIELD_OBJECT, .check = check_notes},
       {.name = "testers", .kind = FIELD_OBJECT, .check = check_testers},
       {.name = "rolloutPlan", .kind = FIELD_ARRAY, .check = check_plan}, {.name = "cancelReview", .kind = FIELD_BOOL},
       {.name = "releaseType", .kind = FIELD_STRING, .allowed = release_types},
       {.name = "earliestReleaseDate", .kind = FIELD_STRING, .min = 1, .max = 40, .format = "date-time"},
       {.name = "healthRule", .kind = FIELD_OBJECT, .check = health_rule_check}, {.name = "carryRollout", .kind = FIELD_BOOL});

static const struct field action_fields[] = {{.name = "rolloutPermille", .kind = FIELD_INT, .min = 1, .max = 1000},
                                             {.name = "reason", .kind = FIELD_STRING, .min = 1, .max = 500},
                                             {.name = "cancelReview", .kind = FIELD_BOOL},
                                             {.name = "track", .kind = FIELD_STRING, .min = 1, .max = 64, .check = check_printable},
                                             {.name = "rolloutPlan", .kind = FIELD_ARRAY, .check = check_plan}};
const struct schema submission_action_schema = {
    .name = "submission_action_schema", .fields = action_fields, .count = ARRAY_LEN(action_fields), .optional = true};

#define SUBMISSION_COLUMNS                                                                                                         \
    "id, releaseId, platform, targetIntegrationId, targetType, track, status, pendingAction, buildNumber, rolloutMillionths, "     \
    "inAppUpdatePriority, releaseNotes, storeVersionId, storeSubmissionId, editId, reviewState, statusReason, "                    \
    "createdByAccountId, submittedAt, releasedAt, createdAt, updatedAt, testers, rolloutPlan, planStage, planNextAt, "             \
    "releaseType, earliestReleaseDate"

static json_t *submission_row(struct store_stmt *st)
{
    static const char *const cols[] = {"id",
                                       "releaseId",
                                       "platform",
                                       "targetIntegrationId",
                                       "targetType",
                                       "track",
                                       "status",
                                       "pendingAction",
                                       "buildNumber",
                                       "rolloutFraction",
                                       "inAppUpdatePriority",
                                       "releaseNotes",
                                       "storeVersionId",
                                       "storeSubmissionId",
                                       "editId",
                                       "reviewState",
                                       "statusReason",
                                       "createdByAccountId",
                                       "submittedAt",
                                       "releasedAt",
                                       "createdAt",
                                       "updatedAt",
                                       "testers",
                                       "rolloutPlan",
                                       "planStage",
                                       "planNextAt",
                                       "releaseType",
                                       "earliestReleaseDate"};
    json_t *row = json_object(), *val;

    for (int i = 0; i < (int)ARRAY_LEN(cols); i++) {
        const char *v = store_col_text(st, i);
        if (i == 9)
            val = json_real((double)store_col_int(st, i) / 1000000.0);
        else if (i == 10 || i == 24)
            val = v ? json_integer(store_col_int(st, i)) : json_null();
        else if (i == 11 || i == 22 || i == 23)
            val = v ? json_loads(v, 0, NULL) : NULL;
        else
            val = json_text_or_null(v);
        json_object_set_new(row, cols[i], val ? val : json_null());
    }
    return row;
}

/* The submission (as the list shows it), or NULL with ERR_NOT_FOUND; release: the release it must be of. */
static json_t *submission_read(struct store_conn *db, const char *tenant, const char *release, const char *id, struct err *err)
{
    return page_row(db, "SELECT " SUBMISSION_COLUMNS " FROM store_submissions WHERE tenantId = ? AND releaseId = ? AND id = ?",
                    STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(release), STORE_TEXT(id)), submission_row, err);
}

/* The release's status into status (16 bytes); ERR_NOT_FOUND when the tenant has no such release. */
static enum err_code release_status_of(struct store_conn *db, const char *tenant, const char *id, char *status,
                                       json_t **platforms_out, struct err *err)
{
    struct store_stmt *st;
    int rc;

    if (!uuid_valid(id))
        return err_set(err, ERR_NOT_FOUND, "not found");
    if (store_select(db, "SELECT status, platforms FROM releases WHERE tenantId = ? AND id = ?",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(id)), &st, err))
        return err->code;
    if ((rc = store_next(st, err)) == 1) {
        release_cols(st, 0, status, (size_t)16, NULL);
        if (platforms_out)
            *platforms_out = store_col_text(st, 1) ? json_loads(store_col_text(st, 1), 0, NULL) : NULL;
    }
    store_finish(st);
    return rc < 0 ? err->code : rc == 0 ? err_set(err, ERR_NOT_FOUND, "not found") : ERR_OK;
}

enum err_code submissions_list(struct request *req, struct err *err)
{
    const char *tenant = principal_of(req)->tenant_id, *release = request_param(req, "releaseId");
    struct store_conn *db;
    struct store_stmt *st;
    char status[16];
    json_t *items;
    int rc;

    if (request_db(req, &db, err) || release_status_of(db, tenant, release, status, NULL, err) ||
        store_select(db,
                     "SELECT " SUBMISSION_COLUMNS " FROM store_submissions WHERE tenantId = ? AND releaseId = ? "
                     "ORDER BY createdAt, id",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(release)), &st, err))
        return err->code;
    items = json_array();
    while ((rc = store_next(st, err)) == 1)
        json_array_append_new(items, submission_row(st));
    store_finish(st);
    if (rc < 0) {
        json_decref(items);
        return err->code;
    }
    response_json(req, 200, json_pack("{s:o}", "items", items));
    return ERR_OK;
}

enum err_code submission_get(struct request *req, struct err *err)
{
    struct store_conn *db;
    json_t *row;

    if (request_db(req, &db, err) || !(row = submission_read(db, principal_of(req)->tenant_id, request_param(req, "releaseId"),
                                                             request_param(req, "submissionId"), err)))
        return err->code;
    response_json(req, 200, row);
    return ERR_OK;
}

/* Runs body in the tenant's transaction, looks for its job at once, and answers status with the submission id (read after). */
static enum err_code submission_change(struct request *req, store_tx_fn body, void *ctx, const char *release, const char *id,
                                       int status, struct err *err)
{
    struct store_conn *db;
    json_t *row;

    if (request_db(req, &db, err) || tenant_tx(db, principal_of(req)->tenant_id, body, ctx, err))
        return err->code;
    jobs_nudge(jobs);
    if (!(row = submission_read(db, principal_of(req)->tenant_id, release, id, err)))
        return err->code;
    response_json(req, status, row);
    return ERR_OK;
}

/* What only some stores can do (enum store_feature) for a target type. */
static unsigned store_features(const char *type)
{
    const struct provider *p = provider_by_type(type);
    return p ? p->store_features : 0;
}

/* The store's name for a person (the provider's display name). */
static const char *store_display(const char *type)
{
    const struct provider *p = provider_by_type(type);
    return p ? p->display : "the store";
}

/*
 * releaseType (App Store Connect: MANUAL, AFTER_APPROVAL, SCHEDULED) where
 * the store has release types, and earliestReleaseDate (RFC 3339, in the
 * future) with SCHEDULED only, into date (TIMESTAMP_SIZE, "" when none).
 */
static enum err_code check_release_type(const json_t *body, unsigned features, const char *type, char *date, struct err *err)
{
    const char *kind = json_string_value(json_object_get(body, "releaseType"));
    const char *when = json_string_value(json_object_get(body, "earliestReleaseDate"));
    bool scheduled = kind && strcmp(kind, "SCHEDULED") == 0;
    int64_t ms = 0;

    if (kind && !(features & STORE_RELEASE_TYPES))
        err_detail(err, "releaseType", "applies to App Store Connect only: %s releases on its own terms", store_display(type));
    else if (scheduled != (when != NULL))
        err_detail(err, "earliestReleaseDate", scheduled ? "is required with releaseType SCHEDULED" : "is only for SCHEDULED");
    else if (when && (clock_parse(when, &ms) || ms <= clock_now_ms()))
        err_detail(err, "earliestReleaseDate", "must be a date and time (RFC 3339) in the future");
    else if (when)
        clock_format(ms, date);
    return err->ndetails ? err_set(err, ERR_INVALID, "invalid submission") : ERR_OK;
}

/* cancelReview asked of a store whose changes never cancel a review: 400. */
static enum err_code refuse_cancel_review(const char *type, struct err *err)
{
    err_detail(err, "cancelReview", "applies to Google Play only: %s has no changes in review to cancel", store_display(type));
    return err_set(err, ERR_INVALID, "invalid submission");
}

/* ---- submitting ---- */

struct create_tx {
    const struct request *req;
    const char *release, *platform, *track, *build, *asked_target;
    char id[UUID_SIZE], target[UUID_SIZE], target_type[16];
    unsigned features;  /* the target's store_features */
    json_t *plan;       /* the target's default rollout plan (release configuration), when the body has none; owned */
    json_int_t carried; /* carryRollout: the share carried over, permille (0: none) */
};

/* The target's default rollout plan from the tenant's release configuration into *out (NULL: none; caller owns). */
static enum err_code default_plan(struct store_conn *c, const char *tenant, const char *target, json_t **out, struct err *err)
{
    struct store_stmt *st;
    json_t *plans = NULL;

    *out = NULL;
    if (store_select(c, "SELECT rolloutPlans FROM release_configs WHERE tenantId = ?", STORE_ARGS(STORE_TEXT(tenant)), &st, err))
        return err->code;
    if (store_next(st, err) == 1 && store_col_text(st, 0))
        plans = json_loads(store_col_text(st, 0), 0, NULL);
    store_finish(st);
    if (json_array_size(json_object_get(plans, target)) && !store_plan_problem(json_object_get(plans, target)))
        *out = json_incref(json_object_get(plans, target));
    json_decref(plans);
    return err->code;
}

/*
 * Whether p is a store target that ships platform and can submit to its
 * store; a distribution to testers of any platform (no store_platform:
 * Firebase) only when named.
 */
static bool ships(const struct provider *p, const char *platform, bool named)
{
    return p && p->ops->store_submit &&
           (p->store_platform ? strcmp(p->store_platform, platform) == 0 : named && p->store_track != NULL);
}

/*
 * The target: the one asked for, else the tenant's oldest active one that
 * ships the platform (the registry says which types do); its default track
 * when the body names none.
 */
static enum err_code pick_target(struct store_conn *c, const char *tenant, struct create_tx *t, struct err *err)
{
    struct store_stmt *st;
    const char *asked = t->asked_target ? t->asked_target : "";
    const struct provider *p = NULL;
    int rc;

    t->target[0] = '\0';
    /* The id is compared only when one is asked for: PostgreSQL refuses '' as a uuid. */
    if (asked[0] ? store_select(c,
                                "SELECT id, targetType FROM tenant_target_integrations WHERE tenantId = ? AND isActive = ? "
                                "AND id = ?",
                                STORE_ARGS(STORE_TEXT(tenant), STORE_BOOL(true), STORE_TEXT(asked)), &st, err)
                 : store_select(c,
                                "SELECT id, targetType FROM tenant_target_integrations WHERE tenantId = ? AND isActive = ? "
                                "ORDER BY createdAt, id",
                                STORE_ARGS(STORE_TEXT(tenant), STORE_BOOL(true)), &st, err))
        return err->code;
    while (!t->target[0] && (rc = store_next(st, err)) == 1)
        if (ships((p = provider_by_type(store_col_text(st, 1))), t->platform, asked[0] != '\0'))
            release_cols(st, 0, t->target, sizeof t->target, t->target_type, sizeof t->target_type, NULL);
    store_finish(st);
    if (err->code)
        return err->code;
    if (!t->target[0]) {
        err_detail(err, "targetIntegrationId", "is not an active store target of this tenant that ships %s", t->platform);
        return err_set(err, ERR_INVALID, "no store target for %s", t->platform);
    }
    if (!t->track)
        t->track = p->store_track;
    t->features = p->store_features;
    return ERR_OK;
}

/* The build number of the platform's latest succeeded build of the release's candidate, into out (64 bytes), or "". */
static enum err_code built_number(struct store_conn *c, const char *tenant, const char *release, const char *platform, char *out,
                                  struct err *err)
{
    struct store_stmt *st;

    out[0] = '\0';
    if (store_select(c,
                     "SELECT b.buildNumber FROM release_builds b JOIN releases r ON r.id = b.releaseId AND r.tenantId = b.tenantId "
                     "WHERE b.tenantId = ? AND b.releaseId = ? AND b.platform = ? AND b.status = 'SUCCEEDED' "
                     "AND b.candidateNumber = r.candidateNumber AND b.buildNumber IS NOT NULL ORDER BY b.attempt DESC",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(release), STORE_TEXT(platform)), &st, err))
        return err->code;
    if (store_next(st, err) == 1)
        release_cols(st, 0, out, (size_t)64, NULL);
    store_finish(st);
    return err->code;
}

/*
 * carryRollout: a HOTFIX submission to a store that takes shares by hand (Google Play) starts at the share the tenant's
 * latest other submission to the same target and track has reached while still under way (ROLLING_OUT or HALTED), in
 * permille into *permille (0: none under way, the body's or the default plan's share stands). 400 on carryRollout for
 * another release type, a store without shares, or a share or plan of the body's own.
 */
static enum err_code carried_permille(struct store_conn *c, const char *tenant, const struct create_tx *t, json_int_t *permille,
                                      struct err *err)
{
    const json_t *body = t->req->body;
    const char *problem = NULL;
    struct store_stmt *st;
    char type[16] = "";

    *permille = 0;
    if (store_select(c, "SELECT releaseType FROM releases WHERE tenantId = ? AND id = ?",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(t->release)), &st, err))
        return err->code;
    if (store_next(st, err) == 1)
        release_cols(st, 0, type, sizeof type, NULL);
    store_finish(st);
    if (err->code)
        return err->code;
    if (strcmp(type, "HOTFIX") != 0)
        problem = "applies to a HOTFIX release only: it takes over the share of the release it fixes";
    else if (!(t->features & STORE_PLANS))
        problem = "applies to Google Play only: the other stores keep their own schedule";
    else if (json_object_get(body, "rolloutPermille") || json_object_get(body, "rolloutPlan"))
        problem = "replaces rolloutPermille and rolloutPlan: the share is the one carried over (give one or the other)";
    if (problem) {
        err_detail(err, "carryRollout", "%s", problem);
        return err_set(err, ERR_INVALID, "invalid submission");
    }
    if (store_select(c,
                     "SELECT rolloutMillionths FROM store_submissions WHERE tenantId = ? AND targetIntegrationId = ? AND track = ? "
                     "AND releaseId <> ? AND status IN ('ROLLING_OUT', 'HALTED') ORDER BY updatedAt DESC, id DESC",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(t->target), STORE_TEXT(t->track), STORE_TEXT(t->release)), &st, err))
        return err->code;
    if (store_next(st, err) == 1) {
        int64_t share = store_col_int(st, 0) / 1000; /* millionths to permille, within the 1..1000 a share may be */
        *permille = share < 1 ? 1 : share > 1000 ? 1000 : share;
    }
    store_finish(st);
    return err->code;
}

/*
 * A plan that starts at a carried share: its stages at or below it dropped, the share put first with the wait of the last
 * one dropped (the stage it stands for); plan itself when its first stage is above the share. Caller owns.
 */
static json_t *plan_from(const json_t *plan, json_int_t permille)
{
    json_t *out = json_array(), *stage, *wait = NULL;
    size_t i;

    json_array_foreach(plan, i, stage)
    {
        if (json_integer_value(json_object_get(stage, "rolloutPermille")) <= permille)
            wait = json_object_get(stage, "waitMinutes");
        else
            json_array_append(out, stage);
    }
    if (wait)
        json_array_insert_new(out, 0, json_pack("{s:I, s:O}", "rolloutPermille", permille, "waitMinutes", wait));
    return out;
}

static enum err_code create_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct create_tx *t = ctx;
    const char *tenant = principal_of(t->req)->tenant_id;
    const json_t *body = t->req->body;
    char status[16] = "", now[TIMESTAMP_SIZE], build[64], release_date[TIMESTAMP_SIZE] = "";
    json_t *platforms = NULL, *payload, *details,
           *plan = json_array_size(json_object_get(body, "rolloutPlan")) ? json_object_get(body, "rolloutPlan") : NULL;
    struct store_stmt *st;
    bool listed = false;
    char *notes, *testers, *stages;
    size_t i;
    int rc;

    if (release_status_of(c, tenant, t->release, status, &platforms, err))
        return err->code;
    for (i = 0; i < json_array_size(platforms); i++)
        listed = listed || json_equal(json_array_get(platforms, i), json_object_get(body, "platform"));
    json_decref(platforms);
    if (!listed) {
        err_detail(err, "platform", "is not one of the release's platforms");
        return err_set(err, ERR_INVALID, "invalid submission");
    }
    if (pick_target(c, tenant, t, err))
        return err->code;
    snprintf(build, sizeof build, "%s", t->build ? t->build : "");
    if (!build[0] && built_number(c, tenant, t->release, t->platform, build, err))
        return err->code;
    if (!build[0]) {
        err_detail(err, "buildNumber", "is required: the release has no succeeded %s build with a build number", t->platform);
        return err_set(err, ERR_INVALID, "invalid submission");
    }
    if (json_is_true(json_object_get(body, "cancelReview")) && !(t->features & STORE_REVIEW_CHOICE))
        return refuse_cancel_review(t->target_type, err);
    if (check_release_type(body, t->features, t->target_type, release_date, err))
        return err->code;
    json_decref(t->plan); /* a transaction run again asks again */
    t->plan = NULL;
    if (!plan && !json_object_get(body, "rolloutPermille") && !json_object_get(body, "rolloutPlan") &&
        (t->features & STORE_PLANS) && default_plan(c, tenant, t->target, &t->plan, err))
        return err->code;
    if (t->plan)
        plan = t->plan; /* the target's default, from the release configuration */
    t->carried = 0;
    if (json_is_true(json_object_get(body, "carryRollout")) && carried_permille(c, tenant, t, &t->carried, err))
        return err->code;
    if (t->carried && plan) { /* the default plan from the carried share on */
        json_t *from = plan_from(plan, t->carried);
        json_decref(t->plan);
        plan = t->plan = from;
    }
    if (plan && (!(t->features & STORE_PLANS) || json_object_get(body, "rolloutPermille"))) {
        err_detail(err, "rolloutPlan",
                   !(t->features & STORE_PLANS)
                       ? "applies to Google Play only: %s keeps its own schedule (App Store Connect's phased release is "
                         "Apple's 7 days; halt, resume and complete it by hand)"
                       : "replaces rolloutPermille: its first stage is the first share (give one or the other)%s",
                   !(t->features & STORE_PLANS) ? store_display(t->target_type) : "");
        return err_set(err, ERR_INVALID, "invalid submission");
    }
    if (strcmp(status, "READY") != 0) /* after what the body alone decides: a 400 does not depend on the release's stage */
        return err_set(err, ERR_CONFLICT, "a %s release cannot be submitted: it must be READY", status);
    if (store_select(c,
                     "SELECT status FROM store_submissions WHERE tenantId = ? AND releaseId = ? AND targetIntegrationId = ? "
                     "AND status NOT IN ('RELEASED', 'REJECTED', 'FAILED')",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(t->release), STORE_TEXT(t->target)), &st, err))
        return err->code;
    rc = store_next(st, err);
    store_finish(st);
    if (rc != 0)
        return rc < 0 ? err->code : err_set(err, ERR_CONFLICT, "the release has a submission to this target under way");
    rand_uuid(t->id);
    clock_now(now);
    notes = json_object_size(json_object_get(body, "releaseNotes")) > 0
                ? json_dumps(json_object_get(body, "releaseNotes"), JSON_COMPACT)
                : NULL;
    testers = json_object_get(body, "testers") ? json_dumps(json_object_get(body, "testers"), JSON_COMPACT) : NULL;
    stages = plan ? json_dumps(plan, JSON_COMPACT) : NULL;
    store_run(c,
              "INSERT INTO store_submissions (id, tenantId, releaseId, platform, targetIntegrationId, targetType, track, status, "
              "pendingAction, actionCount, buildNumber, rolloutMillionths, inAppUpdatePriority, releaseNotes, createdByAccountId, "
              "createdAt, updatedAt, testers, rolloutPlan, releaseType, earliestReleaseDate) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, 'PENDING', 'submit', 1, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
              STORE_ARGS(STORE_TEXT(t->id), STORE_TEXT(tenant), STORE_TEXT(t->release), STORE_TEXT(t->platform),
                         STORE_TEXT(t->target), STORE_TEXT(t->target_type), STORE_TEXT(t->track), STORE_TEXT(build),
                         json_object_get(body, "inAppUpdatePriority")
                             ? STORE_INT(json_integer_value(json_object_get(body, "inAppUpdatePriority")))
                             : STORE_NULL,
                         STORE_TEXT(notes), STORE_TEXT(principal_of(t->req)->account_id), STORE_TIME(now), STORE_TIME(now),
                         STORE_TEXT(testers), STORE_TEXT(stages),
                         STORE_TEXT(json_string_value(json_object_get(body, "releaseType"))),
                         release_date[0] ? STORE_TIME(release_date) : STORE_NULL),
              NULL, err);
    free(notes);
    free(testers);
    free(stages);
    if (err->code || health_rule_save(c, tenant, t->id, json_object_get(body, "healthRule"), err)) /* health.h */
        return err->code;
    payload = json_pack("{s:s, s:s, s:s}", "releaseId", t->release, "submissionId", t->id, "action", "submit");
    if (json_object_get(body, "rolloutPermille"))
        json_object_set(payload, "permille", json_object_get(body, "rolloutPermille"));
    if (json_is_true(json_object_get(body, "cancelReview")))
        json_object_set_new(payload, "cancelReview", json_true());
    if (json_object_get(body, "releaseType"))
        json_object_set(payload, "releaseType", json_object_get(body, "releaseType"));
    if (release_date[0])
        json_object_set_new(payload, "earliestReleaseDate", json_string(release_date));
    if (t->carried)
        json_object_set_new(payload, "permille", json_integer(t->carried));
    if (plan) /* the plan's first stage is the submission's share */
        json_object_set(payload, "permille", json_object_get(json_array_get(plan, 0), "rolloutPermille"));
    details = json_pack("{s:s, s:s, s:s, s:s, s:s, s:O?}", "submissionId", t->id, "platform", t->platform, "target", t->target_type,
                        "track", t->track, "buildNumber", build, "rolloutPermille", json_object_get(body, "rolloutPermille"));
    if (t->carried)
        json_object_set_new(details, "carriedPermille", json_integer(t->carried));
    submission_queue(c, jobs, t->req, tenant, t->release, t->id, "submit", "submission to the store queued", payload, details, 1,
                     err);
    json_decref(details);
    json_decref(payload);
    return err->code;
}

enum err_code submissions_create(struct request *req, struct err *err)
{
    const json_t *body = req->body;
    struct create_tx t = {.req = req,
                          .release = request_param(req, "releaseId"),
                          .platform = json_string_value(json_object_get(body, "platform")),
                          .track = json_string_value(json_object_get(body, "track")),
                          .build = json_string_value(json_object_get(body, "buildNumber")),
                          .asked_target = json_string_value(json_object_get(body, "targetIntegrationId"))};
    if (!uuid_valid(t.release))
        return err_set(err, ERR_NOT_FOUND, "not found");
    submission_change(req, create_body, &t, t.release, t.id, 201, err);
    json_decref(t.plan);
    return err->code;
}

/* ---- rollout actions ---- */

struct action_tx {
    const struct request *req;
    const char *release, *id, *action, *reason;
    enum submission_event event;
    const json_t *permille; /* rollout: the new fraction, in thousandths */
    bool cancel_review;     /* Play: commit even if it cancels changes in review */
};

static enum err_code action_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct action_tx *t = ctx;
    const char *tenant = principal_of(t->req)->tenant_id;
    struct submission s;

    if (submission_load(c, tenant, t->id, &s, err))
        return err->code;
    submission_clear(&s);
    if (!s.found || strcmp(s.release, t->release) != 0)
        return err_set(err, ERR_NOT_FOUND, "not found");
    if (json_object_get(t->req->body, "track") || json_object_get(t->req->body, "rolloutPlan")) {
        err_detail(err, json_object_get(t->req->body, "track") ? "track" : "rolloutPlan", "is only for promote");
        return err_set(err, ERR_INVALID, "invalid action");
    }
    if ((t->event == SEV_ROLLOUT) != (t->permille != NULL)) {
        err_detail(err, "rolloutPermille", t->permille ? "is only for rollout" : "is required for rollout");
        return err_set(err, ERR_INVALID, "invalid action");
    }
    if (t->cancel_review && !(store_features(s.target_type) & STORE_REVIEW_CHOICE))
        return refuse_cancel_review(s.target_type, err);
    return submission_ask(c, jobs, t->req, tenant,
                          &(struct submission_ask){.release = t->release,
                                                   .id = t->id,
                                                   .action = t->action,
                                                   .event = t->event,
                                                   .permille = t->permille,
                                                   .reason = t->reason,
                                                   .cancel_review = t->cancel_review},
                          err);
}

/* ---- promotion: the build of one track on another (Play), a submission of its own ---- */

struct promote_tx {
    const struct request *req;
    const char *release, *id, *track;
    char new_id[UUID_SIZE];
};

/*
 * The submission's build, on the track it is on (rolling out, halted or
 * released there), submitted to another track of the same target: a new
 * submission with the build, notes and priority copied, PENDING with its
 * submit queued (Play: one edit adds the version codes to the track,
 * validated, then committed), in one transaction.
 */
static enum err_code promote_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct promote_tx *t = ctx;
    const char *tenant = principal_of(t->req)->tenant_id;
    const json_t *body = t->req->body, *permille = json_object_get(body, "rolloutPermille");
    json_t *plan = json_array_size(json_object_get(body, "rolloutPlan")) ? json_object_get(body, "rolloutPlan") : NULL;
    enum submission_status from;
    char now[TIMESTAMP_SIZE];
    struct store_stmt *st;
    json_t *payload, *details;
    struct submission s;
    int rc;

    if (submission_load(c, tenant, t->id, &s, err))
        return err->code;
    submission_clear(&s);
    if (!s.found || strcmp(s.release, t->release) != 0)
        return err_set(err, ERR_NOT_FOUND, "not found");
    if (!t->track || strcmp(t->track, s.track) == 0) {
        err_detail(err, "track", t->track ? "is the submission's own track: name another" : "is required for promote");
        return err_set(err, ERR_INVALID, "invalid action");
    }
    if (plan && permille) {
        err_detail(err, "rolloutPlan", "replaces rolloutPermille: its first stage is the first share (give one or the other)");
        return err_set(err, ERR_INVALID, "invalid action");
    }
    if (json_is_true(json_object_get(body, "cancelReview")) && !(store_features(s.target_type) & STORE_REVIEW_CHOICE))
        return refuse_cancel_review(s.target_type, err);
    if (!(store_features(s.target_type) & STORE_PROMOTE))
        return err_set(err, ERR_CONFLICT, "%s has no tracks to promote a build between", store_display(s.target_type));
    from = submission_status_parse(s.status);
    if (from != SUB_ROLLING_OUT && from != SUB_HALTED && from != SUB_RELEASED)
        return err_set(err, ERR_CONFLICT, "a %s submission cannot be promoted: its build is not on track %s yet", s.status,
                       s.track);
    if (s.pending[0])
        return err_set(err, ERR_CONFLICT, "the submission's %s is under way: try again when it has ended", s.pending);
    if (store_select(c,
                     "SELECT status FROM store_submissions WHERE tenantId = ? AND releaseId = ? AND targetIntegrationId = ? "
                     "AND track = ? AND status NOT IN ('RELEASED', 'REJECTED', 'FAILED')",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(t->release), STORE_TEXT(s.target), STORE_TEXT(t->track)), &st, err))
        return err->code;
    rc = store_next(st, err);
    store_finish(st);
    if (rc != 0)
        return rc < 0 ? err->code : err_set(err, ERR_CONFLICT, "the release has a submission to track %s under way", t->track);
    rand_uuid(t->new_id);
    clock_now(now);
    char *stages = plan ? json_dumps(plan, JSON_COMPACT) : NULL;
    store_run(c,
              "INSERT INTO store_submissions (id, tenantId, releaseId, platform, targetIntegrationId, targetType, track, "
              "status, pendingAction, actionCount, buildNumber, rolloutMillionths, inAppUpdatePriority, releaseNotes, "
              "createdByAccountId, createdAt, updatedAt, testers, rolloutPlan) "
              "SELECT ?, tenantId, releaseId, platform, targetIntegrationId, targetType, ?, 'PENDING', 'submit', 1, "
              "buildNumber, 0, inAppUpdatePriority, releaseNotes, ?, ?, ?, testers, ? FROM store_submissions "
              "WHERE tenantId = ? AND id = ?",
              STORE_ARGS(STORE_TEXT(t->new_id), STORE_TEXT(t->track), STORE_TEXT(principal_of(t->req)->account_id), STORE_TIME(now),
                         STORE_TIME(now), STORE_TEXT(stages), STORE_TEXT(tenant), STORE_TEXT(t->id)),
              NULL, err);
    free(stages);
    if (err->code)
        return err->code;
    if (plan) /* the plan's first stage is the new submission's share, as on a submit */
        permille = json_object_get(json_array_get(plan, 0), "rolloutPermille");
    payload = json_pack("{s:s, s:s, s:s, s:O?}", "releaseId", t->release, "submissionId", t->new_id, "action", "submit", "permille",
                        permille);
    if (json_is_true(json_object_get(body, "cancelReview")))
        json_object_set_new(payload, "cancelReview", json_true());
    details = json_pack("{s:s, s:s, s:s, s:s, s:s, s:O?}", "submissionId", t->new_id, "promotedFrom", t->id, "fromTrack", s.track,
                        "track", t->track, "buildNumber", s.build_number, "rolloutPermille", permille);
    submission_queue(c, jobs, t->req, tenant, t->release, t->new_id, "promote", json_string_value(json_object_get(body, "reason")),
                     payload, details, 1, err);
    json_decref(details);
    json_decref(payload);
    return err->code;
}

enum err_code submission_action(struct request *req, struct err *err)
{
    struct action_tx t = {.req = req,
                          .release = request_param(req, "releaseId"),
                          .id = request_param(req, "submissionId"),
                          .action = request_param(req, "storeAction")};
    int event = submission_action_parse(t.action);
    struct promote_tx p = {.req = req, .release = t.release, .id = t.id};

    if ((event < 0 && strcmp(t.action ? t.action : "", "promote") != 0) || !uuid_valid(t.id) || !uuid_valid(t.release))
        return err_set(err, ERR_NOT_FOUND, "not found");
    if (event < 0) {
        p.track = req->body ? json_string_value(json_object_get(req->body, "track")) : NULL;
        return submission_change(req, promote_body, &p, p.release, p.new_id, 201, err);
    }
    t.event = (enum submission_event)event;
    t.reason = req->body ? json_string_value(json_object_get(req->body, "reason")) : NULL;
    t.permille = req->body ? json_object_get(req->body, "rolloutPermille") : NULL;
    t.cancel_review = req->body && json_is_true(json_object_get(req->body, "cancelReview"));
    return submission_change(req, action_body, &t, t.release, t.id, 200, err);
}
