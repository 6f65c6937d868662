/*
 * ssh.h: one SSH session to a host, through libssh (never a shelled-out
 * `ssh`), for running a command and reading its output line by line.
 *
 * Safety, as outbound.h's HTTP calls: the address is resolved here and
 * every address it resolves to is checked by the outbound guard
 * (outbound_address_allowed) before anything connects, and libssh is given
 * the checked numeric address, so what was checked is what is connected to.
 * The server's host key is compared with the pinned fingerprint before any
 * credential is sent; no file of the process's user (~/.ssh/config,
 * known_hosts) is read.
 *
 * Blocking: ssh_open, ssh_stop and ssh_close wait on the network (at most
 * timeout_ms for each exchange) on the caller's thread; callers keep them
 * off HTTP workers. A command's output is read on the SSH loop (below).
 */
#ifndef SLIPWAY_OUTBOUND_SSH_H
#define SLIPWAY_OUTBOUND_SSH_H

#include "core/common.h"
#include "core/err.h"

struct buf;
struct outbound;
struct ssh_conn;

#define SSH_FINGERPRINT_SIZE 100 /* "SHA256:" and 43 characters of base64, with room */
#define SSH_LINE_MAX 4096        /* a longer line of output is cut there (on a character boundary) */

struct ssh_target {
    const char *address; /* a host name or an IP address */
    int port;
    const char *username;
    bool key;           /* secret is an OpenSSH or PEM private key (without passphrase); else a password */
    const char *secret; /* NUL-terminated; read, never kept */
    const char *pinned; /* the host key's pinned "SHA256:..." fingerprint, or NULL/"" to accept (and learn) any */
    long timeout_ms;
    const struct outbound *guard; /* whose allow-list judges the address; NULL: none (unit tests only) */
};

/* Why ssh_open failed, for the host's status; err has the words (never the secret). */
enum ssh_failure {
    SSH_FAIL_NONE,
    SSH_FAIL_BLOCKED,  /* the address is not allowed (private, loopback, ...) or does not resolve */
    SSH_FAIL_NETWORK,  /* connect, handshake, timeout */
    SSH_FAIL_HOST_KEY, /* the host showed another key than the pinned one: nothing was sent to it */
    SSH_FAIL_LOGIN,    /* the host refused the credential (or the key does not parse) */
};

/*
 * Connects, reads the host key's SHA-256 fingerprint into fingerprint (also
 * on SSH_FAIL_HOST_KEY, so the caller can show the new one), checks it
 * against t->pinned, and logs in. *failure says which stage failed.
 */
enum err_code ssh_open(const struct ssh_target *t, struct ssh_conn **out, char fingerprint[SSH_FINGERPRINT_SIZE],
                       enum ssh_failure *failure, struct err *err);
void ssh_close(struct ssh_conn *c);

/* True when text is a private key libssh reads (OpenSSH or PEM, without a passphrase). */
bool ssh_private_key_valid(const char *text);

enum ssh_stream { SSH_STDOUT = 1, SSH_STDERR = 2 };

/*
 * Socket mode's output filter: turns the bytes read from the socket into
 * pieces of output by calling out(octx, stream, bytes, n) for each. False:
 * the bytes are not what was expected (the run ends, ERR_UNAVAILABLE with
 * why in err). It keeps its own state in x->ctx.
 */
typedef void (*ssh_out_fn)(void *octx, enum ssh_stream stream, const char *p, size_t n);
typedef bool (*ssh_demux_fn)(void *ctx, const char *p, size_t n, ssh_out_fn out, void *octx, struct err *err);

