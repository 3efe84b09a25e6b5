#include "collectors/statsd/stream_listeners.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "daemon/core/listen_endpoint.h"

namespace metricsd::statsd {
namespace {

constexpr std::size_t kReadSize = 64 * 1024;
// Reads per readiness before yielding the thread to other connections.
constexpr int kReadsPerWake = 16;
// A pending partial line above this is freed, not kept, once consumed: a connection that
// once sent a long line must not pin its capacity while idle.
constexpr std::size_t kKeepPendingCapacity = 256;

std::int64_t NowMs() { return SteadyMillis(); }

// One TCP connection: complete lines are ingested as they arrive; a partial line waits for
// the rest. A line longer than max_line_length is counted once and skipped up to its
// newline; the connection stays open. It owns no read buffer: it waits for readability, then
// reads into its io thread's buffer and keeps only a partial line.
class TcpSession : public std::enable_shared_from_this<TcpSession> {
 public:
  TcpSession(net::ip::tcp::socket socket, std::shared_ptr<SharedIngester> ingester,
             std::shared_ptr<TcpLimits> limits)
      : socket_(std::move(socket)), idle_timer_(socket_.get_executor()),
        ingester_(std::move(ingester)), limits_(std::move(limits)), last_read_ms_(NowMs()) {}
  ~TcpSession() { limits_->open.fetch_sub(1, std::memory_order_relaxed); }

  void Start() {
    boost::system::error_code ec;
    socket_.non_blocking(true, ec);
    if (ec) return;
    Wait();
    ArmIdleTimer(limits_->idle_timeout_ms.load(std::memory_order_relaxed));
  }

 private:
  void Wait() {
    socket_.async_wait(net::ip::tcp::socket::wait_read,
                       [self = shared_from_this()](const boost::system::error_code& ec) {
                         self->OnReadable(ec);
                       });
  }

  void OnReadable(const boost::system::error_code& wait_error) {
    if (wait_error) return Close();
    last_read_ms_ = NowMs();
    thread_local std::unique_ptr<char[]> buffer(new char[kReadSize]);
    for (int i = 0; i < kReadsPerWake; ++i) {
      boost::system::error_code ec;
      std::size_t n = socket_.read_some(net::buffer(buffer.get(), kReadSize), ec);
      if (ec == net::error::would_block || ec == net::error::try_again) return Wait();
      Consume(std::string_view(buffer.get(), n), static_cast<bool>(ec));
      if (ec) return Close();
    }
    Wait();
  }

  void Consume(std::string_view chunk, bool closed) {
    Ingester& ingester = ingester_->get();
    Ingester::Batch batch(ingester);
    std::size_t max_line = ingester.max_line_length();
    std::size_t relayed = 0;  // relay mode: lines seen
    while (!chunk.empty()) {
      std::size_t newline = chunk.find('\n');
      if (discarding_) {
        if (newline == std::string_view::npos) break;  // (pending_ is empty while discarding)
        discarding_ = false;
        chunk.remove_prefix(newline + 1);
        continue;
      }
      if (newline == std::string_view::npos) {
        pending_.append(chunk);
        if (pending_.size() > max_line) {
          ++ingester.stats().lines;
          ++ingester.stats().sample_errors[kLineTooLong];
          ReleasePending();
          discarding_ = true;
        }
        break;
      }
      if (pending_.empty()) {
        relayed += RelayLines(chunk.substr(0, newline));
        if (ingester_->aggregate()) ingester.Lines(chunk.substr(0, newline));
      } else {
        pending_.append(chunk.substr(0, newline));
        relayed += RelayLines(pending_);
        if (ingester_->aggregate()) ingester.Lines(pending_);
        ReleasePending();
      }
      chunk.remove_prefix(newline + 1);
    }
    if (closed && !pending_.empty()) {  // the peer closed: a last line without '\n' still counts
      relayed += RelayLines(pending_);
      if (ingester_->aggregate()) ingester.Lines(pending_);
      ReleasePending();
    }
    if (RelayWriter* relay = ingester_->relay()) relay->Flush();
    if (!ingester_->aggregate()) ingester.stats().lines += relayed;  // relay-only: still received
  }

  // Relay mode: inside the Batch (which serialises the shared writer). Returns the lines seen.
  std::size_t RelayLines(std::string_view lines) {
    RelayWriter* relay = ingester_->relay();
    return relay ? relay->Lines(lines).lines : 0;
  }

  void ReleasePending() {
    pending_.clear();
    if (pending_.capacity() > kKeepPendingCapacity) pending_.shrink_to_fit();
  }

  // Fires at the timeout and closes the connection if nothing was read since; otherwise
  // re-arms for the rest (cheaper than re-arming on every read).
  void ArmIdleTimer(std::int64_t timeout_ms) {
    if (timeout_ms <= 0) return;
    idle_timer_.expires_after(std::chrono::milliseconds(timeout_ms));
    idle_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || !self->socket_.is_open()) return;
      std::int64_t timeout = self->limits_->idle_timeout_ms.load(std::memory_order_relaxed);
      if (timeout <= 0) return;  // switched off by a reload
      std::int64_t idle = NowMs() - self->last_read_ms_;
      if (idle < timeout) return self->ArmIdleTimer(timeout - idle);
      {
        Ingester::Batch batch(self->ingester_->get());
        ++self->ingester_->get().stats().tcp_connections_idle_closed;
      }
      self->Close();
    });
  }

  void Close() {
    boost::system::error_code ignored;
    idle_timer_.cancel();
    socket_.close(ignored);  // the pending wait completes with operation_aborted
  }

  net::ip::tcp::socket socket_;
  net::steady_timer idle_timer_;
  std::shared_ptr<SharedIngester> ingester_;
  std::shared_ptr<TcpLimits> limits_;
  std::int64_t last_read_ms_;
  std::string pending_;
  bool discarding_ = false;
};

}  // namespace

TcpListener::TcpListener(net::io_context& ioc, const ListenAddress& address,
                         std::shared_ptr<SharedIngester> ingester, std::shared_ptr<TcpLimits> limits)
    : ioc_(ioc), acceptor_(ioc), ingester_(std::move(ingester)), limits_(std::move(limits)) {
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
      TcpLimits& limits = *self->limits_;
      bool over = limits.open.fetch_add(1, std::memory_order_relaxed) >=
                  limits.max_connections.load(std::memory_order_relaxed);
      {
        Ingester::Batch batch(self->ingester_->get());
        ShardStats& stats = self->ingester_->get().stats();
        ++stats.tcp_connections;
        if (over) ++stats.tcp_connections_rejected;
      }
      if (over) {
        // Closed at once, before any buffer exists: a flood of connections costs a socket
        // each for an instant, not memory.
        limits.open.fetch_sub(1, std::memory_order_relaxed);
        boost::system::error_code ignored;
        socket.close(ignored);
      } else {
        std::make_shared<TcpSession>(std::move(socket), self->ingester_, self->limits_)->Start();
      }
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
                            std::string_view datagram(self->buffer_.get(), n);
                            if (RelayWriter* relay = self->ingester_->relay()) {
                              std::size_t lines = relay->Lines(datagram).lines;
                              relay->Flush();
                              if (!self->ingester_->aggregate()) ingester.stats().lines += lines;
                            }
                            if (self->ingester_->aggregate()) ingester.Lines(datagram);
                          }
                          self->Receive();
                        });
}

}  // namespace metricsd::statsd
