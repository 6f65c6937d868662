/* account_mail.c: the instance's mail to an account: the job that sends it, and the token it carries (account_mail.h). */
#include "tenancy/account_mail.h"

#include "core/clock.h"
#include "core/utf8.h"
#include "crypto/token.h"
#include "jobs/jobs.h"
#include "tenancy/tenancy.h"

bool account_mail_on(void)
{
    return tenancy()->mail;
}

enum err_code account_mail_enqueue_in(struct store_conn *c, const char *what, const char *tenant, const char *id, struct err *err)
{
    json_t *payload = json_pack("{s:s, s:s}", "what", what, "id", id);
    char job[UUID_SIZE];
    enum err_code rc;

    rc = jobs_enqueue_in(c, tenancy()->jobs,
                         &(struct job_new){.kind = ACCOUNT_MAIL_JOB, .tenant = tenant, .payload = payload, .max_attempts = 8}, job,
                         err);
    json_decref(payload);
    return rc;
}

void account_mail_nudge(void)
{
    if (tenancy()->mail)
        jobs_nudge(tenancy()->jobs);
}

/* The one row of sql as text columns into cols; ERR_NOT_FOUND when there is none. */
static enum err_code row_of(struct store_conn *c, const char *sql, const struct store_val *args, size_t nargs,
                            char cols[][EMAIL_SIZE], int n, struct err *err)
{
    struct store_stmt *st;
    int found;

    if (store_select(c, sql, args, nargs, &st, err))
        return err->code;
    found = store_next(st, err);
    for (int i = 0; found == 1 && i < n; i++)
        utf8_copy(cols[i], EMAIL_SIZE, store_col_text(st, i));
    store_finish(st);
    if (found < 0)
        return err->code;
    return found ? ERR_OK : err_set(err, ERR_NOT_FOUND, "nothing to send any more");
}

enum err_code account_mail_prepare(struct store_conn *c, const char *tenant, const json_t *payload, struct account_mail *m,
                                   struct err *err)
{
    const char *what = json_string_value(json_object_get(payload, "what")), *id = json_string_value(json_object_get(payload, "id"));
    const char *url = tenancy()->public_url;
    char cols[3][EMAIL_SIZE], token[INVITE_SIZE], hash[SHA256_HEX_SIZE], now[TIMESTAMP_SIZE];
    bool invite = what && strcmp(what, ACCOUNT_MAIL_INVITATION) == 0;

    if (!id || (!invite && (!what || strcmp(what, ACCOUNT_MAIL_RESET) != 0)))
        return err_set(err, ERR_NOT_FOUND, "not a mail: the payload names none");
    clock_now(now);
    if (invite ? row_of(c,
                        "SELECT i.email, t.orgName, i.role FROM tenant_invitations i JOIN tenants t ON t.id = i.tenantId "
                        "WHERE i.id = ? AND i.acceptedAt IS NULL AND i.revokedAt IS NULL AND i.expiresAt > ? AND i.tenantId = ? "
                        "AND t.deletedAt IS NULL",
                        STORE_ARGS(STORE_TEXT(id), STORE_TIME(now), STORE_TEXT(tenant)), cols, 3, err)
               : row_of(c,
                        "SELECT a.email FROM password_resets r JOIN accounts a ON a.id = r.accountId "
                        "WHERE r.id = ? AND r.usedAt IS NULL AND r.expiresAt > ? AND a.disabledAt IS NULL",
                        STORE_ARGS(STORE_TEXT(id), STORE_TIME(now)), cols, 1, err))
        return err->code;
    if (invite)
        invite_token_generate(token);
    else
        reset_token_generate(token);
    token_hash(token, hash);
    if (invite ? store_run(c, "UPDATE tenant_invitations SET tokenHash = ? WHERE id = ? AND tenantId = ?",
                           STORE_ARGS(STORE_TEXT(hash), STORE_TEXT(id), STORE_TEXT(tenant)), NULL, err)
               : store_run(c, "UPDATE password_resets SET tokenHash = ? WHERE id = ?", STORE_ARGS(STORE_TEXT(hash), STORE_TEXT(id)),
                           NULL, err)) {
        hash_cleanse(token, sizeof token);
        return err->code;
    }
    utf8_copy(m->to, sizeof m->to, cols[0]);
    if (invite) {
        snprintf(m->subject, sizeof m->subject, "You are invited to %s on slipway", cols[1]);
        snprintf(m->text, sizeof m->text,
                 "You are invited to join %s on slipway as %s.\r\n\r\nAccept the invitation (the link works once, for 7 "
                 "days):\r\n%s/#/invite/%s\r\n\r\nIf you did not expect this, ignore this message.\r\n",
                 cols[1], cols[2], url, token);
    } else {
        snprintf(m->subject, sizeof m->subject, "Reset your slipway password");
        snprintf(m->text, sizeof m->text,
                 "Someone asked to reset the password of the slipway account %s.\r\n\r\nSet a new password (the link works once, "
                 "for 30 minutes):\r\n%s/#/reset/%s\r\n\r\nIf it was not you, ignore this message: your password stays as it "
                 "is.\r\n",
                 cols[0], url, token);
    }
    hash_cleanse(token, sizeof token);
    return ERR_OK;
}

void account_mail_wipe(struct account_mail *m)
{
    hash_cleanse(m->text, sizeof m->text);
}
