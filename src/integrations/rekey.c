#include "integrations/rekey.h"

#include <errno.h>
#include <sys/stat.h>

#include "core/log.h"
#include "crypto/hash.h"
#include "integrations/catalog.h"

/* "v1.<keyId>." : the 12-character prefix naming the key a secret is under (the SQL in catalog.c uses 12). */
#define PREFIX_LEN (3 + SECRET_KEY_ID_LEN + 1)

enum err_code rekey_load(struct config *cfg, struct keyring **out, struct err *err)
{
    char key[SECRET_KEY_BYTES * 2 + 2] = "";
    const char *path = cfg->encryption_key_file;

    if (cfg->encryption_key[0] && path[0]) {
        err_set(err, ERR_INVALID, "set INTEGRATION_ENCRYPTION_KEY or INTEGRATION_ENCRYPTION_KEY_FILE, not both");
        goto out;
    }
    if (path[0]) {
        FILE *f = fopen(path, "r");
        struct stat st;
        size_t n;
        if (!f) {
            err_set(err, ERR_INVALID, "cannot read INTEGRATION_ENCRYPTION_KEY_FILE %s: %s", path, strerror(errno));
            goto out;
        }
        if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077))
            log_warn("the key file %s can be read by others than its owner: chmod 600 it", path);
        n = fread(key, 1, sizeof key - 1, f);
        fclose(f);
        key[n] = '\0';
        key[strcspn(key, " \t\r\n")] = '\0';
        if (strlen(key) != SECRET_KEY_BYTES * 2) {
            err_set(err, ERR_INVALID, "INTEGRATION_ENCRYPTION_KEY_FILE %s must hold 64 hexadecimal characters", path);
            goto out;
        }
    } else if (strlen(cfg->encryption_key) < sizeof key) {
        memcpy(key, cfg->encryption_key, strlen(cfg->encryption_key) + 1);
    } else {
        err_set(err, ERR_INVALID, "INTEGRATION_ENCRYPTION_KEY must be 64 hexadecimal characters (32 bytes)");
        goto out;
    }
    keyring_new(key, cfg->encryption_old_keys, out, err);
out:
    hash_cleanse(key, sizeof key);
    hash_cleanse(cfg->encryption_key, sizeof cfg->encryption_key);
    hash_cleanse(cfg->encryption_old_keys, sizeof cfg->encryption_old_keys);
    return err->code;
}

/*
 * One column of stored secrets, with the statements rekeying needs: the key
 * ids in use, a page of rows not under a given key (id, tenant, secret, in
 * id order after an id), a compare-and-swap of one row's secret, and the
 * count of rows under a given key. The row id goes into each secret's
 * associated data with the table and column (crypto/secret.h).
 */
struct secret_column {
    const char *table, *column;
    const char *sql_key_ids, *sql_page, *sql_swap, *sql_current;
};

