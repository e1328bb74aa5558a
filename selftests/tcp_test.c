// SPDX-License-Identifier: GPL-2.0
/*
 * TCP and kTLS keepalive (RFC 8323) on loopback pairs: the test plays both
 * the application (the socket handed to the kernel) and its peer.
 *
 * - the Ping (00 E2, or 00 00 with COAP_KA_F_EMPTY_PING) reaches the peer
 *   after the idle time and not before, the peer's bytes are its answer
 *   (PONG), a silent peer (nft drops what it sends) gives a NACK when the
 *   pong timeout runs out, and with COAP_KA_ACTION_ABORT the connection
 *   is aborted;
 * - message boundaries: no Ping before the application's first byte, none
 *   inside a frame held back with MSG_MORE (TCP and kTLS), and a stream of
 *   frames written nonstop arrives intact with the Pings between frames;
 * - kTLS (TLS 1.2 and 1.3, AES-GCM-128 and -256, fixed keys): the Ping is
 *   a record of its own that the peer decrypts, the application's later
 *   records still decrypt, and keys installed after the session began are
 *   used (nothing is sent in the clear);
 * - the end of a session: the peer's FIN or RST, the application's close
 *   or shutdown, SESSION_DEL, a network namespace going away, and no
 *   session object left once every test is done; and what SESSION_ADD
 *   refuses.
 *
 * On plain TCP, MSG_MORE holds a partial segment back only until TCP's
 * probe timer (about 200 ms) or an incoming ACK pushes it out; the tests
 * still require that the Ping never lands inside the frame.
 *
 * Time bounds: a Ping must not leave before the idle second (5 ms for the
 * jiffy the activity stamp is rounded to) and may be late by LATE_MS
 * under TCG. Arrival times at the peer are the kernel's receive stamps.
 */
#include <pthread.h>

#include "cka_tcp.h"
#include "kselftest_harness.h"
#include "cka_life.h"

#define EARLY_MS	5	/* one jiffy at HZ=250, plus rounding */
#define LATE_MS		600	/* a Ping within 1.0-1.6 s of the last activity */
#define PONG_LAG_MS	650	/* the module's 250 ms poll at most, plus scheduling */
#define NACK_LATE_MS	400
#define GONE_MS		1000
#define NFT_TABLE	"ckatest"

/* ------------------------------------------------------------------ */
/* helpers                                                             */

static long ms_between(double t0, double t)
{
	return (long)(t - t0);
}

static const char *hex(const uint8_t *b, ssize_t n)
{
	static char s[3 * 64 + 1];
	ssize_t i;

	s[0] = 0;
	for (i = 0; i < n && i < 64; i++)
		snprintf(s + 3 * i, 4, "%02x ", b[i]);
	return s;
}

/* An u32 settings list: (type, value) pairs ended by 0. */
#define SET(...)	((const uint32_t[]){ __VA_ARGS__, 0 })

/*
 * The peer side of a kTLS pair, read raw: records are read off the wire
 * and decrypted one by one (tls_relay), so the test sees each record's
 * length and type as well as its plaintext.
 */
struct rec {
	uint8_t raw[20000];
	ssize_t rawlen;		/* 0: none came in time */
	uint8_t pt[20000];
	ssize_t ptlen;		/* -errno if it did not decrypt */
	uint8_t type;
	double t;		/* arrival of its first byte */
};

static void read_rec(int fd, struct tls_relay *rl, int ms, struct rec *r)
{
	r->ptlen = -ENODATA;
	r->type = 0;
	r->rawlen = tls_read_record(fd, r->raw, sizeof(r->raw), ms, &r->t);
	if (r->rawlen > 0)
		r->ptlen = tls_relay_decrypt(rl, r->raw, r->rawlen, r->pt, sizeof(r->pt),
					     &r->type);
}

/* Wait at most @ms for session @sid to be gone (SESSION_GET: ENOENT). */
static int session_wait_gone(struct cka_nl *nl, long sid, int ms)
{
	double end = now_ms() + ms;
	struct cka_ev s;
	int err;

	while ((err = session_get(nl, sid, &s)) != -ENOENT && now_ms() < end)
		sleep_ms(20);
	return err;
}

/*
 * SESSION_GET of @sid into @s once its Ping count reached @pings (at most
 * 1 s): the count follows the Ping by a moment, as the module takes it
 * after the write, when the peer may already have read the Ping.
 */
static int session_get_pings(struct cka_nl *nl, long sid, uint32_t pings,
			     struct cka_ev *s)
{
	double end = now_ms() + 1000;
	int err;

	while (!(err = session_get(nl, sid, s)) && s->v[COAP_KA_A_PINGS] < pings &&
	       now_ms() < end)
		sleep_ms(10);
	return err;
}

/*
 * Receive timestamps are switched on by a static key that the kernel
 * flips (text patching, from a work item) when the first socket asks for
 * them and after the last one that did is gone. Keep one such socket open
 * for the whole run, so that the peers' tcp_stamp_arrivals() do not flip
 * it test after test: the tests are about the module's code, not about
 * that patching.
 */
static void __attribute__((constructor)) stamps_stay_on(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0), one = 1;

	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
}

/* ------------------------------------------------------------------ */
/* plain TCP                                                           */

FIXTURE(tcp) {
	struct cka_nl *nl;
	struct cka_nl *ev;
	long ctx;
	int app, peer;
};

FIXTURE_SETUP(tcp)
{
	self->app = self->peer = -1;
	self->nl = cka_open();
	ASSERT_NE(NULL, self->nl);
	self->ev = open_events();
	ASSERT_NE(NULL, self->ev);
	self->ctx = cka_ctx_new(self->nl, SET(COAP_KA_A_KEEPALIVE_SECS, 1), NULL);
	ASSERT_LT(0, self->ctx) TH_LOG("%s", self->nl->msg);
}

FIXTURE_TEARDOWN(tcp)
{
	nft_table_del(NFT_TABLE);
	if (self->app >= 0)
		close(self->app);
	if (self->peer >= 0)
		close(self->peer);
	cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, self->ctx, NULL, NULL);
	cka_close(self->ev);
	cka_close(self->nl);
}

/*
 * A pair over @addr where the application has sent its CSM and the peer
 * has read it; *@t_act is when the CSM was sent (the last activity).
 */
static void csm_pair(struct __test_metadata *_metadata, FIXTURE_DATA(tcp) *self,
		     const char *addr, double *t_act)
{
	uint8_t buf[2];

	ASSERT_EQ(0, tcp_pair(addr, &self->app, &self->peer));
	ASSERT_EQ(0, tcp_stamp_arrivals(self->peer));
	*t_act = now_ms();
	ASSERT_EQ(0, send_all(self->app, coap_tcp_csm_msg, 2, 0));
	ASSERT_EQ(2, read_exact(self->peer, buf, 2, 2000, NULL));
	ASSERT_EQ(0, memcmp(buf, coap_tcp_csm_msg, 2));
}

/*
 * The application sends its CSM; after the idle second the peer reads
 * exactly a Ping (00 E2, or 00 00 with @flags COAP_KA_F_EMPTY_PING) and
 * answers it (10 E3 20; nothing with EMPTY_PING, where TCP's ACK is the
 * answer): PONG, and the counters say one Ping, one Pong.
 */
