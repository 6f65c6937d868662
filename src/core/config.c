#define _POSIX_C_SOURCE 200809L
#include "core/config.h"

#include <errno.h>
#include <unistd.h>

#define STR(field) CONFIG_STRING, offsetof(struct config, field), sizeof(((struct config *)0)->field), 0, 0
#define INT(field, lo, hi) CONFIG_INT, offsetof(struct config, field), sizeof(int), lo, hi
#define INT64(field, lo, hi) CONFIG_INT, offsetof(struct config, field), sizeof(int64_t), lo, hi
#define BOOL(field) CONFIG_BOOL, offsetof(struct config, field), sizeof(bool), 0, 1

const struct config_option config_options[] = {
    {"SLIPWAY_LISTEN", "--listen", CONFIG_LISTEN, 0, 0, 0, 0, "127.0.0.1:8080", "address and port to serve HTTP on"},
    {"SLIPWAY_DATABASE_URL", "--database", STR(database_url), "sqlite://./slipway.db",
     "database: sqlite://PATH (path as written, relative or absolute), postgres://... or mysql://... (docs/databases.md)"},
    {"SLIPWAY_DB_POOL", NULL, INT(db_pool, 1, 64), "16", "connections to a PostgreSQL or MySQL server at most, per process"},
    {"SLIPWAY_DB_CONNECT_TIMEOUT", NULL, INT(db_connect_timeout, 1, 300), "5",
     "seconds a new database connection may take; while the database is down, requests answer 503"},
    {"SLIPWAY_THREADS", "--threads", INT(threads, 1, 256), NULL,
     "HTTP worker threads (default: the number of cores on SQLite; four a core, at most SLIPWAY_DB_POOL, on a database server, "
     "where requests wait on the network)"},
    {"SLIPWAY_BODY_LIMIT", "--body-limit", INT64(body_limit, 1024, 64 * 1024 * 1024), "1048576",
     "largest request body in bytes; larger ones get 413"},
    {"SLIPWAY_SHUTDOWN_TIMEOUT", NULL, INT(shutdown_timeout, 0, 3600), "10",
     "seconds to let requests in flight finish on SIGTERM/SIGINT"},
    {"SLIPWAY_SESSION_TTL", NULL, INT(session_ttl, 60, 365 * 86400), "86400", "seconds a login token stays valid"},
    {"SLIPWAY_HASH_THREADS", NULL, INT(hash_threads, 1, 64), "1", "threads that hash passwords (argon2id) for logins"},
    {"SLIPWAY_LOGIN_RATE", NULL, INT(login_rate, 1, 100000), "10",
     "login attempts a minute per e-mail address (ten times that per client address)"},
    {"SLIPWAY_ARGON2_MEMORY", NULL, INT(argon2_memory, 8, 4 * 1024 * 1024), "65536", "argon2id memory cost in KiB"},
    {"SLIPWAY_ARGON2_ITERATIONS", NULL, INT(argon2_iterations, 1, 100), "1", "argon2id time cost (passes)"},
    {"SLIPWAY_TOKEN_FLUSH", NULL, INT(token_flush, 1, 3600), "30", "seconds between writes of tokens' lastUsedAt"},
    {"SLIPWAY_COOKIE_SECURE", NULL, BOOL(cookie_secure), "false",
     "mark the web UI's session cookies Secure (they are anyway behind X-Forwarded-Proto: https)"},
    {"SLIPWAY_AUTO_MIGRATE", "--migrate", BOOL(migrate), "false", "serve: apply pending migrations before serving"},
    {"SLIPWAY_ADMIN_EMAIL", NULL, STR(admin_email), "admin@localhost",
     "first start on an empty database: the owner account created"},
    {"SLIPWAY_ADMIN_ORG", NULL, STR(admin_org), "My Team", "first start on an empty database: the tenant created"},
    {"SLIPWAY_LOG_LEVEL", NULL, STR(log_level), "info", "debug, info, warn or error"},
    {"SLIPWAY_TEST_TENANT_GUARD", NULL, BOOL(test_tenant_guard), "false",
     "test runs only: a request that reads a row of another tenant fails with 500 and an error logged (the API tests set it)"},
    {"INTEGRATION_ENCRYPTION_KEY", NULL, STR(encryption_key), "",
     "64 hex characters: the AES-256 key that encrypts integration credentials"},
    {"INTEGRATION_ENCRYPTION_KEY_FILE", NULL, STR(encryption_key_file), "",
     "a file holding the key instead (readable only by its owner)"},
    {"INTEGRATION_ENCRYPTION_OLD_KEYS", NULL, STR(encryption_old_keys), "",
     "comma-separated older keys, accepted for reading during a rotation"},
    {"SLIPWAY_CA_BUNDLE", NULL, STR(ca_bundle), "", "PEM file of CAs trusted for calls to providers (default: the system's)"},
    {"SLIPWAY_OUTBOUND_ALLOW", NULL, STR(outbound_allow), "",
     "CIDRs providers may be called at although private, loopback or link-local"},
    {"SLIPWAY_OUTBOUND_TIMEOUT", NULL, INT(outbound_timeout, 100, 600000), "10000", "ms a call to a provider may take"},
    {"APPSTORE_CONNECT_TIMEOUT", NULL, INT(appstore_timeout, 100, 600000), "30000", "ms a call to App Store Connect may take"},
    {"PLAYSTORE_API_TIMEOUT", NULL, INT(playstore_timeout, 100, 600000), "30000", "ms a call to Google (Play, Firebase) may take"},
    {"GITHUB_API_RATE_LIMIT", NULL, INT(github_rate_limit, 1, 1000000), "5000", "GitHub calls an hour slipway allows itself"},
    {"SLIPWAY_REVERIFY_INTERVAL", NULL, INT(reverify_interval, 60, 30 * 86400), "21600",
     "seconds between re-verifications of VALID integrations"},
    {"SLIPWAY_JOB_LEASE", NULL, INT(job_lease, 2, 3600), "60",
     "seconds a claimed job stays its process's without a renewal (renewed every third of it)"},
    {"SLIPWAY_JOB_POLL_MS", NULL, INT(job_poll_ms, 10, 60000), "1000", "how often an idle process looks for due jobs (ms)"},
    {"SLIPWAY_VERIFY_THREADS", NULL, INT(verify_threads, 1, 64), "2", "threads that record verification results"},
    {"SLIPWAY_GITHUB_API_URL", NULL, STR(github_api), "https://api.github.com", "GitHub's API"},
    {"SLIPWAY_GITLAB_URL", NULL, STR(gitlab_url), "https://gitlab.com", "GitLab"},
    {"SLIPWAY_BITBUCKET_API_URL", NULL, STR(bitbucket_api), "https://api.bitbucket.org", "Bitbucket Cloud's API"},
    {"SLIPWAY_APPSTORE_API_URL", NULL, STR(appstore_api), "https://api.appstoreconnect.apple.com", "App Store Connect's API"},
    {"SLIPWAY_GOOGLE_TOKEN_URL", NULL, STR(google_token_url), "https://oauth2.googleapis.com/token",
     "Google's OAuth token endpoint"},
    {"SLIPWAY_PLAY_API_URL", NULL, STR(play_api), "https://androidpublisher.googleapis.com", "the Google Play Developer API"},
    {"SLIPWAY_FIREBASE_API_URL", NULL, STR(firebase_api), "https://firebase.googleapis.com", "the Firebase Management API"},
    {"SLIPWAY_SLACK_API_URL", NULL, STR(slack_api), "https://slack.com/api", "Slack's Web API"},
    {"SLIPWAY_CIRCLECI_API_URL", NULL, STR(circleci_api), "https://circleci.com/api/v2", "CircleCI's API"},
    {"SLIPWAY_LINEAR_API_URL", NULL, STR(linear_api), "https://api.linear.app/graphql", "Linear's GraphQL API"},
};
const size_t config_options_count = ARRAY_LEN(config_options);

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

