// SPDX-License-Identifier: GPL-2.0
/*
 * UDP keepalive against a real peer (libcoap's coap-server-notls, on
 * 127.0.0.1 and [::1]) and against peers played by the test's own sockets:
 * the Ping leaves after the idle time and not before, the answer is eaten
 * by the kernel and reported, what counts as activity, the RFC 7252
 * retransmission schedule and the Ping MIDs, the peer's Pings, and
 * contexts changed under running sessions.
 *
 * Bounds: a Ping must never leave early (5 ms allowed for the jiffy the
 * idle stamp is rounded to); it may be late by up to 1.5 s, as the guest
 * runs under TCG on shared cores.
 */
#include <net/if.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "cka_udp.h"
#include "kselftest_harness.h"

#define LATE_MS		1500	/* scheduling slack for an idle period */
#define RTX_SLACK_MS	150	/* for a retransmission interval */
#define EARLY_MS	5	/* one jiffy at HZ=250, plus rounding */

FIXTURE(udp) {
	struct cka_nl *nl;
	struct cka_nl *ev;
	pid_t server;
	pid_t server6;
};

FIXTURE_SETUP(udp)
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

FIXTURE_TEARDOWN(udp)
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

/* The socket inode of @fd, as the kernel reports it in COAP_KA_A_SOCK_INODE. */
static uint64_t sock_ino(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : st.st_ino;
}

/* Nothing is queued for the application on @fd within @ms. */
static bool app_got_nothing(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char buf[64];

	if (poll(&pfd, 1, ms) != 0)
		return false;
	return recv(fd, buf, sizeof(buf), MSG_DONTWAIT) == -1 && errno == EAGAIN;
}

/*
 * A session on a socket connected to coap-server at @addr (or, if @bind is
 * set, on a socket bound to @bind with the server at @addr as its peer)
 * is pinged after the idle second and the Reset eaten. The peer is
 * reported as @peer_addr (an IPv4-mapped peer is an IPv4 one).
 */
static void ping_answered(struct __test_metadata *_metadata, FIXTURE_DATA(udp) *self,
			  const char *addr, const char *bind, const char *peer_addr)
{
	const uint32_t set[] = {
		COAP_KA_A_KEEPALIVE_SECS, 1, COAP_KA_A_ACK_TIMEOUT_MS, 200, 0,
	};
	struct sockaddr_storage want, to;
	struct cka_ev ev, s;
	long ctx, sid, dt;
	double t0;
	int fd;

	ASSERT_NE(0, sockaddr_fill(&want, peer_addr, COAP_PORT));
	ASSERT_NE(0, sockaddr_fill(&to, addr, COAP_PORT));
	ctx = cka_ctx_new(self->nl, set, NULL);
	ASSERT_LT(0, ctx);
	fd = bind ? udp_bound(bind, 0, NULL) : udp_connected_to(addr, COAP_PORT);
	ASSERT_LE(0, fd);
	t0 = now_ms();
	sid = session_add(self->nl, ctx, fd, bind ? (void *)&to : NULL);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);

	ASSERT_EQ(0, ev_wait(self->ev, COAP_KA_CMD_PONG_NTF, sid, 5000, &ev));
	dt = ms_since(t0, ev.t);
	EXPECT_EQ(ctx, ev.v[COAP_KA_A_CTX_ID]);
	EXPECT_EQ(sock_ino(fd), ev.ino);
	EXPECT_EQ(want.ss_family, ev.family);
	if (want.ss_family == AF_INET) {
		EXPECT_EQ(0, memcmp(&((struct sockaddr_in *)&want)->sin_addr, &ev.addr, 4));
	} else {
		EXPECT_EQ(0, memcmp(&((struct sockaddr_in6 *)&want)->sin6_addr, &ev.addr, 16));
	}
	EXPECT_EQ(COAP_PORT, ev.port);
	EXPECT_TRUE(ev_has(&ev, COAP_KA_A_MID));
	EXPECT_TRUE(ev_has(&ev, COAP_KA_A_RTT_US));
	/* after the idle second, not before */
	EXPECT_LE(1000 - EARLY_MS, dt);
	EXPECT_GE(1000 + LATE_MS, dt) TH_LOG("pong after %ld ms", dt);
	TH_LOG("[%s] pong %ld ms after the session began (bound 1000), mid %u, rtt %u us",
	       addr, dt, ev.v[COAP_KA_A_MID], ev.v[COAP_KA_A_RTT_US]);

	/* the Reset was the kernel's: the application sees nothing */
	EXPECT_TRUE(app_got_nothing(fd, 200));

	ASSERT_EQ(0, session_get(self->nl, sid, &s));
	EXPECT_LE(1, s.v[COAP_KA_A_PINGS]);
	EXPECT_LE(1, s.v[COAP_KA_A_PONGS]);
	EXPECT_GE(s.v[COAP_KA_A_PINGS], s.v[COAP_KA_A_PONGS]);
	EXPECT_GE(1, s.v[COAP_KA_A_PINGS] - s.v[COAP_KA_A_PONGS]);
	EXPECT_EQ(0, s.v[COAP_KA_A_NACKS]);
	EXPECT_EQ(0, s.v[COAP_KA_A_RETRANSMISSIONS]);
	EXPECT_EQ(want.ss_family, s.family);
	EXPECT_EQ(COAP_PORT, s.port);

	close(fd);
	ASSERT_EQ(0, ev_wait(self->ev, COAP_KA_CMD_SESSION_GONE_NTF, sid, 3000, &ev));
	EXPECT_EQ(COAP_KA_GONE_CLOSED, ev.v[COAP_KA_A_GONE_REASON]);
	EXPECT_EQ(-ENOENT, session_get(self->nl, sid, &s));
	EXPECT_EQ(0, cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, ctx, NULL, NULL));
}

TEST_F(udp, idle_session_pinged_answer_eaten)
{
	ping_answered(_metadata, self, "127.0.0.1", NULL, "127.0.0.1");
}

TEST_F(udp, ipv6_idle_session_pinged_answer_eaten)
{
	ping_answered(_metadata, self, "::1", NULL, "::1");
}

TEST_F(udp, ipv6_unconnected_session_pinged_answer_eaten)
{
	ping_answered(_metadata, self, "::1", "::1", "::1");
}

/* A dual-stack IPv6 socket connected to an IPv4 peer (::ffff:127.0.0.1). */
TEST_F(udp, v4mapped_session_pinged_answer_eaten)
{
	ping_answered(_metadata, self, "::ffff:127.0.0.1", NULL, "127.0.0.1");
}

TEST_F(udp, silent_peer_nacked_after_retransmissions)
{
	const uint32_t set[] = {
		COAP_KA_A_KEEPALIVE_SECS, 1, COAP_KA_A_ACK_TIMEOUT_MS, 50,
		COAP_KA_A_ACK_RANDOM_FACTOR, 1000, COAP_KA_A_MAX_RETRANSMIT, 3, 0,
	};
	struct cka_ev ev, s;
	long ctx, sid, dt;
	int fd, peer, port;
	double t0;

	ctx = cka_ctx_new(self->nl, set, NULL);
	ASSERT_LT(0, ctx);
	/* a peer that is there (no ICMP error) and never answers */
	peer = udp_bound("127.0.0.1", 0, &port);
	ASSERT_LE(0, peer);
	fd = udp_connected_to("127.0.0.1", port);
	ASSERT_LE(0, fd);
	t0 = now_ms();
	sid = session_add(self->nl, ctx, fd, NULL);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);

	ASSERT_EQ(0, ev_wait(self->ev, COAP_KA_CMD_NACK_NTF, sid, 6000, &ev));
	dt = ms_since(t0, ev.t);
	EXPECT_EQ(3, ev.v[COAP_KA_A_RETRANSMISSIONS]);
	EXPECT_EQ(COAP_KA_NACK_TOO_MANY_RETRIES, ev.v[COAP_KA_A_NACK_REASON]);
	/* 1 s idle, then 50 * (1 + 2 + 4 + 8) = 750 ms of timeouts */
	EXPECT_LE(1750 - EARLY_MS, dt);
	EXPECT_GE(1750 + LATE_MS, dt) TH_LOG("nack after %ld ms", dt);
	TH_LOG("nack %ld ms after the session began (bound 1750 ms)", dt);
	ASSERT_EQ(0, session_get(self->nl, sid, &s));
	EXPECT_EQ(1, s.v[COAP_KA_A_NACKS]);
	EXPECT_EQ(3, s.v[COAP_KA_A_RETRANSMISSIONS]);
	close(fd);
	close(peer);
	cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, ctx, NULL, NULL);
}

