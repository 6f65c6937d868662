/* tickets.c: a release's own ticket, opened, commented and closed as durable jobs (tickets.h). */
#include "notify/tickets.h"

#include <ctype.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/rand.h"
#include "core/xmalloc.h"
#include "crypto/secret.h"
#include "http/page.h"
#include "integrations/catalog.h"
#include "jobs/jobs.h"
#include "notify/notify.h"
#include "providers/registry.h"
#include "tenancy/roles.h"
#include "verify/verify.h"

#define TICKETS_MAX_ATTEMPTS 10
#define CLAIM_WORD_MAX 200           /* an issue key longer than that is no key (release_ticket_links.issueKey holds 255) */
#define CLAIMS_TEXT_MAX (128 * 1024) /* a job's claimed words, one a line (notes hold at most 60,000 bytes) */
#define TICKETS_MAX_WAITS 60         /* half a minute each: a comment gives up when its ticket is not open after half an hour */

static const char *text_of(const json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : "";
}

/* ---- enqueuing ---- */

/* A ticket job of payload (borrowed), once per dedupe key, in c's transaction. */
static enum err_code job_add(struct store_conn *c, struct jobs *q, const char *tenant, json_t *payload, const char *dedupe,
                             struct err *err)
{
    char job[UUID_SIZE];

    return jobs_enqueue_in(
        c, q,
        &(struct job_new){
            .kind = TICKETS_JOB, .tenant = tenant, .payload = payload, .dedupe_key = dedupe, .max_attempts = TICKETS_MAX_ATTEMPTS},
        job, err);
}

enum err_code tickets_release_event(struct store_conn *c, struct jobs *q, const char *tenant, const char *release,
                                    const char *event, const json_t *rel, const char *message, struct err *err)
{
    const char *action = strcmp(event, "release.kickoff.started") == 0 ? "open"
                         : strcmp(event, "release.finished") == 0      ? "close"
                                                                       : "comment";
    /* the fix version is released when the release is (every store released it), or at finish when it never was */
    bool released = strcmp(event, "release.released") == 0 || strcmp(event, "release.finished") == 0;
    char summary[300], text[2400], dedupe[255], nonce[UUID_SIZE] = "", date[TIMESTAMP_SIZE];
    const struct provider *p;
    struct store_stmt *st;
    json_t *payload;
    int rc;

    snprintf(summary, sizeof summary, "Release %s", text_of(rel, "version"));
    snprintf(text, sizeof text, "%s %s: %s%s%s", summary, event, text_of(rel, "status"), message && message[0] ? ". " : "",
             message ? message : "");
    if (strcmp(action, "comment") == 0)
        rand_uuid(nonce); /* a comment an occurrence (a release paused twice says so twice) */
    if (store_select(c,
                     "SELECT id, ticketSystemType FROM tenant_ticket_integrations WHERE tenantId = ? AND autoCreateEpics = ? "
                     "AND isActive = ? ORDER BY id",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_BOOL(true), STORE_BOOL(true)), &st, err))
        return err->code;
    while ((rc = store_next(st, err)) == 1) {
        p = provider_by_type(store_col_text(st, 1));
        if (!p || (!p->ops->ticket_open && !(p->ops->tickets_link && released)))
            continue; /* a type that keeps no release ticket (Azure DevOps: only tags the work items, when released) */
        payload = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "releaseId", release, "integrationId", store_col_text(st, 0),
                            "event", event, "action", action, "version", text_of(rel, "version"), "summary", summary, "text", text);
        snprintf(dedupe, sizeof dedupe, "%s:%s:%s:%s%s%s", TICKETS_JOB, store_col_text(st, 0), release, event, nonce[0] ? ":" : "",
                 nonce);
        if ((!p->ops->ticket_open || job_add(c, q, tenant, payload, dedupe, err) == ERR_OK) && released && p->ops->tickets_link) {
            /* the issues the notes name get the release's fix version, released with it: once per release (one
             * dedupe key for release.released and release.finished, so a finish after RELEASED adds none), dated
             * the moment it happened (a retry or a run after kill -9 sends the same date) */
            clock_now(date);
            date[10] = '\0'; /* YYYY-MM-DD */
            json_object_set_new(payload, "action", json_string("fix-versions"));
            json_object_set_new(payload, "releaseDate", json_string(date));
            snprintf(dedupe, sizeof dedupe, "%s:%s:%s:fix-versions", TICKETS_JOB, store_col_text(st, 0), release);
            job_add(c, q, tenant, payload, dedupe, err);
        }
        json_decref(payload);
        if (err->code)
            break;
    }
    store_finish(st);
    return err->code;
}

