/*
 * totp_http.c: the TOTP second factor of a password account (docs/accounts.md).
 *
 * POST /api/v1/me/totp enrols: a new secret (crypto/totp.h), stored
 * encrypted (crypto/secret.h, bound to account_totp.secret and the
 * account's id) and answered once as base32 and an otpauth:// URI. It is
 * not asked at login until POST /api/v1/me/totp/confirm {code} proves an
 * app computes it; the confirmation answers 10 recovery codes, once, kept
 * as their SHA-256. DELETE /api/v1/me/totp {code | password} turns it off.
 * GET /api/v1/me/totp says whether it is on, since when, and how many
 * recovery codes are left.
 *
 * A password login of an account with a confirmed secret then needs
 * totpCode (a code of a step later than the last one accepted: a code is
 * never accepted twice) or recoveryCode (used once): without either, 401
 * totp_required; a wrong one, 401 invalid_credentials, counted on the
 * login's backoff like a wrong password. Single sign-on logins are not
 * asked: the identity provider does its own multi-factor authentication.
 */
#include <ctype.h>

#include "core/clock.h"
#include "core/encode.h"
#include "core/rand.h"
#include "crypto/hash.h"
#include "crypto/secret.h"
#include "crypto/totp.h"
#include "tenancy/accounts.h"
#include "tenancy/audit.h"
#include "tenancy/tenancy.h"
#include "tenancy/tenancy_http.h"

#define RECOVERY_CODES 10
#define RECOVERY_LEN 10 /* base32 characters (50 bits), shown as XXXXX-XXXXX */

/* Enrolling takes nothing: no body, or an empty object. */
const struct schema totp_enrol_schema = {.name = "totp_enrol_schema", .optional = true};
SCHEMA(totp_confirm_schema, {.name = "code", .kind = FIELD_STRING, .required = true, .min = 6, .max = 6});
SCHEMA(totp_disable_schema, {.name = "code", .kind = FIELD_STRING, .min = 6, .max = 6},
       {.name = "password", .kind = FIELD_STRING, .min = 1, .max = 1024});

static const struct secret_place *place_of(const char *account, struct secret_place *p)
{
    *p = (struct secret_place){.tenant_id = "", .table = "account_totp", .column = "secret", .row_id = account};
    return p;
}

struct totp_row {
    bool found, confirmed;
    int64_t last_step; /* -1: none yet */
    unsigned char key[TOTP_SECRET_BYTES];
};

/* The account's enrolment, its secret decrypted into r->key (wiped by the caller). */
static enum err_code totp_load(struct store_conn *c, const char *account, struct totp_row *r, struct err *err)
{
    struct plaintext *plain = NULL;
    struct secret_place at;
    struct store_stmt *st;
    char *stored = NULL;
    int found;

    memset(r, 0, sizeof *r);
    if (store_select(c, "SELECT secret, confirmedAt, lastStep FROM account_totp WHERE accountId = ?",
                     STORE_ARGS(STORE_TEXT(account)), &st, err))
        return err->code;
    found = store_next(st, err);
    if (found == 1) {
        r->found = true;
        r->confirmed = !store_col_null(st, 1);
        r->last_step = store_col_null(st, 2) ? -1 : store_col_int(st, 2);
        stored = strdup(store_col_text(st, 0));
    }
    store_finish(st);
    if (found != 1 || err->code)
        return err->code;
    if (!stored)
        return err_set(err, ERR_INTERNAL, "out of memory");
    if (secret_decrypt(tenancy()->keys, place_of(account, &at), stored, &plain, err) == ERR_OK) {
        if (plain->len == TOTP_SECRET_BYTES)
            memcpy(r->key, plain->data, TOTP_SECRET_BYTES);
        else
            err_set(err, ERR_INTERNAL, "the stored TOTP secret has the wrong length");
        plaintext_free(plain);
    }
    free(stored);
    return err->code;
}

/* A recovery code as typed (any case, with or without the dash and spaces) into its stored form. */
static void recovery_hash(const char *code, char out[SHA256_HEX_SIZE])
{
    char norm[64];
    size_t n = 0;

    for (const char *p = code; *p && n + 1 < sizeof norm; p++)
        if (*p != '-' && *p != ' ')
            norm[n++] = (char)toupper((unsigned char)*p);
    norm[n] = '\0';
    hash_sha256_hex(norm, n, out);
    hash_cleanse(norm, sizeof norm);
}