/* Take interface NAME down with SIOCSIFFLAGS, on a socket of its own. */
static int link_down(const char *name)
{
	struct ifreq ifr = {};
	int fd, ret = -1;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (!ioctl(fd, SIOCGIFFLAGS, &ifr)) {
		ifr.ifr_flags &= ~IFF_UP;
		ret = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return ret;
}

/*
 * The route to the peer vanishes (its interface goes down), so sending
 * the Ping fails with ENETUNREACH: the session must still NACK within the
 * RFC 7252 bound, as for a lost Ping, and never look healthy (libcoap's
 * keepalive once reset its idle clock on a failed send and pinged on,
 * reporting nothing). The peer sits on a dummy interface, where anything
 * sent is dropped even while it is up.
 */
TEST_F(udp, failed_send_still_nacked)
{
	const uint32_t set[] = {
		COAP_KA_A_KEEPALIVE_SECS, 1, COAP_KA_A_ACK_TIMEOUT_MS, 100,
		COAP_KA_A_ACK_RANDOM_FACTOR, 1000, COAP_KA_A_MAX_RETRANSMIT, 2, 0,
	};
	struct cka_ev ev, s;
	long ctx, sid, dt, down;
	uint8_t msg[4];
	double t0;
	int fd;

	ASSERT_EQ(0, system("ip link add cka-dum0 type dummy && "
			    "ip addr add 192.0.2.1/24 dev cka-dum0 && "
			    "ip link set cka-dum0 up"));
	ctx = cka_ctx_new(self->nl, set, NULL);
	ASSERT_LT(0, ctx);
	fd = udp_connected_to("192.0.2.2", COAP_PORT);
	ASSERT_LE(0, fd);
	sid = session_add(self->nl, ctx, fd, NULL);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);
	/*
	 * The application's last datagram leaves; then the route goes, by
	 * one ioctl: an ip(8) run here took over a second on a loaded
	 * debug kernel, and the first Ping (1 s) must find the route gone.
	 */
	coap_hdr(msg, COAP_NON, 0x02, 0x4242);
	ASSERT_EQ(4, send(fd, msg, 4, 0));
	t0 = now_ms();
	ASSERT_EQ(0, link_down("cka-dum0"));
	down = ms_since(t0, now_ms());
	ASSERT_GT(1000, down) TH_LOG("the link went down %ld ms after the last datagram", down);
	EXPECT_EQ(-1, send(fd, msg, 4, 0));
	EXPECT_EQ(ENETUNREACH, errno) TH_LOG("send with the route gone: %s", strerror(errno));

	ASSERT_EQ(0, ev_wait(self->ev, COAP_KA_CMD_NACK_NTF, sid, 6000, &ev))
		TH_LOG("no NACK while every Ping failed to leave");
	dt = ms_since(t0, ev.t);
	EXPECT_EQ(COAP_KA_NACK_TOO_MANY_RETRIES, ev.v[COAP_KA_A_NACK_REASON]);
	EXPECT_EQ(2, ev.v[COAP_KA_A_RETRANSMISSIONS]);
	/* 1 s idle, then 100 + 200 + 400 ms of timeouts */
	EXPECT_LE(1700 - EARLY_MS, dt);
	EXPECT_GE(1700 + LATE_MS, dt);
	TH_LOG("nack %ld ms after the route went (bound 1700 ms)", dt);
	ASSERT_EQ(0, session_get(self->nl, sid, &s));
	/*
	 * Every round failed: each Ping that started has NACKed, but for
	 * the one in flight now (the event may reach us after the next round
	 * began, on a loaded machine).
	 */
	EXPECT_LE(1, s.v[COAP_KA_A_NACKS]);
	EXPECT_LE(s.v[COAP_KA_A_PINGS], s.v[COAP_KA_A_NACKS] + 1)
		TH_LOG("%u Pings, %u NACKs", s.v[COAP_KA_A_PINGS], s.v[COAP_KA_A_NACKS]);
	EXPECT_EQ(0, s.v[COAP_KA_A_PONGS]);
	/* the failed sends were not activity: the idle clock ran on */
	EXPECT_LE(1700 - EARLY_MS, (long)s.v[COAP_KA_A_TX_AGE_MS]);
	close(fd);
	cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, ctx, NULL, NULL);
	system("ip link del cka-dum0");
}

/*
 * NAT rebinding: the peer's NAT forgets the binding, and the peer's answers
 * arrive from a new source port. A session is the (socket, peer address,
 * peer port) the application gave; an answer from another port is not its
 * answer: the Reset goes to the application's socket untouched (it is not
 * the kernel's to eat), and the session NACKs after its retransmissions.
 * The application, which sees the new port, adds a session for it.
 */
TEST_F(udp, nat_rebinding_answer_from_new_port_not_ours)
{
	const uint32_t set[] = {
		COAP_KA_A_KEEPALIVE_SECS, 1, COAP_KA_A_ACK_TIMEOUT_MS, 100,
		COAP_KA_A_ACK_RANDOM_FACTOR, 1000, COAP_KA_A_MAX_RETRANSMIT, 1, 0,
	};
	struct sockaddr_storage old_peer = {}, from;
	int app, peer_in, peer_out, in_port, out_port, n = 0;
	uint8_t buf[64], rst[4];
	struct cka_ev ev = {};
	long ctx, sid, sid2;
	ssize_t len;
	double end;

	ctx = cka_ctx_new(self->nl, set, NULL);
	ASSERT_LT(0, ctx);
	app = udp_bound("127.0.0.1", 0, NULL);
	ASSERT_LE(0, app);
	/* the peer as the application knew it, and its new (rebound) port */
	peer_in = udp_bound("127.0.0.1", 0, &in_port);
	ASSERT_LE(0, peer_in);
	peer_out = udp_bound("127.0.0.1", 0, &out_port);
	ASSERT_LE(0, peer_out);
	sockaddr_fill(&old_peer, "127.0.0.1", in_port);
	sid = session_add(self->nl, ctx, app, (void *)&old_peer);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);

	/* every Ping that reaches the old port is answered from the new one */
	end = now_ms() + 1000 + LATE_MS + 300 + 1000;
	while (now_ms() < end) {
		struct sockaddr_storage app_addr;

		len = recv_within(peer_in, buf, sizeof(buf), 200, &app_addr, NULL);
		if (len == 4 && coap_is_empty(buf, len, COAP_CON)) {
			coap_hdr(rst, COAP_RST, 0, coap_mid(buf));
			ASSERT_EQ(4, sendto(peer_out, rst, 4, 0, (void *)&app_addr,
					    sizeof(struct sockaddr_in)));
			n++;
		}
		if (!ev_next(self->ev, 0, &ev) && ev.cmd == COAP_KA_CMD_NACK_NTF &&
		    ev.v[COAP_KA_A_SESSION_ID] == (uint32_t)sid)
			break;
	}
	ASSERT_EQ(COAP_KA_CMD_NACK_NTF, ev.cmd) TH_LOG("no NACK for the old port");
	EXPECT_EQ(COAP_KA_NACK_TOO_MANY_RETRIES, ev.v[COAP_KA_A_NACK_REASON]);
	EXPECT_EQ(2, n) TH_LOG("Ping + retransmission answered from the new port: %d", n);
	/* both Resets reached the application, from the new port */
	len = recv_within(app, buf, sizeof(buf), 500, &from, NULL);
	EXPECT_EQ(4, len);
	EXPECT_TRUE(coap_is_empty(buf, len, COAP_RST));
	EXPECT_EQ(out_port, sockaddr_port(&from));
	EXPECT_EQ(4, recv_within(app, buf, sizeof(buf), 500, NULL, NULL));

	/* the application follows the peer to its new port */
	sockaddr_fill(&from, "127.0.0.1", out_port);
	sid2 = session_add(self->nl, ctx, app, (void *)&from);
	ASSERT_LT(0, sid2) TH_LOG("%s", self->nl->msg);
	len = recv_within(peer_out, buf, sizeof(buf), 1000 + LATE_MS, &from, NULL);
	ASSERT_EQ(4, len) TH_LOG("no Ping to the new port");
	ASSERT_TRUE(coap_is_empty(buf, len, COAP_CON));
	coap_hdr(rst, COAP_RST, 0, coap_mid(buf));
	ASSERT_EQ(4, sendto(peer_out, rst, 4, 0, (void *)&from, sizeof(struct sockaddr_in)));
	ASSERT_EQ(0, ev_wait(self->ev, COAP_KA_CMD_PONG_NTF, sid2, 1000, &ev));
	/* that answer was the kernel's: nothing more for the application */
	EXPECT_GT(0, recv_within(app, buf, sizeof(buf), 200, NULL, NULL));

	close(app);
	close(peer_in);
	close(peer_out);
	cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, ctx, NULL, NULL);
}