static void ping_pong(struct __test_metadata *_metadata, FIXTURE_DATA(tcp) *self,
		      const char *addr, uint32_t flags)
{
	const uint8_t *want = flags & COAP_KA_F_EMPTY_PING ? coap_tcp_empty_msg
							   : coap_tcp_ping_msg;
	struct sockaddr_storage pa;
	double t_act, t_ping, t_pong;
	struct cka_ev r, ev, s;
	uint8_t buf[16];
	long sid, dt;

	csm_pair(_metadata, self, addr, &t_act);
	sid = tcp_session_add(self->nl, self->ctx, self->app, -1,
			      flags ? SET(COAP_KA_A_FLAGS, flags) : NULL, &r);
	ASSERT_LT(0, sid) TH_LOG("SESSION_ADD: %s (%s)", strerror(-sid), self->nl->msg);
	EXPECT_EQ(COAP_KA_TRANSPORT_TCP, r.v[COAP_KA_A_TRANSPORT]);
	EXPECT_TRUE(ev_has(&r, COAP_KA_A_TRANSPORT));
	EXPECT_EQ(cka_sock_ino(self->app), r.ino);
	EXPECT_EQ(sock_port(self->peer), r.port);
	sockaddr_fill(&pa, addr, 0);
	EXPECT_EQ(pa.ss_family, r.family);
	if (pa.ss_family == AF_INET) {
		EXPECT_EQ(0, memcmp(&((struct sockaddr_in *)&pa)->sin_addr, &r.addr, 4));
	} else {
		EXPECT_EQ(0, memcmp(&((struct sockaddr_in6 *)&pa)->sin6_addr, &r.addr, 16));
	}

	ASSERT_EQ(2, read_exact(self->peer, buf, 2, 1000 + LATE_MS + 1500, &t_ping))
		TH_LOG("no Ping within %d ms", 1000 + LATE_MS + 1500);
	dt = ms_between(t_act, t_ping);
	EXPECT_EQ(0, memcmp(buf, want, 2)) TH_LOG("the peer read %s", hex(buf, 2));
	EXPECT_LE(1000 - EARLY_MS, dt) TH_LOG("Ping %ld ms after the last activity", dt);
	EXPECT_GE(1000 + LATE_MS, dt) TH_LOG("Ping %ld ms after the last activity", dt);
	/* exactly those two bytes */
	EXPECT_TRUE(stream_quiet(self->peer, 200)) {
		ssize_t n = read_exact(self->peer, buf, sizeof(buf), 0, NULL);

		TH_LOG("more after the Ping: %s", hex(buf, n));
	}

	t_pong = now_ms();
	if (!(flags & COAP_KA_F_EMPTY_PING)) {
		ASSERT_EQ(0, send_all(self->peer, coap_tcp_pong_msg, 3, 0));
	}
	ASSERT_EQ(0, ev_wait(self->ev, COAP_KA_CMD_PONG_NTF, sid, 2000, &ev))
		TH_LOG("no PONG");
	EXPECT_GE(PONG_LAG_MS, ms_between(t_pong, ev.t));
	EXPECT_EQ(self->ctx, ev.v[COAP_KA_A_CTX_ID]);
	EXPECT_EQ(cka_sock_ino(self->app), ev.ino);
	EXPECT_EQ(sock_port(self->peer), ev.port);
	EXPECT_EQ(pa.ss_family, ev.family);
	EXPECT_TRUE(ev_has(&ev, COAP_KA_A_RTT_US));
	TH_LOG("[%s] Ping %ld ms after the CSM, PONG %ld ms after the answer, rtt %u us",
	       addr, dt, ms_between(t_pong, ev.t), ev.v[COAP_KA_A_RTT_US]);

	/* the answer is the application's, untouched */
	if (!(flags & COAP_KA_F_EMPTY_PING)) {
		ASSERT_EQ(3, read_exact(self->app, buf, 3, 1000, NULL));
		EXPECT_EQ(0, memcmp(buf, coap_tcp_pong_msg, 3));
	}
	EXPECT_TRUE(stream_quiet(self->app, 0));

	ASSERT_EQ(0, session_get_pings(self->nl, sid, 1, &s));
	EXPECT_EQ(1, s.v[COAP_KA_A_PINGS]);
	EXPECT_EQ(1, s.v[COAP_KA_A_PONGS]);
	EXPECT_EQ(0, s.v[COAP_KA_A_NACKS]);
	EXPECT_EQ(COAP_KA_TRANSPORT_TCP, s.v[COAP_KA_A_TRANSPORT]);

	close(self->app);
	self->app = -1;
	ASSERT_EQ(0, ev_wait(self->ev, COAP_KA_CMD_SESSION_GONE_NTF, sid, GONE_MS, &ev));
	EXPECT_EQ(COAP_KA_GONE_CLOSED, ev.v[COAP_KA_A_GONE_REASON]);
}

TEST_F(tcp, ipv4_ping_pong)
{
	ping_pong(_metadata, self, "127.0.0.1", 0);
}

TEST_F(tcp, ipv6_ping_pong)
{
	ping_pong(_metadata, self, "::1", 0);
}

TEST_F(tcp, ipv4_empty_ping_acked)
{
	ping_pong(_metadata, self, "127.0.0.1", COAP_KA_F_EMPTY_PING);
}

TEST_F(tcp, ipv6_empty_ping_acked)
{
	ping_pong(_metadata, self, "::1", COAP_KA_F_EMPTY_PING);
}

/*
 * No Ping before the application's first byte, even with the peer's CSM
 * received and the session idle for over two intervals; the Ping follows
 * the application's CSM by the idle second.
 */
TEST_F(tcp, no_ping_before_first_byte)
{
	double t_act, t_ping;
	struct cka_ev s;
	uint8_t buf[4];
	long sid, dt;

	ASSERT_EQ(0, tcp_pair("127.0.0.1", &self->app, &self->peer));
	ASSERT_EQ(0, tcp_stamp_arrivals(self->peer));
	sid = tcp_session_add(self->nl, self->ctx, self->app, -1, NULL, NULL);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);
	/* the peer speaks first: data received does not open the stream */
	ASSERT_EQ(0, send_all(self->peer, coap_tcp_csm_msg, 2, 0));
	ASSERT_EQ(2, read_exact(self->app, buf, 2, 1000, NULL));

	EXPECT_TRUE(stream_quiet(self->peer, 2500)) {
		ssize_t n = read_exact(self->peer, buf, sizeof(buf), 0, NULL);

		TH_LOG("the peer got %s before the application wrote", hex(buf, n));
	}
	ASSERT_EQ(0, session_get(self->nl, sid, &s));
	EXPECT_EQ(0, s.v[COAP_KA_A_PINGS]);

	t_act = now_ms();
	ASSERT_EQ(0, send_all(self->app, coap_tcp_csm_msg, 2, 0));
	ASSERT_EQ(2, read_exact(self->peer, buf, 2, 1000, NULL));
	EXPECT_EQ(0, memcmp(buf, coap_tcp_csm_msg, 2));
	ASSERT_EQ(2, read_exact(self->peer, buf, 2, 1000 + LATE_MS + 1500, &t_ping))
		TH_LOG("no Ping after the CSM");
	dt = ms_between(t_act, t_ping);
	EXPECT_EQ(0, memcmp(buf, coap_tcp_ping_msg, 2)) TH_LOG("%s", hex(buf, 2));
	EXPECT_LE(1000 - EARLY_MS, dt);
	EXPECT_GE(1000 + LATE_MS, dt);
	TH_LOG("Ping %ld ms after the application's first byte", dt);
	ASSERT_EQ(0, session_get_pings(self->nl, sid, 1, &s));
	EXPECT_EQ(1, s.v[COAP_KA_A_PINGS]);
}

/*
 * A frame put together under TCP_CORK, held past the idle second: the
 * Ping waits until the frame is complete and the cork is off, then
 * follows it; it never lands inside the frame. (TCP itself sends a
 * corked partial segment once its probe timer runs out, about 200 ms
 * later, so the peer may see that part; the cork still says a message
 * is being put together.) A part held with MSG_MORE alone leaves no such
 * trace once TCP has sent it: that is the limit documented at session-add
 * in the spec, and the stream-integrity tests cover MSG_MORE without pauses.
 */
