/*
 * pages_http.c: public pages of a site (pages_http.h). Server-rendered
 * HTML under a Content-Security-Policy that lets no script run, cached by
 * ETag and Last-Modified; only what the tenant published is shown.
 */
#define _GNU_SOURCE /* timegm, strptime */
#include "sites/pages_http.h"

#include <time.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/fnv.h"
#include "core/revcache.h"
#include "sites/markdown.h"
#include "sites/sites.h"
#include "usage/usage.h"
#include "tenancy/roles.h"

/* No script, no plugin, no frame, no form; styles only inline (the accent colour), images over https. */
static const char csp[] = "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; base-uri 'none'; "
                          "form-action 'none'; frame-ancestors 'none'";

#define PAGE_CAP (16u << 20)
#define INDEX_POSTS 50

struct site_view {
    char id[UUID_SIZE], tenant[UUID_SIZE];
    char *title, *logo, *accent, *footer; /* the arena's */
    const char *base;                     /* "" on the site's own domain, else "/s/{slug}" */
    const char *link;                     /* where posts' links start: base, or base + "/preview" */
    bool preview;                         /* drafts and scheduled posts shown (a member, and the setting allows it) */
    char now[TIMESTAMP_SIZE];
    uint64_t etag;                 /* of everything the page shows */
    char modified[TIMESTAMP_SIZE]; /* the newest change it shows */
    const char *key;               /* in the page cache (sites.h): "d" (on a domain) or "s", and the path */
    int64_t revision;              /* sites_revision() before anything was read */
};

/*
 * What the validators need; a cached page keeps it in its first line (etag,
 * Last-Modified, tenant, site, content type), so a hit formats nothing: the
 * pointers borrow that line (in the request's arena) or the view and
 * view_meta's buffers.
 */
struct page_meta {
    const char *etag, *modified; /* modified: an HTTP date, "" when the page shows nothing dated */
    const char *tenant, *site;   /* a view is its site's use */
    bool preview;
    char etag_text[24], modified_text[40]; /* view_meta's */
};

static char *col_dup(struct request *req, struct store_stmt *st, int i)
{
    const char *s = store_col_text(st, i);
    return s ? arena_strdup(req->arena, s) : NULL;
}

/* Folds a column into the page's ETag and Last-Modified. */
static void view_saw(struct site_view *v, const char *s, bool is_time)
{
    if (!s)
        s = "";
    v->etag = fnv1a(s, strlen(s) + 1, v->etag);
    if (is_time && s[0] && strcmp(s, v->now) <= 0 && strcmp(s, v->modified) > 0)
        snprintf(v->modified, sizeof v->modified, "%s", s);
}

/* Whether the caller (authenticated, if it sent credentials) is a member of tenant. */
static bool member_of(struct request *req, struct store_conn *db, const char *tenant, struct err *err)
{
    const struct principal *p = principal_of(req);
    struct store_stmt *st;
    int rc;

    if (!p->authenticated || store_select(db, "SELECT role FROM tenant_members WHERE tenantId = ? AND accountId = ?",
                                          STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(p->account_id)), &st, err))
        return false;
    rc = store_next(st, err);
    store_finish(st);
    return rc == 1;
}

/* The site by the path's slug, or ERR_NOT_FOUND; a preview also when the caller may not see one. */
static enum err_code view_load(struct request *req, struct store_conn *db, bool preview, struct site_view *v, struct err *err)
{
    const char *slug = request_param(req, "slug");
    char own[SITE_SLUG_MAX + 1];
    struct store_stmt *st;
    bool drafts = false;
    int rc;

