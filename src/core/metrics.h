/*
 * metrics.h: what GET /metrics is made of (Prometheus's text format, 0.0.4;
 * docs/operations.md lists every family).
 *
 * Each count lives with what it counts (the server's routes, the job queue,
 * the outbound loop, the store's pool) as a relaxed atomic, so counting
 * takes no lock on any request's path. A scrape reads them and writes text
 * with the helpers below into one capped buffer; whatever locks a scrape
 * needs it takes once per scrape.
 */
#ifndef SLIPWAY_METRICS_H
#define SLIPWAY_METRICS_H

#include <stdatomic.h>

#include "core/buf.h"
#include "core/common.h"

/* Latency buckets, in seconds (1 ms to 30 s; a provider call may take 30 s): their upper bounds, +Inf implied. */
#define METRICS_BUCKETS 14

struct metrics_histogram {
    _Atomic uint64_t counts[METRICS_BUCKETS + 1]; /* per bucket, not cumulative; the last is past every bound */
    _Atomic uint64_t sum_us;
};

/* Counts one observation of us microseconds. Lock-free. */
void metrics_observe(struct metrics_histogram *h, int64_t us);

/* The text being written: full is set (and stays) once anything did not fit. */
struct metrics_out {
    struct buf buf;
    bool full;
};

/* Appends formatted text (at most one line of 4 KiB at a time). */
void metrics_printf(struct metrics_out *m, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* The # HELP and # TYPE lines of a family; type is counter, gauge or histogram. */
void metrics_family(struct metrics_out *m, const char *name, const char *type, const char *help);
/*
 * One histogram's series: NAME_bucket{LABELS,le=...} (cumulative),
 * NAME_sum in seconds and NAME_count. labels: rendered pairs
 * (`route="/x",method="GET"`), or "" for none.
 */
void metrics_histogram_write(struct metrics_out *m, const char *name, const char *labels, const struct metrics_histogram *h);
/* Copies value into out as a label value (backslash, double quote and newline escaped); truncates to fit. */
void metrics_escape(char *out, size_t n, const char *value);

/* The process's own: resident and virtual memory, threads, open files, CPU time, start time (from /proc/self). */
void metrics_process_write(struct metrics_out *m);

#endif
