#include "lua/shared_dict.h"

#include <cmath>

#include "core/clock.h"

namespace tidegate::lua {

struct SharedDict::Node {
  std::string key;
  size_t hash = 0;  // of key: erasing needs no rehash
  Type type = Type::kNil;
  bool boolean = false;
  double number = 0;
  std::string string;
  int64_t expires_ms = 0;  // 0: never
  Node* prev = nullptr;
  Node* next = nullptr;

  size_t cost() const { return key.size() + string.size() + kEntryOverhead; }
  bool expired(int64_t now) const { return expires_ms != 0 && now >= expires_ms; }
};

// A key with its hash, computed once per operation: it picks the shard and is the map's hash.
struct SharedDict::HashedKey {
  std::string_view view;
  size_t hash;
  bool operator==(const HashedKey& o) const { return view == o.view; }
};

namespace {
struct HashOf {
  size_t operator()(const SharedDict::HashedKey& k) const { return k.hash; }
};
}  // namespace

struct SharedDict::Shard {
  std::mutex mu;
  std::unordered_map<HashedKey, Node*, HashOf> map;  // keys view Node::key
  Node head;                                         // sentinel: head.next is the most recent
  size_t used = 0;
  size_t capacity = 0;
  uint64_t evictions = 0;

  Shard() { head.prev = head.next = &head; }
  ~Shard() { clear(); }

