#define _GNU_SOURCE
#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <strings.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/rand.h"
#include "core/xmalloc.h"

/*
 * The server owns its listening socket and an accept thread that hands
 * connections to libmicrohttpd's epoll worker pool (MHD_add_connection).
 * Stopping to accept is then ours to do exactly: the thread ends and the
 * socket closes, while requests in flight finish. (libmicrohttpd's own
 * MHD_quiesce_daemon races its epoll workers and can abort the process.)
 */
struct server {
    struct MHD_Daemon *daemon;
    int listen_fd;
    int wake[2]; /* a byte on wake[1] stops the accept thread */
    pthread_t acceptor;
    int port;
    struct router *router;
    struct server_hooks hooks;
    void *app;
    struct store *store;
    int64_t body_limit;
    int shutdown_timeout;
    atomic_int inflight;
};

static bool request_id_sane(const char *s)
{
    size_t n = 0;
    if (!s)
        return false;
    for (; s[n]; n++) {
        char c = s[n];
        if (n >= REQUEST_ID_MAX ||
            !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
            return false;
    }
    return n > 0;
}

static void client_ip(struct MHD_Connection *conn, char *out, size_t n)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;

    snprintf(out, n, "unknown");
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out, (socklen_t)n);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out, (socklen_t)n);
}

static struct request *request_new(struct server *s, struct MHD_Connection *conn, const char *url, const char *method)
{
    struct arena *a = arena_new();
    struct request *req = arena_alloc(a, sizeof *req);
    const char *rid = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");

    req->arena = a;
    req->app = s->app;
    req->store = s->store;
    req->conn = conn;
    req->method = arena_strdup(a, method);
    req->path = arena_strdup(a, url);
    req->started_ms = clock_mono_ms();
    req->user_agent = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_USER_AGENT);
    if (request_id_sane(rid))
        snprintf(req->id, sizeof req->id, "%s", rid);
    else
        rand_uuid(req->id);
    client_ip(conn, req->ip, sizeof req->ip);
    buf_init(&req->raw, (size_t)s->body_limit);
    return req;
}

