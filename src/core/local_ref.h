#pragma once
// LocalRef<T>: an intrusive reference count that is NOT atomic, for objects owned by one
// worker thread. Pinning a snapshot per request costs an increment, not a cross-core atomic.

#include <utility>

namespace tidegate {

// T must have `int local_refs = 0;` and be heap-allocated with new.
template <typename T>
class LocalRef {
 public:
  LocalRef() = default;
  explicit LocalRef(T* p) : p_(p) {
    if (p_) ++p_->local_refs;
  }
  LocalRef(const LocalRef& o) : LocalRef(o.p_) {}
  LocalRef(LocalRef&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  LocalRef& operator=(LocalRef o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  ~LocalRef() { reset(); }

  void reset() {
    if (p_ && --p_->local_refs == 0) delete p_;
    p_ = nullptr;
  }
  T* get() const { return p_; }
  T* operator->() const { return p_; }
  T& operator*() const { return *p_; }
  explicit operator bool() const { return p_ != nullptr; }

 private:
  T* p_ = nullptr;
};

}  // namespace tidegate
