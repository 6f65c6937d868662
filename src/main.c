/*
 * main.c: the slipway command. `serve` wires the application together:
 * configuration, store and migrations, the first-start owner, the pools,
 * the HTTP server with the route table, and a graceful shutdown on
 * SIGTERM/SIGINT.
 */
#define _POSIX_C_SOURCE 200809L
#include <malloc.h>
#include <signal.h>

#include "admin.h"
#include "app.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/ratelimit.h"
#include "core/revcache.h"
#include "core/workpool.h"
#include "crypto/secret.h"
#include "http/server.h"
#include "integrations/catalog.h"
#include "integrations/rekey.h"
#include "jobs/jobs.h"
#include "jobs/probe.h"
#include "providers/registry.h"
#include "routes.h"
#include "store/migrate.h"
#include "tenancy/auth.h"
#include "tenancy/bootstrap.h"
#include "tenancy/tenancy.h"
#include "identity/identity_http.h"
#include "integrations/integrations_http.h"
#include "integrations/webhooks.h"
#include "setup/setup_http.h"
#include "system/metrics_http.h"
#include "verify/verify_http.h"
#include "releases/releases.h"
#include "releases/releases_http.h"
#include "stores/health.h"
#include "stores/stores.h"
#include "stores/hooks.h"
#include "stores/stores_http.h"
#include "notify/approvals.h"
#include "notify/endpoints.h"
#include "notify/notify.h"
#include "notify/testruns.h"
#include "notify/tickets.h"
#include "deploy/deploy.h"
#include "deploy/deploy_http.h"
#include "deploy/repos.h"
#include "deploy/repos_http.h"
#include "deploy/cicd.h"
#include "deploy/cicd_http.h"
#include "sites/proof.h"
#include "sites/sites.h"
#include "usage/usage.h"
#include "verify/reverify.h"
#include "verify/refresh.h"
#include "verify/verify.h"
#include "mail/mail.h"
#include "tenancy/account_mail.h"

#define SLIPWAY_VERSION "0.1.0"

static int usage(FILE *out)
{
    fputs("usage: slipway [FLAGS] COMMAND\n"
          "\n"
          "commands:\n"
          "  serve                         serve the API (add --migrate to apply pending migrations first)\n"
          "  migrate up|down [N]|status|repair\n"
          "  admin bootstrap --email E --org NAME [--name NAME]\n"
          "  admin create-token --email E [--name NAME] [--expires-days N]\n"
          "  admin rotate-key              re-encrypt every credential under INTEGRATION_ENCRYPTION_KEY\n"
          "  admin backup FILE             copy the SQLite database to a new FILE, while it serves\n"
          "  admin restore FILE            put a backup back, once every server on the database has stopped\n"
          "  routes                        print the route table: one JSON object a line (method, path, role, params, body)\n"
          "  help | version\n"
          "\n"
          "settings (environment variable, flag, meaning):\n",
          out);
    config_print_help(out);
    return out == stdout ? 0 : 2;
}

/*
 * A route as `slipway routes` prints it: method, path (without the
 * parameters' kinds, as docs/openapi.yaml spells it), role; its path
 * parameters, each with its kind (uuid, int, text) and its values where
 * they are a closed set; its body
 * (null: takes none): the schema's name, whether it may be absent, whether
 * the handler validates it (open), and its fields. The API tests generate
 * their route lists from this, and a spec test holds it against
 * docs/openapi.yaml.
 */
static json_t *route_json(const struct route *r)
{
    json_t *params = json_array(), *body = json_null();
    struct route_param rp[ROUTER_MAX_SEGMENTS];
    char path[256];
    int n = router_params(r->pattern, rp);

    for (int i = 0; i < n; i++) {
        json_t *name = json_stringn(rp[i].name, rp[i].len);
        json_t *values = routes_param_values(json_string_value(name));
        json_array_append_new(params, json_pack("{s:o, s:s, s:o}", "name", name, "kind", param_kind_name(rp[i].kind), "values",
                                                values ? values : json_null()));
    }
    if (!router_template(r->pattern, path, sizeof path))
        snprintf(path, sizeof path, "%s", r->pattern);
    if (r->body) {
        json_t *fields = json_array();
        for (size_t i = 0; i < r->body->count; i++)
            json_array_append_new(fields, schema_field_json(&r->body->fields[i]));
        body = json_pack("{s:s, s:b, s:b, s:o}", "schema", r->body->name, "optional", r->body->optional, "open", r->body->open,
                         "fields", fields);
    }
    return json_pack("{s:s, s:s, s:s, s:o, s:o}", "method", r->method, "path", path, "role", access_name(r->access), "params",
                     params, "body", body);
}

