/*
 * clock.h: wall-clock and monotonic time, and slipway's one timestamp
 * format. Timestamps are made here, in C, never by the database.
 */
#ifndef SLIPWAY_CLOCK_H
#define SLIPWAY_CLOCK_H

#include "core/common.h"

/* Milliseconds since the Unix epoch (wall clock, plus the test offset). */
int64_t clock_now_ms(void);
/*
 * Test runs only (SLIPWAY_TEST_CLOCK_OFFSET_MS): moves clock_now_ms, and so
 * every timestamp slipway writes and the job queue's due times, by ms, so a
 * test reaches a release train's slot without waiting. clock_deadline (a
 * relative wait) is not moved.
 */
void clock_set_offset(int64_t ms);
/* Milliseconds from an arbitrary origin that never goes backwards. */
int64_t clock_mono_ms(void);
/* The same clock in microseconds (latencies). */
int64_t clock_mono_us(void);

struct timespec;
/* The wall-clock moment ms from now, as pthread_cond_timedwait wants its deadline. */
void clock_deadline(struct timespec *ts, int64_t ms);

/* Formats ms as 2026-11-22T04:15:16.123Z into out[TIMESTAMP_SIZE]. */
void clock_format(int64_t ms, char out[TIMESTAMP_SIZE]);
/* Formats now. */
void clock_now(char out[TIMESTAMP_SIZE]);
/*
 * Parses RFC 3339 (a date with a time, seconds, optional fraction and a Z or
 * +hh:mm offset) into ms. Returns 0, or -1 for anything else.
 */
int clock_parse(const char *s, int64_t *ms);

#endif
