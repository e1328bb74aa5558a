/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Talking to the coap_keepalive generic netlink family: resolving it,
 * sending requests, collecting replies and decoding extended ACKs.
 */
#ifndef CKA_NL_H
#define CKA_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>

#include "attrs.h"

#define CKA_REQ_SIZE	8192
#define CKA_RECV_SIZE	65536

/* What the kernel said about a failed request (its extended ACK). */
struct cka_ext {
	int err;			/* positive errno; 0: none */
	char msg[512];			/* NLMSGERR_ATTR_MSG */
	bool has_offs;
	uint32_t offs;			/* NLMSGERR_ATTR_OFFS */
	bool has_miss;
	uint32_t miss_type;		/* NLMSGERR_ATTR_MISS_TYPE */
	bool has_umin, has_umax, has_smin, has_smax, has_mask;
	uint64_t umin, umax, mask;	/* NLMSGERR_ATTR_POLICY */
	int64_t smin, smax;
	const char *local;		/* our own step that failed, if any */
};

/* Reply messages of one request, each a malloc'd copy. */
struct cka_msgs {
	struct nlmsghdr **v;
	size_t n, cap;
};

struct cka_nl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	uint16_t family;		/* generic netlink family id */
	uint32_t version;
	uint32_t grp_events;		/* multicast group id, 0: none */
	const struct cka_attr_set *set;	/* to name attributes in errors */
	const struct nlmsghdr *req;	/* last request, for NLMSGERR_ATTR_OFFS */
	struct cka_ext ext;
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
 * (dump). Returns 0 or -errno; on error nl->ext says why.
 */
int cka_nl_talk(struct cka_nl *nl, struct nlmsghdr *req,
		struct cka_msgs *out);
void cka_msgs_free(struct cka_msgs *m);

/* Print nl->ext: "coap-keepalive: <strerror>: <extack> (attribute ...)". */
void cka_nl_perror(const struct cka_nl *nl);

/* Join a multicast group by id. Returns 0 or -errno (not printed). */
int cka_nl_join(struct cka_nl *nl, uint32_t group);

/*
 * mnl_nlmsg_ok() casts nlmsg_len to int, so a corrupt length past INT_MAX
 * passes it: check lengths as unsigned.
 */
static inline bool cka_nlmsg_ok(const struct nlmsghdr *nlh, int len)
{
	return len >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= (unsigned int)len;
}

/* The payload attributes of a family message start here. */
#define CKA_GENL_HDRLEN	MNL_ALIGN(sizeof(struct genlmsghdr))

#endif /* CKA_NL_H */
