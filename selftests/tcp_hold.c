// SPDX-License-Identifier: GPL-2.0
/*
 * Helper of tcp_lifetime.sh: keeps a plain TCP connection and a kTLS one
 * (loopback pairs, this process plays both the application and its peer)
 * open across an unload and a reload of coap_keepalive, and checks each
 * step when told to.
 *
 *   tcp_hold SIDFILE
 *
 * Reads one command a line on stdin; for each prints what it checked
 * ("ok: ..." / "FAIL: ..." / "# ...") and then "end COMMAND STATUS"
 * (0: all held). The ids of the current sessions go to SIDFILE, one
 * "session tcp|tls ID" a line.
 *
 *   start	both pairs (kTLS: TLS 1.2 AES-GCM-128, fixed keys) exchange
 *		CSMs; sessions with a 1 s keepalive; each peer receives the
 *		kernel's Ping (the kTLS peer decrypts it), answers with a Pong,
 *		both sessions report PONG, the applications read the Pongs.
 *		Keepalive stays on: the next Pings reach the peers and are left
 *		unanswered, so the sessions still have Pings out when the shell
 *		unloads the module right after.
 *   unloaded	(the module is gone) what the peers got before is only
 *		Pings; both connections carry data both ways (kTLS decrypts
 *		on both sides), and no Ping arrives for 2.5 s.
 *   reloaded	(the module is back) new sessions on the same sockets are
 *		pinged and answered; data still flows both ways afterwards.
 *   close	the applications close their sockets: SESSION_GONE with
 *		reason closed for both sessions.
 *   quit
 */
#include "cka_tcp.h"
#include "cka_hold.h"

#define NPAIRS		2
#define PING_WAIT_MS	2500	/* 1 s idle, scheduling (TCG) */

static const char * const pname[NPAIRS] = { "tcp", "tls" };
static const int ptransport[NPAIRS] = { COAP_KA_TRANSPORT_TCP, COAP_KA_TRANSPORT_TLS };

struct hold {
	int app[NPAIRS];
	int peer[NPAIRS];
	struct cka_nl *nl;
	struct cka_nl *evs;
	long ctx;
	long sid[NPAIRS];
	const char *sidfile;
	unsigned int tag;	/* makes each data message different */
};

static void write_sids(struct hold *h)
{
	FILE *f = fopen(h->sidfile, "w");
	int i;

	if (!f)
		return;
	for (i = 0; i < NPAIRS; i++)
		fprintf(f, "session %s %ld\n", pname[i], h->sid[i]);
	fclose(f);
}

/* @n bytes on @fd within @ms are exactly @want. */
static bool read_is(int fd, const uint8_t *want, size_t n, int ms)
{
	uint8_t buf[64];

	return n <= sizeof(buf) && read_exact(fd, buf, n, ms, NULL) == (ssize_t)n &&
	       !memcmp(buf, want, n);
}

/* Open the family and a context with a 1 s keepalive. */
static bool nl_up(struct hold *h)
{
	const uint32_t set[] = { COAP_KA_A_KEEPALIVE_SECS, 1, 0 };

	if (h->evs)
		cka_close(h->evs);
	if (h->nl)
		cka_close(h->nl);
	h->nl = cka_open();
	h->evs = open_events();
	check(h->nl && h->evs, "coap_keepalive family resolved: %s",
	      h->nl && h->evs ? "yes" : strerror(errno));
	if (!h->nl || !h->evs)
		return false;
	h->ctx = cka_ctx_new(h->nl, set, NULL);
	check(h->ctx > 0, "context with keepalive 1 s: %ld", h->ctx);
	return h->ctx > 0;
}

/*
 * Sessions on both application sockets; each peer gets a Ping and
 * answers, both sessions report PONG, the applications read the Pongs.
 */
