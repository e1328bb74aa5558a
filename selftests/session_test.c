// SPDX-License-Identifier: GPL-2.0
/*
 * Sessions as objects: per-session overrides of the context's settings,
 * and the module going away while applications close their sockets.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "cka_udp.h"
#include <linux/errqueue.h>
#include "kselftest_harness.h"

#define SRV	"127.0.0.1"
#define EARLY_MS	5	/* a Ping may leave one jiffy (HZ=250) early, plus rounding */

/*
 * session_add() with settings: @pairs is (attribute, u32 value)..., 0.
 * Returns the session id or -errno; @out gets the reply.
 */
static long session_add_over(struct cka_nl *nl, long ctx, int fd,
			     const uint32_t *pairs, struct cka_ev *out)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct cka_ev r;
	int err;

	nlh = cka_req(nl, buf, COAP_KA_CMD_SESSION_ADD, 0, pairs);
	mnl_attr_put_u32(nlh, COAP_KA_A_CTX_ID, ctx);
	mnl_attr_put_u32(nlh, COAP_KA_A_SOCK_FD, fd);
	memset(&r, 0, sizeof(r));
	err = cka_talk(nl, nlh, cka_ev_cb, &r);
	if (out)
		*out = r;
	return err ? err : (long)r.v[COAP_KA_A_SESSION_ID];
}

/* The settings attributes, as a mask of attribute numbers. */
#define SETTINGS_MASK \
	(((1ULL << (COAP_KA_A_FLAGS + 1)) - 1) & ~((1ULL << COAP_KA_A_KEEPALIVE_SECS) - 1))

FIXTURE(sess) {
	struct cka_nl *nl;	/* requests */
	struct cka_nl *ev;	/* events */
	pid_t server;
	long ctx;
};

FIXTURE_SETUP(sess)
{
	uint32_t off[] = { COAP_KA_A_KEEPALIVE_SECS, 0, 0 };

	ASSERT_EQ(0, system("ip link set lo up"));
	self->nl = cka_open();
	ASSERT_NE(NULL, self->nl);
	self->ev = open_events();
	ASSERT_NE(NULL, self->ev);
	self->server = coap_server_start(SRV, COAP_PORT);
	ASSERT_LT(0, self->server) {
		int fd = udp_connected_to(SRV, COAP_PORT);

		TH_LOG("coap-server-notls did not start (probe socket %d: %s)",
		       fd, strerror(errno));
	}
	/* The context keeps its sessions quiet; overrides wake them. */
	self->ctx = cka_ctx_new(self->nl, off, NULL);
	ASSERT_LT(0, self->ctx);
}

FIXTURE_TEARDOWN(sess)
{
	if (self->ctx > 0)
		cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, self->ctx, NULL, NULL);
	if (self->server > 0)
		reap(self->server, SIGTERM);
	if (self->ev)
		cka_close(self->ev);
	if (self->nl)
		cka_close(self->nl);
}

/* The reply carries exactly the settings the session overrides. */
TEST_F(sess, overrides_are_reported_alone)
{
	uint32_t over[] = {
		COAP_KA_A_KEEPALIVE_SECS, 7, COAP_KA_A_MAX_RETRANSMIT, 2,
		COAP_KA_A_ACTION, COAP_KA_ACTION_ABORT, 0,
	};
	struct cka_ev r, g;
	long plain, sid;
	int fd, fd2;

	fd = udp_connected_to(SRV, COAP_PORT);
	fd2 = udp_connected_to(SRV, COAP_PORT);
	ASSERT_LE(0, fd);
	ASSERT_LE(0, fd2);

	sid = session_add_over(self->nl, self->ctx, fd, over, &r);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);
	EXPECT_EQ((1ULL << COAP_KA_A_KEEPALIVE_SECS) |
		  (1ULL << COAP_KA_A_MAX_RETRANSMIT) |
		  (1ULL << COAP_KA_A_ACTION), r.present & SETTINGS_MASK);
	EXPECT_EQ(7, r.v[COAP_KA_A_KEEPALIVE_SECS]);
	EXPECT_EQ(2, r.v[COAP_KA_A_MAX_RETRANSMIT]);
	EXPECT_EQ(COAP_KA_ACTION_ABORT, r.v[COAP_KA_A_ACTION]);

	/* get says the same; a session without overrides reports none */
	ASSERT_EQ(0, session_get(self->nl, sid, &g));
	EXPECT_EQ(r.present & SETTINGS_MASK, g.present & SETTINGS_MASK);
	EXPECT_EQ(7, g.v[COAP_KA_A_KEEPALIVE_SECS]);
	plain = session_add(self->nl, self->ctx, fd2, NULL);
	ASSERT_LT(0, plain) TH_LOG("%s", self->nl->msg);
	ASSERT_EQ(0, session_get(self->nl, plain, &g));
	EXPECT_EQ(0, g.present & SETTINGS_MASK);
	close(fd);
	close(fd2);
}