TEST_F(tcp, cork_frame_not_split)
{
	int one = 1, zero = 0;
	uint8_t frame[64], tok[4] = { 1, 2, 3, 4 }, body[21], buf[128];
	double t_act, t_hold, t_rest, t_ping, t_byte[128];
	size_t flen, head = 5;
	ssize_t n, got;
	struct cka_ev s;
	long sid;

	memset(body, 0x5a, sizeof(body));
	body[0] = 0xff;
	flen = coap_tcp_frame(frame, 0x02, tok, 4, body, sizeof(body));
	csm_pair(_metadata, self, "127.0.0.1", &t_act);
	sid = tcp_session_add(self->nl, self->ctx, self->app, -1, NULL, NULL);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);

	t_hold = now_ms();
	ASSERT_EQ(0, setsockopt(self->app, IPPROTO_TCP, TCP_CORK, &one, sizeof(one)));
	ASSERT_EQ(0, send_all(self->app, frame, head, 0));
	/* held 2.5 s: only a part of the frame may come, never a Ping */
	for (got = 0; got < (ssize_t)sizeof(buf); got++) {
		int left = t_hold + 2500 - now_ms();

		n = read_exact(self->peer, buf + got, 1, left < 0 ? 0 : left, &t_byte[got]);
		if (n != 1)
			break;
	}
	EXPECT_GE(head, got) {
		ssize_t i;

		TH_LOG("during the hold the peer got %s", hex(buf, got));
		for (i = 0; i < got; i++)
			TH_LOG("byte %zd (%02x) arrived %ld ms into the hold", i, buf[i],
			       ms_between(t_hold, t_byte[i]));
	}
	EXPECT_EQ(0, memcmp(buf, frame, got < (ssize_t)head ? got : (ssize_t)head));
	TH_LOG("during the hold the peer got %zd of the %zu held bytes%s%ld ms", got, head,
	       got ? ", the first after " : "", got ? ms_between(t_hold, t_byte[0]) : 0);
	ASSERT_EQ(0, session_get(self->nl, sid, &s));
	EXPECT_EQ(0, s.v[COAP_KA_A_PINGS]);

	t_rest = now_ms();
	ASSERT_EQ(0, send_all(self->app, frame + head, flen - head, 0));
	ASSERT_EQ(0, setsockopt(self->app, IPPROTO_TCP, TCP_CORK, &zero, sizeof(zero)));
	if (got > (ssize_t)head)
		got = head;
	n = read_exact(self->peer, buf + got, flen - got, 2000, NULL);
	ASSERT_EQ((ssize_t)(flen - got), n);
	EXPECT_EQ(0, memcmp(buf, frame, flen)) TH_LOG("frame as read: %s", hex(buf, flen));
	ASSERT_EQ(2, read_exact(self->peer, buf, 2, 1000 + LATE_MS + 1500, &t_ping))
		TH_LOG("no Ping after the frame");
	EXPECT_EQ(0, memcmp(buf, coap_tcp_ping_msg, 2)) TH_LOG("%s", hex(buf, 2));
	EXPECT_GE(1000 + LATE_MS, ms_between(t_rest, t_ping));
	TH_LOG("Ping %ld ms after the frame was completed", ms_between(t_rest, t_ping));
	ASSERT_EQ(0, session_get_pings(self->nl, sid, 1, &s));
	EXPECT_EQ(1, s.v[COAP_KA_A_PINGS]);
}

/*
 * The peer never answers: every segment it sends is dropped on its way
 * (nft), so neither data nor ACKs reach the application. The Ping still
 * reaches the peer; the NACK (no pong) comes pong_timeout after it.
 */
static void silent_peer(struct __test_metadata *_metadata, FIXTURE_DATA(tcp) *self,
			uint32_t flags, uint32_t action)
{
	const uint32_t *set = SET(COAP_KA_A_PONG_TIMEOUT_MS, 500, COAP_KA_A_FLAGS, flags,
				  COAP_KA_A_ACTION, action);
	struct cka_ev ev, s;
	double t_act, t_ping, t_gone;
	uint8_t buf[16];
	ssize_t n;
	long sid, dt;

	csm_pair(_metadata, self, "127.0.0.1", &t_act);
	/*
	 * Silence the peer first: nft takes a while on a slow kernel, and
	 * the Pings of rounds before the rule would be answered or counted.
	 */
	ASSERT_EQ(0, nft_drop_sport(NFT_TABLE, sock_port(self->peer)))
		TH_LOG("nft could not install the drop rule");
	sid = tcp_session_add(self->nl, self->ctx, self->app, -1, set, NULL);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);

	ASSERT_EQ(2, read_exact(self->peer, buf, 2, 1000 + LATE_MS + 1500, &t_ping));
	EXPECT_EQ(0, memcmp(buf, flags & COAP_KA_F_EMPTY_PING ? coap_tcp_empty_msg
							       : coap_tcp_ping_msg, 2));
	ASSERT_EQ(0, ev_wait(self->ev, COAP_KA_CMD_NACK_NTF, sid, 500 + 3000, &ev))
		TH_LOG("no NACK");
	dt = ms_between(t_ping, ev.t);
	EXPECT_EQ(COAP_KA_NACK_NO_PONG, ev.v[COAP_KA_A_NACK_REASON]);
	EXPECT_LE(500 - EARLY_MS, dt) TH_LOG("NACK %ld ms after the Ping", dt);
	EXPECT_GE(500 + NACK_LATE_MS, dt) TH_LOG("NACK %ld ms after the Ping", dt);
	TH_LOG("NACK %ld ms after the Ping arrived (pong timeout 500)", dt);

	if (action != COAP_KA_ACTION_ABORT) {
		ASSERT_EQ(0, session_get(self->nl, sid, &s));
		EXPECT_EQ(1, s.v[COAP_KA_A_NACKS]);
		EXPECT_EQ(0, s.v[COAP_KA_A_PONGS]);
		EXPECT_LE(1, s.v[COAP_KA_A_PINGS]);
		return;
	}

	/* aborted like TCP keepalive: ETIMEDOUT for the application, RST out */
	setsockopt(self->app, SOL_SOCKET, SO_RCVTIMEO,
		   &(struct timeval){ .tv_sec = 5 }, sizeof(struct timeval));
	n = recv(self->app, buf, sizeof(buf), 0);
	t_gone = now_ms();
	EXPECT_EQ(-1, n);
	EXPECT_EQ(ETIMEDOUT, errno) TH_LOG("the application's recv: %zd, %s", n,
					   strerror(errno));
	EXPECT_GE(1000, ms_between(ev.t, t_gone));
	ASSERT_EQ(0, ev_wait(self->ev, COAP_KA_CMD_SESSION_GONE_NTF, sid, 2000, &ev));
	EXPECT_EQ(COAP_KA_GONE_ABORTED, ev.v[COAP_KA_A_GONE_REASON]);
	EXPECT_EQ(-ENOENT, session_get(self->nl, sid, &s));
	n = read_exact(self->peer, buf, sizeof(buf), 2000, NULL);
	EXPECT_EQ(-ECONNRESET, n) TH_LOG("the peer read %zd after the abort", n);
}

TEST_F(tcp, silent_peer_nack)
{
	silent_peer(_metadata, self, 0, COAP_KA_ACTION_NOTIFY);
}

TEST_F(tcp, silent_peer_empty_ping_unacked_nack)
{
	silent_peer(_metadata, self, COAP_KA_F_EMPTY_PING, COAP_KA_ACTION_NOTIFY);
}

TEST_F(tcp, silent_peer_abort)
{
	silent_peer(_metadata, self, 0, COAP_KA_ACTION_ABORT);
}

/* A peer that is alive (ACKs) but never writes: a 7.02 Ping is not answered. */
TEST_F(tcp, quiet_peer_nack)
{
	double t_act, t_ping;
	struct cka_ev ev;
	uint8_t buf[2];
	long sid, dt;

	csm_pair(_metadata, self, "::1", &t_act);
	sid = tcp_session_add(self->nl, self->ctx, self->app, -1,
			      SET(COAP_KA_A_PONG_TIMEOUT_MS, 300), NULL);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);
	ASSERT_EQ(2, read_exact(self->peer, buf, 2, 1000 + LATE_MS + 1500, &t_ping));
	ASSERT_EQ(0, ev_wait(self->ev, 0, sid, 300 + 3000, &ev));
	EXPECT_EQ(COAP_KA_CMD_NACK_NTF, ev.cmd) TH_LOG("event %u instead of a NACK", ev.cmd);
	dt = ms_between(t_ping, ev.t);
	EXPECT_LE(300 - EARLY_MS, dt);
	EXPECT_GE(300 + NACK_LATE_MS, dt);
	TH_LOG("NACK %ld ms after the Ping arrived (pong timeout 300)", dt);
}

/* ------------------------------------------------------------------ */
/* the end of a session                                                */

static long gone_setup(struct __test_metadata *_metadata, FIXTURE_DATA(tcp) *self)
{
	double t_act;
	long sid;

	csm_pair(_metadata, self, "127.0.0.1", &t_act);
	sid = tcp_session_add(self->nl, self->ctx, self->app, -1,
			      SET(COAP_KA_A_KEEPALIVE_SECS, 60), NULL);
	if (sid <= 0)
		TH_LOG("SESSION_ADD: %s (%s)", strerror(-sid), self->nl->msg);
	return sid;
}

