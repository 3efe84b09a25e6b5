#include "collectors/statsd/stream_listeners.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "daemon/core/listen_endpoint.h"

namespace metricsd::statsd {
namespace {

constexpr std::size_t kReadSize = 64 * 1024;

// One TCP connection: complete lines are ingested as they arrive; a partial line waits for
// the rest. A line longer than max_line_length is counted once and skipped up to its
// newline; the connection stays open.
class TcpSession : public std::enable_shared_from_this<TcpSession> {
 public:
  TcpSession(net::ip::tcp::socket socket, std::shared_ptr<SharedIngester> ingester)
      : socket_(std::move(socket)), ingester_(std::move(ingester)), buffer_(new char[kReadSize]) {}

  void Read() {
    socket_.async_read_some(net::buffer(buffer_.get(), kReadSize),
                            [self = shared_from_this()](const boost::system::error_code& ec,
                                                        std::size_t n) { self->OnRead(ec, n); });
  }

 private:
  void OnRead(const boost::system::error_code& ec, std::size_t n) {
    Ingester& ingester = ingester_->get();
    Ingester::Batch batch(ingester);
    std::size_t max_line = ingester.max_line_length();
    std::string_view chunk(buffer_.get(), n);
    while (!chunk.empty()) {
      std::size_t newline = chunk.find('\n');
      if (discarding_) {
        if (newline == std::string_view::npos) return Continue(ec);
        discarding_ = false;
        chunk.remove_prefix(newline + 1);
        continue;
      }
      if (newline == std::string_view::npos) {
        pending_.append(chunk);
        if (pending_.size() > max_line) {
          ++ingester.stats().lines;
          ++ingester.stats().sample_errors[kLineTooLong];
          pending_.clear();
          discarding_ = true;
        }
        break;
      }
      if (pending_.empty()) {
        ingester.Lines(chunk.substr(0, newline));
      } else {
        pending_.append(chunk.substr(0, newline));
        ingester.Lines(pending_);
        pending_.clear();
      }
      chunk.remove_prefix(newline + 1);
    }
    if (ec && !pending_.empty()) {  // the peer closed: a last line without '\n' still counts
      ingester.Lines(pending_);
      pending_.clear();
    }
    Continue(ec);
  }

  void Continue(const boost::system::error_code& ec) {
    if (!ec) Read();
  }

  net::ip::tcp::socket socket_;
  std::shared_ptr<SharedIngester> ingester_;
  std::unique_ptr<char[]> buffer_;
  std::string pending_;
  bool discarding_ = false;
};

}  // namespace

TcpListener::TcpListener(net::io_context& ioc, const ListenAddress& address,
                         std::shared_ptr<SharedIngester> ingester)
    : ioc_(ioc), acceptor_(ioc), ingester_(std::move(ingester)) {
  port_ = OpenAcceptor(acceptor_, address).port();
}

void TcpListener::Start() { Accept(); }

void TcpListener::Stop() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

void TcpListener::Accept() {
  acceptor_.async_accept(net::make_strand(ioc_), [self = shared_from_this()](
                                                     const boost::system::error_code& ec,
                                                     net::ip::tcp::socket socket) {
    if (ec == net::error::operation_aborted || !self->acceptor_.is_open()) return;
    if (!ec) {
      {
        Ingester::Batch batch(self->ingester_->get());
        ++self->ingester_->get().stats().tcp_connections;
      }
      std::make_shared<TcpSession>(std::move(socket), self->ingester_)->Read();
    }
    self->Accept();
  });
}

UnixgramListener::UnixgramListener(net::io_context& ioc, const ListenerConfig& config,
                                   std::shared_ptr<SharedIngester> ingester)
    : socket_(ioc), path_(config.path), ingester_(std::move(ingester)),
      buffer_(new char[kReadSize]) {
  struct stat st {};
  // A socket file left by a previous run would make bind fail; anything else is not ours.
  if (::lstat(path_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(path_.c_str());
  socket_.open();
  socket_.bind(net::local::datagram_protocol::endpoint(path_));
  if (::chmod(path_.c_str(), config.mode) != 0) {
    throw std::system_error(errno, std::generic_category(), "chmod " + path_);
  }
}

UnixgramListener::~UnixgramListener() { ::unlink(path_.c_str()); }

void UnixgramListener::Start() { Receive(); }

void UnixgramListener::Stop() {
  boost::system::error_code ignored;
  socket_.close(ignored);
  ::unlink(path_.c_str());  // now, not when the last pending handler lets go of us
}

void UnixgramListener::Receive() {
  socket_.async_receive(net::buffer(buffer_.get(), kReadSize),
                        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                          if (ec == net::error::operation_aborted || !self->socket_.is_open()) return;
                          if (!ec) {
                            Ingester& ingester = self->ingester_->get();
                            Ingester::Batch batch(ingester);
                            ++ingester.stats().unixgram_packets;
                            ingester.Lines(std::string_view(self->buffer_.get(), n));
                          }
                          self->Receive();
                        });
}

}  // namespace metricsd::statsd
