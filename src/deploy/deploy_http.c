/*
 * deploy_http.c: hosts (owners write, viewers read; the credential
 * write-only, answered as a mask), the script library and deployments
 * (editors write, viewers read), and a deployment's live output
 * (docs/deployments.md, docs/api.md "Deployments").
 */
#include "deploy/deploy_http.h"

#include "core/clock.h"
#include "core/rand.h"
#include "core/xmalloc.h"
#include "crypto/secret.h"
#include "deploy/cicd.h"
#include "deploy/deploy.h"
#include "deploy/lifecycle.h"
#include "http/page.h"
#include "http/stream.h"
#include "integrations/integrations.h"
#include "jobs/jobs.h"
#include "providers/fields.h"
#include "tenancy/audit.h"
#include "tenancy/tenancy_http.h"
#include "usage/usage.h"

static const struct deploy_env *env;
static struct jobs *jobs;
static struct workpool *pool;

void deploy_http_start(const struct deploy_env *e, struct jobs *q, struct workpool *p)
{
    env = e;
    jobs = q;
    pool = p;
}

/* ---- fields ---- */

static const char *const host_types[] = {"docker", "ssh", NULL};
static const char *const auth_methods[] = {"key", "password", NULL};
static const char *const shells[] = {"bash", "sh", NULL};

/* A host name or an IP address, as getaddrinfo takes it: letters, digits, '.', '-', ':' (IPv6), not starting with '-' or '.'. */
static const char *check_address(json_t *v)
{
    const char *s = json_string_value(v);
    if (s[0] == '-' || s[0] == '.' || !fields_all_chars(s, ".-:", true, true, true))
        return "must be a host name or an IP address";
    return NULL;
}

/* A user name: printable, no spaces, not starting with '-'. */
static const char *check_username(json_t *v)
{
    const char *s = json_string_value(v);
    if (s[0] == '-' || strpbrk(s, " \t"))
        return "must be a user name (no spaces, not starting with '-')";
    return check_printable(v);
}

/* "SHA256:" and base64 without padding, as ssh-keygen -l prints a key's fingerprint. */
static const char *check_fingerprint(json_t *v)
{
    const char *s = json_string_value(v);
    if (strncmp(s, "SHA256:", 7) != 0 || !s[7] || !fields_all_chars(s + 7, "+/", true, true, true))
        return "must be a SHA-256 key fingerprint, \"SHA256:\" and base64";
    return NULL;
}

/* A unix socket's absolute path on the host: letters, digits and ._-/, no ".." or "//"; its length is sun_path's (107). */
static const char *check_socket_path(json_t *v)
{
    const char *s = json_string_value(v);
    if (s[0] != '/' || strstr(s, "..") || strstr(s, "//") || !fields_all_chars(s, "._-/", true, true, true))
        return "must be an absolute path of letters, digits, '.', '_', '-' and '/' (no \"..\" or \"//\")";
    return NULL;
}

/* An image reference as Docker takes one: [registry/]name[:tag][@digest], letters, digits and ._-/:@, not starting with '-'. */
static const char *check_image(json_t *v)
{
    const char *s = json_string_value(v);
    if (s[0] == '-' || s[0] == '/' || s[0] == ':' || !fields_all_chars(s, "._-/:@", true, true, true))
        return "must be an image reference such as alpine:3.20 or registry.example.com/team/app@sha256:...";
    return NULL;
}

#define HOST_FIELDS(req)                                                                                                           \
    STR("dockerSocket", false, 2, 107, .check = check_socket_path, .format = "socket-path"),                                       \
        STR("dockerImage", false, 1, 255, .check = check_image, .format = "docker-image"), TEXT("name", req, 200),                 \
        {.name = "type", .kind = FIELD_STRING, .allowed = host_types, .def = "\"ssh\""},                                           \
        STR("address", req, 1, 253, .check = check_address, .format = "hostname"), INT("port", false, 1, 65535, .def = "22"),      \
        STR("username", req, 1, 255, .check = check_username, .format = "username"), ONE_OF("authMethod", req, auth_methods),      \
        SECRET("secret", req, 16384), BOOL("isWindows", .def = "false"), INT("maxConcurrent", false, 1, 64, .def = "1")

SCHEMA(host_create_schema, HOST_FIELDS(true));
SCHEMA(host_update_schema, HOST_FIELDS(false));
SCHEMA(host_key_schema,
       STR("fingerprint", true, 8, SSH_FINGERPRINT_SIZE - 1, .check = check_fingerprint, .format = "ssh-fingerprint"));

#define SCRIPT_FIELDS(req)                                                                                                         \
    TEXT("name", req, 200), STR("body", req, 1, 65536, .check = check_printable_text),                                             \
        {.name = "shell", .kind = FIELD_STRING, .allowed = shells, .def = "\"sh\""}, BOOL("idempotent", .def = "false"),           \
        INTEGER("timeoutSeconds", false, 1, 86400)

SCHEMA(script_create_schema, SCRIPT_FIELDS(true));
SCHEMA(script_update_schema, SCRIPT_FIELDS(false));
/* Actions that take nothing: an empty object, or no body. */
const struct schema deploy_action_schema = {.name = "deploy_action_schema", .optional = true};

#define DEPLOY_MAX_IDS 20 /* hosts, and scripts, a deployment at most */

/* An array of 1 to DEPLOY_MAX_IDS distinct UUIDs. */
static const char *check_uuids(json_t *v)
{
    size_t i, k;
    json_t *item, *other;

    if (json_array_size(v) < 1 || json_array_size(v) > DEPLOY_MAX_IDS)
        return "must name 1 to 20 ids";
    json_array_foreach(v, i, item)
    {
        if (!json_is_string(item) || check_uuid(item))
            return "must be an array of UUIDs";
        json_array_foreach(v, k, other) if (k < i && json_equal(item, other)) return "must not name the same id twice";
    }
    return NULL;
}

static const char *const schedules[] = {"later", "now", NULL};

/*
 * A branch, tag or commit as git names one (git check-ref-format): at most
 * DEPLOY_REF_MAX bytes; no control character, space or any of ~^:?*[\; no
 * "..", "@{" or "//"; not "@"; not starting with '-' or '/', not ending
 * with '/' or '.'; no part (between slashes) starting with '.' or ending
 * with ".lock". What a script and a CI receive as written.
 */
static const char *ref_problem(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > DEPLOY_REF_MAX)
        return "must be a branch, tag or commit of 1 to 255 bytes";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f || strchr(" ~^:?*[\\", *p))
            return "must not hold a control character, a space or any of ~^:?*[\\";
    if (strstr(s, "..") || strstr(s, "@{") || strstr(s, "//") || strcmp(s, "@") == 0)
        return "must not hold \"..\", \"@{\" or \"//\", nor be \"@\"";
    if (s[0] == '-' || s[0] == '/' || s[n - 1] == '/' || s[n - 1] == '.')
        return "must not start with '-' or '/', nor end with '/' or '.'";
    for (const char *part = s; part; part = strchr(part, '/') ? strchr(part, '/') + 1 : NULL) {
        size_t len = strcspn(part, "/");
        if (part[0] == '.' || (len >= 5 && strncmp(part + len - 5, ".lock", 5) == 0))
            return "must not have a part (between slashes) that starts with '.' or ends with \".lock\"";
    }
    return NULL;
}

static const char *check_ref(json_t *v)
{
    return ref_problem(json_string_value(v));
}

/*
 * One host or several (hostIds), one script or several (scriptIds): each
 * host runs every script, in order; now, or later at scheduledTime; to an
 * environment, or none.
 */
SCHEMA(deployment_create_schema, FMT("hostId", false, 36, check_uuid, "uuid"), FMT("scriptId", false, 36, check_uuid, "uuid"),
       {.name = "hostIds", .kind = FIELD_ARRAY, .check = check_uuids},
       {.name = "scriptIds", .kind = FIELD_ARRAY, .check = check_uuids}, ONE_OF("schedule", false, schedules),
       FMT("scheduledTime", false, 64, check_time, "date-time"), FMT("environmentId", false, 36, check_uuid, "uuid"),
       {.name = "cicdJobs", .kind = FIELD_ARRAY, .check = cicd_jobs_shape}, FMT("repositoryId", false, 36, check_uuid, "uuid"),
       STR("ref", false, 1, DEPLOY_REF_MAX, .check = check_ref, .format = "git-ref"));
