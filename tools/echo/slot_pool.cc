#include "echo/slot_pool.h"

namespace tidegate::echo {

bool SlotPool::acquire(SlotGrantee& grantee, int fd, uint32_t generation) {
  std::lock_guard lock(mutex_);
  if (free_ > 0) {
    --free_;
    return true;
  }
  waiters_.push_back({&grantee, fd, generation});
  return false;
}

void SlotPool::release() {
  Waiter next;
  {
    std::lock_guard lock(mutex_);
    if (waiters_.empty()) {
      ++free_;
      return;
    }
    next = waiters_.front();
    waiters_.pop_front();
  }
  // Outside the lock: the grantee takes its own lock to post to its worker.
  next.grantee->grantSlot(next.fd, next.generation);
}

}  // namespace tidegate::echo
