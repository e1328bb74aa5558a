// SPDX-License-Identifier: GPL-2.0
/*
 * coap_keepalive: sessions and the keepalive state machine.
 *
 * A session is (socket, peer). Its data path only stamps jiffies and looks
 * at 4-byte CoAP headers; one deadline per session on its namespace's
 * timer wheel (wheel.c) does the rest, lazily: when it comes, the round
 * compares the last activity with the idle deadline and re-arms for the
 * remainder, as TCP keepalive does. Anything that sleeps (sending, events,
 * ending a session) runs from the namespace's work item.
 *
 * Locking: coap_ka_net.lock (mutex) covers membership (id table, socket
 * and context lists); coap_ka_session.lock (BH spinlock) covers the Ping
 * state. Sessions live in one hash table keyed by (socket, peer) and are
 * freed after an RCU grace period: the receive and send paths find them
 * under RCU. What differs between UDP and TCP is behind the socket's
 * transport operations (udp.c, tcp.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/jhash.h>
#include <linux/net.h>
#include <linux/netlink.h>
#include <linux/random.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/sock.h>

#include "coap_ka.h"
#include "compat.h"
#include "trace.h"

/* Sessions with an IPv4 peer, and the longer ones with an IPv6 peer. */
static struct kmem_cache *coap_ka_session_cache;
static struct kmem_cache *coap_ka_session6_cache;
static struct workqueue_struct *coap_ka_wq;

/*
 * The sessions of every namespace's sockets that have (or had, since their
 * second session came) more than one, by (socket, peer): a socket's only
 * session is found through coap_ka_sock.one, so a connected socket costs
 * no entry. Its buckets are shared infrastructure (a few bytes per
 * session), not charged to users; the per-user session limit bounds them.
 */
static struct rhashtable coap_ka_table;

/*
 * Looked up by a whole struct coap_ka_key (zeroed, then filled); a session
 * keeps its peer shorter, so it is hashed and compared by the same key
 * rebuilt from it.
 */
static u32 coap_ka_key_hash(const void *data, u32 len, u32 seed)
{
	return jhash2(data, COAP_KA_KEY_LEN / sizeof(u32), seed);
}

static u32 coap_ka_obj_hash(const void *data, u32 len, u32 seed)
{
	const struct coap_ka_session *s = data;
	struct coap_ka_key key = { .ks = s->ks };

	coap_ka_session_peer(s, &key.peer);
	return coap_ka_key_hash(&key, len, seed);
}

static int coap_ka_obj_cmp(struct rhashtable_compare_arg *arg, const void *obj)
{
	const struct coap_ka_key *key = arg->key;
	const struct coap_ka_session *s = obj;

	return !(s->ks == key->ks && coap_ka_session_is_peer(s, &key->peer));
}

static_assert(COAP_KA_KEY_LEN % sizeof(u32) == 0);

static const struct rhashtable_params coap_ka_table_params = {
	.key_len = COAP_KA_KEY_LEN,
	.head_offset = offsetof(struct coap_ka_session, node),
	.hashfn = coap_ka_key_hash,
	.obj_hashfn = coap_ka_obj_hash,
	.obj_cmpfn = coap_ka_obj_cmp,
	.automatic_shrinking = true,
};

/* Sessions, and watched sockets not yet freed, over all namespaces. */
static atomic_t coap_ka_nsessions = ATOMIC_INIT(0);
static atomic_t coap_ka_live_socks = ATOMIC_INIT(0);

/*
 * The budget of an idle session (design figure; `make bench` measures the
 * whole cost). Lock debugging makes spinlocks and timers larger.
 */
#if !defined(CONFIG_DEBUG_SPINLOCK) && !defined(CONFIG_LOCKDEP)
static_assert(sizeof(struct coap_ka_session) <= 160);
#endif
/* Nothing in it grows with lock debugging. */
static_assert(sizeof(struct coap_ka_sock) <= 64);

static void coap_ka_owner_put(struct coap_ka_owner *o)
{
	if (o && refcount_dec_and_test(&o->refcnt))
		kfree_rcu(o, rcu);
}

/* The owner record of netlink socket @portid, with a reference. */
static struct coap_ka_owner *coap_ka_owner_get(struct coap_ka_net *cn, u32 portid)
{
	struct coap_ka_owner *o;
	int err;

	lockdep_assert_held(&cn->lock);
	o = xa_load(&cn->owners, portid);
	if (o) {
		refcount_inc(&o->refcnt);
		return o;
	}
	o = kzalloc(sizeof(*o), COAP_KA_GFP_USER);
	if (!o)
		return ERR_PTR(-ENOMEM);
	o->portid = portid;
	refcount_set(&o->refcnt, 2);
	err = xa_err(xa_store(&cn->owners, portid, o, COAP_KA_GFP_USER));
	if (err) {
		kfree(o);
		return ERR_PTR(err);
	}
	return o;
}

/**
 * coap_ka_bind_put() - drop a reference to a bind
 * @b: the bind, or NULL
 *
 * The last one drops its context and owner record and frees it with its
 * overrides. Its sessions are past their grace period by then (or it was
 * only its context's), so no reader can still reach it.
 *
 * Context: any.
 */
void coap_ka_bind_put(struct coap_ka_bind *b)
{
	if (b && refcount_dec_and_test(&b->refcnt)) {
		coap_ka_ctx_put(b->ctx);
		coap_ka_owner_put(b->owner);
		kfree(b->over);
		kfree(b);
	}
}

/*
 * The bind of a session to add on @ctx for netlink socket @portid (0:
 * none) with overrides @over (NULL: none), with a reference: the one
 * @ctx keeps when @over is NULL and @portid is its owner's, else a new
 * one, which takes @over (on failure it stays the caller's).
 */
static struct coap_ka_bind *coap_ka_bind_get(struct coap_ka_net *cn,
					     struct coap_ka_ctx *ctx, u32 portid,
					     struct coap_ka_overrides *over)
{
	struct coap_ka_owner *o = NULL;
	struct coap_ka_bind *b;

	lockdep_assert_held(&cn->lock);
	if (portid) {
		o = coap_ka_owner_get(cn, portid);
		if (IS_ERR(o))
			return ERR_CAST(o);
	}
	b = ctx->bind;
	if (!over && b && b->owner == o) {
		coap_ka_owner_put(o);
		refcount_inc(&b->refcnt);
		return b;
	}
	b = kmalloc(sizeof(*b), COAP_KA_GFP_USER);
	if (!b) {
		coap_ka_owner_put(o);
		return ERR_PTR(-ENOMEM);
	}
	refcount_inc(&ctx->refcnt);
	b->ctx = ctx;
	b->owner = o;
	b->over = over;
	refcount_set(&b->refcnt, 1);
	if (!over) {
		/* For the next sessions like this one. */
		refcount_inc(&b->refcnt);
		coap_ka_bind_put(ctx->bind);
		ctx->bind = b;
	}
	return b;
}