/* An approval, with a note or not; no body is an empty one. */
static const struct field deployment_approve_fields[] = {STR("note", false, 1, 1000, .check = check_printable_text)};
const struct schema deployment_approve_schema = {.name = "deployment_approve_schema",
                                                 .fields = deployment_approve_fields,
                                                 .count = ARRAY_LEN(deployment_approve_fields),
                                                 .optional = true};

/* Who may approve a deployment to a protected environment: members holding one of these roles (viewers never write). */
static const char *const approver_roles[] = {"editor", "owner", NULL};

/* A set of roles: one or both, none twice (the router checks that each is allowed). */
static const char *check_role_set(json_t *v)
{
    size_t n = json_array_size(v);

    if (n < 1 || n > 2)
        return "must name one or both of editor and owner";
    if (n == 2 && json_equal(json_array_get(v, 0), json_array_get(v, 1)))
        return "must not name the same role twice";
    return NULL;
}

#define ENVIRONMENT_FIELDS(req)                                                                                                    \
    TEXT("name", req, 100), BOOL("protected", .def = "false"), INT("requiredApprovals", false, 1, 10, .def = "1"),                 \
    {                                                                                                                              \
        .name = "approverRoles", .kind = FIELD_ARRAY, .allowed = approver_roles, .check = check_role_set,                          \
        .def = "[\"editor\", \"owner\"]"                                                                                           \
    }
SCHEMA(environment_create_schema, ENVIRONMENT_FIELDS(true));
SCHEMA(environment_update_schema, ENVIRONMENT_FIELDS(false));
SCHEMA(environment_freeze_schema, STR("reason", true, 1, 500, .check = check_printable));

static const char *text(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* ---- rows as JSON ---- */

enum col_kind { COL_SKIP, COL_TEXT, COL_INT, COL_BOOL, COL_SET }; /* COL_SET: "a,b" stored, ["a", "b"] answered */

struct col {
    const char *name;
    enum col_kind kind;
};

/* "a,b" as ["a", "b"] ("" as []). Caller owns. */
static json_t *set_json(const char *set)
{
    json_t *items = json_array();
    const char *comma;

    for (; *set; set = *comma ? comma + 1 : comma) {
        comma = strchr(set, ',');
        if (!comma)
            comma = set + strlen(set);
        json_array_append_new(items, json_stringn(set, (size_t)(comma - set)));
    }
    return items;
}

/* Whether the stored set "a,b" holds item. */
static bool set_has(const char *set, const char *item)
{
    size_t n = strlen(item);

    for (const char *at = set; (at = strstr(at, item)); at += n)
        if ((at == set || at[-1] == ',') && (at[n] == ',' || at[n] == '\0'))
            return true;
    return false;
}

/* Whether the array items holds the string item. */
static bool items_have(const json_t *items, const char *item)
{
    size_t i;
    json_t *v;

    json_array_foreach((json_t *)items, i, v) if (strcmp(json_string_value(v), item) == 0) return true;
    return false;
}

/* The approver roles items (checked: a set of approver_roles) as stored, in one order whatever the body's. */
static const char *approver_roles_text(const json_t *items)
{
    bool editor = items_have(items, "editor"), owner = items_have(items, "owner");
    return editor && owner ? "editor,owner" : editor ? "editor" : "owner";
}

/* The current row as an object of cols (NULLs as null). Caller owns. */
static json_t *row_json(struct store_stmt *st, const struct col *cols, size_t n)
{
    json_t *row = json_object();

    for (size_t i = 0; i < n; i++) {
        json_t *v;
        if (cols[i].kind == COL_SKIP)
            continue;
        if (store_col_null(st, (int)i))
            v = json_null();
        else if (cols[i].kind == COL_INT)
            v = json_integer(store_col_int(st, (int)i));
        else if (cols[i].kind == COL_BOOL)
            v = json_boolean(store_col_bool(st, (int)i));
        else if (cols[i].kind == COL_SET)
            v = set_json(store_col_text(st, (int)i));
        else
            v = json_string(store_col_text(st, (int)i));
        json_object_set_new(row, cols[i].name, v);
    }
    return row;
}

#define HOST_COLUMNS                                                                                                               \
    "id, tenantId, name, type, address, port, username, authMethod, secret, isWindows, hostKeyFingerprint, "                       \
    "seenHostKeyFingerprint, status, lastTestedAt, lastError, createdAt, updatedAt, maxConcurrent, dockerSocket, dockerImage, "    \
    "engineVersion"
#define HOST_AT 15

static const struct col host_cols[] = {
    {"id", COL_TEXT},
    {"tenantId", COL_SKIP},
    {"name", COL_TEXT},
    {"type", COL_TEXT},
    {"address", COL_TEXT},
    {"port", COL_INT},
    {"username", COL_TEXT},
    {"authMethod", COL_TEXT},
    {"secret", COL_SKIP},
    {"isWindows", COL_BOOL},
    {"hostKeyFingerprint", COL_TEXT},
    {"seenHostKeyFingerprint", COL_TEXT},
    {"status", COL_TEXT},
    {"lastTestedAt", COL_TEXT},
    {"lastError", COL_TEXT},
    {"createdAt", COL_TEXT},
    {"updatedAt", COL_TEXT},
    {"maxConcurrent", COL_INT},
    {"dockerSocket", COL_TEXT},
    {"dockerImage", COL_TEXT},
    {"engineVersion", COL_TEXT},
};

/* A host, its credential as a mask (never the credential). */
static json_t *host_row(struct store_stmt *st)
{
    json_t *row = row_json(st, host_cols, ARRAY_LEN(host_cols));
    struct secret_place at = {store_col_text(st, 1), "hosts", "secret", store_col_text(st, 0)};
    struct plaintext *plain = NULL;
    struct err err;

    err_clear(&err);
    json_object_set_new(row, "secret",
                        secret_decrypt(env->keys, &at, store_col_text(st, 8), &plain, &err) == ERR_OK
                            ? secret_mask(schema_field(&host_create_schema, "secret"), plain->data, NULL)
                            : json_string("****"));
    plaintext_free(plain);
    return row;
}

#define SCRIPT_COLUMNS "id, tenantId, name, body, shell, idempotent, createdAt, updatedAt, timeoutSeconds"
#define SCRIPT_AT 6

static const struct col script_cols[] = {
    {"id", COL_TEXT},         {"tenantId", COL_SKIP},  {"name", COL_TEXT},      {"body", COL_TEXT},          {"shell", COL_TEXT},
    {"idempotent", COL_BOOL}, {"createdAt", COL_TEXT}, {"updatedAt", COL_TEXT}, {"timeoutSeconds", COL_INT},
};

static json_t *script_row(struct store_stmt *st)
{
    return row_json(st, script_cols, ARRAY_LEN(script_cols));
}

#define DEPLOYMENT_COLUMNS                                                                                                         \
    "id, tenantId, hostId, scriptId, status, statusReason, exitCode, droppedLines, requestedByAccountId, startedAt, finishedAt, "  \
    "createdAt, updatedAt, droppedBytes, scheduledTime, environmentId, repositoryId, ref"
#define DEPLOYMENT_AT 11

static const struct col deployment_cols[] = {
    {"id", COL_TEXT},
    {"tenantId", COL_SKIP},
    {"hostId", COL_TEXT},
    {"scriptId", COL_TEXT},
    {"status", COL_TEXT},
    {"statusReason", COL_TEXT},
    {"exitCode", COL_INT},
    {"droppedLines", COL_INT},
    {"requestedByAccountId", COL_TEXT},
    {"startedAt", COL_TEXT},
    {"finishedAt", COL_TEXT},
    {"createdAt", COL_TEXT},
    {"updatedAt", COL_TEXT},
    {"droppedBytes", COL_INT},
    {"scheduledTime", COL_TEXT},
    {"environmentId", COL_TEXT},
    {"repositoryId", COL_TEXT},
    {"ref", COL_TEXT},
};

static json_t *deployment_row(struct store_stmt *st)
{
    return row_json(st, deployment_cols, ARRAY_LEN(deployment_cols));
}

static enum err_code respond_one(struct request *req, int status, const char *sql, page_row_fn row_fn, const char *id,
                                 struct err *err)
{
    struct store_conn *c;
    json_t *row;

    if (request_db(req, &c, err) ||
        !(row = page_row(c, sql, STORE_ARGS(STORE_TEXT(principal_of(req)->tenant_id), STORE_TEXT(id)), row_fn, err)))
        return err->code;
    response_json(req, status, row);
    return ERR_OK;
}

/* A page of the tenant's rows, newest first: sql is "SELECT ... FROM table WHERE tenantId = ?" and the page's terms. */
static enum err_code list_rows(struct request *req, const char *sql, int at_col, page_row_fn row_fn, struct err *err)
{
    struct page p;

    if (page_parse(req, &p, err))
        return err->code;
    return page_respond(req, &p, sql, STORE_ARGS(STORE_TEXT(principal_of(req)->tenant_id), PAGE_ARGS(&p)), at_col, 0, row_fn, err);
}

#define PAGE_TERMS " AND (createdAt <= ? AND (createdAt < ? OR id < ?)) ORDER BY createdAt DESC, id DESC LIMIT ?"

#define HOST_ONE "SELECT " HOST_COLUMNS " FROM hosts WHERE tenantId = ? AND id = ?"
#define SCRIPT_ONE "SELECT " SCRIPT_COLUMNS " FROM deployment_scripts WHERE tenantId = ? AND id = ?"
#define DEPLOYMENT_ONE "SELECT " DEPLOYMENT_COLUMNS " FROM deployments WHERE tenantId = ? AND id = ?"

/* Names of the body's fields, never their values, for the audit trail. Caller owns. */
static json_t *changed_fields(const json_t *body)
{
    json_t *names = json_array(), *v;
    const char *k;

    json_object_foreach((json_t *)body, k, v) json_array_append_new(names, json_string(k));
    return json_pack("{s:o}", "fields", names);
}

/* Deletes the tenant's row id of table (DELETE ... WHERE tenantId = ? AND id = ?), audited as action. */
struct delete_tx {
    struct request *req;
    const char *sql, *action, *target_type, *in_use;
};

static enum err_code delete_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct delete_tx *d = ctx;
    const char *tenant = principal_of(d->req)->tenant_id, *id = request_param(d->req, d->target_type);
    int64_t n = 0;

    if (store_run(c, d->sql, STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(id)), &n, err))
        return err->code == ERR_CONFLICT ? err_set(err, ERR_CONFLICT, "%s", d->in_use) : err->code;
    if (n == 0)
        return err_set(err, ERR_NOT_FOUND, "not found");
    return audit_write(c, d->req, &(struct audit_event){.action = d->action, .target_type = d->target_type, .target_id = id}, err);
}

