/* notify.c: emitting catalogue events into the outbox, and delivering them as durable jobs (notify.h). */
#include "notify/notify.h"

#include <assert.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/rand.h"
#include "core/utf8.h"
#include "core/xmalloc.h"
#include "crypto/secret.h"
#include "events/catalog.h"
#include "http/request.h"
#include "integrations/catalog.h"
#include "jobs/jobs.h"
#include "notify/approvals.h"
#include "notify/endpoints.h"
#include "notify/testruns.h"
#include "notify/tickets.h"
#include "providers/registry.h"
#include "usage/usage.h"
#include "verify/verify.h"

static struct jobs *jobs;
static const struct keyring *keys;
static const char *public_url = "";
static bool mail;

void notify_configure(const char *url, bool mail_on)
{
    public_url = url ? url : "";
    mail = mail_on;
}

void notify_start(struct jobs *q, const struct keyring *k)
{
    jobs = q;
    keys = k;
}

const struct keyring *notify_keys(void)
{
    return keys;
}

bool notify_mail_on(void)
{
    return mail;
}

struct jobs *notify_jobs(void)
{
    return jobs;
}

void notify_link(const char *tenant, const char *page, const char *id, char out[NOTIFY_LINK_SIZE])
{
    size_t n = strlen(public_url);

    while (n && public_url[n - 1] == '/')
        n--;
    if (!n)
        out[0] = '\0';
    else
        snprintf(out, NOTIFY_LINK_SIZE, "%.*s/#/t/%s/%s/%s", (int)n, public_url, tenant, page, id);
}

/* ---- emitting ---- */

/* The release timeline's entries (docs/releases.md) that are events of the catalogue. */
static const struct {
    const char *kind, *name, *event;
} release_events[] = {
    {"ACTION", "create", "release.kickoff.started"},
    {"STATUS", "kickoff-done", "release.kickoff.completed"},
    {"STATUS", "kickoff-failed", "release.kickoff.failed"},
    {"ACTION", "pause", "release.paused"},
    {"ACTION", "resume", "release.resumed"},
    {"ACTION", "retry", "release.retried"},
    {"ACTION", "cancel", "release.cancelled"},
    {"STATUS", "submitted", "release.submitted"}, /* src/stores (docs/stores.md) */
    {"STATUS", "rejected", "release.rejected"},
    {"STATUS", "new-candidate", "release.candidate.created"},
    {"STATUS", "in-review", "release.review.started"},
    {"STATUS", "review-approved", "release.review.approved"},
    {"STATUS", "submission-failed", "release.submission.failed"},
    {"STATUS", "rollout-updated", "rollout.updated"},
    {"STATUS", "builds-done", NOTIFY_RELEASE_APPROVAL_EVENT}, /* REGRESSION: approvals asked (approvals.h) */
    {"STATUS", "approved", "release.approved"},
    {"STATUS", "finish", "release.finished"},
    {"STATUS", "released", "release.released"},               /* every platform's store released it (src/stores) */
    {"STATUS", "health-breached", "release.health.breached"}, /* src/stores/health.c */
};

static const char *release_event_of(const char *kind, const char *name)
{
    for (size_t i = 0; kind && name && i < ARRAY_LEN(release_events); i++)
        if (strcmp(release_events[i].kind, kind) == 0 && strcmp(release_events[i].name, name) == 0)
            return release_events[i].event;
    return NULL;
}

/* The release as the payload carries it. Caller owns; NULL with err set. */
static json_t *release_payload(struct store_conn *c, const char *tenant, const char *release, struct err *err)
{
    static const char *const cols[] = {"id", "version", "status", "statusReason", "releaseBranch", "candidateTag"};
    struct store_stmt *st;
    json_t *r = NULL;
    int rc;

    if (store_select(c,
                     "SELECT id, version, status, statusReason, releaseBranch, candidateTag FROM releases "
                     "WHERE tenantId = ? AND id = ?",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(release)), &st, err))
        return NULL;
    rc = store_next(st, err);
    if (rc == 1) {
        r = json_object();
        for (int i = 0; i < (int)ARRAY_LEN(cols); i++)
            json_object_set_new(r, cols[i], json_text_or_null(store_col_text(st, i)));
    }
    store_finish(st);
    if (rc == 0)
        err_set(err, ERR_NOT_FOUND, "the release is gone");
    return r;
}

struct rule {
    char id[UUID_SIZE], pattern[129], integration[256], channel[81];
};

/* The tenant's rules that match event, one per (integration, channel). *out is malloc'ed; caller frees. */
static enum err_code matching_rules(struct store_conn *c, const char *tenant, const char *event, struct rule **out, size_t *n,
                                    struct err *err)
{
    struct store_stmt *st;
    size_t cap = 0;
    int rc;

    *out = NULL, *n = 0;
    if (store_select(c,
                     "SELECT id, eventPattern, integrationId, channel FROM notification_rules WHERE tenantId = ? "
                     "ORDER BY createdAt, id",
                     STORE_ARGS(STORE_TEXT(tenant)), &st, err))
        return err->code;
    while ((rc = store_next(st, err)) == 1) {
        struct rule r;
        bool twice = false;
        snprintf(r.id, sizeof r.id, "%s", store_col_text(st, 0));
        snprintf(r.pattern, sizeof r.pattern, "%s", store_col_text(st, 1));
        snprintf(r.integration, sizeof r.integration, "%s", store_col_text(st, 2));
        snprintf(r.channel, sizeof r.channel, "%s", store_col_text(st, 3) ? store_col_text(st, 3) : "");
        if (!events_pattern_matches(r.pattern, event))
            continue;
        for (size_t i = 0; i < *n; i++)
            twice |= strcmp((*out)[i].integration, r.integration) == 0 && strcmp((*out)[i].channel, r.channel) == 0;
        if (twice)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 4;
            *out = xrealloc(*out, cap * sizeof **out);
        }
        (*out)[(*n)++] = r;
    }
    store_finish(st);
    return rc < 0 ? err->code : ERR_OK;
}