enum err_code tickets_release_change(struct store_conn *c, struct jobs *q, const char *tenant, const char *release,
                                     const char *kind, const char *name, struct err *err)
{
    char dedupe[255], nonce[UUID_SIZE];
    const struct provider *p;
    struct store_stmt *st;
    json_t *payload;
    int rc;

    if (!(strcmp(kind, "CALL") == 0 && strcmp(name, "compare") == 0) &&
        !(strcmp(kind, "ACTION") == 0 && strcmp(name, "edit-notes") == 0))
        return ERR_OK; /* neither a candidate's notes made nor a person's edit of them */
    if (store_select(c,
                     "SELECT i.id, i.ticketSystemType, r.version FROM tenant_ticket_integrations i JOIN releases r "
                     "ON r.tenantId = i.tenantId AND r.id = ? WHERE i.tenantId = ? AND i.autoCreateEpics = ? AND i.isActive = ? "
                     "ORDER BY i.id",
                     STORE_ARGS(STORE_TEXT(release), STORE_TEXT(tenant), STORE_BOOL(true), STORE_BOOL(true)), &st, err))
        return err->code;
    while ((rc = store_next(st, err)) == 1) {
        if (!(p = provider_by_type(store_col_text(st, 1))) || !p->ops->tickets_link)
            continue;
        if (!q) {
            err_set(err, ERR_UNAVAILABLE, "notifications are not started yet");
            break;
        }
        rand_uuid(nonce); /* each compare: the notes may name more issues (a job that finds none new links none) */
        payload = json_pack("{s:s, s:s, s:s, s:s}", "releaseId", release, "integrationId", store_col_text(st, 0), "action", "link",
                            "version", store_col_text(st, 2));
        snprintf(dedupe, sizeof dedupe, "%s:%s:%s:link:%s", TICKETS_JOB, store_col_text(st, 0), release, nonce);
        job_add(c, q, tenant, payload, dedupe, err);
        json_decref(payload);
        if (err->code)
            break;
    }
    store_finish(st);
    return err->code;
}

/* ---- the job ---- */

struct ticket {
    char key[256], url[2049], status[17];
    bool found;
};

static enum err_code ticket_load(struct store_conn *c, const char *tenant, const char *release, const char *integration,
                                 struct ticket *t, struct err *err)
{
    struct store_stmt *st;
    int rc;

    memset(t, 0, sizeof *t);
    if (store_select(
            c, "SELECT ticketKey, url, status FROM release_tickets WHERE tenantId = ? AND releaseId = ? AND integrationId = ?",
            STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(release), STORE_TEXT(integration)), &st, err))
        return err->code;
    if ((rc = store_next(st, err)) == 1) {
        t->found = true;
        snprintf(t->key, sizeof t->key, "%s", store_col_text(st, 0));
        snprintf(t->url, sizeof t->url, "%s", store_col_text(st, 1));
        snprintf(t->status, sizeof t->status, "%s", store_col_text(st, 2));
    }
    store_finish(st);
    return rc < 0 ? err->code : ERR_OK;
}

/* What a finished call changes, in one transaction. */
struct change {
    const struct job *j;
    const char *provider, *key, *url; /* an opened ticket, or NULL */
    bool closed;
};

static enum err_code change_body(struct store_conn *c, void *ctx, struct err *err)
{
    const struct change *ch = ctx;
    const char *release = text_of(ch->j->payload, "releaseId"), *integration = text_of(ch->j->payload, "integrationId");
    char id[UUID_SIZE], now[TIMESTAMP_SIZE], key[JOB_EVENT_KEY_SIZE];
    struct ticket t;

    clock_now(now);
    if (ch->closed)
        return store_run(c,
                         "UPDATE release_tickets SET status = 'DONE', updatedAt = ? WHERE tenantId = ? AND releaseId = ? "
                         "AND integrationId = ?",
                         STORE_ARGS(STORE_TIME(now), STORE_TEXT(ch->j->tenant), STORE_TEXT(release), STORE_TEXT(integration)), NULL,
                         err);
    if (ticket_load(c, ch->j->tenant, release, integration, &t, err) || t.found)
        return err->code;
    rand_uuid(id);
    if (store_run(c,
                  "INSERT INTO release_tickets (id, tenantId, releaseId, integrationId, provider, ticketKey, url, status, "
                  "createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?, 'OPEN', ?, ?)",
                  STORE_ARGS(STORE_TEXT(id), STORE_TEXT(ch->j->tenant), STORE_TEXT(release), STORE_TEXT(integration),
                             STORE_TEXT(ch->provider), STORE_TEXT(ch->key), STORE_TEXT(ch->url), STORE_TIME(now), STORE_TIME(now)),
                  NULL, err))
        return err->code;
    snprintf(key, sizeof key, "ticket-opened:%s:%s", integration, release);
    return jobs_signal_in(c, key, NULL, err); /* the comments and the close wait for it */
}

