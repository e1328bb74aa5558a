/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Many sessions at once: pipelined netlink requests (up to CKA_PIPE_WIN
 * per sendto, then their answers), SESSION_ADD of one socket to many
 * peers, and the peer addresses 127.a.b.c those sessions use. Shared by
 * bench/cka_bench.c and the selftests that attach tens of thousands of
 * sessions (fault_test). Needs only cka_nl.h.
 */
#ifndef CKA_PIPE_H
#define CKA_PIPE_H

#include <arpa/inet.h>
#include <netinet/in.h>

#include "cka_nl.h"

#define CKA_PIPE_WIN	256	/* requests per sendto */
#define CKA_PEER_PORT	5683	/* the port of every peer of build_add() */

/* Peer i: 127.(1 + i / 65536).(i / 256 % 256).(i % 256), all local on lo. */
static inline struct sockaddr_in peer_addr(long i, int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };

	sin.sin_addr.s_addr = htonl(0x7f000000u | (uint32_t)(1 + (i >> 16)) << 16 |
				    (uint32_t)((i >> 8) & 255) << 8 | (uint32_t)(i & 255));
	return sin;
}

/* The index i of peer_addr(i), or -1 for an address that is none. */
static inline long peer_index(uint32_t addr_be)
{
	uint32_t a = ntohl(addr_be);

	if ((a >> 24) != 127 || ((a >> 16) & 255) == 0)
		return -1;
	return (long)(((a >> 16) & 255) - 1) << 16 | (a & 0xffff);
}

/*
 * Pipelined requests: @n requests built by @build(i) are sent in batches
 * of up to CKA_PIPE_WIN in one sendto each, then their answers read
 * (other messages on the socket, such as events, are skipped). Returns
 * the number that failed; the first error goes to *@err.
 */
typedef void (*build_fn)(struct cka_nl *nl, struct nlmsghdr *nlh, long i, void *arg);

static inline long pipeline_sized(struct cka_nl *nl, uint8_t cmd, long n, build_fn build,
				  void *arg, int *err, size_t maxreq);

static inline long pipeline(struct cka_nl *nl, uint8_t cmd, long n, build_fn build,
			    void *arg, int *err)
{
	return pipeline_sized(nl, cmd, n, build, arg, err, 512);
}

/* The same, for requests of up to @maxreq bytes each. */
static inline long pipeline_sized(struct cka_nl *nl, uint8_t cmd, long n, build_fn build,
				  void *arg, int *err, size_t maxreq)
{
	static char out[1 << 16];
	long i = 0, failed = 0;

	*err = 0;
	while (i < n) {
		uint32_t first = nl->seq + 1, last;
		size_t off = 0;
		long k, pending;

		for (k = 0; k < CKA_PIPE_WIN && i < n; k++, i++) {
			struct nlmsghdr *nlh;

			if (off + maxreq > sizeof(out))
				break;
			nlh = cka_msg_start(nl, out + off, nl->family, 0, cmd);
			build(nl, nlh, i, arg);
			off += NLMSG_ALIGN(nlh->nlmsg_len);
		}
		last = nl->seq;
		if (mnl_socket_sendto(nl->sock, out, off) < 0) {
			*err = errno;
			return n;
		}
		pending = last - first + 1;
		while (pending > 0) {
			ssize_t len = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
			const struct nlmsghdr *h;
			int l;

			if (len < 0) {
				*err = errno;
				return failed + pending + (n - i);
			}
			l = len;
			for (h = (void *)nl->buf; mnl_nlmsg_ok(h, l); h = mnl_nlmsg_next(h, &l)) {
				const struct nlmsgerr *e;

				if (h->nlmsg_type != NLMSG_ERROR ||
				    h->nlmsg_seq - first > last - first)
					continue;
				e = mnl_nlmsg_get_payload(h);
				if (e->error) {
					failed++;
					if (!*err)
						*err = -e->error;
				}
				pending--;
			}
		}
	}
	return failed;
}

struct add_arg {
	long ctx;
	int fd;			/* one shared socket, or -1: fds[i] */
	const int *fds;
	long peer0;		/* peer index of request 0; -1: connected */
	int transport;		/* -1: none */
};

/* Request i of a pipelined SESSION_ADD: peer peer_addr(peer0 + i). */
static inline void build_add(struct cka_nl *nl, struct nlmsghdr *nlh, long i, void *p)
{
	struct add_arg *a = p;

	(void)nl;
	mnl_attr_put_u32(nlh, COAP_KA_A_CTX_ID, a->ctx);
	mnl_attr_put_u32(nlh, COAP_KA_A_SOCK_FD, a->fds ? a->fds[i] : a->fd);
	if (a->peer0 >= 0) {
		struct sockaddr_in sin = peer_addr(a->peer0 + i, CKA_PEER_PORT);

		mnl_attr_put(nlh, COAP_KA_A_PEER_IPV4, 4, &sin.sin_addr);
		mnl_attr_put_u16(nlh, COAP_KA_A_PEER_PORT, sin.sin_port);
	}
	if (a->transport >= 0)
		mnl_attr_put_u32(nlh, COAP_KA_A_TRANSPORT, a->transport);
}

/*
 * Batched SESSION_ADD (peer nests) of one unconnected socket: request i
 * carries peers peer_addr(peer0 + i * per) on, @n peers in all.
 */
struct add_batch_arg {
	long ctx;
	int fd;
	long peer0;
	long n;
	int per;		/* peers per request, at most COAP_KA_SESSION_ADD_PEERS_MAX */
};

/* The size of a request of add_batch_arg.per IPv4 peers. */
#define CKA_BATCH_REQ_SIZE(per)	(256 + COAPKA_NL_PEER_ROOM(per))

static inline void build_add_batch(struct cka_nl *nl, struct nlmsghdr *nlh, long i, void *p)
{
	struct add_batch_arg *b = p;
	long k = i * b->per, end = k + b->per < b->n ? k + b->per : b->n;

	(void)nl;
	mnl_attr_put_u32(nlh, COAP_KA_A_CTX_ID, b->ctx);
	mnl_attr_put_u32(nlh, COAP_KA_A_SOCK_FD, b->fd);
	for (; k < end; k++) {
		struct sockaddr_in sin = peer_addr(b->peer0 + k, CKA_PEER_PORT);

		coapka_nl_put_peer(nlh, (void *)&sin, sizeof(sin));
	}
}

/* Requests build_add_batch() needs for @b's peers. */
static inline long add_batch_reqs(const struct add_batch_arg *b)
{
	return (b->n + b->per - 1) / b->per;
}

#endif /* CKA_PIPE_H */
