#define _POSIX_C_SOURCE 200809L
#include "core/config.h"

#include <errno.h>
#include <unistd.h>

#define STR(field) CONFIG_STRING, offsetof(struct config, field), sizeof(((struct config *)0)->field), 0, 0
#define INT(field, lo, hi) CONFIG_INT, offsetof(struct config, field), sizeof(int), lo, hi
#define INT64(field, lo, hi) CONFIG_INT, offsetof(struct config, field), sizeof(int64_t), lo, hi
#define BOOL(field) CONFIG_BOOL, offsetof(struct config, field), sizeof(bool), 0, 1

/* A row names def_text only where its default is computed or nothing: the others leave it out. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
const struct config_option config_options[] = {
    {"SLIPWAY_LISTEN", "--listen", CONFIG_LISTEN, 0, 0, 0, 0, "127.0.0.1:8080", "address and port to serve HTTP on"},
    {"SLIPWAY_DATABASE_URL", "--database", STR(database_url), "sqlite://./slipway.db",
     "database: sqlite://PATH (path as written, relative or absolute), postgres://... or mysql://... (docs/databases.md)"},
    {"SLIPWAY_DB_POOL", NULL, INT(db_pool, 1, 64), "16", "connections to a PostgreSQL or MySQL server at most, per process"},
    {"SLIPWAY_DB_CONNECT_TIMEOUT", NULL, INT(db_connect_timeout, 1, 300), "5",
     "seconds a new database connection may take; while the database is down, requests answer 503"},
    {"SLIPWAY_THREADS", "--threads", INT(threads, 1, 256), NULL,
     "HTTP worker threads (on a database server requests wait on the network, so more of them)",
     "the number of cores on SQLite; four a core, at most SLIPWAY_DB_POOL, on PostgreSQL and MySQL"},
    {"SLIPWAY_BODY_LIMIT", "--body-limit", INT64(body_limit, 1024, 64 * 1024 * 1024), "1048576",
     "largest request body in bytes; larger ones get 413"},
    {"SLIPWAY_MAX_CONNECTIONS", NULL, INT(max_connections, 1, 1000000), NULL, "connections held at once; more are refused at once",
     "4096, fewer when the file limit (ulimit -n) allows fewer"},
    {"SLIPWAY_MAX_CONNECTIONS_PER_CLIENT", NULL, INT(max_client_connections, 0, 1000000), "256",
     "connections one client address (an IPv6 /64) may hold; 0: no limit (behind a proxy that connects from one address)"},
    {"SLIPWAY_STREAM_HEARTBEAT", NULL, INT(stream_heartbeat, 1, 3600), "15",
     "seconds an event stream stays silent before a keep-alive comment (below the idle timeout of any proxy in front)"},
    {"SLIPWAY_SHUTDOWN_TIMEOUT", NULL, INT(shutdown_timeout, 0, 3600), "10",
     "seconds to let requests in flight finish on SIGTERM/SIGINT"},
    {"SLIPWAY_SESSION_TTL", NULL, INT(session_ttl, 60, 365 * 86400), "86400", "seconds a login token stays valid"},
    {"SLIPWAY_HASH_THREADS", NULL, INT(hash_threads, 1, 64), "1", "threads that hash passwords (argon2id) for logins"},
    {"SLIPWAY_LOGIN_RATE", NULL, INT(login_rate, 1, 100000), "10",
     "login attempts per e-mail address from one client address that pass at once (then 1, 2, 4, 8, 16 minutes "
     "between them until one succeeds); ten times that a minute per client address"},
    {"SLIPWAY_INVITE_RATE", NULL, INT(invite_rate, 1, 100000), "50",
     "invitations one tenant may make in any hour (replaced and revoked ones count); then 429"},
    {"SLIPWAY_ARGON2_MEMORY", NULL, INT(argon2_memory, 8, 4 * 1024 * 1024), "65536", "argon2id memory cost in KiB"},
    {"SLIPWAY_ARGON2_ITERATIONS", NULL, INT(argon2_iterations, 1, 100), "1", "argon2id time cost (passes)"},
    {"SLIPWAY_TOKEN_FLUSH", NULL, INT(token_flush, 1, 3600), "30", "seconds between writes of tokens' lastUsedAt"},
    {"SLIPWAY_USAGE_FLUSH", NULL, INT(usage_flush, 1, 3600), "10",
     "seconds between appends of usage counts to usage_events (docs/sites.md)"},
    {"SLIPWAY_USAGE_ROLLUP", NULL, INT(usage_rollup, 1, 86400), "60",
     "seconds between roll-ups of usage events into tenant_usage (docs/sites.md)"},
    {"SLIPWAY_USAGE_STORAGE", NULL, INT(usage_storage, 1, 86400), "600",
     "seconds between two readings of a tenant's storage kept, at the roll-ups (docs/sites.md)"},
    {"SLIPWAY_DNS_RESOLVER", NULL, STR(dns_resolver), "",
     "IPV4:PORT of the DNS server (UDP) that domain checks ask for TXT records; the operator's (docs/sites.md)",
     "none: no DNS proof"},
    {"SLIPWAY_DOMAIN_CHECK_ADDRESS", NULL, STR(domain_check), "",
     "http://HOST:PORT a site's domain check connects to instead of the domain (a proxy; tests), with the domain as Host",
     "none: the domain itself"},
    {"SLIPWAY_COOKIE_SECURE", NULL, BOOL(cookie_secure), "false",
     "mark the web UI's session cookies Secure (they are anyway behind X-Forwarded-Proto: https)"},
    {"SLIPWAY_AUTO_MIGRATE", "--migrate", BOOL(migrate), "false", "serve: apply pending migrations before serving"},
    {"SLIPWAY_ADMIN_EMAIL", NULL, STR(admin_email), "admin@localhost",
     "first start on an empty database: the owner account created"},
    {"SLIPWAY_ADMIN_ORG", NULL, STR(admin_org), "My Team", "first start on an empty database: the tenant created"},
    {"SLIPWAY_OPEN_SIGNUP", NULL, BOOL(open_signup), "false",
     "anyone may sign up: an account and a tenant they own (POST /api/v1/auth/signup); off, accounts come by invitation and "
     "single sign-on"},
    {"SLIPWAY_LOG_LEVEL", NULL, STR(log_level), "info", "debug, info, warn or error"},
    {"SLIPWAY_TEST_TENANT_GUARD", NULL, BOOL(test_tenant_guard), "false",
     "test runs only: a request that reads a row of another tenant fails with 500 and an error logged (the API tests set it)"},
    {"SLIPWAY_TEST_CLOCK_OFFSET_MS", NULL, INT64(test_clock_ms, -3650LL * 86400000, 3650LL * 86400000), "0",
     "test runs only: milliseconds added to the wall clock (timestamps, the job queue's due times: a release train's slot "
     "reached without waiting)"},
    {"INTEGRATION_ENCRYPTION_KEY", NULL, STR(encryption_key), "",
     "64 hex characters: the AES-256 key that encrypts integration credentials",
     "none: no credential can be stored, and a database holding some is refused"},
    {"INTEGRATION_ENCRYPTION_KEY_FILE", NULL, STR(encryption_key_file), "",
     "a file holding the key instead (readable only by its owner)", "none"},
    {"INTEGRATION_ENCRYPTION_OLD_KEYS", NULL, STR(encryption_old_keys), "",
     "comma-separated older keys, accepted for reading during a rotation", "none"},
    {"SLIPWAY_CA_BUNDLE", NULL, STR(ca_bundle), "", "PEM file of CAs trusted for calls to providers", "the system's CAs"},
    {"SLIPWAY_OUTBOUND_ALLOW", NULL, STR(outbound_allow), "",
     "CIDRs providers may be called at although private, loopback or link-local", "none"},
    {"SLIPWAY_OUTBOUND_TIMEOUT", NULL, INT(outbound_timeout, 100, 600000), "10000",
     "ms a call to a provider may take, unless it has a timeout of its own"},
    {"SLIPWAY_PUBLIC_URL", NULL, STR(public_url), "",
     "the address browsers and providers reach slipway at (https://host[:port], no path): single sign-on's redirect URI, the "
     "mails' links and the webhook slipway registers with Apple start with it",
     "none: no single sign-on, no Apple webhook registration"},
    {"SLIPWAY_REVERIFY_INTERVAL", NULL, INT(reverify_interval, 60, 30 * 86400), "21600",
     "seconds between re-verifications of VALID integrations"},
    {"SLIPWAY_REPO_SYNC_INTERVAL", NULL, INT(repo_sync_interval, 60, 30 * 86400), "21600",
     "seconds between repository syncs of each SCM integration"},
    {"SLIPWAY_DEPLOY_OUTPUT_CAP", NULL, INT(deploy_output_cap, 1024, 1073741824), "1048576",
     "bytes of a deployment's output stored (all its steps); past it lines are counted, not stored"},
    {"SLIPWAY_WEBHOOK_DISABLE_FAILURES", NULL, INT(webhook_disable_failures, 1, 1000000), "50",
     "failed attempts in a row (over all its deliveries) that disable an outbound webhook endpoint, once they span "
     "SLIPWAY_WEBHOOK_DISABLE_PERIOD"},
    {"SLIPWAY_WEBHOOK_DISABLE_PERIOD", NULL, INT(webhook_disable_period, 0, 366 * 86400), "432000",
     "seconds from an outbound webhook endpoint's first failed attempt in a row before it may be disabled (5 days)"},
    {"SLIPWAY_JOB_LEASE", NULL, INT(job_lease, 2, 3600), "60",
     "seconds a claimed job stays its process's without a renewal (renewed every third of it)"},
    {"SLIPWAY_JOB_POLL_MS", NULL, INT(job_poll_ms, 10, 60000), "1000", "how often an idle process looks for due jobs (ms)"},
    {"SLIPWAY_JOB_WORKERS", NULL, INT(job_workers, 1, 256), NULL,
     "threads that run job steps; a step waiting for a provider holds none", "the number of cores, at least 2"},
    {"SLIPWAY_JOB_RETENTION", NULL, INT(job_retention, 60, 366 * 86400), "604800",
     "seconds a finished job (and a signal no job waited for) is kept before it is deleted"},
    {"SLIPWAY_TEST_PROBE", NULL, STR(test_probe), "",
     "test runs only: registers the job kind \"probe\" (src/jobs/probe.h) with this JSON configuration", "none"},
    {"SLIPWAY_METRICS_LISTEN", NULL, STR(metrics_listen), "",
     "HOST:PORT to serve GET /metrics on (Prometheus), apart from the API; only /metrics is served there",
     "none: no metrics are served"},
    {"SLIPWAY_METRICS_TOKEN", NULL, STR(metrics_token), "",
     "a token /metrics asks for (Authorization: Bearer TOKEN), for a metrics address others can reach", "none"},
    {"SLIPWAY_SMTP_URL", NULL, STR(smtp_url), "",
     "smtp://HOST[:PORT] (STARTTLS required) or smtps://HOST[:PORT]: the mail server invitations, password resets and "
     "deployment approval requests are sent through (docs/accounts.md)",
     "none: invitation tokens are handed over by the owner, there is no password reset, approvers are not mailed"},
    {"SLIPWAY_SMTP_USER", NULL, STR(smtp_user), "", "the user name slipway logs in to the mail server as", "none: no AUTH"},
    {"SLIPWAY_SMTP_PASSWORD", NULL, STR(smtp_password), "", "the mail server's password (never logged)", "none"},
    {"SLIPWAY_SMTP_PASSWORD_FILE", NULL, STR(smtp_password_file), "",
     "a file holding the mail server's password instead (readable only by its owner)", "none"},
    {"SLIPWAY_SMTP_FROM", NULL, STR(smtp_from), "", "the From address of the instance's mail; required with SLIPWAY_SMTP_URL",
     "none"},
    {"SLIPWAY_STORE_POLL_MS", NULL, INT(store_poll_ms, 100, 300000), "1000",
     "ms from a change to the next look at a store's review or a processing build, doubling up to 5 minutes; a store's "
     "webhook (App Store Connect) makes the look at once"},
    {"SLIPWAY_TOKEN_REFRESH_RETRY_MS", NULL, INT(token_refresh_retry_ms, 10, 300000), "10000",
     "milliseconds before an OAuth token refresh the provider did not answer is tried again, doubling (at most 5 minutes), "
     "until the token expires"},
    {"SLIPWAY_HEALTH_INTERVAL", NULL, INT(health_interval, 1, 86400), "300",
     "seconds between reads of the health (crash-free rates) of each staged rollout with a health rule (docs/stores.md)"},
    {"SLIPWAY_DOMAIN_RECHECK", NULL, INT(domain_recheck, 1, 30 * 86400), "86400",
     "seconds after its last check that a proven domain (a site's, an SSO e-mail domain) is proven again; its proof is lost "
     "after 3 failed checks in a row over a day at least (docs/sites.md)"},
};
#pragma GCC diagnostic pop
const size_t config_options_count = ARRAY_LEN(config_options);

/* The options config_register added. */
static const struct config_external *external;
static size_t nexternal;

