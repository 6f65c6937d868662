/* approvals.c: a deployment's approvers asked by mail (approvals.h). */
#include "notify/approvals.h"

#include "core/buf.h"
#include "core/utf8.h"
#include "http/schema.h"
#include "jobs/jobs.h"
#include "mail/mail.h"
#include "notify/notify.h"

#define DEDUPE_SIZE 300 /* "approval-mail:", a deployment's id, ":" and an account's (255 at most) */

/* Whether role is one of roles' words (a JSON array or a comma-separated text, as environments keep it). */
static bool role_in(const char *role, const json_t *array, const char *text)
{
    const json_t *v;
    size_t i, len;

    json_array_foreach(array, i, v) if (strcmp(json_string_value(v), role) == 0) return true;
    for (const char *r = text ? text : ""; *r; r += len + (r[len] == ','))
        if ((len = strcspn(r, ",")) == strlen(role) && strncmp(r, role, len) == 0)
            return true;
    return false;
}

enum err_code notify_approvers_ask(struct store_conn *c, const char *tenant, const char *deployment, json_t *fields,
                                   struct err *err)
{
    const json_t *roles = json_object_get(fields, "approverRoles"), *dep = json_object_get(fields, "deployment");
    const char *requester = json_string_value(json_object_get(dep, "requestedByAccountId"));
    json_t *asked = json_array(), *payload, *v;
    char dedupe[DEDUPE_SIZE], job[UUID_SIZE];
    struct store_stmt *st;
    size_t i;
    int rc;

    if (notify_mail_on() &&
        store_select(c,
                     "SELECT a.id, m.role FROM tenant_members m JOIN accounts a ON a.id = m.accountId "
                     "WHERE m.tenantId = ? AND a.disabledAt IS NULL AND a.id <> ? ORDER BY a.id",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(requester ? requester : "")), &st, err) == ERR_OK) {
        while ((rc = store_next(st, err)) == 1)
            if (role_in(store_col_text(st, 1), roles, NULL))
                json_array_append_new(asked, json_string(store_col_text(st, 0)));
        store_finish(st);
    }
    json_array_foreach(asked, i, v)
    {
        if (err->code)
            break;
        payload = json_pack("{s:s, s:s, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?}", "deploymentId", deployment, "accountId",
                            json_string_value(v), "summary", json_object_get(dep, "summary"), "environmentName",
                            json_object_get(dep, "environmentName"), "requestedByName", json_object_get(dep, "requestedByName"),
                            "url", json_object_get(dep, "url"), "approverRoles", roles, "requiredApprovals",
                            json_object_get(fields, "requiredApprovals"));
        snprintf(dedupe, sizeof dedupe, "%s:%s:%s", NOTIFY_APPROVAL_MAIL_JOB, deployment, json_string_value(v));
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
    struct store_stmt *st;
    bool ask = false;
    int rc;

    if (store_select(c,
                     "SELECT d.status, e.approverRoles, m.role, a.email, (SELECT COUNT(*) FROM deployment_approvals p "
                     "WHERE p.tenantId = d.tenantId AND p.deploymentId = d.id AND p.accountId = a.id) "
                     "FROM deployments d JOIN tenant_members m ON m.tenantId = d.tenantId AND m.accountId = ? "
                     "JOIN accounts a ON a.id = m.accountId LEFT JOIN environments e ON e.tenantId = d.tenantId "
                     "AND e.id = d.environmentId WHERE d.tenantId = ? AND d.id = ? AND a.disabledAt IS NULL",
                     STORE_ARGS(STORE_TEXT(json_string_value(json_object_get(j->payload, "accountId"))), STORE_TEXT(j->tenant),
                                STORE_TEXT(json_string_value(json_object_get(j->payload, "deploymentId")))),
                     &st, err))
        return err->code;
    if ((rc = store_next(st, err)) == 1) {
        ask = strcmp(store_col_text(st, 0), "AWAITING_APPROVAL") == 0 && store_col_int(st, 4) == 0 &&
              role_in(store_col_text(st, 2), NULL, store_col_null(st, 1) ? "editor,owner" : store_col_text(st, 1));
        utf8_copy(out->to, sizeof out->to, store_col_text(st, 3));
    }
    store_finish(st);
    if (rc < 0)
        return err->code;
    if (!ask)
        return err_set(err, ERR_NOT_FOUND, "nothing to ask any more");
    out->message = approval_message(j->payload);
    return ERR_OK;
}

void notify_approval_mail_step(void *ctx, struct job *j)
{
    mail_job_step(ctx, j, approval_prepare);
}
