// SPDX-License-Identifier: GPL-2.0
/*
 * The per-namespace Ping pacing limit (sysctl
 * net.coap_keepalive.ping_rate_limit, issue 13): sessions that fall due
 * together leave at most the limit per second, in the order they fell
 * due, none starves, and none is retransmitted or NACKed for the time the
 * pacer held it (UDP and TCP); events are not held; a change takes effect
 * at once; sessions, a namespace or
 * the module going away with Pings held leave nothing behind; and only
 * the namespace's root may set it.
 *
 * The peers are addresses 127.1.x.y on one port, all answered by one
 * responder socket bound to the wildcard address (IP_PKTINFO: it answers
 * from the address it was sent to). The kernel stamps each Ping's arrival
 * (SO_TIMESTAMPNS) as loopback hands it over, a few microseconds after it
 * left: a slow or descheduled responder does not move the stamps.
 */
#include <pthread.h>
#include <sys/prctl.h>

#include "kselftest_harness.h"
#include "cka_udp.h"
#include "cka_life.h"
#include "cka_priv.h"
#include "cka_tcp.h"

#define SYSCTL		"/proc/sys/net/coap_keepalive/ping_rate_limit"
#define RATE_MAX	10000000
#define NSESS		300
#define MAXREC		20000

/* One Ping the responder saw. */
struct rec {
	double t;		/* kernel arrival stamp, now_ms() time */
	int peer;		/* index of the session's peer */
	uint16_t mid;
};

struct bed {
	int srv;		/* the sessions' socket, 127.0.0.1 */
	int resp;		/* the responder, 0.0.0.0:port */
	int port;
	bool answer;		/* Reset every Ping */
	volatile bool stop;
	pthread_t th;
	pthread_mutex_t lock;
	int nrec;
	struct rec rec[MAXREC];
};

static struct sockaddr_in peer_addr(int i, int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };

	sin.sin_addr.s_addr = htonl(0x7f010000 | (i / 200) << 8 | (i % 200 + 1));
	return sin;
}

static int peer_index(struct in_addr a)
{
	uint32_t h = ntohl(a.s_addr);

	if ((h & 0xffff0000) != 0x7f010000 || !(h & 0xff) || (h & 0xff) > 200)
		return -1;
	return ((h >> 8) & 0xff) * 200 + (h & 0xff) - 1;
}

static void *responder(void *arg)
{
	struct bed *b = arg;

	while (!b->stop) {
		char cbuf[256], rbuf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct pollfd pfd = { .fd = b->resp, .events = POLLIN };
		struct sockaddr_in from;
		struct in_pktinfo *pi = NULL;
		struct cmsghdr *cm;
		uint8_t buf[64];
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr mh = {
			.msg_name = &from, .msg_namelen = sizeof(from),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
		};
		double t = 0;
		ssize_t n;
		int peer;

		if (poll(&pfd, 1, 50) <= 0)
			continue;
		n = recvmsg(b->resp, &mh, MSG_DONTWAIT);
		if (n < 0)
			continue;
		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS)
				t = realtime_to_ms((const struct timespec *)CMSG_DATA(cm));
			if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO)
				pi = (struct in_pktinfo *)CMSG_DATA(cm);
		}
		if (!pi || !coap_is_empty(buf, n, COAP_CON))
			continue;
		peer = peer_index(pi->ipi_addr);
		if (peer < 0)
			continue;
		pthread_mutex_lock(&b->lock);
		if (b->nrec < MAXREC)
			b->rec[b->nrec++] = (struct rec){ t ? t : now_ms(), peer, coap_mid(buf) };
		pthread_mutex_unlock(&b->lock);
		if (!b->answer)
			continue;
		/* the Reset, from the address the Ping went to */
		coap_hdr(buf, COAP_RST, 0, coap_mid(buf));
		memset(rbuf, 0, sizeof(rbuf));
		mh.msg_control = rbuf;
		mh.msg_controllen = sizeof(rbuf);
		mh.msg_namelen = sizeof(from);
		iov.iov_len = 4;
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
		((struct in_pktinfo *)CMSG_DATA(cm))->ipi_spec_dst = pi->ipi_addr;
		sendmsg(b->resp, &mh, 0);
	}
	return NULL;
}