static void gone_check(struct __test_metadata *_metadata, FIXTURE_DATA(tcp) *self,
		       long sid, double t0, uint32_t reason)
{
	struct cka_ev ev, s;
	bool came = true;

	EXPECT_EQ(0, ev_wait(self->ev, COAP_KA_CMD_SESSION_GONE_NTF, sid, GONE_MS, &ev)) {
		int err = session_get(self->nl, sid, &s);
		struct tcp_info ti = {};
		socklen_t tl = sizeof(ti);

		if (self->app >= 0)
			getsockopt(self->app, IPPROTO_TCP, TCP_INFO, &ti, &tl);
		TH_LOG("no SESSION_GONE within %d ms; SESSION_GET: %s, state %u; the application's socket is in TCP state %u",
		       GONE_MS, strerror(-err), s.v[COAP_KA_A_STATE], ti.tcpi_state);
		if (!ev_wait(self->ev, 0, sid, 3000, &ev))
			TH_LOG("then event %u (gone reason %u) after %ld ms", ev.cmd,
			       ev.v[COAP_KA_A_GONE_REASON], ms_between(t0, ev.t));
		else
			TH_LOG("and no event of the session in 3 s more");
		came = false;
	}
	if (!came)
		return;
	EXPECT_EQ(reason, ev.v[COAP_KA_A_GONE_REASON]);
	EXPECT_EQ(self->ctx, ev.v[COAP_KA_A_CTX_ID]);
	TH_LOG("SESSION_GONE (reason %u) after %ld ms", ev.v[COAP_KA_A_GONE_REASON],
	       ms_between(t0, ev.t));
	EXPECT_EQ(-ENOENT, session_get(self->nl, sid, &s));
	EXPECT_EQ(0, ctx_sessions(self->nl, self->ctx));
}

TEST_F(tcp, peer_fin_gone)
{
	uint8_t buf[4];
	long sid = gone_setup(_metadata, self);
	double t0;

	ASSERT_LT(0, sid);
	t0 = now_ms();
	close(self->peer);
	self->peer = -1;
	gone_check(_metadata, self, sid, t0, COAP_KA_GONE_PEER_CLOSED);
	EXPECT_EQ(0, read_exact(self->app, buf, sizeof(buf), 1000, NULL));
}

TEST_F(tcp, peer_rst_gone)
{
	long sid = gone_setup(_metadata, self), before, after;
	uint8_t buf[4];
	double t0;

	ASSERT_LT(0, sid);
	before = session_objects();
	tcp_rst_on_close(self->peer);
	t0 = now_ms();
	close(self->peer);
	self->peer = -1;
	gone_check(_metadata, self, sid, t0, COAP_KA_GONE_PEER_RESET);
	EXPECT_EQ(-ECONNRESET, read_exact(self->app, buf, sizeof(buf), 1000, NULL));
	/* whatever happened, the session does not outlive the socket */
	close(self->app);
	self->app = -1;
	EXPECT_EQ(-ENOENT, session_wait_gone(self->nl, sid, GONE_MS));
	/*
	 * An object KFENCE served (kfence.sample_interval=10 in the test
	 * guests) is in no cache's count: then there is nothing to count.
	 */
	if (before < 1) {
		TH_LOG("the session is not in the caches' count (KFENCE's?): not counted");
		return;
	}
	after = session_wait(before - 1, 3000);
	EXPECT_GE(before - 1, after) TH_LOG("coap_ka_session: %ld with the session, %ld after the close",
					    before, after);
}

TEST_F(tcp, app_close_gone)
{
	long sid = gone_setup(_metadata, self);
	double t0;

	ASSERT_LT(0, sid);
	t0 = now_ms();
	close(self->app);
	self->app = -1;
	gone_check(_metadata, self, sid, t0, COAP_KA_GONE_CLOSED);
}

/* Shut down for sending: the session ends, the socket still receives. */
TEST_F(tcp, app_shutdown_wr_gone)
{
	long sid = gone_setup(_metadata, self);
	uint8_t buf[4];
	double t0;

	ASSERT_LT(0, sid);
	t0 = now_ms();
	ASSERT_EQ(0, shutdown(self->app, SHUT_WR));
	gone_check(_metadata, self, sid, t0, COAP_KA_GONE_CLOSED);
	EXPECT_EQ(0, read_exact(self->peer, buf, sizeof(buf), 1000, NULL));
	ASSERT_EQ(0, send_all(self->peer, coap_tcp_pong_msg, 3, 0));
	EXPECT_EQ(3, read_exact(self->app, buf, 3, 1000, NULL));
	EXPECT_EQ(0, memcmp(buf, coap_tcp_pong_msg, 3));
}

/*
 * SESSION_DEL hands the socket back: GONE (removed), the socket may get a
 * session again, and once that one is deleted too no Ping comes.
 */
TEST_F(tcp, session_del_stops_pings)
{
	struct cka_ev ev;
	double t_act;
	long sid;

	csm_pair(_metadata, self, "127.0.0.1", &t_act);
	sid = tcp_session_add(self->nl, self->ctx, self->app, -1, NULL, NULL);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);
	ASSERT_EQ(0, session_del(self->nl, sid));
	ASSERT_EQ(0, ev_wait(self->ev, COAP_KA_CMD_SESSION_GONE_NTF, sid, GONE_MS, &ev));
	EXPECT_EQ(COAP_KA_GONE_REMOVED, ev.v[COAP_KA_A_GONE_REASON]);
	sid = tcp_session_add(self->nl, self->ctx, self->app, -1, NULL, NULL);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);
	ASSERT_EQ(0, session_del(self->nl, sid));
	/* keepalive 1 s: a Ping would be there by 1.6 s */
	EXPECT_TRUE(stream_quiet(self->peer, 1000 + LATE_MS + 400));
}

/* ------------------------------------------------------------------ */
/* refusals                                                            */

#define EXPECT_REFUSED(err, call) do {						\
	long __r = (call);							\
	EXPECT_EQ(-(err), __r) TH_LOG(#call ": %ld (%s)", __r, self->nl->msg);	\
	EXPECT_NE(0, self->nl->msg[0]) TH_LOG(#call ": no extack message");	\
} while (0)

TEST_F(tcp, refusals)
{
	int lfd, ufd, fd, port;
	long sid;

	lfd = tcp_listener("127.0.0.1", &port);
	ASSERT_LE(0, lfd);
	EXPECT_REFUSED(EINVAL, tcp_session_add(self->nl, self->ctx, lfd, -1, NULL, NULL));
	EXPECT_REFUSED(EINVAL, tcp_session_add(self->nl, self->ctx, lfd,
					       COAP_KA_TRANSPORT_TCP, NULL, NULL));

	fd = socket(AF_INET6, SOCK_STREAM, 0);
	ASSERT_LE(0, fd);
	EXPECT_REFUSED(ENOTCONN, tcp_session_add(self->nl, self->ctx, fd, -1, NULL, NULL));
	EXPECT_REFUSED(ENOTCONN, tcp_session_add(self->nl, self->ctx, fd,
						 COAP_KA_TRANSPORT_TCP, NULL, NULL));
	close(fd);
	close(lfd);

	ASSERT_EQ(0, tcp_pair("127.0.0.1", &self->app, &self->peer));
	ASSERT_EQ(0, send_all(self->app, coap_tcp_csm_msg, 2, 0));
	EXPECT_REFUSED(EINVAL, tcp_session_add(self->nl, self->ctx, self->app,
					       COAP_KA_TRANSPORT_UDP, NULL, NULL));
	EXPECT_REFUSED(EOPNOTSUPP, tcp_session_add(self->nl, self->ctx, self->app,
						   COAP_KA_TRANSPORT_DTLS, NULL, NULL));

	ufd = udp_connected_to("127.0.0.1", port);
	ASSERT_LE(0, ufd);
	EXPECT_REFUSED(EINVAL, tcp_session_add(self->nl, self->ctx, ufd,
					       COAP_KA_TRANSPORT_TCP, NULL, NULL));
	EXPECT_REFUSED(EINVAL, tcp_session_add(self->nl, self->ctx, ufd,
					       COAP_KA_TRANSPORT_TLS, NULL, NULL));
	close(ufd);

	/* none of that left a session behind */
	EXPECT_EQ(0, session_dump(self->nl, self->ctx, NULL, 0));

	sid = tcp_session_add(self->nl, self->ctx, self->app, COAP_KA_TRANSPORT_TCP, NULL, NULL);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);
	EXPECT_REFUSED(EEXIST, tcp_session_add(self->nl, self->ctx, self->app, -1, NULL, NULL));
	EXPECT_REFUSED(EEXIST, tcp_session_add(self->nl, self->ctx, self->app,
					       COAP_KA_TRANSPORT_TCP, NULL, NULL));
	EXPECT_EQ(1, session_dump(self->nl, self->ctx, NULL, 0));
	EXPECT_EQ(1, ctx_sessions(self->nl, self->ctx));
}

