/*
 * The check harness shared by the C misuse tests (tests/c/misuse*.c): counters, the last-error
 * reader, EXPECT/CHECK, and short names for the result codes. Each test prints its counts and
 * exits non-zero on any failure.
 */
#ifndef OVERLAYNET_TESTS_CHECK_H
#define OVERLAYNET_TESTS_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "overlaynet.h"

static int checks;
static int failures;

static const char *last_error(void) {
  static char text[1024];
  size_t n = 0;
  if (overlaynet_last_error_message((uint8_t *)text, sizeof text - 1, &n) != OVERLAYNET_RESULT_OK)
    n = 0;
  text[n] = '\0';
  return text;
}

/* The call must return `want`; a failure must also leave a non-empty message. */
#define EXPECT(call, want)                                                                  \
  do {                                                                                      \
    overlaynet_last_error_clear();                                                          \
    overlaynet_result rc_ = (call);                                                         \
    checks++;                                                                               \
    if (rc_ != (overlaynet_result)(want)) {                                                 \
      fprintf(stderr, "%s:%d: %s\n  returned %u, want %u; last error: %s\n", __FILE__,      \
              __LINE__, #call, (unsigned)rc_, (unsigned)(want), last_error());              \
      failures++;                                                                           \
    } else if (rc_ != OVERLAYNET_RESULT_OK && last_error()[0] == '\0') {                     \
      fprintf(stderr, "%s:%d: %s failed without a message\n", __FILE__, __LINE__, #call);    \
      failures++;                                                                           \
    }                                                                                       \
  } while (0)

#define CHECK(cond)                                                                         \
  do {                                                                                      \
    checks++;                                                                               \
    if (!(cond)) {                                                                          \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);              \
      failures++;                                                                           \
    }                                                                                       \
  } while (0)

#define S(text) (const uint8_t *)(text), strlen(text)
#define ABSURD ((size_t)-1)

#define OK OVERLAYNET_RESULT_OK
#define NUL_PARAM OVERLAYNET_RESULT_NULL_PARAMETER
#define BAD_UTF8 OVERLAYNET_RESULT_INVALID_UTF8
#define BAD_LEN OVERLAYNET_RESULT_INVALID_LENGTH
#define TOO_SMALL OVERLAYNET_RESULT_BUFFER_TOO_SMALL
#define BAD_ENUM OVERLAYNET_RESULT_INVALID_ENUM
#define BAD_INPUT OVERLAYNET_RESULT_INVALID_INPUT
#define OUT_OF_RANGE OVERLAYNET_RESULT_INDEX_OUT_OF_RANGE
#define CONFLICT OVERLAYNET_RESULT_CONFLICT
#define NOT_FOUND OVERLAYNET_RESULT_NOT_FOUND
#define REFUSED OVERLAYNET_RESULT_REFUSED
#define KERNEL OVERLAYNET_RESULT_KERNEL

#endif
