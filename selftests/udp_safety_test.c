// SPDX-License-Identifier: GPL-2.0
/*
 * Regression tests of issue 10 (UDP safety, privileges and limits): what
 * an application or another local user does to a watched socket or to the
 * module must neither leak, nor hang unload, nor corrupt the application's
 * datagrams, nor show one user's sessions to another.
 *
 *   F1 UDP_ENCAP / IPV6_ADDRFORM by the socket's owner: SESSION_GONE
 *      (SOCKET_CHANGED), then close and rmmod complete (fixture unload)
 *   F2 a corked datagram (MSG_MORE, UDP_CORK) never gets a Ping glued on
 *   F3 the application's own empty ACK / late RST with a Ping's MID
 *      reaches it, also when its send slept while the Ping was answered;
 *      a send that slept is activity as of its end
 *   F4 SESSION_GET / CTX_GET show another user nothing of root's
 *   F5 per-user session quota (EDQUOT), memory cgroup charging and limit
 *   F6 close() racing SESSION_DEL, 10000 times
 *   F7 connect() elsewhere ends the session; connect(AF_UNSPEC) of a
 *      bound socket keeps it working
 *   F8 ICMP errors with IP_RECVERR on an unconnected socket
 *   F9 rmmod stops Pings at once; no Reset reaches a handed-back socket
 *
 * Bounds are on what the module controls (its events, what the peer
 * receives); waits for the keepalive itself allow TCG's slowness.
 */
#include <pthread.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <linux/errqueue.h>
#include <linux/udp.h>

#include "cka_udp.h"
#include "kselftest_harness.h"
#include "cka_life.h"
#include "cka_priv.h"

#define LATE_MS		1500	/* scheduling slack for an idle period */
#define LO		"127.0.0.1"

#ifndef UDP_ENCAP_ESPINUDP
#define UDP_ENCAP_ESPINUDP	2
#endif

static long ctx_new_ka(struct cka_nl *nl, uint32_t secs, uint32_t ack_ms, uint32_t rtx)
{
	const uint32_t set[] = {
		COAP_KA_A_KEEPALIVE_SECS, secs, COAP_KA_A_ACK_TIMEOUT_MS, ack_ms,
		COAP_KA_A_ACK_RANDOM_FACTOR, 1000, COAP_KA_A_MAX_RETRANSMIT, rtx, 0,
	};

	return cka_ctx_new(nl, set, NULL);
}

static bool is_ping(const uint8_t *b, ssize_t n)
{
	return coap_is_empty(b, n, COAP_CON);
}

static void hexdump(char *out, size_t size, const uint8_t *b, ssize_t n)
{
	size_t o = 0;
	ssize_t i;

	out[0] = 0;
	for (i = 0; i < n && o + 4 < size; i++)
		o += snprintf(out + o, size - o, "%02x", b[i]);
}

/*
 * A peer that answers every Ping at once with a Reset (if @answer) and
 * records when each datagram arrived (the kernel's receive timestamp,
 * CLOCK_REALTIME), who sent it and when the Reset left.
 */
#define RESP_MAX	8192
struct resp_rec {
	double rx_rt;		/* arrival, CLOCK_REALTIME ms */
	double tx_rt;		/* our Reset, CLOCK_REALTIME ms (0: none) */
	uint16_t port;		/* sender's port */
	uint16_t mid;
	bool ping;
};

struct responder {
	int fd;
	bool answer;
	volatile bool stop;
	pthread_t th;
	volatile int n;
	struct resp_rec rec[RESP_MAX];
};

static double rt_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void *responder_run(void *p)
{
	struct responder *r = p;

	while (!r->stop) {
		struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
		char cbuf[256];
		uint8_t buf[2048];
		struct sockaddr_storage from;
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr mh = {
			.msg_name = &from, .msg_namelen = sizeof(from),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
		};
		struct resp_rec *rec;
		struct cmsghdr *cm;
		ssize_t n;

		if (poll(&pfd, 1, 10) != 1)
			continue;
		n = recvmsg(r->fd, &mh, MSG_DONTWAIT);
		if (n < 0 || r->n >= RESP_MAX)
			continue;
		rec = &r->rec[r->n];
		memset(rec, 0, sizeof(*rec));
		rec->rx_rt = rt_ms();
		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_TIMESTAMPNS) {
				struct timespec ts;

				memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
				rec->rx_rt = ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
			}
		}
		rec->port = sockaddr_port(&from);
		rec->ping = is_ping(buf, n);
		if (n >= 4)
			rec->mid = coap_mid(buf);
		if (rec->ping && r->answer) {
			uint8_t rst[4];

			coap_hdr(rst, COAP_RST, 0, rec->mid);
			rec->tx_rt = rt_ms();
			sendto(r->fd, rst, 4, 0, (void *)&from, mh.msg_namelen);
		}
		r->n++;
	}
	return NULL;
}

static int responder_start(struct responder *r, bool answer, int *port)
{
	int one = 1, sz = 4 << 20;

	memset(r, 0, sizeof(*r));
	r->answer = answer;
	r->fd = udp_bound(LO, 0, port);
	if (r->fd < 0)
		return -1;
	setsockopt(r->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	setsockopt(r->fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz));
	return pthread_create(&r->th, NULL, responder_run, r) ? -1 : 0;
}

static void responder_stop(struct responder *r)
{
	r->stop = true;
	pthread_join(r->th, NULL);
	close(r->fd);
}

static int responder_pings(struct responder *r, int port)
{
	int i, n = 0;

	for (i = 0; i < r->n; i++)
		n += r->rec[i].ping && (!port || r->rec[i].port == port);
	return n;
}

FIXTURE(safe) {
	struct cka_nl *nl;
	struct cka_nl *ev;
	char saved_quota[32];
};

FIXTURE_SETUP(safe)
{
	self->saved_quota[0] = 0;
	self->nl = cka_open();
	ASSERT_NE(NULL, self->nl);
	self->ev = open_events();
	ASSERT_NE(NULL, self->ev);
}

FIXTURE_TEARDOWN(safe)
{
	if (self->saved_quota[0])
		write_file(MOD_PARAM("max_sessions_per_user"), self->saved_quota);
	if (self->ev)
		cka_close(self->ev);
	if (self->nl)
		cka_close(self->nl);
}

/*
 * F2. The application holds a datagram corked ("APP-PART1" with MSG_MORE,
 * or under UDP_CORK) past the moment a Ping falls due, then completes it
 * with "APP-PART2". The peer gets the application's datagram whole and
 * alone, and the kernel's Pings as datagrams of their own: nothing glued
 * to the corked part, nothing prefixed to it. The keepalive still works
 * afterwards (a Ping follows the datagram one idle second later: each
 * Ping is given up after 400 ms, so none is still out by then).
 */
static void corked(struct __test_metadata *_metadata, FIXTURE_DATA(safe) *self,
		   bool udp_cork)
{
	static const char want[] = "APP-PART1APP-PART2";
	int fd, peer, one = 1, zero = 0, apps = 0, pings = 0, others = 0;
	int pings_after = 0;
	double t_done = 0, end;
	long ctx, sid;

	ctx = ctx_new_ka(self->nl, 1, 400, 0);
	ASSERT_LT(0, ctx);
	peer = udp_bound(LO, 0, NULL);
	ASSERT_LE(0, peer);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_EQ(0, udp_connect_fd(fd, peer));
	sid = session_add(self->nl, ctx, fd, NULL);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);

	if (udp_cork) {
		ASSERT_EQ(0, setsockopt(fd, IPPROTO_UDP, UDP_CORK, &one, sizeof(one)));
		ASSERT_EQ(9, send(fd, "APP-PART1", 9, 0));
	} else {
		ASSERT_EQ(9, send(fd, "APP-PART1", 9, MSG_MORE));
	}
	/* corked through the idle second and its slack: a Ping falls due */
	end = now_ms() + 1000 + LATE_MS + 500;
	for (;;) {
		uint8_t buf[2048];
		char hex[128];
		double t;
		ssize_t n;
		int left = end - now_ms();

		if (left < 0 && !t_done) {
			/* complete the application's datagram */
			if (udp_cork) {
				ASSERT_EQ(9, send(fd, "APP-PART2", 9, 0));
				ASSERT_EQ(0, setsockopt(fd, IPPROTO_UDP, UDP_CORK,
							&zero, sizeof(zero)));
			} else {
				ASSERT_EQ(9, send(fd, "APP-PART2", 9, 0));
			}
			t_done = now_ms();
			end = t_done + 1000 + LATE_MS + 500;
			continue;
		}
		if (left < 0 || (t_done && apps && pings_after))
			break;
		n = recv_within(peer, buf, sizeof(buf), left, NULL, &t);
		if (n == -ETIMEDOUT)
			continue;
		ASSERT_LE(0, n);
		if (n == (ssize_t)strlen(want) && !memcmp(buf, want, n)) {
			apps++;
		} else if (is_ping(buf, n)) {
			pings++;
			pings_after += t_done && apps;
		} else {
			others++;
			hexdump(hex, sizeof(hex), buf, n);
			TH_LOG("the peer got a datagram that is neither the application's nor a Ping: %zd bytes %s",
			       n, hex);
		}
	}
	EXPECT_EQ(0, others);
	EXPECT_EQ(1, apps) TH_LOG("the application's datagram arrived %d times", apps);
	EXPECT_LE(1, pings_after) TH_LOG("no Ping after the corked datagram was sent");
	TH_LOG("%s: %d Pings in all, %d after the application's datagram",
	       udp_cork ? "UDP_CORK" : "MSG_MORE", pings, pings_after);
	close(fd);
	close(peer);
	EXPECT_EQ(0, cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, ctx, NULL, NULL));
	(void)sid;
}

