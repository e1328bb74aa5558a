// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation failures: every request the module serves in the caller's
 * context is repeated with its 1st, 2nd, 3rd ... slab allocation failed
 * (/proc/thread-self/fail-nth, CONFIG_FAILSLAB), until a run fails none.
 * That covers the request's own allocations and the netlink ones around
 * it (the request skb, the reply, the ACK). After each run:
 *
 * - the request did all of its work, or failed with ENOMEM (or with
 *   ENOBUFS: netlink lost the request, its reply or its ACK) and left
 *   nothing behind: no session, no context, no setting changed;
 * - a plain retry succeeds: nothing half made is in the way (a socket
 *   still marked watched, an id or a peer still taken);
 * - the application's socket still carries its datagrams both ways;
 * - closing a watched socket ends its sessions whatever fails meanwhile.
 *
 * At the end the per-user quotas are whole (nothing stays counted for a
 * request that failed) and, after rmmod, the harness's kmemleak scan finds
 * nothing. Only the debug kernel (selftests/config.debug) has fail-nth:
 * elsewhere the test is skipped.
 */
#include <fcntl.h>

#include "cka_udp.h"
#include "cka_tcp.h"
#include "kselftest_harness.h"
#include "cka_priv.h"

#define LO		"127.0.0.1"
#define FAILSLAB	"/sys/kernel/debug/failslab/"
#define FAIL_NTH	"/proc/thread-self/fail-nth"
/* far more allocations than any request makes: a run that never ends */
#define MAX_NTH		400
#define BATCH_PEERS	8

FIXTURE(fs) {
	int nth;		/* FAIL_NTH, open */
	char saved_wait[8];	/* failslab's ignore-gfp-wait, to restore */
	char saved_verbose[8];
	struct cka_nl *nl;	/* requests made with nothing armed */
	long ctx;
	int peer, peer_port;	/* a UDP peer the sockets talk to */
	unsigned int failed;	/* runs in which an allocation failed */
	unsigned int lost;	/* ENOBUFS runs whose request took effect */
};

FIXTURE_SETUP(fs)
{
	self->peer = -1;
	self->nth = open(FAIL_NTH, O_RDWR);
	if (self->nth < 0)
		SKIP(return, "no %s: this kernel has no CONFIG_FAULT_INJECTION", FAIL_NTH);
	if (read_line(FAILSLAB "ignore-gfp-wait", self->saved_wait,
		      sizeof(self->saved_wait)))
		SKIP(return, "no " FAILSLAB ": no CONFIG_FAILSLAB or debugfs");
	ASSERT_EQ(0, read_line(FAILSLAB "verbose", self->saved_verbose,
			       sizeof(self->saved_verbose)));
	/* fail GFP_KERNEL allocations too, and say nothing of it in the log */
	ASSERT_EQ(0, write_file(FAILSLAB "ignore-gfp-wait", "N"));
	ASSERT_EQ(0, write_file(FAILSLAB "verbose", "0"));
	ASSERT_EQ(0, system("ip link set lo up"));
	self->nl = cka_open();
	ASSERT_NE(NULL, self->nl);
	/* Pings would only add traffic: the test is about the requests */
	self->ctx = cka_ctx_new(self->nl, (const uint32_t[]){
		COAP_KA_A_KEEPALIVE_SECS, 3600, 0 }, NULL);
	ASSERT_LT(0, self->ctx) TH_LOG("%s", self->nl->msg);
	self->peer = udp_bound(LO, 0, &self->peer_port);
	ASSERT_LE(0, self->peer);
}

FIXTURE_TEARDOWN(fs)
{
	if (self->nth < 0)
		return;
	if (write(self->nth, "0", 1) != 1)
		TH_LOG("fail-nth not reset");
	if (self->saved_wait[0])
		write_file(FAILSLAB "ignore-gfp-wait", self->saved_wait);
	if (self->saved_verbose[0])
		write_file(FAILSLAB "verbose", self->saved_verbose);
	if (self->peer >= 0)
		close(self->peer);
	if (self->ctx > 0)
		cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, self->ctx, NULL, NULL);
	if (self->nl)
		cka_close(self->nl);
	close(self->nth);
}