  void unlink(Node* n) {
    n->prev->next = n->next;
    n->next->prev = n->prev;
  }
  void pushFront(Node* n) {
    n->next = head.next;
    n->prev = &head;
    head.next->prev = n;
    head.next = n;
  }
  void touch(Node* n) {
    unlink(n);
    pushFront(n);
  }
  void erase(Node* n) {
    map.erase(HashedKey{n->key, n->hash});
    unlink(n);
    used -= n->cost();
    delete n;
  }
  void clear() {
    for (Node* n = head.next; n != &head;) {
      Node* next = n->next;
      delete n;
      n = next;
    }
    head.prev = head.next = &head;
    map.clear();
    used = 0;
  }
  // Finds a live entry; drops an expired one.
  Node* find(const HashedKey& key, int64_t now) {
    auto it = map.find(key);
    if (it == map.end()) return nullptr;
    Node* n = it->second;
    if (n->expired(now)) {
      erase(n);
      return nullptr;
    }
    return n;
  }
  // Evicts least recently used entries (expired or not) until the shard fits, sparing `keep`.
  void evictFor(const Node* keep) {
    while (used > capacity && head.prev != &head && head.prev != keep) {
      erase(head.prev);
      ++evictions;
    }
  }
};

namespace {

int64_t expiry(int64_t now, double ttl_seconds) {
  if (!(ttl_seconds > 0)) return 0;
  const double ms = std::ceil(ttl_seconds * 1000.0);
  return now + (ms < 1 ? 1 : static_cast<int64_t>(ms));
}

}  // namespace

SharedDict::SharedDict(std::string name, size_t capacity_bytes, size_t shards,
                       std::function<int64_t()> now_ms)
    : name_(std::move(name)), capacity_(capacity_bytes), now_ms_(std::move(now_ms)) {
  if (shards == 0) shards = 1;
  if (!now_ms_) now_ms_ = coarseNowMs;
  for (size_t i = 0; i < shards; ++i) {
    shards_.push_back(std::make_unique<Shard>());
    shards_.back()->capacity = capacity_bytes / shards;
  }
}

SharedDict::~SharedDict() = default;

SharedDict::HashedKey SharedDict::hashed(std::string_view key) {
  return HashedKey{key, std::hash<std::string_view>{}(key)};
}

SharedDict::Shard& SharedDict::shardFor(const HashedKey& key) {
  // The high half picks the shard, so that the keys of one shard still spread over the
  // map's buckets (which use the hash modulo their count).
  return *shards_[(key.hash >> 32) % shards_.size()];
}

SharedDict::Status SharedDict::get(std::string_view raw_key, Value& out) {
  const int64_t now = now_ms_();
  const HashedKey key = hashed(raw_key);
  Shard& s = shardFor(key);
  std::lock_guard lock(s.mu);
  Node* n = s.find(key, now);
  if (n == nullptr) return Status::kNotFound;
  s.touch(n);
  out.type = n->type;
  out.boolean = n->boolean;
  out.number = n->number;
  if (n->type == Type::kString) out.string.assign(n->string);
  return Status::kOk;
}

namespace {

// The node for a new entry, built before taking the lock (allocation outside it).
std::unique_ptr<SharedDict::Node> makeNode(const SharedDict::HashedKey& key,
                                           const SharedDict::ValueRef& value) {
  auto n = std::make_unique<SharedDict::Node>();
  n->key.assign(key.view);
  n->hash = key.hash;
  n->type = value.type;
  n->boolean = value.boolean;
  n->number = value.number;
  if (value.type == SharedDict::Type::kString) n->string.assign(value.string);
  return n;
}

}  // namespace

SharedDict::Node* SharedDict::insert(Shard& s, std::unique_ptr<Node> node, int64_t expires_ms) {
  node->expires_ms = expires_ms;
  s.map.emplace(HashedKey{node->key, node->hash}, node.get());
  Node* n = node.release();
  s.pushFront(n);
  s.used += n->cost();
  s.evictFor(n);
  return n;
}

SharedDict::Status SharedDict::set(std::string_view raw_key, const ValueRef& value,
                                   double ttl_seconds) {
  if (value.type == Type::kNil) {
    remove(raw_key);
    return Status::kOk;
  }
  const HashedKey key = hashed(raw_key);
  const size_t cost = raw_key.size() + value.string.size() + kEntryOverhead;
  Shard& s = shardFor(key);
  if (cost > s.capacity) return Status::kTooLarge;
  auto fresh = makeNode(key, value);
  const int64_t now = now_ms_();
  std::lock_guard lock(s.mu);
  auto it = s.map.find(key);
  if (it == s.map.end()) {
    insert(s, std::move(fresh), expiry(now, ttl_seconds));
    return Status::kOk;
  }
  Node* n = it->second;
  s.used -= n->cost();
  n->type = fresh->type;
  n->boolean = fresh->boolean;
  n->number = fresh->number;
  n->string.swap(fresh->string);
  n->expires_ms = expiry(now, ttl_seconds);
  s.used += n->cost();
  s.touch(n);
  s.evictFor(n);
  return Status::kOk;
}

SharedDict::Status SharedDict::add(std::string_view raw_key, const ValueRef& value,
                                   double ttl_seconds) {
  const HashedKey key = hashed(raw_key);
  const size_t cost = raw_key.size() + value.string.size() + kEntryOverhead;
  Shard& s = shardFor(key);
  if (value.type != Type::kNil && cost > s.capacity) return Status::kTooLarge;
  auto fresh = makeNode(key, value);
  const int64_t now = now_ms_();
  std::lock_guard lock(s.mu);
  if (s.find(key, now) != nullptr) return Status::kExists;
  if (value.type == Type::kNil) return Status::kOk;
  insert(s, std::move(fresh), expiry(now, ttl_seconds));
  return Status::kOk;
}

SharedDict::Status SharedDict::incr(std::string_view raw_key, double delta, double& out,
                                    const double* init, double init_ttl_seconds) {
  const HashedKey key = hashed(raw_key);
  Shard& s = shardFor(key);
  const int64_t now = now_ms_();
  {
    std::lock_guard lock(s.mu);
    Node* n = s.find(key, now);
    if (n != nullptr) {
      if (n->type != Type::kNumber) return Status::kNotANumber;
      n->number += delta;
      out = n->number;
      s.touch(n);
      return Status::kOk;
    }
    if (init == nullptr) return Status::kNotFound;
  }
  if (raw_key.size() + kEntryOverhead > s.capacity) return Status::kTooLarge;
  ValueRef value;
  value.type = Type::kNumber;
  value.number = *init + delta;
  auto fresh = makeNode(key, value);
  std::lock_guard lock(s.mu);
  // Another thread may have created it meanwhile: then add to what is there.
  Node* n = s.find(key, now);
  if (n != nullptr) {
    if (n->type != Type::kNumber) return Status::kNotANumber;
    n->number += delta;
    out = n->number;
    s.touch(n);
    return Status::kOk;
  }
  out = insert(s, std::move(fresh), expiry(now, init_ttl_seconds))->number;
  return Status::kOk;
}

void SharedDict::remove(std::string_view raw_key) {
  const HashedKey key = hashed(raw_key);
  Shard& s = shardFor(key);
  std::lock_guard lock(s.mu);
  auto it = s.map.find(key);
  if (it != s.map.end()) s.erase(it->second);
}

void SharedDict::flushAll() {
  for (auto& s : shards_) {
    std::lock_guard lock(s->mu);
    s->clear();
  }
}

size_t SharedDict::bytesUsed() const {
  size_t total = 0;
  for (auto& s : shards_) {
    std::lock_guard lock(s->mu);
    total += s->used;
  }
  return total;
}

size_t SharedDict::size() const {
  size_t total = 0;
  for (auto& s : shards_) {
    std::lock_guard lock(s->mu);
    total += s->map.size();
  }
  return total;
}

uint64_t SharedDict::evictions() const {
  uint64_t total = 0;
  for (auto& s : shards_) {
    std::lock_guard lock(s->mu);
    total += s->evictions;
  }
  return total;
}

SharedDicts::SharedDicts(std::function<int64_t()> now_ms) : now_ms_(std::move(now_ms)) {}

SharedDict& SharedDicts::add(std::string name, size_t capacity_bytes, size_t shards) {
  dicts_.push_back(std::make_unique<SharedDict>(std::move(name), capacity_bytes, shards, now_ms_));
  return *dicts_.back();
}

SharedDict* SharedDicts::find(std::string_view name) const {
  for (const auto& d : dicts_) {
    if (d->name() == name) return d.get();
  }
  return nullptr;
}

}  // namespace tidegate::lua
