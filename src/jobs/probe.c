#define _POSIX_C_SOURCE 200809L
#include "jobs/probe.h"

#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "outbound/outbound.h"

#define WAIT_MS 30000    /* how long the middle step waits for its event at most */
#define TIMEOUT_MS 10000 /* how long a request to the fake may take, unless the configuration says */

struct probe {
    char url[512];
    long timeout_ms;
    struct outbound *out;
    struct jobs *q;
    json_t *enqueue; /* what to create at start, or NULL */
};

/* One step's requests, in flight on the outbound loop; attached to the job when they end. */
struct probe_call {
    struct probe *p;
    struct job *j;
    char key[JOB_KEY_SIZE];
    bool reading; /* the GET of a read-before-write step */
    bool ok;
    char why[256];
};

struct probe *probe_new(const char *config, struct outbound *out, struct err *err)
{
    json_t *c = json_loads(config, 0, NULL);
    const char *url = json_string_value(json_object_get(c, "url"));
    struct probe *p;

    if (!url || strlen(url) >= sizeof p->url) {
        json_decref(c);
        err_set(err, ERR_INVALID, "SLIPWAY_TEST_PROBE: expected {\"url\": ..., \"enqueue\": {...}}");
        return NULL;
    }
    p = xcalloc(1, sizeof *p);
    snprintf(p->url, sizeof p->url, "%s", url);
    p->timeout_ms = json_integer_value(json_object_get(c, "timeoutMs"));
    if (p->timeout_ms <= 0)
        p->timeout_ms = TIMEOUT_MS;
    p->out = out;
    p->enqueue = json_incref(json_object_get(c, "enqueue"));
    json_decref(c);
    return p;
}

void probe_free(struct probe *p)
{
    if (!p)
        return;
    json_decref(p->enqueue);
    free(p);
}

static void request(struct probe_call *pc, const char *method, const char *what);

/* The step's call ended (pc->ok, pc->why): the step runs again with it. */
static void ended(struct probe_call *pc)
{
    job_attach(pc->j, pc, free);
    job_resume(pc->j);
}

/*
 * Between the read and the write, the job's row is saved first, as
 * provider_next does before each request of a real call: the save is a
 * compare-and-swap on the lease that also renews it, so the write is sent
 * only by the job's holder, with a whole lease ahead of it. (Without it, a
 * process whose keeper was late could read, lose the job to another
 * process that read too, and both would write: seen once under load.)
 */
static void read_saved(void *arg, bool saved)
{
    struct probe_call *pc = arg;

    if (saved) {
        request(pc, "POST", "items");
        return;
    }
    pc->ok = false;
    snprintf(pc->why, sizeof pc->why, "the job is no longer this process's");
    ended(pc);
}

static void answered(const struct outbound_response *res, void *ctx)
{
    struct probe_call *pc = ctx;
    bool answer = res->failure == OUTBOUND_OK;

    if (pc->reading && answer && res->status == 404) {
        pc->reading = false; /* not there yet: write it */
        job_checkpoint(pc->j, read_saved, pc);
        return;
    }
    pc->ok = answer && res->status >= 200 && res->status < 300;
    if (!pc->ok)
        snprintf(pc->why, sizeof pc->why, "the fake answered %ld (%.200s)", answer ? res->status : 0L, answer ? "" : res->error);
    ended(pc);
}

static void request(struct probe_call *pc, const char *method, const char *what)
{
    char url[700], key[JOB_KEY_SIZE + 20], pid[40];
    const char *headers[] = {key, pid, "Content-Type: application/json", NULL};
    struct outbound_call call = {.method = method,
                                 .url = url,
                                 .headers = headers,
                                 .body = "{}",
                                 .body_len = 2,
                                 .timeout_ms = pc->p->timeout_ms,
                                 .done = answered,
                                 .ctx = pc};
    struct err err;

    snprintf(url, sizeof url, "%s/%s/%s", pc->p->url, what, pc->key);
    snprintf(key, sizeof key, "Idempotency-Key: %s", pc->key);
    snprintf(pid, sizeof pid, "X-Probe-Pid: %ld", (long)getpid());
    if (strcmp(method, "GET") == 0) {
        call.body = NULL;
        call.body_len = 0;
    }
    err_clear(&err);
    if (outbound_submit(pc->p->out, &call, &err)) {
        pc->ok = false;
        snprintf(pc->why, sizeof pc->why, "%s", err.message);
        ended(pc);
    }
}

