/* deploy.c: connecting to hosts and running deployments as jobs (deploy.h). */
#include "deploy/deploy.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "crypto/secret.h"
#include "deploy/lifecycle.h"
#include "jobs/jobs.h"

/* ---- hosts ---- */

struct host_login {
    char address[256], username[256], auth[16], pinned[SSH_FINGERPRINT_SIZE];
    int port;
    char *secret; /* as stored (encrypted); malloc'd */
};

static enum err_code host_login_load(struct store_conn *c, const char *tenant, const char *id, struct host_login *h,
                                     struct err *err)
{
    struct store_stmt *st;
    int rc;

    memset(h, 0, sizeof *h);
    if (store_select(c,
                     "SELECT address, port, username, authMethod, secret, hostKeyFingerprint FROM hosts "
                     "WHERE tenantId = ? AND id = ?",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(id)), &st, err))
        return err->code;
    if ((rc = store_next(st, err)) == 1) {
        snprintf(h->address, sizeof h->address, "%s", store_col_text(st, 0));
        h->port = (int)store_col_int(st, 1);
        snprintf(h->username, sizeof h->username, "%s", store_col_text(st, 2));
        snprintf(h->auth, sizeof h->auth, "%s", store_col_text(st, 3));
        h->secret = xstrdup(store_col_text(st, 4));
        snprintf(h->pinned, sizeof h->pinned, "%s", store_col_null(st, 5) ? "" : store_col_text(st, 5));
    }
    store_finish(st);
    if (rc == 0)
        err_set(err, ERR_NOT_FOUND, "no such host");
    return err->code;
}

/* The outcome of a connection, on the host. Pinning is a compare-and-swap: a host pinned meanwhile to another key is a change. */
static enum err_code host_record(struct store_conn *c, const char *tenant, const char *id, enum ssh_failure failure,
                                 const char *fingerprint, const char *message, bool *pinned_other, struct err *err)
{
    char now[TIMESTAMP_SIZE];
    int64_t n = 0;

    clock_now(now);
    *pinned_other = false;
    if (failure == SSH_FAIL_NONE) {
        if (store_run(c,
                      "UPDATE hosts SET status = 'OK', hostKeyFingerprint = ?, seenHostKeyFingerprint = NULL, lastTestedAt = ?, "
                      "lastError = NULL, updatedAt = ? WHERE tenantId = ? AND id = ? AND (hostKeyFingerprint IS NULL OR "
                      "hostKeyFingerprint = ?)",
                      STORE_ARGS(STORE_TEXT(fingerprint), STORE_TIME(now), STORE_TIME(now), STORE_TEXT(tenant), STORE_TEXT(id),
                                 STORE_TEXT(fingerprint)),
                      &n, err) ||
            n > 0)
            return err->code;
        *pinned_other = true;
        failure = SSH_FAIL_HOST_KEY;
        message = "the host key changed while connecting";
    }
    return store_run(c,
                     "UPDATE hosts SET status = ?, seenHostKeyFingerprint = ?, lastTestedAt = ?, lastError = ?, updatedAt = ? "
                     "WHERE tenantId = ? AND id = ?",
                     STORE_ARGS(STORE_TEXT(failure == SSH_FAIL_HOST_KEY ? "HOST_KEY_CHANGED" : "FAILED"),
                                STORE_TEXT(failure == SSH_FAIL_HOST_KEY ? fingerprint : NULL), STORE_TIME(now), STORE_TEXT(message),
                                STORE_TIME(now), STORE_TEXT(tenant), STORE_TEXT(id)),
                     NULL, err);
}

enum err_code deploy_host_connect(const struct deploy_env *env, struct store_conn *c, const char *tenant, const char *id,
                                  struct ssh_conn **out, struct err *err)
{
    struct secret_place at = {tenant, "hosts", "secret", id};
    char fingerprint[SSH_FINGERPRINT_SIZE] = "";
    enum ssh_failure failure = SSH_FAIL_NETWORK;
    struct plaintext *plain = NULL;
    struct ssh_conn *conn = NULL;
    struct host_login h;
    struct err inner, rec;
    bool pinned_other = false;