/* ------------------------------------------------------------------ */
/* stream integrity                                                    */

#define STREAM_MS	6000
#define PLEN_MAX	700

struct stream {
	int app, peer;
	bool msg_more;
	double end;
	volatile uint32_t sent;	/* frames written, once done */
	int werr;
	volatile bool done;
};

static size_t stream_frame(uint8_t *frame, uint32_t seq, size_t *head)
{
	uint8_t tok[4] = { seq >> 24, seq >> 16, seq >> 8, seq };
	uint8_t body[PLEN_MAX + 1];
	size_t plen = (seq * 53) % (PLEN_MAX + 1), i, n;

	body[0] = 0xff;
	for (i = 0; i < plen; i++)
		body[1 + i] = seq * 7 + i;
	n = coap_tcp_frame(frame, 0x02, tok, 4, body, plen ? plen + 1 : 0);
	*head = n - (plen ? plen + 1 : 0);
	return n;
}

/*
 * Bursts of STREAM_BURST_MS, then a pause of STREAM_PAUSE_MS, as a real
 * application writes: the bursts fill the send buffer (the writer blocks
 * in the middle of frames, when the kernel must not ping), the pauses
 * leave room for Pings.
 */
#define STREAM_BURST_MS	400
#define STREAM_PAUSE_MS	350

static void *stream_writer(void *p)
{
	struct stream *st = p;
	uint8_t frame[PLEN_MAX + 16];
	double burst = now_ms();
	uint32_t seq;

	for (seq = 0; now_ms() < st->end; seq++) {
		size_t head, n = stream_frame(frame, seq, &head);
		int err;

		if (now_ms() - burst > STREAM_BURST_MS) {
			sleep_ms(STREAM_PAUSE_MS);
			burst = now_ms();
		}

		if (st->msg_more && head < n) {
			err = send_all(st->app, frame, head, MSG_MORE);
			/* now and then the body takes a while to compute */
			if (!err && !(seq % 50))
				sleep_ms(20);
			if (!err)
				err = send_all(st->app, frame + head, n - head, 0);
		} else {
			err = send_all(st->app, frame, n, 0);
		}
		if (err) {
			st->werr = -err;
			break;
		}
	}
	st->sent = seq;
	st->done = true;
	return NULL;
}

/* Check one data frame against what frame @seq must be. */
static bool stream_frame_ok(const uint8_t *buf, size_t len, uint32_t seq)
{
	uint8_t want[PLEN_MAX + 16];
	size_t head, n = stream_frame(want, seq, &head);

	return n == len && !memcmp(buf, want, n);
}

/*
 * The application writes RFC 8323 frames nonstop for STREAM_MS (activity
 * RX: it is pinged while it writes; with @msg_more the header goes with
 * MSG_MORE, then the body, every 50th one 20 ms later), the peer parses
 * every byte and
 * answers each Ping. Every frame must arrive whole and in order, the
 * Pings between frames, nothing unparsable.
 */
