/* ssh.c: one SSH session through libssh (ssh.h). */
#include "outbound/ssh.h"

#include <fcntl.h>
#include <libssh/libssh.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#define IP_TEXT_SIZE 64 /* an IPv6 address as text, with a zone */

#include "core/buf.h"
#include "core/thread.h"
#include "core/utf8.h"
#include "core/xmalloc.h"
#include "outbound/outbound.h"

/* Output of one stream, cut into lines. */
struct lines {
    enum ssh_stream stream;
    char buf[SSH_LINE_MAX + 1];
    size_t len;
    uint64_t handed; /* the stream's bytes behind the lines handed out (newlines included), from the run's start */
    long *group; /* stdout: the first line is the command's process group (ssh_loop_run's "echo $$"), kept here, not handed out */
};

struct ssh_conn {
    ssh_session session;
    /* The command running on it, from ssh_loop_run until ssh_close. */
    ssh_channel ch;
    struct ssh_exec x;
    long group;
    struct lines out, errs;
    struct ssh_conn *next; /* the loop's list */
};

/*
 * Resolves address and picks the first address the guard allows, as
 * numeric text into ip. SSH_FAIL_BLOCKED (with the reason in err) when it
 * does not resolve or no address is allowed.
 */
static enum err_code pick_address(const struct ssh_target *t, char ip[IP_TEXT_SIZE], struct err *err)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL, *ai;
    bool refused = false;

    if (getaddrinfo(t->address, NULL, &hints, &res) != 0 || !res)
        return err_set(err, ERR_UNAVAILABLE, "the host name did not resolve");
    for (ai = res; ai; ai = ai->ai_next) {
        if (t->guard && !outbound_address_allowed(t->guard, ai->ai_addr)) {
            refused = true;
            continue;
        }
        if (getnameinfo(ai->ai_addr, ai->ai_addrlen, ip, IP_TEXT_SIZE, NULL, 0, NI_NUMERICHOST) == 0)
            break;
    }
    freeaddrinfo(res);
    if (!ai)
        return err_set(err, ERR_UNAVAILABLE,
                       refused ? "the host resolves to an address slipway may not connect to (private, loopback, link-local or "
                                 "another special-purpose range: see SLIPWAY_OUTBOUND_ALLOW)"
                               : "the host name did not resolve");
    return ERR_OK;
}

/* The server's host key as "SHA256:<base64>" into out. */
static enum err_code host_fingerprint(ssh_session s, char out[SSH_FINGERPRINT_SIZE], struct err *err)
{
    ssh_key key = NULL;
    unsigned char *hash = NULL;
    size_t len = 0;
    char *text = NULL;

    if (ssh_get_server_publickey(s, &key) != SSH_OK || ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &len) != 0 ||
        !(text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, len)) || strlen(text) >= SSH_FINGERPRINT_SIZE)
        err_set(err, ERR_UNAVAILABLE, "the host's key could not be read");
    else
        snprintf(out, SSH_FINGERPRINT_SIZE, "%s", text);
    ssh_string_free_char(text);
    ssh_clean_pubkey_hash(&hash);
    ssh_key_free(key);
    return err->code;
}

bool ssh_private_key_valid(const char *text)
{
    ssh_key key = NULL;
    bool ok = ssh_pki_import_privkey_base64(text, NULL, NULL, NULL, &key) == SSH_OK;

    ssh_key_free(key);
    return ok;
}

static enum err_code login(ssh_session s, const struct ssh_target *t, struct err *err)
{
    ssh_key key = NULL;
    int rc;

    if (!t->key) {
        rc = ssh_userauth_password(s, NULL, t->secret);
    } else {
        if (ssh_pki_import_privkey_base64(t->secret, NULL, NULL, NULL, &key) != SSH_OK)
            return err_set(err, ERR_INVALID, "the private key does not parse (an OpenSSH or PEM key without a passphrase)");
        rc = ssh_userauth_publickey(s, NULL, key);
        ssh_key_free(key);
    }
    if (rc == SSH_AUTH_SUCCESS)
        return ERR_OK;
    if (rc == SSH_AUTH_ERROR)
        return err_set(err, ERR_UNAVAILABLE, "the connection failed while logging in");
    return err_set(err, ERR_INVALID, "the host refused the %s of user %s", t->key ? "key" : "password", t->username);
}

