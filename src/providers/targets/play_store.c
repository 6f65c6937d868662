/* play_store.c: Google Play (the Developer API's edits). docs/verification.md says what verify asks and concludes. */
#include "providers/call.h"
#include "providers/fields.h"
#include "providers/targets/google.h"

static struct provider_setting api = {.env = "SLIPWAY_PLAY_API_URL",
                                      .def = "https://androidpublisher.googleapis.com",
                                      .help = "the Google Play Developer API",
                                      .kind = SETTING_TEXT};

static const char *check_package(json_t *j)
{
    const char *v = json_string_value(j);
    bool start = true;
    int segments = 1;
    for (const char *p = v; *p; p++) {
        char c = *p;
        if (c == '.') {
            if (start)
                return "must be a Java package name, e.g. com.example.app";
            start = true;
            segments++;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (!start && ((c >= '0' && c <= '9') || c == '_'))) {
            start = false;
        } else {
            return "must be a Java package name, e.g. com.example.app";
        }
    }
    return start || segments < 2 ? "must be a Java package name, e.g. com.example.app" : NULL;
}

static const struct field fields[] = {
    GOOGLE_ACCOUNT_FIELDS,
    FMT("googlePackageName", true, 255, check_package, "package name"),
};

enum { TOKEN, EDIT, DISCARD };

/* The grant, then an edit of the package (which proves access), thrown away at once. */
static void verify(struct provider_call *c, const struct outbound_response *res)
{
    const char *pkg = provider_text(c, "googlePackageName"), *id;
    char target[PROVIDER_URL_MAX], enc[512], edit[300], msg[600];
    json_t *j;

    if (!res) {
        if (c->state.step == TOKEN)
            google_token(c, "https://www.googleapis.com/auth/androidpublisher");
        else if (c->state.step == EDIT)
            google_call(
                c, "POST",
                provider_url(target, api.text, "/androidpublisher/v3/applications/%s/edits", provider_escape(pkg, enc, sizeof enc)),
                "{}");
        else
            google_call(c, "DELETE",
                        provider_url(target, api.text, "/androidpublisher/v3/applications/%s/edits/%s",
                                     provider_escape(pkg, enc, sizeof enc),
                                     provider_escape(provider_data_text(c, "edit"), edit, sizeof edit)),
                        NULL);
        return;
    }
    switch (c->state.step) {
    case TOKEN:
        if (google_granted(c, res))
            provider_next(c, EDIT);
        return;
    case EDIT:
        snprintf(msg, sizeof msg, "package %s not found, or the service account has no access to it in Play Console", pkg);
        if (provider_failed(c, res, "Google Play refused the service account: grant it access in Play Console", msg) ||
            !(j = provider_answer_json(c, res)))
            return;
        id = json_string_value(json_object_get(j, "id"));
        json_object_set_new(c->state.data, "edit", json_string(id ? id : ""));
        json_decref(j);
        provider_next(c, DISCARD);
        return;
    default:
        provider_finish(c, VERDICT_VALID, "Google Play accepts the service account for %s", pkg);
        return;
    }
}

/*
 * ---- the store ops: one machine that makes a track's release what it should be ----
 *
 * Every change is one edit (Android Publisher v3): insert an edit, read the
 * track in it, and when the release of the build's version codes is already
 * as wanted (an earlier run of this op committed it, then died), drop the
 * edit and end: done. Otherwise update the track in the edit and commit it
 * with changesInReviewBehavior=ERROR_IF_IN_REVIEW (never cancelling a
 * review). A commit Play refuses (the edit expired, another commit came
 * first, or this one did and its answer was lost) begins again with a new
 * edit, up to PLAY_EDIT_TRIES edits (the edit is validated before its commit,
 * edits:validate, so a change Play would refuse is never half-made), so a change is never half-applied and
 * never applied twice.
 *
 * Input: {"track", "versionCodes": [text], "releaseName"?, "releaseNotes"?: {language: text},
 * "inAppUpdatePriority"?: 0..5, "fraction"?: 0..1, "cancelReview"?: true to commit with
 * CANCEL_IN_REVIEW_AND_SUBMIT instead of ERROR_IF_IN_REVIEW}; output {"editId", "status" (Play's), "fraction",
 * "already": bool, "state"?: the release's releaseLifecycleState, read after the commit without an edit: a submit, or an
 * action's change, Play reviews}.
 */
