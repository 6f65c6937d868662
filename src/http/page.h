/*
 * page.h: keyset pagination for lists.
 *
 * Lists are ordered newest first by (createdAt, id). A cursor is the
 * base64url of "createdAt|id" of the last row shown; the next page asks
 * for rows strictly before it. Without a cursor the position is a sentinel
 * after every real row, so one SQL statement serves every page:
 *
 *     ... AND (createdAt <= ? AND (createdAt < ? OR id < ?))
 *     ORDER BY createdAt DESC, id DESC LIMIT ?      -- bind page_fetch()
 *
 * The first term bounds the index range: the database seeks to the cursor,
 * so a page deep in a million rows costs what the first page costs. (The
 * equivalent "createdAt < ? OR (createdAt = ? AND id < ?)" has no such
 * bound: SQLite scanned from the newest row down to the cursor.) A query
 * must not add a second upper bound on createdAt (fold it into the
 * position instead, as the audit list does with ?until=).
 */
#ifndef SLIPWAY_PAGE_H
#define SLIPWAY_PAGE_H

#include "http/request.h"

#define PAGE_DEFAULT 50
#define PAGE_MAX 200
/* An id no row's is below (the nil UUID, a valid uuid on every database): "only rows strictly before at". */
#define PAGE_NO_ID "00000000-0000-0000-0000-000000000000"

struct page {
    int limit;
    char at[TIMESTAMP_SIZE]; /* position: createdAt of the last row seen */
    char id[256];            /* and its id */
    int taken;               /* rows kept so far */
    bool more;               /* another page follows */
    char last_at[TIMESTAMP_SIZE], last_id[256];
};

/* Reads ?limit= and ?cursor=; a bad value is ERR_INVALID naming the parameter. */
enum err_code page_parse(struct request *req, struct page *p, struct err *err);
/* Rows to fetch: one more than the page, to learn whether another page follows. */
int page_fetch(const struct page *p);
/* Call for each fetched row, with its keys: false means it is the extra row (stop; another page follows). */
bool page_take(struct page *p, const char *at, const char *id);
/* Builds {"items": items, "nextCursor": ...}; steals items. */
json_t *page_result(struct request *req, const struct page *p, json_t *items);

/* The binds that end every page query: the position twice, the id, the row count. */
#define PAGE_ARGS(p) STORE_TIME((p)->at), STORE_TIME((p)->at), STORE_TEXT((p)->id), STORE_INT(page_fetch(p))

/* Turns the current row into a list item. Caller owns the result. */
typedef json_t *(*page_row_fn)(struct store_stmt *st);

/*
 * The whole of a list endpoint: parses ?limit= and ?cursor= into p, runs
 * sql (args end with PAGE_ARGS(p)), turns each row into an item and answers
 * 200 with the page. at_col and id_col are the row's keys.
 */
enum err_code page_respond(struct request *req, struct page *p, const char *sql, const struct store_val *args, size_t nargs,
                           int at_col, int id_col, page_row_fn row, struct err *err);

/*
 * The row sql selects, as row makes it (a list item): NULL with
 * ERR_NOT_FOUND when there is none (a tenant's row by an id of the path:
 * "... WHERE tenantId = ? AND id = ?", the router having checked the id's
 * shape; another tenant's id answers the same). Caller owns.
 */
json_t *page_row(struct store_conn *c, const char *sql, const struct store_val *args, size_t nargs, page_row_fn row,
                 struct err *err);

/* Every row sql selects, as row makes them: {"items": [...]} (a short list, no paging), or NULL with err set. Caller owns. */
json_t *page_items(struct store_conn *c, const char *sql, const struct store_val *args, size_t nargs, page_row_fn row,
                   struct err *err);

#endif
