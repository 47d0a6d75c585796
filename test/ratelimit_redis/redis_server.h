// A real redis-server for tests and benchmarks: started on a free loopback port in a temporary
// directory, killed (and the directory removed) at the end. Restartable on the same port and
// directory, so that persistence (AOF) and a cluster node's identity (nodes.conf) survive.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>

namespace tollgate::redis_test {

class RedisServer {
 public:
  // `appendonly`: AOF with fsync on every write (persistence tests); otherwise no persistence.
  // `cluster`: a Redis Cluster node (cluster-enabled, its nodes.conf in the directory) that
  // owns no slots yet (see redis_cluster.h); started without waiting, call Start() to wait.
  // `node_timeout_ms` (cluster only, 0 = Redis' 15 s): how long a silent node takes to be
  // marked failed — and its replica promoted.
  explicit RedisServer(bool appendonly = false, bool cluster = false, int node_timeout_ms = 0)
      : appendonly_(appendonly), cluster_(cluster), node_timeout_ms_(node_timeout_ms) {
    char dir[] = "/tmp/tollgate-redis-XXXXXX";
    dir_ = mkdtemp(dir);
    port_ = FreePort();
    // The cluster bus defaults to port + 10000, which may be taken or above 65535: pick it too.
    cluster_port_ = cluster_ ? FreePort() : 0;
    if (cluster_) {
      Launch();
    } else {
      Start();
    }
  }
  ~RedisServer() {
    Kill();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // Starts redis-server (again) and waits until it answers PING (≤ 5 s). True when it does.
  bool Start() {
    Launch();
    for (int i = 0; i < 500; ++i) {
      if (Ping()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  // SIGKILL: like a crash (with AOF + fsync always, acknowledged writes survive).
  void Kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  // Forks redis-server unless it runs; does not wait for it.
  void Launch() {
    if (pid_ > 0) return;
    const std::string port = std::to_string(port_);
    const std::string log = dir_ + "/redis.log";
    const std::string nodes_conf = dir_ + "/nodes.conf";
    const std::string cluster_port = std::to_string(cluster_port_);
    const std::string node_timeout = std::to_string(node_timeout_ms_ > 0 ? node_timeout_ms_ : 15000);
    pid_ = fork();
    if (pid_ == 0) {
      const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
      }
      if (cluster_) {
        execl("/usr/bin/redis-server", "redis-server", "--port", port.c_str(), "--bind",
              "127.0.0.1", "--save", "", "--appendonly", appendonly_ ? "yes" : "no",
              "--appendfsync", "always", "--dir", dir_.c_str(), "--cluster-enabled", "yes",
              "--cluster-config-file", nodes_conf.c_str(), "--cluster-port",
              cluster_port.c_str(), "--cluster-node-timeout", node_timeout.c_str(),
              static_cast<char*>(nullptr));
      } else {
        execl("/usr/bin/redis-server", "redis-server", "--port", port.c_str(), "--bind",
              "127.0.0.1", "--save", "", "--appendonly", appendonly_ ? "yes" : "no",
              "--appendfsync", "always", "--dir", dir_.c_str(), static_cast<char*>(nullptr));
      }
      _exit(127);
    }
  }

  int port() const { return port_; }
  int cluster_port() const { return cluster_port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  const std::string& dir() const { return dir_; }

 private:
  // A free loopback port below the ephemeral range, at random. bind(0) would pick from that
  // range, which outgoing connections (of any test running beside) use too: one could take the
  // port before redis-server binds it. Never the same port twice in this process.
  static int FreePort() {
    static std::mutex mu;
    static std::set<int> handed_out;
    static std::mt19937 random{std::random_device{}()};
    int low = 32768;
    if (std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range"); range >> low) {
      low = low > 11000 ? low : 32768;
    }
    std::lock_guard lock(mu);
    for (int attempt = 0; attempt < 200; ++attempt) {
      const int port = std::uniform_int_distribution<int>(10000, low - 1)(random);
      if (handed_out.contains(port) || !CanBind(port)) continue;
      handed_out.insert(port);
      return port;
    }
    return 0;  // redis-server then listens on no TCP port: Start() fails and says so
  }

  static bool CanBind(int port) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    return ok;
  }

  bool Ping() const {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = false;
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        write(fd, "PING\r\n", 6) == 6) {
      char reply[16] = {};
      ok = read(fd, reply, sizeof reply - 1) > 0 && std::string(reply).rfind("+PONG", 0) == 0;
    }
    close(fd);
    return ok;
  }

  bool appendonly_;
  bool cluster_;
  int node_timeout_ms_;
  std::string dir_;
  int port_ = 0;
  int cluster_port_ = 0;  // cluster bus (cluster nodes only)
  pid_t pid_ = -1;
};

}  // namespace tollgate::redis_test
