#include "providers/pipelines/pipelines.h"

#include "providers/fields.h"

static const char *check_env(json_t *j)
{
    const char *key;
    json_t *v;
    if (json_object_size(j) > 50)
        return "must hold at most 50 variables";
    json_object_foreach(j, key, v)
    {
        if (!json_is_string(v) || json_string_length(v) > 4096 || !key[0] || (key[0] >= '0' && key[0] <= '9') ||
            strlen(key) > 128 || !fields_all_chars(key, "_", true, true, true))
            return "must map variable names ([A-Za-z_][A-Za-z0-9_]*) to strings of at most 4096 characters";
    }
    return NULL;
}

const struct field pipeline_common_fields[] = {
    FMT("scmIntegrationId", true, 36, check_uuid, "uuid"),
    FMT("targetIntegrationId", true, 36, check_uuid, "uuid"),
    STR("description", false, 0, 2000, .check = check_printable_text),
    ONE_OF("platform", false, fields_platforms),
    BOOL("triggerOnRelease", .def = "true"),
    INT("buildTimeout", false, 60, 86400, .def = "3600"),
    OBJECT("environmentVariables", check_env, "string map"),
};
const size_t pipeline_common_count = ARRAY_LEN(pipeline_common_fields);

/* ---- trigger and status (pipelines.h) ---- */

const char *ci_correlation(const struct provider_call *c)
{
    const char *s = json_string_value(json_object_get(c->input, "correlationId"));
    if (!s)
        s = json_string_value(json_object_get(c->input, "idempotencyKey"));
    return s ? s : "";
}

