/* deploy.c: connecting to hosts and running deployments as jobs (deploy.h). */
#include "deploy/deploy.h"

#include "core/bell.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "crypto/secret.h"
#include "deploy/cicd.h"
#include "deploy/lifecycle.h"
#include "jobs/jobs.h"
#include "outbound/docker.h"
#include "notify/approvals.h"
#include "notify/notify.h"
#include "usage/usage.h"

/* ---- hosts ---- */

struct host_login {
    char address[256], username[256], auth[16], pinned[SSH_FINGERPRINT_SIZE];
    int port;
    char *secret; /* as stored (encrypted); malloc'd */
    struct deploy_docker docker;
};

static enum err_code host_login_load(struct store_conn *c, const char *tenant, const char *id, struct host_login *h,
                                     struct err *err)
{
    struct store_stmt *st;
    int rc;

    memset(h, 0, sizeof *h);
    if (store_select(c,
                     "SELECT address, port, username, authMethod, secret, hostKeyFingerprint, type, dockerSocket, dockerImage "
                     "FROM hosts "
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
        h->docker.on = strcmp(store_col_text(st, 6), "docker") == 0;
        snprintf(h->docker.socket, sizeof h->docker.socket, "%s",
                 store_col_null(st, 7) ? DEPLOY_DOCKER_SOCKET : store_col_text(st, 7));
        snprintf(h->docker.image, sizeof h->docker.image, "%s", store_col_null(st, 8) ? "" : store_col_text(st, 8));
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

/*
 * A docker host's Engine, through the SSH session just opened: pinged, its
 * version recorded on the host; or the host FAILED with why (its SSH side
 * worked: the fingerprint stays pinned).
 */
static enum err_code engine_check(const struct deploy_env *env, struct store_conn *c, const char *tenant, const char *id,
                                  struct ssh_conn *conn, const struct deploy_docker *dk, struct err *err)
{
    struct docker d = {.conn = conn, .socket = dk->socket, .timeout_ms = env->timeout_ms};
    struct err ping, rec;
    char version[DOCKER_VERSION_SIZE], message[sizeof ping.message + 64], now[TIMESTAMP_SIZE];

    err_clear(&ping);
    err_clear(&rec);
    clock_now(now);
    if (docker_ping(&d, version, &ping) == ERR_OK)
        return store_run(c, "UPDATE hosts SET engineVersion = ? WHERE tenantId = ? AND id = ?",
                         STORE_ARGS(STORE_TEXT(version), STORE_TEXT(tenant), STORE_TEXT(id)), NULL, err);
    snprintf(message, sizeof message, "the Docker Engine is unreachable: %s", ping.message);
    if (store_run(c, "UPDATE hosts SET status = 'FAILED', lastError = ?, updatedAt = ? WHERE tenantId = ? AND id = ?",
                  STORE_ARGS(STORE_TEXT(message), STORE_TIME(now), STORE_TEXT(tenant), STORE_TEXT(id)), NULL, &rec))
        return err_set(err, rec.code, "%s", rec.message);
    return err_set(err, ERR_UNAVAILABLE, "%s", message);
}

enum err_code deploy_host_connect(const struct deploy_env *env, struct store_conn *c, const char *tenant, const char *id,
                                  struct ssh_conn **out, struct deploy_docker *docker, struct err *err)
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
    } else if (h.docker.on) {
        engine_check(env, c, tenant, id, conn, &h.docker, err);
    }
    if (docker)
        *docker = h.docker;
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
#define LOG_FLUSH_MS 20     /* lines wait at most this long (plus a turn of the SSH loop, POLL_MS) before they are written */
#define CANCEL_CHECK_MS 500 /* how often a running deployment looks whether it was cancelled */
#define POLL_MS 20 /* the SSH loop calls keep_going at least this often: a held line waits LOG_FLUSH_MS + POLL_MS at most */
#define SLOT_RECHECK_MS 5000  /* a step waiting for its host looks again this often, if no freed slot wakes it first */
#define THAW_RECHECK_MS 60000 /* a deployment waiting for its environment to thaw looks again this often, likewise */

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
    int64_t seq;                                          /* the next line's */
    int64_t stored, stored_bytes, dropped, dropped_bytes; /* lines of output (not system lines) */
    bool capped;                                          /* output is past the cap: the rest is counted */
    struct pending_line lines[LOG_BATCH];
    int nlines;
    int64_t flushed_ms, checked_ms, deadline_ms; /* deadline_ms: the running script's timeout, 0 for none */
    bool cancelled, timed_out;
    struct err err; /* a write that failed: the run stops */
    /*
     * A docker step's, while its session is open: its step, the session
     * whose lines it stores, and each stream's bytes stored before this
     * follow. Each flush stores with its lines the bytes of each stream
     * behind them (follow_from + ssh_lines_handed), so that a follow after
     * a restart hands out only what comes after (docker_follow's from).
     */
    const char *follow_step;
    const struct ssh_conn *follow_conn;
    int64_t follow_from[2];
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
    if (r->follow_conn && store_run(c, "UPDATE deployment_runs SET stdoutBytes = ?, stderrBytes = ? WHERE tenantId = ? AND id = ?",
                                    STORE_ARGS(STORE_INT(r->follow_from[0] + (int64_t)ssh_lines_handed(r->follow_conn, SSH_STDOUT)),
                                               STORE_INT(r->follow_from[1] + (int64_t)ssh_lines_handed(r->follow_conn, SSH_STDERR)),
                                               STORE_TEXT(r->tenant), STORE_TEXT(r->follow_step)),
                                    NULL, err))
        return err->code;
    return ERR_OK;
}

/*
 * On the SSH loop a run holds no connection between its writes: each takes
 * one from the pool (*taken) and gives it back (run_conn_put). False on
 * error (r->err).
 */
static bool run_conn(struct run *r, bool *taken)
{
    *taken = !r->c;
    return !*taken || store_conn_get(r->env->store, &r->c, &r->err) == ERR_OK;
}

static void run_conn_put(struct run *r, bool taken)
{
    if (taken) {
        store_conn_put(r->c);
        r->c = NULL;
    }
}

/*
 * Writes the pending lines in one transaction, then rings the deployment's
 * id (core/bell.h): its live log streams read them at once. They go out by
 * seq with no settle time (deploy_http.c), which holds because a
 * deployment's log has a single writer: its one deploy-run job, whose
 * steps run one after another (a running script's lines are written from
 * the SSH loop while the job is parked, and its struct run, seq included,
 * is handed back). It numbers lines from MAX(seq) + 1 and commits them in
 * that order, so no line with a lower seq can commit after a higher one.
 * The primary key (deploymentId, seq) refuses a second writer's line.
 */
static void flush(struct run *r)
{
    bool taken = false, stored = false;

    if (r->nlines > 0 && !r->err.code && run_conn(r, &taken))
        stored = store_tx(r->c, flush_body, r, &r->err) == ERR_OK;
    if (stored)
        bell_ring(r->id);
    run_conn_put(r, taken);
    for (int i = 0; i < r->nlines; i++)
        free(r->lines[i].message); /* kept in deployment_logs: the storageBytes gauge reads them there (docs/sites.md) */
    r->nlines = 0;
    r->flushed_ms = clock_now_ms();
}

/* A line of output is stored until the deployment's output reaches the cap, then counted; a system line always is. */
static void add_line(struct run *r, const char *stream, const char *text, size_t len)
{
    bool output = strcmp(stream, "system") != 0;
    struct pending_line *l;

    if (output && (r->capped || r->stored >= DEPLOY_LOG_MAX_LINES || r->stored_bytes + (int64_t)len > r->env->output_cap)) {
        r->capped = true;
        r->dropped++;
        r->dropped_bytes += (int64_t)len;
        return;
    }
    l = &r->lines[r->nlines++];
    l->seq = r->seq++;
    l->stream = stream;
    l->message = xmalloc(len + 1);
    memcpy(l->message, text, len);
    l->message[len] = '\0';
    clock_now(l->at);
    if (output) {
        r->stored++;
        r->stored_bytes += (int64_t)len;
    }
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
    if (r->deadline_ms && now >= r->deadline_ms)
        r->timed_out = true;
    if (now - r->checked_ms >= CANCEL_CHECK_MS) {
        struct store_stmt *st;
        bool taken = false;
        r->checked_ms = now;
        if (run_conn(r, &taken) && store_select(r->c, "SELECT status FROM deployments WHERE tenantId = ? AND id = ?",
                                                STORE_ARGS(STORE_TEXT(r->tenant), STORE_TEXT(r->id)), &st, &r->err) == ERR_OK) {
            if (store_next(st, &r->err) == 1 && strcmp(store_col_text(st, 0), "CANCELLED") == 0)
                r->cancelled = true;
            store_finish(st);
        }
        run_conn_put(r, taken);
    }
    return !r->cancelled && !r->timed_out && !r->err.code && !atomic_load(&r->env->stopping);
}

/* A step of the deployment (a deployment_runs row: one script on one host) and its script. */
struct step {
    char id[UUID_SIZE], host[UUID_SIZE], script[UUID_SIZE], status[20], shell[16];
    char *body;                                   /* malloc'd */
    bool idempotent, holds_slot, docker;          /* docker: its host is a docker host (a container runs the script) */
    int64_t index, timeout_s;                     /* timeout_s: 0 for none */
    int64_t dropped_before, dropped_bytes_before; /* the run's dropped counts when the step began */
    int64_t stored_bytes[2];                      /* a docker step's: stdout's and stderr's bytes whose lines are stored */
};

struct step_end {
    struct run *run;
    const struct step *step;
    enum deploy_status from;
    enum deploy_event event;
    int exit_code; /* -1: none */
    const char *reason;
};

void deploy_event_key(const char *prefix, const char *id, char out[DEPLOY_EVENT_KEY_SIZE])
{
    snprintf(out, DEPLOY_EVENT_KEY_SIZE, "%s:%s", prefix, id);
}

void deploy_freeze_reason(const char *environment, const char *reason, char out[DEPLOY_REASON_SIZE])
{
    snprintf(out, DEPLOY_REASON_SIZE, "waiting: environment %s is frozen: %s", environment, reason ? reason : "no reason given");
}

/* A step's end, a compare-and-swap from its status; its host slot is freed, and a step waiting for one woken. */
static enum err_code step_end_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct step_end *f = ctx;
    char now[TIMESTAMP_SIZE], key[DEPLOY_EVENT_KEY_SIZE];

