/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The one netlink client of the coap_keepalive family (libmnl): family
 * resolution, requests, replies and dumps, extended ACKs. libcoapka is
 * built on it; the coap-keepalive CLI and the selftests link libcoapka.a
 * and use it directly. Internal: not installed, its symbols are hidden in
 * libcoapka.so.
 */
#ifndef COAPKA_NL_H
#define COAPKA_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>

#if defined(COAPKA_BUILD) && defined(__GNUC__)
#define COAPKA_INTERNAL	__attribute__((visibility("hidden")))
#else
#define COAPKA_INTERNAL
#endif

/* Receive buffer: the largest message the family sends fits many times. */
#define COAPKA_NL_RECV_SIZE	65536

/* What the kernel (or our own side) said about the last request. */
struct coapka_ext {
	int err;			/* positive errno; 0: none */
	char msg[512];			/* NLMSGERR_ATTR_MSG, "" if none;
					 * also a success's warning */
	bool has_offs;
	uint32_t offs;			/* NLMSGERR_ATTR_OFFS */
	bool has_miss;
	uint32_t miss_type;		/* NLMSGERR_ATTR_MISS_TYPE */
	bool has_umin, has_umax, has_smin, has_smax, has_mask;
	uint64_t umin, umax, mask;	/* NLMSGERR_ATTR_POLICY */
	int64_t smin, smax;
	const char *local;		/* our own step that failed, if any */
};

/*
 * Called for each data message of the awaited request; a negative return
 * stops the request and becomes its result.
 */
typedef int (*coapka_nl_cb)(const struct nlmsghdr *nlh, void *data);

struct coapka_nl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;			/* last sequence number coapka_nl_talk used */
	uint16_t family;		/* generic netlink family id */
	uint32_t version;
	uint32_t grp_events;		/* multicast group id, 0: none */
	struct coapka_ext ext;
	/* Of the last request: */
	unsigned int nmsgs;		/* data messages seen */
	unsigned int nparts;		/* receive calls that carried them */
	bool intr;			/* a message had NLM_F_DUMP_INTR */
	/*
	 * Family messages that are not part of the awaited request (events
	 * sent by unicast or multicast while it was out); NULL drops them.
	 */
	coapka_nl_cb other;
	void *other_data;
	char *rx;			/* COAPKA_NL_RECV_SIZE + alignment slack */
};

/*
 * Open a generic netlink socket, ask for extended ACKs and resolve the
 * family and its events group. Returns 0 or -errno (ENOENT: the module is
 * not loaded); nl->ext says why. Nothing is printed.
 */
COAPKA_INTERNAL int coapka_nl_open(struct coapka_nl *nl);
COAPKA_INTERNAL void coapka_nl_close(struct coapka_nl *nl);

/*
 * Look the family and its events group up again on @nl's open socket
 * (after the module was reloaded, its family id may differ). Returns 0 or
 * -errno (ENOENT: the module is not loaded; family and group are 0 then).
 */
COAPKA_INTERNAL int coapka_nl_resolve(struct coapka_nl *nl);

/*
 * Start a request of the family (or of @type when not 0, e.g. nlctrl) in
 * @buf of @size bytes (zeroed first). The sequence number is left 0.
 */
COAPKA_INTERNAL struct nlmsghdr *coapka_nl_req(const struct coapka_nl *nl,
					       void *buf, size_t size,
					       uint16_t type, uint8_t cmd,
					       uint16_t flags);

/* Send @nlh as it is. Returns 0 or -errno. */
COAPKA_INTERNAL int coapka_nl_send(struct coapka_nl *nl,
				   const struct nlmsghdr *nlh);

/*
 * Receive until the request with sequence number @seq is answered (ACK,
 * error or DONE), feeding its data messages to @cb. Returns 0 or -errno;
 * nl->ext, nmsgs, nparts and intr describe the answer.
 */
COAPKA_INTERNAL int coapka_nl_recv(struct coapka_nl *nl, uint32_t seq,
				   coapka_nl_cb cb, void *data);

/* Number @nlh (++nl->seq), send it and receive its answer. */
COAPKA_INTERNAL int coapka_nl_talk(struct coapka_nl *nl, struct nlmsghdr *nlh,
				   coapka_nl_cb cb, void *data);

/*
 * Read what is there without blocking and feed every family message to
 * nl->other. Returns the number of messages fed, or -errno (-ENOBUFS:
 * the receive buffer overran and messages were lost; -EAGAIN never).
 */
COAPKA_INTERNAL int coapka_nl_poll(struct coapka_nl *nl);

/* Join a multicast group by id. Returns 0 or -errno. */
COAPKA_INTERNAL int coapka_nl_join(struct coapka_nl *nl, uint32_t group);

/*
 * Put one peer of a batched SESSION_ADD, a COAP_KA_A_PEER nest of @sa's
 * address and port, at the end of @nlh. Returns false (and puts nothing)
 * if @sa is neither AF_INET nor AF_INET6 or @len too short for it.
 */
COAPKA_INTERNAL bool coapka_nl_put_peer(struct nlmsghdr *nlh,
					const struct sockaddr *sa,
					socklen_t len);

/* Room a request needs for @n peer nests: at most this many bytes. */
#define COAPKA_NL_PEER_ROOM(n)	((size_t)(n) * 32)

/*
 * The session ids of a batched SESSION_ADD's reply, in request order:
 * @ids (room for @max) gets them and *@n their number. Returns 0 or
 * -EPROTO for a malformed reply.
 */
COAPKA_INTERNAL int coapka_nl_batch_ids(const struct nlmsghdr *nlh,
					uint32_t *ids, unsigned int max,
					unsigned int *n);

/* Record a failure of our own side; returns -err. */
COAPKA_INTERNAL int coapka_nl_local_err(struct coapka_nl *nl,
					const char *what, int err);

/*
 * mnl_nlmsg_ok() casts nlmsg_len to int, so a corrupt length past INT_MAX
 * passes it: check lengths as unsigned.
 */
static inline bool coapka_nlmsg_ok(const struct nlmsghdr *nlh, int len)
{
	return len >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= (unsigned int)len;
}

#endif /* COAPKA_NL_H */