/**
 * coap_ka_netlink_released() - a netlink socket was closed
 * @net: its network namespace
 * @portid: its port id
 *
 * The sessions it added no longer send it their events; a later socket
 * that gets the same port id gets none of them. Costs the same whatever
 * the socket added.
 *
 * Context: process context (the netlink notifier); takes @net's lock.
 */
void coap_ka_netlink_released(struct net *net, u32 portid)
{
	struct coap_ka_net *cn = coap_ka_pernet(net);
	struct coap_ka_owner *o;

	mutex_lock(&cn->lock);
	o = xa_erase(&cn->owners, portid);
	if (o) {
		WRITE_ONCE(o->gone, true);
		coap_ka_owner_put(o);
	}
	mutex_unlock(&cn->lock);
}

/**
 * coap_ka_session_portid() - the netlink socket to tell a session's events
 * @s: the session
 *
 * Context: any.
 * Return: the port id of the socket that added @s while it is open,
 * otherwise 0.
 */
u32 coap_ka_session_portid(const struct coap_ka_session *s)
{
	const struct coap_ka_owner *o = s->bind->owner;

	return o && !READ_ONCE(o->gone) ? o->portid : 0;
}

/**
 * coap_ka_session_find() - the session of a peer on a watched socket
 * @ks: the watched socket
 * @peer: the peer
 *
 * Context: under rcu_read_lock().
 * Return: the session, without a reference (valid until the RCU read
 * section ends), or NULL.
 */
struct coap_ka_session *coap_ka_session_find(struct coap_ka_sock *ks,
					     const struct coap_ka_peer *peer)
{
	struct coap_ka_session *s = rcu_dereference(ks->one);
	struct coap_ka_key key;

	/* The socket's only session: no hashing on its data path. */
	if (s)
		return coap_ka_session_is_peer(s, peer) ? s : NULL;
	/* Pairs with coap_ka_sock_hash(): the table holds what @one did. */
	smp_rmb();
	memset(&key, 0, sizeof(key));
	key.ks = ks;
	key.peer = *peer;
	return rhashtable_lookup(&coap_ka_table, &key, coap_ka_table_params);
}

/*
 * Publish @ks's session as its only one while it has exactly one, for
 * coap_ka_session_find(). A session being added makes it NULL before the
 * session goes into the table, so that no reader takes the old one for
 * the only one while the new one can be found. Under cn->lock.
 */
static void coap_ka_sock_one_update(struct coap_ka_sock *ks)
{
	struct coap_ka_session *s = NULL;

	if (list_is_singular(&ks->sessions))
		s = list_first_entry(&ks->sessions, struct coap_ka_session, sock_node);
	rcu_assign_pointer(ks->one, s);
}

/*
 * @ks gets a second session: its first one goes into the table (it may be
 * there already, from an earlier second session), then readers are sent
 * to the table. Under cn->lock; on failure nothing changed.
 */
static int coap_ka_sock_hash(struct coap_ka_sock *ks)
{
	struct coap_ka_key key = { .ks = ks };
	struct coap_ka_session *first;
	int err;

	first = rcu_dereference_protected(ks->one, lockdep_is_held(&ks->cn->lock));
	if (!first)
		return 0;
	/*
	 * By key: rhashtable_insert_fast() would link a session that is in
	 * the table already a second time (a loop in its bucket).
	 */
	coap_ka_session_peer(first, &key.peer);
	err = rhashtable_lookup_insert_key(&coap_ka_table, &key, &first->node,
					   coap_ka_table_params);
	if (err && err != -EEXIST)
		return err;
	/* The insert is seen before NULL is: coap_ka_session_find(). */
	smp_wmb();
	RCU_INIT_POINTER(ks->one, NULL);
	return 0;
}

/* A zeroed session for @peer, from the cache its address family needs. */
static struct coap_ka_session *coap_ka_session_alloc(const struct coap_ka_peer *peer)
{
	bool v6 = !ipv6_addr_v4mapped(&peer->addr);
	struct coap_ka_session *s;

	s = kmem_cache_zalloc(v6 ? coap_ka_session6_cache : coap_ka_session_cache,
			      COAP_KA_GFP_USER);
	if (!s)
		return NULL;
	s->v6 = v6;
	if (v6)
		memcpy(s->addr_hi, &peer->addr, COAP_KA_ADDR_HI_LEN);
	s->addr_lo = peer->addr.s6_addr32[3];
	s->port = peer->port;
	return s;
}

static void coap_ka_session_free(struct coap_ka_session *s)
{
	kmem_cache_free(s->v6 ? coap_ka_session6_cache : coap_ka_session_cache, s);
}

static void coap_ka_session_free_rcu(struct rcu_head *head)
{
	struct coap_ka_session *s = container_of(head, struct coap_ka_session, rcu);

	coap_ka_bind_put(s->bind);
	coap_ka_sock_put(s->ks);
	coap_ka_session_free(s);
}

/**
 * coap_ka_session_params() - the settings a session runs on
 * @s: the session
 * @buf: room for a merged copy
 *
 * Its context's settings, under the settings @s overrides.
 *
 * Context: under rcu_read_lock(); the result is valid until it ends.
 * Return: the context's settings, or @buf holding the merged copy.
 */
const struct coap_ka_params *
coap_ka_session_params(const struct coap_ka_session *s, struct coap_ka_params *buf)
{
	const struct coap_ka_overrides *over = s->bind->over;
	const struct coap_ka_params *p = rcu_dereference(s->bind->ctx->params);

	if (likely(!over))
		return p;
	*buf = *p;
	coap_ka_params_apply(buf, &over->p, over->mask);
	return buf;
}

/**
 * coap_ka_session_put() - drop a reference to a session
 * @s: the session
 *
 * The last one drops the context's reference and frees @s (with its
 * overrides, owner record and socket reference) after an RCU grace period.
 *
 * Context: any.
 */
void coap_ka_session_put(struct coap_ka_session *s)
{
	if (refcount_dec_and_test(&s->refcnt))
		call_rcu(&s->rcu, coap_ka_session_free_rcu);
}

/**
 * coap_ka_session_queue() - hand a session's work to process context
 * @s: the session, alive
 * @todo: the work, a bit of coap_ka_session.todo (%COAP_KA_TODO_PING ...)
 *
 * The namespace's work item does it: send a Ping, report an event.
 *
 * Context: any; @s->lock held.
 */
void coap_ka_session_queue(struct coap_ka_session *s, int todo)
{
	coap_ka_todo_set(s, todo);
	if (coap_ka_todo_test_and_set(s, COAP_KA_TODO_QUEUED))
		return;
	refcount_inc(&s->refcnt);
	llist_add(&s->pending_node, &s->ks->cn->pending);
	queue_work(coap_ka_wq, &s->ks->cn->work);
}

/**
 * coap_ka_secs() - the keepalive interval
 * @p: the settings
 *
 * Context: any.
 * Return: keepalive-secs in jiffies (0: keepalive off).
 */
