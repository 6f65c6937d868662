/*
 * ci_yaml.c: the YAML that job discovery reads (a GitHub workflow's
 * workflow_dispatch inputs, .gitlab-ci.yml's variables, CircleCI's pipeline
 * parameters), turned into JSON with libyaml's document loader. Only the
 * shape is kept (scalars as text): a provider reads the few keys it needs.
 * Bounded: a document of more than CI_YAML_NODES nodes (aliases count each
 * time they are met, so an alias bomb ends early) or nested deeper than
 * CI_YAML_DEPTH is refused.
 */
#include <strings.h>
#include <yaml.h>

#include "core/encode.h"
#include "providers/pipelines/pipelines.h"

#define CI_YAML_NODES 20000
#define CI_YAML_DEPTH 64
#define CI_YAML_FILE_MAX (1024 * 1024) /* base64 characters of a file read */

struct walk {
    yaml_document_t *doc;
    int nodes;
};

static json_t *node_json(struct walk *w, yaml_node_t *n, int depth)
{
    json_t *out = NULL;

    if (!n || depth > CI_YAML_DEPTH || ++w->nodes > CI_YAML_NODES)
        return NULL;
    switch (n->type) {
    case YAML_SCALAR_NODE:
        return json_stringn((const char *)n->data.scalar.value, n->data.scalar.length);
    case YAML_SEQUENCE_NODE:
        out = json_array();
        for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++) {
            json_t *v = node_json(w, yaml_document_get_node(w->doc, *i), depth + 1);
            if (!v) {
                json_decref(out);
                return NULL;
            }
            json_array_append_new(out, v);
        }
        return out;
    case YAML_MAPPING_NODE:
        out = json_object();
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
            yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
            json_t *v = k && k->type == YAML_SCALAR_NODE ? node_json(w, yaml_document_get_node(w->doc, p->value), depth + 1) : NULL;
            char key[256];
            if (!v) {
                json_decref(out);
                return NULL;
            }
            snprintf(key, sizeof key, "%.*s", (int)k->data.scalar.length, (const char *)k->data.scalar.value);
            json_object_set_new(out, key, v);
        }
        return out;
    default:
        return NULL;
    }
}

json_t *ci_yaml(const char *text, size_t len)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    json_t *out = NULL;
    struct walk w = {.doc = &doc};

    if (!yaml_parser_initialize(&parser))
        return NULL;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (yaml_parser_load(&parser, &doc)) {
        out = node_json(&w, yaml_document_get_root_node(&doc), 0);
        yaml_document_delete(&doc);
    }
    yaml_parser_delete(&parser);
    return out;
}

const char *ci_yaml_bool(const char *s)
{
    static const char *const yes[] = {"true", "yes", "on", "y"}, *const no[] = {"false", "no", "off", "n"};
    for (size_t i = 0; s && i < ARRAY_LEN(yes); i++) {
        if (strcasecmp(s, yes[i]) == 0)
            return "true";
        if (strcasecmp(s, no[i]) == 0)
            return "false";
    }
    return NULL;
}

json_t *ci_yaml_content(const json_t *answer)
{
    const char *b64 = json_string_value(json_object_get(answer, "content"));
    size_t n = b64 ? strlen(b64) : 0;
    char *text = n && n < CI_YAML_FILE_MAX ? malloc(n) : NULL;
    long len = text ? b64_decode(b64, n, text) : -1;
    json_t *doc = len >= 0 ? ci_yaml(text, (size_t)len) : NULL;

    free(text);
    return doc;
}