static int cmd_routes(void)
{
    for (size_t i = 0; i < routes_count; i++) {
        json_t *line = route_json(&routes[i]);
        char *text = json_dumps(line, 0);
        if (!text)
            return 1;
        puts(text);
        free(text);
        json_decref(line);
    }
    return 0;
}

/* On an empty database, creates the owner and tenant of SLIPWAY_ADMIN_* and prints the login once. */
static enum err_code first_start(struct app *app, struct err *err)
{
    struct bootstrap *b = calloc(1, sizeof *b);

    if (!b)
        return err_set(err, ERR_INTERNAL, "out of memory");
    if (bootstrap_run(app->store, &app->pw, app->cfg.admin_email, NULL, app->cfg.admin_org, false, b, err) == ERR_OK) {
        printf("\nslipway: first start on an empty database: created the owner account and tenant.\n"
               "  tenant:   %s (%s)\n  login:    %s\n  password: %s\n"
               "This password is shown only once: keep it, or add another owner and remove this one.\n\n",
               app->cfg.admin_org, b->tenant.id, b->account.email, b->password);
        fflush(stdout);
        log_info("first start: created owner %s and tenant %s", b->account.email, b->tenant.id);
    } else if (err->code == ERR_CONFLICT) {
        err_clear(err); /* not empty: nothing to do */
    }
    bootstrap_wipe(b);
    free(b);
    return err->code;
}

/* The metrics address (SLIPWAY_METRICS_LISTEN): a small server of its own that serves GET /metrics only. */
/*
 * The recurring jobs: each process makes sure their rows exist at start-up
 * (created once). due_now: a run at once rather than at the next period.
 */
static enum err_code recurring_start(const struct app *app, struct err *err)
{
    const int proof_every_s = PROOF_SWEEP_EVERY_S(app->cfg.domain_recheck);
    const struct {
        const char *kind;
        int every_s;
        bool due_now;
    } recurring[] = {
        {REVERIFY_JOB, REVERIFY_EVERY_S, true},           {WEBHOOK_PRUNE_JOB, WEBHOOK_PRUNE_EVERY_S, false},
        {REPOS_SWEEP_JOB, REPOS_SWEEP_EVERY_S, true},     {TOKEN_SWEEP_JOB, TOKEN_SWEEP_EVERY_S, true},
        {USAGE_ROLLUP_JOB, app->cfg.usage_rollup, false}, {STORE_HEALTH_SWEEP_JOB, app->cfg.health_interval, false},
        {PROOF_SWEEP_JOB, proof_every_s, true},
    };
    struct store_conn *db = NULL;

    if (store_conn_get(app->store, &db, err))
        return err->code;
    for (size_t i = 0; i < ARRAY_LEN(recurring) && !err->code; i++)
        jobs_ensure_recurring(db, recurring[i].kind, recurring[i].every_s, recurring[i].due_now, err);
    store_conn_put(db);
    return err->code;
}

static struct server *metrics_start(struct app *app, const struct server_options *api, struct err *err)
{
    char host[64];
    struct server_options mo = {.host = host,
                                .threads = 1,
                                .body_limit = 1024,
                                .shutdown_timeout = api->shutdown_timeout,
                                .max_connections = 64,
                                .routine = true};
    struct server *s;