static void *blocked_recv(void *p)
{
	int fd = *(int *)p;
	char buf[16];
	long r = recv(fd, buf, sizeof(buf), 0);

	return (void *)(r < 0 ? (long)errno : 0L);
}

TEST_F(udp, abort_wakes_blocked_recv_with_etimedout)
{
	const uint32_t set[] = {
		COAP_KA_A_KEEPALIVE_SECS, 1, COAP_KA_A_ACK_TIMEOUT_MS, 20,
		COAP_KA_A_MAX_RETRANSMIT, 1, COAP_KA_A_ACTION, COAP_KA_ACTION_ABORT, 0,
	};
	struct cka_ev ev;
	pthread_t th;
	long ctx, sid;
	void *ret;
	int fd;

	ctx = cka_ctx_new(self->nl, set, NULL);
	ASSERT_LT(0, ctx);
	fd = udp_connected_to("127.0.0.1", 9);
	ASSERT_LE(0, fd);
	sid = session_add(self->nl, ctx, fd, NULL);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);
	ASSERT_EQ(0, pthread_create(&th, NULL, blocked_recv, &fd));
	ASSERT_EQ(0, ev_wait(self->ev, COAP_KA_CMD_SESSION_GONE_NTF, sid, 6000, &ev));
	EXPECT_EQ(COAP_KA_GONE_ABORTED, ev.v[COAP_KA_A_GONE_REASON]);
	pthread_join(th, &ret);
	EXPECT_EQ(ETIMEDOUT, (long)ret);
	close(fd);
	cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, ctx, NULL, NULL);
}

/*
 * Activity (a): the application asks coap-server for "/" every 300 ms for
 * 3 s and gets its answers; both directions are activity, so no Ping goes
 * out. Once it stops, the Ping follows one idle second after the last answer.
 */
TEST_F(udp, app_exchange_suppresses_pings)
{
	const uint32_t set[] = {
		COAP_KA_A_KEEPALIVE_SECS, 1, COAP_KA_A_ACK_TIMEOUT_MS, 200, 0,
	};
	double t0, last = 0, slot;
	int fd, i, answered = 0;
	long ctx, sid, gap = 0, dt;
	struct cka_ev ev, s;

	ctx = cka_ctx_new(self->nl, set, NULL);
	ASSERT_LT(0, ctx);
	fd = udp_connected_to("127.0.0.1", COAP_PORT);
	ASSERT_LE(0, fd);
	t0 = now_ms();
	sid = session_add(self->nl, ctx, fd, NULL);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);
	last = t0;

	for (i = 0, slot = t0; i < 11; i++, slot += 300) {
		uint8_t get[4], rsp[512];
		double t = 0;
		ssize_t n;

		while (now_ms() < slot)
			sleep_ms(slot - now_ms() + 1);
		coap_hdr(get, COAP_CON, 0x01, 0x0100 + i);
		ASSERT_EQ(4, send(fd, get, sizeof(get), 0));
		n = recv_within(fd, rsp, sizeof(rsp), 800, NULL, &t);
		if (n > 4 && coap_type(rsp) == COAP_ACK && rsp[1] == 0x45 &&
		    coap_mid(rsp) == 0x0100 + i) {
			answered++;
			if (t - last > gap)
				gap = t - last;
			last = t;
		}
	}
	EXPECT_EQ(11, answered);
	TH_LOG("longest gap between answers: %ld ms", gap);
	ASSERT_EQ(0, session_get(self->nl, sid, &s));
	EXPECT_EQ(0, s.v[COAP_KA_A_PINGS]);
	EXPECT_EQ(-ETIMEDOUT, ev_wait(self->ev, COAP_KA_CMD_PONG_NTF, sid, 0, &ev));

	/* quiet now: pinged one idle second after the last answer */
	ASSERT_EQ(0, ev_wait(self->ev, COAP_KA_CMD_PONG_NTF, sid, 1000 + LATE_MS + 500, &ev));
	dt = ms_since(last, ev.t);
	EXPECT_LE(1000 - EARLY_MS, dt);
	EXPECT_GE(1000 + LATE_MS, dt);
	TH_LOG("pong %ld ms after the last answer (bound 1000)", dt);
	EXPECT_TRUE(app_got_nothing(fd, 100));
	close(fd);
	cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, ctx, NULL, NULL);
}

/* Does @mid lie in the half of the MID space opposite @app? */
static bool mid_opposite(uint16_t mid, uint16_t app)
{
	uint16_t d = mid - app;

	return d >= 0x4000 && d <= 0xc000;
}

/*
 * Activity (b): with activity "rx", an application that only sends (NON
 * messages to a peer that never answers) is still pinged, one idle second
 * after the session began, with a MID opposite the application's.
 */
TEST_F(udp, rx_activity_sender_still_pinged)
{
	const uint32_t set[] = {
		COAP_KA_A_KEEPALIVE_SECS, 1, COAP_KA_A_ACK_TIMEOUT_MS, 200,
		COAP_KA_A_ACK_RANDOM_FACTOR, 1000, COAP_KA_A_MAX_RETRANSMIT, 1,
		COAP_KA_A_ACTIVITY, COAP_KA_ACTIVITY_RX, 0,
	};
	int fd, peer, i, nons = 0, pings = 0;
	double t0, slot, first = 0;
	uint16_t app_mid = 0, ping_mid = 0;
	bool opposite = true;
	long ctx, sid;
	struct cka_ev s;

	ctx = cka_ctx_new(self->nl, set, NULL);
	ASSERT_LT(0, ctx);
	peer = udp_bound("127.0.0.1", 0, NULL);
	ASSERT_LE(0, peer);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_EQ(0, udp_connect_fd(fd, peer));
	t0 = now_ms();
	sid = session_add(self->nl, ctx, fd, NULL);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);

	for (i = 0, slot = t0; i < 11; i++) {
		uint8_t non[8], buf[64];
		double t = 0;
		ssize_t n;

		coap_hdr(non, COAP_NON, 0x02, 0x2000 + i);	/* POST, no payload */
		ASSERT_EQ(4, send(fd, non, 4, 0));
		app_mid = 0x2000 + i;
		slot += 300;
		while ((n = recv_within(peer, buf, sizeof(buf), slot - now_ms(),
					NULL, &t)) > 0) {
			if (coap_is_empty(buf, n, COAP_CON)) {
				if (!pings++)
					first = t;
				ping_mid = coap_mid(buf);
				opposite &= mid_opposite(ping_mid, app_mid);
			} else if (n == 4 && coap_type(buf) == COAP_NON) {
				nons++;
			}
		}
	}
	EXPECT_EQ(11, nons);
	ASSERT_LE(1, pings) TH_LOG("no Ping while the application only sent");
	EXPECT_LE(1000 - EARLY_MS, ms_since(t0, first));
	EXPECT_GE(1000 + LATE_MS, ms_since(t0, first));
	EXPECT_TRUE(opposite) TH_LOG("ping mid %#x, application's %#x", ping_mid, app_mid);
	TH_LOG("first ping %ld ms after the session began (bound 1000), %d transmissions",
	       ms_since(t0, first), pings);
	ASSERT_EQ(0, session_get(self->nl, sid, &s));
	EXPECT_LE(1, s.v[COAP_KA_A_PINGS]);
	/* one transmission may be counted and not yet arrived */
	EXPECT_LE(pings, s.v[COAP_KA_A_PINGS] + s.v[COAP_KA_A_RETRANSMISSIONS]);
	EXPECT_GE(pings + 1, s.v[COAP_KA_A_PINGS] + s.v[COAP_KA_A_RETRANSMISSIONS]);
	close(fd);
	close(peer);
	cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, ctx, NULL, NULL);
}

