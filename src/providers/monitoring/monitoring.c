/* monitoring.c: what the monitoring providers share (monitoring.h). */
#include "providers/monitoring/monitoring.h"

static json_t *percent(const json_t *rate)
{
    double v;
    if (!json_is_number(rate))
        return json_null();
    v = json_number_value(rate) * 100.0;
    return v >= 0.0 && v <= 100.0 ? json_real(v) : json_null();
}

const char *monitoring_version(const struct provider_call *c)
{
    const char *v = json_string_value(json_object_get(c->input, "version"));
    return v ? v : "";
}

bool monitoring_counts_errors(const struct provider_call *c)
{
    const char *metric = json_string_value(json_object_get(c->input, "metric"));
    return metric && strcmp(metric, "errorCount") == 0;
}

int monitoring_period_minutes(const struct provider_call *c)
{
    json_int_t w = json_integer_value(json_object_get(c->input, "windowMinutes"));
    return w > 0 && w <= 1440 ? (int)w : 60;
}

void monitoring_finish(struct provider_call *c, const json_t *sessions, const json_t *users, const json_t *errors)
{
    json_object_set_new(c->output, "crashFreeSessions", percent(sessions));
    json_object_set_new(c->output, "crashFreeUsers", percent(users));
    json_object_set_new(c->output, "errorCount",
                        json_is_integer(errors) && json_integer_value(errors) >= 0 ? json_integer(json_integer_value(errors))
                                                                                   : json_null());
    provider_finish(c, VERDICT_VALID, "%s: the release's health read", c->prov->display);
}
