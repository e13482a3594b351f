/*
 * A crash in filter code (SIGSEGV, SIGBUS, SIGILL, SIGFPE, abort): the
 * handler writes <runtime dir>/crash-<pid>.txt naming the signal, the
 * faulting address, the filter and the operation, and the backtrace.  The
 * filter and operation are the thread's current filter callback
 * (altitude_host_current_callback: "IRP_MJ_WRITE pre-operation callback,
 * file \dir\a.txt, requester pid 123"); else the thread's log prefix, set
 * while DriverEntry and unload run; else the module holding the faulting
 * code or a frame of the backtrace.  It aborts the FUSE connection of every volume
 * (/sys/fs/fuse/connections/<dev>/abort) so that programs get errors
 * instead of hanging; then the signal kills the process as it would have.
 * The next fltmgrd detaches the stale mounts at start.
 *
 * Only async-signal-safe calls run in the handler, except dladdr and
 * backtrace (preloaded at init), which are what crash handlers use; the
 * tables it reads are fixed arrays written under a lock by normal code.
 */
#include <dlfcn.h>
#include <execinfo.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <altitude/host.h>
#include <altitude/log.h>

#include "fltmgrd.h"

#define FM_CRASH_MODULES 64
#define FM_CRASH_VOLUMES 64

struct fm_crash_module {
	char name[256];
	char path[4096];
};

static pthread_mutex_t fm_crash_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fm_crash_module fm_crash_modules[FM_CRASH_MODULES];
static volatile unsigned fm_crash_module_count;
static char fm_crash_aborts[FM_CRASH_VOLUMES][128]; /* "" when free */
static char fm_crash_path[600];
static char fm_crash_altstack[64 * 1024];

static void out(int fd, const char *s)
{
	if (fd >= 0 && write(fd, s, strlen(s)) < 0)
		return;
}

