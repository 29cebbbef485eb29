/**
 * @file common.h
 * @brief Export macro and declaration guards shared by every public header.
 */
#ifndef MONITORAGE_COMMON_H
#define MONITORAGE_COMMON_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define MON_EXTERN __attribute__((visibility("default")))
#else
#define MON_EXTERN
#endif

#ifdef __cplusplus
#define MON_BEGIN_DECLS extern "C" {
#define MON_END_DECLS }
#else
#define MON_BEGIN_DECLS
#define MON_END_DECLS
#endif

#endif
