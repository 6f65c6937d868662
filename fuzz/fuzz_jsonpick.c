/*
 * fuzz_jsonpick.c: the webhook bodies' one-pass reader against jansson.
 *
 * Input: a JSON text (any bytes). jsonpick reads a fixed set of paths
 * from it; where it answers (true), the text must be an object that
 * json_loadb(JSON_REJECT_DUPLICATES) accepts, and jsonpick_tree must read
 * every path from jansson's tree as the pass did (type and text). Where
 * the pass declines, nothing is claimed: the caller asks jansson. This is
 * the pass's whole contract (src/http/jsonpick.h), so a value a provider
 * reads can never differ from the one jansson would give it.
 */
#include <jansson.h>
#include <string.h>

#include "fuzz.h"
#include "core/common.h"
#include "http/jsonpick.h"

#define MAX_INPUT 16384

/* Members the providers read, paths through arrays and scalars, and names that repeat a prefix. */
static const char *const paths[] = {
    "id",
    "type",
    "action",
    "data.id",
    "data.type",
    "data.relationships.instance.data.id",
    "workflow.id",
    "workflow.status",
    "workflow_run",
    "workflow_run.id",
    "a",
    "a.b",
    "a.b.c",
    "a.a",
    "aa",
    "pipeline.vcs.tag",
    "x.y.z.w.v",
    "",
};

static bool same(const struct jsonpick_value *a, const struct jsonpick_value *b)
{
    return a->type == b->type && a->len == b->len && (a->len == 0 || memcmp(a->text, b->text, a->len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct jsonpick_value fast[ARRAY_LEN(paths)], slow[ARRAY_LEN(paths)];
    json_t *tree;

    if (size > MAX_INPUT || !jsonpick((const char *)data, size, paths, ARRAY_LEN(paths), fast))
        return 0;
    tree = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    CHECK(tree != NULL);         /* the pass took what jansson refuses */
    CHECK(json_is_object(tree)); /* ... or what is not an object */
    jsonpick_tree(tree, paths, ARRAY_LEN(paths), slow);
    for (size_t i = 0; i < ARRAY_LEN(paths); i++)
        CHECK(same(&fast[i], &slow[i]));
    json_decref(tree);
    return 0;
}
