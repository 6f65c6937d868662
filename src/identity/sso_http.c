/*
 * sso_http.c: the OpenID Connect login (docs/sso.md).
 *
 * GET /api/v1/auth/oidc/{providerId}/start answers 302 to the provider's
 * authorization endpoint, with a state, a nonce and a PKCE S256 challenge
 * whose verifier stays here (iam_login_states: the state's hash, ten
 * minutes, single use). GET /api/v1/auth/oidc/callback spends the state,
 * exchanges the code at the token endpoint (client_secret_basic), verifies
 * the ID token (signature against the provider's JWK Set, fetched again
 * once when the key id is unknown; iss, aud, azp, exp, iat, nonce), reads
 * the groups (and e-mail address) from the token or else from userinfo,
 * and then, in one transaction: the account mapped to (provider, sub), or one linked by a
 * verified e-mail address, or one created when the provider allows it; its
 * role from the group rules, the default role, or a refusal in strict mode;
 * the membership set to that role (a change audited); a session cookie as
 * the password login gives; 302 to the web UI.
 *
 * Threads: the handlers suspend the request; each step between calls runs
 * on the identity pool (database, signatures), each call on the outbound
 * loop, whose callback only copies the answer and queues the next step. No
 * thread waits for a provider.
 */
#include "core/clock.h"
#include "core/encode.h"
#include "core/log.h"
#include "core/workpool.h"
#include "core/xmalloc.h"
#include "crypto/hash.h"
#include "crypto/jwt.h"
#include "crypto/secret.h"
#include "identity/iam.h"
#include "identity/identity_http.h"
#include "identity/oidc.h"
#include "outbound/outbound.h"
#include "providers/call.h"
#include "tenancy/accounts.h"
#include "tenancy/audit.h"
#include "tenancy/session.h"
#include "tenancy/tenancy.h"
#include "tenancy/tenancy_http.h"
#include "tenancy/tokens.h"

#define STATE_TTL_MS (10 * 60 * 1000)
#define CALLBACK_PATH "/api/v1/auth/oidc/callback"

struct flow;
typedef void (*step_fn)(struct flow *f);

/* One login in flight, from the handler to its answer. */
struct flow {
    struct request *req;
    struct iam_provider prov;
    char state[OIDC_RANDOM_SIZE], nonce[OIDC_RANDOM_SIZE], verifier[OIDC_RANDOM_SIZE];
    char *code;                 /* the authorization code (callback) */
    char *invite;               /* the invitation's token the login started with (start), or NULL */
    char invitation[UUID_SIZE]; /* the id of the invitation the login accepts, or "" */
    json_t *meta;               /* the discovery document */
    json_t *jwks;
    bool jwks_fresh; /* fetched during this login: an unknown kid is not fetched again */
    json_t *tokens;  /* the token endpoint's answer (its ID token not verified yet; no access or refresh token) */
    char *access_token;
    json_t *claims, *groups; /* the verified ID token's claims (with userinfo's), the groups among them */
    /* The last answer, copied off the loop: */
    enum outbound_failure failure;
    long status;
    char *body;
    char cause[160];
    step_fn next; /* what runs with the answer of the call in flight */
    step_fn then; /* what runs once a document (discovery, key set) is at hand */
};

static void flow_free(struct flow *f)
{
    iam_provider_clear(&f->prov);
    free(f->code);
    if (f->invite)
        hash_cleanse(f->invite, strlen(f->invite));
    free(f->invite);
    json_decref(f->meta);
    json_decref(f->jwks);
    if (f->access_token)
        hash_cleanse(f->access_token, strlen(f->access_token));
    free(f->access_token);
    json_decref(f->tokens);
    json_decref(f->claims);
    json_decref(f->groups);
    free(f->body);
    hash_cleanse(f, sizeof *f);
    free(f);
}

/*
 * A browser that was sent here (its navigation asks for text/html) is sent
 * back to the web UI's login page with the reason, which the page shows
 * (ui/view-login.js reads sso_error); a script gets the error as JSON.
 * True when it answered.
 */
static bool to_login_page(struct request *req, const struct err *err)
{
    const char *accept = request_header(req, "Accept");
    size_t n = strlen(err->message) * 3 + 1;
    char *esc;

    if (!accept || !strstr(accept, "text/html"))
        return false;
    esc = arena_alloc(req->arena, n);
    response_header(req, "Location", arena_printf(req->arena, "/?sso_error=%s#/login", url_escape(err->message, esc, n)));
    response_header(req, "Cache-Control", "no-store");
    response_empty(req, 302);
    return true;
}

/* Ends the login with the response set (or err), and resumes the request. */
static void flow_end(struct flow *f, const struct err *err)
{
    struct request *req = f->req;

    if (err && err->code && !to_login_page(req, err))
        response_error(req, err);
    flow_free(f);
    request_resume(req);
}

