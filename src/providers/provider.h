/*
 * provider.h: what a provider is, and what it can do.
 *
 * curl keeps what a protocol is (struct Curl_scheme: name, port, flags)
 * apart from what it does (struct Curl_protocol: setup, do, done, each
 * optional), and lists the schemes in one registry above one file per
 * protocol. A provider here is shaped the same way: struct provider is its
 * data (type, category, display name, fields, feature flag, where its API
 * is and how long to wait for it, capabilities), struct provider_ops its
 * behaviour (verify and the actions, each may be NULL), both defined in its
 * own file, src/providers/<category>/<name>.c, and listed by one line in
 * registry.c. Generic code (the catalog, validation, masking, the clients'
 * forms, verification) walks the registry and never names a provider;
 * docs/internals/providers.md tells how to add one.
 *
 * Every op but the inbound-webhook ones is a step function: one resumable
 * step machine (input, state, output) that call.h's driver runs on the
 * outbound loop, so its state can be saved between steps (call.h).
 */
#ifndef SLIPWAY_PROVIDER_H
#define SLIPWAY_PROVIDER_H

#include <jansson.h>
#include <stdint.h>

#include "http/schema.h"
#include "outbound/outbound.h"

/* Document 002's typed tables, plus test management and code signing. */
enum category_id {
    CAT_SCM,
    CAT_TARGETS,
    CAT_PIPELINES,
    CAT_COMMUNICATION,
    CAT_TICKETS,
    CAT_TEST_MANAGEMENT,
    CAT_CODE_SIGNING,
    CAT_MONITORING, /* crash reporting: a release's health (src/providers/monitoring, docs/stores.md) */
    CAT__COUNT
};

/*
 * A process-wide setting of providers: a base URL, a timeout, a call
 * budget. Its environment variable is read once, at start-up, with the
 * rest of the configuration (registry.c hands every setting to
 * config_register; `slipway help` lists them); the value is written then,
 * before any thread starts, and only read afterwards. Several providers may
 * share one (GitHub Actions calls GitHub's API; Play and Firebase, Google's
 * token endpoint).
 */
enum provider_setting_kind {
    SETTING_TEXT,    /* text: a base URL (self-hosted providers take theirs from the integration instead), a list */
    SETTING_MS,      /* number: a timeout, 100 ms to 10 minutes */
    SETTING_PER_HOUR /* number: calls an hour */
};

#define PROVIDER_SETTING_TEXT 512

struct provider_setting {
    const char *env; /* SLIPWAY_GITHUB_API_URL */
    const char *def; /* its default, as text */
    const char *help;
    enum provider_setting_kind kind;
    char text[PROVIDER_SETTING_TEXT]; /* the value of a text setting */
    int number;                       /* the value of the others */
};

struct provider_call;
struct provider;

/*
 * A step of a provider call (call.h): with res NULL it sends the request
 * of the call's current step (the first run, or a resume from a saved
 * state), or ends the call; with res, it reads the answer to that request
 * and goes on (provider_next) or ends (provider_finish).
 */
typedef void (*provider_step_fn)(struct provider_call *c, const struct outbound_response *res);

/* An inbound webhook, as it arrived (for the webhook ops). */
struct provider_inbound {
    const char *(*header)(const void *req, const char *name); /* a request header's value, or NULL */
    const void *req;
    const char *body; /* the raw body, exactly as received (signatures cover it) */
    size_t len;
    const char *secret; /* the integration's webhook secret (plaintext, for the check only; never kept), or NULL */
    int64_t now;        /* seconds since the epoch: a provider whose signed payload carries a time checks the window */
    /* secret's HMAC-SHA256 key set up before (src/integrations/webhooks.c keeps one per integration), or NULL */
    const struct hmac_key *mac;
    /*
     * Where a check that found an HMAC signature valid writes it (PROVIDER_DIGEST_SIZE bytes, lower-case hex), or NULL:
     * the body's digest under the secret, the same for the same bytes, which recognises a copy before its body is read
     * (src/integrations/webhooks_http.c). Left as it is by a check that fails, or signs otherwise.
     */
    char *digest;
};

/* An HMAC-SHA256 in hex, NUL included. */
#define PROVIDER_DIGEST_SIZE 65

/* One answer for every delivery refused as unsigned: a caller learns nothing of which hooks exist, or of why. */
#define PROVIDER_WEBHOOK_REFUSED "the delivery's signature is missing, does not match, or is too old"

