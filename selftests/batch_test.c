// SPDX-License-Identifier: GPL-2.0
/*
 * Batched SESSION_ADD (issue 13): one request carries up to
 * COAP_KA_SESSION_ADD_PEERS_MAX peer nests of one unconnected UDP socket.
 * A batch is all or nothing: whatever refuses one peer (a bad nest, the
 * same peer twice, a peer already attached, the session limit reached in
 * the middle of the batch) leaves no session of the request, sends no
 * event, hands a socket that had none back, and points the extended ACK
 * at the refused nest (its offset in the request, and its index in the
 * message where the kernel formats messages). The reply names each new
 * session in request order; the largest one fits.
 */
#include <netinet/tcp.h>
#include <sys/utsname.h>

#include "cka_udp.h"
#include "kselftest_harness.h"
#include "cka_priv.h"
#include "coapka.h"

#define LO	"127.0.0.1"

/* Does the running kernel format extended ACK messages (6.2 and later)? */
static bool kernel_formats_extack(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return false;
	return major > 6 || (major == 6 && minor >= 2);
}

/* Peer @i of a batch: 192.0.2.0/24 and on, port 5683 + i / 65536. */
static void peer_v4(struct sockaddr_storage *ss, int i)
{
	struct sockaddr_in *sin = (void *)ss;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(0xc0000200u + (uint32_t)i);
	sin->sin_port = htons(COAP_PORT);
}

static void peer_v6(struct sockaddr_storage *ss, int i)
{
	struct sockaddr_in6 *sin6 = (void *)ss;

	memset(ss, 0, sizeof(*ss));
	sin6->sin6_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::", &sin6->sin6_addr);
	sin6->sin6_addr.s6_addr[14] = (uint8_t)(i >> 8);
	sin6->sin6_addr.s6_addr[15] = (uint8_t)i;
	sin6->sin6_port = htons(COAP_PORT + 1);
}

FIXTURE(batch) {
	struct cka_nl *nl;
	struct cka_nl *ev;
	struct cka_batch *b;
	struct sockaddr_storage *peers;
	struct cka_ev *dump;
	long ctx;
	int fd;
	char saved_quota[32];
};

FIXTURE_SETUP(batch)
{
	ASSERT_EQ(0, system("ip link set lo up"));
	self->nl = cka_open();
	ASSERT_NE(NULL, self->nl);
	self->ev = open_events();
	ASSERT_NE(NULL, self->ev);
	self->b = calloc(1, sizeof(*self->b));
	self->peers = calloc(COAP_KA_SESSION_ADD_PEERS_MAX + 1, sizeof(*self->peers));
	self->dump = calloc(COAP_KA_SESSION_ADD_PEERS_MAX + 1, sizeof(*self->dump));
	ASSERT_TRUE(self->b && self->peers && self->dump);
	self->ctx = cka_ctx_new(self->nl, NULL, NULL);	/* keepalive off */
	ASSERT_LT(0, self->ctx);
	self->fd = udp_bound(LO, 0, NULL);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(batch)
{
	if (self->saved_quota[0])
		write_file(MOD_PARAM("max_sessions_per_user"), self->saved_quota);
	if (self->fd >= 0)
		close(self->fd);
	if (self->ctx > 0)
		cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, self->ctx, NULL, NULL);
	free(self->dump);
	free(self->peers);
	free(self->b);
	if (self->ev)
		cka_close(self->ev);
	if (self->nl)
		cka_close(self->nl);
}

/* The extended ACK points at nest @k of the last batch, by offset and name. */
static void expect_blame(struct __test_metadata *_metadata, struct cka_nl *nl,
			 const struct cka_batch *b, int k)
{
	char want[32];

	EXPECT_EQ(b->off[k], nl->bad_off)
		TH_LOG("offset %u, nest %d is at %u (%s)", nl->bad_off, k, b->off[k], nl->msg);
	EXPECT_NE(0, nl->msg[0]) TH_LOG("no extack message");
	snprintf(want, sizeof(want), "peer %d:", k);
	if (kernel_formats_extack())
		EXPECT_NE(NULL, strstr(nl->msg, want)) TH_LOG("message: %s", nl->msg);
}

