/* ssh.c: one SSH session through libssh (ssh.h). */
#include "outbound/ssh.h"

#include <libssh/libssh.h>
#include <netdb.h>
#include <sys/socket.h>

#define IP_TEXT_SIZE 64 /* an IPv6 address as text, with a zone */

#include "core/utf8.h"
#include "core/xmalloc.h"
#include "outbound/outbound.h"

struct ssh_conn {
    ssh_session session;
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
    ssh_disconnect(c->session);
    ssh_free(c->session);
    free(c);
}

/* Output of one stream, cut into lines. */
struct lines {
    enum ssh_stream stream;
    char buf[SSH_LINE_MAX + 1];
    size_t len;
    long *group; /* stdout: the first line is the command's process group (ssh_run's "echo $$"), kept here, not handed out */
};

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
static void stop_group(struct ssh_conn *c, ssh_channel ch, long group)
{
    char command[64], buf[256];
    ssh_channel k;

    ssh_channel_request_send_signal(ch, "TERM");
    if (group <= 1 || !(k = ssh_channel_new(c->session)))
        return;
    snprintf(command, sizeof command, "kill -TERM -%ld", group);
    if (ssh_channel_open_session(k) == SSH_OK && ssh_channel_request_exec(k, command) == SSH_OK)
        while (ssh_channel_read_timeout(k, buf, sizeof buf, 0, STOP_WAIT_MS) > 0) /* until it ends */
            ;
    ssh_channel_close(k);
    ssh_channel_free(k);
}

enum err_code ssh_run(struct ssh_conn *c, const struct ssh_exec *x, int *exit_status, struct err *err)
{
    long group = 0;
    struct lines out = {.stream = SSH_STDOUT, .group = &group}, errs = {.stream = SSH_STDERR};
    ssh_channel ch = ssh_channel_new(c->session);
    char buf[8192], command[512];

    *exit_status = -1;
    if (!ch)
        return err_set(err, ERR_INTERNAL, "out of memory");
    if (snprintf(command, sizeof command, "echo $$; exec %s", x->command) >= (int)sizeof command) {
        ssh_channel_free(ch);
        return err_set(err, ERR_INTERNAL, "the command is too long");
    }
    if (ssh_channel_open_session(ch) != SSH_OK || ssh_channel_request_exec(ch, command) != SSH_OK ||
        (x->input_len && ssh_channel_write(ch, x->input, (uint32_t)x->input_len) != (int)x->input_len) ||
        ssh_channel_send_eof(ch) != SSH_OK) {
        err_set(err, ERR_UNAVAILABLE, "the command could not be started: %s", ssh_get_error(c->session));
        goto out;
    }
    for (;;) {
        /* stdout waits up to poll_ms; stderr takes what is there. SSH_EOF (a read at the end) counts as nothing read. */
        int n = ssh_channel_read_timeout(ch, buf, sizeof buf, 0, x->poll_ms), m = 0;

        if (n > 0)
            feed(x, &out, buf, (size_t)n);
        if (n != SSH_ERROR && (m = ssh_channel_read_nonblocking(ch, buf, sizeof buf, 1)) > 0)
            feed(x, &errs, buf, (size_t)m);
        if (n == SSH_ERROR || m == SSH_ERROR) {
            err_set(err, ERR_UNAVAILABLE, "the connection dropped while the command ran");
            goto out;
        }
        if (n <= 0 && m <= 0 && ssh_channel_is_eof(ch))
            break;
        if (!x->keep_going(x->ctx)) {
            stop_group(c, ch, group);
            err_set(err, ERR_CONFLICT, "stopped");
            goto out;
        }
    }
    if (out.len)
        emit(x, &out, out.len, 0);
    if (errs.len)
        emit(x, &errs, errs.len, 0);
    *exit_status = ssh_channel_get_exit_status(ch);
out:
    ssh_channel_close(ch);
    ssh_channel_free(ch);
    return err->code;
}