    clock_now(now);
    deploy_event_key("deploy-host", f->step->host, key);
    if (store_run(c,
                  "UPDATE deployment_runs SET status = ?, statusReason = ?, exitCode = ?, droppedLines = ?, droppedBytes = ?, "
                  "holdsSlot = ?, finishedAt = ?, updatedAt = ? WHERE tenantId = ? AND id = ? AND status = ?",
                  STORE_ARGS(STORE_TEXT(deploy_status_name(deploy_transition(f->from, f->event))), STORE_TEXT(f->reason),
                             f->exit_code >= 0 ? STORE_INT(f->exit_code) : STORE_NULL,
                             STORE_INT(f->run->dropped - f->step->dropped_before),
                             STORE_INT(f->run->dropped_bytes - f->step->dropped_bytes_before), STORE_BOOL(false), STORE_TIME(now),
                             STORE_TIME(now), STORE_TEXT(f->run->tenant), STORE_TEXT(f->step->id),
                             STORE_TEXT(deploy_status_name(f->from))),
                  NULL, err))
        return err->code;
    return f->step->holds_slot ? jobs_signal_in(c, key, NULL, err) : ERR_OK;
}

static void step_end(struct run *r, const struct step *st, enum deploy_status from, enum deploy_event event, int exit_code,
                     const char *reason)
{
    struct step_end f = {.run = r, .step = st, .from = from, .event = event, .exit_code = exit_code, .reason = reason};
    char line[200];

    if (r->dropped > st->dropped_before) {
        snprintf(line, sizeof line, "%lld lines (%lld bytes) of output past the cap were counted, not stored",
                 (long long)(r->dropped - st->dropped_before), (long long)(r->dropped_bytes - st->dropped_bytes_before));
        system_line(r, line);
    }
    if (reason)
        system_line(r, reason);
    flush(r);
    if (!r->err.code)
        store_tx(r->c, step_end_body, &f, &r->err);
    log_info("deployment %s of tenant %s, step %lld: %s -> %s (%s)", r->id, r->tenant, (long long)st->index,
             deploy_status_name(from), deploy_status_name(deploy_transition(from, event)), deploy_event_name(event));
}

/* What the steps ended as: the deployment's status, reason, exit code and dropped lines. */
struct outcome {
    int counts[DEP__COUNT], total;
    char reason[600];
    int64_t exit_code, dropped, dropped_bytes; /* exit_code -1: none */
};

static enum err_code outcome_load(struct store_conn *c, const struct run *r, struct outcome *o, struct err *err)
{
    struct store_stmt *st;
    char first_failure[500] = "", job_failure[500] = "";
    int64_t failed_exit = -1;
    int rc;

    memset(o, 0, sizeof *o);
    o->exit_code = -1;
    if (store_select(
            c,
            "SELECT status, statusReason, exitCode, droppedLines, droppedBytes FROM deployment_runs WHERE tenantId = ? AND "
            "deploymentId = ? ORDER BY stepIndex",
            STORE_ARGS(STORE_TEXT(r->tenant), STORE_TEXT(r->id)), &st, err))
        return err->code;
    while ((rc = store_next(st, err)) == 1) {
        enum deploy_status s = deploy_status_parse(store_col_text(st, 0));
        if (s != DEP_NONE)
            o->counts[s]++;
        o->total++;
        o->dropped += store_col_int(st, 3);
        o->dropped_bytes += store_col_int(st, 4);
        if (!store_col_null(st, 2))
            o->exit_code = store_col_int(st, 2);
        if (s == DEP_FAILED && !first_failure[0]) {
            snprintf(first_failure, sizeof first_failure, "%s", store_col_null(st, 1) ? "failed" : store_col_text(st, 1));
            failed_exit = store_col_null(st, 2) ? -1 : store_col_int(st, 2);
        }
    }
    store_finish(st);
    /* its CI/CD jobs count as steps; a job's failure is the first only when no script failed (the exit code stays the scripts') */
    if (rc == 0 && cicd_run_outcome(c, r->tenant, r->id, o->counts, &o->total, job_failure, sizeof job_failure, err) == ERR_OK &&
        !first_failure[0] && job_failure[0]) {
        snprintf(first_failure, sizeof first_failure, "%s", job_failure);
        failed_exit = o->exit_code;
    }
    if (first_failure[0]) {
        o->exit_code = failed_exit;
        if (o->total == 1)
            snprintf(o->reason, sizeof o->reason, "%s", first_failure);
        else
            snprintf(o->reason, sizeof o->reason, "%d of %d steps failed; the first: %s", o->counts[DEP_FAILED], o->total,
                     first_failure);
    }
    return err->code;
}

