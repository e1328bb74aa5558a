// SPDX-License-Identifier: GPL-2.0
/*
 * coap_keepalive: the generic netlink family.
 *
 * Requests are validated by strict per-command policies (ranges live in the
 * policy, so the netlink core reports them with the attribute and bounds);
 * what a policy cannot say is checked here with an extack message.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <net/genetlink.h>
#include <net/sock.h>

#include "coap_ka.h"
#include "compat.h"

static struct genl_family coap_ka_genl_family;

static struct netlink_range_validation coap_ka_range_ctx_id = {
	.min = 1, .max = U32_MAX,
};

static struct netlink_range_validation coap_ka_range_secs = {
	.max = COAP_KA_KEEPALIVE_SECS_MAX,
};

static struct netlink_range_validation coap_ka_range_ack_timeout = {
	.min = COAP_KA_ACK_TIMEOUT_MS_MIN, .max = COAP_KA_ACK_TIMEOUT_MS_MAX,
};

static struct netlink_range_validation coap_ka_range_factor = {
	.min = COAP_KA_RANDOM_FACTOR_MIN, .max = COAP_KA_RANDOM_FACTOR_MAX,
};

static struct netlink_range_validation coap_ka_range_retransmit = {
	.max = COAP_KA_MAX_RETRANSMIT_MAX,
};

static struct netlink_range_validation coap_ka_range_pong = {
	.max = COAP_KA_PONG_TIMEOUT_MS_MAX,
};

static struct netlink_range_validation coap_ka_range_jitter = {
	.max = COAP_KA_JITTER_PCT_MAX,
};

#define COAP_KA_POLICY_CTX_ID \
	[COAP_KA_A_CTX_ID] = NLA_POLICY_FULL_RANGE(NLA_U32, &coap_ka_range_ctx_id)

#define COAP_KA_POLICY_SETTINGS \
	[COAP_KA_A_KEEPALIVE_SECS] = \
		NLA_POLICY_FULL_RANGE(NLA_U32, &coap_ka_range_secs), \
	[COAP_KA_A_ACK_TIMEOUT_MS] = \
		NLA_POLICY_FULL_RANGE(NLA_U32, &coap_ka_range_ack_timeout), \
	[COAP_KA_A_ACK_RANDOM_FACTOR] = \
		NLA_POLICY_FULL_RANGE(NLA_U32, &coap_ka_range_factor), \
	[COAP_KA_A_MAX_RETRANSMIT] = \
		NLA_POLICY_FULL_RANGE(NLA_U32, &coap_ka_range_retransmit), \
	[COAP_KA_A_PONG_TIMEOUT_MS] = \
		NLA_POLICY_FULL_RANGE(NLA_U32, &coap_ka_range_pong), \
	[COAP_KA_A_ACTIVITY] = NLA_POLICY_MAX(NLA_U32, COAP_KA_ACTIVITY_MAX), \
	[COAP_KA_A_JITTER_PCT] = \
		NLA_POLICY_FULL_RANGE(NLA_U32, &coap_ka_range_jitter), \
	[COAP_KA_A_ACTION] = NLA_POLICY_MAX(NLA_U32, COAP_KA_ACTION_MAX), \
	[COAP_KA_A_FLAGS] = NLA_POLICY_MASK(NLA_U32, COAP_KA_F_ALL)

static const struct nla_policy coap_ka_ctx_new_policy[COAP_KA_A_MAX + 1] = {
	COAP_KA_POLICY_SETTINGS,
};

static const struct nla_policy coap_ka_ctx_set_policy[COAP_KA_A_MAX + 1] = {
	COAP_KA_POLICY_CTX_ID,
	COAP_KA_POLICY_SETTINGS,
};

static const struct nla_policy coap_ka_ctx_id_policy[COAP_KA_A_MAX + 1] = {
	COAP_KA_POLICY_CTX_ID,
};

/* Attributes of one context message. */
static size_t coap_ka_ctx_msg_size(void)
{
	return nla_total_size(sizeof(u32)) * 12;
}

