#pragma once
// SlotPool: the --slots limit. At most N requests are in service (busy CPU plus latency)
// at once across every worker thread; later ones wait in one FIFO queue, as they would for
// a fixed thread pool. That caps throughput at N / latency requests per second, which is
// what makes the echo a realistic thing to autoscale.
//
// Any worker thread may call it. A waiting request learns of its slot through
// SlotGrantee::grantSlot, called on the releasing thread; the grantee must hand it over to
// its own thread (the worker posts it to its event loop).

#include <cstdint>
#include <deque>
#include <mutex>

namespace tidegate::echo {

class SlotGrantee {
 public:
  virtual ~SlotGrantee() = default;
  // The request identified by (fd, generation) now holds a slot; if it is gone, the
  // grantee must release() the slot again.
  virtual void grantSlot(int fd, uint32_t generation) = 0;
};

class SlotPool {
 public:
  explicit SlotPool(int slots) : free_(slots) {}

  // True when a slot was free and is now held by the caller; false when the request was
  // queued and will be granted a slot later.
  bool acquire(SlotGrantee& grantee, int fd, uint32_t generation);

  // Gives a held slot to the longest-waiting request, or back to the pool.
  void release();

 private:
  struct Waiter {
    SlotGrantee* grantee;
    int fd;
    uint32_t generation;
  };

  std::mutex mutex_;
  int free_;
  std::deque<Waiter> waiters_;
};

}  // namespace tidegate::echo
