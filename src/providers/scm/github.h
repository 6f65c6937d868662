/*
 * github.h: what GitHub Actions shares with GitHub: the API's address,
 * the process's GitHub call budget, and a GitHub GET that respects both
 * the budget and GitHub's own rate-limit headers.
 */
#ifndef SLIPWAY_PROVIDER_GITHUB_H
#define SLIPWAY_PROVIDER_GITHUB_H

#include "providers/call.h"

extern struct provider_setting github_api;    /* SLIPWAY_GITHUB_API_URL */
extern struct provider_setting github_budget; /* GITHUB_API_RATE_LIMIT */

/* The API at server (GitHub Enterprise: an integration's serverUrl) or, when empty, SLIPWAY_GITHUB_API_URL. */
const char *github_base(const char *server);
/* method base+path (with a JSON body, or NULL) with the token, within the budget and GitHub's limit, as github_get. */
void github_send(struct provider_call *c, const char *base, const char *token, const char *method, const char *path,
                 const char *body);
/* GET base+path with the token, unless the budget or GitHub's limit is used up (then the call ends without a verdict). */
void github_get(struct provider_call *c, const char *base, const char *token, const char *path);
/* Records GitHub's rate-limit headers; true (and the call ended without a verdict) when this answer was the limit. */
bool github_limited(struct provider_call *c, const struct outbound_response *res);

/* The inbound webhooks of GitHub and GitHub Actions (github_webhook.c; provider.h says what they do). */
bool github_webhook_check(const struct provider_inbound *in);
/* The header that names a delivery (struct provider's webhook_delivery_headers). */
extern const char *const github_delivery_headers[];
enum err_code github_webhook_parse(const struct provider_inbound *in, struct provider_event *ev, struct err *err);

#endif