static enum err_code delete_row(struct request *req, struct delete_tx *d, struct err *err)
{
    struct store_conn *c;

    d->req = req;
    if (request_db(req, &c, err) || store_tx(c, delete_body, d, err))
        return err->code;
    response_empty(req, 204);
    return ERR_OK;
}

/* Sets body's keys (but nulls: absent) over fields. */
static void merge(json_t *fields, const json_t *body)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)body, k, v) if (!json_is_null(v)) json_object_set(fields, k, v);
}

/* A create's fields: the body over the schema's defaults. Caller owns. */
static json_t *with_defaults(const struct schema *s, const json_t *body)
{
    json_t *fields = json_object();

    for (size_t i = 0; i < s->count; i++)
        if (s->fields[i].def)
            json_object_set_new(fields, s->fields[i].name, json_loads(s->fields[i].def, JSON_DECODE_ANY, NULL));
    merge(fields, body);
    return fields;
}

/* ---- hosts ---- */

enum err_code hosts_list(struct request *req, struct err *err)
{
    return list_rows(req, "SELECT " HOST_COLUMNS " FROM hosts WHERE tenantId = ?" PAGE_TERMS, HOST_AT, host_row, err);
}

enum err_code host_get(struct request *req, struct err *err)
{
    return respond_one(req, 200, HOST_ONE, host_row, request_param(req, "hostId"), err);
}

struct host_write {
    struct request *req;
    const char *id;
    bool create, moved; /* moved: the address or port changed, so the pinned key no longer applies */
    json_t *fields;     /* the body over the defaults (create) or the stored values (update) */
};

static enum err_code host_write_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct host_write *w = ctx;
    const char *tenant = principal_of(w->req)->tenant_id, *secret = text(w->req->body, "secret");
    const json_t *f = w->fields;
    struct secret_place at = {tenant, "hosts", "secret", w->id};
    char now[TIMESTAMP_SIZE], *stored = NULL;
    json_t *details = changed_fields(w->req->body);
    bool docker = strcmp(text(f, "type"), "docker") == 0; /* an ssh host keeps no Engine fields */

    clock_now(now);
    if (secret && secret_encrypt(env->keys, &at, secret, strlen(secret), &stored, err))
        goto out;
    struct store_val common[] = {
        STORE_TEXT(text(f, "name")),
        STORE_TEXT(text(f, "type")),
        STORE_TEXT(text(f, "address")),
        STORE_INT(json_integer_value(json_object_get(f, "port"))),
        STORE_TEXT(text(f, "username")),
        STORE_TEXT(text(f, "authMethod")),
        STORE_BOOL(json_is_true(json_object_get(f, "isWindows"))),
        STORE_INT(json_integer_value(json_object_get(f, "maxConcurrent"))),
        STORE_TEXT(docker ? (text(f, "dockerSocket") ? text(f, "dockerSocket") : DEPLOY_DOCKER_SOCKET) : NULL),
        STORE_TEXT(docker ? text(f, "dockerImage") : NULL)};
    if (w->create) {
        if (store_run(c,
                      "INSERT INTO hosts (name, type, address, port, username, authMethod, isWindows, maxConcurrent, dockerSocket, "
                      "dockerImage, secret, status, id, tenantId, createdAt, updatedAt) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'UNTESTED', ?, ?, ?, ?)",
                      STORE_ARGS(common[0], common[1], common[2], common[3], common[4], common[5], common[6], common[7], common[8],
                                 common[9], STORE_TEXT(stored), STORE_TEXT(w->id), STORE_TEXT(tenant), STORE_TIME(now),
                                 STORE_TIME(now)),
                      NULL, err))
            goto out;
    } else if (store_run(
                   c,
                   "UPDATE hosts SET name = ?, type = ?, address = ?, port = ?, username = ?, authMethod = ?, isWindows = ?, "
                   "maxConcurrent = ?, dockerSocket = ?, dockerImage = ?, engineVersion = CASE WHEN ? THEN engineVersion END, "
                   "secret = COALESCE(?, secret), updatedAt = ? WHERE tenantId = ? AND id = ?",
                   STORE_ARGS(common[0], common[1], common[2], common[3], common[4], common[5], common[6], common[7], common[8],
                              common[9], STORE_BOOL(docker), STORE_TEXT(stored), STORE_TIME(now), STORE_TEXT(tenant),
                              STORE_TEXT(w->id)),
                   NULL, err) ||
               (w->moved && store_run(c,
                                      "UPDATE hosts SET hostKeyFingerprint = NULL, seenHostKeyFingerprint = NULL, "
                                      "status = 'UNTESTED', lastError = NULL WHERE tenantId = ? AND id = ?",
                                      STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(w->id)), NULL, err))) {
        goto out;
    }
    audit_write(
        c, w->req,
        &(struct audit_event){
            .action = w->create ? "host.create" : "host.update", .target_type = "host", .target_id = w->id, .details = details},
        err);
out:
    if (err->code == ERR_CONFLICT)
        err_set(err, ERR_CONFLICT, "a host named \"%s\" exists", text(f, "name"));
    json_decref(details);
    free(stored);
    return err->code;
}

/*
 * The checks that need more than one field: a key that parses; a new login
 * method comes with its credential; a docker host names its image, and
 * only a docker host takes the Engine's fields (a host made ssh drops them).
 */
static enum err_code host_check(const json_t *fields, const json_t *body, const char *stored_auth, struct err *err)
{
    const char *secret = text(body, "secret"), *auth = text(fields, "authMethod");
    bool docker = strcmp(text(fields, "type"), "docker") == 0;
    static const char *const engine_fields[] = {"dockerSocket", "dockerImage"};

    if (docker && !text(fields, "dockerImage"))
        err_detail(err, "dockerImage", "is required for a host of type docker (the image its scripts run in)");
    for (size_t i = 0; !docker && i < ARRAY_LEN(engine_fields); i++)
        if (text(body, engine_fields[i]))
            err_detail(err, engine_fields[i], "is only for a host of type docker");

    if (stored_auth && strcmp(stored_auth, auth) != 0 && !secret)
        err_detail(err, "secret", "is required when authMethod changes");
    if (secret && strcmp(auth, "key") == 0 && !ssh_private_key_valid(secret))
        err_detail(err, "secret", "must be an OpenSSH or PEM private key without a passphrase");
    if (err->ndetails)
        return err_set(err, ERR_INVALID, "invalid host");
    return ERR_OK;
}

