/* proof.c: a domain's proof, checked and checked again (proof.h, docs/sites.md "Re-checking proven domains"). */
#include "sites/proof.h"

#include <ctype.h>

#include "core/clock.h"
#include "core/workpool.h"
#include "core/xmalloc.h"
#include "jobs/sweep.h"
#include "notify/notify.h"
#include "outbound/dns.h"
#include "providers/call.h"
#include "tenancy/audit.h"
#include "usage/usage.h"

#define PROOF_TOKEN_SIZE 100          /* a challenge token: 43 characters today (32 bytes, base64url) */
#define PROOF_ACTOR "domain re-check" /* the re-check's actor in the audit trail (no account) */

bool proof_lost(int failures, int64_t failing_since_ms, int64_t now_ms)
{
    return failures >= PROOF_LOSS_FAILURES && now_ms - failing_since_ms >= PROOF_LOSS_SPAN_MS;
}

bool proof_http_verdict(const struct outbound_response *r, const char *token, char *problem)
{
    size_t n = r->len;

    while (n > 0 && isspace((unsigned char)r->body[n - 1]))
        n--;
    if (r->failure != OUTBOUND_OK)
        snprintf(problem, PROOF_PROBLEM_SIZE, "the domain could not be reached: %s",
                 r->failure == OUTBOUND_BLOCKED ? "it resolves to an address slipway may not call" : r->cause);
    else if (r->status != 200)
        snprintf(problem, PROOF_PROBLEM_SIZE, "the challenge URL answered HTTP %ld, not 200", r->status);
    else if (n != strlen(token) || memcmp(r->body, token, n) != 0)
        snprintf(problem, PROOF_PROBLEM_SIZE, "the challenge URL does not answer the token");
    else
        return true;
    return false;
}

enum err_code proof_http_submit(const struct sites_env *env, const char *host, const char *token, outbound_done_fn done, void *ctx,
                                struct err *err)
{
    char url[1024], host_header[HOST_NAME_MAX_LEN + 8];
    const char *headers[] = {host_header, NULL};

    /* The domain itself, or (tests, a proxy) the address configured, with the domain in the Host header either way. */
    if (env->check_address && env->check_address[0])
        snprintf(url, sizeof url, "%s" PROOF_CHALLENGE_PATH "%s", env->check_address, token);
    else
        snprintf(url, sizeof url, "http://%s" PROOF_CHALLENGE_PATH "%s", host, token);
    snprintf(host_header, sizeof host_header, "Host: %s", host);
    return env->loop->submit(env->loop->out,
                             &(struct outbound_call){.method = "GET",
                                                     .url = url,
                                                     .headers = headers,
                                                     .timeout_ms = env->loop->timeout_ms,
                                                     .label = "domain-check",
                                                     .done = done,
                                                     .ctx = ctx},
                             err);
}

bool proof_dns(const char *resolver, long timeout_ms, const char *label, const char *host, const char *token, char *problem)
{
    char name[HOST_NAME_MAX_LEN + 32];
    struct err err;
    int found;

    err_clear(&err);
    snprintf(name, sizeof name, "%s.%s", label, host);
    found = dns_txt_match(resolver, name, token, (int)timeout_ms, &err);
    if (found < 0)
        snprintf(problem, PROOF_PROBLEM_SIZE, "%.150s", err.message);
    else if (found == 0)
        snprintf(problem, PROOF_PROBLEM_SIZE, "no TXT record at %.120s holds the token", name);
    return found > 0;
}

/* ---- the sweep: a re-check queued for each proven domain checked longer ago than SLIPWAY_DOMAIN_RECHECK ---- */

/* A due domain (its key: a site domain's id, or an SSO domain; tenantId): one re-check a pass. */
static enum err_code recheck_due(struct store_conn *c, const struct sites_env *env, const struct job *j, const char *kind,
                                 const char *const *cols, struct err *err)
{
    char job[UUID_SIZE], dedupe[300];
    json_t *payload = json_pack("{s:s, s:s}", "kind", kind, "key", cols[0]);

    snprintf(dedupe, sizeof dedupe, PROOF_RECHECK_JOB ":%s:%.253s:%d", kind, cols[0], j->cycle);
    jobs_enqueue_in(c, env->jobs,
                    &(struct job_new){
                        .kind = PROOF_RECHECK_JOB, .tenant = cols[1], .payload = payload, .dedupe_key = dedupe, .max_attempts = 1},
                    job, err);
    json_decref(payload);
    return err->code;
}

