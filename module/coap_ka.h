/* SPDX-License-Identifier: GPL-2.0 */
/*
 * coap_keepalive: internal interfaces between the module's files.
 */
#ifndef _COAP_KA_H
#define _COAP_KA_H

#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/uidgid.h>
#include <linux/xarray.h>
#include <net/net_namespace.h>
#include <linux/coap_keepalive.h>

struct netlink_ext_ack;

/*
 * Settings of a context. Immutable once published: a change replaces the
 * whole block under RCU, so a reader always sees one consistent set.
 */
struct coap_ka_params {
	u32 keepalive_secs;
	u32 ack_timeout_ms;
	u32 random_factor;	/* thousandths */
	u32 max_retransmit;
	u32 pong_timeout_ms;
	u32 activity;		/* enum coap_ka_activity */
	u32 jitter_pct;
	u32 action;		/* enum coap_ka_action */
	u32 flags;		/* enum coap_ka_flags */
	struct rcu_head rcu;
};

struct coap_ka_ctx {
	u32 id;
	kuid_t owner;
	refcount_t refcnt;
	struct coap_ka_params __rcu *params;
	u32 nsessions;		/* under coap_ka_net.lock */
	struct rcu_head rcu;
};

/* Per network namespace state. */
struct coap_ka_net {
	struct mutex lock;	/* serialises every change below */
	struct xarray ctxs;	/* id -> struct coap_ka_ctx */
	u32 next_ctx_id;	/* cyclic id allocation cursor */
	u32 gen;		/* bumped on each change, for dump consistency */
};

/* main.c */
extern unsigned int coap_ka_max_ctx_per_user;
struct coap_ka_net *coap_ka_pernet(const struct net *net);

/* context.c */
int coap_ka_ctx_init(void);
void coap_ka_ctx_exit(void);
void coap_ka_net_init(struct coap_ka_net *cn);
void coap_ka_net_exit(struct coap_ka_net *cn);
void coap_ka_params_default(struct coap_ka_params *p);
struct coap_ka_ctx *coap_ka_ctx_create(struct coap_ka_net *cn, kuid_t owner,
				       const struct coap_ka_params *p,
				       struct netlink_ext_ack *extack);
struct coap_ka_ctx *coap_ka_ctx_find(struct coap_ka_net *cn, u32 id);
int coap_ka_ctx_update(struct coap_ka_net *cn, struct coap_ka_ctx *ctx,
		       const struct coap_ka_params *p);
void coap_ka_ctx_delete(struct coap_ka_net *cn, struct coap_ka_ctx *ctx);
void coap_ka_ctx_put(struct coap_ka_ctx *ctx);

static inline const struct coap_ka_params *
coap_ka_ctx_params_locked(struct coap_ka_net *cn, const struct coap_ka_ctx *ctx)
{
	return rcu_dereference_protected(ctx->params, lockdep_is_held(&cn->lock));
}

/* netlink.c */
int coap_ka_nl_init(void);
void coap_ka_nl_exit(void);

#endif /* _COAP_KA_H */