unsigned long coap_ka_secs(const struct coap_ka_params *p)
{
	return (unsigned long)p->keepalive_secs * HZ;
}

/**
 * coap_ka_idle_restart() - start a new idle period now
 * @s: the session
 * @p: its settings
 *
 * The state goes back to idle and the period's jitter is drawn, as a
 * share of the interval, so that it follows the settings if they change.
 *
 * Context: @s->lock held.
 */
void coap_ka_idle_restart(struct coap_ka_session *s,
			  const struct coap_ka_params *p)
{
	WRITE_ONCE(s->state, COAP_KA_STATE_IDLE);
	s->idle_base = coap_ka_j32();
	s->jitter = p->jitter_pct ?
		    get_random_u32_below(p->jitter_pct * 10 + 1) : 0;
}

/**
 * coap_ka_idle_deadline() - when a session is due a Ping
 * @s: the session
 * @p: its settings
 *
 * Context: any; @s->lock held for a stable answer.
 * Return: the jiffies at which it is due if nothing happens meanwhile:
 * its last activity plus the interval, less this period's jitter.
 */
unsigned long coap_ka_idle_deadline(const struct coap_ka_session *s,
				    const struct coap_ka_params *p)
{
	unsigned long secs = coap_ka_secs(p);
	u32 jitter = min_t(u32, s->jitter, p->jitter_pct * 10);

	return coap_ka_last_activity(s, p) + secs -
	       (unsigned long)div_u64((u64)secs * jitter, 1000);
}

/**
 * coap_ka_arm_idle() - arm a session's timer for the end of its idle period
 * @s: the session
 * @deadline: the end, in jiffies
 *
 * The wheel is exact: its round comes at @deadline (wheel.c sets its own
 * timer early against the kernel timer wheel's rounding).
 *
 * Context: any; @s->lock held.
 */
void coap_ka_arm_idle(struct coap_ka_session *s, unsigned long deadline)
{
	coap_ka_sched(s, deadline);
}

/**
 * coap_ka_last_activity() - when a session last showed life
 * @s: the session
 * @p: its settings (the activity rule: rx, or rx and tx)
 *
 * Context: any.
 * Return: the jiffies of its last activity, or of the start of its idle
 * period if that is later.
 */
unsigned long coap_ka_last_activity(const struct coap_ka_session *s,
				    const struct coap_ka_params *p)
{
	unsigned long t = coap_ka_j_past(READ_ONCE(s->last_rx));
	unsigned long tx = coap_ka_j_past(READ_ONCE(s->last_tx));
	unsigned long base = coap_ka_j_past(s->idle_base);

	if (p->activity == COAP_KA_ACTIVITY_RXTX && time_after(tx, t))
		t = tx;
	if (time_after(base, t))
		t = base;
	return t;
}

/* Make a past time no older than COAP_KA_STAMP_MAX; it may race a writer. */
static void coap_ka_stamp_age(u32 *stamp, u32 now)
{
	u32 old = READ_ONCE(*stamp);

	if (now - old > COAP_KA_STAMP_MAX)
		cmpxchg(stamp, old, now - (u32)COAP_KA_STAMP_MAX);
}

/*
 * Keep a session's times within 32 bits of now. Each round does, and a
 * session without keepalive gets a round for it every 2^25 jiffies (within
 * the wheel's span): a time is then at most COAP_KA_STAMP_MAX + 2^25 old
 * between two rounds, short of the 2^32 at which it would wrap. Ages read
 * back saturate at COAP_KA_STAMP_MAX (99 days at HZ 250, 24 at HZ 1000).
 */
#define COAP_KA_STAMP_ROUND	BIT(25)

static void coap_ka_stamps_age(struct coap_ka_session *s)
{
	u32 now = coap_ka_j32(), old;

	coap_ka_stamp_age(&s->last_rx, now);
	coap_ka_stamp_age(&s->last_tx, now);
	coap_ka_stamp_age(&s->idle_base, now);
	if (coap_ka_is_tcp(s->ks))
		return;
	/* An answer window that closed: closed as of now. */
	old = READ_ONCE(s->late_until);
	if (time_after32(now, old))
		cmpxchg(&s->late_until, old, now);
}

/**
 * coap_ka_send_now() - may the wheel's run send this Ping itself?
 * @s: the session, its round running
 *
 * Saves the work item's wake-up when a tick has few Pings: the first
 * COAP_KA_WHEEL_SENDS of a run of the wheel go out from it, after the
 * session's lock is dropped (coap_ka_session_expire()). Not while the
 * namespace has a Ping rate limit: the work item's pacer sends them all.
 *
 * Context: softirq (the wheel's run), @s->lock held.
 * Return: true if it does; %COAP_KA_TODO_NOW is then set.
 */
bool coap_ka_send_now(struct coap_ka_session *s)
{
	struct coap_ka_wheel *w = &s->ks->cn->wheel;

	/* Only the run touches it; the run holds no lock while rounds go. */
	if (!w->sends || READ_ONCE(s->ks->cn->ping_rate_limit))
		return false;
	w->sends--;
	coap_ka_todo_set(s, COAP_KA_TODO_NOW);
	return true;
}

/**
 * coap_ka_session_expire() - a session's deadline came: run its round
 * @s: the session, held by the caller
 *
 * Context: softirq (the namespace's wheel, wheel.c).
 */
void coap_ka_session_expire(struct coap_ka_session *s)
{
	const struct coap_ka_params *p;
	struct coap_ka_params buf;

	rcu_read_lock();
	p = coap_ka_session_params(s, &buf);
	spin_lock(&s->lock);
	if (s->dead)
		goto out;
	coap_ka_stamps_age(s);
	if (!p->keepalive_secs) {
		/* Disabled: drop any Ping in flight; a change re-kicks us. */
		WRITE_ONCE(s->state, COAP_KA_STATE_IDLE);
		coap_ka_sched(s, jiffies + COAP_KA_STAMP_ROUND);
		goto out;
	}
	coap_ka_ops(s->ks)->timer(s, p);
out:
	spin_unlock(&s->lock);
	rcu_read_unlock();
	if (coap_ka_todo_test_and_clear(s, COAP_KA_TODO_NOW))
		coap_ka_ops(s->ks)->ping(s);
}

/**
 * coap_ka_session_kick() - re-evaluate a session now
 * @s: the session
 *
 * After its settings changed: the timer works out the new deadline; a
 * UDP Ping in flight keeps its retransmission time if the new ACK timeout
 * range allows it, otherwise draws a new one from that range.
 *
 * Context: process or softirq context (takes @s->lock with BH off).
 */
