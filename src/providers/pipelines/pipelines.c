#include "providers/pipelines/pipelines.h"

#include "providers/fields.h"

static const char *check_env(json_t *j)
{
    const char *key;
    json_t *v;
    if (json_object_size(j) > 50)
        return "must hold at most 50 variables";
    json_object_foreach(j, key, v)
    {
        if (!json_is_string(v) || json_string_length(v) > 4096 || !key[0] || (key[0] >= '0' && key[0] <= '9') ||
            strlen(key) > 128 || !fields_all_chars(key, "_", true, true, true))
            return "must map variable names ([A-Za-z_][A-Za-z0-9_]*) to strings of at most 4096 characters";
    }
    return NULL;
}

const struct field pipeline_common_fields[] = {
    FMT("scmIntegrationId", true, 36, check_uuid, "uuid"),
    FMT("targetIntegrationId", true, 36, check_uuid, "uuid"),
    STR("description", false, 0, 2000, .check = check_printable_text),
    ONE_OF("platform", false, fields_platforms),
    BOOL("triggerOnRelease", .def = "true"),
    INT("buildTimeout", false, 60, 86400, .def = "3600"),
    OBJECT("environmentVariables", check_env, "string map"),
};
const size_t pipeline_common_count = ARRAY_LEN(pipeline_common_fields);