enum err_code notify_job_add(struct store_conn *c, struct jobs *q, const char *kind, const char *tenant, const char *delivery,
                             int max_attempts, struct err *err)
{
    char job[UUID_SIZE], dedupe[JOB_KIND_SIZE + UUID_SIZE + 1];
    json_t *payload = json_pack("{s:s}", "deliveryId", delivery);

    snprintf(dedupe, sizeof dedupe, "%s:%s", kind, delivery);
    jobs_enqueue_in(
        c, q,
        &(struct job_new){.kind = kind, .tenant = tenant, .payload = payload, .dedupe_key = dedupe, .max_attempts = max_attempts},
        job, err);
    json_decref(payload);
    return err->code;
}

/* The event in the outbox: fields (borrowed, may be NULL) and the common ones; its id and time into id and now. */
static enum err_code outbox_add(struct store_conn *c, const char *tenant, const char *event, const char *subject_type,
                                const char *subject_id, const json_t *fields, char now[TIMESTAMP_SIZE], char id[UUID_SIZE],
                                struct err *err)
{
    json_t *payload = fields ? json_deep_copy(fields) : json_object();
    char *text;

    rand_uuid(id);
    clock_now(now);
    json_object_update_new(payload,
                           json_pack("{s:s, s:s, s:s, s:s}", "id", id, "event", event, "occurredAt", now, "tenantId", tenant));
    text = json_dumps(payload, JSON_COMPACT);
    store_run(c,
              "INSERT INTO notification_events (id, tenantId, name, subjectType, subjectId, payload, createdAt) "
              "VALUES (?, ?, ?, ?, ?, ?, ?)",
              STORE_ARGS(STORE_TEXT(id), STORE_TEXT(tenant), STORE_TEXT(event), STORE_TEXT(subject_type), STORE_TEXT(subject_id),
                         STORE_TEXT(text), STORE_TIME(now)),
              NULL, err);
    free(text);
    json_decref(payload);
    return err->code;
}

/* Who takes an event: the tenant's matching rules and endpoints (owned: audience_free). */
struct audience {
    struct rule *rules;
    char (*endpoints)[UUID_SIZE];
    size_t n, m;
};

static enum err_code audience_find(struct store_conn *c, const char *tenant, const char *event, struct audience *a, struct err *err)
{
    *a = (struct audience){0};
    assert(events_find(event) && strcmp(events_find(event)->name, event) == 0); /* a dotted name of the catalogue */
    if (!jobs) /* a step resumed before notify_start: it runs again, nothing is lost */
        return err_set(err, ERR_UNAVAILABLE, "notifications are not started yet");
    if (matching_rules(c, tenant, event, &a->rules, &a->n, err) == ERR_OK)
        endpoints_matching(c, tenant, event, &a->endpoints, &a->m, err);
    return err->code;
}

static void audience_free(struct audience *a)
{
    free(a->rules);
    free(a->endpoints);
}

/* The event in the outbox, then a delivery for each of a's rules and endpoints (none: nothing written). */
static enum err_code audience_send(struct store_conn *c, const struct audience *a, const char *tenant, const char *event,
                                   const char *subject_type, const char *subject_id, const json_t *fields, struct err *err)
{
    char id[UUID_SIZE], now[TIMESTAMP_SIZE], delivery[UUID_SIZE];

    if (a->n + a->m == 0 || outbox_add(c, tenant, event, subject_type, subject_id, fields, now, id, err))
        return err->code;
    for (size_t i = 0; i < a->n; i++) {
        rand_uuid(delivery);
        if (store_run(c,
                      "INSERT INTO notification_deliveries (id, tenantId, eventId, ruleId, integrationId, channel, eventName, "
                      "subjectId, status, attempts, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'PENDING', 0, ?, ?)",
                      STORE_ARGS(STORE_TEXT(delivery), STORE_TEXT(tenant), STORE_TEXT(id), STORE_TEXT(a->rules[i].id),
                                 STORE_TEXT(a->rules[i].integration),
                                 STORE_TEXT(a->rules[i].channel[0] ? a->rules[i].channel : NULL), STORE_TEXT(event),
                                 STORE_TEXT(subject_id), STORE_TIME(now), STORE_TIME(now)),
                      NULL, err))
            return err->code;
        if (notify_job_add(c, jobs, NOTIFY_DELIVERY_JOB, tenant, delivery, NOTIFY_MAX_ATTEMPTS + 2, err))
            return err->code;
    }
    for (size_t i = 0; i < a->m; i++)
        if (endpoints_delivery_add(c, jobs, tenant, a->endpoints[i], id, event, now, delivery, err))
            return err->code;
    return ERR_OK;
}

enum err_code notify_emit(struct store_conn *c, const char *tenant, const char *event, const char *subject_type,
                          const char *subject_id, const json_t *fields, struct err *err)
{
    struct audience a;

    if (audience_find(c, tenant, event, &a, err) == ERR_OK)
        audience_send(c, &a, tenant, event, subject_type, subject_id, fields, err);
    audience_free(&a);
    return err->code;
}

enum err_code notify_ping(struct store_conn *c, const char *tenant, const char *endpoint, char delivery[UUID_SIZE], struct err *err)
{
    char id[UUID_SIZE], now[TIMESTAMP_SIZE];
    json_t *fields = json_pack("{s:s}", "endpointId", endpoint);

    if (!jobs)
        err_set(err, ERR_UNAVAILABLE, "notifications are not started yet");
    else if (outbox_add(c, tenant, NOTIFY_PING_EVENT, "endpoint", endpoint, fields, now, id, err) == ERR_OK)
        endpoints_delivery_add(c, jobs, tenant, endpoint, id, NOTIFY_PING_EVENT, now, delivery, err);
    json_decref(fields);
    return err->code;
}