static enum err_code site_due(struct store_conn *c, const void *ctx, const struct job *j, const char *const *cols, struct err *err)
{
    return recheck_due(c, ctx, j, "site", cols, err);
}

static enum err_code sso_due(struct store_conn *c, const void *ctx, const struct job *j, const char *const *cols, struct err *err)
{
    return recheck_due(c, ctx, j, "sso", cols, err);
}

void proof_sweep_step(void *ctx, struct job *j)
{
    const struct sites_env *env = ctx;
    bool dns = env->dns_resolver && env->dns_resolver[0];
    char before[TIMESTAMP_SIZE];
    struct store_val args[3];

    clock_format(clock_now_ms() - (int64_t)env->recheck_s * 1000, before);
    args[0] = STORE_TIME(before);
    args[1] = STORE_BOOL(dns);
    args[2] = STORE_INT(PROOF_SWEEP_BATCH);
    /* A DNS proof without a resolver to ask (SLIPWAY_DNS_RESOLVER removed) is not re-checked: it stays as it was. */
    const struct sweep sso = {.name = "the domain re-check",
                              .store = env->store,
                              .jobs = env->jobs,
                              .sql = "SELECT domain, tenantId FROM iam_domains WHERE provenAt IS NOT NULL AND challengeToken IS "
                                     "NOT NULL AND lastCheckedAt < ? ORDER BY lastCheckedAt, domain LIMIT ?",
                              .args = (const struct store_val[]){args[0], args[2]},
                              .nargs = 2,
                              .ncols = 2,
                              .due = sso_due,
                              .ctx = env};
    sweep_pass(&(struct sweep){.name = sso.name,
                               .store = env->store,
                               .jobs = env->jobs,
                               .sql = "SELECT id, tenantId FROM domains WHERE status = 'VERIFIED' AND lastCheckedAt < ? AND "
                                      "(proofMethod IS NULL OR proofMethod = 'http' OR ?) ORDER BY lastCheckedAt, id LIMIT ?",
                               .args = args,
                               .nargs = ARRAY_LEN(args),
                               .ncols = 2,
                               .due = site_due,
                               .ctx = env,
                               .next = dns ? &sso : NULL},
               j);
}

/* ---- one re-check ---- */

/* A re-check in flight, attached to its job when it ends. */
struct recheck {
    struct job *j;
    const struct sites_env *env;
    bool sso;                        /* an SSO e-mail domain (iam_domains), not a site's (domains) */
    bool dns;                        /* a TXT record, not the challenge URL */
    bool asked;                      /* false: the check could not be made (the loop or pool refused it): no verdict */
    bool proven;                     /* the proof is there */
    char key[HOST_NAME_MAX_LEN + 1]; /* the domain's id, or the SSO domain */
    char site[UUID_SIZE];            /* a site domain's site (its check is that site's use); "" for an SSO domain */
    char host[HOST_NAME_MAX_LEN + 1], token[PROOF_TOKEN_SIZE], problem[PROOF_PROBLEM_SIZE];
};

/* The domain k names, still proven, into k: 1, or 0 when it is not (gone, or no longer proven), -1 on error. */
static int recheck_load(struct recheck *k, const char *tenant, struct err *err)
{
    struct store_row row;
    int rc;

    if (k->sso)
        rc = store_lookup(k->env->store,
                          "SELECT domain, challengeToken, 'dns', '' FROM iam_domains WHERE tenantId = ? AND domain = ? AND "
                          "provenAt IS NOT NULL AND challengeToken IS NOT NULL",
                          STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(k->key)), 4, &row, err);
    else
        rc = store_lookup(k->env->store,
                          "SELECT hostName, challengeToken, proofMethod, siteId FROM domains WHERE tenantId = ? AND id = ? AND "
                          "status = 'VERIFIED'",
                          STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(k->key)), 4, &row, err);
    if (rc == 1) {
        snprintf(k->host, sizeof k->host, "%s", store_row_text(&row, 0));
        snprintf(k->token, sizeof k->token, "%s", store_row_text(&row, 1));
        k->dns = store_row_text(&row, 2) && strcmp(store_row_text(&row, 2), "dns") == 0;
        snprintf(k->site, sizeof k->site, "%s", store_row_text(&row, 3) ? store_row_text(&row, 3) : "");
    }
    return rc;
}

