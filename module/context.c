// SPDX-License-Identifier: GPL-2.0
/*
 * coap_keepalive: contexts, the kernel's coap_context_t.
 *
 * A context lives in the xarray of its network namespace, keyed by id.
 * Every change happens under that namespace's mutex; readers on the data
 * path (sessions) get the settings through RCU. A context is charged to
 * its owner's per-user count from creation until it is unlinked.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/netlink.h>
#include <linux/slab.h>
#include <linux/sysctl.h>

#include "coap_ka.h"
#include "compat.h"

static struct kmem_cache *coap_ka_ctx_cache;

/*
 * What each user owns over all namespaces: kuid -> count, stored as
 * xarray value entries, one table for contexts and one for sessions.
 * Only the configuration path touches them.
 */
static DEFINE_XARRAY(coap_ka_user_ctxs);
static DEFINE_XARRAY(coap_ka_user_sessions);
static DEFINE_MUTEX(coap_ka_users_lock);

/*
 * Charge @count at once, or -EDQUOT if that passes @limit (0: none; the
 * caller says which limit); *@room (if not NULL) gets what was left.
 */
static int coap_ka_user_charge(struct xarray *xa, unsigned int limit,
			       kuid_t uid, unsigned int count,
			       unsigned int *room)
{
	unsigned long key = __kuid_val(uid);
	unsigned long n;
	void *old;
	int err;

	mutex_lock(&coap_ka_users_lock);
	old = xa_load(xa, key);
	n = old ? xa_to_value(old) : 0;
	if (limit && n + count > limit) {
		err = -EDQUOT;
		if (room)
			*room = n < limit ? limit - n : 0;
	} else {
		err = xa_err(xa_store(xa, key, xa_mk_value(n + count),
				      COAP_KA_GFP_USER));
	}
	mutex_unlock(&coap_ka_users_lock);
	return err;
}

static void coap_ka_user_uncharge(struct xarray *xa, kuid_t uid,
				  unsigned int count)
{
	unsigned long key = __kuid_val(uid);
	unsigned long n;
	void *old;

	mutex_lock(&coap_ka_users_lock);
	old = xa_load(xa, key);
	n = old ? xa_to_value(old) : 0;
	if (WARN_ON_ONCE(n < count))
		count = n;
	if (n == count)
		xa_erase(xa, key);
	else
		/* Replacing a present entry never allocates. */
		xa_store(xa, key, xa_mk_value(n - count), GFP_KERNEL);
	mutex_unlock(&coap_ka_users_lock);
}

/**
 * coap_ka_user_sessions_charge() - count one more session for a user
 * @uid: the owner of the session's context
 * @extack: where to say why not
 *
 * Sessions are counted per user over all network namespaces, against the
 * module parameter max_sessions_per_user (0: no limit).
 *
 * Context: process context; takes the users' mutex.
 * Return: 0, -EDQUOT at the limit (with an extack message), or -ENOMEM.
 */
int coap_ka_user_sessions_charge(kuid_t uid, struct netlink_ext_ack *extack)
{
	return coap_ka_user_sessions_charge_many(uid, 1, NULL, extack);
}

/**
 * coap_ka_user_sessions_charge_many() - count @count more sessions for a user
 * @uid: the owner of the sessions' context
 * @count: how many, all or none
 * @room: if not NULL, on -EDQUOT: how many the limit still had room for
 * @extack: where to say why not
 *
 * As coap_ka_user_sessions_charge(), for a batch: one check and one store.
 *
 * Context: process context; takes the users' mutex.
 * Return: 0, -EDQUOT past the limit (with an extack message), or -ENOMEM.
 */
int coap_ka_user_sessions_charge_many(kuid_t uid, unsigned int count,
				      unsigned int *room,
				      struct netlink_ext_ack *extack)
{
	int err = coap_ka_user_charge(&coap_ka_user_sessions,
				      READ_ONCE(coap_ka_max_sessions_per_user),
				      uid, count, room);

	if (err == -EDQUOT) {
		NL_SET_ERR_MSG_MOD(extack,
				   "user's session limit reached (max_sessions_per_user)");
		net_dbg_ratelimited("uid %u: session refused, max_sessions_per_user reached\n",
				    __kuid_val(uid));
	}
	return err;
}

