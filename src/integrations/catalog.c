#include "integrations/catalog.h"

#include <stdarg.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/xmalloc.h"

#define CATEGORY(cid, s, t, col, d) [cid] = {.id = cid, .slug = s, .table = t, .type_column = col, .display = d}

static struct category categories[CAT__COUNT] = {
    CATEGORY(CAT_SCM, "scm", "tenant_scm_integrations", "scmType", "Source control"),
    CATEGORY(CAT_TARGETS, "targets", "tenant_target_integrations", "targetType", "Distribution targets"),
    CATEGORY(CAT_PIPELINES, "pipelines", "tenant_pipeline_integrations", "pipelineType", "CI/CD pipelines"),
    CATEGORY(CAT_COMMUNICATION, "communication", "tenant_communication_integrations", "communicationType", "Communication"),
    CATEGORY(CAT_TICKETS, "tickets", "tenant_ticket_integrations", "ticketSystemType", "Ticket management"),
    CATEGORY(CAT_TEST_MANAGEMENT, "test-management", "tenant_test_management_integrations", "testManagementType",
             "Test management"),
    CATEGORY(CAT_CODE_SIGNING, "code-signing", "tenant_code_signing_integrations", "signingType", "Code signing"),
    CATEGORY(CAT_MONITORING, "monitoring", "tenant_monitoring_integrations", "monitoringType", "Monitoring"),
};

/* ---- derivation ---- */

static void fail(const struct category *c, const char *what, const char *name)
{
    log_error("catalog: %s%s%s %s", c->table, name ? "." : "", name ? name : "", what);
    abort();
}

static size_t ncomputed(const struct category *c)
{
    size_t n = 0;
    while (c->computed[n])
        n++;
    return n;
}

static void add_column(struct category *c, const struct field *f)
{
    for (size_t i = 0; i < c->ncolumns; i++) {
        if (strcmp(c->columns[i]->name, f->name) == 0) {
            if (c->columns[i]->kind != f->kind || c->columns[i]->secret != f->secret)
                fail(c, "is declared twice, differently", f->name);
            return;
        }
    }
    if (c->ncolumns + ncomputed(c) == CATALOG_MAX_COLUMNS)
        fail(c, "has too many columns", NULL);
    c->columns[c->ncolumns++] = f;
}

static void add_computed(struct category *c, const char *name)
{
    size_t n = ncomputed(c);
    for (size_t i = 0; i < n; i++)
        if (strcmp(c->computed[i], name) == 0)
            return;
    if (c->ncolumns + n == CATALOG_MAX_COLUMNS)
        fail(c, "has too many columns", NULL);
    c->computed[n] = name;
}

#define SQL_MAX 16384

/* Appends to b; the SQL is built once, from the tables, so a statement past SQL_MAX is a programmer's error. */
static void sql_vadd(struct buf *b, const char *fmt, va_list ap) PRINTF_LIKE(2, 0);
static void sql_vadd(struct buf *b, const char *fmt, va_list ap)
{
    if (buf_vprintf(b, fmt, ap)) {
        log_error("catalog: an SQL statement would be longer than %d bytes", SQL_MAX);
        abort();
    }
}