static void coap_ka_nl_get_u32(struct nlattr **attrs, int type, u32 *val)
{
	if (attrs[type])
		*val = nla_get_u32(attrs[type]);
}

static void coap_ka_nl_parse_params(struct nlattr **attrs,
				    struct coap_ka_params *p)
{
	coap_ka_nl_get_u32(attrs, COAP_KA_A_KEEPALIVE_SECS, &p->keepalive_secs);
	coap_ka_nl_get_u32(attrs, COAP_KA_A_ACK_TIMEOUT_MS, &p->ack_timeout_ms);
	coap_ka_nl_get_u32(attrs, COAP_KA_A_ACK_RANDOM_FACTOR, &p->random_factor);
	coap_ka_nl_get_u32(attrs, COAP_KA_A_MAX_RETRANSMIT, &p->max_retransmit);
	coap_ka_nl_get_u32(attrs, COAP_KA_A_PONG_TIMEOUT_MS, &p->pong_timeout_ms);
	coap_ka_nl_get_u32(attrs, COAP_KA_A_ACTIVITY, &p->activity);
	coap_ka_nl_get_u32(attrs, COAP_KA_A_JITTER_PCT, &p->jitter_pct);
	coap_ka_nl_get_u32(attrs, COAP_KA_A_ACTION, &p->action);
	coap_ka_nl_get_u32(attrs, COAP_KA_A_FLAGS, &p->flags);
}

/* The user namespace of the socket that sent @skb, to show uids in. */
static struct user_namespace *coap_ka_nl_user_ns(const struct sk_buff *skb)
{
	return sk_user_ns(NETLINK_CB(skb).sk);
}

