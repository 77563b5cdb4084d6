// Load generator for bench/live.mjs: open()+close() of one file, as fast as possible or paced.
//   openloop FILE COUNT            -> COUNT open/close pairs, prints "<pairs> <seconds>"
//   openloop FILE COUNT RATE       -> paced at RATE syscalls/s (open and close each count)
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: openloop FILE COUNT [SYSCALLS_PER_SEC]\n");
    return 2;
  }
  const char *file = argv[1];
  long count = atol(argv[2]);
  double rate = argc > 3 ? atof(argv[3]) : 0;
  double t0 = now();
  const long chunk = 64; // pairs between pacing checks
  for (long i = 0; i < count; i++) {
    int fd = open(file, O_RDONLY);
    if (fd >= 0) close(fd);
    if (rate > 0 && i % chunk == chunk - 1) {
      double due = t0 + (double)(i + 1) * 2 / rate;
      double t = now();
      if (due > t) {
        struct timespec d = {(time_t)(due - t), (long)(((due - t) - (time_t)(due - t)) * 1e9)};
        nanosleep(&d, NULL);
      }
    }
  }
  printf("%ld %.6f\n", count, now() - t0);
  return 0;
}