/*
 * Activity (b'): the application's sends are activity, and their MIDs the
 * application's, in every form a datagram can name its peer: on connected
 * IPv4, IPv6 and v4-mapped sockets, and by sendto() with each address
 * family. Six sessions, each with a silent peer, get a NON every 250 ms for
 * 2 s: a Ping may only come an idle second after the last NON (the peers'
 * arrival stamps, so a slow test does not move them), with a MID opposite
 * the application's.
 */
TEST_F(udp, app_sends_are_activity_every_address_form)
{
	static const struct {
		const char *bind, *peer, *dst;
		bool connected;
	} form[] = {
		{ "127.0.0.1", "127.0.0.1", "127.0.0.1", true },
		{ "::1", "::1", "::1", true },
		{ "::", "127.0.0.1", "::ffff:127.0.0.1", true },
		{ "127.0.0.1", "127.0.0.1", "127.0.0.1", false },
		{ "::", "::1", "::1", false },
		{ "::", "127.0.0.1", "::ffff:127.0.0.1", false },
	};
	enum { N = sizeof(form) / sizeof(form[0]), SENDS = 9 };
	const uint32_t set[] = {
		COAP_KA_A_KEEPALIVE_SECS, 1, COAP_KA_A_ACK_TIMEOUT_MS, 200,
		COAP_KA_A_ACK_RANDOM_FACTOR, 1000, COAP_KA_A_MAX_RETRANSMIT, 1, 0,
	};
	struct sockaddr_storage dst[N];
	socklen_t dlen[N];
	double added[N], last_non[N], ping_t[N], t0, end;
	int app[N], peer[N], nons[N], i, f, port;
	uint16_t ping_mid[N], non_mid[N];
	long ctx, sid;

	ctx = cka_ctx_new(self->nl, set, NULL);
	ASSERT_LT(0, ctx);
	for (f = 0; f < N; f++) {
		peer[f] = udp_bound(form[f].peer, 0, &port);
		ASSERT_LE(0, peer[f]);
		ASSERT_EQ(0, udp_stamp_arrivals(peer[f]));
		app[f] = udp_bound(form[f].bind, 0, NULL);
		ASSERT_LE(0, app[f]);
		dlen[f] = sockaddr_fill(&dst[f], form[f].dst, port);
		ASSERT_LT(0, dlen[f]);
		if (form[f].connected)
			ASSERT_EQ(0, connect(app[f], (void *)&dst[f], dlen[f]));
		added[f] = now_ms();
		sid = session_add(self->nl, ctx, app[f],
				  form[f].connected ? NULL : (void *)&dst[f]);
		ASSERT_LT(0, sid) TH_LOG("form %d: %s", f, self->nl->msg);
		nons[f] = 0;
		non_mid[f] = 0;
		last_non[f] = 0;
		ping_t[f] = 0;
	}

	/* NONs every 250 ms; a Ping then, or after, is checked against them */
	t0 = now_ms();
	end = t0 + (SENDS - 1) * 250 + 1000 + LATE_MS;
	for (i = 0; now_ms() < end; ) {
		struct pollfd pfd[N];
		double next = t0 + i * 250;
		bool all = true;

		if (i < SENDS && now_ms() >= next) {
			for (f = 0; f < N; f++) {
				uint8_t non[4];

				coap_hdr(non, COAP_NON, 0x02, 0x3000 + i);
				if (form[f].connected) {
					ASSERT_EQ(4, send(app[f], non, 4, 0));
				} else {
					ASSERT_EQ(4, sendto(app[f], non, 4, 0,
							    (void *)&dst[f], dlen[f]));
				}
			}
			i++;
			continue;
		}
		for (f = 0; f < N; f++) {
			pfd[f].fd = peer[f];
			pfd[f].events = POLLIN;
			all &= ping_t[f] > 0;
		}
		if (i == SENDS && all)
			break;
		poll(pfd, N, i < SENDS ? (int)(next - now_ms()) + 1 : 50);
		for (f = 0; f < N; f++) {
			uint8_t buf[64];
			ssize_t n;
			double t;

			if (!(pfd[f].revents & POLLIN))
				continue;
			n = recv_stamped(peer[f], buf, sizeof(buf), &t);
			if (coap_is_empty(buf, n, COAP_CON) && !ping_t[f]) {
				ping_t[f] = t;
				ping_mid[f] = coap_mid(buf);
			} else if (n == 4 && coap_type(buf) == COAP_NON) {
				nons[f]++;
				if (!ping_t[f]) {
					last_non[f] = t;
					non_mid[f] = coap_mid(buf);
				}
			}
		}
	}
	for (f = 0; f < N; f++) {
		double base;

		EXPECT_EQ(SENDS, nons[f]) TH_LOG("form %d", f);
		ASSERT_LT(0, ping_t[f]) TH_LOG("form %d: no Ping after the NONs", f);
		/* an idle second after the last NON before it (or the add) */
		base = last_non[f] > added[f] ? last_non[f] : added[f];
		EXPECT_LE(1000 - EARLY_MS, ms_since(base, ping_t[f]))
			TH_LOG("form %d (%s to %s, %s): Ping %ld ms after a NON",
			       f, form[f].bind, form[f].dst,
			       form[f].connected ? "connected" : "sendto",
			       ms_since(base, ping_t[f]));
		EXPECT_TRUE(!last_non[f] || mid_opposite(ping_mid[f], non_mid[f]))
			TH_LOG("form %d: Ping MID %#x, application's %#x", f,
			       ping_mid[f], non_mid[f]);
		close(app[f]);
		close(peer[f]);
	}
	cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, ctx, NULL, NULL);
}

/*
 * Activity (c): the peer sends a NON message every 300 ms for 3 s; in the
 * default mode that is activity and no Ping goes out; the messages reach
 * the application. After the last one, the Ping follows an idle second later.
 */
TEST_F(udp, peer_traffic_suppresses_pings)
{
	const uint32_t set[] = {
		COAP_KA_A_KEEPALIVE_SECS, 1, COAP_KA_A_ACK_TIMEOUT_MS, 200, 0,
	};
	int fd, peer, i, got = 0, pings = 0;
	double t0, slot, last = 0, t = 0;
	uint8_t buf[64];
	struct cka_ev s;
	long ctx, sid;
	ssize_t n;

	ctx = cka_ctx_new(self->nl, set, NULL);
	ASSERT_LT(0, ctx);
	peer = udp_bound("127.0.0.1", 0, NULL);
	ASSERT_LE(0, peer);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_EQ(0, udp_connect_fd(fd, peer));
	ASSERT_EQ(0, udp_connect_fd(peer, fd));
	t0 = now_ms();
	sid = session_add(self->nl, ctx, fd, NULL);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);

	for (i = 0, slot = t0; i < 11; i++) {
		uint8_t non[6];

		coap_hdr(non, COAP_NON, 0x02, 0x3000 + i);
		non[4] = 0xff;		/* payload marker, one byte of payload */
		non[5] = i;
		ASSERT_EQ(6, send(peer, non, sizeof(non), 0));
		last = now_ms();
		n = recv_within(fd, buf, sizeof(buf), 300, NULL, NULL);
		if (n == 6 && coap_mid(buf) == 0x3000 + i && buf[5] == i)
			got++;
		slot += 300;
		while ((n = recv_within(peer, buf, sizeof(buf), slot - now_ms(),
					NULL, NULL)) > 0)
			pings += coap_is_empty(buf, n, COAP_CON);
	}
	EXPECT_EQ(11, got);
	EXPECT_EQ(0, pings);
	ASSERT_EQ(0, session_get(self->nl, sid, &s));
	EXPECT_EQ(0, s.v[COAP_KA_A_PINGS]);
	EXPECT_GE(600, s.v[COAP_KA_A_RX_AGE_MS]);

	/* quiet now: the Ping comes an idle second after the last message */
	n = recv_within(peer, buf, sizeof(buf), 1000 + LATE_MS + 500, NULL, &t);
	ASSERT_EQ(4, n);
	EXPECT_TRUE(coap_is_empty(buf, n, COAP_CON));
	EXPECT_LE(1000 - EARLY_MS, ms_since(last, t));
	EXPECT_GE(1000 + LATE_MS, ms_since(last, t));
	TH_LOG("ping %ld ms after the peer's last message (bound 1000)", ms_since(last, t));
	close(fd);
	close(peer);
	cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, ctx, NULL, NULL);
}

