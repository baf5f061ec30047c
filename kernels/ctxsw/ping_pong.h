// The two sides of a ping-pong over a pair of doorbells. One round trip is two hand-offs; each
// side touches its own working set on every message it receives, so a larger set shows what a
// switch costs in refilled caches (lmbench's lat_ctx "size" argument).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "ctxsw/doorbell.h"

namespace flynn::ctxsw {

// Cache-line stride: one write per line is enough to pull the whole line in.
inline constexpr std::size_t kLineBytes = 64;

// Increments one byte per cache line and returns their sum, so the work cannot be dropped.
inline std::uint64_t touch(std::span<std::byte> working_set) {
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < working_set.size(); i += kLineBytes) {
    const auto next = static_cast<std::uint8_t>(static_cast<std::uint8_t>(working_set[i]) + 1);
    working_set[i] = std::byte{next};
    sum += next;
  }
  return sum;
}

// Message k of a ping is 2k (mod 2^31); its answer is 2k + 1, so order is checkable.
inline std::uint32_t ping_message(std::uint64_t k) { return static_cast<std::uint32_t>((2 * k) % kStop); }

// One round trip from the initiating side. Returns 1 when the answer is the one expected.
template <class Bell>
std::uint64_t round_trip(Bell& to_partner, Bell& from_partner, std::uint64_t k,
                         std::span<std::byte> working_set) {
  const std::uint32_t sent = ping_message(k);
  to_partner.ring(sent);
  const std::uint32_t answer = from_partner.wait();
  touch(working_set);
  return answer == sent + 1 ? 1 : 0;
}

// The answering side: replies msg + 1 to every message until kStop. Returns the answer count.
template <class Bell>
std::uint64_t answer_until_stop(Bell& from_partner, Bell& to_partner, std::span<std::byte> working_set) {
  std::uint64_t answered = 0;
  for (std::uint32_t msg = from_partner.wait(); msg != kStop; msg = from_partner.wait()) {
    touch(working_set);
    to_partner.ring(msg + 1);
    ++answered;
  }
  return answered;
}

// The mechanism alone: ring a bell and take the message back on the same side, so nothing ever
// blocks. Returns the message received, which must equal k's message.
template <class Bell>
std::uint32_t ring_and_take(Bell& bell, std::uint64_t k, std::span<std::byte> working_set) {
  bell.ring(ping_message(k));
  const std::uint32_t msg = bell.wait();
  touch(working_set);
  return msg;
}

}  // namespace flynn::ctxsw
