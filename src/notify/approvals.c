/* approvals.c: a deployment's approvers asked by mail (approvals.h). */
#include "notify/approvals.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/rand.h"
#include "core/utf8.h"
#include "http/request.h"
#include "http/schema.h"
#include "jobs/jobs.h"
#include "mail/mail.h"
#include "notify/notify.h"

#define DEDUPE_SIZE 300 /* "approval-mail:", a deployment's id, ":" and an account's (255 at most) */

#define NO_INTEGRATION "00000000-0000-0000-0000-000000000000" /* no row's: PostgreSQL's uuid columns take no "" */

/* Whether role is one of roles: a JSON array (release configurations) or comma-separated words (environments). */
static bool role_in(const char *role, const char *roles)
{
    json_t *list = roles[0] == '[' ? json_loads(roles, 0, NULL) : NULL, *v;
    bool in = false;
    size_t i, len;

    json_array_foreach(list, i, v) in |= json_is_string(v) && strcmp(json_string_value(v), role) == 0;
    json_decref(list);
    for (const char *r = roles; !in && roles[0] != '[' && *r; r += len + (r[len] == ','))
        in = (len = strcspn(r, ",")) == strlen(role) && strncmp(r, role, len) == 0;
    return in;
}

/* What an approval mail says of its subject: its subject line and the sentence that says what waits (text; HTML, escaped). */
typedef void (*approval_words_fn)(const json_t *p, struct buf *subject, struct buf *text, struct buf *html);
static void deployment_words(const json_t *p, struct buf *subject, struct buf *text, struct buf *html);
static void release_words(const json_t *p, struct buf *subject, struct buf *text, struct buf *html);

/*
 * The events that ask for approvals, and who is asked: the query of a
 * subject still waiting (columns: account id, name, e-mail, role, the roles
 * that may approve, the kept mention's id and user), and the roles when
 * none are set. Their mails: the key the job's payload names the subject
 * by, the query of its current round (a release's candidate: a mail is of
 * the candidate it was made for, its payload's candidateNumber; NULL: no
 * rounds), and its words.
 */
static const struct approval_subject {
    const char *event, *sql, *default_roles;
    const char *id_key, *round_sql;
    approval_words_fn words;
} approval_subjects[] = {
    {"deployment.approval.requested",
     "SELECT a.id, a.name, a.email, m.role, e.approverRoles, u.id, u.userRef FROM deployments s "
     "JOIN tenant_members m ON m.tenantId = s.tenantId JOIN accounts a ON a.id = m.accountId "
     "LEFT JOIN environments e ON e.tenantId = s.tenantId AND e.id = s.environmentId "
     "LEFT JOIN notification_mentions u ON u.tenantId = s.tenantId AND u.integrationId = ? AND u.email = a.email "
     "AND (u.resolvedAt > ? OR (u.userRef IS NOT NULL AND u.resolvedAt > ?)) "
     "WHERE s.tenantId = ? AND s.id = ? AND a.disabledAt IS NULL "
     "AND s.status = 'AWAITING_APPROVAL' AND (s.requestedByAccountId IS NULL OR a.id <> s.requestedByAccountId) "
     "AND NOT EXISTS (SELECT 1 FROM deployment_approvals p WHERE p.tenantId = s.tenantId AND p.deploymentId = s.id "
     "AND p.accountId = a.id) ORDER BY a.id",
     "editor,owner", "deploymentId", NULL, deployment_words},
    /* a release's regression approvals: of its current candidate (releases_http.c's approve) */
    {NOTIFY_RELEASE_APPROVAL_EVENT,
     "SELECT a.id, a.name, a.email, m.role, c.approvalRoles, u.id, u.userRef FROM releases s "
     "JOIN tenant_members m ON m.tenantId = s.tenantId JOIN accounts a ON a.id = m.accountId "
     "LEFT JOIN release_configs c ON c.tenantId = s.tenantId "
     "LEFT JOIN notification_mentions u ON u.tenantId = s.tenantId AND u.integrationId = ? AND u.email = a.email "
     "AND (u.resolvedAt > ? OR (u.userRef IS NOT NULL AND u.resolvedAt > ?)) "
     "WHERE s.tenantId = ? AND s.id = ? AND a.disabledAt IS NULL "
     "AND s.status = 'REGRESSION' AND NOT EXISTS (SELECT 1 FROM release_approvals p WHERE p.tenantId = s.tenantId "
     "AND p.releaseId = s.id AND p.candidateNumber = s.candidateNumber AND p.accountId = a.id) ORDER BY a.id",
     NOTIFY_RELEASE_DEFAULT_ROLES, "releaseId", "SELECT candidateNumber FROM releases WHERE tenantId = ? AND id = ?",
     release_words},
};

