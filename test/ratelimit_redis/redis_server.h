// A real redis-server for tests and benchmarks: started on a free loopback port in a temporary
// directory, killed (and the directory removed) at the end. Restartable on the same port and
// directory, so that persistence (AOF) can be observed.
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
#include <string>
#include <thread>

namespace tollgate::redis_test {

class RedisServer {
 public:
  // `appendonly`: AOF with fsync on every write (persistence tests); otherwise no persistence.
  explicit RedisServer(bool appendonly = false) : appendonly_(appendonly) {
    char dir[] = "/tmp/tollgate-redis-XXXXXX";
    dir_ = mkdtemp(dir);
    port_ = FreePort();
    Start();
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
    if (pid_ > 0) return true;
    const std::string port = std::to_string(port_);
    const std::string log = dir_ + "/redis.log";
    pid_ = fork();
    if (pid_ == 0) {
      const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
      }
      execl("/usr/bin/redis-server", "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", appendonly_ ? "yes" : "no", "--appendfsync", "always",
            "--dir", dir_.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
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

  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  const std::string& dir() const { return dir_; }

 private:
  static int FreePort() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    close(fd);
    return ntohs(addr.sin_port);
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
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace tollgate::redis_test