enum { P_TOKEN, P_EDIT, P_READ, P_UPDATE, P_COMMIT, P_DISCARD, P_VALIDATE, P_LIFECYCLE }; /* numbers kept: a job's row holds them */
enum play_mode { PLAY_SUBMIT, PLAY_ROLLOUT, PLAY_HALT, PLAY_RESUME, PLAY_COMPLETE };

#define PLAY_EDIT_TRIES 3
#define NO_RIGHTS "Google Play refused the service account: grant it release rights in Play Console"

/* Whether two releases' version codes are the same (non-empty) list. */
static bool same_codes(const json_t *a, const json_t *b)
{
    size_t i;
    if (json_array_size(a) != json_array_size(b) || json_array_size(a) == 0)
        return false;
    for (i = 0; i < json_array_size(a); i++)
        if (!json_is_string(json_array_get(a, i)) || !json_equal(json_array_get(a, i), json_array_get(b, i)))
            return false;
    return true;
}

/* The track the op acts on (its input's). */
static const char *track_of(const struct provider_call *c)
{
    const char *t = json_string_value(json_object_get(c->input, "track"));
    return t ? t : "";
}

/* Whether a release's userFraction is the wanted one (Play answers the double it was given; none is everyone). */
static bool same_fraction(const json_t *release, const json_t *data)
{
    const json_t *f = json_object_get(release, "userFraction");
    double d = (f ? json_number_value(f) : 1.0) - json_number_value(json_object_get(data, "fraction"));
    return d < 1e-9 && d > -1e-9;
}

/* The release the op wants: {name, versionCodes, status, userFraction?, releaseNotes?, inAppUpdatePriority?}. Caller owns. */
static json_t *wanted_release(const struct provider_call *c)
{
    const char *status = provider_data_text(c, "status"), *lang;
    json_t *r = json_pack("{s:O, s:s}", "versionCodes", json_object_get(c->input, "versionCodes"), "status", status), *notes, *v;

    if (json_is_string(json_object_get(c->input, "releaseName")))
        json_object_set(r, "name", json_object_get(c->input, "releaseName"));
    if (strcmp(status, "completed") != 0 && json_number_value(json_object_get(c->state.data, "fraction")) < 1)
        json_object_set(r, "userFraction", json_object_get(c->state.data, "fraction")); /* a full rollout halted has none */
    if (json_object_size(json_object_get(c->input, "releaseNotes")) > 0) {
        notes = json_array();
        json_object_foreach(json_object_get(c->input, "releaseNotes"), lang, v)
            json_array_append_new(notes, json_pack("{s:s, s:O}", "language", lang, "text", v));
        json_object_set_new(r, "releaseNotes", notes);
    }
    if (json_is_integer(json_object_get(c->input, "inAppUpdatePriority")))
        json_object_set(r, "inAppUpdatePriority", json_object_get(c->input, "inAppUpdatePriority"));
    return r;
}

/* What the op wants, from the input (submit, rollout, complete) or the release as the track has it (halt, resume). */
static bool play_want(struct provider_call *c, enum play_mode mode, const json_t *current)
{
    double fraction = json_number_value(json_object_get(c->input, "fraction"));
    const char *status;

    switch (mode) {
    case PLAY_SUBMIT:
    case PLAY_ROLLOUT:
        status = fraction > 0 && fraction < 1 ? "inProgress" : "completed";
        break;
    case PLAY_COMPLETE:
        status = "completed";
        break;
    default:
        status = current ? json_string_value(json_object_get(current, "status")) : NULL;
        if (status && !json_object_get(current, "userFraction") &&
            (strcmp(status, "completed") == 0 || strcmp(status, "halted") == 0)) {
            status = mode == PLAY_HALT ? "halted" : "completed"; /* a full rollout halted (the previous release back), resumed */
            fraction = 1;
            break;
        }
        if (!current || !json_is_number(json_object_get(current, "userFraction"))) {
            provider_finish(c, VERDICT_INVALID, "track %s has no staged rollout of version code %s to %s", track_of(c),
                            json_string_value(json_array_get(json_object_get(c->input, "versionCodes"), 0)),
                            mode == PLAY_HALT ? "halt" : "resume");
            return false;
        }
        status = mode == PLAY_HALT ? "halted" : "inProgress";
        fraction = json_number_value(json_object_get(current, "userFraction"));
        break;
    }
    json_object_set_new(c->state.data, "status", json_string(status));
    json_object_set_new(c->state.data, "fraction", json_real(fraction));
    return true;
}

