/* gitea.c: Gitea (API v1), always self-hosted: serverUrl is required. docs/verification.md says what verify asks and concludes. */
#include "providers/call.h"
#include "providers/fields.h"
#include "providers/scm/scm.h"

static const struct field fields[] = {
    URL("serverUrl", true),
};

enum { USER, REPOSITORY };

/* The token's user, then the repository's permissions. */
static void verify(struct provider_call *c, const struct outbound_response *res)
{
    static const char *const extra[] = {"Accept: application/json", NULL};
    const char *base = provider_text(c, "serverUrl"), *org = provider_text(c, "organization"), *repo = provider_text(c, "repoName"),
               *token = provider_text(c, "accessToken");
    char path[PROVIDER_URL_MAX];

    if (!res) {
        provider_get_with_token(c, base, c->state.step == USER ? "/api/v1/user" : scm_repo_path(path, "/api/v1/repos", org, repo),
                                "Authorization", "token ", token, extra);
        return;
    }
    if (c->state.step == REPOSITORY)
        scm_repository(c, res, org, repo, "");
    else if (scm_user(c, res, "login"))
        provider_next(c, REPOSITORY);
}

static void prepare(json_t *config, struct err *err)
{
    UNUSED(err);
    scm_derive_repository_url(config, NULL); /* without serverUrl, the schema has already said so */
}

static const struct provider_ops ops = {.verify = verify};

struct provider gitea_provider = {
    .type = "GITEA",
    .kind = "gitea",
    .display = "Gitea",
    .category = CAT_SCM,
    FIELDS(fields),
    .prepare = prepare,
    .derived = scm_derived,
    .caps = CAP_VERIFY,
    .ops = &ops,
};
