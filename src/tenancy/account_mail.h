/*
 * account_mail.h: the mail the instance sends an account (an invitation, a
 * password reset), through SLIPWAY_SMTP_URL (docs/accounts.md).
 *
 * A mail is a job of kind ACCOUNT_MAIL_JOB, created in the transaction that
 * makes what it is about (the invitation, the reset), so it exists exactly
 * when that does and survives a restart. Its payload names the row, never a
 * secret: the step makes the token as it sends (account_mail_prepare), so
 * the token lives in the mail and, hashed, in the row, and nowhere else. A
 * send that failed and is retried makes a new token, which replaces the one
 * of the mail that did not arrive. src/mail/ runs the step (it sends through
 * the e-mail provider, a layer above tenancy).
 */
#ifndef SLIPWAY_ACCOUNT_MAIL_H
#define SLIPWAY_ACCOUNT_MAIL_H

#include <jansson.h>

#include "core/err.h"
#include "http/schema.h"
#include "store/store.h"

#define ACCOUNT_MAIL_JOB "account.mail"
#define ACCOUNT_MAIL_INVITATION "invitation"
#define ACCOUNT_MAIL_RESET "password_reset"

struct account_mail {
    char to[EMAIL_SIZE];
    char subject[1100];
    char text[4096]; /* holds the token: wipe it (account_mail_wipe) */
};

/* True when the instance sends mail (SLIPWAY_SMTP_URL is set). */
bool account_mail_on(void);
/* Inside the caller's transaction: the job that mails what (ACCOUNT_MAIL_*) about the row id (of tenant, NULL for none). */
enum err_code account_mail_enqueue_in(struct store_conn *c, const char *what, const char *tenant, const char *id, struct err *err);
/* After the transaction committed: this process looks for the job at once. */
void account_mail_nudge(void);
/*
 * Inside a transaction: a new token for the row the payload names (of
 * tenant, the job's: "" for a reset), its hash
 * written in the row, and the mail that carries it. ERR_NOT_FOUND when
 * there is nothing to send any more (accepted, revoked, used, expired).
 */
enum err_code account_mail_prepare(struct store_conn *c, const char *tenant, const json_t *payload, struct account_mail *m,
                                   struct err *err);
void account_mail_wipe(struct account_mail *m);

#endif