/* Nothing of a refused batch is left in the context. */
static void expect_none(struct __test_metadata *_metadata, FIXTURE_DATA(batch) *self,
			int before)
{
	EXPECT_EQ(before, session_dump(self->nl, self->ctx, NULL, 0));
	EXPECT_EQ(before, ctx_sessions(self->nl, self->ctx));
}

/* Sessions in request order, each in the dump with its peer. */
TEST_F(batch, ids_in_order_and_dumped)
{
	const int n = 64;
	struct cka_ev g;
	int i, j;

	for (i = 0; i < n; i++)
		peer_v4(&self->peers[i], i);
	ASSERT_EQ(0, session_add_batch(self->nl, self->ctx, self->fd, self->peers, n,
				       NULL, self->b)) TH_LOG("%s", self->nl->msg);
	ASSERT_EQ(0, self->b->bad);
	ASSERT_EQ(n, self->b->nids);
	EXPECT_EQ(self->ctx, self->b->ctx);
	EXPECT_NE(0, self->b->ino);
	ASSERT_EQ(n, session_dump(self->nl, self->ctx, self->dump, n + 1));
	for (i = 0; i < n; i++) {
		const struct sockaddr_in *sin = (void *)&self->peers[i];

		ASSERT_EQ(0, session_get(self->nl, self->b->ids[i], &g));
		EXPECT_EQ(AF_INET, g.family);
		EXPECT_EQ(0, memcmp(&g.addr, &sin->sin_addr, 4)) TH_LOG("session %d's peer", i);
		EXPECT_EQ(COAP_PORT, g.port);
		EXPECT_EQ(self->b->ino, g.ino);
		for (j = 0; j < n; j++)
			if (self->dump[j].v[COAP_KA_A_SESSION_ID] == self->b->ids[i])
				break;
		EXPECT_LT(j, n) TH_LOG("session %u not in the dump", self->b->ids[i]);
		if (j < n)
			EXPECT_EQ(0, memcmp(&self->dump[j].addr, &sin->sin_addr, 4));
	}
	/* Each id once; a second batch on the same socket adds to it. */
	for (i = 1; i < n; i++)
		EXPECT_NE(self->b->ids[i - 1], self->b->ids[i]);
	peer_v4(&self->peers[0], n);
	peer_v4(&self->peers[1], n + 1);
	ASSERT_EQ(0, session_add_batch(self->nl, self->ctx, self->fd, self->peers, 2,
				       NULL, self->b)) TH_LOG("%s", self->nl->msg);
	EXPECT_EQ(n + 2, ctx_sessions(self->nl, self->ctx));
}

/* The same peer twice in one batch: EEXIST at the second, nothing added. */
TEST_F(batch, duplicate_in_batch)
{
	int i;

	for (i = 0; i < 6; i++)
		peer_v4(&self->peers[i], i);
	peer_v4(&self->peers[4], 1);
	EXPECT_EQ(-EEXIST, session_add_batch(self->nl, self->ctx, self->fd, self->peers, 6,
					     NULL, self->b));
	expect_blame(_metadata, self->nl, self->b, 4);
	expect_none(_metadata, self, 0);
	/* The socket is as before: each peer can be added alone. */
	EXPECT_LT(0, session_add(self->nl, self->ctx, self->fd, (void *)&self->peers[1]));
}

/* A peer the socket already has: EEXIST at it; the old session stays. */
TEST_F(batch, already_attached)
{
	struct cka_ev g;
	long sid;
	int i;

	peer_v4(&self->peers[0], 7);
	sid = session_add(self->nl, self->ctx, self->fd, (void *)&self->peers[0]);
	ASSERT_LT(0, sid) TH_LOG("%s", self->nl->msg);
	for (i = 0; i < 3; i++)
		peer_v4(&self->peers[i], 10 + i);
	peer_v4(&self->peers[3], 7);
	EXPECT_EQ(-EEXIST, session_add_batch(self->nl, self->ctx, self->fd, self->peers, 4,
					     NULL, self->b));
	expect_blame(_metadata, self->nl, self->b, 3);
	expect_none(_metadata, self, 1);
	EXPECT_EQ(0, session_get(self->nl, sid, &g));
}