static int coap_ka_nl_ctx_fill(struct sk_buff *msg, struct coap_ka_net *cn,
			       const struct coap_ka_ctx *ctx,
			       struct user_namespace *ns, u32 portid, u32 seq,
			       int flags, u8 cmd, struct netlink_callback *cb)
{
	const struct coap_ka_params *p = coap_ka_ctx_params_locked(cn, ctx);
	void *hdr;

	hdr = genlmsg_put(msg, portid, seq, &coap_ka_genl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (cb)
		genl_dump_check_consistent(cb, hdr);

	if (nla_put_u32(msg, COAP_KA_A_CTX_ID, ctx->id) ||
	    nla_put_u32(msg, COAP_KA_A_OWNER_UID,
			from_kuid_munged(ns, ctx->owner)) ||
	    nla_put_u32(msg, COAP_KA_A_KEEPALIVE_SECS, p->keepalive_secs) ||
	    nla_put_u32(msg, COAP_KA_A_ACK_TIMEOUT_MS, p->ack_timeout_ms) ||
	    nla_put_u32(msg, COAP_KA_A_ACK_RANDOM_FACTOR, p->random_factor) ||
	    nla_put_u32(msg, COAP_KA_A_MAX_RETRANSMIT, p->max_retransmit) ||
	    nla_put_u32(msg, COAP_KA_A_PONG_TIMEOUT_MS, p->pong_timeout_ms) ||
	    nla_put_u32(msg, COAP_KA_A_ACTIVITY, p->activity) ||
	    nla_put_u32(msg, COAP_KA_A_JITTER_PCT, p->jitter_pct) ||
	    nla_put_u32(msg, COAP_KA_A_ACTION, p->action) ||
	    nla_put_u32(msg, COAP_KA_A_FLAGS, p->flags) ||
	    nla_put_u32(msg, COAP_KA_A_SESSIONS, ctx->nsessions)) {
		genlmsg_cancel(msg, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return 0;
}

/* Reply to a do request with the context; @cn->lock is held. */
static int coap_ka_nl_ctx_reply(struct sk_buff *skb, struct genl_info *info,
				struct coap_ka_net *cn,
				const struct coap_ka_ctx *ctx)
{
	struct sk_buff *msg;
	int err;

	msg = genlmsg_new(coap_ka_ctx_msg_size(), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	err = coap_ka_nl_ctx_fill(msg, cn, ctx, coap_ka_nl_user_ns(skb),
				  info->snd_portid, info->snd_seq, 0,
				  info->genlhdr->cmd, NULL);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);
}

/* Look the request's context up; @cn->lock is held. */
static struct coap_ka_ctx *coap_ka_nl_ctx_lookup(struct genl_info *info,
						 struct coap_ka_net *cn)
{
	struct coap_ka_ctx *ctx;

	if (GENL_REQ_ATTR_CHECK(info, COAP_KA_A_CTX_ID)) {
		NL_SET_ERR_MSG_MOD(info->extack, "missing context id");
		return ERR_PTR(-EINVAL);
	}
	ctx = coap_ka_ctx_find(cn, nla_get_u32(info->attrs[COAP_KA_A_CTX_ID]));
	if (!ctx) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[COAP_KA_A_CTX_ID],
				    "no context with this id in this network namespace");
		return ERR_PTR(-ENOENT);
	}
	return ctx;
}

/* Only the owner, or CAP_NET_ADMIN over the namespace, may change a context. */
static int coap_ka_nl_may_change(struct sk_buff *skb, struct genl_info *info,
				 const struct coap_ka_ctx *ctx)
{
	struct net *net = genl_info_net(info);

	if (uid_eq(ctx->owner, current_euid()) ||
	    netlink_ns_capable(skb, net->user_ns, CAP_NET_ADMIN))
		return 0;
	NL_SET_ERR_MSG_MOD(info->extack,
			   "context belongs to another user; only its owner or CAP_NET_ADMIN may change it");
	return -EPERM;
}

static int coap_ka_nl_ctx_new(struct sk_buff *skb, struct genl_info *info)
{
	struct coap_ka_net *cn = coap_ka_pernet(genl_info_net(info));
	struct coap_ka_params p;
	struct coap_ka_ctx *ctx;
	int err;

	coap_ka_params_default(&p);
	coap_ka_nl_parse_params(info->attrs, &p);

	mutex_lock(&cn->lock);
	ctx = coap_ka_ctx_create(cn, current_euid(), &p, info->extack);
	if (IS_ERR(ctx)) {
		err = PTR_ERR(ctx);
		goto out;
	}
	err = coap_ka_nl_ctx_reply(skb, info, cn, ctx);
	/* The caller never learnt the id: do not leave the context behind. */
	if (err)
		coap_ka_ctx_delete(cn, ctx);
out:
	mutex_unlock(&cn->lock);
	return err;
}

static int coap_ka_nl_ctx_set(struct sk_buff *skb, struct genl_info *info)
{
	struct coap_ka_net *cn = coap_ka_pernet(genl_info_net(info));
	struct coap_ka_params p;
	struct coap_ka_ctx *ctx;
	int err;

	mutex_lock(&cn->lock);
	ctx = coap_ka_nl_ctx_lookup(info, cn);
	if (IS_ERR(ctx)) {
		err = PTR_ERR(ctx);
		goto out;
	}
	err = coap_ka_nl_may_change(skb, info, ctx);
	if (err)
		goto out;
	p = *coap_ka_ctx_params_locked(cn, ctx);
	coap_ka_nl_parse_params(info->attrs, &p);
	err = coap_ka_ctx_update(cn, ctx, &p);
	if (err)
		goto out;
	err = coap_ka_nl_ctx_reply(skb, info, cn, ctx);
out:
	mutex_unlock(&cn->lock);
	return err;
}

static int coap_ka_nl_ctx_get(struct sk_buff *skb, struct genl_info *info)
{
	struct coap_ka_net *cn = coap_ka_pernet(genl_info_net(info));
	struct coap_ka_ctx *ctx;
	int err;

	mutex_lock(&cn->lock);
	ctx = coap_ka_nl_ctx_lookup(info, cn);
	if (IS_ERR(ctx))
		err = PTR_ERR(ctx);
	else
		err = coap_ka_nl_ctx_reply(skb, info, cn, ctx);
	mutex_unlock(&cn->lock);
	return err;
}

/* cb->args[0]: the id to resume the dump from. */
static int coap_ka_nl_ctx_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct coap_ka_net *cn = coap_ka_pernet(sock_net(skb->sk));
	struct user_namespace *ns = coap_ka_nl_user_ns(cb->skb);
	unsigned long id = cb->args[0];
	struct coap_ka_ctx *ctx;
	int err = 0;

	mutex_lock(&cn->lock);
	cb->seq = cn->gen;
	xa_for_each_start(&cn->ctxs, id, ctx, cb->args[0]) {
		err = coap_ka_nl_ctx_fill(skb, cn, ctx, ns,
					  NETLINK_CB(cb->skb).portid,
					  cb->nlh->nlmsg_seq, NLM_F_MULTI,
					  COAP_KA_CMD_CTX_GET, cb);
		if (err)
			break;
		cb->args[0] = id + 1;
	}
	mutex_unlock(&cn->lock);

	/* A full skb goes out now; the dump resumes at what did not fit. */
	if (err && !skb->len)
		return err;
	return skb->len;
}