    if (out)
        *out = NULL;
    err_clear(&inner);
    err_clear(&rec);
    if (host_login_load(c, tenant, id, &h, err))
        goto out;
    if (secret_decrypt(env->keys, &at, h.secret, &plain, &inner) == ERR_OK) {
        struct ssh_target t = {.address = h.address,
                               .port = h.port,
                               .username = h.username,
                               .key = strcmp(h.auth, "key") == 0,
                               .secret = plain->data,
                               .pinned = h.pinned,
                               .timeout_ms = env->timeout_ms,
                               .guard = env->guard};
        ssh_open(&t, &conn, fingerprint, &failure, &inner);
    } else {
        log_error("host %s of tenant %s: its credential cannot be read: %s", id, tenant, inner.message);
        err_set(&inner, ERR_UNAVAILABLE, "the host's credential cannot be read (was the encryption key changed?)");
    }
    plaintext_free(plain);
    if (host_record(c, tenant, id, inner.code ? failure : SSH_FAIL_NONE, fingerprint, inner.message, &pinned_other, &rec)) {
        err_set(err, rec.code, "%s", rec.message);
    } else if (pinned_other) {
        err_set(err, ERR_CONFLICT, "the host key changed while connecting");
    } else if (inner.code) {
        err_set(err, inner.code == ERR_INVALID || inner.code == ERR_CONFLICT ? ERR_CONFLICT : ERR_UNAVAILABLE, "%s", inner.message);
    }
    if (!err->code && out) {
        *out = conn;
        conn = NULL;
    }
out:
    ssh_close(conn);
    free(h.secret);
    return err->code;
}

/* ---- the deployment workflow ---- */

#define LOG_BATCH 64        /* lines a write at most */
#define LOG_FLUSH_MS 100    /* lines wait at most this long before they are written */
#define CANCEL_CHECK_MS 500 /* how often a running deployment looks whether it was cancelled */
#define POLL_MS 100

struct pending_line {
    int64_t seq;
    const char *stream;
    char *message;
    char at[TIMESTAMP_SIZE];
};

struct run {
    const struct deploy_env *env;
    struct store_conn *c;
    const char *tenant, *id;
    int64_t seq; /* the next line's */
    int64_t stored, dropped;
    struct pending_line lines[LOG_BATCH];
    int nlines;
    int64_t flushed_ms, checked_ms;
    bool cancelled;
    struct err err; /* a write that failed: the run stops */
};

/* A line's id, made from its place in the log: streams order a deployment's lines by (createdAt, id). */
static void line_id(int64_t seq, char out[UUID_SIZE])
{
    snprintf(out, UUID_SIZE, "00000000-0000-7000-8000-%012llx", (unsigned long long)seq);
}

static enum err_code flush_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct run *r = ctx;

    for (int i = 0; i < r->nlines; i++) {
        struct pending_line *l = &r->lines[i];
        char id[UUID_SIZE];
        line_id(l->seq, id);
        if (store_run(c,
                      "INSERT INTO deployment_logs (deploymentId, seq, id, tenantId, stream, message, createdAt) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?)",
                      STORE_ARGS(STORE_TEXT(r->id), STORE_INT(l->seq), STORE_TEXT(id), STORE_TEXT(r->tenant), STORE_TEXT(l->stream),
                                 STORE_TEXT(l->message), STORE_TIME(l->at)),
                      NULL, err))
            return err->code;
    }
    return ERR_OK;
}

static void flush(struct run *r)
{
    if (r->nlines > 0 && !r->err.code)
        store_tx(r->c, flush_body, r, &r->err);
    for (int i = 0; i < r->nlines; i++)
        free(r->lines[i].message);
    r->nlines = 0;
    r->flushed_ms = clock_now_ms();
}

static void add_line(struct run *r, const char *stream, const char *text, size_t len)
{
    struct pending_line *l;

    if (r->stored >= DEPLOY_LOG_MAX_LINES) {
        r->dropped++;
        return;
    }
    l = &r->lines[r->nlines++];
    l->seq = r->seq++;
    l->stream = stream;
    l->message = xmalloc(len + 1);
    memcpy(l->message, text, len);
    l->message[len] = '\0';
    clock_now(l->at);
    r->stored++;
    if (r->nlines == LOG_BATCH || clock_now_ms() - r->flushed_ms >= LOG_FLUSH_MS)
        flush(r);
}

static void system_line(struct run *r, const char *text)
{
    add_line(r, "system", text, strlen(text));
}

static void on_line(void *ctx, enum ssh_stream stream, const char *text, size_t len)
{
    add_line(ctx, stream == SSH_STDERR ? "stderr" : "stdout", text, len);
}