static void stream_integrity(struct __test_metadata *_metadata, FIXTURE_DATA(tcp) *self,
			     bool msg_more, const struct ktls_keys *a2p,
			     const struct ktls_keys *p2a)
{
	const uint32_t *set = SET(COAP_KA_A_KEEPALIVE_SECS, 1, COAP_KA_A_PONG_TIMEOUT_MS, 500,
				  COAP_KA_A_ACTIVITY, COAP_KA_ACTIVITY_RX);
	static uint8_t buf[1 << 17];
	uint32_t expect = 0, pings = 0, pings_between = 0, pongs = 0, nacks = 0, other = 0;
	size_t have = 0, total = 0;
	struct stream st = {};
	struct cka_ev ev, s;
	bool bad = false, last_was_frame = false;
	pthread_t th;
	double hard_end;
	int sz = 65536;
	long sid;

	ASSERT_EQ(0, tcp_pair("127.0.0.1", &self->app, &self->peer));
	setsockopt(self->app, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(self->peer, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (a2p) {
		ASSERT_EQ(0, ktls_pair(self->app, self->peer, a2p, p2a));
	}
	ASSERT_EQ(0, send_all(self->app, coap_tcp_csm_msg, 2, 0));
	ASSERT_EQ(2, read_exact(self->peer, buf, 2, 2000, NULL));
	sid = tcp_session_add(self->nl, self->ctx, self->app, -1, set, NULL);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);

	st.app = self->app;
	st.peer = self->peer;
	st.msg_more = msg_more;
	st.end = now_ms() + STREAM_MS;
	hard_end = st.end + 20000;
	ASSERT_EQ(0, pthread_create(&th, NULL, stream_writer, &st));

	while (!bad && now_ms() < hard_end) {
		struct coap_tcp_msg m;
		size_t off = 0;
		ssize_t n;

		if (st.done && expect == st.sent && !have)
			break;
		n = read_exact(self->peer, buf + have, sizeof(buf) - have, 0, NULL);
		if (n < 0) {
			TH_LOG("peer recv: %s", strerror(-n));
			bad = true;
			break;
		}
		if (!n) {
			stream_quiet(self->peer, 20);
			continue;
		}
		have += n;
		total += n;
		while (!bad) {
			n = coap_tcp_parse(buf + off, have - off, &m);
			if (n == 0)
				break;
			if (n < 0) {
				TH_LOG("unparsable at stream byte %zu: %s", total - have + off,
				       hex(buf + off, have - off < 16 ? have - off : 16));
				bad = true;
				break;
			}
			if (m.code == COAP_TCP_PING && m.len == 2) {
				pings++;
				if (last_was_frame)
					pings_between++;
				last_was_frame = false;
				if (send_all(self->peer, coap_tcp_pong_msg, 3, 0)) {
					TH_LOG("the peer could not answer");
					bad = true;
				}
			} else if (m.code == 0x02 && m.tkl == 4 &&
				   stream_frame_ok(buf + off, m.len, expect)) {
				expect++;
				last_was_frame = true;
			} else {
				TH_LOG("frame %u expected at stream byte %zu, found code %#x tkl %u len %zu: %s",
				       expect, total - have + off, m.code, m.tkl, m.len,
				       hex(buf + off, m.len < 24 ? m.len : 24));
				bad = true;
			}
			off += n;
		}
		memmove(buf, buf + off, have - off);
		have -= off;
	}
	/* after a failure, keep reading so that the writer can finish */
	while (!st.done && now_ms() < hard_end) {
		if (read_exact(self->peer, buf, sizeof(buf), 100, NULL) < 0)
			break;
	}
	pthread_join(th, NULL);

	EXPECT_FALSE(bad);
	EXPECT_EQ(0, st.werr) TH_LOG("the application's send: %s", strerror(st.werr));
	EXPECT_TRUE(st.done);
	EXPECT_EQ(st.sent, expect) TH_LOG("%u frames written, %u parsed", st.sent, expect);
	EXPECT_EQ(0, have) TH_LOG("%zu bytes left unparsed", have);
	EXPECT_LE(3, pings_between) TH_LOG("only %u Pings between frames", pings_between);

	ASSERT_EQ(0, session_get(self->nl, sid, &s));
	while (!ev_next(self->ev, 0, &ev)) {
		if (ev.v[COAP_KA_A_SESSION_ID] != sid)
			continue;
		pongs += ev.cmd == COAP_KA_CMD_PONG_NTF;
		nacks += ev.cmd == COAP_KA_CMD_NACK_NTF;
		other += ev.cmd != COAP_KA_CMD_PONG_NTF && ev.cmd != COAP_KA_CMD_NACK_NTF;
	}
	/* what the kernel counts is what the peer got (one may be in flight) */
	EXPECT_LE(pings, s.v[COAP_KA_A_PINGS]);
	EXPECT_GE(pings + 1, s.v[COAP_KA_A_PINGS]);
	EXPECT_EQ(0, other);
	TH_LOG("%s%s: %u frames (%zu bytes) in %d ms, %u Pings read by the peer (%u between frames), session: pings %u pongs %u nacks %u; events: %u PONG %u NACK",
	       a2p ? "kTLS" : "TCP", msg_more ? " MSG_MORE" : "", expect, total, STREAM_MS,
	       pings, pings_between, s.v[COAP_KA_A_PINGS], s.v[COAP_KA_A_PONGS],
	       s.v[COAP_KA_A_NACKS], pongs, nacks);
}

TEST_F_TIMEOUT(tcp, stream_integrity_plain, 60)
{
	stream_integrity(_metadata, self, false, NULL, NULL);
}

TEST_F_TIMEOUT(tcp, stream_integrity_plain_msg_more, 60)
{
	stream_integrity(_metadata, self, true, NULL, NULL);
}

static void stream_integrity_tls(struct __test_metadata *_metadata, FIXTURE_DATA(tcp) *self,
				 bool msg_more)
{
	struct ktls_keys a2p, p2a;
	const char *why;

	why = ktls_probe(TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128);
	if (why)
		SKIP(return, "%s", why);
	ktls_keys_init(&a2p, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128, 1);
	ktls_keys_init(&p2a, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128, 2);
	stream_integrity(_metadata, self, msg_more, &a2p, &p2a);
}

TEST_F_TIMEOUT(tcp, stream_integrity_tls13, 60)
{
	stream_integrity_tls(_metadata, self, false);
}

TEST_F_TIMEOUT(tcp, stream_integrity_tls13_msg_more, 60)
{
	stream_integrity_tls(_metadata, self, true);
}

/*
 * 16 bytes from @app to @peer in the clear, standing in for the TLS
 * handshake; 0 once @peer read them.
 */
static int fake_handshake(int app, int peer)
{
	uint8_t hello[16], buf[16];

	memset(hello, 0x16, sizeof(hello));
	if (send_all(app, hello, sizeof(hello), 0))
		return -1;
	return read_exact(peer, buf, sizeof(buf), 2000, NULL) == sizeof(buf) ? 0 : -1;
}

/* Before kTLS has keys: nothing reaches @peer in 2.5 s, session @sid sent no Ping. */
static void quiet_before_keys(struct __test_metadata *_metadata, struct cka_nl *nl,
			      int peer, long sid)
{
	struct cka_ev s;
	uint8_t buf[16];

	EXPECT_TRUE(stream_quiet(peer, 2500)) {
		ssize_t n = read_exact(peer, buf, sizeof(buf), 0, NULL);

		TH_LOG("sent before the keys: %s", hex(buf, n));
	}
	ASSERT_EQ(0, session_get(nl, sid, &s));
	EXPECT_EQ(0, s.v[COAP_KA_A_PINGS]);
}

/*
 * A socket with the kTLS upper layer protocol but no keys yet (the
 * handshake is still running in userspace): the session is a TLS one
 * and nothing is sent until the transmit keys are there; then the Ping
 * follows the first record, sealed.
 */
TEST_F(tcp, ktls_ulp_without_keys_waits)
{
	const char *why = ktls_probe(TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128);
	struct ktls_keys a2p, p2a;
	struct tls_relay rl;
	struct cka_ev r, s;
	struct rec *rec;
	double t_act;
	long sid;

	if (why)
		SKIP(return, "%s", why);
	ktls_keys_init(&a2p, TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128, 5);
	ktls_keys_init(&p2a, TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128, 6);
	rec = malloc(sizeof(*rec));
	ASSERT_NE(NULL, rec);
	ASSERT_EQ(0, tls_relay_open(&rl, &a2p));
	ASSERT_EQ(0, tcp_pair("::1", &self->app, &self->peer));
	ASSERT_EQ(0, tcp_stamp_arrivals(self->peer));
	ASSERT_EQ(0, fake_handshake(self->app, self->peer));
	ASSERT_EQ(0, ktls_ulp(self->app));
	sid = tcp_session_add(self->nl, self->ctx, self->app, -1, NULL, &r);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);
	EXPECT_EQ(COAP_KA_TRANSPORT_TLS, r.v[COAP_KA_A_TRANSPORT]);

	quiet_before_keys(_metadata, self->nl, self->peer, sid);

	ASSERT_EQ(0, ktls_install(self->app, &a2p, &p2a));
	ASSERT_EQ(0, ktls_install(self->peer, &p2a, NULL));
	t_act = now_ms();
	ASSERT_EQ(0, send_all(self->app, coap_tcp_csm_msg, 2, 0));
	read_rec(self->peer, &rl, 2000, rec);
	ASSERT_EQ(2, rec->ptlen);
	EXPECT_EQ(0, memcmp(rec->pt, coap_tcp_csm_msg, 2));
	read_rec(self->peer, &rl, 1000 + LATE_MS + 1500, rec);
	ASSERT_EQ(2, rec->ptlen) TH_LOG("no sealed Ping: %zd, raw %s", rec->ptlen,
					hex(rec->raw, rec->rawlen));
	EXPECT_EQ(0, memcmp(rec->pt, coap_tcp_ping_msg, 2));
	EXPECT_EQ((ssize_t)(5 + 2 + ktls_overhead(&a2p)), rec->rawlen);
	EXPECT_LE(1000 - EARLY_MS, ms_between(t_act, rec->t));
	EXPECT_GE(1000 + LATE_MS, ms_between(t_act, rec->t));
	ASSERT_EQ(0, session_get_pings(self->nl, sid, 1, &s));
	EXPECT_EQ(1, s.v[COAP_KA_A_PINGS]);
	tls_relay_close(&rl);
	free(rec);
}

/* ------------------------------------------------------------------ */
/* network namespaces                                                  */

#define NS_PAIRS	3

/*
 * In a new network namespace: a context, NS_PAIRS plain TCP sessions and
 * (if kTLS works) a kTLS one, each pinged once with a Pong pending (the
 * peers do not answer). Writes the number of sessions and the session
 * cache's count to @out, then exits with everything open.
 */
static void netns_child(int out, void *arg)
{
	bool tls = *(bool *)arg;
	struct netns_report report = { 0, -1 };
	int app[NS_PAIRS + 1], peer[NS_PAIRS + 1], i, n = NS_PAIRS + tls;
	struct ktls_keys a2p, p2a;
	struct tls_relay rl;
	struct cka_nl *nl;
	uint8_t buf[64];
	struct rec *r;
	long ctx;

	ctx = netns_child_ctx(SET(COAP_KA_A_KEEPALIVE_SECS, 1,
				  COAP_KA_A_PONG_TIMEOUT_MS, 60000), &nl);
	if (ctx < 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (tcp_pair(i & 1 ? "::1" : "127.0.0.1", &app[i], &peer[i]))
			goto out;
		if (i == NS_PAIRS) {
			ktls_keys_init(&a2p, TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_256, 3);
			ktls_keys_init(&p2a, TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_256, 4);
			if (ktls_install(app[i], &a2p, &p2a) || ktls_install(peer[i], &p2a, NULL) ||
			    tls_relay_open(&rl, &a2p))
				goto out;
		}
		if (send_all(app[i], coap_tcp_csm_msg, 2, 0) ||
		    tcp_session_add(nl, ctx, app[i], -1, NULL, NULL) <= 0)
			goto out;
		report.sessions++;
	}
	for (i = 0; i < NS_PAIRS; i++)
		if (read_exact(peer[i], buf, 4, 1000 + LATE_MS + 1500, NULL) != 4 ||
		    memcmp(buf + 2, coap_tcp_ping_msg, 2))
			goto out;
	if (tls) {
		r = malloc(sizeof(*r));
		if (!r)
			goto out;
		read_rec(peer[NS_PAIRS], &rl, 2000, r);
		if (r->ptlen != 2 || memcmp(r->pt, coap_tcp_csm_msg, 2))
			goto out;
		read_rec(peer[NS_PAIRS], &rl, 1000 + LATE_MS + 1500, r);
		if (r->ptlen != 2 || memcmp(r->pt, coap_tcp_ping_msg, 2))
			goto out;
	}
	report.objects = session_objects();
out:
	netns_child_exit(out, &report);
}

