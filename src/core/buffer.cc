#include "core/buffer.h"

#include <cstdlib>

namespace tidegate {

BufferPool::~BufferPool() {
  while (free_) {
    FreeBlock* next = free_->next;
    std::free(free_);
    free_ = next;
  }
}

void BufferPool::acquire(Buffer& b) {
  char* block;
  if (free_) {
    block = reinterpret_cast<char*>(free_);
    free_ = free_->next;
    --free_count_;
  } else {
    block = static_cast<char*>(std::malloc(block_size_));
    if (!block) std::abort();
  }
  b = Buffer(block, block_size_);
}

void BufferPool::release(Buffer& b) {
  if (!b.block_) return;
  if (free_count_ < max_free_) {
    auto* f = reinterpret_cast<FreeBlock*>(b.block_);
    f->next = free_;
    free_ = f;
    ++free_count_;
  } else {
    std::free(b.block_);
  }
  b = Buffer();
}

}  // namespace tidegate