static void play_send(struct provider_call *c)
{
    const char *pkg = provider_text(c, "googlePackageName");
    char target[PROVIDER_URL_MAX], p[512], e[300], t[200];
    json_t *track = NULL, *releases;
    char *body;

    provider_escape(pkg, p, sizeof p);
    provider_escape(provider_data_text(c, "edit"), e, sizeof e);
    provider_escape(track_of(c), t, sizeof t);
    switch (c->state.step) {
    case P_TOKEN:
        google_token(c, "https://www.googleapis.com/auth/androidpublisher");
        return;
    case P_EDIT:
        google_call(c, "POST", provider_url(target, api.text, "/androidpublisher/v3/applications/%s/edits", p), "{}");
        return;
    case P_READ:
        google_call(c, "GET", provider_url(target, api.text, "/androidpublisher/v3/applications/%s/edits/%s/tracks/%s", p, e, t),
                    NULL);
        return;
    case P_UPDATE:
        releases = json_array();
        if (strcmp(provider_data_text(c, "status"), "completed") != 0 && json_object_get(c->state.data, "kept"))
            json_array_extend(releases, json_object_get(c->state.data, "kept")); /* the release users have now stays theirs */
        json_array_append_new(releases, wanted_release(c));
        track = json_pack("{s:s, s:o}", "track", track_of(c), "releases", releases);
        body = json_dumps(track, JSON_COMPACT);
        google_call(c, "PUT", provider_url(target, api.text, "/androidpublisher/v3/applications/%s/edits/%s/tracks/%s", p, e, t),
                    body);
        free(body);
        json_decref(track);
        return;
    case P_VALIDATE:
        google_call(c, "POST", provider_url(target, api.text, "/androidpublisher/v3/applications/%s/edits/%s:validate", p, e),
                    NULL);
        return;
    case P_LIFECYCLE: /* no edit: the track's releases as Play has them, each with its review's state */
        google_call(c, "GET", provider_url(target, api.text, "/androidpublisher/v3/applications/%s/tracks/%s/releases", p, t),
                    NULL);
        return;
    case P_COMMIT: /* a review in progress is cancelled only when the editor asked for it */
        google_call(c, "POST",
                    provider_url(target, api.text,
                                 "/androidpublisher/v3/applications/%s/edits/%s:commit?changesInReviewBehavior=%s", p, e,
                                 json_is_true(json_object_get(c->input, "cancelReview")) ? "CANCEL_IN_REVIEW_AND_SUBMIT"
                                                                                         : "ERROR_IF_IN_REVIEW"),
                    NULL);
        return;
    default:
        google_call(c, "DELETE", provider_url(target, api.text, "/androidpublisher/v3/applications/%s/edits/%s", p, e), NULL);
        return;
    }
}

/* Ends the call when state is Play's "not approved" (true then), saying where Play gives its reasons: not in the API. */
static bool play_rejected(struct provider_call *c, const char *state)
{
    if (!strstr(state, "NOT_APPROVED"))
        return false;
    provider_finish(c, VERDICT_VALID,
                    "Google Play did not approve version code %s on track %s: Play Console's Policy status says why",
                    json_string_value(json_array_get(json_object_get(c->input, "versionCodes"), 0)), track_of(c));
    return true;
}

static void play_finish(struct provider_call *c)
{
    bool already = json_is_true(json_object_get(c->state.data, "already"));
    json_object_set(c->output, "editId", json_object_get(c->state.data, "edit"));
    json_object_set(c->output, "status", json_object_get(c->state.data, "status"));
    json_object_set(c->output, "fraction", json_object_get(c->state.data, "fraction"));
    json_object_set_new(c->output, "already", json_boolean(already));
    if (json_is_string(json_object_get(c->state.data, "state")))
        json_object_set(c->output, "state", json_object_get(c->state.data, "state"));
    if (!play_rejected(c, provider_data_text(c, "state")))
        provider_finish(c, VERDICT_VALID, "track %s: version code %s is %s%s%s%s", track_of(c),
                        json_string_value(json_array_get(json_object_get(c->input, "versionCodes"), 0)),
                        provider_data_text(c, "status"), already ? " already" : "", provider_data_text(c, "state")[0] ? ", " : "",
                        provider_data_text(c, "state"));
}