static int bed_start(struct bed *b, bool answer)
{
	int one = 1, rcvbuf = 4 << 20;

	memset(b, 0, sizeof(*b));
	b->answer = answer;
	pthread_mutex_init(&b->lock, NULL);
	b->srv = udp_bound("127.0.0.1", 0, NULL);
	b->resp = udp_bound("0.0.0.0", 0, &b->port);
	/* room for a whole unpaced burst (as root, over rmem_max) */
	if (b->resp >= 0)
		setsockopt(b->resp, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	if (b->srv < 0 || b->resp < 0 ||
	    setsockopt(b->resp, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) ||
	    udp_stamp_arrivals(b->resp))
		return -1;
	return pthread_create(&b->th, NULL, responder, b) ? -1 : 0;
}

static void bed_stop(struct bed *b)
{
	if (b->th) {
		b->stop = true;
		pthread_join(b->th, NULL);
		b->th = 0;
	}
	if (b->srv >= 0)
		close(b->srv);
	if (b->resp >= 0)
		close(b->resp);
	b->srv = b->resp = -1;
}

/* Add @n sessions on the bed's socket to context @ctx: 0 or -errno. */
static long bed_add(struct cka_nl *nl, struct bed *b, long ctx, int n, long *sid)
{
	int i;

	for (i = 0; i < n; i++) {
		struct sockaddr_storage ss = {};
		struct sockaddr_in sin = peer_addr(i, b->port);
		long s;

		memcpy(&ss, &sin, sizeof(sin));
		s = session_add(nl, ctx, b->srv, (struct sockaddr *)&ss);

		if (s <= 0)
			return s ? s : -EINVAL;
		if (sid)
			sid[i] = s;
	}
	return 0;
}

/* A copy of what the responder saw so far: its count. */
static int bed_snap(struct bed *b, struct rec *out)
{
	int n;

	pthread_mutex_lock(&b->lock);
	n = b->nrec;
	memcpy(out, b->rec, n * sizeof(*out));
	pthread_mutex_unlock(&b->lock);
	return n;
}

static int cmp_t(const void *a, const void *b)
{
	double x = ((const struct rec *)a)->t, y = ((const struct rec *)b)->t;

	return x < y ? -1 : x > y;
}

/* The most Pings any 1 s window of @r (sorted) holds; *@at its start. */
static int worst_window(const struct rec *r, int n, double *at)
{
	int i, j = 0, worst = 0;

	for (i = 0; i < n; i++) {
		while (j < n && r[j].t < r[i].t + 1000)
			j++;
		if (j - i > worst) {
			worst = j - i;
			*at = r[i].t;
		}
	}
	return worst;
}

/* The first arrival of each of @npeers peers in @r (-1: none). */
static void first_seen(const struct rec *r, int n, double *first, int npeers)
{
	int i;

	for (i = 0; i < npeers; i++)
		first[i] = -1;
	for (i = 0; i < n; i++)
		if (r[i].peer < npeers && first[r[i].peer] < 0)
			first[r[i].peer] = r[i].t;
}

static int peers_seen(const struct rec *r, int n, int npeers)
{
	double first[NSESS];
	int i, k = 0;

	first_seen(r, n, first, npeers);
	for (i = 0; i < npeers; i++)
		k += first[i] >= 0;
	return k;
}

static int set_limit(unsigned int v)
{
	char s[32];

	snprintf(s, sizeof(s), "%u", v);
	return write_file(SYSCTL, s);
}

/* Keepalive 1 s, no jitter, first retransmission after 2-3 s. */
static const uint32_t settings[] = {
	COAP_KA_A_KEEPALIVE_SECS, 1, COAP_KA_A_JITTER_PCT, 0,
	COAP_KA_A_ACK_TIMEOUT_MS, 2000, 0,
};

FIXTURE(pace) {
	struct cka_nl *nl;
	struct bed *b;
	struct rec *r;
};

FIXTURE_SETUP(pace)
{
	ASSERT_EQ(0, access(SYSCTL, F_OK)) TH_LOG("no %s: module without the Ping pacer", SYSCTL);
	self->nl = cka_open();
	ASSERT_NE(NULL, self->nl);
	self->b = calloc(1, sizeof(*self->b));
	self->r = calloc(MAXREC, sizeof(*self->r));
	ASSERT_NE(NULL, self->b);
	ASSERT_NE(NULL, self->r);
	self->b->srv = self->b->resp = -1;
}

FIXTURE_TEARDOWN(pace)
{
	if (self->b)
		bed_stop(self->b);
	set_limit(0);
	free(self->b);
	free(self->r);
	if (self->nl)
		cka_close(self->nl);
}

/*
 * NSESS sessions added together, keepalive 1 s, jitter 0: they fall due
 * together, every second after their last Pong. Run for @ms after the
 * last one is added (at *@t_done; adding began at *@t_add); the Pings
 * the responder saw go to self->r, sorted; their count.
 */
static int burst_run(FIXTURE_DATA(pace) *self, struct __test_metadata *_metadata,
		     unsigned int limit, int ms, double *t_add, double *t_done,
		     long *ctx, long *sid)
{
	int n;

	EXPECT_EQ(0, set_limit(limit));
	EXPECT_EQ(0, bed_start(self->b, true));
	*ctx = cka_ctx_new(self->nl, settings, NULL);
	EXPECT_LT(0, *ctx);
	*t_add = now_ms();
	EXPECT_EQ(0, bed_add(self->nl, self->b, *ctx, NSESS, sid)) TH_LOG("%s", self->nl->msg);
	*t_done = now_ms();
	sleep_ms(ms - (now_ms() - *t_done));
	n = bed_snap(self->b, self->r);
	qsort(self->r, n, sizeof(*self->r), cmp_t);
	return n;
}

/*
 * The bound any 1 s window may hold: the limit, the pacer's bucket (10 ms
 * of tokens, at least one: kept so that the work item, woken once a
 * jiffy at best, can keep up the rate), and 2 for Pings whose token came
 * just before the window but whose send the work item's preemption
 * between taking the token and handing the datagram to loopback put
 * inside it (each preemption delays one Ping).
 */
static int window_bound(unsigned int limit)
{
	return limit + (limit / 100 > 1 ? limit / 100 : 1) + 2;
}

/*
 * Limit 100/s, 300 sessions due together every ~3 s: no 1 s window over
 * the bound; every session pinged within the first round (N/limit s after
 * they fell due, plus margin); and none retransmitted or NACKed although
 * each waits ~2 s for its turn, as long as its 2-3 s ACK timeout.
 */
TEST_F_TIMEOUT(pace, limit_holds_burst, 120)
{
	const unsigned int limit = 100;
	double t_add, t_done, at = 0, first[NSESS], last = 0;
	long sid[NSESS];
	struct cka_nl *q;
	struct cka_ev ev;
	int n, worst, i, k, dups = 0;
	long ctx, retx = 0, nacks = 0, pings = 0;

	n = burst_run(self, _metadata, limit, 9000, &t_add, &t_done, &ctx, sid);
	ASSERT_LT(0, n);
	worst = worst_window(self->r, n, &at);
	first_seen(self->r, n, first, NSESS);
	for (i = 0; i < NSESS; i++) {
		ASSERT_LE(0, first[i]) TH_LOG("session %d never pinged in 9 s", i);
		if (first[i] > last)
			last = first[i];
	}
	/* a peer that sees the same MID twice saw a retransmission */
	for (i = 0; i < n; i++)
		for (k = i + 1; k < n && k < i + 2 * NSESS; k++)
			dups += self->r[k].peer == self->r[i].peer &&
				self->r[k].mid == self->r[i].mid;
	/* asked on a socket of its own: the first one gets every session's events */
	q = cka_open();
	ASSERT_NE(NULL, q);
	for (i = 0; i < NSESS; i++) {
		ASSERT_EQ(0, session_get(q, sid[i], &ev));
		retx += ev.v[COAP_KA_A_RETRANSMISSIONS];
		nacks += ev.v[COAP_KA_A_NACKS];
		pings += ev.v[COAP_KA_A_PINGS];
	}
	cka_close(q);
	TH_LOG("limit %u/s: %d Pings in 9 s, worst 1 s window %d (bound %d) at +%.0f ms; sessions added by +%.0f ms; last first Ping +%.0f ms; %ld Pings, %ld retransmissions, %ld NACKs counted; %d repeated MIDs",
	       limit, n, worst, window_bound(limit), at - t_add, t_done - t_add,
	       last - t_add, pings, retx, nacks, dups);
	EXPECT_LE(worst, window_bound(limit));
	/*
	 * The last session added falls due 1 s after it was added. A session
	 * has at most one Ping waiting, and they leave in order: at most
	 * NSESS - 1 are ahead of it, so it leaves within NSESS / limit s
	 * (3 s) of falling due; 2 s margin. Sessions added early come due
	 * again while later ones are still being added (slow on the debug
	 * kernel), so the time from the first add says nothing.
	 */
	EXPECT_LE(last - t_done, 1000 + NSESS * 1000 / limit + 2000);
	/* the pacer kept the rate up: 8 s of tokens, less a busy machine's slack */
	EXPECT_LE(limit * 6, n);
	EXPECT_EQ(0, retx);
	EXPECT_EQ(0, nacks);
	EXPECT_EQ(0, dups);
}

/* The same without a limit: the burst the limit holds (the test can fail). */
TEST_F_TIMEOUT(pace, no_limit_bursts, 60)
{
	double t_add, t_done, at = 0;
	int n, worst;
	long ctx;

	n = burst_run(self, _metadata, 0, 3000, &t_add, &t_done, &ctx, NULL);
	worst = worst_window(self->r, n, &at);
	TH_LOG("no limit: %d Pings of %d sessions in 3 s, worst 1 s window %d at +%.0f ms",
	       n, peers_seen(self->r, n, NSESS), worst, at - t_add);
	EXPECT_LT(window_bound(100), worst);
}

/*
 * Pings held at 2/s are released at once when the limit goes to 0, and
 * at the new rate when it is raised.
 */
static void release_check(FIXTURE_DATA(pace) *self, struct __test_metadata *_metadata,
			  unsigned int to)
{
	const int nsess = 100;
	double t_add, t_set, first[NSESS], last = 0;
	int n, seen, i;
	long ctx;

	ASSERT_EQ(0, set_limit(2));
	ASSERT_EQ(0, bed_start(self->b, true));
	ctx = cka_ctx_new(self->nl, settings, NULL);
	ASSERT_LT(0, ctx);
	t_add = now_ms();
	ASSERT_EQ(0, bed_add(self->nl, self->b, ctx, nsess, NULL));
	sleep_ms(2500 - (now_ms() - t_add));
	n = bed_snap(self->b, self->r);
	seen = peers_seen(self->r, n, nsess);
	/* due at +1 s: 1.5 s at 2/s, a token in the bucket, and slack */
	ASSERT_GE(10, seen) TH_LOG("%d sessions pinged at 2/s in 2.5 s", seen);
	t_set = now_ms();
	ASSERT_EQ(0, set_limit(to));
	sleep_ms(1500);
	n = bed_snap(self->b, self->r);
	first_seen(self->r, n, first, nsess);
	for (i = 0; i < nsess; i++) {
		ASSERT_LE(0, first[i]) TH_LOG("session %d still held 1.5 s after the limit went to %u",
					      i, to);
		if (first[i] > last)
			last = first[i];
	}
	TH_LOG("limit 2 -> %u: %d of %d pinged before, all %.0f ms after the change",
	       to, seen, nsess, last - t_set);
	EXPECT_GT(1000, last - t_set);
}

TEST_F_TIMEOUT(pace, zero_releases_held, 60)
{
	release_check(self, _metadata, 0);
}

TEST_F_TIMEOUT(pace, raise_releases_held, 60)
{
	release_check(self, _metadata, 100000);
}

/*
 * Sessions whose Pings are held end (SESSION_DEL for half, the socket's
 * close for the rest): the held Pings never leave, and every session is
 * freed, long before the 1/s pacer would have reached it.
 */
TEST_F_TIMEOUT(pace, sessions_end_while_held, 60)
{
	const int nsess = 200;
	long sid[200], ctx, base, after;
	double t_close;
	int n, i, late = 0;

	base = session_objects();
	ASSERT_EQ(0, set_limit(1));
	ASSERT_EQ(0, bed_start(self->b, true));
	ctx = cka_ctx_new(self->nl, settings, NULL);
	ASSERT_LT(0, ctx);
	ASSERT_EQ(0, bed_add(self->nl, self->b, ctx, nsess, sid));
	sleep_ms(2500);
	for (i = 0; i < nsess / 2; i++)
		ASSERT_EQ(0, session_del(self->nl, sid[i]));
	close(self->b->srv);
	self->b->srv = -1;
	t_close = now_ms();
	ASSERT_EQ(0, ctx_sessions(self->nl, ctx));
	/* nothing held may leave now, even with the limit gone */
	ASSERT_EQ(0, set_limit(0));
	sleep_ms(1000);
	n = bed_snap(self->b, self->r);
	for (i = 0; i < n; i++)
		late += self->r[i].t > t_close + 50;
	EXPECT_EQ(0, late) TH_LOG("%d Pings left after their sessions ended", late);
	if (base >= 0) {
		after = session_wait(base, 5000);
		EXPECT_GE(base, after) TH_LOG("coap_ka_session: %ld before, %ld after", base, after);
	}
	TH_LOG("%d Pings before the end (limit 1/s), none after", n);
}

/* The netns child: limit 1/s, 200 sessions to silent peers, Pings held. */
static void held_netns_child(int out, void *arg)
{
	struct netns_report r = { -1, -1 };
	struct bed *b = arg;
	struct cka_nl *nl;
	long ctx;
	char v[32];

	ctx = netns_child_ctx(settings, &nl);
	if (ctx < 0 || set_limit(1) || read_line(SYSCTL, v, sizeof(v)) || strcmp(v, "1"))
		netns_child_exit(out, &r);
	if (bed_start(b, false) || bed_add(nl, b, ctx, 200, NULL))
		netns_child_exit(out, &r);
	r.sessions = 200;
	sleep_ms(2500);
	b->stop = true;
	pthread_join(b->th, NULL);
	/* the pacer holds nearly all of them now */
	if (peers_seen(b->rec, b->nrec, 200) <= 10)
		r.objects = session_objects();
	netns_child_exit(out, &r);
}

/*
 * A namespace goes away while its pacer holds Pings: every session and
 * context is freed, and its limit was its own (the init one stays 0).
 */
TEST_F_TIMEOUT(pace, netns_exit_while_held, 90)
{
	char v[32];

	netns_exit_check(_metadata, held_netns_child, self->b, 200);
	ASSERT_EQ(0, read_line(SYSCTL, v, sizeof(v)));
	EXPECT_STREQ("0", v);
}

/*
 * rmmod while the pacer holds Pings: it unloads, promptly, and loads
 * again with the limit back at 0.
 */
TEST_F_TIMEOUT(pace, rmmod_while_held, 90)
{
	long ctx, took;
	char v[32];
	int rc;

	ASSERT_EQ(0, set_limit(1));
	ASSERT_EQ(0, bed_start(self->b, false));
	ctx = cka_ctx_new(self->nl, settings, NULL);
	ASSERT_LT(0, ctx);
	ASSERT_EQ(0, bed_add(self->nl, self->b, ctx, 200, NULL));
	sleep_ms(2500);
	cka_close(self->nl);
	self->nl = NULL;
	rc = rmmod_within(60000, &took);
	ASSERT_EQ(0, rc) TH_LOG("rmmod: %d after %ld ms", rc, took);
	TH_LOG("rmmod with ~195 Pings held: %ld ms", took);
	EXPECT_GT(30000, took);
	ASSERT_EQ(0, insmod_again());
	ASSERT_EQ(0, read_line(SYSCTL, v, sizeof(v)));
	EXPECT_STREQ("0", v);
}

/*
 * Events are not held: a peer's Ping to a session whose own Ping the 1/s
 * pacer holds is reported at once, the held Ping still not out.
 */
TEST_F_TIMEOUT(pace, events_not_held, 60)
{
	const int nsess = 60, who = 50;
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))] = {};
	uint8_t msg[4];
	struct iovec iov = { msg, sizeof(msg) };
	struct msghdr mh = {
		.msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	struct cka_nl *evs, *q;
	struct cka_ev ev;
	long ctx, sid[60];
	int n, i, seen = 0;
	double t;

	evs = open_events();
	ASSERT_NE(NULL, evs);
	ASSERT_EQ(0, set_limit(1));
	ASSERT_EQ(0, bed_start(self->b, true));
	ctx = cka_ctx_new(self->nl, settings, NULL);
	ASSERT_LT(0, ctx);
	ASSERT_EQ(0, bed_add(self->nl, self->b, ctx, nsess, sid));
	sleep_ms(2500);
	ev_drain(evs);
	/* an empty CON from peer @who's address */
	to.sin_port = htons(sock_port(self->b->srv));
	cm->cmsg_level = IPPROTO_IP;
	cm->cmsg_type = IP_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
	((struct in_pktinfo *)CMSG_DATA(cm))->ipi_spec_dst = peer_addr(who, 0).sin_addr;
	coap_hdr(msg, COAP_CON, 0, 0x1234);
	t = now_ms();
	ASSERT_EQ(4, sendmsg(self->b->resp, &mh, 0));
	ASSERT_EQ(0, ev_wait(evs, COAP_KA_CMD_PING_NTF, sid[who], 2000, &ev))
		TH_LOG("no ping-ntf for the peer's Ping within 2 s");
	TH_LOG("ping-ntf %.0f ms after the peer's Ping", ev.t - t);
	EXPECT_GT(1000, ev.t - t);
	q = cka_open();
	ASSERT_NE(NULL, q);
	ASSERT_EQ(0, session_get(q, sid[who], &ev));
	EXPECT_EQ(1, ev.v[COAP_KA_A_PEER_PINGS]);
	/* (a UDP session counts its Ping when it falls due: the wire tells) */
	n = bed_snap(self->b, self->r);
	for (i = 0; i < n; i++)
		seen += self->r[i].peer == who;
	EXPECT_EQ(0, seen) TH_LOG("session %d's Ping left: not held any more", who);
	cka_close(q);
	cka_close(evs);
}