static enum err_code host_write(struct request *req, struct host_write *w, struct err *err)
{
    struct store_conn *c;

    w->req = req;
    if (!keyring_can_encrypt(env->keys))
        return err_set(err, ERR_UNAVAILABLE, "no encryption key is configured: host credentials cannot be stored");
    if (request_db(req, &c, err) || store_tx(c, host_write_body, w, err))
        return err->code;
    return respond_one(req, w->create ? 201 : 200, HOST_ONE, host_row, w->id, err);
}

enum err_code host_create(struct request *req, struct err *err)
{
    json_t *fields = request_keep(req, with_defaults(&host_create_schema, req->body));
    char id[UUID_SIZE];

    if (host_check(fields, req->body, NULL, err))
        return err->code;
    rand_uuid(id);
    return host_write(req, &(struct host_write){.id = arena_strdup(req->arena, id), .create = true, .fields = fields}, err);
}

enum err_code host_patch(struct request *req, struct err *err)
{
    const char *id = request_param(req, "hostId");
    struct store_conn *c;
    json_t *row, *fields;
    bool moved;

    if (request_db(req, &c, err) ||
        !(row = page_row(c, HOST_ONE, STORE_ARGS(STORE_TEXT(principal_of(req)->tenant_id), STORE_TEXT(id)), host_row, err)))
        return err->code;
    request_keep(req, row);
    fields = request_keep(req, json_deep_copy(row));
    merge(fields, req->body);
    moved = strcmp(text(row, "address"), text(fields, "address")) != 0 ||
            json_integer_value(json_object_get(row, "port")) != json_integer_value(json_object_get(fields, "port"));
    if (host_check(fields, req->body, text(row, "authMethod"), err))
        return err->code;
    return host_write(req, &(struct host_write){.id = id, .moved = moved, .fields = fields}, err);
}

enum err_code host_delete(struct request *req, struct err *err)
{
    return delete_row(req,
                      &(struct delete_tx){.sql = "DELETE FROM hosts WHERE tenantId = ? AND id = ?",
                                          .action = "host.delete",
                                          .target_type = "hostId",
                                          .in_use = "the host has deployments: it is kept for their record"},
                      err);
}

/* On the SSH pool: connect, log in, record the outcome on the host, answer the host. */
static void host_test_run(struct request *req)
{
    const char *tenant = principal_of(req)->tenant_id, *id = request_param(req, "hostId");
    struct store_conn *c;
    struct err err, outcome;

    err_clear(&err);
    err_clear(&outcome);
    if (request_db(req, &c, &err) == ERR_OK && deploy_host_connect(env, c, tenant, id, NULL, NULL, &outcome) != ERR_NOT_FOUND)
        audit_write(
            c, req,
            &(struct audit_event){.action = "host.test", .target_type = "host", .target_id = id, .failed = outcome.code != ERR_OK},
            &err);
    if (!err.code && outcome.code == ERR_NOT_FOUND)
        err_set(&err, ERR_NOT_FOUND, "not found");
    if (err.code || respond_one(req, 200, HOST_ONE, host_row, id, &err))
        response_error(req, &err);
}

enum err_code host_test(struct request *req, struct err *err)
{
    return request_defer(req, pool, host_test_run, err);
}

static enum err_code accept_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct request *req = ctx;
    const char *tenant = principal_of(req)->tenant_id, *id = request_param(req, "hostId");
    const char *fingerprint = text(req->body, "fingerprint");
    char now[TIMESTAMP_SIZE];
    json_t *details;
    int64_t n = 0;

    clock_now(now);
    if (store_run(
            c,
            "UPDATE hosts SET hostKeyFingerprint = seenHostKeyFingerprint, seenHostKeyFingerprint = NULL, status = 'UNTESTED', "
            "lastError = NULL, updatedAt = ? WHERE tenantId = ? AND id = ? AND status = 'HOST_KEY_CHANGED' AND "
            "seenHostKeyFingerprint = ?",
            STORE_ARGS(STORE_TIME(now), STORE_TEXT(tenant), STORE_TEXT(id), STORE_TEXT(fingerprint)), &n, err))
        return err->code;
    if (n == 0) {
        json_t *row = page_row(c, HOST_ONE, STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(id)), host_row, err);
        json_decref(row);
        if (row)
            err_set(err, ERR_CONFLICT,
                    "the host has not shown a changed key with this fingerprint: test it, then accept the key it shows");
        return err->code;
    }
    details = json_pack("{s:s}", "fingerprint", fingerprint);
    audit_write(c, req,
                &(struct audit_event){.action = "host.accept-host-key", .target_type = "host", .target_id = id, .details = details},
                err);
    json_decref(details);
    return err->code;
}

enum err_code host_accept_key(struct request *req, struct err *err)
{
    struct store_conn *c;

    if (request_db(req, &c, err) || store_tx(c, accept_body, req, err))
        return err->code;
    return respond_one(req, 200, HOST_ONE, host_row, request_param(req, "hostId"), err);
}

/* ---- scripts ---- */

enum err_code scripts_list(struct request *req, struct err *err)
{
    return list_rows(req, "SELECT " SCRIPT_COLUMNS " FROM deployment_scripts WHERE tenantId = ?" PAGE_TERMS, SCRIPT_AT, script_row,
                     err);
}

enum err_code script_get(struct request *req, struct err *err)
{
    return respond_one(req, 200, SCRIPT_ONE, script_row, request_param(req, "scriptId"), err);
}

struct script_write {
    struct request *req;
    const char *id;
    bool create;
    json_t *fields;
};

static enum err_code script_write_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct script_write *w = ctx;
    const char *tenant = principal_of(w->req)->tenant_id;
    const json_t *f = w->fields;
    json_t *details = changed_fields(w->req->body);
    char now[TIMESTAMP_SIZE];

    clock_now(now);
    struct store_val common[] = {STORE_TEXT(text(f, "name")), STORE_TEXT(text(f, "body")), STORE_TEXT(text(f, "shell")),
                                 STORE_BOOL(json_is_true(json_object_get(f, "idempotent"))),
                                 json_is_integer(json_object_get(f, "timeoutSeconds"))
                                     ? STORE_INT(json_integer_value(json_object_get(f, "timeoutSeconds")))
                                     : STORE_NULL};
    if (w->create ? store_run(c,
                              "INSERT INTO deployment_scripts (name, body, shell, idempotent, timeoutSeconds, id, tenantId, "
                              "createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                              STORE_ARGS(common[0], common[1], common[2], common[3], common[4], STORE_TEXT(w->id),
                                         STORE_TEXT(tenant), STORE_TIME(now), STORE_TIME(now)),
                              NULL, err)
                  : store_run(c,
                              "UPDATE deployment_scripts SET name = ?, body = ?, shell = ?, idempotent = ?, timeoutSeconds = ?, "
                              "updatedAt = ? WHERE tenantId = ? AND id = ?",
                              STORE_ARGS(common[0], common[1], common[2], common[3], common[4], STORE_TIME(now), STORE_TEXT(tenant),
                                         STORE_TEXT(w->id)),
                              NULL, err)) {
        if (err->code == ERR_CONFLICT)
            err_set(err, ERR_CONFLICT, "a script named \"%s\" exists", text(f, "name"));
    } else {
        audit_write(c, w->req,
                    &(struct audit_event){.action = w->create ? "deployment-script.create" : "deployment-script.update",
                                          .target_type = "deployment_script",
                                          .target_id = w->id,
                                          .details = details},
                    err);
    }
    json_decref(details);
    return err->code;
}

static enum err_code script_write(struct request *req, struct script_write *w, struct err *err)
{
    struct store_conn *c;

    w->req = req;
    if (request_db(req, &c, err) || store_tx(c, script_write_body, w, err))
        return err->code;
    return respond_one(req, w->create ? 201 : 200, SCRIPT_ONE, script_row, w->id, err);
}

enum err_code script_create(struct request *req, struct err *err)
{
    char id[UUID_SIZE];

    rand_uuid(id);
    return script_write(req,
                        &(struct script_write){.id = arena_strdup(req->arena, id),
                                               .create = true,
                                               .fields = request_keep(req, with_defaults(&script_create_schema, req->body))},
                        err);
}

enum err_code script_patch(struct request *req, struct err *err)
{
    const char *id = request_param(req, "scriptId");
    struct store_conn *c;
    json_t *fields;

