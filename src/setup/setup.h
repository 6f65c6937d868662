/*
 * setup.h: the release-management setup wizard (documents 000 and 001).
 *
 * tenant_release_settings holds one row per tenant: the selections and the
 * step flags. The flags are derived from the integrations themselves and
 * refreshed, in the same transaction, by every change that can move them
 * (a setup save, an integration created, changed or deleted), so document
 * 000's "is setup complete?" query reads the truth.
 *
 * Completion (document 001 section 4.2): an SCM connection, at least one
 * selected target, and a target integration for every selected target.
 * CI/CD and Slack are optional. setupCompletedAt and
 * setupCompletedByAccountId are set once, the first time it is complete.
 */
#ifndef SLIPWAY_SETUP_H
#define SLIPWAY_SETUP_H

#include "crypto/secret.h"
#include "http/schema.h"
#include "http/request.h"

enum setup_step { STEP_GITHUB, STEP_TARGETS, STEP_CREDENTIALS, STEP_CICD, STEP_SLACK, STEP__COUNT };

struct setup_status {
    bool exists; /* a settings row exists */
    bool done[STEP__COUNT];
    bool complete;
    char completed_at[TIMESTAMP_SIZE]; /* empty: never */
    char completed_by[UUID_SIZE];
    json_t *targets, *platforms; /* selections (arrays), owned */
};

void setup_status_clear(struct setup_status *s);

/* Recomputes and stores the flags of tenant's settings (creating the row); fills *out when not NULL. Run inside a transaction. */
enum err_code setup_refresh(struct store_conn *c, const char *tenant_id, const char *account_id, struct setup_status *out,
                            struct err *err);

/* Reads the stored status (no row: nothing done). */
enum err_code setup_read(struct store_conn *c, const char *tenant_id, struct setup_status *out, struct err *err);

/*
 * Saves a document 001 section 9 body (any subset of its sections) in one
 * transaction. Validation problems name fields as the body does
 * ("appStoreConnect.privateKey").
 */
enum err_code setup_save(struct store_conn *c, const struct request *req, const struct keyring *keys, json_t *body,
                         struct setup_status *out, struct err *err);

extern const char *const setup_step_ids[STEP__COUNT];

/* The top level of document 001 section 9's body (sections are checked as they are saved). */
extern const struct schema setup_schema;
/* The bodies of the targets and credentials steps. */
extern const struct schema setup_targets_schema, setup_credentials_schema;

#endif