/* How far a signed time may be from now, either way, before a delivery is refused as a replay. */
#define PROVIDER_REPLAY_WINDOW_S 300

/* What an inbound event is about. */
enum provider_event_kind {
    EVENT_OTHER, /* accepted and recorded, nothing waits for it (a ping, an event slipway does not use) */
    EVENT_PUSH,  /* commits pushed to a branch */
    EVENT_TAG,   /* a tag pushed */
    EVENT_BUILD, /* a CI run changed state */
    EVENT_STORE, /* a store's resource changed state (App Store Connect: a version's review, a build processed) */
};

/* "other", "push", "tag", "build", "store". */
const char *provider_event_kind_name(enum provider_event_kind kind);
/* The kind that name names (EVENT_OTHER for none). */
enum provider_event_kind provider_event_kind_by_name(const char *name);

/*
 * An inbound event, normalised (webhook_parse). Each text is "" where the
 * event has none; a value longer than its field makes the event unreadable
 * (never cut).
 */
struct provider_event {
    char delivery[256]; /* the provider's id of this delivery: what a retry or a replay repeats */
    enum provider_event_kind kind;
    char run_id[256];    /* build: the provider's id of the run; store: the id of the resource that changed */
    char status[16];     /* build: "queued", "running" or "completed" */
    char conclusion[16]; /* build, completed: "succeeded", "failed" or "cancelled" */
    char ref[256];       /* the branch or tag, without refs/heads/ or refs/tags/ */
    char sha[64];        /* the commit */
    char url[1024];      /* where a person sees it at the provider */
};

/*
 * Capabilities: one bit per op (64-bit: more than an enum, which C11 holds
 * to int, can carry). A provider declares the ops it has
 * (struct provider.caps); a unit test holds every declaration against the
 * ops that are not NULL (PROVIDER_OPS below).
 */
#define CAP_VERIFY (UINT64_C(1) << 0)
#define CAP_SCM_RESOLVE_REF (UINT64_C(1) << 1)
#define CAP_SCM_CREATE_BRANCH (UINT64_C(1) << 2)
#define CAP_SCM_CREATE_TAG (UINT64_C(1) << 3)
#define CAP_SCM_COMPARE (UINT64_C(1) << 4)
#define CAP_SCM_CREATE_RELEASE (UINT64_C(1) << 5)
#define CAP_CI_TRIGGER (UINT64_C(1) << 6)
#define CAP_CI_STATUS (UINT64_C(1) << 7)
#define CAP_CI_CANCEL (UINT64_C(1) << 8)
#define CAP_CI_LIST_JOBS (UINT64_C(1) << 9)
#define CAP_STORE_FIND_BUILD (UINT64_C(1) << 10)
#define CAP_STORE_SUBMIT (UINT64_C(1) << 11)
#define CAP_STORE_SET_ROLLOUT (UINT64_C(1) << 12)
#define CAP_STORE_HALT (UINT64_C(1) << 13)
#define CAP_STORE_RESUME (UINT64_C(1) << 14)
#define CAP_STORE_COMPLETE (UINT64_C(1) << 15)
#define CAP_STORE_STATUS (UINT64_C(1) << 16)
#define CAP_CHAT_POST (UINT64_C(1) << 17)
#define CAP_CHAT_UPDATE (UINT64_C(1) << 18)
#define CAP_TICKETS_VERSION (UINT64_C(1) << 19)
#define CAP_TICKETS_LINK (UINT64_C(1) << 20)
#define CAP_TICKETS_TRANSITION (UINT64_C(1) << 21)
#define CAP_WEBHOOK_CHECK (UINT64_C(1) << 22)
#define CAP_WEBHOOK_PARSE (UINT64_C(1) << 23)
#define CAP_SCM_LIST_REPOS (UINT64_C(1) << 24)
#define CAP_TICKET_OPEN (UINT64_C(1) << 25)
#define CAP_TICKET_COMMENT (UINT64_C(1) << 26)
#define CAP_TICKET_CLOSE (UINT64_C(1) << 27)
#define CAP_SCM_REFRESH_TOKEN (UINT64_C(1) << 28)
#define CAP_MONITORING_HEALTH (UINT64_C(1) << 29)
#define CAP_TEST_RUN_OPEN (UINT64_C(1) << 30)
#define CAP_TEST_RUN_READ (UINT64_C(1) << 31)
#define CAP_STORE_WEBHOOK (UINT64_C(1) << 32)
#define CAP_CHAT_USER (UINT64_C(1) << 33)
#define CAP_LAST CAP_CHAT_USER /* the registry's check goes up to it */