/*
 * The edit committed (or found done): every op then reads the release's review state without an edit (P_LIFECYCLE), so
 * a submit Play reviews, and an action's change Play sends to review again, are followed.
 */
static void play_done(struct provider_call *c, bool already)
{
    json_object_set_new(c->state.data, "already", json_boolean(already));
    provider_next(c, P_LIFECYCLE);
}

/*
 * The releaseLifecycleState of the release of the input's version codes in
 * a track's release summaries (tracks.releases.list: {releases: [{releaseName,
 * activeArtifacts: [{versionCode}], releaseLifecycleState}]}); NULL when the
 * track has none of them (obsolete, or not committed).
 */
static const char *lifecycle_of(const struct provider_call *c, const json_t *list)
{
    const char *code = json_string_value(json_array_get(json_object_get(c->input, "versionCodes"), 0));
    const json_t *r, *a;
    size_t i, k;
    char text[32];

    json_array_foreach(json_object_get(list, "releases"), i, r)
    {
        json_array_foreach(json_object_get(r, "activeArtifacts"), k, a)
        {
            const json_t *v = json_object_get(a, "versionCode");
            snprintf(text, sizeof text, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
            if (code && (json_is_string(v) ? strcmp(json_string_value(v), code) : strcmp(text, code)) == 0)
                return json_string_value(json_object_get(r, "releaseLifecycleState"));
        }
    }
    return NULL;
}

/* The track as the edit has it: ours is the wanted one already (done), or the rest to keep; false when the call ended. */
static bool play_read(struct provider_call *c, enum play_mode mode, json_t *track)
{
    json_t *codes = json_object_get(c->input, "versionCodes"), *mine = NULL, *kept = json_array(), *r;
    size_t i;

    json_array_foreach(json_object_get(track, "releases"), i, r)
    {
        if (same_codes(json_object_get(r, "versionCodes"), codes))
            mine = r;
        else if (json_is_string(json_object_get(r, "status")) &&
                 strcmp(json_string_value(json_object_get(r, "status")), "completed") == 0)
            json_array_append(kept, r);
    }
    json_object_set_new(c->state.data, "kept", kept);
    if (!play_want(c, mode, mine))
        return false;
    if (mine &&
        strcmp(json_string_value(json_object_get(mine, "status")) ? json_string_value(json_object_get(mine, "status")) : "",
               provider_data_text(c, "status")) == 0 &&
        (strcmp(provider_data_text(c, "status"), "completed") == 0 || same_fraction(mine, c->state.data))) {
        json_object_set_new(c->state.data, "already", json_true());
        provider_next(c, P_DISCARD); /* nothing to change: the edit is dropped */
        return false;
    }
    return true;
}

static void play_apply(struct provider_call *c, const struct outbound_response *res, enum play_mode mode)
{
    char msg[600];
    json_t *j;

    if (!res) {
        play_send(c);
        return;
    }
    snprintf(msg, sizeof msg, "package %s or track %s not found, or the service account has no access to it in Play Console",
             provider_text(c, "googlePackageName"), track_of(c));
    switch (c->state.step) {
    case P_TOKEN:
        if (google_granted(c, res))
            provider_next(c, P_EDIT);
        return;
    case P_EDIT:
        if (provider_failed(c, res, NO_RIGHTS, msg) || !(j = provider_answer_json(c, res)))
            return;
        json_object_set(c->state.data, "edit", json_object_get(j, "id"));
        json_object_set_new(c->state.data, "edits", json_integer(provider_data_int(c, "edits") + 1));
        json_decref(j);
        provider_next(c, P_READ);
        return;
    case P_READ:
        if (res->status == 404) { /* a track nobody released to yet */
            j = json_object();
        } else if (provider_failed(c, res, NO_RIGHTS, msg) || !(j = provider_answer_json(c, res))) {
            return;
        }
        if (play_read(c, mode, j))
            provider_next(c, P_UPDATE);
        json_decref(j);
        return;
    case P_UPDATE:
        if (!provider_failed(c, res, NO_RIGHTS, "Google Play refused the track update (an unknown version code or track)"))
            provider_next(c, P_VALIDATE);
        return;
    case P_VALIDATE:
    case P_COMMIT:
        if (res->status >= 400 && res->status < 500 && res->status != 401 && res->status != 403 &&
            provider_data_int(c, "edits") < PLAY_EDIT_TRIES) {
            provider_next(c, P_EDIT); /* expired, superseded, or committed already: read again in a new edit */
            return;
        }
        if (provider_failed(c, res, NO_RIGHTS,
                            c->state.step == P_VALIDATE ? "Google Play found the edit invalid"
                                                        : "Google Play refused to commit the edit"))
            return;
        if (c->state.step == P_VALIDATE)
            provider_next(c, P_COMMIT); /* validated: only then committed */
        else
            play_done(c, false);
        return;
    case P_LIFECYCLE: /* committed already: a refused read leaves the review unknown, the commit stands */
        if (provider_unanswered(c, res))
            return;
        if (res->status >= 300) {
            play_finish(c);
            return;
        }
        if (!(j = provider_answer_json(c, res)))
            return;
        if (lifecycle_of(c, j))
            json_object_set_new(c->state.data, "state", json_string(lifecycle_of(c, j)));
        json_decref(j);
        play_finish(c);
        return;
    default:
        if (!provider_unanswered(c, res))
            play_done(c, true); /* the edit is gone either way: one never committed expires */
        return;
    }
}

static void play_submit(struct provider_call *c, const struct outbound_response *res)
{
    play_apply(c, res, PLAY_SUBMIT);
}
static void play_rollout(struct provider_call *c, const struct outbound_response *res)
{
    play_apply(c, res, PLAY_ROLLOUT);
}
static void play_halt(struct provider_call *c, const struct outbound_response *res)
{
    play_apply(c, res, PLAY_HALT);
}
static void play_resume(struct provider_call *c, const struct outbound_response *res)
{
    play_apply(c, res, PLAY_RESUME);
}
static void play_complete(struct provider_call *c, const struct outbound_response *res)
{
    play_apply(c, res, PLAY_COMPLETE);
}

/*
 * The review followed without an edit (store_status, as App Store
 * Connect's is): the track's release summaries (tracks.releases.list),
 * ours by its version code. Input {"track", "versionCodes"}; output
 * {"state": its releaseLifecycleState}. Play does not say why it did not
 * approve a release: Play Console's Policy status does.
 */
static void play_status(struct provider_call *c, const struct outbound_response *res)
{
    const char *code = json_string_value(json_array_get(json_object_get(c->input, "versionCodes"), 0)), *state;
    char msg[600];
    json_t *j;

    if (!res) {
        play_send(c);
        return;
    }
    if (c->state.step == P_TOKEN) {
        if (google_granted(c, res))
            provider_next(c, P_LIFECYCLE);
        return;
    }
    snprintf(msg, sizeof msg, "package %s or track %s not found, or the service account has no access to it in Play Console",
             provider_text(c, "googlePackageName"), track_of(c));
    if (provider_failed(c, res, NO_RIGHTS, msg) || !(j = provider_answer_json(c, res)))
        return;
    if (!(state = lifecycle_of(c, j))) {
        provider_finish(c, VERDICT_INVALID, "track %s has no release of version code %s any more", track_of(c), code);
        json_decref(j);
        return;
    }
    json_object_set_new(c->output, "state", json_string(state));
    if (!play_rejected(c, state))
        provider_finish(c, VERDICT_VALID, "track %s: version code %s is %s", track_of(c), code, state);
    json_decref(j);
}

static const struct provider_ops ops = {.verify = verify,
                                        .store_status = play_status,
                                        .store_submit = play_submit,
                                        .store_set_rollout = play_rollout,
                                        .store_halt = play_halt,
                                        .store_resume = play_resume,
                                        .store_complete = play_complete};

struct provider play_store_provider = {
    .type = "PLAY_STORE",
    .kind = "playstore",
    .display = "Google Play",
    .category = CAT_TARGETS,
    FIELDS(fields),
    .base_url = &api,
    .timeout = &google_timeout,
    .settings = google_settings,
    .store_platform = "ANDROID",
    .store_track = "production",
    .store_features = STORE_PLANS | STORE_HALT_RELEASED | STORE_PROMOTE | STORE_REVIEW_CHOICE | STORE_CHANGE_REVIEW,
    .caps = CAP_VERIFY | CAP_STORE_SUBMIT | CAP_STORE_SET_ROLLOUT | CAP_STORE_HALT | CAP_STORE_RESUME | CAP_STORE_COMPLETE |
            CAP_STORE_STATUS,
    .ops = &ops,
};