    if (config_parse_listen(app->cfg.metrics_listen, host, sizeof host, &mo.port)) {
        err_set(err, ERR_INVALID, "SLIPWAY_METRICS_LISTEN: expected HOST:PORT, got \"%s\"", app->cfg.metrics_listen);
        return NULL;
    }
    s = server_start(&mo, metrics_routes, metrics_routes_count, &routes_hooks, app->store, err);
    if (s)
        log_fields(LOG_INFO, "metrics listening", json_pack("{s:s, s:i}", "host", host, "port", server_port(s)));
    return s;
}

static int serve(struct app *app)
{
    struct server_options so = {.host = app->cfg.listen_host,
                                .port = app->cfg.listen_port,
                                .body_limit = app->cfg.body_limit,
                                .shutdown_timeout = app->cfg.shutdown_timeout,
                                .max_connections = app->cfg.max_connections,
                                .max_client_connections = app->cfg.max_client_connections,
                                .stream_heartbeat = app->cfg.stream_heartbeat};
    struct server *server = NULL, *metrics = NULL;
    struct verify_env venv = {.loop = &app->providers,
                              .reverify_interval = app->cfg.reverify_interval,
                              .refresh_retry_ms = app->cfg.token_refresh_retry_ms};
    struct webhooks_prune_env wenv = {.retention_s = app->cfg.job_retention};
    struct release_env renv = {.loop = &app->providers};
    struct notify_env nenv = {.loop = &app->providers,
                              .disable_failures = app->cfg.webhook_disable_failures,
                              .disable_period = app->cfg.webhook_disable_period};
    struct stores_env senv = {.loop = &app->providers, .poll_ms = app->cfg.store_poll_ms, .public_url = app->cfg.public_url};
    static struct deploy_env denv; /* static: zero-initialised, its atomic stopping flag included */
    struct repos_env rpenv = {.loop = &app->providers, .interval = app->cfg.repo_sync_interval};
    struct cicd_env cenv = {.loop = &app->providers};
    struct workpool *ssh_pool = NULL, *dns_pool = NULL;
    struct sites_env sienv = {.recheck_s = app->cfg.domain_recheck}; /* the rest once the database and the loop are up */
    struct mail_env menv = {.loop = &app->providers,
                            .url = app->cfg.smtp_url,
                            .user = app->cfg.smtp_user,
                            .password = app->cfg.smtp_password,
                            .from = app->cfg.smtp_from};
    struct job_kind job_kinds[] = {{VERIFY_JOB, verify_job_step, &venv},
                                   {VERIFY_ALL_JOB, verify_all_step, &venv},
                                   {REVERIFY_JOB, reverify_step, &venv},
                                   {WEBHOOK_PRUNE_JOB, webhooks_prune_step, &wenv},
                                   {RELEASE_KICKOFF_JOB, release_kickoff_step, &renv},
                                   {RELEASE_BUILD_JOB, release_build_step, &renv},
                                   {RELEASE_CANDIDATE_JOB, release_candidate_step, &renv},
                                   {RELEASE_FINISH_JOB, release_finish_step, &renv},
                                   {RELEASE_NOTES_JOB, release_notes_step, &renv},
                                   {RELEASE_TRAIN_JOB, release_train_step, &renv},
                                   {NOTIFY_DELIVERY_JOB, notify_delivery_step, &nenv},
                                   {STORE_SUBMISSION_JOB, stores_submission_step, &senv},
                                   {ENDPOINT_DELIVERY_JOB, endpoints_delivery_step, &nenv},
                                   {DEPLOY_RUN_JOB, deploy_run_step, &denv},
                                   {REPOS_SYNC_JOB, repos_sync_step, &rpenv},
                                   {REPOS_SWEEP_JOB, repos_sweep_step, &rpenv},
                                   {TICKETS_JOB, tickets_step, &nenv},
                                   {TOKEN_REFRESH_JOB, token_refresh_step, &venv},
                                   {TOKEN_SWEEP_JOB, token_sweep_step, &venv},
                                   {USAGE_ROLLUP_JOB, usage_rollup_step, &app->store},
                                   {ACCOUNT_MAIL_JOB, mail_step, &menv},
                                   {STORE_HEALTH_SWEEP_JOB, health_sweep_step, &senv},
                                   {STORE_HEALTH_JOB, health_check_step, &senv},
                                   {CICD_DISCOVER_JOB, cicd_discover_step, &cenv},
                                   {TESTRUNS_JOB, testruns_step, &nenv},
                                   {STORE_WEBHOOK_JOB, stores_webhook_step, &senv},
                                   {NOTIFY_APPROVAL_MAIL_JOB, notify_approval_mail_step, &menv},
                                   {PROOF_SWEEP_JOB, proof_sweep_step, &sienv},
                                   {PROOF_RECHECK_JOB, proof_recheck_step, &sienv},
                                   {NULL, NULL, NULL}};
    size_t njob_kinds = ARRAY_LEN(job_kinds) - 1;
    struct probe *probe = NULL;
    struct jobs_options jo = {.lease_seconds = app->cfg.job_lease,
                              .poll_ms = app->cfg.job_poll_ms,
                              .workers = config_job_workers(&app->cfg),
                              .retention_s = app->cfg.job_retention};
    sigset_t sigs;
    struct err err;
    int pending = 0, sig = 0;

    err_clear(&err);
    /*
     * glibc gives each thread that mallocs an arena of its own (up to 8 per
     * core): with the HTTP, job and outbound threads that grew RSS by a
     * third between 100 and 1,000 releases in flight (bench/release_builds.py,
     * docs/performance.md). Two arenas keep it flat at no cost in speed.
     */
    mallopt(M_ARENA_MAX, 2);
    /*
     * Signals go to this thread only: block them before any other thread
     * exists. Opening the store already starts threads (the batched lookups
     * of PostgreSQL and MySQL, store/lookup.c), and a thread that did not
     * block SIGTERM would take it and die of it instead of this sigwait.
     */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* The keys first: a key set wrong is a configuration error said at once, before any database work. */
    if (rekey_load(&app->cfg, &app->keys, &err) || admin_store_open(&app->cfg, &app->store, &err))
        goto fail;
    so.threads = config_threads(&app->cfg, !store_embedded(app->store));
    if (app->cfg.migrate ? migrate_up(app->store, migrate_set_for(app->store), NULL, &err)
                         : migrate_check(app->store, migrate_set_for(app->store), &pending, &err))
        goto fail;
    if (pending > 0) {
        err_set(&err, ERR_UNAVAILABLE,
                "the database schema is %d migration(s) behind: run `slipway migrate up`, or `slipway serve --migrate`", pending);
        goto fail;
    }
    if (rekey_check(app->store, app->keys, &err))
        goto fail;
    if (!keyring_can_encrypt(app->keys))
        log_warn("no INTEGRATION_ENCRYPTION_KEY: integration credentials cannot be stored until one is set");
    if (mail_settings_load(&app->cfg, &err) || first_start(app, &err))
        goto fail;

    app->hash_pool = workpool_new("hash", app->cfg.hash_threads, 256);
    if (provider_loop_start(&app->providers, &app->cfg, &err))
        goto stop;
    app->login_limit = ratelimit_new(60, 65536);
    app->login_backoff = ratelimit_new(60, 65536);
    app->status_cache = revcache_new(4096);
    if (recurring_start(app, &err))
        goto stop;
    wenv.store = app->store;
    venv.store = app->store;
    venv.keys = app->keys;
    renv.store = app->store;
    renv.keys = app->keys;
    nenv.store = app->store;
    nenv.keys = app->keys;
    senv.store = app->store;
    senv.keys = app->keys;
    denv.store = app->store;
    denv.keys = app->keys;
    denv.guard = app->providers.out;
    denv.timeout_ms = app->providers.timeout_ms;
    denv.output_cap = app->cfg.deploy_output_cap;
    denv.loop = &app->providers;
    if (!(denv.ssh = ssh_loop_start(&err)))
        goto stop;
    rpenv.store = app->store;
    rpenv.keys = app->keys;
    menv.store = app->store;
    cenv.store = app->store;
    cenv.keys = app->keys;
    jo.keys = app->keys;
    if (app->cfg.dns_resolver[0]) /* DNS proofs block: their own threads, not the pool logins hash on */
        dns_pool = workpool_new("dns", 2, 64);
    sienv.store = app->store;
    sienv.loop = &app->providers;
    sienv.pool = app->hash_pool;
    sienv.check_address = app->cfg.domain_check;
    sienv.dns_resolver = app->cfg.dns_resolver;
    sienv.dns_pool = dns_pool;
    if (app->cfg.test_probe[0]) { /* test runs only */
        if (!(probe = probe_new(app->cfg.test_probe, app->providers.out, &err)))
            goto stop;
        job_kinds[njob_kinds++] = (struct job_kind){PROBE_JOB, probe_step, probe};
        log_warn("SLIPWAY_TEST_PROBE is set: the test job kind \"%s\" is registered", PROBE_JOB);
    }
    app->jobs = jobs_start(app->store, job_kinds, njob_kinds, &jo);
    rpenv.jobs = app->jobs;
    venv.jobs = app->jobs;
    notify_configure(app->cfg.public_url, app->cfg.smtp_url[0] != '\0');
    senv.jobs = app->jobs;              /* a rollout plan's stages (stores.h) */
    notify_start(app->jobs, app->keys); /* a release step that emits before this is retried (notify.h) */
    verify_on_status(notify_integration_status);
    if (probe && probe_enqueue(probe, app->jobs, &err))
        goto stop;
    app->usage = token_usage_start(app->store, app->cfg.token_flush);
    usage_start(app->store, app->cfg.usage_flush, app->cfg.usage_storage);
    sienv.jobs = app->jobs;
    sites_start(&sienv);
    log_buffer_start();
    tenancy_start(&(struct tenancy_env){.pw = app->pw,
                                        .hash_pool = app->hash_pool,
                                        .login_limit = app->login_limit,
                                        .login_backoff = app->login_backoff,
                                        .usage = app->usage,
                                        .session_ttl = app->cfg.session_ttl,
                                        .login_rate = app->cfg.login_rate,
                                        .open_signup = app->cfg.open_signup,
                                        .invite_rate = app->cfg.invite_rate,
                                        .mail = app->cfg.smtp_url[0] != '\0',
                                        .jobs = app->jobs,
                                        .public_url = app->cfg.public_url,
                                        .keys = app->keys,
                                        .cookie_secure = app->cfg.cookie_secure});
    integrations_http_start(app->keys);
    webhooks_start(app->keys);
    setup_http_start(app->status_cache, app->keys);
    verify_http_start(app->jobs, app->keys, &app->providers);
    releases_http_start(app->jobs);
    release_trains_resume(app->store); /* schedules saved before trains existed get their next slot's job */
    stores_http_start(app->jobs);
    ssh_pool = workpool_new("ssh", 2, 64); /* host connection tests: off the HTTP workers */
    deploy_http_start(&denv, app->jobs, ssh_pool);
    repos_http_start(app->jobs);
    cicd_http_start(app->jobs);
    identity_http_start(&(struct identity_env){.keys = app->keys,
                                               .loop = &app->providers,
                                               .pool = app->hash_pool,
                                               .public_url = app->cfg.public_url,
                                               .dns_resolver = app->cfg.dns_resolver,
                                               .dns_pool = dns_pool});
    app->server = server = server_start(&so, routes, routes_count, &routes_hooks, app->store, &err);
    if (server)
        metrics_http_start(&(struct metrics_sources){
            .server = server, .store = app->store, .jobs = app->jobs, .out = app->providers.out, .token = app->cfg.metrics_token});
    if (!server || (app->cfg.metrics_listen[0] && !(metrics = metrics_start(app, &so, &err))))
        goto stop;
    if (app->cfg.metrics_token[0] && !metrics)
        log_warn("SLIPWAY_METRICS_TOKEN is set but SLIPWAY_METRICS_LISTEN is not: no metrics are served");
    log_fields(LOG_INFO, "listening",
               json_pack("{s:s, s:i, s:i, s:s}", "host", so.host, "port", server_port(server), "threads", so.threads, "database",
                         store_dialect_name(store_dialect(app->store))));
    sigwait(&sigs, &sig);
    log_info("received %s: finishing requests in flight (up to %d s)", sig == SIGTERM ? "SIGTERM" : "SIGINT",
             app->cfg.shutdown_timeout);
    server_drain(server);
stop:
    /* The metrics read the queue, the outbound loop and the API's server: they stop first. */
    if (metrics) {
        server_drain(metrics);
        server_stop(metrics);
    }
    /* Jobs held here are given back, and requests waiting for one are answered; running scripts are stopped first. */
    atomic_store(&denv.stopping, true);
    ssh_loop_stop(denv.ssh); /* each running script is stopped and its step ended (deploy.c) */
    jobs_stop(app->jobs);
    /* Calls still out end now: configuration checks answer, parked jobs are dropped; queued logins finish. */
    provider_loop_stop(&app->providers);
    if (dns_pool) /* a domain re-check's DNS question ends here too, before the engine is freed */
        workpool_free(dns_pool);
    jobs_free(app->jobs);
    ssh_loop_free(denv.ssh);
    probe_free(probe);
    workpool_free(app->hash_pool);
    if (ssh_pool)
        workpool_free(ssh_pool);
    if (server)
        server_stop(server);
    log_buffer_stop();
    token_usage_stop(app->usage);
    usage_stop();
    sites_stop();
    ratelimit_free(app->login_limit);
    ratelimit_free(app->login_backoff);
    revcache_free(app->status_cache);
fail:
    store_close(app->store);
    keyring_free(app->keys);
    hash_cleanse(app->cfg.smtp_password, sizeof app->cfg.smtp_password);
    if (err.code) {
        log_error("serve: %s", err.message);
        return 1;
    }
    log_info("stopped");
    return 0;
}