/* A nest that is no peer, at index 2 of 4: EINVAL there, nothing added. */
TEST_F(batch, bad_nest_refused)
{
	struct sockaddr_in *sin = (void *)&self->peers[2];
	struct sockaddr_storage v6;
	int i;

	for (i = 0; i < 4; i++)
		peer_v4(&self->peers[i], i);
	sin->sin_port = 0;		/* a peer needs a non-zero port */
	EXPECT_EQ(-EINVAL, session_add_batch(self->nl, self->ctx, self->fd, self->peers, 4,
					     NULL, self->b));
	expect_blame(_metadata, self->nl, self->b, 2);
	expect_none(_metadata, self, 0);

	/* an IPv6 peer for an IPv4 socket, at index 1 */
	peer_v4(&self->peers[2], 2);
	peer_v6(&v6, 1);
	self->peers[1] = v6;
	EXPECT_EQ(-EAFNOSUPPORT, session_add_batch(self->nl, self->ctx, self->fd,
						   self->peers, 4, NULL, self->b));
	expect_blame(_metadata, self->nl, self->b, 1);
	expect_none(_metadata, self, 0);
}

/* A nest that carries a session-id, or nothing: refused at its index. */
TEST_F(batch, nest_without_peer_or_with_id)
{
	char buf[4096];
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	uint32_t off[3];
	int k;

	for (k = 0; k < 2; k++) {
		nlh = cka_msg_start(self->nl, buf, self->nl->family, 0, COAP_KA_CMD_SESSION_ADD);
		mnl_attr_put_u32(nlh, COAP_KA_A_CTX_ID, self->ctx);
		mnl_attr_put_u32(nlh, COAP_KA_A_SOCK_FD, self->fd);
		peer_v4(&self->peers[0], 0);
		off[0] = nlh->nlmsg_len;
		coapka_nl_put_peer(nlh, (void *)&self->peers[0], sizeof(self->peers[0]));
		off[1] = nlh->nlmsg_len;
		nest = mnl_attr_nest_start(nlh, COAP_KA_A_PEER);
		if (k) {
			peer_v4(&self->peers[1], 1);
			mnl_attr_put(nlh, COAP_KA_A_PEER_IPV4, 4,
				     &((struct sockaddr_in *)&self->peers[1])->sin_addr);
			mnl_attr_put_u16(nlh, COAP_KA_A_PEER_PORT, htons(COAP_PORT));
			mnl_attr_put_u32(nlh, COAP_KA_A_SESSION_ID, 1);
		}
		mnl_attr_nest_end(nlh, nest);
		EXPECT_EQ(-EINVAL, cka_talk(self->nl, nlh, NULL, NULL));
		EXPECT_EQ(off[1], self->nl->bad_off) TH_LOG("%s", self->nl->msg);
		EXPECT_NE(0, self->nl->msg[0]);
		expect_none(_metadata, self, 0);
	}
}

/* One nest more than COAP_KA_SESSION_ADD_PEERS_MAX: EINVAL at the extra one. */
TEST_F(batch, too_many_nests)
{
	const int n = COAP_KA_SESSION_ADD_PEERS_MAX + 1;
	int i;

	for (i = 0; i < n; i++)
		peer_v4(&self->peers[i], i);
	EXPECT_EQ(-EINVAL, session_add_batch(self->nl, self->ctx, self->fd, self->peers, n,
					     NULL, self->b));
	EXPECT_EQ(self->b->off[n - 1], self->nl->bad_off) TH_LOG("%s", self->nl->msg);
	EXPECT_NE(0, self->nl->msg[0]);
	expect_none(_metadata, self, 0);
}

