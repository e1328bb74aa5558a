// SPDX-License-Identifier: GPL-2.0
/*
 * Lifetime of UDP sessions: closing the socket with a Ping in flight,
 * closing it while another thread adds a session on it, a network
 * namespace going away with sessions pinging in it, and what an idle
 * session costs (the coap_ka_session slab cache; how exact its counts
 * are: cka_life.h).
 */
#include <pthread.h>

#include "cka_udp.h"
#include "kselftest_harness.h"
#include "cka_life.h"

#define LATE_MS		1500
#define RACE_ROUNDS	500

FIXTURE(life) {
	struct cka_nl *nl;
	struct cka_nl *ev;
};

FIXTURE_SETUP(life)
{
	self->nl = cka_open();
	ASSERT_NE(NULL, self->nl);
	self->ev = open_events();
	ASSERT_NE(NULL, self->ev);
}

FIXTURE_TEARDOWN(life)
{
	cka_close(self->ev);
	cka_close(self->nl);
}

/*
 * The application closes its socket while a Ping to a silent peer waits
 * for its answer: the session ends (SESSION_GONE, reason CLOSED), the
 * Ping is not retransmitted, no NACK follows, and the session is gone
 * from the tables and from its context's count.
 */
TEST_F(life, close_with_ping_in_flight)
{
	const uint32_t set[] = {
		COAP_KA_A_KEEPALIVE_SECS, 1, COAP_KA_A_ACK_TIMEOUT_MS, 200,
		COAP_KA_A_ACK_RANDOM_FACTOR, 1000, COAP_KA_A_MAX_RETRANSMIT, 1, 0,
	};
	struct cka_ev ev, s;
	uint8_t buf[64];
	long ctx, sid;
	int fd, peer;
	ssize_t n;

	ctx = cka_ctx_new(self->nl, set, NULL);
	ASSERT_LT(0, ctx);
	peer = udp_bound("127.0.0.1", 0, NULL);
	ASSERT_LE(0, peer);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_EQ(0, udp_connect_fd(fd, peer));
	sid = session_add(self->nl, ctx, fd, NULL);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);

	n = recv_within(peer, buf, sizeof(buf), 1000 + LATE_MS + 500, NULL, NULL);
	ASSERT_TRUE(coap_is_empty(buf, n, COAP_CON));
	ASSERT_EQ(0, session_get(self->nl, sid, &s));
	/* still waiting for the answer: the retransmission is 200 ms away */
	EXPECT_EQ(COAP_KA_STATE_PINGING, s.v[COAP_KA_A_STATE]);
	close(fd);

	ASSERT_EQ(0, ev_wait(self->ev, COAP_KA_CMD_SESSION_GONE_NTF, sid, 2000, &ev));
	EXPECT_EQ(COAP_KA_GONE_CLOSED, ev.v[COAP_KA_A_GONE_REASON]);
	/* the retransmission would be due 200 ms after the Ping, the NACK 600 ms */
	EXPECT_EQ(-ETIMEDOUT, ev_wait(self->ev, COAP_KA_CMD_NACK_NTF, sid, 1500, &ev));
	EXPECT_EQ(-ETIMEDOUT, recv_within(peer, buf, sizeof(buf), 0, NULL, NULL));
	EXPECT_EQ(-ENOENT, session_get(self->nl, sid, &s));
	EXPECT_EQ(0, session_dump(self->nl, ctx, NULL, 0));
	EXPECT_EQ(0, ctx_sessions(self->nl, ctx));
	close(peer);
	EXPECT_EQ(0, cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, ctx, NULL, NULL));
}

struct race {
	pthread_barrier_t go, done;
	struct cka_nl *nl;
	long ctx;
	int fd;
	int round;
	long result;
	bool stop;
};

static void *race_adder(void *p)
{
	struct race *r = p;

	for (;;) {
		pthread_barrier_wait(&r->go);
		if (r->stop)
			return NULL;
		r->result = session_add(r->nl, r->ctx, r->fd, NULL);
		pthread_barrier_wait(&r->done);
	}
}