/* A failure at the provider: recorded on it for its owner (lastError), logged, and answered 503. */
static void idp_failed(struct flow *f, const char *what)
{
    struct store_conn *c;
    struct err err;
    char now[TIMESTAMP_SIZE];

    err_clear(&err);
    clock_now(now);
    log_warn("sso: provider %s (tenant %s): %s", f->prov.id, f->prov.tenant_id, what);
    if (request_db(f->req, &c, &err) == ERR_OK)
        store_run(c, "UPDATE iam_providers SET lastError = ?, updatedAt = ? WHERE tenantId = ? AND id = ?",
                  STORE_ARGS(STORE_TEXT(what), STORE_TIME(now), STORE_TEXT(f->prov.tenant_id), STORE_TEXT(f->prov.id)), NULL, &err);
    err_clear(&err);
    err_set(&err, ERR_UNAVAILABLE, "the identity provider cannot be used now: %s", what);
    flow_end(f, &err);
}

static void run_next(void *arg)
{
    struct flow *f = arg;
    f->next(f);
}

/* Queues f->next on the identity pool; a full pool ends the login with 503. */
static void queue_next(struct flow *f)
{
    if (workpool_submit(identity()->pool, run_next, f) != 0)
        flow_end(f, &(struct err){.code = ERR_UNAVAILABLE, .message = "the server is busy; try again shortly"});
}

/* On the loop thread: keep the answer, queue the step. */
static void fetched(const struct outbound_response *res, void *ctx)
{
    struct flow *f = ctx;

    f->failure = res->failure;
    f->status = res->status;
    free(f->body);
    f->body = res->failure == OUTBOUND_OK ? xstrdup(res->body ? res->body : "") : NULL;
    snprintf(f->cause, sizeof f->cause, "%s", res->cause);
    if (res->failure != OUTBOUND_OK)
        log_warn("sso: provider %s: %s", f->prov.id, res->error);
    queue_next(f);
}

/* Sends a call; its answer runs next. */
static void flow_call(struct flow *f, const char *method, const char *url, const char *const *headers, const char *body,
                      const char *userpwd, step_fn next)
{
    const struct provider_loop *loop = identity()->loop;
    struct outbound_call call = {.method = method,
                                 .url = url,
                                 .headers = headers,
                                 .body = body,
                                 .body_len = body ? strlen(body) : 0,
                                 .userpwd = userpwd,
                                 .timeout_ms = loop->timeout_ms,
                                 .label = "oidc",
                                 .done = fetched,
                                 .ctx = f};
    struct err err;

    err_clear(&err);
    f->next = next;
    if (loop->submit(loop->out, &call, &err))
        idp_failed(f, "the call cannot be made (is its address a URL?)");
}

/* The answer as a JSON object (caller owns), or NULL after ending the login (f is freed): what names the document. */
static json_t *answer_json(struct flow *f, const char *what)
{
    json_t *doc = f->failure == OUTBOUND_OK && f->status == 200 ? json_loads(f->body, 0, NULL) : NULL;
    char msg[256];

    if (json_is_object(doc))
        return doc;
    json_decref(doc);
    if (f->failure != OUTBOUND_OK)
        snprintf(msg, sizeof msg, "%s: %s", what, f->cause);
    else if (f->status != 200)
        snprintf(msg, sizeof msg, "%s: HTTP %ld", what, f->status);
    else
        snprintf(msg, sizeof msg, "%s: not a JSON object", what);
    idp_failed(f, msg);
    return NULL;
}

/* ---- the discovery document, cached ---- */

static char *discovery_url(const struct flow *f)
{
    size_t n = strlen(f->prov.issuer);
    return arena_printf(f->req->arena, "%.*s/.well-known/openid-configuration",
                        (int)(n && f->prov.issuer[n - 1] == '/' ? n - 1 : n), f->prov.issuer);
}

static const char *meta_text(const struct flow *f, const char *k)
{
    return json_string_value(json_object_get(f->meta, k));
}

static void discovery_answer(struct flow *f)
{
    json_t *meta = answer_json(f, "the discovery document");

    if (!meta)
        return; /* f is gone */
    f->meta = meta;
    if (!meta_text(f, "issuer") || strcmp(meta_text(f, "issuer"), f->prov.issuer) != 0 || !meta_text(f, "authorization_endpoint") ||
        !meta_text(f, "token_endpoint") || !meta_text(f, "jwks_uri")) {
        idp_failed(f, "the discovery document names another issuer, or lacks an endpoint");
        return;
    }
    oidc_cache_put(discovery_url(f), f->meta);
    f->then(f);
}