    if (request_db(req, &c, err) ||
        !(fields = page_row(c, SCRIPT_ONE, STORE_ARGS(STORE_TEXT(principal_of(req)->tenant_id), STORE_TEXT(id)), script_row, err)))
        return err->code;
    request_keep(req, fields);
    merge(fields, req->body);
    return script_write(req, &(struct script_write){.id = id, .fields = fields}, err);
}

enum err_code script_delete(struct request *req, struct err *err)
{
    return delete_row(req,
                      &(struct delete_tx){.sql = "DELETE FROM deployment_scripts WHERE tenantId = ? AND id = ?",
                                          .action = "deployment-script.delete",
                                          .target_type = "scriptId",
                                          .in_use = "the script has deployments: it is kept for their record"},
                      err);
}

/* ---- deployments ---- */

enum err_code deployments_list(struct request *req, struct err *err)
{
    return list_rows(req, "SELECT " DEPLOYMENT_COLUMNS " FROM deployments WHERE tenantId = ?" PAGE_TERMS, DEPLOYMENT_AT,
                     deployment_row, err);
}

static const struct col step_cols[] = {
    {"id", COL_TEXT},          {"tenantId", COL_SKIP},  {"stepIndex", COL_INT},     {"hostId", COL_TEXT},
    {"scriptId", COL_TEXT},    {"status", COL_TEXT},    {"statusReason", COL_TEXT}, {"exitCode", COL_INT},
    {"droppedLines", COL_INT}, {"startedAt", COL_TEXT}, {"finishedAt", COL_TEXT},   {"droppedBytes", COL_INT},
};

static json_t *step_row(struct store_stmt *st)
{
    return row_json(st, step_cols, ARRAY_LEN(step_cols));
}

static json_t *approval_row(struct store_stmt *st)
{
    static const struct col cols[] = {
        {"accountId", COL_TEXT}, {"tenantId", COL_SKIP}, {"note", COL_TEXT}, {"createdAt", COL_TEXT}, {"role", COL_TEXT}};
    return row_json(st, cols, ARRAY_LEN(cols));
}

/* Answers one deployment, with its steps (deployment_runs: one script on one host each) in the order they run and its approvals. */
static enum err_code deployment_respond(struct request *req, int status, const char *id, struct err *err)
{
    const char *tenant = principal_of(req)->tenant_id;
    struct store_conn *c;
    json_t *row, *steps = NULL, *approvals = NULL, *cicd = NULL;

    if (request_db(req, &c, err) ||
        !(row = page_row(c, DEPLOYMENT_ONE, STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(id)), deployment_row, err)))
        return err->code;
    if (!(steps = page_items(c,
                             "SELECT id, tenantId, stepIndex, hostId, scriptId, status, statusReason, exitCode, droppedLines, "
                             "startedAt, finishedAt, droppedBytes FROM deployment_runs WHERE tenantId = ? AND deploymentId = ? "
                             "ORDER BY stepIndex",
                             STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(id)), step_row, err)) ||
        !(approvals =
              page_items(c,
                         "SELECT accountId, tenantId, note, createdAt, role FROM deployment_approvals WHERE tenantId = ? AND "
                         "deploymentId = ? ORDER BY createdAt, id",
                         STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(id)), approval_row, err)) ||
        !(cicd = cicd_mappings_of(c, tenant, id, err))) {
        json_decref(row);
        json_decref(steps);
        json_decref(approvals);
        return err->code;
    }
    json_object_set(row, "steps", json_object_get(steps, "items"));
    json_object_set(row, "approvals", json_object_get(approvals, "items"));
    json_object_set(row, "cicdJobs", json_object_get(cicd, "items"));
    json_decref(steps);
    json_decref(approvals);
    json_decref(cicd);
    response_json(req, status, row);
    return ERR_OK;
}

enum err_code deployment_get(struct request *req, struct err *err)
{
    return deployment_respond(req, 200, request_param(req, "deploymentId"), err);
}

/* True when the tenant has a row id in table's SELECT (... WHERE tenantId = ? AND id = ?). */
static bool exists(struct store_conn *c, const char *sql, const char *tenant, const char *id, struct err *err)
{
    struct store_stmt *st;
    int rc;

    if (store_select(c, sql, STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(id)), &st, err))
        return false;
    rc = store_next(st, err);
    store_finish(st);
    return rc == 1;
}

struct create_tx {
    struct request *req;
    char id[UUID_SIZE];
};

/*
 * The ids the body names under one (key) or several (keys), each the tenant's
 * (sql: SELECT ... WHERE tenantId = ? AND id = ?), as a new array; NULL with
 * a detail when neither or both are given or an id is not the tenant's.
 */
static json_t *named_ids(struct store_conn *c, const json_t *body, const char *key, const char *keys, const char *sql,
                         const char *tenant, const char *what, struct err *err)
{
    json_t *one = json_object_get(body, key), *many = json_object_get(body, keys), *ids, *id;
    size_t i;

    if (!one == !many) {
        err_detail(err, keys, "give %s or %s, not both and not neither", key, keys);
        return NULL;
    }
    ids = many ? json_incref(many) : json_pack("[O]", one);
    json_array_foreach(ids, i, id) if (!exists(c, sql, tenant, json_string_value(id), err))
    {
        if (!err->code)
            err_detail(err, many ? keys : key, "%s is not a %s of this tenant", json_string_value(id), what);
        json_decref(ids);
        return NULL;
    }
    return ids;
}

/* Step k of the deployment runs script k % scripts on host k / scripts: host by host, each host's scripts in order. */
static enum err_code steps_insert(struct store_conn *c, const char *tenant, const char *deployment, const json_t *hosts,
                                  const json_t *scripts, const char *now, struct err *err)
{
    size_t n = json_array_size(scripts), total = json_array_size(hosts) * n;

    for (size_t k = 0; k < total && !err->code; k++) {
        char id[UUID_SIZE];
        rand_uuid(id);
        store_run(
            c,
            "INSERT INTO deployment_runs (id, tenantId, deploymentId, stepIndex, hostId, scriptId, status, createdAt, updatedAt) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            STORE_ARGS(STORE_TEXT(id), STORE_TEXT(tenant), STORE_TEXT(deployment), STORE_INT((int64_t)k),
                       STORE_TEXT(json_string_value(json_array_get(hosts, k / n))),
                       STORE_TEXT(json_string_value(json_array_get(scripts, k % n))), STORE_TEXT(deploy_status_name(DEP_PENDING)),
                       STORE_TIME(now), STORE_TIME(now)),
            NULL, err);
    }
    return err->code;
}

#define SCHEDULE_MAX_MS (366LL * 86400 * 1000) /* how far ahead a deployment may be scheduled */

/* When and where a deployment runs, and so its first status and why it waits. */
struct plan {
    char scheduled[TIMESTAMP_SIZE]; /* "": now */
    const char *environment;        /* NULL: none */
    enum deploy_status status;
    char reason[DEPLOY_REASON_SIZE]; /* "": none */
};

/*
 * A protected environment's deployment awaits approval first; a "later"
 * one is SCHEDULED; a frozen environment's says so (it waits when due).
 */
static void plan_load(struct store_conn *c, const char *tenant, const json_t *body, struct plan *p, struct err *err)
{
    const char *schedule = text(body, "schedule"), *at = text(body, "scheduledTime");
    int64_t ms = 0, now = clock_now_ms();
    struct store_stmt *st;

    memset(p, 0, sizeof *p);
    p->status = DEP_PENDING;
    if (schedule && strcmp(schedule, "later") == 0) {
        if (!at)
            err_detail(err, "scheduledTime", "is required when schedule is later");
        else if (clock_parse(at, &ms) != 0 || ms <= now || ms > now + SCHEDULE_MAX_MS)
            err_detail(err, "scheduledTime", "must be a time in the future, at most a year ahead");
        else {
            clock_format(ms, p->scheduled);
            p->status = DEP_SCHEDULED;
        }
    } else if (at) {
        err_detail(err, "scheduledTime", "is only for schedule later");
    }
    if (!(p->environment = text(body, "environmentId")) ||
        store_select(
            c, "SELECT name, protected, requiredApprovals, frozen, frozenReason FROM environments WHERE tenantId = ? AND id = ?",
            STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(p->environment)), &st, err))
        return;
    if (store_next(st, err) != 1) {
        if (!err->code)
            err_detail(err, "environmentId", "%s is not an environment of this tenant", p->environment);
    } else if (store_col_bool(st, 1)) {
        p->status = DEP_AWAITING_APPROVAL;
        snprintf(p->reason, sizeof p->reason, "waiting for approvals: 0 of %lld", (long long)store_col_int(st, 2));
    } else if (store_col_bool(st, 3)) {
        deploy_freeze_reason(store_col_text(st, 0), store_col_null(st, 4) ? NULL : store_col_text(st, 4), p->reason);
    }
    store_finish(st);
}