/* The entry of event, or NULL: an event that asks no one. */
static const struct approval_subject *subject_of(const char *event)
{
    for (size_t k = 0; event && k < ARRAY_LEN(approval_subjects); k++)
        if (strcmp(approval_subjects[k].event, event) == 0)
            return &approval_subjects[k];
    return NULL;
}

json_t *notify_approvers_list(struct store_conn *c, const char *tenant, const char *event, const char *subject,
                              const char *integration, struct err *err)
{
    char found[TIMESTAMP_SIZE], miss[TIMESTAMP_SIZE];
    const struct approval_subject *k = subject_of(event);
    struct store_stmt *st;
    json_t *out = json_array(), *a;
    int rc;

    if (!k || !subject) /* an event that asks no one */
        return out;
    clock_format(clock_now_ms() - (int64_t)NOTIFY_MENTION_TTL_S * 1000, found);
    clock_format(clock_now_ms() - (int64_t)NOTIFY_MENTION_MISS_TTL_S * 1000, miss);
    if (store_select(c, k->sql,
                     STORE_ARGS(STORE_TEXT(integration ? integration : NO_INTEGRATION), STORE_TIME(miss), STORE_TIME(found),
                                STORE_TEXT(tenant), STORE_TEXT(subject)),
                     &st, err)) {
        json_decref(out);
        return NULL;
    }
    while ((rc = store_next(st, err)) == 1) {
        if (!role_in(store_col_text(st, 3), store_col_null(st, 4) ? k->default_roles : store_col_text(st, 4)))
            continue;
        a = json_pack("{s:s, s:s, s:s}", "accountId", store_col_text(st, 0), "name", store_col_text(st, 1), "email",
                      store_col_text(st, 2));
        if (!store_col_null(st, 5))
            json_object_set_new(a, "userRef", json_text_or_null(store_col_text(st, 6)));
        json_array_append_new(out, a);
    }
    store_finish(st);
    if (rc < 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

json_t *notify_release_approval_fields(struct store_conn *c, const char *tenant, struct err *err)
{
    json_t *out = NULL, *roles;
    struct store_stmt *st;
    int rc;

    if (store_select(c, "SELECT approvalRoles, approvalCount FROM release_configs WHERE tenantId = ?",
                     STORE_ARGS(STORE_TEXT(tenant)), &st, err))
        return NULL;
    rc = store_next(st, err);
    roles = json_loads(rc == 1 && !store_col_null(st, 0) ? store_col_text(st, 0) : NOTIFY_RELEASE_DEFAULT_ROLES, 0, NULL);
    if (!json_is_array(roles)) {
        json_decref(roles);
        roles = json_array();
    }
    if (rc >= 0) /* roles is the pack's now */
        out = json_pack("{s:o, s:I}", "approvalRoles", roles, "approvalCount", (json_int_t)(rc == 1 ? store_col_int(st, 1) : 1));
    else
        json_decref(roles);
    store_finish(st);
    return out;
}

enum err_code notify_mention_keep(struct store_conn *c, const char *tenant, const char *integration, const char *email,
                                  const char *user_ref, struct err *err)
{
    char id[UUID_SIZE], now[TIMESTAMP_SIZE];

    rand_uuid(id);
    clock_now(now);
    if (store_run(c, "DELETE FROM notification_mentions WHERE tenantId = ? AND integrationId = ? AND email = ?",
                  STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(integration), STORE_TEXT(email)), NULL, err) == ERR_OK)
        store_run(c,
                  "INSERT INTO notification_mentions (id, tenantId, integrationId, email, userRef, resolvedAt) "
                  "VALUES (?, ?, ?, ?, ?, ?)",
                  STORE_ARGS(STORE_TEXT(id), STORE_TEXT(tenant), STORE_TEXT(integration), STORE_TEXT(email), STORE_TEXT(user_ref),
                             STORE_TIME(now)),
                  NULL, err);
    return err->code;
}

/*
 * One mail job, in c's transaction, for each approver of id (subject k)
 * still to approve but skip (NULL: none): base's fields (borrowed), the
 * subject's id under k's key and the account's; dedupe key
 * "approval-mail:<id>[:<round>]:<account>", so one mail an approver (a
 * round), whatever runs twice. Without instance mail none. fields gets
 * approversAsked: how many.
 */
static enum err_code approvers_mail(struct store_conn *c, const char *tenant, const struct approval_subject *k, const char *id,
                                    int64_t round, const char *skip, const json_t *base, json_t *fields, struct err *err)
{
    json_t *asked = notify_mail_on() ? notify_approvers_list(c, tenant, k->event, id, NULL, err) : json_array(), *payload, *v;
    char dedupe[DEDUPE_SIZE], job[UUID_SIZE], rounds[24] = "";
    const char *account;
    json_int_t n = 0;
    size_t i;

    if (!asked)
        return err->code;
    if (k->round_sql)
        snprintf(rounds, sizeof rounds, ":%lld", (long long)round);
    json_array_foreach(asked, i, v)
    {
        account = json_string_value(json_object_get(v, "accountId"));
        if (err->code)
            break;
        if (skip && strcmp(account, skip) == 0)
            continue;
        payload = json_deep_copy(base);
        json_object_set_new(payload, k->id_key, json_string(id));
        json_object_set_new(payload, "accountId", json_string(account));
        snprintf(dedupe, sizeof dedupe, "%s:%s%s:%s", NOTIFY_APPROVAL_MAIL_JOB, id, rounds, account);
        jobs_enqueue_in(c, notify_jobs(),
                        &(struct job_new){.kind = NOTIFY_APPROVAL_MAIL_JOB,
                                          .tenant = tenant,
                                          .payload = payload,
                                          .dedupe_key = dedupe,
                                          .max_attempts = NOTIFY_APPROVAL_MAIL_ATTEMPTS},
                        job, err);
        json_decref(payload);
        n++;
    }
    if (!err->code)
        json_object_set_new(fields, "approversAsked", json_integer(n));
    json_decref(asked);
    return err->code;
}

enum err_code notify_approvers_ask(struct store_conn *c, const char *tenant, const char *deployment, json_t *fields,
                                   struct err *err)
{
    const json_t *dep = json_object_get(fields, "deployment");
    json_t *base = json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?, s:O?}", "summary", json_object_get(dep, "summary"), "environmentName",
                             json_object_get(dep, "environmentName"), "requestedByName", json_object_get(dep, "requestedByName"),
                             "url", json_object_get(dep, "url"), "approverRoles", json_object_get(fields, "approverRoles"),
                             "requiredApprovals", json_object_get(fields, "requiredApprovals"));

    approvers_mail(c, tenant, subject_of("deployment.approval.requested"), deployment, 0, NULL, base, fields, err);
    json_decref(base);
    return err->code;
}

