/* azure_devops.c: Azure DevOps (REST 7.0/7.1, Basic auth with a personal access token). docs/verification.md says what verify asks
 * and concludes. */
#include <strings.h>

#include "providers/call.h"
#include "providers/fields.h"
#include "providers/tickets/tickets.h"

static const struct field fields[] = {
    TEXT("azureOrganization", true, 255),
    TEXT("azureProject", true, 255),
    SECRET("azurePatToken", true, 4096),
    STR("azureUrl", false, 1, 512, .check = check_url, .format = "url", .def = "\"https://dev.azure.com\""),
};

/* The project in the organization. */
static void verify(struct provider_call *c, const struct outbound_response *res)
{
    const char *org = provider_text(c, "azureOrganization"), *project = provider_text(c, "azureProject");
    const char *base = provider_text(c, "azureUrl")[0] ? provider_text(c, "azureUrl") : "https://dev.azure.com";
    char userpwd[PROVIDER_AUTH_MAX], target[PROVIDER_URL_MAX], a[512], b[512], msg[700];
    const char *headers[] = {"Accept: application/json", NULL};

    if (!res) {
        provider_url(target, base, "/%s/_apis/projects/%s?api-version=7.0", provider_escape(org, a, sizeof a),
                     provider_escape(project, b, sizeof b));
        snprintf(userpwd, sizeof userpwd, ":%s", provider_text(c, "azurePatToken"));
        provider_request(c, "GET", target, headers, NULL, userpwd);
        provider_wipe(userpwd);
        return;
    }
    snprintf(msg, sizeof msg, "project %s not found in organization %s, or the token cannot see it", project, org);
    if (provider_failed(c, res, "Azure DevOps rejected the personal access token", msg))
        return;
    if (res->status == 203) /* Azure answers a sign-in page, not JSON, to a bad token */
        provider_finish(c, VERDICT_INVALID, "Azure DevOps rejected the personal access token");
    else
        provider_finish(c, VERDICT_VALID, "Azure DevOps accepts the token, and project %s exists", project);
}

enum { TAG_READ, TAG_WRITE };

/* True when tags ("a; b", as Azure keeps them) hold tag (case aside, as Azure compares tags). */
static bool tags_hold(const char *tags, const char *tag)
{
    size_t n = strlen(tag);

    for (const char *p = tags; p && *p; p += strcspn(p, ";"), p += *p == ';') {
        p += strspn(p, " ");
        if (strncasecmp(p, tag, n) == 0 && (p[n] == ';' || p[n] == '\0' || p[n] == ' '))
            return true;
    }
    return false;
}

/*
 * The release's tag ("release-{version}") on each work item named ("AB#123",
 * the convention of Azure Boards), its tags kept: read, then, unless it has
 * the tag, a JSON Patch adding System.Tags with the tag appended. One work
 * item at a time, each step saved: a resumed call reads again and finds the
 * tag it wrote.
 */
static void tag_step(struct provider_call *c, const struct outbound_response *res, const json_t *items)
{
    const char *org = provider_text(c, "azureOrganization"), *project = provider_text(c, "azureProject");
    const char *base = provider_text(c, "azureUrl")[0] ? provider_text(c, "azureUrl") : "https://dev.azure.com";
    json_int_t next = provider_data_int(c, "next");
    const char *key = json_string_value(json_array_get(items, (size_t)next)), *list;
    const char *read_headers[] = {"Accept: application/json", NULL};
    const char *patch_headers[] = {"Accept: application/json", "Content-Type: application/json-patch+json", NULL};
    char userpwd[PROVIDER_AUTH_MAX], target[PROVIDER_URL_MAX], a[512], b[512], tag[160], value[4096];
    json_t *j, *patch;
    char *body;

    snprintf(tag, sizeof tag, "release-%s", json_string_value(json_object_get(c->input, "version")));
    if (!json_object_get(c->state.data, "linked")) {
        json_object_set_new(c->state.data, "linked", json_array());
        json_object_set_new(c->state.data, "missing", json_array());
    }
    if (!res) {
        if (!key) { /* every item done */
            json_object_set(c->output, "linked", json_object_get(c->state.data, "linked"));
            json_object_set(c->output, "missing", json_object_get(c->state.data, "missing"));
            provider_finish(c, VERDICT_VALID, "%s on %zu work items", tag,
                            json_array_size(json_object_get(c->state.data, "linked")));
            return;
        }
        provider_url(target, base, "/%s/%s/_apis/wit/workitems/%s?api-version=7.1", provider_escape(org, a, sizeof a),
                     provider_escape(project, b, sizeof b), key + strcspn(key, "#") + 1);
        snprintf(userpwd, sizeof userpwd, ":%s", provider_text(c, "azurePatToken"));
        if (c->state.step == TAG_WRITE) {
            list = provider_data_text(c, "tags");
            snprintf(value, sizeof value, "%s%s%s", list, list[0] ? "; " : "", tag);
            patch = json_pack("[{s:s, s:s, s:s}]", "op", "add", "path", "/fields/System.Tags", "value", value);
            body = json_dumps(patch, JSON_COMPACT);
            provider_request(c, "PATCH", target, patch_headers, body, userpwd);
            free(body);
            json_decref(patch);
        } else {
            provider_request(c, "GET", target, read_headers, NULL, userpwd);
        }
        provider_wipe(userpwd);
        return;
    }
    if (res->failure == OUTBOUND_OK && res->status == 404) { /* no such work item: named anyway */
        json_array_append_new(json_object_get(c->state.data, "missing"), json_string(key));
    } else if (provider_failed(c, res, "Azure DevOps rejected the personal access token", "Azure DevOps has no such project")) {
        return;
    } else if (!(j = provider_answer_json(c, res))) {
        return;
    } else {
        list = json_string_value(json_object_get(json_object_get(j, "fields"), "System.Tags"));
        if (c->state.step == TAG_READ && !tags_hold(list ? list : "", tag)) {
            json_object_set_new(c->state.data, "tags", json_string(list ? list : ""));
            json_decref(j);
            provider_next(c, TAG_WRITE);
            return;
        }
        json_array_append_new(json_object_get(c->state.data, "linked"), json_string(key));
        json_decref(j);
    }
    json_object_set_new(c->state.data, "next", json_integer(next + 1));
    json_object_del(c->state.data, "tags");
    provider_next(c, TAG_READ);
}

/* The work items the notes name (AB#123), each tagged (provider.h: tickets_link). */
static void tickets_link(struct provider_call *c, const struct outbound_response *res)
{
    json_t *items = tickets_link_keys(c->input, "AB#");

    tag_step(c, res, items);
    json_decref(items);
}

static const struct provider_ops ops = {.verify = verify, .tickets_link = tickets_link};

struct provider azure_devops_provider = {
    .type = "AZURE_DEVOPS",
    .kind = "azure-devops",
    .display = "Azure DevOps",
    .category = CAT_TICKETS,
    FIELDS(fields),
    .caps = CAP_VERIFY | CAP_TICKETS_LINK,
    .ops = &ops,
};