/*
 * Over @ms, the events on @nl: Pongs counted per session of @sid (@n of
 * them) in @pongs; returns how many events were of other sessions.
 */
static int events_of(struct cka_nl *nl, const long *sid, int n, int ms, int *pongs)
{
	double end = now_ms() + ms;
	int i, other = 0;
	struct cka_ev ev;

	memset(pongs, 0, n * sizeof(*pongs));
	for (;;) {
		int left = end - now_ms();

		if (left <= 0 || ev_next(nl, left, &ev))
			return other;
		for (i = 0; i < n && ev.v[COAP_KA_A_SESSION_ID] != sid[i]; i++)
			;
		if (i == n)
			other++;
		else if (ev.cmd == COAP_KA_CMD_PONG_NTF)
			pongs[i]++;
	}
}

/*
 * Each session's events go to the netlink socket that added it, whichever
 * socket added the context's sessions before it and whether it has
 * settings of its own; none go to a later socket that gets the same port
 * id. (Sessions alike in all three share what they run on.)
 */
TEST_F(sess, events_go_to_the_socket_that_added_each)
{
	uint32_t on[] = { COAP_KA_A_KEEPALIVE_SECS, 1, 0 };
	uint32_t over[] = { COAP_KA_A_MAX_RETRANSMIT, 2, 0 };
	long sid[5], of_a[3], of_b[1], later[1];
	int fd[5], pa[3], pb[1], pl[1], i;
	struct cka_nl *b;
	uint32_t portid;
	long ctx;

	ctx = cka_ctx_new(self->nl, on, NULL);
	ASSERT_LT(0, ctx) TH_LOG("%s", self->nl->msg);
	b = cka_open();
	ASSERT_NE(NULL, b);
	for (i = 0; i < 5; i++) {
		fd[i] = udp_connected_to(SRV, COAP_PORT);
		ASSERT_LE(0, fd[i]);
	}
	/* a, b, a again, then a with an override, all on one context */
	sid[0] = session_add(self->nl, ctx, fd[0], NULL);
	sid[1] = session_add(b, ctx, fd[1], NULL);
	sid[2] = session_add(self->nl, ctx, fd[2], NULL);
	sid[3] = session_add_over(self->nl, ctx, fd[3], over, NULL);
	for (i = 0; i < 4; i++)
		ASSERT_LT(0, sid[i]) TH_LOG("session %d: %s", i, i == 1 ? b->msg : self->nl->msg);
	of_a[0] = sid[0];
	of_a[1] = sid[2];
	of_a[2] = sid[3];
	of_b[0] = sid[1];

	/* Pings after 1 s idle: within 3 s each session has had a Pong. */
	EXPECT_EQ(0, events_of(self->nl, of_a, 3, 3000, pa));
	EXPECT_EQ(0, events_of(b, of_b, 1, 500, pb));
	/* Pongs each on the socket that added it: a, a again, a overridden, b */
	EXPECT_LT(0, pa[0]);
	EXPECT_LT(0, pa[1]);
	EXPECT_LT(0, pa[2]);
	EXPECT_LT(0, pb[0]);

	/*
	 * The first socket goes; the next one of this process gets its port
	 * id back (autobind tries the process id first). Only its own
	 * session's events reach it: the three above keep running unheard.
	 */
	portid = self->nl->portid;
	cka_close(self->nl);
	self->nl = cka_open();
	ASSERT_NE(NULL, self->nl);
	ASSERT_EQ(portid, self->nl->portid) TH_LOG("port id not reused: the test proves nothing");
	sid[4] = session_add(self->nl, ctx, fd[4], NULL);
	ASSERT_LT(0, sid[4]) TH_LOG("%s", self->nl->msg);
	later[0] = sid[4];
	EXPECT_EQ(0, events_of(self->nl, later, 1, 3000, pl))
		TH_LOG("events of the closed socket's sessions reached its successor");
	EXPECT_LT(0, pl[0]);
	/* They run on: the other socket still hears its own. */
	EXPECT_EQ(0, events_of(b, of_b, 1, 500, pb));
	EXPECT_LT(0, pb[0]);

	cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, ctx, NULL, NULL);
	cka_close(b);
	for (i = 0; i < 5; i++)
		close(fd[i]);
}