static enum err_code parse_listen(struct config *c, const char *s)
{
    const char *colon = strrchr(s, ':');
    int64_t port;
    size_t hostlen;

    if (!colon || colon == s)
        return ERR_INVALID;
    hostlen = (size_t)(colon - s);
    if (hostlen >= sizeof c->listen_host || parse_int(colon + 1, 0, 65535, &port))
        return ERR_INVALID;
    memcpy(c->listen_host, s, hostlen);
    c->listen_host[hostlen] = '\0';
    c->listen_port = (int)port;
    return ERR_OK;
}

enum err_code config_set(struct config *c, const struct config_option *opt, const char *value, struct err *err)
{
    char *field = (char *)c + opt->offset;
    int64_t v;

    switch (opt->kind) {
    case CONFIG_LISTEN:
        if (parse_listen(c, value))
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
        if (strcmp(value, "1") == 0 || strcmp(value, "true") == 0 || strcmp(value, "yes") == 0)
            *(bool *)field = true;
        else if (strcmp(value, "0") == 0 || strcmp(value, "false") == 0 || strcmp(value, "no") == 0)
            *(bool *)field = false;
        else
            return err_set(err, ERR_INVALID, "%s: expected true or false, got \"%s\"", opt->env, value);
        return ERR_OK;
    }
    return err_set(err, ERR_INTERNAL, "unknown option kind");
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
    for (size_t i = 0; i < config_options_count; i++) {
        const struct config_option *o = &config_options[i];
        const char *env = getenv(o->env);
        if (o->def && config_set(c, o, o->def, err))
            return err->code;
        if (env && config_set(c, o, env, err))
            return err->code;
    }
    return config_flags(c, argc, argv, argc_used, err);
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

void config_print_help(FILE *out)
{
    for (size_t i = 0; i < config_options_count; i++) {
        const struct config_option *o = &config_options[i];
        fprintf(out, "  %-26s %-13s %s (default: %s)\n", o->env, o->flag ? o->flag : "", o->help, o->def ? o->def : "computed");
    }
}