TEST_F_TIMEOUT(safe, corked_msg_more_not_glued, 60)
{
	corked(_metadata, self, false);
}

TEST_F_TIMEOUT(safe, corked_udp_cork_not_glued, 60)
{
	corked(_metadata, self, true);
}

/*
 * F3. The kernel's Ping (MID M) is answered; the session then stays busy
 * (the application sends every 200 ms, keepalive 2 s, so no new Ping).
 * (a) The application sends its own CON with MID M and the peer answers
 * with an empty ACK (60 00 M): the application gets it. (b) The peer sends
 * an empty RST with MID M 1.5 s (> 2 x ACK timeout) after the Ping was
 * answered: the application gets it.
 */
static void own_empty_reaches_app(struct __test_metadata *_metadata,
				  FIXTURE_DATA(safe) *self, bool ack)
{
	int fd, peer, i, newpings = 0;
	uint8_t buf[64], msg[4];
	struct cka_ev ev;
	long ctx, sid;
	uint16_t mid;
	ssize_t n;

	ctx = ctx_new_ka(self->nl, 2, 200, 2);
	ASSERT_LT(0, ctx);
	peer = udp_bound(LO, 0, NULL);
	ASSERT_LE(0, peer);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_EQ(0, udp_connect_fd(fd, peer));
	ASSERT_EQ(0, udp_connect_fd(peer, fd));
	sid = session_add(self->nl, ctx, fd, NULL);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);

	n = recv_within(peer, buf, sizeof(buf), 2000 + LATE_MS + 500, NULL, NULL);
	ASSERT_TRUE(is_ping(buf, n)) TH_LOG("no Ping (%zd)", n);
	mid = coap_mid(buf);
	coap_hdr(msg, COAP_RST, 0, mid);
	ASSERT_EQ(4, send(peer, msg, 4, 0));
	ASSERT_EQ(0, ev_wait(self->ev, COAP_KA_CMD_PONG_NTF, sid, 2000, &ev));
	ASSERT_TRUE(ev_has(&ev, COAP_KA_A_MID));
	ASSERT_EQ(mid, ev.v[COAP_KA_A_MID]);
	/* the session is busy from now on: no idle period, no new Ping */
	for (i = 0; i < 8; i++) {
		coap_hdr(msg, COAP_NON, 0x02, 0x0100 + i);
		ASSERT_EQ(4, send(fd, msg, 4, 0));
		while ((n = recv_within(peer, buf, sizeof(buf), 200, NULL, NULL)) > 0)
			newpings += is_ping(buf, n);
	}
	ASSERT_EQ(0, newpings) TH_LOG("the session was not kept busy: a new Ping replaced MID %#x",
				      mid);
	if (ack) {
		/* the application's CON with the Ping's MID, and its ACK */
		coap_hdr(msg, COAP_CON, 0x01, mid);
		ASSERT_EQ(4, send(fd, msg, 4, 0));
		do {
			n = recv_within(peer, buf, sizeof(buf), 1000, NULL, NULL);
			ASSERT_EQ(4, n);
		} while (memcmp(buf, msg, 4));
		coap_hdr(msg, COAP_ACK, 0, mid);
	} else {
		coap_hdr(msg, COAP_RST, 0, mid);
	}
	ASSERT_EQ(4, send(peer, msg, 4, 0));
	n = recv_within(fd, buf, sizeof(buf), 1000, NULL, NULL);
	EXPECT_EQ(4, n) TH_LOG("the application never got the peer's empty %s with MID %#x",
			       ack ? "ACK" : "RST", mid);
	if (n == 4)
		EXPECT_EQ(0, memcmp(buf, msg, 4));
	close(fd);
	close(peer);
	EXPECT_EQ(0, cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, ctx, NULL, NULL));
}

TEST_F_TIMEOUT(safe, own_empty_ack_reaches_app, 60)
{
	own_empty_reaches_app(_metadata, self, true);
}

TEST_F_TIMEOUT(safe, late_rst_reaches_app, 60)
{
	own_empty_reaches_app(_metadata, self, false);
}

/*
 * F3, with a send that sleeps. In a network namespace of its own, lo's
 * qdisc is prio: the application's datagrams go through a token bucket
 * (TBF_RATE bytes/s, a bucket of 7000), the peer's (SO_PRIORITY 6) pass
 * at once. The application's send buffer is at its minimum. The kernel's
 * Ping (MID M) reaches the peer. The application then sends two datagrams
 * of 6000 bytes (the first empties the bucket; 5 ms later the second waits
 * in it for about 200 ms, charged to the socket) and at once its own CON
 * with MID M, whose send sleeps until the second leaves. Meanwhile the
 * peer answers the Ping with a Reset, which opens the window in which
 * answers to M are the kernel's. The module must see the CON as it is when
 * its send ends: the session was active then (TX_AGE_MS counts from the
 * end), and M is the application's from then on, so the peer's empty ACK
 * to it reaches the application.
 *
 * The shortcut this guards (coap_ka_udp_send_moot()) is taken when the CON
 * begins in the jiffy the second datagram was stamped in, which a round
 * may miss: three rounds. A round in which the CON did not sleep, or the
 * Reset came too late, fails rather than pass on a send that proves
 * nothing.
 */
#define TBF_RATE	25000
#define ROUNDS		3

struct late_rst {
	int peer;
	uint16_t mid;
	double sent;	/* now_ms() once the Reset was sent, or 0 */
};

static void *late_rst_send(void *arg)
{
	struct late_rst *r = arg;
	uint8_t rst[4];

	usleep(60 * 1000);
	coap_hdr(rst, COAP_RST, 0, r->mid);
	if (send(r->peer, rst, 4, 0) == 4)
		r->sent = now_ms();
	return NULL;
}

