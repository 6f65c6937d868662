/* Unit tests of src/crypto: SHA-256, HMAC-SHA256 signatures, tokens, passwords, TOTP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "crypto/hash.h"
#include "crypto/password.h"
#include "crypto/token.h"
#include "crypto/totp.h"

static void test_sha256(void **state)
{
    char hex[SHA256_HEX_SIZE];
    (void)state;
    hash_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_true(hash_equal("same", "same", 4));
    assert_false(hash_equal("same", "sane", 4));
}

/* GitHub's published example for X-Hub-Signature-256 (docs: "Validating webhook deliveries"). */
static void test_hmac_sha256(void **state)
{
    const char *key = "It's a Secret to Everybody", *msg = "Hello, World!";
    const char *sig = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    char bad[SHA256_HEX_SIZE];
    (void)state;

    assert_true(hash_hmac_sha256_hex_matches(key, strlen(key), msg, strlen(msg), sig, strlen(sig)));
    /* Another secret, another body, one digit off, upper case, short, long, empty. */
    assert_false(hash_hmac_sha256_hex_matches("It's a secret to everybody", 26, msg, strlen(msg), sig, strlen(sig)));
    assert_false(hash_hmac_sha256_hex_matches(key, strlen(key), "Hello, World?", 13, sig, strlen(sig)));
    snprintf(bad, sizeof bad, "%s", sig);
    bad[63] = '6';
    assert_false(hash_hmac_sha256_hex_matches(key, strlen(key), msg, strlen(msg), bad, 64));
    snprintf(bad, sizeof bad, "%s", sig);
    bad[2] = 'F';
    assert_false(hash_hmac_sha256_hex_matches(key, strlen(key), msg, strlen(msg), bad, 64));
    assert_false(hash_hmac_sha256_hex_matches(key, strlen(key), msg, strlen(msg), sig, 63));
    assert_false(hash_hmac_sha256_hex_matches(key, strlen(key), msg, strlen(msg), "", 0));
    /* RFC 4231 test case 2 (a key shorter than the block). */
    assert_true(hash_hmac_sha256_hex_matches("Jefe", 4, "what do ya want for nothing?", 28,
                                             "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", 64));
}

