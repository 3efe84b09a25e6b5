#include "daemon/loadgen/statsd_sender.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "daemon/loadgen/http_connection.h"
#include "daemon/loadgen/socket_io.h"

namespace metricsd::loadgen {

void StatsdSender::Failed(std::size_t lines, std::string error) {
  stats_.lines_failed += lines;
  ++stats_.errors;
  stats_.last_error = std::move(error);
}

std::size_t PackLines(std::span<const std::string> lines, std::size_t max_bytes,
                      std::vector<Packet>& packets) {
  std::size_t used = 0;
  for (const std::string& line : lines) {
    const bool fits = used > 0 &&
                      packets[used - 1].payload.size() + 1 + line.size() <= max_bytes;
    if (!fits) {
      if (used == packets.size()) packets.emplace_back();
      Packet& packet = packets[used++];
      packet.payload.assign(line);
      packet.lines = 1;
      continue;
    }
    Packet& packet = packets[used - 1];
    packet.payload += '\n';
    packet.payload += line;
    ++packet.lines;
  }
  return used;
}

namespace {

class UdpSender final : public StatsdSender {
 public:
  UdpSender(const Endpoint& endpoint, std::chrono::milliseconds timeout)
      : endpoint_(endpoint), timeout_(timeout) {}

  std::size_t MaxBatchBytes() const override { return kMaxDatagramBytes; }

  void Send(std::span<const std::string> lines) override {
    const std::size_t count = PackLines(lines, kMaxDatagramBytes, packets_);
    if (!Connected(count)) return;
    std::size_t next = 0;
    const Clock::time_point deadline = Clock::now() + timeout_;
    while (next < count) {
      const std::size_t n = std::min<std::size_t>(count - next, 64);
      headers_.resize(n);
      iovecs_.resize(n);
      for (std::size_t i = 0; i < n; ++i) {
        Packet& packet = packets_[next + i];
        iovecs_[i] = {packet.payload.data(), packet.payload.size()};
        headers_[i] = {};
        headers_[i].msg_hdr.msg_iov = &iovecs_[i];
        headers_[i].msg_hdr.msg_iovlen = 1;
      }
      const int sent = ::sendmmsg(fd_.get(), headers_.data(), static_cast<unsigned>(n), 0);
      if (sent > 0) {
        for (int i = 0; i < sent; ++i) stats_.lines_sent += packets_[next + i].lines;
        stats_.writes += static_cast<std::uint64_t>(sent);
        next += static_cast<std::size_t>(sent);
        continue;
      }
      if (errno == EINTR) continue;
      if ((errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) &&
          Clock::now() < deadline) {
        // The socket's send buffer is full: wait for room, as a blocking client would.
        WaitFor(fd_.get(), POLLOUT, deadline);
        continue;
      }
      // This datagram failed (ECONNREFUSED: nobody listens; or the timeout): count it, go on.
      ++stats_.writes;
      Failed(packets_[next].lines, std::string("sendmmsg: ") + std::strerror(errno));
      ++next;
    }
  }

 private:
  bool Connected(std::size_t count) {
    if (fd_.valid()) return true;
    std::string error;
    fd_ = ConnectSocket(endpoint_.host, endpoint_.port, SOCK_DGRAM, Clock::now() + timeout_, error);
    if (fd_.valid()) return true;
    std::size_t lines = 0;
    for (std::size_t i = 0; i < count; ++i) lines += packets_[i].lines;
    stats_.writes += count;
    Failed(lines, error);
    return false;
  }

  Endpoint endpoint_;
  std::chrono::milliseconds timeout_;
  Fd fd_;
  std::vector<Packet> packets_;
  std::vector<mmsghdr> headers_;
  std::vector<iovec> iovecs_;
};

class TcpSender final : public StatsdSender {
 public:
  TcpSender(const Endpoint& endpoint, std::chrono::milliseconds timeout)
      : endpoint_(endpoint), timeout_(timeout) {}

  std::size_t MaxBatchBytes() const override { return 64 << 10; }

