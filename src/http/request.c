#include "http/request.h"

#include <microhttpd.h>

#include "core/log.h"
#include "core/workpool.h"
#include "http/jsonw.h"

const char *request_param(const struct request *req, const char *name)
{
    for (int i = 0; i < req->nparams; i++)
        if (strcmp(req->param_names[i], name) == 0)
            return req->param_values[i];
    return NULL;
}

const char *request_header(const struct request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *request_query(const struct request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *request_cookie(const struct request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}

enum err_code request_db(struct request *req, struct store_conn **out, struct err *err)
{
    if (!req->db && store_conn_get(req->store, &req->db, err))
        return err->code;
    store_conn_guard(req->db, req->tenant_id); /* test runs: rows of other tenants fail the request */
    *out = req->db;
    return ERR_OK;
}

static void free_text(void *p)
{
    free(p);
}

static void json_release(void *p)
{
    json_decref(p);
}

/* An If-None-Match list ("a", W/"b", or *) that names etag. */
bool etag_matches(const char *header, const char *etag)
{
    size_t n = strlen(etag);

    if (!header)
        return false;
    for (const char *p = header; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        if (*p == '*')
            return true;
        if (strncmp(p, "W/", 2) == 0)
            p += 2;
        if (strncmp(p, etag, n) == 0 && (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
            return true;
        while (*p && *p != ',')
            p++;
    }
    return false;
}

json_t *json_text_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

json_t *request_keep(struct request *req, json_t *j)
{
    if (j)
        arena_defer(req->arena, json_release, j);
    return j;
}

/* text (malloc'd, owned from here on, len bytes) as the answer; NULL is the 500 for an answer that could not be made. */
static void respond_text(struct request *req, int status, char *text, size_t len)
{
    if (!text) {
        /* A bug (bad UTF-8, a missing value, an answer past its cap), never the client's fault. */
        const char *internal = arena_printf(
            req->arena, "{\"error\":{\"code\":\"internal\",\"message\":\"internal error\",\"details\":[]},\"requestId\":\"%s\"}",
            req->id); /* the id is plain ASCII (server.c: request_id_sane, or a UUID) */
        log_error("request %s: could not build the JSON response", req->id);
        response_static(req, 500, "application/json", internal, strlen(internal));
        return;
    }
    req->status = status;
    req->content_type = "application/json";
    arena_defer(req->arena, free_text, text);
    req->resp_body = text;
    req->resp_len = len;
}

void response_json(struct request *req, int status, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

    json_decref(body);
    respond_text(req, status, text, text ? strlen(text) : 0);
}

void response_jsonw(struct request *req, int status, struct jsonw *w)
{
    if (w->failed || !w->out.data) {
        jsonw_free(w);
        respond_text(req, status, NULL, 0);
        return;
    }
    respond_text(req, status, w->out.data, w->out.len);
    buf_init(&w->out, w->out.limit); /* the text is the request's now */
}

void response_empty(struct request *req, int status)
{
    req->status = status;
    req->resp_body = "";
    req->resp_len = 0;
    req->content_type = NULL;
}

void response_static(struct request *req, int status, const char *content_type, const char *body, size_t len)
{
    req->status = status;
    req->content_type = content_type;
    req->resp_body = body;
    req->resp_len = len;
}

void response_header(struct request *req, const char *name, const char *value)
{
    struct header *h = arena_alloc(req->arena, sizeof *h);
    h->name = arena_strdup(req->arena, name);
    h->value = arena_strdup(req->arena, value);
    h->next = req->headers;
    req->headers = h;
}

void response_error(struct request *req, const struct err *err)
{
    json_t *details = json_array();
    enum err_code code = err->code == ERR_OK ? ERR_INTERNAL : err->code;

    for (int i = 0; i < err->ndetails; i++)
        json_array_append_new(details, json_pack("{s:s, s:s}", "field", err->details[i].field, "message", err->details[i].message));
    if ((code == ERR_RATE_LIMITED || code == ERR_USAGE_LIMIT) && err->retry_after > 0) {
        char secs[16];
        snprintf(secs, sizeof secs, "%d", err->retry_after);
        response_header(req, "Retry-After", secs);
    }
    response_json(req, err_http_status(code),
                  json_pack("{s:{s:s, s:s, s:o}, s:s}", "error", "code", err_code_name(code), "message",
                            err->message[0] ? err->message : err_code_name(code), "details", details, "requestId", req->id));
}

void request_suspend(struct request *req)
{
    req->suspended = true;
    MHD_suspend_connection(req->conn);
}

void request_resume(struct request *req)
{
    MHD_resume_connection(req->conn);
}

struct deferred_call {
    struct request *req;
    void (*fn)(struct request *req);
};

static void run_deferred(void *arg)
{
    struct deferred_call *d = arg;
    d->fn(d->req);
    request_resume(d->req);
}

enum err_code request_defer(struct request *req, struct workpool *pool, void (*fn)(struct request *req), struct err *err)
{
    struct deferred_call *d = arena_alloc(req->arena, sizeof *d);

    d->req = req;
    d->fn = fn;
    request_suspend(req);
    if (workpool_submit(pool, run_deferred, d) == 0)
        return ERR_OK;
    request_resume(req);
    return err_set(err, ERR_UNAVAILABLE, "the server is busy; try again shortly");
}