/*
 * The largest session message, every setting overridden and an IPv6 peer,
 * comes back whole from add, get and dump: the kernel sizes its replies
 * exactly, so a size that left out an attribute fails the add.
 */
TEST_F(sess, largest_session_message_fits)
{
	uint32_t all[] = {
		COAP_KA_A_KEEPALIVE_SECS, 3600, COAP_KA_A_ACK_TIMEOUT_MS, 1234,
		COAP_KA_A_ACK_RANDOM_FACTOR, 1100, COAP_KA_A_MAX_RETRANSMIT, 3,
		COAP_KA_A_PONG_TIMEOUT_MS, 4321,
		COAP_KA_A_ACTIVITY, COAP_KA_ACTIVITY_RX, COAP_KA_A_JITTER_PCT, 7,
		COAP_KA_A_ACTION, COAP_KA_ACTION_ABORT,
		COAP_KA_A_FLAGS, COAP_KA_F_MASK, 0,
	};
	struct sockaddr_storage peer;
	struct cka_ev r, g, d;
	long sid;
	int i, fd;

	ASSERT_NE(0, sockaddr_fill(&peer, "2001:db8::5", COAP_PORT));
	fd = udp_bound("::1", 0, NULL);
	ASSERT_LE(0, fd);
	sid = session_add_full(self->nl, self->ctx, fd, (void *)&peer, -1,
			       all, &r);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);
	ASSERT_EQ(0, session_get(self->nl, sid, &g));
	ASSERT_EQ(1, session_dump(self->nl, self->ctx, &d, 1));
	for (i = 0; all[i]; i += 2) {
		EXPECT_EQ(all[i + 1], r.v[all[i]]) TH_LOG("add: attr %u", all[i]);
		EXPECT_EQ(all[i + 1], g.v[all[i]]) TH_LOG("get: attr %u", all[i]);
		EXPECT_EQ(all[i + 1], d.v[all[i]]) TH_LOG("dump: attr %u", all[i]);
	}
	EXPECT_EQ(SETTINGS_MASK, r.present & SETTINGS_MASK);
	EXPECT_TRUE(ev_has(&r, COAP_KA_A_PEER_IPV6));
	EXPECT_TRUE(ev_has(&r, COAP_KA_A_SOCK_INODE));
	EXPECT_TRUE(ev_has(&r, COAP_KA_A_RX_AGE_MS));
	EXPECT_TRUE(ev_has(&g, COAP_KA_A_RX_AGE_MS));
	EXPECT_EQ(0, memcmp(&r.addr, &((struct sockaddr_in6 *)&peer)->sin6_addr, 16));
	close(fd);
}

