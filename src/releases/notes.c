/*
 * notes.c: a release's notes (docs/releases.md, "Notes"): the commits
 * between the previous finished release's final tag (or the release's base
 * commit when there is none) and the candidate, through the SCM's compare
 * API, with the ticket keys (ABC-123) found in them, as Markdown on the
 * release. A job ("release-notes") a candidate; notes a person edited are
 * kept.
 */
#include <ctype.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/xmalloc.h"
#include "jobs/jobs.h"
#include "releases/releases.h"
#include "tenancy/tenants.h"

#define NOTES_MAX 60000 /* bytes of Markdown kept: the API's limit on notes too */

/* The next ticket key (PROJECT-123: an upper-case letter, upper-case letters or digits, a dash, digits) at or after *p. */
static bool next_key(const char **p, char *out, size_t n)
{
    for (const char *s = *p; *s; s++) {
        const char *q = s;
        if (!isupper((unsigned char)*q) || (s > *p && isalnum((unsigned char)s[-1])))
            continue;
        while (isupper((unsigned char)*q) || isdigit((unsigned char)*q))
            q++;
        if (*q != '-' || !isdigit((unsigned char)q[1]))
            continue;
        q++;
        while (isdigit((unsigned char)*q))
            q++;
        if (isalnum((unsigned char)*q) || (size_t)(q - s) >= n)
            continue;
        memcpy(out, s, (size_t)(q - s));
        out[q - s] = '\0';
        *p = q;
        return true;
    }
    return false;
}

char *release_notes_markdown(const char *version, const char *since, const json_t *commits)
{
    struct buf b;
    json_t *keys = json_array(), *v;
    size_t i;
    char key[64];

    buf_init(&b, NOTES_MAX);
    buf_printf(&b, "## %s\n\nChanges since %s:\n\n", version, since);
    json_array_foreach(commits, i, v)
    {
        const char *sha = json_string_value(json_object_get(v, "sha")), *msg = json_string_value(json_object_get(v, "message"));
        size_t first = msg ? strcspn(msg, "\r\n") : 0;
        if (!sha)
            continue;
        buf_printf(&b, "- %.7s %.*s\n", sha, (int)(first > 200 ? 200 : first), msg ? msg : "");
        for (const char *p = msg ? msg : ""; next_key(&p, key, sizeof key);) {
            bool seen = false;
            for (size_t k = 0; k < json_array_size(keys); k++)
                seen = seen || strcmp(json_string_value(json_array_get(keys, k)), key) == 0;
            if (!seen)
                json_array_append_new(keys, json_string(key));
        }
    }
    if (json_array_size(commits) == 0)
        buf_appends(&b, "- no commits\n");
    if (json_array_size(keys) > 0) {
        buf_appends(&b, "\nTickets:");
        json_array_foreach(keys, i, v) buf_printf(&b, "%s %s", i ? "," : "", json_string_value(v));
        buf_appends(&b, "\n");
    }
    json_decref(keys);
    return b.data ? b.data : xstrdup("");
}

/* What the notes job reads of its release. */
struct notes_of {
    bool found, edited;
    char scm[UUID_SIZE], version[128], head[65], base[65], since[256];
    int64_t candidate;
};

static enum err_code notes_load(struct store_conn *c, const char *tenant, const char *id, struct notes_of *n, struct err *err)
{
    struct store_stmt *st;
    char edited[TIMESTAMP_SIZE + 8] = "";
    int rc;

    memset(n, 0, sizeof *n);
    if (store_select(c,
                     "SELECT scmIntegrationId, version, candidateCommit, baseCommit, notesEditedAt, candidateNumber FROM releases "
                     "WHERE tenantId = ? AND id = ?",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(id)), &st, err))
        return err->code;
    if ((rc = store_next(st, err)) == 1) {
        n->found = true;
        release_cols(st, 0, n->scm, sizeof n->scm, n->version, sizeof n->version, n->head, sizeof n->head, n->base, sizeof n->base,
                     edited, sizeof edited, NULL);
        n->candidate = store_col_int(st, 5);
        n->edited = edited[0] != '\0';
    }
    store_finish(st);
    if (rc <= 0)
        return rc < 0 ? err->code : ERR_OK;
    return release_last_final_tag(c, tenant, n->since, sizeof n->since, err);
}