/* The secret columns outside the integration categories, each keyed by its row's id. */
static const struct secret_column other_secrets[] = {
    /* Webhook secrets (webhooks.c), keyed by their integration's id. */
    {"integration_webhooks", "secret", "SELECT DISTINCT SUBSTR(secret, 1, 12) FROM integration_webhooks",
     "SELECT integrationId, tenantId, secret FROM integration_webhooks WHERE SUBSTR(secret, 1, 12) <> ? AND integrationId > ? "
     "ORDER BY integrationId LIMIT ?",
     "UPDATE integration_webhooks SET secret = ? WHERE integrationId = ? AND secret = ?",
     "SELECT COUNT(*) FROM integration_webhooks WHERE SUBSTR(secret, 1, 12) = ?"},
    /* Outbound webhook endpoints' signing secrets (notify/endpoints.h), keyed by the endpoint's id. */
    {"webhook_endpoints", "secret", "SELECT DISTINCT SUBSTR(secret, 1, 12) FROM webhook_endpoints",
     "SELECT id, tenantId, secret FROM webhook_endpoints WHERE SUBSTR(secret, 1, 12) <> ? AND id > ? ORDER BY id LIMIT ?",
     "UPDATE webhook_endpoints SET secret = ? WHERE id = ? AND secret = ?",
     "SELECT COUNT(*) FROM webhook_endpoints WHERE SUBSTR(secret, 1, 12) = ?"},
    /* A rotated-out endpoint secret during its overlap (notify/endpoints.h), likewise; NULL outside one. */
    {"webhook_endpoints", "previousSecret",
     "SELECT DISTINCT SUBSTR(previousSecret, 1, 12) FROM webhook_endpoints WHERE previousSecret IS NOT NULL",
     "SELECT id, tenantId, previousSecret FROM webhook_endpoints WHERE SUBSTR(previousSecret, 1, 12) <> ? AND id > ? ORDER BY id "
     "LIMIT ?",
     "UPDATE webhook_endpoints SET previousSecret = ? WHERE id = ? AND previousSecret = ?",
     "SELECT COUNT(*) FROM webhook_endpoints WHERE SUBSTR(previousSecret, 1, 12) = ?"},
    /* Single sign-on client secrets (identity/iam.h). */
    {"iam_providers", "clientSecret", "SELECT DISTINCT SUBSTR(clientSecret, 1, 12) FROM iam_providers",
     "SELECT id, tenantId, clientSecret FROM iam_providers WHERE SUBSTR(clientSecret, 1, 12) <> ? AND id > ? ORDER BY id LIMIT ?",
     "UPDATE iam_providers SET clientSecret = ? WHERE id = ? AND clientSecret = ?",
     "SELECT COUNT(*) FROM iam_providers WHERE SUBSTR(clientSecret, 1, 12) = ?"},
    /* TOTP secrets of accounts (tenancy/totp_http.c), keyed by the account's id; they belong to no tenant. */
    {"account_totp", "secret", "SELECT DISTINCT SUBSTR(secret, 1, 12) FROM account_totp",
     "SELECT accountId, '', secret FROM account_totp WHERE SUBSTR(secret, 1, 12) <> ? AND accountId > ? ORDER BY accountId LIMIT ?",
     "UPDATE account_totp SET secret = ? WHERE accountId = ? AND secret = ?",
     "SELECT COUNT(*) FROM account_totp WHERE SUBSTR(secret, 1, 12) = ?"},
    /* Hosts' passwords and private keys (deploy/deploy.h). */
    {"hosts", "secret", "SELECT DISTINCT SUBSTR(secret, 1, 12) FROM hosts",
     "SELECT id, tenantId, secret FROM hosts WHERE SUBSTR(secret, 1, 12) <> ? AND id > ? ORDER BY id LIMIT ?",
     "UPDATE hosts SET secret = ? WHERE id = ? AND secret = ?", "SELECT COUNT(*) FROM hosts WHERE SUBSTR(secret, 1, 12) = ?"},
};

typedef enum err_code (*column_fn)(struct store_conn *c, const struct keyring *keys, const struct secret_column *col, void *ctx,
                                   struct err *err);

/* Calls fn on every column of stored secrets (every category's secret fields, then other_secrets) until one fails. */
static enum err_code each_secret_column(struct store_conn *c, const struct keyring *keys, column_fn fn, void *ctx, struct err *err)
{
    for (int k = 0; k < CAT__COUNT && !err->code; k++) {
        const struct category *cat = category_get((enum category_id)k);
        for (size_t i = 0; i < cat->ncolumns && !err->code; i++) {
            if (!cat->columns[i]->secret)
                continue;
            struct secret_column col = {cat->table,
                                        cat->columns[i]->name,
                                        cat->sql_key_ids[i],
                                        cat->sql_secret_page[i],
                                        cat->sql_secret_swap[i],
                                        cat->sql_secret_current[i]};
            fn(c, keys, &col, ctx, err);
        }
    }
    for (size_t i = 0; i < ARRAY_LEN(other_secrets) && !err->code; i++)
        fn(c, keys, &other_secrets[i], ctx, err);
    return err->code;
}

static enum err_code check_column(struct store_conn *c, const struct keyring *keys, const struct secret_column *col, void *ctx,
                                  struct err *err)
{
    char id[SECRET_KEY_ID_LEN + 1];
    struct store_stmt *st;
    int rc;

    UNUSED(ctx);
    if (store_select(c, col->sql_key_ids, STORE_NO_ARGS, &st, err))
        return err->code;
    while ((rc = store_next(st, err)) == 1) {
        bool readable = secret_key_id(store_col_text(st, 0), id) == 0;
        if (!keyring_can_encrypt(keys)) {
            err_set(err, ERR_UNAVAILABLE,
                    "the database holds encrypted integration credentials but no encryption key is configured: set "
                    "INTEGRATION_ENCRYPTION_KEY (or INTEGRATION_ENCRYPTION_KEY_FILE)");
            break;
        }
        if (!readable || !keyring_knows(keys, id)) {
            err_set(err, ERR_UNAVAILABLE,
                    "%s.%s holds credentials encrypted with key %s, which is neither INTEGRATION_ENCRYPTION_KEY nor one of "
                    "INTEGRATION_ENCRYPTION_OLD_KEYS",
                    col->table, col->column, readable ? id : "(unknown)");
            break;
        }
    }
    store_finish(st);
    return err->code;
}

enum err_code rekey_check(struct store *s, const struct keyring *keys, struct err *err)
{
    struct store_conn *c;

    if (store_conn_get(s, &c, err))
        return err->code;
    each_secret_column(c, keys, check_column, NULL, err);
    store_conn_put(c);
    return err->code;
}

