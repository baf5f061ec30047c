#include "numa/region.h"

#include <numa.h>
#include <numaif.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

namespace flynn::numa {
namespace {

// x86-64's (and 4 KiB-page Arm's) PMD size: the unit of both THP and default hugetlb pages.
constexpr std::size_t kHugePageBytes = std::size_t{2} << 20;

std::size_t round_up(std::size_t value, std::size_t unit) { return (value + unit - 1) / unit * unit; }

std::size_t base_page_bytes() { return static_cast<std::size_t>(sysconf(_SC_PAGESIZE)); }

std::string first_word(const char* path) {
  std::ifstream file(path);
  std::string word;
  return file >> word ? word : "unreadable";
}

void bind_to_node(void* data, std::size_t bytes, int node) {
  struct bitmask* mask = numa_allocate_nodemask();
  numa_bitmask_setbit(mask, static_cast<unsigned>(node));
  const long status = mbind(data, bytes, MPOL_BIND, mask->maskp, mask->size + 1, 0);
  const int error = errno;
  numa_free_nodemask(mask);
  if (status != 0) throw std::system_error(error, std::generic_category(), "mbind to node " + std::to_string(node));
}

}  // namespace

Region::Region(std::size_t bytes, PageKind pages, int node) : bytes_(bytes) {
  // A THP region spans whole huge pages, so even a small working set can sit in one.
  const std::size_t length = round_up(bytes, pages == PageKind::normal ? base_page_bytes() : kHugePageBytes);
  if (pages == PageKind::hugetlb) {
    mapping_bytes_ = length;
    mapping_ = mmap(nullptr, mapping_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
    if (mapping_ == MAP_FAILED) {
      const int error = errno;
      mapping_ = nullptr;
      throw RegionUnavailable("MAP_HUGETLB failed: " + std::string(std::strerror(error)) +
                              " (vm.nr_hugepages=" + first_word("/proc/sys/vm/nr_hugepages") + ")");
    }
    data_ = static_cast<std::byte*>(mapping_);
  } else {
    // An inaccessible reservation with the data 2 MiB aligned inside it: THP needs the alignment,
    // and the inaccessible guards on both sides keep the data's mapping from merging with a
    // neighbour, so its smaps entry describes this region alone.
    mapping_bytes_ = round_up(bytes, kHugePageBytes) + 2 * kHugePageBytes;
    mapping_ = mmap(nullptr, mapping_bytes_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mapping_ == MAP_FAILED) {
      mapping_ = nullptr;
      throw std::system_error(errno, std::generic_category(), "mmap " + std::to_string(bytes) + " bytes");
    }
    const auto start = reinterpret_cast<std::uintptr_t>(mapping_) + base_page_bytes();
    data_ = reinterpret_cast<std::byte*>(round_up(start, kHugePageBytes));
    if (mprotect(data_, length, PROT_READ | PROT_WRITE) != 0 ||
        madvise(data_, length, pages == PageKind::thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE) != 0) {
      const int error = errno;
      munmap(mapping_, mapping_bytes_);
      throw std::system_error(error, std::generic_category(), "mprotect/madvise");
    }
  }
  if (node != kAnyNode) {
    try {
      bind_to_node(data_, length, node);
    } catch (...) {
      munmap(mapping_, mapping_bytes_);
      throw;
    }
  }
}

Region::Region(Region&& other) noexcept
    : mapping_(other.mapping_), mapping_bytes_(other.mapping_bytes_), data_(other.data_), bytes_(other.bytes_) {
  other.mapping_ = nullptr;
}

Region::~Region() {
  if (mapping_ != nullptr) munmap(mapping_, mapping_bytes_);
}

PageCount count_pages_on_node(const void* data, std::size_t bytes, int node) {
  const std::size_t page = base_page_bytes();
  const auto first = reinterpret_cast<std::uintptr_t>(data) / page * page;
  const auto end = reinterpret_cast<std::uintptr_t>(data) + bytes;
  PageCount count;
  // In chunks, so a gigabyte's 262144 pages do not need one 3 MiB query.
  constexpr std::size_t kChunk = 4096;
  std::vector<void*> pages;
  std::vector<int> status;
  for (std::uintptr_t address = first; address < end;) {
    pages.clear();
    for (; address < end && pages.size() < kChunk; address += page) pages.push_back(reinterpret_cast<void*>(address));
    status.assign(pages.size(), -1);
    if (move_pages(0, pages.size(), pages.data(), nullptr, status.data(), 0) != 0) {
      throw std::system_error(errno, std::generic_category(), "move_pages (query)");
    }
    count.pages += pages.size();
    count.on_node += static_cast<std::size_t>(std::count(status.begin(), status.end(), node));
  }
  return count;
}

std::optional<double> thp_percent(const Region& region) {
  std::ifstream smaps("/proc/self/smaps");
  std::ostringstream start;
  start << std::hex << reinterpret_cast<std::uintptr_t>(region.data()) << '-';
  bool in_region = false;
  for (std::string line; std::getline(smaps, line);) {
    if (!in_region) {
      in_region = line.starts_with(start.str());
      continue;
    }
    if (line.starts_with("AnonHugePages:")) {
      const double kib = std::stod(line.substr(line.find(':') + 1));
      return std::min(100.0, 100.0 * kib * 1024.0 / static_cast<double>(region.bytes()));
    }
  }
  return std::nullopt;
}

}  // namespace flynn::numa
