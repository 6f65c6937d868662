/* sites.c: slugs, the custom-domain cache, and posts made by other modules (sites.h, docs/sites.md). */
#include "sites/sites.h"

#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>

#include "core/clock.h"
#include "core/fnv.h"
#include "core/rand.h"
#include "core/revcache.h"
#include "usage/usage.h"

static struct sites_env env;
static struct revcache *pages;
static atomic_int_fast64_t generation;

void sites_start(const struct sites_env *e)
{
    env = *e;
    pages = revcache_new(1024);
}

void sites_stop(void)
{
    revcache_free(pages);
    pages = NULL;
}

struct revcache *sites_pages(void)
{
    return pages;
}

int64_t sites_revision(void)
{
    return (atomic_load(&generation) << 32) | ((clock_now_ms() / 1000) & 0xffffffff);
}

void sites_changed(void)
{
    atomic_fetch_add(&generation, 1);
}

const struct sites_env *sites(void)
{
    return &env;
}

/* 1..max of a-z 0-9 and the characters of extra, the first a letter or digit. */
static bool slug_valid(const char *s, size_t max, const char *extra)
{
    size_t n = 0;

    if (!s || !(islower((unsigned char)s[0]) || isdigit((unsigned char)s[0])))
        return false;
    for (; s[n]; n++)
        if (!(islower((unsigned char)s[n]) || isdigit((unsigned char)s[n]) || strchr(extra, s[n])) || n >= max)
            return false;
    return true;
}

bool site_slug_valid(const char *s)
{
    return slug_valid(s, SITE_SLUG_MAX, "-");
}

bool post_slug_valid(const char *s)
{
    return slug_valid(s, POST_SLUG_MAX, "-_.") && strcmp(s, "feed.atom") != 0 && strcmp(s, "preview") != 0;
}

bool host_name_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0, label = 0;
    bool dot = false, alpha_tld = false;

    if (n == 0 || n > HOST_NAME_MAX_LEN)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '.') {
            if (label == 0 || s[i - 1] == '-')
                return false;
            dot = true;
            label = 0;
            alpha_tld = false;
        } else if (islower((unsigned char)c) || isdigit((unsigned char)c) || c == '-') {
            if ((label == 0 && c == '-') || ++label > 63)
                return false;
            alpha_tld |= islower((unsigned char)c);
        } else {
            return false;
        }
    }
    /* The last label has a letter: no IPv4 address. */
    return dot && label > 0 && s[n - 1] != '-' && alpha_tld;
}

/* ---- the custom-domain cache: host -> slug ("" for none), each answer kept for HOST_TTL_MS ---- */

#define HOST_SLOTS 1024
#define HOST_TTL_MS 10000

static struct {
    pthread_mutex_t lock;
    struct host_slot {
        char host[HOST_NAME_MAX_LEN + 1];
        char slug[SITE_SLUG_MAX + 1];
        int64_t until;
    } slots[HOST_SLOTS];
} hosts = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* The request's Host without its port, lower case, into out; false when it is no host name a domain can be. */
static bool request_host(const struct request *req, char out[HOST_NAME_MAX_LEN + 1])
{
    const char *h = request_header(req, "Host");
    size_t n = 0;

    if (!h)
        return false;
    for (; h[n] && h[n] != ':'; n++) {
        if (n == HOST_NAME_MAX_LEN)
            return false;
        out[n] = (char)tolower((unsigned char)h[n]);
    }
    out[n] = '\0';
    return host_name_valid(out);
}

static struct host_slot *host_slot(const char *host)
{
    return &hosts.slots[fnv1a(host, strlen(host), 0) % HOST_SLOTS];
}

void sites_host_forget(const char *host)
{
    struct host_slot *s = host_slot(host);

    pthread_mutex_lock(&hosts.lock);
    if (strcmp(s->host, host) == 0)
        s->until = 0;
    pthread_mutex_unlock(&hosts.lock);
}

