/* tickets.h: the fields every ticket system has (epics created for releases, and their template). */
#ifndef SLIPWAY_PROVIDER_TICKETS_H
#define SLIPWAY_PROVIDER_TICKETS_H

#include "http/schema.h"

extern const struct field ticket_common_fields[];
extern const size_t ticket_common_count;

#endif