    clock_now(v->now);
    if (!site_slug_valid(slug))
        return err_set(err, ERR_NOT_FOUND, "not found");
    if (store_select(db,
                     "SELECT s.id, s.tenantId, ss.title, ss.logoUrl, ss.accentColor, ss.footer, ss.draftsPreviewable, s.updatedAt, "
                     "ss.updatedAt FROM sites s JOIN site_settings ss ON ss.siteId = s.id AND ss.tenantId = s.tenantId "
                     "JOIN tenants t ON t.id = s.tenantId WHERE s.slug = ? AND t.deletedAt IS NULL",
                     STORE_ARGS(STORE_TEXT(slug)), &st, err))
        return err->code;
    if ((rc = store_next(st, err)) == 1) {
        snprintf(v->id, sizeof v->id, "%s", store_col_text(st, 0));
        snprintf(v->tenant, sizeof v->tenant, "%s", store_col_text(st, 1));
        v->title = col_dup(req, st, 2);
        v->logo = col_dup(req, st, 3);
        v->accent = col_dup(req, st, 4);
        v->footer = col_dup(req, st, 5);
        drafts = store_col_bool(st, 6);
        for (int i = 2; i <= 8; i++)
            view_saw(v, store_col_text(st, i), i >= 7);
    }
    store_finish(st);
    if (rc <= 0)
        return rc == 0 ? err_set(err, ERR_NOT_FOUND, "not found") : err->code;
    if (preview && !(drafts && member_of(req, db, v->tenant, err)))
        return err->code ? err->code : err_set(err, ERR_NOT_FOUND, "not found");
    v->preview = preview;
    v->etag ^= preview;
    v->base = sites_host_site(req, own) && strcmp(own, slug) == 0 ? "" : arena_printf(req->arena, "/s/%s", slug);
    v->link = preview ? arena_printf(req->arena, "%s/preview", v->base) : v->base;
    return ERR_OK;
}

#define HTTP_DATE "%a, %d %b %Y %H:%M:%S GMT"

static void http_date(const char *ts, char out[40])
{
    int64_t ms = 0;
    time_t t;
    struct tm tm;

    out[0] = '\0';
    if (!ts[0])
        return;
    clock_parse(ts, &ms);
    t = (time_t)(ms / 1000);
    gmtime_r(&t, &tm);
    strftime(out, 40, HTTP_DATE, &tm);
}

/* The seconds of an HTTP date, or -1 when it is not one. */
static int64_t http_date_seconds(const char *date)
{
    struct tm tm = {0};
    const char *end = strptime(date, HTTP_DATE, &tm);

    return end && *end == '\0' ? (int64_t)timegm(&tm) : -1;
}

/* The validators and the other headers of a page, and whether the client's copy is current (then the answer is a 304). */
static bool page_current(struct request *req, const struct page_meta *m)
{
    const char *inm = request_header(req, "If-None-Match"), *ims = request_header(req, "If-Modified-Since");
    int64_t since;

    response_header(req, "ETag", m->etag);
    if (m->modified[0])
        response_header(req, "Last-Modified", m->modified);
    response_header(req, "Cache-Control", m->preview ? "private, no-store" : "no-cache");
    response_header(req, "Content-Security-Policy", csp);
    response_header(req, "Referrer-Policy", "no-referrer");
    response_header(req, "X-Frame-Options", "DENY");
    usage_count(m->tenant, m->site, USAGE_PAGE_VIEWS, 1);
    if (inm)
        return etag_matches(inm, m->etag);
    if (ims && m->modified[0])
        return (since = http_date_seconds(ims)) >= 0 && http_date_seconds(m->modified) <= since;
    return false;
}

static void view_meta(const struct site_view *v, struct page_meta *m)
{
    snprintf(m->etag_text, sizeof m->etag_text, "\"%016llx\"", (unsigned long long)v->etag);
    http_date(v->modified, m->modified_text);
    m->etag = m->etag_text;
    m->modified = m->modified_text;
    m->tenant = v->tenant;
    m->site = v->id;
    m->preview = v->preview;
}

/* The view's validators: true when the client's copy is current (then it has its 304). */
static bool view_current(struct request *req, const struct site_view *v)
{
    struct page_meta m;

    view_meta(v, &m);
    if (!page_current(req, &m))
        return false;
    response_empty(req, 304);
    return true;
}

/*
 * Before anything is read: the page's key and revision in the cache, and,
 * when the cache has the public page at this revision, the answer from it
 * (true). Previews are never cached.
 */