static void *race_closer(void *p)
{
	struct race *r = p;

	for (;;) {
		double until;

		pthread_barrier_wait(&r->go);
		if (r->stop)
			return NULL;
		/* land anywhere from before the lookup to after the attach */
		until = now_ms() + (r->round % 25) * 0.1;
		while (now_ms() < until)
			;
		close(r->fd);
		pthread_barrier_wait(&r->done);
	}
}

/*
 * One thread adds a session on a fresh socket while another closes it,
 * RACE_ROUNDS times. Each add either fails cleanly (EBADF: the descriptor
 * was gone) or succeeds, and then the session ends with the socket
 * (SESSION_GONE, reason CLOSED). Nothing is left: no session in the dump,
 * the context counts none, the slab cache is back where it was.
 */
TEST_F_TIMEOUT(life, close_races_add, 150)
{
	const uint32_t set[] = {
		COAP_KA_A_KEEPALIVE_SECS, 1, COAP_KA_A_ACK_TIMEOUT_MS, 100, 0,
	};
	static long added[RACE_ROUNDS];
	static bool gone[RACE_ROUNDS];
	int i, j, peer, nadded = 0, nbadf = 0, ngone = 0, other = 0;
	struct race r = {};
	pthread_t adder, closer;
	long base, left;
	struct cka_ev ev;
	double t0;

	base = session_objects();
	r.ctx = cka_ctx_new(self->nl, set, NULL);
	ASSERT_LT(0, r.ctx);
	r.nl = cka_open();
	ASSERT_NE(NULL, r.nl);
	peer = udp_bound("127.0.0.1", 0, NULL);
	ASSERT_LE(0, peer);
	ASSERT_EQ(0, pthread_barrier_init(&r.go, NULL, 3));
	ASSERT_EQ(0, pthread_barrier_init(&r.done, NULL, 3));
	ASSERT_EQ(0, pthread_create(&adder, NULL, race_adder, &r));
	ASSERT_EQ(0, pthread_create(&closer, NULL, race_closer, &r));

	t0 = now_ms();
	for (i = 0; i < RACE_ROUNDS; i++) {
		r.fd = socket(AF_INET, SOCK_DGRAM, 0);
		ASSERT_LE(0, r.fd);
		ASSERT_EQ(0, udp_connect_fd(r.fd, peer));
		r.round = i;
		pthread_barrier_wait(&r.go);
		pthread_barrier_wait(&r.done);
		if (r.result > 0) {
			added[nadded++] = r.result;
		} else if (r.result == -EBADF) {
			nbadf++;
		} else {
			other++;
			TH_LOG("round %d: add failed with %ld (%s)", i, r.result, r.nl->msg);
		}
		/* keep the event socket from filling up */
		while (!ev_next(self->ev, 0, &ev)) {
			if (ev.cmd != COAP_KA_CMD_SESSION_GONE_NTF)
				continue;
			for (j = 0; j < nadded; j++) {
				if (added[j] == ev.v[COAP_KA_A_SESSION_ID] && !gone[j]) {
					gone[j] = true;
					ngone++;
					EXPECT_EQ(COAP_KA_GONE_CLOSED, ev.v[COAP_KA_A_GONE_REASON]);
				}
			}
		}
	}
	r.stop = true;
	pthread_barrier_wait(&r.go);
	pthread_join(adder, NULL);
	pthread_join(closer, NULL);
	TH_LOG("%d rounds in %ld ms: %d added, %d EBADF, %d other", RACE_ROUNDS,
	       (long)(now_ms() - t0), nadded, nbadf, other);
	EXPECT_EQ(0, other);

	/* every session that was added ends with its socket */
	while (ngone < nadded && !ev_wait(self->ev, COAP_KA_CMD_SESSION_GONE_NTF, 0,
					  5000, &ev)) {
		for (j = 0; j < nadded; j++) {
			if (added[j] == ev.v[COAP_KA_A_SESSION_ID] && !gone[j]) {
				gone[j] = true;
				ngone++;
				EXPECT_EQ(COAP_KA_GONE_CLOSED, ev.v[COAP_KA_A_GONE_REASON]);
			}
		}
	}
	EXPECT_EQ(nadded, ngone);
	EXPECT_EQ(0, session_dump(self->nl, r.ctx, NULL, 0));
	EXPECT_EQ(0, ctx_sessions(self->nl, r.ctx));
	if (base >= 0) {
		left = session_wait(base, 5000);
		EXPECT_EQ(base, left) TH_LOG("coap_ka_session objects: %ld before, %ld after",
					     base, left);
	}
	EXPECT_EQ(0, cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, r.ctx, NULL, NULL));
	cka_close(r.nl);
	close(peer);
	pthread_barrier_destroy(&r.go);
	pthread_barrier_destroy(&r.done);
}