/* Has f->meta, from the cache or the provider, then runs then. */
static void with_meta(struct flow *f, step_fn then)
{
    f->then = then;
    if ((f->meta = oidc_cache_get(discovery_url(f)))) {
        then(f);
        return;
    }
    flow_call(f, "GET", discovery_url(f), (const char *const[]){"Accept: application/json", NULL}, NULL, NULL, discovery_answer);
}

/* ---- start ---- */

/* A query parameter, percent-encoded, appended to b: 0, or -1 when b is full. */
static int query_add(struct buf *b, const char *name, const char *value)
{
    size_t n = strlen(value) * 3 + 1;
    char *esc = xmalloc(n);
    int rc = buf_printf(b, "&%s=%s", name, url_escape(value, esc, n));
    free(esc);
    return rc;
}

/* SLIPWAY_PUBLIC_URL (without a trailing slash) and the callback's path. */
static const char *redirect_uri(const struct flow *f)
{
    const char *base = identity()->public_url;
    size_t n = strlen(base);

    while (n > 0 && base[n - 1] == '/')
        n--;
    return arena_printf(f->req->arena, "%.*s%s", (int)n, base, CALLBACK_PATH);
}

static enum err_code start_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct flow *f = ctx;
    char hash[SHA256_HEX_SIZE], now[TIMESTAMP_SIZE], expires[TIMESTAMP_SIZE];
    struct invitation_ref inv;

    /* Started from an invitation link: a pending invitation to this provider's tenant (else 404, as for any other token). */
    if (f->invite && invitation_pending(c, f->invite, &inv, err) == ERR_OK) {
        if (strcmp(inv.tenant_id, f->prov.tenant_id) != 0)
            return err_set(err, ERR_NOT_FOUND, "this invitation is not valid here: ask for a new one");
        memcpy(f->invitation, inv.id, sizeof inv.id);
    }
    if (err->code)
        return err->code;
    clock_now(now);
    clock_format(clock_now_ms() + STATE_TTL_MS, expires);
    hash_sha256_hex(f->state, strlen(f->state), hash);
    if (store_run(c, "DELETE FROM iam_login_states WHERE expiresAt < ?", STORE_ARGS(STORE_TIME(now)), NULL, err))
        return err->code;
    return store_run(
        c,
        "INSERT INTO iam_login_states (stateHash, providerId, nonce, codeVerifier, expiresAt, invitationId) VALUES (?, ?, ?, ?, ?, "
        "?)",
        STORE_ARGS(STORE_TEXT(hash), STORE_TEXT(f->prov.id), STORE_TEXT(f->nonce), STORE_TEXT(f->verifier), STORE_TIME(expires),
                   STORE_TEXT(f->invitation[0] ? f->invitation : NULL)),
        NULL, err);
}

static void start_redirect(struct flow *f)
{
    const char *endpoint = meta_text(f, "authorization_endpoint");
    char challenge[OIDC_CHALLENGE_SIZE];
    struct store_conn *c;
    struct buf b;
    struct err err;

    err_clear(&err);
    oidc_random(f->state);
    oidc_random(f->nonce);
    oidc_random(f->verifier);
    oidc_pkce_challenge(f->verifier, challenge);
    if (request_db(f->req, &c, &err) || store_tx(c, start_body, f, &err)) {
        flow_end(f, &err);
        return;
    }
    buf_init(&b, 16384);
    if ((buf_printf(&b, "%s%cresponse_type=code", endpoint, strchr(endpoint, '?') ? '&' : '?') |
         query_add(&b, "client_id", f->prov.client_id) | query_add(&b, "redirect_uri", redirect_uri(f)) |
         query_add(&b, "scope", f->prov.scopes) | query_add(&b, "state", f->state) | query_add(&b, "nonce", f->nonce) |
         query_add(&b, "code_challenge", challenge) | query_add(&b, "code_challenge_method", "S256")) == 0) {
        response_header(f->req, "Location", b.data);
        response_header(f->req, "Cache-Control", "no-store");
        response_empty(f->req, 302);
        buf_free(&b);
        flow_end(f, NULL);
        return;
    }
    buf_free(&b);
    flow_end(f, &(struct err){.code = ERR_UNAVAILABLE, .message = "the provider's authorization endpoint is too long"});
}

/* Loads the flow's provider (enabled: else ERR_NOT_FOUND, as for none). */
static enum err_code flow_provider(struct flow *f, const char *id, struct err *err)
{
    struct store_conn *c;

    if (request_db(f->req, &c, err) || iam_provider_load(c, NULL, id, &f->prov, err))
        return err->code;
    if (!f->prov.enabled)
        return err_set(err, ERR_NOT_FOUND, "no such identity provider");
    return ERR_OK;
}

static struct flow *flow_new(const char *invite)
{
    struct flow *f = xcalloc(1, sizeof *f);

    f->invite = invite ? xstrdup(invite) : NULL;
    return f;
}