static void sessions_pinged(struct hold *h)
{
	struct cka_ev r, ev[NPAIRS];
	int i, missing;
	double t0;

	for (i = 0; i < NPAIRS; i++) {
		h->sid[i] = tcp_session_add(h->nl, h->ctx, h->app[i], -1, NULL, &r);
		check(h->sid[i] > 0, "%s: session %ld %s", pname[i], h->sid[i], h->nl->msg);
		check(r.v[COAP_KA_A_TRANSPORT] == (uint32_t)ptransport[i],
		      "%s: the kernel found transport %u", pname[i], r.v[COAP_KA_A_TRANSPORT]);
	}
	write_sids(h);
	t0 = now_ms();
	for (i = 0; i < NPAIRS; i++) {
		bool ping = read_is(h->peer[i], coap_tcp_ping_msg, 2, PING_WAIT_MS);

		check(ping, "%s: the peer received the kernel's Ping (00 e2) after %ld ms",
		      pname[i], (long)(now_ms() - t0));
		if (ping)
			check(!send_all(h->peer[i], coap_tcp_pong_msg, 3, 0),
			      "%s: the peer answered with a Pong", pname[i]);
	}
	missing = ev_wait_each(h->evs, COAP_KA_CMD_PONG_NTF, h->sid, NPAIRS, 3000, ev);
	check(!missing, "PONG events for both sessions (%d missing)", missing);
	for (i = 0; i < NPAIRS; i++)
		check(read_is(h->app[i], coap_tcp_pong_msg, 3, 1000),
		      "%s: the application read the peer's Pong", pname[i]);
}

/* A message each way on pair @i arrives intact. */
static void data_both_ways(struct hold *h, int i)
{
	static const uint8_t path[] = "\x04hold";
	uint8_t msg[64], tok[4];
	size_t n;

	memcpy(tok, &h->tag, sizeof(tok));
	h->tag++;
	n = coap_tcp_frame(msg, 0x01, tok, sizeof(tok), path, sizeof(path) - 1);
	check(!send_all(h->app[i], msg, n, 0) && read_is(h->peer[i], msg, n, 2000),
	      "%s: application to peer, %zu bytes intact", pname[i], n);
	n = coap_tcp_frame(msg, 0x45, tok, sizeof(tok), (const uint8_t *)"\xff" "fine", 5);
	check(!send_all(h->peer[i], msg, n, 0) && read_is(h->app[i], msg, n, 2000),
	      "%s: peer to application, %zu bytes intact", pname[i], n);
}

/*
 * The next Ping of each session reaches its peer and is left unanswered:
 * the module is unloaded with Pings out (their pong timeout running).
 */
static void pings_left_out(struct hold *h)
{
	struct cka_ev s;
	double t0 = now_ms();
	int i;

	for (i = 0; i < NPAIRS; i++)
		check(read_is(h->peer[i], coap_tcp_ping_msg, 2, PING_WAIT_MS),
		      "%s: the next Ping reached the peer after %ld ms; left unanswered",
		      pname[i], (long)(now_ms() - t0));
	for (i = 0; i < NPAIRS; i++) {
		int err = session_get(h->nl, h->sid[i], &s);

		check(!err && s.v[COAP_KA_A_STATE] == COAP_KA_STATE_PINGING,
		      "%s: session %ld has a Ping out (state %u, pings %u)", pname[i],
		      h->sid[i], s.v[COAP_KA_A_STATE], s.v[COAP_KA_A_PINGS]);
	}
}

static void cmd_start(struct hold *h)
{
	struct ktls_keys a2p, p2a;
	const char *why;
	int i, err;

	why = ktls_probe(TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128);
	check(!why, "kTLS works here%s%s", why ? ": " : "", why ? why : "");
	for (i = 0; i < NPAIRS; i++) {
		err = tcp_pair("127.0.0.1", &h->app[i], &h->peer[i]);
		check(!err, "%s: loopback pair %s", pname[i], err ? strerror(-err) : "");
		if (err)
			return;
	}
	ktls_keys_init(&a2p, TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128, 1);
	ktls_keys_init(&p2a, TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128, 2);
	err = ktls_pair(h->app[1], h->peer[1], &a2p, &p2a);
	check(!err, "tls: kTLS on both ends %s", err ? strerror(-err) : "");
	/* the CSMs: the application's first (the kernel waits for it) */
	for (i = 0; i < NPAIRS; i++) {
		check(!send_all(h->app[i], coap_tcp_csm_msg, 2, 0) &&
		      read_is(h->peer[i], coap_tcp_csm_msg, 2, 2000),
		      "%s: the application's CSM reached the peer", pname[i]);
		check(!send_all(h->peer[i], coap_tcp_csm_msg, 2, 0) &&
		      read_is(h->app[i], coap_tcp_csm_msg, 2, 2000),
		      "%s: the peer's CSM reached the application", pname[i]);
	}
	if (!nl_up(h))
		return;
	sessions_pinged(h);
	pings_left_out(h);
}