/**
 * coap_ka_user_sessions_uncharge() - give back what a session charged
 * @uid: the uid coap_ka_user_sessions_charge() was called with
 *
 * Context: process context; takes the users' mutex.
 */
void coap_ka_user_sessions_uncharge(kuid_t uid)
{
	coap_ka_user_uncharge(&coap_ka_user_sessions, uid, 1);
}

/**
 * coap_ka_user_sessions_uncharge_many() - give back @count session charges
 * @uid: the uid they were charged to
 * @count: how many
 *
 * Context: process context; takes the users' mutex.
 */
void coap_ka_user_sessions_uncharge_many(kuid_t uid, unsigned int count)
{
	if (count)
		coap_ka_user_uncharge(&coap_ka_user_sessions, uid, count);
}

/**
 * coap_ka_params_default() - the settings of a context made with none
 * @p: filled with the defaults of the uapi header
 *
 * Keepalive off (0 seconds), RFC 7252's ACK_TIMEOUT 2 s,
 * ACK_RANDOM_FACTOR 1.5 and MAX_RETRANSMIT 4, pong timeout 0 (the
 * keepalive interval), activity rxtx, no jitter, action notify, no flags.
 *
 * Context: any.
 */
void coap_ka_params_default(struct coap_ka_params *p)
{
	memset(p, 0, sizeof(*p));
	p->keepalive_secs = 0;
	p->ack_timeout_ms = COAP_KA_ACK_TIMEOUT_MS_DEFAULT;
	p->random_factor = COAP_KA_RANDOM_FACTOR_DEFAULT;
	p->max_retransmit = COAP_KA_MAX_RETRANSMIT_DEFAULT;
	p->pong_timeout_ms = 0;
	p->activity = COAP_KA_ACTIVITY_RXTX;
	p->jitter_pct = 0;
	p->action = COAP_KA_ACTION_NOTIFY;
	p->flags = 0;
}

/* Where each settings attribute keeps its value in struct coap_ka_params. */
static const u8 coap_ka_param_offset[COAP_KA_A_MAX + 1] = {
	[COAP_KA_A_KEEPALIVE_SECS] = offsetof(struct coap_ka_params, keepalive_secs),
	[COAP_KA_A_ACK_TIMEOUT_MS] = offsetof(struct coap_ka_params, ack_timeout_ms),
	[COAP_KA_A_ACK_RANDOM_FACTOR] = offsetof(struct coap_ka_params, random_factor),
	[COAP_KA_A_MAX_RETRANSMIT] = offsetof(struct coap_ka_params, max_retransmit),
	[COAP_KA_A_PONG_TIMEOUT_MS] = offsetof(struct coap_ka_params, pong_timeout_ms),
	[COAP_KA_A_ACTIVITY] = offsetof(struct coap_ka_params, activity),
	[COAP_KA_A_JITTER_PCT] = offsetof(struct coap_ka_params, jitter_pct),
	[COAP_KA_A_ACTION] = offsetof(struct coap_ka_params, action),
	[COAP_KA_A_FLAGS] = offsetof(struct coap_ka_params, flags),
};

/**
 * coap_ka_param() - where a settings attribute keeps its value
 * @p: a block of settings
 * @attr: a settings attribute, a bit of %COAP_KA_SETTINGS
 *
 * Context: any.
 * Return: the u32 of @p that holds @attr's value.
 */
u32 *coap_ka_param(struct coap_ka_params *p, unsigned int attr)
{
	return (u32 *)((u8 *)p + coap_ka_param_offset[attr]);
}

/**
 * coap_ka_params_apply() - copy some settings
 * @dst: the settings to change
 * @src: where the values come from
 * @mask: which settings, as bits of attribute numbers (%COAP_KA_SETTINGS)
 *
 * Context: any.
 */
void coap_ka_params_apply(struct coap_ka_params *dst,
			  const struct coap_ka_params *src, u32 mask)
{
	unsigned long bits = mask & COAP_KA_SETTINGS;
	unsigned int attr;

	for_each_set_bit(attr, &bits, COAP_KA_A_MAX + 1) {
		const u8 *from = (const u8 *)src + coap_ka_param_offset[attr];

		*coap_ka_param(dst, attr) = *(const u32 *)from;
	}
}

static struct coap_ka_params *coap_ka_params_dup(const struct coap_ka_params *p)
{
	return kmemdup(p, sizeof(*p), COAP_KA_GFP_USER);
}

