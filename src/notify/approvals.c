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

/*
 * The events that ask for approvals, and who is asked: the query of a
 * subject still waiting (columns: account id, name, e-mail, role, the roles
 * that may approve, the kept mention's id and user), and the roles when
 * none are set.
 */
static const struct {
    const char *event, *sql, *default_roles;
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
     "editor,owner"},
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
     NOTIFY_RELEASE_DEFAULT_ROLES},
};

json_t *notify_approvers_list(struct store_conn *c, const char *tenant, const char *event, const char *subject,
                              const char *integration, struct err *err)
{
    char found[TIMESTAMP_SIZE], miss[TIMESTAMP_SIZE];
    struct store_stmt *st;
    json_t *out = json_array(), *a;
    size_t k = 0;
    int rc;

    while (k < ARRAY_LEN(approval_subjects) && strcmp(approval_subjects[k].event, event) != 0)
        k++;
    if (k == ARRAY_LEN(approval_subjects) || !subject) /* an event that asks no one */
        return out;
    clock_format(clock_now_ms() - (int64_t)NOTIFY_MENTION_TTL_S * 1000, found);
    clock_format(clock_now_ms() - (int64_t)NOTIFY_MENTION_MISS_TTL_S * 1000, miss);
    if (store_select(c, approval_subjects[k].sql,
                     STORE_ARGS(STORE_TEXT(integration ? integration : NO_INTEGRATION), STORE_TIME(miss), STORE_TIME(found),
                                STORE_TEXT(tenant), STORE_TEXT(subject)),
                     &st, err)) {
        json_decref(out);
        return NULL;
    }
    while ((rc = store_next(st, err)) == 1) {
        if (!role_in(store_col_text(st, 3), store_col_null(st, 4) ? approval_subjects[k].default_roles : store_col_text(st, 4)))
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

enum err_code notify_approvers_ask(struct store_conn *c, const char *tenant, const char *deployment, json_t *fields,
                                   struct err *err)
{
    const json_t *dep = json_object_get(fields, "deployment"), *v;
    json_t *asked = notify_mail_on() ? notify_approvers_list(c, tenant, "deployment.approval.requested", deployment, NULL, err)
                                     : json_array(),
           *payload;
    char dedupe[DEDUPE_SIZE], job[UUID_SIZE];
    const char *account;
    size_t i;

    if (!asked)
        return err->code;
    json_array_foreach(asked, i, v)
    {
        if (err->code)
            break;
        account = json_string_value(json_object_get(v, "accountId"));
        payload = json_pack("{s:s, s:s, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?}", "deploymentId", deployment, "accountId", account,
                            "summary", json_object_get(dep, "summary"), "environmentName", json_object_get(dep, "environmentName"),
                            "requestedByName", json_object_get(dep, "requestedByName"), "url", json_object_get(dep, "url"),
                            "approverRoles", json_object_get(fields, "approverRoles"), "requiredApprovals",
                            json_object_get(fields, "requiredApprovals"));
        snprintf(dedupe, sizeof dedupe, "%s:%s:%s", NOTIFY_APPROVAL_MAIL_JOB, deployment, account);
        jobs_enqueue_in(c, notify_jobs(),
                        &(struct job_new){.kind = NOTIFY_APPROVAL_MAIL_JOB,
                                          .tenant = tenant,
                                          .payload = payload,
                                          .dedupe_key = dedupe,
                                          .max_attempts = NOTIFY_APPROVAL_MAIL_ATTEMPTS},
                        job, err);
        json_decref(payload);
    }
    if (!err->code)
        json_object_set_new(fields, "approversAsked", json_integer((json_int_t)json_array_size(asked)));
    json_decref(asked);
    return err->code;
}

static const char *text_of(const json_t *o, const char *key, const char *otherwise)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v && v[0] ? v : otherwise;
}

/* The mail to an approver: names only (the deployment's id is in its link). Caller owns. */
static json_t *approval_message(const json_t *p)
{
    const char *summary = text_of(p, "summary", "a deployment"), *env = text_of(p, "environmentName", "its environment");
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
    buf_printf(&subject, "Approval needed: %s to %s", summary, env);
    buf_printf(&text,
               "%s asks to deploy %s to %s.\r\n\r\nIt waits for %lld approval%s from members who are %s, as you are. See it "
               "and approve it:\r\n%s\r\n\r\n-- \r\nslipway\r\n",
               text_of(p, "requestedByName", "Someone"), summary, env, (long long)(needed > 0 ? needed : 1), needed > 1 ? "s" : "",
               who.data ? who.data : "an approver", text_of(p, "url", ""));
    buf_appends(&html, "<!DOCTYPE html>\n<html><body>\n<p>");
    notify_html_append(&html, text_of(p, "requestedByName", "Someone"));
    buf_appends(&html, " asks to deploy <strong>");
    notify_html_append(&html, summary);
    buf_appends(&html, "</strong> to <strong>");
    notify_html_append(&html, env);
    buf_appends(&html, "</strong>.</p>\n<p><a href=\"");
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
 * The mail to the approver of j, if they are still to be asked; else
 * ERR_NOT_FOUND (approved, cancelled, disabled or no longer an approver
 * meanwhile: nothing to ask).
 */
static enum err_code approval_prepare(struct store_conn *c, const struct job *j, struct mail_out *out, struct err *err)
{
    const char *account = json_string_value(json_object_get(j->payload, "accountId"));
    const char *deployment = json_string_value(json_object_get(j->payload, "deploymentId"));
    json_t *approvers = notify_approvers_list(c, j->tenant, "deployment.approval.requested", deployment, NULL, err), *a;
    bool ask = false;
    size_t i;

    if (!approvers)
        return err->code;
    json_array_foreach(approvers, i, a) if (account && strcmp(json_string_value(json_object_get(a, "accountId")), account) == 0)
    {
        utf8_copy(out->to, sizeof out->to, json_string_value(json_object_get(a, "email")));
        ask = true;
    }
    json_decref(approvers);
    if (!ask)
        return err_set(err, ERR_NOT_FOUND, "nothing to ask any more");
    out->message = approval_message(j->payload);
    return ERR_OK;
}

void notify_approval_mail_step(void *ctx, struct job *j)
{
    mail_job_step(ctx, j, approval_prepare);
}
