#pragma once
// EditArena: storage for the strings Lua scripts write into a request or response (new
// header values, a rewritten path, tg.respond headers). The parsed heads hold views, so what
// a script sets must live until the head is written; blocks are kept across requests, so a
// warm worker allocates nothing. One per Exchange; its worker only.

#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace tidegate::proxy {

class EditArena {
 public:
  static constexpr size_t kBlockSize = 4096;

  // A copy of `s` that stays valid until reset().
  std::string_view copy(std::string_view s) {
    char* p = allocate(s.size());
    if (!s.empty()) std::memcpy(p, s.data(), s.size());
    return {p, s.size()};
  }
  // Forgets every copy; keeps the small blocks for the next request, frees oversized ones.
  void reset() {
    std::erase_if(blocks_, [](const Block& b) { return b.size > kBlockSize; });
    current_ = 0;
    used_ = 0;
  }

 private:
  struct Block {
    std::unique_ptr<char[]> data;
    size_t size;
  };

  char* allocate(size_t n) {
    while (current_ < blocks_.size()) {
      Block& b = blocks_[current_];
      if (b.size - used_ >= n) {
        char* p = b.data.get() + used_;
        used_ += n;
        return p;
      }
      ++current_;
      used_ = 0;
    }
    size_t size = std::max(n, kBlockSize);
    blocks_.push_back(Block{std::make_unique<char[]>(size), size});
    current_ = blocks_.size() - 1;
    used_ = n;
    return blocks_.back().data.get();
  }

  std::vector<Block> blocks_;
  size_t current_ = 0;
  size_t used_ = 0;
};

}  // namespace tidegate::proxy