enum err_code notify_redeliver(struct store_conn *c, const char *tenant, const char *endpoint, const char *delivery,
                               struct err *err)
{
    if (!jobs)
        return err_set(err, ERR_UNAVAILABLE, "notifications are not started yet");
    return endpoints_redeliver(c, jobs, tenant, endpoint, delivery, err);
}

/*
 * event about release with {"release", "message"} and extra's fields (borrowed, may be NULL); the release's payload into
 * *rel (borrowed from the fields, valid until they go: the caller decrefs *fields). Unless always, the payload is read
 * only when a rule or an endpoint takes the event (*fields and *rel NULL otherwise): a read of the release saved in the
 * transaction of every build outcome nobody subscribed to.
 */
static enum err_code release_emit(struct store_conn *c, const char *tenant, const char *release, const char *event,
                                  const json_t *extra, const char *message, bool always, json_t **fields, json_t **rel,
                                  struct err *err)
{
    struct audience a;

    *fields = *rel = NULL;
    if (audience_find(c, tenant, event, &a, err) || (!always && a.n + a.m == 0) ||
        !(*rel = release_payload(c, tenant, release, err)))
        goto out;
    *fields = json_pack("{s:o, s:o}", "release", *rel, "message", json_text_or_null(message));
    if (extra)
        json_object_update(*fields, (json_t *)extra);
    audience_send(c, &a, tenant, event, "release", release, *fields, err);
out:
    audience_free(&a);
    return err->code;
}

/* The own fields of event (its catalogue row's) that details hold; a reason they do not hold is message. Caller owns. */
static json_t *own_fields(const char *event, const json_t *details, const char *message)
{
    const struct event_def *d = events_find(event);
    json_t *out = json_object();
    char name[65];
    size_t len;

    for (const char *f = d ? d->fields : ""; *(f += strspn(f, " ")); f += len + (f[len] == ',')) {
        len = strcspn(f, ",");
        snprintf(name, sizeof name, "%.*s", (int)len, f);
        if (json_object_get(details, name))
            json_object_set(out, name, json_object_get(details, name));
        else if (strcmp(name, "reason") == 0)
            json_object_set_new(out, name, json_text_or_null(message));
    }
    return out;
}

/* A release that asks for its approvals: the configuration's (approvalRoles, approvalCount) into extra, its approvers mailed. */
static enum err_code approval_extra(struct store_conn *c, const char *tenant, const char *release, json_t *extra, struct err *err)
{
    json_t *asked = notify_release_approval_fields(c, tenant, err);

    if (!asked)
        return err->code;
    json_object_update_new(extra, asked);
    return notify_release_approvers_ask(c, tenant, release, extra, err);
}

enum err_code notify_release_change(struct store_conn *c, const char *tenant, const char *release, const char *kind,
                                    const char *name, const char *message, const json_t *details, struct err *err)
{
    const char *event = release_event_of(kind, name);
    json_t *fields = NULL, *rel, *extra;

    if (testruns_release_change(c, jobs, tenant, release, kind, name, err) || /* a candidate made: its test runs */
        tickets_release_change(c, jobs, tenant, release, kind, name, err) ||  /* its notes made: the issues they name */
        !event)
        return err->code;
    extra = own_fields(event, details, message);
    if ((strcmp(event, NOTIFY_RELEASE_APPROVAL_EVENT) != 0 || approval_extra(c, tenant, release, extra, err) == ERR_OK) &&
        release_emit(c, tenant, release, event, extra, message, true, &fields, &rel, err) == ERR_OK) /* the tickets read rel */
        tickets_release_event(c, jobs, tenant, release, event, rel, message, err);
    json_decref(fields);
    json_decref(extra);
    return err->code;
}

enum err_code notify_build_change(struct store_conn *c, const char *tenant, const char *release, bool succeeded,
                                  const json_t *build, const char *message, struct err *err)
{
    json_t *fields, *rel;

    release_emit(c, tenant, release, succeeded ? "build.completed" : "build.failed", build, message, false, &fields, &rel, err);
    json_decref(fields);
    return err->code;
}

enum err_code notify_integration_status(struct store_conn *c, const char *tenant, const char *category, const char *type,
                                        const char *id, const char *from, const char *to, const char *message, struct err *err)
{
    json_t *fields;

    if (strcmp(from, to) == 0)
        return ERR_OK;
    fields = json_pack("{s:{s:s, s:s, s:s, s:s, s:s}, s:o}", "integration", "id", id, "category", category, "type", type, "from",
                       from, "to", to, "message", json_text_or_null(message));
    notify_emit(c, tenant, "integration.status.changed", "integration", id, fields, err);
    json_decref(fields);
    return err->code;
}

/* ---- delivering ---- */

enum { STEP_SEND, STEP_UPDATE };

/* A delivery, its event and its thread, as a step reads them. */
struct delivery {
    char id[UUID_SIZE], event_id[UUID_SIZE], integration[256], channel[81], event[65], subject[UUID_SIZE], status[16];
    char created[TIMESTAMP_SIZE], thread_channel[81], thread_ts[256];
    int attempts;
    json_t *payload;   /* owned */
    json_t *approvers; /* owned: an approval request's approvers still to approve (notify_approvers_list), else empty */
    bool found;
};

static void col(struct store_stmt *st, int i, char *out, size_t n)
{
    const char *v = store_col_text(st, i);
    snprintf(out, n, "%s", v ? v : "");
}

static enum err_code delivery_load(struct store_conn *c, const char *tenant, const char *id, struct delivery *d, struct err *err)
{
    struct store_stmt *st;
    int rc;

