/* /proc sampling of the server process tree, own CPU, and the latency histogram for wsgen. */
#include "wsgen.h"
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* utime+stime and VmRSS summed over root and every descendant (ody workers, peer children). */
void proc_tree(int root, double *cpu_us, long *rss_kb) {
  enum { MAXP = 4096 };
  static int pid[MAXP], ppid[MAXP], in[MAXP];
  static double cpu[MAXP];
  int np = 0;
  DIR *d = opendir("/proc");
  struct dirent *e;
  while (d && (e = readdir(d)) && np < MAXP) {
    if (!isdigit((unsigned char)e->d_name[0])) continue;
    char path[300], buf[1024];
    snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    size_t k = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[k] = 0;
    char *p = strrchr(buf, ')');
    unsigned long ut = 0, stt = 0;
    int pp = 0;
    if (!p || sscanf(p + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &pp, &ut, &stt) != 3) continue;
    pid[np] = atoi(e->d_name); ppid[np] = pp; in[np] = pid[np] == root;
    cpu[np++] = (double)(ut + stt) * 1e6 / (double)sysconf(_SC_CLK_TCK);
  }
  if (d) closedir(d);
  for (int changed = 1; changed;) {
    changed = 0;
    for (int i = 0; i < np; i++)
      for (int j = 0; !in[i] && j < np; j++)
        if (in[j] && ppid[i] == pid[j]) in[i] = changed = 1;
  }
  *cpu_us = 0; *rss_kb = 0;
  for (int i = 0; i < np; i++) {
    if (!in[i]) continue;
    *cpu_us += cpu[i];
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid[i]);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f))
      if (strncmp(line, "VmRSS:", 6) == 0) *rss_kb += atol(line + 6);
    if (f) fclose(f);
  }
}

/* Whole-machine busy time (steal separately) so the harness can spot other load sharing the cores.
   irq/softirq are included: a task's stime already contains the softirq work done in its context
   (loopback delivery), while /proc/stat files that work under softirq. */
void machine_cpu(double *busy_us, double *steal_us) {
  unsigned long long v[8] = { 0 };
  FILE *f = fopen("/proc/stat", "r");
  if (!f || fscanf(f, "cpu %llu %llu %llu %*u %*u %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6) {
    *busy_us = *steal_us = 0;
  } else {
    double tick = 1e6 / (double)sysconf(_SC_CLK_TCK);
    *busy_us = (double)(v[0] + v[1] + v[2] + v[3] + v[4]) * tick;
    *steal_us = (double)v[5] * tick;
  }
  if (f) fclose(f);
}

double self_cpu_us(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 + (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

/* 1 µs buckets up to 2 s (8 MB); anything slower lands in the last bucket. */
#define HMAX 2000000
static uint32_t hist[HMAX + 1];
static long hn;
void hist_reset(void) { memset(hist, 0, sizeof hist); hn = 0; }
void hist_add(uint64_t us) { hist[us > HMAX ? HMAX : us]++; hn++; }
long hist_count(void) { return hn; }
long hist_pct(double p) {
  long want = (long)(p * (double)hn + 0.5), acc = 0;
  if (hn == 0) return -1;  /* no samples: let the harness show n/a rather than a fake number */
  if (want < 1) want = 1;
  for (long i = 0; i <= HMAX; i++) if ((acc += hist[i]) >= want) return i;
  return HMAX;
}
