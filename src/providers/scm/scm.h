/*
 * scm.h: what every source-control provider shares: the category's
 * fields, the derived repositoryUrl, and the checks of a token's user and
 * of a repository's permissions.
 */
#ifndef SLIPWAY_PROVIDER_SCM_H
#define SLIPWAY_PROVIDER_SCM_H

#include "providers/call.h"

/* The fields every SCM type has (organization, repoName, accessToken, serverUrl, ...). */
extern const struct field scm_common_fields[];
extern const size_t scm_common_count;

/* What scm_derive_repository_url derives (struct provider.derived). */
extern const char *const scm_derived[];

/*
 * A missing repositoryUrl, derived from serverUrl (or host, the
 * provider's public web host, when there is none; NULL: serverUrl is
 * required and its schema says so) and the names.
 */
void scm_derive_repository_url(json_t *config, const char *host);

/* "/<prefix>/<org>/<repo>", both names escaped, into out[PROVIDER_URL_MAX]; returns out. */
const char *scm_repo_path(char *out, const char *prefix, const char *org, const char *repo);
/* The answer about the token's user: records its field (login, username) in the output; false when the call ended. */
bool scm_user(struct provider_call *c, const struct outbound_response *res, const char *field);
/* The answer about the repository (GitHub, Gitea): it must exist, and its permissions include pull and push. Ends the call. */
void scm_repository(struct provider_call *c, const struct outbound_response *res, const char *org, const char *repo,
                    const char *hint);

/*
 * scm_refresh_token's machine (RFC 6749 section 6): POSTs the refresh token
 * with the OAuth client's id and secret (in the form, or with basic as HTTP
 * Basic) to token_url. VALID: the new access token, and the rotated refresh
 * token when one came, in c->state.secrets ("accessToken", "refreshToken";
 * never in the output), the output {"expiresIn"?: seconds}. invalid_grant
 * is EXPIRED (the refresh token is spent or revoked); a refused client, or
 * none configured, INVALID.
 */
void scm_refresh_step(struct provider_call *c, const struct outbound_response *res, const char *token_url, bool basic);

/* ---- the ref ops (kickoff): resolve a ref, make a branch or a tag, the same four ways ---- */

/*
 * How one provider reads and makes one kind of ref. Each send ends the
 * step (a request sent, or the call ended: a rate limit).
 */
struct scm_ref_api {
    const char *what;                                                           /* "branch", "tag", "commit" */
    void (*read)(struct provider_call *c, const char *name);                    /* GET the ref (or the commit) called name */
    void (*create)(struct provider_call *c, const char *name, const char *sha); /* make it at sha (NULL for a commit) */
    const char *(*sha_of)(const json_t *answer);                                /* the commit in read's answer, or NULL */
};

/*
 * scm_resolve_ref's machine: input {"ref"}; output {"ref", "sha"}. A ref the
 * provider does not know (404, 422) is INVALID, naming it.
 */
void scm_resolve_step(struct provider_call *c, const struct outbound_response *res, const struct scm_ref_api *api);
/*
 * scm_create_branch's and scm_create_tag's machine, read before write:
 * input {"name", "sha"}; output {"name", "sha", "created"}. The ref read
 * first: at sha already, done (created false); at another commit, INVALID
 * naming both commits; absent, made. A make refused because the ref
 * appeared meanwhile (400, 409, 422) reads it again, once.
 */
void scm_ref_step(struct provider_call *c, const struct outbound_response *res, const struct scm_ref_api *api);

/* The three ref ops of a provider from its commit, branch and tag APIs: static resolve_ref, create_branch, create_tag. */
#define SCM_REF_OPS(commit, branch, tag)                                                                                           \
    static void resolve_ref(struct provider_call *c, const struct outbound_response *res)                                          \
    {                                                                                                                              \
        scm_resolve_step(c, res, &(commit));                                                                                       \
    }                                                                                                                              \
    static void create_branch(struct provider_call *c, const struct outbound_response *res)                                        \
    {                                                                                                                              \
        scm_ref_step(c, res, &(branch));                                                                                           \
    }                                                                                                                              \
    static void create_tag(struct provider_call *c, const struct outbound_response *res)                                           \
    {                                                                                                                              \
        scm_ref_step(c, res, &(tag));                                                                                              \
    }

/* How one provider reads and makes its release of a tag (GitHub, GitLab and Gitea have them; Bitbucket has none). */
struct scm_release_api {
    void (*read)(struct provider_call *c, const char *tag); /* GET the release of tag */
    void (*create)(struct provider_call *c, const char *tag, const char *name, const char *notes);
    const char *(*url_of)(const json_t *answer); /* where a person sees it, or NULL */
};

/* {"tag_name", "name", notes_field: notes} as compact JSON (malloc'd: the notes may be long; free() it), or NULL. */
char *scm_release_json(const char *tag, const char *name, const char *notes_field, const char *notes);

