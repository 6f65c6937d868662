#include "system/system_http.h"

#include "core/log.h"

/* Generated at build time from docs/openapi.yaml (see CMakeLists.txt). */
extern const char openapi_yaml[], openapi_json[];
extern const size_t openapi_yaml_len, openapi_json_len;

static const char healthy[] = "{\"status\":\"ok\"}";
static const char ready[] = "{\"status\":\"ready\"}";

enum err_code system_healthz(struct request *req, struct err *err)
{
    UNUSED(err);
    response_static(req, 200, "application/json", healthy, sizeof healthy - 1);
    return ERR_OK;
}

enum err_code system_readyz(struct request *req, struct err *err)
{
    if (store_ping(req->store, err)) {
        log_warn("readyz: database not answering: %s", err->message);
        return err_set(err, ERR_UNAVAILABLE, "the database is not answering");
    }
    response_static(req, 200, "application/json", ready, sizeof ready - 1);
    return ERR_OK;
}

enum err_code system_openapi_json(struct request *req, struct err *err)
{
    UNUSED(err);
    response_static(req, 200, "application/json", openapi_json, openapi_json_len);
    return ERR_OK;
}

enum err_code system_openapi_yaml(struct request *req, struct err *err)
{
    UNUSED(err);
    response_static(req, 200, "application/yaml", openapi_yaml, openapi_yaml_len);
    return ERR_OK;
}