/* What a deployment deploys: a repository of the tenant (NULL: none) and a ref ("": none). */
struct target {
    const char *repository;
    char ref[DEPLOY_REF_MAX + 1];
};

/*
 * The repository named (a synced one of the tenant's) and the ref: the one
 * given, else the repository's default branch. CI/CD jobs need a ref: they
 * are triggered on it.
 */
static void target_load(struct store_conn *c, const char *tenant, const json_t *body, struct target *t, struct err *err)
{
    const char *ref = text(body, "ref");
    bool told = false; /* a detail about the ref was given */
    struct store_stmt *st;
    int rc;

    memset(t, 0, sizeof *t);
    snprintf(t->ref, sizeof t->ref, "%s", ref ? ref : "");
    if ((t->repository = text(body, "repositoryId"))) {
        if (store_select(c, "SELECT defaultBranch FROM repositories WHERE tenantId = ? AND id = ?",
                         STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(t->repository)), &st, err))
            return;
        if ((rc = store_next(st, err)) == 1 && !ref) {
            const char *branch = store_col_null(st, 0) ? "" : store_col_text(st, 0);
            if ((told = !branch[0]))
                err_detail(err, "ref", "is required: the repository's provider named no default branch for it");
            else if ((told = ref_problem(branch) != NULL))
                err_detail(err, "ref", "is required: the repository's default branch is not a ref git accepts");
            else
                snprintf(t->ref, sizeof t->ref, "%s", branch);
        }
        store_finish(st);
        if (rc == 0)
            err_detail(err, "repositoryId", "%s is not a synced repository of this tenant", t->repository);
    }
    if (!t->ref[0] && !told && json_object_get(body, "cicdJobs"))
        err_detail(err, "ref",
                   "is required with cicdJobs: they are triggered on it (give ref, or repositoryId for its default "
                   "branch)");
}

static enum err_code create_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct create_tx *t = ctx;
    const char *tenant = principal_of(t->req)->tenant_id;
    char now[TIMESTAMP_SIZE], job[UUID_SIZE], dedupe[64];
    json_t *payload, *hosts, *scripts = NULL;
    struct plan plan;
    struct target target;

    hosts = named_ids(c, t->req->body, "hostId", "hostIds", "SELECT tenantId FROM hosts WHERE tenantId = ? AND id = ?", tenant,
                      "host", err);
    if (!err->code)
        scripts = named_ids(c, t->req->body, "scriptId", "scriptIds",
                            "SELECT tenantId FROM deployment_scripts WHERE tenantId = ? AND id = ?", tenant, "script", err);
    if (!err->code)
        plan_load(c, tenant, t->req->body, &plan, err);
    if (!err->code)
        target_load(c, tenant, t->req->body, &target, err);
    if (!err->code)
        cicd_mappings_check(c, tenant, json_object_get(t->req->body, "cicdJobs"), err);
    if (!err->code && err->ndetails)
        err_set(err, ERR_INVALID, "invalid deployment");
    if (err->code) {
        json_decref(hosts);
        json_decref(scripts);
        return err->code;
    }
    clock_now(now);
    payload = json_pack("{s:s}", "deploymentId", t->id);
    snprintf(dedupe, sizeof dedupe, "deploy-run:%s", t->id);
    if (jobs_enqueue_in(c, jobs,
                        &(struct job_new){
                            .kind = DEPLOY_RUN_JOB, .tenant = tenant, .payload = payload, .dedupe_key = dedupe, .max_attempts = 3},
                        job, err) == ERR_OK &&
        store_run(
            c,
            "INSERT INTO deployments (id, tenantId, hostId, scriptId, status, statusReason, scheduledTime, environmentId, jobId, "
            "requestedByAccountId, createdAt, updatedAt, repositoryId, ref) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            STORE_ARGS(STORE_TEXT(t->id), STORE_TEXT(tenant), STORE_TEXT(json_string_value(json_array_get(hosts, 0))),
                       STORE_TEXT(json_string_value(json_array_get(scripts, 0))), STORE_TEXT(deploy_status_name(plan.status)),
                       plan.reason[0] ? STORE_TEXT(plan.reason) : STORE_NULL,
                       plan.scheduled[0] ? STORE_TIME(plan.scheduled) : STORE_NULL, STORE_TEXT(plan.environment), STORE_TEXT(job),
                       STORE_TEXT(principal_of(t->req)->account_id), STORE_TIME(now), STORE_TIME(now),
                       STORE_TEXT(target.repository), target.ref[0] ? STORE_TEXT(target.ref) : STORE_NULL),
            NULL, err) == ERR_OK &&
        steps_insert(c, tenant, t->id, hosts, scripts, now, err) == ERR_OK &&
        cicd_mappings_insert(c, tenant, t->id, json_object_get(t->req->body, "cicdJobs"), now, err) == ERR_OK &&
        (plan.status != DEP_AWAITING_APPROVAL || deploy_notify_awaiting(c, tenant, t->id, err) == ERR_OK))
        audit_write(c, t->req,
                    &(struct audit_event){
                        .action = "deployment.create", .target_type = "deployment", .target_id = t->id, .details = t->req->body},
                    err);
    json_decref(payload);
    json_decref(hosts);
    json_decref(scripts);
    return err->code;
}

enum err_code deployment_create(struct request *req, struct err *err)
{
    struct create_tx t = {.req = req};
    struct store_conn *c;

    /* The administrator's limits (docs/sites.md, "Usage limits"): 429. Minutes are checked at the start only: a
     * deployment that runs is never cut off half-way, so the month's minutes may end past their limit. */
    if (usage_check(principal_of(req)->tenant_id, USAGE_DEPLOYMENTS_STARTED, err) ||
        usage_check(principal_of(req)->tenant_id, USAGE_DEPLOYMENT_MINUTES, err))
        return err->code;
    rand_uuid(t.id);
    if (request_db(req, &c, err) || store_tx(c, create_body, &t, err))
        return err->code;
    jobs_nudge(jobs);
    usage_count(principal_of(req)->tenant_id, NULL, USAGE_DEPLOYMENTS_STARTED, 1);
    return deployment_respond(req, 201, t.id, err);
}

struct cancel_tx {
    struct request *req;
    enum deploy_status from;
    char job[UUID_SIZE];
};

static enum err_code cancel_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct cancel_tx *t = ctx;
    const char *tenant = principal_of(t->req)->tenant_id, *id = request_param(t->req, "deploymentId");
    char now[TIMESTAMP_SIZE];
    struct store_stmt *st;
    int64_t changed = 0;
    int rc;

    if (store_select(c, "SELECT status, jobId, tenantId FROM deployments WHERE tenantId = ? AND id = ?",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(id)), &st, err))
        return err->code;
    if ((rc = store_next(st, err)) == 1) {
        t->from = deploy_status_parse(store_col_text(st, 0));
        snprintf(t->job, sizeof t->job, "%s", store_col_null(st, 1) ? "" : store_col_text(st, 1));
    }
    store_finish(st);
    if (rc <= 0)
        return rc < 0 ? err->code : err_set(err, ERR_NOT_FOUND, "not found");
    if (deploy_transition(t->from, DEV_CANCEL) == DEP_NONE)
        return err_set(err, ERR_CONFLICT, "the deployment has ended (%s): it cannot be cancelled", deploy_status_name(t->from));
    clock_now(now);
    if (store_run(c,
                  "UPDATE deployments SET status = ?, statusReason = 'cancelled', finishedAt = ?, updatedAt = ? "
                  "WHERE tenantId = ? AND id = ? AND status = ?",
                  STORE_ARGS(STORE_TEXT(deploy_status_name(deploy_transition(t->from, DEV_CANCEL))), STORE_TIME(now),
                             STORE_TIME(now), STORE_TEXT(tenant), STORE_TEXT(id), STORE_TEXT(deploy_status_name(t->from))),
                  &changed, err))
        return err->code;
    if (changed != 1) /* its job ended it meanwhile */
        return err_set(err, ERR_CONFLICT, "the deployment has just ended: it cannot be cancelled");
    if (store_run(c, "UPDATE deployment_runs SET status = ?, updatedAt = ? WHERE tenantId = ? AND deploymentId = ? AND status = ?",
                  STORE_ARGS(STORE_TEXT(deploy_status_name(deploy_transition(DEP_PENDING, DEV_CANCEL))), STORE_TIME(now),
                             STORE_TEXT(tenant), STORE_TEXT(id), STORE_TEXT(deploy_status_name(DEP_PENDING))),
                  NULL, err) ||
        cicd_run_cancel(c, tenant, id, now, err) || deploy_notify_end(c, tenant, id, err))
        return err->code;
    return audit_write(c, t->req,
                       &(struct audit_event){.action = "deployment.cancel", .target_type = "deployment", .target_id = id}, err);
}

