/*
 * mail.h: the instance's own mail (SLIPWAY_SMTP_URL): the step of the
 * account.mail job (tenancy/account_mail.h), sent through the e-mail
 * provider's message building and SMTP session, the ones a tenant's e-mail
 * integration uses (src/providers/communication/email.c), with the
 * instance's settings as its configuration.
 */
#ifndef SLIPWAY_MAIL_H
#define SLIPWAY_MAIL_H

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

#endif