/*
 * RFC 7252 4.2 against a silent peer that records what reaches it: the
 * first wait T is in [ack_timeout, ack_timeout * random_factor], then it
 * doubles; after max_retransmit retransmissions and the last (doubled)
 * wait, a NACK. Every retransmission carries the Ping's MID; the next Ping
 * (after the next idle second) the next MID, and both lie in the half of
 * the MID space opposite the application's.
 */
TEST_F(udp, retransmission_schedule_and_mids)
{
	const uint32_t set[] = {
		COAP_KA_A_KEEPALIVE_SECS, 1, COAP_KA_A_ACK_TIMEOUT_MS, 100,
		COAP_KA_A_ACK_RANDOM_FACTOR, 1500, COAP_KA_A_MAX_RETRANSMIT, 3, 0,
	};
	static const int lo[] = { 100, 200, 400, 800 };
	static const int hi[] = { 150, 300, 600, 1200 };
	double t[8], tapp, tnack = 0;
	uint16_t mid[8];
	int fd, peer, n = 0, i, r;
	struct cka_ev ev, nack = {}, s = {};
	uint8_t msg[4], buf[64];
	long ctx, sid;

	ctx = cka_ctx_new(self->nl, set, NULL);
	ASSERT_LT(0, ctx);
	peer = udp_bound("127.0.0.1", 0, NULL);
	ASSERT_LE(0, peer);
	ASSERT_EQ(0, udp_stamp_arrivals(peer));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_EQ(0, udp_connect_fd(fd, peer));
	sid = session_add(self->nl, ctx, fd, NULL);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);
	coap_hdr(msg, COAP_NON, 0x02, 0x1234);
	/*
	 * Times on the kernel's clock where it matters: the application's
	 * message and each Ping as the peer's socket received them
	 * (SO_TIMESTAMPNS), not when this test got to read them.
	 */
	ASSERT_EQ(4, send(fd, msg, 4, 0));
	ASSERT_EQ(1, poll(&(struct pollfd){ .fd = peer, .events = POLLIN }, 1, 1000));
	ASSERT_EQ(4, recv_stamped(peer, buf, sizeof(buf), &tapp));

	/* the first Ping, its retransmissions, the NACK, the next Ping */
	while (n < 5 || !tnack) {
		r = wait_either(peer, self->ev, 1000 + 2 * LATE_MS + 1200, &ev);
		ASSERT_LT(0, r) TH_LOG("after %d transmissions: nothing more", n);
		if (r == 2) {
			if (ev.cmd == COAP_KA_CMD_NACK_NTF &&
			    ev.v[COAP_KA_A_SESSION_ID] == sid && !tnack) {
				nack = ev;
				tnack = ev.t;
				ASSERT_EQ(4, n) TH_LOG("nack after %d transmissions", n);
				/* the counters now: the next Ping is a second away */
				ASSERT_EQ(0, session_get(self->nl, sid, &s));
			}
			continue;
		}
		ASSERT_LT(n, 8);
		r = recv_stamped(peer, buf, sizeof(buf), &t[n]);
		ASSERT_TRUE(coap_is_empty(buf, r, COAP_CON));
		mid[n++] = coap_mid(buf);
	}

	EXPECT_LE(1000 - EARLY_MS, ms_since(tapp, t[0]));
	EXPECT_GE(1000 + LATE_MS, ms_since(tapp, t[0]));
	TH_LOG("ping %ld ms after the application's last message (bound 1000)",
	       ms_since(tapp, t[0]));
	for (i = 1; i < 4; i++) {
		long d = ms_since(t[i - 1], t[i]);

		EXPECT_LE(lo[i - 1] - EARLY_MS, d);
		EXPECT_GE(hi[i - 1] + RTX_SLACK_MS, d);
		TH_LOG("retransmission %d: %ld ms after the previous (bounds [%d, %d])",
		       i, d, lo[i - 1], hi[i - 1]);
		EXPECT_EQ(mid[0], mid[i]);
	}
	EXPECT_LE(lo[3] - EARLY_MS, ms_since(t[3], tnack));
	EXPECT_GE(hi[3] + 2 * RTX_SLACK_MS, ms_since(t[3], tnack));
	TH_LOG("nack %ld ms after the last retransmission (bounds [%d, %d])",
	       ms_since(t[3], tnack), lo[3], hi[3]);
	EXPECT_EQ(3, nack.v[COAP_KA_A_RETRANSMISSIONS]);
	EXPECT_EQ(COAP_KA_NACK_TOO_MANY_RETRIES, nack.v[COAP_KA_A_NACK_REASON]);
	EXPECT_EQ(mid[0], nack.v[COAP_KA_A_MID]);
	EXPECT_TRUE(mid_opposite(mid[0], 0x1234)) TH_LOG("ping mid %#x", mid[0]);

	/* the next Ping: an idle second after the NACK, with the next MID */
	EXPECT_LE(lo[3] + 1000 - EARLY_MS, ms_since(t[3], t[4]));
	EXPECT_GE(1000 + LATE_MS, ms_since(tnack, t[4]));
	EXPECT_EQ((uint16_t)(mid[0] + 1), mid[4]);
	EXPECT_TRUE(mid_opposite(mid[4], 0x1234));
	TH_LOG("mids %#x then %#x", mid[0], mid[4]);

	EXPECT_EQ(1, s.v[COAP_KA_A_NACKS]);
	EXPECT_EQ(3, s.v[COAP_KA_A_RETRANSMISSIONS]);
	EXPECT_EQ(1, s.v[COAP_KA_A_PINGS]);
	EXPECT_EQ(COAP_KA_STATE_IDLE, s.v[COAP_KA_A_STATE]);
	close(fd);
	close(peer);
	cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, ctx, NULL, NULL);
}

/*
 * The peer pings us: with COAP_KA_F_ANSWER_PINGS the kernel answers with a
 * Reset of the same MID, reports PING_NTF and the application sees
 * nothing; without it the application gets the Ping and the kernel sends
 * nothing. Other messages from the peer always reach the application.
 */