/* Fail this thread's @n-th slab allocation from now on. */
static int arm(int nth, unsigned int n)
{
	char b[16];
	int len = snprintf(b, sizeof(b), "%u", n);

	return pwrite(nth, b, len, 0) == len ? 0 : -errno;
}

/* Disarm; true if the armed allocation was reached (and failed). */
static bool disarm(int nth)
{
	char b[16] = "";
	ssize_t r = pread(nth, b, sizeof(b) - 1, 0);

	if (pwrite(nth, "0", 1, 0) != 1)
		return false;
	return r > 0 && strtoul(b, NULL, 10) == 0;
}

/* The outcome of an armed request: a result, or an error it may give. */
static bool fine_error(long ret)
{
	return ret >= 0 || ret == -ENOMEM || ret == -ENOBUFS;
}

/* Sessions of the fixture's context, as a dump on a quiet socket says. */
static int sessions(FIXTURE_DATA(fs) *self)
{
	return session_dump(self->nl, self->ctx, NULL, 0);
}

/* Wait up to @ms for the context to have @n sessions; how many it has. */
static int sessions_become(FIXTURE_DATA(fs) *self, int n, int ms)
{
	double t0 = now_ms();
	int have;

	while ((have = sessions(self)) != n && now_ms() - t0 < ms)
		sleep_ms(5);
	return have;
}

/* @fd (connected to the peer) and the peer still exchange datagrams. */
static bool udp_carries(FIXTURE_DATA(fs) *self, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char buf[8];

	if (send(fd, "app", 3, 0) != 3)
		return false;
	if (recv_within(self->peer, buf, sizeof(buf), 2000, &ss, NULL) != 3)
		return false;
	len = ss.ss_family == AF_INET ? sizeof(struct sockaddr_in) :
					sizeof(struct sockaddr_in6);
	if (sendto(self->peer, "peer", 4, 0, (void *)&ss, len) != 4)
		return false;
	return recv_within(fd, buf, sizeof(buf), 2000, NULL, NULL) == 4;
}

/*
 * One request, armed to fail its @n-th allocation, on a netlink socket of
 * its own (a lost reply or a dump left running must not confuse the next
 * request; and per-socket state, the session owner, is made anew).
 */
struct req {
	long (*fn)(struct cka_nl *nl, void *arg);
	void *arg;
};

static long run_armed(struct __test_metadata *_metadata, FIXTURE_DATA(fs) *self,
		      const struct req *r, unsigned int n, bool *hit, char *msg,
		      size_t msg_size)
{
	struct cka_nl *nl = cka_open();
	long ret;

	if (!nl) {
		TH_LOG("no netlink socket");
		*hit = false;
		return -EIO;
	}
	if (arm(self->nth, n)) {
		cka_close(nl);
		*hit = false;
		return -EIO;
	}
	ret = r->fn(nl, r->arg);
	*hit = disarm(self->nth);
	snprintf(msg, msg_size, "%s", nl->msg);
	cka_close(nl);
	return ret;
}

/* ---- the requests ------------------------------------------------------ */

struct add_arg {
	long ctx;
	int fd;
	const struct sockaddr *peer;	/* NULL: a connected socket */
	int transport;
	const uint32_t *pairs;
	const struct sockaddr_storage *batch;	/* n peers at once, or NULL */
	int n;
	struct cka_batch *b;
};

static long req_add(struct cka_nl *nl, void *arg)
{
	struct add_arg *a = arg;

	if (a->batch)
		return session_add_batch(nl, a->ctx, a->fd, a->batch, a->n, a->pairs, a->b);
	return session_add_full(nl, a->ctx, a->fd, a->peer, a->transport, a->pairs, NULL);
}

/*
 * SESSION_ADD of @a, one run per allocation it makes: each run either adds
 * all of its sessions or none; a retry then succeeds; the socket carries
 * datagrams; closing it ends the sessions. @mk makes the socket afresh
 * for each run (with @pre sessions already on it); @udp: it is a UDP
 * socket connected to the peer.
 */