static void coap_ka_ctx_free_rcu(struct rcu_head *head)
{
	struct coap_ka_ctx *ctx = container_of(head, struct coap_ka_ctx, rcu);

	/* No reader is left after the grace period. */
	kfree(rcu_dereference_protected(ctx->params, 1));
	kmem_cache_free(coap_ka_ctx_cache, ctx);
}

/**
 * coap_ka_ctx_put() - drop a reference to a context
 * @ctx: the context
 *
 * The last reference frees the context and its settings after an RCU
 * grace period: readers on the data path may still hold them.
 *
 * Context: any.
 */
void coap_ka_ctx_put(struct coap_ka_ctx *ctx)
{
	if (refcount_dec_and_test(&ctx->refcnt))
		call_rcu(&ctx->rcu, coap_ka_ctx_free_rcu);
}

static void coap_ka_net_bump(struct coap_ka_net *cn)
{
	/* 0 means "no generation yet" to the dump consistency check. */
	if (!++cn->gen)
		cn->gen = 1;
}

/**
 * coap_ka_ctx_create() - make a context (COAP_KA_CMD_CTX_NEW)
 * @cn: the network namespace's state
 * @owner: the uid that owns it
 * @p: its settings (copied)
 * @extack: where to say why not
 *
 * Charged to @owner's context count (max_contexts_per_user) and, for its
 * memory, to the caller's memory cgroup.
 *
 * Context: process context, @cn->lock held.
 * Return: the context, holding the one reference of the namespace's
 * table, or ERR_PTR() of -EDQUOT (the owner's limit), -ENOMEM, or -EBUSY
 * (no free id in the namespace).
 */
struct coap_ka_ctx *coap_ka_ctx_create(struct coap_ka_net *cn, kuid_t owner,
				       const struct coap_ka_params *p,
				       struct netlink_ext_ack *extack)
{
	struct coap_ka_params *params;
	struct coap_ka_ctx *ctx;
	int err;

	lockdep_assert_held(&cn->lock);

	err = coap_ka_user_charge(&coap_ka_user_ctxs,
				  READ_ONCE(coap_ka_max_ctx_per_user), owner,
				  1, NULL);
	if (err == -EDQUOT) {
		NL_SET_ERR_MSG_MOD(extack,
				   "per-user context limit reached (module parameter max_contexts_per_user)");
		net_dbg_ratelimited("uid %u: context refused, max_contexts_per_user reached\n",
				    __kuid_val(owner));
	}
	if (err)
		return ERR_PTR(err);

	err = -ENOMEM;
	ctx = kmem_cache_zalloc(coap_ka_ctx_cache, COAP_KA_GFP_USER);
	if (!ctx)
		goto err_uncharge;
	params = coap_ka_params_dup(p);
	if (!params)
		goto err_free_ctx;
	RCU_INIT_POINTER(ctx->params, params);
	ctx->owner = owner;
	refcount_set(&ctx->refcnt, 1);

	err = xa_alloc_cyclic(&cn->ctxs, &ctx->id, ctx, XA_LIMIT(1, U32_MAX),
			      &cn->next_ctx_id, COAP_KA_GFP_USER);
	if (err < 0) {
		if (err == -EBUSY)
			NL_SET_ERR_MSG_MOD(extack,
					   "no free context id in this network namespace");
		goto err_free_params;
	}
	coap_ka_net_bump(cn);
	return ctx;

err_free_params:
	kfree(params);
err_free_ctx:
	kmem_cache_free(coap_ka_ctx_cache, ctx);
err_uncharge:
	coap_ka_user_uncharge(&coap_ka_user_ctxs, owner, 1);
	return ERR_PTR(err);
}

/**
 * coap_ka_ctx_find() - look up a context by id
 * @cn: the network namespace's state
 * @id: the context id
 *
 * Context: @cn->lock held; the context stays while it is.
 * Return: the context, without a reference of its own, or NULL.
 */
struct coap_ka_ctx *coap_ka_ctx_find(struct coap_ka_net *cn, u32 id)
{
	lockdep_assert_held(&cn->lock);
	return xa_load(&cn->ctxs, id);
}