static bool page_cached(struct request *req, bool preview, struct site_view *v)
{
    char own[SITE_SLUG_MAX + 1], *text, *tab[4], *nl;
    struct page_meta m = {0};
    size_t len, path_len = strlen(req->path);
    char *key = arena_alloc(req->arena, path_len + 2);

    v->revision = sites_revision();
    key[0] = sites_host_site(req, own) && strcmp(own, request_param(req, "slug")) == 0 ? 'd' : 's';
    memcpy(key + 1, req->path, path_len + 1);
    v->key = key;
    if (preview || !(text = revcache_get(sites_pages(), v->key, v->revision, req->arena, &len)))
        return false;
    if (!(tab[0] = strchr(text, '\t')) || !(tab[1] = strchr(tab[0] + 1, '\t')) || !(tab[2] = strchr(tab[1] + 1, '\t')) ||
        !(tab[3] = strchr(tab[2] + 1, '\t')) || !(nl = strchr(tab[3] + 1, '\n')))
        return false;
    *tab[0] = *tab[1] = *tab[2] = *tab[3] = *nl = '\0';
    m.etag = text;
    m.modified = tab[0] + 1;
    m.tenant = tab[1] + 1;
    m.site = tab[2] + 1;
    if (page_current(req, &m))
        response_empty(req, 304);
    else
        response_static(req, 200, tab[3] + 1, nl + 1, len - (size_t)(nl + 1 - text));
    return true;
}

/* Sends b (or a 500 when its cap was reached) as the page, and keeps a public one in the cache. */
static enum err_code page_send(struct request *req, const struct site_view *v, struct buf *b, bool failed, const char *type,
                               struct err *err)
{
    struct page_meta m;
    char *text;
    int head;

    if (failed) {
        buf_free(b);
        return err_set(err, ERR_INTERNAL, "the page is larger than %u bytes", PAGE_CAP);
    }
    view_meta(v, &m);
    text = arena_printf(req->arena, "%s\t%s\t%s\t%s\t%s\n", m.etag, m.modified, m.tenant, m.site, type);
    head = (int)strlen(text);
    text = memcpy(arena_alloc(req->arena, (size_t)head + b->len + 1), text, (size_t)head);
    memcpy(text + head, b->data ? b->data : "", b->len);
    text[(size_t)head + b->len] = '\0';
    if (!v->preview)
        revcache_put(sites_pages(), v->key, v->revision, text, (size_t)head + b->len);
    response_static(req, 200, type, text + head, b->len);
    buf_free(b);
    return ERR_OK;
}

