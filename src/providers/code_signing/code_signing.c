/*
 * code_signing.c: code-signing certificates and keystores. No network:
 * the certificate is opened with its password (crypto/pem.c) when saved,
 * which fills its subject, fingerprint and expiry, and again to verify.
 */
#include "core/clock.h"
#include "crypto/pem.h"
#include "providers/call.h"
#include "providers/fields.h"

static const char *const formats[] = {"PKCS12", "PEM", NULL};

static const struct field fields[] = {
    ONE_OF("platform", true, fields_mobile_platforms),
    ONE_OF("certificateFormat", true, formats),
    SECRET("certificateData", true, 1 << 20),
    SECRET("certificatePassword", false, 1024),
    TEXT("keyAlias", false, 255),
    SECRET("keyPassword", false, 1024),
};

static const char *const computed[] = {"certificateSubject", "certificateFingerprint", "certificateExpiresAt", NULL};

static enum err_code inspect(const json_t *config, struct cert_info *info, struct err *err)
{
    const char *format = json_string_value(json_object_get(config, "certificateFormat"));
    const char *data = json_string_value(json_object_get(config, "certificateData"));
    const char *password = json_string_value(json_object_get(config, "certificatePassword"));
    return cert_inspect(format && strcmp(format, "PKCS12") == 0 ? CERT_PKCS12 : CERT_PEM, data ? data : "", password, info, err);
}

static void prepare(json_t *c, struct err *err)
{
    struct cert_info info;
    struct err inner;
    char expires[TIMESTAMP_SIZE];

    if (!json_is_string(json_object_get(c, "certificateFormat")) || !json_is_string(json_object_get(c, "certificateData")))
        return;
    err_clear(&inner);
    if (inspect(c, &info, &inner)) {
        for (int i = 0; i < inner.ndetails; i++)
            err_detail(err, inner.details[i].field, "%s", inner.details[i].message);
        return;
    }
    clock_format(info.not_after_ms, expires);
    json_object_set_new(c, "certificateSubject", json_string(info.subject));
    json_object_set_new(c, "certificateFingerprint", json_string(info.fingerprint));
    json_object_set_new(c, "certificateExpiresAt", json_string(expires));
}

/* Opens the certificate: past notAfter is EXPIRED, before notBefore INVALID. */
static void verify(struct provider_call *c, const struct outbound_response *res)
{
    struct cert_info info;
    struct err err;
    char when[TIMESTAMP_SIZE];
    int64_t now = clock_now_ms();

    UNUSED(res);
    err_clear(&err);
    if (inspect(c->config, &info, &err)) {
        provider_finish(c, VERDICT_INVALID, "%s", err.ndetails ? err.details[0].message : err.message);
        return;
    }
    clock_format(info.not_after_ms, when);
    json_object_set_new(c->output, "subject", json_string(info.subject));
    json_object_set_new(c->output, "expiresAt", json_string(when));
    if (info.not_after_ms <= now)
        provider_finish(c, VERDICT_EXPIRED, "the certificate expired on %s: renew it and upload the new one", when);
    else if (info.not_before_ms > now)
        provider_finish(c, VERDICT_INVALID, "the certificate is not valid yet");
    else
        provider_finish(c, VERDICT_VALID, "the certificate opens with its password and is valid until %s", when);
}

static const struct provider_ops ops = {.verify = verify};

struct provider code_signing_provider = {
    .type = "CODE_SIGNING",
    .kind = "code-signing",
    .display = "Code signing",
    .category = CAT_CODE_SIGNING,
    FIELDS(fields),
    .prepare = prepare,
    .computed = computed,
    .expiry = "certificateExpiresAt",
    .caps = CAP_VERIFY,
    .ops = &ops,
};
