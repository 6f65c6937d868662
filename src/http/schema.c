#include "http/schema.h"

static const char *const kind_names[] = {
    [FIELD_STRING] = "a string",  [FIELD_INT] = "an integer", [FIELD_BOOL] = "a boolean",
    [FIELD_OBJECT] = "an object", [FIELD_ARRAY] = "an array",
};

static void check_shape(const struct field *f, json_t *v, struct err *err);

/* Whether v is a string that f's allowed list names. */
static bool is_allowed(const struct field *f, json_t *v)
{
    for (const char *const *a = f->allowed; json_is_string(v) && *a; a++)
        if (strcmp(*a, json_string_value(v)) == 0)
            return true;
    return false;
}

/*
 * "<lead>: A, B, C" when the whole list fits in a detail; otherwise the
 * number of values and where they are listed. Never a list cut short.
 */
static void not_allowed(const struct field *f, const char *lead, struct err *err)
{
    char list[sizeof err->details[0].message];
    size_t used = (size_t)snprintf(list, sizeof list, "%s:", lead), n = 0;
    bool fits = used < sizeof list;

    for (const char *const *a = f->allowed; *a; a++, n++) {
        if (fits) {
            size_t len = strlen(*a) + 2;
            fits = used + len < sizeof list;
            if (fits)
                used += (size_t)snprintf(list + used, sizeof list - used, "%s %s", a == f->allowed ? "" : ",", *a);
        }
    }
    if (fits)
        err_detail(err, f->name, "%s", list);
    else
        err_detail(err, f->name, "%s %zu values: see the field's allowed list (GET /api/v1/integration-types)", lead, n);
}

static bool kind_matches(enum field_kind k, json_t *v)
{
    switch (k) {
    case FIELD_STRING:
        return json_is_string(v);
    case FIELD_INT:
        return json_is_integer(v);
    case FIELD_BOOL:
        return json_is_boolean(v);
    case FIELD_OBJECT:
        return json_is_object(v);
    case FIELD_ARRAY:
        return json_is_array(v);
    }
    return false;
}

static void check_value(const struct field *f, json_t *v, bool formats, struct err *err)
{
    int before = err->ndetails;

    check_shape(f, v, err);
    if (formats && err->ndetails == before && f->check) {
        const char *problem = f->check(v);
        if (problem)
            err_detail(err, f->name, "%s", problem);
    }
}

static void check_shape(const struct field *f, json_t *v, struct err *err)
{
    if (!kind_matches(f->kind, v)) {
        err_detail(err, f->name, "must be %s", kind_names[f->kind]);
        return;
    }
    if (f->kind == FIELD_INT && f->max && (json_integer_value(v) < f->min || json_integer_value(v) > f->max)) {
        err_detail(err, f->name, "must be from %lld to %lld", (long long)f->min, (long long)f->max);
        return;
    }
    if (f->kind == FIELD_ARRAY && f->allowed) {
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item) if (!is_allowed(f, item))
        {
            not_allowed(f, "each must be one of", err);
            return;
        }
    }
    if (f->kind != FIELD_STRING)
        return;

    const char *s = json_string_value(v);
    size_t len = utf8_length(s);
    if (f->max && (len < (size_t)f->min || len > (size_t)f->max)) {
        if (f->min == f->max)
            err_detail(err, f->name, "must be %lld characters", (long long)f->max);
        else
            err_detail(err, f->name, "must be %lld to %lld characters", (long long)f->min, (long long)f->max);
        return;
    }
    if (f->allowed && !is_allowed(f, v))
        not_allowed(f, "must be one of", err);
}

const struct schema any_object_schema = {.name = "any_object_schema", .open = true};
const struct schema optional_object_schema = {.name = "optional_object_schema", .open = true, .optional = true};

static enum err_code validate(const struct schema *s, json_t *obj, bool partial, struct err *err)
{
    const char *key;
    json_t *v;

    if (s->open)
        return ERR_OK;
    json_object_foreach(obj, key, v)
    {
        bool known = false;
        for (size_t i = 0; i < s->count && !known; i++)
            known = strcmp(s->fields[i].name, key) == 0;
        if (!known)
            err_detail(err, key, "is not a known field");
    }
    for (size_t i = 0; i < s->count; i++) {
        const struct field *f = &s->fields[i];
        v = json_object_get(obj, f->name);
        if (!v || json_is_null(v)) {
            if (f->required && !partial)
                err_detail(err, f->name, "is required");
            continue;
        }
        check_value(f, v, !partial, err);
    }
    if (err->ndetails)
        return err_set(err, ERR_INVALID, "the request body has %d problem%s", err->ndetails, err->ndetails == 1 ? "" : "s");
    return ERR_OK;
}

enum err_code schema_validate(const struct schema *s, json_t *obj, struct err *err)
{
    return validate(s, obj, false, err);
}

enum err_code schema_validate_partial(const struct schema *s, json_t *obj, struct err *err)
{
    return validate(s, obj, true, err);
}

const struct field *schema_field(const struct schema *s, const char *name)
{
    for (size_t i = 0; i < s->count; i++)
        if (strcmp(s->fields[i].name, name) == 0)
            return &s->fields[i];
    return NULL;
}

const char *check_printable(json_t *j)
{
    const char *v = json_string_value(j);
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return "must not contain control characters";
    return NULL;
}

const char *check_email(json_t *j)
{
    return email_problem(json_string_value(j));
}

const char *email_problem(const char *v)
{
    const char *at = strchr(v, '@');
    if (!at || at == v || strchr(at + 1, '@') || at[1] == '\0' || at[1] == '.')
        return "must be an e-mail address (name@domain)";
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p <= 0x20 || *p == 0x7f || *p == '"' || *p == '<' || *p == '>' || *p == '\\' || *p == ',')
            return "must be an e-mail address (name@domain)";
    if (v[strlen(v) - 1] == '.')
        return "must be an e-mail address (name@domain)";
    return NULL;
}

static const char *const kind_json[] = {
    [FIELD_STRING] = "string", [FIELD_INT] = "integer", [FIELD_BOOL] = "boolean",
    [FIELD_OBJECT] = "object", [FIELD_ARRAY] = "array",
};

/* Every key is always present (null when it does not apply), so clients need no guessing. */
json_t *schema_field_json(const struct field *f)
{
    bool text = f->kind == FIELD_STRING && f->max, number = f->kind == FIELD_INT && f->max;
    json_t *allowed = json_null();

    if (f->allowed) {
        allowed = json_array();
        for (const char *const *v = f->allowed; *v; v++)
            json_array_append_new(allowed, json_string(*v));
    }
    return json_pack("{s:s, s:s, s:b, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "name", f->name, "kind", kind_json[f->kind],
                     "required", f->required, "secret", f->secret, "minLength", text ? json_integer(f->min) : json_null(),
                     "maxLength", text ? json_integer(f->max) : json_null(), "minimum", number ? json_integer(f->min) : json_null(),
                     "maximum", number ? json_integer(f->max) : json_null(), "allowed", allowed, "format",
                     f->format ? json_string(f->format) : json_null(), "default",
                     f->def ? json_loads(f->def, JSON_DECODE_ANY, NULL) : json_null());
}