bool sites_host_site(const struct request *req, char out[SITE_SLUG_MAX + 1])
{
    char host[HOST_NAME_MAX_LEN + 1];
    struct host_slot *s;
    struct store_row row;
    struct err err;
    int64_t now = clock_mono_ms();
    bool hit;
    int rc;

    out[0] = '\0';
    if (!env.store || !request_host(req, host))
        return false;
    s = host_slot(host);
    pthread_mutex_lock(&hosts.lock);
    if ((hit = strcmp(s->host, host) == 0 && s->until > now))
        memcpy(out, s->slug, sizeof s->slug);
    pthread_mutex_unlock(&hosts.lock);
    if (hit)
        return out[0] != '\0';
    err_clear(&err);
    rc = store_lookup(env.store,
                      "SELECT s.slug FROM domains d JOIN sites s ON s.id = d.siteId WHERE d.hostName = ? AND d.status = 'VERIFIED'",
                      STORE_ARGS(STORE_TEXT(host)), 1, &row, &err);
    if (rc < 0)
        return false; /* not cached: the next request asks again */
    if (rc == 1)
        snprintf(out, SITE_SLUG_MAX + 1, "%s", store_row_text(&row, 0));
    pthread_mutex_lock(&hosts.lock);
    snprintf(s->host, sizeof s->host, "%s", host);
    memcpy(s->slug, out, sizeof s->slug);
    s->until = now + HOST_TTL_MS;
    pthread_mutex_unlock(&hosts.lock);
    return out[0] != '\0';
}

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

void sites_rewrite(struct request *req)
{
    const char *path = req->path;
    char slug[SITE_SLUG_MAX + 1];
    size_t n;

    if (!path || has_prefix(path, "/api/") || has_prefix(path, "/hooks/"))
        return;
    if (sites_host_site(req, slug)) {
        req->path =
            strcmp(path, "/") == 0 ? arena_printf(req->arena, "/s/%s", slug) : arena_printf(req->arena, "/s/%s%s", slug, path);
        return;
    }
    /* "/s/{slug}/": the index, as its links spell it. */
    n = strlen(path);
    if (has_prefix(path, "/s/") && n > 4 && path[n - 1] == '/' && !memchr(path + 3, '/', n - 4))
        req->path = arena_strndup(req->arena, path, n - 1);
}

/* ---- posts ---- */

enum err_code post_insert(struct store_conn *c, const char *tenant_id, const struct post_new *p, char id[UUID_SIZE],
                          struct err *err)
{
    char now[TIMESTAMP_SIZE];

    clock_now(now);
    rand_uuid(id);
    return store_run(
        c,
        "INSERT INTO posts (id, tenantId, siteId, title, slug, body, status, publishedAt, releaseId, createdByAccountId, "
        "createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        STORE_ARGS(STORE_TEXT(id), STORE_TEXT(tenant_id), STORE_TEXT(p->site_id), STORE_TEXT(p->title), STORE_TEXT(p->slug),
                   STORE_TEXT(p->body), STORE_TEXT(p->status), STORE_TIME(p->published_at), STORE_TEXT(p->release_id),
                   STORE_TEXT(p->account_id), STORE_TIME(now), STORE_TIME(now)),
        NULL, err);
}

/* 1 when site has a post (deleted or not) with this slug, 0 when not, -1 on error. */
static int slug_taken(struct store_conn *c, const char *tenant_id, const char *site_id, const char *slug, struct err *err)
{
    struct store_stmt *st;
    int rc;

    if (store_select(c, "SELECT 1 FROM posts WHERE tenantId = ? AND siteId = ? AND slug = ?",
                     STORE_ARGS(STORE_TEXT(tenant_id), STORE_TEXT(site_id), STORE_TEXT(slug)), &st, err))
        return -1;
    rc = store_next(st, err);
    store_finish(st);
    return rc;
}

/* "release-" and the version in slug characters (anything else a hyphen). */
static void release_slug(const char *version, char out[POST_SLUG_MAX + 1])
{
    size_t n = (size_t)snprintf(out, POST_SLUG_MAX + 1, "release-%s", version);

    for (size_t i = 8; i < n && i < POST_SLUG_MAX; i++) {
        char ch = (char)tolower((unsigned char)out[i]);
        out[i] = islower((unsigned char)ch) || isdigit((unsigned char)ch) || ch == '.' || ch == '_' ? ch : '-';
    }
}

/*
 * Whether a site showing shown (a JSON array of its settings: platforms, or
 * apps; empty: all) shows a release that has reached (borrowed: the
 * release's platforms, or the store targets it was submitted to).
 */
static bool shows_any(const char *shown, const json_t *reached)
{
    json_t *list = json_loads(shown ? shown : "[]", 0, NULL);
    bool shows = !json_array_size(list); /* empty, or unreadable: everything */
    size_t i, k;
    json_t *p, *r;

    json_array_foreach(list, i, p) json_array_foreach(reached, k, r) shows |= json_equal(p, r);
    json_decref(list);
    return shows;
}