static void sweep_add(struct __test_metadata *_metadata, FIXTURE_DATA(fs) *self,
		      const char *what, int (*mk)(FIXTURE_DATA(fs) *self, int *other),
		      struct add_arg *a, int pre, int want, bool udp)
{
	const struct req r = { req_add, a };
	unsigned int n, fails = 0, absorbed = 0, lost = self->lost;
	char msg[256];
	bool hit = true;
	long ret;

	for (n = 1; hit && n <= MAX_NTH; n++) {
		int other = -1, have;

		a->fd = mk(self, &other);
		ASSERT_LE(0, a->fd) TH_LOG("%s: run %u: no socket", what, n);
		ASSERT_EQ(pre, sessions(self));

		ret = run_armed(_metadata, self, &r, n, &hit, msg, sizeof(msg));
		ASSERT_TRUE(fine_error(ret))
			TH_LOG("%s: allocation %u failed: %ld (%s)", what, n, ret, msg);
		if (!hit) {
			/* no allocation left to fail: the request went through */
			ASSERT_LE(0, ret) TH_LOG("%s: %ld (%s)", what, ret, msg);
		}
		have = sessions(self);
		if (ret >= 0) {
			ASSERT_EQ(pre + want, have) TH_LOG("%s: run %u", what, n);
			absorbed += hit;
		} else if (ret == -ENOBUFS && have == pre + want) {
			self->lost++;	/* it took effect; netlink lost the answer */
		} else {
			ASSERT_EQ(pre, have)
				TH_LOG("%s: allocation %u failed (%ld, %s) but %d of its %d sessions stay",
				       what, n, ret, msg, have - pre, want);
			fails++;
			if (udp)
				ASSERT_TRUE(udp_carries(self, a->fd))
					TH_LOG("%s: run %u: the socket lost its datagrams", what, n);
			/* whatever failed is not in the way of doing it again */
			ret = req_add(self->nl, a);
			ASSERT_LE(0, ret)
				TH_LOG("%s: the retry after allocation %u failed: %ld (%s)",
				       what, n, ret, self->nl->msg);
			ASSERT_EQ(pre + want, sessions(self));
		}
		if (udp)
			ASSERT_TRUE(udp_carries(self, a->fd))
				TH_LOG("%s: run %u: the watched socket lost its datagrams", what, n);
		close(a->fd);
		if (other >= 0)
			close(other);
		have = sessions_become(self, 0, 5000);
		ASSERT_EQ(0, have) TH_LOG("%s: run %u: closed, %d sessions left", what, n, have);
	}
	ASSERT_FALSE(hit) TH_LOG("%s: still failing after %d allocations", what, MAX_NTH);
	self->failed += fails;
	ksft_print_msg("%s: %u allocations failed one at a time: %u requests failed cleanly, %u succeeded anyway (a fallback), %u took effect with the answer lost\n",
		       what, n - 2, fails, absorbed, self->lost - lost);
}

/* ---- sockets ------------------------------------------------------------ */

static long udp_add_v4(struct cka_nl *nl, long ctx, int fd, int port)
{
	struct sockaddr_storage ss;

	sockaddr_fill(&ss, LO, port);
	return session_add(nl, ctx, fd, (void *)&ss);
}

static int mk_udp_connected(FIXTURE_DATA(fs) *self, int *other)
{
	*other = -1;
	return udp_connected_to(LO, self->peer_port);
}

static int mk_udp_unconnected(FIXTURE_DATA(fs) *self, int *other)
{
	*other = -1;
	return udp_bound(LO, 0, NULL);
}

