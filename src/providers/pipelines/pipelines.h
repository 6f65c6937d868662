/* pipelines.h: the fields every CI/CD pipeline type has (its SCM connection and target, platform, timeouts, variables). */
#ifndef SLIPWAY_PROVIDER_PIPELINES_H
#define SLIPWAY_PROVIDER_PIPELINES_H

#include "http/schema.h"
#include "providers/call.h"

extern const struct field pipeline_common_fields[];
extern const size_t pipeline_common_count;

/*
 * The trigger and status ops of every CI (docs/releases.md, "Builds"): one
 * machine, the provider's requests and answer shapes in a struct ci_api.
 *
 * A trigger reads before it writes: it lists the pipeline's recent runs on
 * the ref and looks for the one that carries the call's correlation id
 * (input "correlationId", else "idempotencyKey"), passed to the run as the
 * parameter slipway_build_id (GitHub Actions shows it in the run name,
 * GitLab in the pipeline name, Jenkins and CircleCI as a parameter); only
 * when none does it triggers, then reads again until the run is listed.
 * A trigger is saved as being sent (with input "attempt", the caller's run
 * of its step) before it is sent: a call resumed from its saved state by a
 * later attempt (the process died) lists again before it triggers, so a
 * run the dead process started is found instead of started twice (where
 * the CI lists a run at once: GitLab, CircleCI; docs/releases.md).
 * Input {"ref", "parameters": {...}, "correlationId"?, "noTrigger"?, "attempt"?};
 * output {"runId", "number", "url", "status", "triggered"?: true when this
 * call sent the trigger}; a run triggered but not listed yet ends without a
 * verdict and output {"triggered": true}, and the caller asks again with
 * "noTrigger" (a second trigger is never sent).
 */
#define CI_CORRELATION "slipway_build_id"

/* The trigger's steps (a provider may add a request of its own before one: Jenkins' crumb). */
enum ci_step { CI_LIST, CI_TRIGGER, CI_LOOK, CI_FOLLOW };

/* One run, as read from an answer. */
struct ci_run {
    char id[256], url[1024], status[16];
    json_int_t number;
};

struct ci_api {
    void (*list)(struct provider_call *c);                    /* the recent runs on input.ref */
    const json_t *(*runs)(const json_t *answer);              /* the list's array of runs */
    bool (*ours)(const json_t *run, const char *correlation); /* the run carries the correlation id */
    void (*trigger)(struct provider_call *c);                 /* starts a run (ci_parameters) */
    bool (*triggered)(const struct provider_call *c, const json_t *answer,
                      struct ci_run *run); /* the trigger's answer names the run (else: list again) */
    /* method <the project's API>/<rest>, and where one run is under it (<run_path><run id>: for status) */
    void (*send)(struct provider_call *c, const char *method, const char *rest, const char *body);
    const char *run_path;
    /* a run (in a list or alone) read; false: not a run */
    bool (*run)(const struct provider_call *c, const json_t *answer, struct ci_run *run);
    void (*read)(struct provider_call *c, const char *run_id); /* one run, for status, where run_path cannot say (or NULL) */
    /*
     * Where what the trigger finds is not the run to follow (CircleCI: a
     * pipeline, whose workflow is the run), or NULL: follow asks for it by
     * the found one's id, followed reads the answer (false: not there yet,
     * asked again up to 3 times, then the call ends as a run not listed).
     */
    void (*follow)(struct provider_call *c, const char *found_id);
    bool (*followed)(const struct provider_call *c, const json_t *answer, struct ci_run *run);
    /* cancel: POST <run_path><run id><cancel_path>, or cancel() where that cannot say */
    const char *cancel_path;
    void (*cancel)(struct provider_call *c, const char *run_id);
};

void ci_trigger_step(struct provider_call *c, const struct outbound_response *res, const struct ci_api *api);
void ci_status_step(struct provider_call *c, const struct outbound_response *res, const struct ci_api *api);
/* Input {"runId"}; output {"runId"}. A run already ended (the CI answers 409, or a redirect: Jenkins) is done too. */
void ci_cancel_step(struct provider_call *c, const struct outbound_response *res, const struct ci_api *api);

/* The correlation id of the call. */
const char *ci_correlation(const struct provider_call *c);
/* input.parameters with every value as text (numbers written out, others dropped), and slipway_build_id. Caller owns. */
json_t *ci_parameters(const struct provider_call *c);
/* A JSON text's value copied into out (n bytes): a string, or an integer written out; "" otherwise. */
void ci_text(const json_t *v, char *out, size_t n);
/* {"ref": input.ref, key: value (stolen)} as JSON text: a trigger's body. Caller frees. */
char *ci_body(const struct provider_call *c, const char *key, json_t *value);
/* "queued" | "running" | "succeeded" | "failed" | "cancelled" for value in map (from -> status rows, NULL-ended); NULL unknown. */
struct ci_state {
    const char *from, *status;
};
const char *ci_state(const struct ci_state *map, const char *value);

/*
 * Job discovery (ci_list_jobs; docs/deployments.md "CI/CD jobs"). Each job
 * the provider lists is {"id" (the provider's: Jenkins' job path, a
 * workflow's file, "pipeline"), "name", "path"?, "url"?, "description"?,
 * "parameters": [{"name", "type": "string"|"boolean"|"choice"|"number",
 * "default"?: text, "choices"?: [text], "description"?, "required"?}]}.
 */
#define CI_JOBS_MAX 500   /* jobs one discovery keeps; past it the listing is cut and says so */
#define CI_PARAMS_MAX 100 /* parameters a job keeps */

/* A parameter definition as above (type one of the four; default and choices written out as text). Caller owns. */
json_t *ci_param(const char *name, const char *type, const json_t *def, const json_t *choices, const char *description,
                 bool required);
/* A job as above, parameters stolen. Caller owns. */
json_t *ci_job(const char *id, const char *name, const char *path, const char *url, const char *description, json_t *parameters);
/*
 * A YAML text (a workflow, .gitlab-ci.yml, CircleCI's config) as JSON: mappings as objects (keys as written:
 * "on" stays "on"), sequences as arrays, every scalar as a string. At most 20000 nodes, 64 deep (an alias
 * bomb, a deep nesting: NULL). Its first document only; NULL when it is not YAML. Caller owns.
 */
json_t *ci_yaml(const char *text, size_t len);
/* The YAML file of a contents answer ({"content": base64, lines wrapped}: GitHub's, GitLab's) as ci_yaml. Caller owns. */
json_t *ci_yaml_content(const json_t *answer);
/* "true" or "false" for a YAML boolean's spellings (true/false, yes/no, on/off, any case), else NULL. */
const char *ci_yaml_bool(const char *scalar);

#endif
