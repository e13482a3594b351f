/*
 * fs benchmark: the same workloads on the native source directory, on
 * libfuse's own passthrough_ll example (built here from the libfuse3-dev
 * examples, with its defaults) and on our volume with 0 filters and with 3
 * passthrough filters (every major function, pre and post).
 *
 * Prints, per workload, ours against passthrough_ll (the baseline the ratio
 * is taken from) and ours against the native directory, for 0 filters and
 * (".3_filters") for 3:
 *   BENCH fs.<workload>.vs_passthrough_ll ours=<v><unit> baseline=<v><unit> ratio=<x>
 *   BENCH fs.<workload>.vs_native ours=... baseline=... ratio=...
 *   BENCH fs.<workload>.3_filters.vs_passthrough_ll ours=... baseline=... ratio=...
 * Ratios are of throughputs: above 1 means ours is faster.
 *
 * Sizes (defaults are the issue's): ALTITUDE_BENCH_FS_MB (sequential file,
 * 512), ALTITUDE_BENCH_FS_READS (random 4 KiB reads, 20000),
 * ALTITUDE_BENCH_FS_FILES (small files, 5000), ALTITUDE_BENCH_FS_TAR_DIR
 * (tree to untar, /usr/include), ALTITUDE_BENCH_FS_RUNS (each variant runs
 * every workload this many times, in turns; the best is kept, 2).  Caches are dropped before each read
 * workload when running as root.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <signal.h>
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

enum { NATIVE, PLL, OURS, OURS3, VARIANTS };
static const char *const variant_name[VARIANTS] = { "native", "passthrough_ll", "ours",
						    "ours_3_filters" };

enum { SEQ_WRITE, SEQ_READ, RAND_READ, SMALL_FILES, UNTAR, WORKLOADS };
static const char *const workload_name[WORKLOADS] = { "seq_write", "seq_read", "rand_read_4k",
						      "create_stat_unlink", "untar" };
static const char *const workload_unit[WORKLOADS] = { "MB/s", "MB/s", "ops/s", "ops/s", "MB/s" };

static double results[WORKLOADS][VARIANTS];

static struct {
	unsigned long mb;
	unsigned long reads;
	unsigned long files;
	unsigned long runs;
	const char *tar_dir;
	char scratch[256];
	char tarball[300];
	double tar_mb;
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
	fprintf(stderr, "bench fs: %s: %s\n", what, strerror(errno));
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

static void drop_caches(void)
{
	sync();
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (fd < 0)
		return;
	if (write(fd, "3", 1) != 1)
		fprintf(stderr, "bench fs: cannot drop caches; reads may be warm\n");
	close(fd);
}

static void path_in(char *buf, size_t size, const char *root, const char *name)
{
	fmt(buf, size, "%s/%s", root, name);
}

static double seq_write(const char *root)
{
	char path[512];
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
	char path[512];
	path_in(path, sizeof path, root, "big");
	char *buf = malloc(CHUNK);
	if (!buf)
		die("malloc");
	drop_caches();
	double t0 = now();
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		die(path);
	unsigned long total = 0;
	for (ssize_t n; (n = read(fd, buf, CHUNK)) > 0;)
		total += (unsigned long)n;
	close(fd);
	double t = now() - t0;
	free(buf);
	return (double)total / (1 << 20) / t;
}

static double rand_read(const char *root)
{
	char path[512], buf[4096];
	path_in(path, sizeof path, root, "big");
	drop_caches();
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

static double small_files(const char *root)
{
	char dir[512], path[600];
	path_in(dir, sizeof dir, root, "small");
	if (mkdir(dir, 0755) != 0)
		die(dir);
	double t0 = now();
	for (unsigned long i = 0; i < cfg.files; i++) {
		fmt(path, sizeof path, "%s/file-%06lu", dir, i);
		int fd = open(path, O_CREAT | O_WRONLY | O_EXCL, 0644);
		if (fd < 0 || write(fd, path, 100) != 100 || close(fd) != 0)
			die("create");
	}
	struct stat st;
	for (unsigned long i = 0; i < cfg.files; i++) {
		fmt(path, sizeof path, "%s/file-%06lu", dir, i);
		if (stat(path, &st) != 0)
			die("stat");
	}
	for (unsigned long i = 0; i < cfg.files; i++) {
		fmt(path, sizeof path, "%s/file-%06lu", dir, i);
		if (unlink(path) != 0)
			die("unlink");
	}
	double t = now() - t0;
	rmdir(dir);
	return 3.0 * (double)cfg.files / t;
}

static int run(const char *cmd)
{
	int rc = system(cmd);
	return rc == -1 ? -1 : WEXITSTATUS(rc);
}

static double untar(const char *root)
{
	char cmd[1024];
	fmt(cmd, sizeof cmd, "mkdir -p '%s/tree' && tar -C '%s/tree' -xf '%s'", root, root,
		 cfg.tarball);
	double t0 = now();
	if (run(cmd) != 0)
		die("untar");
	sync();
	return cfg.tar_mb / (now() - t0);
}

static void keep_best(int w, int v, double value)
{
	if (value > results[w][v])
		results[w][v] = value;
}

/* One run of every workload on one variant; the best of the runs is kept. */
static void workloads(int v, const char *root)
{
	char cmd[600];
	fprintf(stderr, "bench fs: %s on %s\n", variant_name[v], root);
	keep_best(SEQ_WRITE, v, seq_write(root));
	keep_best(SEQ_READ, v, seq_read(root));
	keep_best(RAND_READ, v, rand_read(root));
	keep_best(SMALL_FILES, v, small_files(root));
	keep_best(UNTAR, v, untar(root));
	fmt(cmd, sizeof cmd, "rm -rf '%s/tree' '%s/big'", root, root);
	if (run(cmd) != 0)
		die("cleanup");
}