    memset(d, 0, sizeof *d);
    if (store_select(c,
                     "SELECT d.id, d.eventId, d.integrationId, d.channel, d.eventName, d.subjectId, d.status, d.createdAt, "
                     "d.attempts, e.payload FROM notification_deliveries d JOIN notification_events e ON e.id = d.eventId "
                     "WHERE d.tenantId = ? AND d.id = ?",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(id)), &st, err))
        return err->code;
    rc = store_next(st, err);
    if (rc == 1) {
        d->found = true;
        col(st, 0, d->id, sizeof d->id);
        col(st, 1, d->event_id, sizeof d->event_id);
        col(st, 2, d->integration, sizeof d->integration);
        col(st, 3, d->channel, sizeof d->channel);
        col(st, 4, d->event, sizeof d->event);
        col(st, 5, d->subject, sizeof d->subject);
        col(st, 6, d->status, sizeof d->status);
        col(st, 7, d->created, sizeof d->created);
        d->attempts = (int)store_col_int(st, 8);
        d->payload = store_col_text(st, 9) ? json_loads(store_col_text(st, 9), 0, NULL) : NULL;
    }
    store_finish(st);
    if (rc < 0)
        return err->code;
    if (!d->found)
        return ERR_OK;
    if (!d->payload)
        d->payload = json_object();
    if (store_select(c,
                     "SELECT channelRef, messageRef FROM notification_threads WHERE tenantId = ? AND integrationId = ? "
                     "AND channel = ? AND subjectId = ?",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(d->integration), STORE_TEXT(d->channel), STORE_TEXT(d->subject)),
                     &st, err))
        return err->code;
    if ((rc = store_next(st, err)) == 1) {
        col(st, 0, d->thread_channel, sizeof d->thread_channel);
        col(st, 1, d->thread_ts, sizeof d->thread_ts);
    }
    store_finish(st);
    return rc < 0 ? err->code : ERR_OK;
}

/*
 * The unfinished delivery just before d to the same channel about the same
 * subject (its id into out), or out "". The nearest one, not the first: each
 * delivery of a thread waits on its own key, one waiter a key. With the first
 * unfinished one, two deliveries could wait on the same key; its signal,
 * kept while only one of them waited, woke that one and was gone, and the
 * other waited out its 30 s deadline (Teams' p99 in bench/notifications.py,
 * 30 s in either phase).
 */
#define BEFORE_WHERE                                                                                                               \
    " WHERE tenantId = ? AND subjectId = ? AND integrationId = ? AND (channel = ? OR (channel IS NULL AND ? = '')) "               \
    "AND status IN ('PENDING', 'RETRYING') AND (createdAt < ? OR (createdAt = ? AND id < ?)) ORDER BY createdAt DESC, id DESC "    \
    "LIMIT 1"
/* SQLite's planner, without statistics, walks the tenant's deliveries by time (the page index): named here (migration 0057). */
static const char *const before_sql[STORE_DIALECTS] = {
    [STORE_SQLITE] = "SELECT id FROM notification_deliveries INDEXED BY idx_notification_deliveries_before" BEFORE_WHERE,
    [STORE_POSTGRES] = "SELECT id FROM notification_deliveries" BEFORE_WHERE,
    [STORE_MYSQL] = "SELECT id FROM notification_deliveries" BEFORE_WHERE,
};

static enum err_code delivery_before(struct store_conn *c, const char *tenant, const struct delivery *d, char out[UUID_SIZE],
                                     struct err *err)
{
    struct store_stmt *st;
    int rc;

    out[0] = '\0';
    if (store_select(c, store_pick(c, before_sql),
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(d->subject), STORE_TEXT(d->integration), STORE_TEXT(d->channel),
                                STORE_TEXT(d->channel), STORE_TIME(d->created), STORE_TIME(d->created), STORE_TEXT(d->id)),
                     &st, err))
        return err->code;
    if ((rc = store_next(st, err)) == 1)
        col(st, 0, out, UUID_SIZE);
    store_finish(st);
    return rc < 0 ? err->code : ERR_OK;
}

/* An outcome, recorded in one transaction with the thread a root starts and the signal to the next delivery. */
struct outcome {
    const char *tenant;
    const struct delivery *d;
    const char *status;    /* DELIVERED, FAILED, RETRYING, SKIPPED */
    const char *error;     /* or NULL */
    const char *message;   /* the provider's id of what was posted, or NULL */
    const char *root_chan; /* a root was posted in this channel (the provider's id), or NULL */
    bool attempted;        /* counts as an attempt */
};

static enum err_code outcome_body(struct store_conn *c, void *ctx, struct err *err)
{
    const struct outcome *o = ctx;
    char now[TIMESTAMP_SIZE], id[UUID_SIZE], key[JOB_EVENT_KEY_SIZE];

    clock_now(now);
    if (store_run(c,
                  "UPDATE notification_deliveries SET status = ?, attempts = attempts + ?, lastError = ?, "
                  "messageRef = COALESCE(?, messageRef), updatedAt = ? WHERE tenantId = ? AND id = ?",
                  STORE_ARGS(STORE_TEXT(o->status), STORE_INT(o->attempted ? 1 : 0), STORE_TEXT(o->error), STORE_TEXT(o->message),
                             STORE_TIME(now), STORE_TEXT(o->tenant), STORE_TEXT(o->d->id)),
                  NULL, err))
        return err->code;
    if (o->root_chan) {
        rand_uuid(id);
        if (store_run(c,
                      "INSERT INTO notification_threads (id, tenantId, integrationId, channel, subjectId, channelRef, messageRef, "
                      "createdAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                      STORE_ARGS(STORE_TEXT(id), STORE_TEXT(o->tenant), STORE_TEXT(o->d->integration), STORE_TEXT(o->d->channel),
                                 STORE_TEXT(o->d->subject), STORE_TEXT(o->root_chan), STORE_TEXT(o->message), STORE_TIME(now)),
                      NULL, err))
            return err->code;
    }
    if (strcmp(o->status, "RETRYING") == 0)
        return ERR_OK;
    snprintf(key, sizeof key, "notify-delivered:%s", o->d->id);
    return jobs_signal_in(c, key, NULL, err); /* the next delivery of the thread waits for it */
}