static void start_run(struct flow *f)
{
    struct err err;

    err_clear(&err);
    if (flow_provider(f, request_param(f->req, "providerId"), &err)) {
        flow_end(f, &err);
        return;
    }
    with_meta(f, start_redirect);
}

/* Suspends the request and runs first on the identity pool. */
static enum err_code flow_begin(struct request *req, struct flow *f, step_fn first, struct err *err)
{
    f->req = req;
    f->next = first;
    request_suspend(req);
    if (workpool_submit(identity()->pool, run_next, f) == 0)
        return ERR_OK;
    request_resume(req);
    flow_free(f);
    return err_set(err, ERR_UNAVAILABLE, "the server is busy; try again shortly");
}

static enum err_code not_configured(struct err *err)
{
    return err_set(err, ERR_UNAVAILABLE, "single sign-on needs SLIPWAY_PUBLIC_URL, the address browsers reach slipway at");
}

/* The handler's answer: ERR_OK, or a refusal before a login flow exists (to the login page, or err for a script). */
static enum err_code refused_early(struct request *req, struct err *err)
{
    if (!err->code || !to_login_page(req, err))
        return err->code;
    err_clear(err);
    return ERR_OK;
}

enum err_code sso_start(struct request *req, struct err *err)
{
    if (!identity()->public_url || !identity()->public_url[0])
        not_configured(err);
    else if (request_query(req, "invite") && strlen(request_query(req, "invite")) > 256)
        err_set(err, ERR_NOT_FOUND, "this invitation is not valid: ask for a new one");
    else
        flow_begin(req, flow_new(request_query(req, "invite")), start_run, err);
    return refused_early(req, err);
}

/* ---- callback ---- */

/* The user's end of a refusal: audited as a failed login, answered with err. */
static void refuse(struct flow *f, struct err *err)
{
    const char *sub = json_string_value(json_object_get(f->claims, "sub"));
    json_t *details = json_pack("{s:s, s:s, s:s}", "providerId", f->prov.id, "subject", sub ? sub : "", "reason", err->message);
    struct store_conn *c;
    struct err inner;

    err_clear(&inner);
    if (request_db(f->req, &c, &inner) == ERR_OK)
        audit_write(c, f->req,
                    &(struct audit_event){.tenant_id = f->prov.tenant_id,
                                          .action = "auth.sso_login",
                                          .target_type = "iam_provider",
                                          .target_id = f->prov.id,
                                          .failed = true,
                                          .details = details},
                    &inner);
    json_decref(details);
    flow_end(f, err);
}

/* The login's transaction: account, membership and role, session. */
struct login_tx {
    struct flow *f;
    struct invitation_ref inv; /* the invitation the login accepts (inv.id "" when none) */
    struct account account;
    struct issued_token token;
};

static const char *claim(const struct flow *f, const char *k)
{
    return json_string_value(json_object_get(f->claims, k));
}

/* The account mapped to (provider, sub), else linked or created: ERR_BAD_CREDENTIALS when neither may be. */
static enum err_code login_account(struct store_conn *c, struct login_tx *t, struct err *err)
{
    struct flow *f = t->f;
    const struct iam_provider *p = &f->prov;
    char now[TIMESTAMP_SIZE], email[EMAIL_SIZE];
    struct store_stmt *st;
    int rc;

    clock_now(now);
    if (store_select(c,
                     "SELECT a.id, a.email, a.name, a.createdAt, a.updatedAt FROM iam_user_mappings m JOIN accounts a ON "
                     "a.id = m.accountId WHERE m.tenantId = ? AND m.providerId = ? AND m.subject = ?",
                     STORE_ARGS(STORE_TEXT(p->tenant_id), STORE_TEXT(p->id), STORE_TEXT(claim(f, "sub"))), &st, err))
        return err->code;
    if ((rc = store_next(st, err)) == 1) {
        snprintf(t->account.id, sizeof t->account.id, "%s", store_col_text(st, 0));
        utf8_copy(t->account.email, sizeof t->account.email, store_col_text(st, 1));
        utf8_copy(t->account.name, sizeof t->account.name, store_col_text(st, 2));
        snprintf(t->account.created_at, sizeof t->account.created_at, "%s", store_col_text(st, 3));
        snprintf(t->account.updated_at, sizeof t->account.updated_at, "%s", store_col_text(st, 4));
    }
    store_finish(st);
    if (rc < 0)
        return err->code;
    if (rc == 1)
        return store_run(c, "UPDATE iam_user_mappings SET lastLoginAt = ? WHERE tenantId = ? AND providerId = ? AND subject = ?",
                         STORE_ARGS(STORE_TIME(now), STORE_TEXT(p->tenant_id), STORE_TEXT(p->id), STORE_TEXT(claim(f, "sub"))),
                         NULL, err);