/* Overrides are checked with the context's ranges; nothing is left behind. */
TEST_F(sess, bad_overrides_refused)
{
	uint32_t secs[] = { COAP_KA_A_KEEPALIVE_SECS, COAP_KA_KEEPALIVE_SECS_MAX + 1, 0 };
	uint32_t ack[] = { COAP_KA_A_ACK_TIMEOUT_MS, COAP_KA_ACK_TIMEOUT_MS_MIN - 1, 0 };
	uint32_t flags[] = { COAP_KA_A_FLAGS, 1U << 31, 0 };
	uint32_t act[] = { COAP_KA_A_ACTION, COAP_KA_ACTION_MAX + 1, 0 };
	int fd = udp_connected_to(SRV, COAP_PORT);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-ERANGE, session_add_over(self->nl, self->ctx, fd, secs, NULL));
	EXPECT_NE(0, self->nl->bad_off);
	EXPECT_EQ(-ERANGE, session_add_over(self->nl, self->ctx, fd, ack, NULL));
	EXPECT_NE(0, self->nl->bad_off);
	EXPECT_EQ(-EINVAL, session_add_over(self->nl, self->ctx, fd, flags, NULL));
	EXPECT_NE(0, self->nl->bad_off);
	EXPECT_EQ(-ERANGE, session_add_over(self->nl, self->ctx, fd, act, NULL));
	EXPECT_EQ(0, session_dump(self->nl, self->ctx, NULL, 0));
	EXPECT_EQ(0, ctx_sessions(self->nl, self->ctx));
	close(fd);
}

/*
 * The context has keepalive off; a session overriding it to 1 s pings
 * (and libcoap answers) while its sibling stays silent, and keeps its own
 * interval when the context changes the same setting.
 */
TEST_F(sess, override_wins_over_context)
{
	uint32_t over[] = { COAP_KA_A_KEEPALIVE_SECS, 1, 0 };
	uint32_t ctx5[] = { COAP_KA_A_KEEPALIVE_SECS, 5, 0 };
	int fd = udp_connected_to(SRV, COAP_PORT);
	int fd2 = udp_connected_to(SRV, COAP_PORT);
	long sid, quiet;
	struct cka_ev e;
	double t0;
	int pongs;

	ASSERT_LE(0, fd);
	ASSERT_LE(0, fd2);
	t0 = now_ms();
	sid = session_add_over(self->nl, self->ctx, fd, over, NULL);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);
	quiet = session_add(self->nl, self->ctx, fd2, NULL);
	ASSERT_LT(0, quiet) TH_LOG("%s", self->nl->msg);

	ASSERT_EQ(0, ev_wait(self->ev, COAP_KA_CMD_PONG_NTF, sid, 4000, &e));
	EXPECT_LE(1000 - EARLY_MS, e.t - t0);

	/* the context's own value changes; the override does not follow */
	ASSERT_EQ(0, ctx_set(self->nl, self->ctx, ctx5));
	t0 = now_ms();
	for (pongs = 0; now_ms() - t0 < 3500;) {
		if (ev_wait(self->ev, COAP_KA_CMD_PONG_NTF, sid,
			    3500 - (now_ms() - t0), &e))
			break;
		pongs++;
	}
	EXPECT_LE(2, pongs);
	ASSERT_EQ(0, session_get(self->nl, quiet, &e));
	/* the sibling follows the context: not idle for 5 s yet */
	EXPECT_EQ(0, e.v[COAP_KA_A_PINGS]);
	close(fd);
	close(fd2);
}

/* A UDP port on 127.0.0.1 with nothing behind it: ICMP port unreachable. */
static int closed_port(void)
{
	int port, fd = udp_bound(SRV, 0, &port);

	close(fd);
	return fd < 0 ? -1 : port;
}

/*
 * While attached, ICMP errors about the application's datagrams still
 * reach the application as they would without us (UDP hands them to the
 * encapsulation hook); errors about our own Pings do not.
 */