static void finish_call(const struct notify_env *env, struct job *j, struct provider_call *call)
{
    struct change ch = {.j = j, .provider = call->prov->type};
    const char *action = text_of(j->payload, "action");
    struct store_conn *c = NULL;
    struct err err;

    err_clear(&err);
    if (call->verdict == VERDICT_NONE) {
        err_set(&err, ERR_UNAVAILABLE, "%s", call->message);
        job_fail(j, &err); /* again after the engine's backoff */
        return;
    }
    if (call->verdict != VERDICT_VALID) { /* a refusal: trying again changes nothing */
        log_warn("ticket %s of release %s in %s refused: %s", action, text_of(j->payload, "releaseId"),
                 text_of(j->payload, "integrationId"), call->message);
        j->output = json_pack("{s:s}", "error", call->message);
        job_done(j);
        return;
    }
    if (strcmp(action, "fix-versions") == 0 || strcmp(action, "link") == 0) /* which issues got it, which do not exist */
        j->output = json_incref(call->output);                              /* (their claims are the record: claims_take) */
    ch.key = json_string_value(json_object_get(call->output, "key"));
    ch.url = json_string_value(json_object_get(call->output, "url"));
    ch.closed = strcmp(action, "close") == 0;
    if ((ch.closed || (strcmp(action, "open") == 0 && ch.key && ch.url)) && store_conn_get(env->store, &c, &err) == ERR_OK)
        store_tx(c, change_body, &ch, &err);
    store_conn_put(c);
    if (err.code)
        job_fail(j, &err);
    else
        job_done(j);
}

/* The release's notes, into *out (malloc'ed; NULL when it has none). */
static enum err_code notes_load(struct store_conn *c, const char *tenant, const char *release, char **out, struct err *err)
{
    struct store_stmt *st;
    int rc;

    *out = NULL;
    if (store_select(c, "SELECT notes FROM releases WHERE tenantId = ? AND id = ?",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(release)), &st, err))
        return err->code;
    if ((rc = store_next(st, err)) == 1 && store_col_text(st, 0))
        *out = xstrdup(store_col_text(st, 0));
    store_finish(st);
    return rc < 0 ? err->code : ERR_OK;
}

/*
 * The words of text shaped like an issue key of any ticket system: a run of
 * letters, digits and underscores, then "-" or "#" and 1 to 9 digits not
 * followed by a letter or digit ("ENG-42", "PROJ_X-7", "AB#12"); each once.
 * A superset of what each provider's own rule finds (tickets_issue_keys),
 * which it applies again to these words. Caller owns.
 */
static json_t *issue_words(const char *text)
{
    json_t *words = json_array(), *v;
    char word[CLAIM_WORD_MAX];
    size_t i;

    for (const char *p = text ? strpbrk(text, "-#") : NULL; p; p = strpbrk(p + 1, "-#")) {
        const char *start = p;
        size_t digits = strspn(p + 1, "0123456789");
        bool seen = false;

        while (start > text && (isalnum((unsigned char)start[-1]) || start[-1] == '_'))
            start--;
        if (start == p || digits == 0 || digits > 9 || isalnum((unsigned char)p[1 + digits]) ||
            (size_t)(p + 1 + digits - start) >= sizeof word)
            continue;
        snprintf(word, sizeof word, "%.*s", (int)(p + 1 + digits - start), start);
        json_array_foreach(words, i, v) seen = seen || strcmp(json_string_value(v), word) == 0;
        if (!seen)
            json_array_append_new(words, json_string(word));
    }
    return words;
}

/* A link job's claims: the words its notes name that no job of the release claimed before, and then its own. */
struct claims {
    const struct job *j;
    const char *release, *integration, *notes;
    json_t *mine; /* the job's words, in the order the call takes them */
};