void coap_ka_session_kick(struct coap_ka_session *s)
{
	const struct coap_ka_params *p;
	struct coap_ka_params buf;
	unsigned long deadline;
	u32 lo, hi;
	s64 left;
	u32 first;

	rcu_read_lock();
	p = coap_ka_session_params(s, &buf);
	spin_lock_bh(&s->lock);
	if (s->dead)
		goto out;
	if (s->state == COAP_KA_STATE_IDLE && p->keepalive_secs &&
	    !coap_ka_is_tcp(s->ks)) {
		/*
		 * The new deadline, set here rather than by a timer run now: a
		 * change to a context of many sessions would run all their
		 * timers in one softirq (100,000 sessions: soft lockups under
		 * TCG). Those already overdue under the new settings are spread
		 * over the next second (or interval, if shorter) instead of
		 * all pinging in the same tick.
		 */
		deadline = coap_ka_idle_deadline(s, p);
		if (!time_after(deadline, jiffies))
			deadline = jiffies + get_random_u32_below(min_t(unsigned long, HZ,
								       coap_ka_secs(p)) + 1);
		coap_ka_arm_idle(s, deadline);
		goto out;
	}
	if (s->state != COAP_KA_STATE_PINGING || !p->keepalive_secs ||
	    coap_ka_is_tcp(s->ks)) {
		/* The timer works out the new deadlines. */
		coap_ka_sched(s, jiffies);
		goto out;
	}
	/* A Ping not sent yet gets its timer when it leaves. */
	if (coap_ka_todo_test(s, COAP_KA_TODO_PING))
		goto out;
	/*
	 * A Ping in flight keeps its retransmission timeout if the new
	 * settings allow it, or draws one from them; either way it is due
	 * that long after the Ping left, not now.
	 */
	lo = p->ack_timeout_ms << s->retries;
	hi = (u64)lo * p->random_factor / 1000;
	if (s->timeout_ms < lo || s->timeout_ms > hi) {
		first = p->ack_timeout_ms + get_random_u32_below((u64)p->ack_timeout_ms *
				(p->random_factor - 1000) / 1000 + 1);
		s->timeout_ms = first << s->retries;
	}
	left = (s64)s->timeout_ms * NSEC_PER_MSEC - (ktime_get_ns() - s->tx_ns);
	coap_ka_sched(s, jiffies + (left > 0 ? nsecs_to_jiffies(left) : 0));
out:
	spin_unlock_bh(&s->lock);
	rcu_read_unlock();
}

/**
 * coap_ka_session_rx_empty() - an empty message from a UDP session's peer
 * @s: the session
 * @type: its type (%COAP_KA_TYPE_CON ...)
 * @mid: its Message ID
 * @consume: set when the datagram is the kernel's to eat
 *
 * The rest of coap_ka_session_rx(), which stamped the activity. An empty
 * ACK or Reset with the MID of the Ping in flight is its answer (a pong);
 * a late or repeated one is eaten while a retransmission could have drawn
 * it. An empty Confirmable is the peer's Ping: counted, reported, and with
 * %COAP_KA_F_ANSWER_PINGS answered with a Reset and eaten. Everything else
 * is left to the application.
 *
 * Context: softirq (UDP's receive path), under rcu_read_lock().
 */
void coap_ka_session_rx_empty(struct coap_ka_session *s, u8 type, u16 mid,
			      bool *consume)
{
	const struct coap_ka_params *p;
	struct coap_ka_params buf;
	bool answer = false;

	p = coap_ka_session_params(s, &buf);
	spin_lock(&s->lock);
	if (s->dead)
		goto out;
	if ((type == COAP_KA_TYPE_RST || type == COAP_KA_TYPE_ACK) &&
	    s->pings && mid == s->mid && s->state != COAP_KA_STATE_PINGING) {
		/*
		 * A late or repeated answer to our last Ping: ours to eat for
		 * as long as a retransmission of it could draw one, and not
		 * once the application has used the MID itself.
		 */
		if (time_before32(coap_ka_j32(), READ_ONCE(s->late_until))) {
			net_dbg_ratelimited("session %u: late answer to Ping %u eaten\n",
					    s->id, mid);
			*consume = true;
		}
	} else if ((type == COAP_KA_TYPE_RST || type == COAP_KA_TYPE_ACK) &&
		   s->state == COAP_KA_STATE_PINGING && mid == s->mid) {
		s->rtt_us = div_u64(ktime_get_ns() - s->tx_ns, NSEC_PER_USEC);
		s->pongs++;
		trace_pong(s, mid, s->rtt_us);
		WRITE_ONCE(s->late_until,
			   coap_ka_j32() + 2 * msecs_to_jiffies(s->timeout_ms));
		coap_ka_idle_restart(s, p);
		if (p->keepalive_secs)
			coap_ka_arm_idle(s, coap_ka_idle_deadline(s, p));
		if (coap_ka_event_wanted(s))
			coap_ka_session_queue(s, COAP_KA_TODO_PONG);
		*consume = true;
	} else if (type == COAP_KA_TYPE_CON) {
		s->peer_pings++;
		s->peer_mid = mid;
		if (coap_ka_event_wanted(s))
			coap_ka_session_queue(s, COAP_KA_TODO_PEER_PING);
		if (p->flags & COAP_KA_F_ANSWER_PINGS) {
			answer = true;
			*consume = true;
		}
	}
out:
	spin_unlock(&s->lock);
	/* Answered at once, from the datagram's receipt. */
	if (answer && !READ_ONCE(coap_ka_unloading))
		coap_ka_udp_answer(s, mid);
}

/**
 * coap_ka_session_sent_it() - is a datagram to the peer the kernel's own?
 * @s: the session
 * @hdr: the datagram's first min(@len, 4) bytes
 * @len: its CoAP length
 *
 * Context: any, under rcu_read_lock().
 * Return: true if it is the kernel's last Ping or last Reset to the peer.
 */
bool coap_ka_session_sent_it(struct coap_ka_session *s, const u8 *hdr,
			     unsigned int len)
{
	u16 mid;
	u8 type;

	if (!coap_ka_empty_msg(hdr, len, &type, &mid))
		return false;
	/* MIDs start at 0: only one that was really sent counts. */
	return (type == COAP_KA_TYPE_CON && READ_ONCE(s->pings) &&
		mid == READ_ONCE(s->mid)) ||
	       (type == COAP_KA_TYPE_RST && READ_ONCE(s->peer_pings) &&
		mid == READ_ONCE(s->peer_mid));
}

/**
 * coap_ka_session_tx() - a datagram the application sent to the peer
 * @s: the session
 * @hdr: the datagram's first min(@len, 4) bytes
 * @len: its CoAP length
 *
 * Stamps send activity and notes the application's MID (Pings take their
 * MIDs from the other half of the space); a MID the application reuses is
 * its own from then on, with the answers to it.
 *
 * Context: any, under rcu_read_lock().
 */
void coap_ka_session_tx(struct coap_ka_session *s, const u8 *hdr,
			unsigned int len)
{
	u8 type;

	/* Our own Ping or Reset is not the application's activity. */
	if (coap_ka_session_sent_it(s, hdr, len))
		return;
	if (len >= 4 && hdr[0] >> 6 == COAP_KA_COAP_VERSION) {
		u16 mid = (hdr[2] << 8) | hdr[3];

		type = (hdr[0] >> 4) & 3;
		if (type == COAP_KA_TYPE_CON || type == COAP_KA_TYPE_NON)
			WRITE_ONCE(s->app_mid, mid);
		/* The MID is the application's now: answers to it are too. */
		if (mid == READ_ONCE(s->mid))
			WRITE_ONCE(s->late_until, coap_ka_j32());
	}
	WRITE_ONCE(s->last_tx, coap_ka_j32());
}