static void peer_pings(struct __test_metadata *_metadata, FIXTURE_DATA(udp) *self,
		       bool answer)
{
	const uint32_t set[] = {
		COAP_KA_A_KEEPALIVE_SECS, 30,
		COAP_KA_A_FLAGS, answer ? COAP_KA_F_ANSWER_PINGS : 0, 0,
	};
	uint8_t ping[4], get[4], buf[64];
	int fd, peer, peer_port;
	struct cka_ev ev, s;
	long ctx, sid;
	ssize_t n;

	ctx = cka_ctx_new(self->nl, set, NULL);
	ASSERT_LT(0, ctx);
	peer = udp_bound("127.0.0.1", 0, &peer_port);
	ASSERT_LE(0, peer);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_EQ(0, udp_connect_fd(fd, peer));
	ASSERT_EQ(0, udp_connect_fd(peer, fd));
	sid = session_add(self->nl, ctx, fd, NULL);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);

	coap_hdr(ping, COAP_CON, 0, 0xbeef);
	ASSERT_EQ(4, send(peer, ping, 4, 0));
	ASSERT_EQ(0, ev_wait(self->ev, COAP_KA_CMD_PING_NTF, sid, 2000, &ev));
	EXPECT_EQ(0xbeef, ev.v[COAP_KA_A_MID]);
	EXPECT_EQ(AF_INET, ev.family);
	EXPECT_EQ(htonl(INADDR_LOOPBACK), ev.v[COAP_KA_A_PEER_IPV4]);
	EXPECT_EQ(peer_port, ev.port);
	EXPECT_EQ(ctx, ev.v[COAP_KA_A_CTX_ID]);

	if (answer) {
		n = recv_within(peer, buf, sizeof(buf), 1000, NULL, NULL);
		ASSERT_EQ(4, n);
		EXPECT_TRUE(coap_is_empty(buf, n, COAP_RST));
		EXPECT_EQ(0xbeef, coap_mid(buf));
		EXPECT_TRUE(app_got_nothing(fd, 300));
	} else {
		n = recv_within(fd, buf, sizeof(buf), 1000, NULL, NULL);
		ASSERT_EQ(4, n);
		EXPECT_EQ(0, memcmp(buf, ping, 4));
		EXPECT_EQ(-ETIMEDOUT, recv_within(peer, buf, sizeof(buf), 500, NULL, NULL));
	}

	/* a request is the application's, flag or not */
	coap_hdr(get, COAP_CON, 0x01, 0xbef0);
	ASSERT_EQ(4, send(peer, get, 4, 0));
	n = recv_within(fd, buf, sizeof(buf), 1000, NULL, NULL);
	ASSERT_EQ(4, n);
	EXPECT_EQ(0, memcmp(buf, get, 4));
	EXPECT_EQ(-ETIMEDOUT, recv_within(peer, buf, sizeof(buf), 200, NULL, NULL));

	ASSERT_EQ(0, session_get(self->nl, sid, &s));
	EXPECT_EQ(1, s.v[COAP_KA_A_PEER_PINGS]);
	EXPECT_EQ(0, s.v[COAP_KA_A_PINGS]);
	close(fd);
	close(peer);
	cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, ctx, NULL, NULL);
}

TEST_F(udp, peer_ping_answered_by_kernel)
{
	peer_pings(_metadata, self, true);
}

TEST_F(udp, peer_ping_reaches_app_without_flag)
{
	peer_pings(_metadata, self, false);
}

/*
 * Sessions follow their context live: keepalive 0 stops the Pings (the
 * counter stays frozen for 2.5 s), keepalive 1 brings them back.
 */
TEST_F(udp, live_keepalive_off_and_on)
{
	const uint32_t set[] = {
		COAP_KA_A_KEEPALIVE_SECS, 1, COAP_KA_A_ACK_TIMEOUT_MS, 200, 0,
	};
	const uint32_t off[] = { COAP_KA_A_KEEPALIVE_SECS, 0, 0 };
	const uint32_t on[] = { COAP_KA_A_KEEPALIVE_SECS, 1, 0 };
	struct cka_ev ev[2], s;
	long ctx, sid[2];
	uint32_t pings[2];
	double t;
	int fd[2], i;

	ctx = cka_ctx_new(self->nl, set, NULL);
	ASSERT_LT(0, ctx);
	for (i = 0; i < 2; i++) {
		fd[i] = udp_connected_to(i ? "::1" : "127.0.0.1", COAP_PORT);
		ASSERT_LE(0, fd[i]);
		sid[i] = session_add(self->nl, ctx, fd[i], NULL);
		ASSERT_LT(0, sid[i]) TH_LOG("%s", self->nl->msg);
	}
	ASSERT_EQ(0, ev_wait_each(self->ev, COAP_KA_CMD_PONG_NTF, sid, 2,
				  1000 + LATE_MS + 500, ev));

	ASSERT_EQ(0, ctx_set(self->nl, ctx, off));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, session_get(self->nl, sid[i], &s));
		pings[i] = s.v[COAP_KA_A_PINGS];
	}
	/* a Pong already on its way may still be reported; no new Ping */
	sleep_ms(2500);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, session_get(self->nl, sid[i], &s));
		EXPECT_EQ(pings[i], s.v[COAP_KA_A_PINGS]) TH_LOG("session %d pinged while off", i);
		EXPECT_EQ(0, s.v[COAP_KA_A_NACKS]);
		EXPECT_EQ(COAP_KA_STATE_IDLE, s.v[COAP_KA_A_STATE]);
	}
	ev_drain(self->ev);

	t = now_ms();
	ASSERT_EQ(0, ctx_set(self->nl, ctx, on));
	EXPECT_EQ(0, ev_wait_each(self->ev, COAP_KA_CMD_PONG_NTF, sid, 2,
				  1000 + LATE_MS, ev))
		TH_LOG("not pinged after keepalive came back");
	for (i = 0; i < 2; i++) {
		if (ev[i].cmd)
			TH_LOG("session %d: pong %ld ms after keepalive came back", i,
			       ms_since(t, ev[i].t));
		ASSERT_EQ(0, session_get(self->nl, sid[i], &s));
		EXPECT_LT(pings[i], s.v[COAP_KA_A_PINGS]);
	}
	for (i = 0; i < 2; i++)
		close(fd[i]);
	cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, ctx, NULL, NULL);
}

/*
 * A Ping is out to a silent peer and waits out a 3 s ACK timeout; the
 * context's ack-timeout drops to 100 ms: the session follows the new
 * schedule (two retransmissions 100 and 200 ms apart, the NACK 400 ms
 * later) rather than sitting out the old 3 + 6 + 12 s.
 *
 * Failed before 747f1e6: a context change kicked the timer, and a kick in
 * state PINGING was taken as the retransmission timeout (an immediate
 * retransmission with the old timeout doubled, 6 s), so the NACK came
 * some 18 s after the change.
 */
TEST_F(udp, live_ack_timeout_change_reschedules)
{
	const uint32_t set[] = {
		COAP_KA_A_KEEPALIVE_SECS, 1, COAP_KA_A_ACK_TIMEOUT_MS, 3000,
		COAP_KA_A_ACK_RANDOM_FACTOR, 1000, COAP_KA_A_MAX_RETRANSMIT, 2, 0,
	};
	const uint32_t fast[] = { COAP_KA_A_ACK_TIMEOUT_MS, 100, 0 };
	int fd, peer, n = 0, r;
	struct cka_ev ev, s;
	double t[8], tc, tnack = 0;
	uint8_t buf[64];
	long ctx, sid;
	uint16_t mid[8];

	ctx = cka_ctx_new(self->nl, set, NULL);
	ASSERT_LT(0, ctx);
	peer = udp_bound("127.0.0.1", 0, NULL);
	ASSERT_LE(0, peer);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_EQ(0, udp_connect_fd(fd, peer));
	sid = session_add(self->nl, ctx, fd, NULL);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);

	r = recv_within(peer, buf, sizeof(buf), 1000 + LATE_MS + 500, NULL, &t[0]);
	ASSERT_TRUE(coap_is_empty(buf, r, COAP_CON));
	mid[n++] = coap_mid(buf);
	sleep_ms(100);
	tc = now_ms();
	ASSERT_EQ(0, ctx_set(self->nl, ctx, fast));

	while (!tnack) {
		r = wait_either(peer, self->ev, 2500 - (now_ms() - tc), &ev);
		ASSERT_LT(0, r) TH_LOG("no NACK %ld ms after the change (%d transmissions)",
				      ms_since(tc, now_ms()), n);
		if (r == 2) {
			if (ev.cmd == COAP_KA_CMD_NACK_NTF && ev.v[COAP_KA_A_SESSION_ID] == sid)
				tnack = ev.t;
			continue;
		}
		ASSERT_LT(n, 8);
		r = recv_stamped(peer, buf, sizeof(buf), &t[n]);
		ASSERT_TRUE(coap_is_empty(buf, r, COAP_CON));
		mid[n] = coap_mid(buf);
		TH_LOG("transmission %d (mid %#x): %ld ms after the change", n, mid[n],
		       ms_since(tc, t[n]));
		EXPECT_EQ(mid[0], mid[n]);
		n++;
	}
	TH_LOG("nack %ld ms after the change, %d transmissions", ms_since(tc, tnack), n);
	EXPECT_EQ(3, n);
	EXPECT_EQ(2, ev.v[COAP_KA_A_RETRANSMISSIONS]);
	EXPECT_EQ(mid[0], ev.v[COAP_KA_A_MID]);
	ASSERT_EQ(0, session_get(self->nl, sid, &s));
	EXPECT_EQ(1, s.v[COAP_KA_A_NACKS]);
	EXPECT_EQ(2, s.v[COAP_KA_A_RETRANSMISSIONS]);
	close(fd);
	close(peer);
	cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, ctx, NULL, NULL);
}