static bool keep_going(void *ctx)
{
    struct run *r = ctx;
    int64_t now = clock_now_ms();

    if (r->nlines > 0 && now - r->flushed_ms >= LOG_FLUSH_MS)
        flush(r);
    if (now - r->checked_ms >= CANCEL_CHECK_MS) {
        struct store_stmt *st;
        r->checked_ms = now;
        if (store_select(r->c, "SELECT status FROM deployments WHERE tenantId = ? AND id = ?",
                         STORE_ARGS(STORE_TEXT(r->tenant), STORE_TEXT(r->id)), &st, &r->err) == ERR_OK) {
            if (store_next(st, &r->err) == 1 && strcmp(store_col_text(st, 0), "CANCELLED") == 0)
                r->cancelled = true;
            store_finish(st);
        }
    }
    return !r->cancelled && !r->err.code && !atomic_load(&r->env->stopping);
}

struct finish {
    struct run *run;
    struct job *job;
    enum deploy_status from;
    enum deploy_event event;
    int exit_code; /* -1: none */
    const char *reason;
};

/* The deployment's end (a compare-and-swap from its status: a cancel that came first stays) with the job's. */
static enum err_code finish_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct finish *f = ctx;
    struct run *r = f->run;
    enum deploy_status to = deploy_transition(f->from, f->event);
    char now[TIMESTAMP_SIZE];

    clock_now(now);
    if (store_run(c,
                  "UPDATE deployments SET status = ?, statusReason = ?, exitCode = ?, droppedLines = ?, finishedAt = ?, "
                  "updatedAt = ? WHERE tenantId = ? AND id = ? AND status = ?",
                  STORE_ARGS(STORE_TEXT(deploy_status_name(to)), STORE_TEXT(f->reason),
                             f->exit_code >= 0 ? STORE_INT(f->exit_code) : STORE_NULL, STORE_INT(r->dropped), STORE_TIME(now),
                             STORE_TIME(now), STORE_TEXT(r->tenant), STORE_TEXT(r->id), STORE_TEXT(deploy_status_name(f->from))),
                  NULL, err))
        return err->code;
    return job_done_in(c, f->job, err);
}

static void finish(struct run *r, struct job *j, enum deploy_status from, enum deploy_event event, int exit_code,
                   const char *reason)
{
    struct finish f = {.run = r, .job = j, .from = from, .event = event, .exit_code = exit_code, .reason = reason};
    struct err err;

    err_clear(&err);
    if (reason)
        system_line(r, reason);
    flush(r);
    if (r->err.code || store_tx(r->c, finish_body, &f, &err)) {
        job_fail(j, r->err.code ? &r->err : &err);
        return;
    }
    log_info("deployment %s of tenant %s: %s -> %s (%s)", r->id, r->tenant, deploy_status_name(from),
             deploy_status_name(deploy_transition(from, event)), deploy_event_name(event));
    job_done(j);
}

struct deployment {
    char host[UUID_SIZE], status[16], shell[16];
    char *body; /* malloc'd */
    bool idempotent;
    int64_t next_seq;
};

static enum err_code deployment_load(struct store_conn *c, const char *tenant, const char *id, struct deployment *d,
                                     struct err *err)
{
    struct store_stmt *st;
    int rc;

    memset(d, 0, sizeof *d);
    if (store_select(c,
                     "SELECT d.hostId, d.status, s.shell, s.body, s.idempotent, "
                     "(SELECT COALESCE(MAX(l.seq), 0) FROM deployment_logs l WHERE l.tenantId = ? AND l.deploymentId = ?) "
                     "FROM deployments d JOIN deployment_scripts s ON s.id = d.scriptId AND s.tenantId = d.tenantId "
                     "WHERE d.tenantId = ? AND d.id = ?",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(id), STORE_TEXT(tenant), STORE_TEXT(id)), &st, err))
        return err->code;
    if ((rc = store_next(st, err)) == 1) {
        snprintf(d->host, sizeof d->host, "%s", store_col_text(st, 0));
        snprintf(d->status, sizeof d->status, "%s", store_col_text(st, 1));
        snprintf(d->shell, sizeof d->shell, "%s", store_col_text(st, 2));
        d->body = xstrdup(store_col_text(st, 3));
        d->idempotent = store_col_bool(st, 4);
        d->next_seq = store_col_int(st, 5) + 1;
    }
    store_finish(st);
    if (rc == 0)
        err_set(err, ERR_NOT_FOUND, "the deployment is gone");
    return err->code;
}

