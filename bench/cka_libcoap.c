// SPDX-License-Identifier: GPL-2.0
/*
 * cka_libcoap - libcoap's own keepalive, the baseline of rows 2 and 3 of
 * `make bench` (Documentation/bench.rst). Linked against Debian's libcoap3
 * 4.3.1 (pkg-config libcoap-3-notls); cka_bench runs it as a child.
 *
 *   cka_libcoap -n N -k SECS [--secs S] [--spread S] [--no-activity]
 *               [--peer0 I] [--port P] [-v]
 *
 * One coap_context_t with coap_context_set_keepalive(ctx, SECS) and N UDP
 * client sessions (coap_new_client_session), session i to peer i of
 * cka_pipe.h's peer_addr() (127.a.b.c:5683, a >= 1), the peers of
 * cka_bench. libcoap 4.3.1 gives each UDP client session its own socket,
 * connect()ed to its peer (coap_socket_connect_udp): N descriptors, so
 * RLIMIT_NOFILE is raised to N + 64 (the hard limit too when allowed).
 *
 * The sessions are created with the keepalive off. Then each sends one NON
 * GET (activity: it sets the session's last_rx_tx), all in one go or, with
 * --spread S, evenly over S seconds, and the keepalive is switched on after
 * the last one; --no-activity skips that and switches it on at once (the
 * sessions are then idle since their creation). coap_io_process() runs
 * until S seconds (--secs) after the first activity, or until SIGTERM or
 * SIGINT. SIGUSR1 prints a "mark" line with the counters so far.
 *
 * Counted: Pongs (coap_register_pong_handler: libcoap 4.3.1 calls it for
 * the Reset that answers a UDP Ping), NACKs by reason
 * (coap_register_nack_handler) and Pings sent: libcoap keeps no count, so
 * this program interposes send() (libcoap writes on a connected UDP socket
 * with send()) and counts the 4-byte datagrams 40 00 MID MID, which are
 * Pings and their retransmissions. Lines on stdout, key=value:
 *
 *   cka_libcoap: ready n=N create_s=T nofile=L
 *   cka_libcoap: mark t=T pings_sent=P pongs=Q nacks=K loops=L
 *   cka_libcoap: result n=N keepalive=K secs=T sessions=S pings_sent=P
 *       pongs=Q nacks=K nack_retries=.. nack_not_deliverable=.. nack_rst=..
 *       nack_icmp=.. nack_other=.. loops=L activity_s=T create_s=T
 *
 * (the result is one line). Exit status 0, or 1 when a session could not
 * be created (its line says why).
 */
#include <dlfcn.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <coap3/coap.h>

#include "cka_pipe.h"

static volatile sig_atomic_t stop, mark;
static long pings_sent, pongs, nacks, nack_reason[8];

/* ------------------------------------------------------------------ */
/* send(): the Pings libcoap writes                                     */

typedef ssize_t (*send_fn)(int, const void *, size_t, int);

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	static send_fn real;
	const uint8_t *b = buf;

	if (!real) {
		real = (send_fn)dlsym(RTLD_NEXT, "send");
		if (!real) {
			errno = ENOSYS;
			return -1;
		}
	}
	if (len == 4 && b[0] == 0x40 && b[1] == 0)
		pings_sent++;
	return real(fd, buf, len, flags);
}

/* ------------------------------------------------------------------ */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void pong_cb(coap_session_t *s, const coap_pdu_t *rcvd, const coap_mid_t mid)
{
	(void)s;
	(void)rcvd;
	(void)mid;
	pongs++;
}

static void nack_cb(coap_session_t *s, const coap_pdu_t *sent,
		    const coap_nack_reason_t reason, const coap_mid_t mid)
{
	(void)s;
	(void)sent;
	(void)mid;
	nacks++;
	switch (reason) {
	case COAP_NACK_TOO_MANY_RETRIES: nack_reason[0]++; break;
	case COAP_NACK_NOT_DELIVERABLE: nack_reason[1]++; break;
	case COAP_NACK_RST: nack_reason[2]++; break;
	case COAP_NACK_ICMP_ISSUE: nack_reason[3]++; break;
	default: nack_reason[4]++; break;
	}
}

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		mark = 1;
	else
		stop = 1;
}