/*
 * What a provider does. Each member may be NULL (the provider cannot).
 * Step functions take their input from the call (c->config, c->scm,
 * c->input), keep what later steps need in c->state, and leave their
 * result in c->verdict, c->message and c->output (call.h). For an action,
 * VERDICT_VALID is done; VERDICT_INVALID or VERDICT_EXPIRED, refused (a
 * retry will not help until the integration is fixed); VERDICT_NONE, not
 * answered: the caller may run it again, so an action is safe to repeat
 * (an idempotency key where the provider takes one, else read before
 * write). c->message says what happened, for a person, never with a
 * secret. The input and output named below are JSON objects.
 *
 * Declared now; the releases, stores, notifications and deployments work
 * fills the actions in, and may refine these contracts when it does.
 */
struct provider_ops {
    /*
     * Proves the credential with the provider's real API. Input:
     * {"sendTest": bool} (post a test message where the type can). Output:
     * facts for the answer (login, scopes, expiry, app name; never a
     * secret). Verdict: VALID, INVALID or EXPIRED; NONE when no answer a
     * verdict can rest on arrived (network, timeout, TLS, 5xx, 429).
     */
    provider_step_fn verify;

    /* ---- source control (c->config is the SCM connection) ---- */
    /* Input {"ref": branch, tag or commit}; output {"sha"}. An unknown ref is INVALID. */
    provider_step_fn scm_resolve_ref;
    /* Input {"name", "sha"}; output {"name", "sha"}. A branch of that name already at sha is done. */
    provider_step_fn scm_create_branch;
    /* Input {"name", "sha", "message"?}; output {"name", "sha"}. A tag of that name already at sha is done. */
    provider_step_fn scm_create_tag;
    /* Input {"base", "head"}; output {"commits": [{"sha", "message", "author"}], "truncated": bool}. */
    provider_step_fn scm_compare;
    /* Input {"tag", "name", "notes", "prerelease"?}; output {"id", "url"}. A release for the tag already there is done. */
    provider_step_fn scm_create_release;
    /*
     * One page of the repositories the token sees (docs/deployments.md "Repositories"). Input {"page"?: the URL
     * a previous page named as "next"; absent: the first}; output {"repositories": [{"id" (the provider's, as text),
     * "fullName", "defaultBranch", "private", "webUrl"}], "next"?: the next page's URL, always under the base URL}.
     */
    provider_step_fn scm_list_repos;
    /*
     * A new access token for the integration's refresh token (docs/deployments.md "OAuth tokens"; scm.h's
     * scm_refresh_step). Input {}; output {"expiresIn"?}; the tokens in c->state.secrets, never in the output.
     */
    provider_step_fn scm_refresh_token;

    /* ---- CI/CD (c->config is the pipeline, c->scm its SCM connection where it acts through one) ---- */
    /* Input {"ref", "parameters": {...}, "idempotencyKey"}; output {"runId", "url"}. */
    provider_step_fn ci_trigger;
    /* Input {"runId"}; output {"status": "queued"|"running"|"succeeded"|"failed"|"cancelled", "url", "artifacts"?}. */
    provider_step_fn ci_status;
    /* Input {"runId"}; output {}. A run already ended is done. */
    provider_step_fn ci_cancel;
    /* Input {"cursor"?}; output {"jobs": [pipelines.h's jobs, with their parameters], "cursor"?}: one page of the jobs it could
     * run. */
    provider_step_fn ci_list_jobs;

    /*
     * ---- app stores (c->config is the target; src/stores runs them, docs/stores.md) ----
     * The submission and rollout ops share one input: {"track", "versionCodes": [the build number], "releaseName",
     * "releaseNotes"?: {language: text}, "inAppUpdatePriority"?, "fraction"?: 0..1 (submit, set_rollout; 1 or
     * absent: everyone), "storeVersionId"? (the store's id of what was submitted)}, and one output: {"status" (the
     * store's word), "fraction"?, "editId"? (Play), "storeVersionId"?, "storeSubmissionId"? (App Store), "already"?:
     * bool (the store had it so: an earlier run's change whose answer was lost), "waiting"?: why (not ready: the build
     * is processing; done, ask again later)}. Each reads before it writes.
     */
    /* Input {"version", "buildNumber"}; output {"found": bool, "buildId"?, "state"?}: not found yet is done, not a failure. */
    provider_step_fn store_find_build;
    /* Sends the build to the store (Play: the track's release at fraction). */
    provider_step_fn store_submit;
    /* The staged rollout to fraction (only larger). */
    provider_step_fn store_set_rollout;
    /* The staged rollout stops where it is. */
    provider_step_fn store_halt;
    /* A halted rollout goes on at its fraction. */
    provider_step_fn store_resume;
    /* Released to everyone. */
    provider_step_fn store_complete;
    /* Input as above; output {"state"}: the store's word for the submission (App Store: the version's appStoreState). */
    provider_step_fn store_status;

