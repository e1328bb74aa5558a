/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Talking to the coap_keepalive generic netlink family: the CLI's face of
 * libcoapka's netlink core (tools/lib/coapka/coapka_nl.h), which resolves
 * the family, sends requests and decodes extended ACKs; here replies are
 * collected, interrupted dumps restarted and errors printed.
 */
#ifndef CKA_NL_H
#define CKA_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>

#include "coapka_nl.h"

#include "attrs.h"

#define CKA_REQ_SIZE	8192
#define CKA_RECV_SIZE	COAPKA_NL_RECV_SIZE

/*
 * Reply messages of one request: copies, laid end to end in blocks (a
 * dump of many small messages is not a malloc() each).
 */
struct cka_msg_block;

struct cka_msgs {
	struct nlmsghdr **v;
	size_t n, cap;
	struct cka_msg_block *blocks;	/* the newest first */
};

struct cka_nl {
	struct coapka_nl core;		/* the shared client */
	/* Copies of the core's, for the files that read them. */
	struct mnl_socket *sock;
	uint16_t family;		/* generic netlink family id */
	uint32_t grp_events;		/* multicast group id, 0: none */
	const struct cka_attr_set *set;	/* to name attributes in errors */
	const struct nlmsghdr *req;	/* last request, for NLMSGERR_ATTR_OFFS */
};

/*
 * Open a socket and resolve the family. Returns 0, or -errno after
 * printing why (with a modprobe hint when the family is not there).
 */
int cka_nl_open(struct cka_nl *nl);
void cka_nl_close(struct cka_nl *nl);

/* Start a request of the family in @buf (CKA_REQ_SIZE bytes). */
struct nlmsghdr *cka_nl_req(struct cka_nl *nl, void *buf, uint8_t cmd,
			    uint16_t flags);

/*
 * Send @req and collect the reply messages until the ACK (do) or DONE
 * (dump). Returns 0 or -errno; on error nl->core.ext says why.
 */
int cka_nl_talk(struct cka_nl *nl, struct nlmsghdr *req,
		struct cka_msgs *out);
void cka_msgs_free(struct cka_msgs *m);

/* Print nl->core.ext: "coap-keepalive: <strerror>: <extack> (attribute ...)". */
void cka_nl_perror(const struct cka_nl *nl);

/* Join a multicast group by id. Returns 0 or -errno (not printed). */
int cka_nl_join(struct cka_nl *nl, uint32_t group);

#define cka_nlmsg_ok	coapka_nlmsg_ok

/* The payload attributes of a family message start here. */
#define CKA_GENL_HDRLEN	MNL_ALIGN(sizeof(struct genlmsghdr))

#endif /* CKA_NL_H */
