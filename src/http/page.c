#define _POSIX_C_SOURCE 200809L
#include "http/page.h"

#include <errno.h>

#include "core/clock.h"
#include "core/encode.h"
#include "core/rand.h"

/* Sorts after every real timestamp and id (UUIDs, lower-case), and is both a valid timestamp and UUID on every database. */
static const char sentinel_at[] = "9999-12-31T23:59:59.999Z";
static const char sentinel_id[] = "ffffffff-ffff-ffff-ffff-ffffffffffff";

#define CURSOR_MAX 512

enum err_code page_parse(struct request *req, struct page *p, struct err *err)
{
    const char *limit = request_query(req, "limit");
    const char *cursor = request_query(req, "cursor");

    memset(p, 0, sizeof *p);
    p->limit = PAGE_DEFAULT;
    memcpy(p->at, sentinel_at, sizeof sentinel_at);
    memcpy(p->id, sentinel_id, sizeof sentinel_id);
    if (limit) {
        char *end;
        long v;
        errno = 0;
        v = strtol(limit, &end, 10);
        if (errno || end == limit || *end || v < 1 || v > PAGE_MAX)
            err_detail(err, "limit", "must be an integer from 1 to %d", PAGE_MAX);
        else
            p->limit = (int)v;
    }
    if (cursor) {
        unsigned char raw[CURSOR_MAX];
        size_t len = strlen(cursor);
        long n = len <= B64URL_LEN(CURSOR_MAX - 1) ? b64url_decode(cursor, len, raw) : -1;
        const char *bar = n > 0 ? memchr(raw, '|', (size_t)n) : NULL;
        int64_t ms;

        if (bar) {
            size_t atlen = (size_t)(bar - (const char *)raw), idlen = (size_t)n - atlen - 1;
            raw[n] = '\0';
            if (atlen == TIMESTAMP_LEN && idlen > 0 && idlen < sizeof p->id && !memchr(bar + 1, '\0', idlen) &&
                uuid_valid(bar + 1)) {
                memcpy(p->at, raw, atlen);
                p->at[atlen] = '\0';
                memcpy(p->id, bar + 1, idlen + 1);
            } else {
                bar = NULL;
            }
        }
        if (!bar || clock_parse(p->at, &ms))
            err_detail(err, "cursor", "is not a cursor this server handed out");
    }
    if (err->ndetails)
        return err_set(err, ERR_INVALID, "invalid pagination parameters");
    return ERR_OK;
}

int page_fetch(const struct page *p)
{
    return p->limit + 1;
}

bool page_take(struct page *p, const char *at, const char *id)
{
    if (p->taken >= p->limit) {
        p->more = true;
        return false;
    }
    p->taken++;
    snprintf(p->last_at, sizeof p->last_at, "%s", at);
    snprintf(p->last_id, sizeof p->last_id, "%s", id);
    return true;
}

json_t *page_result(struct request *req, const struct page *p, json_t *items)
{
    json_t *next = json_null();

    if (p->more) {
        char raw[CURSOR_MAX];
        int n = snprintf(raw, sizeof raw, "%s|%s", p->last_at, p->last_id);
        char *enc = arena_alloc(req->arena, B64URL_LEN((size_t)n) + 1);
        b64url_encode(raw, (size_t)n, enc);
        next = json_string(enc);
    }
    return json_pack("{s:o, s:o}", "items", items, "nextCursor", next);
}

enum err_code page_respond(struct request *req, struct page *p, const char *sql, const struct store_val *args, size_t nargs,
                           int at_col, int id_col, page_row_fn row, struct err *err)
{
    struct store_conn *db;
    struct store_stmt *st;
    json_t *items;
    int rc;

    if (request_db(req, &db, err) || store_select(db, sql, args, nargs, &st, err))
        return err->code;
    items = json_array();
    while ((rc = store_next(st, err)) == 1 && page_take(p, store_col_text(st, at_col), store_col_text(st, id_col)))
        json_array_append_new(items, row(st));
    store_finish(st);
    if (rc < 0) {
        json_decref(items);
        return err->code;
    }
    response_json(req, 200, page_result(req, p, items));
    return ERR_OK;
}

json_t *page_row(struct store_conn *c, const char *sql, const struct store_val *args, size_t nargs, page_row_fn row,
                 struct err *err)
{
    struct store_stmt *st;
    json_t *item = NULL;
    int rc;

    if (store_select(c, sql, args, nargs, &st, err))
        return NULL;
    if ((rc = store_next(st, err)) == 1)
        item = row(st);
    store_finish(st);
    if (rc == 0)
        err_set(err, ERR_NOT_FOUND, "not found");
    return item;
}

json_t *page_items(struct store_conn *c, const char *sql, const struct store_val *args, size_t nargs, page_row_fn row,
                   struct err *err)
{
    struct store_stmt *st;
    json_t *items;
    int rc;

    if (store_select(c, sql, args, nargs, &st, err))
        return NULL;
    items = json_array();
    while ((rc = store_next(st, err)) == 1)
        json_array_append_new(items, row(st));
    store_finish(st);
    if (rc < 0) {
        json_decref(items);
        return NULL;
    }
    return json_pack("{s:o}", "items", items);
}