/*
 * A pending, scheduled or awaiting deployment's job is cancelled with it (a
 * pending one's job may be under way, and then ends without writing: its
 * first step's start is a compare-and-swap). A running one's job sees
 * the status between reads, stops the remote command and ends (deploy.c).
 */
enum err_code deployment_cancel(struct request *req, struct err *err)
{
    struct cancel_tx t = {.req = req};
    struct store_conn *c;
    struct err ignored;

    if (request_db(req, &c, err) || store_tx(c, cancel_body, &t, err))
        return err->code;
    err_clear(&ignored);
    if (t.from != DEP_RUNNING && t.job[0])
        jobs_cancel(jobs, principal_of(req)->tenant_id, t.job, &ignored); /* ERR_NOT_FOUND: it ended meanwhile */
    return respond_one(req, 200, DEPLOYMENT_ONE, deployment_row, request_param(req, "deploymentId"), err);
}

/* ---- approvals ---- */

struct approve_tx {
    struct request *req;
};

/*
 * An approval of a deployment awaiting them, by a member holding one of its
 * environment's approverRoles, other than its requester, once per account
 * (whatever role the account holds later: a role change does not make a
 * second approval). The role it was given under is kept on the row and in
 * the audit trail. The last one needed moves it on (AWAITING_APPROVAL ->
 * SCHEDULED) and wakes its job.
 */
static enum err_code approve_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct request *req = ((struct approve_tx *)ctx)->req;
    const char *tenant = principal_of(req)->tenant_id, *me = principal_of(req)->account_id;
    const char *id = request_param(req, "deploymentId"), *role = role_name(principal_of(req)->role);
    char now[TIMESTAMP_SIZE], approval[UUID_SIZE], key[DEPLOY_EVENT_KEY_SIZE], reason[DEPLOY_REASON_SIZE];
    char roles[32] = "editor,owner";
    enum deploy_status from = DEP_NONE;
    int64_t required = 1, count = 0;
    bool own = false;
    struct store_stmt *st;
    int rc;

    if (store_select(c,
                     "SELECT d.status, d.requestedByAccountId, e.requiredApprovals, e.approverRoles FROM deployments d "
                     "LEFT JOIN environments e "
                     "ON e.tenantId = d.tenantId AND e.id = d.environmentId WHERE d.tenantId = ? AND d.id = ?",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(id)), &st, err))
        return err->code;
    if ((rc = store_next(st, err)) == 1) {
        from = deploy_status_parse(store_col_text(st, 0));
        own = !store_col_null(st, 1) && strcmp(store_col_text(st, 1), me) == 0;
        required = store_col_null(st, 2) ? 1 : store_col_int(st, 2);
        if (!store_col_null(st, 3))
            snprintf(roles, sizeof roles, "%s", store_col_text(st, 3));
    }
    store_finish(st);
    if (rc <= 0)
        return rc < 0 ? err->code : err_set(err, ERR_NOT_FOUND, "not found");
    if (deploy_transition(from, DEV_APPROVED) == DEP_NONE)
        return err_set(err, ERR_CONFLICT, "the deployment is %s: it does not await approval", deploy_status_name(from));
    if (own)
        return err_set(err, ERR_CONFLICT, "the requester of a deployment cannot approve it: another editor or owner must");
    if (!set_has(roles, role))
        return err_set(err, ERR_CONFLICT, "the environment's approverRoles (%s) do not include your role (%s)", roles, role);
    clock_now(now);
    rand_uuid(approval);
    if (store_run(c,
                  "INSERT INTO deployment_approvals (id, tenantId, deploymentId, accountId, note, role, createdAt) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?)",
                  STORE_ARGS(STORE_TEXT(approval), STORE_TEXT(tenant), STORE_TEXT(id), STORE_TEXT(me),
                             STORE_TEXT(text(req->body, "note")), STORE_TEXT(role), STORE_TIME(now)),
                  NULL, err))
        return err->code == ERR_CONFLICT ? err_set(err, ERR_CONFLICT, "you have approved this deployment already") : err->code;
    json_t *details = json_pack("{s:s}", "role", role);
    if (store_int(c, "SELECT COUNT(*) FROM deployment_approvals WHERE tenantId = ? AND deploymentId = ?",
                  STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(id)), &count, err) == ERR_OK)
        audit_write(
            c, req,
            &(struct audit_event){.action = "deployment.approve", .target_type = "deployment", .target_id = id, .details = details},
            err);
    json_decref(details);
    if (err->code)
        return err->code;
    snprintf(reason, sizeof reason, "waiting for approvals: %lld of %lld", (long long)count, (long long)required);
    if (store_run(c,
                  "UPDATE deployments SET status = ?, statusReason = ?, updatedAt = ? WHERE tenantId = ? AND id = ? AND status = ?",
                  STORE_ARGS(STORE_TEXT(deploy_status_name(count >= required ? deploy_transition(from, DEV_APPROVED) : from)),
                             count >= required ? STORE_NULL : STORE_TEXT(reason), STORE_TIME(now), STORE_TEXT(tenant),
                             STORE_TEXT(id), STORE_TEXT(deploy_status_name(from))),
                  NULL, err) ||
        count < required)
        return err->code;
    deploy_event_key("deploy", id, key);
    return jobs_signal_in(c, key, NULL, err);
}

enum err_code deployment_approve(struct request *req, struct err *err)
{
    struct store_conn *c;

    if (request_db(req, &c, err) || store_tx(c, approve_body, &(struct approve_tx){req}, err))
        return err->code;
    jobs_nudge(jobs);
    return deployment_respond(req, 200, request_param(req, "deploymentId"), err);
}

/* ---- environments ---- */

#define ENVIRONMENT_COLUMNS                                                                                                        \
    "id, tenantId, name, protected, requiredApprovals, frozen, frozenReason, frozenByAccountId, frozenAt, createdAt, updatedAt, "  \
    "approverRoles"
#define ENVIRONMENT_AT 9
#define ENVIRONMENT_ONE "SELECT " ENVIRONMENT_COLUMNS " FROM environments WHERE tenantId = ? AND id = ?"

static json_t *environment_row(struct store_stmt *st)
{
    static const struct col cols[] = {
        {"id", COL_TEXT},           {"tenantId", COL_SKIP},          {"name", COL_TEXT},
        {"protected", COL_BOOL},    {"requiredApprovals", COL_INT},  {"frozen", COL_BOOL},
        {"frozenReason", COL_TEXT}, {"frozenByAccountId", COL_TEXT}, {"frozenAt", COL_TEXT},
        {"createdAt", COL_TEXT},    {"updatedAt", COL_TEXT},         {"approverRoles", COL_SET},
    };
    return row_json(st, cols, ARRAY_LEN(cols));
}

enum err_code environments_list(struct request *req, struct err *err)
{
    return list_rows(req, "SELECT " ENVIRONMENT_COLUMNS " FROM environments WHERE tenantId = ?" PAGE_TERMS, ENVIRONMENT_AT,
                     environment_row, err);
}

enum err_code environment_get(struct request *req, struct err *err)
{
    return respond_one(req, 200, ENVIRONMENT_ONE, environment_row, request_param(req, "environmentId"), err);
}

struct environment_write {
    struct request *req;
    const char *id;
    const char *action; /* environment.create, .update, .freeze, .unfreeze */
    json_t *fields;     /* create, update: the body over the defaults or the stored values */
};

