/*
 * scm.h: what every source-control provider shares: the category's
 * fields, the derived repositoryUrl, and the checks of a token's user and
 * of a repository's permissions.
 */
#ifndef SLIPWAY_PROVIDER_SCM_H
#define SLIPWAY_PROVIDER_SCM_H

#include "providers/call.h"

/* The fields every SCM type has (organization, repoName, accessToken, serverUrl, ...). */
extern const struct field scm_common_fields[];
extern const size_t scm_common_count;

/* What scm_derive_repository_url derives (struct provider.derived). */
extern const char *const scm_derived[];

/*
 * A missing repositoryUrl, derived from serverUrl (or host, the
 * provider's public web host, when there is none; NULL: serverUrl is
 * required and its schema says so) and the names.
 */
void scm_derive_repository_url(json_t *config, const char *host);

/* "/<prefix>/<org>/<repo>", both names escaped, into out[PROVIDER_URL_MAX]; returns out. */
const char *scm_repo_path(char *out, const char *prefix, const char *org, const char *repo);
/* The answer about the token's user: records its field (login, username) in the output; false when the call ended. */
bool scm_user(struct provider_call *c, const struct outbound_response *res, const char *field);
/* The answer about the repository (GitHub, Gitea): it must exist, and its permissions include pull and push. Ends the call. */
void scm_repository(struct provider_call *c, const struct outbound_response *res, const char *org, const char *repo,
                    const char *hint);

#endif