/* Appends to apps (a JSON array) the ids of the store targets release was submitted to: the apps it reaches. */
static enum err_code release_apps(struct store_conn *c, const char *tenant_id, const char *release_id, json_t *apps,
                                  struct err *err)
{
    struct store_stmt *st;
    int rc;

    if (store_select(c,
                     "SELECT DISTINCT targetIntegrationId FROM store_submissions WHERE tenantId = ? AND releaseId = ? "
                     "AND targetIntegrationId IS NOT NULL",
                     STORE_ARGS(STORE_TEXT(tenant_id), STORE_TEXT(release_id)), &st, err))
        return err->code;
    while ((rc = store_next(st, err)) == 1)
        json_array_append_new(apps, json_string(store_col_text(st, 0)));
    store_finish(st);
    return err->code;
}

enum err_code sites_post_from_release(struct store_conn *c, const char *tenant_id, const char *release_id, const char *notes,
                                      int *made, struct err *err)
{
    char version[128] = "", slug[POST_SLUG_MAX + 1], title[160], now[TIMESTAMP_SIZE], id[UUID_SIZE];
    struct store_stmt *st;
    json_t *targets = json_array(), *released = NULL, *apps = json_array(); /* the release's platforms and apps */
    size_t i;
    json_t *t;
    int rc;

    if (made)
        *made = 0;
    if (store_select(c, "SELECT version, platforms FROM releases WHERE tenantId = ? AND id = ?",
                     STORE_ARGS(STORE_TEXT(tenant_id), STORE_TEXT(release_id)), &st, err))
        goto out;
    if ((rc = store_next(st, err)) == 1) {
        snprintf(version, sizeof version, "%s", store_col_text(st, 0));
        released = json_loads(store_col_text(st, 1), 0, NULL);
    }
    store_finish(st);
    if (rc <= 0) {
        if (rc == 0)
            err_set(err, ERR_NOT_FOUND, "no such release");
        goto out;
    }
    if (release_apps(c, tenant_id, release_id, apps, err))
        goto out;
    /* Every site of the tenant without a post of this release, with its auto-publish setting and what it shows. */
    if (store_select(c,
                     "SELECT s.id, ss.autoPublishNotes, ss.platforms, ss.apps FROM sites s JOIN site_settings ss "
                     "ON ss.siteId = s.id AND ss.tenantId = s.tenantId "
                     "WHERE s.tenantId = ? AND NOT EXISTS (SELECT 1 FROM posts p WHERE p.tenantId = ? AND p.siteId = s.id "
                     "AND p.releaseId = ?) ORDER BY s.createdAt, s.id",
                     STORE_ARGS(STORE_TEXT(tenant_id), STORE_TEXT(tenant_id), STORE_TEXT(release_id)), &st, err))
        goto out;
    while ((rc = store_next(st, err)) == 1)
        if (shows_any(store_col_text(st, 2), released) && shows_any(store_col_text(st, 3), apps))
            json_array_append_new(targets,
                                  json_pack("{s:s, s:b}", "site", store_col_text(st, 0), "publish", store_col_bool(st, 1)));
    store_finish(st);
    if (rc < 0)
        goto out;
    release_slug(version, slug);
    snprintf(title, sizeof title, "Release %s", version);
    clock_now(now);
    json_array_foreach(targets, i, t)
    {
        bool publish = json_is_true(json_object_get(t, "publish"));
        struct post_new p = {.site_id = json_string_value(json_object_get(t, "site")),
                             .title = title,
                             .slug = slug,
                             .body = notes ? notes : "",
                             .status = publish ? "PUBLISHED" : "DRAFT",
                             .published_at = publish ? now : NULL,
                             .release_id = release_id};
        char longer[POST_SLUG_MAX + 1];
        /* A slug another post has takes this release's id (a failed insert would end a PostgreSQL transaction). */
        if ((rc = slug_taken(c, tenant_id, p.site_id, slug, err)) < 0)
            goto out;
        if (rc) {
            snprintf(longer, sizeof longer, "%.80s-%.8s", slug, release_id);
            p.slug = longer;
        }
        post_insert(c, tenant_id, &p, id, err);
        if (err->code)
            goto out;
        if (publish)
            usage_count(tenant_id, p.site_id, USAGE_POSTS_PUBLISHED, 1);
        if (made)
            (*made)++;
    }
    sites_changed();
out:
    json_decref(targets);
    json_decref(released);
    json_decref(apps);
    return err->code;
}
