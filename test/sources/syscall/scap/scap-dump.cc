// scap-dump: reads a .scap file with Debian's libsinsp (libfalcosecurity0, falcosecurity/libs
// 2022-03-16) and prints, as JSON lines, what that real reader makes of it: first the thread
// table loaded from the file (one {"thread":...} line per thread), then one {"evt":...} line per
// event with the fields libsinsp computes (evt.num, evt.rawtime, thread.tid, evt.type, evt.dir,
// proc.name, proc.pid, fd.name, evt.args, container.id, container.name, container.image) and every param as libsinsp renders it
// (sinsp_evt::get_param_as_str, PF_NORMAL). Built by the scap writer tests with g++ against
// libsinsp/libscap; the tests compare its output with Kestrel's replay of the same capture.
#include <sinsp.h>
#include <eventformatter.h>
#include <cstdio>
#include <string>
#include <unistd.h>

static std::string json(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char b[8];
          snprintf(b, sizeof b, "\\u%04x", c);
          out += b;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

static void print_threads(sinsp& inspector, const char* key) {
  inspector.m_thread_manager->get_threads()->loop([key](sinsp_threadinfo& t) {
    std::string args;
    for (size_t i = 0; i < t.m_args.size(); i++) args += (i ? " " : "") + t.m_args[i];
    printf("{\"%s\":{\"tid\":%ld,\"pid\":%ld,\"ppid\":%ld,\"comm\":%s,\"exe\":%s,\"exepath\":%s,\"args\":%s,\"cwd\":%s,\"uid\":%u,\"fds\":%lu}}\n",
           key, (long)t.m_tid, (long)t.m_pid, (long)t.m_ptid, json(t.m_comm).c_str(), json(t.m_exe).c_str(),
           json(t.m_exepath).c_str(), json(args).c_str(), json(t.get_cwd()).c_str(), t.m_uid,
           (unsigned long)t.get_fd_opencount());
    return true;
  });
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: scap-dump FILE.scap\n");
    return 2;
  }
  sinsp inspector;
  const char* fields[] = {"evt.num", "evt.rawtime", "thread.tid", "evt.type", "evt.dir", "proc.name", "proc.pid", "fd.name", "evt.args", "container.id", "container.name", "container.image"};
  const size_t nfields = sizeof fields / sizeof fields[0];
  std::vector<sinsp_evt_formatter*> formatters;
  try {
    inspector.open(argv[1]);
    for (size_t i = 0; i < nfields; i++) formatters.push_back(new sinsp_evt_formatter(&inspector, std::string("%") + fields[i]));
  } catch (const std::exception& e) {
    fprintf(stderr, "scap-dump: cannot open %s: %s\n", argv[1], e.what());
    return 1;
  }
  print_threads(inspector, "thread");
  uint64_t events = 0;
  for (;;) {
    sinsp_evt* ev = nullptr;
    int32_t rc;
    try {
      rc = inspector.next(&ev);
    } catch (const std::exception& e) {
      fprintf(stderr, "scap-dump: %s after %lu events\n", e.what(), (unsigned long)events);
      return 1;
    }
    if (rc == SCAP_EOF) break;
    if (rc == SCAP_TIMEOUT) continue;
    if (rc != SCAP_SUCCESS) {
      fprintf(stderr, "scap-dump: %s after %lu events\n", inspector.getlasterr().c_str(), (unsigned long)events);
      return 1;
    }
    events++;
    std::string line = "{\"evt\":{";
    for (size_t i = 0; i < nfields; i++) {
      std::string v;
      formatters[i]->tostring(ev, &v);
      line += (i ? "," : "") + json(fields[i]) + ":" + json(v);
    }
    line += ",\"params\":[";
    for (uint32_t i = 0; i < ev->get_num_params(); i++) {
      const char* resolved = nullptr;
      const char* raw = ev->get_param_as_str(i, &resolved, sinsp_evt::PF_NORMAL);
      line += std::string(i ? "," : "") + "[" + json(ev->get_param_name(i)) + "," + json(raw ? raw : "") + "," +
              json(resolved ? resolved : "") + "]";
    }
    line += "]}}";
    puts(line.c_str());
  }
  fprintf(stderr, "scap-dump: %lu events\n", (unsigned long)events);
  print_threads(inspector, "thread_end");
  fflush(stdout);
  // the 2022 libsinsp crashes in its own teardown after an offline capture (static destructor
  // order): what the reader said is all printed, so leave without running the destructors
  _exit(0);
}