static enum err_code outcome_record(const struct notify_env *env, const struct outcome *o, struct err *err)
{
    struct store_conn *c = NULL;
    if (store_conn_get(env->store, &c, err) == ERR_OK)
        store_tx(c, outcome_body, (void *)o, err);
    store_conn_put(c);
    return err->code;
}

/* ---- the messages ---- */

/* Room for every part a message quotes whole: a branch and a tag (255 each), a reason of 500 characters (2,000 bytes) */
#define NOTIFY_TEXT_MAX 4096   /* and an environment's (400) and a requester's name (800) */
#define NOTIFY_TITLE_CHARS 150 /* Slack's header takes no more */

static const char *text_of(const json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : "";
}

/* "\nApprover roles: editor, owner" of roles (a JSON array of role names), or "" when there are none. */
static void roles_line(const json_t *roles, char *out, size_t n)
{
    const json_t *role;
    size_t i;

    out[0] = '\0';
    json_array_foreach(roles, i, role)
    {
        size_t used = strlen(out);
        snprintf(out + used, n - used, "%s%s", i ? ", " : "\nApprover roles: ", json_string_value(role));
    }
}

/*
 * "Deploy ship on web-1 to production: RUNNING" and its environment,
 * requester and reason, by their names (an event written before they
 * were in the payload: by their ids); one awaiting approval says which
 * roles may approve it. The deployment's page (its id) is the link, in
 * link (or "" when the payload has none).
 */
static void deployment_summary(const json_t *payload, const json_t *dep, char *title, size_t tn, char *lines, size_t ln,
                               const char **link)
{
    const char *summary = text_of(dep, "summary"), *env = text_of(dep, "environmentName"), *who = text_of(dep, "requestedByName");
    char approvers[64];

    roles_line(json_object_get(payload, "approverRoles"), approvers, sizeof approvers);
    if (summary[0]) { /* names of any length: the start of the title, cut between two characters */
        char full[NOTIFY_TEXT_MAX];
        snprintf(full, sizeof full, "Deploy %s%s%s: %s", summary, env[0] ? " to " : "", env, text_of(dep, "status"));
        snprintf(title, tn, "%.*s", (int)utf8_prefix(full, utf8_offset(full, NOTIFY_TITLE_CHARS), tn - 1), full);
    } else {
        snprintf(title, tn, "Deployment %s: %s", text_of(dep, "id"), text_of(dep, "status"));
    }
    env = env[0] ? env : text_of(dep, "environmentId");
    who = who[0] ? who : text_of(dep, "requestedByAccountId");
    snprintf(lines, ln, "Environment: %s\nRequested by: %s%s%s%s", env[0] ? env : "-", who[0] ? who : "-",
             text_of(dep, "statusReason")[0] ? "\nReason: " : "", text_of(dep, "statusReason"), approvers);
    *link = text_of(dep, "url");
}

/*
 * "Release 1.2.0: BUILDING" and the lines under it, for the root (Slack) or
 * the card (Teams), and the subject's page in the web UI (link; "" for
 * none).
 */
static void summary(const struct delivery *d, char *title, size_t tn, char *lines, size_t ln, const char **link)
{
    const json_t *rel = json_object_get(d->payload, "release"), *dep = json_object_get(d->payload, "deployment");
    char roles[64];

    *link = "";
    if (dep) {
        deployment_summary(d->payload, dep, title, tn, lines, ln, link);
        return;
    }
    if (!rel) { /* an event about no release (a webhook endpoint disabled): its message says it */
        snprintf(title, tn, "%s", d->event);
        snprintf(lines, ln, "%s", text_of(d->payload, "message"));
        return;
    }
    snprintf(title, tn, "Release %s: %s", text_of(rel, "version"), text_of(rel, "status"));
    roles_line(json_object_get(d->payload, "approvalRoles"), roles, sizeof roles); /* a release waiting for approvals */
    snprintf(lines, ln, "Branch: %s\nCandidate: %s%s%s%s", text_of(rel, "releaseBranch")[0] ? text_of(rel, "releaseBranch") : "-",
             text_of(rel, "candidateTag")[0] ? text_of(rel, "candidateTag") : "-",
             text_of(rel, "statusReason")[0] ? "\nReason: " : "", text_of(rel, "statusReason"), roles);
}

/* text appended to b as Slack's mrkdwn shows it literally: &, < and > escaped (a name "<!channel>" pings no one). */
static void mrkdwn_append(struct buf *b, const char *text)
{
    for (const char *p = text; *p; p++)
        if (*p == '&' || *p == '<' || *p == '>')
            buf_appends(b, *p == '&' ? "&amp;" : *p == '<' ? "&lt;" : "&gt;");
        else
            buf_append(b, p, 1);
}

#define NOTIFY_APPROVERS_SHOWN 10 /* then "and N more" */

/*
 * "\nApprovers: " and who is still to approve an approval request
 * (d->approvers; nothing for any other event): on Slack (mention) a
 * mention (<@U...>) of each one the provider knows, else the name (as
 * mrkdwn); elsewhere the names.
 */
static void approvers_append(const struct delivery *d, bool mention, struct buf *b)
{
    size_t i, n = json_array_size(d->approvers);
    const json_t *a;

    if (n)
        buf_appends(b, "\nApprovers: ");
    json_array_foreach(d->approvers, i, a)
    {
        const char *ref = json_string_value(json_object_get(a, "userRef"));
        if (i == NOTIFY_APPROVERS_SHOWN) {
            buf_printf(b, " and %zu more", n - i);
            break;
        }
        buf_appends(b, i ? ", " : "");
        if (mention && ref)
            buf_printf(b, "<@%s>", ref);
        else if (mention)
            mrkdwn_append(b, text_of(a, "name"));
        else
            buf_appends(b, text_of(a, "name"));
    }
}