void config_register(const struct config_external *options, size_t n)
{
    external = options;
    nexternal = n;
}

static enum err_code parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    char *end;
    long long v;

    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || end == s || *end != '\0' || v < lo || v > hi)
        return ERR_INVALID;
    *out = v;
    return ERR_OK;
}

enum err_code config_parse_listen(const char *s, char *host, size_t host_size, int *port)
{
    const char *colon = strrchr(s, ':');
    int64_t p;
    size_t hostlen;

    if (!colon || colon == s)
        return ERR_INVALID;
    hostlen = (size_t)(colon - s);
    if (hostlen >= host_size || parse_int(colon + 1, 0, 65535, &p))
        return ERR_INVALID;
    memcpy(host, s, hostlen);
    host[hostlen] = '\0';
    *port = (int)p;
    return ERR_OK;
}

/* Sets the option's value at field (in c, or outside it). */
static enum err_code set_at(struct config *c, const struct config_option *opt, char *field, const char *value, struct err *err)
{
    int64_t v;

    switch (opt->kind) {
    case CONFIG_LISTEN:
        if (config_parse_listen(value, c->listen_host, sizeof c->listen_host, &c->listen_port))
            return err_set(err, ERR_INVALID, "%s: expected HOST:PORT, got \"%s\"", opt->env, value);
        return ERR_OK;
    case CONFIG_STRING:
        if (strlen(value) >= opt->size)
            return err_set(err, ERR_INVALID, "%s: longer than %zu characters", opt->env, opt->size - 1);
        memcpy(field, value, strlen(value) + 1);
        return ERR_OK;
    case CONFIG_INT:
        if (parse_int(value, opt->min, opt->max, &v))
            return err_set(err, ERR_INVALID, "%s: expected an integer %lld..%lld, got \"%s\"", opt->env, (long long)opt->min,
                           (long long)opt->max, value);
        if (opt->size == sizeof(int64_t))
            *(int64_t *)field = v;
        else
            *(int *)field = (int)v;
        return ERR_OK;
    case CONFIG_BOOL:
        if (strcmp(value, "1") == 0 || strcmp(value, "true") == 0 || strcmp(value, "yes") == 0 || strcmp(value, "on") == 0)
            *(bool *)field = true;
        else if (strcmp(value, "0") == 0 || strcmp(value, "false") == 0 || strcmp(value, "no") == 0 || strcmp(value, "off") == 0)
            *(bool *)field = false;
        else
            return err_set(err, ERR_INVALID, "%s: expected true or false, got \"%s\"", opt->env, value);
        return ERR_OK;
    }
    return err_set(err, ERR_INTERNAL, "unknown option kind");
}

