/* Compiled as C99 with -pedantic: duet_client.h must be a plain C header. The
 * function drives a few calls from C; c_abi_test.cc runs it. Returns 0 on
 * success, otherwise the line of the first failed check. */
#include <stdlib.h>
#include <string.h>

#include "client/duet_client.h"

int duet_client_c99_smoke(void);

#define CHECK(cond)        \
  do {                     \
    if (!(cond)) {         \
      rc = __LINE__;       \
      goto done;           \
    }                      \
  } while (0)

int duet_client_c99_smoke(void) {
  int rc = 0;
  int enrolled = -1;
  size_t len = 0;
  char* request = NULL;
  char small[8];
  duet_client* h = duet_client_new_memory();
  CHECK(h != NULL);
  CHECK(strcmp(duet_status_name(DUET_OK), "ok") == 0);
  CHECK(strcmp(duet_status_name(DUET_ERR_SIGNATURE_INVALID), "signature_invalid") == 0);
  CHECK(strcmp(duet_status_name(DUET_ERR_BUFFER_TOO_SMALL), "buffer_too_small") == 0);
  CHECK(strcmp(duet_status_name(12345), "unknown") == 0);

  CHECK(duet_client_is_enrolled(h, &enrolled) == DUET_OK);
  CHECK(enrolled == 0);
  len = sizeof small;
  CHECK(duet_client_holder_id(h, small, &len) == DUET_ERR_BAD_STATE);
  CHECK(strlen(duet_client_last_error(h)) > 0);
  CHECK(duet_client_is_enrolled(NULL, &enrolled) == DUET_ERR_INVALID_ARGUMENT);

  /* Size query, then the real call. */
  len = 0;
  CHECK(duet_client_begin_enrollment(h, "hld_c99", NULL, &len) == DUET_ERR_BUFFER_TOO_SMALL);
  CHECK(len > 1 && len <= DUET_MESSAGE_MAX);
  request = (char*)malloc(len);
  CHECK(request != NULL);
  CHECK(duet_client_begin_enrollment(h, "hld_c99", request, &len) == DUET_OK);
  CHECK(len == strlen(request));
  CHECK(request[0] == '{');
  CHECK(strcmp(duet_client_last_error(h), "") == 0);
  CHECK(duet_client_complete_enrollment(h, "not json", "123456") == DUET_ERR_BAD_ENCODING);

  /* The service's refusals of protocol v2 map to their own codes. */
  CHECK(duet_client_attempts_left(h) == -1);
  CHECK(duet_client_service_error(
            h, "{\"error\":{\"code\":\"pin_invalid\",\"message\":\"wrong\",\"attempts_left\":3}}") ==
        DUET_ERR_PIN_INVALID);
  CHECK(duet_client_attempts_left(h) == 3);
  CHECK(duet_client_service_error(h, "{\"error\":{\"code\":\"locked\"}}") == DUET_ERR_LOCKED);
  CHECK(duet_client_service_error(h, "{\"error\":{\"code\":\"client_upgrade_required\"}}") ==
        DUET_ERR_CLIENT_UPGRADE_REQUIRED);
  CHECK(duet_client_service_error(h, "{\"error\":{\"code\":\"refresh_required\"}}") == DUET_ERR_REFRESH_REQUIRED);
  CHECK(duet_client_service_error(h, "{}") == DUET_ERR_BAD_ENCODING);
  CHECK(strcmp(duet_status_name(DUET_ERR_PIN_INVALID), "pin_invalid") == 0);
  CHECK(duet_client_attempts_left(NULL) == -1);

done:
  free(request);
  duet_client_free(h);
  return rc;
}
