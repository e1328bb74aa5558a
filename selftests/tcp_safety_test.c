// SPDX-License-Identifier: GPL-2.0
/*
 * Regression tests of issue 9: a kernel facility that writes into someone
 * else's TCP stream must never corrupt it, and a session's life follows
 * its socket exactly. One test (or a few variants) per finding:
 *
 *  F2  connect(AF_UNSPEC) ends the session (COAP_KA_GONE_DISCONNECTED);
 *      the fd may then listen() and accept as an unprivileged user, the
 *      children carry nothing of the module (a child is a fresh session),
 *      and a reconnect to another server is never pinged;
 *  F4  an orphaned socket whose FIN never passes LOCAL_OUT (nft output
 *      drop) still ends its session, keepalive 0;
 *  F5  a soft ICMP error (IP_RECVERR sets sk_err) does not end a healthy
 *      session: its next Ping is answered;
 *  F6  TCP's retransmissions are not activity: with a silent peer and
 *      data in flight (retransmitted every 0.9 s: thin-stream linear
 *      timeouts, rto_min route), the Ping goes out and NACKs;
 *  F7  a Ping that cannot go out (message held open with TCP_CORK or
 *      MSG_MORE) is retried with backoff: COAP_KA_A_PING_DEFERRALS small;
 *  F8  the kernel's Pings are invisible to SO_TIMESTAMPING (TCP and UDP):
 *      OPT_ID keys are the application's own offsets, no extra stamps;
 *  F10 an upper layer protocol (kTLS) installed while the socket is being
 *      watched, or handed over, never takes the module's operations for
 *      TCP's: a send() afterwards returns.
 *
 * F1 and F3 (Ping inside a frame, partial Ping writes) are covered by
 * tcp_soak_test.
 */
#include <grp.h>
#include <pthread.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <linux/errqueue.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/net_tstamp.h>

#include "cka_tcp.h"
#include "kselftest_harness.h"

#define LATE_MS		600	/* a Ping may be this late under TCG */
#define GONE_MS		2000	/* the contract's bound for SESSION_GONE */
#define NFT_TABLE	"ckasafe"
#define NOBODY		65534

/* An u32 settings list: (type, value) pairs ended by 0. */
#define SET(...)	((const uint32_t[]){ __VA_ARGS__, 0 })

static const char *hex(const uint8_t *b, ssize_t n)
{
	static char s[3 * 64 + 1];
	ssize_t i;

	s[0] = 0;
	for (i = 0; i < n && i < 64; i++)
		snprintf(s + 3 * i, 4, "%02x ", b[i]);
	return s;
}

static const char *gone_name(uint32_t r)
{
	static const char * const n[] = {
		"closed", "removed", "aborted", "ctx-deleted", "netns", "peer-closed",
		"peer-reset", "conn-lost", "unsupported", "disconnected", "socket-changed",
	};

	return r < sizeof(n) / sizeof(n[0]) ? n[r] : "?";
}

/*
 * Wait at most @ms for session @sid's SESSION_GONE; 0 with it in @ev, or
 * -ETIMEDOUT. Other events of the session are logged.
 */
static int wait_gone(struct __test_metadata *_metadata, struct cka_nl *ev_nl, long sid,
		     int ms, struct cka_ev *ev)
{
	double end = now_ms() + ms;

	for (;;) {
		int left = end - now_ms(), err;

		err = ev_wait(ev_nl, 0, sid, left < 0 ? 0 : left, ev);
		if (err)
			return err;
		if (ev->cmd == COAP_KA_CMD_SESSION_GONE_NTF)
			return 0;
		TH_LOG("session %ld: event %u before its end", sid, ev->cmd);
	}
}

/* The first event of session @sid within @ms (any kind): 0 or -ETIMEDOUT. */
static int first_event(struct cka_nl *ev_nl, long sid, int ms, struct cka_ev *ev)
{
	return ev_wait(ev_nl, 0, sid, ms, ev);
}

/* Read a Ping (00 E2) from @fd within @ms: true if exactly that came. */
static bool read_ping(struct __test_metadata *_metadata, int fd, int ms)
{
	uint8_t buf[2];
	ssize_t n = read_exact(fd, buf, 2, ms, NULL);

	if (n != 2) {
		TH_LOG("no Ping within %d ms (%zd bytes)", ms, n);
		return false;
	}
	if (memcmp(buf, coap_tcp_ping_msg, 2)) {
		TH_LOG("a Ping expected, read %s", hex(buf, 2));
		return false;
	}
	return true;
}

static int disconnect(int fd)
{
	struct sockaddr sa = { .sa_family = AF_UNSPEC };

	return connect(fd, &sa, sizeof(sa)) ? -errno : 0;
}

/* Connect a new socket to @port on 127.0.0.1 (blocking); the fd or -errno. */
static int connect_to(int port)
{
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_fill(&ss, "127.0.0.1", port);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -errno;
	if (connect(fd, (void *)&ss, len)) {
		int err = -errno;

		close(fd);
		return err;
	}
	tcp_nodelay(fd, 1);
	return fd;
}

static int accept_within(int lfd, int ms)
{
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };

	if (poll(&pfd, 1, ms) != 1)
		return -ETIMEDOUT;
	return accept(lfd, NULL, NULL);
}

/* ------------------------------------------------------------------ */
/* root fixture                                                        */

FIXTURE(safe) {
	struct cka_nl *nl;
	struct cka_nl *ev;
	long ctx;
	int app, peer;
	bool route;
};

FIXTURE_SETUP(safe)
{
	self->app = self->peer = -1;
	self->route = false;
	self->nl = cka_open();
	ASSERT_NE(NULL, self->nl);
	self->ev = open_events();
	ASSERT_NE(NULL, self->ev);
	self->ctx = cka_ctx_new(self->nl, SET(COAP_KA_A_KEEPALIVE_SECS, 1), NULL);
	ASSERT_LT(0, self->ctx) TH_LOG("%s", self->nl->msg);
}

#define RTO_ADDR	"127.0.0.9"

FIXTURE_TEARDOWN(safe)
{
	int rc;

	nft_table_del(NFT_TABLE);
	if (self->route)
		rc = system("ip route del local " RTO_ADDR "/32 dev lo table local >/dev/null 2>&1");
	(void)rc;
	if (self->app >= 0)
		close(self->app);
	if (self->peer >= 0)
		close(self->peer);
	cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, self->ctx, NULL, NULL);
	cka_close(self->ev);
	cka_close(self->nl);
}

