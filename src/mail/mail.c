/* mail.c: the account.mail job's step (mail.h). */
#include "mail/mail.h"

#include <errno.h>
#include <sys/stat.h>

#include "core/config.h"

#include "core/log.h"
#include "crypto/hash.h"
#include "providers/call.h"
#include "providers/registry.h"
#include "tenancy/account_mail.h"

enum err_code mail_settings_load(struct config *cfg, struct err *err)
{
    const char *path = cfg->smtp_password_file;
    FILE *f;
    struct stat st;
    size_t n;

    if (!cfg->smtp_url[0])
        return ERR_OK;
    if (strncmp(cfg->smtp_url, "smtp://", 7) != 0 && strncmp(cfg->smtp_url, "smtps://", 8) != 0)
        return err_set(err, ERR_INVALID, "SLIPWAY_SMTP_URL must start with smtp:// (STARTTLS) or smtps://");
    if (!cfg->smtp_from[0] || !strchr(cfg->smtp_from, '@'))
        return err_set(err, ERR_INVALID, "SLIPWAY_SMTP_URL needs SLIPWAY_SMTP_FROM, the address the mail comes from");
    if (!cfg->public_url[0])
        return err_set(err, ERR_INVALID, "SLIPWAY_SMTP_URL needs SLIPWAY_PUBLIC_URL: the links in the mail start with it");
    if (!path[0])
        return ERR_OK;
    if (cfg->smtp_password[0])
        return err_set(err, ERR_INVALID, "set SLIPWAY_SMTP_PASSWORD or SLIPWAY_SMTP_PASSWORD_FILE, not both");
    if (!(f = fopen(path, "r")))
        return err_set(err, ERR_INVALID, "cannot read SLIPWAY_SMTP_PASSWORD_FILE %s: %s", path, strerror(errno));
    if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077))
        log_warn("the SMTP password file %s can be read by others than its owner: chmod 600 it", path);
    n = fread(cfg->smtp_password, 1, sizeof cfg->smtp_password - 1, f);
    fclose(f);
    cfg->smtp_password[n] = '\0';
    cfg->smtp_password[strcspn(cfg->smtp_password, "\r\n")] = '\0';
    return ERR_OK;
}

struct prepare_tx {
    const struct job *j;
    struct account_mail m;
};

static enum err_code prepare_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct prepare_tx *t = ctx;
    return account_mail_prepare(c, t->j->tenant, t->j->payload, &t->m, err);
}

/* The call's end: done when the server took the mail; again later when it did not answer; done with the reason when it refused. */
static void finish(struct job *j, const struct provider_call *call)
{
    struct err err;

    if (call->verdict == VERDICT_VALID) {
        job_done(j);
    } else if (call->verdict == VERDICT_NONE) {
        err_clear(&err);
        err_set(&err, ERR_UNAVAILABLE, "%s", call->message);
        job_fail(j, &err);
    } else {
        log_warn("the mail server refused the instance's mail: %s", call->message);
        j->output = json_pack("{s:s}", "error", call->message);
        job_done(j);
    }
}

void mail_step(void *ctx, struct job *j)
{
    const struct mail_env *env = ctx;
    const struct provider *p = provider_by_kind("email");
    const struct provider_call *call = provider_call_of(j);
    struct prepare_tx t = {.j = j};
    struct store_conn *db = NULL;
    struct err err;
    json_t *config;

    if (call) {
        finish(j, call);
        return;
    }
    err_clear(&err);
    if (store_conn_get(env->store, &db, &err) == ERR_OK)
        store_tx(db, prepare_body, &t, &err);
    store_conn_put(db);
    if (err.code == ERR_NOT_FOUND) {
        job_done(j); /* accepted, revoked, used or expired meanwhile: nothing to send */
        return;
    }
    if (err.code) {
        job_fail(j, &err);
        return;
    }
    config = json_pack("{s:[s], s:s, s:s, s:s, s:s}", "emailRecipients", t.m.to, "emailFromAddress", env->from, "smtpUrl", env->url,
                       "smtpUsername", env->user, "smtpPassword", env->password);
    provider_call_in_job(provider_call_new(env->loop, p, p->ops->chat_post, config, NULL,
                                           json_pack("{s:s, s:s}", "subject", t.m.subject, "text", t.m.text), NULL, NULL),
                         j);
    account_mail_wipe(&t.m);
}