/**
 * coap_ka_session_end() - end a session from any context
 * @s: the session
 * @reason: the gone reason to report (enum coap_ka_gone_reason)
 *
 * The namespace's work item hands it to the reap work, which unlinks it;
 * the first reason given is the one reported. Does nothing for a session
 * already ended.
 *
 * Context: any, e.g. a socket callback under RCU (takes @s->lock with BH
 * off).
 */
void coap_ka_session_end(struct coap_ka_session *s, u8 reason)
{
	if (coap_ka_todo_test(s, COAP_KA_TODO_REAP))
		return;
	spin_lock_bh(&s->lock);
	/* Not dead: its tables still hold their reference. */
	if (!s->dead && !coap_ka_todo_test_and_set(s, COAP_KA_TODO_REAP)) {
		s->end_reason = reason;
		/* Pairs with coap_ka_net_work(): REAP is seen, or QUEUED clear. */
		coap_ka_session_queue(s, COAP_KA_TODO_REAP);
	}
	spin_unlock_bh(&s->lock);
}

/**
 * coap_ka_sock_end_one() - end the one session of a TCP socket
 * @ks: the watched TCP socket
 * @reason: the gone reason to report
 *
 * Found without the namespace's lock; it ends from the reap work
 * (coap_ka_session_end()).
 *
 * Context: any, e.g. with the socket locked.
 */
void coap_ka_sock_end_one(struct coap_ka_sock *ks, u8 reason)
{
	struct coap_ka_session *s;

	rcu_read_lock();
	s = rcu_dereference(ks->one);
	if (s)
		coap_ka_session_end(s, reason);
	rcu_read_unlock();
}

/**
 * coap_ka_sock_gone() - end every session of a socket that was given back
 * @ks: the watched socket, no longer published on its socket
 * @reason: the gone reason to report
 *
 * When this returns the sessions are gone and have sent their events.
 *
 * Context: process context, the socket not locked (e.g. its close); sleeps.
 */
void coap_ka_sock_gone(struct coap_ka_sock *ks, u8 reason)
{
	struct coap_ka_net *cn = ks->cn;
	struct coap_ka_session *s, *tmp;
	LIST_HEAD(dead);

	mutex_lock(&cn->lock);
	list_for_each_entry_safe(s, tmp, &ks->sessions, sock_node) {
		coap_ka_session_unlink(cn, s, reason, &dead);
		cond_resched();
	}
	mutex_unlock(&cn->lock);
	coap_ka_sessions_finish(cn, &dead);
}

static void coap_ka_pace_hold(struct coap_ka_net *cn, struct coap_ka_session *s);

static void coap_ka_session_process(struct coap_ka_session *s)
{
	struct coap_ka_net *cn = s->ks->cn;
	const struct coap_ka_params *p;
	struct coap_ka_params buf;
	u8 action;

	if (READ_ONCE(s->dead))
		return;
	/*
	 * The Ping waits its turn with the pacer (unless there is no limit
	 * and none waits); events never wait.
	 */
	if (coap_ka_todo_test(s, COAP_KA_TODO_PING)) {
		if (!READ_ONCE(cn->ping_rate_limit) && cn->held_first == cn->held_end)
			coap_ka_ops(s->ks)->ping(s);
		else
			coap_ka_pace_hold(cn, s);
	}
	if (coap_ka_todo_test_and_clear(s, COAP_KA_TODO_PONG))
		coap_ka_event(s, COAP_KA_CMD_PONG_NTF, 0);
	if (coap_ka_todo_test_and_clear(s, COAP_KA_TODO_PEER_PING))
		coap_ka_event(s, COAP_KA_CMD_PING_NTF, 0);
	if (coap_ka_todo_test_and_clear(s, COAP_KA_TODO_NACK)) {
		coap_ka_event(s, COAP_KA_CMD_NACK_NTF,
			      coap_ka_ops(s->ks)->nack_reason(s));
		rcu_read_lock();
		p = coap_ka_session_params(s, &buf);
		action = p->action;
		rcu_read_unlock();
		if (action == COAP_KA_ACTION_ABORT) {
			coap_ka_session_end(s, COAP_KA_GONE_ABORTED);
			coap_ka_ops(s->ks)->abort(s->ks);
		}
	}
}

/*
 * The Ping pacer. The work item hands Pings to the stack in the order
 * they fell due, each when a token lets it: tokens come at the
 * namespace's ping_rate_limit, and at most 10 ms worth of them (at least
 * one) wait unused, so that any second sees at most the limit and that
 * many more (the fraction of a token kept with them makes no whole one).
 * A Ping that gets none waits in coap_ka_net.held (with a reference), a
 * FIFO of consecutive indexes in an xarray, so that a session needs no
 * link of its own for it, and a timer brings the work back when the next
 * token is due. Only the work item touches the FIFO and the tokens. With
 * no limit and none waiting, Pings do not wait in it at all.
 */

/*
 * The most credit that may wait: the bucket, and the part of a token due
 * when the work came, so that waking on jiffies loses none of the rate.
 */
static u64 coap_ka_pace_depth(unsigned int limit)
{
	return (u64)max(limit / 100, 1U) * NSEC_PER_SEC + NSEC_PER_SEC - 1;
}

/* Take a token at @now, or say how many ns until the next one (@wait). */
static bool coap_ka_pace_take(struct coap_ka_net *cn, unsigned int limit,
			      u64 now, u64 *wait)
{
	u64 depth = coap_ka_pace_depth(limit);
	u64 elapsed = now - cn->pace_stamp;

	cn->pace_stamp = now;
	/* 2 s of a limit of at least 1 fill the bucket, and cannot overflow */
	elapsed = min_t(u64, elapsed, 2 * NSEC_PER_SEC);
	cn->pace_credit = min(cn->pace_credit + elapsed * limit, depth);
	if (cn->pace_credit >= NSEC_PER_SEC) {
		cn->pace_credit -= NSEC_PER_SEC;
		return true;
	}
	*wait = div_u64(NSEC_PER_SEC - cn->pace_credit + limit - 1, limit);
	return false;
}