/* The words the job claimed (in an earlier run too), into k->mine; true when it has some. */
static bool claims_mine(struct store_conn *c, struct claims *k, struct err *err)
{
    struct store_stmt *st;

    json_array_clear(k->mine);
    if (store_select(c,
                     "SELECT issueKey FROM release_ticket_links WHERE tenantId = ? AND releaseId = ? AND integrationId = ? "
                     "AND jobId = ? ORDER BY createdAt, issueKey",
                     STORE_ARGS(STORE_TEXT(k->j->tenant), STORE_TEXT(k->release), STORE_TEXT(k->integration), STORE_TEXT(k->j->id)),
                     &st, err))
        return false;
    while (store_next(st, err) == 1)
        json_array_append_new(k->mine, json_string(store_col_text(st, 0)));
    store_finish(st);
    return !err->code && json_array_size(k->mine) > 0;
}

/*
 * Claims, in one transaction, each word of the notes that no job of the
 * release and integration claimed (nor recorded before 0041): its row, with
 * the job's id, before the call. A job that has claims (its earlier run's)
 * takes no more, so a retry's call has the same words in the same order.
 */
static enum err_code claims_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct claims *k = ctx;
    char id[UUID_SIZE], now[TIMESTAMP_SIZE];
    json_t *words;
    const json_t *v;
    size_t i;
    int64_t taken = 0;

    if (claims_mine(c, k, err) || err->code)
        return err->code;
    words = issue_words(k->notes);
    clock_now(now);
    json_array_foreach(words, i, v)
    {
        if (store_int(c,
                      "SELECT COUNT(*) FROM release_ticket_links WHERE tenantId = ? AND releaseId = ? AND integrationId = ? "
                      "AND issueKey = ?",
                      STORE_ARGS(STORE_TEXT(k->j->tenant), STORE_TEXT(k->release), STORE_TEXT(k->integration),
                                 STORE_TEXT(json_string_value(v))),
                      &taken, err))
            break;
        rand_uuid(id);
        if (taken == 0 &&
            store_run(c,
                      "INSERT INTO release_ticket_links (id, tenantId, releaseId, integrationId, issueKey, jobId, createdAt) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?)",
                      STORE_ARGS(STORE_TEXT(id), STORE_TEXT(k->j->tenant), STORE_TEXT(k->release), STORE_TEXT(k->integration),
                                 STORE_TEXT(json_string_value(v)), STORE_TEXT(k->j->id), STORE_TIME(now)),
                      NULL, err))
            break;
    }
    json_decref(words);
    if (!err->code)
        claims_mine(c, k, err);
    return err->code;
}

/*
 * body in a transaction, run again (up to 3 times in all) when another job's
 * claim made at the same moment refused it (a unique row, a lock): the run
 * again sees that claim.
 */
static enum err_code tx_retried(struct store_conn *c, store_tx_fn body, void *ctx, struct err *err)
{
    for (int tries = 0; tries < 3; tries++) {
        err_clear(err);
        if (store_tx(c, body, ctx, err) != ERR_CONFLICT)
            break;
    }
    return err->code;
}

/* words (strings), one a line: the text a call reads issue keys from, as it read the notes. Caller frees. */
static char *lines_of(const json_t *words)
{
    struct buf text;
    const json_t *v;
    size_t i;
    char *out;

    buf_init(&text, CLAIMS_TEXT_MAX);
    json_array_foreach(words, i, v)
    {
        buf_appends(&text, json_string_value(v));
        buf_appends(&text, "\n");
    }
    out = xstrdup(text.data ? text.data : "");
    buf_free(&text);
    return out;
}

/* The job's claimed words, one a line (the text its call reads the keys from), into *out (malloc'ed). */
static enum err_code claims_take(struct store_conn *c, const struct job *j, const char *notes, char **out, struct err *err)
{
    struct claims k = {.j = j, .notes = notes, .mine = json_array()};

    k.release = text_of(j->payload, "releaseId");
    k.integration = text_of(j->payload, "integrationId");
    *out = tx_retried(c, claims_body, &k, err) ? NULL : lines_of(k.mine);
    json_decref(k.mine);
    return err->code;
}

/*
 * The issues j moves through the integration's issueTransition, one a line
 * (the call's "moves"), into *out (malloc'ed). In one transaction, every
 * issue of j's release and integration whose move no job claimed becomes
 * j's (moveJobId, migration 0064), then all of j's are read, in claim order:
 * so each issue moves once, whichever jobs overlap. A fix-versions job takes
 * them all, when the version is released. A link job takes them only when
 * its release was released already (RELEASED or FINISHED, set in the
 * transaction that queued the fix-versions job): the issues its edit added,
 * which that job's pass may no longer see; before, it takes none (the
 * fix-versions job will). A retry finds its own again.
 */