/*
 * TCP: 6 connections due together every second, limit 1/s, pong timeout
 * 800 ms (TCP's ACK answers the empty Ping): each waits up to ~5 s for
 * its turn, and none is NACKed for it; all are pinged, at no more than
 * the limit (from the first due time on, the bucket, and 2).
 */
TEST_F_TIMEOUT(pace, tcp_held_not_nacked, 60)
{
	const uint32_t set[] = {
		COAP_KA_A_KEEPALIVE_SECS, 1, COAP_KA_A_JITTER_PCT, 0,
		COAP_KA_A_PONG_TIMEOUT_MS, 800,
		COAP_KA_A_FLAGS, COAP_KA_F_EMPTY_PING, 0,
	};
	int app[6], peer[6], i, unpinged = 0;
	double t0, t1;
	long ctx, sid[6], pings = 0, nacks = 0;
	struct cka_nl *q;
	struct cka_ev ev;

	ASSERT_EQ(0, set_limit(1));
	ctx = cka_ctx_new(self->nl, set, NULL);
	ASSERT_LT(0, ctx);
	t0 = now_ms();
	for (i = 0; i < 6; i++) {
		ASSERT_EQ(0, tcp_pair("127.0.0.1", &app[i], &peer[i]));
		/* a whole message first: a connection that never spoke is not pinged */
		ASSERT_EQ(0, send_all(app[i], coap_tcp_csm_msg, sizeof(coap_tcp_csm_msg), 0));
		sid[i] = tcp_session_add(self->nl, ctx, app[i], -1, NULL, NULL);
		ASSERT_LT(0, sid[i]) TH_LOG("%s", self->nl->msg);
	}
	sleep_ms(8000);
	q = cka_open();
	ASSERT_NE(NULL, q);
	for (i = 0; i < 6; i++) {
		ASSERT_EQ(0, session_get(q, sid[i], &ev));
		pings += ev.v[COAP_KA_A_PINGS];
		nacks += ev.v[COAP_KA_A_NACKS];
		unpinged += !ev.v[COAP_KA_A_PINGS];
	}
	t1 = now_ms();
	cka_close(q);
	for (i = 0; i < 6; i++) {
		close(app[i]);
		close(peer[i]);
	}
	TH_LOG("TCP at 1/s: %ld Pings in %.0f ms from the first add, %ld NACKs, %d sessions never pinged",
	       pings, t1 - t0, nacks, unpinged);
	EXPECT_EQ(0, nacks);
	EXPECT_EQ(0, unpinged);
	/* tokens from the first due time (first add + 1 s) on, the bucket, and 2 */
	EXPECT_GE((long)((t1 - t0 - 1000) / 1000) + 1 + 1 + 2, pings);
}