/* An unconnected socket with one session (to port 9) already on it. */
static int mk_udp_one_session(FIXTURE_DATA(fs) *self, int *other)
{
	int fd = udp_bound(LO, 0, NULL);

	*other = -1;
	if (fd < 0)
		return -1;
	if (udp_add_v4(self->nl, self->ctx, fd, 9) <= 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int mk_tcp(FIXTURE_DATA(fs) *self, int *other)
{
	int app = -1, peer = -1;

	(void)self;
	if (tcp_pair(LO, &app, &peer))
		return -1;
	*other = peer;
	return app;
}

/* ---- tests ---------------------------------------------------------------- */

/* A connected UDP socket's first session: the socket gets watched. */
TEST_F_TIMEOUT(fs, session_add_udp_connected, 600)
{
	struct add_arg a = { .ctx = self->ctx, .transport = -1 };

	sweep_add(_metadata, self, "SESSION_ADD, connected UDP", mk_udp_connected,
		  &a, 0, 1, true);
}

/* With per-session settings: the session's own settings block. */
TEST_F_TIMEOUT(fs, session_add_udp_overrides, 600)
{
	const uint32_t pairs[] = { COAP_KA_A_KEEPALIVE_SECS, 1800,
				   COAP_KA_A_ACK_TIMEOUT_MS, 3000, 0 };
	struct add_arg a = { .ctx = self->ctx, .transport = -1, .pairs = pairs };

	sweep_add(_metadata, self, "SESSION_ADD with overrides", mk_udp_connected,
		  &a, 0, 1, true);
}

/* The second peer of an unconnected socket: from one session to a table. */
TEST_F_TIMEOUT(fs, session_add_udp_second_peer, 600)
{
	struct sockaddr_storage ss;
	struct add_arg a = { .ctx = self->ctx, .transport = -1 };

	sockaddr_fill(&ss, LO, self->peer_port);
	a.peer = (void *)&ss;
	sweep_add(_metadata, self, "SESSION_ADD, second peer", mk_udp_one_session,
		  &a, 1, 1, false);
}

/* A batch of peers: all or nothing. */
TEST_F_TIMEOUT(fs, session_add_udp_batch, 600)
{
	struct sockaddr_storage peers[BATCH_PEERS];
	struct cka_batch *b = calloc(1, sizeof(*b));
	struct add_arg a = { .ctx = self->ctx, .transport = -1, .batch = peers,
			     .n = BATCH_PEERS, .b = b };
	int i;

	ASSERT_NE(NULL, b);
	for (i = 0; i < BATCH_PEERS; i++)
		sockaddr_fill(&peers[i], LO, 20000 + i);
	sweep_add(_metadata, self, "SESSION_ADD, batch of 8", mk_udp_unconnected,
		  &a, 0, BATCH_PEERS, false);
	free(b);
}

/* A TCP connection (no TLS). */
TEST_F_TIMEOUT(fs, session_add_tcp, 600)
{
	struct add_arg a = { .ctx = self->ctx, .transport = COAP_KA_TRANSPORT_TCP };

	sweep_add(_metadata, self, "SESSION_ADD, TCP", mk_tcp, &a, 0, 1, false);
}

/* ---- requests on what exists ---------------------------------------------- */

static long req_ctx_new(struct cka_nl *nl, void *arg)
{
	const uint32_t pairs[] = { COAP_KA_A_KEEPALIVE_SECS, 60,
				   COAP_KA_A_MAX_RETRANSMIT, 2, 0 };

	(void)arg;
	return cka_ctx_new(nl, pairs, NULL);
}

/* CTX_NEW: a context, or none. */
TEST_F_TIMEOUT(fs, ctx_new, 600)
{
	const struct req r = { req_ctx_new, NULL };
	struct ctx_list *l = calloc(1, sizeof(*l));
	unsigned int n, fails = 0;
	char msg[256];
	bool hit = true;
	long ret;
	int i;

	ASSERT_NE(NULL, l);
	for (n = 1; hit && n <= MAX_NTH; n++) {
		ret = run_armed(_metadata, self, &r, n, &hit, msg, sizeof(msg));
		ASSERT_TRUE(fine_error(ret)) TH_LOG("allocation %u: %ld (%s)", n, ret, msg);
		ASSERT_LE(1, ctx_dump(self->nl, l));
		/* the fixture's, and the new one if it was made */
		if (ret > 0) {
			ASSERT_EQ(2, l->n);
		} else if (l->n == 2) {
			ASSERT_EQ(-ENOBUFS, ret) TH_LOG("%ld but the context exists", ret);
			self->lost++;
		} else {
			ASSERT_EQ(1, l->n);
			fails++;
		}
		for (i = 0; i < l->n; i++)
			if (l->id[i] != self->ctx)
				ASSERT_EQ(0, cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL,
							 l->id[i], NULL, NULL));
	}
	ASSERT_FALSE(hit);
	ksft_print_msg("CTX_NEW: %u allocations: %u clean failures\n", n - 2, fails);
	free(l);
}

struct cmd_arg {
	uint8_t cmd;
	long id;
	const uint32_t *pairs;
	bool dump;
	long ctx;
};

static long req_cmd(struct cka_nl *nl, void *arg)
{
	struct cmd_arg *a = arg;

	switch (a->cmd) {
	case COAP_KA_CMD_SESSION_GET:
		if (a->dump)
			return session_dump(nl, a->ctx, NULL, 0);
		/* fall through */
	case COAP_KA_CMD_SESSION_DEL:
		return session_cmd(nl, a->cmd, a->id, NULL);
	default:
		if (a->dump) {
			struct ctx_list l;

			return ctx_dump(nl, &l);
		}
		return cka_ctx_cmd(nl, a->cmd, a->id, a->pairs, NULL);
	}
}

/*
 * The reads (CTX_GET, SESSION_GET; do and dump) and CTX_SET on a context
 * with sessions on a shared socket: each fails cleanly or works; a failed
 * CTX_SET changed nothing.
 */
TEST_F_TIMEOUT(fs, gets_dumps_and_set, 600)
{
	const uint32_t set[] = { COAP_KA_A_KEEPALIVE_SECS, 1200,
				 COAP_KA_A_MAX_RETRANSMIT, 3, 0 };
	const uint32_t back[] = { COAP_KA_A_KEEPALIVE_SECS, 3600,
				  COAP_KA_A_MAX_RETRANSMIT, 4, 0 };
	struct cmd_arg args[] = {
		{ COAP_KA_CMD_CTX_GET, 0, NULL, false, 0 },
		{ COAP_KA_CMD_CTX_GET, 0, NULL, true, 0 },
		{ COAP_KA_CMD_SESSION_GET, 0, NULL, false, 0 },
		{ COAP_KA_CMD_SESSION_GET, 0, NULL, true, 0 },
		{ COAP_KA_CMD_CTX_SET, 0, set, false, 0 },
	};
	const char *names[] = { "CTX_GET", "CTX_GET dump", "SESSION_GET",
				"SESSION_GET dump", "CTX_SET" };
	struct sockaddr_storage ss;
	struct cka_ctx c;
	unsigned int k, n, fails;
	long sid = 0, ret;
	char msg[256];
	bool hit;
	int fd, i;

	ASSERT_EQ(0, cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_SET, self->ctx, back, NULL));
	fd = udp_bound(LO, 0, NULL);
	ASSERT_LE(0, fd);
	for (i = 0; i < 20; i++) {
		sockaddr_fill(&ss, LO, 21000 + i);
		sid = session_add(self->nl, self->ctx, fd, (void *)&ss);
		ASSERT_LT(0, sid);
	}
	for (k = 0; k < ARRAY_SIZE(args); k++) {
		struct req r = { req_cmd, &args[k] };

		args[k].id = args[k].cmd == COAP_KA_CMD_SESSION_GET ? sid : self->ctx;
		args[k].ctx = self->ctx;
		fails = 0;
		hit = true;
		for (n = 1; hit && n <= MAX_NTH; n++) {
			ret = run_armed(_metadata, self, &r, n, &hit, msg, sizeof(msg));
			ASSERT_TRUE(fine_error(ret))
				TH_LOG("%s: allocation %u: %ld (%s)", names[k], n, ret, msg);
			if (!hit)
				ASSERT_LE(0, ret) TH_LOG("%s: %ld (%s)", names[k], ret, msg);
			if (args[k].dump && ret >= 0)
				ASSERT_EQ(args[k].cmd == COAP_KA_CMD_SESSION_GET ? 20 : 1, ret);
			ASSERT_EQ(20, sessions(self));
			if (args[k].cmd != COAP_KA_CMD_CTX_SET) {
				fails += ret < 0;
				continue;
			}
			ASSERT_EQ(0, cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_GET, self->ctx,
						 NULL, &c));
			if (ret == 0 || (ret == -ENOBUFS &&
					 c.v[COAP_KA_A_KEEPALIVE_SECS] == 1200)) {
				ASSERT_EQ(1200, c.v[COAP_KA_A_KEEPALIVE_SECS]);
				ASSERT_EQ(3, c.v[COAP_KA_A_MAX_RETRANSMIT]);
				self->lost += ret != 0;
				ASSERT_EQ(0, cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_SET,
							 self->ctx, back, NULL));
			} else {
				/* all or nothing */
				ASSERT_EQ(3600, c.v[COAP_KA_A_KEEPALIVE_SECS])
					TH_LOG("CTX_SET: allocation %u failed (%ld, %s) but the change was made",
					       n, ret, msg);
				ASSERT_EQ(4, c.v[COAP_KA_A_MAX_RETRANSMIT]);
				fails++;
			}
		}
		ASSERT_FALSE(hit) TH_LOG("%s", names[k]);
		ksft_print_msg("%s: %u allocations: %u clean failures\n", names[k], n - 2,
			       fails);
	}
	close(fd);
	ASSERT_EQ(0, sessions_become(self, 0, 5000));
}