/* Queue @s's Ping behind those waiting, unless it is there already. */
static void coap_ka_pace_hold(struct coap_ka_net *cn, struct coap_ka_session *s)
{
	if (coap_ka_todo_test_and_set(s, COAP_KA_TODO_HELD))
		return;
	refcount_inc(&s->refcnt);
	if (xa_is_err(xa_store(&cn->held, cn->held_end, s,
			       GFP_KERNEL | __GFP_NOWARN))) {
		/* No memory to wait in: it leaves now, unpaced. */
		net_warn_ratelimited("coap_keepalive: a Ping left unpaced (no memory)\n");
		if (!READ_ONCE(s->dead))
			coap_ka_ops(s->ks)->ping(s);
		coap_ka_todo_clear(s, COAP_KA_TODO_HELD);
		coap_ka_session_put(s);
		return;
	}
	cn->held_end++;
	/*
	 * Pairs with coap_ka_pace_ended(): it sees the bit, or we see the
	 * session dead and drop it before it waits for its turn.
	 */
	smp_mb__after_atomic();
	if (READ_ONCE(s->dead))
		set_bit(COAP_KA_PACE_PRUNE, &cn->pace_flags);
}

/* Drop the waiting Pings of sessions that ended (all of them: @all). */
static void coap_ka_pace_prune(struct coap_ka_net *cn, bool all)
{
	struct coap_ka_session *s;
	unsigned long i;

	/* The holes left are skipped when their turn comes. */
	xa_for_each(&cn->held, i, s) {
		if (!all && !READ_ONCE(s->dead))
			continue;
		xa_erase(&cn->held, i);
		coap_ka_todo_clear(s, COAP_KA_TODO_HELD);
		coap_ka_session_put(s);
		cond_resched();
	}
}

/* Send the waiting Pings the tokens allow, oldest first. */
static void coap_ka_pace_run(struct coap_ka_net *cn)
{
	struct coap_ka_session *s;
	unsigned int limit;
	u64 wait;

	if (test_and_clear_bit(COAP_KA_PACE_PRUNE, &cn->pace_flags))
		coap_ka_pace_prune(cn, false);
	while (cn->held_first != cn->held_end) {
		s = xa_load(&cn->held, cn->held_first);
		if (!s) {
			cn->held_first++;	/* pruned */
			continue;
		}
		limit = READ_ONCE(cn->ping_rate_limit);
		/* One that will not leave (ended, given up) takes no token. */
		if (limit && !READ_ONCE(s->dead) &&
		    coap_ka_todo_test(s, COAP_KA_TODO_PING) &&
		    !coap_ka_pace_take(cn, limit, ktime_get_ns(), &wait)) {
			mod_timer(&cn->pace_timer,
				  jiffies + max(DIV_ROUND_UP_ULL(wait, TICK_NSEC), 1ULL));
			return;
		}
		xa_erase(&cn->held, cn->held_first++);
		if (!READ_ONCE(s->dead))
			coap_ka_ops(s->ks)->ping(s);
		/*
		 * Cleared after the send: a Ping queued again meanwhile (a TCP
		 * Ping that could not go yet) finds it clear when the work
		 * takes it from the pending list, and waits again.
		 */
		coap_ka_todo_clear(s, COAP_KA_TODO_HELD);
		coap_ka_session_put(s);
		cond_resched();
	}
}

static void coap_ka_pace_timer(struct timer_list *t)
{
	struct coap_ka_net *cn = from_timer(cn, t, pace_timer);

	queue_work(coap_ka_wq, &cn->work);
}

/**
 * coap_ka_pace_kick() - the namespace's Ping rate limit changed
 * @cn: the namespace's state
 *
 * The work item looks at the Pings it holds under the new limit now.
 *
 * Context: process context (the sysctl's write).
 */
void coap_ka_pace_kick(struct coap_ka_net *cn)
{
	queue_work(coap_ka_wq, &cn->work);
}

/*
 * @s ended: if its Ping waits for a token, have the work drop it now
 * rather than when its turn comes. Pairs with coap_ka_pace_hold().
 */
static void coap_ka_pace_ended(struct coap_ka_net *cn, struct coap_ka_session *s)
{
	smp_mb();	/* s->dead was set before */
	if (coap_ka_todo_test(s, COAP_KA_TODO_HELD) &&
	    !test_and_set_bit(COAP_KA_PACE_PRUNE, &cn->pace_flags))
		queue_work(coap_ka_wq, &cn->work);
}

/* The namespace's sends and events, in process context. */
static void coap_ka_net_work(struct work_struct *work)
{
	struct coap_ka_net *cn = container_of(work, struct coap_ka_net, work);
	struct coap_ka_session *s, *tmp;
	struct llist_node *list;

	bool reap = false;

	/* Oldest first: the pacer keeps the order they fell due in. */
	list = llist_reverse_order(llist_del_all(&cn->pending));
	llist_for_each_entry_safe(s, tmp, list, pending_node) {
		coap_ka_todo_clear(s, COAP_KA_TODO_QUEUED);
		/* Pairs with coap_ka_session_end(): set REAP, then QUEUED. */
		smp_mb__after_atomic();
		coap_ka_session_process(s);
		/*
		 * To end: the reap work unlinks it, under the lock this work
		 * does not wait for. QUEUED set again makes its node ours (and
		 * keeps it off the pending list for good); the reference goes
		 * with it. Else whoever set QUEUED queued it again.
		 */
		if (coap_ka_todo_test(s, COAP_KA_TODO_REAP) &&
		    !coap_ka_todo_test_and_set(s, COAP_KA_TODO_QUEUED)) {
			llist_add(&s->pending_node, &cn->reap_list);
			reap = true;
		} else {
			coap_ka_session_put(s);
		}
		cond_resched();
	}
	if (reap)
		queue_work(coap_ka_wq, &cn->reap);
	coap_ka_pace_run(cn);
}

static struct coap_ka_sock *coap_ka_sock_new(struct coap_ka_net *cn,
					     struct socket *sock, u8 transport)
{
	struct coap_ka_sock *ks;

	ks = kzalloc(sizeof(*ks), COAP_KA_GFP_USER);
	if (!ks)
		return NULL;
	ks->sk = sock->sk;
	ks->cn = cn;
	ks->ino = sock_i_ino(sock->sk);
	ks->transport = transport;
	refcount_set(&ks->refcnt, 1);
	INIT_LIST_HEAD(&ks->sessions);
	sock_hold(ks->sk);
	atomic_inc(&coap_ka_live_socks);
	return ks;
}

static void coap_ka_sock_free_rcu(struct rcu_head *head)
{
	struct coap_ka_sock *ks = container_of(head, struct coap_ka_sock, rcu);

	sock_put(ks->sk);
	kfree(ks);
	if (atomic_dec_and_test(&coap_ka_live_socks))
		wake_up_var(&coap_ka_live_socks);
}

/**
 * coap_ka_sock_put() - drop a reference to a watched socket
 * @ks: the watched socket
 *
 * The last one frees it, and its reference to the socket, after an RCU
 * grace period: readers find it through sk_user_data and the session table.
 *
 * Context: any.
 */
void coap_ka_sock_put(struct coap_ka_sock *ks)
{
	if (refcount_dec_and_test(&ks->refcnt))
		call_rcu(&ks->rcu, coap_ka_sock_free_rcu);
}

/**
 * coap_ka_socks_wait() - wait until every watched socket is freed
 *
 * Context: module unload, after every session ended; sleeps.
 */
