#include "core/log.h"

#include <pthread.h>
#include <stdarg.h>

#include "core/clock.h"

static enum log_level min_level = LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level level)
{
    min_level = level;
}

int log_level_parse(const char *s, enum log_level *out)
{
    for (size_t i = 0; i < ARRAY_LEN(level_names); i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return -1;
}

void log_fields(enum log_level level, const char *msg, json_t *fields)
{
    char now[TIMESTAMP_SIZE];
    json_t *line;
    char *text;

    if (level < min_level) {
        json_decref(fields);
        return;
    }
    clock_now(now);
    line = json_pack("{s:s, s:s, s:s}", "time", now, "level", level_names[level], "msg", msg);
    if (fields)
        json_object_update(line, fields);
    json_decref(fields);
    text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(line);
    if (!text)
        return;
    pthread_mutex_lock(&log_lock);
    fputs(text, stderr);
    fputc('\n', stderr);
    fflush(stderr);
    pthread_mutex_unlock(&log_lock);
    free(text);
}

static void log_v(enum log_level level, const char *fmt, va_list ap)
{
    char msg[1024];
    if (level < min_level)
        return;
    vsnprintf(msg, sizeof msg, fmt, ap);
    log_fields(level, msg, NULL);
}

#define LOG_FN(name, level)                                                                                                        \
    void name(const char *fmt, ...)                                                                                                \
    {                                                                                                                              \
        va_list ap;                                                                                                                \
        va_start(ap, fmt);                                                                                                         \
        log_v(level, fmt, ap);                                                                                                     \
        va_end(ap);                                                                                                                \
    }

LOG_FN(log_debug, LOG_DEBUG)
LOG_FN(log_info, LOG_INFO)
LOG_FN(log_warn, LOG_WARN)
LOG_FN(log_error, LOG_ERROR)