/* A pair over @addr, kTLS with @a2p/@p2a if not NULL; the CSM sent and read. */
static void csm_pair(struct __test_metadata *_metadata, FIXTURE_DATA(safe) *self,
		     const char *addr, const struct ktls_keys *a2p, const struct ktls_keys *p2a)
{
	uint8_t buf[2];

	ASSERT_EQ(0, tcp_pair(addr, &self->app, &self->peer));
	if (a2p) {
		ASSERT_EQ(0, ktls_pair(self->app, self->peer, a2p, p2a));
	}
	ASSERT_EQ(0, send_all(self->app, coap_tcp_csm_msg, 2, 0));
	ASSERT_EQ(2, read_exact(self->peer, buf, 2, 2000, NULL));
	ASSERT_EQ(0, memcmp(buf, coap_tcp_csm_msg, 2));
}

/* Drop on the output hook every TCP segment to port @dport (priority 0). */
static int nft_drop_dport(const char *table, int dport)
{
	return nft_drop(table, "output", 0, "dport", dport);
}

/*
 * Drop on the input hook every TCP segment to port @dport: what the
 * application sends is lost on the way (it left, so TCP retransmits it).
 */
static int nft_drop_dport_in(const char *table, int dport)
{
	return nft_drop(table, "input", -10, "dport", dport);
}

static const char *tls_skip(uint16_t version)
{
	return ktls_probe(version, TLS_CIPHER_AES_GCM_128);
}

/* ------------------------------------------------------------------ */
/* F4: an orphan whose FIN never leaves                                 */

static void orphan_gone(struct __test_metadata *_metadata, FIXTURE_DATA(safe) *self,
			bool tls)
{
	struct ktls_keys a2p, p2a;
	struct cka_ev ev, s;
	long sid;
	double t0;
	int err;

	if (tls) {
		const char *why = tls_skip(TLS_1_3_VERSION);

		if (why)
			SKIP(return, "%s", why);
		ktls_keys_init(&a2p, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128, 41);
		ktls_keys_init(&p2a, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128, 42);
	}
	csm_pair(_metadata, self, "127.0.0.1", tls ? &a2p : NULL, tls ? &p2a : NULL);
	sid = tcp_session_add(self->nl, self->ctx, self->app, -1,
			      SET(COAP_KA_A_KEEPALIVE_SECS, 0), NULL);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);
	ASSERT_EQ(0, nft_drop_dport(NFT_TABLE, sock_port(self->peer)))
		TH_LOG("nft could not install the output drop rule");
	t0 = now_ms();
	close(self->app);
	self->app = -1;
	err = wait_gone(_metadata, self->ev, sid, GONE_MS, &ev);
	ASSERT_EQ(0, err) TH_LOG("no SESSION_GONE within %d ms of the close of an orphan whose FIN is dropped; SESSION_GET: %s",
				 GONE_MS, strerror(-session_get(self->nl, sid, &s)));
	EXPECT_EQ(COAP_KA_GONE_CLOSED, ev.v[COAP_KA_A_GONE_REASON])
		TH_LOG("gone reason %s", gone_name(ev.v[COAP_KA_A_GONE_REASON]));
	EXPECT_EQ(-ENOENT, session_get(self->nl, sid, &s));
	TH_LOG("SESSION_GONE (%s) %.0f ms after close()", gone_name(ev.v[COAP_KA_A_GONE_REASON]),
	       ev.t - t0);
}

TEST_F(safe, orphan_fin_dropped_gone)
{
	orphan_gone(_metadata, self, false);
}

TEST_F(safe, orphan_fin_dropped_gone_tls13)
{
	orphan_gone(_metadata, self, true);
}

/* ------------------------------------------------------------------ */
/* F5: a soft ICMP error                                               */

static uint16_t csum16(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum);
}

/*
 * On packet socket @pfd (lo, IPv4), the next data segment from port
 * @sport to port @dport within @ms: the sequence number after it, in
 * host order, or 0 with *@found false.
 */
static uint32_t capture_next_seq(int pfd, int sport, int dport, int ms, bool *found)
{
	double end = now_ms() + ms;
	uint8_t pkt[2048];

	*found = false;
	while (now_ms() < end) {
		const struct iphdr *ip = (void *)pkt;
		const struct tcphdr *th;
		size_t ihl, thl, plen;
		ssize_t n;

		n = recv_within(pfd, pkt, sizeof(pkt), end - now_ms(), NULL, NULL);
		if (n < 0)
			break;
		if (n < 40 || ip->version != 4 || ip->protocol != IPPROTO_TCP)
			continue;
		ihl = ip->ihl * 4;
		th = (void *)(pkt + ihl);
		thl = th->doff * 4;
		plen = ntohs(ip->tot_len) - ihl - thl;
		if (ntohs(th->source) != sport || ntohs(th->dest) != dport || !plen)
			continue;
		*found = true;
		return ntohl(th->seq) + plen;
	}
	return 0;
}

/*
 * An ICMP host unreachable to 127.0.0.1 quoting a segment of the
 * connection from port @sport to @dport with sequence number @seq.
 */
static int send_icmp_unreach(int sport, int dport, uint32_t seq)
{
	struct {
		struct icmphdr icmp;
		struct iphdr ip;
		struct tcphdr th;
	} __attribute__((packed)) m = {};
	struct sockaddr_in to = { .sin_family = AF_INET };
	int fd, err = 0;

	m.icmp.type = ICMP_DEST_UNREACH;
	m.icmp.code = ICMP_HOST_UNREACH;
	m.ip.version = 4;
	m.ip.ihl = 5;
	m.ip.ttl = 64;
	m.ip.protocol = IPPROTO_TCP;
	m.ip.tot_len = htons(sizeof(m.ip) + sizeof(m.th) + 2);
	m.ip.saddr = htonl(INADDR_LOOPBACK);
	m.ip.daddr = htonl(INADDR_LOOPBACK);
	m.ip.check = csum16(&m.ip, sizeof(m.ip));
	m.th.source = htons(sport);
	m.th.dest = htons(dport);
	m.th.seq = htonl(seq);
	m.th.doff = 5;
	m.th.ack = 1;
	m.th.psh = 1;
	m.th.window = htons(1024);
	m.icmp.checksum = csum16(&m, sizeof(m));

	fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	if (fd < 0)
		return -errno;
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (sendto(fd, &m, sizeof(m), 0, (void *)&to, sizeof(to)) != sizeof(m))
		err = -errno;
	close(fd);
	return err;
}

/*
 * IP_RECVERR on the application's socket makes TCP set sk_err for an
 * ICMP host unreachable on an established connection (a soft error: TCP
 * itself keeps going). The session must not end for it: its next Ping
 * goes out and the peer's Pong answers it.
 */