struct ssh_exec {
    const char *command; /* as the remote user's login shell runs it ("sh -s"), after "echo $$; exec " (its process group) */
    /*
     * Socket mode (socket set, command NULL): no command runs; a
     * direct-streamlocal channel is opened to this unix socket on the host
     * (sshd's AllowStreamLocalForwarding), input is written to it (no EOF:
     * a server may take that for a client gone), and what comes back goes
     * through demux to the lines. The run ends when the socket's side
     * closes (exit_status -1: the caller asks the server how it ended).
     * ssh_stop does nothing for it: the caller stops what it started.
     */
    const char *socket;
    ssh_demux_fn demux;
    const char *input; /* written to the command's stdin, then EOF; may be NULL */
    size_t input_len;
    /* A line of output (without its newline; cut at SSH_LINE_MAX), as it arrives. */
    void (*line)(void *ctx, enum ssh_stream stream, const char *text, size_t len);
    /* Called at least every poll_ms while the command runs: false ends the run (stopped). */
    bool (*keep_going)(void *ctx);
    /*
     * Called once when the run ends, on the loop's thread: err->code is
     * ERR_OK when the command ended (exit_status: its exit status, -1 when
     * the host sent none, as when a signal killed it), ERR_CONFLICT when
     * keep_going said stop or the loop is stopping (call ssh_stop, the
     * command still runs), ERR_UNAVAILABLE when the connection dropped.
     * From then on the session is the caller's again.
     */
    void (*done)(void *ctx, const struct err *err, int exit_status);
    int poll_ms;
    void *ctx;
};

/*
 * The SSH loop: one thread that reads the output of every command handed
 * to it (poll() over the sessions' sockets, libssh in non-blocking mode),
 * so a running command holds no thread of its own (docs/internals/ssh.md).
 *
 * Ownership (libssh sessions are not thread-safe): a session has one owner
 * thread at a time. The thread that opened it owns it until ssh_loop_run
 * has handed it over (returning ERR_OK); the loop's thread then owns it,
 * and calls x->line, x->keep_going and x->done on it, until x->done
 * returns it. After that it is the caller's again, on any one thread
 * (ssh_stop, ssh_close). Nothing else may touch the session, or x, in
 * between. Connecting (handshake, host key, login) and starting the command
 * (its input written) block the caller's thread; reading output does not.
 */
struct ssh_loop;

struct ssh_loop *ssh_loop_start(struct err *err);
/*
 * Ends every run still on the loop (x->done with ERR_CONFLICT, on the
 * loop's thread) and joins the thread; ssh_loop_run refuses from then on.
 * ssh_loop_free once nothing calls ssh_loop_run any more. NULL: nothing.
 */
void ssh_loop_stop(struct ssh_loop *l);
void ssh_loop_free(struct ssh_loop *l);

/*
 * Starts x->command on a channel of c, writes x->input and EOF, and hands
 * the session to the loop (x is copied; x->ctx must outlive the run). On
 * an error the session stays the caller's and x->done is not called;
 * ERR_CONFLICT: the loop is stopping, and the command may have started
 * (ssh_stop it).
 */
enum err_code ssh_loop_run(struct ssh_loop *l, struct ssh_conn *c, const struct ssh_exec *x, struct err *err);
/*
 * A socket-mode run's lines (an ssh_out_fn, conn its ssh_conn): p, n of
 * stream into the run's lines, handed to its x->line, as its demux's own
 * output is. After x->done too, until ssh_close: output the caller read
 * another way (docker_catch_up), then ssh_lines_end for a last line that
 * has no newline.
 */
void ssh_lines_out(void *conn, enum ssh_stream stream, const char *p, size_t n);
void ssh_lines_end(struct ssh_conn *c);
/*
 * The bytes of stream behind the lines handed to x->line so far (their
 * newlines included; a line still waiting for its newline not): where a
 * caller that stored those lines may resume reading the stream. Counted
 * before x->line is called, so x->line reads its own line's bytes in.
 */
uint64_t ssh_lines_handed(const struct ssh_conn *c, enum ssh_stream stream);
/*
 * After x->done said ERR_CONFLICT: sends SIGTERM to the command's process
 * group (the command and what it started), waiting at most 2 s. Blocks.
 */
void ssh_stop(struct ssh_conn *c);

/*
 * One exchange with a unix socket on the host over a direct-streamlocal
 * channel of c (blocking, on a session the caller owns, at most timeout_ms
 * without a byte): writes request, reads until the socket's side closes
 * into answer (its cap bounds it: ERR_UNAVAILABLE past it). For a
 * request/answer protocol whose server closes after answering (HTTP/1.0).
 */
enum err_code ssh_socket_exchange(struct ssh_conn *c, const char *socket, const char *request, size_t len, struct buf *answer,
                                  long timeout_ms, struct err *err);

#endif