static int page_head(struct buf *b, const struct site_view *v, const char *title)
{
    int bad = buf_appends(b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>");
    if (title)
        bad |= html_escape(b, title) | buf_appends(b, " \xc2\xb7 ");
    bad |= html_escape(b, v->title);
    bad |= buf_printf(b, "</title><link rel=\"alternate\" type=\"application/atom+xml\" href=\"%s/feed.atom\" title=\"", v->base);
    bad |= html_escape(b, v->title);
    bad |= buf_appends(b, "\"><style>:root{--accent:");
    bad |= html_escape(b, v->accent);
    bad |= buf_appends(
        b, "}body{font:16px/1.6 system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#1f2937}"
           "a{color:var(--accent)}header{border-bottom:3px solid var(--accent);margin-bottom:1.5rem;padding-bottom:.5rem}"
           "header a{font-size:1.4rem;font-weight:600;text-decoration:none}header img{max-height:40px;vertical-align:middle;"
           "margin-right:.5rem}time{color:#6b7280;font-size:.9em}pre{overflow:auto;background:#f3f4f6;padding:.75rem}"
           "img{max-width:100%}.draft{background:#fef3c7;padding:0 .4rem}"
           "footer{margin-top:3rem;padding-top:.5rem;border-top:1px solid #e5e7eb;color:#6b7280;font-size:.9em}"
           "</style></head>\n<body><header><a href=\"");
    bad |= buf_printf(b, "%s/\">", v->base);
    if (v->logo)
        bad |= buf_appends(b, "<img alt=\"\" src=\"") | html_escape(b, v->logo) | buf_appends(b, "\">");
    bad |= html_escape(b, v->title) | buf_appends(b, "</a></header>\n<main>");
    return bad;
}

static int page_foot(struct buf *b, const struct site_view *v)
{
    int bad = buf_appends(b, "</main>\n<footer>");
    if (v->footer)
        bad |= html_escape(b, v->footer);
    return bad | buf_printf(b, " <a href=\"%s/feed.atom\">Atom feed</a></footer></body></html>\n", v->base);
}

/* A post's date line (and, previewed, what keeps it from the public). */
static int post_meta(struct buf *b, const char *status, const char *published_at, const char *now)
{
    int bad = 0;

    if (published_at)
        bad |= buf_printf(b, "<time datetime=\"%s\">%.10s</time>", published_at, published_at);
    if (strcmp(status, "DRAFT") == 0 || (published_at && strcmp(published_at, now) > 0))
        bad |= buf_printf(b, " <span class=\"draft\">%s</span>", strcmp(status, "DRAFT") == 0 ? "draft" : "scheduled");
    return bad;
}

/* What a visitor may see: not deleted, and published by now unless previewed. */
#define VISIBLE "deletedAt IS NULL AND (? OR (status <> 'DRAFT' AND publishedAt <= ?))"

struct listed {
    const char *id, *title, *slug, *body, *status, *published_at, *updated_at;
};

/* Reads the site's visible posts, newest first, into the arena (with body when with_body); their number, or -1. */
static int posts_read(struct request *req, struct store_conn *db, struct site_view *v, bool with_body, struct listed *out,
                      struct err *err)
{
    struct store_stmt *st;
    int n = 0, rc;

    if (store_select(
            db,
            "SELECT id, title, slug, status, publishedAt, updatedAt, body FROM posts WHERE tenantId = ? AND siteId = ? AND " VISIBLE
            " ORDER BY publishedAt DESC, id DESC LIMIT 50",
            STORE_ARGS(STORE_TEXT(v->tenant), STORE_TEXT(v->id), STORE_BOOL(v->preview), STORE_TIME(v->now)), &st, err))
        return -1;
    while (n < INDEX_POSTS && (rc = store_next(st, err)) == 1) {
        struct listed *p = &out[n++];
        p->id = col_dup(req, st, 0);
        p->title = col_dup(req, st, 1);
        p->slug = col_dup(req, st, 2);
        p->status = col_dup(req, st, 3);
        p->published_at = col_dup(req, st, 4);
        p->updated_at = col_dup(req, st, 5);
        p->body = with_body ? col_dup(req, st, 6) : NULL;
        view_saw(v, p->id, false);
        view_saw(v, p->updated_at, true);
        view_saw(v, p->published_at, true);
    }
    store_finish(st);
    return err->code ? -1 : n;
}

static enum err_code page_index(struct request *req, bool preview, struct err *err)
{
    struct listed posts[INDEX_POSTS];
    struct site_view v = {0};
    struct store_conn *db;
    struct buf b;
    int n, bad;

    if (page_cached(req, preview, &v))
        return ERR_OK;
    if (request_db(req, &db, err) || view_load(req, db, preview, &v, err) || (n = posts_read(req, db, &v, false, posts, err)) < 0)
        return err->code;
    if (view_current(req, &v))
        return ERR_OK;
    buf_init(&b, PAGE_CAP);
    bad = page_head(&b, &v, NULL) | buf_appends(&b, "<h1>") | html_escape(&b, v.title) | buf_appends(&b, "</h1>");
    if (n == 0)
        bad |= buf_appends(&b, "<p>Nothing published yet.</p>");
    for (int i = 0; i < n; i++) {
        bad |= buf_printf(&b, "<article><h2><a href=\"%s/%s\">", v.link, posts[i].slug) | html_escape(&b, posts[i].title) |
               buf_appends(&b, "</a></h2>") | post_meta(&b, posts[i].status, posts[i].published_at, v.now) |
               buf_appends(&b, "</article>\n");
    }
    bad |= page_foot(&b, &v);
    return page_send(req, &v, &b, bad != 0, "text/html; charset=utf-8", err);
}

static enum err_code page_post(struct request *req, bool preview, struct err *err)
{
    const char *slug = request_param(req, "postSlug");
    struct site_view v = {0};
    struct store_conn *db;
    struct store_stmt *st;
    struct listed p = {0};
    struct buf b;
    char *html;
    int rc, bad;

    if (page_cached(req, preview, &v))
        return ERR_OK;
    if (request_db(req, &db, err) || view_load(req, db, preview, &v, err))
        return err->code;
    if (!post_slug_valid(slug))
        return err_set(err, ERR_NOT_FOUND, "not found");
    if (store_select(
            db,
            "SELECT id, title, status, publishedAt, updatedAt, body FROM posts WHERE tenantId = ? AND siteId = ? AND slug = ? "
            "AND " VISIBLE,
            STORE_ARGS(STORE_TEXT(v.tenant), STORE_TEXT(v.id), STORE_TEXT(slug), STORE_BOOL(v.preview), STORE_TIME(v.now)), &st,
            err))
        return err->code;
    if ((rc = store_next(st, err)) == 1) {
        p.id = col_dup(req, st, 0);
        p.title = col_dup(req, st, 1);
        p.status = col_dup(req, st, 2);
        p.published_at = col_dup(req, st, 3);
        p.updated_at = col_dup(req, st, 4);
        p.body = col_dup(req, st, 5);
        view_saw(&v, p.id, false);
        view_saw(&v, p.updated_at, true);
        view_saw(&v, p.published_at, true);
    }
    store_finish(st);
    if (rc <= 0)
        return rc == 0 ? err_set(err, ERR_NOT_FOUND, "not found") : err->code;
    if (view_current(req, &v))
        return ERR_OK;
    buf_init(&b, PAGE_CAP);
    bad = page_head(&b, &v, p.title) | buf_appends(&b, "<article><h1>") | html_escape(&b, p.title) | buf_appends(&b, "</h1>") |
          post_meta(&b, p.status, p.published_at, v.now);
    html = markdown_html(p.body, strlen(p.body));
    bad |= buf_appends(&b, html ? html : "") | buf_appends(&b, "</article>\n") | page_foot(&b, &v);
    free(html);
    return page_send(req, &v, &b, bad != 0, "text/html; charset=utf-8", err);
}

enum err_code site_page_index(struct request *req, struct err *err)
{
    return page_index(req, false, err);
}

enum err_code site_page_post(struct request *req, struct err *err)
{
    return page_post(req, false, err);
}

enum err_code site_page_preview_index(struct request *req, struct err *err)
{
    return page_index(req, true, err);
}

enum err_code site_page_preview_post(struct request *req, struct err *err)
{
    return page_post(req, true, err);
}

enum err_code site_page_feed(struct request *req, struct err *err)
{
    struct listed posts[INDEX_POSTS];
    struct site_view v = {0};
    struct store_conn *db;
    struct buf b;
    int n, bad;

    if (page_cached(req, false, &v))
        return ERR_OK;
    if (request_db(req, &db, err) || view_load(req, db, false, &v, err) || (n = posts_read(req, db, &v, true, posts, err)) < 0)
        return err->code;
    if (view_current(req, &v))
        return ERR_OK;
    buf_init(&b, PAGE_CAP);
    bad = buf_appends(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>") |
          html_escape(&b, v.title) |
          buf_printf(&b,
                     "</title><id>urn:uuid:%s</id><updated>%s</updated><link rel=\"alternate\" href=\"%s/\"/>"
                     "<link rel=\"self\" href=\"%s/feed.atom\"/><author><name>",
                     v.id, v.modified[0] ? v.modified : v.now, v.base, v.base) |
          html_escape(&b, v.title) | buf_appends(&b, "</name></author>\n");
    for (int i = 0; i < n; i++) {
        char *html = markdown_html(posts[i].body, strlen(posts[i].body));
        const char *published = posts[i].published_at ? posts[i].published_at : posts[i].updated_at;
        bad |= buf_appends(&b, "<entry><title>") | html_escape(&b, posts[i].title) |
               buf_printf(&b,
                          "</title><id>urn:uuid:%s</id><published>%s</published><updated>%s</updated>"
                          "<link rel=\"alternate\" href=\"%s/%s\"/><content type=\"html\">",
                          posts[i].id, published, strcmp(posts[i].updated_at, published) > 0 ? posts[i].updated_at : published,
                          v.base, posts[i].slug) |
               html_escape(&b, html ? html : "") | buf_appends(&b, "</content></entry>\n");
        free(html);
    }
    bad |= buf_appends(&b, "</feed>\n");
    return page_send(req, &v, &b, bad != 0, "application/atom+xml; charset=utf-8", err);
}
