/*
 * registry.c: the list of providers, above their implementations (one
 * file each under src/providers/<category>/). Adding one is a line in
 * PROVIDERS; docs/internals/providers.md has the rest.
 */
#include "providers/registry.h"

#include "core/log.h"
#include "core/xmalloc.h"
#include "providers/communication/communication.h"
#include "providers/fields.h"
#include "providers/pipelines/pipelines.h"
#include "providers/scm/scm.h"
#include "providers/tickets/tickets.h"

/* Every provider, in the order clients see them: X(name) stands for name_provider, defined in its own file. */
#define PROVIDERS(X)                                                                                                               \
    X(github)                                                                                                                      \
    X(gitlab)                                                                                                                      \
    X(bitbucket)                                                                                                                   \
    X(gitea)                                                                                                                       \
    X(app_store)                                                                                                                   \
    X(play_store)                                                                                                                  \
    X(firebase)                                                                                                                    \
    X(jenkins)                                                                                                                     \
    X(github_actions)                                                                                                              \
    X(gitlab_ci)                                                                                                                   \
    X(circleci)                                                                                                                    \
    X(slack)                                                                                                                       \
    X(email)                                                                                                                       \
    X(teams)                                                                                                                       \
    X(jira)                                                                                                                        \
    X(linear)                                                                                                                      \
    X(azure_devops)                                                                                                                \
    X(test_rail)                                                                                                                   \
    X(code_signing)                                                                                                                \
    X(sentry)                                                                                                                      \
    X(bugsnag)

#define DECLARE(name) extern struct provider name##_provider;
PROVIDERS(DECLARE)
#undef DECLARE
#define ENTRY(name) &name##_provider,
static struct provider *const providers[] = {PROVIDERS(ENTRY)};
#undef ENTRY

#define NPROVIDERS ARRAY_LEN(providers)

/* Fields every type has, then those every type of its category has. */
static const struct field every_type_fields[] = {
    TEXT("displayName", true, 255),
    BOOL("isActive", .def = "true"),
};

static const struct {
    const struct field *fields;
    const size_t *count;
} category_fields[CAT__COUNT] = {
    [CAT_SCM] = {scm_common_fields, &scm_common_count},
    [CAT_PIPELINES] = {pipeline_common_fields, &pipeline_common_count},
    [CAT_COMMUNICATION] = {communication_common_fields, &communication_common_count},
    [CAT_TICKETS] = {ticket_common_fields, &ticket_common_count},
};

static bool enabled[NPROVIDERS]; /* by feature flag: true until config_load reads a false one */

static size_t index_of(const struct provider *p)
{
    for (size_t i = 0; i < NPROVIDERS; i++)
        if (providers[i] == p)
            return i;
    abort(); /* not a registered provider: a programmer's error */
}

static void fail(const struct provider *p, const char *what)
{
    log_error("providers: %s %s", p->type, what);
    abort();
}

/* Common fields first; a provider's own field of the same name replaces one (GITEA's required serverUrl). */
static void derive_schema(struct provider *p)
{
    const struct field *common = category_fields[p->category].fields;
    size_t ncommon = common ? *category_fields[p->category].count : 0, nevery = ARRAY_LEN(every_type_fields);
    struct field *all = xcalloc(nevery + ncommon + p->nfields, sizeof *all);
    size_t k = 0;

    for (size_t j = 0; j < nevery + ncommon; j++) {
        const struct field *f = j < nevery ? &every_type_fields[j] : &common[j - nevery];
        for (size_t q = 0; q < p->nfields; q++)
            if (strcmp(p->fields[q].name, f->name) == 0)
                f = &p->fields[q];
        all[k++] = *f;
    }
    for (size_t j = 0; j < p->nfields; j++) {
        bool replaced = false;
        for (size_t q = 0; q < k && !replaced; q++)
            replaced = strcmp(all[q].name, p->fields[j].name) == 0;
        if (!replaced)
            all[k++] = p->fields[j];
    }
    p->schema.fields = all;
    p->schema.count = k;
}

