/*
 * fs benchmark: the same workloads on the native source directory, on
 * libfuse's own passthrough_ll example (built here from the libfuse3-dev
 * examples, run with its defaults) and on our volume with 0 filters and
 * with 3 passthrough filters (every major function, pre and post).
 *
 * Each run takes every workload in turn, and for each workload every
 * variant in turn (the order rotates from run to run, so drift in the
 * machine's load and in the disk's state hits all alike); caches are
 * dropped before every workload (cold cache; as root).  The figure kept
 * is the median of the runs.  Before and after each workload the mounts
 * are checked (still FUSE, server alive): a figure is never taken from a
 * variant that failed, and any failure stops the benchmark without
 * printing BENCH lines.
 *
 * Prints, per workload, ours against passthrough_ll (the baseline the
 * ratio is taken from) and against the native directory, for 0 filters
 * and (".3_filters") for 3; the values are the medians of the runs, the
 * ratio the median of the runs' own ratios (a run measures every variant
 * of a workload within seconds, so load that changes between runs cancels
 * out):
 *   BENCH fs.<workload>.vs_passthrough_ll ours=<v><unit> baseline=<v><unit> ratio=<x>
 *   BENCH fs.<workload>.vs_native ours=... baseline=... ratio=...
 *   BENCH fs.<workload>.3_filters.vs_passthrough_ll ours=... baseline=... ratio=...
 * Ratios are of throughputs: above 1 means ours is faster.  Every sample,
 * the medians and the load average go to stderr.
 *
 * Sizes (defaults are the issue's): ALTITUDE_BENCH_FS_MB (sequential file,
 * 512), ALTITUDE_BENCH_FS_READS (random 4 KiB reads, 20000),
 * ALTITUDE_BENCH_FS_FILES (small files, 5000), ALTITUDE_BENCH_FS_TAR_DIR
 * (tree to untar, /usr/include), ALTITUDE_BENCH_FS_RUNS (5).
 *
 * Our volume is mounted private (only its user may use it), as
 * passthrough_ll runs by default (no allow_other); ALTITUDE_BENCH_FS_SHARED=1
 * mounts it as fltmgrd does by default, for every user, where the kernel may
 * cache only names in directories everyone may search.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fs/volume.h"
#include "passthrough_filters.h"

#define FUSE_MAGIC 0x65735546
#define EXAMPLE "/usr/share/doc/libfuse3-dev/examples/passthrough_ll.c"
#define CHUNK (1u << 20)
#define MAX_RUNS 15
#define MOUNT_WAIT_SECONDS 10

enum { NATIVE, PLL, OURS, OURS3, VARIANTS };
static const char *const variant_name[VARIANTS] = { "native", "passthrough_ll", "ours",
						    "ours_3_filters" };

enum { SEQ_WRITE, SEQ_READ, RAND_READ, SMALL_FILES, UNTAR, WORKLOADS };
static const char *const workload_name[WORKLOADS] = { "seq_write", "seq_read", "rand_read_4k",
						      "create_stat_unlink", "untar" };
static const char *const workload_unit[WORKLOADS] = { "MB/s", "MB/s", "ops/s", "ops/s", "MB/s" };

static double samples[WORKLOADS][VARIANTS][MAX_RUNS];

static struct {
	unsigned long mb;
	unsigned long reads;
	unsigned long files;
	unsigned long runs;
	const char *tar_dir;
	bool shared;
	char scratch[256];
	char tarball[300];
	double tar_mb;
	char root[VARIANTS][512];
	pid_t server[VARIANTS];	/* 0 for the native directory */
	pid_t main_pid;
} cfg;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned long env_ulong(const char *name, unsigned long def)
{
	const char *v = getenv(name);
	return v && *v ? strtoul(v, NULL, 0) : def;
}

static void die(const char *what)
{
	fprintf(stderr, "bench fs: %s: %s\n", what, errno ? strerror(errno) : "failed");
	exit(1);
}