/**
 * coap_ka_ctx_update() - replace a context's settings (COAP_KA_CMD_CTX_SET)
 * @cn: the network namespace's state
 * @ctx: the context
 * @p: the new settings, whole (copied)
 *
 * The new block is published under RCU, so a reader sees the old or the
 * new settings, never a mix. Every session of @ctx is kicked: it follows
 * the change at once (coap_ka_session_kick()).
 *
 * Context: process context, @cn->lock held.
 * Return: 0, or -ENOMEM (the context is unchanged).
 */
int coap_ka_ctx_update(struct coap_ka_net *cn, struct coap_ka_ctx *ctx,
		       const struct coap_ka_params *p)
{
	struct coap_ka_params *new, *old;
	struct coap_ka_session *s;
	unsigned long id;

	lockdep_assert_held(&cn->lock);

	new = coap_ka_params_dup(p);
	if (!new)
		return -ENOMEM;
	old = rcu_replace_pointer(ctx->params, new, lockdep_is_held(&cn->lock));
	kfree_rcu(old, rcu);
	coap_ka_net_bump(cn);
	/*
	 * Sessions follow their context live. Sessions keep no per-context
	 * list (it would cost every session 16 bytes): a change walks them all.
	 */
	xa_for_each(&cn->sessions, id, s) {
		if (s->bind->ctx == ctx)
			coap_ka_session_kick(s);
		cond_resched();
	}
	return 0;
}

/**
 * coap_ka_ctx_delete() - delete a context and end its sessions
 * @cn: the network namespace's state
 * @ctx: the context
 * @dead: where its sessions go, for coap_ka_sessions_finish()
 *
 * Its sessions end with %COAP_KA_GONE_CTX_DELETED (their sockets are
 * handed back), the context leaves the namespace's table and its owner's
 * count, and the table's reference is dropped.
 *
 * Context: process context, @cn->lock held; the caller runs
 * coap_ka_sessions_finish() on @dead after dropping it.
 */
void coap_ka_ctx_delete(struct coap_ka_net *cn, struct coap_ka_ctx *ctx,
			struct list_head *dead)
{
	struct coap_ka_session *s;
	unsigned long id;

	lockdep_assert_held(&cn->lock);

	if (ctx->nsessions)
		xa_for_each(&cn->sessions, id, s) {
			if (s->bind->ctx == ctx)
				coap_ka_session_unlink(cn, s,
						       COAP_KA_GONE_CTX_DELETED,
						       dead);
			cond_resched();
		}

	xa_erase(&cn->ctxs, ctx->id);
	/* The cached bind holds @ctx: let go of it, or neither is freed. */
	coap_ka_bind_put(ctx->bind);
	ctx->bind = NULL;
	coap_ka_net_bump(cn);
	coap_ka_user_uncharge(&coap_ka_user_ctxs, ctx->owner, 1);
	coap_ka_ctx_put(ctx);
}

static const unsigned int coap_ka_ping_rate_max = COAP_KA_PING_RATE_MAX;

/*
 * net.coap_keepalive.ping_rate_limit: range-checked, and a change reaches
 * the Pings the pacer holds at once.
 */
static int coap_ka_sysctl_ping_rate(const struct ctl_table *table, int write,
				    void *buffer, size_t *lenp, loff_t *ppos)
{
	struct coap_ka_net *cn = container_of(table->data, struct coap_ka_net,
					      ping_rate_limit);
	struct ctl_table tmp = *table;
	int err;

	err = proc_douintvec_minmax(&tmp, write, buffer, lenp, ppos);
	if (!err && write)
		coap_ka_pace_kick(cn);
	return err;
}

/* The handler, as 6.11 and later call it (see compat.h). */
static int __maybe_unused
coap_ka_sysctl_ping_rate_c(const struct ctl_table *table, int write,
			   void *buffer, size_t *lenp, loff_t *ppos)
{
	return coap_ka_sysctl_ping_rate(table, write, buffer, lenp, ppos);
}

/* The handler, as 6.1 calls it. */
static int __maybe_unused
coap_ka_sysctl_ping_rate_nc(struct ctl_table *table, int write,
			    void *buffer, size_t *lenp, loff_t *ppos)
{
	return coap_ka_sysctl_ping_rate(table, write, buffer, lenp, ppos);
}

/* Copied for each namespace; the empty entry ends it for 6.1. */
static const struct ctl_table coap_ka_sysctl_template[] = {
	{
		.procname = "ping_rate_limit",
		.maxlen = sizeof(unsigned int),
		.mode = 0644,
		.proc_handler = COAP_KA_CTL_HANDLER(coap_ka_sysctl_ping_rate_c,
						    coap_ka_sysctl_ping_rate_nc),
		.extra2 = (void *)&coap_ka_ping_rate_max,
	},
	{ }
};

