/*
 * google.h: what Google Play and Firebase share: a service account's
 * fields, the jwt-bearer grant at Google's token endpoint, and calls with
 * the access token it answers.
 */
#ifndef SLIPWAY_PROVIDER_GOOGLE_H
#define SLIPWAY_PROVIDER_GOOGLE_H

#include "providers/call.h"

extern struct provider_setting google_token_url; /* SLIPWAY_GOOGLE_TOKEN_URL */
extern struct provider_setting google_timeout;   /* PLAYSTORE_API_TIMEOUT: every Google call */
extern struct provider_setting *const google_settings[];

/* Both types' service account (a macro: C11 cannot copy one array's elements into another's initializer). */
#define GOOGLE_ACCOUNT_FIELDS                                                                                                      \
    EMAIL("googleServiceAccountEmail", true), SECRET_FMT("googlePrivateKey", true, 16384, check_rsa, "pem-rsa")
const char *check_rsa(json_t *j);

/* Sends the grant: an RS256 assertion for scope, signed with the account's key (or ends the call INVALID). */
void google_token(struct provider_call *c, const char *scope);
/* Reads the grant's answer and keeps the access token in the call's secrets; false when the call ended. */
bool google_granted(struct provider_call *c, const struct outbound_response *res);
/* A call with the access token. */
void google_call(struct provider_call *c, const char *method, const char *target, const char *body);

#endif