void coap_ka_socks_wait(void)
{
	wait_var_event(&coap_ka_live_socks, !atomic_read(&coap_ka_live_socks));
	rcu_barrier();
}

/**
 * coap_ka_sessions_exist() - are any sessions left, in any namespace?
 *
 * Context: any.
 * Return: true if at least one session exists.
 */
bool coap_ka_sessions_exist(void)
{
	return atomic_read(&coap_ka_nsessions);
}

/**
 * coap_ka_session_add() - watch a socket for a peer (COAP_KA_CMD_SESSION_ADD)
 * @cn: the network namespace's state
 * @ctx: the session's context (gets a reference)
 * @sock: the socket, checked by the caller (family, type, namespace)
 * @transport: what it carries (enum coap_ka_transport)
 * @peer: the peer
 * @over: the session's own settings, or NULL; the session's on success
 * @portid: the netlink socket to send its events to (0: none)
 * @charged: the caller already counted it against the context owner's
 *           session limit (a batch, coap_ka_user_sessions_charge_many());
 *           then a failure leaves that charge to the caller
 * @extack: where to say why not
 *
 * The first session of a socket takes the socket over (its transport's
 * attach: protocol copy, receive hook or state callback). The session is
 * charged to the context owner's session count (unless @charged) and, for
 * its memory, to the caller's memory cgroup; its timer starts at once.
 *
 * Context: process context, @cn->lock held; may sleep.
 * Return: the session, or ERR_PTR() of -EBUSY (sk_user_data or a UDP
 * encapsulation already set, or no free id), -EEXIST (the peer, or a TCP
 * connection, already has one), -EDQUOT, -ENOMEM, or the attach's
 * refusal (-EDESTADDRREQ: UDP not bound; -ENOTCONN: TCP not established;
 * -EOPNOTSUPP: an upper layer protocol or kTLS it cannot ping through).
 */
struct coap_ka_session *coap_ka_session_add(struct coap_ka_net *cn,
					    struct coap_ka_ctx *ctx,
					    struct socket *sock, u8 transport,
					    const struct coap_ka_peer *peer,
					    struct coap_ka_overrides *over,
					    u32 portid, bool charged,
					    struct netlink_ext_ack *extack)
{
	const struct coap_ka_params *p;
	struct sock *sk = sock->sk;
	struct coap_ka_params buf;
	struct coap_ka_session *s;
	struct coap_ka_sock *ks;
	bool new_ks = false;
	int err;

	lockdep_assert_held(&cn->lock);

	ks = coap_ka_sk_ks(sk);
	if (!ks && rcu_access_pointer(__sk_user_data(sk))) {
		NL_SET_ERR_MSG_MOD(extack,
				   "socket is already used by another kernel facility (sk_user_data is set)");
		return ERR_PTR(-EBUSY);
	}
	if (ks) {
		rcu_read_lock();
		s = coap_ka_session_find(ks, peer);
		rcu_read_unlock();
		if (s) {
			NL_SET_ERR_MSG_MOD(extack,
					   "this peer already has a session on this socket");
			return ERR_PTR(-EEXIST);
		}
		if (coap_ka_is_tcp(ks)) {
			NL_SET_ERR_MSG_MOD(extack,
					   "a TCP connection has one session");
			return ERR_PTR(-EEXIST);
		}
	}
	if (!charged) {
		err = coap_ka_user_sessions_charge(ctx->owner, extack);
		if (err)
			return ERR_PTR(err);
	}

	err = -ENOMEM;
	s = coap_ka_session_alloc(peer);
	if (!s)
		goto err_uncharge;
	spin_lock_init(&s->lock);
	coap_ka_wheel_entry_init(s);
	refcount_set(&s->refcnt, 1);
	s->last_rx = coap_ka_j32();
	s->last_tx = s->last_rx;

	s->bind = coap_ka_bind_get(cn, ctx, portid, over);
	if (IS_ERR(s->bind)) {
		err = PTR_ERR(s->bind);
		goto err_free_s;
	}
	if (!ks) {
		err = -ENOMEM;
		ks = coap_ka_sock_new(cn, sock, transport);
		if (!ks)
			goto err_free;
		new_ks = true;
		err = coap_ka_ops(ks)->attach(ks, extack);
		if (err)
			goto err_put_ks;
	}
	/* Each session holds its socket; a new one comes with a reference. */
	if (!new_ks)
		refcount_inc(&ks->refcnt);
	s->ks = ks;
	/* What the data path reads, before it can find the session. */
	if (!coap_ka_is_tcp(ks)) {
		s->late_until = s->last_rx;
		s->app_mid = get_random_u32_below(0x10000);
	}

	err = xa_alloc_cyclic(&cn->sessions, &s->id, s, XA_LIMIT(1, U32_MAX),
			      &cn->next_session_id, COAP_KA_GFP_USER);
	if (err < 0) {
		if (err == -EBUSY)
			NL_SET_ERR_MSG_MOD(extack,
					   "no free session id in this network namespace");
		goto err_detach;
	}
	/* A socket's first session goes into the table with its second. */
	if (!list_empty(&ks->sessions)) {
		err = coap_ka_sock_hash(ks);
		if (!err)
			err = rhashtable_insert_fast(&coap_ka_table, &s->node,
						     coap_ka_table_params);
		if (err) {
			coap_ka_sock_one_update(ks);
			goto err_erase;
		}
	}

	ctx->nsessions++;
	list_add_tail(&s->sock_node, &ks->sessions);
	coap_ka_sock_one_update(ks);
	atomic_inc(&coap_ka_nsessions);
	cn->gen++;

	rcu_read_lock();
	p = coap_ka_session_params(s, &buf);
	spin_lock_bh(&s->lock);
	coap_ka_idle_restart(s, p);
	coap_ka_sched(s, jiffies);
	spin_unlock_bh(&s->lock);
	trace_session_add(s, p->keepalive_secs);
	rcu_read_unlock();
	return s;

err_erase:
	xa_erase(&cn->sessions, s->id);
err_detach:
	if (new_ks)
		coap_ka_ops(ks)->detach(ks);
	/* Readers that found it hold their own reference. */
	coap_ka_sock_put(ks);
	goto err_free;
err_put_ks:
	coap_ka_sock_put(ks);
err_free:
	/* A bind with @over is this session's alone: @over stays the caller's. */
	if (over)
		s->bind->over = NULL;
	coap_ka_bind_put(s->bind);
err_free_s:
	coap_ka_session_free(s);
err_uncharge:
	if (!charged)
		coap_ka_user_sessions_uncharge(ctx->owner);
	return ERR_PTR(err);
}

/**
 * coap_ka_session_unlink() - take a session out of every table
 * @cn: the network namespace's state
 * @s: the session
 * @reason: the gone reason to report; %COAP_KA_GONE_SILENT: no event
 * @dead: where @s goes, for coap_ka_sessions_finish()
 *
 * Reports it gone, gives back its owner's count, and hands the socket
 * back as the application had it when its last session goes.
 *
 * Context: process context, @cn->lock held; the caller runs
 * coap_ka_sessions_finish() on @dead after dropping it.
 */
