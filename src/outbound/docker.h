/*
 * docker.h: the Docker Engine's HTTP API, spoken over a unix socket on a
 * host reached through an SSH session (ssh.h's direct-streamlocal
 * channels), never by shelling out to `docker`.
 *
 * Each call is one HTTP/1.0 exchange on a channel of its own (the Engine
 * closes it after answering, so no chunked coding is involved), at the
 * versioned path DOCKER_API. Calls block on the caller's thread, which must
 * own the session (ssh.h's ownership rule). A container's output is
 * followed on the SSH loop instead: docker_follow_request and docker_demux
 * are the socket mode of an ssh_exec (ssh.h).
 *
 * Errors never carry the Engine's answers verbatim beyond its own message
 * field (cut), and never a request's body.
 */
#ifndef SLIPWAY_OUTBOUND_DOCKER_H
#define SLIPWAY_OUTBOUND_DOCKER_H

#include <jansson.h>

#include "core/common.h"
#include "core/err.h"
#include "outbound/ssh.h"

#define DOCKER_API "/v1.41" /* Docker 20.10 and later */
#define DOCKER_VERSION_SIZE 64
#define DOCKER_NAME_SIZE 80 /* a container's name: "slipway-" and a UUID */

struct docker {
    struct ssh_conn *conn; /* borrowed; the caller owns the session */
    const char *socket;    /* the Engine's socket on the host */
    long timeout_ms;       /* each exchange at most */
};

/* GET /_ping, then /version: the Engine's version ("20.10.24") into version. */
enum err_code docker_ping(const struct docker *d, char version[DOCKER_VERSION_SIZE], struct err *err);

/*
 * What a container runs: image, argv (a JSON array of strings, borrowed),
 * env (a JSON array of "NAME=value", borrowed), labels (a JSON object of
 * strings, borrowed). No network, no TTY (so stdout and stderr come apart).
 */
struct docker_spec {
    const char *image;
    json_t *argv, *env, *labels;
};

enum docker_state { DOCKER_ABSENT, DOCKER_CREATED, DOCKER_RUNNING, DOCKER_EXITED };

/* The state of the container called name (DOCKER_ABSENT when there is none). */
enum err_code docker_state(const struct docker *d, const char *name, enum docker_state *state, struct err *err);
/* Creates the container name from spec: ERR_CONFLICT when one by that name exists (names are the Engine's unique key). */
enum err_code docker_create(const struct docker *d, const char *name, const struct docker_spec *spec, struct err *err);
/* Starts it; one already started is no error (the Engine answers 304). */
enum err_code docker_start(const struct docker *d, const char *name, struct err *err);
/* Waits until it has exited (at most d->timeout_ms) and reads its exit code. */
enum err_code docker_wait(const struct docker *d, const char *name, int *exit_code, struct err *err);
/* SIGKILL to it; one not running is no error. */
enum err_code docker_kill(const struct docker *d, const char *name, struct err *err);
/* Removes it (forced, with its anonymous volumes); one already gone is no error. */
enum err_code docker_remove(const struct docker *d, const char *name, struct err *err);
/*
 * Each container labelled label=value that does not run (created, exited
 * or dead) to fn with its name and its label step_label's value ("" when
 * it has none); at most DOCKER_LIST_MAX of them.
 */
#define DOCKER_LIST_MAX 100
enum err_code docker_each_stopped(const struct docker *d, const char *label, const char *value, const char *step_label,
                                  void (*fn)(void *ctx, const char *name, const char *step), void *ctx, struct err *err);

/*
 * Following a container's output on the SSH loop: docker_follow_request
 * writes the request (its logs from its start, followed, stdout and
 * stderr) into out; the answer is read by docker_demux, called from the
 * caller's ssh_demux_fn with a struct docker_follow (zeroed before the run)
 * that the caller keeps in its ctx.
 */
struct docker_follow {
    char head[4096]; /* the answer's status line and headers, until the blank line */
    size_t head_len;
    bool body;              /* past the headers */
    unsigned char frame[8]; /* a frame's header: stream, 0, 0, 0, size (big-endian) */
    size_t frame_len;       /* bytes of the header read */
    uint32_t left;          /* payload bytes of the current frame still to come */
    enum ssh_stream stream; /* the current frame's */
    uint64_t seen[2];       /* payload bytes read: stdout's, stderr's */
    uint64_t from[2];       /* each stream's first bytes not handed out (stored before a restart): set before the run */
};

enum err_code docker_follow_request(const char *name, char *out, size_t size, struct err *err);
/*
 * Reads p (n bytes of the answer) with state f: the headers (200 or an
 * error), then Docker's frames, handing each frame's payload to out with
 * its stream, but for each stream's first f->from bytes. False with err on
 * an answer that is not that.
 */
bool docker_demux(struct docker_follow *f, const char *p, size_t n, ssh_out_fn out, void *octx, struct err *err);
/*
 * After the container has exited and its follow (f) ended: its output read
 * again, not followed, and what f did not read (past f->seen of each
 * stream) handed to out. Docker 20.10 can end a follow without the last
 * line when that line has no newline (moby #43860); this reads it, and
 * anything else the follow missed at its end. An output past
 * DOCKER_CATCH_UP_CAP bytes is not read again (ERR_UNAVAILABLE).
 */
#define DOCKER_CATCH_UP_CAP (16 * 1024 * 1024)
enum err_code docker_catch_up(const struct docker *d, const char *name, const struct docker_follow *f, ssh_out_fn out, void *octx,
                              struct err *err);

#endif