static void recheck_answered(struct recheck *k)
{
    k->asked = true;
    job_attach(k->j, k, free);
    job_resume(k->j);
}

/* On the loop thread: the verdict only; the step records it on a worker. */
static void recheck_http_done(const struct outbound_response *r, void *ctx)
{
    struct recheck *k = ctx;

    k->proven = proof_http_verdict(r, k->token, k->problem);
    recheck_answered(k);
}

/* On the DNS pool. */
static void recheck_dns_run(void *arg)
{
    struct recheck *k = arg;

    k->proven = proof_dns(k->env->dns_resolver, k->env->loop->timeout_ms, k->sso ? PROOF_SSO_LABEL : PROOF_SITE_LABEL, k->host,
                          k->token, k->problem);
    recheck_answered(k);
}

struct record_tx {
    struct job *j;
    const struct recheck *k;
    bool lost; /* this check lost the proof */
};

/* After a failed check's count: the run of failures and since when, and the site or provider (target); 0: no row. */
static int record_read(struct store_conn *c, const struct record_tx *t, int64_t *failures, int64_t *since_ms, char *target,
                       struct err *err)
{
    const struct recheck *k = t->k;
    struct store_stmt *st;
    int rc;

    if (store_select(c,
                     k->sso ? "SELECT failures, failingSince, providerId FROM iam_domains WHERE tenantId = ? AND domain = ?"
                            : "SELECT failures, failingSince, siteId FROM domains WHERE tenantId = ? AND id = ?",
                     STORE_ARGS(STORE_TEXT(t->j->tenant), STORE_TEXT(k->key)), &st, err))
        return -1;
    if ((rc = store_next(st, err)) == 1) {
        *failures = store_col_int(st, 0);
        if (!store_col_text(st, 1) || clock_parse(store_col_text(st, 1), since_ms))
            *since_ms = clock_now_ms();
        snprintf(target, UUID_SIZE, "%s", store_col_text(st, 2));
    }
    store_finish(st);
    return rc;
}

/* The proof is gone for good: the audit row and the event, in the check's transaction. */
static enum err_code record_loss(struct store_conn *c, const struct record_tx *t, int64_t failures, const char *target,
                                 struct err *err)
{
    const struct recheck *k = t->k;
    char message[HOST_NAME_MAX_LEN + PROOF_PROBLEM_SIZE + 160];
    json_t *fields;
    json_t *details = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "kind", k->sso ? "sso" : "site", "hostName", k->host,
                                k->sso ? "providerId" : "siteId", target, "method", k->dns ? "dns" : "http", "failures",
                                (json_int_t)failures, "lastError", k->problem);

    audit_write(c, NULL,
                &(struct audit_event){.tenant_id = t->j->tenant,
                                      .action = "domain.proof.lost",
                                      .target_type = k->sso ? "iam_provider" : "domain",
                                      .target_id = k->sso ? target : k->key,
                                      .details = details,
                                      .actor_email = PROOF_ACTOR},
                err);
    /* A chat message about no release says what its "message" says (notify.c). */
    fields = json_copy(details);
    snprintf(message, sizeof message, "%s %s lost its proof: %d checks in a row did not find it (%s)%s",
             k->sso ? "The SSO domain" : "The domain", k->host, (int)failures, k->problem,
             k->sso ? "; the login page no longer offers its provider" : "; it is no longer served");
    json_object_set_new(fields, "message", json_string(message));
    if (!err->code)
        notify_emit(c, t->j->tenant, "domain.proof.lost", k->sso ? "iam_provider" : "domain", k->sso ? target : k->key, fields,
                    err);
    json_decref(fields);
    json_decref(details);
    return err->code;
}

/*
 * The check counted in the row, which must still be proven: a success ends
 * the run of failures, a failure adds to it in the statement itself (a
 * concurrent write, an owner's check, is never counted over), then the rule.
 */