/*
 * ICMP errors: those about our own Pings (the peer's port is closed) stay
 * with the kernel, and fail the Ping at once: a NACK with reason
 * unreachable before any retransmission, and the application sees no
 * error. Those about the application's own datagrams reach it as without
 * the module (ECONNREFUSED on a connected socket). Then the peer restarts
 * on the same port (a real libcoap server): the next idle period's Ping is
 * answered, the session lives on.
 */
TEST_F(udp, icmp_errors_own_pings_hidden_app_errors_reported)
{
	const uint32_t set[] = {
		COAP_KA_A_KEEPALIVE_SECS, 1, COAP_KA_A_ACK_TIMEOUT_MS, 100,
		COAP_KA_A_ACK_RANDOM_FACTOR, 1000, COAP_KA_A_MAX_RETRANSMIT, 1, 0,
	};
	int fd, port, soerr = -1;
	socklen_t len = sizeof(soerr);
	uint8_t msg[4], buf[16];
	struct cka_ev ev;
	long ctx, sid;
	pid_t server;

	ctx = cka_ctx_new(self->nl, set, NULL);
	ASSERT_LT(0, ctx);
	/* a port that was just free: nothing listens there */
	fd = udp_bound("127.0.0.1", 0, &port);
	ASSERT_LE(0, fd);
	close(fd);
	fd = udp_connected_to("127.0.0.1", port);
	ASSERT_LE(0, fd);
	sid = session_add(self->nl, ctx, fd, NULL);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);

	ASSERT_EQ(0, ev_wait(self->ev, COAP_KA_CMD_NACK_NTF, sid, 1000 + LATE_MS + 500, &ev));
	EXPECT_TRUE(ev_has(&ev, COAP_KA_A_NACK_REASON));
	EXPECT_EQ(COAP_KA_NACK_UNREACHABLE, ev.v[COAP_KA_A_NACK_REASON]);
	/* failed on the first port unreachable, before its retransmission */
	EXPECT_EQ(0, ev.v[COAP_KA_A_RETRANSMISSIONS]);
	/* the port unreachable was not for the application */
	EXPECT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len));
	EXPECT_EQ(0, soerr);
	EXPECT_EQ(-1, recv(fd, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);

	coap_hdr(msg, COAP_CON, 0x01, 0x5151);
	ASSERT_EQ(4, send(fd, msg, 4, 0));
	EXPECT_EQ(-ECONNREFUSED, recv_within(fd, buf, sizeof(buf), 1000, NULL, NULL))
		TH_LOG("the application's own port unreachable was not reported");

	/* the peer comes back on its port: the next Ping is answered */
	server = coap_server_start("127.0.0.1", port);
	ASSERT_LT(0, server);
	ASSERT_EQ(0, ev_wait(self->ev, COAP_KA_CMD_PONG_NTF, sid, 3000 + LATE_MS, &ev))
		TH_LOG("no Pong from the restarted peer");
	ASSERT_EQ(0, session_get(self->nl, sid, &ev));
	EXPECT_LE(1, ev.v[COAP_KA_A_PONGS]);
	EXPECT_LE(1, ev.v[COAP_KA_A_NACKS]);
	reap(server, SIGTERM);
	close(fd);
	cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, ctx, NULL, NULL);
}

/*
 * Answers that come late are still ours: a peer slower than the ACK
 * timeout answers both the Ping and its retransmission (the second Reset
 * comes after the Pong), or answers only after the NACK. The contract
 * says the kernel eats the peer's Reset with the Ping's MID "so the
 * application never sees it"; the application must not be woken by either.
 */
TEST_F(udp, late_and_duplicate_answers_eaten)
{
	const uint32_t set[] = {
		COAP_KA_A_KEEPALIVE_SECS, 1, COAP_KA_A_ACK_TIMEOUT_MS, 200,
		COAP_KA_A_ACK_RANDOM_FACTOR, 1000, COAP_KA_A_MAX_RETRANSMIT, 1, 0,
	};
	uint8_t buf[64], rst[4];
	struct cka_ev ev, s;
	int fd, peer;
	long ctx, sid;
	uint16_t mid;
	ssize_t n;

	ctx = cka_ctx_new(self->nl, set, NULL);
	ASSERT_LT(0, ctx);
	peer = udp_bound("127.0.0.1", 0, NULL);
	ASSERT_LE(0, peer);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_EQ(0, udp_connect_fd(fd, peer));
	ASSERT_EQ(0, udp_connect_fd(peer, fd));
	sid = session_add(self->nl, ctx, fd, NULL);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);

	/* the Ping and its retransmission, then a Reset for each */
	n = recv_within(peer, buf, sizeof(buf), 1000 + LATE_MS + 500, NULL, NULL);
	ASSERT_TRUE(coap_is_empty(buf, n, COAP_CON));
	mid = coap_mid(buf);
	n = recv_within(peer, buf, sizeof(buf), 200 + RTX_SLACK_MS + 100, NULL, NULL);
	ASSERT_TRUE(coap_is_empty(buf, n, COAP_CON));
	ASSERT_EQ(mid, coap_mid(buf));
	coap_hdr(rst, COAP_RST, 0, mid);
	ASSERT_EQ(4, send(peer, rst, 4, 0));
	ASSERT_EQ(0, ev_wait(self->ev, COAP_KA_CMD_PONG_NTF, sid, 1000, &ev));
	EXPECT_EQ(mid, ev.v[COAP_KA_A_MID]);
	ASSERT_EQ(4, send(peer, rst, 4, 0));
	EXPECT_TRUE(app_got_nothing(fd, 300))
		TH_LOG("the second Reset for Ping %#x reached the application", mid);

	/* the next Ping goes unanswered; its Reset comes after the NACK */
	n = recv_within(peer, buf, sizeof(buf), 1000 + LATE_MS + 500, NULL, NULL);
	ASSERT_TRUE(coap_is_empty(buf, n, COAP_CON));
	mid = coap_mid(buf);
	ASSERT_EQ(0, ev_wait(self->ev, COAP_KA_CMD_NACK_NTF, sid, 1000 + LATE_MS, &ev));
	coap_hdr(rst, COAP_RST, 0, mid);
	ASSERT_EQ(4, send(peer, rst, 4, 0));
	EXPECT_TRUE(app_got_nothing(fd, 300))
		TH_LOG("the late Reset for Ping %#x reached the application", mid);
	ASSERT_EQ(0, session_get(self->nl, sid, &s));
	EXPECT_EQ(1, s.v[COAP_KA_A_PONGS]);
	EXPECT_EQ(1, s.v[COAP_KA_A_NACKS]);
	close(fd);
	close(peer);
	cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, ctx, NULL, NULL);
}

/*
 * A change that has nothing to do with timing (jitter-pct) while a Ping
 * waits for its answer must leave the retransmission where it was: due
 * ack-timeout (1 s) after the Ping, not at the change.
 */