TEST_F_TIMEOUT(safe, slept_send_seen_as_it_ends, 90)
{
	const uint32_t set[] = {
		COAP_KA_A_KEEPALIVE_SECS, 1, COAP_KA_A_ACK_TIMEOUT_MS, 2000,
		COAP_KA_A_ACK_RANDOM_FACTOR, 1000, COAP_KA_A_MAX_RETRANSMIT, 1, 0,
	};
	uint8_t buf[8192], msg[4], big[6000] = {};
	int fd, peer, sz = 1, prio = 6, round, n;
	double t_start, t_end, t_get;
	struct late_rst r;
	struct cka_nl *nl;
	struct cka_ev s;
	pthread_t th;
	long ctx, sid;

	ctx = netns_child_ctx(set, &nl);
	ASSERT_LT(0, ctx) TH_LOG("no network namespace of its own");
	snprintf((char *)buf, sizeof(buf),
		 "tc qdisc add dev lo root handle 1: prio && "
		 "tc qdisc add dev lo parent 1:2 handle 20: tbf rate %dbps burst 7000 limit 100000",
		 TBF_RATE);
	ASSERT_EQ(0, system((char *)buf)) TH_LOG("tc could not set up lo's qdiscs");
	peer = udp_bound(LO, 0, NULL);
	ASSERT_LE(0, peer);
	ASSERT_EQ(0, setsockopt(peer, SOL_SOCKET, SO_PRIORITY, &prio, sizeof(prio)));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)));
	ASSERT_EQ(0, udp_connect_fd(fd, peer));
	ASSERT_EQ(0, udp_connect_fd(peer, fd));
	sid = session_add(nl, ctx, fd, NULL);
	ASSERT_LT(0, sid) TH_LOG("%s", nl->msg);

	for (round = 1; round <= ROUNDS; round++) {
		do {
			n = recv_within(peer, buf, sizeof(buf), 1000 + LATE_MS + 500,
					NULL, NULL);
			ASSERT_LT(0, n) TH_LOG("round %d: no Ping", round);
		} while (!is_ping(buf, n));
		r = (struct late_rst){ .peer = peer, .mid = coap_mid(buf) };
		coap_hdr(big, COAP_NON, 0x02, 0x0100 + round);
		coap_hdr(msg, COAP_CON, 0x01, r.mid);
		ASSERT_EQ(0, pthread_create(&th, NULL, late_rst_send, &r));
		ASSERT_EQ(sizeof(big), send(fd, big, sizeof(big), 0));
		/* the first is out (on lo, within its send): a jiffy on */
		usleep(5000);
		t_start = now_ms();
		ASSERT_EQ(sizeof(big), send(fd, big, sizeof(big), 0));
		ASSERT_EQ(4, send(fd, msg, 4, 0));
		t_end = now_ms();
		ASSERT_EQ(0, session_get(nl, sid, &s));
		t_get = now_ms();
		ASSERT_EQ(0, pthread_join(th, NULL));
		ASSERT_LT(0, r.sent) TH_LOG("round %d: the peer's Reset was not sent", round);
		ASSERT_GT(t_end, r.sent)
			TH_LOG("round %d: the CON's send ended %.1f ms in, before the Reset: nothing shown",
			       round, t_end - t_start);
		ASSERT_EQ(round, s.v[COAP_KA_A_PONGS])
			TH_LOG("round %d: the Reset was not taken", round);
		/* the age of the send's end, plus a jiffy and rounding */
		EXPECT_GE((long)(t_get - t_end) + 10, (long)s.v[COAP_KA_A_TX_AGE_MS])
			TH_LOG("round %d: a send that ended %.0f ms in counts as activity %u ms ago",
			       round, t_end - t_start, s.v[COAP_KA_A_TX_AGE_MS]);

		/* the peer gets all three, then answers the CON with an empty ACK */
		do {
			n = recv_within(peer, buf, sizeof(buf), 2000, NULL, NULL);
			ASSERT_LT(0, n) TH_LOG("round %d: the CON never came", round);
		} while (n != 4 || memcmp(buf, msg, 4));
		coap_hdr(msg, COAP_ACK, 0, r.mid);
		ASSERT_EQ(4, send(peer, msg, 4, 0));
		n = recv_within(fd, buf, sizeof(buf), 1000, NULL, NULL);
		EXPECT_EQ(4, n)
			TH_LOG("round %d: the application never got the empty ACK to its CON %#x",
			       round, r.mid);
		if (n == 4)
			EXPECT_EQ(0, memcmp(buf, msg, 4));
	}
	close(fd);
	close(peer);
	EXPECT_EQ(0, cka_ctx_cmd(nl, COAP_KA_CMD_CTX_DEL, ctx, NULL, NULL));
	cka_close(nl);
}

/*
 * F4. uid 65534, on its own netlink socket, sees none of root's sessions
 * (empty dump, ENOENT or EPERM and no data for a do) and only its own
 * contexts; root sees everything.
 */
struct peek {
	long root_ctx, root_sid;
};

struct peek_res {
	long own_ctx;
	int sess_dump, sess_in_ctx, get_err, ctx_n, ctx_foreign, ctx_get_err;
	bool get_data, ctx_get_data, root_sid_seen, root_ctx_seen;
};

static int peek_child(int sk, void *arg)
{
	struct peek *pk = arg;
	struct peek_res r = { .own_ctx = -1 };
	struct cka_ev evs[16], e;
	struct ctx_list l;
	struct cka_ctx c;
	struct cka_nl *nl;
	int i;

	nl = cka_open();
	if (!nl)
		return 10;
	r.own_ctx = cka_ctx_new(nl, NULL, NULL);
	r.sess_dump = session_dump(nl, 0, evs, 16);
	r.root_sid_seen = r.sess_dump > 0 && sess_listed(evs, r.sess_dump, pk->root_sid);
	r.sess_in_ctx = session_dump(nl, pk->root_ctx, NULL, 0);
	memset(&e, 0, sizeof(e));
	r.get_err = session_get(nl, pk->root_sid, &e);
	r.get_data = e.present != 0;
	r.ctx_n = ctx_dump(nl, &l);
	for (i = 0; i < l.n && i < CTXD_MAX; i++)
		r.ctx_foreign += l.owner[i] != UID_NOBODY;
	r.root_ctx_seen = ctx_listed(&l, pk->root_ctx);
	memset(&c, 0, sizeof(c));
	r.ctx_get_err = cka_ctx_cmd(nl, COAP_KA_CMD_CTX_GET, pk->root_ctx, NULL, &c);
	r.ctx_get_data = c.present != 0;
	cka_close(nl);
	return msg_put(sk, &r, sizeof(r)) ? 11 : 0;
}

TEST_F(safe, session_get_hides_other_users)
{
	struct peek pk;
	struct peek_res r;
	struct cka_ev evs[64];
	struct ctx_list l;
	struct proc p;
	int fd, peer, n;

	pk.root_ctx = ctx_new_ka(self->nl, 0, 2000, 4);
	ASSERT_LT(0, pk.root_ctx);
	peer = udp_bound(LO, 0, NULL);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_EQ(0, udp_connect_fd(fd, peer));
	pk.root_sid = session_add(self->nl, pk.root_ctx, fd, NULL);
	ASSERT_LT(0, pk.root_sid) TH_LOG("%s", self->nl->msg);

	ASSERT_EQ(0, proc_start(&p, UID_NOBODY, peek_child, &pk));
	ASSERT_EQ(sizeof(r), msg_get(p.sk, &r, sizeof(r), 20000));
	EXPECT_EQ(0, proc_end(&p, 5000));
	ASSERT_LT(0, r.own_ctx);

	EXPECT_EQ(0, r.sess_dump) TH_LOG("uid 65534's session dump shows %d sessions", r.sess_dump);
	EXPECT_FALSE(r.root_sid_seen);
	EXPECT_EQ(0, r.sess_in_ctx);
	EXPECT_TRUE(r.get_err == -ENOENT || r.get_err == -EPERM)
		TH_LOG("SESSION_GET of root's session by uid 65534: %d", r.get_err);
	EXPECT_FALSE(r.get_data);
	EXPECT_EQ(1, r.ctx_n) TH_LOG("uid 65534's context dump shows %d contexts", r.ctx_n);
	EXPECT_EQ(0, r.ctx_foreign);
	EXPECT_FALSE(r.root_ctx_seen);
	EXPECT_TRUE(r.ctx_get_err == -ENOENT || r.ctx_get_err == -EPERM)
		TH_LOG("CTX_GET of root's context by uid 65534: %d", r.ctx_get_err);
	EXPECT_FALSE(r.ctx_get_data);

	/* root sees all */
	n = session_dump(self->nl, 0, evs, 64);
	EXPECT_LE(1, n);
	EXPECT_TRUE(sess_listed(evs, n < 64 ? n : 64, pk.root_sid));
	EXPECT_LE(2, ctx_dump(self->nl, &l));
	EXPECT_TRUE(ctx_listed(&l, r.own_ctx));
	EXPECT_TRUE(ctx_listed(&l, pk.root_ctx));
	ksft_print_msg("uid 65534: %d sessions, get %d, %d contexts (%d foreign), ctx get %d\n",
		       r.sess_dump, r.get_err, r.ctx_n, r.ctx_foreign, r.ctx_get_err);
	EXPECT_EQ(0, cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, r.own_ctx, NULL, NULL));
	close(fd);
	close(peer);
	EXPECT_EQ(0, cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, pk.root_ctx, NULL, NULL));
}