TEST_F(sess, icmp_errors_reach_the_application)
{
	uint32_t over[] = {
		COAP_KA_A_KEEPALIVE_SECS, 1, COAP_KA_A_ACK_TIMEOUT_MS, 100,
		COAP_KA_A_MAX_RETRANSMIT, 1, 0,
	};
	int port = closed_port(), fd, fd2, on = 1, soerr;
	socklen_t len = sizeof(soerr);
	struct cka_ev e;
	uint8_t buf[16];
	long sid;

	ASSERT_LT(0, port);
	/* the application's datagram: ECONNREFUSED on its connected socket */
	fd = udp_connected_to(SRV, port);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, session_add(self->nl, self->ctx, fd, NULL))
		TH_LOG("%s", self->nl->msg);
	ASSERT_EQ(5, send(fd, "hello", 5, 0));
	EXPECT_EQ(-ECONNREFUSED, recv_within(fd, buf, sizeof(buf), 2000, NULL, NULL));

	/* IP_RECVERR: the error is queued with its origin (6.2 and later) */
	fd2 = udp_connected_to(SRV, port);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, setsockopt(fd2, SOL_IP, IP_RECVERR, &on, sizeof(on)));
	ASSERT_LT(0, session_add(self->nl, self->ctx, fd2, NULL))
		TH_LOG("%s", self->nl->msg);
	ASSERT_EQ(5, send(fd2, "hello", 5, 0));
	sleep_ms(300);
	if (ksft_min_kernel_version(6, 2)) {
		char cbuf[512];
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr mh = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
		};
		struct cmsghdr *cm;
		struct sock_extended_err *ee = NULL;

		ASSERT_LE(0, recvmsg(fd2, &mh, MSG_ERRQUEUE | MSG_DONTWAIT))
			TH_LOG("nothing on the error queue: %s", strerror(errno));
		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
			if (cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_RECVERR)
				ee = (void *)CMSG_DATA(cm);
		ASSERT_NE(NULL, ee);
		EXPECT_EQ(ECONNREFUSED, ee->ee_errno);
		EXPECT_EQ(SO_EE_ORIGIN_ICMP, ee->ee_origin);
	} else {
		EXPECT_EQ(0, getsockopt(fd2, SOL_SOCKET, SO_ERROR, &soerr, &len));
		EXPECT_EQ(ECONNREFUSED, soerr);
	}
	close(fd);
	close(fd2);

	/* our Pings to the closed port: NACK, and the application hears nothing */
	fd = udp_connected_to(SRV, port);
	ASSERT_LE(0, fd);
	sid = session_add_over(self->nl, self->ctx, fd, over, NULL);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);
	ASSERT_EQ(0, ev_wait(self->ev, COAP_KA_CMD_NACK_NTF, sid, 5000, &e));
	EXPECT_EQ(-ETIMEDOUT, recv_within(fd, buf, sizeof(buf), 100, NULL, NULL));
	len = sizeof(soerr);
	EXPECT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len));
	EXPECT_EQ(0, soerr);
	close(fd);
}

/* Slab memory in bytes, from /proc/meminfo. */
static long slab_bytes(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Slab: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb * 1024;
}

static long sysfs_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f && fscanf(f, "%ld", &v) != 1)
		v = -1;
	if (f)
		fclose(f);
	return v;
}

/*
 * A server socket with many peers: each gets its session (one hash table
 * per socket, no thread, no timer work while keepalive is off), closing
 * the socket ends them all. Prints what they cost.
 */
#define MANY_PEERS	10000

TEST_F_TIMEOUT(sess, many_peers_on_one_socket, 600)
{
	/* lock debugging: larger sessions, and a much slower kernel */
	bool lockdep = !access("/proc/lockdep", F_OK);
	int n = lockdep ? MANY_PEERS / 5 : MANY_PEERS;
	long before, after, objsize;
	struct cka_nl *adder;
	int fd, i, port;
	double t0;

	/*
	 * Events go to the socket that added a session while it is open: a
	 * socket of its own, closed before the 10000 SESSION_GONE events.
	 */
	adder = cka_open();
	ASSERT_NE(NULL, adder);
	fd = udp_bound(SRV, 0, &port);
	ASSERT_LE(0, fd);
	before = slab_bytes();
	t0 = now_ms();
	for (i = 0; i < n; i++) {
		struct sockaddr_in peer = {
			.sin_family = AF_INET,
			.sin_port = htons(5683 + i % 7),
			.sin_addr.s_addr = htonl(0x7f010000 | i),
		};

		ASSERT_LT(0, session_add(adder, self->ctx, fd, (void *)&peer))
			TH_LOG("session %d: %s", i, adder->msg);
	}
	after = slab_bytes();
	objsize = sysfs_long("/sys/kernel/slab/coap_ka_session/object_size");
	ksft_print_msg("%d sessions on one socket: added in %.0f ms, slab +%ld bytes (%ld per session, slub_debug included), object_size %ld%s\n",
		       n, now_ms() - t0, after - before, (after - before) / n,
		       objsize, lockdep ? " (lockdep)" : "");
	/* the design budget, without lock debugging */
	if (objsize > 0 && !lockdep)
		EXPECT_GE(256, objsize);
	EXPECT_EQ(n, session_dump(self->nl, self->ctx, NULL, 0));
	EXPECT_EQ(n, ctx_sessions(self->nl, self->ctx));

	cka_close(adder);
	close(fd);
	EXPECT_EQ(0, session_dump(self->nl, self->ctx, NULL, 0));
	EXPECT_EQ(0, ctx_sessions(self->nl, self->ctx));
}