/* SESSION_DEL and CTX_DEL: done, or nothing done and a retry does it. */
TEST_F_TIMEOUT(fs, deletes, 600)
{
	struct cmd_arg a = { .cmd = COAP_KA_CMD_SESSION_DEL };
	const struct req r = { req_cmd, &a };
	unsigned int n, fails = 0;
	char msg[256];
	bool hit = true;
	long ret, ctx;
	int fd, have, i;

	fd = udp_bound(LO, 0, NULL);
	ASSERT_LE(0, fd);
	for (n = 1; hit && n <= MAX_NTH; n++) {
		a.id = udp_add_v4(self->nl, self->ctx, fd, 9);
		ASSERT_LT(0, a.id) TH_LOG("%s", self->nl->msg);
		ret = run_armed(_metadata, self, &r, n, &hit, msg, sizeof(msg));
		ASSERT_TRUE(fine_error(ret)) TH_LOG("allocation %u: %ld (%s)", n, ret, msg);
		have = sessions_become(self, 0, ret < 0 ? 0 : 5000);
		if (ret < 0 && have) {
			ASSERT_EQ(1, have);
			fails++;
			ASSERT_EQ(0, session_del(self->nl, a.id)) TH_LOG("%s", self->nl->msg);
		} else if (ret < 0) {
			self->lost++;
		}
		ASSERT_EQ(0, sessions_become(self, 0, 5000));
	}
	ASSERT_FALSE(hit);
	ksft_print_msg("SESSION_DEL: %u allocations: %u clean failures\n", n - 2, fails);

	a.cmd = COAP_KA_CMD_CTX_DEL;
	fails = 0;
	hit = true;
	for (n = 1; hit && n <= MAX_NTH; n++) {
		struct ctx_list l;

		ctx = cka_ctx_new(self->nl, NULL, NULL);
		ASSERT_LT(0, ctx);
		ASSERT_LT(0, udp_add_v4(self->nl, ctx, fd, 9));
		a.id = ctx;
		ret = run_armed(_metadata, self, &r, n, &hit, msg, sizeof(msg));
		ASSERT_TRUE(fine_error(ret)) TH_LOG("allocation %u: %ld (%s)", n, ret, msg);
		ASSERT_LE(1, ctx_dump(self->nl, &l));
		if (ret < 0 && ctx_listed(&l, ctx)) {
			fails++;
			ASSERT_EQ(1, ctx_sessions(self->nl, ctx));
			ASSERT_EQ(0, cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, ctx, NULL, NULL));
		} else {
			ASSERT_FALSE(ctx_listed(&l, ctx));
			self->lost += ret < 0;
		}
		/* its session ended with it: the socket is free for the next */
		ASSERT_EQ(0, sessions(self));
		for (i = 0; i < 1000; i++) {
			ret = udp_add_v4(self->nl, self->ctx, fd, 9);
			if (ret != -EEXIST && ret != -EBUSY)
				break;
			sleep_ms(5);
		}
		ASSERT_LT(0, ret) TH_LOG("the socket after CTX_DEL: %ld (%s)", ret,
					 self->nl->msg);
		ASSERT_EQ(0, session_del(self->nl, ret));
		ASSERT_EQ(0, sessions_become(self, 0, 5000));
	}
	ASSERT_FALSE(hit);
	ksft_print_msg("CTX_DEL: %u allocations: %u clean failures\n", n - 2, fails);
	close(fd);
}