struct moves {
    const struct job *j;
    bool link;
    json_t *mine; /* the job's moves, in claim order */
};

static enum err_code moves_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct moves *m = ctx;
    const char *release = text_of(m->j->payload, "releaseId"), *integration = text_of(m->j->payload, "integrationId");
    struct store_stmt *st;
    int64_t released = 1;

    json_array_clear(m->mine);
    if (m->link && store_int(c,
                             "SELECT COUNT(*) FROM releases WHERE tenantId = ? AND id = ? AND (status = 'RELEASED' OR "
                             "status = 'FINISHED')",
                             STORE_ARGS(STORE_TEXT(m->j->tenant), STORE_TEXT(release)), &released, err))
        return err->code;
    if (!released)
        return ERR_OK; /* a link job before the release: the fix-versions job will take them */
    if (store_run(c,
                  "UPDATE release_ticket_links SET moveJobId = ? WHERE tenantId = ? AND releaseId = ? AND integrationId = ? "
                  "AND moveJobId IS NULL",
                  STORE_ARGS(STORE_TEXT(m->j->id), STORE_TEXT(m->j->tenant), STORE_TEXT(release), STORE_TEXT(integration)), NULL,
                  err) ||
        store_select(c,
                     "SELECT issueKey FROM release_ticket_links WHERE tenantId = ? AND releaseId = ? AND integrationId = ? "
                     "AND moveJobId = ? ORDER BY createdAt, issueKey",
                     STORE_ARGS(STORE_TEXT(m->j->tenant), STORE_TEXT(release), STORE_TEXT(integration), STORE_TEXT(m->j->id)), &st,
                     err))
        return err->code;
    while (store_next(st, err) == 1)
        json_array_append_new(m->mine, json_string(store_col_text(st, 0)));
    store_finish(st);
    return err->code;
}

static enum err_code moves_take(struct store_conn *c, const struct job *j, char **out, struct err *err)
{
    struct moves m = {.j = j, .link = strcmp(text_of(j->payload, "action"), "link") == 0, .mine = json_array()};

    *out = tx_retried(c, moves_body, &m, err) ? NULL : lines_of(m.mine);
    json_decref(m.mine);
    return err->code;
}

/*
 * The call's input for j's action on ticket t (config: the integration's;
 * claimed: the words the job claimed; moves: the issues it moves, from
 * moves_take). Caller owns.
 */
static json_t *call_input(const struct job *j, const struct ticket *t, const json_t *config, const char *claimed, const char *moves)
{
    const char *action = text_of(j->payload, "action");
    char label[64];

    if (strcmp(action, "open") == 0) {
        snprintf(label, sizeof label, "%s%s", TICKETS_LABEL_PREFIX, text_of(j->payload, "releaseId"));
        return json_pack("{s:s, s:s, s:s, s:s}", "label", label, "summary", text_of(j->payload, "summary"), "description",
                         text_of(j->payload, "text"), "version", text_of(j->payload, "version"));
    }
    if (strcmp(action, "fix-versions") == 0 || strcmp(action, "link") == 0) { /* the provider finds the keys it knows */
        char date[TIMESTAMP_SIZE], claim[UUID_SIZE];
        clock_now(date); /* a job enqueued before its payload carried the date: today's */
        date[10] = '\0';
        rand_uuid(claim); /* this call's, apart from any earlier call of the job (a POST it may have sent) */
        return json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:s}", "claim", claim, "version", text_of(j->payload, "version"), "notes",
                         claimed ? claimed : "", "released", strcmp(action, "fix-versions") == 0, "releaseDate",
                         text_of(j->payload, "releaseDate")[0] ? text_of(j->payload, "releaseDate") : date, "issueTransition",
                         text_of(config, "issueTransition"), "moves", moves ? moves : "");
    }
    if (strcmp(action, "close") == 0)
        return json_pack("{s:s, s:s}", "key", t->key, "transition",
                         text_of(json_object_get(config, "epicTemplate"), "doneTransition"));
    return json_pack("{s:s, s:s}", "key", t->key, "text", text_of(j->payload, "text"));
}