struct conclude {
    struct run *run;
    struct job *job;
};

static json_t *opt_text(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* Each text of list once, appended as ", "-separated words to b: three at most, then "and N more". */
static void names_append(struct buf *b, const json_t *list)
{
    const json_t *v;
    size_t i;

    json_array_foreach(list, i, v)
    {
        if (i == 3) {
            buf_printf(b, " and %zu more", json_array_size(list) - 3);
            break;
        }
        buf_printf(b, "%s%s", i ? ", " : "", json_string_value(v));
    }
}

static void name_add_once(json_t *list, const char *name)
{
    const json_t *v;
    size_t i;

    json_array_foreach(list, i, v) if (strcmp(json_string_value(v), name) == 0) return;
    json_array_append_new(list, json_string(name));
}

/*
 * What people know the deployment id by, added to dep: its scripts' and
 * hosts' names (each once, in the order of its steps), a summary of them
 * ("ship, migrate on web-1 and 2 more") and its page in the web UI (url:
 * null without SLIPWAY_PUBLIC_URL).
 */
static enum err_code deploy_names_add(struct store_conn *c, const char *tenant, const char *id, json_t *dep, struct err *err)
{
    json_t *hosts = json_array(), *scripts = json_array();
    char link[NOTIFY_LINK_SIZE];
    struct store_stmt *st;
    struct buf b;
    int rc;

    if (store_select(c,
                     "SELECT h.name, s.name FROM deployment_runs r JOIN hosts h ON h.tenantId = ? AND h.id = r.hostId "
                     "JOIN deployment_scripts s ON s.tenantId = ? AND s.id = r.scriptId "
                     "WHERE r.tenantId = ? AND r.deploymentId = ? ORDER BY r.stepIndex",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(tenant), STORE_TEXT(tenant), STORE_TEXT(id)), &st, err) == ERR_OK) {
        while ((rc = store_next(st, err)) == 1) {
            name_add_once(hosts, store_col_text(st, 0));
            name_add_once(scripts, store_col_text(st, 1));
        }
        store_finish(st);
    }
    buf_init(&b, 8192); /* six names of 200 characters, and the words between */
    names_append(&b, scripts);
    buf_appends(&b, " on ");
    names_append(&b, hosts);
    notify_link(tenant, "deployments", id, link);
    json_object_set_new(dep, "summary", json_string(b.data ? b.data : ""));
    json_object_set_new(dep, "scriptNames", scripts);
    json_object_set_new(dep, "hostNames", hosts);
    json_object_set_new(dep, "url", link[0] ? json_string(link) : json_null());
    buf_free(&b);
    return err->code;
}

/*
 * The catalogue event of the deployment as its row is now, in c's
 * transaction: event, or NULL for its end's (by its status), with the
 * names people know it by. Awaiting approval, the payload names who may
 * approve, and how many of them were asked by mail.
 */
static enum err_code deploy_notify(struct store_conn *c, const char *tenant, const char *id, const char *event, struct err *err)
{
    struct store_stmt *st;
    json_t *fields = NULL;
    int rc;

    if (store_select(
            c,
            "SELECT d.status, d.statusReason, d.exitCode, d.environmentId, d.requestedByAccountId, e.approverRoles, "
            "e.requiredApprovals, e.name, a.name, d.ref, r.fullName FROM deployments d LEFT JOIN environments e "
            "ON e.tenantId = d.tenantId AND e.id = d.environmentId LEFT JOIN accounts a ON a.id = d.requestedByAccountId "
            "LEFT JOIN repositories r ON r.tenantId = d.tenantId AND r.id = d.repositoryId WHERE d.tenantId = ? AND d.id = ?",
            STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(id)), &st, err))
        return err->code;
    if ((rc = store_next(st, err)) == 1) {
        enum deploy_status to = deploy_status_parse(store_col_text(st, 0));
        if (!event)
            event = to == DEP_SUCCEEDED   ? "deployment.succeeded"
                    : to == DEP_CANCELLED ? "deployment.cancelled"
                                          : "deployment.failed";
        fields = json_pack("{s:{s:s, s:s, s:o, s:o, s:o, s:o}}", "deployment", "id", id, "status", store_col_text(st, 0),
                           "statusReason", opt_text(store_col_text(st, 1)), "exitCode",
                           store_col_null(st, 2) ? json_null() : json_integer(store_col_int(st, 2)), "environmentId",
                           opt_text(store_col_text(st, 3)), "requestedByAccountId", opt_text(store_col_text(st, 4)));
        json_object_update_new(json_object_get(fields, "deployment"),
                               json_pack("{s:o, s:o, s:o, s:o}", "environmentName", opt_text(store_col_text(st, 7)),
                                         "requestedByName", opt_text(store_col_text(st, 8)), "ref", opt_text(store_col_text(st, 9)),
                                         "repository", opt_text(store_col_text(st, 10))));
        if (to == DEP_AWAITING_APPROVAL) {
            json_t *roles = json_array();
            size_t len;
            for (const char *r = store_col_null(st, 5) ? "editor,owner" : store_col_text(st, 5); *r; r += len + (r[len] == ','))
                if ((len = strcspn(r, ",")) > 0)
                    json_array_append_new(roles, json_stringn(r, len));
            json_object_set_new(fields, "approverRoles", roles);
            json_object_set_new(fields, "requiredApprovals", json_integer(store_col_null(st, 6) ? 1 : store_col_int(st, 6)));
        }
    }
    store_finish(st);
    if (rc == 1 && deploy_names_add(c, tenant, id, json_object_get(fields, "deployment"), err) == ERR_OK &&
        (!json_object_get(fields, "approverRoles") || notify_approvers_ask(c, tenant, id, fields, err) == ERR_OK))
        notify_emit(c, tenant, event, "deployment", id, fields, err);
    json_decref(fields);
    return err->code;
}

enum err_code deploy_notify_end(struct store_conn *c, const char *tenant, const char *id, struct err *err)
{
    return deploy_notify(c, tenant, id, NULL, err);
}

enum err_code deploy_notify_awaiting(struct store_conn *c, const char *tenant, const char *id, struct err *err)
{
    return deploy_notify(c, tenant, id, "deployment.approval.requested", err);
}