/* Accepts code for the account when it is right and of a later step than the last accepted (compare-and-swap). */
static bool code_accepted(struct store_conn *c, const char *account, const struct totp_row *r, const char *code, struct err *err)
{
    int64_t step = code ? totp_check(r->key, sizeof r->key, code, clock_now_ms() / 1000, r->last_step) : -1, changed = 0;
    char now[TIMESTAMP_SIZE];

    if (step < 0)
        return false;
    clock_now(now);
    if (store_run(c,
                  "UPDATE account_totp SET lastStep = ?, confirmedAt = COALESCE(confirmedAt, ?) "
                  "WHERE accountId = ? AND (lastStep IS NULL OR lastStep < ?)",
                  STORE_ARGS(STORE_INT(step), STORE_TIME(now), STORE_TEXT(account), STORE_INT(step)), &changed, err))
        return false;
    return changed == 1;
}

enum err_code totp_login_check(struct store_conn *c, const char *account, const json_t *body, struct err *err)
{
    const char *code = json_string_value(json_object_get(body, "totpCode"));
    const char *recovery = json_string_value(json_object_get(body, "recoveryCode"));
    char hash[SHA256_HEX_SIZE], now[TIMESTAMP_SIZE];
    struct totp_row r;
    int64_t used = 0;
    bool ok;

    if (totp_load(c, account, &r, err) || !r.confirmed)
        goto out;
    if (!code && !recovery) {
        err_set(err, ERR_TOTP_REQUIRED, "this account signs in with a second factor: send totpCode, or a recoveryCode");
        goto out;
    }
    if (code) {
        ok = code_accepted(c, account, &r, code, err);
    } else {
        recovery_hash(recovery, hash);
        clock_now(now);
        ok = store_run(c, "UPDATE account_recovery_codes SET usedAt = ? WHERE accountId = ? AND codeHash = ? AND usedAt IS NULL",
                       STORE_ARGS(STORE_TIME(now), STORE_TEXT(account), STORE_TEXT(hash)), &used, err) == ERR_OK &&
             used == 1;
    }
    if (!ok && !err->code)
        err_set(err, ERR_BAD_CREDENTIALS, "the %s is wrong or was already used", code ? "code" : "recovery code");
out:
    hash_cleanse(r.key, sizeof r.key);
    return err->code;
}

/* ---- the state ---- */

enum err_code me_totp_get(struct request *req, struct err *err)
{
    const char *account = principal_of(req)->account_id;
    struct store_conn *db;
    struct store_stmt *st;
    json_t *since = json_null();
    int64_t left = 0;
    int found;

    if (request_db(req, &db, err) ||
        store_select(db, "SELECT confirmedAt FROM account_totp WHERE accountId = ? AND confirmedAt IS NOT NULL",
                     STORE_ARGS(STORE_TEXT(account)), &st, err))
        return err->code;
    if ((found = store_next(st, err)) == 1)
        since = json_string(store_col_text(st, 0));
    store_finish(st);
    if (found == 1)
        store_int(db, "SELECT COUNT(*) FROM account_recovery_codes WHERE accountId = ? AND usedAt IS NULL",
                  STORE_ARGS(STORE_TEXT(account)), &left, err);
    if (err->code) {
        json_decref(since);
        return err->code;
    }
    response_json(req, 200,
                  json_pack("{s:b, s:o, s:I}", "enabled", found == 1, "confirmedAt", since, "recoveryCodesLeft", (json_int_t)left));
    return ERR_OK;
}

/* ---- enrolling ---- */

struct enrol_tx {
    const struct request *req;
    unsigned char key[TOTP_SECRET_BYTES];
};

