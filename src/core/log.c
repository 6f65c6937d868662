#include "core/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/thread.h"
#include "core/utf8.h"

static enum log_level min_level = LOG_INFO;
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
    log_line(text, strlen(text));
    free(text);
}

static void write_all(const char *buf, size_t len)
{
    for (size_t off = 0; off < len;) {
        ssize_t n = write(STDERR_FILENO, buf + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        off += (size_t)n;
    }
}

#define ACCESS_BUFFER (64 * 1024)

/*
 * Two buffers: request threads append to buf[active] under the lock; the
 * flusher swaps them under the lock and writes the full one outside it. So
 * a slow stderr (a disk throttling writes, a full pipe) holds the flusher
 * only, never a request: a line that finds the active buffer full while the
 * other is still being written is dropped and counted, and the flusher
 * reports the count in a line of its own.
 */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    bool running, stopping;
    int active;       /* the buffer lines are appended to */
    size_t len;       /* bytes in buf[active] */
    uint64_t dropped; /* lines dropped since the flusher last reported */
    char buf[2][ACCESS_BUFFER];
} access_log = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

/* Writes what the active buffer holds; called with the lock held, which it releases while writing. */
static void access_flush(void)
{
    const char *full = access_log.buf[access_log.active];
    size_t len = access_log.len;
    uint64_t dropped = access_log.dropped;

    access_log.active ^= 1;
    access_log.len = 0;
    access_log.dropped = 0;
    pthread_mutex_unlock(&access_log.lock);
    write_all(full, len);
    if (dropped)
        log_warn("access log: %llu lines dropped: stderr could not keep up", (unsigned long long)dropped);
    pthread_mutex_lock(&access_log.lock);
}

static void *access_flusher(void *arg)
{
    UNUSED(arg);
    thread_name("access-log");
    pthread_mutex_lock(&access_log.lock);
    while (!access_log.stopping) {
        struct timespec until;
        clock_deadline(&until, 50);
        if (access_log.len <= ACCESS_BUFFER / 2) /* else it filled while the other was written: no wait */
            pthread_cond_timedwait(&access_log.wake, &access_log.lock, &until);
        access_flush();
    }
    access_flush();
    pthread_mutex_unlock(&access_log.lock);
    return NULL;
}

void log_buffer_start(void)
{
    pthread_mutex_lock(&access_log.lock);
    access_log.stopping = false;
    access_log.running = pthread_create(&access_log.thread, NULL, access_flusher, NULL) == 0;
    pthread_mutex_unlock(&access_log.lock);
}

void log_buffer_stop(void)
{
    pthread_mutex_lock(&access_log.lock);
    bool running = access_log.running;
    access_log.stopping = true;
    access_log.running = false;
    pthread_cond_signal(&access_log.wake);
    pthread_mutex_unlock(&access_log.lock);
    if (running)
        pthread_join(access_log.thread, NULL);
}

void log_access_line(const char *text, size_t len)
{
    pthread_mutex_lock(&access_log.lock);
    if (!access_log.running || len + 1 > ACCESS_BUFFER) {
        pthread_mutex_unlock(&access_log.lock);
        log_line(text, len);
        return;
    }
    if (access_log.len + len + 1 > ACCESS_BUFFER) {
        access_log.dropped++; /* the flusher is still writing the other buffer */
    } else {
        char *end = access_log.buf[access_log.active] + access_log.len;
        memcpy(end, text, len);
        end[len] = '\n';
        access_log.len += len + 1;
    }
    if (access_log.len > ACCESS_BUFFER / 2)
        pthread_cond_signal(&access_log.wake); /* swap now rather than at the next tick */
    pthread_mutex_unlock(&access_log.lock);
}

void log_line(const char *text, size_t len)
{
    char stackbuf[2048], *buf = len + 1 <= sizeof stackbuf ? stackbuf : malloc(len + 1);

    if (!buf)
        return;
    memcpy(buf, text, len);
    buf[len] = '\n';
    write_all(buf, len + 1); /* one write(2) per line: lines from many threads never interleave */
    if (buf != stackbuf)
        free(buf);
}

/* The escape of a character outside plain printable ASCII, for a JSON string, into e (13 bytes); returns its length. */
static size_t escape_char(uint32_t cp, char e[13])
{
    if (cp == '"' || cp == '\\')
        return (size_t)snprintf(e, 13, "\\%c", (char)cp);
    if (cp <= 0xffff)
        return (size_t)snprintf(e, 13, "\\u%04x", (unsigned)cp);
    /* Above U+FFFF: a UTF-16 surrogate pair, as JSON writes it. */
    cp -= 0x10000;
    return (size_t)snprintf(e, 13, "\\u%04x\\u%04x", (unsigned)(0xd800 + (cp >> 10)), (unsigned)(0xdc00 + (cp & 0x3ff)));
}

size_t log_escape(char *out, size_t cap, const char *s)
{
    size_t o = 0, n = strlen(s);

    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        char e[13];
        uint32_t cp;
        int len;
        size_t elen;

        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') { /* the common case, written as it is */
            if (o + 1 >= cap)
                break;
            out[o++] = (char)c;
            i++;
            continue;
        }
        len = utf8_decode(s + i, n - i, &cp);
        if (len == 0) {
            cp = 0xfffd; /* a byte that is not UTF-8: the replacement character */
            len = 1;
        }
        elen = escape_char(cp, e);
        if (o + elen >= cap)
            break; /* the next character does not fit whole: stop before it */
        memcpy(out + o, e, elen);
        o += elen;
        i += (size_t)len;
    }
    if (cap)
        out[o] = '\0';
    return o;
}

bool log_enabled(enum log_level level)
{
    return level >= min_level;
}

PRINTF_LIKE(2, 0) static void log_v(enum log_level level, const char *fmt, va_list ap)
{
    char msg[1024];
    if (level < min_level)
        return;
    vsnprintf(msg, sizeof msg, fmt, ap);
    utf8_scrub(msg); /* else jansson refuses the line and it is lost */
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
