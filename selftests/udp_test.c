// SPDX-License-Identifier: GPL-2.0
/*
 * UDP keepalive against a real peer (libcoap's coap-server-notls) and
 * against a silent one: the Ping leaves after the idle time, the answer is
 * eaten by the kernel and reported, an unanswered Ping ends in a NACK after
 * the RFC 7252 retransmissions, and the abort action wakes the application.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "cka_nl.h"
#include "kselftest_harness.h"

#define COAP_PORT	5683

struct cka_event {
	uint8_t cmd;
	struct cka_ctx a;	/* u32 attributes, as for contexts */
};

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	struct cka_event *ev = data;
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);

	ev->cmd = g->cmd;
	return cka_ctx_cb(nlh, &ev->a);
}

/* Wait up to @ms for an event of type @cmd on @nl (joined to "events"). */
static int wait_event(struct cka_nl *nl, uint8_t cmd, int ms, struct cka_event *ev)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd pfd = { .fd = mnl_socket_get_fd(nl->sock), .events = POLLIN };
		const struct nlmsghdr *nlh;
		int left, len;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = ms - ((now.tv_sec - start.tv_sec) * 1000 +
			     (now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			return -ETIMEDOUT;
		len = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
		if (len < 0)
			return -errno;
		for (nlh = (void *)nl->buf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			event_cb(nlh, ev);
			if (ev->cmd == cmd)
				return 0;
		}
	}
}

static struct cka_nl *open_events(void)
{
	struct cka_nl *nl = cka_open();

	if (nl && mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP,
					&nl->mcgrp_events, sizeof(int)) < 0) {
		cka_close(nl);
		return NULL;
	}
	return nl;
}

static long session_add(struct cka_nl *nl, long ctx, int fd)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct cka_ctx r;
	int err;

	nlh = cka_msg_start(nl, buf, nl->family, 0, COAP_KA_CMD_SESSION_ADD);
	mnl_attr_put_u32(nlh, COAP_KA_A_CTX_ID, ctx);
	mnl_attr_put_u32(nlh, COAP_KA_A_SOCK_FD, fd);
	err = cka_talk(nl, nlh, cka_ctx_cb, &r);
	return err ? err : (long)r.v[COAP_KA_A_SESSION_ID];
}

static int session_get(struct cka_nl *nl, long id, struct cka_ctx *out)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;

	nlh = cka_msg_start(nl, buf, nl->family, 0, COAP_KA_CMD_SESSION_GET);
	mnl_attr_put_u32(nlh, COAP_KA_A_SESSION_ID, id);
	return cka_talk(nl, nlh, cka_ctx_cb, out);
}

