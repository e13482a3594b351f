/*
 * Per-request records: an operation table that pends requests and answers
 * them later from another thread, and a FUSE INTERRUPT reaching the
 * request's cancel hook (what the filter stack's glue builds on).
 */
#define _GNU_SOURCE
#include "fs/fuse/internal.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "fs_mount_test.h"

struct pended {
	struct fs_request *r;
	fuse_ino_t ino;
	bool is_fsync;
	bool cancelled;
	pthread_t worker;
	struct pended *next;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct pended *queue;
	bool stopping;
	unsigned long from_other_thread;
	unsigned long cancelled;
} q = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, false, 0, 0 };

static struct pended *push(struct fs_request *r, fuse_ino_t ino, bool is_fsync)
{
	struct pended *p = calloc(1, sizeof(*p));
	if (!p) {
		fs_request_reply_err(r, ENOMEM);
		return NULL;
	}
	*p = (struct pended){ .r = r, .ino = ino, .is_fsync = is_fsync, .worker = pthread_self() };
	pthread_mutex_lock(&q.lock);
	p->next = q.queue;
	q.queue = p;
	pthread_cond_broadcast(&q.cond);
	pthread_mutex_unlock(&q.lock);
	return p;
}

static void pend_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)fi;
	struct fs_request *r = fs_request_begin(req);
	if (r)
		push(r, ino, false);
}

/* Runs on libfuse's interrupt path: it only marks, the completer replies. */
static void on_cancel(struct fs_request *r, void *ctx)
{
	(void)r;
	struct pended *p = ctx;
	pthread_mutex_lock(&q.lock);
	p->cancelled = true;
	pthread_cond_broadcast(&q.cond);
	pthread_mutex_unlock(&q.lock);
}

/* fsync waits until the requester cancels it. */
static void pend_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	(void)datasync;
	(void)fi;
	struct fs_request *r = fs_request_begin(req);
	if (!r)
		return;
	struct pended *p = push(r, ino, true);
	if (p)
		fs_request_set_cancel(r, on_cancel, p);
}

/* The first request ready: any getattr, or a cancelled fsync. */
static struct pended *take_ready(void)
{
	for (struct pended **pp = &q.queue; *pp; pp = &(*pp)->next) {
		struct pended *p = *pp;
		if (!p->is_fsync || p->cancelled) {
			*pp = p->next;
			return p;
		}
	}
	return NULL;
}

static void *completer(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&q.lock);
	for (;;) {
		struct pended *p = take_ready();
		if (!p && q.stopping)
			break;
		if (!p) {
			pthread_cond_wait(&q.cond, &q.lock);
			continue;
		}
		q.from_other_thread += !pthread_equal(p->worker, pthread_self());
		q.cancelled += p->is_fsync;
		pthread_mutex_unlock(&q.lock);
		if (p->is_fsync) {
			fs_request_reply_err(p->r, EINTR);
		} else {
			struct stat st;
			int err = fs_lower_getattr(fs_request_lower(p->r), &p->r->cred, p->ino, &st);
			if (err)
				fs_request_reply_err(p->r, err);
			else
				fs_request_reply_attr(p->r, &st);
		}
		free(p);
		pthread_mutex_lock(&q.lock);
	}
	pthread_mutex_unlock(&q.lock);
	return NULL;
}

struct fixture {
	struct fs_test_mount m;
	pthread_t completer;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	struct fuse_lowlevel_ops ops;
	fs_fuse_passthrough_ops(&ops);
	ops.getattr = pend_getattr;
	ops.fsync = pend_fsync;
	f->m.src = fs_test_mkdtemp("src");
	f->m.mnt = fs_test_mkdtemp("mnt");
	struct fs_volume_options o = { .source = f->m.src, .mountpoint = f->m.mnt, .ops = &ops };
	q.stopping = false;
	if (!f->m.src || !f->m.mnt || pthread_create(&f->completer, NULL, completer, NULL) != 0 ||
	    fs_volume_mount(&o, &f->m.vol) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int err = fs_volume_unmount(f->m.vol);
	pthread_mutex_lock(&q.lock);
	q.stopping = true;
	pthread_cond_broadcast(&q.cond);
	pthread_mutex_unlock(&q.lock);
	pthread_join(f->completer, NULL);
	rmdir(f->m.mnt);
	free(f->m.mnt);
	fs_test_rmtree(f->m.src);
	free(f);
	return err ? -1 : 0;
}

static void test_reply_from_another_thread(void **state)
{
	struct fixture *f = *state;
	char ps[512], pm[512];
	int fd = open(fs_test_s(&f->m, ps, sizeof ps, "file"), O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "12345", 5), 5);
	close(fd);
	/* FORCE_SYNC: a GETATTR even while attributes are cached. */
	struct statx stx;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(statx(AT_FDCWD, fs_test_m(&f->m, pm, sizeof pm, "file"),
				       AT_STATX_FORCE_SYNC, STATX_BASIC_STATS, &stx),
				 0);
		assert_int_equal(stx.stx_size, 5);
	}
	pthread_mutex_lock(&q.lock);
	unsigned long n = q.from_other_thread;
	pthread_mutex_unlock(&q.lock);
	assert_true(n >= 3);
}

static void on_usr1(int sig)
{
	(void)sig;
}

/* True when pid waits for a FUSE answer inside system call `nr`. */
static bool blocked_in_fuse(pid_t pid, long nr)
{
	char path[64], line[128] = { 0 };
	snprintf(path, sizeof path, "/proc/%d/wchan", pid);
	FILE *fp = fopen(path, "r");
	bool waiting = fp && fgets(line, sizeof line, fp) && strstr(line, "request_wait_answer");
	if (fp)
		fclose(fp);
	snprintf(path, sizeof path, "/proc/%d/syscall", pid);
	fp = fopen(path, "r");
	bool in_call = fp && fgets(line, sizeof line, fp) && strtol(line, NULL, 10) == nr;
	if (fp)
		fclose(fp);
	return waiting && in_call;
}

static void test_interrupt_cancels_pended_request(void **state)
{
	struct fixture *f = *state;
	char pm[512];
	fs_test_m(&f->m, pm, sizeof pm, "sync-me");
	int fd = open(pm, O_CREAT | O_RDWR, 0644);
	assert_true(fd >= 0);
	close(fd);
	fflush(NULL);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		fs_test_drop_fuse_fds();
		struct sigaction sa = { .sa_handler = on_usr1 };
		sigaction(SIGUSR1, &sa, NULL);
		int cfd = open(pm, O_RDWR);
		int res = fsync(cfd);
		_exit(res == -1 && errno == EINTR ? 0 : 1);
	}
	/* Bounded waits for states another process reaches (not timing). */
	const struct timespec tick = { 0, 10 * 1000 * 1000 };
	int polls = 0;
	while (!blocked_in_fuse(child, SYS_fsync) && polls++ < 2000)
		nanosleep(&tick, NULL);
	assert_true(blocked_in_fuse(child, SYS_fsync));
	assert_int_equal(kill(child, SIGUSR1), 0);
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(fs_volume_interrupts(f->m.vol), 1);
	pthread_mutex_lock(&q.lock);
	unsigned long n = q.cancelled;
	pthread_mutex_unlock(&q.lock);
	assert_int_equal(n, 1);
}

int main(int argc, char **argv)
{
	(void)argc;
	fs_test_require_fuse(argv[0]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reply_from_another_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interrupt_cancels_pended_request, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