static enum err_code enrol_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct enrol_tx *t = ctx;
    const char *account = principal_of(t->req)->account_id;
    struct secret_place at;
    struct totp_row r;
    struct account me;
    char *stored = NULL, now[TIMESTAMP_SIZE];
    bool password;

    if (accounts_find_by_email(c, principal_of(t->req)->email, &me, err))
        return err->code;
    password = me.password_hash[0] != '\0';
    hash_cleanse(me.password_hash, sizeof me.password_hash);
    if (!password)
        return err_set(err, ERR_CONFLICT, "this account signs in with single sign-on, whose provider asks its own second factor");
    if (totp_load(c, account, &r, err))
        return err->code;
    hash_cleanse(r.key, sizeof r.key);
    if (r.confirmed)
        return err_set(err, ERR_CONFLICT, "two-factor sign-in is already on: turn it off first (DELETE /api/v1/me/totp)");
    clock_now(now);
    if (secret_encrypt(tenancy()->keys, place_of(account, &at), (const char *)t->key, sizeof t->key, &stored, err))
        return err->code;
    if (store_run(c, "DELETE FROM account_totp WHERE accountId = ?", STORE_ARGS(STORE_TEXT(account)), NULL, err) == ERR_OK)
        store_run(c, "INSERT INTO account_totp (accountId, secret, createdAt) VALUES (?, ?, ?)",
                  STORE_ARGS(STORE_TEXT(account), STORE_TEXT(stored), STORE_TIME(now)), NULL, err);
    free(stored);
    if (err->code)
        return err->code;
    return audit_write(c, t->req,
                       &(struct audit_event){.action = "auth.totp.enrol", .target_type = "account", .target_id = account}, err);
}

enum err_code me_totp_enrol(struct request *req, struct err *err)
{
    struct enrol_tx t = {.req = req};
    char b32[TOTP_SECRET_B32_SIZE], label[3 * EMAIL_SIZE], uri[3 * EMAIL_SIZE + 256];
    struct store_conn *db;

    if (!keyring_can_encrypt(tenancy()->keys))
        return err_set(err, ERR_UNAVAILABLE, "no INTEGRATION_ENCRYPTION_KEY: a second factor's secret cannot be stored");
    rand_bytes(t.key, sizeof t.key);
    if (request_db(req, &db, err) == ERR_OK && store_tx(db, enrol_body, &t, err) == ERR_OK) {
        totp_base32(t.key, sizeof t.key, b32);
        url_escape(principal_of(req)->email, label, sizeof label);
        snprintf(uri, sizeof uri, "otpauth://totp/slipway:%s?secret=%s&issuer=slipway&algorithm=SHA1&digits=%d&period=%d", label,
                 b32, TOTP_DIGITS, TOTP_STEP_SECONDS);
        response_json(req, 201, json_pack("{s:s, s:s}", "secret", b32, "otpauthUri", uri));
        hash_cleanse(b32, sizeof b32);
        hash_cleanse(uri, sizeof uri);
    }
    hash_cleanse(t.key, sizeof t.key);
    return err->code;
}

/* ---- confirming: the first right code, and the recovery codes ---- */

struct confirm_tx {
    const struct request *req;
    char codes[RECOVERY_CODES][RECOVERY_LEN + 2];
};

static enum err_code confirm_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct confirm_tx *t = ctx;
    const char *account = principal_of(t->req)->account_id;
    const char *code = json_string_value(json_object_get(t->req->body, "code"));
    char hash[SHA256_HEX_SIZE], b32[TOTP_SECRET_B32_SIZE];
    unsigned char raw[TOTP_SECRET_BYTES];
    struct totp_row r;
    bool ok;

    if (totp_load(c, account, &r, err))
        return err->code;
    ok = r.found && !r.confirmed && code_accepted(c, account, &r, code, err);
    hash_cleanse(r.key, sizeof r.key);
    if (err->code)
        return err->code;
    if (!r.found || r.confirmed)
        return err_set(err, ERR_CONFLICT,
                       r.found ? "two-factor sign-in is already on" : "nothing to confirm: enrol first (POST /api/v1/me/totp)");
    if (!ok) {
        err_detail(err, "code", "is not the code of the secret now");
        return err_set(err, ERR_INVALID, "the code is wrong: check the authenticator app's clock and try the next code");
    }
    if (store_run(c, "DELETE FROM account_recovery_codes WHERE accountId = ?", STORE_ARGS(STORE_TEXT(account)), NULL, err))
        return err->code;
    for (int i = 0; i < RECOVERY_CODES; i++) {
        rand_bytes(raw, 7);
        totp_base32(raw, 7, b32);
        snprintf(t->codes[i], sizeof t->codes[i], "%.5s-%.5s", b32, b32 + 5);
        recovery_hash(t->codes[i], hash);
        if (store_run(c, "INSERT INTO account_recovery_codes (accountId, codeHash) VALUES (?, ?)",
                      STORE_ARGS(STORE_TEXT(account), STORE_TEXT(hash)), NULL, err))
            break;
    }
    hash_cleanse(raw, sizeof raw);
    hash_cleanse(b32, sizeof b32);
    if (err->code)
        return err->code;
    return audit_write(c, t->req,
                       &(struct audit_event){.action = "auth.totp.confirm", .target_type = "account", .target_id = account}, err);
}