    /* Not mapped yet: an existing account by a verified address, or a new one. */
    if (!claim(f, "email") || email_problem(claim(f, "email")))
        return err_set(err, ERR_BAD_CREDENTIALS, "the provider gave no e-mail address for this identity");
    account_email_normalize(claim(f, "email"), email, sizeof email);
    if (accounts_find_by_email(c, email, &t->account, err) == ERR_OK) {
        hash_cleanse(t->account.password_hash, sizeof t->account.password_hash);
        if (!json_is_true(json_object_get(f->claims, "email_verified")))
            return err_set(err, ERR_BAD_CREDENTIALS,
                           "an account with this e-mail address exists, and the provider does not say the address is verified");
    } else if (err->code != ERR_NOT_FOUND) {
        return err->code;
    } else if (!p->allow_signup && !t->inv.id[0]) {
        return err_set(err, ERR_BAD_CREDENTIALS,
                       "no account is linked to this identity, and the provider does not create accounts");
    } else {
        err_clear(err);
        memset(&t->account, 0, sizeof t->account);
        snprintf(t->account.email, sizeof t->account.email, "%s", email);
        account_name_or_default(claim(f, "name") && utf8_length(claim(f, "name")) <= ACCOUNT_NAME_MAX ? claim(f, "name") : NULL,
                                email, t->account.name, sizeof t->account.name);
        if (accounts_insert(c, &t->account, err))
            return err->code;
    }
    return store_run(
        c,
        "INSERT INTO iam_user_mappings (providerId, tenantId, subject, accountId, createdAt, lastLoginAt) VALUES (?, ?, ?, "
        "?, ?, ?)",
        STORE_ARGS(STORE_TEXT(p->id), STORE_TEXT(p->tenant_id), STORE_TEXT(claim(f, "sub")), STORE_TEXT(t->account.id),
                   STORE_TIME(now), STORE_TIME(now)),
        NULL, err);
}

/* An audit row of the login's account, in the provider's tenant; steals details. */
static enum err_code audit_login(struct store_conn *c, struct login_tx *t, const char *action, json_t *details, struct err *err)
{
    audit_write(c, t->f->req,
                &(struct audit_event){.tenant_id = t->f->prov.tenant_id,
                                      .action = action,
                                      .target_type = "account",
                                      .target_id = t->account.id,
                                      .details = details,
                                      .actor_id = t->account.id,
                                      .actor_email = t->account.email},
                err);
    json_decref(details);
    return err->code;
}

/* The member's role in the tenant ("" when not a member) into role[16]. */
static enum err_code member_role(struct store_conn *c, const char *tenant, const char *account, char role[16], struct err *err)
{
    struct store_stmt *st;
    int rc;

    role[0] = '\0';
    if (store_select(c, "SELECT role FROM tenant_members WHERE tenantId = ? AND accountId = ?",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(account)), &st, err))
        return err->code;
    if ((rc = store_next(st, err)) == 1)
        snprintf(role, 16, "%s", store_col_text(st, 0));
    store_finish(st);
    return rc < 0 ? err->code : ERR_OK;
}

/* Other owners than account in tenant. */
static enum err_code other_owners(struct store_conn *c, const char *tenant, const char *account, int64_t *n, struct err *err)
{
    struct store_stmt *st;

    *n = 0;
    if (store_select(c, "SELECT COUNT(*) FROM tenant_members WHERE tenantId = ? AND role = ? AND accountId <> ?",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT("owner"), STORE_TEXT(account)), &st, err))
        return err->code;
    if (store_next(st, err) == 1)
        *n = store_col_int(st, 0);
    store_finish(st);
    return err->code;
}

/* The membership at the role the groups give (re-evaluated at each login; a change audited). */
static enum err_code login_membership(struct store_conn *c, struct login_tx *t, struct err *err)
{
    struct flow *f = t->f;
    const struct iam_provider *p = &f->prov;
    char now[TIMESTAMP_SIZE], had[16];
    json_t *rules = NULL, *details;
    enum role role;
    int64_t owners;

