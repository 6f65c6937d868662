/* Unit tests of credential encryption (crypto/secret) and the integration catalog against the real schema. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <unistd.h>

#include "crypto/pem.h"
#include "crypto/secret.h"
#include "integrations/catalog.h"
#include "integrations/integrations.h"
#include "store/migrate.h"

#define KEY_A "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define KEY_B "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"

static const struct secret_place here = {"11111111-1111-4111-8111-111111111111", "tenant_scm_integrations", "accessToken",
                                         "22222222-2222-4222-8222-222222222222"};

static void test_round_trip(void **state)
{
    struct keyring *k;
    struct plaintext *p = NULL;
    char *ct = NULL, *ct2 = NULL;
    struct err err;
    (void)state;

    err_clear(&err);
    assert_int_equal(keyring_new(KEY_A, NULL, &k, &err), ERR_OK);
    assert_true(keyring_can_encrypt(k));
    assert_int_equal(secret_encrypt(k, &here, "ghp_secret", 10, &ct, &err), ERR_OK);
    assert_memory_equal(ct, "v1.", 3);
    assert_null(strstr(ct, "ghp_secret"));
    assert_int_equal(secret_encrypt(k, &here, "ghp_secret", 10, &ct2, &err), ERR_OK);
    assert_string_not_equal(ct, ct2); /* a fresh nonce every time */
    assert_int_equal(secret_decrypt(k, &here, ct, &p, &err), ERR_OK);
    assert_int_equal(p->len, 10);
    assert_string_equal(p->data, "ghp_secret");
    plaintext_free(p);
    free(ct);
    free(ct2);
    /* Empty secrets work too. */
    assert_int_equal(secret_encrypt(k, &here, "", 0, &ct, &err), ERR_OK);
    assert_int_equal(secret_decrypt(k, &here, ct, &p, &err), ERR_OK);
    assert_int_equal(p->len, 0);
    plaintext_free(p);
    free(ct);
    keyring_free(k);
}

/* Moved to another tenant, table, column or row, a ciphertext does not decrypt. */
static void test_binding(void **state)
{
    struct keyring *k;
    struct plaintext *p = NULL;
    char *ct = NULL;
    struct err err;
    (void)state;

    err_clear(&err);
    assert_int_equal(keyring_new(KEY_A, NULL, &k, &err), ERR_OK);
    assert_int_equal(secret_encrypt(k, &here, "xoxb-token", 10, &ct, &err), ERR_OK);
    struct secret_place moved[] = {
        {"33333333-3333-4333-8333-333333333333", here.table, here.column, here.row_id},
        {here.tenant_id, "tenant_target_integrations", here.column, here.row_id},
        {here.tenant_id, here.table, "refreshToken", here.row_id},
        {here.tenant_id, here.table, here.column, "44444444-4444-4444-8444-444444444444"},
    };
    for (size_t i = 0; i < ARRAY_LEN(moved); i++) {
        assert_int_equal(secret_decrypt(k, &moved[i], ct, &p, &err), ERR_CONFLICT);
        assert_null(p);
    }
    /* Any flipped character is refused. */
    for (size_t i = 12; i < strlen(ct); i += 7) {
        char *bad = strdup(ct);
        bad[i] = bad[i] == 'A' ? 'B' : 'A';
        assert_int_not_equal(secret_decrypt(k, &here, bad, &p, &err), ERR_OK);
        free(bad);
    }
    assert_int_equal(secret_decrypt(k, &here, "plaintext", &p, &err), ERR_INVALID);
    free(ct);
    keyring_free(k);
}