/* The middle step: waits for its event, or signals its neighbour's. */
static void event_step(struct probe *p, struct job *j, const char *wait, const char *signal)
{
    struct err err;

    err_clear(&err);
    if (signal) {
        json_t *payload = json_pack("{s:s}", "from", j->id);
        jobs_signal(p->q, signal, payload, &err);
        json_decref(payload);
        if (err.code)
            job_fail(j, &err);
        else
            job_next(j, j->step + 1);
        return;
    }
    if (json_integer_value(json_object_get(j->data, "waited")) != j->step + 1) {
        json_object_set_new(j->data, "waited", json_integer(j->step + 1)); /* + 1: never 0, as absent is */
        job_wait(j, j->step, wait, clock_now_ms() + WAIT_MS);
        return;
    }
    json_object_set_new(j->data, "gotEvent", json_boolean(j->event != NULL));
    json_object_set_new(j->data, "timedOut", json_boolean(j->timed_out));
    job_next(j, j->step + 1);
}

void probe_step(void *ctx, struct job *j)
{
    struct probe *p = ctx;
    struct probe_call *pc = job_attached(j);
    json_int_t steps = json_integer_value(json_object_get(j->payload, "steps"));
    const char *wait = json_string_value(json_object_get(j->payload, "wait"));
    const char *signal = json_string_value(json_object_get(j->payload, "signal"));
    struct err err;

    err_clear(&err);
    if (j->step >= steps) {
        j->output = json_pack("{s:I, s:O?, s:O?}", "steps", (json_int_t)steps, "gotEvent", json_object_get(j->data, "gotEvent"),
                              "timedOut", json_object_get(j->data, "timedOut"));
        job_done(j);
        return;
    }
    if (j->step == steps / 2 && (wait || signal)) {
        event_step(p, j, wait, signal);
        return;
    }
    if (pc) {
        if (pc->ok) {
            job_next(j, j->step + 1);
        } else {
            err_set(&err, ERR_UNAVAILABLE, "%s", pc->why);
            job_fail(j, &err);
        }
        return;
    }
    pc = xcalloc(1, sizeof *pc);
    pc->p = p;
    pc->j = j;
    job_key(j, pc->key);
    pc->reading = j->step % 2 == 1;
    job_park(j);
    request(pc, pc->reading ? "GET" : "POST", pc->reading ? "items" : "keyed");
}

enum err_code probe_enqueue(struct probe *p, struct jobs *q, struct err *err)
{
    json_t *e = p->enqueue;
    const char *tag = json_string_value(json_object_get(e, "tag"));
    json_int_t count = json_integer_value(json_object_get(e, "count"));
    bool pairs = json_is_true(json_object_get(e, "pairs"));
    bool here = json_is_true(json_object_get(e, "here"));

    p->q = q;
    for (json_int_t i = 0; e && i < count; i++) {
        char dedupe[128], event[128], id[UUID_SIZE];
        snprintf(dedupe, sizeof dedupe, "probe:%s:%lld", tag ? tag : "", (long long)i);
        snprintf(event, sizeof event, "probe:%s:pair:%lld", tag ? tag : "", (long long)(i - i % 2));
        json_t *payload = json_pack("{s:O, s:s?, s:s?}", "steps", json_object_get(e, "steps"), "wait",
                                    pairs && i % 2 == 0 ? event : NULL, "signal", pairs && i % 2 == 1 ? event : NULL);
        struct job_new n = {.kind = PROBE_JOB,
                            .payload = payload,
                            .dedupe_key = dedupe,
                            .not_before_ms = json_integer_value(json_object_get(e, "notBeforeMs")),
                            .here = here};
        enum err_code rc = jobs_enqueue(q, &n, id, err);
        json_decref(payload);
        if (rc)
            return rc;
    }
    if (e)
        log_info("probe: %lld job(s) of tag %s enqueued (or there already)", (long long)count, tag ? tag : "");
    return ERR_OK;
}