    /* ---- chat (c->config is the communication integration) ---- */
    /*
     * Input {"channel", "text", "blocks"? (Slack's Block Kit), "threadId"? (a reply in that message's thread),
     * "card"? (Teams' Adaptive Card)}; output {"channel", "messageId"} where the provider answers them (a
     * webhook does not). Rate limited: verdict NONE with output {"retryAfter": seconds}.
     */
    provider_step_fn chat_post;
    /* Input {"channel" (the id chat_post answered), "messageId", "text", "blocks"?}; output as chat_post. */
    provider_step_fn chat_update;
    /*
     * The chat user an e-mail address is at, to mention them (src/notify/notify.c: a deployment's approvers).
     * Input {"email"}; output {"userId"} when the provider knows an active user of that address; VALID without
     * it when it knows none. INVALID: refused (the app may not read addresses, a revoked token); NONE: not
     * answered (with "retryAfter" when rate limited).
     */
    provider_step_fn chat_user;

    /* ---- tickets (c->config is the ticket integration) ---- */
    /* Input {"name", "releaseDate"?, "released"?}; output {"versionId"}: creates the version, or updates the one of that name. */
    provider_step_fn tickets_version;
    /*
     * Input {"version" (a name: the project's version of it, created when missing), "notes" (text naming issues: the
     * provider finds the keys it knows, tickets_issue_keys), "skip"?: [keys linked before: left alone], "released"?:
     * true, "releaseDate"? (YYYY-MM-DD)}; output
     * {"versionId", "linked": [keys], "missing": [keys]}. Each issue gets the
     * version among its fix versions (an issue that has it is unchanged; one that does not exist is missing); then,
     * with released, the version is marked released on releaseDate. Jira also takes "issueTransition", "moves" (text
     * naming the issues to move through it: after the release, or after the issues when not released, the caller
     * having found the version released already) and "claim" (a token new to each call); output "moved", "skipped".
     * Progress is saved per issue: a resumed call goes on.
     * Azure DevOps: the keys are "AB#123", and each work item gets the tag "release-{version}" (its tags kept).
     * Linear: the keys are the team's identifiers ("ENG-42"), and each issue gets the label "release-{version}".
     */
    provider_step_fn tickets_link;
    /* Input {"issues": [keys], "to": a status name}; output {"moved": [keys], "refused": [keys]}. */
    provider_step_fn tickets_transition;
    /*
     * A release's own ticket (src/notify/tickets.c, docs/notifications.md). Input {"label" (slipway's mark of the
     * release: the ticket that carries it is the release's), "summary", "description", "version"}; output {"key",
     * "url", "found": bool (an earlier run had opened it)}. Reads before it writes: a ticket with the label is
     * answered, not opened twice. Jira: the fix version, created if missing, on the issue.
     */
    provider_step_fn ticket_open;
    /* Input {"key", "id"? (Linear's issue id), "text"}; output {}. */
    provider_step_fn ticket_comment;
    /* Input {"key", "id"?, "transition"? (a name; absent: the provider's done)}; output {"status"}. */
    provider_step_fn ticket_close;

    /* ---- monitoring (c->config is the monitoring integration; src/stores/health.c, docs/stores.md) ---- */
    /*
     * A release's health. Input {"version" (the release's version string)}; output {"crashFreeSessions",
     * "crashFreeUsers": percentages 0..100, or null where the provider has no sessions of the version yet;
     * "errorCount": the errors the provider counts for the version (docs/stores.md), or null}.
     * VALID: read; NONE: not answered (the provider is down: no figure, never a breach); INVALID: refused.
     */
    provider_step_fn monitoring_health;