static void soft_icmp(struct __test_metadata *_metadata, FIXTURE_DATA(safe) *self, bool tls)
{
	struct ktls_keys a2p, p2a;
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP) };
	int one = 1, pfd, sport, dport, tries;
	struct pollfd p;
	struct cka_ev ev, s;
	uint8_t buf[8];
	bool found, err_seen = false;
	uint32_t seq;
	long sid;
	int soerr = 0;
	socklen_t sl = sizeof(soerr);

	if (tls) {
		const char *why = tls_skip(TLS_1_2_VERSION);

		if (why)
			SKIP(return, "%s", why);
		ktls_keys_init(&a2p, TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128, 61);
		ktls_keys_init(&p2a, TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128, 62);
	}
	ASSERT_EQ(0, tcp_pair("127.0.0.1", &self->app, &self->peer));
	if (tls) {
		ASSERT_EQ(0, ktls_pair(self->app, self->peer, &a2p, &p2a));
	}
	ASSERT_EQ(0, setsockopt(self->app, SOL_IP, IP_RECVERR, &one, sizeof(one)));
	sport = sock_port(self->app);
	dport = sock_port(self->peer);
	pfd = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
	ASSERT_LE(0, pfd) TH_LOG("packet socket: %s", strerror(errno));
	sll.sll_ifindex = if_nametoindex("lo");
	ASSERT_EQ(0, bind(pfd, (void *)&sll, sizeof(sll)));

	/* keepalive 3 s: time to set the error before the Ping is due */
	sid = tcp_session_add(self->nl, self->ctx, self->app, -1,
			      SET(COAP_KA_A_KEEPALIVE_SECS, 3, COAP_KA_A_PONG_TIMEOUT_MS, 3000), NULL);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);
	ASSERT_EQ(0, send_all(self->app, coap_tcp_csm_msg, 2, 0));
	seq = capture_next_seq(pfd, sport, dport, 2000, &found);
	close(pfd);
	ASSERT_TRUE(found) TH_LOG("the CSM segment was not seen on lo");
	ASSERT_EQ(2, read_exact(self->peer, buf, 2, 2000, NULL));

	for (tries = 0; tries < 5 && !err_seen; tries++) {
		ASSERT_EQ(0, send_icmp_unreach(sport, dport, seq));
		p = (struct pollfd){ .fd = self->app, .events = 0 };
		err_seen = poll(&p, 1, 300) == 1 && (p.revents & POLLERR);
	}
	/* the test can fail only if the error really is there */
	ASSERT_TRUE(err_seen) TH_LOG("the ICMP error did not set the socket's error");
	ASSERT_EQ(0, session_get(self->nl, sid, &s));
	ASSERT_EQ(0, s.v[COAP_KA_A_PINGS]) TH_LOG("the Ping left before the error was set");
	TH_LOG("socket error set (POLLERR) after %d ICMP message(s)", tries);

	EXPECT_TRUE(read_ping(_metadata, self->peer, 3000 + LATE_MS + 1500)) {
		if (!first_event(self->ev, sid, 0, &ev))
			TH_LOG("session event %u, gone reason %s", ev.cmd,
			       gone_name(ev.v[COAP_KA_A_GONE_REASON]));
		return;
	}
	ASSERT_EQ(0, send_all(self->peer, coap_tcp_pong_msg, 3, 0));
	ASSERT_EQ(0, first_event(self->ev, sid, 3000, &ev)) TH_LOG("no event after the Pong");
	EXPECT_EQ(COAP_KA_CMD_PONG_NTF, ev.cmd) TH_LOG("event %u (gone reason %s) instead of PONG",
						       ev.cmd, gone_name(ev.v[COAP_KA_A_GONE_REASON]));
	EXPECT_EQ(0, session_get(self->nl, sid, &s)) TH_LOG("the session is gone");
	/* the application still has its connection */
	getsockopt(self->app, SOL_SOCKET, SO_ERROR, &soerr, &sl);
	TH_LOG("the application's SO_ERROR afterwards: %s", soerr ? strerror(soerr) : "none");
	ASSERT_EQ(3, read_exact(self->app, buf, 3, 1000, NULL));
	EXPECT_EQ(0, memcmp(buf, coap_tcp_pong_msg, 3));
}

TEST_F(safe, soft_icmp_error_not_fatal)
{
	soft_icmp(_metadata, self, false);
}

TEST_F(safe, soft_icmp_error_not_fatal_tls12)
{
	soft_icmp(_metadata, self, true);
}

/* ------------------------------------------------------------------ */
/* F6: retransmissions are not activity                                */

/*
 * A silent peer (nft drops, on input, everything the application sends
 * it: the segments leave, so TCP retransmits them) while
 * the application has data in flight: TCP retransmits it every 0.9 s
 * (route rto_min 900 ms, thin-stream linear timeouts: 7 retransmissions
 * before backing off), which is no sign of life. Activity rxtx, keepalive
 * 1 s, pong timeout 1 s: the Ping falls due 1 s after the application's
 * write and NACKs 1 s later (6 s allowed); a second Ping follows. Were
 * the retransmissions activity, the first Ping would wait until they
 * back off, over 7 s.
 */