static void sql_add(struct buf *b, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void sql_add(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sql_vadd(b, fmt, ap);
    va_end(ap);
}

/* The text of b, which the caller now owns ("" when nothing was added). */
static char *sql_take(struct buf *b)
{
    return b->data ? b->data : xstrdup("");
}

/* One whole statement; caller frees. */
static char *sqlf(const char *fmt, ...) PRINTF_LIKE(1, 2);
static char *sqlf(const char *fmt, ...)
{
    struct buf b;
    va_list ap;

    buf_init(&b, SQL_MAX);
    va_start(ap, fmt);
    sql_vadd(&b, fmt, ap);
    va_end(ap);
    return sql_take(&b);
}

/* "a<each>, b<each>, ..." over the config columns then the computed ones; caller frees. */
static char *join(const struct category *c, const char *each)
{
    struct buf b;

    buf_init(&b, SQL_MAX);
    for (size_t i = 0; i < c->ncolumns; i++)
        sql_add(&b, "%s%s%s", i ? ", " : "", c->columns[i]->name, each);
    for (const char *const *x = c->computed; *x; x++)
        sql_add(&b, ", %s%s", *x, each);
    return sql_take(&b);
}

/* The bookkeeping columns every category table starts with, in the order the SELECTs return them. */
#define BOOKKEEPING                                                                                                                \
    "id, tenantId, %s, verificationStatus, lastVerifiedAt, lastVerificationError, configuredByAccountId, createdAt, updatedAt, "   \
    "secretsSavedAt"

static void build_sql(struct category *c)
{
    char *cols = join(c, ""), *sets = join(c, " = ?"), *params;
    char *book = sqlf(BOOKKEEPING, c->type_column);
    size_t n = c->ncolumns + ncomputed(c);
    struct buf b;

    buf_init(&b, SQL_MAX);
    for (size_t i = 0; i < n; i++) /* one "?" per column */
        sql_add(&b, "%s", i ? ", ?" : "?");
    params = sql_take(&b);
    c->sql_insert = sqlf("INSERT INTO %s (id, tenantId, %s, verificationStatus, configuredByAccountId, createdAt, updatedAt, "
                         "secretsSavedAt, %s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, %s)",
                         c->table, c->type_column, cols, params);
    c->sql_update = sqlf("UPDATE %s SET verificationStatus = ?, lastVerificationError = ?, updatedAt = ?, secretsSavedAt = ?, %s "
                         "WHERE tenantId = ? AND id = ?",
                         c->table, sets);
    c->sql_select = sqlf("SELECT %s, %s FROM %s WHERE tenantId = ? AND id = ?", book, cols, c->table);
    c->sql_list = sqlf("SELECT %s, %s FROM %s WHERE tenantId = ? AND (createdAt <= ? AND (createdAt < ? OR id < ?)) "
                       "ORDER BY createdAt DESC, id DESC LIMIT ?",
                       book, cols, c->table);
    c->sql_delete = sqlf("DELETE FROM %s WHERE tenantId = ? AND id = ?", c->table);
    c->sql_status = sqlf("SELECT verificationStatus, %s FROM %s WHERE tenantId = ? AND id = ?", c->type_column, c->table);
    c->sql_verdict = sqlf("UPDATE %s SET verificationStatus = ?, lastVerifiedAt = ?, lastVerificationError = ? "
                          "WHERE tenantId = ? AND id = ?",
                          c->table);
    c->sql_overdue = sqlf("SELECT id, tenantId, lastVerifiedAt FROM %s WHERE verificationStatus = ? AND lastVerifiedAt < ? "
                          "ORDER BY lastVerifiedAt LIMIT ?",
                          c->table);
    c->sql_ids = sqlf("SELECT id FROM %s WHERE tenantId = ? ORDER BY createdAt, id", c->table);
    for (size_t i = 0; i < c->ncolumns; i++) {
        const char *col = c->columns[i]->name;
        if (!c->columns[i]->secret)
            continue;
        /* "v1.<keyId>." names the key a secret is under (see crypto/secret.h). */
        c->sql_key_ids[i] = sqlf("SELECT DISTINCT SUBSTR(%s, 1, 12) FROM %s WHERE %s IS NOT NULL", col, c->table, col);
        c->sql_secret_page[i] = sqlf("SELECT id, tenantId, %s FROM %s WHERE %s IS NOT NULL AND SUBSTR(%s, 1, 12) <> ? AND id > ? "
                                     "ORDER BY id LIMIT ?",
                                     col, c->table, col, col);
        c->sql_secret_swap[i] = sqlf("UPDATE %s SET %s = ? WHERE id = ? AND %s = ?", c->table, col, col);
        c->sql_secret_current[i] = sqlf("SELECT COUNT(*) FROM %s WHERE SUBSTR(%s, 1, 12) = ?", c->table, col);
    }
    free(cols);
    free(params);
    free(sets);
    free(book);
}

void catalog_init(void)
{
    static bool done;
    const struct provider *p;

    if (done)
        return;
    done = true;
    provider_registry_init();
    for (size_t i = 0; (p = provider_at(i)); i++) {
        struct category *c = &categories[p->category];
        for (size_t j = 0; j < p->schema.count; j++)
            add_column(c, &p->schema.fields[j]);
        for (const char *const *x = p->computed; x && *x; x++)
            add_computed(c, *x);
    }
    for (size_t i = 0; i < CAT__COUNT; i++)
        build_sql(&categories[i]);
}

const struct category *category_by_slug(const char *slug)
{
    for (size_t i = 0; i < CAT__COUNT; i++)
        if (strcmp(categories[i].slug, slug) == 0)
            return &categories[i];
    return NULL;
}

const struct category *category_get(enum category_id id)
{
    return &categories[id];
}

json_t *catalog_describe(void)
{
    json_t *items = json_array();
    const struct provider *p;

    for (size_t i = 0; (p = provider_at(i)); i++) {
        json_t *fields;
        if (!provider_enabled(p))
            continue;
        fields = json_array();
        for (size_t j = 0; j < p->schema.count; j++)
            json_array_append_new(fields, schema_field_json(&p->schema.fields[j]));
        json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:o}", "type", p->type, "category", categories[p->category].slug,
                                               "displayName", p->display, "fields", fields));
    }
    return json_pack("{s:o}", "items", items);
}
