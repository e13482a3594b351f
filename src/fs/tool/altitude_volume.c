/*
 * altitude-volume: serves one volume until SIGTERM or SIGINT, then unmounts
 * cleanly.
 *
 *   altitude-volume [-s SOURCE] MOUNTPOINT   mount SOURCE at MOUNTPOINT, or
 *                                            in place over MOUNTPOINT
 *   altitude-volume -c [MOUNTPOINT]          detach stale altitude mounts
 *
 * Prints "ready" on stdout once the mount is live.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <altitude/volume.h>

static int usage(void)
{
	fprintf(stderr, "usage: altitude-volume [-s SOURCE] MOUNTPOINT\n"
			"       altitude-volume -c [MOUNTPOINT]\n");
	return 2;
}

static int cleanup(const char *mountpoint)
{
	unsigned n = 0;
	int err = altitude_volume_cleanup_stale(mountpoint, &n);
	printf("%u stale mount(s) detached\n", n);
	if (err)
		fprintf(stderr, "altitude-volume: cleanup: %s\n", strerror(err));
	return err ? 1 : 0;
}

static int serve(const char *source, const char *mountpoint)
{
	/* Signals are taken synchronously here; the volume's threads block them. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	altitude_volume *vol;
	int err = altitude_volume_mount(source, mountpoint, &vol);
	if (err) {
		fprintf(stderr, "altitude-volume: mount %s: %s\n", mountpoint, strerror(err));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	int sig;
	sigwait(&set, &sig);
	err = altitude_volume_unmount(vol);
	if (err) {
		fprintf(stderr, "altitude-volume: unmount %s: %s\n", mountpoint, strerror(err));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *source = NULL;
	bool clean = false;
	int opt;
	while ((opt = getopt(argc, argv, "s:c")) != -1) {
		if (opt == 's')
			source = optarg;
		else if (opt == 'c')
			clean = true;
		else
			return usage();
	}
	if (clean)
		return argc - optind <= 1 ? cleanup(argv[optind]) : usage();
	if (argc - optind != 1)
		return usage();
	return serve(source, argv[optind]);
}