    /* ---- test management (c->config is the test-management integration; src/notify/testruns.c) ---- */
    /*
     * A release candidate's test run. Input {"name", "description", "createdAfter" (unix seconds: the search looks at
     * runs made since)}; output {"runId", "url", "name", "completed": bool, "passed", "failed", "blocked", "retest",
     * "untested", "other" (counts), "found": bool (an earlier run had opened it)}. Reads before it writes: a run of that
     * name is answered, not opened twice.
     */
    provider_step_fn test_run_open;
    /* Input {"runId"}; output as test_run_open's. An unknown run is INVALID. */
    provider_step_fn test_run_read;

    /*
     * ---- a store target's own webhook registered with the store (src/stores/hooks.c, docs/stores.md) ----
     * c->config carries "webhookSecret" (the target's signing secret, plaintext: wiped with the config). Input {"url"
     * (slipway's inbound URL of the target), "webhookId"? (the store's id of the one registered before), "delete"?: true};
     * output {"webhookId"} (absent after a delete). Registers the webhook, or updates the one the store has for that url
     * or id (never a second); delete removes it (one already gone is done). Reads before it writes, also after a crash.
     */
    provider_step_fn store_webhook;

    /* ---- inbound webhooks: synchronous, no network, on the request's thread ---- */
    /*
     * True when the request carries a valid signature over its raw body
     * under in->secret (the integration's webhook secret), compared in
     * constant time. Runs before anything else reads the body, and reads
     * none of it: a time the payload signs is the parse's to check.
     */
    bool (*webhook_check)(const struct provider_inbound *in);
    /*
     * Reads a checked delivery into ev (zeroed first): its delivery id
     * (required) and the event. ERR_INVALID when the body or a header it
     * needs is unreadable; an event the provider sends that slipway does
     * not use is EVENT_OTHER, not an error. Where the signed payload
     * carries a time, one that is not within PROVIDER_REPLAY_WINDOW_S of
     * in->now (or a body that cannot show one) is ERR_UNAUTHENTICATED,
     * PROVIDER_WEBHOOK_REFUSED, first: a replay. It runs once a copy of a
     * delivery recorded before has been answered (src/integrations/webhooks_http.c),
     * so a late copy is a duplicate, a late new delivery refused.
     */
    enum err_code (*webhook_parse)(const struct provider_inbound *in, struct provider_event *ev, struct err *err);
};

/* Every op with its capability, for the registry's check (X(cap, member)). */
#define PROVIDER_OPS(X)                                                                                                            \
    X(CAP_VERIFY, verify)                                                                                                          \
    X(CAP_SCM_RESOLVE_REF, scm_resolve_ref)                                                                                        \
    X(CAP_SCM_CREATE_BRANCH, scm_create_branch)                                                                                    \
    X(CAP_SCM_CREATE_TAG, scm_create_tag)                                                                                          \
    X(CAP_SCM_COMPARE, scm_compare)                                                                                                \
    X(CAP_SCM_CREATE_RELEASE, scm_create_release)                                                                                  \
    X(CAP_CI_TRIGGER, ci_trigger)                                                                                                  \
    X(CAP_CI_STATUS, ci_status)                                                                                                    \
    X(CAP_CI_CANCEL, ci_cancel)                                                                                                    \
    X(CAP_CI_LIST_JOBS, ci_list_jobs)                                                                                              \
    X(CAP_STORE_FIND_BUILD, store_find_build)                                                                                      \
    X(CAP_STORE_SUBMIT, store_submit)                                                                                              \
    X(CAP_STORE_SET_ROLLOUT, store_set_rollout)                                                                                    \
    X(CAP_STORE_HALT, store_halt)                                                                                                  \
    X(CAP_STORE_RESUME, store_resume)                                                                                              \
    X(CAP_STORE_COMPLETE, store_complete)                                                                                          \
    X(CAP_STORE_STATUS, store_status)                                                                                              \
    X(CAP_CHAT_POST, chat_post)                                                                                                    \
    X(CAP_CHAT_UPDATE, chat_update)                                                                                                \
    X(CAP_TICKETS_VERSION, tickets_version)                                                                                        \
    X(CAP_TICKETS_LINK, tickets_link)                                                                                              \
    X(CAP_TICKETS_TRANSITION, tickets_transition)                                                                                  \
    X(CAP_WEBHOOK_CHECK, webhook_check)                                                                                            \
    X(CAP_WEBHOOK_PARSE, webhook_parse)                                                                                            \
    X(CAP_SCM_LIST_REPOS, scm_list_repos)                                                                                          \
    X(CAP_SCM_REFRESH_TOKEN, scm_refresh_token)                                                                                    \
    X(CAP_TICKET_OPEN, ticket_open)                                                                                                \
    X(CAP_TICKET_COMMENT, ticket_comment)                                                                                          \
    X(CAP_TICKET_CLOSE, ticket_close)                                                                                              \
    X(CAP_MONITORING_HEALTH, monitoring_health)                                                                                    \
    X(CAP_TEST_RUN_OPEN, test_run_open)                                                                                            \
    X(CAP_TEST_RUN_READ, test_run_read)                                                                                            \
    X(CAP_STORE_WEBHOOK, store_webhook)                                                                                            \
    X(CAP_CHAT_USER, chat_user)