enum err_code ssh_open(const struct ssh_target *t, struct ssh_conn **out, char fingerprint[SSH_FINGERPRINT_SIZE],
                       enum ssh_failure *failure, struct err *err)
{
    char ip[IP_TEXT_SIZE];
    unsigned int port = (unsigned int)t->port;
    long seconds = t->timeout_ms / 1000, usec = (t->timeout_ms % 1000) * 1000;
    bool no = false;
    ssh_session s;

    *out = NULL;
    fingerprint[0] = '\0';
    *failure = SSH_FAIL_BLOCKED;
    if (pick_address(t, ip, err))
        return err->code;
    *failure = SSH_FAIL_NETWORK;
    if (!(s = ssh_new()))
        return err_set(err, ERR_INTERNAL, "out of memory");
    /* The checked address, and nothing from this process's user's ~/.ssh. */
    if (ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no) || ssh_options_set(s, SSH_OPTIONS_HOST, ip) ||
        ssh_options_set(s, SSH_OPTIONS_PORT, &port) || ssh_options_set(s, SSH_OPTIONS_USER, t->username) ||
        ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &seconds) || ssh_options_set(s, SSH_OPTIONS_TIMEOUT_USEC, &usec) ||
        ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, "/dev/null") || ssh_options_set(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null")) {
        err_set(err, ERR_INVALID, "the host's address, port or user name is not usable");
        goto fail;
    }
    if (ssh_connect(s) != SSH_OK) {
        err_set(err, ERR_UNAVAILABLE, "the SSH connection failed: %s", ssh_get_error(s));
        goto fail;
    }
    if (host_fingerprint(s, fingerprint, err))
        goto fail;
    if (t->pinned && t->pinned[0] && strcmp(t->pinned, fingerprint) != 0) {
        *failure = SSH_FAIL_HOST_KEY;
        err_set(err, ERR_CONFLICT, "the host key changed: pinned %s, the host showed %s", t->pinned, fingerprint);
        goto fail;
    }
    if (login(s, t, err)) {
        if (err->code == ERR_INVALID)
            *failure = SSH_FAIL_LOGIN;
        goto fail;
    }
    *failure = SSH_FAIL_NONE;
    *out = xcalloc(1, sizeof **out);
    (*out)->session = s;
    return ERR_OK;
fail:
    ssh_disconnect(s);
    ssh_free(s);
    return err->code;
}

void ssh_close(struct ssh_conn *c)
{
    if (!c)
        return;
    if (c->ch) {
        ssh_channel_close(c->ch);
        ssh_channel_free(c->ch);
    }
    ssh_disconnect(c->session);
    ssh_free(c->session);
    free(c);
}