/* The deployment's end, aggregated from its steps' (a cancel that came first stays), with the job's. */
static enum err_code conclude_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct conclude *k = ctx;
    struct run *r = k->run;
    struct outcome o;
    enum deploy_status to;
    char now[TIMESTAMP_SIZE];
    int64_t ended = 0;

    if (outcome_load(c, r, &o, err))
        return err->code;
    to = deploy_aggregate(o.counts);
    if (to == DEP_NONE || !deploy_is_final(to))
        return err_set(err, ERR_INTERNAL, "deployment %s: its steps have not all ended (%s)", r->id, deploy_status_name(to));
    clock_now(now);
    if (store_run(c,
                  "UPDATE deployments SET status = ?, statusReason = ?, exitCode = ?, droppedLines = ?, droppedBytes = ?, "
                  "finishedAt = ?, updatedAt = ? WHERE tenantId = ? AND id = ? AND status IN (?, ?)",
                  STORE_ARGS(STORE_TEXT(deploy_status_name(to)), o.reason[0] ? STORE_TEXT(o.reason) : STORE_NULL,
                             o.exit_code >= 0 ? STORE_INT(o.exit_code) : STORE_NULL, STORE_INT(o.dropped),
                             STORE_INT(o.dropped_bytes), STORE_TIME(now), STORE_TIME(now), STORE_TEXT(r->tenant), STORE_TEXT(r->id),
                             STORE_TEXT(deploy_status_name(DEP_PENDING)), STORE_TEXT(deploy_status_name(DEP_RUNNING))),
                  &ended, err) ||
        (ended == 1 && deploy_notify_end(c, r->tenant, r->id, err))) /* a cancel that came first has told already */
        return err->code;
    log_info("deployment %s of tenant %s: %s", r->id, r->tenant, deploy_status_name(to));
    return job_done_in(c, k->job, err);
}

static void conclude(struct run *r, struct job *j)
{
    struct conclude k = {.run = r, .job = j};
    struct err err;

    err_clear(&err);
    flush(r);
    if (r->err.code || store_tx(r->c, conclude_body, &k, &err)) {
        job_fail(j, r->err.code ? &r->err : &err);
        return;
    }
    job_done(j);
}

/* What decides whether a deployment may go on: its status, when it is due, its environment's freeze. */
struct gate {
    enum deploy_status status; /* DEP_NONE when the deployment is gone */
    int64_t due_ms;            /* scheduledTime; 0 for none */
    bool frozen;               /* its environment is */
    char environment[UUID_SIZE], reason[DEPLOY_REASON_SIZE];
};

static void gate_load(struct run *r, struct gate *g)
{
    struct store_stmt *st;

    memset(g, 0, sizeof *g);
    g->status = DEP_NONE;
    if (store_select(r->c,
                     "SELECT d.status, d.scheduledTime, d.environmentId, e.name, e.frozen, e.frozenReason "
                     "FROM deployments d LEFT JOIN environments e ON e.tenantId = d.tenantId AND e.id = d.environmentId "
                     "WHERE d.tenantId = ? AND d.id = ?",
                     STORE_ARGS(STORE_TEXT(r->tenant), STORE_TEXT(r->id)), &st, &r->err))
        return;
    if (store_next(st, &r->err) == 1) {
        g->status = deploy_status_parse(store_col_text(st, 0));
        if (!store_col_null(st, 1) && clock_parse(store_col_text(st, 1), &g->due_ms) != 0)
            g->due_ms = 0;
        if (!store_col_null(st, 2) && store_col_bool(st, 4)) {
            g->frozen = true;
            snprintf(g->environment, sizeof g->environment, "%s", store_col_text(st, 2));
            deploy_freeze_reason(store_col_text(st, 3), store_col_null(st, 5) ? NULL : store_col_text(st, 5), g->reason);
        }
    }
    store_finish(st);
}

/* Says on the deployment why it waits (statusReason; cleared when a step starts). */
static void waiting(struct run *r, const char *reason)
{
    char now[TIMESTAMP_SIZE];

    clock_now(now);
    store_run(r->c,
              "UPDATE deployments SET statusReason = ?, updatedAt = ? WHERE tenantId = ? AND id = ? AND status IN (?, ?) AND "
              "(statusReason IS NULL OR statusReason <> ?)",
              STORE_ARGS(STORE_TEXT(reason), STORE_TIME(now), STORE_TEXT(r->tenant), STORE_TEXT(r->id),
                         STORE_TEXT(deploy_status_name(DEP_PENDING)), STORE_TEXT(deploy_status_name(DEP_RUNNING)),
                         STORE_TEXT(reason)),
              NULL, &r->err);
}

/* SCHEDULED -> PENDING, its time come (a compare-and-swap: a cancel may come first). */
static void make_due(struct run *r)
{
    char now[TIMESTAMP_SIZE];

    clock_now(now);
    store_run(r->c,
              "UPDATE deployments SET status = ?, statusReason = NULL, updatedAt = ? WHERE tenantId = ? AND id = ? AND status = ?",
              STORE_ARGS(STORE_TEXT(deploy_status_name(deploy_transition(DEP_SCHEDULED, DEV_DUE))), STORE_TIME(now),
                         STORE_TEXT(r->tenant), STORE_TEXT(r->id), STORE_TEXT(deploy_status_name(DEP_SCHEDULED))),
              NULL, &r->err);
}

/*
 * Says why the deployment waits (reason; NULL: its status says it), then
 * waits, holding no worker, for the event prefix:id or deadline_ms; the
 * job's step runs again then. False when a write failed (r->err): no wait.
 */
static bool wait_event(struct run *r, struct job *j, const char *reason, const char *prefix, const char *id, int64_t deadline_ms)
{
    char key[DEPLOY_EVENT_KEY_SIZE];

    if (reason)
        waiting(r, reason);
    flush(r);
    if (r->err.code)
        return false;
    deploy_event_key(prefix, id, key);
    job_wait(j, 0, key, deadline_ms);
    return true;
}

struct slot_take {
    struct run *run;
    struct step *step;
    int64_t limit, busy;
};

/*
 * Takes one of the host's maxConcurrent slots for the step, when one is
 * free: under the host row's lock (an update of it), so two steps cannot
 * both take the last one. Steps of every deployment count.
 */
static enum err_code slot_take_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct slot_take *t = ctx;
    const char *tenant = t->run->tenant, *host = t->step->host;

    if (store_run(c, "UPDATE hosts SET maxConcurrent = maxConcurrent WHERE tenantId = ? AND id = ?",
                  STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(host)), NULL, err) ||
        store_int(c, "SELECT maxConcurrent FROM hosts WHERE tenantId = ? AND id = ?",
                  STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(host)), &t->limit, err) ||
        store_int(c, "SELECT COUNT(*) FROM deployment_runs WHERE hostId = ? AND holdsSlot = ? AND status IN (?, ?)",
                  STORE_ARGS(STORE_TEXT(host), STORE_BOOL(true), STORE_TEXT(deploy_status_name(DEP_PENDING)),
                             STORE_TEXT(deploy_status_name(DEP_RUNNING))),
                  &t->busy, err))
        return err->code;
    if (t->busy >= t->limit)
        return ERR_OK;
    if (store_run(c, "UPDATE deployment_runs SET holdsSlot = ? WHERE tenantId = ? AND id = ?",
                  STORE_ARGS(STORE_BOOL(true), STORE_TEXT(tenant), STORE_TEXT(t->step->id)), NULL, err) == ERR_OK)
        t->step->holds_slot = true;
    return err->code;
}

