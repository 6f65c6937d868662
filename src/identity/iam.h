/*
 * iam.h: a tenant's single sign-on providers (document 004's iam_providers)
 * and their group-to-role rules (iam_group_mappings). The client secret is
 * encrypted like an integration's (crypto/secret.h: bound to tenant, table
 * iam_providers, column clientSecret and the provider's id) and leaves only
 * as a mask.
 */
#ifndef SLIPWAY_IAM_H
#define SLIPWAY_IAM_H

#include <jansson.h>

#include "store/store.h"
#include "tenancy/roles.h"

struct keyring;
struct plaintext;

struct iam_provider {
    char id[UUID_SIZE], tenant_id[UUID_SIZE];
    char name[1024];
    char type[16];
    char issuer[2049];
    char client_id[256];
    char scopes[1025];
    char groups_claim[256];
    enum role default_role;
    bool strict, allow_signup, enabled;
    char *client_secret; /* as stored (encrypted); malloc'd: iam_provider_clear frees it */
    char last_sync_at[TIMESTAMP_SIZE];
    char last_error[512];
    char created_at[TIMESTAMP_SIZE], updated_at[TIMESTAMP_SIZE];
};

/*
 * Loads provider id; of tenant_id when it is not NULL (an owner's route),
 * or of whichever tenant it is (a login, which names the provider).
 * ERR_NOT_FOUND when there is none.
 */
enum err_code iam_provider_load(struct store_conn *c, const char *tenant_id, const char *id, struct iam_provider *p,
                                struct err *err);
void iam_provider_clear(struct iam_provider *p);

/* The client secret in plaintext (plaintext_free it). */
enum err_code iam_provider_secret(const struct keyring *keys, const struct iam_provider *p, struct plaintext **out,
                                  struct err *err);

/* The provider's group rules, highest priority first: [{group, role, priority}]. Caller owns. */
enum err_code iam_group_mappings(struct store_conn *c, const struct iam_provider *p, json_t **out, struct err *err);

/*
 * The role a login with these groups (an array of strings, may be NULL)
 * gets from the rules (the first that matches, highest priority first):
 * ROLE_PUBLIC when none matches, for the caller to apply the default role
 * or strict mode.
 */
enum role iam_role_of_groups(const json_t *rules, const json_t *groups);

#endif
