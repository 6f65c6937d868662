/* tickets.h: the fields every ticket system has (epics created for releases, and their template). */
#ifndef SLIPWAY_PROVIDER_TICKETS_H
#define SLIPWAY_PROVIDER_TICKETS_H

#include "http/schema.h"

extern const struct field ticket_common_fields[];
extern const size_t ticket_common_count;

/*
 * The issue keys of prefix ("PROJECT-" for Jira, "AB#" for Azure Boards) in
 * text (release notes): the prefix and digits, not inside a longer word;
 * each once, in order of appearance. Caller owns.
 */
json_t *tickets_issue_keys(const char *text, const char *prefix);

/* The keys of prefix that tickets_link's input's "notes" name, less those of its "skip" (linked before). Caller owns. */
json_t *tickets_link_keys(const json_t *input, const char *prefix);

#endif