/* Flat peer attributes and nests together: EINVAL. */
TEST_F(batch, flat_and_nested_refused)
{
	char buf[4096];
	struct nlmsghdr *nlh;
	struct sockaddr_in *sin = (void *)&self->peers[0];

	peer_v4(&self->peers[0], 0);
	peer_v4(&self->peers[1], 1);
	nlh = cka_msg_start(self->nl, buf, self->nl->family, 0, COAP_KA_CMD_SESSION_ADD);
	mnl_attr_put_u32(nlh, COAP_KA_A_CTX_ID, self->ctx);
	mnl_attr_put_u32(nlh, COAP_KA_A_SOCK_FD, self->fd);
	mnl_attr_put(nlh, COAP_KA_A_PEER_IPV4, 4, &sin->sin_addr);
	mnl_attr_put_u16(nlh, COAP_KA_A_PEER_PORT, sin->sin_port);
	coapka_nl_put_peer(nlh, (void *)&self->peers[1], sizeof(self->peers[1]));
	EXPECT_EQ(-EINVAL, cka_talk(self->nl, nlh, NULL, NULL));
	EXPECT_NE(0, self->nl->msg[0]);
	EXPECT_NE(0, self->nl->bad_off);
	expect_none(_metadata, self, 0);
}

/* A connected UDP socket and a TCP connection take no batch. */
TEST_F(batch, connected_and_tcp_refused)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int udp, lsn, tcp, acc;

	peer_v4(&self->peers[0], 0);
	peer_v4(&self->peers[1], 1);
	udp = udp_connected_to(LO, 9);
	ASSERT_LE(0, udp);
	EXPECT_EQ(-EINVAL, session_add_batch(self->nl, self->ctx, udp, self->peers, 1,
					     NULL, self->b));
	EXPECT_NE(0, self->nl->msg[0]);
	EXPECT_NE(0, self->nl->bad_off);

	lsn = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_LE(0, lsn);
	sockaddr_fill(&ss, LO, 0);
	ASSERT_EQ(0, bind(lsn, (void *)&ss, sizeof(struct sockaddr_in)));
	ASSERT_EQ(0, listen(lsn, 1));
	ASSERT_EQ(0, getsockname(lsn, (void *)&ss, &len));
	tcp = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_LE(0, tcp);
	ASSERT_EQ(0, connect(tcp, (void *)&ss, len));
	acc = accept(lsn, NULL, NULL);
	ASSERT_LE(0, acc);
	EXPECT_EQ(-EINVAL, session_add_batch(self->nl, self->ctx, tcp, self->peers, 2,
					     NULL, self->b));
	EXPECT_NE(0, self->nl->msg[0]);
	expect_none(_metadata, self, 0);
	close(acc);
	close(tcp);
	close(lsn);
	close(udp);
}

/*
 * The session limit reached at index 3 of 6: EDQUOT there, the three
 * sessions already made are gone without an event, and the socket is
 * handed back: a Ping of a batch peer reaches the application (with
 * answer-pings a session would have eaten it), and no event comes.
 */
TEST_F(batch, quota_mid_batch_leaves_nothing)
{
	uint32_t answer[] = { COAP_KA_A_FLAGS, COAP_KA_F_ANSWER_PINGS, 0 };
	struct sockaddr_storage from;
	int pfd[6], port, i, me;
	struct cka_ev e;
	uint8_t buf[64];

	ASSERT_EQ(0, read_line(MOD_PARAM("max_sessions_per_user"), self->saved_quota,
			       sizeof(self->saved_quota)));
	ASSERT_EQ(0, write_file(MOD_PARAM("max_sessions_per_user"), "3"));
	me = sock_port(self->fd);
	for (i = 0; i < 6; i++) {
		pfd[i] = udp_bound(LO, 0, &port);
		ASSERT_LE(0, pfd[i]);
		sockaddr_fill(&self->peers[i], LO, port);
	}
	EXPECT_EQ(-EDQUOT, session_add_batch(self->nl, self->ctx, self->fd, self->peers, 6,
					     answer, self->b));
	expect_blame(_metadata, self->nl, self->b, 3);
	expect_none(_metadata, self, 0);

	/* peer 0 had a session for a moment: its Ping goes to the application */
	coap_hdr(buf, COAP_CON, 0, 0x1234);
	sockaddr_fill(&from, LO, me);
	ASSERT_EQ(4, sendto(pfd[0], buf, 4, 0, (void *)&from, sizeof(struct sockaddr_in)));
	ASSERT_EQ(4, recv_within(self->fd, buf, sizeof(buf), 5000, &from, NULL))
		TH_LOG("the Ping did not reach the application: still watched?");
	EXPECT_EQ(COAP_CON, coap_type(buf));
	EXPECT_EQ(-ETIMEDOUT, recv_within(pfd[0], buf, sizeof(buf), 200, NULL, NULL))
		TH_LOG("the kernel answered the Ping");
	EXPECT_EQ(-ETIMEDOUT, ev_next(self->ev, 300, &e)) TH_LOG("event %u came", e.cmd);

	/* Within the limit the same batch goes through. */
	EXPECT_EQ(0, session_add_batch(self->nl, self->ctx, self->fd, self->peers, 3,
				       answer, self->b)) TH_LOG("%s", self->nl->msg);
	EXPECT_EQ(3, ctx_sessions(self->nl, self->ctx));
	for (i = 0; i < 6; i++)
		close(pfd[i]);
}