/*
 * F5a. With max_sessions_per_user at 8, uid 65534's 9th session (another
 * peer on its shared socket, or a connected socket) is refused with EDQUOT
 * and an extack message; root's own count is separate.
 */
#define QUOTA	8

struct quota_res {
	long rc[QUOTA + 2];
	char msg[2][256];
};

static int quota_child(int sk, void *arg)
{
	struct quota_res r;
	struct cka_nl *nl;
	int fd, fd2, i;
	long ctx;

	memset(&r, 0, sizeof(r));
	nl = cka_open();
	if (!nl)
		return 10;
	ctx = cka_ctx_new(nl, NULL, NULL);
	fd = udp_bound(LO, 0, NULL);
	fd2 = udp_connected_to(LO, 9);
	for (i = 0; i <= QUOTA; i++) {
		struct sockaddr_storage ss;

		sockaddr_fill(&ss, LO, 20000 + i);
		r.rc[i] = session_add(nl, ctx, fd, (void *)&ss);
	}
	snprintf(r.msg[0], sizeof(r.msg[0]), "%s", nl->msg);
	r.rc[QUOTA + 1] = session_add(nl, ctx, fd2, NULL);
	snprintf(r.msg[1], sizeof(r.msg[1]), "%s", nl->msg);
	if (msg_put(sk, &r, sizeof(r)))
		return 11;
	/* keep the sessions until the test has tried root's */
	get_long(sk, 20000, 0);
	close(fd);
	close(fd2);
	cka_ctx_cmd(nl, COAP_KA_CMD_CTX_DEL, ctx, NULL, NULL);
	cka_close(nl);
	return 0;
}

TEST_F(safe, session_quota_per_user)
{
	char val[32];
	struct quota_res r;
	struct proc p;
	long ctx, sid;
	int fd, i;

	ASSERT_EQ(0, read_line(MOD_PARAM("max_sessions_per_user"), self->saved_quota,
			       sizeof(self->saved_quota)))
		TH_LOG("no module parameter max_sessions_per_user");
	snprintf(val, sizeof(val), "%d", QUOTA);
	ASSERT_EQ(0, write_file(MOD_PARAM("max_sessions_per_user"), val));

	ASSERT_EQ(0, proc_start(&p, UID_NOBODY, quota_child, NULL));
	ASSERT_EQ(sizeof(r), msg_get(p.sk, &r, sizeof(r), 20000));
	for (i = 0; i < QUOTA; i++)
		EXPECT_LT(0, r.rc[i]) TH_LOG("session %d of uid 65534 refused: %ld", i, r.rc[i]);
	EXPECT_EQ(-EDQUOT, r.rc[QUOTA]);
	EXPECT_NE(0, r.msg[0][0]) TH_LOG("EDQUOT without an extack message");
	EXPECT_EQ(-EDQUOT, r.rc[QUOTA + 1]);
	EXPECT_NE(0, r.msg[1][0]);
	ksft_print_msg("quota %d: 9th session %ld \"%s\", connected socket %ld \"%s\"\n",
		       QUOTA, r.rc[QUOTA], r.msg[0], r.rc[QUOTA + 1], r.msg[1]);

	/* root's count is its own */
	ctx = cka_ctx_new(self->nl, NULL, NULL);
	ASSERT_LT(0, ctx);
	fd = udp_connected_to(LO, 9);
	sid = session_add(self->nl, ctx, fd, NULL);
	EXPECT_LT(0, sid) TH_LOG("root refused while uid 65534 is at its quota: %s",
				 self->nl->msg);
	put_long(p.sk, 1);
	EXPECT_EQ(0, proc_end(&p, 10000));
	close(fd);
	EXPECT_EQ(0, cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, ctx, NULL, NULL));
}

/*
 * F5b. A user in a memory cgroup. Phase A (a roomy limit): what a session
 * costs in memory.current, on a shared socket (MC_SHARED peers) and on a
 * connected socket (MC_CONN sockets, made beforehand); the cgroup must see
 * at least 60% of the kernel memory the sessions took (Slab + VmallocUsed;
 * memory.current moves in 64-page steps), and a
 * connected socket's session may cost at most 1.5 x a shared one's.
 * Phase B: memory.max 4 MiB above the current use: peers on one socket
 * until refused (ENOMEM or EDQUOT with extack), the host still adds a
 * session, and the cgroup grew by about sessions x cost; then 1 MiB above
 * and connected sockets (made beforehand) until refused.
 */
#define CG_ROOT		"/sys/fs/cgroup"
#define CG		CG_ROOT "/cka_memcg"
#define MC_SHARED	6000
#define MC_CONN		2000
#define MC_SOCKS	7000
#define MC_CAP		200000

struct mc_res {
	long shared_cg, shared_glob, conn_cg, conn_glob;
	long n, err, delta;
	char msg[300];
};

/* memory.current, through a descriptor opened before the limit (no file to allocate) */
static int cg_fd = -1;

static long cg_current(void)
{
	char buf[32];
	ssize_t n;

	if (cg_fd < 0)
		return read_long(CG "/memory.current");
	n = pread(cg_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return atol(buf);
}

/* Slab + VmallocUsed from /proc/meminfo, bytes. */
static long kmem_global(void)
{
	char line[128];
	long kb, sum = 0;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Slab: %ld kB", &kb) == 1 ||
		    sscanf(line, "VmallocUsed: %ld kB", &kb) == 1)
			sum += kb;
	if (f)
		fclose(f);
	return sum * 1024;
}

static int mc_socks[MC_SOCKS];

/*
 * The child's reports go through memory shared with the test, faulted in
 * by the test (so charged outside the cgroup): at its limit the child may
 * not even get an skb for a message. @seq counts the reports.
 */
struct mc_shared {
	volatile int seq;
	struct mc_res r;
};

static struct mc_shared *mcs;

static void mc_report(const struct mc_res *r)
{
	mcs->r = *r;
	__sync_synchronize();
	mcs->seq++;
}

/* The child's report number @seq into @r within @ms: 0 or -1. */
static int mc_wait(int seq, struct mc_res *r, int ms)
{
	double end = now_ms() + ms;

	while (mcs->seq < seq && now_ms() < end)
		sleep_ms(20);
	__sync_synchronize();
	*r = mcs->r;
	return mcs->seq >= seq ? 0 : -1;
}

static void mc_peer(struct sockaddr_in *sin, int i)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(5683);
	sin->sin_addr.s_addr = htonl(0x7f000000 | (i + 1) << 8 | 1);
}

