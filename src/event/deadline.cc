#include "event/deadline.h"

#include "core/clock.h"

namespace tidegate::event {

void Deadline::arm(asio::ip::tcp::socket& socket, int64_t at_ms) {
  socket_ = &socket;
  at_ms_ = at_ms;
  expired_ = false;
  if (!armed_) {
    armed_ = true;
    sweeper_->link(this);
  }
}

void Deadline::disarm() {
  if (armed_) {
    armed_ = false;
    sweeper_->unlink(this);
  }
}

DeadlineSweeper::~DeadlineSweeper() {
  // Deadlines still armed belong to sessions torn down after us at exit: detach them.
  while (head_) {
    Deadline* d = head_;
    head_ = d->next_;
    d->armed_ = false;
    d->prev_ = d->next_ = nullptr;
  }
}

void DeadlineSweeper::link(Deadline* d) {
  d->prev_ = nullptr;
  d->next_ = head_;
  if (head_) head_->prev_ = d;
  head_ = d;
  ++count_;
}

void DeadlineSweeper::unlink(Deadline* d) {
  if (d->prev_)
    d->prev_->next_ = d->next_;
  else
    head_ = d->next_;
  if (d->next_) d->next_->prev_ = d->prev_;
  d->prev_ = d->next_ = nullptr;
  --count_;
}

void DeadlineSweeper::start() {
  timer_.expires_after(std::chrono::milliseconds(kTickMs));
  timer_.async_wait([this](const std::error_code& ec) {
    if (ec) return;
    sweep();
    start();
  });
}

void DeadlineSweeper::sweep() {
  int64_t now = coarseNowMs();
  for (Deadline* d = head_; d;) {
    Deadline* next = d->next_;
    if (d->at_ms_ <= now) {
      d->expired_ = true;
      d->disarm();
      std::error_code ignored;
      d->socket_->cancel(ignored);
    }
    d = next;
  }
}

}  // namespace tidegate::event
