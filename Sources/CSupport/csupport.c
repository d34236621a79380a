#include "csupport.h"
#include <malloc.h>

void lumen_tune_allocator(void) {
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);  // glibc's maximum
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
}
