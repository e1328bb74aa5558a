// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libcoap_client: a libcoap (4.3.1) CoAP client whose session is kept
 * alive by the kernel through libcoapka instead of by libcoap.
 *
 *   libcoap_client [-k SECS] [-a ACK_TIMEOUT_MS] [-f RANDOM_FACTOR]
 *                  [-r MAX_RETRANSMIT] [-t RUN_SECS] [-n NACKS] HOST PORT
 *
 * It opens a UDP client session to coap://HOST:PORT, GETs /time once,
 * turns libcoap's own keepalive off (coap_context_set_keepalive(ctx, 0)),
 * finds the session's socket, attaches it to a context of its own with
 * keepalive SECS (default 1), and then runs libcoap's I/O loop with the
 * libcoapka descriptor in it, printing every callback:
 *
 *   PONG session N rtt_us R mid M at_ms T
 *   NACK session N reason too-many-retries retransmissions R mid M at_ms T
 *   GONE session N reason R
 *
 * (T: wall-clock milliseconds.) It exits after RUN_SECS (default 60) or
 * after NACKS NACKs (default 1); exit status 0 when it got that many
 * NACKs, 1 otherwise.
 * The kernel eats the server's Reset answers to its Pings, so libcoap
 * never sees them.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/select.h>
#include <sys/socket.h>

#include <coap3/coap.h>

#include <coapka.h>

static int got_response;
static unsigned int nacks, nacks_wanted = 1;

/* Wall-clock milliseconds, for tests that time the events. */
static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *nack_reason(int r)
{
	switch (r) {
	case COAPKA_NACK_TOO_MANY_RETRIES:
		return "too-many-retries";
	case COAPKA_NACK_NO_PONG:
		return "no-pong";
	case COAPKA_NACK_UNREACHABLE:
		return "unreachable";
	}
	return "unknown";
}

static void on_pong(struct coapka *h, const struct coapka_event *ev)
{
	(void)h;
	printf("PONG session %u rtt_us %lld mid %d at_ms %lld\n",
	       ev->session_id, (long long)ev->rtt_us, ev->mid, now_ms());
	fflush(stdout);
}

static void on_nack(struct coapka *h, const struct coapka_event *ev)
{
	(void)h;
	printf("NACK session %u reason %s retransmissions %d mid %d at_ms %lld\n",
	       ev->session_id, nack_reason(ev->reason), ev->retransmissions,
	       ev->mid, now_ms());
	fflush(stdout);
	nacks++;
}

static void on_gone(struct coapka *h, const struct coapka_event *ev)
{
	(void)h;
	printf("GONE session %u reason %d\n", ev->session_id, ev->reason);
	fflush(stdout);
}

static coap_response_t on_response(coap_session_t *session,
				   const coap_pdu_t *sent,
				   const coap_pdu_t *received,
				   const coap_mid_t mid)
{
	coap_pdu_code_t code = coap_pdu_get_code(received);

	(void)session;
	(void)sent;
	printf("RESPONSE %d.%02d mid %d\n", COAP_RESPONSE_CLASS(code),
	       code & 0x1f, mid);
	fflush(stdout);
	got_response = 1;
	return COAP_RESPONSE_OK;
}

static int same_addr(const struct sockaddr *a, const coap_address_t *b)
{
	if (a->sa_family != b->addr.sa.sa_family)
		return 0;
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a;

		return x->sin_port == b->addr.sin.sin_port &&
		       x->sin_addr.s_addr == b->addr.sin.sin_addr.s_addr;
	}
	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a;

		return x->sin6_port == b->addr.sin6.sin6_port &&
		       !memcmp(&x->sin6_addr, &b->addr.sin6.sin6_addr, 16);
	}
	return 0;
}

/*
 * libcoap 4.3.1 has no call that gives a session's descriptor: find the
 * UDP socket of this process whose local and connected addresses are the
 * session's.
 */
static int session_fd(coap_session_t *session)
{
	const coap_address_t *local = coap_session_get_addr_local(session);
	const coap_address_t *remote = coap_session_get_addr_remote(session);
	struct sockaddr_storage ss;
	struct dirent *de;
	int fd, type, found = -1;
	socklen_t len;
	DIR *d;

	d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		fd = atoi(de->d_name);
		if (de->d_name[0] == '.' || fd == dirfd(d))
			continue;
		len = sizeof(type);
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) ||
		    type != SOCK_DGRAM)
			continue;
		len = sizeof(ss);
		if (getsockname(fd, (void *)&ss, &len) ||
		    !same_addr((void *)&ss, local))
			continue;
		len = sizeof(ss);
		if (getpeername(fd, (void *)&ss, &len) ||
		    !same_addr((void *)&ss, remote))
			continue;
		found = fd;
		break;
	}
	closedir(d);
	return found;
}

static unsigned int arg(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	if (!*s || *end) {
		fprintf(stderr, "libcoap_client: bad number '%s'\n", s);
		exit(2);
	}
	return (unsigned int)v;
}

