#pragma once
// Buffer: a fixed-capacity byte window [begin, end) inside one block, for socket reads and
// incremental parsing. The block comes from a BufferPool so that requests reuse memory
// instead of allocating it. Single-threaded.

#include <cstddef>
#include <cstring>
#include <string_view>

namespace tidegate {

class BufferPool;

class Buffer {
 public:
  Buffer() = default;
  Buffer(char* block, size_t capacity) : block_(block), capacity_(capacity) {}

  bool attached() const { return block_ != nullptr; }
  char* block() const { return block_; }
  size_t capacity() const { return capacity_; }

  // Readable bytes.
  const char* data() const { return block_ + begin_; }
  size_t size() const { return end_ - begin_; }
  bool empty() const { return begin_ == end_; }
  std::string_view view() const { return {data(), size()}; }

  // Free space after the readable bytes.
  char* writePtr() { return block_ + end_; }
  size_t writable() const { return capacity_ - end_; }
  void commit(size_t n) { end_ += n; }

  void consume(size_t n) {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }
  void clear() { begin_ = end_ = 0; }
  // Moves readable bytes to the front so that writable() is as large as it can be.
  void compact() {
    if (begin_ == 0) return;
    std::memmove(block_, block_ + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  bool append(std::string_view s) {
    if (s.size() > writable()) return false;
    std::memcpy(writePtr(), s.data(), s.size());
    commit(s.size());
    return true;
  }

 private:
  friend class BufferPool;
  char* block_ = nullptr;
  size_t capacity_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;
};

// A free list of equal-sized blocks, one pool per worker thread (no locks). Blocks return to
// the list when released and are only freed with the pool, which caps at `max_free` spares.
class BufferPool {
 public:
  explicit BufferPool(size_t block_size, size_t max_free = 1024)
      : block_size_(block_size), max_free_(max_free) {}
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  size_t blockSize() const { return block_size_; }
  // Attaches a block to `b` (which must be detached).
  void acquire(Buffer& b);
  // Detaches `b`'s block and keeps it for reuse.
  void release(Buffer& b);

 private:
  struct FreeBlock {
    FreeBlock* next;
  };
  size_t block_size_;
  size_t max_free_;
  size_t free_count_ = 0;
  FreeBlock* free_ = nullptr;
};

}  // namespace tidegate