/*
 * A namespace with TCP and kTLS sessions goes away (its only process
 * exits with every socket open; the sockets go first, as each pins the
 * namespace): every session and context is freed, and the module's
 * reference count is where it was.
 */
TEST_F(tcp, netns_exit_frees_sessions)
{
	bool tls = !ktls_probe(TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_256);

	netns_exit_check(_metadata, netns_child, &tls, NS_PAIRS + tls);
	TH_LOG("the namespace had %d TCP sessions %s a kTLS one", NS_PAIRS,
	       tls ? "and" : "without");
}

/* ------------------------------------------------------------------ */
/* kTLS                                                                */

FIXTURE(ktls) {
	struct cka_nl *nl;
	struct cka_nl *ev;
	long ctx;
	int app, peer;
	struct ktls_keys a2p, p2a;
	struct tls_relay rl;
	struct rec *r;
};

FIXTURE_VARIANT(ktls) {
	uint16_t version;
	uint16_t cipher;
};

FIXTURE_VARIANT_ADD(ktls, tls12_aes_gcm_128) {
	.version = TLS_1_2_VERSION, .cipher = TLS_CIPHER_AES_GCM_128,
};

FIXTURE_VARIANT_ADD(ktls, tls12_aes_gcm_256) {
	.version = TLS_1_2_VERSION, .cipher = TLS_CIPHER_AES_GCM_256,
};

FIXTURE_VARIANT_ADD(ktls, tls13_aes_gcm_128) {
	.version = TLS_1_3_VERSION, .cipher = TLS_CIPHER_AES_GCM_128,
};

FIXTURE_VARIANT_ADD(ktls, tls13_aes_gcm_256) {
	.version = TLS_1_3_VERSION, .cipher = TLS_CIPHER_AES_GCM_256,
};

FIXTURE_SETUP(ktls)
{
	const char *why;

	self->app = self->peer = self->rl.w = self->rl.r = -1;
	why = ktls_probe(variant->version, variant->cipher);
	if (why)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, ktls_keys_init(&self->a2p, variant->version, variant->cipher, 1));
	ASSERT_EQ(0, ktls_keys_init(&self->p2a, variant->version, variant->cipher, 2));
	ASSERT_EQ(0, tls_relay_open(&self->rl, &self->a2p));
	self->r = malloc(sizeof(*self->r));
	ASSERT_NE(NULL, self->r);
	self->nl = cka_open();
	ASSERT_NE(NULL, self->nl);
	self->ev = open_events();
	ASSERT_NE(NULL, self->ev);
	self->ctx = cka_ctx_new(self->nl, SET(COAP_KA_A_KEEPALIVE_SECS, 1), NULL);
	ASSERT_LT(0, self->ctx) TH_LOG("%s", self->nl->msg);
	ASSERT_EQ(0, tcp_pair("127.0.0.1", &self->app, &self->peer));
	ASSERT_EQ(0, tcp_stamp_arrivals(self->peer));
}

FIXTURE_TEARDOWN(ktls)
{
	if (self->app >= 0)
		close(self->app);
	if (self->peer >= 0)
		close(self->peer);
	tls_relay_close(&self->rl);
	cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, self->ctx, NULL, NULL);
	cka_close(self->ev);
	cka_close(self->nl);
	free(self->r);
}

/* The next record the peer reads decrypts to @want (@len bytes) within @ms. */
static bool next_record_is(struct __test_metadata *_metadata, FIXTURE_DATA(ktls) *self,
			   const uint8_t *want, size_t len, int ms)
{
	struct rec *r = self->r;

	read_rec(self->peer, &self->rl, ms, r);
	if (r->rawlen <= 0) {
		TH_LOG("no record within %d ms (%zd)", ms, r->rawlen);
		return false;
	}
	if (r->ptlen < 0) {
		TH_LOG("a %zd-byte record did not decrypt: %s; it began %s", r->rawlen,
		       strerror(-r->ptlen), hex(r->raw, r->rawlen));
		return false;
	}
	if (r->type != 23 || (size_t)r->ptlen != len || memcmp(r->pt, want, len)) {
		TH_LOG("record type %u, %zd bytes: %s", r->type, r->ptlen, hex(r->pt, r->ptlen));
		return false;
	}
	return true;
}

/* The record just read is a Ping record of its own: 2 bytes sealed. */
static void check_ping_record(struct __test_metadata *_metadata, FIXTURE_DATA(ktls) *self,
			      const uint8_t *want)
{
	struct rec *r = self->r;

	ASSERT_LT(0, r->rawlen) TH_LOG("no Ping record");
	EXPECT_EQ(0x17, r->raw[0]);
	EXPECT_EQ(3, r->raw[1]);
	EXPECT_EQ(3, r->raw[2]);
	EXPECT_EQ((ssize_t)(5 + 2 + ktls_overhead(&self->a2p)), r->rawlen);
	ASSERT_EQ(2, r->ptlen) TH_LOG("Ping record: %zd (%s), raw %s", r->ptlen,
				      r->ptlen < 0 ? strerror(-r->ptlen) : "",
				      hex(r->raw, r->rawlen));
	EXPECT_EQ(23, r->type);
	EXPECT_EQ(0, memcmp(r->pt, want, 2)) TH_LOG("Ping decrypts to %s", hex(r->pt, 2));
}

/*
 * Both ends have kTLS (the peer's receiving side is read raw and
 * decrypted record by record): the session is a TLS one, the Ping is a
 * record of its own that decrypts to 00 E2 (00 00 with EMPTY_PING), the
 * peer's encrypted answer is a PONG and reaches the application intact,
 * and the application's next record still decrypts at the peer.
 */
static void tls_ping(struct __test_metadata *_metadata, FIXTURE_DATA(ktls) *self,
		     uint32_t flags)
{
	const uint8_t *want = flags & COAP_KA_F_EMPTY_PING ? coap_tcp_empty_msg
							   : coap_tcp_ping_msg;
	uint8_t msg[16], tok[2] = { 0xca, 0xfe }, buf[16];
	double t_act, t_pong;
	struct cka_ev r, ev, s;
	size_t mlen;
	long sid, dt;

	ASSERT_EQ(0, ktls_install(self->app, &self->a2p, &self->p2a));
	ASSERT_EQ(0, ktls_install(self->peer, &self->p2a, NULL));
	t_act = now_ms();
	ASSERT_EQ(0, send_all(self->app, coap_tcp_csm_msg, 2, 0));
	ASSERT_TRUE(next_record_is(_metadata, self, coap_tcp_csm_msg, 2, 2000));
	sid = tcp_session_add(self->nl, self->ctx, self->app, -1,
			      flags ? SET(COAP_KA_A_FLAGS, flags) : NULL, &r);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);
	EXPECT_EQ(COAP_KA_TRANSPORT_TLS, r.v[COAP_KA_A_TRANSPORT]);

	read_rec(self->peer, &self->rl, 1000 + LATE_MS + 1500, self->r);
	check_ping_record(_metadata, self, want);
	dt = ms_between(t_act, self->r->t);
	EXPECT_LE(1000 - EARLY_MS, dt);
	EXPECT_GE(1000 + LATE_MS, dt);
	EXPECT_TRUE(stream_quiet(self->peer, 200));

	t_pong = now_ms();
	if (!(flags & COAP_KA_F_EMPTY_PING)) {
		ASSERT_EQ(0, send_all(self->peer, coap_tcp_pong_msg, 3, 0));
	}
	ASSERT_EQ(0, ev_wait(self->ev, COAP_KA_CMD_PONG_NTF, sid, 2000, &ev)) TH_LOG("no PONG");
	EXPECT_GE(PONG_LAG_MS, ms_between(t_pong, ev.t));
	TH_LOG("Ping record (%zd bytes) %ld ms after the CSM, PONG %ld ms after the answer",
	       self->r->rawlen, dt, ms_between(t_pong, ev.t));
	if (!(flags & COAP_KA_F_EMPTY_PING)) {
		ASSERT_EQ(3, read_exact(self->app, buf, 3, 1000, NULL));
		EXPECT_EQ(0, memcmp(buf, coap_tcp_pong_msg, 3));
	}

	/* the record sequence is in step: the application's next record */
	mlen = coap_tcp_frame(msg, 0x45, tok, 2, (const uint8_t *)"\xffok", 3);
	ASSERT_EQ(0, send_all(self->app, msg, mlen, 0));
	EXPECT_TRUE(next_record_is(_metadata, self, msg, mlen, 2000));

	ASSERT_EQ(0, session_get_pings(self->nl, sid, 1, &s));
	EXPECT_EQ(1, s.v[COAP_KA_A_PINGS]);
	EXPECT_EQ(1, s.v[COAP_KA_A_PONGS]);
	EXPECT_EQ(COAP_KA_TRANSPORT_TLS, s.v[COAP_KA_A_TRANSPORT]);
}

