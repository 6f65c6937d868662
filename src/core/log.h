/*
 * log.h: structured logging, one JSON object per line on stderr.
 *
 * Every line has time, level and msg; callers add fields as a jansson
 * object. Never log a body, a token, a cookie, a password or any other
 * secret: fields are chosen by the caller, so the caller is responsible.
 */
#ifndef SLIPWAY_LOG_H
#define SLIPWAY_LOG_H

#include <jansson.h>

#include "core/common.h"

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level level);
/* Parses "debug", "info", "warn", "error"; returns -1 for anything else. */
int log_level_parse(const char *s, enum log_level *out);

/* Writes one line; steals fields (may be NULL). */
void log_fields(enum log_level level, const char *msg, json_t *fields);

/* Writes one already-formatted JSON object (without newline) as a line. */
void log_line(const char *text, size_t len);

/*
 * The access log is buffered: log_access_line appends, and a flusher writes
 * the buffer every 50 ms (or once it is half full), so a busy server makes
 * one write(2) for many requests instead of one each. A request never waits
 * for stderr: when it cannot keep up, lines are dropped and counted (log.c).
 * Without a running flusher lines are written at once. log_buffer_stop
 * flushes what is left.
 */
void log_buffer_start(void);
void log_buffer_stop(void);
void log_access_line(const char *text, size_t len);
bool log_enabled(enum log_level level);
/*
 * Copies s into out as the inside of a JSON string, in ASCII: quotes and
 * backslashes escaped, every other character outside printable ASCII as
 * \uXXXX (a surrogate pair above U+FFFF), a byte that is not UTF-8 as
 * \ufffd. Returns the length written. Stops before the first character
 * whose escape does not fit cap, never inside one (always NUL-terminated).
 */
size_t log_escape(char *out, size_t cap, const char *s);

void log_debug(const char *fmt, ...) PRINTF_LIKE(1, 2);
void log_info(const char *fmt, ...) PRINTF_LIKE(1, 2);
void log_warn(const char *fmt, ...) PRINTF_LIKE(1, 2);
void log_error(const char *fmt, ...) PRINTF_LIKE(1, 2);

#endif