/*
 * Everything on @fd now, without waiting; returns the count of bytes and
 * whether they are all Pings (00 e2 ...).
 */
static int drain_pings(int fd, bool *only_pings)
{
	uint8_t buf[512];
	int total = 0, k;
	ssize_t n;

	*only_pings = true;
	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		/* the kernel's Pings are whole messages, two bytes each */
		for (k = 0; k < n; k++)
			if (buf[k] != coap_tcp_ping_msg[(total + k) & 1])
				*only_pings = false;
		total += n;
	}
	if (n == 0 || (n < 0 && errno != EAGAIN))
		*only_pings = false;
	return total;
}

static void cmd_unloaded(struct hold *h)
{
	struct pollfd pfd[NPAIRS];
	bool only;
	int i, n;

	for (i = 0; i < NPAIRS; i++) {
		n = drain_pings(h->peer[i], &only);
		check(only && !(n & 1), "%s: the peer had only Pings waiting (%d bytes)",
		      pname[i], n);
		n = stream_pending(h->app[i]);
		check(n == 0, "%s: nothing unread at the application (%d)", pname[i], n);
	}
	for (i = 0; i < NPAIRS; i++)
		data_both_ways(h, i);
	/* past the keepalive interval: no Ping once the module is gone */
	for (i = 0; i < NPAIRS; i++)
		pfd[i] = (struct pollfd){ .fd = h->peer[i], .events = POLLIN };
	n = poll(pfd, NPAIRS, PING_WAIT_MS);
	check(n == 0, "no Ping (nothing at all) reached the peers in %d ms: %s%s", PING_WAIT_MS,
	      n > 0 && pfd[0].revents ? "tcp " : "", n > 0 && pfd[1].revents ? "tls" : "");
	for (i = 0; i < NPAIRS; i++) {
		char ulp[16] = "";
		socklen_t len = sizeof(ulp);

		if (getsockopt(h->app[i], IPPROTO_TCP, TCP_ULP, ulp, &len))
			snprintf(ulp, sizeof(ulp), "error %d", errno);
		printf("# %s: the application's socket has ULP '%s'\n", pname[i], ulp);
	}
}

static void cmd_reloaded(struct hold *h)
{
	int i;

	if (!nl_up(h))
		return;
	sessions_pinged(h);
	for (i = 0; i < NPAIRS; i++)
		data_both_ways(h, i);
}

static void cmd_close(struct hold *h)
{
	struct cka_ev ev;
	int i, err;

	for (i = 0; i < NPAIRS; i++) {
		close(h->app[i]);
		h->app[i] = -1;
		err = ev_wait(h->evs, COAP_KA_CMD_SESSION_GONE_NTF, h->sid[i], 3000, &ev);
		check(!err, "%s: SESSION_GONE for session %ld", pname[i], h->sid[i]);
		if (!err)
			check(ev.v[COAP_KA_A_GONE_REASON] == COAP_KA_GONE_CLOSED,
			      "%s: gone reason %u (closed is %u)", pname[i],
			      ev.v[COAP_KA_A_GONE_REASON], COAP_KA_GONE_CLOSED);
	}
}

int main(int argc, char **argv)
{
	struct hold h = { .app = { -1, -1 }, .peer = { -1, -1 } };
	char line[64];

	if (argc != 2) {
		fprintf(stderr, "usage: tcp_hold SIDFILE (commands on stdin)\n");
		return 2;
	}
	h.sidfile = argv[1];
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = 0;
		failures = 0;
		if (!strcmp(line, "quit")) {
			printf("end quit 0\n");
			break;
		}
		if (!strcmp(line, "start"))
			cmd_start(&h);
		else if (!strcmp(line, "unloaded"))
			cmd_unloaded(&h);
		else if (!strcmp(line, "reloaded"))
			cmd_reloaded(&h);
		else if (!strcmp(line, "close"))
			cmd_close(&h);
		else
			check(false, "unknown command '%s'", line);
		printf("end %s %d\n", line, failures ? 1 : 0);
	}
	return 0;
}
