/*
 * thread.h: names for slipway's threads.
 *
 * Each thread slipway starts names itself first thing, so that `top -H`,
 * `ps -L`, perf and /proc/PID/task/N/comm tell a job worker from an HTTP
 * worker or the store's maintainer (bench/release_builds.py reads the last
 * to say which kind of thread spent a benchmark's CPU). libmicrohttpd's own
 * threads keep the name they are given there.
 */
#ifndef SLIPWAY_THREAD_H
#define SLIPWAY_THREAD_H

#include "core/common.h"

/* Names the calling thread "slw-" + what (cut to the kernel's 15 bytes). */
void thread_name(const char *what);

#endif
