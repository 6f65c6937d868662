/*
 * bare_server: the baseline for bench/run.
 *
 * A libmicrohttpd daemon started with the same flags as slipway's server
 * (internal polling thread, epoll, a thread pool, suspend/resume allowed)
 * that answers every request with {"status":"ok"}. Whatever slipway does on
 * top of libmicrohttpd (routing, request ids, auth, JSON, the database) is
 * the difference between its numbers and these.
 *
 *     bare_server PORT [THREADS]
 *
 * Listens on 127.0.0.1:PORT with THREADS workers (default: online cores).
 * Runs until SIGINT or SIGTERM.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

static const char BODY[] = "{\"status\":\"ok\"}";

/* Marks a connection whose first (header) call has been seen. */
static int request_seen;

static int parse_uint(const char *s, long min, long max, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/*
 * libmicrohttpd calls this once when the headers are in, then once per
 * chunk of body, then once more with *upload_data_size == 0: answer then,
 * as any real handler must (the body is ignored here).
 */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size, void **req_cls)
{
    struct MHD_Response *response = cls;

    (void)url;
    (void)method;
    (void)version;
    (void)upload_data;

    if (*req_cls == NULL) {
        *req_cls = &request_seen;
        return MHD_YES;
    }
    if (*upload_data_size != 0) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    return MHD_queue_response(conn, MHD_HTTP_OK, response);
}

int main(int argc, char **argv)
{
    struct MHD_Response *response = NULL;
    struct MHD_Daemon *daemon = NULL;
    struct sockaddr_in addr;
    sigset_t stop_signals;
    long port, threads;
    int sig;
    int rc = 1;

    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s PORT [THREADS]\n", argv[0]);
        return 2;
    }
    if (parse_uint(argv[1], 1, 65535, &port) != 0) {
        fprintf(stderr, "bare_server: bad port '%s'\n", argv[1]);
        return 2;
    }
    if (argc == 3) {
        if (parse_uint(argv[2], 1, 1024, &threads) != 0) {
            fprintf(stderr, "bare_server: bad thread count '%s'\n", argv[2]);
            return 2;
        }
    } else {
        threads = sysconf(_SC_NPROCESSORS_ONLN);
        if (threads < 1)
            threads = 1;
    }

    /* Block the stop signals before any thread starts, so that every
     * thread inherits the mask and only sigwait() below sees them. */
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    if (pthread_sigmask(SIG_BLOCK, &stop_signals, NULL) != 0) {
        fprintf(stderr, "bare_server: cannot block signals\n");
        return 1;
    }

    response = MHD_create_response_from_buffer(sizeof BODY - 1, (void *)BODY, MHD_RESPMEM_PERSISTENT);
    if (response == NULL || MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json") != MHD_YES) {
        fprintf(stderr, "bare_server: cannot build the response\n");
        goto out;
    }

    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME,
                              (uint16_t)port, NULL, NULL, on_request, response, MHD_OPTION_SOCK_ADDR,
                              (const struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)threads, MHD_OPTION_END);
    if (daemon == NULL) {
        fprintf(stderr, "bare_server: cannot listen on 127.0.0.1:%ld\n", port);
        goto out;
    }
    fprintf(stderr, "bare_server: listening on 127.0.0.1:%ld with %ld threads\n", port, threads);

    if (sigwait(&stop_signals, &sig) != 0)
        fprintf(stderr, "bare_server: sigwait failed\n");
    rc = 0;

out:
    if (daemon != NULL)
        MHD_stop_daemon(daemon);
    if (response != NULL)
        MHD_destroy_response(response);
    return rc;
}
