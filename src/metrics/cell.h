#pragma once
// Single-writer cells: std::atomic values that only their owning thread writes, with a relaxed
// load and a plain store (no lock prefix, no RMW), so that another thread may read them.
// Writers: the owning thread only. Readers: any thread (they may see a value a moment old).

#include <atomic>
#include <cstdint>

namespace tidegate::metrics {

// cell += n, by the cell's only writer. Compiles to a load, an add and a store: as cheap as a
// plain variable, yet a concurrent reader never sees a torn value.
template <typename T>
inline void cellAdd(std::atomic<T>& cell, T n) {
  cell.store(cell.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

}  // namespace tidegate::metrics
