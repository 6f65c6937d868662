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

/*
 * The instance's message to one address: {"subject", "text", "html"?}
 * (stolen) from the instance's address, as j's provider call (j parks; its
 * step runs again with the call attached). The Message-ID is made from the
 * step's idempotency key: a mail sent again after a crash is the same mail
 * to mail programs.
 */
static void mail_send(const struct mail_env *env, struct job *j, const char *to, json_t *message)
{
    const struct provider *p = provider_by_kind("email");
    json_t *config = json_pack("{s:[s], s:s, s:s, s:s, s:s}", "emailRecipients", to, "emailFromAddress", env->from, "smtpUrl",
                               env->url, "smtpUsername", env->user, "smtpPassword", env->password);

    provider_call_in_job(provider_call_new(env->loop, p, p->ops->chat_post, config, NULL, message, NULL, NULL), j);
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

struct prepare_tx {
    const struct job *j;
    mail_prepare_fn prepare;
    struct mail_out out;
};

static enum err_code prepare_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct prepare_tx *t = ctx;

    json_decref(t->out.message); /* a transaction run again: its first run's message goes */
    t->out.message = NULL;
    return t->prepare(c, t->j, &t->out, err);
}

void mail_job_step(const struct mail_env *env, struct job *j, mail_prepare_fn prepare)
{
    const struct provider_call *call = provider_call_of(j);
    struct prepare_tx t = {.j = j, .prepare = prepare};
    struct store_conn *db = NULL;
    struct err err;

    if (call) {
        finish(j, call);
        return;
    }
    err_clear(&err);
    if (store_conn_get(env->store, &db, &err) == ERR_OK)
        store_tx(db, prepare_body, &t, &err);
    store_conn_put(db);
    if (err.code == ERR_NOT_FOUND)
        job_done(j); /* nothing to send any more */
    else if (err.code)
        job_fail(j, &err);
    else
        mail_send(env, j, t.out.to, t.out.message);
    if (err.code)
        json_decref(t.out.message);
}

/* An invitation's or a password reset's mail (account_mail.h); accepted, revoked, used or expired meanwhile: ERR_NOT_FOUND. */
static enum err_code account_prepare(struct store_conn *c, const struct job *j, struct mail_out *out, struct err *err)
{
    struct account_mail m;

    if (account_mail_prepare(c, j->tenant, j->payload, &m, err))
        return err->code;
    snprintf(out->to, sizeof out->to, "%s", m.to);
    out->message = json_pack("{s:s, s:s}", "subject", m.subject, "text", m.text);
    account_mail_wipe(&m);
    return ERR_OK;
}

void mail_step(void *ctx, struct job *j)
{
    mail_job_step(ctx, j, account_prepare);
}
