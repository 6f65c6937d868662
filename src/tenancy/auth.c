#define _POSIX_C_SOURCE 200809L
#include "tenancy/auth.h"

#include <pthread.h>
#include <strings.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/thread.h"
#include "core/xmalloc.h"
#include "crypto/token.h"
#include "core/rand.h"
#include "tenancy/session.h"
#include "tenancy/tenancy.h"

/*
 * One round trip finds a live token (not revoked, not expired). Without a
 * tenant: with its account (/me shows it, a new tenant's owner is named by
 * it). With a tenant, every request's case: the account id alone, the
 * caller's role there and the tenant's revision; a tenant the caller is not
 * in, or a deleted one, leaves role and revision NULL. The account's other
 * columns are left out of that read, the hottest statement there is (one
 * join and four timestamps fewer): no tenant route needs them, and audit
 * rows look the actor's e-mail up themselves.
 */
#define LIVE_TOKEN "t.tokenHash = ? AND t.revokedAt IS NULL AND (t.expiresAt IS NULL OR t.expiresAt > ?)"
static const char token_sql[] = "SELECT t.id, a.id, a.email, a.name, a.createdAt, a.updatedAt, t.ssoTenantId, "
                                "CASE WHEN a.instanceAdmin THEN 1 ELSE 0 END FROM api_tokens t "
                                "JOIN accounts a ON a.id = t.accountId WHERE " LIVE_TOKEN;
/* ...and whether the tenant lets this token in when it requires its own sign-on (sso_admits). */
static const char token_tenant_sql[] = "SELECT t.id, t.accountId, m.role, tn.revision, t.ssoTenantId, "
                                       "CASE WHEN tn.ssoRequired THEN 1 ELSE 0 END, tn.breakGlassAccountId FROM api_tokens t "
                                       "LEFT JOIN tenant_members m ON m.tenantId = ? AND m.accountId = t.accountId "
                                       "LEFT JOIN tenants tn ON tn.id = m.tenantId AND tn.deletedAt IS NULL WHERE " LIVE_TOKEN;

/*
 * A tenant that requires single sign-on (docs/sso.md) admits a token only
 * when its session came from one of the tenant's own identity providers,
 * or when it is the break-glass owner's: columns 4 to 6 of token_tenant_sql.
 */
static bool sso_admits(const struct store_row *row, const char *tenant_id, const char *account_id)
{
    if (store_row_null(row, 5) || store_row_int(row, 5) == 0)
        return true;
    if (!store_row_null(row, 4) && strcmp(store_row_text(row, 4), tenant_id) == 0)
        return true;
    return !store_row_null(row, 6) && strcmp(store_row_text(row, 6), account_id) == 0;
}

enum err_code auth_authenticate(struct request *req, const char *tenant_id, enum role min, struct err *err)
{
    const char *h = request_header(req, "Authorization");
    const char *cookie = h ? NULL : session_cookie_token(req);
    char hash[SHA256_HEX_SIZE], now[TIMESTAMP_SIZE];
    struct principal *who = principal_new(req);
    struct store_row row;
    enum role role = ROLE_PUBLIC;
    int rc;

    /* A browser session: the same token, from the cookie, and a CSRF token on writes (session.h). */
    if (cookie) {
        if (!token_well_formed(cookie))
            return err_set(err, ERR_UNAUTHENTICATED, "the session is not valid: log in again");
        if (session_csrf_check(req, cookie, err))
            return err->code;
        h = cookie;
    } else {
        if (!h || strncasecmp(h, "Bearer ", 7) != 0)
            return err_set(err, ERR_UNAUTHENTICATED, "send a token: Authorization: Bearer slw_...");
        h += 7;
        while (*h == ' ')
            h++;
        if (!token_well_formed(h))
            return err_set(err, ERR_UNAUTHENTICATED, "the token is not valid");
    }
    token_hash(h, hash);
    clock_now(now);
    rc = tenant_id ? store_lookup(req->store, token_tenant_sql,
                                  STORE_ARGS(STORE_TEXT(tenant_id), STORE_TEXT(hash), STORE_TIME(now)), 7, &row, err)
                   : store_lookup(req->store, token_sql, STORE_ARGS(STORE_TEXT(hash), STORE_TIME(now)), 8, &row, err);
    if (rc <= 0)
        return rc < 0 ? err->code : err_set(err, ERR_UNAUTHENTICATED, "the token is not valid (unknown, expired or revoked)");
    snprintf(who->token_id, sizeof who->token_id, "%s", store_row_text(&row, 0));
    snprintf(who->account_id, sizeof who->account_id, "%s", store_row_text(&row, 1));
    if (!tenant_id) {
        utf8_copy(who->email, sizeof who->email, store_row_text(&row, 2));
        utf8_copy(who->name, sizeof who->name, store_row_text(&row, 3));
        snprintf(who->created_at, sizeof who->created_at, "%s", store_row_text(&row, 4));
        snprintf(who->updated_at, sizeof who->updated_at, "%s", store_row_text(&row, 5));
        if (!store_row_null(&row, 6))
            snprintf(who->sso_tenant_id, sizeof who->sso_tenant_id, "%s", store_row_text(&row, 6));
        who->instance_admin = store_row_int(&row, 7) == 1;
    } else if (!store_row_null(&row, 3)) {
        role = role_parse(store_row_text(&row, 2));
        who->tenant_revision = store_row_int(&row, 3);
    }
    who->authenticated = true;
    token_usage_touch(tenancy()->usage, who->token_id);
    if (!tenant_id)
        return ERR_OK;
    if (role < min)
        return err_set(err, ERR_NOT_FOUND, "not found");
    if (!sso_admits(&row, tenant_id, who->account_id))
        return err_set(err, ERR_SSO_REQUIRED, "this organisation requires signing in with its single sign-on");
    snprintf(who->tenant_id, sizeof who->tenant_id, "%s", tenant_id);
    who->role = role;
    return ERR_OK;
}