/* PENDING -> RUNNING once logged in; false when it is PENDING no more (cancelled meanwhile). */
static bool mark_running(struct run *r)
{
    char now[TIMESTAMP_SIZE];
    int64_t n = 0;

    clock_now(now);
    store_run(r->c, "UPDATE deployments SET status = ?, startedAt = ?, updatedAt = ? WHERE tenantId = ? AND id = ? AND status = ?",
              STORE_ARGS(STORE_TEXT(deploy_status_name(deploy_transition(DEP_PENDING, DEV_START))), STORE_TIME(now),
                         STORE_TIME(now), STORE_TEXT(r->tenant), STORE_TEXT(r->id), STORE_TEXT(deploy_status_name(DEP_PENDING))),
              &n, &r->err);
    return n == 1;
}

/* Connects, runs the script and ends the deployment (from PENDING, or RUNNING again when its script is idempotent). */
static void run_script(struct run *r, struct job *j, const struct deployment *d, enum deploy_status from)
{
    char command[32], message[600];
    struct ssh_conn *conn = NULL;
    struct err err;
    int status = -1;

    err_clear(&err);
    system_line(r, "connecting to the host");
    if (deploy_host_connect(r->env, r->c, r->tenant, d->host, &conn, &err)) {
        finish(r, j, from, DEV_FAIL, -1, err.message);
        return;
    }
    if (from == DEP_PENDING && !mark_running(r)) {
        ssh_close(conn);
        if (r->err.code)
            job_fail(j, &r->err);
        else
            job_done(j); /* cancelled before it started */
        return;
    }
    snprintf(command, sizeof command, "%s -s", d->shell);
    system_line(r, "running the script");
    struct ssh_exec x = {.command = command,
                         .input = d->body,
                         .input_len = strlen(d->body),
                         .line = on_line,
                         .keep_going = keep_going,
                         .poll_ms = POLL_MS,
                         .ctx = r};
    ssh_run(conn, &x, &status, &err);
    ssh_close(conn);
    if (r->cancelled) {
        flush(r);
        job_done(j); /* the cancel already ended the deployment */
    } else if (r->err.code) {
        job_fail(j, &r->err);
    } else if (atomic_load(&r->env->stopping)) {
        finish(r, j, DEP_RUNNING, DEV_INTERRUPTED, -1, "interrupted: slipway stopped while the script ran");
    } else if (err.code) {
        finish(r, j, DEP_RUNNING, DEV_FAIL, -1, err.message);
    } else {
        snprintf(message, sizeof message, "the script exited with status %d", status);
        finish(r, j, DEP_RUNNING, status == 0 ? DEV_EXIT_ZERO : DEV_EXIT_NONZERO, status,
               status == 0 ? NULL : (status < 0 ? "the script ended without an exit status (killed by a signal?)" : message));
    }
}

void deploy_run_step(void *ctx, struct job *j)
{
    const struct deploy_env *env = ctx;
    const char *id = json_string_value(json_object_get(j->payload, "deploymentId"));
    struct run r = {.env = env, .tenant = j->tenant, .id = id};
    struct deployment d = {0};
    struct err err;

    err_clear(&err);
    err_clear(&r.err);
    if (!id) {
        err_set(&err, ERR_INVALID, "a deploy-run job without a deploymentId");
        job_fail(j, &err);
        return;
    }
    if (store_conn_get(env->store, &r.c, &err) || deployment_load(r.c, j->tenant, id, &d, &err)) {
        if (err.code == ERR_NOT_FOUND)
            job_done(j);
        else
            job_fail(j, &err);
        goto out;
    }
    r.seq = d.next_seq;
    r.flushed_ms = r.checked_ms = clock_now_ms();
    switch (deploy_status_parse(d.status)) {
    case DEP_PENDING:
        run_script(&r, j, &d, DEP_PENDING);
        break;
    case DEP_RUNNING: /* the step ran before, and its process died while the script ran */
        if (d.idempotent) {
            system_line(&r, "slipway stopped while the script ran; the script is idempotent: running it again");
            run_script(&r, j, &d, DEP_RUNNING);
        } else {
            finish(&r, j, DEP_RUNNING, DEV_INTERRUPTED, -1,
                   "interrupted: slipway stopped while the script ran, and the script is not marked idempotent, so it is not run "
                   "again");
        }
        break;
    default:
        job_done(j); /* ended already (cancelled) */
    }
out:
    for (int i = 0; i < r.nlines; i++)
        free(r.lines[i].message);
    free(d.body);
    store_conn_put(r.c);
}