enum err_code config_set(struct config *c, const struct config_option *opt, const char *value, struct err *err)
{
    return set_at(c, opt, (char *)c + opt->offset, value, err);
}

/* Sets an option from its default, then from its environment variable when set. */
static enum err_code load_one(struct config *c, const struct config_option *o, char *field, struct err *err)
{
    const char *env = getenv(o->env);
    if (o->def && set_at(c, o, field, o->def, err))
        return err->code;
    if (env && set_at(c, o, field, env, err))
        return err->code;
    return ERR_OK;
}

static const struct config_option *find_flag(const char *arg, const char **value)
{
    for (size_t i = 0; i < config_options_count; i++) {
        const struct config_option *o = &config_options[i];
        size_t n;
        if (!o->flag)
            continue;
        n = strlen(o->flag);
        if (strncmp(arg, o->flag, n) == 0 && (arg[n] == '\0' || arg[n] == '=')) {
            *value = arg[n] == '=' ? arg + n + 1 : NULL;
            return o;
        }
    }
    return NULL;
}

enum err_code config_flags(struct config *c, int argc, char **argv, int *argc_used, struct err *err)
{
    int i = 0;

    for (; i < argc; i++) {
        const char *value = NULL;
        const struct config_option *o;

        if (strncmp(argv[i], "--", 2) != 0)
            break;
        o = find_flag(argv[i], &value);
        if (!o)
            return err_set(err, ERR_INVALID, "unknown flag %s (see slipway help)", argv[i]);
        if (!value && o->kind == CONFIG_BOOL)
            value = "true";
        else if (!value && i + 1 < argc)
            value = argv[++i];
        else if (!value)
            return err_set(err, ERR_INVALID, "%s needs a value", o->flag);
        if (config_set(c, o, value, err))
            return err->code;
    }
    if (argc_used)
        *argc_used = i;
    return ERR_OK;
}