    if (iam_group_mappings(c, p, &rules, err)) {
        json_decref(rules);
        return err->code;
    }
    role = iam_role_of_groups(rules, f->groups);
    json_decref(rules);
    if (role == ROLE_PUBLIC && p->strict)
        return err_set(err, ERR_BAD_CREDENTIALS, "none of this identity's groups is given a role here, and the provider is strict");
    if (role == ROLE_PUBLIC)
        role = p->default_role;
    clock_now(now);
    if (member_role(c, p->tenant_id, t->account.id, had, err))
        return err->code;
    if (!had[0]) {
        if (!p->allow_signup && !t->inv.id[0])
            return err_set(err, ERR_BAD_CREDENTIALS, "this account is not a member here, and the provider does not add members");
        if (store_run(c, "INSERT INTO tenant_members (tenantId, accountId, role, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?)",
                      STORE_ARGS(STORE_TEXT(p->tenant_id), STORE_TEXT(t->account.id), STORE_TEXT(role_name(role)), STORE_TIME(now),
                                 STORE_TIME(now)),
                      NULL, err))
            return err->code;
    } else if (strcmp(had, role_name(role)) != 0) {
        /* The tenant keeps an owner: its last one is not demoted by a login. */
        if (strcmp(had, "owner") == 0 && (other_owners(c, p->tenant_id, t->account.id, &owners, err) || owners == 0))
            return err->code;
        if (store_run(c, "UPDATE tenant_members SET role = ?, updatedAt = ? WHERE tenantId = ? AND accountId = ?",
                      STORE_ARGS(STORE_TEXT(role_name(role)), STORE_TIME(now), STORE_TEXT(p->tenant_id), STORE_TEXT(t->account.id)),
                      NULL, err))
            return err->code;
    } else {
        return ERR_OK;
    }
    details = json_pack("{s:s, s:o, s:s, s:o}", "providerId", p->id, "from", json_text_or_null(had[0] ? had : NULL), "to",
                        role_name(role), "invitationId", json_text_or_null(t->inv.id[0] ? t->inv.id : NULL));
    return audit_login(c, t, had[0] ? "member.role_sso" : "member.join_sso", details, err);
}

/*
 * The invitation a login started from an invitation link accepts: still
 * pending, and for the address the provider vouches for (verified, and the
 * invitation's). It lets the login make the account and the membership where
 * the provider alone would not; the group rules still give the role.
 */
static enum err_code login_invitation(struct store_conn *c, struct login_tx *t, struct err *err)
{
    const struct flow *f = t->f;
    char email[EMAIL_SIZE];

    if (invitation_pending_id(c, f->prov.tenant_id, f->invitation, &t->inv, err) == ERR_NOT_FOUND)
        return err_set(err, ERR_BAD_CREDENTIALS, "the invitation is no longer valid: it was used or revoked, or has expired");
    if (err->code)
        return err->code;
    if (!claim(f, "email") || email_problem(claim(f, "email")))
        return err_set(err, ERR_BAD_CREDENTIALS, "the provider gave no e-mail address for this identity");
    account_email_normalize(claim(f, "email"), email, sizeof email);
    if (!json_is_true(json_object_get(f->claims, "email_verified")) || strcmp(email, t->inv.email) != 0)
        return err_set(err, ERR_BAD_CREDENTIALS,
                       "the invitation is for another e-mail address, or the provider does not say this one is verified");
    return ERR_OK;
}

/* The invitation is the login's account's: marked used (the account is the invited address's, as login_invitation checked). */
static enum err_code login_invitation_use(struct store_conn *c, struct login_tx *t, struct err *err)
{
    if (strcmp(t->account.email, t->inv.email) != 0)
        return err_set(err, ERR_BAD_CREDENTIALS, "this identity is linked to another account than the invited one");
    if (invitation_use(c, &t->inv, t->account.id, err) == ERR_NOT_FOUND)
        return err_set(err, ERR_BAD_CREDENTIALS, "the invitation is no longer valid: it was used or revoked, or has expired");
    return err->code;
}

static enum err_code login_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct login_tx *t = ctx;
    const struct iam_provider *p = &t->f->prov;
    char now[TIMESTAMP_SIZE];

    if (t->f->invitation[0] && login_invitation(c, t, err))
        return err->code;
    if (login_account(c, t, err) || (t->inv.id[0] && login_invitation_use(c, t, err)) || login_membership(c, t, err) ||
        tokens_issue(c, t->account.id, p->tenant_id, "login", (int64_t)tenancy()->session_ttl * 1000, &t->token, err))
        return err->code;
    clock_now(now);
    if (store_run(c, "UPDATE iam_providers SET lastSyncAt = ?, lastError = NULL WHERE tenantId = ? AND id = ?",
                  STORE_ARGS(STORE_TIME(now), STORE_TEXT(p->tenant_id), STORE_TEXT(p->id)), NULL, err))
        return err->code;
    return audit_login(c, t, "auth.sso_login", json_pack("{s:s}", "providerId", p->id), err);
}

static void login_finish(struct flow *f)
{
    struct login_tx *t = xcalloc(1, sizeof *t);
    char csrf[SHA256_HEX_SIZE];
    struct store_conn *c;
    struct err err;

    err_clear(&err);
    t->f = f;
    if (request_db(f->req, &c, &err) || store_tx(c, login_body, t, &err)) {
        if (err.code == ERR_BAD_CREDENTIALS)
            refuse(f, &err);
        else
            flow_end(f, &err);
    } else {
        session_cookies_set(f->req, t->token.token, tenancy()->session_ttl, csrf);
        response_header(f->req, "Location", "/");
        response_header(f->req, "Cache-Control", "no-store");
        response_empty(f->req, 302);
        flow_end(f, NULL);
    }
    hash_cleanse(t, sizeof *t);
    free(t);
}