int main(int argc, char **argv)
{
    static struct app app;
    enum log_level level;
    struct err err;
    int used = 0;

    err_clear(&err);
    size_t nprovider_options;
    const struct config_external *provider_options = provider_config_options(&nprovider_options);
    config_register(provider_options, nprovider_options);
    if (config_load(&app.cfg, argc - 1, argv + 1, &used, &err)) {
        fprintf(stderr, "slipway: %s\n", err.message);
        return 2;
    }
    if (log_level_parse(app.cfg.log_level, &level)) {
        fprintf(stderr, "slipway: SLIPWAY_LOG_LEVEL must be debug, info, warn or error\n");
        return 2;
    }
    log_set_level(level);
    if (app.cfg.test_clock_ms) { /* test runs only */
        clock_set_offset(app.cfg.test_clock_ms);
        log_warn("SLIPWAY_TEST_CLOCK_OFFSET_MS is set: the wall clock is moved by %lld ms", (long long)app.cfg.test_clock_ms);
    }
    argc -= 1 + used;
    argv += 1 + used;
    if (argc < 1)
        return usage(stderr);
    /* Flags may also follow the command: `slipway serve --migrate`. */
    int cmd_used = 0;
    if (argc > 1 && strncmp(argv[1], "--", 2) == 0 && strcmp(argv[0], "admin") != 0) {
        if (config_flags(&app.cfg, argc - 1, argv + 1, &cmd_used, &err)) {
            fprintf(stderr, "slipway: %s\n", err.message);
            return 2;
        }
    }
    app.pw = (struct password_params){(uint32_t)app.cfg.argon2_memory, (uint32_t)app.cfg.argon2_iterations};
    catalog_init();
    const char *cmd = argv[0];
    if (strcmp(cmd, "serve") == 0 && argc == 1 + cmd_used)
        return serve(&app);
    if (strcmp(cmd, "migrate") == 0)
        return migrate_main(&app.cfg, argc - 1 - cmd_used, argv + 1 + cmd_used);
    if (strcmp(cmd, "admin") == 0)
        return admin_main(&app.cfg, argc - 1, argv + 1);
    if (strcmp(cmd, "routes") == 0)
        return cmd_routes();
    if (strcmp(cmd, "version") == 0) {
        printf("slipway %s\n", SLIPWAY_VERSION);
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0)
        return usage(stdout);
    return usage(stderr);
}
