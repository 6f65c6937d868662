/*
 * probe.h: a job kind for tests only, "probe": compiled in, registered only
 * when SLIPWAY_TEST_PROBE is set (main.c). It is a multi-step workflow
 * whose every step has an effect on a fake provider (tests/reliability/
 * workflows.py serves it), so a test can kill processes in the middle of
 * it and count what happened:
 *
 *   even steps   POST {url}/keyed/{key} with Idempotency-Key: {key} (the
 *                provider drops a repeated key: an idempotency key);
 *   odd steps    GET {url}/items/{key}, and POST {url}/items/{key} only
 *                when it is not there (read before write), the job's row
 *                saved in between as a real call's is (provider_next);
 *   the middle   with payload "wait": waits for that event (30 s at most);
 *                with "signal": signals that event (jobs_signal);
 *
 * where key is the step's job_key. Each request says which process sent it
 * (X-Probe-Pid). Its output: {"steps", "gotEvent", "timedOut"}.
 *
 * SLIPWAY_TEST_PROBE is JSON: {"url": the fake's base URL, "timeoutMs":
 * how long a request may take (10000), "enqueue": {"count": N, "steps": S,
 * "tag": T, "pairs": bool, "notBeforeMs": ms, "here": bool}}. With
 * "enqueue", the process creates N probe jobs as it starts, with dedupe
 * keys probe:T:0.. (a restart creates none again); with "pairs" each even
 * one waits for the event its odd neighbour signals; with "here" they are
 * this process's as they are created (jobs_enqueue's here) and run here
 * unless it dies (tests/ops/failover.py kills the one holding a step).
 */
#ifndef SLIPWAY_PROBE_H
#define SLIPWAY_PROBE_H

#include "jobs/jobs.h"

struct outbound;
struct probe;

#define PROBE_JOB "probe"

/* The probe of config (SLIPWAY_TEST_PROBE's value), calling out through out; NULL with err when config is wrong. */
struct probe *probe_new(const char *config, struct outbound *out, struct err *err);
void probe_free(struct probe *p);
/* The kind's step function; ctx is the probe. */
void probe_step(void *ctx, struct job *j);
/* Creates the jobs config asks for, on q (which the probe's signals use too). */
enum err_code probe_enqueue(struct probe *p, struct jobs *q, struct err *err);

#endif
