/* communication.h: the fields every communication type has (which release events it is told about). */
#ifndef SLIPWAY_PROVIDER_COMMUNICATION_H
#define SLIPWAY_PROVIDER_COMMUNICATION_H

#include "http/schema.h"

extern const struct field communication_common_fields[];
extern const size_t communication_common_count;

#endif
