// Counts heap allocations in a stretch of test code, to prove the hot paths allocate
// nothing. One definition of operator new for the whole test binary lives in
// allocation_counter.cpp; sanitizer builds keep their own allocator (and its checks), and
// then live() is false and tests skip the count.
#pragma once

#include <cstdint>

namespace attune_test {

class AllocationCounter {
 public:
  static bool live();  // false when the counting operator new is compiled out
  void start();
  uint64_t stop();  // allocations since start()
};

}  // namespace attune_test
