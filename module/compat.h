/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Feature tests for the kernels we build against (Debian 6.1 and 6.12).
 * Every difference between them lives here, tested by feature rather than
 * by version number wherever the kernel gives us something to test.
 */
#ifndef _COAP_KA_COMPAT_H
#define _COAP_KA_COMPAT_H

#include <linux/sysctl.h>
#include <linux/timer.h>
#include <linux/udp.h>
#include <net/genetlink.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>

/*
 * Multicast group capability flags came with 6.7 and were backported to
 * some stable series (Debian's 6.1 has them). Without them anyone may join.
 */
#ifdef GENL_MCAST_CAP_NET_ADMIN
#define COAP_KA_MCGRP_FLAGS	GENL_MCAST_CAP_NET_ADMIN
#else
#define COAP_KA_MCGRP_FLAGS	0
#endif

/*
 * A policy's range pointer (NLA_POLICY_FULL_RANGE) points to const from 6.2
 * on; 6.1's does not, and the policies ynl-gen writes into netlink-gen.c
 * (which gets this header with -include, see Kbuild) point to const ranges.
 * Tested on the member's own type: the cast is to whatever it is, a no-op
 * where it is const. Nothing writes through it on any kernel.
 */
#undef NLA_POLICY_FULL_RANGE
#define NLA_POLICY_FULL_RANGE(tp, _range) {				\
	.type = NLA_ENSURE_UINT_OR_BINARY_TYPE(tp),			\
	.validation_type = NLA_VALIDATE_RANGE_PTR,			\
	.range = (typeof(((struct nla_policy *)NULL)->range))(_range),	\
}

/*
 * UDP's encap_err_rcv hook: from 6.2 it is handed UDP's errno and what
 * ip_icmp_error()/ipv6_icmp_error() (then exported) need to queue it for
 * IP_RECVERR; 6.1 passes only the offset of the quoted UDP header. Tested
 * on the hook's own type: COAP_KA_ERR_RCV_FULL is a constant, and
 * COAP_KA_ERR_RCV() picks the handler of that type.
 */
typedef void (*coap_ka_err_rcv_full_t)(struct sock *sk, struct sk_buff *skb,
				       int err, __be16 port, u32 info,
				       u8 *payload);
#define COAP_KA_ERR_RCV_FULL \
	__same_type(((struct udp_sock *)NULL)->encap_err_rcv, coap_ka_err_rcv_full_t)
#define COAP_KA_ERR_RCV(full, offset) \
	__builtin_choose_expr(COAP_KA_ERR_RCV_FULL, (full), (offset))

/* A socket's IP_RECVERR / IPV6_RECVERR: flag bits from 6.6, bitfields before. */
static inline bool coap_ka_recverr(struct sock *sk, bool v4)
{
#ifdef inet_test_bit
	return v4 ? inet_test_bit(RECVERR, sk) : inet6_test_bit(RECVERR6, sk);
#else
	return v4 ? inet_sk(sk)->recverr : inet6_sk(sk)->recverr;
#endif
}

/*
 * struct proto's sendpage (sendfile(), splice()) went in 6.5; Debian's 6.1
 * still has it. MSG_SENDPAGE_NOTLAST went with it.
 */
#ifdef MSG_SENDPAGE_NOTLAST
#define COAP_KA_HAVE_SENDPAGE
#define COAP_KA_MSG_NOTLAST	MSG_SENDPAGE_NOTLAST
#else
#define COAP_KA_MSG_NOTLAST	0
#endif

/* from_timer() is timer_container_of() from 6.16 on. */
#ifndef from_timer
#define from_timer(var, t, field)	timer_container_of(var, t, field)
#endif

/*
 * A sysctl handler is handed a const table from 6.11 on. Tested on the
 * kernel's own proc_handler type: COAP_KA_CTL_HANDLER() picks the handler
 * of that type.
 */
typedef int coap_ka_ctl_handler_t(const struct ctl_table *table, int write,
				  void *buffer, size_t *lenp, loff_t *ppos);
#define COAP_KA_CTL_CONST	__same_type(proc_handler, coap_ka_ctl_handler_t)
#define COAP_KA_CTL_HANDLER(c, nc) \
	__builtin_choose_expr(COAP_KA_CTL_CONST, (c), (nc))

/*
 * A namespace's sysctl table: 6.6 made register_net_sysctl() a macro over
 * register_net_sysctl_sz(), which takes the number of entries (and wants
 * no empty one at the end); before, the table ends with an empty entry.
 * @table has @n entries and then an empty one, for either.
 */
static inline struct ctl_table_header *
coap_ka_register_net_sysctl(struct net *net, const char *path,
			    struct ctl_table *table, size_t n)
{
#ifdef register_net_sysctl
	return register_net_sysctl_sz(net, path, table, n);
#else
	return register_net_sysctl(net, path, table);
#endif
}

#endif /* _COAP_KA_COMPAT_H */