/* True when the step holds a slot of its host (now, or from before); false when the host is busy or on error (r->err). */
static bool slot_take(struct run *r, struct step *st, char reason[200])
{
    struct slot_take t = {.run = r, .step = st};

    if (st->holds_slot)
        return true;
    if (store_tx(r->c, slot_take_body, &t, &r->err))
        return false;
    snprintf(reason, 200, "waiting: host %s runs %lld of its %lld steps at once", st->host, (long long)t.busy, (long long)t.limit);
    return st->holds_slot;
}

/* The first step that has not ended, in order; 0 when every step has, -1 on error. */
static int step_next(struct run *r, struct step *st)
{
    struct store_stmt *q;
    int rc;

    free(st->body);
    memset(st, 0, sizeof *st);
    if (store_select(r->c,
                     "SELECT r.id, r.hostId, r.scriptId, r.status, r.stepIndex, s.shell, s.body, s.idempotent, r.holdsSlot, "
                     "s.timeoutSeconds, h.type, r.stdoutBytes, r.stderrBytes "
                     "FROM deployment_runs r JOIN deployment_scripts s ON s.id = r.scriptId AND s.tenantId = ? "
                     "JOIN hosts h ON h.id = r.hostId AND h.tenantId = ? "
                     "WHERE r.tenantId = ? AND r.deploymentId = ? AND r.status IN (?, ?) ORDER BY r.stepIndex LIMIT 1",
                     STORE_ARGS(STORE_TEXT(r->tenant), STORE_TEXT(r->tenant), STORE_TEXT(r->tenant), STORE_TEXT(r->id),
                                STORE_TEXT(deploy_status_name(DEP_PENDING)), STORE_TEXT(deploy_status_name(DEP_RUNNING))),
                     &q, &r->err))
        return -1;
    if ((rc = store_next(q, &r->err)) == 1) {
        snprintf(st->id, sizeof st->id, "%s", store_col_text(q, 0));
        snprintf(st->host, sizeof st->host, "%s", store_col_text(q, 1));
        snprintf(st->script, sizeof st->script, "%s", store_col_text(q, 2));
        snprintf(st->status, sizeof st->status, "%s", store_col_text(q, 3));
        st->index = store_col_int(q, 4);
        snprintf(st->shell, sizeof st->shell, "%s", store_col_text(q, 5));
        st->body = xstrdup(store_col_text(q, 6));
        st->idempotent = store_col_bool(q, 7);
        st->holds_slot = store_col_bool(q, 8);
        st->timeout_s = store_col_null(q, 9) ? 0 : store_col_int(q, 9);
        st->docker = strcmp(store_col_text(q, 10), "docker") == 0;
        st->stored_bytes[0] = store_col_int(q, 11);
        st->stored_bytes[1] = store_col_int(q, 12);
        st->dropped_before = r->dropped;
        st->dropped_bytes_before = r->dropped_bytes;
    }
    store_finish(q);
    return r->err.code ? -1 : rc;
}

struct mark_running {
    struct run *run;
    const struct step *step;
    bool going; /* the deployment runs (it was not cancelled meanwhile) */
};

/*
 * PENDING -> RUNNING for the step and (its first) the deployment, whose
 * start is told (deployment.started) in the same transaction: once, since
 * only the compare-and-swap from PENDING tells it.
 */
static enum err_code mark_running_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct mark_running *m = ctx;
    struct run *r = m->run;
    char now[TIMESTAMP_SIZE];
    int64_t started = 0, n = 0;
    const char *running = deploy_status_name(deploy_transition(DEP_PENDING, DEV_START));

    m->going = false;
    clock_now(now);
    if (store_run(c,
                  "UPDATE deployments SET status = ?, statusReason = NULL, startedAt = COALESCE(startedAt, ?), updatedAt = ? "
                  "WHERE tenantId = ? AND id = ? AND status = ?",
                  STORE_ARGS(STORE_TEXT(running), STORE_TIME(now), STORE_TIME(now), STORE_TEXT(r->tenant), STORE_TEXT(r->id),
                             STORE_TEXT(deploy_status_name(DEP_PENDING))),
                  &started, err) ||
        (started == 0 &&
         store_run(c, "UPDATE deployments SET updatedAt = ? WHERE tenantId = ? AND id = ? AND status = ?",
                   STORE_ARGS(STORE_TIME(now), STORE_TEXT(r->tenant), STORE_TEXT(r->id), STORE_TEXT(running)), &n, err)))
        return err->code;
    if (started + n != 1)
        return ERR_OK;
    if (store_run(
            c, "UPDATE deployment_runs SET status = ?, startedAt = ?, updatedAt = ? WHERE tenantId = ? AND id = ? AND status = ?",
            STORE_ARGS(STORE_TEXT(running), STORE_TIME(now), STORE_TIME(now), STORE_TEXT(r->tenant), STORE_TEXT(m->step->id),
                       STORE_TEXT(deploy_status_name(DEP_PENDING))),
            NULL, err) ||
        (started == 1 && deploy_notify(c, r->tenant, r->id, "deployment.started", err)))
        return err->code;
    m->going = true;
    return ERR_OK;
}

/* False when the deployment runs no more (cancelled meanwhile) or a write failed (r->err). */
static bool mark_running(struct run *r, const struct step *st)
{
    struct mark_running m = {.run = r, .step = st};

    return store_tx(r->c, mark_running_body, &m, &r->err) == ERR_OK && m.going;
}

/*
 * A script running on the SSH loop while its job is parked (attached to
 * the job): the run's state goes with it and comes back when the job's step
 * runs again. run is first: the loop's callbacks get &run as their ctx.
 */
struct script_run {
    struct run run; /* run.c is NULL while the script is on the loop */
    struct step step;
    struct job *job;
    struct ssh_conn *conn;
    int64_t began_ms;
    struct err err; /* how the run ended (the SSH loop's done) */
    int exit_status;
    bool done, ended; /* done: the SSH loop gave the session back; ended: script_end has run */
    /* A docker host's step: its Engine, its container's name, the follow request and the reader of its answer. */
    struct deploy_docker docker;
    char container[DOCKER_NAME_SIZE], request[512];
    struct docker_follow follow;
};

static void script_end(struct script_run *sr);

/* With the job (after the step that read it, or when the engine drops the job on shutdown: then the step ends here). */
static void script_run_free(void *p)
{
    struct script_run *sr = p;

    if (sr->done && !sr->ended)
        script_end(sr);
    ssh_close(sr->conn);
    for (int i = 0; i < sr->run.nlines; i++)
        free(sr->run.lines[i].message);
    free(sr);
}

/* The docker step's Engine, through the step's session. */
static struct docker script_docker(const struct script_run *sr)
{
    return (struct docker){.conn = sr->conn, .socket = sr->docker.socket, .timeout_ms = sr->run.env->timeout_ms};
}

/*
 * A docker step's container is done with on the loop: killed when the run
 * was stopped (cancel, timeout, slipway stopping), and its exit code read
 * (the Engine's wait) when the run ended, into sr->exit_status, then the
 * output its follow missed (docker_catch_up). A failure to read the exit
 * code ends the step FAILED with why (sr->err); one to catch up is logged.
 */