enum err_code notify_release_approvers_ask(struct store_conn *c, const char *tenant, const char *release, json_t *fields,
                                           struct err *err)
{
    char link[NOTIFY_LINK_SIZE], starter[256] = "";
    struct store_stmt *st;
    json_t *base = NULL;
    int64_t candidate = 0;
    int rc;

    if (store_select(
            c, "SELECT version, candidateNumber, candidateTag, createdByAccountId FROM releases WHERE tenantId = ? AND id = ?",
            STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(release)), &st, err))
        return err->code;
    notify_link(tenant, "releases", release, link);
    if ((rc = store_next(st, err)) == 1) {
        candidate = store_col_int(st, 1);
        snprintf(starter, sizeof starter, "%s", store_col_null(st, 3) ? "" : store_col_text(st, 3));
        base = json_pack("{s:s, s:I, s:o, s:o, s:O?, s:O?}", "version", store_col_text(st, 0), "candidateNumber",
                         (json_int_t)candidate, "candidateTag", json_text_or_null(store_col_text(st, 2)), "url",
                         link[0] ? json_string(link) : json_null(), "approverRoles", json_object_get(fields, "approvalRoles"),
                         "requiredApprovals", json_object_get(fields, "approvalCount"));
    }
    store_finish(st);
    if (rc == 1) /* its starter knows it waits: not asked, as a deployment's requester is not (they may approve it still) */
        approvers_mail(c, tenant, subject_of(NOTIFY_RELEASE_APPROVAL_EVENT), release, candidate, starter[0] ? starter : NULL, base,
                       fields, err);
    json_decref(base);
    return rc < 0 ? err->code : rc == 0 ? err_set(err, ERR_NOT_FOUND, "the release is gone") : err->code;
}

static const char *text_of(const json_t *o, const char *key, const char *otherwise)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v && v[0] ? v : otherwise;
}

/* Appends s to b, escaped when html. */
static void words_put(struct buf *b, bool html, const char *s)
{
    if (html)
        notify_html_append(b, s);
    else
        buf_appends(b, s);
}

/* "ship on web-1 to production": who asks to deploy what where. */
static void deployment_words(const json_t *p, struct buf *subject, struct buf *text, struct buf *html)
{
    const char *summary = text_of(p, "summary", "a deployment"), *env = text_of(p, "environmentName", "its environment");

    buf_printf(subject, "Approval needed: %s to %s", summary, env);
    for (int h = 0; h < 2; h++) {
        struct buf *b = h ? html : text;
        words_put(b, h, text_of(p, "requestedByName", "Someone"));
        buf_appends(b, h ? " asks to deploy <strong>" : " asks to deploy ");
        words_put(b, h, summary);
        buf_appends(b, h ? "</strong> to <strong>" : " to ");
        words_put(b, h, env);
        buf_appends(b, h ? "</strong>." : ".");
    }
}