void provider_registry_init(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    for (size_t i = 0; i < NPROVIDERS; i++) {
        struct provider *p = providers[i];
        for (size_t j = 0; j < i; j++)
            if (strcmp(providers[j]->type, p->type) == 0 || strcmp(providers[j]->kind, p->kind) == 0)
                fail(p, "is listed twice (its type or kind)");
        for (uint64_t cap = 1; cap && cap <= CAP_LAST; cap <<= 1)
            if (!(p->caps & cap) != !provider_has_op(p, cap))
                fail(p, "declares capabilities that are not its ops");
        derive_schema(p);
        enabled[i] = true;
    }
}

const struct provider *provider_by_type(const char *type)
{
    for (size_t i = 0; type && i < NPROVIDERS; i++)
        if (strcmp(providers[i]->type, type) == 0)
            return providers[i];
    return NULL;
}

const struct provider *provider_by_kind(const char *kind)
{
    for (size_t i = 0; kind && i < NPROVIDERS; i++)
        if (strcmp(providers[i]->kind, kind) == 0)
            return providers[i];
    return NULL;
}

const struct provider *provider_at(size_t i)
{
    return i < NPROVIDERS ? providers[i] : NULL;
}

bool provider_enabled(const struct provider *p)
{
    return enabled[index_of(p)];
}

bool provider_has_op(const struct provider *p, uint64_t cap)
{
    const struct provider_ops *ops = p->ops;
#define HAS(bit, member)                                                                                                           \
    case bit:                                                                                                                      \
        return ops && ops->member != NULL;
    switch (cap) {
        PROVIDER_OPS(HAS)
    }
#undef HAS
    return false;
}

/* ---- settings and flags as configuration options ---- */

static void add_setting(struct config_external *out, size_t *n, struct provider_setting *s)
{
    for (size_t i = 0; i < *n; i++)
        if (out[i].at == s->text || out[i].at == &s->number)
            return; /* shared with a provider listed before */
    struct config_external *o = &out[(*n)++];
    o->option.env = s->env;
    o->option.def = s->def;
    o->option.help = s->help;
    if (s->kind == SETTING_TEXT) {
        o->option.kind = CONFIG_STRING;
        o->option.size = sizeof s->text;
        o->at = s->text;
    } else {
        o->option.kind = CONFIG_INT;
        o->option.size = sizeof s->number;
        o->option.min = s->kind == SETTING_MS ? 100 : 1;
        o->option.max = s->kind == SETTING_MS ? 600000 : 1000000;
        o->at = &s->number;
    }
}

const struct config_external *provider_config_options(size_t *n)
{
    static struct config_external *options;
    static size_t count;

    provider_registry_init();
    if (!options) {
        size_t most = 0;
        for (size_t i = 0; i < NPROVIDERS; i++) {
            most += 3; /* a flag, a base URL, a timeout */
            for (struct provider_setting *const *s = providers[i]->settings; s && *s; s++)
                most++;
        }
        options = xcalloc(most, sizeof *options);
        for (size_t i = 0; i < NPROVIDERS; i++) { /* the flags first, then every setting once */
            struct provider *p = providers[i];
            if (!p->flag)
                continue;
            char *help = xmalloc(128);
            snprintf(help, 128, "false switches the %s type off (not listed, refused)", p->type);
            options[count++] = (struct config_external){
                .option = {.env = p->flag, .kind = CONFIG_BOOL, .size = sizeof(bool), .def = "true", .help = help},
                .at = &enabled[i]};
        }
        for (size_t i = 0; i < NPROVIDERS; i++) {
            struct provider *p = providers[i];
            if (p->base_url)
                add_setting(options, &count, p->base_url);
            if (p->timeout)
                add_setting(options, &count, p->timeout);
            for (struct provider_setting *const *s = p->settings; s && *s; s++)
                add_setting(options, &count, *s);
        }
    }
    *n = count;
    return options;
}