static void container_end(struct script_run *sr)
{
    struct docker d = script_docker(sr);
    struct err e;

    err_clear(&e);
    if (sr->err.code == ERR_CONFLICT)
        docker_kill(&d, sr->container, &e); /* SIGKILL: the container and all it started */
    else if (!sr->err.code && docker_wait(&d, sr->container, &sr->exit_status, &e))
        sr->err = e;
    else if (!sr->err.code && docker_catch_up(&d, sr->container, &sr->follow, ssh_lines_out, sr->conn, &e) == ERR_OK)
        ssh_lines_end(sr->conn); /* the follow's last line, when it had one without a newline */
    if (e.code)
        log_warn("deployment %s of tenant %s: container %s: %s", sr->run.id, sr->run.tenant, sr->container, e.message);
}

/*
 * After the step's end is written: the container removed and the session
 * closed. Removed only then, so that a process that dies before finds the
 * container again (run_script: one container a step, never a second); one
 * that dies between the two leaves an ended container behind, named and
 * labelled for the step (docs/deployments.md "Docker hosts").
 */
static void container_remove(struct script_run *sr)
{
    struct docker d = script_docker(sr);
    struct err e;

    err_clear(&e);
    if (sr->docker.on && sr->conn && docker_remove(&d, sr->container, &e))
        log_warn("deployment %s of tenant %s: container %s not removed: %s", sr->run.id, sr->run.tenant, sr->container, e.message);
    sr->run.follow_conn = NULL;
    ssh_close(sr->conn);
    sr->conn = NULL;
}

/* Ends the step of a script the SSH loop is done with: from RUNNING, by how it ended. */
static void script_end(struct script_run *sr)
{
    struct run *r = &sr->run;
    const struct step *st = &sr->step;
    char message[600];
    bool taken = false;

    sr->ended = true;
    if (sr->docker.on)
        container_end(sr);
    else if (sr->err.code == ERR_CONFLICT)
        ssh_stop(sr->conn); /* cancelled, past its timeout, or slipway stops: the remote process too */
    if (!sr->docker.on) {
        ssh_close(sr->conn);
        sr->conn = NULL;
    }
    r->deadline_ms = 0;
    usage_count(r->tenant, NULL, USAGE_DEPLOYMENT_MINUTES, (clock_mono_ms() - sr->began_ms + 59999) / 60000); /* begun minutes */
    if (!run_conn(r, &taken))
        return;
    if (r->cancelled) {
        step_end(r, st, DEP_RUNNING, DEV_CANCEL, -1, NULL); /* the cancel already ended the deployment */
    } else if (r->err.code) {
        /* a write failed: the job fails and runs the step again */
    } else if (atomic_load(&r->env->stopping)) {
        step_end(r, st, DEP_RUNNING, DEV_INTERRUPTED, -1, "interrupted: slipway stopped while the script ran");
    } else if (r->timed_out) {
        snprintf(message, sizeof message, "timeout: the script ran longer than its %lld s; it was stopped",
                 (long long)st->timeout_s);
        step_end(r, st, DEP_RUNNING, DEV_TIMEOUT, -1, message);
    } else if (sr->err.code) {
        step_end(r, st, DEP_RUNNING, DEV_FAIL, -1, sr->err.message);
    } else {
        snprintf(message, sizeof message, "the script exited with status %d", sr->exit_status);
        step_end(r, st, DEP_RUNNING, sr->exit_status == 0 ? DEV_EXIT_ZERO : DEV_EXIT_NONZERO, sr->exit_status,
                 sr->exit_status == 0
                     ? NULL
                     : (sr->exit_status < 0 ? "the script ended without an exit status (killed by a signal?)" : message));
    }
    run_conn_put(r, taken);
    if (!r->err.code) /* the step's end is written: else the job runs it again, and finds the container */
        container_remove(sr);
}

/*
 * The SSH loop is done with the script (on its thread): the job's step
 * runs again and ends the step. When slipway stops, the job may not run
 * again here, so the step ends on this thread first.
 */
static void script_done(void *ctx, const struct err *err, int exit_status)
{
    struct script_run *sr = ctx;

    sr->err = *err;
    sr->exit_status = exit_status;
    sr->done = true;
    if (atomic_load(&sr->run.env->stopping))
        script_end(sr);
    job_resume(sr->job);
}

/* The job's step again after its script: the step ended (if the SSH loop's done did not), the run's state back in r. */
static void script_resumed(struct run *r, struct script_run *sr)
{
    struct store_conn *c = r->c;
    struct err read = r->err; /* the step's reads before this */

    if (!sr->ended) {
        sr->run.c = c;
        script_end(sr);
    }
    *r = sr->run;
    r->c = c;
    r->follow_conn = NULL; /* the session is sr's, closed with it */
    if (read.code)
        r->err = read;
    sr->run.nlines = 0; /* its lines are r's now */
}

/* What the deployment deploys: its ref and its repository's full name ("": none, or the repository was removed since). */
struct deployed {
    char ref[DEPLOY_REF_MAX + 1], repository[2048]; /* fullName: 512 characters */
};

static void deployed_load(struct run *r, struct deployed *d)
{
    struct store_stmt *st;

    memset(d, 0, sizeof *d);
    if (store_select(r->c,
                     "SELECT d.ref, p.fullName FROM deployments d LEFT JOIN repositories p ON p.tenantId = d.tenantId AND "
                     "p.id = d.repositoryId WHERE d.tenantId = ? AND d.id = ?",
                     STORE_ARGS(STORE_TEXT(r->tenant), STORE_TEXT(r->id)), &st, &r->err))
        return;
    if (store_next(st, &r->err) == 1) {
        snprintf(d->ref, sizeof d->ref, "%s", store_col_null(st, 0) ? "" : store_col_text(st, 0));
        snprintf(d->repository, sizeof d->repository, "%s", store_col_null(st, 1) ? "" : store_col_text(st, 1));
    }
    store_finish(st);
}

/* The SLIPWAY_* variables a script sees (those set): fn(ctx, name, value) for each. */
static void deployed_each(const struct deployed *d, void (*fn)(void *ctx, const char *name, const char *value), void *ctx)
{
    if (d->ref[0])
        fn(ctx, "SLIPWAY_REF", d->ref);
    if (d->repository[0])
        fn(ctx, "SLIPWAY_REPOSITORY", d->repository);
}

/* "export NAME='value'" and a newline into the struct buf ctx, the value quoted for sh and bash (each ' as '\''). */
static void export_line(void *ctx, const char *name, const char *value)
{
    struct buf *b = ctx;

    buf_printf(b, "export %s='", name);
    for (const char *q; (q = strchr(value, '\'')); value = q + 1) {
        buf_append(b, value, (size_t)(q - value));
        buf_appends(b, "'\\''");
    }
    buf_printf(b, "%s'\n", value);
}

/*
 * The script's input: SLIPWAY_REF and SLIPWAY_REPOSITORY exported, then its
 * body. Exported by the shell that reads the script, not sent as SSH
 * environment requests, which sshd drops unless its AcceptEnv names them.
 */
static void script_input(struct run *r, const struct step *st, struct buf *in)
{
    struct deployed d;

    deployed_load(r, &d);
    buf_init(in, strlen(st->body) + 4 * (sizeof d.ref + sizeof d.repository) + 64);
    deployed_each(&d, export_line, in);
    buf_appends(in, st->body);
}

