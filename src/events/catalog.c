/* catalog.c: the event catalogue (catalog.h); docs/events.md is its reading. */
#include "events/catalog.h"

#include <string.h>

#include "core/common.h"

#define EVENT_DEF(name, subject, fields, help) {name, subject, fields, help},
const struct event_def events_catalog[] = {EVENTS(EVENT_DEF)};
const size_t events_count = ARRAY_LEN(events_catalog);

#define ALIAS_NAME(alias, name) alias,
const char *const events_aliases[] = {EVENT_ALIASES(ALIAS_NAME) NULL};

#define EVENT_NAME(name, subject, fields, help) name,
const char *const events_names_and_aliases[] = {EVENTS(EVENT_NAME) EVENT_ALIASES(ALIAS_NAME) NULL};

static const struct {
    const char *alias, *name;
} aliases[] = {
#define ALIAS_PAIR(alias, name) {alias, name},
    EVENT_ALIASES(ALIAS_PAIR)};

const char *events_canonical(const char *name)
{
    for (size_t i = 0; name && i < events_count; i++)
        if (strcmp(events_catalog[i].name, name) == 0)
            return events_catalog[i].name;
    for (size_t i = 0; name && i < ARRAY_LEN(aliases); i++)
        if (strcmp(aliases[i].alias, name) == 0)
            return aliases[i].name;
    return NULL;
}

const char *events_alias_of(const char *name)
{
    for (size_t i = 0; name && i < ARRAY_LEN(aliases); i++)
        if (strcmp(aliases[i].name, name) == 0)
            return aliases[i].alias;
    return NULL;
}

const struct event_def *events_find(const char *name)
{
    const char *canonical = events_canonical(name);
    for (size_t i = 0; canonical && i < events_count; i++)
        if (events_catalog[i].name == canonical)
            return &events_catalog[i];
    return NULL;
}

bool events_pattern_matches(const char *pattern, const char *name)
{
    size_t n = strlen(pattern);

    if (strcmp(pattern, "*") == 0)
        return true;
    if (n >= 2 && strcmp(pattern + n - 2, ".*") == 0)
        return strncmp(pattern, name, n - 1) == 0; /* the prefix with its dot */
    return strcmp(pattern, name) == 0;
}

bool events_pattern_valid(const char *pattern)
{
    for (size_t i = 0; pattern && i < events_count; i++)
        if (events_pattern_matches(pattern, events_catalog[i].name))
            return true;
    return false;
}
