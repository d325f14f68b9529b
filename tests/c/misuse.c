/*
 * Misuse test for the overlaynet C ABI: every function gets NULL pointers, invalid UTF-8,
 * absurd lengths, too-small buffers and free/NULL sequences, and must answer with the
 * documented result code and a last-error message, never a crash or a leak. Run under
 * valgrind by scripts/test.d/20-capi.sh.
 */
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
#define OK OVERLAYNET_RESULT_OK
#define NUL_PARAM OVERLAYNET_RESULT_NULL_PARAMETER
#define BAD_UTF8 OVERLAYNET_RESULT_INVALID_UTF8
#define BAD_LEN OVERLAYNET_RESULT_INVALID_LENGTH
#define TOO_SMALL OVERLAYNET_RESULT_BUFFER_TOO_SMALL
#define BAD_ENUM OVERLAYNET_RESULT_INVALID_ENUM

static const uint8_t invalid_utf8[] = {'n', 'e', 't', 0xff, 0xfe};
#define INVALID_UTF8 invalid_utf8, sizeof invalid_utf8
#define ABSURD ((size_t)-1)

static uint8_t buf[256];
static size_t n;

static void test_library(void) {
  CHECK(strlen(overlaynet_version()) > 0);
  CHECK(strcmp(overlaynet_result_description(OVERLAYNET_RESULT_OK), "success") == 0);
  CHECK(strcmp(overlaynet_result_description(123456u), "unknown result code") == 0);
  CHECK(strlen(overlaynet_result_description(OVERLAYNET_RESULT_PANIC)) > 0);

  /* Last error: NULL out_n, NULL buffer with a length, absurd length, size query. */
  overlaynet_last_error_clear();
  CHECK(overlaynet_last_error_message(buf, sizeof buf, NULL) == NUL_PARAM);
  CHECK(overlaynet_last_error_message(NULL, 10, &n) == NUL_PARAM);
  CHECK(overlaynet_last_error_message(buf, ABSURD, &n) == BAD_LEN);
  n = 99;
  CHECK(overlaynet_last_error_message(NULL, 0, &n) == OK && n == 0);
}