#define NS_CONNECTED	4
#define NS_PEERS	3

/*
 * In a new network namespace: a context, NS_CONNECTED connected sockets
 * and an unconnected one with NS_PEERS peers, all with a Ping out to a
 * silent peer. Writes the number of sessions and the session cache's
 * count to @out, then exits with everything open.
 */
static void netns_child(int out, void *arg)
{
	const uint32_t set[] = {
		COAP_KA_A_KEEPALIVE_SECS, 1, COAP_KA_A_ACK_TIMEOUT_MS, 2000,
		COAP_KA_A_MAX_RETRANSMIT, 3, 0,
	};
	struct netns_report report = { 0, -1 };
	int peer[NS_PEERS], fd, i, port;
	struct cka_nl *nl;
	uint8_t buf[64];
	long ctx;

	ctx = netns_child_ctx(set, &nl);
	if (ctx < 0)
		goto out;
	for (i = 0; i < NS_PEERS; i++) {
		peer[i] = udp_bound("127.0.0.1", 0, NULL);
		if (peer[i] < 0)
			goto out;
	}
	for (i = 0; i < NS_CONNECTED; i++) {
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (udp_connect_fd(fd, peer[0]) || session_add(nl, ctx, fd, NULL) <= 0)
			goto out;
		report.sessions++;
	}
	/* an unconnected socket must be bound: its Pings leave from its port */
	fd = udp_bound("127.0.0.1", 0, NULL);
	for (i = 0; i < NS_PEERS; i++) {
		struct sockaddr_storage ss;

		port = sock_port(peer[i]);
		sockaddr_fill(&ss, "127.0.0.1", port);
		if (session_add(nl, ctx, fd, (void *)&ss) <= 0)
			goto out;
		report.sessions++;
	}
	/* every session's first Ping has left: timers armed for 2 s */
	for (i = 0; i < NS_CONNECTED; i++)
		if (recv_within(peer[0], buf, sizeof(buf), 1000 + LATE_MS + 500, NULL, NULL) != 4)
			goto out;
	for (i = 1; i < NS_PEERS; i++)
		if (recv_within(peer[i], buf, sizeof(buf), 1000 + LATE_MS + 500, NULL, NULL) != 4)
			goto out;
	report.objects = session_objects();
out:
	netns_child_exit(out, &report);
}

/*
 * A namespace with pinging sessions goes away (its only process exits
 * with every socket open): every session and context is freed, and the
 * module's reference count is where it was.
 */
TEST_F(life, netns_exit_frees_sessions)
{
	netns_exit_check(_metadata, netns_child, NULL, NS_CONNECTED + NS_PEERS);
}

/*
 * A session cache's object size, printed for the record, and held to its
 * budget where lockdep does not make every spinlock larger; -1 if the
 * cache is not there.
 */