/* The approvers (by name) at the end of lines (n bytes): a name that does not fit is left out whole. */
static void approvers_to_lines(const struct delivery *d, char *lines, size_t n)
{
    struct buf b;
    size_t used = strlen(lines);

    buf_init(&b, n - used - 1);
    approvers_append(d, false, &b);
    if (b.data)
        memcpy(lines + used, b.data, b.len + 1);
    buf_free(&b);
}

/*
 * Block Kit: a header and a section (the root), or one section (a reply),
 * mrkdwn escaped, with the approvers of an approval request mentioned; the
 * message's text (what Slack's notification shows) into text. Caller owns.
 */
static json_t *slack_blocks(const struct delivery *d, bool root, char *text, size_t tn)
{
    char title[320], lines[NOTIFY_TEXT_MAX];
    const char *message = text_of(d->payload, "message"), *link;
    struct buf section, fallback;
    json_t *blocks;

    summary(d, title, sizeof title, lines, sizeof lines, &link);
    buf_init(&section, 6 * NOTIFY_TEXT_MAX); /* escaped: 5 bytes a character at most, and the approvers */
    buf_init(&fallback, tn - 1);
    if (root) {
        mrkdwn_append(&section, lines);
        mrkdwn_append(&fallback, title);
    } else {
        buf_printf(&section, "*%s*%s", d->event, message[0] ? ": " : "");
        mrkdwn_append(&section, message);
        buf_printf(&fallback, "%s%s", d->event, message[0] ? ": " : "");
        mrkdwn_append(&fallback, message);
    }
    approvers_append(d, true, &section);
    approvers_append(d, true, &fallback);
    if (root && link[0]) /* mrkdwn's link: the page, its id only in the address */
        buf_printf(&section, "\n<%s|Open in slipway>", link);
    snprintf(text, tn, "%s", fallback.data ? fallback.data : "");
    if (root)
        blocks = json_pack("[{s:s, s:{s:s, s:s}}, {s:s, s:{s:s, s:s}}, {s:s, s:[{s:s, s:s}]}]", "type", "header", "text", "type",
                           "plain_text", "text", title, "type", "section", "text", "type", "mrkdwn", "text",
                           section.data ? section.data : "", "type", "context", "elements", "type", "mrkdwn", "text", "slipway");
    else
        blocks = json_pack("[{s:s, s:{s:s, s:s}}]", "type", "section", "text", "type", "mrkdwn", "text",
                           section.data ? section.data : "");
    buf_free(&section);
    buf_free(&fallback);
    return blocks;
}

/* An Adaptive Card of the event. Caller owns. */
static json_t *teams_card(const struct delivery *d)
{
    char title[320], lines[NOTIFY_TEXT_MAX];
    const char *message = text_of(d->payload, "message"), *link;
    json_t *card;

    summary(d, title, sizeof title, lines, sizeof lines, &link);
    if (message[0]) /* the message, then who is still to approve */
        snprintf(lines, sizeof lines, "%s", message);
    approvers_to_lines(d, lines, sizeof lines);
    card = json_pack("{s:s, s:s, s:s, s:[{s:s, s:s, s:s, s:s, s:b}, {s:s, s:s, s:b}, {s:s, s:s, s:b}]}", "type", "AdaptiveCard",
                     "$schema", "http://adaptivecards.io/schemas/adaptive-card.json", "version", "1.4", "body", "type", "TextBlock",
                     "text", title, "weight", "Bolder", "size", "Medium", "wrap", 1, "type", "TextBlock", "text", d->event, "wrap",
                     1, "type", "TextBlock", "text", lines, "wrap", 1);
    if (link[0])
        json_object_set_new(card, "actions",
                            json_pack("[{s:s, s:s, s:s}]", "type", "Action.OpenUrl", "title", "Open in slipway", "url", link));
    return card;
}

void notify_html_append(struct buf *b, const char *text)
{
    for (const char *p = text; *p; p++)
        if (*p == '&' || *p == '<' || *p == '>' || *p == '"')
            buf_appends(b, *p == '&' ? "&amp;" : *p == '<' ? "&lt;" : *p == '>' ? "&gt;" : "&quot;");
        else if (*p == '\n')
            buf_appends(b, "<br>\n");
        else
            buf_append(b, p, 1);
}

/*
 * One message of the event for a channel without threads: {"subject",
 * "text", "html" (an e-mail's two parts), "card" (Teams' Adaptive Card)}.
 * Caller owns.
 */
static json_t *single_message(const struct delivery *d)
{
    char title[320], subject[400], lines[NOTIFY_TEXT_MAX];
    const char *message = text_of(d->payload, "message"), *link;
    struct buf text, html;
    json_t *out;

    summary(d, title, sizeof title, lines, sizeof lines, &link);
    approvers_to_lines(d, lines, sizeof lines);
    buf_init(&text, 4 * NOTIFY_TEXT_MAX);
    buf_init(&html, 8 * NOTIFY_TEXT_MAX);
    buf_printf(&text, "%s\n\n%s%s%s\n\n%s%s%s\n\n-- \nslipway\n", title, d->event, message[0] ? ": " : "", message, lines,
               link[0] ? "\nOpen in slipway: " : "", link);
    buf_appends(&html, "<!DOCTYPE html>\n<html><body>\n<h2>");
    notify_html_append(&html, title);
    buf_appends(&html, "</h2>\n<p><strong>");
    notify_html_append(&html, d->event);
    buf_appends(&html, "</strong>");
    if (message[0]) {
        buf_appends(&html, ": ");
        notify_html_append(&html, message);
    }
    buf_appends(&html, "</p>\n<p>");
    notify_html_append(&html, lines);
    if (link[0]) {
        buf_appends(&html, "</p>\n<p><a href=\"");
        notify_html_append(&html, link);
        buf_appends(&html, "\">Open in slipway</a>");
    }
    buf_appends(&html, "</p>\n<p style=\"color:#666\">slipway</p>\n</body></html>\n");
    snprintf(subject, sizeof subject, "%s (%s)", title, d->event);
    out = json_pack("{s:s, s:s, s:s, s:o}", "subject", subject, "text", text.data ? text.data : "", "html",
                    html.data ? html.data : "", "card", teams_card(d));
    buf_free(&text);
    buf_free(&html);
    return out;
}