static void test_key_ring(void **state)
{
    struct keyring *a, *b, *none, *bad;
    struct plaintext *p = NULL;
    char *ct = NULL, id[SECRET_KEY_ID_LEN + 1];
    struct err err;
    (void)state;

    err_clear(&err);
    assert_int_equal(keyring_new(KEY_A, NULL, &a, &err), ERR_OK);
    assert_int_equal(keyring_new(KEY_B, KEY_A, &b, &err), ERR_OK);
    assert_string_not_equal(keyring_current_id(a), keyring_current_id(b));
    assert_int_equal(secret_encrypt(a, &here, "old", 3, &ct, &err), ERR_OK);
    assert_int_equal(secret_key_id(ct, id), 0);
    assert_string_equal(id, keyring_current_id(a));
    /* The new ring still reads what the old key wrote. */
    assert_int_equal(secret_decrypt(b, &here, ct, &p, &err), ERR_OK);
    plaintext_free(p);
    free(ct);
    /* A ring without the key says which key is missing. */
    assert_int_equal(keyring_new(KEY_B, NULL, &bad, &err), ERR_OK);
    assert_int_equal(secret_encrypt(b, &here, "new", 3, &ct, &err), ERR_OK);
    assert_int_equal(secret_decrypt(a, &here, ct, &p, &err), ERR_NOT_FOUND);
    free(ct);
    keyring_free(bad);
    /* No key: nothing can be stored, never a plaintext fallback. */
    assert_int_equal(keyring_new(NULL, NULL, &none, &err), ERR_OK);
    assert_false(keyring_can_encrypt(none));
    assert_int_equal(secret_encrypt(none, &here, "x", 1, &ct, &err), ERR_UNAVAILABLE);
    assert_null(ct);
    keyring_free(none);
    /* Malformed keys are refused without echoing them. */
    assert_int_equal(keyring_new("abc", NULL, &bad, &err), ERR_INVALID);
    assert_null(strstr(err.message, "abc"));
    assert_int_equal(keyring_new(KEY_A, "zz", &bad, &err), ERR_INVALID);
    assert_int_equal(keyring_new(KEY_A "00", NULL, &bad, &err), ERR_INVALID);
    keyring_free(a);
    keyring_free(b);
}

/* Every column the catalog derives exists in the migrated table, with secrets as text. */
static void test_catalog_matches_schema(void **state)
{
    char dir[] = "/tmp/slipway-catalog-XXXXXX", url[128];
    struct store *s;
    struct store_conn *c;
    struct err err;
    (void)state;

    catalog_init();
    assert_non_null(mkdtemp(dir));
    snprintf(url, sizeof url, "sqlite://%s/c.db", dir);
    err_clear(&err);
    assert_int_equal(store_open(url, NULL, &s, &err), ERR_OK);
    assert_int_equal(migrate_up(s, migrate_set_for(s), NULL, &err), ERR_OK);
    assert_int_equal(store_conn_get(s, &c, &err), ERR_OK);
    for (int i = 0; i < CAT__COUNT; i++) {
        const struct category *cat = category_get((enum category_id)i);
        struct store_stmt *st;
        /* Preparing each generated statement proves every column it names exists. */
        const char *sqls[] = {cat->sql_insert, cat->sql_update, cat->sql_select, cat->sql_list, cat->sql_delete};
        for (size_t k = 0; k < ARRAY_LEN(sqls); k++) {
            if (store_select(c, sqls[k], STORE_NO_ARGS, &st, &err) != ERR_OK)
                fail_msg("%s: %s", cat->table, sqls[k]);
            store_finish(st);
        }
        assert_non_null(category_by_slug(cat->slug));
    }
    /* Every provider is findable, every secret field is write-only text with a limit. */
    size_t n = 0;
    for (const struct provider *p; (p = provider_at(n)); n++) {
        assert_ptr_equal(provider_by_type(p->type), p);
        for (size_t f = 0; f < p->schema.count; f++) {
            const struct field *fd = &p->schema.fields[f];
            if (fd->secret) {
                assert_int_equal(fd->kind, FIELD_STRING);
                assert_true(fd->max > 0);
            }
        }
    }
    assert_int_equal(n, 21);
    store_conn_put(c);
    store_close(s);
    snprintf(url, sizeof url, "rm -rf %s", dir);
    assert_int_equal(system(url), 0);
}

/*
 * A field that is no longer secret (the App Store key and issuer ids) but still holds a ciphertext written when it
 * was reads as the text it encrypts; text that only looks like a ciphertext of ours stays as it is.
 */
