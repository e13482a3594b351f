/*
 * End to end, scanner-shaped: 8 sender threads in the host, a client
 * process with 4 threads each keeping 2 overlapped gets outstanding on a
 * completion port; every reply must match its message.  Then the client is
 * SIGKILLed mid-stream and every blocked sender must be released with
 * STATUS_PORT_DISCONNECTED.  Also: completion through a polled
 * completion-port fd.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness.h"

#ifdef ALTITUDE_SANITIZED
#define SCANNER_MESSAGES 20000
#else
#define SCANNER_MESSAGES 100000
#endif
#define SENDERS 8

struct scan_sender {
	pthread_t thread;
	LONG quota;          /* messages to send; < 0: until the port fails */
	ULONG index;
	LONG sent, matched;  /* atomic */
	NTSTATUS last;
};

static LONG scan_next_seq;
static pthread_mutex_t scan_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t scan_cv = PTHREAD_COND_INITIALIZER;
static int scan_warmed; /* senders that sent 10 messages, under scan_lock */

static void scan_count(struct scan_sender *s)
{
	if (__atomic_add_fetch(&s->sent, 1, __ATOMIC_RELAXED) != 10)
		return;
	pthread_mutex_lock(&scan_lock);
	scan_warmed++;
	pthread_cond_broadcast(&scan_cv);
	pthread_mutex_unlock(&scan_lock);
}

static void *scan_sender_main(void *arg)
{
	struct scan_sender *s = arg;

	for (LONG i = 0; s->quota < 0 || i < s->quota; i++) {
		UCHAR msg[64] = { 0 };
		ULONGLONG seq = (ULONGLONG)__atomic_add_fetch(&scan_next_seq, 1, __ATOMIC_RELAXED);
		ULONGLONG reply = 0;
		ULONG len = sizeof(reply);

		memcpy(msg, &seq, sizeof(seq));
		s->last = FltSendMessage(PH_FILTER, &ph.client, msg, sizeof(msg), &reply, &len, NULL);
		if (s->last != STATUS_SUCCESS)
			break;
		scan_count(s);
		if (len == sizeof(reply) && reply == seq)
			__atomic_add_fetch(&s->matched, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void run_senders(struct scan_sender *s, LONG quota)
{
	memset(s, 0, sizeof(*s) * SENDERS);
	for (ULONG i = 0; i < SENDERS; i++) {
		s[i].quota = quota;
		s[i].index = i;
		pthread_create(&s[i].thread, NULL, scan_sender_main, &s[i]);
	}
}

static void scanner_matches_every_reply_then_survives_sigkill(void **state)
{
	struct scan_sender s[SENDERS];
	struct ph_child c;
	LONG total = 0;

	(void)state;
	ph_reset();
	ph_spawn(&c, client_scanner, 0);
	assert_int_equal(ph_create_port(1, NULL), STATUS_SUCCESS);
	ph_go(&c);
	assert_int_equal(ph_read(&c), 'r');
	ph_wait_connects(1);

	run_senders(s, SCANNER_MESSAGES / SENDERS);
	for (ULONG i = 0; i < SENDERS; i++) {
		pthread_join(s[i].thread, NULL);
		assert_int_equal(s[i].last, STATUS_SUCCESS);
		assert_int_equal(s[i].matched, SCANNER_MESSAGES / SENDERS);
		total += s[i].matched;
	}
	assert_int_equal(total, SCANNER_MESSAGES);

	/* Mid-stream: senders running without end, then the client dies. */
	pthread_mutex_lock(&scan_lock);
	scan_warmed = 0;
	pthread_mutex_unlock(&scan_lock);
	run_senders(s, -1);
	pthread_mutex_lock(&scan_lock);
	while (scan_warmed < SENDERS)
		pthread_cond_wait(&scan_cv, &scan_lock);
	pthread_mutex_unlock(&scan_lock);
	ph_kill(&c);
	for (ULONG i = 0; i < SENDERS; i++) {
		pthread_join(s[i].thread, NULL);
		assert_int_equal(s[i].last, STATUS_PORT_DISCONNECTED);
		assert_int_equal(s[i].matched, s[i].sent);
	}
	ph_wait_disconnects(1);
	assert_int_not_equal(ph_reap(&c), 0);
	ph_teardown();
	assert_int_equal(ph_get(&ph.disconnects), 1);
}

static void completion_port_fd_polls_completions(void **state)
{
	struct ph_child c;

	(void)state;
	ph_reset();
	ph_spawn(&c, client_iocp_poll, 3);
	assert_int_equal(ph_create_port(1, NULL), STATUS_SUCCESS);
	ph_go(&c);
	assert_int_equal(ph_read(&c), 'r');
	ph_wait_connects(1);
	port_test_wait_credits(ph.client, 2);
	for (UCHAR b = 'a'; b < 'a' + 3; b++) {
		UCHAR msg[16], reply = 0;
		ULONG len = 1;

		memset(msg, b, sizeof(msg));
		assert_int_equal(FltSendMessage(PH_FILTER, &ph.client, msg, sizeof(msg), &reply, &len,
						NULL),
				 STATUS_SUCCESS);
		assert_int_equal(len, 1);
		assert_int_equal(reply, b);
	}
	assert_int_equal(ph_read(&c), 3);
	assert_int_equal(ph_reap(&c), 0);
	ph_wait_disconnects(1);
	ph_teardown();
}

static void posted_packet_reaches_a_reading_waiter(void **state)
{
	struct ph_child c;
	uint32_t go = 1;

	(void)state;
	ph_reset();
	ph_spawn(&c, client_iocp_post, 0);
	assert_int_equal(ph_create_port(1, NULL), STATUS_SUCCESS);
	ph_go(&c);
	assert_int_equal(ph_read(&c), 'r');
	ph_wait_connects(1);
	port_test_wait_credits(ph.client, 1);
	assert_int_equal(write(c.to_child, &go, sizeof(go)), sizeof(go));
	assert_int_equal(ph_read(&c), 99);
	assert_int_equal(ph_reap(&c), 0);
	ph_wait_disconnects(1);
	ph_teardown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(completion_port_fd_polls_completions),
		cmocka_unit_test(posted_packet_reaches_a_reading_waiter),
		cmocka_unit_test(scanner_matches_every_reply_then_survives_sigkill),
	};

	ph_runtime_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