int main(int argc, char **argv)
{
	struct coapka_params p = { 0 };
	unsigned int secs = 1, run_secs = 60;
	uint32_t ctx_id = 0, sid = 0;
	coap_session_t *session;
	coap_address_t dst;
	coap_context_t *ctx;
	struct coapka *h;
	time_t deadline;
	coap_pdu_t *pdu;
	int c, fd, ret;

	while ((c = getopt(argc, argv, "k:a:f:r:t:n:")) != -1) {
		switch (c) {
		case 'k':
			secs = arg(optarg);
			break;
		case 'a':
			p.set |= COAPKA_P_ACK_TIMEOUT_MS;
			p.ack_timeout_ms = arg(optarg);
			break;
		case 'f':
			p.set |= COAPKA_P_ACK_RANDOM_FACTOR;
			p.ack_random_factor = arg(optarg);
			break;
		case 'r':
			p.set |= COAPKA_P_MAX_RETRANSMIT;
			p.max_retransmit = arg(optarg);
			break;
		case 't':
			run_secs = arg(optarg);
			break;
		case 'n':
			nacks_wanted = arg(optarg);
			break;
		default:
			fprintf(stderr,
				"usage: libcoap_client [-k SECS] [-a ACK_TIMEOUT_MS] [-f RANDOM_FACTOR] [-r MAX_RETRANSMIT] [-t RUN_SECS] [-n NACKS] HOST PORT\n");
			return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "libcoap_client: HOST and PORT needed\n");
		return 2;
	}

	coap_startup();
	coap_address_init(&dst);
	dst.addr.sin.sin_family = AF_INET;
	dst.addr.sin.sin_port = htons((uint16_t)arg(argv[optind + 1]));
	dst.size = sizeof(dst.addr.sin);
	if (inet_pton(AF_INET, argv[optind], &dst.addr.sin.sin_addr) != 1) {
		fprintf(stderr, "libcoap_client: HOST must be an IPv4 address\n");
		return 2;
	}

	ctx = coap_new_context(NULL);
	if (!ctx)
		return 1;
	/* libcoap's own keepalive off: the kernel does it. */
	coap_context_set_keepalive(ctx, 0);
	coap_register_response_handler(ctx, on_response);
	session = coap_new_client_session(ctx, NULL, &dst, COAP_PROTO_UDP);
	if (!session) {
		fprintf(stderr, "libcoap_client: no session\n");
		return 1;
	}

	pdu = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET,
			    coap_new_message_id(session),
			    coap_session_max_pdu_size(session));
	if (!pdu)
		return 1;
	coap_add_option(pdu, COAP_OPTION_URI_PATH, 4, (const uint8_t *)"time");
	if (coap_send(session, pdu) == COAP_INVALID_MID) {
		fprintf(stderr, "libcoap_client: send failed\n");
		return 1;
	}
	deadline = time(NULL) + 10;
	while (!got_response && time(NULL) < deadline)
		coap_io_process(ctx, 500);
	if (!got_response) {
		fprintf(stderr, "libcoap_client: no response to GET /time\n");
		return 1;
	}

	fd = session_fd(session);
	if (fd < 0) {
		fprintf(stderr, "libcoap_client: session socket not found\n");
		return 1;
	}
	h = coapka_open();
	if (!h) {
		fprintf(stderr, "libcoap_client: coapka_open: %s\n",
			strerror(errno));
		return 1;
	}
	coapka_register_pong_handler(h, on_pong);
	coapka_register_nack_handler(h, on_nack);
	coapka_register_session_gone_handler(h, on_gone);
	ret = coapka_context_set_keepalive(h, secs, &p, &ctx_id);
	if (ret) {
		fprintf(stderr, "libcoap_client: context: %s\n",
			coapka_strerror(h));
		return 1;
	}
	ret = coapka_attach_fd(h, ctx_id, fd, COAPKA_TRANSPORT_UDP, NULL, &sid);
	if (ret) {
		fprintf(stderr, "libcoap_client: attach: %s\n",
			coapka_strerror(h));
		return 1;
	}
	printf("ATTACHED session %u ctx %u fd %d keepalive %u uid %u\n", sid,
	       ctx_id, fd, secs, (unsigned int)geteuid());
	fflush(stdout);

	deadline = time(NULL) + run_secs;
	while (nacks < nacks_wanted && time(NULL) < deadline) {
		int kfd = coapka_fd(h);
		fd_set rfds;

		FD_ZERO(&rfds);
		FD_SET(kfd, &rfds);
		if (coap_io_process_with_fds(ctx, 500, kfd + 1, &rfds, NULL,
					     NULL) < 0) {
			fprintf(stderr, "libcoap_client: coap_io_process failed\n");
			break;
		}
		if (FD_ISSET(kfd, &rfds)) {
			ret = coapka_dispatch(h);
			if (ret < 0)
				fprintf(stderr, "libcoap_client: dispatch: %s\n",
					coapka_strerror(h));
		}
	}

	coapka_context_free(h, ctx_id);
	coapka_dispatch(h);
	coapka_close(h);
	coap_session_release(session);
	coap_free_context(ctx);
	coap_cleanup();
	return nacks >= nacks_wanted ? 0 : 1;
}