static enum err_code environment_write_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct environment_write *w = ctx;
    const char *tenant = principal_of(w->req)->tenant_id, *reason = text(w->req->body, "reason");
    const json_t *f = w->fields;
    json_t *details =
        strcmp(w->action, "environment.freeze") == 0 ? json_pack("{s:s}", "reason", reason) : changed_fields(w->req->body);
    char now[TIMESTAMP_SIZE], key[DEPLOY_EVENT_KEY_SIZE];
    int64_t n = 1;

    clock_now(now);
    if (strcmp(w->action, "environment.create") == 0)
        store_run(
            c,
            "INSERT INTO environments (id, tenantId, name, protected, requiredApprovals, approverRoles, createdAt, updatedAt) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            STORE_ARGS(STORE_TEXT(w->id), STORE_TEXT(tenant), STORE_TEXT(text(f, "name")),
                       STORE_BOOL(json_is_true(json_object_get(f, "protected"))),
                       STORE_INT(json_integer_value(json_object_get(f, "requiredApprovals"))),
                       STORE_TEXT(approver_roles_text(json_object_get(f, "approverRoles"))), STORE_TIME(now), STORE_TIME(now)),
            NULL, err);
    else if (strcmp(w->action, "environment.update") == 0)
        store_run(c,
                  "UPDATE environments SET name = ?, protected = ?, requiredApprovals = ?, approverRoles = ?, updatedAt = ? "
                  "WHERE tenantId = ? AND id = ?",
                  STORE_ARGS(STORE_TEXT(text(f, "name")), STORE_BOOL(json_is_true(json_object_get(f, "protected"))),
                             STORE_INT(json_integer_value(json_object_get(f, "requiredApprovals"))),
                             STORE_TEXT(approver_roles_text(json_object_get(f, "approverRoles"))), STORE_TIME(now),
                             STORE_TEXT(tenant), STORE_TEXT(w->id)),
                  &n, err);
    else if (strcmp(w->action, "environment.freeze") == 0) /* again: the reason is replaced */
        store_run(c,
                  "UPDATE environments SET frozen = ?, frozenReason = ?, frozenByAccountId = ?, frozenAt = ?, updatedAt = ? "
                  "WHERE tenantId = ? AND id = ?",
                  STORE_ARGS(STORE_BOOL(true), STORE_TEXT(reason), STORE_TEXT(principal_of(w->req)->account_id), STORE_TIME(now),
                             STORE_TIME(now), STORE_TEXT(tenant), STORE_TEXT(w->id)),
                  &n, err);
    else if (store_run(c,
                       "UPDATE environments SET frozen = ?, frozenReason = NULL, frozenByAccountId = NULL, frozenAt = NULL, "
                       "updatedAt = ? WHERE tenantId = ? AND id = ?",
                       STORE_ARGS(STORE_BOOL(false), STORE_TIME(now), STORE_TEXT(tenant), STORE_TEXT(w->id)), &n, err) == ERR_OK &&
             n > 0) { /* unfreeze: the deployments waiting for it go on */
        deploy_event_key("deploy-env", w->id, key);
        jobs_signal_in(c, key, NULL, err);
    }
    if (err->code == ERR_CONFLICT)
        err_set(err, ERR_CONFLICT, "an environment named \"%s\" exists", text(f, "name"));
    else if (!err->code && n == 0)
        err_set(err, ERR_NOT_FOUND, "not found");
    else if (!err->code)
        audit_write(
            c, w->req,
            &(struct audit_event){.action = w->action, .target_type = "environment", .target_id = w->id, .details = details}, err);
    json_decref(details);
    return err->code;
}

static enum err_code environment_write(struct request *req, struct environment_write *w, struct err *err)
{
    struct store_conn *c;

    w->req = req;
    if (request_db(req, &c, err) || store_tx(c, environment_write_body, w, err))
        return err->code;
    if (strcmp(w->action, "environment.unfreeze") == 0)
        jobs_nudge(jobs);
    return respond_one(req, strcmp(w->action, "environment.create") == 0 ? 201 : 200, ENVIRONMENT_ONE, environment_row, w->id, err);
}

enum err_code environment_create(struct request *req, struct err *err)
{
    char id[UUID_SIZE];

    rand_uuid(id);
    return environment_write(
        req,
        &(struct environment_write){.id = arena_strdup(req->arena, id),
                                    .action = "environment.create",
                                    .fields = request_keep(req, with_defaults(&environment_create_schema, req->body))},
        err);
}

enum err_code environment_patch(struct request *req, struct err *err)
{
    const char *id = request_param(req, "environmentId");
    struct store_conn *c;
    json_t *fields;

    if (request_db(req, &c, err) ||
        !(fields = page_row(c, ENVIRONMENT_ONE, STORE_ARGS(STORE_TEXT(principal_of(req)->tenant_id), STORE_TEXT(id)),
                            environment_row, err)))
        return err->code;
    request_keep(req, fields);
    merge(fields, req->body);
    return environment_write(req, &(struct environment_write){.id = id, .action = "environment.update", .fields = fields}, err);
}

/* No deployment to it starts while it is frozen: those due wait, their statusReason the freeze's (deploy.c). */
enum err_code environment_freeze(struct request *req, struct err *err)
{
    return environment_write(
        req, &(struct environment_write){.id = request_param(req, "environmentId"), .action = "environment.freeze"}, err);
}

enum err_code environment_unfreeze(struct request *req, struct err *err)
{
    return environment_write(
        req, &(struct environment_write){.id = request_param(req, "environmentId"), .action = "environment.unfreeze"}, err);
}

enum err_code environment_delete(struct request *req, struct err *err)
{
    return delete_row(req,
                      &(struct delete_tx){.sql = "DELETE FROM environments WHERE tenantId = ? AND id = ?",
                                          .action = "environment.delete",
                                          .target_type = "environmentId",
                                          .in_use = "the environment has deployments: it is kept for their record"},
                      err);
}

/* ---- the live log ---- */

/*
 * GET .../deployments/{deploymentId}/logs/stream: the deployment's output
 * as Server-Sent Events, one event "log" a line ({id, seq, stream, message,
 * createdAt}), in seq order, from the beginning unless Last-Event-ID says
 * where to resume: the seq of the last line received (each event's id).
 * A line goes out as soon as it is committed: the writer rings the
 * deployment's id (core/bell.h), and the stream goes by seq with no settle
 * time, which is gap-free because a deployment's log has one writer that
 * commits its lines in seq order (deploy.c, "the deployment workflow").
 */
#define LOG_START "0"

struct log_feed {
    char tenant_id[UUID_SIZE], deployment_id[UUID_SIZE];
};

static json_t *log_row(struct store_stmt *st)
{
    static const struct col cols[] = {{"id", COL_TEXT},     {"tenantId", COL_SKIP}, {"seq", COL_INT},
                                      {"stream", COL_TEXT}, {"message", COL_TEXT},  {"createdAt", COL_TEXT}};
    return row_json(st, cols, ARRAY_LEN(cols));
}

static const struct stream_seq log_rows = {"SELECT id, tenantId, seq, stream, message, createdAt FROM deployment_logs "
                                           "WHERE tenantId = ? AND deploymentId = ? AND seq > ? ORDER BY seq LIMIT ?",
                                           "log", log_row};

static enum err_code log_poll(void *ctx, struct store *store, struct buf *out, char cursor[STREAM_CURSOR_MAX], struct err *err)
{
    const struct log_feed *f = ctx;
    const char *keys[] = {f->tenant_id, f->deployment_id};
    return stream_seq_poll(&log_rows, keys, ARRAY_LEN(keys), store, out, cursor, err);
}

static void log_free(void *ctx)
{
    free(ctx);
}

enum err_code deployment_log_stream(struct request *req, struct err *err)
{
    static const struct stream_source source = {log_poll, log_free};
    const char *last = request_header(req, "Last-Event-ID"), *tenant = principal_of(req)->tenant_id;
    const char *id = request_param(req, "deploymentId");
    int64_t seq;
    struct log_feed *f;
    struct store_conn *db;
    json_t *row;

    /* A connection of its own, not request_db's: that one would be held for as long as the stream stays open. */
    if (store_conn_get(req->store, &db, err))
        return err->code;
    store_conn_guard(db, tenant);
    row = page_row(db, DEPLOYMENT_ONE, STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(id)), deployment_row, err);
    store_conn_put(db);
    if (!row)
        return err->code;
    json_decref(row);
    if (last && *last && !stream_seq_parse(last, &seq))
        return err_set(err, ERR_INVALID, "Last-Event-ID must be the id of an event this stream sent");
    f = xcalloc(1, sizeof *f);
    memcpy(f->tenant_id, tenant, sizeof f->tenant_id);
    memcpy(f->deployment_id, id, sizeof f->deployment_id);
    return response_stream(req, &source, f, LOG_START, f->deployment_id, err);
}
