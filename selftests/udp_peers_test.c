// SPDX-License-Identifier: GPL-2.0
/*
 * UDP keepalive with several real peers: the Ping on the wire as tshark
 * decodes it, an unconnected server socket with three libcoap clients (one
 * of which dies), libcoap's own keepalive answered by the kernel, and the
 * jitter that keeps sessions added together from pinging together.
 */
#include <sys/stat.h>

#include "cka_udp.h"
#include "kselftest_harness.h"

#define LATE_MS		1500	/* scheduling slack for an idle period (TCG) */
#define EARLY_MS	5	/* one jiffy at HZ=250, plus rounding */
#define EVENT_SLACK_MS	300	/* two events' delivery, on a busy guest */
#define NCLIENTS	3
#define NJITTER		20

FIXTURE(peers) {
	struct cka_nl *nl;
	struct cka_nl *ev;
	pid_t server;
	pid_t server6;
};

FIXTURE_SETUP(peers)
{
	self->nl = cka_open();
	ASSERT_NE(NULL, self->nl);
	self->ev = open_events();
	ASSERT_NE(NULL, self->ev);
	self->server = coap_server_start("127.0.0.1", COAP_PORT);
	ASSERT_LT(0, self->server) TH_LOG("coap-server-notls did not come up on 127.0.0.1");
	self->server6 = coap_server_start("::1", COAP_PORT);
	ASSERT_LT(0, self->server6) TH_LOG("coap-server-notls did not come up on [::1]");
}

FIXTURE_TEARDOWN(peers)
{
	reap(self->server, SIGTERM);
	reap(self->server6, SIGTERM);
	cka_close(self->ev);
	cka_close(self->nl);
}

static long ms_since(double t0, double t)
{
	return (long)(t - t0);
}

/* Nothing to read on @fd for @ms. */
static bool quiet(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, ms) == 0;
}

/* One packet as tshark printed its fields. */
struct pkt {
	int sport, dport, udp_len, type, code, mid;
	char proto[32];
};

static bool parse_pkt(const char *line, struct pkt *p)
{
	memset(p, 0, sizeof(*p));
	p->type = p->code = p->mid = -1;
	return sscanf(line, "%d,%d,%d,%d,%d,%d,%31s", &p->sport, &p->dport,
		      &p->udp_len, &p->type, &p->code, &p->mid, p->proto) == 7;
}

/*
 * The capture: dumpcap on lo (light enough to start quickly even on the
 * debug kernel under TCG), UDP port 5683, into a pcap file that grows as
 * packets come (dumpcap flushes at each update interval).
 */
static pid_t dumpcap_start(const char *pcap, const char *errlog)
{
	char *argv[] = {
		"dumpcap", "-i", "lo", "-f", "udp port 5683", "-P", "-q",
		"-w", (char *)pcap, NULL,
	};

	unlink(pcap);
	return spawn(errlog, argv);
}

static long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : st.st_size;
}

/*
 * tshark decodes the capture (UDP port 5683 is CoAP by default) into
 * @out, one packet a line with the fields we check; its exit status.
 */
static int tshark_decode(const char *pcap, const char *out)
{
	char *argv[] = {
		"tshark", "-n", "-r", (char *)pcap,
		"-T", "fields", "-E", "separator=,",
		"-e", "udp.srcport", "-e", "udp.dstport", "-e", "udp.length",
		"-e", "coap.type", "-e", "coap.code", "-e", "coap.mid",
		"-e", "_ws.col.Protocol", NULL,
	};

	return run_wait(argv, out);
}

static void log_file(struct __test_metadata *_metadata, const char *what,
		     const char *path)
{
	char line[512];
	FILE *f = fopen(path, "r");

	while (f && fgets(line, sizeof(line), f))
		TH_LOG("%s: %s", what, line);
	if (f)
		fclose(f);
}

#define CAPTURE_START_MS	60000

/*
 * Our Pings on the wire, over IPv4 and IPv6 in one capture (dumpcap, then
 * tshark decodes it: live tshark took 15 to 35 s to start on TCG and more
 * than 90 s on the debug kernel): each is CoAP, Confirmable, code 0.00, 4 bytes of CoAP (UDP length 12),
 * with the MID its PONG event reports, and coap-server's Reset carries the
 * same MID back. Exactly one of each per session: the socket is closed
 * after the first Pong.
 */