/* Starts j's call (j parks), or ends j: nothing to do, or waiting for the ticket to be open. */
static void start(const struct notify_env *env, struct job *j)
{
    const char *action = text_of(j->payload, "action"), *release = text_of(j->payload, "releaseId");
    const char *integration = text_of(j->payload, "integrationId");
    bool fix = strcmp(action, "fix-versions") == 0 || strcmp(action, "link") == 0; /* needs no release ticket */
    struct store_conn *db = NULL;
    char *notes = NULL, *claimed = NULL, *moves = NULL;
    json_t *config = NULL, *scm = NULL;
    const struct provider *p = NULL;
    provider_step_fn op = NULL;
    char key[JOB_EVENT_KEY_SIZE];
    struct ticket t = {0};
    json_int_t waits;
    struct err err;

    err_clear(&err);
    if (store_conn_get(env->store, &db, &err) == ERR_OK &&
        verify_load(db, env->keys, category_get(CAT_TICKETS), j->tenant, integration, NULL, &config, &scm, &err) == ERR_OK &&
        ticket_load(db, j->tenant, release, integration, &t, &err) == ERR_OK && fix &&
        json_is_true(json_object_get(config, "autoCreateEpics")) && /* claims only for a call */
        notes_load(db, j->tenant, release, &notes, &err) == ERR_OK && claims_take(db, j, notes, &claimed, &err) == ERR_OK)
        moves_take(db, j, &moves, &err);
    store_conn_put(db);
    json_decref(scm);
    if (err.code == ERR_NOT_FOUND || (!err.code && !json_is_true(json_object_get(config, "autoCreateEpics")))) {
        job_done(j); /* the integration is gone, or no longer wants release tickets */
    } else if (err.code) {
        job_fail(j, &err);
    } else if (!fix && (strcmp(action, "open") == 0 ? t.found : !t.found || strcmp(t.status, "DONE") == 0)) {
        waits = json_integer_value(json_object_get(j->data, "waits"));
        if (t.found || waits >= TICKETS_MAX_WAITS) {
            job_done(j); /* done by an earlier run, or the ticket never opened (its job says why) */
        } else {
            json_object_set_new(j->data, "waits", json_integer(waits + 1));
            snprintf(key, sizeof key, "ticket-opened:%s:%s", integration, release);
            job_wait(j, 0, key, clock_now_ms() + 30000);
        }
    } else {
        p = provider_by_type(text_of(config, "type"));
        op = !p                             ? NULL
             : fix                          ? p->ops->tickets_link
             : strcmp(action, "open") == 0  ? p->ops->ticket_open
             : strcmp(action, "close") == 0 ? p->ops->ticket_close
                                            : p->ops->ticket_comment;
        if (op)
            provider_call_in_job(
                provider_call_new(env->loop, p, op, config, NULL, call_input(j, &t, config, claimed, moves), NULL, NULL), j);
        else
            job_done(j);
    }
    if (!op) {
        secret_wipe_json(config);
        json_decref(config);
    }
    free(notes);
    free(claimed);
    free(moves);
}

void tickets_step(void *ctx, struct job *j)
{
    struct provider_call *call = provider_call_of(j);
    if (call)
        finish_call(ctx, j, call);
    else
        start(ctx, j);
}

/* ---- the API ---- */

static json_t *ticket_row(struct store_stmt *st)
{
    static const char *const cols[] = {"id", "integrationId", "provider", "key", "url", "status", "createdAt", "updatedAt"};
    json_t *row = json_object();
    for (int i = 0; i < (int)ARRAY_LEN(cols); i++)
        json_object_set_new(row, cols[i], json_text_or_null(store_col_text(st, i)));
    return row;
}

static json_t *release_row(struct store_stmt *st)
{
    return json_text_or_null(store_col_text(st, 0));
}

enum err_code tickets_release_found(struct store_conn *db, const char *tenant, const char *release, struct err *err)
{
    json_t *found = page_row(db, "SELECT id FROM releases WHERE tenantId = ? AND id = ?",
                             STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(release)), release_row, err);
    json_decref(found);
    return err->code;
}

enum err_code release_tickets_list(struct request *req, struct err *err)
{
    const char *tenant = principal_of(req)->tenant_id, *release = request_param(req, "releaseId");
    struct store_conn *db;
    json_t *found;

    if (request_db(req, &db, err) || tickets_release_found(db, tenant, release, err))
        return err->code;
    if (!(found =
              page_items(db,
                         "SELECT id, integrationId, provider, ticketKey, url, status, createdAt, updatedAt FROM release_tickets "
                         "WHERE tenantId = ? AND releaseId = ? ORDER BY createdAt, id",
                         STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(release)), ticket_row, err)))
        return err->code;
    response_json(req, 200, found);
    return ERR_OK;
}