/* RLIMIT_NOFILE >= @want, the hard limit too if we may; returns the soft one. */
static long raise_nofile(long want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -1;
	if (rl.rlim_cur != RLIM_INFINITY && (long)rl.rlim_cur < want) {
		if (rl.rlim_max != RLIM_INFINITY && (long)rl.rlim_max < want) {
			struct rlimit hard = { want, want };

			if (!setrlimit(RLIMIT_NOFILE, &hard))
				rl = hard;
		}
		if ((long)rl.rlim_cur < want) {
			rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ||
				      (long)rl.rlim_max >= want ? (rlim_t)want : rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur == RLIM_INFINITY ? -1 : (long)rl.rlim_cur;
}

/* One NON GET on @s: activity, it sets the session's last_rx_tx. */
static void activity(coap_session_t *s)
{
	coap_pdu_t *pdu = coap_new_pdu(COAP_MESSAGE_NON, COAP_REQUEST_CODE_GET, s);

	if (pdu)
		coap_send(s, pdu);
}

static void usage(void)
{
	fprintf(stderr, "usage: cka_libcoap -n N -k SECS [--secs S] [--spread S] [--no-activity]\n"
		"                   [--peer0 I] [--port P] [-v]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sessions", required_argument, NULL, 'n' },
		{ "keepalive", required_argument, NULL, 'k' },
		{ "secs", required_argument, NULL, 's' },
		{ "spread", required_argument, NULL, 'S' },
		{ "no-activity", no_argument, NULL, 'A' },
		{ "peer0", required_argument, NULL, 'p' },
		{ "port", required_argument, NULL, 'P' },
		{ "verbose", no_argument, NULL, 'v' },
		{}
	};
	long n = 0, peer0 = 0, i, next = 0, loops = 0, nofile;
	double secs = 0, spread = 0, t0, tc, ta = 0, end, t;
	bool act = true, on = false;
	int k = -1, port = CKA_PEER_PORT, verbose = 0, c;
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART */
	coap_session_t **ss;
	coap_context_t *ctx;

	while ((c = getopt_long(argc, argv, "n:k:v", opts, NULL)) != -1) {
		switch (c) {
		case 'n': n = atol(optarg); break;
		case 'k': k = atoi(optarg); break;
		case 's': secs = atof(optarg); break;
		case 'S': spread = atof(optarg); break;
		case 'A': act = false; break;
		case 'p': peer0 = atol(optarg); break;
		case 'P': port = atoi(optarg); break;
		case 'v': verbose = 1; break;
		default: usage();
		}
	}
	if (n <= 0 || k <= 0 || secs < 0 || spread < 0 || optind != argc)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);	/* cka_bench gone: stop */
	nofile = raise_nofile(n + 64);

	coap_startup();
	/* LOG_ALERT "got RST for mid" of late Resets would flood the output */
	coap_set_log_level(verbose ? LOG_WARNING : LOG_EMERG);
	ctx = coap_new_context(NULL);
	ss = calloc(n, sizeof(*ss));
	if (!ctx || !ss) {
		printf("cka_libcoap: error no context\n");
		return 1;
	}
	coap_context_set_keepalive(ctx, 0);	/* on after the activity */
	coap_register_pong_handler(ctx, pong_cb);
	coap_register_nack_handler(ctx, nack_cb);

	t0 = now();
	for (i = 0; i < n; i++) {
		coap_address_t a;

		coap_address_init(&a);
		a.addr.sin = peer_addr(peer0 + i, port);
		a.size = sizeof(a.addr.sin);
		ss[i] = coap_new_client_session(ctx, NULL, &a, COAP_PROTO_UDP);
		if (!ss[i]) {
			printf("cka_libcoap: error session %ld of %ld not created (%s; RLIMIT_NOFILE %ld)\n",
			       i, n, strerror(errno), nofile);
			return 1;
		}
	}
	tc = now() - t0;
	printf("cka_libcoap: ready n=%ld create_s=%.3f nofile=%ld\n", n, tc, nofile);

	t0 = now();
	if (!act) {
		coap_context_set_keepalive(ctx, k);
		on = true;
	} else if (spread == 0) {
		for (i = 0; i < n; i++)
			activity(ss[i]);
		ta = now() - t0;
		coap_context_set_keepalive(ctx, k);
		on = true;
	}
	end = secs > 0 ? t0 + secs : INFINITY;
	while (!stop && (t = now()) < end) {
		uint32_t ms = 1000;

		if (!on) {
			/* session i's activity at t0 + spread * i / n */
			while (next < n && t >= t0 + spread * next / n)
				activity(ss[next++]);
			if (next == n) {
				ta = now() - t0;
				coap_context_set_keepalive(ctx, k);
				on = true;
			} else {
				ms = 1 + (uint32_t)(fmax(0, t0 + spread * next / n - t) * 1e3);
			}
		}
		if (end - t < ms / 1e3)
			ms = 1 + (uint32_t)((end - t) * 1e3);
		coap_io_process(ctx, ms);
		loops++;
		if (mark) {
			mark = 0;
			printf("cka_libcoap: mark t=%.3f pings_sent=%ld pongs=%ld nacks=%ld loops=%ld\n",
			       now() - t0, pings_sent, pongs, nacks, loops);
		}
	}
	printf("cka_libcoap: result n=%ld keepalive=%d secs=%.3f sessions=%ld pings_sent=%ld pongs=%ld nacks=%ld nack_retries=%ld nack_not_deliverable=%ld nack_rst=%ld nack_icmp=%ld nack_other=%ld loops=%ld activity_s=%.3f create_s=%.3f\n",
	       n, k, now() - t0, n, pings_sent, pongs, nacks, nack_reason[0],
	       nack_reason[1], nack_reason[2], nack_reason[3], nack_reason[4], loops,
	       ta, tc);
	fflush(stdout);
	/* N sessions and sockets: the exit frees them faster than libcoap */
	_exit(0);
}
