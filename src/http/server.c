#define _GNU_SOURCE
#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <limits.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <strings.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/rand.h"
#include "core/thread.h"
#include "core/xmalloc.h"
#include "http/connlimit.h"
#include "http/stream.h"

/* The requests of one route (or of none), counted for /metrics without a lock. */
struct route_stats {
    _Atomic uint64_t by_status[500]; /* statuses 100 to 599 */
    struct metrics_histogram latency;
};

/*
 * The server owns its listening socket and an accept thread that hands
 * connections to libmicrohttpd's worker pool (MHD_add_connection).
 * Stopping to accept is then ours to do exactly: the thread ends and the
 * socket closes, while requests in flight finish. (libmicrohttpd's own
 * MHD_quiesce_daemon races its workers and can abort the process.)
 *
 * The workers poll(2) rather than epoll: libmicrohttpd 0.9.75's
 * edge-triggered epoll loop sometimes misses a keep-alive request under
 * load (caught with the bytes unread in the socket and both workers asleep,
 * for 1.5 and 3 s; docs/reliability.md). Level-triggered poll cannot miss
 * one, and costs nothing measurable at the connection counts a worker holds.
 */
struct server {
    struct MHD_Daemon *daemon;
    int listen_fd;
    int wake[2]; /* a byte on wake[1] stops the accept thread */
    pthread_t acceptor;
    int port;
    struct router *router;
    struct server_hooks hooks;
    struct store *store;
    int64_t body_limit;
    int shutdown_timeout;
    atomic_int inflight;
    struct connlimit *conns;    /* every connection the daemon holds is counted here first */
    struct stream_hub *streams; /* NULL when the server serves no streams */
    int max_connections;
    int64_t refused_logged_ms;
    const struct route *routes; /* the table, whose order indexes stats */
    size_t nroutes;
    struct route_stats *stats; /* one a route, then one for requests no route took */
    bool routine;
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

/*
 * An IPv4 address as dotted decimal, as inet_ntop writes it, into out (at
 * least INET_ADDRSTRLEN): every request names its peer, and glibc's
 * inet_ntop formats through sprintf, 1,700 instructions a request
 * (bench/callgrind_post_page.py), more than some whole handlers.
 */
static void ipv4_text(const struct in_addr *addr, char *out)
{
    const unsigned char *b = (const unsigned char *)&addr->s_addr; /* network order: the first octet first */
    char *p = out;

    for (int i = 0; i < 4; i++) {
        unsigned v = b[i];
        if (v >= 100)
            *p++ = (char)('0' + v / 100);
        if (v >= 10)
            *p++ = (char)('0' + v / 10 % 10);
        *p++ = (char)('0' + v % 10);
        *p++ = i < 3 ? '.' : '\0';
    }
}

static void client_ip(struct MHD_Connection *conn, char *out, size_t n)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;

    if (sa && sa->sa_family == AF_INET && n >= INET_ADDRSTRLEN)
        ipv4_text(&((const struct sockaddr_in *)(const void *)sa)->sin_addr, out);
    else if (!sa || sa->sa_family != AF_INET6 ||
             !inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out, (socklen_t)n))
        snprintf(out, n, "unknown");
}

/*
 * A request starts in the URI log callback, the first thing libmicrohttpd
 * calls for it, while its target is still as received; its arena and the
 * target's facts are all it holds until its head is complete (on_request).
 */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct arena *a = arena_new();
    struct request *req = arena_alloc(a, sizeof *req);

    UNUSED(cls);
    UNUSED(conn);
    req->arena = a;
    framing_target_note(&req->target, uri);
    return req;
}

static void request_begin(struct server *s, struct request *req, struct MHD_Connection *conn, const char *url, const char *method)
{
    struct arena *a = req->arena;
    const char *rid = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");

    req->begun = true;
    req->streams = s->streams;
    req->store = s->store;
    req->conn = conn;
    req->method = arena_strdup(a, method);
    req->path = arena_strdup(a, url);
    req->started_us = clock_mono_us();
    req->user_agent = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_USER_AGENT);
    if (request_id_sane(rid))
        snprintf(req->id, sizeof req->id, "%s", rid);
    else
        rand_uuid(req->id);
    client_ip(conn, req->ip, sizeof req->ip);
    buf_init(&req->raw, (size_t)s->body_limit);
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