TEST_F_TIMEOUT(safe, retransmissions_not_activity, 120)
{
	const uint32_t *set = SET(COAP_KA_A_KEEPALIVE_SECS, 1, COAP_KA_A_PONG_TIMEOUT_MS, 1000,
				  COAP_KA_A_ACTIVITY, COAP_KA_ACTIVITY_RXTX);
	uint8_t frame[128], body[100], tok[4] = { 9, 9, 9, 9 }, buf[8];
	struct tcp_info ti = {};
	socklen_t tl = sizeof(ti);
	struct cka_ev ev, s;
	double t0, t1;
	size_t flen;
	long sid;
	int one = 1;

	ASSERT_EQ(0, system("ip route add local " RTO_ADDR "/32 dev lo table local rto_min 900ms"))
		TH_LOG("ip route could not set rto_min");
	self->route = true;
	ASSERT_EQ(0, tcp_pair(RTO_ADDR, &self->app, &self->peer));
	ASSERT_EQ(0, setsockopt(self->app, IPPROTO_TCP, TCP_THIN_LINEAR_TIMEOUTS, &one,
				sizeof(one)));
	/* some traffic both ways */
	ASSERT_EQ(0, send_all(self->app, coap_tcp_csm_msg, 2, 0));
	ASSERT_EQ(2, read_exact(self->peer, buf, 2, 2000, NULL));
	ASSERT_EQ(0, send_all(self->peer, coap_tcp_csm_msg, 2, 0));
	ASSERT_EQ(2, read_exact(self->app, buf, 2, 2000, NULL));
	ASSERT_EQ(0, getsockopt(self->app, IPPROTO_TCP, TCP_INFO, &ti, &tl));
	ASSERT_LE(800000, ti.tcpi_rto) TH_LOG("rto %u us: the route's rto_min is not in effect",
					      ti.tcpi_rto);

	ASSERT_EQ(0, nft_drop_dport_in(NFT_TABLE, sock_port(self->peer)))
		TH_LOG("nft could not install the input drop rule");
	sid = tcp_session_add(self->nl, self->ctx, self->app, -1, set, NULL);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);
	memset(body, 0x77, sizeof(body));
	body[0] = 0xff;
	flen = coap_tcp_frame(frame, 0x02, tok, 4, body, sizeof(body));
	t0 = now_ms();
	ASSERT_EQ(0, send_all(self->app, frame, flen, 0));

	ASSERT_EQ(0, ev_wait(self->ev, COAP_KA_CMD_NACK_NTF, sid, 6000, &ev)) {
		tl = sizeof(ti);
		getsockopt(self->app, IPPROTO_TCP, TCP_INFO, &ti, &tl);
		session_get(self->nl, sid, &s);
		TH_LOG("no NACK within 6 s of the write while TCP retransmitted (%u retransmissions, rto %u us); session: pings %u nacks %u",
		       ti.tcpi_total_retrans, ti.tcpi_rto, s.v[COAP_KA_A_PINGS],
		       s.v[COAP_KA_A_NACKS]);
	}
	t1 = ev.t;
	EXPECT_EQ(COAP_KA_NACK_NO_PONG, ev.v[COAP_KA_A_NACK_REASON]);
	tl = sizeof(ti);
	getsockopt(self->app, IPPROTO_TCP, TCP_INFO, &ti, &tl);
	TH_LOG("NACK %.0f ms after the write; TCP retransmitted %u times meanwhile", t1 - t0,
	       ti.tcpi_total_retrans);

	/* and the Pings go on: the next one NACKs too */
	ASSERT_EQ(0, ev_wait(self->ev, COAP_KA_CMD_NACK_NTF, sid, 5000, &ev))
		TH_LOG("no second NACK within 5 s of the first");
	/* both NACKs came while TCP kept retransmitting (else this proves nothing) */
	tl = sizeof(ti);
	getsockopt(self->app, IPPROTO_TCP, TCP_INFO, &ti, &tl);
	EXPECT_LE(2, ti.tcpi_total_retrans)
		TH_LOG("TCP retransmitted %u times by the second NACK: the test proves nothing",
		       ti.tcpi_total_retrans);
	ASSERT_EQ(0, session_get(self->nl, sid, &s));
	EXPECT_LE(2, s.v[COAP_KA_A_PINGS]);
	EXPECT_LE(2, s.v[COAP_KA_A_NACKS]);
	TH_LOG("second NACK %.0f ms after the first; pings %u nacks %u", ev.t - t1,
	       s.v[COAP_KA_A_PINGS], s.v[COAP_KA_A_NACKS]);
}

/* ------------------------------------------------------------------ */
/* F7: bounded retry                                                   */

#define HOLD_MS		4500	/* the message is held open this long */
#define DEFERRALS_MAX	20

enum hold_mode { HOLD_CORK, HOLD_MSG_MORE };

/*
 * The application holds a message open for HOLD_MS (TCP_CORK with data
 * pending, or a part sent with MSG_MORE); its Ping falls due about 1 s
 * in and must wait for the message's end. The waiting Ping is tried with
 * backoff (10 ms doubling to 1 s: about 10 tries here), not every 10 ms:
 * COAP_KA_A_PING_DEFERRALS in 1..DEFERRALS_MAX. The Ping follows the
 * message, never inside it.
 */
static void deferrals(struct __test_metadata *_metadata, FIXTURE_DATA(safe) *self,
		      enum hold_mode mode, bool tls)
{
	uint8_t frame[64], tok[4] = { 1, 2, 3, 4 }, body[21], buf[64];
	struct ktls_keys a2p, p2a;
	const size_t head = 5;
	int one = 1, zero = 0;
	struct cka_ev s, ev;
	double t_hold;
	ssize_t got = 0, n;
	size_t flen;
	long sid;

	if (tls) {
		const char *why = tls_skip(TLS_1_3_VERSION);

		if (why)
			SKIP(return, "%s", why);
		ktls_keys_init(&a2p, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128, 51);
		ktls_keys_init(&p2a, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128, 52);
	}
	memset(body, 0x5a, sizeof(body));
	body[0] = 0xff;
	flen = coap_tcp_frame(frame, 0x02, tok, 4, body, sizeof(body));
	csm_pair(_metadata, self, "127.0.0.1", tls ? &a2p : NULL, tls ? &p2a : NULL);
	sid = tcp_session_add(self->nl, self->ctx, self->app, -1,
			      SET(COAP_KA_A_KEEPALIVE_SECS, 1, COAP_KA_A_PONG_TIMEOUT_MS, 5000), NULL);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);

	t_hold = now_ms();
	if (mode == HOLD_CORK) {
		ASSERT_EQ(0, setsockopt(self->app, IPPROTO_TCP, TCP_CORK, &one, sizeof(one)));
		ASSERT_EQ(0, send_all(self->app, frame, head, 0));
	} else {
		ASSERT_EQ(0, send_all(self->app, frame, head, MSG_MORE));
	}
	/* during the hold only a part of the frame may come, never a Ping */
	while (now_ms() < t_hold + HOLD_MS && got < (ssize_t)sizeof(buf)) {
		int left = t_hold + HOLD_MS - now_ms();

		n = read_exact(self->peer, buf + got, 1, left < 0 ? 0 : left, NULL);
		if (n != 1)
			break;
		got++;
	}
	EXPECT_GE((ssize_t)head, got) TH_LOG("during the hold the peer got %s", hex(buf, got));
	EXPECT_EQ(0, memcmp(buf, frame, got < (ssize_t)head ? got : (ssize_t)head))
		TH_LOG("during the hold the peer got %s", hex(buf, got));
	ASSERT_EQ(0, session_get(self->nl, sid, &s));
	EXPECT_EQ(0, s.v[COAP_KA_A_PINGS]) TH_LOG("a Ping left inside the held message");
	TH_LOG("after the hold: state %u, deferrals %s%u", s.v[COAP_KA_A_STATE],
	       ev_has(&s, COAP_KA_A_PING_DEFERRALS) ? "" : "(absent) ",
	       s.v[COAP_KA_A_PING_DEFERRALS]);

	ASSERT_EQ(0, send_all(self->app, frame + head, flen - head, 0));
	if (mode == HOLD_CORK) {
		ASSERT_EQ(0, setsockopt(self->app, IPPROTO_TCP, TCP_CORK, &zero, sizeof(zero)));
	}
	if (got > (ssize_t)head)
		got = head;
	ASSERT_EQ((ssize_t)(flen - got), read_exact(self->peer, buf + got, flen - got, 2000, NULL));
	EXPECT_EQ(0, memcmp(buf, frame, flen)) TH_LOG("the frame as read: %s", hex(buf, flen));
	ASSERT_TRUE(read_ping(_metadata, self->peer, 1000 + LATE_MS + 1500));
	ASSERT_EQ(0, send_all(self->peer, coap_tcp_pong_msg, 3, 0));
	EXPECT_EQ(0, ev_wait(self->ev, COAP_KA_CMD_PONG_NTF, sid, 3000, &ev));

	ASSERT_EQ(0, session_get(self->nl, sid, &s));
	ASSERT_TRUE(ev_has(&s, COAP_KA_A_PING_DEFERRALS))
		TH_LOG("SESSION_GET has no COAP_KA_A_PING_DEFERRALS (attribute %d)",
		       COAP_KA_A_PING_DEFERRALS);
	EXPECT_LE(1, s.v[COAP_KA_A_PING_DEFERRALS]);
	EXPECT_GE(DEFERRALS_MAX, s.v[COAP_KA_A_PING_DEFERRALS]);
	EXPECT_LE(1, s.v[COAP_KA_A_PINGS]);
	TH_LOG("%s%s: the Ping was deferred %u times over the %d ms hold",
	       tls ? "kTLS " : "", mode == HOLD_CORK ? "TCP_CORK" : "MSG_MORE",
	       s.v[COAP_KA_A_PING_DEFERRALS], HOLD_MS);
}