static int memcg_child(int sk, void *arg)
{
	struct rlimit rl = { MC_SOCKS + 256, MC_SOCKS + 256 };
	struct rlimit ml = { RLIM_INFINITY, RLIM_INFINITY };
	struct mc_res r;
	struct cka_nl *nl;
	long ctx, m0, g0, err;
	char pid[32];
	int i, s1, s2;

	snprintf(pid, sizeof(pid), "%d", getpid());
	/*
	 * Locked in memory first: at the cgroup's limit a page fault of
	 * ours (code not yet touched) would call the memcg OOM killer, which
	 * is not what is tested (the module's requests must fail instead).
	 */
	if (setrlimit(RLIMIT_MEMLOCK, &ml) || mlockall(MCL_CURRENT | MCL_FUTURE))
		return 19;
	if (write_file(CG "/cgroup.procs", pid) ||
	    write_file("/proc/self/oom_score_adj", "-1000") ||
	    setrlimit(RLIMIT_NOFILE, &rl) || drop_to(UID_NOBODY))
		return 20;
	cg_fd = open(CG "/memory.current", O_RDONLY | O_CLOEXEC);
	nl = cka_open();
	if (cg_fd < 0 || !nl)
		return 21;
	ctx = cka_ctx_new(nl, (const uint32_t[]){ COAP_KA_A_KEEPALIVE_SECS, 3600, 0 }, NULL);
	if (ctx <= 0)
		return 22;
	s1 = udp_bound(LO, 0, NULL);
	s2 = udp_bound(LO, 0, NULL);
	for (i = 0; i < MC_SOCKS; i++) {
		mc_socks[i] = udp_connected_to(LO, 9);
		if (mc_socks[i] < 0)
			return 23;
	}
	memset(&r, 0, sizeof(r));
	mc_report(&r);

	/* phase A: the test set a roomy limit */
	if (get_long(sk, 60000, -1) != 1)
		return 24;
	m0 = cg_current();
	g0 = kmem_global();
	for (i = 0; i < MC_SHARED; i++) {
		struct sockaddr_in sin;

		mc_peer(&sin, i);
		err = session_add(nl, ctx, s1, (void *)&sin);
		if (err <= 0) {
			r.err = err;
			snprintf(r.msg, sizeof(r.msg), "phase A shared %d: %s", i, nl->msg);
			mc_report(&r);
			return 25;
		}
	}
	r.shared_cg = cg_current() - m0;
	r.shared_glob = kmem_global() - g0;
	m0 = cg_current();
	g0 = kmem_global();
	for (i = 0; i < MC_CONN; i++) {
		err = session_add(nl, ctx, mc_socks[i], NULL);
		if (err <= 0) {
			r.err = err;
			snprintf(r.msg, sizeof(r.msg), "phase A connected %d: %s", i, nl->msg);
			mc_report(&r);
			return 26;
		}
	}
	r.conn_cg = cg_current() - m0;
	r.conn_glob = kmem_global() - g0;
	close(s1);
	for (i = 0; i < MC_CONN; i++)
		close(mc_socks[i]);
	/* a fresh socket: the old one overflows with their SESSION_GONEs */
	cka_close(nl);
	nl = cka_open();
	if (!nl)
		return 30;
	mc_report(&r);

	/* phase B1: the test set memory.max 4 MiB above the current use */
	if (get_long(sk, 60000, -1) != 2)
		return 27;
	memset(&r, 0, sizeof(r));
	m0 = cg_current();
	for (i = 0; i < MC_CAP; i++) {
		struct sockaddr_in sin;

		mc_peer(&sin, i);
		err = session_add(nl, ctx, s2, (void *)&sin);
		if (err <= 0)
			break;
	}
	r.n = i;
	r.err = i < MC_CAP ? err : 0;
	r.delta = cg_current() - m0;
	snprintf(r.msg, sizeof(r.msg), "%s", nl->msg);
	mc_report(&r);
	/* the test adds a session of its own meanwhile */
	if (get_long(sk, 60000, -1) != 3)
		return 28;
	close(s2);
	cka_close(nl);
	nl = cka_open();
	if (!nl)
		return 31;
	mc_report(&r);

	/* phase B2: 1 MiB above, connected sockets */
	if (get_long(sk, 60000, -1) != 4)
		return 29;
	memset(&r, 0, sizeof(r));
	m0 = cg_current();
	for (i = MC_CONN; i < MC_SOCKS; i++) {
		err = session_add(nl, ctx, mc_socks[i], NULL);
		if (err <= 0)
			break;
	}
	r.n = i - MC_CONN;
	r.err = i < MC_SOCKS ? err : 0;
	r.delta = cg_current() - m0;
	snprintf(r.msg, sizeof(r.msg), "%s", nl->msg);
	/* room for the report itself: at the limit even its skb may fail */
	for (i = MC_CONN; i < MC_SOCKS; i++)
		close(mc_socks[i]);
	sleep_ms(200);
	mc_report(&r);
	get_long(sk, 60000, -1);
	return 0;
}

/* Does this boot add slab debugging to every object (slub_debug=...)? */
static bool slab_debugging(void)
{
	char line[4096];

	return !read_line("/proc/cmdline", line, sizeof(line)) &&
	       strstr(line, "slub_debug");
}

/* Set memory.max @room bytes above the cgroup's current use. */
static int cg_room(long room)
{
	char v[32];

	snprintf(v, sizeof(v), "%ld", cg_current() + room);
	return write_file(CG "/memory.max", v);
}

TEST_F_TIMEOUT(safe, memcg_charges_sessions, 300)
{
	long cost_shared, cost_conn, ctx, sid;
	struct mc_res a, b1, b2;
	struct proc p;
	int fd, status;

	if (access(CG_ROOT "/cgroup.controllers", F_OK))
		ASSERT_EQ(0, mount("cgroup2", CG_ROOT, "cgroup2", 0, NULL));
	{
		char ctl[256];

		/* the debug kernel is built without CONFIG_MEMCG */
		if (read_line(CG_ROOT "/cgroup.controllers", ctl, sizeof(ctl)) ||
		    !strstr(ctl, "memory"))
			SKIP(return, "no memory controller in this kernel");
	}
	ASSERT_EQ(0, write_file(CG_ROOT "/cgroup.subtree_control", "+memory"));
	rmdir(CG);
	ASSERT_EQ(0, mkdir(CG, 0755));
	/* the quota (if any) must not be what stops the user here */
	if (!read_line(MOD_PARAM("max_sessions_per_user"), self->saved_quota,
		       sizeof(self->saved_quota)))
		ASSERT_EQ(0, write_file(MOD_PARAM("max_sessions_per_user"), "1000000"));

	mcs = mmap(NULL, sizeof(*mcs), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		   -1, 0);
	ASSERT_NE(MAP_FAILED, mcs);
	memset(mcs, 0, sizeof(*mcs));
	ASSERT_EQ(0, proc_start(&p, 0, memcg_child, NULL));
	ASSERT_EQ(0, mc_wait(1, &a, 60000)) TH_LOG("the child did not set up");
	ASSERT_EQ(0, cg_room(256L << 20));
	put_long(p.sk, 1);
	ASSERT_EQ(0, mc_wait(2, &a, 120000))
		TH_LOG("phase A: no report (child status %d)", proc_end(&p, 1000));
	ASSERT_EQ(0, a.err) TH_LOG("phase A: %ld %s", a.err, a.msg);
	cost_shared = a.shared_cg / MC_SHARED;
	cost_conn = a.conn_cg / MC_CONN;
	ksft_print_msg("bytes/session shared=%ld connected=%ld (memory.current; Slab+VmallocUsed grew %ld and %ld per session; slub_debug included)\n",
		       cost_shared, cost_conn, a.shared_glob / MC_SHARED,
		       a.conn_glob / MC_CONN);
	EXPECT_LT(0, cost_shared);
	/*
	 * slub_debug (the test guests boot with it) adds red zones and
	 * tracking to every object, most to small ones, and memory.current
	 * moves in per-CPU batches: the 1.5x design bound is held without
	 * either, by make bench (row 1); here it is printed.
	 */
	if (!slab_debugging()) {
		EXPECT_GE(cost_shared * 3 / 2 + 64, cost_conn)
			TH_LOG("a connected socket's session costs %ld bytes, a shared one's %ld",
			       cost_conn, cost_shared);
	} else {
		ksft_print_msg("slub_debug on: connected/shared = %.2f, not held to 1.5 here\n",
			       (double)cost_conn / cost_shared);
	}
	/* the sessions' kernel memory is charged to the user's cgroup */
	EXPECT_LE(a.shared_glob * 3 / 5, a.shared_cg)
		TH_LOG("shared: the cgroup saw %ld of %ld bytes", a.shared_cg, a.shared_glob);
	EXPECT_LE(a.conn_glob * 3 / 5, a.conn_cg)
		TH_LOG("connected: the cgroup saw %ld of %ld bytes", a.conn_cg, a.conn_glob);

	/* B1: 4 MiB of room, peers on one socket */
	sleep_ms(200);
	ASSERT_EQ(0, cg_room(4L << 20));
	put_long(p.sk, 2);
	ASSERT_EQ(0, mc_wait(3, &b1, 240000))
		TH_LOG("phase B1: no report (child status %d)", proc_end(&p, 1000));
	ksft_print_msg("shared socket: %ld sessions in 4 MiB, refused with %ld \"%s\", memory.current +%ld\n",
		       b1.n, b1.err, b1.msg, b1.delta);
	EXPECT_TRUE(b1.err == -ENOMEM || b1.err == -EDQUOT)
		TH_LOG("%ld sessions, then %ld", b1.n, b1.err);
	if (b1.err == -EDQUOT)
		EXPECT_NE(0, b1.msg[0]);
	EXPECT_LT(0, b1.n);
	if (cost_shared > 0) {
		EXPECT_LE(b1.delta / 2, b1.n * cost_shared);
		EXPECT_GE(b1.delta * 2, b1.n * cost_shared);
	}
	/* the host is not in the cgroup: it still adds a session */
	ctx = cka_ctx_new(self->nl, NULL, NULL);
	ASSERT_LT(0, ctx);
	fd = udp_connected_to(LO, 9);
	sid = session_add(self->nl, ctx, fd, NULL);
	EXPECT_LT(0, sid) TH_LOG("the host was refused: %s", self->nl->msg);
	close(fd);
	EXPECT_EQ(0, cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, ctx, NULL, NULL));
	/* room again, so the child can let go of its sessions and reopen */
	ASSERT_EQ(0, cg_room(256L << 20));
	put_long(p.sk, 3);
	ASSERT_EQ(0, mc_wait(4, &b2, 60000));

	/* B2: 1 MiB of room, connected sockets made beforehand */
	sleep_ms(500);
	ASSERT_EQ(0, cg_room(1L << 20));
	put_long(p.sk, 4);
	ASSERT_EQ(0, mc_wait(5, &b2, 240000))
		TH_LOG("phase B2: no report (child status %d)", proc_end(&p, 1000));
	ksft_print_msg("connected sockets: %ld sessions in 1 MiB, refused with %ld \"%s\", memory.current +%ld\n",
		       b2.n, b2.err, b2.msg, b2.delta);
	EXPECT_TRUE(b2.err == -ENOMEM || b2.err == -EDQUOT)
		TH_LOG("%ld sessions, then %ld", b2.n, b2.err);
	if (b2.err == -EDQUOT)
		EXPECT_NE(0, b2.msg[0]);
	if (cost_conn > 0 && b2.err) {
		EXPECT_LE(b2.delta / 2, b2.n * cost_conn);
		EXPECT_GE(b2.delta * 2, b2.n * cost_conn);
	}
	put_long(p.sk, 5);
	status = proc_end(&p, 60000);
	EXPECT_EQ(0, status);
	EXPECT_EQ(0, rmdir(CG));
}