TEST_F_TIMEOUT(peers, tshark_ping_on_wire_ipv4_ipv6, 240)
{
	const uint32_t set[] = {
		COAP_KA_A_KEEPALIVE_SECS, 1, COAP_KA_A_ACK_TIMEOUT_MS, 1000, 0,
	};
	static const char * const addr[2] = { "127.0.0.1", "::1" };
	const char *errlog = "/tmp/udp_peers_dumpcap.err";
	const char *pcap = "/tmp/udp_peers.pcap";
	const char *decoded = "/tmp/udp_peers.txt";
	int fd[2], port[2], cons[2] = {}, rsts[2] = {}, marker, i, k;
	struct pkt p, con[2] = {}, rst[2] = {};
	struct cka_ev ev[2];
	long ctx, sid[2];
	char line[512];
	bool live = false;
	pid_t ts;
	double t0;
	FILE *f;

	ts = dumpcap_start(pcap, errlog);
	ASSERT_LT(0, ts);

	/* live once a marker (a stray Reset coap-server ignores) is in the file */
	marker = udp_connected_to("127.0.0.1", COAP_PORT);
	ASSERT_LE(0, marker);
	t0 = now_ms();
	while (!live && now_ms() - t0 < CAPTURE_START_MS) {
		uint8_t m[4];

		coap_hdr(m, COAP_RST, 0, 0x0bad);
		send(marker, m, 4, 0);
		sleep_ms(250);
		/* pcap header 24, record 16 + 14 + 20 + 8 + 4 */
		live = file_size(pcap) >= 24 + 62;
	}
	close(marker);
	if (!live) {
		log_file(_metadata, "dumpcap", errlog);
		reap(ts, SIGKILL);
		ASSERT_TRUE(live) TH_LOG("the capture never showed the marker");
	}
	TH_LOG("capture live after %ld ms", ms_since(t0, now_ms()));

	ctx = cka_ctx_new(self->nl, set, NULL);
	ASSERT_LT(0, ctx);
	for (i = 0; i < 2; i++) {
		fd[i] = udp_connected_to(addr[i], COAP_PORT);
		ASSERT_LE(0, fd[i]);
		port[i] = sock_port(fd[i]);
		sid[i] = session_add(self->nl, ctx, fd[i], NULL);
		ASSERT_LT(0, sid[i]) TH_LOG("%s", self->nl->msg);
	}
	ASSERT_EQ(0, ev_wait_each(self->ev, COAP_KA_CMD_PONG_NTF, sid, 2,
				  1000 + LATE_MS + 500, ev));
	/* no second Ping: the capture must show exactly one per session */
	for (i = 0; i < 2; i++) {
		close(fd[i]);
		ASSERT_TRUE(ev_has(&ev[i], COAP_KA_A_MID));
	}
	/* let dumpcap write out the last packets, then stop it */
	sleep_ms(500);
	kill(ts, SIGINT);
	waitpid(ts, NULL, 0);

	t0 = now_ms();
	ASSERT_EQ(0, tshark_decode(pcap, decoded)) log_file(_metadata, "dumpcap", errlog);
	TH_LOG("tshark decoded the capture in %ld ms", ms_since(t0, now_ms()));
	f = fopen(decoded, "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		if (!parse_pkt(line, &p))
			continue;
		for (k = 0; k < 2; k++) {
			if (p.sport == port[k] && p.dport == COAP_PORT) {
				con[k] = p;
				cons[k]++;
			} else if (p.sport == COAP_PORT && p.dport == port[k]) {
				rst[k] = p;
				rsts[k]++;
			}
		}
	}
	fclose(f);

	for (i = 0; i < 2; i++) {
		EXPECT_EQ(1, cons[i]) TH_LOG("[%s] datagrams from the session's socket", addr[i]);
		EXPECT_STREQ("CoAP", con[i].proto);
		EXPECT_EQ(COAP_CON, con[i].type);
		EXPECT_EQ(0, con[i].code);
		EXPECT_EQ(8 + 4, con[i].udp_len);
		EXPECT_EQ(ev[i].v[COAP_KA_A_MID], con[i].mid);
		EXPECT_EQ(1, rsts[i]) TH_LOG("[%s] datagrams to the session's socket", addr[i]);
		EXPECT_STREQ("CoAP", rst[i].proto);
		EXPECT_EQ(COAP_RST, rst[i].type);
		EXPECT_EQ(0, rst[i].code);
		EXPECT_EQ(8 + 4, rst[i].udp_len);
		EXPECT_EQ(con[i].mid, rst[i].mid);
		TH_LOG("[%s] on the wire: CON 0.00 mid %d (event: %u), udp length %d; RST mid %d",
		       addr[i], con[i].mid, ev[i].v[COAP_KA_A_MID], con[i].udp_len, rst[i].mid);
	}
	cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, ctx, NULL, NULL);
}