TEST_F_TIMEOUT(safe, cork_held_ping_backs_off, 40)
{
	deferrals(_metadata, self, HOLD_CORK, false);
}

TEST_F_TIMEOUT(safe, msg_more_held_ping_backs_off, 40)
{
	deferrals(_metadata, self, HOLD_MSG_MORE, false);
}

TEST_F_TIMEOUT(safe, tls13_msg_more_held_ping_backs_off, 40)
{
	deferrals(_metadata, self, HOLD_MSG_MORE, true);
}

/* ------------------------------------------------------------------ */
/* F8: SO_TIMESTAMPING                                                 */

#define TS_FLAGS	(SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE | \
			 SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY)

struct tstamps {
	int n;
	uint32_t key[64];
	uint32_t type[64];
};

/*
 * Read @fd's error queue for @ms: every timestamp's OPT_ID key and type
 * (SCM_TSTAMP_*) into @ts.
 */
static void read_tstamps(int fd, int ms, struct tstamps *ts)
{
	double end = now_ms() + ms;

	for (;;) {
		char cbuf[512], data[64];
		struct iovec iov = { data, sizeof(data) };
		struct msghdr msg = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
		};
		struct pollfd p = { .fd = fd, .events = 0 };
		struct cmsghdr *c;
		int left = end - now_ms();

		if (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) {
			if (errno != EAGAIN || left <= 0)
				return;
			poll(&p, 1, left > 20 ? 20 : left);
			continue;
		}
		for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
			struct sock_extended_err *ee;

			if (!((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
			      (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR)))
				continue;
			ee = (void *)CMSG_DATA(c);
			if (ee->ee_origin != SO_EE_ORIGIN_TIMESTAMPING || ts->n >= 64)
				continue;
			ts->key[ts->n] = ee->ee_data;
			ts->type[ts->n] = ee->ee_info;
			ts->n++;
		}
	}
}

static int count_key(const struct tstamps *ts, uint32_t key, uint32_t type)
{
	int i, n = 0;

	for (i = 0; i < ts->n; i++)
		n += ts->key[i] == key && ts->type[i] == type;
	return n;
}

static void log_tstamps(struct __test_metadata *_metadata, const struct tstamps *ts)
{
	int i;

	for (i = 0; i < ts->n; i++)
		TH_LOG("timestamp %d: key %u type %u", i, ts->key[i], ts->type[i]);
}

/*
 * TCP: message A, then at least two Pings answered by the peer, then
 * message B. The error queue holds a send and an ACK timestamp for each
 * of A and B, with keys at their last bytes counted in the application's
 * own bytes (len(A)-1, len(A)+len(B)-1), and nothing else.
 */
TEST_F_TIMEOUT(safe, tcp_ping_not_timestamped, 40)
{
	uint8_t a[40], b[25], buf[64], tok[2] = { 7, 7 }, body[32];
	int flags = TS_FLAGS | SOF_TIMESTAMPING_TX_ACK, pings = 0, i;
	uint32_t ka, kb;
	struct tstamps ts = {};
	size_t la, lb;
	long sid;

	memset(body, 0x41, sizeof(body));
	body[0] = 0xff;
	la = coap_tcp_frame(a, 0x02, tok, 2, body, 30);
	lb = coap_tcp_frame(b, 0x45, tok, 2, body, 15);
	ka = la - 1;
	kb = la + lb - 1;
	csm_pair(_metadata, self, "127.0.0.1", NULL, NULL);
	/* OPT_ID counts from here: the CSM is not in the keys */
	ASSERT_EQ(0, setsockopt(self->app, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof(flags)));
	sid = tcp_session_add(self->nl, self->ctx, self->app, -1, NULL, NULL);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);

	ASSERT_EQ(0, send_all(self->app, a, la, 0));
	ASSERT_EQ((ssize_t)la, read_exact(self->peer, buf, la, 2000, NULL));
	for (pings = 0; pings < 2; pings++) {
		ASSERT_TRUE(read_ping(_metadata, self->peer, 1000 + LATE_MS + 1500));
		ASSERT_EQ(0, send_all(self->peer, coap_tcp_pong_msg, 3, 0));
		ASSERT_EQ(3, read_exact(self->app, buf, 3, 2000, NULL));
	}
	ASSERT_EQ(0, send_all(self->app, b, lb, 0));
	ASSERT_EQ((ssize_t)lb, read_exact(self->peer, buf, lb, 2000, NULL));
	EXPECT_EQ(0, memcmp(buf, b, lb)) TH_LOG("B as read: %s", hex(buf, lb));

	read_tstamps(self->app, 1500, &ts);
	EXPECT_EQ(1, count_key(&ts, ka, SCM_TSTAMP_SND));
	EXPECT_EQ(1, count_key(&ts, ka, SCM_TSTAMP_ACK));
	EXPECT_EQ(1, count_key(&ts, kb, SCM_TSTAMP_SND));
	EXPECT_EQ(1, count_key(&ts, kb, SCM_TSTAMP_ACK));
	EXPECT_EQ(4, ts.n) log_tstamps(_metadata, &ts);
	for (i = 0; i < ts.n; i++) {
		EXPECT_TRUE(ts.key[i] == ka || ts.key[i] == kb)
			TH_LOG("timestamp key %u (type %u): not the end of A (%u) or B (%u)",
			       ts.key[i], ts.type[i], ka, kb);
	}
	TH_LOG("%d timestamps after %d Pings; keys of A %u, B %u", ts.n, pings, ka, kb);
}

