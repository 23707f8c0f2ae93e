#include "crypto/ct.h"

#ifdef DUET_HAVE_VALGRIND
#include <valgrind/memcheck.h>
#endif

namespace duet::crypto::ct {

// Out of line on purpose: the caller must store a declassified value to memory
// and read it back after the call, so the branch uses the declassified copy.
void declassify(const void* data, size_t size) {
#ifdef DUET_HAVE_VALGRIND
  (void)VALGRIND_MAKE_MEM_DEFINED(data, size);
#else
  (void)data;
  (void)size;
#endif
}

void classify(const void* data, size_t size) {
#ifdef DUET_HAVE_VALGRIND
  (void)VALGRIND_MAKE_MEM_UNDEFINED(data, size);
#else
  (void)data;
  (void)size;
#endif
}

bool under_valgrind() {
#ifdef DUET_HAVE_VALGRIND
  return RUNNING_ON_VALGRIND != 0;
#else
  return false;
#endif
}

}  // namespace duet::crypto::ct
