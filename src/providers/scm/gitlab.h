/* gitlab.h: what GitLab CI shares with GitLab: where GitLab is, and a GET with a token. */
#ifndef SLIPWAY_PROVIDER_GITLAB_H
#define SLIPWAY_PROVIDER_GITLAB_H

#include "providers/call.h"

extern struct provider_setting gitlab_url; /* SLIPWAY_GITLAB_URL */

/* server (self-hosted: an integration's serverUrl) or, when empty, SLIPWAY_GITLAB_URL. */
const char *gitlab_base(const char *server);
void gitlab_get(struct provider_call *c, const char *base, const char *token, const char *path);
/* "organization/repoName" of config, percent-escaped as GitLab's project id, into out (n bytes). */
const char *gitlab_project(const json_t *config, char *full, size_t nfull, char *out, size_t n);

/* The inbound webhooks of GitLab and GitLab CI (gitlab_webhook.c; provider.h says what they do). */
bool gitlab_webhook_check(const struct provider_inbound *in);
/* The headers that name a delivery, the first present one wins (struct provider's webhook_delivery_headers). */
extern const char *const gitlab_delivery_headers[];
enum err_code gitlab_webhook_parse(const struct provider_inbound *in, struct provider_event *ev, struct err *err);

#endif
