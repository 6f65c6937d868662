/*
 * token.h: API tokens. A token is "slw_" and 43 base64url characters
 * (256 random bits). Only its SHA-256 (hex) is stored; the token itself is
 * shown once. The first TOKEN_PREFIX_LEN characters are kept for display.
 */
#ifndef SLIPWAY_TOKEN_H
#define SLIPWAY_TOKEN_H

#include "core/common.h"
#include "crypto/hash.h"

#define TOKEN_SCHEME "slw_"
#define TOKEN_LEN (4 + 43)
#define TOKEN_SIZE (TOKEN_LEN + 1)
#define TOKEN_PREFIX_LEN 8

/* Makes a new token into out[TOKEN_SIZE]. */
void token_generate(char out[TOKEN_SIZE]);
/* True if s has the shape of a token (never touches the database otherwise). */
bool token_well_formed(const char *s);
/* The stored form: hex SHA-256 of the token. */
void token_hash(const char *token, char out[SHA256_HEX_SIZE]);

/*
 * An invitation to a tenant is the same kind of secret under its own
 * scheme, "slwi_" and 43 base64url characters, so that neither kind passes
 * for the other (tenancy/invitations_http.c); token_hash is its stored form too.
 */
#define INVITE_SCHEME "slwi_"
#define INVITE_LEN (5 + 43)
#define INVITE_SIZE (INVITE_LEN + 1)

void invite_token_generate(char out[INVITE_SIZE]);
bool invite_token_well_formed(const char *s);

/* A password reset's token (tenancy/reset_http.c): "slwr_" and 43 base64url characters, the same size as an invitation's. */
#define RESET_SCHEME "slwr_"
void reset_token_generate(char out[INVITE_SIZE]);
bool reset_token_well_formed(const char *s);

#endif