static int udp_connected(int port)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd >= 0 && connect(fd, (void *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

FIXTURE(udp) {
	struct cka_nl *nl;
	struct cka_nl *ev;
	pid_t server;
};

FIXTURE_SETUP(udp)
{
	int i, fd;

	self->nl = cka_open();
	ASSERT_NE(NULL, self->nl);
	self->ev = open_events();
	ASSERT_NE(NULL, self->ev);
	self->server = fork();
	ASSERT_LE(0, self->server);
	if (self->server == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execlp("coap-server-notls", "coap-server-notls", "-A", "127.0.0.1",
		       "-p", "5683", NULL);
		_exit(127);
	}
	/* Ready when it answers a Ping (a Reset comes back). */
	fd = udp_connected(COAP_PORT);
	ASSERT_LE(0, fd);
	for (i = 0; i < 100; i++) {
		unsigned char ping[4] = { 0x40, 0, 0x12, 0x34 }, rst[16];
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		send(fd, ping, sizeof(ping), 0);
		if (poll(&pfd, 1, 100) == 1 && recv(fd, rst, sizeof(rst), 0) == 4)
			break;
		usleep(100000);
	}
	close(fd);
	ASSERT_GT(100, i) TH_LOG("coap-server-notls did not come up");
}

FIXTURE_TEARDOWN(udp)
{
	if (self->server > 0) {
		kill(self->server, SIGTERM);
		waitpid(self->server, NULL, 0);
	}
	cka_close(self->ev);
	cka_close(self->nl);
}

TEST_F(udp, idle_session_pinged_answer_eaten)
{
	const uint32_t set[] = {
		COAP_KA_A_KEEPALIVE_SECS, 1, COAP_KA_A_ACK_TIMEOUT_MS, 200, 0,
	};
	struct cka_event ev = {};
	struct cka_ctx s;
	long ctx, sid;
	double t0, dt;
	char buf[64];
	int fd;

	ctx = cka_ctx_new(self->nl, set, NULL);
	ASSERT_LT(0, ctx);
	fd = udp_connected(COAP_PORT);
	ASSERT_LE(0, fd);
	t0 = now_ms();
	sid = session_add(self->nl, ctx, fd);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);

	ASSERT_EQ(0, wait_event(self->ev, COAP_KA_CMD_PONG_NTF, 5000, &ev));
	dt = now_ms() - t0;
	EXPECT_EQ(sid, ev.a.v[COAP_KA_A_SESSION_ID]);
	EXPECT_EQ(ctx, ev.a.v[COAP_KA_A_CTX_ID]);
	/* after the idle second, not before; TCG guests are slow, allow 1.5 s */
	EXPECT_LE(1000, dt);
	EXPECT_GE(2500, dt) TH_LOG("pong after %.0f ms", dt);
	TH_LOG("ping answered %.0f ms after the session began, rtt %u us",
	       dt, ev.a.v[COAP_KA_A_RTT_US]);

	/* the Reset was the kernel's: the application saw nothing */
	EXPECT_EQ(-1, recv(fd, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);

	ASSERT_EQ(0, session_get(self->nl, sid, &s));
	EXPECT_LE(1, s.v[COAP_KA_A_PINGS]);
	EXPECT_LE(1, s.v[COAP_KA_A_PONGS]);
	EXPECT_EQ(0, s.v[COAP_KA_A_NACKS]);

	close(fd);
	ASSERT_EQ(0, wait_event(self->ev, COAP_KA_CMD_SESSION_GONE_NTF, 3000, &ev));
	EXPECT_EQ(COAP_KA_GONE_CLOSED, ev.a.v[COAP_KA_A_GONE_REASON]);
	EXPECT_EQ(-ENOENT, session_get(self->nl, sid, &s));
	cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, ctx, NULL, NULL);
}

TEST_F(udp, silent_peer_nacked_after_retransmissions)
{
	const uint32_t set[] = {
		COAP_KA_A_KEEPALIVE_SECS, 1, COAP_KA_A_ACK_TIMEOUT_MS, 50,
		COAP_KA_A_ACK_RANDOM_FACTOR, 1000, COAP_KA_A_MAX_RETRANSMIT, 3, 0,
	};
	struct cka_event ev = {};
	struct cka_ctx s;
	long ctx, sid;
	double t0, dt;
	int fd;

	ctx = cka_ctx_new(self->nl, set, NULL);
	ASSERT_LT(0, ctx);
	fd = udp_connected(9);	/* nothing listens there */
	ASSERT_LE(0, fd);
	t0 = now_ms();
	sid = session_add(self->nl, ctx, fd);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);

	ASSERT_EQ(0, wait_event(self->ev, COAP_KA_CMD_NACK_NTF, 6000, &ev));
	dt = now_ms() - t0;
	EXPECT_EQ(sid, ev.a.v[COAP_KA_A_SESSION_ID]);
	EXPECT_EQ(3, ev.a.v[COAP_KA_A_RETRANSMISSIONS]);
	EXPECT_EQ(COAP_KA_NACK_TOO_MANY_RETRIES, ev.a.v[COAP_KA_A_NACK_REASON]);
	/* 1 s idle, then 50 * (1 + 2 + 4 + 8) = 750 ms of timeouts */
	EXPECT_LE(1750, dt);
	EXPECT_GE(3500, dt) TH_LOG("nack after %.0f ms", dt);
	TH_LOG("nack %.0f ms after the session began (bound 1750 ms)", dt);
	ASSERT_EQ(0, session_get(self->nl, sid, &s));
	EXPECT_EQ(1, s.v[COAP_KA_A_NACKS]);
	EXPECT_EQ(3, s.v[COAP_KA_A_RETRANSMISSIONS]);
	close(fd);
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
	struct cka_event ev = {};
	pthread_t th;
	long ctx, sid;
	void *ret;
	int fd;

	ctx = cka_ctx_new(self->nl, set, NULL);
	ASSERT_LT(0, ctx);
	fd = udp_connected(9);
	ASSERT_LE(0, fd);
	sid = session_add(self->nl, ctx, fd);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);
	ASSERT_EQ(0, pthread_create(&th, NULL, blocked_recv, &fd));
	ASSERT_EQ(0, wait_event(self->ev, COAP_KA_CMD_SESSION_GONE_NTF, 6000, &ev));
	EXPECT_EQ(COAP_KA_GONE_ABORTED, ev.a.v[COAP_KA_A_GONE_REASON]);
	pthread_join(th, &ret);
	EXPECT_EQ(ETIMEDOUT, (long)ret);
	close(fd);
	cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, ctx, NULL, NULL);
}

TEST_HARNESS_MAIN