/*
 * An unconnected socket serving three libcoap clients. Each sends a GET;
 * an empty ACK (the answer will come separately) keeps it waiting quietly
 * (-B 30). One session per client: each is pinged and answers with a
 * Reset (PONG). One client is killed: only its session NACKs, at once on
 * its first Ping, from the ICMP port unreachable that comes back for it
 * (reason unreachable; the error never reaches the server socket), and the
 * others keep ponging.
 */
TEST_F(peers, unconnected_server_three_clients)
{
	const uint32_t set[] = {
		COAP_KA_A_KEEPALIVE_SECS, 1, COAP_KA_A_ACK_TIMEOUT_MS, 100,
		COAP_KA_A_ACK_RANDOM_FACTOR, 1000, COAP_KA_A_MAX_RETRANSMIT, 2, 0,
	};
	struct sockaddr_storage peer[NCLIENTS];
	struct cka_ev first[NCLIENTS], ev, s;
	int srv, port, i, n, victim = 1;
	int pongs_after[NCLIENTS] = {}, nacks[NCLIENTS] = {};
	double last_pong[NCLIENTS] = {}, tkill, tnack = 0;
	pid_t client[NCLIENTS];
	long ctx, sid[NCLIENTS];
	char uri[64];

	ctx = cka_ctx_new(self->nl, set, NULL);
	ASSERT_LT(0, ctx);
	srv = udp_bound("127.0.0.1", 0, &port);
	ASSERT_LE(0, srv);
	snprintf(uri, sizeof(uri), "coap://127.0.0.1:%d/x", port);
	/* one client at a time, so that peer[i] is client[i]'s */
	for (n = 0; n < NCLIENTS; n++) {
		char *argv[] = { "coap-client-notls", "-B", "30", uri, NULL };
		struct sockaddr_storage from;
		uint8_t buf[256], ack[4];
		ssize_t len;

		client[n] = spawn(NULL, argv);
		ASSERT_LT(0, client[n]);
		do {
			len = recv_within(srv, buf, sizeof(buf), 15000, &from, NULL);
			ASSERT_LT(4, len) TH_LOG("client %d did not ask", n);
			ASSERT_EQ(COAP_CON, coap_type(buf));
			ASSERT_EQ(0x01, buf[1]);	/* GET */
			coap_hdr(ack, COAP_ACK, 0, coap_mid(buf));
			ASSERT_EQ(4, sendto(srv, ack, 4, 0, (void *)&from,
					    sizeof(struct sockaddr_in)));
			/* a retransmission from an earlier client is acked again */
			for (i = 0; i < n; i++)
				if (!memcmp(&peer[i], &from, sizeof(struct sockaddr_in)))
					break;
		} while (i < n);
		peer[n] = from;
	}
	for (i = 0; i < NCLIENTS; i++) {
		sid[i] = session_add(self->nl, ctx, srv, (void *)&peer[i]);
		ASSERT_LT(0, sid[i]) TH_LOG("%s", self->nl->msg);
	}
	/* a second session for the same peer on this socket is refused */
	EXPECT_EQ(-EEXIST, session_add(self->nl, ctx, srv, (void *)&peer[0]));
	EXPECT_EQ(NCLIENTS, ctx_sessions(self->nl, ctx));

	ASSERT_EQ(0, ev_wait_each(self->ev, COAP_KA_CMD_PONG_NTF, sid, NCLIENTS,
				  1000 + LATE_MS + 500, first))
		TH_LOG("not every client answered its Ping");
	for (i = 0; i < NCLIENTS; i++) {
		EXPECT_EQ(AF_INET, first[i].family);
		EXPECT_EQ(sockaddr_port(&peer[i]), first[i].port);
		last_pong[i] = first[i].t;
	}

	ASSERT_EQ(0, kill(client[victim], SIGKILL));
	waitpid(client[victim], NULL, 0);
	client[victim] = 0;
	tkill = now_ms();

	/* until the victim's NACK and 1.5 s more */
	while (!tnack || now_ms() - tnack < 1500) {
		long left = (tnack ? tnack + 1500 : tkill + 1000 + 700 + 2 * LATE_MS) - now_ms();

		if (ev_next(self->ev, left < 0 ? 0 : left, &ev))
			break;
		for (i = 0; i < NCLIENTS; i++)
			if (ev.v[COAP_KA_A_SESSION_ID] == sid[i])
				break;
		if (i == NCLIENTS)
			continue;
		if (ev.cmd == COAP_KA_CMD_NACK_NTF) {
			nacks[i]++;
			if (i == victim && !tnack) {
				tnack = ev.t;
				EXPECT_EQ(0, ev.v[COAP_KA_A_RETRANSMISSIONS]);
				EXPECT_EQ(COAP_KA_NACK_UNREACHABLE,
					  ev.v[COAP_KA_A_NACK_REASON]);
				/*
				 * an idle second, then the first Ping's ICMP
				 * error; both times are when the events reached
				 * us, which a busy guest delays unevenly
				 */
				EXPECT_LE(1000 - EVENT_SLACK_MS, ms_since(last_pong[i], ev.t));
				TH_LOG("victim nacked %ld ms after its last pong, %ld ms after the kill",
				       ms_since(last_pong[i], ev.t), ms_since(tkill, ev.t));
			}
		} else if (ev.cmd == COAP_KA_CMD_PONG_NTF) {
			if (ev.t > tkill + 50)
				pongs_after[i]++;
			last_pong[i] = ev.t;
		}
	}
	for (i = 0; i < NCLIENTS; i++) {
		ASSERT_EQ(0, session_get(self->nl, sid[i], &s));
		TH_LOG("client %d%s: pings %u retransmissions %u pongs %u nacks %u state %u; events after the kill: %d pongs %d nacks",
		       i, i == victim ? " (killed)" : "", s.v[COAP_KA_A_PINGS],
		       s.v[COAP_KA_A_RETRANSMISSIONS], s.v[COAP_KA_A_PONGS],
		       s.v[COAP_KA_A_NACKS], s.v[COAP_KA_A_STATE], pongs_after[i], nacks[i]);
	}
	ASSERT_NE(0, tnack) TH_LOG("the killed client's session never NACKed");
	for (i = 0; i < NCLIENTS; i++) {
		ASSERT_EQ(0, session_get(self->nl, sid[i], &s));
		if (i == victim) {
			EXPECT_EQ(0, pongs_after[i]);
			EXPECT_LE(1, nacks[i]);
			EXPECT_LE(1, s.v[COAP_KA_A_NACKS]);
			continue;
		}
		EXPECT_EQ(0, nacks[i]) TH_LOG("client %d nacked", i);
		EXPECT_LE(1, pongs_after[i]) TH_LOG("client %d stopped ponging", i);
		EXPECT_EQ(0, s.v[COAP_KA_A_NACKS]);
		EXPECT_LE(2, s.v[COAP_KA_A_PONGS]);
	}

	/* the Resets were eaten: the server socket got nothing more */
	EXPECT_TRUE(quiet(srv, 100));
	for (i = 0; i < NCLIENTS; i++)
		reap(client[i], SIGKILL);
	close(srv);
	cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, ctx, NULL, NULL);
}