/* snprintf that stops the benchmark instead of truncating. */
static void fmt(char *buf, size_t size, const char *f, ...) __attribute__((format(printf, 3, 4)));
static void fmt(char *buf, size_t size, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	int n = vsnprintf(buf, size, f, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size) {
		fprintf(stderr, "bench fs: path too long\n");
		exit(1);
	}
}

static int run(const char *cmd)
{
	int rc = system(cmd);
	return rc == -1 || !WIFEXITED(rc) ? -1 : WEXITSTATUS(rc);
}

static void load_average(const char *when)
{
	double l[3];
	if (getloadavg(l, 3) == 3)
		fprintf(stderr, "bench fs: load average %s: %.2f %.2f %.2f\n", when, l[0], l[1], l[2]);
}

static void drop_caches(void)
{
	sync();
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (fd < 0 || write(fd, "3", 1) != 1)
		fprintf(stderr, "bench fs: cannot drop caches (not root?): figures are warm\n");
	if (fd >= 0)
		close(fd);
}

static void path_in(char *buf, size_t size, const char *root, const char *name)
{
	fmt(buf, size, "%s/%s", root, name);
}

static double seq_write(const char *root)
{
	char path[600];
	path_in(path, sizeof path, root, "big");
	char *buf = malloc(CHUNK);
	if (!buf)
		die("malloc");
	for (size_t i = 0; i < CHUNK; i++)
		buf[i] = (char)(i * 7 + 1);
	double t0 = now();
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (fd < 0)
		die(path);
	for (unsigned long i = 0; i < cfg.mb; i++)
		if (write(fd, buf, CHUNK) != CHUNK)
			die("write");
	if (fsync(fd) != 0 || close(fd) != 0)
		die("fsync");
	double t = now() - t0;
	free(buf);
	return (double)cfg.mb / t;
}

static double seq_read(const char *root)
{
	char path[600];
	path_in(path, sizeof path, root, "big");
	char *buf = malloc(CHUNK);
	if (!buf)
		die("malloc");
	double t0 = now();
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		die(path);
	unsigned long total = 0;
	ssize_t n;
	while ((n = read(fd, buf, CHUNK)) > 0)
		total += (unsigned long)n;
	if (n < 0 || total != cfg.mb * CHUNK)
		die("sequential read: short or failed");
	close(fd);
	double t = now() - t0;
	free(buf);
	return (double)total / (1 << 20) / t;
}

static double rand_read(const char *root)
{
	char path[600], buf[4096];
	path_in(path, sizeof path, root, "big");
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	unsigned long blocks = cfg.mb * (CHUNK / 4096);
	double t0 = now();
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		die(path);
	for (unsigned long i = 0; i < cfg.reads; i++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		if (pread(fd, buf, sizeof buf, (off_t)(rng % blocks) * 4096) != sizeof buf)
			die("pread");
	}
	close(fd);
	return (double)cfg.reads / (now() - t0);
}

static void small_path(char *path, size_t size, const char *dir, unsigned long i)
{
	fmt(path, size, "%s/file-%06lu", dir, i);
}

static double small_files(const char *root)
{
	char dir[600], path[700];
	path_in(dir, sizeof dir, root, "small");
	if (mkdir(dir, 0755) != 0)
		die(dir);
	double t0 = now();
	for (unsigned long i = 0; i < cfg.files; i++) {
		small_path(path, sizeof path, dir, i);
		int fd = open(path, O_CREAT | O_WRONLY | O_EXCL, 0644);
		if (fd < 0 || write(fd, path, 100) != 100 || close(fd) != 0)
			die("create");
	}
	struct stat st;
	for (unsigned long i = 0; i < cfg.files; i++) {
		small_path(path, sizeof path, dir, i);
		if (stat(path, &st) != 0 || st.st_size != 100)
			die("stat");
	}
	for (unsigned long i = 0; i < cfg.files; i++) {
		small_path(path, sizeof path, dir, i);
		if (unlink(path) != 0)
			die("unlink");
	}
	double t = now() - t0;
	if (rmdir(dir) != 0)
		die("rmdir");
	return 3.0 * (double)cfg.files / t;
}

