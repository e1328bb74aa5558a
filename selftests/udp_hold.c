// SPDX-License-Identifier: GPL-2.0
/*
 * Helper of udp_lifetime.sh: hand sockets to coap_keepalive, let them be
 * pinged, run a command (rmmod) while the sessions are live, then check
 * the sockets behave as if the module had never been there.
 *
 *   udp_hold unload CMD [ARGS...]
 *	Sessions on three sockets: A connected to coap-server-notls on
 *	127.0.0.1:5683 (started here), B unconnected with the server as its
 *	peer, C connected to a silent peer of ours with a Ping out (its
 *	retransmission armed). After A and B were answered and C's Ping
 *	left, run CMD, which must succeed. Then: A and B get coap-server's
 *	answer to a GET and the Reset to their own Ping (nothing eats it
 *	any more); C's Ping is not retransmitted and C still talks with its
 *	peer both ways.
 *   udp_hold pong
 *	One session on A; succeeds when it is pinged and answered.
 *
 * Prints what it checks ("ok: ..."/"FAIL: ..."); exits 0 if all held.
 */
#include "cka_udp.h"
#include "cka_hold.h"

/* A GET to coap-server on @fd (to @to if unconnected) gets its 2.05. */
static bool get_answered(int fd, const struct sockaddr_storage *to, uint16_t mid)
{
	uint8_t get[4], rsp[512];
	ssize_t n;

	coap_hdr(get, COAP_CON, 0x01, mid);
	if (sendto(fd, get, 4, 0, (void *)to, to ? sizeof(struct sockaddr_in) : 0) != 4)
		return false;
	n = recv_within(fd, rsp, sizeof(rsp), 3000, NULL, NULL);
	return n > 4 && coap_type(rsp) == COAP_ACK && rsp[1] == 0x45 && coap_mid(rsp) == mid;
}

/* The application's own Ping on @fd gets coap-server's Reset. */
static bool ping_reset(int fd, const struct sockaddr_storage *to, uint16_t mid)
{
	uint8_t ping[4], rsp[64];
	ssize_t n;

	coap_hdr(ping, COAP_CON, 0, mid);
	if (sendto(fd, ping, 4, 0, (void *)to, to ? sizeof(struct sockaddr_in) : 0) != 4)
		return false;
	n = recv_within(fd, rsp, sizeof(rsp), 3000, NULL, NULL);
	return coap_is_empty(rsp, n, COAP_RST) && coap_mid(rsp) == mid;
}

int main(int argc, char **argv)
{
	const uint32_t set[] = {
		COAP_KA_A_KEEPALIVE_SECS, 1, COAP_KA_A_ACK_TIMEOUT_MS, 1000,
		COAP_KA_A_ACK_RANDOM_FACTOR, 1000, COAP_KA_A_MAX_RETRANSMIT, 3, 0,
	};
	bool unload = argc > 2 && !strcmp(argv[1], "unload");
	struct sockaddr_storage srv_addr;
	int a, b = -1, c = -1, peer = -1, rc;
	struct cka_nl *nl, *evs;
	long ctx, sid[3], got;
	struct cka_ev ev[2];
	uint8_t buf[64];
	pid_t server;
	ssize_t n;

	if (!unload && (argc != 2 || strcmp(argv[1], "pong"))) {
		fprintf(stderr, "usage: udp_hold unload CMD [ARGS...] | udp_hold pong\n");
		return 2;
	}
	server = coap_server_start("127.0.0.1", COAP_PORT);
	if (server < 0) {
		printf("FAIL: coap-server-notls did not come up\n");
		return 1;
	}
	nl = cka_open();
	evs = open_events();
	if (!nl || !evs) {
		printf("FAIL: no coap_keepalive family: %s\n", strerror(errno));
		reap(server, SIGTERM);
		return 1;
	}
	ctx = cka_ctx_new(nl, set, NULL);
	check(ctx > 0, "context %ld", ctx);
	sockaddr_fill(&srv_addr, "127.0.0.1", COAP_PORT);

	a = udp_connected_to("127.0.0.1", COAP_PORT);
	sid[0] = session_add(nl, ctx, a, NULL);
	check(sid[0] > 0, "session on a connected socket: %ld %s", sid[0], nl->msg);
	if (unload) {
		b = udp_bound("127.0.0.1", 0, NULL);
		sid[1] = session_add(nl, ctx, b, (void *)&srv_addr);
		check(sid[1] > 0, "session on an unconnected socket: %ld %s", sid[1], nl->msg);
		peer = udp_bound("127.0.0.1", 0, NULL);
		c = socket(AF_INET, SOCK_DGRAM, 0);
		udp_connect_fd(c, peer);
		udp_connect_fd(peer, c);
		sid[2] = session_add(nl, ctx, c, NULL);
		check(sid[2] > 0, "session towards a silent peer: %ld %s", sid[2], nl->msg);
	}
	got = ev_wait_each(evs, COAP_KA_CMD_PONG_NTF, sid, unload ? 2 : 1, 5000, ev);
	check(got == 0, "coap-server answered the Pings");
	if (!unload)
		goto out;

	n = recv_within(peer, buf, sizeof(buf), 5000, NULL, NULL);
	check(coap_is_empty(buf, n, COAP_CON), "the silent peer got a Ping (%zd bytes)", n);

	rc = run_wait(argv + 2, NULL);
	check(rc == 0, "'%s' with live sessions exited %d", argv[2], rc);
	if (rc)
		goto out;
	/* a retransmission may have left while the module was going */
	for (n = 0; recv(peer, buf, sizeof(buf), MSG_DONTWAIT) == 4; n++)
		;
	printf("# %zd retransmissions left before the module was gone\n", n);

	check(get_answered(a, NULL, 0x4242), "connected socket: GET answered after unload");
	check(ping_reset(a, NULL, 0x4243), "connected socket: own Ping's Reset delivered");
	check(get_answered(b, &srv_addr, 0x4244), "unconnected socket: GET answered after unload");
	check(ping_reset(b, &srv_addr, 0x4245), "unconnected socket: own Ping's Reset delivered");
	/* no Ping or retransmission leaves once the module is gone */
	n = recv_within(peer, buf, sizeof(buf), 2500, NULL, NULL);
	check(n == -ETIMEDOUT, "no retransmission after unload (%zd)", n);
	coap_hdr(buf, COAP_NON, 0x02, 0x4246);
	n = send(c, buf, 4, 0);
	n = recv_within(peer, buf, sizeof(buf), 1000, NULL, NULL);
	check(n == 4 && coap_mid(buf) == 0x4246, "silent peer's socket: app to peer");
	coap_hdr(buf, COAP_CON, 0, 0x4247);
	n = send(peer, buf, 4, 0);
	n = recv_within(c, buf, sizeof(buf), 1000, NULL, NULL);
	check(n == 4 && coap_mid(buf) == 0x4247, "silent peer's socket: peer's Ping reaches the app");
out:
	reap(server, SIGTERM);
	return failures ? 1 : 0;
}