/* "NAME=value" into the container's environment (the JSON array ctx). */
static void env_entry(void *ctx, const char *name, const char *value)
{
    json_array_append_new(ctx, json_sprintf("%s=%s", name, value));
}

/* left_behind's state: the step starting (its own container is not another's), the run for its reads. */
struct sweep {
    struct run *run;
    const struct docker *docker;
    const char *step;
};

/*
 * A stopped container of the tenant's on the host: removed when its step
 * has ended (or is gone with its deployment). The Engine's answer is
 * trusted for the step's id only as a key into this tenant's own steps.
 */
static void left_behind(void *ctx, const char *name, const char *step)
{
    struct sweep *s = ctx;
    struct store_stmt *q;
    struct err e;
    bool ended = true;
    int rc;

    err_clear(&e);
    if (strcmp(step, s->step) == 0)
        return;
    if (step[0] && store_select(s->run->c, "SELECT status FROM deployment_runs WHERE tenantId = ? AND id = ?",
                                STORE_ARGS(STORE_TEXT(s->run->tenant), STORE_TEXT(step)), &q, &e) == ERR_OK) {
        if ((rc = store_next(q, &e)) == 1)
            ended = strcmp(store_col_text(q, 0), deploy_status_name(DEP_PENDING)) != 0 &&
                    strcmp(store_col_text(q, 0), deploy_status_name(DEP_RUNNING)) != 0;
        store_finish(q);
    }
    if (!e.code && ended && docker_remove(s->docker, name, &e) == ERR_OK)
        log_info("tenant %s: removed container %s, left on its host after its step ended", s->run->tenant, name);
    if (e.code)
        log_warn("tenant %s: container %s left on its host: %s", s->run->tenant, name, e.message);
}

/*
 * A docker step's container, one a step: named after the step
 * ("slipway-<step id>", the Engine's unique key) and labelled with the
 * tenant, deployment and step. Made from the host's image with the
 * script as [shell, "-c", body] and the SLIPWAY_* environment, then
 * started; or, after slipway died mid-step, found again by its name and
 * followed (started only if it never was). Its output is then followed on
 * the SSH loop (sr->request, read by follow_demux). First, the tenant's
 * containers left stopped on the host by steps that ended (slipway died
 * between a step's end and its container's removal, or a connection
 * dropped) are removed: the step does not fail for them.
 */
static enum err_code container_begin(struct run *r, const struct step *st, struct script_run *sr, struct err *err)
{
    struct docker d = script_docker(sr);
    enum docker_state state;
    char line[DOCKER_NAME_SIZE + 600];

    snprintf(sr->container, sizeof sr->container, "slipway-%s", st->id);
    struct sweep sweep = {.run = r, .docker = &d, .step = st->id};
    struct err e;
    err_clear(&e);
    if (docker_each_stopped(&d, "io.slipway.tenant", r->tenant, "io.slipway.step", left_behind, &sweep, &e))
        log_warn("tenant %s: the host's stopped containers not listed: %s", r->tenant, e.message);
    if (docker_state(&d, sr->container, &state, err))
        return err->code;
    if (state == DOCKER_ABSENT) {
        struct deployed dd;
        deployed_load(r, &dd);
        json_t *env = json_array();
        deployed_each(&dd, env_entry, env);
        struct docker_spec spec = {.image = sr->docker.image,
                                   .argv = json_pack("[s, s, s]", st->shell, "-c", st->body),
                                   .env = env,
                                   .labels = json_pack("{s:s, s:s, s:s}", "io.slipway.tenant", r->tenant, "io.slipway.deployment",
                                                       r->id, "io.slipway.step", st->id)};
        snprintf(line, sizeof line, "creating container %s from image %s", sr->container, sr->docker.image);
        system_line(r, line);
        if (docker_create(&d, sr->container, &spec, err) == ERR_OK)
            state = DOCKER_CREATED;
        json_decref(spec.argv);
        json_decref(spec.env);
        json_decref(spec.labels);
    } else {
        snprintf(line, sizeof line,
                 "found container %s (%s) from before slipway stopped: following it, not starting another; "
                 "its output follows from where the log stopped",
                 sr->container,
                 state == DOCKER_CREATED   ? "never started"
                 : state == DOCKER_RUNNING ? "running"
                                           : "ended");
        system_line(r, line);
    }
    sr->follow.from[0] = (uint64_t)st->stored_bytes[0];
    sr->follow.from[1] = (uint64_t)st->stored_bytes[1];
    if (!err->code && state == DOCKER_CREATED)
        docker_start(&d, sr->container, err);
    if (!err->code)
        docker_follow_request(sr->container, sr->request, sizeof sr->request, err);
    return err->code;
}

/* The SSH loop's demux of a docker step (ctx is &sr->run, the first member of its script_run). */
static bool follow_demux(void *ctx, const char *p, size_t n, ssh_out_fn out, void *octx, struct err *err)
{
    struct script_run *sr = ctx;

    return docker_demux(&sr->follow, p, n, out, octx, err);
}

/*
 * Connects, starts the step's script (from PENDING, or RUNNING again when
 * its script is idempotent) and hands it to the SSH loop, parking the job:
 * true then, and the step must not touch j again. False when the step
 * ended here (it could not connect) or did not start (cancelled, r->err).
 */
static bool run_script(struct run *r, struct job *j, const struct step *st, enum deploy_status from)
{
    char command[32];
    struct ssh_conn *conn = NULL;
    struct script_run *sr;
    struct deploy_docker dk;
    struct buf input = {0};
    struct err err;

    err_clear(&err);
    system_line(r, "connecting to the host");
    if (deploy_host_connect(r->env, r->c, r->tenant, st->host, &conn, &dk, &err)) {
        step_end(r, st, from, DEV_FAIL, -1, err.message);
        return false;
    }
    if (from == DEP_PENDING && !mark_running(r, st)) {
        ssh_close(conn);
        return false; /* cancelled before it started, or a write failed (r->err) */
    }
    sr = xcalloc(1, sizeof *sr);
    sr->run = *r;
    sr->docker = dk;
    sr->conn = conn;
    if (dk.on && container_begin(r, st, sr, &err)) {
        step_end(r, st, DEP_RUNNING, DEV_FAIL, -1, err.message);
        ssh_close(conn);
        free(sr);
        return false;
    }
    snprintf(command, sizeof command, "%s -s", st->shell);
    if (!dk.on)
        script_input(r, st, &input);
    system_line(r, "running the script");
    flush(r);
    if (r->err.code) {
        buf_free(&input);
        ssh_close(conn);
        free(sr);
        return false;
    }
    sr->run = *r;
    sr->run.c = NULL;
    sr->run.timed_out = false;
    sr->run.deadline_ms = st->timeout_s > 0 ? clock_now_ms() + st->timeout_s * 1000 : 0;
    sr->step = *st;
    sr->step.body = NULL; /* the worker's; the script's input is written before ssh_loop_run returns */
    if (dk.on) {
        sr->run.follow_step = sr->step.id;
        sr->run.follow_conn = conn;
        memcpy(sr->run.follow_from, st->stored_bytes, sizeof sr->run.follow_from);
    }
    sr->job = j;
    sr->began_ms = clock_mono_ms();
    struct ssh_exec x = {.command = dk.on ? NULL : command,
                         .socket = dk.on ? sr->docker.socket : NULL,
                         .demux = follow_demux,
                         .input = dk.on ? sr->request : input.data,
                         .input_len = dk.on ? strlen(sr->request) : input.len,
                         .line = on_line,
                         .keep_going = keep_going,
                         .done = script_done,
                         .poll_ms = POLL_MS,
                         .ctx = &sr->run};
    job_attach(j, sr, script_run_free);
    job_park(j);
    if (ssh_loop_run(r->env->ssh, conn, &x, &err)) /* still this thread's session: end as the loop would */
        script_done(sr, &err, -1);
    buf_free(&input); /* written to the host before ssh_loop_run returned */
    return true;
}