static int coap_ka_sysctl_register(struct coap_ka_net *cn)
{
	struct ctl_table *table;

	table = kmemdup(coap_ka_sysctl_template,
			sizeof(coap_ka_sysctl_template), GFP_KERNEL);
	if (!table)
		return -ENOMEM;
	table[0].data = &cn->ping_rate_limit;
	cn->sysctl = coap_ka_register_net_sysctl(cn->net, "net/coap_keepalive",
						 table,
						 ARRAY_SIZE(coap_ka_sysctl_template) - 1);
	if (!cn->sysctl) {
		kfree(table);
		return -ENOMEM;
	}
	return 0;
}

static void coap_ka_sysctl_unregister(struct coap_ka_net *cn)
{
	const struct ctl_table *table;

	if (!cn->sysctl)
		return;
	table = cn->sysctl->ctl_table_arg;
	unregister_net_sysctl_table(cn->sysctl);
	cn->sysctl = NULL;
	kfree(table);
}

/**
 * coap_ka_net_init() - set up the state of a new network namespace
 * @cn: the namespace's state, zeroed, with its @net set
 *
 * Its sysctl net.coap_keepalive.ping_rate_limit starts at 0 (no limit).
 *
 * Context: process context (the namespace's pernet init).
 * Return: 0 or -ENOMEM.
 */
int coap_ka_net_init(struct coap_ka_net *cn)
{
	int err;

	mutex_init(&cn->lock);
	coap_ka_session_net_init(cn);
	xa_init_flags(&cn->ctxs, XA_FLAGS_ALLOC1);
	cn->next_ctx_id = 1;
	cn->gen = 1;
	/* Last: a write to it runs the work item. */
	err = coap_ka_sysctl_register(cn);
	if (err)
		coap_ka_net_exit(cn, COAP_KA_GONE_SILENT);
	return err;
}

/**
 * coap_ka_net_exit() - tear down a network namespace's state
 * @cn: the namespace's state
 * @reason: the gone reason its sessions report: %COAP_KA_GONE_NETNS when
 *	the namespace goes away; at module unload no event is sent
 *
 * Its sysctl goes first; then every session ends and its socket is handed
 * back, then every context is deleted.
 *
 * Context: process context (pernet exit); sleeps.
 */
void coap_ka_net_exit(struct coap_ka_net *cn, u32 reason)
{
	struct coap_ka_ctx *ctx;
	unsigned long id;
	LIST_HEAD(dead);

	coap_ka_sysctl_unregister(cn);
	coap_ka_session_net_exit(cn, reason);
	mutex_lock(&cn->lock);
	xa_for_each(&cn->ctxs, id, ctx)
		coap_ka_ctx_delete(cn, ctx, &dead);
	mutex_unlock(&cn->lock);
	coap_ka_sessions_finish(cn, &dead);
	xa_destroy(&cn->ctxs);
	mutex_destroy(&cn->lock);
}

/**
 * coap_ka_ctx_init() - module init of the contexts
 *
 * Context: module init.
 * Return: 0 or -ENOMEM.
 */
int coap_ka_ctx_init(void)
{
	coap_ka_ctx_cache = KMEM_CACHE(coap_ka_ctx, SLAB_ACCOUNT);
	return coap_ka_ctx_cache ? 0 : -ENOMEM;
}

/**
 * coap_ka_ctx_exit() - module exit of the contexts
 *
 * Waits for the contexts and settings still to be freed after an RCU
 * grace period, then destroys their cache.
 *
 * Context: module exit, after every namespace's state is gone; sleeps.
 */
void coap_ka_ctx_exit(void)
{
	/* Wait for every coap_ka_ctx_free_rcu() and kfree_rcu() in flight. */
	rcu_barrier();
	kmem_cache_destroy(coap_ka_ctx_cache);
	WARN_ON_ONCE(!xa_empty(&coap_ka_user_ctxs));
	WARN_ON_ONCE(!xa_empty(&coap_ka_user_sessions));
	xa_destroy(&coap_ka_user_ctxs);
	xa_destroy(&coap_ka_user_sessions);
}
