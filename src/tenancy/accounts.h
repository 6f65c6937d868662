/*
 * accounts.h: people who log in. E-mail addresses are unique
 * case-insensitively: they are lower-cased (ASCII) before they are stored
 * or looked up.
 */
#ifndef SLIPWAY_ACCOUNTS_H
#define SLIPWAY_ACCOUNTS_H

#include "crypto/password.h"
#include "http/request.h"

#define ACCOUNT_NAME_MAX 200 /* characters */

struct account {
    char id[UUID_SIZE];
    char email[EMAIL_SIZE];
    char name[1024];                        /* 200 characters of UTF-8 */
    char password_hash[PASSWORD_HASH_SIZE]; /* empty: no password set */
    char created_at[TIMESTAMP_SIZE], updated_at[TIMESTAMP_SIZE];
};

/* Lower-cases email (its ASCII letters) into out (size n, EMAIL_SIZE holds any valid address whole). */
void account_email_normalize(const char *email, char *out, size_t n);

/* An account's name: name, or without one the part of the address before the @ (at most ACCOUNT_NAME_MAX characters of it). */
void account_name_or_default(const char *name, const char *email, char *out, size_t n);

/* ERR_NOT_FOUND when no account has this (normalized) e-mail address. */
enum err_code accounts_find_by_email(struct store_conn *c, const char *email, struct account *a, struct err *err);
/* Inserts a with a fresh id and timestamps (filled in); ERR_CONFLICT when the e-mail is taken. */
enum err_code accounts_insert(struct store_conn *c, struct account *a, struct err *err);

/*
 * The single sign-on rule for passwords (docs/accounts.md, "Accounts
 * without a password"): *ok is false when the account is a member of
 * tenants and every one of them requires single sign-on without it as
 * break-glass owner. Such an account sets no password (first, reset or
 * change): its identity provider owns its sign-in.
 */
enum err_code account_may_use_password(struct store_conn *c, const char *account_id, bool *ok, struct err *err);
/* *has: the account has a password (one single sign-on made just in time has none). */
enum err_code account_has_password(struct store_conn *c, const char *account_id, bool *has, struct err *err);

/* The public view: {id, email, name, createdAt, updatedAt}. Caller owns. */
json_t *account_json(const char *id, const char *email, const char *name, const char *created_at, const char *updated_at);

#endif