void coap_ka_session_unlink(struct coap_ka_net *cn, struct coap_ka_session *s,
			    u32 reason, struct list_head *dead)
{
	struct coap_ka_sock *ks = s->ks;

	lockdep_assert_held(&cn->lock);

	spin_lock_bh(&s->lock);
	WRITE_ONCE(s->dead, true);
	spin_unlock_bh(&s->lock);

	/* -ENOENT: it was its socket's only one all along. */
	rhashtable_remove_fast(&coap_ka_table, &s->node, coap_ka_table_params);
	xa_erase(&cn->sessions, s->id);
	list_del(&s->sock_node);
	coap_ka_sock_one_update(ks);
	s->bind->ctx->nsessions--;
	coap_ka_user_sessions_uncharge(s->bind->ctx->owner);
	atomic_dec(&coap_ka_nsessions);
	cn->gen++;
	trace_session_gone(s, reason);
	if (reason != COAP_KA_GONE_SILENT)
		coap_ka_event(s, COAP_KA_CMD_SESSION_GONE_NTF, reason);
	list_add_tail(&s->sock_node, dead);

	/* The socket goes back with its last session. */
	if (list_empty(&ks->sessions))
		coap_ka_ops(ks)->detach(ks);
}

/**
 * coap_ka_sessions_finish() - finish unlinked sessions
 * @cn: the network namespace's state
 * @dead: sessions from coap_ka_session_unlink()
 *
 * Shuts their timers down and drops the tables' references.
 *
 * Context: process context, @cn->lock not held; sleeps.
 */
void coap_ka_sessions_finish(struct coap_ka_net *cn, struct list_head *dead)
{
	struct coap_ka_session *s, *tmp;

	list_for_each_entry(s, dead, sock_node) {
		coap_ka_unsched_final(s);
		coap_ka_pace_ended(cn, s);
		cond_resched();
	}
	list_for_each_entry_safe(s, tmp, dead, sock_node) {
		list_del(&s->sock_node);
		coap_ka_session_put(s);
		cond_resched();
	}
}

/* End the sessions ended from atomic context (coap_ka_session_end()). */
static void coap_ka_reap(struct work_struct *work)
{
	struct coap_ka_net *cn = container_of(work, struct coap_ka_net, reap);
	struct coap_ka_session *s, *tmp;
	struct llist_node *todo;
	LIST_HEAD(dead);

	todo = llist_del_all(&cn->reap_list);
	mutex_lock(&cn->lock);
	llist_for_each_entry_safe(s, tmp, todo, pending_node) {
		if (!s->dead)
			coap_ka_session_unlink(cn, s, s->end_reason, &dead);
		coap_ka_session_put(s);
	}
	mutex_unlock(&cn->lock);
	coap_ka_sessions_finish(cn, &dead);
}

/**
 * coap_ka_session_net_init() - set up a namespace's sessions state
 * @cn: the namespace's state
 *
 * Context: process context (pernet init).
 */
void coap_ka_session_net_init(struct coap_ka_net *cn)
{
	xa_init_flags(&cn->sessions, XA_FLAGS_ALLOC1);
	cn->next_session_id = 1;
	INIT_WORK(&cn->reap, coap_ka_reap);
	init_llist_head(&cn->reap_list);
	INIT_WORK(&cn->work, coap_ka_net_work);
	init_llist_head(&cn->pending);
	timer_setup(&cn->pace_timer, coap_ka_pace_timer, 0);
	xa_init(&cn->held);
	xa_init(&cn->owners);
	coap_ka_wheel_init(&cn->wheel);
}

/**
 * coap_ka_session_net_exit() - end every session of a namespace
 * @cn: the namespace's state
 * @reason: the gone reason they report (see coap_ka_net_exit())
 *
 * Every socket is handed back; work queued meanwhile finds its session
 * dead. Called before the contexts are deleted.
 *
 * Context: process context; sleeps.
 */
void coap_ka_session_net_exit(struct coap_ka_net *cn, u32 reason)
{
	struct coap_ka_owner *o;
	struct coap_ka_session *s;
	unsigned long id;
	LIST_HEAD(dead);

	mutex_lock(&cn->lock);
	xa_for_each(&cn->sessions, id, s) {
		coap_ka_session_unlink(cn, s, reason, &dead);
		cond_resched();
	}
	mutex_unlock(&cn->lock);
	coap_ka_sessions_finish(cn, &dead);
	/*
	 * Ends and sends queued meanwhile find their sessions dead. The work
	 * item hands ends to the reap work: it goes first.
	 */
	timer_shutdown_sync(&cn->pace_timer);
	flush_work(&cn->work);
	flush_work(&cn->reap);
	/* Nothing queues the work any more: drop the Pings it held. */
	coap_ka_pace_prune(cn, true);
	xa_destroy(&cn->held);
	coap_ka_wheel_exit(&cn->wheel);
	xa_destroy(&cn->sessions);
	xa_for_each(&cn->owners, id, o)
		coap_ka_owner_put(o);
	xa_destroy(&cn->owners);
}

/**
 * coap_ka_session_init() - module init of the sessions
 *
 * The session table, the session cache and the module's workqueue.
 *
 * Context: module init.
 * Return: 0, or -ENOMEM or the error of rhashtable_init().
 */
int coap_ka_session_init(void)
{
	int err;

	err = rhashtable_init(&coap_ka_table, &coap_ka_table_params);
	if (err)
		return err;
	err = -ENOMEM;
	coap_ka_session_cache = KMEM_CACHE(coap_ka_session, SLAB_ACCOUNT);
	if (!coap_ka_session_cache)
		goto err_table;
	coap_ka_session6_cache =
		kmem_cache_create("coap_ka_session6",
				  sizeof(struct coap_ka_session) + COAP_KA_ADDR_HI_LEN,
				  __alignof__(struct coap_ka_session), SLAB_ACCOUNT, NULL);
	if (!coap_ka_session6_cache)
		goto err_cache;
	coap_ka_wq = alloc_workqueue("coap_ka", WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	if (!coap_ka_wq)
		goto err_cache6;
	return 0;

err_cache6:
	kmem_cache_destroy(coap_ka_session6_cache);
err_cache:
	kmem_cache_destroy(coap_ka_session_cache);
err_table:
	rhashtable_destroy(&coap_ka_table);
	return err;
}

/**
 * coap_ka_session_exit() - module exit of the sessions
 *
 * Context: module exit, after every session is gone; sleeps.
 */
void coap_ka_session_exit(void)
{
	destroy_workqueue(coap_ka_wq);
	rcu_barrier();
	kmem_cache_destroy(coap_ka_session6_cache);
	kmem_cache_destroy(coap_ka_session_cache);
	rhashtable_destroy(&coap_ka_table);
}