static void out_hex(int fd, unsigned long v)
{
	char buf[19] = "0x", tmp[16];
	int n = 0, i = 2;

	do {
		tmp[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	while (n)
		buf[i++] = tmp[--n];
	buf[i] = '\0';
	out(fd, buf);
}

/* The filter whose module holds `pc`, or NULL. */
static const char *fm_crash_filter_at(void *pc)
{
	Dl_info info;

	if (!pc || !dladdr(pc, &info) || !info.dli_fname)
		return NULL;
	for (unsigned i = 0; i < fm_crash_module_count; i++)
		if (strcmp(fm_crash_modules[i].path, info.dli_fname) == 0)
			return fm_crash_modules[i].name;
	return NULL;
}

static void out_dec(int fd, unsigned long v)
{
	char buf[21];
	int i = sizeof(buf) - 1;

	buf[i] = '\0';
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	out(fd, buf + i);
}

/* "IRP_MJ_WRITE pre-operation callback, file \a.txt, requester pid 123" */
static void out_callback(int fd, const altitude_host_callback_info *cb)
{
	out(fd, cb->operation);
	if (cb->file[0]) {
		out(fd, ", file ");
		out(fd, cb->file);
	}
	if (cb->requestor_pid) {
		out(fd, ", requester pid ");
		out_dec(fd, cb->requestor_pid);
	}
}

static altitude_host_callback_info fm_crash_callback; /* one crash at a time: SA_RESETHAND */

static void fm_crash_report(int fd, int sig, siginfo_t *si, void *pc)
{
	const char *prefix = altitude_log_thread_prefix();
	bool in_callback = altitude_host_current_callback(&fm_crash_callback);
	const char *filter = in_callback ? fm_crash_callback.filter
			     : prefix[0] ? prefix : fm_crash_filter_at(pc);
	void *frames[64];
	int n = backtrace(frames, 64);

	for (int i = 0; !filter && i < n; i++)
		filter = fm_crash_filter_at(frames[i]);
	out(fd, "fltmgrd crash report\nsignal: ");
	out(fd, strsignal(sig));
	out(fd, "\nfault address: ");
	out_hex(fd, (unsigned long)si->si_addr);
	out(fd, "\ninstruction: ");
	out_hex(fd, (unsigned long)pc);
	out(fd, "\nfilter: ");
	out(fd, filter ? filter : "(none: the fault is not in a filter module)");
	out(fd, "\noperation: ");
	if (in_callback)
		out_callback(fd, &fm_crash_callback);
	else
		out(fd, prefix[0] ? "DriverEntry or unload (control request)" : "(not recorded)");
	out(fd, "\nbacktrace:\n");
	backtrace_symbols_fd(frames, n, fd);
}

static void fm_crash_handler(int sig, siginfo_t *si, void *context)
{
	ucontext_t *uc = context;
	void *pc = (void *)uc->uc_mcontext.gregs[REG_RIP];
	int fd = open(fm_crash_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	fm_crash_report(fd, sig, si, pc);
	if (fd >= 0)
		close(fd);
	out(2, "fltmgrd: fatal signal in filter code");
	if (fm_crash_callback.filter[0]) {
		out(2, " (filter ");
		out(2, fm_crash_callback.filter);
		out(2, ", ");
		out_callback(2, &fm_crash_callback);
		out(2, ")");
	}
	out(2, "; report in ");
	out(2, fm_crash_path);
	out(2, "\n");
	for (unsigned i = 0; i < FM_CRASH_VOLUMES; i++) {
		int a;

		if (!fm_crash_aborts[i][0])
			continue;
		a = open(fm_crash_aborts[i], O_WRONLY | O_CLOEXEC);
		if (a >= 0) {
			out(a, "1");
			close(a);
		}
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

void fm_crash_init(void)
{
	static const int signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
	struct sigaction sa = { .sa_sigaction = fm_crash_handler,
				.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND };
	stack_t ss = { .ss_sp = fm_crash_altstack, .ss_size = sizeof(fm_crash_altstack) };
	void *frame;

	snprintf(fm_crash_path, sizeof(fm_crash_path), "%s/crash-%d.txt", fm_options.runtime_dir,
		 (int)getpid());
	backtrace(&frame, 1); /* loads the unwinder now, not in the handler */
	altitude_host_current_callback(NULL); /* binds the symbol now, not in the handler */
	sigaltstack(&ss, NULL);
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		sigaction(signals[i], &sa, NULL);
}

void fm_crash_refresh_modules(void)
{
	altitude_host_filter_info *infos = calloc(FM_CRASH_MODULES, sizeof(*infos));
	ULONG n;

	if (!infos)
		return;
	n = altitude_host_filters(infos, FM_CRASH_MODULES);
	pthread_mutex_lock(&fm_crash_lock);
	fm_crash_module_count = 0;
	for (ULONG i = 0; i < n && i < FM_CRASH_MODULES; i++) {
		snprintf(fm_crash_modules[i].name, sizeof(fm_crash_modules[i].name), "%s", infos[i].name);
		snprintf(fm_crash_modules[i].path, sizeof(fm_crash_modules[i].path), "%s", infos[i].module);
	}
	fm_crash_module_count = n < FM_CRASH_MODULES ? n : FM_CRASH_MODULES;
	pthread_mutex_unlock(&fm_crash_lock);
	free(infos);
}

/* The abort file of the FUSE connection serving `mountpoint`. */
static void fm_crash_abort_path(const char *mountpoint, char *buf, size_t size)
{
	struct stat st;

	buf[0] = '\0';
	if (stat(mountpoint, &st) == 0)
		snprintf(buf, size, "/sys/fs/fuse/connections/%u/abort", minor(st.st_dev));
}

void fm_crash_add_volume(const char *mountpoint)
{
	char path[128];

	fm_crash_abort_path(mountpoint, path, sizeof(path));
	pthread_mutex_lock(&fm_crash_lock);
	for (unsigned i = 0; path[0] && i < FM_CRASH_VOLUMES; i++) {
		if (!fm_crash_aborts[i][0]) {
			memcpy(fm_crash_aborts[i], path, sizeof(path));
			break;
		}
	}
	pthread_mutex_unlock(&fm_crash_lock);
}

void fm_crash_remove_volume(const char *mountpoint)
{
	char path[128];

	fm_crash_abort_path(mountpoint, path, sizeof(path));
	pthread_mutex_lock(&fm_crash_lock);
	for (unsigned i = 0; path[0] && i < FM_CRASH_VOLUMES; i++)
		if (strcmp(fm_crash_aborts[i], path) == 0)
			fm_crash_aborts[i][0] = '\0';
	pthread_mutex_unlock(&fm_crash_lock);
}