/* The tarball is read into the page cache first: the figure is the extraction's. */
static double untar(const char *root)
{
	char cmd[1200];
	fmt(cmd, sizeof cmd, "cat '%s' >/dev/null && mkdir '%s/tree'", cfg.tarball, root);
	if (run(cmd) != 0)
		die("untar setup");
	fmt(cmd, sizeof cmd, "tar -C '%s/tree' -xf '%s'", root, cfg.tarball);
	double t0 = now();
	if (run(cmd) != 0)
		die("untar");
	sync();
	return cfg.tar_mb / (now() - t0);
}

/* rm -rf through the mount, a few passes if a listing misses an entry. */
static void remove_tree(const char *root, const char *name)
{
	char cmd[700];
	fmt(cmd, sizeof cmd, "rm -rf '%s/%s' 2>/dev/null", root, name);
	for (int pass = 0; pass < 3; pass++)
		if (run(cmd) == 0)
			return;
	fmt(cmd, sizeof cmd, "rm -rf '%s/%s'", root, name);
	if (run(cmd) != 0)
		die("cleanup");
}

/* A FUSE variant is usable only while its server runs and its mount is FUSE. */
static void check_variant(int v)
{
	struct statfs sf;
	if (!cfg.server[v])
		return;
	if (waitpid(cfg.server[v], NULL, WNOHANG) != 0) {
		fprintf(stderr, "bench fs: the %s server is gone\n", variant_name[v]);
		exit(1);
	}
	if (statfs(cfg.root[v], &sf) != 0 || sf.f_type != FUSE_MAGIC) {
		fprintf(stderr, "bench fs: %s is no longer a FUSE mount\n", cfg.root[v]);
		exit(1);
	}
}

static double workload(int w, const char *root)
{
	switch (w) {
	case SEQ_WRITE:
		return seq_write(root);
	case SEQ_READ:
		return seq_read(root);
	case RAND_READ:
		return rand_read(root);
	case SMALL_FILES:
		return small_files(root);
	default:
		return untar(root);
	}
}

#define SETTLE_SECONDS 3

static void settle(void)
{
	const struct timespec pause = { SETTLE_SECONDS, 0 };
	sync();
	nanosleep(&pause, NULL);
}