/* Wrong codes count against the login backoff of (client address, the account's address), like a wrong current password. */
static enum err_code refuse_guessing(const struct request *req, struct err *err)
{
    return auth_backoff_check(req, principal_of(req)->email, err);
}

enum err_code me_totp_confirm(struct request *req, struct err *err)
{
    struct confirm_tx t = {.req = req};
    struct store_conn *db;
    json_t *codes;

    if (refuse_guessing(req, err) || request_db(req, &db, err) || store_tx(db, confirm_body, &t, err))
        return err->code;
    codes = json_array();
    for (int i = 0; i < RECOVERY_CODES; i++)
        json_array_append_new(codes, json_string(t.codes[i]));
    hash_cleanse(t.codes, sizeof t.codes);
    response_json(req, 200, json_pack("{s:o}", "recoveryCodes", codes));
    return ERR_OK;
}

/* ---- turning it off ---- */

struct disable_tx {
    const struct request *req;
    bool password_ok;
};

static enum err_code disable_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct disable_tx *t = ctx;
    const char *account = principal_of(t->req)->account_id;
    const char *code = json_string_value(json_object_get(t->req->body, "code"));
    struct totp_row r;
    bool ok;

    if (totp_load(c, account, &r, err))
        return err->code;
    ok = r.found && (t->password_ok || code_accepted(c, account, &r, code, err));
    hash_cleanse(r.key, sizeof r.key);
    if (err->code)
        return err->code;
    if (!r.found)
        return err_set(err, ERR_CONFLICT, "two-factor sign-in is not on");
    if (!ok) {
        err_detail(err, code ? "code" : "password", code ? "is wrong or was already used" : "is not this account's password");
        return err_set(err, ERR_INVALID, "the %s is wrong", code ? "code" : "password");
    }
    if (store_run(c, "DELETE FROM account_recovery_codes WHERE accountId = ?", STORE_ARGS(STORE_TEXT(account)), NULL, err) ||
        store_run(c, "DELETE FROM account_totp WHERE accountId = ?", STORE_ARGS(STORE_TEXT(account)), NULL, err))
        return err->code;
    return audit_write(c, t->req,
                       &(struct audit_event){.action = "auth.totp.disable", .target_type = "account", .target_id = account}, err);
}

/* Runs on the hashing pool (a password is checked there). */
static void disable_finish(struct request *req)
{
    char *password = (char *)json_string_value(json_object_get(req->body, "password"));
    struct disable_tx t = {.req = req};
    struct account me = {0};
    struct store_conn *db;
    struct err err;

    err_clear(&err);
    if (request_db(req, &db, &err) == ERR_OK && password &&
        accounts_find_by_email(db, principal_of(req)->email, &me, &err) == ERR_OK)
        t.password_ok = password_verify(&tenancy()->pw, me.password_hash[0] ? me.password_hash : NULL, password);
    if (!err.code && store_tx(db, disable_body, &t, &err) == ERR_OK)
        response_empty(req, 204);
    if (password)
        hash_cleanse(password, strlen(password));
    hash_cleanse(req->raw.data, req->raw.len);
    hash_cleanse(me.password_hash, sizeof me.password_hash);
    if (err.code)
        response_error(req, &err);
}

enum err_code me_totp_disable(struct request *req, struct err *err)
{
    bool code = json_object_get(req->body, "code") != NULL, password = json_object_get(req->body, "password") != NULL;

    if (code == password) {
        err_detail(err, code ? "password" : "code",
                   code ? "send the code or the password, not both" : "send the code or the password");
        return err_set(err, ERR_INVALID, "prove it is you: send a code of the authenticator app, or the password");
    }
    if (refuse_guessing(req, err))
        return err->code;
    return request_defer(req, tenancy()->hash_pool, disable_finish, err);
}
