/*
 * common.h: included first by every slipway source file.
 *
 * Pulls in the standard headers that declare the functions we ban, then
 * poisons those functions (curl's banned list): use snprintf, memcpy with an
 * explicit length, strtol/strtoll with error checks, and buf/arena helpers.
 */
#ifndef SLIPWAY_COMMON_H
#define SLIPWAY_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define UNUSED(x) ((void)(x))

#if defined(__GNUC__)
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define PRINTF_LIKE(f, a)
#endif

/* A UUID in its canonical text form, with the terminating NUL. */
#define UUID_LEN 36
#define UUID_SIZE (UUID_LEN + 1)

/* An RFC 3339 UTC timestamp with milliseconds: 2026-11-22T04:15:16.123Z */
#define TIMESTAMP_LEN 24
#define TIMESTAMP_SIZE (TIMESTAMP_LEN + 1)

#if defined(__GNUC__) && !defined(SLIPWAY_NO_POISON)
#pragma GCC poison sprintf vsprintf strcpy strcat strtok atoi atol gets
#endif

#endif