/*
 * UDP: datagram 1, then at least two Pings answered with a Reset, then
 * datagram 2: exactly two send timestamps, keys 0 and 1.
 */
TEST_F_TIMEOUT(safe, udp_ping_not_timestamped, 40)
{
	int flags = TS_FLAGS, fd, peer, i, pings;
	uint8_t msg[8], buf[64], rst[4];
	struct tstamps ts = {};
	struct cka_ev ev;
	long sid;
	ssize_t n;

	peer = udp_bound("127.0.0.1", 0, NULL);
	ASSERT_LE(0, peer);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, udp_connect_fd(fd, peer));
	ASSERT_EQ(0, udp_connect_fd(peer, fd));
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof(flags)));
	sid = session_add(self->nl, self->ctx, fd, NULL);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);

	coap_hdr(msg, COAP_NON, 0x01, 0x1001);
	ASSERT_EQ(4, send(fd, msg, 4, 0));
	n = recv_within(peer, buf, sizeof(buf), 2000, NULL, NULL);
	ASSERT_EQ(4, n);
	for (pings = 0; pings < 2;) {
		n = recv_within(peer, buf, sizeof(buf), 1000 + LATE_MS + 2500, NULL, NULL);
		ASSERT_TRUE(coap_is_empty(buf, n, COAP_CON)) TH_LOG("no Ping (%zd)", n);
		coap_hdr(rst, COAP_RST, 0, coap_mid(buf));
		ASSERT_EQ(4, send(peer, rst, 4, 0));
		ASSERT_EQ(0, ev_wait(self->ev, COAP_KA_CMD_PONG_NTF, sid, 2000, &ev));
		pings++;
	}
	coap_hdr(msg, COAP_NON, 0x01, 0x1002);
	ASSERT_EQ(4, send(fd, msg, 4, 0));
	n = recv_within(peer, buf, sizeof(buf), 2000, NULL, NULL);
	ASSERT_EQ(4, n);
	EXPECT_EQ(0x1002, coap_mid(buf));

	read_tstamps(fd, 1000, &ts);
	EXPECT_EQ(1, count_key(&ts, 0, SCM_TSTAMP_SND));
	EXPECT_EQ(1, count_key(&ts, 1, SCM_TSTAMP_SND));
	EXPECT_EQ(2, ts.n) log_tstamps(_metadata, &ts);
	for (i = 0; i < ts.n; i++) {
		EXPECT_GE(1, ts.key[i]) TH_LOG("timestamp key %u: the application sent 2 datagrams",
					       ts.key[i]);
	}
	TH_LOG("%d timestamps after %d Pings", ts.n, pings);
	close(fd);
	close(peer);
}

/*
 * F10. kTLS's tls_init() copies the socket's sk_prot into tables of its
 * own (global ones); had it copied the module's, a send() through them
 * calls the module, which calls the socket's protocol, which is kTLS's
 * again: a loop in the kernel that no signal ends (a 6.1 stress run hit
 * it as a soft lockup). Per round, on a fresh connection, three threads
 * start together: one installs the "tls" ULP, one hands the socket over,
 * one keeps setting (invalid) kTLS keys, a setsockopt() that the module
 * follows by putting its operations back on. Then a send() without keys
 * (kTLS passes it to the protocol it saw). All of it in a child: a loop
 * in the kernel is reported as a child that did not finish.
 */
struct ulp_race {
	int fd;
	long ctx;
	struct cka_nl *nl;
	pthread_barrier_t go;
	int ulp_err;
	long sid;
	volatile int stop;
};

static void *ulp_race_ulp(void *p)
{
	struct ulp_race *r = p;

	pthread_barrier_wait(&r->go);
	r->ulp_err = ktls_ulp(r->fd);
	return NULL;
}

static void *ulp_race_add(void *p)
{
	struct ulp_race *r = p;

	pthread_barrier_wait(&r->go);
	r->sid = tcp_session_add(r->nl, r->ctx, r->fd, -1, NULL, NULL);
	return NULL;
}

static void *ulp_race_keys(void *p)
{
	struct ulp_race *r = p;
	struct ktls_keys k;

	ktls_keys_init(&k, TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128, 3);
	k.info.version = 0;	/* refused by kTLS, after the module saw it */
	pthread_barrier_wait(&r->go);
	while (!r->stop)
		ktls_set(r->fd, TLS_TX, &k);
	return NULL;
}

/* Rounds for @secs; the child's exit status: 0, or 1 + the failed step. */
static int ulp_race_rounds(long ctx, double secs, int *rounds, int *hooked)
{
	double end = now_ms() + secs * 1e3;
	struct ulp_race r = { .ctx = ctx };
	pthread_t th[3];
	int app, peer;

	r.nl = cka_open();
	if (!r.nl)
		return 1;
	*rounds = *hooked = 0;
	while (now_ms() < end) {
		if (tcp_pair("127.0.0.1", &app, &peer))
			return 2;
		r.fd = app;
		r.stop = 0;
		r.sid = 0;
		/* odd rounds: watched before the race; even: handed over in it */
		if (*rounds & 1) {
			r.sid = tcp_session_add(r.nl, ctx, app, -1, NULL, NULL);
			if (r.sid <= 0)
				return 3;
		}
		pthread_barrier_init(&r.go, NULL, *rounds & 1 ? 2 : 3);
		if (pthread_create(&th[0], NULL, ulp_race_ulp, &r) ||
		    pthread_create(&th[1], NULL, ulp_race_keys, &r) ||
		    (!(*rounds & 1) && pthread_create(&th[2], NULL, ulp_race_add, &r)))
			return 6;	/* a thread left waiting: the child just exits */
		pthread_join(th[0], NULL);
		if (!(*rounds & 1))
			pthread_join(th[2], NULL);
		r.stop = 1;
		pthread_join(th[1], NULL);
		pthread_barrier_destroy(&r.go);
		if (r.ulp_err && r.ulp_err != -EEXIST)
			return 4;
		if (!r.ulp_err && r.sid > 0)
			(*hooked)++;
		/* the send that loops if kTLS holds the module's operations */
		if (send(app, "x", 1, MSG_DONTWAIT) != 1)
			return 5;
		close(app);
		close(peer);
		(*rounds)++;
	}
	cka_close(r.nl);
	return 0;
}