/*
 * Runs (or, after slipway died mid-step, ends or runs again) one step that
 * has not ended. True when its script went to the SSH loop (run_script).
 */
static bool step_run(struct run *r, struct job *j, const struct step *st, int64_t total)
{
    char line[160];

    if (total > 1) {
        snprintf(line, sizeof line, "step %lld of %lld: script %s on host %s", (long long)st->index + 1, (long long)total,
                 st->script, st->host);
        system_line(r, line);
    }
    if (atomic_load(&r->env->stopping) && strcmp(st->status, deploy_status_name(DEP_PENDING)) == 0) {
        step_end(r, st, DEP_PENDING, DEV_FAIL, -1, "not run: slipway stopped before the step began");
    } else if (strcmp(st->status, deploy_status_name(DEP_PENDING)) == 0) {
        return run_script(r, j, st, DEP_PENDING);
    } else if (st->docker) { /* RUNNING on a docker host: its container is found again by its name (container_begin) */
        system_line(r, "slipway stopped while the step's container ran: finding the container again");
        return run_script(r, j, st, DEP_RUNNING);
    } else if (st->idempotent) { /* RUNNING: the step ran before, and its process died while the script ran */
        system_line(r, "slipway stopped while the script ran; the script is idempotent: running it again");
        return run_script(r, j, st, DEP_RUNNING);
    } else {
        step_end(r, st, DEP_RUNNING, DEV_INTERRUPTED, -1,
                 "interrupted: slipway stopped while the script ran, and the script is not marked idempotent, so it is not run "
                 "again");
    }
    return false;
}

/* A line of the deployment's log from its CI/CD jobs, written at once (the job may run again on another thread next). */
static void cicd_line(void *ctx, const char *text)
{
    system_line(ctx, text);
    flush(ctx);
}

/* Every script step has ended: the deployment's CI/CD jobs (cicd.h); true when j was handed on. */
static bool cicd_jobs_run(struct run *r, struct job *j)
{
    struct deployed d;

    deployed_load(r, &d);
    if (r->err.code)
        return false;
    struct cicd_run run = {.ref = d.ref[0] ? d.ref : NULL,
                           .env = {.store = r->env->store, .keys = r->env->keys, .loop = r->env->loop},
                           .c = r->c,
                           .job = j,
                           .tenant = r->tenant,
                           .deployment = r->id,
                           .line = cicd_line,
                           .ctx = r};

    return cicd_run_step(&run, &r->err);
}

/*
 * The deployment's steps in order, each durable on its row: an ended step
 * is never run again; then the deployment ends, aggregated from them.
 */
void deploy_run_step(void *ctx, struct job *j)
{
    const struct deploy_env *env = ctx;
    const char *id = json_string_value(json_object_get(j->payload, "deploymentId"));
    struct run r = {.env = env, .tenant = j->tenant, .id = id};
    struct script_run *sr = cicd_run_call(j) ? NULL : job_attached(j); /* else a call of its CI/CD jobs (cicd.h) */
    struct step st = {0};
    struct err err;
    int64_t total = 0;
    int rc;

    err_clear(&err);
    err_clear(&r.err);
    if (!id) {
        err_set(&err, ERR_INVALID, "a deploy-run job without a deploymentId");
        job_fail(j, &err);
        return;
    }
    if (store_conn_get(env->store, &r.c, &err)) {
        job_fail(j, &err);
        return;
    }
    store_int(r.c, "SELECT COALESCE(MAX(seq), 0) FROM deployment_logs WHERE tenantId = ? AND deploymentId = ?",
              STORE_ARGS(STORE_TEXT(j->tenant), STORE_TEXT(id)), &r.seq, &r.err);
    r.seq++;
    store_int(r.c, "SELECT COUNT(*) FROM deployment_runs WHERE tenantId = ? AND deploymentId = ?",
              STORE_ARGS(STORE_TEXT(j->tenant), STORE_TEXT(id)), &total, &r.err);
    r.flushed_ms = r.checked_ms = clock_now_ms();
    if (sr) /* the step again after a script on the SSH loop */
        script_resumed(&r, sr);
    while (!r.err.code && !r.cancelled) {
        char reason[200];
        struct gate g;

        gate_load(&r, &g);
        if (r.err.code)
            break;
        if (g.status == DEP_AWAITING_APPROVAL || (g.status == DEP_SCHEDULED && g.due_ms > clock_now_ms())) {
            /* the last approval's signal, or the deadline: its time */
            if (!wait_event(&r, j, NULL, "deploy", id, g.status == DEP_SCHEDULED ? g.due_ms : JOB_NO_DEADLINE))
                break;
            goto out;
        }
        if (g.status == DEP_SCHEDULED) {
            make_due(&r);
            continue;
        }
        if (g.status != DEP_PENDING && g.status != DEP_RUNNING) { /* gone, or ended already (cancelled) */
            flush(&r);
            job_done(j);
            goto out;
        }
        if ((rc = step_next(&r, &st)) < 0)
            break;
        if (rc == 0 && cicd_jobs_run(&r, j))
            goto out; /* its CI/CD jobs: j parked on a call, or waits for a run */
        if (rc == 0 && !r.err.code) {
            conclude(&r, j);
            goto out;
        }
        if (rc == 0)
            break;
        /*
         * No step begins while the environment is frozen: not the first,
         * nor the next of a deployment under way (the one in flight has
         * ended; one found RUNNING after a crash is in flight, and is
         * ended or run again as step_run says). Its slot is not taken yet.
         */
        if (g.frozen && strcmp(st.status, deploy_status_name(DEP_PENDING)) == 0) {
            if (!wait_event(&r, j, g.reason, "deploy-env", g.environment, clock_now_ms() + THAW_RECHECK_MS))
                break;
            goto out;
        }
        if (!atomic_load(&env->stopping) && !slot_take(&r, &st, reason)) {
            if (r.err.code || !wait_event(&r, j, reason, "deploy-host", st.host, clock_now_ms() + SLOT_RECHECK_MS))
                break;
            goto out;
        }
        if (step_run(&r, j, &st, total))
            goto out; /* parked: its script runs on the SSH loop */
    }
    flush(&r);
    if (r.cancelled)
        job_done(j);
    else
        job_fail(j, &r.err);
out:
    for (int i = 0; i < r.nlines; i++)
        free(r.lines[i].message);
    free(st.body);
    store_conn_put(r.c);
}