TEST_F(ktls, ping_record)
{
	tls_ping(_metadata, self, 0);
}

TEST_F(ktls, empty_ping_record)
{
	tls_ping(_metadata, self, COAP_KA_F_EMPTY_PING);
}

/*
 * A record left open with MSG_MORE past the idle second: no Ping (the
 * peer gets nothing at all, kTLS holds the record); once the record is
 * closed the peer gets it whole, then the Ping record.
 */
TEST_F(ktls, open_record_postpones_ping)
{
	uint8_t frame[64], tok[4] = { 9, 8, 7, 6 }, body[31];
	double t_rest;
	struct cka_ev s;
	size_t flen;
	long sid;

	memset(body, 0x33, sizeof(body));
	body[0] = 0xff;
	flen = coap_tcp_frame(frame, 0x02, tok, 4, body, sizeof(body));
	/* the peer reads raw records, decrypted by the relay */
	ASSERT_EQ(0, ktls_install(self->app, &self->a2p, &self->p2a));
	ASSERT_EQ(0, ktls_install(self->peer, &self->p2a, NULL));
	ASSERT_EQ(0, send_all(self->app, coap_tcp_csm_msg, 2, 0));
	ASSERT_TRUE(next_record_is(_metadata, self, coap_tcp_csm_msg, 2, 2000));
	sid = tcp_session_add(self->nl, self->ctx, self->app, -1, NULL, NULL);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);

	ASSERT_EQ(0, send_all(self->app, frame, 6, MSG_MORE));
	EXPECT_TRUE(stream_quiet(self->peer, 2500)) TH_LOG("the peer got something during the hold");
	ASSERT_EQ(0, session_get(self->nl, sid, &s));
	EXPECT_EQ(0, s.v[COAP_KA_A_PINGS]);

	t_rest = now_ms();
	ASSERT_EQ(0, send_all(self->app, frame + 6, flen - 6, 0));
	ASSERT_TRUE(next_record_is(_metadata, self, frame, flen, 2000));
	read_rec(self->peer, &self->rl, 1000 + LATE_MS + 1500, self->r);
	check_ping_record(_metadata, self, coap_tcp_ping_msg);
	EXPECT_GE(1000 + LATE_MS, ms_between(t_rest, self->r->t));
	TH_LOG("Ping record %ld ms after the record was closed", ms_between(t_rest, self->r->t));
	ASSERT_EQ(0, session_get_pings(self->nl, sid, 1, &s));
	EXPECT_EQ(1, s.v[COAP_KA_A_PINGS]);
}

/*
 * Both ends get their keys now: the application's CSM goes out as a
 * record, and the kernel's Ping follows as a record of its own after the
 * idle second.
 */
static void keys_then_ping(struct __test_metadata *_metadata, FIXTURE_DATA(ktls) *self)
{
	double t_act;

	ASSERT_EQ(0, ktls_install(self->app, &self->a2p, &self->p2a));
	ASSERT_EQ(0, ktls_install(self->peer, &self->p2a, NULL));
	t_act = now_ms();
	ASSERT_EQ(0, send_all(self->app, coap_tcp_csm_msg, 2, 0));
	ASSERT_TRUE(next_record_is(_metadata, self, coap_tcp_csm_msg, 2, 2000));
	read_rec(self->peer, &self->rl, 1000 + LATE_MS + 1500, self->r);
	check_ping_record(_metadata, self, coap_tcp_ping_msg);
	EXPECT_LE(1000 - EARLY_MS, ms_between(t_act, self->r->t));
	EXPECT_GE(1000 + LATE_MS, ms_between(t_act, self->r->t));
}

/*
 * Declared TLS before the keys exist (the handshake runs in userspace):
 * nothing is sent, however long the session is idle; once kTLS has its
 * keys and the application's first record went out, the Ping comes as a
 * record the peer decrypts.
 */
TEST_F(ktls, keys_after_attach_declared_tls)
{
	struct cka_ev r, s;
	long sid;

	ASSERT_EQ(0, fake_handshake(self->app, self->peer));
	sid = tcp_session_add(self->nl, self->ctx, self->app, COAP_KA_TRANSPORT_TLS, NULL, &r);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);
	EXPECT_EQ(COAP_KA_TRANSPORT_TLS, r.v[COAP_KA_A_TRANSPORT]);

	quiet_before_keys(_metadata, self->nl, self->peer, sid);

	keys_then_ping(_metadata, self);
	ASSERT_EQ(0, session_get_pings(self->nl, sid, 1, &s));
	EXPECT_EQ(1, s.v[COAP_KA_A_PINGS]);
	EXPECT_EQ(COAP_KA_TRANSPORT_TLS, s.v[COAP_KA_A_TRANSPORT]);
}

/*
 * Attached as plain TCP, then both ends get kTLS: the session becomes a
 * TLS one and its Pings are records (two of them, with the application's
 * record between), never plaintext.
 */
TEST_F(ktls, keys_after_attach_plain_tcp)
{
	struct cka_ev r, s;
	long sid;

	ASSERT_EQ(0, fake_handshake(self->app, self->peer));
	sid = tcp_session_add(self->nl, self->ctx, self->app, -1, NULL, &r);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);
	EXPECT_EQ(COAP_KA_TRANSPORT_TCP, r.v[COAP_KA_A_TRANSPORT]);

	keys_then_ping(_metadata, self);

	ASSERT_EQ(0, send_all(self->app, coap_tcp_csm_msg, 2, 0));
	ASSERT_TRUE(next_record_is(_metadata, self, coap_tcp_csm_msg, 2, 2000));
	read_rec(self->peer, &self->rl, 1000 + LATE_MS + 1500, self->r);
	check_ping_record(_metadata, self, coap_tcp_ping_msg);

	ASSERT_EQ(0, session_get_pings(self->nl, sid, 2, &s));
	EXPECT_EQ(2, s.v[COAP_KA_A_PINGS]);
	EXPECT_EQ(COAP_KA_TRANSPORT_TLS, s.v[COAP_KA_A_TRANSPORT]);
}

/* A kTLS socket declared as plain TCP or UDP is refused. */
TEST_F(ktls, transport_mismatch_refused)
{
	long sid;

	ASSERT_EQ(0, ktls_pair(self->app, self->peer, &self->a2p, &self->p2a));
	ASSERT_EQ(0, send_all(self->app, coap_tcp_csm_msg, 2, 0));
	EXPECT_REFUSED(EINVAL, tcp_session_add(self->nl, self->ctx, self->app,
					       COAP_KA_TRANSPORT_TCP, NULL, NULL));
	EXPECT_REFUSED(EINVAL, tcp_session_add(self->nl, self->ctx, self->app,
					       COAP_KA_TRANSPORT_UDP, NULL, NULL));
	EXPECT_EQ(0, session_dump(self->nl, self->ctx, NULL, 0));
	sid = tcp_session_add(self->nl, self->ctx, self->app, COAP_KA_TRANSPORT_TLS, NULL, NULL);
	EXPECT_LT(0, sid) TH_LOG("%s", self->nl->msg);
}

/*
 * Last (fixtures run in the order they are defined, after the harness's
 * own "global" one): every test's sockets are closed and contexts
 * deleted, so no session object may be left (a session that outlived its
 * socket shows here even when its context's deletion hid it from the
 * dumps).
 */
FIXTURE(last) {
};

FIXTURE_SETUP(last)
{
}

FIXTURE_TEARDOWN(last)
{
}

TEST_F(last, no_session_left_behind)
{
	long n = session_objects();

	if (n < 0)
		SKIP(return, "no coap_ka_session slab cache to count");
	n = session_wait(0, 5000);
	EXPECT_EQ(0, n) TH_LOG("%ld coap_ka_session objects left after every test", n);
}

TEST_HARNESS_MAIN