/*
 * F6. A session on a fresh UDP socket, then two threads at once: one
 * closes the socket, the other deletes the session (SESSION_DEL answers 0
 * or ENOENT), RACE_ROUNDS times in all. RACE_WORKERS independent
 * (adder, closer, deleter) triples run side by side, so that the
 * module's grace-period waits overlap and the loop stays fast under TCG.
 * No oops; no session is left.
 */
#define RACE_ROUNDS	10000
#define RACE_WORKERS	8

struct race {
	pthread_barrier_t go, done;
	struct cka_nl *nl;	/* the adder's */
	struct cka_nl *dnl;	/* the deleter's */
	long ctx;
	int peer;
	int fd;
	long sid;
	int round;
	long del;
	bool stop;
	/* results */
	int ndel, nnoent, other, add_fail;
	long first_other;
	pthread_t adder, closer, deleter;
};

static void spin_us(double us)
{
	double until = now_ms() + us / 1000;

	while (now_ms() < until)
		;
}

static void *race_closer(void *p)
{
	struct race *r = p;

	for (;;) {
		pthread_barrier_wait(&r->go);
		if (r->stop)
			return NULL;
		if (r->round & 1)
			spin_us(r->round % 7 * 10);
		close(r->fd);
		pthread_barrier_wait(&r->done);
	}
}

static void *race_deleter(void *p)
{
	struct race *r = p;

	for (;;) {
		pthread_barrier_wait(&r->go);
		if (r->stop)
			return NULL;
		if (!(r->round & 1))
			spin_us(r->round % 7 * 10);
		r->del = session_del(r->dnl, r->sid);
		pthread_barrier_wait(&r->done);
	}
}

static void *race_adder(void *p)
{
	struct race *r = p;
	int i;

	for (i = 0; i < RACE_ROUNDS / RACE_WORKERS; i++) {
		r->fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (r->fd < 0 || udp_connect_fd(r->fd, r->peer)) {
			r->add_fail++;
			break;
		}
		r->sid = session_add(r->nl, r->ctx, r->fd, NULL);
		if (r->sid <= 0) {
			r->add_fail++;
			close(r->fd);
			break;
		}
		r->round = i;
		pthread_barrier_wait(&r->go);
		pthread_barrier_wait(&r->done);
		if (!r->del) {
			r->ndel++;
		} else if (r->del == -ENOENT) {
			r->nnoent++;
		} else if (!r->other++) {
			r->first_other = r->del;
		}
	}
	r->stop = true;
	pthread_barrier_wait(&r->go);
	return NULL;
}

/* about 20 s on a normal kernel; several minutes under KASAN (check-debug) */
TEST_F_TIMEOUT(safe, close_races_session_del, 1200)
{
	int i, peer, ndel = 0, nnoent = 0, other = 0, add_fail = 0;
	struct race *r;
	long ctx, left = -1;
	double t0;

	/* the events of 10000 sessions would only fill this socket */
	cka_close(self->ev);
	self->ev = NULL;
	ctx = ctx_new_ka(self->nl, 1, 100, 1);
	ASSERT_LT(0, ctx);
	peer = udp_bound(LO, 0, NULL);
	ASSERT_LE(0, peer);
	r = calloc(RACE_WORKERS, sizeof(*r));
	ASSERT_NE(NULL, r);
	t0 = now_ms();
	for (i = 0; i < RACE_WORKERS; i++) {
		r[i].ctx = ctx;
		r[i].peer = peer;
		r[i].nl = cka_open();
		r[i].dnl = cka_open();
		ASSERT_NE(NULL, r[i].nl);
		ASSERT_NE(NULL, r[i].dnl);
		ASSERT_EQ(0, pthread_barrier_init(&r[i].go, NULL, 3));
		ASSERT_EQ(0, pthread_barrier_init(&r[i].done, NULL, 3));
		ASSERT_EQ(0, pthread_create(&r[i].closer, NULL, race_closer, &r[i]));
		ASSERT_EQ(0, pthread_create(&r[i].deleter, NULL, race_deleter, &r[i]));
		ASSERT_EQ(0, pthread_create(&r[i].adder, NULL, race_adder, &r[i]));
	}
	for (i = 0; i < RACE_WORKERS; i++) {
		pthread_join(r[i].adder, NULL);
		pthread_join(r[i].closer, NULL);
		pthread_join(r[i].deleter, NULL);
		ndel += r[i].ndel;
		nnoent += r[i].nnoent;
		other += r[i].other;
		add_fail += r[i].add_fail;
		if (r[i].other)
			TH_LOG("worker %d: SESSION_DEL gave %ld", i, r[i].first_other);
		cka_close(r[i].nl);
		cka_close(r[i].dnl);
		pthread_barrier_destroy(&r[i].go);
		pthread_barrier_destroy(&r[i].done);
	}
	ksft_print_msg("%d rounds of close vs SESSION_DEL (%d workers) in %.0f ms: %d deleted, %d already gone, %d other, %d adds failed\n",
		       ndel + nnoent + other, RACE_WORKERS, now_ms() - t0, ndel, nnoent,
		       other, add_fail);
	EXPECT_EQ(0, add_fail);
	EXPECT_EQ(0, other);
	EXPECT_LE(RACE_ROUNDS, ndel + nnoent + other);
	for (t0 = now_ms(); now_ms() - t0 < 5000; sleep_ms(50)) {
		left = session_dump(self->nl, ctx, NULL, 0);
		if (!left)
			break;
	}
	EXPECT_EQ(0, left);
	EXPECT_EQ(0, ctx_sessions(self->nl, ctx));
	EXPECT_EQ(0, cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, ctx, NULL, NULL));
	close(peer);
	free(r);
}

/*
 * F7a. A session on a socket connected to peer A; the application
 * connects it to peer B: SESSION_GONE (DISCONNECTED) within 2 s, and B
 * never gets a kernel Ping.
 */
TEST_F_TIMEOUT(safe, connect_elsewhere_ends_session, 60)
{
	int fd, a, b, pings = 0;
	struct cka_ev ev;
	uint8_t buf[64];
	long ctx, sid;
	double t0;
	ssize_t n;

	ctx = ctx_new_ka(self->nl, 1, 5000, 0);
	ASSERT_LT(0, ctx);
	a = udp_bound(LO, 0, NULL);
	b = udp_bound(LO, 0, NULL);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_EQ(0, udp_connect_fd(fd, a));
	sid = session_add(self->nl, ctx, fd, NULL);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);
	sleep_ms(300);
	ASSERT_EQ(0, udp_connect_fd(fd, b));
	t0 = now_ms();
	EXPECT_EQ(0, ev_wait(self->ev, COAP_KA_CMD_SESSION_GONE_NTF, sid, 2000, &ev))
		TH_LOG("no SESSION_GONE within 2 s of connect() to another peer");
	if (ev.cmd == COAP_KA_CMD_SESSION_GONE_NTF)
		EXPECT_EQ(COAP_KA_GONE_DISCONNECTED, ev.v[COAP_KA_A_GONE_REASON]);
	/* a Ping of a session left alive would come within an idle second */
	while ((n = recv_within(b, buf, sizeof(buf), t0 + 1000 + LATE_MS + 500 - now_ms(),
				NULL, NULL)) >= 0)
		pings += is_ping(buf, n);
	EXPECT_EQ(0, pings) TH_LOG("peer B got %d kernel Pings", pings);
	close(fd);
	close(a);
	close(b);
	EXPECT_EQ(0, cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, ctx, NULL, NULL));
}