static bool is_json_type(const char *ct)
{
    static const char json[] = "application/json";
    size_t n = sizeof json - 1;
    if (!ct || strncasecmp(ct, json, n) != 0)
        return false;
    return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

static enum err_code parse_body(struct request *req, const struct schema *schema, struct err *err)
{
    json_error_t jerr;
    json_t *body;

    if (req->raw.len == 0)
        return err_set(err, ERR_MALFORMED_JSON, "this request needs a JSON object body");
    if (!is_json_type(request_header(req, MHD_HTTP_HEADER_CONTENT_TYPE)))
        return err_set(err, ERR_MEDIA_TYPE, "the body must be JSON, sent with Content-Type: application/json");
    body = json_loadb(req->raw.data, req->raw.len, JSON_REJECT_DUPLICATES, &jerr);
    if (!body)
        return err_set(err, ERR_MALFORMED_JSON, "the body is not valid JSON (line %d, column %d)", jerr.line, jerr.column);
    request_keep(req, body);
    if (!json_is_object(body))
        return err_set(err, ERR_MALFORMED_JSON, "the body must be a JSON object");
    req->body = body;
    return schema_validate(schema, body, err);
}

/* Parameters named id or ...Id hold UUIDs: anything else cannot exist. */
static bool params_plausible(const struct request *req)
{
    for (int i = 0; i < req->nparams; i++) {
        const char *name = req->param_names[i];
        size_t n = strlen(name);
        if ((strcmp(name, "id") == 0 || (n > 2 && strcmp(name + n - 2, "Id") == 0)) && !uuid_valid(req->param_values[i]))
            return false;
    }
    return true;
}

static enum err_code route_request(struct server *s, struct request *req, struct err *err)
{
    struct route_match m;
    const struct route *rt;
    const char *tenant;
    bool plausible;

    switch (router_match(s->router, req->arena, req->method, req->path, &m)) {
    case ERR_OK:
        break;
    case ERR_METHOD:
        response_header(req, "Allow", m.allow);
        return err_set(err, ERR_METHOD, "%s is not allowed on this path (allowed: %s)", req->method, m.allow);
    default:
        return err_set(err, ERR_NOT_FOUND, "not found");
    }
    rt = m.route;
    req->nparams = m.nparams;
    memcpy(req->param_names, m.names, sizeof m.names);
    memcpy(req->param_values, m.values, sizeof m.values);
    if (req->too_large)
        return err_set(err, ERR_TOO_LARGE, "the body is larger than %lld bytes", (long long)s->body_limit);
    /* Authentication first: a request without a valid token learns nothing, not even that its ids are malformed. */
    plausible = params_plausible(req);
    tenant = plausible && rt->role >= ROLE_VIEWER ? request_param(req, "tenantId") : NULL;
    if (rt->role >= ROLE_ACCOUNT && s->hooks.authenticate(req, tenant, rt->role, err))
        return err->code;
    if (!plausible)
        return err_set(err, ERR_NOT_FOUND, "not found");
    if (rt->body && (req->raw.len > 0 || !rt->body->optional) && parse_body(req, rt->body, err))
        return err->code;
    return rt->handler(req, err);
}

static void dispatch(struct server *s, struct request *req)
{
    struct err err;

    err_clear(&err);
    req->dispatched = true;
    if (route_request(s, req, &err) != ERR_OK) {
        if (err.code == ERR_INTERNAL)
            log_error("request %s failed: %s", req->id, err.message);
        response_error(req, &err);
    }
}

static enum MHD_Result send_response(struct request *req)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(req->resp_len, (void *)req->resp_body, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ok;

    if (!r)
        return MHD_NO;
    if (req->content_type)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, req->content_type);
    MHD_add_response_header(r, "X-Request-Id", req->id);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    bool cache_set = false;
    for (const struct header *h = req->headers; h; h = h->next) {
        MHD_add_response_header(r, h->name, h->value);
        cache_set |= strcasecmp(h->name, MHD_HTTP_HEADER_CACHE_CONTROL) == 0;
    }
    /* API answers are never cached; a handler that serves static files says otherwise. */
    if (!cache_set)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    ok = MHD_queue_response(req->conn, (unsigned)(req->status ? req->status : 500), r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    struct server *s = cls;
    struct request *req = *con_cls;

    UNUSED(version);
    if (!req) {
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        req = request_new(s, conn, url, method);
        *con_cls = req;
        atomic_fetch_add(&s->inflight, 1);
        if (cl && strtoll(cl, NULL, 10) > s->body_limit) {
            /* Refuse before reading it; libmicrohttpd closes the connection after. */
            req->too_large = true;
            dispatch(s, req);
            return send_response(req);
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!req->too_large && buf_append(&req->raw, upload_data, *upload_data_size) != 0) {
            req->too_large = true;
            buf_free(&req->raw);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (!req->dispatched) {
        dispatch(s, req);
        if (req->suspended)
            return MHD_YES; /* resumed later; this function is called again */
    }
    return send_response(req);
}

/* The access line, formatted by hand: it is written for every request, so it skips building a JSON object. */
static void log_access(const struct request *req)
{
    char now[TIMESTAMP_SIZE], method[64], path[1024], line[1536];
    int n;

    clock_now(now);
    log_escape(method, sizeof method, req->method);
    log_escape(path, sizeof path, req->path);
    n = snprintf(line, sizeof line,
                 "{\"time\":\"%s\",\"level\":\"info\",\"msg\":\"request\",\"requestId\":\"%s\",\"method\":\"%s\","
                 "\"path\":\"%s\",\"status\":%d,\"durationMs\":%lld,\"tenant\":%s%s%s,\"account\":%s%s%s}",
                 now, req->id, method, path, req->status, (long long)(clock_mono_ms() - req->started_ms),
                 req->who.tenant_id[0] ? "\"" : "", req->who.tenant_id[0] ? req->who.tenant_id : "null",
                 req->who.tenant_id[0] ? "\"" : "", req->who.account_id[0] ? "\"" : "",
                 req->who.account_id[0] ? req->who.account_id : "null", req->who.account_id[0] ? "\"" : "");
    if (n > 0)
        log_access_line(line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    struct server *s = cls;
    struct request *req = *con_cls;

    UNUSED(conn);
    UNUSED(toe);
    if (!req)
        return;
    if (log_enabled(LOG_INFO))
        log_access(req);
    store_conn_put(req->db);
    buf_free(&req->raw);
    arena_destroy(req->arena);
    *con_cls = NULL;
    atomic_fetch_sub(&s->inflight, 1);
}

PRINTF_LIKE(2, 0) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    UNUSED(cls);
    vsnprintf(msg, sizeof msg, fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    log_warn("http: %s", msg);
}

static void *accept_loop(void *arg)
{
    struct server *s = arg;
    struct pollfd fds[2] = {{.fd = s->listen_fd, .events = POLLIN}, {.fd = s->wake[0], .events = POLLIN}};

    for (;;) {
        struct sockaddr_storage addr;
        socklen_t len = sizeof addr;
        int fd;

        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            log_error("http: poll on the listening socket failed: %s", strerror(errno));
            return NULL;
        }
        if (fds[1].revents)
            return NULL;
        fd = accept4(s->listen_fd, (struct sockaddr *)&addr, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                log_warn("http: accept failed: %s", strerror(errno));
            if (errno == EMFILE || errno == ENFILE)
                poll(NULL, 0, 100); /* out of descriptors: let some close */
            continue;
        }
        MHD_add_connection(s->daemon, fd, (struct sockaddr *)&addr, len); /* closes fd itself on failure */
    }
}

static int listen_on(const struct server_options *o, int *port, struct err *err)
{
    struct addrinfo hints = {.ai_flags = AI_NUMERICSERV | AI_PASSIVE, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    struct sockaddr_storage bound;
    socklen_t blen = sizeof bound;
    char portstr[8];
    int fd, one = 1, rc;

    snprintf(portstr, sizeof portstr, "%d", o->port);
    rc = getaddrinfo(o->host, portstr, &hints, &ai);
    if (rc != 0) {
        err_set(err, ERR_INVALID, "cannot resolve listen address %s: %s", o->host, gai_strerror(rc));
        return -1;
    }
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) || bind(fd, ai->ai_addr, ai->ai_addrlen) ||
        listen(fd, 1024)) {
        err_set(err, ERR_UNAVAILABLE, "cannot listen on %s:%d: %s", o->host, o->port, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    getsockname(fd, (struct sockaddr *)&bound, &blen);
    *port =
        ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port : ((struct sockaddr_in *)&bound)->sin_port);
    return fd;
}

struct server *server_start(const struct server_options *o, const struct route *routes, size_t nroutes,
                            const struct server_hooks *hooks, void *app, struct store *store, struct err *err)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
                     MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ITC;
    struct server *s = xcalloc(1, sizeof *s);

    s->listen_fd = s->wake[0] = s->wake[1] = -1;
    s->router = router_new(routes, nroutes, err);
    if (!s->router)
        goto fail;
    s->hooks = *hooks;
    s->app = app;
    s->store = store;
    s->body_limit = o->body_limit;
    s->shutdown_timeout = o->shutdown_timeout;
    s->listen_fd = listen_on(o, &s->port, err);
    if (s->listen_fd < 0)
        goto fail;
    if (pipe2(s->wake, O_CLOEXEC)) {
        err_set(err, ERR_INTERNAL, "cannot create a pipe: %s", strerror(errno));
        goto fail;
    }
    s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
                                 MHD_OPTION_THREAD_POOL_SIZE, (unsigned)o->threads, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                                 MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_END);
    if (!s->daemon) {
        err_set(err, ERR_UNAVAILABLE, "cannot start the HTTP daemon");
        goto fail;
    }
    if (pthread_create(&s->acceptor, NULL, accept_loop, s) != 0) {
        err_set(err, ERR_INTERNAL, "cannot start the accept thread");
        MHD_stop_daemon(s->daemon);
        goto fail;
    }
    return s;
fail:
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    if (s->wake[0] >= 0) {
        close(s->wake[0]);
        close(s->wake[1]);
    }
    router_free(s->router);
    free(s);
    return NULL;
}

int server_port(const struct server *s)
{
    return s->port;
}

void server_drain(struct server *s)
{
    int64_t deadline = clock_mono_ms() + (int64_t)s->shutdown_timeout * 1000;
    struct timespec tick = {0, 10 * 1000000L};
    char byte = 1;

    /* Stop accepting: end the accept thread and close the socket (new connections are refused). */
    while (write(s->wake[1], &byte, 1) < 0 && errno == EINTR)
        ;
    pthread_join(s->acceptor, NULL);
    close(s->listen_fd);
    close(s->wake[0]);
    close(s->wake[1]);
    while (atomic_load(&s->inflight) > 0 && clock_mono_ms() < deadline)
        nanosleep(&tick, NULL);
    if (atomic_load(&s->inflight) > 0)
        log_warn("shutdown: %d request(s) still in flight after %d s; ending them", atomic_load(&s->inflight), s->shutdown_timeout);
}

void server_stop(struct server *s)
{
    int64_t deadline = clock_mono_ms() + 5000;
    struct timespec tick = {0, 10 * 1000000L};

    /* Resumed requests still have to send their answers; libmicrohttpd must not stop under a suspended one. */
    while (atomic_load(&s->inflight) > 0 && clock_mono_ms() < deadline)
        nanosleep(&tick, NULL);
    MHD_stop_daemon(s->daemon);
    router_free(s->router);
    free(s);
}
