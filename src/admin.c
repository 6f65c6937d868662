#define _POSIX_C_SOURCE 200809L
#include "admin.h"

#include <errno.h>
#include <jansson.h>
#include <sys/stat.h>

#include "core/log.h"
#include "http/schema.h"
#include "store/migrate.h"
#include "integrations/rekey.h"
#include "tenancy/audit.h"
#include "tenancy/bootstrap.h"

static int fail(const struct err *err)
{
    fprintf(stderr, "slipway: %s\n", err->message);
    return 1;
}

static int usage(const char *text)
{
    fprintf(stderr, "usage: %s\n", text);
    return 2;
}

/* Reads --name value pairs into vals (indexed like names); unknown options are an error. */
static int options(int argc, char **argv, const char *const *names, const char **vals, size_t n)
{
    for (int i = 0; i < argc; i++) {
        size_t k = 0;
        for (; k < n; k++)
            if (strcmp(argv[i], names[k]) == 0)
                break;
        if (k == n || i + 1 >= argc) {
            fprintf(stderr, "slipway: unexpected argument %s\n", argv[i]);
            return -1;
        }
        vals[k] = argv[++i];
    }
    return 0;
}

enum err_code admin_store_open(const struct config *cfg, struct store **out, struct err *err)
{
    struct store_options opt = {
        .pool_size = cfg->db_pool, .connect_timeout = cfg->db_connect_timeout, .tenant_guard = cfg->test_tenant_guard};
    return store_open(cfg->database_url, &opt, out, err);
}

static enum err_code open_migrated(const struct config *cfg, struct store **s, struct err *err)
{
    if (admin_store_open(cfg, s, err))
        return err->code;
    if (migrate_up(*s, migrate_set_for(*s), NULL, err)) {
        store_close(*s);
        *s = NULL;
    }
    return err->code;
}

static int cmd_bootstrap(const struct config *cfg, int argc, char **argv)
{
    static const char *const names[] = {"--email", "--org", "--name"};
    const char *vals[3] = {NULL, NULL, NULL};
    struct password_params pw = {(uint32_t)cfg->argon2_memory, (uint32_t)cfg->argon2_iterations};
    struct bootstrap *b;
    struct store *s;
    struct err err;
    json_t *out;

    err_clear(&err);
    if (options(argc, argv, names, vals, 3) || !vals[0] || !vals[1])
        return usage("slipway admin bootstrap --email EMAIL --org NAME [--name NAME]");
    if (email_problem(vals[0]) || utf8_length(vals[0]) > EMAIL_MAX || strlen(vals[1]) == 0 || utf8_length(vals[1]) > 200 ||
        (vals[2] && (strlen(vals[2]) == 0 || utf8_length(vals[2]) > 200)) || !utf8_valid(vals[0]) || !utf8_valid(vals[1]) ||
        (vals[2] && !utf8_valid(vals[2]))) {
        fprintf(stderr, "slipway: --email must be an e-mail address; --org and --name 1 to 200 characters (UTF-8)\n");
        return 2;
    }
    if (open_migrated(cfg, &s, &err))
        return fail(&err);
    b = calloc(1, sizeof *b);
    if (!b || bootstrap_run(s, &pw, vals[0], vals[2], vals[1], true, b, &err)) {
        free(b);
        store_close(s);
        return fail(&err);
    }
    out = json_pack("{s:s, s:s, s:s, s:s, s:s}", "accountId", b->account.id, "tenantId", b->tenant.id, "email", b->account.email,
                    "password", b->password, "token", b->token.token);
    json_dumpf(out, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(out);
    bootstrap_wipe(b);
    free(b);
    store_close(s);
    return 0;
}

struct create_token_tx {
    const char *email, *name;
    int64_t ttl_ms;
    struct account account;
    struct issued_token token;
};

static enum err_code create_token_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct create_token_tx *t = ctx;
    if (accounts_find_by_email(c, t->email, &t->account, err) ||
        tokens_issue(c, t->account.id, NULL, t->name, t->ttl_ms, &t->token, err))
        return err->code;
    return audit_write(c, NULL,
                       &(struct audit_event){.action = "token.create",
                                             .target_type = "token",
                                             .target_id = t->token.id,
                                             .actor_id = t->account.id,
                                             .actor_email = t->account.email},
                       err);
}

