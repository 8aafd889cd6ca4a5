#pragma once
// SharedDict: a named key/value store shared by every VM of the process (tg.shared.<name>),
// like OpenResty's lua_shared_dict. Values are booleans, numbers or strings, each with an
// optional TTL; memory is bounded (keys + values + a fixed per-entry overhead) and the least
// recently used entries are evicted to make room. Thread-safe: the keys are spread over
// shards, each with its own mutex and LRU list (so eviction is LRU per shard); an operation
// holds one shard lock for a hash lookup and a list splice, and never calls into Lua.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tidegate::lua {

class SharedDict {
 public:
  enum class Type : uint8_t { kNil, kBoolean, kNumber, kString };
  // A value copied out of the dict; reuse one to avoid allocating on every get.
  struct Value {
    Type type = Type::kNil;
    bool boolean = false;
    double number = 0;
    std::string string;
  };
  // A value going in; `string` is copied.
  struct ValueRef {
    Type type = Type::kNil;
    bool boolean = false;
    double number = 0;
    std::string_view string;
  };
  enum class Status : uint8_t {
    kOk,
    kNotFound,    // absent or expired
    kExists,      // add(): the key is present
    kNotANumber,  // incr(): the value is not a number
    kTooLarge,    // the entry alone is larger than a shard's share of the capacity
  };

  // What one entry costs besides its key and value bytes (node, hash slot, list links).
  static constexpr size_t kEntryOverhead = 96;
  struct Node;       // internal
  struct HashedKey;  // internal

  SharedDict(std::string name, size_t capacity_bytes, size_t shards,
             std::function<int64_t()> now_ms);
  ~SharedDict();
  SharedDict(const SharedDict&) = delete;
  SharedDict& operator=(const SharedDict&) = delete;

  const std::string& name() const { return name_; }
  size_t capacity() const { return capacity_; }

  Status get(std::string_view key, Value& out);
  // ttl_seconds <= 0: never expires. Setting kNil deletes.
  Status set(std::string_view key, const ValueRef& value, double ttl_seconds);
  // Like set, only when the key is absent (or expired).
  Status add(std::string_view key, const ValueRef& value, double ttl_seconds);
  // Adds `delta` atomically and returns the new value in `out`. An absent key is kNotFound,
  // unless `init` is given: then it is created as *init + delta with `init_ttl_seconds`.
  Status incr(std::string_view key, double delta, double& out, const double* init = nullptr,
              double init_ttl_seconds = 0);
  void remove(std::string_view key);
  void flushAll();

  // Totals over the shards (each shard locked in turn: approximate under writes).
  size_t bytesUsed() const;
  size_t size() const;
  uint64_t evictions() const;

 private:
  struct Shard;
  static HashedKey hashed(std::string_view key);
  Shard& shardFor(const HashedKey& key);
  Node* insert(Shard& s, std::unique_ptr<Node> node, int64_t expires_ms);

  std::string name_;
  size_t capacity_;
  std::function<int64_t()> now_ms_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

// The dicts of the process, configured at start (dicts live as long as the process: a reload
// does not resize or empty them). add() before any VM uses the registry; afterwards it is only
// read, from any thread.
class SharedDicts {
 public:
  // `now_ms`: a monotonic clock in milliseconds for TTLs; empty means the coarse monotonic
  // clock. Injectable for tests.
  explicit SharedDicts(std::function<int64_t()> now_ms = {});

  SharedDict& add(std::string name, size_t capacity_bytes, size_t shards = 8);
  SharedDict* find(std::string_view name) const;
  const std::vector<std::unique_ptr<SharedDict>>& all() const { return dicts_; }

 private:
  std::function<int64_t()> now_ms_;
  std::vector<std::unique_ptr<SharedDict>> dicts_;
};

}  // namespace tidegate::lua