  void Send(std::span<const std::string> lines) override {
    if (lines.empty()) return;
    ++stats_.writes;
    const Clock::time_point deadline = Clock::now() + timeout_;
    if (!fd_.valid()) {
      std::string error;
      fd_ = ConnectSocket(endpoint_.host, endpoint_.port, SOCK_STREAM, deadline, error);
      if (!fd_.valid()) {
        Failed(lines.size(), error);
        return;
      }
    }
    buffer_.clear();
    for (const std::string& line : lines) {
      buffer_ += line;
      buffer_ += '\n';
    }
    std::string error;
    const std::size_t written = SendAll(fd_.get(), buffer_, deadline, error);
    if (written == buffer_.size()) {
      stats_.lines_sent += lines.size();
      return;
    }
    // Lines whose newline went out were sent; the rest failed (a cut line is garbage to the
    // receiver, which drops it when the connection closes).
    std::size_t offset = 0, complete = 0;
    for (const std::string& line : lines) {
      offset += line.size() + 1;
      if (offset > written) break;
      ++complete;
    }
    stats_.lines_sent += complete;
    Failed(lines.size() - complete, error);
    fd_.Reset();
  }

 private:
  Endpoint endpoint_;
  std::chrono::milliseconds timeout_;
  Fd fd_;
  std::string buffer_;
};

class HttpSender final : public StatsdSender {
 public:
  HttpSender(const Endpoint& endpoint, std::chrono::milliseconds timeout)
      : endpoint_(endpoint), connection_(endpoint.host, endpoint.port, timeout) {}

  std::size_t MaxBatchBytes() const override { return limit_; }

  void Send(std::span<const std::string> lines) override {
    std::size_t first = 0;
    while (first < lines.size()) {
      // One POST per limit_ bytes of lines.
      body_.clear();
      std::size_t last = first;
      while (last < lines.size() &&
             (last == first || body_.size() + 1 + lines[last].size() <= limit_)) {
        if (last > first) body_ += '\n';
        body_ += lines[last++];
      }
      // 413: the target's statsd.http.max_body_bytes is lower; halve the bodies and resend
      // these lines (down to one line per POST, which then fails for good).
      if (!Post(last - first) && last - first > 1) {
        limit_ = std::max<std::size_t>(256, body_.size() / 2);
        continue;
      }
      first = last;
    }
  }

 private:
  // False (nothing counted) for a 413 of a body of several lines, which is sent again smaller.
  bool Post(std::size_t count) {
    ++stats_.writes;
    HttpResult result = connection_.Request("POST", endpoint_.path, body_, "text/plain");
    if (result.status == 413 && count > 1) return false;
    // metricsd answers {"accepted":N,"rejected":M}, with 400 when it accepted none (a batch of
    // lines its mapping drops, say): either way it received every line of the batch.
    const bool counted = result.status == 400 &&
                         result.body.find("\"rejected\"") != std::string::npos;
    if ((result.status >= 200 && result.status < 300) || counted) {
      stats_.lines_sent += count;
    } else if (result.status == 0) {
      Failed(count, "POST " + endpoint_.ToString() + ": " + result.error);
    } else {
      std::string body = result.body.substr(0, 200);
      while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
      Failed(count, "POST " + endpoint_.ToString() + ": HTTP " + std::to_string(result.status) +
                        (body.empty() ? "" : ": " + body));
    }
    return true;
  }

  Endpoint endpoint_;
  HttpConnection connection_;
  std::size_t limit_ = kMaxHttpBodyBytes;
  std::string body_;
};

}  // namespace

std::unique_ptr<StatsdSender> MakeSender(const Endpoint& endpoint,
                                         std::chrono::milliseconds timeout) {
  switch (endpoint.kind) {
    case Endpoint::Kind::kUdp: return std::make_unique<UdpSender>(endpoint, timeout);
    case Endpoint::Kind::kTcp: return std::make_unique<TcpSender>(endpoint, timeout);
    case Endpoint::Kind::kHttp: return std::make_unique<HttpSender>(endpoint, timeout);
  }
  return nullptr;
}

}  // namespace metricsd::loadgen