/*
 * F7b. A socket bound to an explicit port and connected to peer A, which
 * answers every Ping; connect(AF_UNSPEC): the session stays, its Pings
 * keep reaching A and are answered (PONGs, no NACK, no SESSION_GONE).
 */
TEST_F_TIMEOUT(safe, disconnect_keeps_bound_session, 60)
{
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	int fd, port, aport, pongs = 0, nacks = 0, gone = 0;
	struct responder *a;
	struct cka_ev ev, s;
	long ctx, sid;
	double t0;

	a = calloc(1, sizeof(*a));
	ASSERT_NE(NULL, a);
	ASSERT_EQ(0, responder_start(a, true, &aport));
	ctx = ctx_new_ka(self->nl, 1, 500, 1);
	ASSERT_LT(0, ctx);
	/* an explicit port (bind() with a port number), found free first */
	fd = udp_bound(LO, 0, &port);
	ASSERT_LE(0, fd);
	close(fd);
	fd = udp_bound(LO, port, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, udp_connect_fd(fd, a->fd));
	sid = session_add(self->nl, ctx, fd, NULL);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);
	ASSERT_EQ(0, connect(fd, &unspec, sizeof(unspec)));
	EXPECT_EQ(port, sock_port(fd));

	t0 = now_ms();
	while (pongs < 2 && now_ms() - t0 < 2 * (1000 + LATE_MS) + 1000) {
		if (ev_wait(self->ev, 0, sid, 200, &ev))
			continue;
		pongs += ev.cmd == COAP_KA_CMD_PONG_NTF;
		nacks += ev.cmd == COAP_KA_CMD_NACK_NTF;
		gone += ev.cmd == COAP_KA_CMD_SESSION_GONE_NTF;
		if (gone)
			break;
	}
	EXPECT_EQ(0, gone) TH_LOG("the session ended (reason %u)", ev.v[COAP_KA_A_GONE_REASON]);
	EXPECT_EQ(0, nacks);
	EXPECT_LE(2, pongs);
	/* the responder thread may note its last Ping after its answer's PONG */
	for (t0 = now_ms(); responder_pings(a, port) < 2 && now_ms() - t0 < 2000;)
		sleep_ms(20);
	EXPECT_LE(2, responder_pings(a, port));
	if (!gone) {
		ASSERT_EQ(0, session_get(self->nl, sid, &s));
		EXPECT_EQ(0, s.v[COAP_KA_A_NACKS]);
		EXPECT_LE(2, s.v[COAP_KA_A_PONGS]);
	}
	ksft_print_msg("after connect(AF_UNSPEC): %d PONGs, %d NACKs, peer A got %d Pings\n",
		       pongs, nacks, responder_pings(a, port));
	responder_stop(a);
	free(a);
	close(fd);
	EXPECT_EQ(0, cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, ctx, NULL, NULL));
}

/*
 * F8. An unconnected socket with IP_RECVERR sends to a closed port on
 * 127.0.0.1: the ICMP port unreachable reaches the application as it does
 * without the module (SO_ERROR ECONNREFUSED on every kernel; on 6.2 and
 * later also the IP_RECVERR queue).
 */
struct icmp_seen {
	int soerr;
	int queued;	/* ee_errno on the error queue, 0 if none, -1 not looked */
};

static void icmp_try(struct __test_metadata *_metadata, FIXTURE_DATA(safe) *self,
		     long ctx, int port, bool watched, struct icmp_seen *seen)
{
	struct sockaddr_storage to, silent;
	struct pollfd pfd;
	int fd, on = 1, speer;
	socklen_t len = sizeof(int);

	fd = udp_bound(LO, 0, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, setsockopt(fd, SOL_IP, IP_RECVERR, &on, sizeof(on)));
	speer = udp_bound(LO, 0, NULL);
	if (watched) {
		sockaddr_fill(&silent, LO, sock_port(speer));
		ASSERT_LT(0, session_add(self->nl, ctx, fd, (void *)&silent))
			TH_LOG("%s", self->nl->msg);
	}
	sockaddr_fill(&to, LO, port);
	ASSERT_EQ(5, sendto(fd, "hello", 5, 0, (void *)&to, sizeof(struct sockaddr_in)));
	pfd = (struct pollfd){ .fd = fd, .events = POLLERR };
	poll(&pfd, 1, 2000);
	seen->soerr = 0;
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_ERROR, &seen->soerr, &len));
	seen->queued = -1;
	if (ksft_min_kernel_version(6, 2)) {
		struct sock_extended_err *ee = NULL;
		char cbuf[512], buf[64];
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr mh = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
		};
		struct cmsghdr *cm;

		seen->queued = 0;
		if (recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) >= 0) {
			for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
				if (cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_RECVERR)
					ee = (void *)CMSG_DATA(cm);
			if (ee)
				seen->queued = ee->ee_errno;
		}
	}
	close(fd);
	close(speer);
}

TEST_F(safe, icmp_recverr_unconnected)
{
	struct icmp_seen plain, watched;
	int port, fd;
	long ctx;

	fd = udp_bound(LO, 0, &port);
	ASSERT_LE(0, fd);
	close(fd);
	ctx = ctx_new_ka(self->nl, 0, 2000, 4);
	ASSERT_LT(0, ctx);
	icmp_try(_metadata, self, ctx, port, false, &plain);
	icmp_try(_metadata, self, ctx, port, true, &watched);
	ksft_print_msg("without the module: SO_ERROR %d, queued %d; watched: SO_ERROR %d, queued %d\n",
		       plain.soerr, plain.queued, watched.soerr, watched.queued);
	EXPECT_EQ(ECONNREFUSED, plain.soerr);
	EXPECT_EQ(ECONNREFUSED, watched.soerr);
	EXPECT_EQ(plain.queued, watched.queued);
	if (plain.queued >= 0)
		EXPECT_EQ(ECONNREFUSED, watched.queued);
	EXPECT_EQ(0, cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, ctx, NULL, NULL));
}

/*
 * Tests that unload the module. Each leaves it loaded again ($CKA_KO), so
 * that the runner's own rmmod after the test still has work to do.
 */
FIXTURE(unload) {
	struct cka_nl *nl;
	struct cka_nl *ev;
};

FIXTURE_SETUP(unload)
{
	ASSERT_NE(NULL, getenv("CKA_KO")) TH_LOG("CKA_KO not set");
	ASSERT_EQ(0, insmod_again());
	self->nl = cka_open();
	ASSERT_NE(NULL, self->nl);
	self->ev = open_events();
	ASSERT_NE(NULL, self->ev);
}

FIXTURE_TEARDOWN(unload)
{
	if (self->ev)
		cka_close(self->ev);
	if (self->nl)
		cka_close(self->nl);
	insmod_again();
}

static void close_nl(FIXTURE_DATA(unload) *self)
{
	cka_close(self->ev);
	cka_close(self->nl);
	self->ev = self->nl = NULL;
}

/*
 * F9. 40 watched sockets, keepalive 1 s, one peer answering each Ping at
 * once with a Reset. rmmod while Pings flow: no Ping leaves more than
 * 50 ms after unloading began (the module's initstate turned "going";
 * the peer's kernel receive stamps; one straggler allowed), and no Reset sent before rmmod returned is found on a socket
 * afterwards. UNLOAD_ROUNDS unloads.
 */
#define UNLOAD_SOCKS	40
#define UNLOAD_ROUNDS	5
#define LATE_PINGS_MAX	1