void ci_text(const json_t *v, char *out, size_t n)
{
    if (json_is_string(v))
        snprintf(out, n, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(out, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else
        out[0] = '\0';
}

json_t *ci_parameters(const struct provider_call *c)
{
    json_t *out = json_object(), *v;
    const char *key;
    char text[4096];

    json_object_foreach(json_object_get(c->input, "parameters"), key, v)
    {
        ci_text(v, text, sizeof text);
        if (json_is_string(v) || json_is_integer(v))
            json_object_set_new(out, key, json_string(text));
    }
    json_object_set_new(out, CI_CORRELATION, json_string(ci_correlation(c)));
    return out;
}

char *ci_body(const struct provider_call *c, const char *key, json_t *value)
{
    json_t *body = json_pack("{s:s?, s:o}", "ref", json_string_value(json_object_get(c->input, "ref")), key, value);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    return text;
}

const char *ci_state(const struct ci_state *map, const char *value)
{
    for (; value && map->from; map++)
        if (strcmp(map->from, value) == 0)
            return map->status;
    return NULL;
}

static void run_out(struct provider_call *c, const struct ci_run *run)
{
    json_object_set_new(c->output, "runId", json_string(run->id));
    json_object_set_new(c->output, "number", json_integer(run->number));
    json_object_set_new(c->output, "url", json_string(run->url));
    json_object_set_new(c->output, "status", json_string(run->status[0] ? run->status : "queued"));
}

static bool ci_ended(const char *status)
{
    return strcmp(status, "succeeded") == 0 || strcmp(status, "failed") == 0 || strcmp(status, "cancelled") == 0;
}

#define CI_LOOKS 3 /* lists after a trigger before the call ends without a verdict (the caller asks again later) */

/* The run of the list that carries the correlation id, into run; false when none does. */
static bool find_ours(const struct provider_call *c, const struct ci_api *api, const json_t *answer, const char *corr,
                      struct ci_run *run)
{
    const json_t *runs = api->runs(answer), *r;
    size_t i;

    json_array_foreach(runs, i, r)
    {
        memset(run, 0, sizeof *run);
        if (api->ours(r, corr) && api->run(c, r, run))
            return true;
    }
    return false;
}

void ci_trigger_step(struct provider_call *c, const struct outbound_response *res, const struct ci_api *api)
{
    const char *ref = json_string_value(json_object_get(c->input, "ref")), *corr = ci_correlation(c);
    char rejected[200], missing[300];
    struct ci_run run;
    json_t *j;
    bool found;

    if (!ref || !ref[0] || !corr[0]) {
        provider_finish(c, VERDICT_INVALID, "a build needs a ref and a correlation id");
        return;
    }
    if (!res) {
        json_int_t mine = json_integer_value(json_object_get(c->input, "attempt")) + 1, sending = provider_data_int(c, "sending");
        if (c->state.step == CI_TRIGGER && !sending) { /* saved before it is sent: a crash from here on lists first */
            json_object_set_new(c->state.data, "sending", json_integer(mine));
            provider_next(c, CI_TRIGGER);
        } else if (c->state.step == CI_TRIGGER && sending != mine) { /* an earlier run of the step may have sent it */
            json_object_set_new(c->state.data, "sending", json_integer(0));
            provider_next(c, CI_LIST);
        } else if (c->state.step == CI_TRIGGER)
            api->trigger(c);
        else if (c->state.step == CI_FOLLOW)
            api->follow(c, provider_data_text(c, "found"));
        else
            api->list(c);
        return;
    }
    snprintf(rejected, sizeof rejected, "%s rejected the credentials for this pipeline", c->prov->display);
    snprintf(missing, sizeof missing, "%s answered 404: the pipeline or project is not there, or the credentials cannot see it",
             c->prov->display);
    if (provider_failed(c, res, rejected, missing))
        return;
    if (c->state.step == CI_TRIGGER && !api->triggered) { /* an answer without the run (GitHub: 204) */
        provider_next(c, CI_LOOK);
        return;
    }
    if (!(j = provider_answer_json(c, res)))
        return;
    memset(&run, 0, sizeof run);
    if (c->state.step == CI_FOLLOW)
        found = api->followed(c, j, &run);
    else if (c->state.step == CI_TRIGGER)
        found = api->triggered(c, j, &run);
    else
        found = find_ours(c, api, j, corr, &run);
    json_decref(j);
    if (found && api->follow && c->state.step != CI_FOLLOW && !ci_ended(run.status)) {
        json_object_set_new(c->state.data, "found", json_string(run.id)); /* on to the run it holds */
        provider_next(c, CI_FOLLOW);
    } else if (found) {
        run_out(c, &run);
        if (provider_data_int(c, "sending")) /* this call sent the trigger: the caller counts one build triggered */
            json_object_set_new(c->output, "triggered", json_true());
        if (c->state.step == CI_TRIGGER)
            provider_finish(c, VERDICT_VALID, "%s started run %s on %s", c->prov->display, run.id, ref);
        else
            provider_finish(c, VERDICT_VALID, "%s run %s on %s is this build's", c->prov->display, run.id, ref);
    } else if (c->state.step == CI_TRIGGER) {
        provider_next(c, CI_LOOK);
    } else if (c->state.step == CI_LIST && !provider_input_true(c, "noTrigger")) {
        provider_next(c, CI_TRIGGER);
    } else if (c->state.step != CI_LIST && provider_data_int(c, "looks") + 1 < CI_LOOKS) {
        json_object_set_new(c->state.data, "looks", json_integer(provider_data_int(c, "looks") + 1));
        provider_next(c, c->state.step);
    } else {
        json_object_set_new(c->output, "triggered", json_true());
        provider_finish(c, VERDICT_NONE, "%s has not listed the run of this build on %s yet; slipway looks again later",
                        c->prov->display, ref);
    }
}

/* provider_failed for an answer about run id (status, cancel). */
static bool run_failed(struct provider_call *c, const struct outbound_response *res, const char *id)
{
    char rejected[200], missing[600];
    snprintf(rejected, sizeof rejected, "%s rejected the credentials for this pipeline", c->prov->display);
    snprintf(missing, sizeof missing, "%s has no run %s (deleted, or the credentials cannot see it)", c->prov->display, id);
    return provider_failed(c, res, rejected, missing);
}

void ci_status_step(struct provider_call *c, const struct outbound_response *res, const struct ci_api *api)
{
    const char *id = json_string_value(json_object_get(c->input, "runId"));
    struct ci_run run;
    json_t *j;
    bool ok;

    if (!id || !id[0]) {
        provider_finish(c, VERDICT_INVALID, "no run to read");
        return;
    }
    if (!res) {
        char rest[600], e[512];
        if (api->read) {
            api->read(c, id);
            return;
        }
        snprintf(rest, sizeof rest, "%s%s", api->run_path, provider_escape(id, e, sizeof e));
        api->send(c, "GET", rest, NULL);
        return;
    }
    if (run_failed(c, res, id) || !(j = provider_answer_json(c, res)))
        return;
    memset(&run, 0, sizeof run);
    ok = api->run(c, j, &run) && run.status[0];
    json_decref(j);
    if (!ok) {
        provider_finish(c, VERDICT_NONE, "%s answered about run %s without a state it names; try again later", c->prov->display,
                        id);
        return;
    }
    run_out(c, &run);
    provider_finish(c, VERDICT_VALID, "%s run %s is %s", c->prov->display, run.id, run.status);
}

void ci_cancel_step(struct provider_call *c, const struct outbound_response *res, const struct ci_api *api)
{
    const char *id = json_string_value(json_object_get(c->input, "runId"));

    if (!id || !id[0]) {
        provider_finish(c, VERDICT_INVALID, "no run to cancel");
        return;
    }
    if (!res) {
        char rest[700], e[512];
        if (api->cancel) {
            api->cancel(c, id);
            return;
        }
        snprintf(rest, sizeof rest, "%s%s%s", api->run_path, provider_escape(id, e, sizeof e), api->cancel_path);
        api->send(c, "POST", rest, "{}");
        return;
    }
    if (provider_unanswered(c, res))
        return;
    json_object_set_new(c->output, "runId", json_string(id));
    if (res->status == 409 || (res->status >= 300 && res->status < 400)) {
        provider_finish(c, VERDICT_VALID, "%s run %s is cancelled, or had ended already", c->prov->display, id);
        return;
    }
    if (!run_failed(c, res, id))
        provider_finish(c, VERDICT_VALID, "%s cancels run %s", c->prov->display, id);
}

/* ---- job discovery (pipelines.h) ---- */

/* A default or a choice as text: a string, a number or a boolean written out; NULL for anything else. */
static json_t *param_text(const json_t *v)
{
    char text[64];
    if (json_is_string(v))
        return json_string(json_string_value(v));
    if (json_is_boolean(v))
        return json_string(json_is_true(v) ? "true" : "false");
    if (json_is_integer(v) || json_is_real(v)) {
        snprintf(text, sizeof text, "%.17g", json_number_value(v));
        return json_string(text);
    }
    return NULL;
}

json_t *ci_param(const char *name, const char *type, const json_t *def, const json_t *choices, const char *description,
                 bool required)
{
    json_t *p = json_pack("{s:s, s:s, s:b}", "name", name, "type", type, "required", required), *list, *v;
    const json_t *choice;
    size_t i;

    if ((v = param_text(def)))
        json_object_set_new(p, "default", v);
    if (description && description[0])
        json_object_set_new(p, "description", json_string(description));
    if (strcmp(type, "choice") == 0) {
        list = json_array();
        json_array_foreach(choices, i, choice) if ((v = param_text(choice))) json_array_append_new(list, v);
        json_object_set_new(p, "choices", list);
    }
    return p;
}

json_t *ci_job(const char *id, const char *name, const char *path, const char *url, const char *description, json_t *parameters)
{
    json_t *job = json_pack("{s:s, s:s, s:o}", "id", id, "name", name, "parameters", parameters ? parameters : json_array());
    if (path && path[0])
        json_object_set_new(job, "path", json_string(path));
    if (url && url[0])
        json_object_set_new(job, "url", json_string(url));
    if (description && description[0])
        json_object_set_new(job, "description", json_string(description));
    return job;
}
