// The offending process for bench/respond.mjs: prints CLOCK_REALTIME (ns) taken right before its
// offending syscall (an open for write of the trigger file given as argv[1]), then waits to be
// killed. The benchmark times from that stamp to the moment it sees this process die.
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0600);
  printf("%lld\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
  fflush(stdout);
  if (fd >= 0) close(fd);
  for (;;) pause();
}
