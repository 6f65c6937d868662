/* pipelines.h: the fields every CI/CD pipeline type has (its SCM connection and target, platform, timeouts, variables). */
#ifndef SLIPWAY_PROVIDER_PIPELINES_H
#define SLIPWAY_PROVIDER_PIPELINES_H

#include "http/schema.h"

extern const struct field pipeline_common_fields[];
extern const size_t pipeline_common_count;

#endif