/*
 * The largest reply: COAP_KA_SESSION_ADD_PEERS_MAX IPv6 peers. The kernel
 * sizes the reply exactly, so a size that left out a byte fails the add.
 */
TEST_F(batch, largest_reply_fits)
{
	const int n = COAP_KA_SESSION_ADD_PEERS_MAX;
	struct cka_nl *add;
	int fd6, i;

	/*
	 * The sessions' events go by unicast to the socket that added them:
	 * a socket of their own, so that 1024 session-gone events cannot
	 * crowd out the replies on ours.
	 */
	add = cka_open();
	ASSERT_NE(NULL, add);
	fd6 = udp_bound("::1", 0, NULL);
	ASSERT_LE(0, fd6);
	for (i = 0; i < n; i++)
		peer_v6(&self->peers[i], i + 1);
	ASSERT_EQ(0, session_add_batch(add, self->ctx, fd6, self->peers, n, NULL,
				       self->b)) TH_LOG("%s", add->msg);
	EXPECT_EQ(0, self->b->bad);
	EXPECT_EQ(n, self->b->nids);
	EXPECT_EQ(n, session_dump(self->nl, self->ctx, NULL, 0));
	/* Closing the socket ends them all. */
	close(fd6);
	for (i = 0; i < 100 && ctx_sessions(self->nl, self->ctx); i++)
		sleep_ms(50);
	EXPECT_EQ(0, ctx_sessions(self->nl, self->ctx));
	cka_close(add);
}

/* libcoapka's coapka_attach_peers(): ids in order, all or none, the reason. */
TEST_F(batch, library_attach_peers)
{
	uint32_t ids[4] = { 0 }, ctx = 0;
	struct coapka *h = coapka_open();
	struct cka_ev g;
	int i;

	ASSERT_NE(NULL, h) TH_LOG("coapka_open: %s", strerror(errno));
	ASSERT_EQ(0, coapka_context_set_keepalive(h, 0, NULL, &ctx)) TH_LOG("%s", coapka_strerror(h));
	for (i = 0; i < 3; i++)
		peer_v4(&self->peers[i], 20 + i);
	ASSERT_EQ(0, coapka_attach_peers(h, ctx, self->fd, self->peers, 3, ids))
		TH_LOG("%s", coapka_strerror(h));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, session_get(self->nl, ids[i], &g));
		EXPECT_EQ(0, memcmp(&g.addr, &((struct sockaddr_in *)&self->peers[i])->sin_addr, 4));
		EXPECT_EQ(ctx, g.v[COAP_KA_A_CTX_ID]);
	}
	peer_v4(&self->peers[3], 20);
	peer_v4(&self->peers[0], 30);
	EXPECT_EQ(-EEXIST, coapka_attach_peers(h, ctx, self->fd, self->peers, 4, NULL));
	EXPECT_NE(NULL, strstr(coapka_strerror(h), "already has a session"))
		TH_LOG("%s", coapka_strerror(h));
	EXPECT_EQ(3, ctx_sessions(self->nl, ctx));
	EXPECT_EQ(-EINVAL, coapka_attach_peers(h, ctx, self->fd, self->peers, 0, NULL));
	EXPECT_EQ(0, coapka_context_free(h, ctx));
	coapka_close(h);
}

TEST_HARNESS_MAIN
