#define _POSIX_C_SOURCE 200809L
#include "core/metrics.h"

#include <dirent.h>
#include <stdarg.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static const int64_t bounds_us[METRICS_BUCKETS] = {1000,   2500,   5000,    10000,   25000,   50000,    100000,
                                                   250000, 500000, 1000000, 2500000, 5000000, 10000000, 30000000};

void metrics_observe(struct metrics_histogram *h, int64_t us)
{
    size_t i = 0;

    if (us < 0)
        us = 0;
    while (i < METRICS_BUCKETS && us > bounds_us[i])
        i++;
    atomic_fetch_add_explicit(&h->counts[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum_us, (uint64_t)us, memory_order_relaxed);
}

void metrics_printf(struct metrics_out *m, const char *fmt, ...)
{
    char line[4096];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof line || buf_append(&m->buf, line, (size_t)n) != 0)
        m->full = true;
}

void metrics_family(struct metrics_out *m, const char *name, const char *type, const char *help)
{
    metrics_printf(m, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void metrics_histogram_write(struct metrics_out *m, const char *name, const char *labels, const struct metrics_histogram *h)
{
    const char *sep = labels[0] ? "," : "";
    uint64_t total = 0;

    /* The count is the buckets' sum as read here, so the series agree even while requests are counted. */
    for (size_t i = 0; i < METRICS_BUCKETS; i++) {
        total += atomic_load_explicit(&h->counts[i], memory_order_relaxed);
        metrics_printf(m, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep, (double)bounds_us[i] / 1e6,
                       (unsigned long long)total);
    }
    total += atomic_load_explicit(&h->counts[METRICS_BUCKETS], memory_order_relaxed);
    metrics_printf(m, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep, (unsigned long long)total);
    metrics_printf(m, "%s_sum{%s} %.6f\n", name, labels, (double)atomic_load_explicit(&h->sum_us, memory_order_relaxed) / 1e6);
    metrics_printf(m, "%s_count{%s} %llu\n", name, labels, (unsigned long long)total);
}

void metrics_escape(char *out, size_t n, const char *value)
{
    size_t used = 0;

    for (const char *p = value; *p && used + 3 < n; p++) {
        if (*p == '\\' || *p == '"' || *p == '\n') {
            out[used++] = '\\';
            out[used++] = *p == '\n' ? 'n' : *p;
        } else {
            out[used++] = *p;
        }
    }
    if (n > 0)
        out[used < n ? used : n - 1] = '\0';
}

/* A "Name:   123 kB" line of /proc/self/status, as a number (kB as given); -1 when absent. */
static long long status_field(const char *status, const char *name)
{
    size_t len = strlen(name);

    for (const char *line = status; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        if (strncmp(line, name, len) == 0 && line[len] == ':')
            return strtoll(line + len + 1, NULL, 10);
    return -1;
}

static size_t read_small(const char *path, char *out, size_t n)
{
    FILE *f = fopen(path, "r");
    size_t got;

    out[0] = '\0';
    if (!f)
        return 0;
    got = fread(out, 1, n - 1, f);
    out[got] = '\0';
    fclose(f);
    return got;
}

/*
 * When the process started, in seconds since the epoch: its start in clock
 * ticks since boot (/proc/self/stat, field 22) against the boot-time clock
 * now. /proc/stat's btime is not needed, so this works where only the
 * process's own /proc entries are visible (systemd's ProcSubset=pid).
 */
static double start_time(void)
{
    char stat[1024];
    const char *p;
    struct timespec boot, wall;
    unsigned long long ticks;
    long hz = sysconf(_SC_CLK_TCK);

    if (!read_small("/proc/self/stat", stat, sizeof stat) || !(p = strrchr(stat, ')')) || hz <= 0)
        return 0;
    /* After the command's closing parenthesis come fields 3 on, each after a space: stop at the space before 22. */
    for (int field = 3; field <= 22 && p; field++)
        p = strchr(p + 1, ' ');
    if (!p || sscanf(p + 1, "%llu", &ticks) != 1)
        return 0;
    clock_gettime(CLOCK_BOOTTIME, &boot);
    clock_gettime(CLOCK_REALTIME, &wall);
    return (double)wall.tv_sec + wall.tv_nsec / 1e9 - ((double)boot.tv_sec + boot.tv_nsec / 1e9 - (double)ticks / (double)hz);
}

void metrics_process_write(struct metrics_out *m)
{
    char status[8192];
    struct rusage ru;
    struct rlimit rl;
    long long rss, vsz, threads;
    int fds = -1;
    DIR *d;

    read_small("/proc/self/status", status, sizeof status);
    rss = status_field(status, "VmRSS");
    vsz = status_field(status, "VmSize");
    threads = status_field(status, "Threads");
    if ((d = opendir("/proc/self/fd"))) {
        fds = -1; /* the listing shows the directory's own descriptor too */
        for (struct dirent *e; (e = readdir(d));)
            fds += e->d_name[0] != '.';
        closedir(d);
    }
    if (rss >= 0) {
        metrics_family(m, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
        metrics_printf(m, "process_resident_memory_bytes %lld\n", rss * 1024);
    }
    if (vsz >= 0) {
        metrics_family(m, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
        metrics_printf(m, "process_virtual_memory_bytes %lld\n", vsz * 1024);
    }
    if (threads >= 0) {
        metrics_family(m, "process_threads", "gauge", "Threads of the process.");
        metrics_printf(m, "process_threads %lld\n", threads);
    }
    if (fds >= 0) {
        metrics_family(m, "process_open_fds", "gauge", "Open file descriptors.");
        metrics_printf(m, "process_open_fds %d\n", fds);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        metrics_family(m, "process_max_fds", "gauge", "The most file descriptors the process may open.");
        metrics_printf(m, "process_max_fds %llu\n", (unsigned long long)rl.rlim_cur);
    }
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        metrics_family(m, "process_cpu_seconds_total", "counter", "User and system CPU time spent, in seconds.");
        metrics_printf(m, "process_cpu_seconds_total %.3f\n",
                       (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
                           ru.ru_stime.tv_usec / 1e6);
    }
    metrics_family(m, "process_start_time_seconds", "gauge", "When the process started, in seconds since the epoch.");
    metrics_printf(m, "process_start_time_seconds %.3f\n", start_time());
}
