#include "daemon/loadgen/http_connection.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace metricsd::loadgen {
namespace {

// Beast's SyncReadStream over a non-blocking descriptor: each read waits for data with poll()
// until the deadline, so http::read cannot hang on a silent server.
class DeadlineStream {
 public:
  DeadlineStream(int fd, Clock::time_point deadline) : fd_(fd), deadline_(deadline) {}

  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers, beast::error_code& ec) {
    ec = {};
    for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers);
         ++it) {
      net::mutable_buffer buffer = *it;
      if (buffer.size() == 0) continue;
      while (true) {
        const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
        if (n > 0) return static_cast<std::size_t>(n);
        if (n == 0) {
          ec = net::error::eof;
          return 0;
        }
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
          ec = beast::error_code(errno, beast::system_category());
          return 0;
        }
        if (!WaitFor(fd_, POLLIN, deadline_)) {
          ec = net::error::timed_out;
          return 0;
        }
      }
    }
    return 0;
  }

  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers) {
    beast::error_code ec;
    std::size_t n = read_some(buffers, ec);
    if (ec) throw beast::system_error(ec);
    return n;
  }

 private:
  int fd_;
  Clock::time_point deadline_;
};

}  // namespace

HttpConnection::HttpConnection(std::string host, std::uint16_t port,
                               std::chrono::milliseconds timeout)
    : host_(std::move(host)), port_(port), timeout_(timeout) {}

HttpResult HttpConnection::Request(std::string_view method, std::string_view target,
                                   std::string_view body, std::string_view content_type) {
  bool reused = false;
  HttpResult result = Once(method, target, body, content_type, reused);
  // The keep-alive race: the server closed an idle connection as we reused it.
  if (result.status == 0 && reused) result = Once(method, target, body, content_type, reused);
  return result;
}

HttpResult HttpConnection::Once(std::string_view method, std::string_view target,
                                std::string_view body, std::string_view content_type,
                                bool& reused) {
  HttpResult result;
  const Clock::time_point deadline = Clock::now() + timeout_;
  reused = fd_.valid();
  if (!fd_.valid()) {
    buffer_.clear();
    fd_ = ConnectSocket(host_, port_, SOCK_STREAM, deadline, result.error);
    if (!fd_.valid()) return result;
  }
  request_.clear();
  request_.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ");
  request_.append(host_.find(':') != std::string::npos ? "[" + host_ + "]" : host_);
  request_.append(":").append(std::to_string(port_));
  request_.append("\r\nUser-Agent: metricsd-loadgen\r\nAccept: */*\r\n");
  if (!body.empty()) {
    request_.append("Content-Type: ").append(content_type).append("\r\n");
  }
  if (!body.empty() || method == "POST" || method == "PUT") {
    request_.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  request_.append("\r\n");
  std::string error;
  if (SendAll(fd_.get(), request_, deadline, error) != request_.size() ||
      SendAll(fd_.get(), body, deadline, error) != body.size()) {
    result.error = error;
    fd_.Reset();
    return result;
  }
  DeadlineStream stream(fd_.get(), deadline);
  http::response_parser<http::string_body> parser;
  parser.body_limit(256u << 20);
  parser.header_limit(64u << 10);
  beast::error_code ec;
  http::read(stream, buffer_, parser, ec);
  if (ec) {
    result.error = ec == net::error::timed_out ? "no response before the timeout"
                                              : "reading the response: " + ec.message();
    fd_.Reset();
    return result;
  }
  if (!parser.keep_alive()) fd_.Reset();
  result.status = parser.get().result_int();
  result.body = std::move(parser.get().body());
  return result;
}

}  // namespace metricsd::loadgen