/*
 * rmmod while applications close their sockets: every socket is either
 * closed through our hook or handed back, and the ones still open work
 * as plain sockets afterwards. A few rounds, re-inserting the module.
 */
#define RACE_SOCKS	48

struct closer {
	int *fds;
	int n;
};

static void *close_half(void *arg)
{
	struct closer *c = arg;
	int i;

	for (i = 0; i < c->n; i += 2) {
		close(c->fds[i]);
		c->fds[i] = -1;
	}
	return NULL;
}

/* Whatever happens in the test, the module is back for the next one. */
static void insmod_again(void)
{
	char cmd[512];

	if (!access("/sys/module/coap_keepalive", F_OK) || !getenv("CKA_KO"))
		return;
	snprintf(cmd, sizeof(cmd), "insmod %s", getenv("CKA_KO"));
	if (system(cmd))
		ksft_print_msg("could not insmod %s again\n", getenv("CKA_KO"));
}

FIXTURE(unload) {
	int unused;
};

FIXTURE_SETUP(unload)
{
	ASSERT_NE(NULL, getenv("CKA_KO")) TH_LOG("CKA_KO not set");
	ASSERT_EQ(0, system("ip link set lo up"));
}

FIXTURE_TEARDOWN(unload)
{
	insmod_again();
}

/* The debug kernel (KASAN, lockdep) is many times slower. */
TEST_F_TIMEOUT(unload, close_races_rmmod, 600)
{
	uint32_t secs[] = { COAP_KA_A_KEEPALIVE_SECS, 1, 0 };
	int fds[RACE_SOCKS], round, i, peer, pport;

	peer = udp_bound(SRV, 0, &pport);
	ASSERT_LE(0, peer);

	for (round = 0; round < 4; round++) {
		struct closer c = { .fds = fds, .n = RACE_SOCKS };
		struct cka_nl *nl = cka_open();
		pthread_t t;
		long ctx;

		ASSERT_NE(NULL, nl);
		ctx = cka_ctx_new(nl, secs, NULL);
		ASSERT_LT(0, ctx);
		for (i = 0; i < RACE_SOCKS; i++) {
			fds[i] = udp_connected_to(SRV, pport);
			ASSERT_LE(0, fds[i]);
			ASSERT_LT(0, session_add(nl, ctx, fds[i], NULL))
				TH_LOG("%s", nl->msg);
		}
		cka_close(nl);

		ASSERT_EQ(0, pthread_create(&t, NULL, close_half, &c));
		/* a round's rmmod lands at a different point of the closes */
		usleep(round * 500);
		ASSERT_EQ(0, system("rmmod coap_keepalive"));
		pthread_join(t, NULL);

		/* the survivors are plain sockets again: data both ways */
		for (i = 1; i < RACE_SOCKS; i += 2) {
			socklen_t flen = sizeof(struct sockaddr_in);
			struct sockaddr_storage from;
			uint8_t msg[4], got[8];

			coap_hdr(msg, COAP_NON, 1, i);
			ASSERT_EQ(4, send(fds[i], msg, 4, 0));
			/* skip the Pings that reached the peer before rmmod */
			do {
				ASSERT_EQ(4, recv_within(peer, got, sizeof(got),
							 2000, &from, NULL));
			} while (memcmp(msg, got, 4));
			ASSERT_EQ(4, sendto(peer, got, 4, 0, (void *)&from, flen));
			ASSERT_EQ(4, recv_within(fds[i], got, sizeof(got), 2000,
						 NULL, NULL));
			EXPECT_EQ(0, memcmp(msg, got, 4));
			close(fds[i]);
		}
		insmod_again();
		ASSERT_EQ(0, access("/sys/module/coap_keepalive", F_OK));
	}
	close(peer);
}

TEST_HARNESS_MAIN