TEST_F_TIMEOUT(unload, rmmod_stops_pings, 240)
{
	int fds[UNLOAD_SOCKS], round, i, pport;

	for (round = 0; round < UNLOAD_ROUNDS; round++) {
		int late = 0, rst = 0, rst_lag = 0, others = 0, rc, before;
		double t_start, t_going = 0, t_end, t0;
		struct responder *r;
		struct cka_nl *nl;
		char st[32];
		long ctx, took;
		pid_t pid;

		ASSERT_EQ(0, insmod_again());
		if (!round)
			close_nl(self);
		nl = cka_open();
		ASSERT_NE(NULL, nl);
		ctx = ctx_new_ka(nl, 1, 2000, 4);
		ASSERT_LT(0, ctx);
		r = calloc(1, sizeof(*r));
		ASSERT_NE(NULL, r);
		ASSERT_EQ(0, responder_start(r, true, &pport));
		/* added 25 ms apart: Pings flow all the time, not in bursts */
		for (i = 0; i < UNLOAD_SOCKS; i++) {
			fds[i] = udp_connected_to(LO, pport);
			ASSERT_LE(0, fds[i]);
			ASSERT_LT(0, session_add(nl, ctx, fds[i], NULL)) TH_LOG("%s", nl->msg);
			sleep_ms(1000 / UNLOAD_SOCKS);
		}
		cka_close(nl);
		/* Pings flow: every session has had at least one answered */
		for (t0 = now_ms(); responder_pings(r, 0) < 2 * UNLOAD_SOCKS &&
		     now_ms() - t0 < 15000;)
			sleep_ms(20);
		ASSERT_LE(2 * UNLOAD_SOCKS, responder_pings(r, 0));

		t_start = rt_ms();
		pid = spawn("/tmp/cka-rmmod.log", (char *[]){ "rmmod", "coap_keepalive", NULL });
		ASSERT_LT(0, pid);
		rc = -1;
		for (t0 = now_ms(); now_ms() - t0 < 10000;) {
			int status;

			if (!t_going && (read_line(MOD_DIR "/initstate", st, sizeof(st)) ||
					 strcmp(st, "live")))
				t_going = rt_ms();
			if (waitpid(pid, &status, WNOHANG) == pid) {
				rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
				break;
			}
			if (t_going)
				sleep_ms(2);
		}
		t_end = rt_ms();
		if (!t_going)
			t_going = t_end;
		ASSERT_EQ(0, rc) TH_LOG("rmmod: %d after %.0f ms", rc, t_end - t_start);
		took = t_end - t_start;
		sleep_ms(300);
		responder_stop(r);

		before = 0;
		for (i = 0; i < r->n; i++) {
			if (!r->rec[i].ping)
				continue;
			if (r->rec[i].rx_rt > t_going + 50)
				late++;
			else
				before++;
		}
		/* what reached the sockets, now plain again */
		for (i = 0; i < UNLOAD_SOCKS; i++) {
			uint8_t buf[64];
			ssize_t n;
			int j;

			while ((n = recv(fds[i], buf, sizeof(buf), MSG_DONTWAIT)) >= 0) {
				if (!coap_is_empty(buf, n, COAP_RST)) {
					others++;
					continue;
				}
				/* when did the peer send it? */
				for (j = r->n - 1; j >= 0; j--)
					if (r->rec[j].port == sock_port(fds[i]) &&
					    r->rec[j].mid == coap_mid(buf) && r->rec[j].tx_rt)
						break;
				if (j >= 0 && r->rec[j].tx_rt > t_end)
					rst_lag++;
				else
					rst++;
			}
			close(fds[i]);
		}
		ksft_print_msg("round %d: rmmod took %ld ms (going after %.0f ms); Pings: %d before going+50ms, %d later; Resets at the application: %d (%d sent only after rmmod returned)\n",
			       round, took, t_going - t_start, before, late, rst + rst_lag, rst_lag);
		EXPECT_GE(LATE_PINGS_MAX, late)
			TH_LOG("round %d: %d Pings left more than 50 ms after unloading began",
			       round, late);
		EXPECT_EQ(0, rst) TH_LOG("round %d: %d Resets reached the application", round, rst);
		EXPECT_EQ(0, others);
		free(r);
		ASSERT_EQ(0, insmod_again());
	}
}

/*
 * F1. The socket's owner (uid 65534) changes its watched socket under the
 * module: UDP_ENCAP 0, UDP_ENCAP_ESPINUDP, or IPV6_ADDRFORM (an IPv6
 * socket connected to a v4-mapped peer). The session ends with
 * SESSION_GONE (SOCKET_CHANGED) within 2 s; then the socket is closed and
 * rmmod completes within 10 s.
 */
enum change { ENCAP_0, ENCAP_ESP, ADDRFORM };

struct chg_arg {
	enum change kind;
	int port;
};

static int change_child(int sk, void *arg)
{
	struct chg_arg *a = arg;
	struct cka_nl *nl;
	int fd, v, rc;
	long ctx, sid;

	nl = cka_open();
	if (!nl)
		return 10;
	ctx = ctx_new_ka(nl, 1, 5000, 0);
	if (a->kind == ADDRFORM)
		fd = udp_connected_to("::ffff:127.0.0.1", a->port);
	else
		fd = udp_connected_to(LO, a->port);
	sid = ctx > 0 && fd >= 0 ? session_add(nl, ctx, fd, NULL) : -1;
	put_long(sk, sid);
	if (sid <= 0 || get_long(sk, 20000, 0) != 1)
		return 11;
	switch (a->kind) {
	case ENCAP_0:
		v = 0;
		rc = setsockopt(fd, IPPROTO_UDP, UDP_ENCAP, &v, sizeof(v));
		break;
	case ENCAP_ESP:
		v = UDP_ENCAP_ESPINUDP;
		rc = setsockopt(fd, IPPROTO_UDP, UDP_ENCAP, &v, sizeof(v));
		break;
	default:
		v = AF_INET;
		rc = setsockopt(fd, IPPROTO_IPV6, IPV6_ADDRFORM, &v, sizeof(v));
		break;
	}
	put_long(sk, rc ? -errno : 0);
	if (get_long(sk, 20000, 0) != 2)
		return 12;
	close(fd);
	cka_close(nl);
	put_long(sk, 2);
	return 0;
}

static void socket_changed(struct __test_metadata *_metadata,
			   FIXTURE_DATA(unload) *self, enum change kind)
{
	struct chg_arg a = { .kind = kind };
	struct cka_ev ev = {};
	long sid, rc, took;
	struct proc p;
	int peer, got;

	peer = udp_bound(LO, 0, &a.port);
	ASSERT_LE(0, peer);
	ASSERT_EQ(0, proc_start(&p, UID_NOBODY, change_child, &a));
	sid = get_long(p.sk, 20000, -1);
	ASSERT_LT(0, sid) TH_LOG("uid 65534 could not add its session");
	put_long(p.sk, 1);
	rc = get_long(p.sk, 20000, -1000);
	ASSERT_EQ(0, rc) TH_LOG("the owner's setsockopt failed: %ld", rc);
	got = ev_wait(self->ev, COAP_KA_CMD_SESSION_GONE_NTF, sid, 2000, &ev);
	EXPECT_EQ(0, got) TH_LOG("no SESSION_GONE within 2 s of the owner's change");
	if (!got)
		EXPECT_EQ(COAP_KA_GONE_SOCKET_CHANGED, ev.v[COAP_KA_A_GONE_REASON]);
	put_long(p.sk, 2);
	EXPECT_EQ(2, get_long(p.sk, 20000, -1));
	EXPECT_EQ(0, proc_end(&p, 10000));
	close(peer);

	/* nothing left behind: unload completes */
	close_nl(self);
	rc = rmmod_within(10000, &took);
	ASSERT_EQ(0, rc) TH_LOG("rmmod: %s", rc < 0 ? "still running after 10 s" : "failed");
	ksft_print_msg("rmmod took %ld ms\n", took);
	ASSERT_EQ(0, insmod_again());
}

TEST_F_TIMEOUT(unload, udp_encap_0_ends_session, 60)
{
	socket_changed(_metadata, self, ENCAP_0);
}

TEST_F_TIMEOUT(unload, udp_encap_espinudp_ends_session, 60)
{
	socket_changed(_metadata, self, ENCAP_ESP);
}

TEST_F_TIMEOUT(unload, ipv6_addrform_ends_session, 60)
{
	socket_changed(_metadata, self, ADDRFORM);
}

TEST_HARNESS_MAIN
