#include "collectors/statsd/udp_batch.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

namespace metricsd::statsd {

// Not value-initialised: untouched pages stay out of the resident set.
UdpBatch::UdpBatch()
    : slots_(new char[kBatch * kSlot]),
      spill_(new char[kBatch * kDatagramSize]),
      messages_(kBatch),
      iovecs_(2 * kBatch) {
  for (unsigned i = 0; i < kBatch; ++i) {
    // The spill region starts kSlot into the datagram's own 64 KiB, so a large datagram is
    // made contiguous by copying its first kSlot bytes in front of the rest.
    iovecs_[2 * i] = {slots_.get() + i * kSlot, kSlot};
    iovecs_[2 * i + 1] = {spill_.get() + i * kDatagramSize + kSlot, kDatagramSize - kSlot};
    messages_[i].msg_hdr = {};
    messages_[i].msg_hdr.msg_iov = &iovecs_[2 * i];
    messages_[i].msg_hdr.msg_iovlen = 2;
  }
}

int UdpBatch::Receive(int fd) {
  int n = ::recvmmsg(fd, messages_.data(), kBatch, block_ ? MSG_WAITFORONE : MSG_DONTWAIT, nullptr);
  if (n >= 0) return n;
  if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) return 0;
  return -1;
}

std::string_view UdpBatch::Datagram(int i) {
  auto at = static_cast<std::size_t>(i);
  std::size_t length = messages_[at].msg_len;
  const char* data = slots_.get() + at * kSlot;
  if (length > kSlot) {
    char* whole = spill_.get() + at * kDatagramSize;
    std::memcpy(whole, data, kSlot);
    data = whole;
  }
  return {data, length};
}

void UdpBatch::Pace(int n) {
  window_datagrams_ += static_cast<std::size_t>(n);
  if (static_cast<unsigned>(n) == kBatch) {
    block_ = false;  // more may be queued: take it before deciding to wait
    return;
  }
  block_ = true;
  if (window_datagrams_ == 0) return;  // woken with nothing (a stop, a timeout)
  auto now = Clock::now();
  double window = std::max(std::chrono::duration<double>(now - window_start_).count(), 1e-6);
  double rate = static_cast<double>(window_datagrams_) / window;
  window_start_ = now;
  window_datagrams_ = 0;
  if (rate * std::chrono::duration<double>(kMaxCoalesce).count() < kMinArrivals) return;
  auto wait = std::chrono::duration<double>(kCoalesceTarget / rate);
  if (wait > kMaxCoalesce) wait = kMaxCoalesce;
  if (wait >= kMinCoalesce) std::this_thread::sleep_for(wait);
}

}  // namespace metricsd::statsd