static enum err_code route_request(struct server *s, struct request *req, struct err *err)
{
    struct route_match m;
    const struct route *rt;

    if (s->hooks.rewrite)
        s->hooks.rewrite(req);
    switch (router_match(s->router, req->arena, req->method, req->path, &m)) {
    case ERR_OK:
        break;
    case ERR_METHOD:
        response_header(req, "Allow", m.allow);
        return err_set(err, ERR_METHOD, "%s is not allowed on this path (allowed: %s)", req->method, m.allow);
    default:
        return err_set(err, ERR_NOT_FOUND, "not found");
    }
    rt = req->route = m.route;
    req->nparams = m.nparams;
    memcpy(req->param_names, m.names, sizeof m.names);
    memcpy(req->param_values, m.values, sizeof m.values);
    if (req->too_large)
        return err_set(err, ERR_TOO_LARGE, "the body is larger than %lld bytes", (long long)s->body_limit);
    /* Access first: a request without a valid token learns nothing, not even that its ids are malformed. */
    if (s->hooks.admit(req, rt->access, err))
        return err->code;
    if (!m.plausible)
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
    struct MHD_Response *r = req->stream
                                 ? stream_response(req)
                                 : MHD_create_response_from_buffer(req->resp_len, (void *)req->resp_body, MHD_RESPMEM_PERSISTENT);
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
    if (req->close)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    ok = MHD_queue_response(req->conn, (unsigned)(req->status ? req->status : 500), r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    struct server *s = cls;
    struct request *req = *con_cls;

    if (!req) /* the URI log callback always runs first; this is only a guard */
        *con_cls = req = on_uri(s, url, conn);
    if (!req->begun) {
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        const char *framing = framing_error(conn, method, url, version, &req->target);
        request_begin(s, req, conn, url, method);
        atomic_fetch_add(&s->inflight, 1);
        if (framing) {
            /* Answered before any of the body is read; the connection cannot be trusted past this request. */
            struct err err;
            err_clear(&err);
            err_set(&err, ERR_INVALID, "%s", framing);
            req->dispatched = req->close = true;
            response_error(req, &err);
            return send_response(req);
        }
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
static void log_access(const struct request *req, int64_t duration_us)
{
    char now[TIMESTAMP_SIZE], method[64], path[1024], line[1536];
    const char *tenant = req->tenant_id ? req->tenant_id : "", *account = req->account_id ? req->account_id : "";
    int n;

    clock_now(now);
    log_escape(method, sizeof method, req->method);
    log_escape(path, sizeof path, req->path);
    n = snprintf(line, sizeof line,
                 "{\"time\":\"%s\",\"level\":\"info\",\"msg\":\"request\",\"requestId\":\"%s\",\"method\":\"%s\","
                 "\"path\":\"%s\",\"status\":%d,\"durationMs\":%lld,\"tenant\":%s%s%s,\"account\":%s%s%s}",
                 now, req->id, method, path, req->status, (long long)(duration_us / 1000), tenant[0] ? "\"" : "",
                 tenant[0] ? tenant : "null", tenant[0] ? "\"" : "", account[0] ? "\"" : "", account[0] ? account : "null",
                 account[0] ? "\"" : "");
    if (n > 0)
        log_access_line(line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static void count_request(struct server *s, const struct request *req, int64_t duration_us)
{
    struct route_stats *rs = &s->stats[req->route ? (size_t)(req->route - s->routes) : s->nroutes];
    int status = req->status ? req->status : 500; /* as send_response answers */

    if (status >= 100 && status <= 599)
        atomic_fetch_add_explicit(&rs->by_status[status - 100], 1, memory_order_relaxed);
    metrics_observe(&rs->latency, duration_us);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    struct server *s = cls;
    struct request *req = *con_cls;

    UNUSED(conn);
    UNUSED(toe);
    if (!req)
        return;
    *con_cls = NULL;
    if (!req->begun) { /* libmicrohttpd gave up on the head (malformed, too large, closed): no request to account for */
        arena_destroy(req->arena);
        return;
    }
    int64_t duration_us = clock_mono_us() - req->started_us;
    count_request(s, req, duration_us);
    if (log_enabled(s->routine ? LOG_DEBUG : LOG_INFO))
        log_access(req, duration_us);
    store_conn_put(req->db);
    buf_free(&req->raw);
    arena_destroy(req->arena);
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

/* libmicrohttpd reports each connection it took (after MHD_add_connection) closed exactly once: its slot is free again. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context, enum MHD_ConnectionNotificationCode code)
{
    struct server *s = cls;
    const union MHD_ConnectionInfo *ci;

    UNUSED(socket_context);
    if (code != MHD_CONNECTION_NOTIFY_CLOSED)
        return;
    ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    connlimit_release(s->conns, ci ? ci->client_addr : NULL);
}

/* A connection over the limit: a short 503 if the socket takes it at once, then closed. Never blocks. */
static void refuse(struct server *s, int fd)
{
    static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\n"
                               "Content-Length: 0\r\n\r\n";
    int64_t now = clock_mono_ms();

    if (send(fd, busy, sizeof busy - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
        /* Nothing to tell: the peer is gone or its window is full. */
    }
    close(fd);
    /* One line every ten seconds at most: a flood must not become a flood of log lines too. */
    if (now - s->refused_logged_ms >= 10000) {
        s->refused_logged_ms = now;
        log_warn("http: refused %llu connection(s) over the limit (%d open)", (unsigned long long)connlimit_take_refused(s->conns),
                 connlimit_open(s->conns));
    }
}

static void *accept_loop(void *arg)
{
    struct server *s = arg;
    struct pollfd fds[2] = {{.fd = s->listen_fd, .events = POLLIN}, {.fd = s->wake[0], .events = POLLIN}};

    thread_name("http-accept");
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
        if (!connlimit_admit(s->conns, (struct sockaddr *)&addr)) {
            refuse(s, fd);
            continue;
        }
        /* On failure libmicrohttpd has closed fd and reports nothing: the slot is ours to give back. */
        if (MHD_add_connection(s->daemon, fd, (struct sockaddr *)&addr, len) != MHD_YES)
            connlimit_release(s->conns, (struct sockaddr *)&addr);
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

/* Descriptors kept back from connections: the database pool, outbound calls, the log, files. */
#define FD_RESERVE 256
#define DEFAULT_MAX_CONNECTIONS 4096

/*
 * The connections the server may hold: o->max_connections, or by default
 * as many as the file limit allows up to DEFAULT_MAX_CONNECTIONS. The soft
 * file limit is raised toward the hard one as far as that needs (as nginx's
 * worker_rlimit_nofile does); asking for more than the hard limit allows is
 * a configuration error, not something to find out under load.
 */
static enum err_code connection_limit(const struct server_options *o, int *max, struct err *err)
{
    rlim_t want = (rlim_t)(o->max_connections > 0 ? o->max_connections : DEFAULT_MAX_CONNECTIONS) + FD_RESERVE;
    struct rlimit rl;
    long budget;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return err_set(err, ERR_INTERNAL, "cannot read the file limit: %s", strerror(errno));
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            getrlimit(RLIMIT_NOFILE, &rl);
    }
    budget = rl.rlim_cur == RLIM_INFINITY ? LONG_MAX : (long)rl.rlim_cur - FD_RESERVE;
    if (o->max_connections > 0 && o->max_connections > budget)
        return err_set(err, ERR_INVALID,
                       "SLIPWAY_MAX_CONNECTIONS=%d needs %d open files, and this process may open %ld (ulimit -n)",
                       o->max_connections, o->max_connections + FD_RESERVE, budget + FD_RESERVE);
    if (budget < 16)
        return err_set(err, ERR_INVALID, "this process may open only %ld files (ulimit -n): slipway needs %d or more",
                       budget + FD_RESERVE, 16 + FD_RESERVE);
    *max = o->max_connections > 0 ? o->max_connections : budget < DEFAULT_MAX_CONNECTIONS ? (int)budget : DEFAULT_MAX_CONNECTIONS;
    return ERR_OK;
}

struct server *server_start(const struct server_options *o, const struct route *routes, size_t nroutes,
                            const struct server_hooks *hooks, struct store *store, struct err *err)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
                     MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ITC;
    struct server *s = xcalloc(1, sizeof *s);

    s->listen_fd = s->wake[0] = s->wake[1] = -1;
    s->router = router_new(routes, nroutes, err);
    if (!s->router)
        goto fail;
    s->hooks = *hooks;
    s->store = store;
    s->body_limit = o->body_limit;
    s->shutdown_timeout = o->shutdown_timeout;
    if (connection_limit(o, &s->max_connections, err))
        goto fail;
    s->conns = connlimit_new(s->max_connections, o->max_client_connections);
    s->streams = o->stream_heartbeat > 0 ? stream_hub_start(store, o->stream_heartbeat * 1000) : NULL;
    s->routes = routes;
    s->nroutes = nroutes;
    s->stats = xcalloc(nroutes + 1, sizeof *s->stats);
    s->routine = o->routine;
    s->listen_fd = listen_on(o, &s->port, err);
    if (s->listen_fd < 0)
        goto fail;
    if (pipe2(s->wake, O_CLOEXEC)) {
        err_set(err, ERR_INTERNAL, "cannot create a pipe: %s", strerror(errno));
        goto fail;
    }
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)o->threads, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, s, MHD_OPTION_CONNECTION_TIMEOUT, 60u,
        /* Room for every connection in each worker, and for closed ones not yet cleaned up: the
           daemon's own limit must never be reached (connlimit.h). */
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)s->max_connections * 2u * (unsigned)o->threads, MHD_OPTION_END);
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
    connlimit_free(s->conns);
    stream_hub_free(s->streams);
    free(s->stats);
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

    /* Streams end now (a client may keep one open forever); then stop accepting: new connections are refused. */
    stream_hub_close(s->streams);
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
    stream_hub_free(s->streams);
    router_free(s->router);
    connlimit_free(s->conns);
    free(s->stats);
    free(s);
}

/* One route's counts: a sample for each status it answered, and its latencies once it has any. */
static void route_metrics(struct metrics_out *m, const struct route_stats *rs, const char *method, const char *route, bool latency)
{
    char labels[512], mv[32], rv[256];
    bool any = false;

    metrics_escape(mv, sizeof mv, method);
    metrics_escape(rv, sizeof rv, route);
    for (int i = 0; i < 500; i++) {
        uint64_t n = atomic_load_explicit(&rs->by_status[i], memory_order_relaxed);
        if (!n)
            continue;
        any = true;
        if (!latency)
            metrics_printf(m, "slipway_http_requests_total{method=\"%s\",route=\"%s\",code=\"%d\"} %llu\n", mv, rv, i + 100,
                           (unsigned long long)n);
    }
    if (latency && any) {
        snprintf(labels, sizeof labels, "method=\"%s\",route=\"%s\"", mv, rv);
        metrics_histogram_write(m, "slipway_http_request_duration_seconds", labels, &rs->latency);
    }
}

void server_metrics_write(struct server *s, struct metrics_out *m)
{
    metrics_family(m, "slipway_http_requests_total", "counter",
                   "HTTP requests answered, by method, route pattern (\"unmatched\" when none matched) and status.");
    for (size_t i = 0; i <= s->nroutes; i++)
        route_metrics(m, &s->stats[i], i < s->nroutes ? s->routes[i].method : "any",
                      i < s->nroutes ? s->routes[i].pattern : "unmatched", false);
    metrics_family(m, "slipway_http_request_duration_seconds", "histogram",
                   "Time from a request's head to the end of its answer, by method and route pattern (an event stream's: its "
                   "whole life).");
    for (size_t i = 0; i <= s->nroutes; i++)
        route_metrics(m, &s->stats[i], i < s->nroutes ? s->routes[i].method : "any",
                      i < s->nroutes ? s->routes[i].pattern : "unmatched", true);
    metrics_family(m, "slipway_http_requests_in_flight", "gauge", "Requests begun and not yet answered.");
    metrics_printf(m, "slipway_http_requests_in_flight %d\n", atomic_load(&s->inflight));
    metrics_family(m, "slipway_http_connections_open", "gauge", "Client connections held.");
    metrics_printf(m, "slipway_http_connections_open %d\n", connlimit_open(s->conns));
    metrics_family(m, "slipway_http_connections_max", "gauge",
                   "Client connections the server holds at most (SLIPWAY_MAX_CONNECTIONS).");
    metrics_printf(m, "slipway_http_connections_max %d\n", s->max_connections);
    metrics_family(m, "slipway_sse_streams_open", "gauge", "Server-Sent Events streams open.");
    metrics_printf(m, "slipway_sse_streams_open %d\n", stream_hub_open(s->streams));
}