struct batch {
    const struct keyring *keys;
    const struct secret_column *col;
    int size;
    char start[256]; /* the batch starts after this id */
    char after[256]; /* the last id handled: where the next batch starts */
    int seen;
    struct rekey_result got; /* this attempt's counts, added up once it commits */
};

/* One batch of rows in one transaction: read, re-encrypt, compare-and-swap. */
static enum err_code batch_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct batch *b = ctx;
    const char *table = b->col->table, *column = b->col->column;
    char prefix[PREFIX_LEN + 1];
    struct {
        char id[256], tenant[UUID_SIZE];
        char *stored;
    } rows[100];
    struct store_stmt *st;
    int n = 0, rc;

    /* A transient failure reruns the whole body: start again from the batch's own beginning. */
    memcpy(b->after, b->start, sizeof b->after);
    memset(&b->got, 0, sizeof b->got);
    snprintf(prefix, sizeof prefix, "v1.%s.", keyring_current_id(b->keys));
    if (store_select(c, b->col->sql_page, STORE_ARGS(STORE_TEXT(prefix), STORE_TEXT(b->start), STORE_INT(b->size)), &st, err))
        return err->code;
    while (n < b->size && (rc = store_next(st, err)) == 1) {
        snprintf(rows[n].id, sizeof rows[n].id, "%s", store_col_text(st, 0));
        snprintf(rows[n].tenant, sizeof rows[n].tenant, "%s", store_col_text(st, 1));
        rows[n].stored = strdup(store_col_text(st, 2));
        n++;
    }
    store_finish(st);
    b->seen = n;
    for (int i = 0; i < n && !err->code; i++) {
        struct secret_place at = {rows[i].tenant, table, column, rows[i].id};
        struct plaintext *plain = NULL;
        char *fresh = NULL;
        int64_t changed = 0;
        struct err inner;

        err_clear(&inner);
        memcpy(b->after, rows[i].id, sizeof b->after); /* both 256 bytes, NUL-terminated */
        if (secret_decrypt(b->keys, &at, rows[i].stored, &plain, &inner) ||
            secret_encrypt(b->keys, &at, plain->data, plain->len, &fresh, &inner)) {
            log_error("rotate-key: %s.%s of %s: %s", table, column, rows[i].id, inner.message);
            b->got.failed++;
        } else if (store_run(c, b->col->sql_swap, STORE_ARGS(STORE_TEXT(fresh), STORE_TEXT(rows[i].id), STORE_TEXT(rows[i].stored)),
                             &changed, err) == ERR_OK) {
            b->got.rotated += changed; /* 0: changed meanwhile by someone writing under the current key */
        }
        plaintext_free(plain);
        free(fresh);
    }
    for (int i = 0; i < n; i++)
        free(rows[i].stored);
    return err->code;
}

/* Re-encrypts one column's secrets in batches; adds to the rekey_result ctx points to. */
static enum err_code rotate_column(struct store_conn *c, const struct keyring *keys, const struct secret_column *col, void *ctx,
                                   struct err *err)
{
    struct rekey_result *out = ctx;
    /* Rows are walked in id order, from the nil UUID (before every real one; "" is no uuid to PostgreSQL). */
    struct batch b = {.keys = keys, .col = col, .size = out->batch, .start = "00000000-0000-0000-0000-000000000000"};
    char prefix[PREFIX_LEN + 1];
    struct store_stmt *st;

    snprintf(prefix, sizeof prefix, "v1.%s.", keyring_current_id(keys));
    if (store_select(c, col->sql_current, STORE_ARGS(STORE_TEXT(prefix)), &st, err))
        return err->code;
    if (store_next(st, err) == 1)
        out->current += store_col_int(st, 0);
    store_finish(st);
    do {
        if (store_tx(c, batch_body, &b, err))
            break;
        out->rotated += b.got.rotated;
        out->failed += b.got.failed;
        memcpy(b.start, b.after, sizeof b.start);
        if (b.seen)
            log_info("rotate-key: %s.%s: %d row(s) in this batch, %lld rotated, %lld failed", col->table, col->column, b.seen,
                     (long long)b.got.rotated, (long long)b.got.failed);
    } while (b.seen == b.size);
    return err->code;
}

enum err_code rekey_rotate(struct store *s, const struct keyring *keys, int batch, struct rekey_result *out, struct err *err)
{
    struct store_conn *c;

    memset(out, 0, sizeof *out);
    if (!keyring_can_encrypt(keys))
        return err_set(err, ERR_INVALID,
                       "set INTEGRATION_ENCRYPTION_KEY to the new key (and the old one in INTEGRATION_ENCRYPTION_OLD_KEYS)");
    out->batch = batch < 1 || batch > 100 ? 100 : batch;
    if (store_conn_get(s, &c, err))
        return err->code;
    each_secret_column(c, keys, rotate_column, out, err);
    store_conn_put(c);
    return err->code;
}