TEST_F_TIMEOUT(safe, ulp_never_sees_the_module, 120)
{
	int pfd[2], st, res[2] = { 0, 0 };
	double end;
	pid_t pid;

	if (ktls_probe(TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128))
		SKIP(return, "no kTLS: %s", ktls_probe(TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128));
	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int rc = ulp_race_rounds(self->ctx, 8, &res[0], &res[1]);

		if (write(pfd[1], res, sizeof(res)) != sizeof(res))
			rc = 9;
		_exit(rc);
	}
	close(pfd[1]);
	end = now_ms() + 60000;
	while (waitpid(pid, &st, WNOHANG) == 0 && now_ms() < end)
		sleep_ms(50);
	if (now_ms() >= end) {
		kill(pid, SIGKILL);
		close(pfd[0]);
		ASSERT_TRUE(0) TH_LOG("the rounds did not finish in 60 s: a send() or setsockopt() loops in the kernel");
	}
	EXPECT_EQ(sizeof(res), read(pfd[0], res, sizeof(res)));
	close(pfd[0]);
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st)) TH_LOG("round %d failed at step %d", res[0], WEXITSTATUS(st));
	TH_LOG("%d rounds, %d with the ULP installed on a watched socket", res[0], res[1]);
	EXPECT_LT(20, res[0]);
	EXPECT_LT(0, res[1]);
}

/* ------------------------------------------------------------------ */
/* F2: disconnect, listen, children, reconnect -- as uid 65534          */

/*
 * The event socket is root's (the events group may need CAP_NET_ADMIN);
 * everything else, the context included, is the unprivileged user's.
 */
FIXTURE(unpriv) {
	struct cka_nl *nl;
	struct cka_nl *ev;
	long ctx;
	int fd[32];
	int nfd;
};

FIXTURE_SETUP(unpriv)
{
	self->nfd = 0;
	self->ev = open_events();
	ASSERT_NE(NULL, self->ev);
	ASSERT_EQ(0, setgroups(0, NULL));
	ASSERT_EQ(0, setresgid(NOBODY, NOBODY, NOBODY));
	ASSERT_EQ(0, setresuid(NOBODY, NOBODY, NOBODY));
	ASSERT_EQ(NOBODY, geteuid());
	self->nl = cka_open();
	ASSERT_NE(NULL, self->nl) TH_LOG("uid %d cannot talk to the family: %s", NOBODY,
					 strerror(errno));
	self->ctx = cka_ctx_new(self->nl, SET(COAP_KA_A_KEEPALIVE_SECS, 1), NULL);
	ASSERT_LT(0, self->ctx) TH_LOG("CTX_NEW as uid %d: %s", NOBODY, self->nl->msg);
}

FIXTURE_TEARDOWN(unpriv)
{
	int i;

	for (i = 0; i < self->nfd; i++)
		if (self->fd[i] >= 0)
			close(self->fd[i]);
	if (self->nl)
		cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, self->ctx, NULL, NULL);
	if (self->nl)
		cka_close(self->nl);
	cka_close(self->ev);
}

/* Remember @fd for the teardown; returns it. */
static int keep(FIXTURE_DATA(unpriv) *self, int fd)
{
	if (fd >= 0 && self->nfd < (int)(sizeof(self->fd) / sizeof(self->fd[0])))
		self->fd[self->nfd++] = fd;
	return fd;
}

/* Close @fd now, and not again in the teardown. */
static void drop(FIXTURE_DATA(unpriv) *self, int fd)
{
	int i;

	for (i = 0; i < self->nfd; i++)
		if (self->fd[i] == fd)
			self->fd[i] = -1;
	close(fd);
}

/*
 * A watched connection: *@app connected to a listener of ours, which
 * stays open (*@lfd), its accepted end *@peer; the application sent its
 * CSM and the peer read it. Session settings @set. Returns the session id.
 */
static long watched_conn(struct __test_metadata *_metadata, FIXTURE_DATA(unpriv) *self,
			 const uint32_t *set, int *app, int *peer)
{
	uint8_t buf[2];
	long sid;

	ASSERT_EQ(0, tcp_pair("127.0.0.1", app, peer));
	keep(self, *app);
	keep(self, *peer);
	ASSERT_EQ(0, send_all(*app, coap_tcp_csm_msg, 2, 0));
	ASSERT_EQ(2, read_exact(*peer, buf, 2, 2000, NULL));
	sid = tcp_session_add(self->nl, self->ctx, *app, -1, set, NULL);
	ASSERT_LT(0, sid) TH_LOG("SESSION_ADD as uid %d: %s (%s)", NOBODY, strerror(-sid),
				 self->nl->msg);
	return sid;
}

/* After connect(AF_UNSPEC): SESSION_GONE (disconnected) within 2 s, the session gone. */
static void expect_disconnected(struct __test_metadata *_metadata,
				FIXTURE_DATA(unpriv) *self, long sid, double t0)
{
	int left = t0 + GONE_MS - now_ms(), err;
	struct cka_ev ev, s;

	/* the bound runs from the disconnect (an event already queued counts) */
	err = wait_gone(_metadata, self->ev, sid, left < 0 ? 0 : left, &ev);
	EXPECT_EQ(0, err) TH_LOG("no SESSION_GONE within %d ms of connect(AF_UNSPEC); SESSION_GET: %s",
				 GONE_MS, strerror(-session_get(self->nl, sid, &s)));
	if (!err) {
		EXPECT_EQ(COAP_KA_GONE_DISCONNECTED, ev.v[COAP_KA_A_GONE_REASON])
			TH_LOG("gone reason %u (%s)", ev.v[COAP_KA_A_GONE_REASON],
			       gone_name(ev.v[COAP_KA_A_GONE_REASON]));
		TH_LOG("SESSION_GONE (%s) %.0f ms after connect(AF_UNSPEC)",
		       gone_name(ev.v[COAP_KA_A_GONE_REASON]), ev.t - t0);
	}
	EXPECT_EQ(-ENOENT, session_get(self->nl, sid, &s));
}

/* keepalive 60 s: only the disconnect can end the session within the test */
TEST_F(unpriv, disconnect_gone)
{
	int app, peer;
	long sid;
	double t0;

	sid = watched_conn(_metadata, self, SET(COAP_KA_A_KEEPALIVE_SECS, 60), &app, &peer);
	ASSERT_LT(0, sid);
	t0 = now_ms();
	ASSERT_EQ(0, disconnect(app));
	expect_disconnected(_metadata, self, sid, t0);
	EXPECT_EQ(0, ctx_sessions(self->nl, self->ctx));
}

/*
 * A child accepted on the disconnected, now listening fd is a socket of
 * its own: SESSION_ADD makes a fresh session, pinged after its idle
 * second, and the client's Pong answers it.
 */
