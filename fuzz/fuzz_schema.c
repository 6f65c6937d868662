/*
 * fuzz_schema.c: validation of JSON request bodies.
 *
 * Input: a request body, parsed as the server parses one (jansson,
 * duplicate keys refused). An object is then validated against every body
 * schema of the route table (in full, and as a partial update) and, for
 * the routes whose schema is open (integrations), against every
 * integration type's descriptor, including its cross-field rules (a
 * code-signing certificate is parsed by OpenSSL there). The answer must be
 * consistent: ERR_OK with no details, or ERR_INVALID with at least one, its
 * message and details valid UTF-8 (cut between characters).
 */
#include <stdint.h>

#include "fuzz.h"
#include "http/router.h"
#include "integrations/catalog.h"
#include "integrations/integrations.h"
#include "routes.h"

#define MAX_INPUT 65536

static void check_answer(enum err_code rc, const struct err *err)
{
    CHECK(rc == err->code);
    CHECK(rc == ERR_OK ? err->ndetails == 0 : rc == ERR_INVALID && err->ndetails > 0);
    CHECK(utf8_valid(err->message)); /* an answer jansson can encode, however long the keys */
    for (int i = 0; i < err->ndetails && i < ERR_DETAILS_MAX; i++) {
        CHECK(err->details[i].field[0] != '\0' || err->details[i].message[0] != '\0');
        CHECK(utf8_valid(err->details[i].field) && utf8_valid(err->details[i].message));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    json_error_t jerr;
    json_t *body;
    struct err err;

    if (!ready) {
        catalog_init();
        ready = true;
    }
    if (size > MAX_INPUT)
        return 0;
    body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(body)) {
        json_decref(body);
        return 0;
    }
    for (size_t i = 0; i < routes_count; i++) {
        const struct schema *s = routes[i].body;
        if (!s || s->open)
            continue;
        err_clear(&err);
        check_answer(schema_validate(s, body, &err), &err);
        err_clear(&err);
        check_answer(schema_validate_partial(s, body, &err), &err);
    }
    for (size_t i = 0; provider_at(i); i++) {
        json_t *config = json_deep_copy(body);
        err_clear(&err);
        enum err_code rc = integration_validate(provider_at(i), config, &err);
        CHECK(rc == err.code && (rc == ERR_OK) == (err.ndetails == 0));
        json_decref(config);
    }
    json_decref(body);
    return 0;
}
