/* cicd_http.c: the tenant's discovered CI/CD jobs (every member reads) and a discovery on demand (editors). */
#include "deploy/cicd_http.h"

#include "deploy/cicd.h"
#include "core/rand.h"
#include "deploy/listing.h"
#include "http/page.h"
#include "jobs/jobs.h"
#include "providers/fields.h"
#include "tenancy/audit.h"
#include "tenancy/tenancy_http.h"

static struct jobs *jobs;

void cicd_http_start(struct jobs *q)
{
    jobs = q;
}

static const struct field cicd_discover_fields[] = {FMT("integrationId", true, 36, check_uuid, "uuid")};
const struct schema cicd_discover_schema = {
    .name = "cicd_discover_schema", .fields = cicd_discover_fields, .count = ARRAY_LEN(cicd_discover_fields)};

static json_t *job_row(struct store_stmt *st)
{
    json_t *params = json_loads(store_col_text(st, 8), 0, NULL);
    return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:s, s:o, s:s, s:s}", "id", store_col_text(st, 0), "integrationId",
                     store_col_text(st, 1), "externalId", store_col_text(st, 2), "name", store_col_text(st, 3), "path",
                     json_text_or_null(store_col_text(st, 4)), "url", json_text_or_null(store_col_text(st, 5)), "description",
                     json_text_or_null(store_col_text(st, 6)), "parameters", params ? params : json_array(), "discoveredAt",
                     store_col_text(st, 7), "removedAt", json_text_or_null(store_col_text(st, 9)), "createdAt",
                     store_col_text(st, 10), "updatedAt", store_col_text(st, 11));
}

/* Each integration's discovery state, for the list's answer. */
static const struct listing_states discovery_states = {
    .sql = "SELECT id, pipelineType, displayName, discoveryStatus, lastDiscoveredAt, lastDiscoveryError FROM "
           "tenant_pipeline_integrations WHERE tenantId = ? ORDER BY displayName, id",
    .keys = {"discoveryStatus", "lastDiscoveredAt", "lastDiscoveryError"}};

enum err_code cicd_jobs_list(struct request *req, struct err *err)
{
    const char *tenant = principal_of(req)->tenant_id, *integration = request_query(req, "integrationId");
    struct store_conn *c;
    struct store_stmt *st;
    struct page p;
    json_t *states, *items, *answer;

    if (integration && !uuid_valid(integration))
        return err_set(err, ERR_INVALID, "integrationId: expected a uuid");
    if (page_parse(req, &p, err) || request_db(req, &c, err))
        return err->code;
    states = listing_states(c, &discovery_states, tenant, err); /* first: see listing_states */
    if (err->code) {
        json_decref(states);
        return err->code;
    }
    items = json_array();
    if (store_select(c,
                     "SELECT id, integrationId, externalId, name, path, url, description, discoveredAt, parameters, removedAt, "
                     "createdAt, updatedAt FROM cicd_jobs WHERE tenantId = ? AND integrationId = COALESCE(?, integrationId) AND "
                     "(createdAt <= ? AND (createdAt < ? OR id < ?)) ORDER BY createdAt DESC, id DESC LIMIT ?",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(integration), PAGE_ARGS(&p)), &st, err) == ERR_OK) {
        while (store_next(st, err) == 1 && page_take(&p, store_col_text(st, 10), store_col_text(st, 0)))
            json_array_append_new(items, job_row(st));
        store_finish(st);
    }
    if (err->code) {
        json_decref(states);
        json_decref(items);
        return err->code;
    }
    answer = page_result(req, &p, items);
    json_object_set_new(answer, "integrations", states);
    response_json(req, 200, answer);
    return ERR_OK;
}

struct discover_tx {
    struct request *req;
    char job[UUID_SIZE];
};

static enum err_code discover_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct discover_tx *t = ctx;
    const char *integration = json_string_value(json_object_get(t->req->body, "integrationId"));

    if (!cicd_discover_start(c, jobs, principal_of(t->req)->tenant_id, integration, t->job, err)) /* another tenant's: 404 */
        audit_write(c, t->req,
                    &(struct audit_event){.action = "cicd_jobs.discover",
                                          .target_type = "pipeline_integration",
                                          .target_id = integration,
                                          .details = t->req->body},
                    err);
    return err->code;
}

enum err_code cicd_jobs_discover(struct request *req, struct err *err)
{
    struct discover_tx t = {.req = req};
    struct store_conn *c;

    if (request_db(req, &c, err) || store_tx(c, discover_body, &t, err))
        return err->code;
    jobs_nudge(jobs);
    response_json(req, 202, json_pack("{s:[s]}", "jobIds", t.job));
    return ERR_OK;
}