static void one_run(unsigned long r)
{
	for (int w = 0; w < WORKLOADS; w++) {
		for (int k = 0; k < VARIANTS; k++) {
			int v = (int)((k + r) % VARIANTS);
			check_variant(v);
			drop_caches();
			double x = workload(w, cfg.root[v]);
			check_variant(v);
			samples[w][v][r] = x;
			fprintf(stderr, "bench fs: run %lu %s %s %.1f%s\n", r + 1, workload_name[w],
				variant_name[v], x, workload_unit[w]);
		}
	}
	for (int v = 0; v < VARIANTS; v++) {
		char big[600];
		path_in(big, sizeof big, cfg.root[v], "big");
		if (unlink(big) != 0)
			die(big);
		remove_tree(cfg.root[v], "tree");
	}
	/* The deletions' writeback would slow whichever variant comes first next run. */
	settle();
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median_of(double *s, unsigned long n)
{
	qsort(s, n, sizeof s[0], cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static double median(int w, int v)
{
	double s[MAX_RUNS];
	memcpy(s, samples[w][v], cfg.runs * sizeof s[0]);
	return median_of(s, cfg.runs);
}

/*
 * The ratio of variant v to baseline b: the median of each run's ratio,
 * both measured within the same turn, so that load from other programs
 * that changes between runs cancels out.
 */
static double ratio(int w, int v, int b)
{
	double s[MAX_RUNS];
	for (unsigned long r = 0; r < cfg.runs; r++)
		s[r] = samples[w][v][r] / samples[w][b][r];
	return median_of(s, cfg.runs);
}

static void line(int w, const char *variant, int v, const char *base, int b)
{
	const char *u = workload_unit[w];
	printf("BENCH fs.%s%s.vs_%s ours=%.1f%s baseline=%.1f%s ratio=%.3f\n", workload_name[w],
	       variant, base, median(w, v), u, median(w, b), u, ratio(w, v, b));
}

static void report(void)
{
	for (int w = 0; w < WORKLOADS; w++) {
		fprintf(stderr, "bench fs: median %s: native %.1f, passthrough_ll %.1f, ours %.1f, ours_3_filters %.1f %s\n",
			workload_name[w], median(w, NATIVE), median(w, PLL), median(w, OURS),
			median(w, OURS3), workload_unit[w]);
		line(w, "", OURS, "passthrough_ll", PLL);
		line(w, "", OURS, "native", NATIVE);
		line(w, ".3_filters", OURS3, "passthrough_ll", PLL);
	}
}

/* The server of variant v runs and its mount point shows a FUSE file system. */
static void wait_mounted(int v)
{
	const struct timespec tick = { 0, 5 * 1000 * 1000 };
	double deadline = now() + MOUNT_WAIT_SECONDS;
	struct statfs sf;
	while (statfs(cfg.root[v], &sf) != 0 || sf.f_type != FUSE_MAGIC) {
		if (waitpid(cfg.server[v], NULL, WNOHANG) == cfg.server[v]) {
			cfg.server[v] = 0;
			fprintf(stderr, "bench fs: the %s server exited\n", variant_name[v]);
			exit(1);
		}
		if (now() > deadline) {
			fprintf(stderr, "bench fs: %s did not mount\n", cfg.root[v]);
			exit(1);
		}
		nanosleep(&tick, NULL);
	}
}

static void make_dirs(const char *tag, char *src, size_t ssize, char *mnt, size_t msize)
{
	fmt(src, ssize, "%s/%s-src", cfg.scratch, tag);
	fmt(mnt, msize, "%s/%s-mnt", cfg.scratch, tag);
	if (mkdir(src, 0755) != 0 || mkdir(mnt, 0755) != 0)
		die("mkdir");
}

static void start_pll(void)
{
	char src[512], exe[512], cmd[1200], opt[600];
	fmt(exe, sizeof exe, "%s/passthrough_ll", cfg.scratch);
	fmt(cmd, sizeof cmd, "cc -O2 -o '%s' " EXAMPLE " $(pkg-config --cflags --libs fuse3)",
	    exe);
	if (run(cmd) != 0 || access(exe, X_OK) != 0) {
		fprintf(stderr, "bench fs: cannot build passthrough_ll from " EXAMPLE "\n");
		exit(1);
	}
	make_dirs("pll", src, sizeof src, cfg.root[PLL], sizeof cfg.root[PLL]);
	fmt(opt, sizeof opt, "source=%s", src);
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		execl(exe, "passthrough_ll", "-f", "-o", opt, cfg.root[PLL], (char *)NULL);
		_exit(127);
	}
	cfg.server[PLL] = pid;
	wait_mounted(PLL);
}

static void stop_pll(void)
{
	char cmd[600];
	if (!cfg.server[PLL])
		return;
	fmt(cmd, sizeof cmd, "fusermount3 -u -z '%s'", cfg.root[PLL]);
	run(cmd);
	kill(cfg.server[PLL], SIGTERM);
	waitpid(cfg.server[PLL], NULL, 0);
	cfg.server[PLL] = 0;
}

static void start_ours(int v, int filters)
{
	char src[512];
	make_dirs(filters ? "ours3" : "ours", src, sizeof src, cfg.root[v], sizeof cfg.root[v]);
	int p[2];
	if (pipe(p) != 0)
		die("pipe");
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGTERM);
		sigprocmask(SIG_BLOCK, &set, NULL);
		close(p[0]);
		struct fs_volume *vol;
		struct fs_volume_options o = { .source = src,
					       .mountpoint = cfg.root[v],
					       .private_to_owner = !cfg.shared };
		if ((filters && bench_load_filters() != 0) || fs_volume_mount(&o, &vol) != 0 ||
		    write(p[1], "r", 1) != 1)
			_exit(1);
		int sig;
		sigwait(&set, &sig);
		_exit(fs_volume_unmount(vol) == 0 ? 0 : 1);
	}
	close(p[1]);
	char c;
	ssize_t n = read(p[0], &c, 1);
	close(p[0]);
	cfg.server[v] = pid;
	if (n != 1) {
		fprintf(stderr, "bench fs: the %s volume did not start\n", variant_name[v]);
		exit(1);
	}
	wait_mounted(v);
}

