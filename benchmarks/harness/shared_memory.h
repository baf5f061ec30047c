// One object in anonymous shared memory, so a forked child and its parent see the same bytes
// (futex words, counters, reports) exactly as two threads would.
#pragma once

#include <sys/mman.h>

#include <new>
#include <system_error>
#include <utility>

namespace flynn {

template <class T>
class SharedObject {
 public:
  template <class... Args>
  explicit SharedObject(Args&&... args) {
    void* memory = mmap(nullptr, sizeof(T), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap shared");
    try {
      object_ = new (memory) T(std::forward<Args>(args)...);
    } catch (...) {
      munmap(memory, sizeof(T));
      throw;
    }
  }
  ~SharedObject() {
    object_->~T();
    munmap(object_, sizeof(T));
  }
  SharedObject(const SharedObject&) = delete;
  SharedObject& operator=(const SharedObject&) = delete;

  T& operator*() const { return *object_; }
  T* operator->() const { return object_; }

 private:
  T* object_ = nullptr;
};

}  // namespace flynn