/* A user without CAP_NET_ADMIN over the namespace: the write is refused. */
static int nobody_write(int sk, void *arg)
{
	int fd = open(SYSCTL, O_WRONLY);

	if (fd >= 0) {
		close(fd);
		return 1;
	}
	return errno == EACCES ? 0 : 2;
}

/* Root of its own user and network namespace: its own limit is its to set. */
static int nsroot_write(int sk, void *arg)
{
	char map[32], v[32];

	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
		return 10;
	snprintf(map, sizeof(map), "0 %d 1", UID_NOBODY);
	if (unshare(CLONE_NEWUSER))
		return 4;	/* skip: no user namespaces here */
	if (write_file("/proc/self/setgroups", "deny") ||
	    write_file("/proc/self/uid_map", map) ||
	    write_file("/proc/self/gid_map", map))
		return 11;
	if (unshare(CLONE_NEWNET))
		return 12;
	if (set_limit(7) || read_line(SYSCTL, v, sizeof(v)))
		return 13;
	return strcmp(v, "7") ? 14 : 0;
}

TEST_F(pace, sysctl_range_and_permission)
{
	struct proc p;
	char v[32];
	int rc;

	ASSERT_EQ(0, read_line(SYSCTL, v, sizeof(v)));
	EXPECT_STREQ("0", v);
	EXPECT_EQ(-EINVAL, set_limit(RATE_MAX + 1));
	EXPECT_EQ(-EINVAL, write_file(SYSCTL, "-1"));
	EXPECT_EQ(0, set_limit(RATE_MAX));
	ASSERT_EQ(0, read_line(SYSCTL, v, sizeof(v)));
	EXPECT_EQ(RATE_MAX, atol(v));
	ASSERT_EQ(0, set_limit(0));

	ASSERT_EQ(0, proc_start(&p, UID_NOBODY, nobody_write, NULL));
	rc = proc_end(&p, 10000);
	EXPECT_EQ(0, rc) TH_LOG("an unprivileged user could open the sysctl for writing (%d)", rc);

	ASSERT_EQ(0, proc_start(&p, UID_NOBODY, nsroot_write, NULL));
	rc = proc_end(&p, 10000);
	if (rc == 4)
		SKIP(return, "no user namespace can be made here");
	EXPECT_EQ(0, rc) TH_LOG("root of its own namespaces could not set its limit (%d)", rc);
	ASSERT_EQ(0, read_line(SYSCTL, v, sizeof(v)));
	EXPECT_STREQ("0", v);
}

TEST_HARNESS_MAIN