static enum err_code record_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct record_tx *t = ctx;
    const struct recheck *k = t->k;
    const char *tenant = t->j->tenant, *problem = k->proven ? NULL : k->problem;
    char now[TIMESTAMP_SIZE], target[UUID_SIZE] = "";
    int64_t changes = 0, failures = 0, since_ms = 0;

    clock_now(now);
    t->lost = false;
    if (k->sso)
        store_run(c,
                  "UPDATE iam_domains SET lastCheckedAt = ?, lastError = ?, failures = CASE WHEN ? THEN 0 ELSE failures + 1 END, "
                  "failingSince = CASE WHEN ? THEN NULL ELSE COALESCE(failingSince, ?) END WHERE tenantId = ? AND domain = ? "
                  "AND provenAt IS NOT NULL",
                  STORE_ARGS(STORE_TIME(now), STORE_TEXT(problem), STORE_BOOL(k->proven), STORE_BOOL(k->proven), STORE_TIME(now),
                             STORE_TEXT(tenant), STORE_TEXT(k->key)),
                  &changes, err);
    else
        store_run(c,
                  "UPDATE domains SET lastCheckedAt = ?, lastError = ?, failures = CASE WHEN ? THEN 0 ELSE failures + 1 END, "
                  "failingSince = CASE WHEN ? THEN NULL ELSE COALESCE(failingSince, ?) END, updatedAt = ? WHERE tenantId = ? "
                  "AND id = ? AND status = 'VERIFIED'",
                  STORE_ARGS(STORE_TIME(now), STORE_TEXT(problem), STORE_BOOL(k->proven), STORE_BOOL(k->proven), STORE_TIME(now),
                             STORE_TIME(now), STORE_TEXT(tenant), STORE_TEXT(k->key)),
                  &changes, err);
    if (err->code || changes == 0 || k->proven) /* changes 0: no longer proven (removed, or lost) */
        return err->code ? err->code : job_done_in(c, t->j, err);
    if (record_read(c, t, &failures, &since_ms, target, err) < 0)
        return err->code;
    if ((t->lost = proof_lost((int)failures, since_ms, clock_now_ms()))) {
        if (k->sso)
            store_run(c, "UPDATE iam_domains SET provenAt = NULL WHERE tenantId = ? AND domain = ?",
                      STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(k->key)), NULL, err);
        else
            store_run(c, "UPDATE domains SET status = 'FAILED' WHERE tenantId = ? AND id = ?",
                      STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(k->key)), NULL, err);
        if (!err->code)
            record_loss(c, t, failures, target, err);
    }
    if (!err->code)
        job_done_in(c, t->j, err);
    return err->code;
}

/* With the check's verdict: recorded with the job's end, in one transaction. */
static void recheck_record(struct job *j, const struct recheck *k)
{
    struct record_tx t = {.j = j, .k = k};
    struct store_conn *c = NULL;
    struct err err;

    err_clear(&err);
    if (!k->asked)
        err_set(&err, ERR_UNAVAILABLE, "the check could not be made: %s", k->problem);
    else if (store_conn_get(k->env->store, &c, &err) == ERR_OK)
        store_tx(c, record_body, &t, &err);
    store_conn_put(c);
    if (err.code) {
        job_fail(j, &err);
        return;
    }
    usage_count(j->tenant, k->site, USAGE_DOMAIN_CHECKS, 1);
    if (t.lost && !k->sso) {
        sites_host_forget(k->host);
        sites_changed();
    }
    job_done(j);
}

void proof_recheck_step(void *ctx, struct job *j)
{
    const struct sites_env *env = ctx;
    struct recheck *k = job_attached(j);
    const char *kind = json_string_value(json_object_get(j->payload, "kind"));
    const char *key = json_string_value(json_object_get(j->payload, "key"));
    struct err err;
    int rc;

    if (k) {
        recheck_record(j, k);
        return;
    }
    err_clear(&err);
    k = xcalloc(1, sizeof *k);
    k->j = j;
    k->env = env;
    k->sso = kind && strcmp(kind, "sso") == 0;
    snprintf(k->key, sizeof k->key, "%s", key ? key : "");
    if ((rc = recheck_load(k, j->tenant, &err)) <= 0) {
        free(k);
        if (rc < 0)
            job_fail(j, &err);
        else
            job_done(j); /* removed, or its proof lost, since the sweep queued it */
        return;
    }
    job_park(j);
    if (k->dns) {
        if (!(env->dns_resolver && env->dns_resolver[0]) || workpool_submit(env->dns_pool, recheck_dns_run, k) != 0) {
            snprintf(k->problem, sizeof k->problem, "no DNS resolver is free");
            job_attach(j, k, free);
            job_resume(j);
        }
    } else if (proof_http_submit(env, k->host, k->token, recheck_http_done, k, &err)) {
        snprintf(k->problem, sizeof k->problem, "%.150s", err.message);
        job_attach(j, k, free);
        job_resume(j);
    }
}