static void test_former_secret_reads_as_text(void **state)
{
    const struct category *cat;
    const char *tenant = "11111111-1111-4111-8111-111111111111", *id = "22222222-2222-4222-8222-222222222222";
    struct store_val vals[10 + CATALOG_MAX_COLUMNS + 8];
    char sql[1024] = "SELECT ?", *sealed = NULL;
    size_t n = 10;
    struct keyring *keys;
    struct store *s;
    struct store_conn *c;
    struct store_stmt *st;
    struct integration_row *row;
    struct err err;
    (void)state;

    catalog_init();
    cat = category_get(CAT_TARGETS);
    err_clear(&err);
    assert_int_equal(keyring_new(KEY_A, NULL, &keys, &err), ERR_OK);
    assert_int_equal(
        secret_encrypt(keys, &(struct secret_place){tenant, cat->table, "appleApiKeyId", id}, "2X9R4HXF34", 10, &sealed, &err),
        ERR_OK);
    /* A row as the category's SELECT returns it: bookkeeping, every config column, the computed ones. */
    const struct store_val book[] = {STORE_TEXT(id),
                                     STORE_TEXT(tenant),
                                     STORE_TEXT("APP_STORE"),
                                     STORE_TEXT("NOT_VERIFIED"),
                                     STORE_NULL,
                                     STORE_NULL,
                                     STORE_TEXT(tenant),
                                     STORE_TEXT("2026-01-01T00:00:00.000Z"),
                                     STORE_TEXT("2026-01-01T00:00:00.000Z"),
                                     STORE_NULL};
    memcpy(vals, book, sizeof book);
    for (size_t i = 0; i < cat->ncolumns; i++) {
        const char *name = cat->columns[i]->name;
        vals[n++] = strcmp(name, "appleApiKeyId") == 0   ? STORE_TEXT(sealed)
                    : strcmp(name, "appleIssuerId") == 0 ? STORE_TEXT("v1.deadbeef.not.ours")
                                                         : STORE_NULL;
    }
    for (const char *const *x = cat->computed; x && *x; x++)
        vals[n++] = STORE_NULL;
    for (size_t i = 1; i < n; i++)
        snprintf(sql + strlen(sql), sizeof sql - strlen(sql), ", ?");
    assert_int_equal(store_open("sqlite://:memory:", NULL, &s, &err), ERR_OK);
    assert_int_equal(store_conn_get(s, &c, &err), ERR_OK);
    assert_int_equal(store_select(c, sql, vals, n, &st, &err), ERR_OK);
    assert_int_equal(store_next(st, &err), 1);
    row = integration_from_stmt(st, keys, cat, false);
    store_finish(st);
    assert_string_equal(json_string_value(json_object_get(row->config, "appleApiKeyId")), "2X9R4HXF34");
    assert_string_equal(json_string_value(json_object_get(row->config, "appleIssuerId")), "v1.deadbeef.not.ours");
    integration_row_free(row);
    free(sealed);
    store_conn_put(c);
    store_close(s);
    keyring_free(keys);
}

/* A PEM key's mask says what the key is and how its base64 ends; other secrets keep ****, and the last four. */
static void test_masks(void **state)
{
    const struct field ec = {.name = "applePrivateKey", .secret = true, .format = "pem-ec-p256"}, token = {.name = "t"};
    json_t *m;
    (void)state;

    m = secret_mask(&ec, "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49\nAbC=\n-----END PRIVATE KEY-----\n",
                    "2026-06-12T08:00:00.000Z");
    assert_string_equal(json_string_value(m), "P-256 EC key ending \xe2\x80\xa6"
                                              "AbC=, added on 2026-06-12");
    json_decref(m);
    m = secret_mask(&ec, "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49\nAbC=\n-----END PRIVATE KEY-----\n", NULL);
    assert_string_equal(json_string_value(m), "P-256 EC key ending \xe2\x80\xa6"
                                              "AbC=");
    json_decref(m);
    m = secret_mask(&token, "ghp_0123456789abcdef\n", NULL);
    assert_string_equal(json_string_value(m), "****cdef");
    json_decref(m);
    m = secret_mask(&token, "short", NULL);
    assert_string_equal(json_string_value(m), "****");
    json_decref(m);
}

static void test_pem_checks(void **state)
{
    (void)state;
    assert_non_null(pem_check_ec_p256("not a key"));
    assert_non_null(pem_check_rsa("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_binding),
        cmocka_unit_test(test_key_ring),
        cmocka_unit_test(test_pem_checks),
        cmocka_unit_test(test_catalog_matches_schema),
        cmocka_unit_test(test_former_secret_reads_as_text),
        cmocka_unit_test(test_masks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