struct notes_tx {
    const struct job *job;
    const char *release, *markdown, *outcome, *message;
    int64_t candidate;
};

static enum err_code notes_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct notes_tx *t = ctx;
    char now[TIMESTAMP_SIZE];

    clock_now(now);
    if (release_event_add(
            c, t->job->tenant, t->release,
            &(struct release_event_row){.kind = "CALL", .name = "compare", .outcome = t->outcome, .message = t->message}, err) ||
        !t->markdown)
        return err->code;
    /* Generated notes replace generated ones of this candidate only: a person's edit, or a newer candidate, wins. */
    return store_run(c,
                     "UPDATE releases SET notes = ?, updatedAt = ? WHERE tenantId = ? AND id = ? AND notesEditedAt IS NULL "
                     "AND candidateNumber = ?",
                     STORE_ARGS(STORE_TEXT(t->markdown), STORE_TIME(now), STORE_TEXT(t->job->tenant), STORE_TEXT(t->release),
                                STORE_INT(t->candidate)),
                     NULL, err);
}

static enum err_code notes_write(const struct release_env *env, struct notes_tx *t, struct err *err)
{
    struct store_conn *c = NULL;
    if (store_conn_get(env->store, &c, err) == ERR_OK)
        tenant_tx(c, t->job->tenant, notes_body, t, err);
    store_conn_put(c);
    return err->code;
}

void release_notes_step(void *ctx, struct job *j)
{
    const struct release_env *env = ctx;
    const char *release = json_string_value(json_object_get(j->payload, "releaseId"));
    int64_t candidate = json_integer_value(json_object_get(j->payload, "candidate"));
    struct provider_call *call = provider_call_of(j);
    struct notes_tx t = {.job = j, .release = release, .candidate = candidate, .outcome = "OK"};
    struct store_conn *db = NULL;
    struct notes_of n;
    struct err err;
    char *markdown = NULL;

    err_clear(&err);
    if (!release || !j->tenant[0]) {
        err_set(&err, ERR_INTERNAL, "not release notes: the payload names no release");
        job_fail(j, &err);
        return;
    }
    if (store_conn_get(env->store, &db, &err) == ERR_OK)
        notes_load(db, j->tenant, release, &n, &err);
    store_conn_put(db);
    if (err.code) {
        job_fail(j, &err);
        return;
    }
    if (!n.found || n.edited || n.candidate != candidate || !n.head[0]) {
        job_done(j); /* a person wrote them, or a newer candidate's job writes them */
        return;
    }
    if (!call) {
        if (release_scm_call(env, j, n.scm, RELEASE_SCM_COMPARE,
                             json_pack("{s:s, s:s}", "base", n.since[0] ? n.since : n.base, "head", n.head), NULL, &err)) {
            t.outcome = "FAILED", t.message = err.message; /* no compare API (or no connection): no notes, said once */
            err_clear(&err);
            if (notes_write(env, &t, &err))
                job_fail(j, &err);
            else
                job_done(j);
        }
        return;
    }
    t.message = call->message;
    if (call->verdict == VERDICT_NONE)
        t.outcome = "RETRY";
    else if (call->verdict != VERDICT_VALID)
        t.outcome = "FAILED";
    else
        t.markdown = markdown =
            release_notes_markdown(n.version, n.since[0] ? n.since : n.base, json_object_get(call->output, "commits"));
    notes_write(env, &t, &err);
    free(markdown);
    if (!err.code && call->verdict == VERDICT_NONE)
        err_set(&err, ERR_UNAVAILABLE, "compare: %s", call->message);
    if (err.code)
        job_fail(j, &err);
    else
        job_done(j);
}
