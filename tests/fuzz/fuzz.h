#ifndef MONITORAGE_FUZZ_H
#define MONITORAGE_FUZZ_H

/* Shared by the fuzz targets: the entry point libFuzzer (or replay.c) calls,
 * and a NUL-terminated copy of the input. Header-only: each target is one
 * file plus this header. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated malloc'd copy of data (NUL bytes inside stay); aborts when out of memory. */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        abort();
    if (size)
        memcpy(text, data, size);
    text[size] = '\0';
    return text;
}

/* A broken invariant: report it and abort, which libFuzzer records as a crash. */
#define FUZZ_ASSERT(cond)                                                                                    \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);                    \
            abort();                                                                                         \
        }                                                                                                    \
    } while (0)

#endif