/*
 * What a provider is. Defined in its own file (non-const only for the
 * derived schema); read-only once provider_registry_init has run.
 */
/* What only some store targets can do (struct provider's store_features). */
enum store_feature {
    STORE_PLANS = 1 << 0,         /* its staged rollout takes any share: rollout plans apply (Play's userFraction) */
    STORE_HALT_RELEASED = 1 << 1, /* a release already with every user can be halted (Play: the previous one takes its place) */
    STORE_PROMOTE = 1 << 2,       /* a build on one track can be promoted to another (Play's tracks) */
    STORE_REVIEW_CHOICE = 1 << 3, /* a change may cancel one in review when asked (Play's changesInReviewBehavior) */
    STORE_RELEASE_TYPES = 1 << 4, /* the version's release once approved: manual, after approval, scheduled (App Store) */
    STORE_CHANGE_REVIEW = 1 << 5, /* an action's change may go to review again (Play): it stays under way until published */
    STORE_OWN_SCHEDULE = 1 << 6,  /* the store moves a staged rollout's share itself (Apple's phased release): it is followed */
};

struct provider {
    const char *type;    /* GITHUB: the type column's value and the API's "type" */
    const char *kind;    /* github: in /api/v1/setup/verify-{kind} */
    const char *display; /* GitHub: in forms and messages */
    enum category_id category;
    const struct field *fields; /* its own fields (a field of a common one's name replaces it) */
    size_t nfields;
    /*
     * Cross-field rules and derived values, run on the merged
     * configuration before it is stored; may add details to err and fill
     * computed fields (a certificate's expiry).
     */
    void (*prepare)(json_t *config, struct err *err);
    /*
     * Fields prepare derives when they are absent (NULL-terminated, or NULL). An update that leaves one
     * alone derives it again from the updated configuration, unless its stored value was set by hand
     * (differs from what prepare derives from the stored configuration).
     */
    const char *const *derived;
    const char *const *computed; /* read-only fields prepare fills (NULL-terminated, or NULL): columns of the category */
    const char *expiry;          /* the computed field holding when the credential expires (a row past it is EXPIRED), or NULL */
    const char *scm_type;        /* pipelines that act through their SCM connection: the SCM type it must be, else NULL */
    const char *flag;            /* the feature flag that can switch the type off (ENABLE_JENKINS_INTEGRATION), or NULL */
    struct provider_setting *base_url;        /* where the SaaS API is (default and override), or NULL: the integration says */
    struct provider_setting *timeout;         /* its own timeout, or NULL: SLIPWAY_OUTBOUND_TIMEOUT */
    struct provider_setting *const *settings; /* any other setting it reads (NULL-terminated, or NULL) */
    const char *store_platform;               /* a store target: the platform it ships (ANDROID, IOS), else NULL */
    const char *store_track;                  /* a store target: the track a submission goes to unless it names one */
    unsigned store_features;                  /* a store target: enum store_feature bits (what only some stores can do) */
    uint64_t caps;                            /* CAP_ bits: exactly the ops that are not NULL */
    const struct provider_ops *ops;
    /* a pipeline whose discovered jobs are many (docs/deployments.md "CI/CD jobs"): the field a job's id goes in, or NULL */
    const char *ci_job_field;
    /*
     * Inbound webhooks: the headers that name a delivery (its id, what webhook_parse reads), the first present one
     * wins; NULL-terminated, or NULL where the body names it (then a copy is known by its signature's digest).
     */
    const char *const *webhook_delivery_headers;

    struct schema schema; /* derived by provider_registry_init: every type's, the category's, then its own fields */
};

#endif