/* "release 1.2.0, candidate 2": which candidate of which release is built and waits. */
static void release_words(const json_t *p, struct buf *subject, struct buf *text, struct buf *html)
{
    const char *version = text_of(p, "version", "a release"), *tag = text_of(p, "candidateTag", NULL);
    char number[24];

    snprintf(number, sizeof number, "%lld", (long long)json_integer_value(json_object_get(p, "candidateNumber")));
    buf_printf(subject, "Approval needed: release %s, candidate %s", version, number);
    for (int h = 0; h < 2; h++) {
        struct buf *b = h ? html : text;
        buf_appends(b, h ? "Release <strong>" : "Release ");
        words_put(b, h, version);
        buf_appends(b, h ? "</strong>, candidate " : ", candidate ");
        buf_appends(b, number);
        if (tag) {
            buf_appends(b, " (");
            words_put(b, h, tag);
            buf_appends(b, ")");
        }
        buf_appends(b, ", is built and waits for its regression approvals.");
    }
}

/* The mail to an approver of subject k: names only (the subject's id is in its link). Caller owns. */
static json_t *approval_message(const struct approval_subject *k, const json_t *p)
{
    const json_t *roles = json_object_get(p, "approverRoles"), *v;
    json_int_t needed = json_integer_value(json_object_get(p, "requiredApprovals"));
    struct buf subject, text, html, who;
    json_t *out;
    size_t i;

    buf_init(&subject, 2048);
    buf_init(&text, 16384);
    buf_init(&html, 32768);
    buf_init(&who, 256);
    json_array_foreach(roles, i, v) buf_printf(&who, "%s%s", i ? " or " : "", json_string_value(v));
    buf_appends(&html, "<!DOCTYPE html>\n<html><body>\n<p>");
    k->words(p, &subject, &text, &html);
    buf_printf(&text,
               "\r\n\r\nIt waits for %lld approval%s from members who are %s, as you are. See it and approve it:\r\n%s\r\n\r\n-- "
               "\r\nslipway\r\n",
               (long long)(needed > 0 ? needed : 1), needed > 1 ? "s" : "", who.data ? who.data : "an approver",
               text_of(p, "url", ""));
    buf_appends(&html, "</p>\n<p><a href=\"");
    notify_html_append(&html, text_of(p, "url", ""));
    buf_appends(&html, "\">See it and approve it</a></p>\n<p style=\"color:#666\">slipway</p>\n</body></html>\n");
    out = json_pack("{s:s, s:s, s:s}", "subject", subject.data ? subject.data : "Approval needed", "text",
                    text.data ? text.data : "", "html", html.data ? html.data : "");
    buf_free(&subject);
    buf_free(&text);
    buf_free(&html);
    buf_free(&who);
    return out;
}

/*
 * The mail to the approver of j, if they are still to be asked (of the
 * round j was made for); else ERR_NOT_FOUND (approved, cancelled, a new
 * candidate, disabled or no longer an approver meanwhile: nothing to ask).
 */
static enum err_code approval_prepare(struct store_conn *c, const struct job *j, struct mail_out *out, struct err *err)
{
    const struct approval_subject *k = approval_subjects;
    const char *account = json_string_value(json_object_get(j->payload, "accountId")), *id;
    json_t *approvers, *a;
    int64_t round = 0;
    bool ask = false;
    size_t i;

    while (k < approval_subjects + ARRAY_LEN(approval_subjects) - 1 && !json_object_get(j->payload, k->id_key))
        k++;
    id = json_string_value(json_object_get(j->payload, k->id_key));
    if (k->round_sql && (store_int(c, k->round_sql, STORE_ARGS(STORE_TEXT(j->tenant), STORE_TEXT(id)), &round, err) ||
                         round != json_integer_value(json_object_get(j->payload, "candidateNumber"))))
        return err->code ? err->code : err_set(err, ERR_NOT_FOUND, "a round after the one asked of");
    if (!(approvers = notify_approvers_list(c, j->tenant, k->event, id, NULL, err)))
        return err->code;
    json_array_foreach(approvers, i, a) if (account && strcmp(json_string_value(json_object_get(a, "accountId")), account) == 0)
    {
        utf8_copy(out->to, sizeof out->to, json_string_value(json_object_get(a, "email")));
        ask = true;
    }
    json_decref(approvers);
    if (!ask)
        return err_set(err, ERR_NOT_FOUND, "nothing to ask any more");
    out->message = approval_message(k, j->payload);
    return ERR_OK;
}

void notify_approval_mail_step(void *ctx, struct job *j)
{
    mail_job_step(ctx, j, approval_prepare);
}
