// kestrel_unixdgram.node: AF_UNIX datagram sockets for the syslog output (Node's dgram module
// has UDP only). What glibc's syslog(3) does with /dev/log: a connected SOCK_DGRAM socket, one
// message per datagram, never blocking (MSG_DONTWAIT; a full receiver is EAGAIN to the caller).
#include <napi.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace {

// connect(path): the socket's fd, or -errno.
Napi::Value Connect(const Napi::CallbackInfo& info) {
  std::string path = info[0].As<Napi::String>().Utf8Value();
  struct sockaddr_un addr {};
  if (path.size() >= sizeof(addr.sun_path)) return Napi::Number::New(info.Env(), -ENAMETOOLONG);
  addr.sun_family = AF_UNIX;
  memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Napi::Number::New(info.Env(), -errno);
  if (connect(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)) < 0) {
    int err = errno;
    close(fd);
    return Napi::Number::New(info.Env(), -err);
  }
  return Napi::Number::New(info.Env(), fd);
}

// send(fd, buffer): 0, or -errno (EAGAIN when the receiver's queue is full).
Napi::Value Send(const Napi::CallbackInfo& info) {
  int fd = info[0].As<Napi::Number>().Int32Value();
  auto buf = info[1].As<Napi::Buffer<uint8_t>>();
  ssize_t n = send(fd, buf.Data(), buf.Length(), MSG_DONTWAIT | MSG_NOSIGNAL);
  return Napi::Number::New(info.Env(), n < 0 ? -errno : 0);
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  close(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

// strerror for the codes above.
Napi::Value ErrorText(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), strerror(-info[0].As<Napi::Number>().Int32Value()));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("connect", Napi::Function::New(env, Connect));
  exports.Set("send", Napi::Function::New(env, Send));
  exports.Set("close", Napi::Function::New(env, Close));
  exports.Set("errorText", Napi::Function::New(env, ErrorText));
  return exports;
}

}  // namespace

NODE_API_MODULE(kestrel_unixdgram, Init)
