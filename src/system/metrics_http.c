#include "system/metrics_http.h"

#include "core/log.h"
#include "core/metrics.h"
#include "crypto/hash.h"
#include "http/server.h"
#include "jobs/jobs.h"
#include "outbound/outbound.h"

static struct metrics_sources src;

void metrics_http_start(const struct metrics_sources *sources)
{
    src = *sources;
}

#define METRICS_MAX (8u << 20) /* bytes: far more than every family of a large table of routes needs */

static void free_text(void *p)
{
    free(p);
}

/* The configured token, compared by digest: the time taken tells nothing of either. */
static bool token_ok(const struct request *req, const char *want)
{
    static const char prefix[] = "Bearer ";
    const char *got = request_header(req, "Authorization");
    unsigned char a[SHA256_BYTES], b[SHA256_BYTES];

    if (!got || strncmp(got, prefix, sizeof prefix - 1) != 0)
        return false;
    got += sizeof prefix - 1;
    hash_sha256(got, strlen(got), a);
    hash_sha256(want, strlen(want), b);
    return hash_equal(a, b, sizeof a);
}

enum err_code metrics_get(struct request *req, struct err *err)
{
    struct metrics_out m = {.full = false};
    struct store_conn *db = NULL;
    struct err db_err;

    if (src.token && src.token[0] && !token_ok(req, src.token)) {
        response_header(req, "WWW-Authenticate", "Bearer realm=\"slipway metrics\"");
        return err_set(err, ERR_UNAUTHENTICATED, "the metrics need their token: Authorization: Bearer TOKEN");
    }
    buf_init(&m.buf, METRICS_MAX);
    server_metrics_write(src.server, &m);
    store_metrics_write(src.store, &m); /* before this request takes a connection of its own */
    err_clear(&db_err);
    if (request_db(req, &db, &db_err))
        log_debug("metrics: no database connection, so no job counts: %s", db_err.message);
    jobs_metrics_write(src.jobs, db, &m);
    outbound_metrics_write(src.out, &m);
    metrics_process_write(&m);
    if (m.full) {
        buf_free(&m.buf);
        return err_set(err, ERR_INTERNAL, "the metrics are larger than %u bytes", METRICS_MAX);
    }
    arena_defer(req->arena, free_text, m.buf.data);
    response_static(req, 200, "text/plain; version=0.0.4; charset=utf-8", m.buf.data ? m.buf.data : "", m.buf.len);
    return ERR_OK;
}