/* A key set up once answers as the one-shot check does, message after message, and so does its copy. */
static void test_hmac_key(void **state)
{
    const char *sig = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    struct hmac_key *k = hmac_key_new("It's a Secret to Everybody", 26), *copy;
    (void)state;

    for (int i = 0; i < 2; i++) {
        assert_true(hmac_key_hex_matches(k, "Hello, World!", 13, sig, 64));
        assert_false(hmac_key_hex_matches(k, "Hello, World?", 13, sig, 64));
        assert_false(hmac_key_hex_matches(k, "Hello, World!", 13, sig, 63));
    }
    copy = hmac_key_copy(k);
    hmac_key_free(k);
    assert_true(hmac_key_hex_matches(copy, "Hello, World!", 13, sig, 64));
    hmac_key_free(copy);
    k = hmac_key_new("Jefe", 4);
    assert_true(hmac_key_hex_matches(k, "what do ya want for nothing?", 28,
                                     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", 64));
    hmac_key_free(k);
}

static void test_tokens(void **state)
{
    char a[TOKEN_SIZE], b[TOKEN_SIZE], ha[SHA256_HEX_SIZE], hb[SHA256_HEX_SIZE];
    (void)state;
    token_generate(a);
    token_generate(b);
    assert_int_equal(strlen(a), TOKEN_LEN);
    assert_memory_equal(a, "slw_", 4);
    assert_string_not_equal(a, b);
    assert_true(token_well_formed(a));
    token_hash(a, ha);
    token_hash(b, hb);
    assert_int_equal(strlen(ha), 64);
    assert_string_not_equal(ha, hb);

    char bad[TOKEN_SIZE];
    memcpy(bad, a, sizeof bad);
    bad[10] = '+';
    assert_false(token_well_formed(bad));
    assert_false(token_well_formed("slw_short"));
    assert_false(token_well_formed(NULL));
    memcpy(bad, a, sizeof bad);
    bad[0] = 'x';
    assert_false(token_well_formed(bad));
}

/* Invitation tokens: the same secret under their own scheme; neither kind passes for the other. */
static void test_invite_tokens(void **state)
{
    char inv[INVITE_SIZE], api[TOKEN_SIZE];
    (void)state;
    invite_token_generate(inv);
    token_generate(api);
    assert_int_equal(strlen(inv), INVITE_LEN);
    assert_memory_equal(inv, "slwi_", 5);
    assert_true(invite_token_well_formed(inv));
    assert_false(token_well_formed(inv));
    assert_false(invite_token_well_formed(api));
    assert_false(invite_token_well_formed("slwi_short"));
    inv[INVITE_LEN - 1] = '=';
    assert_false(invite_token_well_formed(inv));
}

static void test_passwords(void **state)
{
    const struct password_params p = {1024, 1}; /* small: this tests behaviour, not cost */
    char hash[PASSWORD_HASH_SIZE], hash2[PASSWORD_HASH_SIZE], gen[25];
    struct err err;
    (void)state;

    err_clear(&err);
    assert_int_equal(password_hash(&p, "correct horse", hash, &err), ERR_OK);
    assert_memory_equal(hash, "$argon2id$", 10);
    assert_true(password_verify(&p, hash, "correct horse"));
    assert_false(password_verify(&p, hash, "correct horsE"));
    assert_false(password_verify(&p, NULL, "anything"));
    /* A fresh salt each time. */
    assert_int_equal(password_hash(&p, "correct horse", hash2, &err), ERR_OK);
    assert_string_not_equal(hash, hash2);
    password_generate(gen);
    assert_int_equal(strlen(gen), 24);
}

/* RFC 6238 appendix B (SHA-1, 8 digits, the 20-byte ASCII key) and RFC 4226 appendix D (HOTP, 6 digits). */
static void test_totp_vectors(void **state)
{
    static const struct {
        int64_t t;
        uint32_t code;
    } rfc6238[] = {{59, 94287082},         {1111111109, 7081804},  {1111111111, 14050471},
                   {1234567890, 89005924}, {2000000000, 69279037}, {20000000000, 65353130}};
    static const uint32_t rfc4226[] = {755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489};
    const char *key = "12345678901234567890";
    (void)state;

    for (size_t i = 0; i < sizeof rfc6238 / sizeof rfc6238[0]; i++)
        assert_int_equal(totp_hotp(key, 20, (uint64_t)(rfc6238[i].t / TOTP_STEP_SECONDS), 8), rfc6238[i].code);
    for (uint64_t c = 0; c < 10; c++)
        assert_int_equal(totp_hotp(key, 20, c, 6), rfc4226[c]);
}

/* One step of skew either side, not two; a code once accepted, or an older one, is refused; malformed codes. */
static void test_totp_check(void **state)
{
    const char *key = "12345678901234567890";
    const int64_t now = 1111111111, step = now / TOTP_STEP_SECONDS;
    char code[16];
    (void)state;

    for (int64_t d = -2; d <= 2; d++) {
        snprintf(code, sizeof code, "%06u", (unsigned)totp_hotp(key, 20, (uint64_t)(step + d), 6));
        assert_int_equal(totp_check(key, 20, code, now, -1), d >= -1 && d <= 1 ? step + d : -1);
    }
    snprintf(code, sizeof code, "%06u", (unsigned)totp_hotp(key, 20, (uint64_t)step, 6));
    assert_int_equal(totp_check(key, 20, code, now, step), -1);     /* replayed in the same step */
    assert_int_equal(totp_check(key, 20, code, now, step + 1), -1); /* older than the last accepted */
    assert_int_equal(totp_check(key, 20, code, now, step - 1), step);
    assert_int_equal(totp_check("another key.........", 20, code, now, -1), -1);
    code[5] = '\0';
    assert_int_equal(totp_check(key, 20, code, now, -1), -1);
    assert_int_equal(totp_check(key, 20, "12345a", now, -1), -1);
    assert_int_equal(totp_check(key, 20, "1234567", now, -1), -1);
    assert_int_equal(totp_check(key, 20, "", now, -1), -1);
    assert_int_equal(totp_check(key, 20, NULL, now, -1), -1);
}

/* RFC 4648 section 10, unpadded, and the secret's length. */
static void test_totp_base32(void **state)
{
    char out[TOTP_SECRET_B32_SIZE];
    unsigned char secret[TOTP_SECRET_BYTES];
    (void)state;

    totp_base32((const unsigned char *)"foobar", 6, out);
    assert_string_equal(out, "MZXW6YTBOI");
    totp_base32((const unsigned char *)"f", 1, out);
    assert_string_equal(out, "MY");
    totp_base32((const unsigned char *)"", 0, out);
    assert_string_equal(out, "");
    memset(secret, 0xff, sizeof secret);
    totp_base32(secret, sizeof secret, out);
    assert_int_equal(strlen(out), TOTP_SECRET_B32_SIZE - 1);
    totp_base32((const unsigned char *)"12345678901234567890", 20, out);
    assert_string_equal(out, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256),       cmocka_unit_test(test_hmac_sha256),   cmocka_unit_test(test_hmac_key),
        cmocka_unit_test(test_tokens),       cmocka_unit_test(test_invite_tokens), cmocka_unit_test(test_passwords),
        cmocka_unit_test(test_totp_vectors), cmocka_unit_test(test_totp_check),    cmocka_unit_test(test_totp_base32),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