TEST_F(unpriv, disconnect_child_fresh_session)
{
	int app, peer, cli, child, lport;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct cka_ev ev, r, s;
	uint8_t buf[2];
	long sid, csid;

	sid = watched_conn(_metadata, self, SET(COAP_KA_A_KEEPALIVE_SECS, 60), &app, &peer);
	ASSERT_LT(0, sid);
	ASSERT_EQ(0, disconnect(app));
	ASSERT_EQ(0, listen(app, 16));
	ASSERT_EQ(0, getsockname(app, (void *)&ss, &len));
	lport = sockaddr_port(&ss);
	cli = keep(self, connect_to(lport));
	ASSERT_LE(0, cli);
	child = keep(self, accept_within(app, 2000));
	ASSERT_LE(0, child);

	csid = tcp_session_add(self->nl, self->ctx, child, -1,
			       SET(COAP_KA_A_KEEPALIVE_SECS, 1, COAP_KA_A_PONG_TIMEOUT_MS, 3000), &r);
	ASSERT_LT(0, csid) TH_LOG("SESSION_ADD of the child: %s (%s)", strerror(-csid),
				  self->nl->msg);
	EXPECT_NE(sid, csid);
	EXPECT_EQ(cka_sock_ino(child), r.ino);
	EXPECT_EQ(sock_port(cli), r.port) TH_LOG("the child's session has peer port %u", r.port);

	ASSERT_EQ(0, send_all(child, coap_tcp_csm_msg, 2, 0));
	ASSERT_EQ(2, read_exact(cli, buf, 2, 2000, NULL));
	ASSERT_TRUE(read_ping(_metadata, cli, 1000 + LATE_MS + 1500));
	ASSERT_EQ(0, send_all(cli, coap_tcp_pong_msg, 3, 0));
	ASSERT_EQ(0, first_event(self->ev, csid, 3000, &ev)) TH_LOG("no event of the child's session");
	EXPECT_EQ(COAP_KA_CMD_PONG_NTF, ev.cmd) TH_LOG("event %u (gone reason %s) instead of PONG",
						       ev.cmd,
						       gone_name(ev.v[COAP_KA_A_GONE_REASON]));
	ASSERT_EQ(0, session_get(self->nl, csid, &s));
	EXPECT_EQ(1, s.v[COAP_KA_A_PONGS]);
	EXPECT_EQ(-ENOENT, session_get(self->nl, sid, &s));
	EXPECT_EQ(-ENOENT, session_del(self->nl, sid));
	EXPECT_EQ(0, session_del(self->nl, csid));
}

/*
 * Disconnect, then connect to an unrelated server: the new connection is
 * not the session's. The server gets nothing while the application is
 * silent (2.5 keepalive periods), then exactly the application's bytes,
 * and nothing more for 2.5 periods.
 */
TEST_F(unpriv, disconnect_reconnect_never_pinged)
{
	static const uint8_t hello[] = "application bytes only";
	int app, peer, lfd2, port2, srv;
	struct sockaddr_storage ss;
	uint8_t buf[64];
	socklen_t len;
	long sid;
	ssize_t n;
	double t0;

	sid = watched_conn(_metadata, self, NULL, &app, &peer);
	ASSERT_LT(0, sid);
	lfd2 = keep(self, tcp_listener("127.0.0.1", &port2));
	ASSERT_LE(0, lfd2);
	t0 = now_ms();
	ASSERT_EQ(0, disconnect(app));
	len = sockaddr_fill(&ss, "127.0.0.1", port2);
	ASSERT_EQ(0, connect(app, (void *)&ss, len)) TH_LOG("reconnect: %s", strerror(errno));
	srv = keep(self, accept_within(lfd2, 2000));
	ASSERT_LE(0, srv);

	EXPECT_TRUE(stream_quiet(srv, 2500)) {
		n = read_exact(srv, buf, sizeof(buf), 0, NULL);
		TH_LOG("the unrelated server got %s before the application wrote", hex(buf, n));
	}
	ASSERT_EQ(0, send_all(app, hello, sizeof(hello), 0));
	n = read_exact(srv, buf, sizeof(hello), 2000, NULL);
	ASSERT_EQ((ssize_t)sizeof(hello), n);
	EXPECT_EQ(0, memcmp(buf, hello, sizeof(hello))) TH_LOG("the server read %s", hex(buf, n));
	EXPECT_TRUE(stream_quiet(srv, 2500)) {
		n = read_exact(srv, buf, sizeof(buf), 0, NULL);
		TH_LOG("after the application's bytes the server got %s", hex(buf, n));
	}
	expect_disconnected(_metadata, self, sid, t0);
}

/*
 * Disconnect, listen() on the same fd, accept children; clients close
 * (each child gets the FIN: its state changes), the old session is
 * deleted (ENOENT: it ended at the disconnect), the remaining children
 * close. Nothing may touch freed memory: the guest oopses if it does
 * (last in the file, so that such an oops hides no other result).
 */
TEST_F(unpriv, disconnect_listen_children)
{
	int app, peer, lport = 0, cli[6], child[6], i;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	long sid;
	double t0;

	sid = watched_conn(_metadata, self, SET(COAP_KA_A_KEEPALIVE_SECS, 60), &app, &peer);
	ASSERT_LT(0, sid);
	t0 = now_ms();
	ASSERT_EQ(0, disconnect(app));
	ASSERT_EQ(0, listen(app, 16)) TH_LOG("listen after disconnect: %s", strerror(errno));
	ASSERT_EQ(0, getsockname(app, (void *)&ss, &len));
	lport = sockaddr_port(&ss);
	for (i = 0; i < 6; i++) {
		cli[i] = keep(self, connect_to(lport));
		ASSERT_LE(0, cli[i]) TH_LOG("connect to the listener: %s", strerror(-cli[i]));
		child[i] = keep(self, accept_within(app, 2000));
		ASSERT_LE(0, child[i]) TH_LOG("accept: %s", strerror(errno));
		/* some traffic on each child, both ways */
		ASSERT_EQ(0, send_all(child[i], coap_tcp_csm_msg, 2, 0));
		ASSERT_EQ(0, send_all(cli[i], coap_tcp_csm_msg, 2, 0));
	}
	expect_disconnected(_metadata, self, sid, t0);

	/* the clients of half the children close: a state change on each child */
	for (i = 0; i < 3; i++)
		drop(self, cli[i]);
	sleep_ms(200);
	EXPECT_EQ(-ENOENT, session_del(self->nl, sid)) TH_LOG("SESSION_DEL of the old id: %s",
							       self->nl->msg);
	/* whatever the module freed is past its grace period now */
	sleep_ms(500);
	for (i = 3; i < 6; i++)
		drop(self, cli[i]);
	sleep_ms(300);
	for (i = 0; i < 6; i++)
		drop(self, child[i]);
	/* the listener itself, then a moment for anything deferred */
	drop(self, app);
	sleep_ms(500);
	EXPECT_EQ(0, ctx_sessions(self->nl, self->ctx));
}

TEST_HARNESS_MAIN
