#pragma once

namespace dsselect {

// A search allocates and frees a few hundred kilobytes per scenario. glibc would hand such
// blocks to mmap or trim them back to the kernel after each one, and fault them in again for
// the next: in a batch that was a third of the run time. This keeps them in the heap. Called
// once at start by the CLI and by the benchmarks, so both measure the same thing.
void keep_search_memory_in_heap();

}  // namespace dsselect
