#pragma once
// A bump allocator for one evaluation: collections and computed strings live here, and reset()
// makes the memory reusable without returning it to the heap, so that evaluating a compiled
// expression repeatedly allocates nothing once warm.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace trialbridge::fhirpath {

class Arena {
 public:
  explicit Arena(size_t firstChunk = 8192) : firstChunk_(firstChunk) {}
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  void* allocate(size_t n, size_t align = alignof(std::max_align_t)) {
    uintptr_t p = (reinterpret_cast<uintptr_t>(ptr_) + (align - 1)) & ~(uintptr_t{align} - 1);
    if (ptr_ == nullptr || p + n > reinterpret_cast<uintptr_t>(end_)) return grow(n, align);
    ptr_ = reinterpret_cast<char*>(p + n);
    return reinterpret_cast<void*>(p);
  }
  template <typename T>
  T* allocateArray(size_t n) {
    return static_cast<T*>(allocate(n * sizeof(T), alignof(T)));
  }
  std::string_view copy(std::string_view s) {
    if (s.empty()) return {};
    char* p = static_cast<char*>(allocate(s.size(), 1));
    std::memcpy(p, s.data(), s.size());
    return {p, s.size()};
  }

  struct Mark {
    size_t chunk = 0;
    char* ptr = nullptr;
  };
  Mark mark() const { return {current_, ptr_}; }
  // Frees everything allocated since `m` (for scratch work whose results were consumed).
  void rewind(const Mark& m) {
    if (m.ptr == nullptr) {
      reset();
      return;
    }
    current_ = m.chunk;
    ptr_ = m.ptr;
    end_ = chunks_[current_].data.get() + chunks_[current_].size;
  }
  // Frees everything; keeps the chunks for reuse.
  void reset() {
    current_ = 0;
    if (chunks_.empty()) {
      ptr_ = end_ = nullptr;
    } else {
      ptr_ = chunks_[0].data.get();
      end_ = ptr_ + chunks_[0].size;
    }
  }
  size_t capacity() const {
    size_t n = 0;
    for (const Chunk& c : chunks_) n += c.size;
    return n;
  }

 private:
  struct Chunk {
    std::unique_ptr<char[]> data;
    size_t size = 0;
  };

  void* grow(size_t n, size_t align) {
    // Try the following chunks (kept from earlier use), then a new one twice as large.
    size_t next = chunks_.empty() ? 0 : current_ + 1;
    for (; next < chunks_.size(); ++next) {
      if (chunks_[next].size >= n + align) break;
    }
    if (next >= chunks_.size()) {
      size_t size = chunks_.empty() ? firstChunk_ : chunks_.back().size * 2;
      while (size < n + align) size *= 2;
      chunks_.push_back(Chunk{std::unique_ptr<char[]>(new char[size]), size});
      next = chunks_.size() - 1;
    }
    current_ = next;
    ptr_ = chunks_[current_].data.get();
    end_ = ptr_ + chunks_[current_].size;
    return allocate(n, align);
  }

  size_t firstChunk_;
  std::vector<Chunk> chunks_;
  size_t current_ = 0;
  char* ptr_ = nullptr;
  char* end_ = nullptr;
};

}  // namespace trialbridge::fhirpath
