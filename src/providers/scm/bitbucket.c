/* bitbucket.c: Bitbucket (Cloud API 2.0; Server through serverUrl). docs/verification.md says what verify asks and concludes. */
#include "providers/call.h"
#include "providers/scm/scm.h"

static struct provider_setting api = {
    .env = "SLIPWAY_BITBUCKET_API_URL", .def = "https://api.bitbucket.org", .help = "Bitbucket Cloud's API", .kind = SETTING_TEXT};

enum { USER, REPOSITORY };

/* The token's user, then the repository. */
static void verify(struct provider_call *c, const struct outbound_response *res)
{
    const char *base = provider_text(c, "serverUrl")[0] ? provider_text(c, "serverUrl") : api.text;
    const char *ws = provider_text(c, "organization"), *repo = provider_text(c, "repoName"),
               *token = provider_text(c, "accessToken");
    char path[PROVIDER_URL_MAX], msg[1200];

    if (!res) {
        provider_get_with_token(c, base, c->state.step == USER ? "/2.0/user" : scm_repo_path(path, "/2.0/repositories", ws, repo),
                                "Authorization", "Bearer ", token, NULL);
        return;
    }
    if (c->state.step == USER) {
        if (scm_user(c, res, "username"))
            provider_next(c, REPOSITORY);
        return;
    }
    snprintf(msg, sizeof msg, "repository %s/%s not found, or the token cannot see it", ws, repo);
    if (!provider_failed(c, res, "Bitbucket rejected the token for this repository", msg))
        provider_finish(c, VERDICT_VALID, "Bitbucket accepts the token for %s/%s", ws, repo);
}

static void prepare(json_t *config, struct err *err)
{
    UNUSED(err);
    scm_derive_repository_url(config, "https://bitbucket.org");
}

static const struct provider_ops ops = {.verify = verify};

struct provider bitbucket_provider = {
    .type = "BITBUCKET",
    .kind = "bitbucket",
    .display = "Bitbucket",
    .category = CAT_SCM,
    .prepare = prepare,
    .derived = scm_derived,
    .base_url = &api,
    .caps = CAP_VERIFY,
    .ops = &ops,
};
