// Loads bench/live-hooks/hookcost.bpf.o, attaches the programs named on the command line,
// prints "ready" and waits for SIGTERM.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
static volatile int stop;
static void on(int s){stop=1;}
int main(int argc,char**argv){
  libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
  struct bpf_object*o=bpf_object__open_file(getenv("HOOKCOST_OBJ"),NULL); if(!o){perror("open");return 1;}
  struct bpf_program*p; bpf_object__for_each_program(p,o){ int keep=0; for(int i=1;i<argc;i++) if(!strcmp(argv[i],bpf_program__name(p))) keep=1; bpf_program__set_autoload(p,keep);}
  if(bpf_object__load(o)){perror("load");return 1;}
  int fd=bpf_object__find_map_fd_by_name(o,"want"); unsigned k=257,one=1; bpf_map_update_elem(fd,&k,&one,0); k=3; bpf_map_update_elem(fd,&k,&one,0);
  bpf_object__for_each_program(p,o){ if(!bpf_program__autoload(p)) continue; if(!bpf_program__attach(p)){perror("attach");return 1;} }
  signal(SIGINT,on); signal(SIGTERM,on); printf("ready\n"); fflush(stdout);
  while(!stop) pause();
  return 0;
}