static int cmd_create_token(const struct config *cfg, int argc, char **argv)
{
    static const char *const names[] = {"--email", "--name", "--expires-days"};
    const char *vals[3] = {NULL, "admin", NULL};
    struct create_token_tx t = {0};
    char email[EMAIL_SIZE];
    struct store_conn *c;
    struct store *s;
    struct err err;
    json_t *out;

    err_clear(&err);
    if (options(argc, argv, names, vals, 3) || !vals[0])
        return usage("slipway admin create-token --email EMAIL [--name NAME] [--expires-days N]");
    if (vals[2]) {
        char *end;
        long days;
        errno = 0;
        days = strtol(vals[2], &end, 10);
        if (errno || *end || days < 1 || days > 3650)
            return usage("--expires-days takes 1 to 3650");
        t.ttl_ms = (int64_t)days * 86400 * 1000;
    }
    if (strlen(vals[1]) == 0 || utf8_length(vals[1]) > 200 || !utf8_valid(vals[1]))
        return usage("--name takes 1 to 200 characters (UTF-8)");
    account_email_normalize(vals[0], email, sizeof email);
    t.email = email;
    t.name = vals[1];
    if (open_migrated(cfg, &s, &err))
        return fail(&err);
    if (store_conn_get(s, &c, &err) == ERR_OK) {
        store_tx(c, create_token_body, &t, &err);
        store_conn_put(c);
    }
    store_close(s);
    if (err.code == ERR_NOT_FOUND)
        err_set(&err, ERR_NOT_FOUND, "no account has the e-mail address %s", email);
    if (err.code)
        return fail(&err);
    out = json_pack("{s:s, s:s}", "tokenId", t.token.id, "token", t.token.token);
    json_dumpf(out, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(out);
    hash_cleanse(t.token.token, sizeof t.token.token);
    return 0;
}

static int cmd_rotate_key(struct config *cfg, int argc)
{
    struct keyring *keys = NULL;
    struct rekey_result r;
    struct store *s;
    struct err err;

    err_clear(&err);
    if (argc != 0)
        return usage("slipway admin rotate-key (keys from INTEGRATION_ENCRYPTION_KEY and INTEGRATION_ENCRYPTION_OLD_KEYS)");
    if (rekey_load(cfg, &keys, &err) || open_migrated(cfg, &s, &err)) {
        keyring_free(keys);
        return fail(&err);
    }
    rekey_rotate(s, keys, 100, &r, &err);
    store_close(s);
    keyring_free(keys);
    if (err.code)
        return fail(&err);
    printf("{\"rotated\": %lld, \"alreadyCurrent\": %lld, \"failed\": %lld}\n", (long long)r.rotated, (long long)r.current,
           (long long)r.failed);
    return r.failed ? 1 : 0;
}

/* `admin backup FILE` (while serving) and `admin restore FILE` (with every server stopped); store.h has the rules. */
static int cmd_backup(const struct config *cfg, int argc, char **argv, bool restore)
{
    struct err err;
    struct stat st;
    json_t *out;

    err_clear(&err);
    if (argc != 1)
        return usage(restore ? "slipway admin restore FILE (with every slipway on the database stopped)"
                             : "slipway admin backup FILE (a new file; the server may keep serving)");
    if (restore ? store_restore(cfg->database_url, argv[0], &err) : store_backup(cfg->database_url, argv[0], &err))
        return fail(&err);
    out = restore ? json_pack("{s:s}", "restored", argv[0])
                  : json_pack("{s:s, s:I}", "backup", argv[0], "bytes", (json_int_t)(stat(argv[0], &st) == 0 ? st.st_size : -1));
    json_dumpf(out, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(out);
    return 0;
}

int admin_main(struct config *cfg, int argc, char **argv)
{
    if (argc >= 1 && (strcmp(argv[0], "backup") == 0 || strcmp(argv[0], "restore") == 0))
        return cmd_backup(cfg, argc - 1, argv + 1, argv[0][0] == 'r');
    if (argc >= 1 && strcmp(argv[0], "rotate-key") == 0)
        return cmd_rotate_key(cfg, argc - 1);
    if (argc >= 1 && strcmp(argv[0], "bootstrap") == 0)
        return cmd_bootstrap(cfg, argc - 1, argv + 1);
    if (argc >= 1 && strcmp(argv[0], "create-token") == 0)
        return cmd_create_token(cfg, argc - 1, argv + 1);
    return usage("slipway admin bootstrap|create-token|rotate-key|backup|restore ...");
}

int migrate_main(const struct config *cfg, int argc, char **argv)
{
    struct store *s;
    struct err err;
    int n = 0;

    err_clear(&err);
    if (argc < 1)
        return usage("slipway migrate up|down [N]|status|repair");
    if (admin_store_open(cfg, &s, &err))
        return fail(&err);
    const struct migration_set *set = migrate_set_for(s);
    if (strcmp(argv[0], "up") == 0 && argc == 1) {
        if (migrate_up(s, set, &n, &err) == ERR_OK)
            printf("applied %d migration(s)\n", n);
    } else if (strcmp(argv[0], "down") == 0 && argc <= 2) {
        char *end = NULL;
        long steps = argc == 2 ? strtol(argv[1], &end, 10) : 1;
        if (argc == 2 && (*end || steps < 1 || steps > 100000)) {
            store_close(s);
            return usage("slipway migrate down [N], N >= 1");
        }
        if (migrate_down(s, set, (int)steps, &n, &err) == ERR_OK)
            printf("reverted %d migration(s)\n", n);
    } else if (strcmp(argv[0], "status") == 0 && argc == 1) {
        migrate_status(s, set, stdout, &err);
    } else if (strcmp(argv[0], "repair") == 0 && argc == 1) {
        if (migrate_repair(s, &n, &err) == ERR_OK)
            printf("cleared %d dirty mark(s); `slipway migrate up` will run those migrations again\n", n);
    } else {
        store_close(s);
        return usage("slipway migrate up|down [N]|status|repair");
    }
    store_close(s);
    return err.code ? fail(&err) : 0;
}
