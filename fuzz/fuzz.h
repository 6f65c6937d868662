/*
 * fuzz.h: what the fuzz targets share.
 *
 * CHECK is assert() that release builds keep: a broken invariant aborts,
 * which libFuzzer reports as a crash with the input that caused it.
 */
#ifndef SLIPWAY_FUZZ_H
#define SLIPWAY_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                                                                                \
    do {                                                                                                                           \
        if (!(cond)) {                                                                                                             \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond);                                           \
            abort();                                                                                                               \
        }                                                                                                                          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
