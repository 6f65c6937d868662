/*
 * mail.h: the instance's own mail (SLIPWAY_SMTP_URL): the step of the
 * account.mail job (tenancy/account_mail.h), sent through the e-mail
 * provider's message building and SMTP session, the ones a tenant's e-mail
 * integration uses (src/providers/communication/email.c), with the
 * instance's settings as its configuration.
 */
#ifndef SLIPWAY_MAIL_H
#define SLIPWAY_MAIL_H

#include "http/schema.h"
#include "jobs/jobs.h"

struct provider_loop;

struct mail_env {
    struct store *store;
    const struct provider_loop *loop;
    const char *url, *user, *from; /* SLIPWAY_SMTP_URL, _USER, _FROM */
    const char *password;          /* SLIPWAY_SMTP_PASSWORD (or read from _FILE): never logged */
};

struct config;
/*
 * At start-up: SLIPWAY_SMTP_URL's scheme, SLIPWAY_SMTP_FROM and
 * SLIPWAY_PUBLIC_URL (the links) present when mail is on, and the password
 * read from SLIPWAY_SMTP_PASSWORD_FILE into cfg when that is set.
 */
enum err_code mail_settings_load(struct config *cfg, struct err *err);

/* The ACCOUNT_MAIL_JOB step; ctx is a struct mail_env. */
void mail_step(void *ctx, struct job *j);

/* What a mail job sends: one message ({"subject", "text", "html"?}; owned) to one address. */
struct mail_out {
    char to[EMAIL_SIZE];
    json_t *message;
};
/*
 * Reads, in a transaction on c, what j is to send into out; ERR_NOT_FOUND
 * when there is nothing to send any more (j ends done).
 */
typedef enum err_code (*mail_prepare_fn)(struct store_conn *c, const struct job *j, struct mail_out *out, struct err *err);

/*
 * A step of a job that mails one message: prepare, then the message sent
 * from the instance's address as j's provider call (no worker waits; the
 * Message-ID comes from the step's idempotency key, so a mail sent again
 * after a crash is the same mail to mail programs). Done when the server
 * took it; retried with the engine's backoff when it did not answer; done
 * with the reason in its output when it refused.
 */
void mail_job_step(const struct mail_env *env, struct job *j, mail_prepare_fn prepare);

#endif