TEST_F(udp, live_unrelated_change_keeps_schedule)
{
	const uint32_t set[] = {
		COAP_KA_A_KEEPALIVE_SECS, 1, COAP_KA_A_ACK_TIMEOUT_MS, 1000,
		COAP_KA_A_ACK_RANDOM_FACTOR, 1000, COAP_KA_A_MAX_RETRANSMIT, 2, 0,
	};
	const uint32_t jitter[] = { COAP_KA_A_JITTER_PCT, 10, 0 };
	double t0 = 0, t1 = 0, tc;
	uint8_t buf[64];
	struct cka_ev s;
	int fd, peer;
	long ctx, sid;
	ssize_t n;

	ctx = cka_ctx_new(self->nl, set, NULL);
	ASSERT_LT(0, ctx);
	peer = udp_bound("127.0.0.1", 0, NULL);
	ASSERT_LE(0, peer);
	ASSERT_EQ(0, udp_stamp_arrivals(peer));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_EQ(0, udp_connect_fd(fd, peer));
	sid = session_add(self->nl, ctx, fd, NULL);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);

	/*
	 * Both transmissions timed by the peer's kernel (SO_TIMESTAMPNS):
	 * this test reading the Ping late must not shorten the interval.
	 */
	ASSERT_EQ(1, poll(&(struct pollfd){ .fd = peer, .events = POLLIN }, 1,
			  1000 + LATE_MS + 500));
	n = recv_stamped(peer, buf, sizeof(buf), &t0);
	ASSERT_TRUE(coap_is_empty(buf, n, COAP_CON));
	tc = now_ms();
	ASSERT_EQ(0, ctx_set(self->nl, ctx, jitter));
	ASSERT_EQ(1, poll(&(struct pollfd){ .fd = peer, .events = POLLIN }, 1,
			  1000 + LATE_MS));
	n = recv_stamped(peer, buf, sizeof(buf), &t1);
	ASSERT_TRUE(coap_is_empty(buf, n, COAP_CON));
	TH_LOG("retransmission %ld ms after the Ping, %ld ms after the change",
	       ms_since(t0, t1), ms_since(tc, t1));
	EXPECT_LE(1000 - EARLY_MS, ms_since(t0, t1));
	ASSERT_EQ(0, session_get(self->nl, sid, &s));
	EXPECT_EQ(1, s.v[COAP_KA_A_RETRANSMISSIONS]);
	close(fd);
	close(peer);
	cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, ctx, NULL, NULL);
}

/* The peer @peer answers the session's next Ping: reported as @sid's, eaten. */
static void ping_reset(struct __test_metadata *_metadata, FIXTURE_DATA(udp) *self,
		       int peer, int app, long sid)
{
	uint8_t buf[64], rst[4];
	struct cka_ev ev;
	ssize_t n;

	n = recv_within(peer, buf, sizeof(buf), 1000 + LATE_MS + 500, NULL, NULL);
	ASSERT_TRUE(coap_is_empty(buf, n, COAP_CON)) TH_LOG("no Ping for session %ld", sid);
	coap_hdr(rst, COAP_RST, 0, coap_mid(buf));
	ASSERT_EQ(4, send(peer, rst, 4, 0));
	ASSERT_EQ(0, ev_wait(self->ev, COAP_KA_CMD_PONG_NTF, sid, 1000, &ev))
		TH_LOG("session %ld: its Reset was not taken for its Pong", sid);
	EXPECT_EQ(coap_mid(buf), ev.v[COAP_KA_A_MID]);
	EXPECT_TRUE(app_got_nothing(app, 200));
}

/*
 * A Ping from @peer to @app: reaches the application and, when @sid is
 * not 0, is reported as that session's peer's Ping; else as nobody's.
 */
static void peer_ping(struct __test_metadata *_metadata, FIXTURE_DATA(udp) *self,
		      int peer, int app, long sid)
{
	uint8_t buf[64], ping[4];
	struct cka_ev ev;

	ev_drain(self->ev);
	coap_hdr(ping, COAP_CON, 0, 0x5a5a);
	ASSERT_EQ(4, send(peer, ping, 4, 0));
	EXPECT_EQ(4, recv_within(app, buf, sizeof(buf), 1000, NULL, NULL));
	if (sid) {
		EXPECT_EQ(0, ev_wait(self->ev, COAP_KA_CMD_PING_NTF, sid, 1000, &ev));
	} else {
		EXPECT_EQ(-ETIMEDOUT, ev_wait(self->ev, COAP_KA_CMD_PING_NTF, 0, 300, &ev))
			TH_LOG("a Ping from a peer without a session was taken for session %u's",
			       ev.v[COAP_KA_A_SESSION_ID]);
	}
}

/*
 * A socket's only session is found without the session table: that has
 * to follow its adds and deletes. Sessions for peers A, then A and B,
 * then B alone, then A again: each Reset is its own session's, and a
 * datagram from the peer that has no session goes to the application
 * without being taken for the other's.
 */
TEST_F(udp, only_session_follows_adds_and_deletes)
{
	const uint32_t set[] = {
		COAP_KA_A_KEEPALIVE_SECS, 1, COAP_KA_A_ACK_TIMEOUT_MS, 1000, 0,
	};
	enum { MANY = 100 };	/* the table (64 buckets at first) grows */
	struct sockaddr_storage sa, sb;
	socklen_t len = sizeof(sa);
	long ctx, sid_a, sid_b, many[MANY];
	uint8_t buf[64];
	int app, a, b, i;

	ctx = cka_ctx_new(self->nl, set, NULL);
	ASSERT_LT(0, ctx);
	app = udp_bound("127.0.0.1", 0, NULL);
	a = udp_bound("127.0.0.1", 0, NULL);
	b = udp_bound("127.0.0.1", 0, NULL);
	ASSERT_LE(0, app);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, udp_connect_fd(a, app));
	ASSERT_EQ(0, udp_connect_fd(b, app));
	ASSERT_EQ(0, getsockname(a, (void *)&sa, &len));
	len = sizeof(sb);
	ASSERT_EQ(0, getsockname(b, (void *)&sb, &len));

	sid_a = session_add(self->nl, ctx, app, (void *)&sa);
	ASSERT_LT(0, sid_a) TH_LOG("%s", self->nl->msg);
	ping_reset(_metadata, self, a, app, sid_a);
	peer_ping(_metadata, self, b, app, 0);

	sid_b = session_add(self->nl, ctx, app, (void *)&sb);
	ASSERT_LT(0, sid_b) TH_LOG("%s", self->nl->msg);
	ping_reset(_metadata, self, b, app, sid_b);
	peer_ping(_metadata, self, a, app, sid_a);
	peer_ping(_metadata, self, b, app, sid_b);

	ASSERT_EQ(0, session_del(self->nl, sid_a));
	ping_reset(_metadata, self, b, app, sid_b);
	peer_ping(_metadata, self, a, app, 0);
	peer_ping(_metadata, self, b, app, sid_b);

	ASSERT_EQ(0, session_del(self->nl, sid_b));
	peer_ping(_metadata, self, b, app, 0);
	/* the first session's Pings that nobody answered */
	while (recv_within(a, buf, sizeof(buf), 0, NULL, NULL) > 0)
		;
	sid_a = session_add(self->nl, ctx, app, (void *)&sa);
	ASSERT_LT(0, sid_a) TH_LOG("%s", self->nl->msg);
	ping_reset(_metadata, self, a, app, sid_a);
	peer_ping(_metadata, self, b, app, 0);
	peer_ping(_metadata, self, a, app, sid_a);

	/*
	 * A second session again, after one came and went: the first stayed
	 * in the table then, and must not be linked in twice (a loop in its
	 * bucket, which the table's growth below walks).
	 */
	sid_b = session_add(self->nl, ctx, app, (void *)&sb);
	ASSERT_LT(0, sid_b) TH_LOG("%s", self->nl->msg);
	ASSERT_EQ(0, session_del(self->nl, sid_b));
	sid_b = session_add(self->nl, ctx, app, (void *)&sb);
	ASSERT_LT(0, sid_b) TH_LOG("%s", self->nl->msg);
	for (i = 0; i < MANY; i++) {
		struct sockaddr_in sin = {
			.sin_family = AF_INET, .sin_port = htons(40000 + i),
			.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
		};

		many[i] = session_add(self->nl, ctx, app, (void *)&sin);
		ASSERT_LT(0, many[i]) TH_LOG("session %d: %s", i, self->nl->msg);
	}
	for (i = 0; i < MANY; i++)
		ASSERT_EQ(0, session_del(self->nl, many[i]));
	while (recv_within(a, buf, sizeof(buf), 0, NULL, NULL) > 0 ||
	       recv_within(b, buf, sizeof(buf), 0, NULL, NULL) > 0)
		;
	ping_reset(_metadata, self, a, app, sid_a);
	ping_reset(_metadata, self, b, app, sid_b);

	close(app);
	close(a);
	close(b);
	cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, ctx, NULL, NULL);
}

TEST_HARNESS_MAIN