static int coap_ka_nl_ctx_del(struct sk_buff *skb, struct genl_info *info)
{
	struct coap_ka_net *cn = coap_ka_pernet(genl_info_net(info));
	struct coap_ka_ctx *ctx;
	int err;

	mutex_lock(&cn->lock);
	ctx = coap_ka_nl_ctx_lookup(info, cn);
	if (IS_ERR(ctx)) {
		err = PTR_ERR(ctx);
		goto out;
	}
	err = coap_ka_nl_may_change(skb, info, ctx);
	if (!err)
		coap_ka_ctx_delete(cn, ctx);
out:
	mutex_unlock(&cn->lock);
	return err;
}

static const struct genl_ops coap_ka_genl_ops[] = {
	{
		.cmd = COAP_KA_CMD_CTX_NEW,
		.doit = coap_ka_nl_ctx_new,
		.policy = coap_ka_ctx_new_policy,
		.maxattr = COAP_KA_A_MAX,
	},
	{
		.cmd = COAP_KA_CMD_CTX_SET,
		.doit = coap_ka_nl_ctx_set,
		.policy = coap_ka_ctx_set_policy,
		.maxattr = COAP_KA_A_MAX,
	},
	{
		.cmd = COAP_KA_CMD_CTX_GET,
		.doit = coap_ka_nl_ctx_get,
		.dumpit = coap_ka_nl_ctx_dump,
		.policy = coap_ka_ctx_id_policy,
		.maxattr = COAP_KA_A_MAX,
	},
	{
		.cmd = COAP_KA_CMD_CTX_DEL,
		.doit = coap_ka_nl_ctx_del,
		.policy = coap_ka_ctx_id_policy,
		.maxattr = COAP_KA_A_MAX,
	},
};

static const struct genl_multicast_group coap_ka_mcgrps[] = {
	{ .name = COAP_KA_MCGRP_EVENTS, .flags = COAP_KA_MCGRP_FLAGS },
};

static struct genl_family coap_ka_genl_family __ro_after_init = {
	.name = COAP_KA_GENL_NAME,
	.version = COAP_KA_GENL_VERSION,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = coap_ka_genl_ops,
	.n_ops = ARRAY_SIZE(coap_ka_genl_ops),
	.resv_start_op = COAP_KA_CMD_CTX_NEW,
	.mcgrps = coap_ka_mcgrps,
	.n_mcgrps = ARRAY_SIZE(coap_ka_mcgrps),
};

int __init coap_ka_nl_init(void)
{
	return genl_register_family(&coap_ka_genl_family);
}

void coap_ka_nl_exit(void)
{
	genl_unregister_family(&coap_ka_genl_family);
}