/*
 * A real peer that pings us: coap-client-notls -K 1 sends an empty CON
 * after each idle second. With COAP_KA_F_ANSWER_PINGS the kernel answers
 * each with a Reset (the client's log shows it received them) and reports
 * PING_NTF; the application's socket receives nothing.
 */
TEST_F(peers, libcoap_client_pings_answered)
{
	const uint32_t set[] = {
		COAP_KA_A_KEEPALIVE_SECS, 0, COAP_KA_A_FLAGS, COAP_KA_F_ANSWER_PINGS, 0,
	};
	const char *log = "/tmp/udp_peers_client.log";
	int srv, port, i, nping = 0, answered = 0;
	struct sockaddr_storage from;
	uint16_t mids[16];
	uint8_t buf[256], ack[4];
	struct cka_ev ev, s;
	char uri[64], line[512];
	char *argv[] = {
		"coap-client-notls", "-v", "7", "-K", "1", "-B", "20", uri, NULL,
	};
	long ctx, sid;
	pid_t client;
	double t0;
	ssize_t len;
	FILE *f;

	ctx = cka_ctx_new(self->nl, set, NULL);
	ASSERT_LT(0, ctx);
	srv = udp_bound("127.0.0.1", 0, &port);
	ASSERT_LE(0, srv);
	snprintf(uri, sizeof(uri), "coap://127.0.0.1:%d/x", port);
	client = spawn(log, argv);
	ASSERT_LT(0, client);
	len = recv_within(srv, buf, sizeof(buf), 15000, &from, NULL);
	ASSERT_LT(4, len);
	coap_hdr(ack, COAP_ACK, 0, coap_mid(buf));
	ASSERT_EQ(4, sendto(srv, ack, 4, 0, (void *)&from, sizeof(struct sockaddr_in)));
	sid = session_add(self->nl, ctx, srv, (void *)&from);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);

	t0 = now_ms();
	while (nping < 3 && now_ms() - t0 < 3 * (1000 + LATE_MS)) {
		if (ev_wait(self->ev, COAP_KA_CMD_PING_NTF, sid, 1000 + LATE_MS, &ev))
			break;
		EXPECT_EQ(sockaddr_port(&from), ev.port);
		mids[nping++] = ev.v[COAP_KA_A_MID];
	}
	ASSERT_EQ(3, nping) TH_LOG("the client's Pings were not reported");
	EXPECT_NE(mids[0], mids[1]);
	EXPECT_NE(mids[1], mids[2]);
	/* the application's socket got the GET only */
	EXPECT_TRUE(quiet(srv, 200));
	ASSERT_EQ(0, session_get(self->nl, sid, &s));
	EXPECT_LE(3, s.v[COAP_KA_A_PEER_PINGS]);
	EXPECT_EQ(0, s.v[COAP_KA_A_PINGS]);

	sleep_ms(200);
	reap(client, SIGKILL);
	f = fopen(log, "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		for (i = 0; i < nping; i++) {
			char want[64];

			snprintf(want, sizeof(want), "t:RST c:0.00 i:%04x ", mids[i]);
			if (strstr(line, want))
				answered++;
		}
	}
	fclose(f);
	EXPECT_EQ(nping, answered) TH_LOG("the client logged %d of %d Resets", answered, nping);
	close(srv);
	cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, ctx, NULL, NULL);
}