/* The claims login needs that the ID token may leave to userinfo (OpenID Connect Core 5.4): filled from info where absent. */
static void claims_merge(struct flow *f, const json_t *info)
{
    const char *const names[] = {"email", "email_verified", "name", f->prov.groups_claim, NULL};

    for (int i = 0; names[i]; i++)
        if (!json_object_get(f->claims, names[i]) && json_object_get(info, names[i]))
            json_object_set(f->claims, names[i], json_object_get(info, names[i]));
}

static void userinfo_answer(struct flow *f)
{
    json_t *info = answer_json(f, "the userinfo endpoint");
    const char *sub;

    if (!info)
        return;
    sub = json_string_value(json_object_get(info, "sub"));
    if (!sub || strcmp(sub, claim(f, "sub")) != 0) {
        json_decref(info);
        idp_failed(f, "the userinfo endpoint answered for another subject");
        return;
    }
    claims_merge(f, info);
    json_decref(info);
    f->groups = oidc_groups(f->claims, f->prov.groups_claim);
    login_finish(f);
}

/* The groups and e-mail address: from the ID token, or else from userinfo (when the provider has one). */
static void with_userinfo(struct flow *f)
{
    const char *userinfo = meta_text(f, "userinfo_endpoint");
    char *auth;

    f->groups = oidc_groups(f->claims, f->prov.groups_claim);
    if ((f->groups && claim(f, "email")) || !userinfo || !f->access_token) {
        login_finish(f);
        return;
    }
    json_decref(f->groups);
    f->groups = NULL;
    auth = arena_printf(f->req->arena, "Authorization: Bearer %s", f->access_token);
    flow_call(f, "GET", userinfo, (const char *const[]){"Accept: application/json", auth, NULL}, NULL, NULL, userinfo_answer);
    hash_cleanse(auth, strlen(auth));
}

static void jwks_answer(struct flow *f);

/* Verifies the ID token of f->tokens against f->jwks. */
static void verify_token(struct flow *f)
{
    const char *id_token = json_string_value(json_object_get(f->tokens, "id_token"));
    struct err err;

    err_clear(&err);
    if (jwt_verify(id_token, f->jwks, &f->claims, &err) == ERR_NOT_FOUND && !f->jwks_fresh) {
        /* A key this set does not have: the provider may have rotated; fetch the set once more. */
        f->jwks_fresh = true;
        json_decref(f->jwks);
        f->jwks = NULL;
        flow_call(f, "GET", meta_text(f, "jwks_uri"), (const char *const[]){"Accept: application/json", NULL}, NULL, NULL,
                  jwks_answer);
        return;
    }
    if (!f->claims) {
        err.code = ERR_BAD_CREDENTIALS;
        refuse(f, &err);
        return;
    }
    if (oidc_claims_check(f->claims, meta_text(f, "issuer"), f->prov.client_id, f->nonce, clock_now_ms() / 1000, &err)) {
        refuse(f, &err);
        return;
    }
    with_userinfo(f);
}

static void jwks_answer(struct flow *f)
{
    json_t *jwks = answer_json(f, "the key set (jwks_uri)");

    if (!jwks)
        return; /* f is gone */
    f->jwks = jwks;
    oidc_cache_put(meta_text(f, "jwks_uri"), f->jwks);
    verify_token(f);
}

static void token_answer(struct flow *f)
{
    json_t *answer;
    const char *access;

    if (f->failure == OUTBOUND_OK && f->status >= 400 && f->status < 500) {
        /* The provider refused the code (spent, expired, not this client's): the user's login fails, the provider is fine. */
        refuse(f, &(struct err){.code = ERR_BAD_CREDENTIALS, .message = "the identity provider refused the authorization code"});
        return;
    }
    if (!(answer = answer_json(f, "the token endpoint")))
        return;
    if (!json_is_string(json_object_get(answer, "id_token"))) {
        json_decref(answer);
        idp_failed(f, "the token endpoint gave no ID token");
        return;
    }
    access = json_string_value(json_object_get(answer, "access_token"));
    f->access_token = access ? xstrdup(access) : NULL;
    json_object_del(answer, "access_token");
    json_object_del(answer, "refresh_token");
    f->tokens = answer;
    if ((f->jwks = oidc_cache_get(meta_text(f, "jwks_uri")))) {
        verify_token(f);
        return;
    }
    f->jwks_fresh = true;
    flow_call(f, "GET", meta_text(f, "jwks_uri"), (const char *const[]){"Accept: application/json", NULL}, NULL, NULL, jwks_answer);
}

