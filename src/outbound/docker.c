/* docker.c: the Docker Engine's HTTP API over an SSH channel (docker.h). */
#include "outbound/docker.h"

#include "core/buf.h"
#include "core/encode.h"

#define ANSWER_CAP (1024 * 1024) /* an answer's bytes at most (the calls here answer a few hundred) */
#define MESSAGE_MAX 200          /* the Engine's error message, cut here in ours */

/* The answer of one call: its status and, when it has one, its JSON body (caller owns). */
struct answer {
    int status;
    json_t *body;
};

/*
 * Splits an HTTP answer into its status and body (JSON when it parses,
 * else NULL). The Engine closes the channel after a 1.0 request's answer,
 * so the body is everything after the headers.
 */
static enum err_code answer_parse(const struct buf *b, struct answer *a, struct err *err)
{
    const char *end;
    int minor = 0;

    a->body = NULL;
    if (!b->data || sscanf(b->data, "HTTP/1.%d %d", &minor, &a->status) != 2 || !(end = strstr(b->data, "\r\n\r\n")))
        return err_set(err, ERR_UNAVAILABLE, "the socket did not answer as a Docker Engine does (no HTTP answer)");
    end += 4;
    if (end < b->data + b->len)
        a->body = json_loadb(end, (size_t)(b->data + b->len - end), JSON_DECODE_ANY, NULL);
    return ERR_OK;
}

/* One call: method and path (under DOCKER_API), body (borrowed; NULL: none) as JSON. a->body is the caller's. */
static enum err_code call(const struct docker *d, const char *method, const char *path, const json_t *body, struct answer *a,
                          struct err *err)
{
    char *json = body ? json_dumps(body, JSON_COMPACT) : NULL;
    struct buf req, ans;

    buf_init(&req, 64 * 1024 + (json ? strlen(json) : 0));
    buf_init(&ans, ANSWER_CAP);
    buf_printf(&req, "%s %s%s HTTP/1.0\r\nHost: docker\r\nUser-Agent: slipway\r\n", method, DOCKER_API, path);
    if (json)
        buf_printf(&req, "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s", strlen(json), json);
    else
        buf_appends(&req, "Content-Length: 0\r\n\r\n");
    if (ssh_socket_exchange(d->conn, d->socket, req.data, req.len, &ans, d->timeout_ms, err) == ERR_OK)
        answer_parse(&ans, a, err);
    free(json);
    buf_free(&req);
    buf_free(&ans);
    return err->code;
}

/* An answer other than the expected ones, as an error naming the call: the Engine's message, cut. */
static enum err_code refused(const char *what, struct answer *a, struct err *err)
{
    const char *message = json_string_value(json_object_get(a->body, "message"));

    err_set(err,
            a->status == 404   ? ERR_NOT_FOUND
            : a->status == 409 ? ERR_CONFLICT
                               : ERR_UNAVAILABLE,
            "the Docker Engine refused to %s (HTTP %d)%s%.*s", what, a->status, message ? ": " : "", MESSAGE_MAX,
            message ? message : "");
    json_decref(a->body);
    a->body = NULL;
    return err->code;
}

/* A call whose answer is one of the statuses in ok (0-terminated); the body dropped. */
static enum err_code call_expect(const struct docker *d, const char *method, const char *path, const json_t *body, const int *ok,
                                 const char *what, struct err *err)
{
    struct answer a = {0};

    if (call(d, method, path, body, &a, err))
        return err->code;
    for (; *ok; ok++)
        if (a.status == *ok) {
            json_decref(a.body);
            return ERR_OK;
        }
    return refused(what, &a, err);
}

enum err_code docker_ping(const struct docker *d, char version[DOCKER_VERSION_SIZE], struct err *err)
{
    struct answer a = {0};
    const char *v;

    version[0] = '\0';
    if (call_expect(d, "GET", "/_ping", NULL, (const int[]){200, 0}, "answer a ping", err) ||
        call(d, "GET", "/version", NULL, &a, err))
        return err->code;
    if (a.status != 200)
        return refused("say its version", &a, err);
    v = json_string_value(json_object_get(a.body, "Version"));
    snprintf(version, DOCKER_VERSION_SIZE, "%s", v ? v : "unknown");
    json_decref(a.body);
    return ERR_OK;
}