/*
 * True when the integration's notifyOnEvents lets event through: absent or
 * empty, every event; else the events it names, by dotted name or alias.
 * A list of aliases only (saved before it took dotted names) does not
 * narrow the events that have no alias: their rules alone decide.
 */
static bool wanted(const json_t *config, const char *event)
{
    const json_t *list = json_object_get(config, "notifyOnEvents"), *v;
    bool names = false;
    size_t i;

    if (json_array_size(list) == 0)
        return true;
    json_array_foreach(list, i, v)
    {
        const char *canonical = events_canonical(json_string_value(v));
        if (canonical && strcmp(canonical, event) == 0)
            return true;
        names |= canonical && strcmp(canonical, json_string_value(v)) == 0;
    }
    return !names && !events_alias_of(event);
}

/* ---- the job ---- */

/* Whether list (a JSON array of strings, or NULL) holds s. */
static bool listed(const json_t *list, const char *s)
{
    const json_t *v;
    size_t i;

    json_array_foreach(list, i, v) if (strcmp(json_string_value(v), s) == 0) return true;
    return false;
}

/*
 * The address of the next approver of d to look up with p (its chat_user
 * op) before the message goes, or NULL: none (each is kept in
 * notification_mentions, fresh, or was looked up by this delivery:
 * j->data "looked"), or p looks no one up, or a lookup of this delivery was
 * refused or not answered (j->data "mentionsOff": the rest are named).
 */
static const char *mention_next(const struct job *j, const struct delivery *d, const struct provider *p)
{
    const json_t *a, *looked = json_object_get(j->data, "looked");
    size_t i;

    if (!p->ops->chat_user || json_is_true(json_object_get(j->data, "mentionsOff")))
        return NULL;
    json_array_foreach(d->approvers, i, a)
    {
        if (!json_object_get(a, "userRef") && !listed(looked, text_of(a, "email")))
            return text_of(a, "email");
    }
    return NULL;
}

struct mention_tx {
    const char *tenant, *integration, *email, *user;
};

static enum err_code mention_body(struct store_conn *c, void *ctx, struct err *err)
{
    const struct mention_tx *t = ctx;
    return notify_mention_keep(c, t->tenant, t->integration, t->email, t->user, err);
}

/*
 * A lookup's answer: kept per integration and address (the user, or no
 * one: notify_approvers_list says for how long); a refusal (Slack's
 * missing_scope: the app may not read addresses) or no answer names the
 * approvers instead, and never fails the delivery. Then the step it was
 * started from again (the send; the root's update, should an approver have
 * joined in between: never the reply again).
 */
static void mention_found(const struct notify_env *env, struct job *j, const struct delivery *d, struct provider_call *call)
{
    const char *email = json_string_value(json_object_get(call->input, "email"));
    struct store_conn *c = NULL;
    struct err err;

    err_clear(&err);
    if (!json_is_array(json_object_get(j->data, "looked")))
        json_object_set_new(j->data, "looked", json_array());
    json_array_append_new(json_object_get(j->data, "looked"), json_string(email ? email : ""));
    if (call->verdict != VERDICT_VALID) {
        log_warn("notification %s: %s could not look an approver up (%s): approvers are named, not mentioned", d->id,
                 call->prov->display, call->message);
        json_object_set_new(j->data, "mentionsOff", json_true());
    } else if (store_conn_get(env->store, &c, &err) == ERR_OK) {
        struct mention_tx t = {j->tenant, d->integration, email, json_string_value(json_object_get(call->output, "userId"))};
        store_tx(c, mention_body, &t, &err);
    }
    store_conn_put(c);
    if (err.code && err.code != ERR_CONFLICT) /* a conflict: another delivery kept the same answer at the same time */
        job_fail(j, &err);
    else
        job_next(j, j->step);
}

/* Starts the chat call of j's step (j parks), or says why it cannot (*skip for an event the integration does not want). */
static enum err_code start_call(const struct notify_env *env, struct job *j, const struct delivery *d, bool *skip, struct err *err)
{
    const struct provider *p;
    struct store_conn *db = NULL;
    json_t *config = NULL, *scm = NULL, *input, *blocks;
    bool root = !d->thread_ts[0], update = j->step == STEP_UPDATE;
    char text[NOTIFY_TEXT_MAX];
    const char *who;