static void wait_mounted(const char *mnt, pid_t server)
{
	const struct timespec tick = { 0, 5 * 1000 * 1000 };
	struct statfs sf;
	while (statfs(mnt, &sf) != 0 || sf.f_type != FUSE_MAGIC) {
		if (waitpid(server, NULL, WNOHANG) == server) {
			fprintf(stderr, "bench fs: the server for %s exited\n", mnt);
			exit(1);
		}
		nanosleep(&tick, NULL);
	}
}

static void make_dirs(const char *tag, char *src, char *mnt, size_t size)
{
	fmt(src, size, "%s/%s-src", cfg.scratch, tag);
	fmt(mnt, size, "%s/%s-mnt", cfg.scratch, tag);
	if (mkdir(src, 0755) != 0 || mkdir(mnt, 0755) != 0)
		die("mkdir");
}

static pid_t start_pll(char *mnt, size_t size)
{
	char src[512], exe[512], cmd[1200], opt[600];
	fmt(exe, sizeof exe, "%s/passthrough_ll", cfg.scratch);
	fmt(cmd, sizeof cmd, "cc -O2 -o '%s' " EXAMPLE " $(pkg-config --cflags --libs fuse3)",
		 exe);
	if (run(cmd) != 0) {
		fprintf(stderr, "bench fs: cannot build passthrough_ll from " EXAMPLE "\n");
		exit(1);
	}
	make_dirs("pll", src, mnt, size);
	fmt(opt, sizeof opt, "source=%s", src);
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		execl(exe, "passthrough_ll", "-f", "-o", opt, mnt, (char *)NULL);
		_exit(127);
	}
	wait_mounted(mnt, pid);
	return pid;
}

static void stop_pll(pid_t pid, const char *mnt)
{
	char cmd[600];
	fmt(cmd, sizeof cmd, "fusermount3 -u -z '%s'", mnt);
	run(cmd);
	waitpid(pid, NULL, 0);
}

static pid_t start_ours(char *mnt, size_t size, int filters)
{
	char src[512];
	make_dirs(filters ? "ours3" : "ours", src, mnt, size);
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
		struct fs_volume *vol;
		struct fs_volume_options o = { .source = src, .mountpoint = mnt };
		if ((filters && bench_load_filters() != 0) || fs_volume_mount(&o, &vol) != 0 ||
		    write(p[1], "r", 1) != 1)
			_exit(1);
		int sig;
		sigwait(&set, &sig);
		_exit(fs_volume_unmount(vol) == 0 ? 0 : 1);
	}
	char c;
	if (read(p[0], &c, 1) != 1)
		die("volume did not start");
	close(p[0]);
	close(p[1]);
	return pid;
}

static void stop_ours(pid_t pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

static void report(void)
{
	for (int w = 0; w < WORKLOADS; w++) {
		const char *u = workload_unit[w];
		double ours = results[w][OURS];
		printf("BENCH fs.%s.vs_passthrough_ll ours=%.1f%s baseline=%.1f%s ratio=%.3f\n",
		       workload_name[w], ours, u, results[w][PLL], u, ours / results[w][PLL]);
		printf("BENCH fs.%s.vs_native ours=%.1f%s baseline=%.1f%s ratio=%.3f\n",
		       workload_name[w], ours, u, results[w][NATIVE], u, ours / results[w][NATIVE]);
		double ours3 = results[w][OURS3];
		printf("BENCH fs.%s.3_filters.vs_passthrough_ll ours=%.1f%s baseline=%.1f%s ratio=%.3f\n",
		       workload_name[w], ours3, u, results[w][PLL], u, ours3 / results[w][PLL]);
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
	cfg.runs = env_ulong("ALTITUDE_BENCH_FS_RUNS", 2);
	cfg.tar_dir = getenv("ALTITUDE_BENCH_FS_TAR_DIR");
	if (!cfg.tar_dir || !*cfg.tar_dir)
		cfg.tar_dir = "/usr/include";
	const char *tmp = getenv("TMPDIR");
	fmt(cfg.scratch, sizeof cfg.scratch, "%s/altitude-bench-fs-XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(cfg.scratch))
		die("mkdtemp");
	make_tarball();
	char root[VARIANTS][512];
	fmt(root[NATIVE], sizeof root[NATIVE], "%s/native", cfg.scratch);
	if (mkdir(root[NATIVE], 0755) != 0)
		die("mkdir");
	pid_t pll = start_pll(root[PLL], sizeof root[PLL]);
	pid_t ours = start_ours(root[OURS], sizeof root[OURS], 0);
	pid_t ours3 = start_ours(root[OURS3], sizeof root[OURS3], 1);
	/* Variants take turns, so drift in the machine's load hits all alike. */
	for (unsigned long r = 0; r < cfg.runs; r++)
		for (int v = 0; v < VARIANTS; v++)
			workloads(v, root[v]);
	stop_pll(pll, root[PLL]);
	stop_ours(ours);
	stop_ours(ours3);
	report();
	char cmd[600];
	fmt(cmd, sizeof cmd, "rm -rf '%s'", cfg.scratch);
	return run(cmd) == 0 ? 0 : 1;
}