enum err_code config_load(struct config *c, int argc, char **argv, int *argc_used, struct err *err)
{
    memset(c, 0, sizeof *c); /* threads 0: chosen once the database is known (config_threads) */
    for (size_t i = 0; i < config_options_count; i++)
        if (load_one(c, &config_options[i], (char *)c + config_options[i].offset, err))
            return err->code;
    for (size_t i = 0; i < nexternal; i++)
        if (load_one(c, &external[i].option, external[i].at, err))
            return err->code;
    return config_flags(c, argc, argv, argc_used, err);
}

int config_job_workers(const struct config *c)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);

    if (c->job_workers > 0)
        return c->job_workers;
    return cores > 2 ? (int)cores : 2;
}

int config_threads(const struct config *c, bool database_server)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);

    if (cores < 1)
        cores = 1;
    if (c->threads > 0)
        return c->threads;
    if (database_server)
        return c->db_pool < 4 * cores ? c->db_pool : (int)(4 * cores);
    return (int)cores;
}

const char *config_default_text(const struct config_option *o)
{
    return o->def_text ? o->def_text : o->def ? o->def : "";
}

/* The widest variable name and flag of the table, so help's columns line up. */
static void help_widths(int *width, int *flag_width)
{
    *width = *flag_width = 0;
    for (size_t i = 0; i < config_options_count + nexternal; i++) {
        const struct config_option *o = i < config_options_count ? &config_options[i] : &external[i - config_options_count].option;
        *width = (int)strlen(o->env) > *width ? (int)strlen(o->env) : *width;
        *flag_width = o->flag && (int)strlen(o->flag) > *flag_width ? (int)strlen(o->flag) : *flag_width;
    }
}

void config_help_line(FILE *out, const char *env, const char *flag, const char *help, const char *def)
{
    int width, flag_width;

    help_widths(&width, &flag_width);
    fprintf(out, "  %-*s  %-*s  %s (default: %s)\n", width, env, flag_width, flag ? flag : "", help, def);
}

void config_print_help(FILE *out)
{
    for (size_t i = 0; i < config_options_count + nexternal; i++) {
        const struct config_option *o = i < config_options_count ? &config_options[i] : &external[i - config_options_count].option;
        config_help_line(out, o->env, o->flag, o->help, config_default_text(o));
    }
}