    if (store_conn_get(env->store, &db, err) == ERR_OK)
        verify_load(db, env->keys, category_get(CAT_COMMUNICATION), j->tenant, d->integration, NULL, &config, &scm, err);
    store_conn_put(db);
    if (err->code == ERR_NOT_FOUND)
        return err_set(err, ERR_CONFLICT, "the communication integration was deleted");
    if (err->code)
        return err->code;
    json_decref(scm);
    p = provider_by_type(json_string_value(json_object_get(config, "type")));
    if (!wanted(config, d->event)) {
        *skip = true;
        err_set(err, ERR_CONFLICT, "the integration's notifyOnEvents leaves %s out", d->event);
    } else if (!p || !p->ops->chat_post) {
        err_set(err, ERR_CONFLICT, "%s cannot post messages yet", p ? p->display : "this integration");
    }
    if (err->code) {
        secret_wipe_json(config);
        json_decref(config);
        return err->code;
    }
    if ((who = mention_next(j, d, p))) { /* an approver to look up first: the step runs again with the answer */
        provider_call_in_job(
            provider_call_new(env->loop, p, p->ops->chat_user, config, NULL, json_pack("{s:s}", "email", who), NULL, NULL), j);
        return ERR_OK;
    }
    if (!p->ops->chat_update) { /* no thread, no update: one message an event (a Teams card, an e-mail) */
        input = single_message(d);
    } else {
        blocks = slack_blocks(d, root || update, text, sizeof text);
        input = json_pack("{s:s, s:s, s:o}", "channel", update ? d->thread_channel : d->channel, "text", text, "blocks", blocks);
        if (update)
            json_object_set_new(input, "messageId", json_string(d->thread_ts));
        else if (!root)
            json_object_set_new(input, "threadId", json_string(d->thread_ts));
    }
    provider_call_in_job(
        provider_call_new(env->loop, p, update ? p->ops->chat_update : p->ops->chat_post, config, NULL, input, NULL, NULL), j);
    return ERR_OK;
}

/* The call's outcome: recorded, then the update of the root, a wait, a retry, or the end. */
static void finish_call(const struct notify_env *env, struct job *j, const struct delivery *d, struct provider_call *call)
{
    const char *ts = json_string_value(json_object_get(call->output, "messageId"));
    const char *chan = json_string_value(json_object_get(call->output, "channel"));
    json_int_t wait = json_integer_value(json_object_get(call->output, "retryAfter"));
    bool root = !d->thread_ts[0], threads = call->prov->ops->chat_update != NULL;
    struct outcome o = {.tenant = j->tenant, .d = d, .attempted = true};
    char key[JOB_EVENT_KEY_SIZE];
    struct err err;

    err_clear(&err);
    if (call->verdict == VERDICT_VALID && threads && !ts) {
        o.status = "FAILED";
        o.error = "the provider answered without the message's id";
    } else if (call->verdict == VERDICT_VALID) {
        if (j->step == STEP_SEND && threads && !root) { /* the reply is in: now the root */
            json_object_set_new(j->data, "reply", json_string(ts ? ts : ""));
            job_next(j, STEP_UPDATE);
            return;
        }
        o.status = "DELIVERED";
        o.message = j->step == STEP_UPDATE ? json_string_value(json_object_get(j->data, "reply")) : ts;
        o.root_chan = j->step == STEP_SEND && threads && root ? (chan ? chan : d->channel) : NULL;
    } else if (call->verdict == VERDICT_NONE && d->attempts + 1 < NOTIFY_MAX_ATTEMPTS) {
        o.status = "RETRYING";
        o.error = call->message;
    } else {
        o.status = "FAILED";
        o.error = call->message;
    }
    usage_count(j->tenant, NULL, USAGE_NOTIFICATIONS_SENT, strcmp(o.status, "DELIVERED") == 0); /* the provider took it */
    if (outcome_record(env, &o, &err)) {
        job_fail(j, &err);
    } else if (strcmp(o.status, "RETRYING") != 0) {
        job_done(j);
    } else if (wait > 0) { /* Retry-After: a wait that nothing but its deadline ends */
        snprintf(key, sizeof key, "notify-retry:%s", d->id);
        job_wait(j, j->step, key, clock_now_ms() + (int64_t)wait * 1000);
    } else {
        err_set(&err, ERR_UNAVAILABLE, "%s", call->message);
        job_fail(j, &err); /* again after the engine's backoff */
    }
}

void notify_delivery_step(void *ctx, struct job *j)
{
    const struct notify_env *env = ctx;
    const char *id = json_string_value(json_object_get(j->payload, "deliveryId"));
    struct provider_call *call = provider_call_of(j);
    struct store_conn *db = NULL;
    struct delivery d;
    struct err err;
    char before[UUID_SIZE] = "", key[JOB_EVENT_KEY_SIZE];
    bool skip = false;

    err_clear(&err);
    memset(&d, 0, sizeof d);
    if (!id || !j->tenant[0]) {
        err_set(&err, ERR_INTERNAL, "not a delivery: the payload names none");
        job_fail(j, &err);
        return;
    }
    if (store_conn_get(env->store, &db, &err) == ERR_OK && delivery_load(db, j->tenant, id, &d, &err) == ERR_OK && d.found &&
        !call && j->step == STEP_SEND)
        delivery_before(db, j->tenant, &d, before, &err);
    if (!err.code && d.found) /* an approval request: who is still to approve (any other event: nobody) */
        d.approvers = notify_approvers_list(db, j->tenant, d.event, d.subject, d.integration, &err);
    store_conn_put(db);
    if (err.code) {
        job_fail(j, &err);
    } else if (!d.found || (strcmp(d.status, "PENDING") != 0 && strcmp(d.status, "RETRYING") != 0)) {
        job_done(j); /* gone, or finished by an earlier run */
    } else if (call && call->op == call->prov->ops->chat_user) {
        mention_found(env, j, &d, call);
    } else if (call) {
        finish_call(env, j, &d, call);
    } else if (before[0]) { /* one thread, in order: after the one before (the deadline re-checks) */
        snprintf(key, sizeof key, "notify-delivered:%s", before);
        job_wait(j, STEP_SEND, key, clock_now_ms() + 30000);
    } else if (start_call(env, j, &d, &skip, &err)) { /* else parked: the call runs the step again */
        char why[sizeof err.message];
        struct outcome o = {.tenant = j->tenant, .d = &d, .status = skip ? "SKIPPED" : "FAILED", .error = why};
        snprintf(why, sizeof why, "%s", err.message);
        err_clear(&err);
        if (outcome_record(env, &o, &err))
            job_fail(j, &err);
        else
            job_done(j);
    }
    json_decref(d.payload);
    json_decref(d.approvers);
}