/* Hands out the first n bytes of l's buffer as a line (valid UTF-8, no NUL, no trailing CR) and keeps the rest. */
static void emit(const struct ssh_exec *x, struct lines *l, size_t n, size_t skip)
{
    char line[SSH_LINE_MAX + 1];
    size_t len = n;

    memcpy(line, l->buf, n);
    line[n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (line[i] == '\0')
            line[i] = '?';
    if (len > 0 && line[len - 1] == '\r')
        line[--len] = '\0';
    len = utf8_scrub(line);
    l->handed += n + skip;
    if (l->group) {
        *l->group = strtol(line, NULL, 10);
        l->group = NULL;
    } else {
        x->line(x->ctx, l->stream, line, len);
    }
    memmove(l->buf, l->buf + n + skip, l->len - n - skip);
    l->len -= n + skip;
}

static void feed(const struct ssh_exec *x, struct lines *l, const char *p, size_t n)
{
    while (n > 0) {
        size_t take = n < SSH_LINE_MAX - l->len ? n : SSH_LINE_MAX - l->len;
        char *nl;

        memcpy(l->buf + l->len, p, take);
        l->len += take, p += take, n -= take;
        while ((nl = memchr(l->buf, '\n', l->len)))
            emit(x, l, (size_t)(nl - l->buf), 1);
        if (l->len == SSH_LINE_MAX) /* a line too long: cut where a character ends */
            emit(x, l, utf8_prefix(l->buf, l->len, SSH_LINE_MAX), 0);
    }
}

#define STOP_WAIT_MS 2000 /* how long the kill of a stopped command's group may take */

/*
 * Sends SIGTERM to a stopped command's process group: as a signal request
 * (which OpenSSH refuses for some logins: "session signalling requires
 * privilege separation") and, so that it happens either way, by `kill` of
 * the group on a second channel. sshd makes each command a session of its
 * own (setsid), so the group is the login shell's pid, which the command
 * printed first: its children, a script's `sleep`, go with it.
 */
void ssh_stop(struct ssh_conn *c)
{
    char command[64], buf[256];
    ssh_channel k;

    if (!c->ch || c->x.socket)
        return;
    ssh_channel_request_send_signal(c->ch, "TERM");
    if (c->group <= 1 || !(k = ssh_channel_new(c->session)))
        return;
    snprintf(command, sizeof command, "kill -TERM -%ld", c->group);
    if (ssh_channel_open_session(k) == SSH_OK && ssh_channel_request_exec(k, command) == SSH_OK)
        while (ssh_channel_read_timeout(k, buf, sizeof buf, 0, STOP_WAIT_MS) > 0) /* until it ends */
            ;
    ssh_channel_close(k);
    ssh_channel_free(k);
}

/* ---- the loop ---- */

struct ssh_loop {
    pthread_t thread;
    pthread_mutex_t lock;
    int wake[2];               /* a pipe: a byte written to wake[1] ends the loop's poll() */
    struct ssh_conn *incoming; /* handed over, not yet taken by the loop's thread */
    bool stopping;
};

#define LOOP_IDLE_MS 1000      /* how long the loop sleeps with nothing running */
#define TURN_BYTES (64 * 1024) /* a stream's bytes a turn at most, so that one chatty script cannot hold the others back */

void ssh_lines_out(void *conn, enum ssh_stream stream, const char *p, size_t n)
{
    struct ssh_conn *c = conn;

    feed(&c->x, stream == SSH_STDERR ? &c->errs : &c->out, p, n);
}

uint64_t ssh_lines_handed(const struct ssh_conn *c, enum ssh_stream stream)
{
    return stream == SSH_STDERR ? c->errs.handed : c->out.handed;
}

void ssh_lines_end(struct ssh_conn *c)
{
    if (c->out.len)
        emit(&c->x, &c->out, c->out.len, 0);
    if (c->errs.len)
        emit(&c->x, &c->errs, c->errs.len, 0);
}

/* What was read: a command's stdout as it is; a socket's through the caller's demux. False: the demux refused it. */
static bool take(struct ssh_conn *c, const char *p, size_t n, struct err *err)
{
    if (!c->x.socket) {
        feed(&c->x, &c->out, p, n);
        return true;
    }
    return c->x.demux(c->x.ctx, p, n, ssh_lines_out, c, err);
}

/*
 * One turn of a run on the loop: reads what arrived (*more when some is
 * left for the next turn), hands out its lines. False when the run has
 * ended, with err and *exit_status saying how.
 */
static bool run_turn(struct ssh_conn *c, bool stopping, bool *more, int *exit_status, struct err *err)
{
    char buf[8192];
    int n, m = 0;
    size_t got = 0;

    /* What is there, stdout then stderr; SSH_EOF (a read at the end) counts as nothing read. */
    while (got < TURN_BYTES && (n = ssh_channel_read_nonblocking(c->ch, buf, sizeof buf, 0)) > 0) {
        if (!take(c, buf, (size_t)n, err))
            return false;
        got += (size_t)n;
    }
    *more |= got >= TURN_BYTES;
    got = 0;
    while (n != SSH_ERROR && !c->x.socket && got < TURN_BYTES &&
           (m = ssh_channel_read_nonblocking(c->ch, buf, sizeof buf, 1)) > 0) {
        feed(&c->x, &c->errs, buf, (size_t)m);
        got += (size_t)m;
    }
    *more |= got >= TURN_BYTES;
    if (n == SSH_ERROR || m == SSH_ERROR || !ssh_is_connected(c->session)) {
        err_set(err, ERR_UNAVAILABLE, "the connection dropped while the command ran (whether it ended on the host is unknown)");
        return false;
    }
    if (ssh_channel_is_eof(c->ch)) {
        /* The host sends the exit status after the end of the output, then closes the channel. */
        *exit_status = c->x.socket ? -1 : ssh_channel_get_exit_status(c->ch); /* non-blocking: what has come */
        if (*exit_status == -1 && !c->x.socket && !ssh_channel_is_closed(c->ch) && !stopping && c->x.keep_going(c->x.ctx))
            return true;
        ssh_lines_end(c);
        return false;
    }
    if (stopping || !c->x.keep_going(c->x.ctx)) {
        err_set(err, ERR_CONFLICT, "stopped");
        return false;
    }
    return true;
}

static void *loop_main(void *arg)
{
    struct ssh_loop *l = arg;
    struct ssh_conn *runs = NULL;
    struct pollfd *fds = NULL;
    size_t cap = 0;
    bool more = false; /* a run has bytes left from its last turn: no waiting */

    thread_name("ssh-io");
    for (;;) {
        size_t n = 1;
        int wait_ms = LOOP_IDLE_MS;
        bool stopping;
        char drain[64];

        pthread_mutex_lock(&l->lock);
        while (l->incoming) {
            struct ssh_conn *c = l->incoming;
            l->incoming = c->next;
            c->next = runs;
            runs = c;
        }
        stopping = l->stopping;
        pthread_mutex_unlock(&l->lock);
        if (stopping && !runs)
            break;
        for (struct ssh_conn *c = runs; c; c = c->next)
            n++;
        if (n > cap) {
            cap = n * 2;
            fds = xrealloc(fds, cap * sizeof *fds);
        }
        fds[0] = (struct pollfd){.fd = l->wake[0], .events = POLLIN};
        n = 1;
        for (struct ssh_conn *c = runs; c; c = c->next) {
            fds[n++] = (struct pollfd){.fd = ssh_get_fd(c->session), .events = POLLIN};
            if (c->x.poll_ms < wait_ms)
                wait_ms = c->x.poll_ms;
        }
        if (poll(fds, n, stopping || more ? 0 : wait_ms) > 0 && fds[0].revents)
            while (read(l->wake[0], drain, sizeof drain) > 0)
                ;
        more = false;
        /* Every run each turn: libssh may hold read bytes that poll() does not show. */
        for (struct ssh_conn **pp = &runs; *pp;) {
            struct ssh_conn *c = *pp;
            int exit_status = -1;
            struct err err;

            err_clear(&err);
            if (run_turn(c, stopping, &more, &exit_status, &err)) {
                pp = &c->next;
                continue;
            }
            *pp = c->next;
            c->next = NULL;
            ssh_set_blocking(c->session, 1);
            c->x.done(c->x.ctx, &err, exit_status); /* the session is the caller's from here */
        }
    }
    free(fds);
    return NULL;
}

void ssh_loop_free(struct ssh_loop *l)
{
    if (!l)
        return;
    if (l->wake[0] >= 0)
        close(l->wake[0]);
    if (l->wake[1] >= 0)
        close(l->wake[1]);
    pthread_mutex_destroy(&l->lock);
    free(l);
}

struct ssh_loop *ssh_loop_start(struct err *err)
{
    struct ssh_loop *l = xcalloc(1, sizeof *l);

    l->wake[0] = l->wake[1] = -1;
    pthread_mutex_init(&l->lock, NULL);
    if (pipe(l->wake) != 0 || fcntl(l->wake[0], F_SETFL, O_NONBLOCK) != 0 || fcntl(l->wake[1], F_SETFL, O_NONBLOCK) != 0) {
        err_set(err, ERR_INTERNAL, "the SSH loop's pipe could not be made");
        goto fail;
    }
    if (pthread_create(&l->thread, NULL, loop_main, l) != 0) {
        err_set(err, ERR_INTERNAL, "the SSH loop's thread could not be started");
        goto fail;
    }
    return l;
fail:
    ssh_loop_free(l);
    return NULL;
}

static void loop_wake(struct ssh_loop *l)
{
    char b = 1;

    if (write(l->wake[1], &b, 1) < 0) { /* full: it is awake already */
    }
}

void ssh_loop_stop(struct ssh_loop *l)
{
    if (!l)
        return;
    pthread_mutex_lock(&l->lock);
    l->stopping = true;
    pthread_mutex_unlock(&l->lock);
    loop_wake(l);
    pthread_join(l->thread, NULL);
}

/* Opens x's channel on c: a command (after "echo $$", its process group), or socket mode's channel; writes the input. */
static enum err_code channel_start(struct ssh_conn *c, const struct ssh_exec *x, struct err *err)
{
    char command[512];

    if (!x->socket && snprintf(command, sizeof command, "echo $$; exec %s", x->command) >= (int)sizeof command)
        return err_set(err, ERR_INTERNAL, "the command is too long");
    if (!(c->ch = ssh_channel_new(c->session)))
        return err_set(err, ERR_INTERNAL, "out of memory");
    if (x->socket) {
        if (ssh_channel_open_forward_unix(c->ch, x->socket, "127.0.0.1", 0) != SSH_OK)
            return err_set(err, ERR_UNAVAILABLE, "the socket %s on the host could not be reached: %s", x->socket,
                           ssh_get_error(c->session));
    } else if (ssh_channel_open_session(c->ch) != SSH_OK || ssh_channel_request_exec(c->ch, command) != SSH_OK) {
        return err_set(err, ERR_UNAVAILABLE, "the command could not be started: %s", ssh_get_error(c->session));
    }
    if ((x->input_len && ssh_channel_write(c->ch, x->input, (uint32_t)x->input_len) != (int)x->input_len) ||
        (!x->socket && ssh_channel_send_eof(c->ch) != SSH_OK))
        return err_set(err, ERR_UNAVAILABLE, "the command's input could not be written: %s", ssh_get_error(c->session));
    return ERR_OK;
}

enum err_code ssh_loop_run(struct ssh_loop *l, struct ssh_conn *c, const struct ssh_exec *x, struct err *err)
{
    bool stopping;

    c->x = *x;
    c->group = 0;
    c->out = (struct lines){.stream = SSH_STDOUT, .group = x->socket ? NULL : &c->group};
    c->errs = (struct lines){.stream = SSH_STDERR};
    if (channel_start(c, x, err))
        return err->code;
    ssh_set_blocking(c->session, 0);
    pthread_mutex_lock(&l->lock);
    if (!(stopping = l->stopping)) {
        c->next = l->incoming;
        l->incoming = c; /* the loop's from here */
    }
    pthread_mutex_unlock(&l->lock);
    if (stopping) {
        ssh_set_blocking(c->session, 1);
        return err_set(err, ERR_CONFLICT, "slipway is stopping"); /* the command runs: ssh_stop it */
    }
    loop_wake(l);
    return ERR_OK;
}

enum err_code ssh_socket_exchange(struct ssh_conn *c, const char *socket, const char *request, size_t len, struct buf *answer,
                                  long timeout_ms, struct err *err)
{
    ssh_channel ch = ssh_channel_new(c->session);
    char buf[8192];
    int n;

    if (!ch)
        return err_set(err, ERR_INTERNAL, "out of memory");
    if (ssh_channel_open_forward_unix(ch, socket, "127.0.0.1", 0) != SSH_OK) {
        err_set(err, ERR_UNAVAILABLE, "the socket %s on the host could not be reached: %s", socket, ssh_get_error(c->session));
        goto out;
    }
    if (ssh_channel_write(ch, request, (uint32_t)len) != (int)len) {
        err_set(err, ERR_UNAVAILABLE, "the request could not be written: %s", ssh_get_error(c->session));
        goto out;
    }
    while ((n = ssh_channel_read_timeout(ch, buf, sizeof buf, 0, (int)timeout_ms)) > 0)
        if (buf_append(answer, buf, (size_t)n) != 0) {
            err_set(err, ERR_UNAVAILABLE, "the answer is longer than %zu bytes", answer->limit);
            goto out;
        }
    if (n == SSH_ERROR)
        err_set(err, ERR_UNAVAILABLE, "the connection failed while reading the answer: %s", ssh_get_error(c->session));
    else if (!ssh_channel_is_eof(ch))
        err_set(err, ERR_UNAVAILABLE, "no answer within %ld ms", timeout_ms);
out:
    ssh_channel_close(ch);
    ssh_channel_free(ch);
    return err->code;
}
