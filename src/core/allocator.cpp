#include "dsselect/core/allocator.hpp"

#include <malloc.h>

namespace dsselect {

void keep_search_memory_in_heap() {
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
}

}  // namespace dsselect