static void stop_ours(int v)
{
	if (!cfg.server[v])
		return;
	kill(cfg.server[v], SIGTERM);
	waitpid(cfg.server[v], NULL, 0);
	cfg.server[v] = 0;
}

/* Runs at every exit of the main process: no mount or server outlives it. */
static void teardown(void)
{
	char cmd[600];
	if (getpid() != cfg.main_pid)
		return;
	stop_pll();
	stop_ours(OURS);
	stop_ours(OURS3);
	if (cfg.scratch[0]) {
		fmt(cmd, sizeof cmd, "rm -rf '%s'", cfg.scratch);
		run(cmd);
	}
}

static void make_tarball(void)
{
	char cmd[1024];
	fmt(cfg.tarball, sizeof cfg.tarball, "%s/tree.tar", cfg.scratch);
	fmt(cmd, sizeof cmd, "tar -C '%s' -cf '%s' .", cfg.tar_dir, cfg.tarball);
	if (run(cmd) > 1)
		die("tar");
	struct stat st;
	if (stat(cfg.tarball, &st) != 0)
		die(cfg.tarball);
	cfg.tar_mb = (double)st.st_size / (1 << 20);
}

int main(void)
{
	cfg.mb = env_ulong("ALTITUDE_BENCH_FS_MB", 512);
	cfg.reads = env_ulong("ALTITUDE_BENCH_FS_READS", 20000);
	cfg.files = env_ulong("ALTITUDE_BENCH_FS_FILES", 5000);
	cfg.runs = env_ulong("ALTITUDE_BENCH_FS_RUNS", 5);
	cfg.tar_dir = getenv("ALTITUDE_BENCH_FS_TAR_DIR");
	cfg.shared = env_ulong("ALTITUDE_BENCH_FS_SHARED", 0) != 0;
	if (!cfg.tar_dir || !*cfg.tar_dir)
		cfg.tar_dir = "/usr/include";
	if (cfg.runs < 1 || cfg.runs > MAX_RUNS || cfg.mb < 1) {
		fprintf(stderr, "bench fs: ALTITUDE_BENCH_FS_RUNS must be 1..%d, _MB at least 1\n",
			MAX_RUNS);
		return 2;
	}
	cfg.main_pid = getpid();
	const char *tmp = getenv("TMPDIR");
	fmt(cfg.scratch, sizeof cfg.scratch, "%s/altitude-bench-fs-XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(cfg.scratch))
		die("mkdtemp");
	atexit(teardown);
	make_tarball();
	fmt(cfg.root[NATIVE], sizeof cfg.root[NATIVE], "%s/native", cfg.scratch);
	if (mkdir(cfg.root[NATIVE], 0755) != 0)
		die("mkdir");
	start_pll();
	start_ours(OURS, 0);
	start_ours(OURS3, 1);
	settle();
	load_average("at start");
	for (unsigned long r = 0; r < cfg.runs; r++)
		one_run(r);
	load_average("at end");
	teardown();
	cfg.scratch[0] = '\0';
	report();
	return 0;
}