static void exchange_code(struct flow *f)
{
    struct plaintext *secret = NULL;
    struct buf form;
    char id_esc[768], *secret_esc = NULL, *userpwd = NULL;
    size_t n;
    struct err err;

    err_clear(&err);
    if (iam_provider_secret(identity()->keys, &f->prov, &secret, &err)) {
        flow_end(f, &err);
        return;
    }
    /* client_secret_basic: both form-encoded before Basic (RFC 6749 section 2.3.1). */
    n = secret->len * 3 + 1;
    secret_esc = xmalloc(n);
    url_escape(secret->data, secret_esc, n);
    url_escape(f->prov.client_id, id_esc, sizeof id_esc);
    n = strlen(id_esc) + 1 + strlen(secret_esc) + 1;
    userpwd = xmalloc(n);
    snprintf(userpwd, n, "%s:%s", id_esc, secret_esc);
    buf_init(&form, 16384); /* the code is at most 2048 characters: it fits */
    buf_appends(&form, "grant_type=authorization_code");
    if ((query_add(&form, "code", f->code) | query_add(&form, "redirect_uri", redirect_uri(f)) |
         query_add(&form, "code_verifier", f->verifier)) == 0)
        flow_call(f, "POST", meta_text(f, "token_endpoint"),
                  (const char *const[]){"Content-Type: application/x-www-form-urlencoded", "Accept: application/json", NULL},
                  form.data, userpwd, token_answer);
    else
        flow_end(f, &(struct err){.code = ERR_INTERNAL, .message = "the token request does not fit"});
    hash_cleanse(secret_esc, strlen(secret_esc));
    hash_cleanse(userpwd, strlen(userpwd));
    hash_cleanse(form.data, form.len);
    free(secret_esc);
    free(userpwd);
    buf_free(&form);
    plaintext_free(secret);
}

/* Spends the state: the provider, nonce and verifier it kept. ERR_INVALID when unknown, spent or expired. */
static enum err_code spend_state(struct store_conn *c, void *ctx, struct err *err)
{
    struct flow *f = ctx;
    char hash[SHA256_HEX_SIZE], now[TIMESTAMP_SIZE], provider[UUID_SIZE] = "";
    struct store_stmt *st;
    int64_t gone = 0;
    int rc;

    clock_now(now);
    hash_sha256_hex(f->state, strlen(f->state), hash);
    if (store_select(
            c, "SELECT providerId, nonce, codeVerifier, invitationId FROM iam_login_states WHERE stateHash = ? AND expiresAt > ?",
            STORE_ARGS(STORE_TEXT(hash), STORE_TIME(now)), &st, err))
        return err->code;
    if ((rc = store_next(st, err)) == 1) {
        snprintf(provider, sizeof provider, "%s", store_col_text(st, 0));
        snprintf(f->nonce, sizeof f->nonce, "%s", store_col_text(st, 1));
        snprintf(f->verifier, sizeof f->verifier, "%s", store_col_text(st, 2));
        snprintf(f->invitation, sizeof f->invitation, "%s", store_col_text(st, 3) ? store_col_text(st, 3) : "");
    }
    store_finish(st);
    if (rc < 0 || store_run(c, "DELETE FROM iam_login_states WHERE stateHash = ?", STORE_ARGS(STORE_TEXT(hash)), &gone, err))
        return err->code;
    if (!provider[0] || gone != 1)
        return err_set(err, ERR_INVALID, "this login is unknown, was already used, or has expired: start again");
    memcpy(f->prov.id, provider, sizeof provider);
    return ERR_OK;
}

static void callback_run(struct flow *f)
{
    struct store_conn *c;
    struct err err;
    char id[UUID_SIZE];

    err_clear(&err);
    if (request_db(f->req, &c, &err) || store_tx(c, spend_state, f, &err)) {
        flow_end(f, &err);
        return;
    }
    memcpy(id, f->prov.id, sizeof id);
    if (flow_provider(f, id, &err)) {
        flow_end(f, &err);
        return;
    }
    with_meta(f, exchange_code);
}

enum err_code sso_callback(struct request *req, struct err *err)
{
    const char *state = request_query(req, "state"), *code = request_query(req, "code"), *error = request_query(req, "error");
    struct flow *f;

    if (!identity()->public_url || !identity()->public_url[0]) {
        not_configured(err);
    } else if (!state || strlen(state) != OIDC_RANDOM_SIZE - 1) {
        err_set(err, ERR_INVALID, "the callback carries no state of a login");
    } else if (error) {
        err_set(err, ERR_BAD_CREDENTIALS, "the identity provider did not sign the user in");
    } else if (!code || !code[0] || strlen(code) > 2048) {
        err_set(err, ERR_INVALID, "the callback carries no authorization code");
    } else {
        f = xcalloc(1, sizeof *f);
        memcpy(f->state, state, sizeof f->state);
        f->code = xstrdup(code);
        flow_begin(req, f, callback_run, err);
    }
    return refused_early(req, err);
}
