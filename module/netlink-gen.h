/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/coap_keepalive.yaml */
/* YNL-GEN kernel header */

#ifndef _LINUX_COAP_KEEPALIVE_GEN_H
#define _LINUX_COAP_KEEPALIVE_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <uapi/linux/coap_keepalive.h>

/* Common nested types */
extern const struct nla_policy coap_keepalive_peer_nl_policy[COAP_KA_A_PEER_PORT + 1];

extern const struct nla_policy coap_keepalive_ctx_new_nl_policy[COAP_KA_A_FLAGS + 1];

extern const struct nla_policy coap_keepalive_ctx_set_nl_policy[COAP_KA_A_FLAGS + 1];

extern const struct nla_policy coap_keepalive_ctx_get_nl_policy[COAP_KA_A_CTX_ID + 1];

extern const struct nla_policy coap_keepalive_ctx_del_nl_policy[COAP_KA_A_CTX_ID + 1];

extern const struct nla_policy coap_keepalive_session_add_nl_policy[COAP_KA_A_PEER + 1];

extern const struct nla_policy coap_keepalive_session_del_nl_policy[COAP_KA_A_SESSION_ID + 1];

extern const struct nla_policy coap_keepalive_session_get_nl_policy[COAP_KA_A_SOCK_INODE + 1];

/* Ops table for coap_keepalive */
extern const struct genl_ops coap_keepalive_nl_ops[7];

int coap_keepalive_nl_ctx_new_doit(struct sk_buff *skb, struct genl_info *info);
int coap_keepalive_nl_ctx_set_doit(struct sk_buff *skb, struct genl_info *info);
int coap_keepalive_nl_ctx_get_doit(struct sk_buff *skb, struct genl_info *info);
int coap_keepalive_nl_ctx_get_dumpit(struct sk_buff *skb,
				     struct netlink_callback *cb);
int coap_keepalive_nl_ctx_del_doit(struct sk_buff *skb, struct genl_info *info);
int coap_keepalive_nl_session_add_doit(struct sk_buff *skb,
				       struct genl_info *info);
int coap_keepalive_nl_session_del_doit(struct sk_buff *skb,
				       struct genl_info *info);
int coap_keepalive_nl_session_get_doit(struct sk_buff *skb,
				       struct genl_info *info);
int coap_keepalive_nl_session_get_dumpit(struct sk_buff *skb,
					 struct netlink_callback *cb);

enum {
	COAP_KEEPALIVE_NLGRP_EVENTS,
};

#endif /* _LINUX_COAP_KEEPALIVE_GEN_H */