enum err_code docker_state(const struct docker *d, const char *name, enum docker_state *state, struct err *err)
{
    static const struct {
        const char *name;
        enum docker_state state;
    } states[] = {{"created", DOCKER_CREATED}, {"running", DOCKER_RUNNING}, {"restarting", DOCKER_RUNNING},
                  {"paused", DOCKER_RUNNING},  {"exited", DOCKER_EXITED},   {"dead", DOCKER_EXITED},
                  {"removing", DOCKER_EXITED}};
    char path[DOCKER_NAME_SIZE + 32];
    struct answer a = {0};
    const char *s;

    *state = DOCKER_ABSENT;
    snprintf(path, sizeof path, "/containers/%s/json", name);
    if (call(d, "GET", path, NULL, &a, err))
        return err->code;
    if (a.status == 404) {
        json_decref(a.body);
        return ERR_OK;
    }
    if (a.status != 200)
        return refused("inspect the container", &a, err);
    s = json_string_value(json_object_get(json_object_get(a.body, "State"), "Status"));
    *state = DOCKER_EXITED; /* a state this table does not know: treated as ended */
    for (size_t i = 0; s && i < ARRAY_LEN(states); i++)
        if (strcmp(s, states[i].name) == 0)
            *state = states[i].state;
    json_decref(a.body);
    return ERR_OK;
}

enum err_code docker_create(const struct docker *d, const char *name, const struct docker_spec *spec, struct err *err)
{
    char path[DOCKER_NAME_SIZE + 32];
    json_t *body = json_pack("{s:s, s:O, s:O, s:O, s:b, s:b, s:b, s:b, s:{s:s}}", "Image", spec->image, "Cmd", spec->argv, "Env",
                             spec->env, "Labels", spec->labels, "Tty", 0, "OpenStdin", 0, "AttachStdout", 0, "AttachStderr", 0,
                             "HostConfig", "NetworkMode", "none");

    snprintf(path, sizeof path, "/containers/create?name=%s", name);
    call_expect(d, "POST", path, body, (const int[]){201, 0}, "create the container", err);
    json_decref(body);
    return err->code;
}

/* POST /containers/{name}/{action}, answered by one of ok. */
static enum err_code container_post(const struct docker *d, const char *name, const char *action, const int *ok, const char *what,
                                    struct err *err)
{
    char path[DOCKER_NAME_SIZE + 64];

    snprintf(path, sizeof path, "/containers/%s/%s", name, action);
    return call_expect(d, "POST", path, NULL, ok, what, err);
}

enum err_code docker_start(const struct docker *d, const char *name, struct err *err)
{
    return container_post(d, name, "start", (const int[]){204, 304, 0}, "start the container", err);
}

enum err_code docker_kill(const struct docker *d, const char *name, struct err *err)
{
    /* 409: not running; 404: gone */
    return container_post(d, name, "kill", (const int[]){204, 409, 404, 0}, "stop the container", err);
}

enum err_code docker_wait(const struct docker *d, const char *name, int *exit_code, struct err *err)
{
    char path[DOCKER_NAME_SIZE + 32];
    struct answer a = {0};
    json_t *code;

    *exit_code = -1;
    snprintf(path, sizeof path, "/containers/%s/wait", name);
    if (call(d, "POST", path, NULL, &a, err))
        return err->code;
    if (a.status != 200)
        return refused("say how the container ended", &a, err);
    if (json_is_integer(code = json_object_get(a.body, "StatusCode")))
        *exit_code = (int)json_integer_value(code);
    json_decref(a.body);
    return ERR_OK;
}

enum err_code docker_remove(const struct docker *d, const char *name, struct err *err)
{
    char path[DOCKER_NAME_SIZE + 32];

    snprintf(path, sizeof path, "/containers/%s?force=1&v=1", name);
    return call_expect(d, "DELETE", path, NULL, (const int[]){204, 404, 0}, "remove the container", err);
}

enum err_code docker_each_stopped(const struct docker *d, const char *label, const char *value, const char *step_label,
                                  void (*fn)(void *ctx, const char *name, const char *step), void *ctx, struct err *err)
{
    char path[1024], escaped[768], filters[256];
    struct answer a = {0};
    json_t *c;
    size_t i;

    if (snprintf(filters, sizeof filters, "{\"label\":[\"%s=%s\"],\"status\":[\"created\",\"exited\",\"dead\"]}", label, value) >=
            (int)sizeof filters ||
        !url_escape(filters, escaped, sizeof escaped))
        return err_set(err, ERR_INTERNAL, "the container filter is too long");
    snprintf(path, sizeof path, "/containers/json?all=1&limit=%d&filters=%s", DOCKER_LIST_MAX, escaped);
    if (call(d, "GET", path, NULL, &a, err))
        return err->code;
    if (a.status != 200 || !json_is_array(a.body))
        return refused("list the containers", &a, err);
    json_array_foreach(a.body, i, c)
    {
        const char *name = json_string_value(json_array_get(json_object_get(c, "Names"), 0)), /* "/slipway-..." */
            *step = json_string_value(json_object_get(json_object_get(c, "Labels"), step_label));
        if (name)
            fn(ctx, name + (name[0] == '/'), step ? step : "");
    }
    json_decref(a.body);
    return ERR_OK;
}