static long cache_object_size(struct __test_metadata *_metadata,
			      const char *cache, long budget)
{
	char path[256], target[256];
	long obj, slab;
	ssize_t n;

	snprintf(path, sizeof(path), SLAB_DIR "%s", cache);
	n = readlink(path, target, sizeof(target) - 1);
	if (n > 0) {
		target[n] = 0;
		ksft_print_msg("%s is merged into %s\n", cache, target);
	}
	snprintf(path, sizeof(path), SLAB_DIR "%s/object_size", cache);
	obj = read_long(path);
	snprintf(path, sizeof(path), SLAB_DIR "%s/slab_size", cache);
	slab = read_long(path);
	if (obj < 0)
		return -1;
	snprintf(path, sizeof(path), SLAB_DIR "%s/objs_per_slab", cache);
	ksft_print_msg("%s object_size %ld slab_size %ld objs_per_slab %ld (slab_size includes this boot's slub_debug red zones and tracking)\n",
		       cache, obj, slab, read_long(path));
	if (access("/proc/lockdep", F_OK)) {
		EXPECT_GE(budget, obj) TH_LOG("%s: %ld bytes, budget %ld", cache, obj, budget);
	} else {
		ksft_print_msg("lockdep kernel: %s not held to its %ld-byte budget\n",
			       cache, budget);
	}
	return obj;
}

/*
 * What an idle session costs: a session with an IPv4 peer takes 160 bytes
 * (25 to a page), one with an IPv6 peer the 12 bytes more of its address,
 * from a cache of its own. Each cache's count follows its sessions one for
 * one (100 idle sessions of one unconnected socket), the other's stays.
 */
TEST_F(life, session_object_size)
{
	const uint32_t set[] = { COAP_KA_A_KEEPALIVE_SECS, 3600, 0 };
	static const struct {
		const char *addr, *cache, *other;
		long budget;
	} fam[] = {
		{ "127.0.0.1", "coap_ka_session", "coap_ka_session6", 160 },
		{ "::1", "coap_ka_session6", "coap_ka_session", 176 },
	};
	long base, other, with, after, ctx;
	int fd, i, f;

	for (f = 0; f < 2; f++)
		if (cache_object_size(_metadata, fam[f].cache, fam[f].budget) < 0)
			SKIP(return, "no " SLAB_DIR "%s", fam[f].cache);

	ctx = cka_ctx_new(self->nl, set, NULL);
	ASSERT_LT(0, ctx);
	for (f = 0; f < 2; f++) {
		base = slab_objects(fam[f].cache);
		other = slab_objects(fam[f].other);
		fd = udp_bound(fam[f].addr, 0, NULL);
		ASSERT_LE(0, fd);
		for (i = 0; i < 100; i++) {
			struct sockaddr_storage ss;

			sockaddr_fill(&ss, fam[f].addr, 20000 + i);
			ASSERT_LT(0, session_add(self->nl, ctx, fd, (void *)&ss))
				TH_LOG("%s", self->nl->msg);
		}
		with = slab_objects(fam[f].cache);
		EXPECT_GE(base + 100, with) TH_LOG("%s", fam[f].cache);
		EXPECT_LE(base + 100 - KFENCE_SLACK, with) TH_LOG("%s", fam[f].cache);
		EXPECT_GE(other, slab_objects(fam[f].other))
			TH_LOG("%s peers took %s objects", fam[f].addr, fam[f].other);
		EXPECT_EQ(100, session_dump(self->nl, ctx, NULL, 0));
		close(fd);
		after = slab_wait(fam[f].cache, base, 5000);
		EXPECT_EQ(base, after) TH_LOG("%s", fam[f].cache);
		ksft_print_msg("%s objects: %ld, %ld with 100 idle sessions to %s, %ld after close\n",
			       fam[f].cache, base, with, fam[f].addr, after);
	}
	EXPECT_EQ(0, cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, ctx, NULL, NULL));
}

TEST_HARNESS_MAIN