static struct tenancy_env env;

void tenancy_start(const struct tenancy_env *e)
{
    env = *e;
}

const struct tenancy_env *tenancy(void)
{
    return &env;
}

enum err_code auth_admit(struct request *req, int access, struct err *err)
{
    const char *tenant = request_param(req, "tenantId");

    switch (access) {
    case ACCESS_PUBLIC:
        return ERR_OK;
    case ACCESS_PUBLIC_OR_ACCOUNT:
        if (!request_header(req, "Authorization") && !session_cookie_token(req))
            return ERR_OK;
        /* Credentials that do not authenticate are a 401, never a silent fall back to the public way. */
        return auth_authenticate(req, NULL, ROLE_ACCOUNT, err);
    case ACCESS_ACCOUNT:
        return auth_authenticate(req, NULL, ROLE_ACCOUNT, err);
    case ACCESS_ADMIN:
        if (auth_authenticate(req, NULL, ROLE_ACCOUNT, err))
            return err->code;
        return principal_of(req)->instance_admin ? ERR_OK : err_set(err, ERR_NOT_FOUND, "not found");
    case ACCESS_VIEWER:
    case ACCESS_EDITOR:
    case ACCESS_OWNER:
        /* A {tenantId} that is no id is the server's 404 after authentication (router.h: plausible). */
        return auth_authenticate(req, tenant && uuid_valid(tenant) ? tenant : NULL, (enum role)access, err);
    default:
        return err_set(err, ERR_INTERNAL, "access class %d is not tenancy's", access);
    }
}

/* ---- lastUsedAt batching ---- */

#define USAGE_MAX 4096

struct token_usage {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stopping;
    struct store *store;
    int flush_seconds;
    pthread_t thread;
    int n;
    struct {
        char id[UUID_SIZE];
        int64_t at;
    } pending[USAGE_MAX];
};

void token_usage_touch(struct token_usage *u, const char *token_id)
{
    int64_t now = clock_now_ms();

    if (!u)
        return;
    pthread_mutex_lock(&u->lock);
    int i = 0;
    for (; i < u->n; i++)
        if (strcmp(u->pending[i].id, token_id) == 0)
            break;
    if (i == u->n && u->n < USAGE_MAX) {
        snprintf(u->pending[i].id, UUID_SIZE, "%s", token_id);
        u->n++;
    }
    if (i < u->n)
        u->pending[i].at = now;
    pthread_mutex_unlock(&u->lock);
}

struct usage_batch {
    int n;
    struct {
        char id[UUID_SIZE];
        int64_t at;
    } rows[USAGE_MAX];
};

static enum err_code flush_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct usage_batch *b = ctx;
    for (int i = 0; i < b->n; i++) {
        char at[TIMESTAMP_SIZE];
        clock_format(b->rows[i].at, at);
        if (store_run(c, "UPDATE api_tokens SET lastUsedAt = ? WHERE id = ? AND (lastUsedAt IS NULL OR lastUsedAt < ?)",
                      STORE_ARGS(STORE_TIME(at), STORE_TEXT(b->rows[i].id), STORE_TIME(at)), NULL, err))
            return err->code;
    }
    return ERR_OK;
}

static void flush(struct token_usage *u)
{
    struct usage_batch *b = xmalloc(sizeof *b);
    struct store_conn *c;
    struct err err;

    pthread_mutex_lock(&u->lock);
    b->n = u->n;
    memcpy(b->rows, u->pending, sizeof b->rows[0] * (size_t)u->n);
    u->n = 0;
    pthread_mutex_unlock(&u->lock);
    err_clear(&err);
    if (b->n > 0 && (store_conn_get(u->store, &c, &err) == ERR_OK)) {
        store_tx(c, flush_body, b, &err);
        store_conn_put(c);
    }
    if (err.code)
        log_warn("tokens: could not record lastUsedAt for %d token(s): %s", b->n, err.message);
    free(b);
}

static void *flusher(void *arg)
{
    struct token_usage *u = arg;

    thread_name("token-use");
    pthread_mutex_lock(&u->lock);
    while (!u->stopping) {
        struct timespec until;
        clock_deadline(&until, (int64_t)u->flush_seconds * 1000);
        pthread_cond_timedwait(&u->wake, &u->lock, &until);
        pthread_mutex_unlock(&u->lock);
        flush(u);
        pthread_mutex_lock(&u->lock);
    }
    pthread_mutex_unlock(&u->lock);
    return NULL;
}

struct token_usage *token_usage_start(struct store *store, int flush_seconds)
{
    struct token_usage *u = xcalloc(1, sizeof *u);
    pthread_mutex_init(&u->lock, NULL);
    pthread_cond_init(&u->wake, NULL);
    u->store = store;
    u->flush_seconds = flush_seconds;
    if (pthread_create(&u->thread, NULL, flusher, u) != 0) {
        log_error("tokens: cannot start the lastUsedAt flusher");
        abort();
    }
    return u;
}

void token_usage_stop(struct token_usage *u)
{
    if (!u)
        return;
    pthread_mutex_lock(&u->lock);
    u->stopping = true;
    pthread_cond_signal(&u->wake);
    pthread_mutex_unlock(&u->lock);
    pthread_join(u->thread, NULL);
    flush(u);
    pthread_cond_destroy(&u->wake);
    pthread_mutex_destroy(&u->lock);
    free(u);
}