/* The request for a container's output from its start, stdout and stderr: followed, or what there is. */
static enum err_code logs_request(const char *name, bool follow, char *out, size_t size, struct err *err)
{
    if (snprintf(out, size, "GET %s/containers/%s/logs?%sstdout=1&stderr=1 HTTP/1.0\r\nHost: docker\r\nUser-Agent: slipway\r\n\r\n",
                 DOCKER_API, name, follow ? "follow=1&" : "") >= (int)size)
        return err_set(err, ERR_INTERNAL, "the container's name is too long");
    return ERR_OK;
}

enum err_code docker_follow_request(const char *name, char *out, size_t size, struct err *err)
{
    return logs_request(name, true, out, size, err);
}

/* The headers are in: a 200 goes on to the frames; anything else ends the run. */
static bool head_done(struct docker_follow *f, struct err *err)
{
    int minor = 0, status = 0;

    f->head[f->head_len] = '\0';
    if (sscanf(f->head, "HTTP/1.%d %d", &minor, &status) != 2) {
        err_set(err, ERR_UNAVAILABLE, "the Docker Engine's answer to following the container's output is not HTTP");
        return false;
    }
    if (status != 200) {
        err_set(err, ERR_UNAVAILABLE, "the Docker Engine refused to follow the container's output (HTTP %d)", status);
        return false;
    }
    f->body = true;
    return true;
}

bool docker_demux(struct docker_follow *f, const char *p, size_t n, ssh_out_fn out, void *octx, struct err *err)
{
    while (n > 0) {
        if (!f->body) { /* byte by byte until the blank line: headers are short */
            if (f->head_len == sizeof f->head - 1) {
                err_set(err, ERR_UNAVAILABLE, "the Docker Engine's answer has headers past %zu bytes", sizeof f->head);
                return false;
            }
            f->head[f->head_len++] = *p++, n--;
            if (f->head_len >= 4 && memcmp(f->head + f->head_len - 4, "\r\n\r\n", 4) == 0 && !head_done(f, err))
                return false;
        } else if (f->left == 0) { /* a frame's header */
            f->frame[f->frame_len++] = (unsigned char)*p++, n--;
            if (f->frame_len < sizeof f->frame)
                continue;
            f->frame_len = 0;
            f->stream = f->frame[0] == 2 ? SSH_STDERR : SSH_STDOUT; /* 0 (stdin) and 1 are stdout */
            f->left = (uint32_t)f->frame[4] << 24 | (uint32_t)f->frame[5] << 16 | (uint32_t)f->frame[6] << 8 | f->frame[7];
        } else {
            size_t take = n < f->left ? n : f->left, s = f->stream == SSH_STDERR;
            uint64_t behind = f->from[s] > f->seen[s] ? f->from[s] - f->seen[s] : 0; /* still to skip */
            size_t skip = behind < take ? (size_t)behind : take;
            if (take > skip)
                out(octx, f->stream, p + skip, take - skip);
            f->seen[s] += take;
            p += take, n -= take, f->left -= (uint32_t)take;
        }
    }
    return true;
}

enum err_code docker_catch_up(const struct docker *d, const char *name, const struct docker_follow *f, ssh_out_fn out, void *octx,
                              struct err *err)
{
    struct docker_follow again = {.from = {f->seen[0], f->seen[1]}};
    char request[512];
    struct buf answer;

    if (logs_request(name, false, request, sizeof request, err))
        return err->code;
    buf_init(&answer, DOCKER_CATCH_UP_CAP);
    if (ssh_socket_exchange(d->conn, d->socket, request, strlen(request), &answer, d->timeout_ms, err) == ERR_OK)
        docker_demux(&again, answer.data, answer.len, out, octx, err); /* false: err says why */
    buf_free(&answer);
    return err->code;
}