/* close() of a watched socket: whatever fails, its sessions end. */
TEST_F_TIMEOUT(fs, close_watched_socket, 600)
{
	unsigned int n;
	bool hit = true;
	int fd, i;

	for (n = 1; hit && n <= MAX_NTH; n++) {
		fd = udp_bound(LO, 0, NULL);
		ASSERT_LE(0, fd);
		for (i = 0; i < 3; i++)
			ASSERT_LT(0, udp_add_v4(self->nl, self->ctx, fd, 9 + i));
		ASSERT_EQ(0, arm(self->nth, n));
		close(fd);
		hit = disarm(self->nth);
		ASSERT_EQ(0, sessions_become(self, 0, 5000)) TH_LOG("allocation %u", n);
	}
	ASSERT_FALSE(hit);
	ksft_print_msg("close(): %u allocations\n", n - 2);
}

/*
 * Last: whatever failed above left no count behind; root may still have
 * as many sessions and contexts as the quotas say, and one more of each
 * is refused.
 */
TEST_F_TIMEOUT(fs, quota_whole_after_failures, 600)
{
	char saved[32], val[16];
	int fd, i, k = 3;
	long sid, ctx[3];

	ASSERT_EQ(0, read_line(MOD_PARAM("max_sessions_per_user"), saved, sizeof(saved)));
	snprintf(val, sizeof(val), "%d", k);
	ASSERT_EQ(0, write_file(MOD_PARAM("max_sessions_per_user"), val));
	fd = udp_bound(LO, 0, NULL);
	ASSERT_LE(0, fd);
	for (i = 0; i < k; i++) {
		sid = udp_add_v4(self->nl, self->ctx, fd, 9 + i);
		EXPECT_LT(0, sid) TH_LOG("session %d of %d: %ld (%s)", i + 1, k, sid,
					 self->nl->msg);
	}
	EXPECT_EQ(-EDQUOT, udp_add_v4(self->nl, self->ctx, fd, 9 + k));
	write_file(MOD_PARAM("max_sessions_per_user"), saved);
	close(fd);
	EXPECT_EQ(0, sessions_become(self, 0, 5000));

	/* contexts: the fixture's and k - 1 more */
	ASSERT_EQ(0, read_line(MOD_PARAM("max_contexts_per_user"), saved, sizeof(saved)));
	ASSERT_EQ(0, write_file(MOD_PARAM("max_contexts_per_user"), val));
	for (i = 0; i < k - 1; i++) {
		ctx[i] = cka_ctx_new(self->nl, NULL, NULL);
		EXPECT_LT(0, ctx[i]) TH_LOG("context %d of %d: %ld (%s)", i + 2, k, ctx[i],
					    self->nl->msg);
	}
	EXPECT_EQ(-EDQUOT, cka_ctx_new(self->nl, NULL, NULL));
	write_file(MOD_PARAM("max_contexts_per_user"), saved);
	for (i = 0; i < k - 1; i++)
		if (ctx[i] > 0)
			cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, ctx[i], NULL, NULL);
}

TEST_HARNESS_MAIN
