/*
 * config.h: every setting of slipway, from the environment and flags.
 *
 * The settings are one table (config.c): environment variable, flag, kind,
 * default, limits and help text, plus the table a layer above registers
 * (config_register: the providers' settings, src/providers/registry.c).
 * Defaults apply first, then the environment, then command-line flags;
 * everything is read once, at start-up. `slipway help` prints the tables
 * and the README's configuration section is written from them.
 */
#ifndef SLIPWAY_CONFIG_H
#define SLIPWAY_CONFIG_H

#include "core/common.h"
#include "core/err.h"

struct config {
    char listen_host[64];
    int listen_port;
    char database_url[1024];
    int db_pool;                /* server connections at most (PostgreSQL, MySQL) */
    int db_connect_timeout;     /* seconds */
    int threads;                /* HTTP worker threads; 0 until set: see config_threads() */
    int64_t body_limit;         /* bytes */
    int shutdown_timeout;       /* seconds to finish requests in flight */
    int max_connections;        /* 0: computed from the file limit (server_start) */
    int max_client_connections; /* per client address; 0: no limit */
    int stream_heartbeat;       /* seconds */
    int session_ttl;            /* seconds a login token lives */
    int hash_threads;           /* password hashing pool */
    int invite_rate;            /* invitations a tenant may make in any hour */
    int login_rate;             /* login attempts per (e-mail, client address) before backoff; x10 a minute per client address */
    int argon2_memory;          /* KiB */
    int argon2_iterations;      /* passes */
    int token_flush;            /* seconds between lastUsedAt flushes */
    int usage_flush;            /* seconds between usage_events flushes */
    int usage_rollup;           /* seconds between roll-ups into tenant_usage */
    int usage_storage;          /* seconds between two readings of a tenant's storage gauge */
    bool cookie_secure;         /* session cookies always Secure (else only behind X-Forwarded-Proto: https) */
    bool migrate;               /* serve: migrate up before serving */
    bool open_signup;           /* POST /api/v1/auth/signup is open (docs/accounts.md) */
    bool test_tenant_guard;     /* test runs: the store refuses rows of other tenants (store_conn_guard) */
    int64_t test_clock_ms;      /* test runs: added to the wall clock (clock_set_offset) */
    char admin_email[256];
    char admin_org[201];
    char log_level[16];
    /* Integration credentials (document 001 section 6.1); wiped once the key ring is built. */
    char encryption_key[128];
    char encryption_key_file[1024];
    char encryption_old_keys[1024];
    /*
     * Outbound calls to providers (docs/verification.md). Where each
     * provider is, its own timeout and its feature flag are the provider's
     * settings (src/providers/), handed in by config_register.
     */
    char ca_bundle[1024];
    char outbound_allow[512];
    char public_url[512];       /* SLIPWAY_PUBLIC_URL: where browsers reach slipway (single sign-on's redirect URI), or "" */
    int outbound_timeout;       /* ms, for providers without a timeout of their own */
    int reverify_interval;      /* seconds */
    int repo_sync_interval;     /* seconds */
    int deploy_output_cap;      /* bytes of a deployment's output stored */
    int job_lease, job_poll_ms; /* the job queue: seconds, ms */
    char metrics_listen[128];   /* HOST:PORT of GET /metrics, or "" for none (docs/operations.md) */
    char metrics_token[256];    /* a bearer token /metrics asks for, or "" */
    int job_workers;            /* 0 until set: see config_job_workers() */
    int job_retention;          /* seconds */
    int store_poll_ms;          /* ms: a store that reviews is looked at this long after a change, doubling up to 5 min */
    char test_probe[1024];      /* test runs only: the probe job kind's configuration (jobs/probe.h), or "" */
    char domain_check[512];     /* SLIPWAY_DOMAIN_CHECK_ADDRESS: where domain checks connect instead, or "" */
    char dns_resolver[262];     /* SLIPWAY_DNS_RESOLVER: HOST:PORT of the DNS server for TXT proofs, or "" */

    /* An outbound webhook endpoint is disabled after so many failed attempts in a row spanning so many seconds. */
    int webhook_disable_failures, webhook_disable_period;
    /* The instance's own mail (invitations, password resets: docs/accounts.md); the password wiped once read. */
    char smtp_url[512];            /* smtp://host[:port] (STARTTLS) or smtps://host[:port], or "": no mail */
    char smtp_user[256];           /* "" for no AUTH */
    char smtp_password[1024];      /* never logged */
    char smtp_password_file[1024]; /* a file holding it instead */
    char smtp_from[256];           /* the From address */
    int token_refresh_retry_ms;    /* an OAuth refresh the provider did not answer is tried again after this, doubling */
    int health_interval;           /* seconds between health reads of a staged rollout with a health rule */
    int domain_recheck;            /* seconds after its last check that a proven domain is proven again */
};

struct config_option {
    const char *env;  /* environment variable */
    const char *flag; /* long flag (with "--"), or NULL */
    enum { CONFIG_STRING, CONFIG_INT, CONFIG_BOOL, CONFIG_LISTEN } kind;
    size_t offset, size; /* of the field in struct config (size for strings) */
    int64_t min, max;    /* for CONFIG_INT */
    const char *def;     /* default, as text; NULL means computed (see help) */
    const char *help;
    const char *def_text; /* the default in words, where def is NULL (computed) or "" (nothing set) */
};

extern const struct config_option config_options[];
extern const size_t config_options_count;

/* An option a layer above keeps outside struct config: its value goes to at (option.offset is unused). */
struct config_external {
    struct config_option option;
    void *at;
};

/*
 * Adds options kept outside struct config: the providers' base URLs,
 * timeouts and feature flags (src/providers/registry.c). Call it once,
 * before config_load; the table is kept, not copied. config_load reads
 * them after config_options, and the help lists them.
 */
void config_register(const struct config_external *options, size_t n);

/*
 * Fills c from defaults, the environment and argv (flags only; *argc_used
 * tells how many argv entries were consumed). Every bad value is reported.
 */
enum err_code config_load(struct config *c, int argc, char **argv, int *argc_used, struct err *err);

/* Applies leading --flags of argv on top of c (*argc_used: entries consumed). */
enum err_code config_flags(struct config *c, int argc, char **argv, int *argc_used, struct err *err);

/* Sets one option from text; used by config_load and tests. */
enum err_code config_set(struct config *c, const struct config_option *opt, const char *value, struct err *err);

/*
 * HTTP worker threads: SLIPWAY_THREADS when set; else the number of cores
 * (SQLite: a request's work is CPU), or four a core but no more than
 * SLIPWAY_DB_POOL with a database server (a worker waits on the network,
 * for its token's lookup or while it holds a connection). Measured on two
 * cores: sixteen threads read 5% faster than eight but saved 15% slower.
 */
int config_threads(const struct config *c, bool database_server);

/* Threads that run job steps: SLIPWAY_JOB_WORKERS, or the number of cores (at least 2). */
int config_job_workers(const struct config *c);

/* Prints the table of options (for `slipway help`): each with its flag, meaning and default. */
void config_print_help(FILE *out);
/* One line of that table, for settings read elsewhere (the integration types' feature flags). */
void config_help_line(FILE *out, const char *env, const char *flag, const char *help, const char *def);
/* The default as help shows it: def_text, else def. */
const char *config_default_text(const struct config_option *o);

/* Parses HOST:PORT into host[host_size] and *port (0..65535); ERR_INVALID otherwise. */
enum err_code config_parse_listen(const char *s, char *host, size_t host_size, int *port);

#endif