/*
 * scm_create_release's machine, read before write: input {"tag", "name",
 * "notes"}; output {"tag", "url", "created"}. A release of the tag already
 * there is done (created false); absent (404), made; a make refused because
 * it appeared meanwhile (400, 409, 422) reads it again, once.
 */
void scm_release_step(struct provider_call *c, const struct outbound_response *res, const struct scm_release_api *api);

/* ---- the repository listing (docs/deployments.md "Repositories"), one page a call ---- */

/*
 * How one provider lists the repositories its token sees. Each item member
 * is a path into the item ("mainbranch.name": nested); private_flag may name
 * a boolean or a visibility ("public" is the only one not private).
 */
struct scm_list_api {
    const char *(*base)(const struct provider_call *c);                            /* the API's base URL */
    void (*get)(struct provider_call *c, const char *url);                         /* GET url with the token */
    bool (*limited)(struct provider_call *c, const struct outbound_response *res); /* ended by a rate limit; may be NULL */
    const char *first; /* the first page's path under the base, largest pages */
    const char *items; /* the answer's member holding the page; NULL: the answer */
    const char *id, *full_name, *default_branch, *private_flag, *web_url;
};

/*
 * scm_list_repos's machine: input {"page"?}; output {"repositories",
 * "next"?}. The next page is the one the answer names, in the first of: a
 * Link header's rel="next" (GitHub, GitLab, Gitea), X-Next-Page (GitLab,
 * on the first page's query), "next" in the body (Bitbucket). A page
 * outside the base URL is refused (INVALID): the token goes nowhere else.
 */
void scm_list_step(struct provider_call *c, const struct outbound_response *res, const struct scm_list_api *api);

/* A provider's scm_list_repos op from its listing API: static list_repos. */
#define SCM_LIST_OP(api)                                                                                                           \
    static void list_repos(struct provider_call *c, const struct outbound_response *res)                                           \
    {                                                                                                                              \
        scm_list_step(c, res, &(api));                                                                                             \
    }

/*
 * "<prefix>/<org>/<repo>/<what>[/<name>]" of the call's repository into
 * out[PROVIDER_URL_MAX]: name escaped segment by segment (scm_escape_ref);
 * "" when it does not fit.
 */
const char *scm_ref_path(char *out, const struct provider_call *c, const char *prefix, const char *what, const char *name);
/* name percent-escaped segment by segment, its slashes kept ("release/1.2" stays a path), into out (n bytes). */
const char *scm_escape_ref(const char *name, char *out, size_t n);
/* A JSON body of the pack format (jansson's json_pack), as text into out (n bytes); "" when it does not fit. */
const char *scm_body(char *out, size_t n, const char *fmt, ...);

/* ---- the commits between two refs (release notes) ---- */

/* The most commits a compare lists (GitHub's compare stops there too); past it, the output says "truncated". */
#define SCM_COMPARE_MAX 250

/*
 * How one provider lists the commits after base up to head. send asks for
 * a page: cursor is NULL for the first, else what next_of found in the
 * page before. Each accessor reads the answer (or one of its commits).
 */
struct scm_compare_api {
    void (*send)(struct provider_call *c, const char *base, const char *head, const char *cursor);
    const json_t *(*commits_of)(const json_t *answer); /* the page's commits (an array) */
    const char *(*sha_of)(const json_t *commit);       /* a commit's id */
    const char *(*message_of)(const json_t *commit);   /* its whole message */
    json_int_t (*total_of)(const json_t *answer);      /* all the commits between the two, or -1 when unsaid (NULL: -1) */
    const char *(*next_of)(const json_t *answer);      /* the next page's cursor, or NULL: the last page (NULL: one page) */
    bool newest_first;                                 /* the pages list the newest commit first (Bitbucket) */
};

/*
 * scm_compare's machine: input {"base", "head"}; output {"commits":
 * [{"sha", "message"}] oldest first, at most SCM_COMPARE_MAX, "truncated"}.
 * Pages are followed until the last one or the limit. An unknown base or
 * head (400, 404, 422) is INVALID, naming both.
 */
void scm_compare_step(struct provider_call *c, const struct outbound_response *res, const struct scm_compare_api *api);

/* A provider's static compare op from its struct scm_compare_api. */
#define SCM_COMPARE_OP(api)                                                                                                        \
    static void compare(struct provider_call *c, const struct outbound_response *res)                                              \
    {                                                                                                                              \
        scm_compare_step(c, res, &(api));                                                                                          \
    }

/* "<base>...<head>" into out (n bytes): the range GitHub's and Gitea's compare take as one path segment. */
const char *scm_compare_range(char *out, size_t n, const char *base, const char *head);

/* GitHub's compare shape, which Gitea shares: "commits", a commit's "commit"."message", "total_commits". */
const json_t *scm_compare_commits(const json_t *answer);
const char *scm_commit_message(const json_t *commit);
json_int_t scm_compare_total(const json_t *answer);

#endif