/*
 * NJITTER sessions added at once, keepalive 2 s: with jitter-pct 50 their
 * first Pings spread over [1, 2] s after they began (more than 300 ms
 * apart end to end), none before 1 s; with jitter 0 none before 2 s. The
 * module counts in jiffies from a tick at or before the add: less one.
 */
static void first_pings(struct __test_metadata *_metadata, FIXTURE_DATA(peers) *self,
			uint32_t jitter)
{
	const uint32_t set[] = {
		COAP_KA_A_KEEPALIVE_SECS, 2, COAP_KA_A_ACK_TIMEOUT_MS, 1000,
		COAP_KA_A_JITTER_PCT, jitter, 0,
	};
	long lo = 2000 - 2000 * jitter / 100, dmin = 1L << 30, dmax = 0;
	struct cka_ev pong[NJITTER];
	double tadd[NJITTER];
	int fd[NJITTER], i;
	long ctx, sid[NJITTER];

	ctx = cka_ctx_new(self->nl, set, NULL);
	ASSERT_LT(0, ctx);
	for (i = 0; i < NJITTER; i++) {
		fd[i] = udp_connected_to("127.0.0.1", COAP_PORT);
		ASSERT_LE(0, fd[i]);
	}
	for (i = 0; i < NJITTER; i++) {
		tadd[i] = now_ms();
		sid[i] = session_add(self->nl, ctx, fd[i], NULL);
		ASSERT_LT(0, sid[i]) TH_LOG("%s", self->nl->msg);
	}
	TH_LOG("%d sessions added in %ld ms", NJITTER, ms_since(tadd[0], now_ms()));
	ASSERT_EQ(0, ev_wait_each(self->ev, COAP_KA_CMD_PONG_NTF, sid, NJITTER,
				  2000 + LATE_MS + 1000, pong));
	for (i = 0; i < NJITTER; i++) {
		long d = ms_since(tadd[i], pong[i].t);

		EXPECT_LE(lo - EARLY_MS, d) TH_LOG("session %d pinged %ld ms after it began", i, d);
		EXPECT_GE(2000 + LATE_MS, d);
		if (d < dmin)
			dmin = d;
		if (d > dmax)
			dmax = d;
	}
	TH_LOG("jitter %u%%: first pongs %ld..%ld ms after the adds (spread %ld ms, bound >= %ld)",
	       jitter, dmin, dmax, dmax - dmin, lo);
	if (jitter)
		EXPECT_LT(300, dmax - dmin);
	for (i = 0; i < NJITTER; i++)
		close(fd[i]);
	cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, ctx, NULL, NULL);
}

TEST_F(peers, jitter_spreads_first_pings)
{
	first_pings(_metadata, self, 50);
}

TEST_F(peers, no_jitter_first_pings_on_time)
{
	first_pings(_metadata, self, 0);
}

TEST_HARNESS_MAIN
