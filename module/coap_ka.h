/* SPDX-License-Identifier: GPL-2.0 */
/*
 * coap_keepalive: internal interfaces between the module's files.
 */
#ifndef _COAP_KA_H
#define _COAP_KA_H

#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/rhashtable-types.h>
#include <linux/atomic.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/workqueue.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/uidgid.h>
#include <linux/xarray.h>
#include <net/net_namespace.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <linux/coap_keepalive.h>

#include "wheel.h"

struct ctl_table_header;
struct netlink_ext_ack;

/* CoAP message types (RFC 7252), as the first byte's bits 5-4 */
#define COAP_KA_COAP_VERSION	1
#define COAP_KA_TYPE_CON	0
#define COAP_KA_TYPE_NON	1
#define COAP_KA_TYPE_ACK	2
#define COAP_KA_TYPE_RST	3

/*
 * What a user's request allocates: charged to its memory cgroup, and at
 * the cgroup's limit a failed request (ENOMEM), not an OOM kill.
 */
#define COAP_KA_GFP_USER	(GFP_KERNEL_ACCOUNT | __GFP_NORETRY | __GFP_NOWARN)

/* Not a gone reason: the session ends without an event. */
#define COAP_KA_GONE_SILENT	U8_MAX

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

/* The settings attributes, as a mask of attribute numbers. */
#define COAP_KA_SETTINGS	GENMASK(COAP_KA_A_FLAGS, COAP_KA_A_KEEPALIVE_SECS)

/* A session's own settings, which win over its context's. */
struct coap_ka_overrides {
	u32 mask;			/* bits of COAP_KA_SETTINGS */
	struct coap_ka_params p;	/* only the fields in @mask count */
};

struct coap_ka_ctx {
	u32 id;
	kuid_t owner;
	refcount_t refcnt;
	struct coap_ka_params __rcu *params;
	u32 nsessions;		/* under coap_ka_net.lock */
	/* under coap_ka_net.lock: the last bind made with no overrides */
	struct coap_ka_bind *bind;
	struct rcu_head rcu;
};

/* Per network namespace state. */
struct coap_ka_net {
	struct mutex lock;	/* serialises every change below */
	struct xarray ctxs;	/* id -> struct coap_ka_ctx */
	struct xarray sessions;	/* id -> struct coap_ka_session */
	u32 next_ctx_id;	/* cyclic id allocation cursors */
	u32 next_session_id;
	u32 gen;		/* bumped on each change, for dump consistency */
	struct net *net;
	struct work_struct reap;	/* ends sessions from atomic context */
	struct llist_head reap_list;	/* sessions to end, from @work */
	struct work_struct work;	/* sends and events */
	struct llist_head pending;	/* sessions with process-context work */
	struct xarray owners;		/* portid -> struct coap_ka_owner */
	struct coap_ka_wheel wheel;	/* the sessions' deadlines */
	/*
	 * The Ping pacer (session.c): Pings per second the namespace may
	 * send (sysctl net.coap_keepalive.ping_rate_limit, 0: no limit).
	 * The rest only the work item touches, and namespace exit once it
	 * can no longer run.
	 */
	unsigned int ping_rate_limit;
	unsigned long pace_flags;	/* COAP_KA_PACE_* bits */
	struct xarray held;		/* Pings waiting: index -> session */
	u32 held_first, held_end;	/* the oldest's index, the next one's */
	u64 pace_credit;		/* ns x Pings/s; a Ping costs NSEC_PER_SEC */
	u64 pace_stamp;			/* ktime_get_ns() of the last refill */
	struct timer_list pace_timer;	/* runs the work at the next token */
	struct ctl_table_header *sysctl;
};

/* Most Pings per second a namespace's ping_rate_limit may be set to. */
#define COAP_KA_PING_RATE_MAX	10000000

/* Bits of coap_ka_net.pace_flags */
enum {
	COAP_KA_PACE_PRUNE,	/* sessions waiting for a token ended */
};

/*
 * A netlink socket that added sessions: they tell it their events while
 * it is open. Looked up by portid only when it adds or goes away, so that
 * its close costs nothing per session, and a later socket that gets the
 * same portid gets a new one.
 */
struct coap_ka_owner {
	u32 portid;
	bool gone;
	refcount_t refcnt;	/* the owners table's and each session's */
	struct rcu_head rcu;
};

/*
 * What a session runs on and answers to, fixed when it is added: its
 * context, the netlink socket that added it and its own settings.
 * Sessions that differ in none of these share one (a context keeps the
 * last one made without overrides), so that an idle session carries one
 * pointer for the three. Freed with its last session, after that one's
 * RCU grace period.
 */
struct coap_ka_bind {
	struct coap_ka_ctx *ctx;		/* holds a reference */
	struct coap_ka_owner *owner;		/* holds a reference; NULL: none */
	struct coap_ka_overrides *over;		/* NULL: none; its own */
	refcount_t refcnt;	/* each session's, and its context's cache */
};

/* A peer: IPv4 is v4-mapped. */
struct coap_ka_peer {
	struct in6_addr addr;
	__be16 port;
	u16 pad;
};

/*
 * What the session table is looked up by: one session per (socket, peer).
 * A session keeps its peer shorter; the table rebuilds this from it.
 */
struct coap_ka_key {
	struct coap_ka_sock *ks;
	struct coap_ka_peer peer;
};

#define COAP_KA_KEY_LEN	(offsetof(struct coap_ka_key, peer) + sizeof(struct coap_ka_peer))

struct coap_ka_session;
struct coap_ka_params;

/*
 * What differs between the transports: how a socket is taken over and
 * given back, how its timer round goes, how a Ping is written, what a
 * failure is called and how a connection is aborted.
 */
struct coap_ka_transport_ops {
	int (*attach)(struct coap_ka_sock *ks, struct netlink_ext_ack *extack);
	void (*detach)(struct coap_ka_sock *ks);
	/* The timer, @s->lock held: start, retransmit or give up a Ping. */
	void (*timer)(struct coap_ka_session *s, const struct coap_ka_params *p);
	/*
	 * Send what the timer decided: process context (the work item), or
	 * for UDP also the wheel's run (coap_ka_send_now()).
	 */
	void (*ping)(struct coap_ka_session *s);
	void (*abort)(struct coap_ka_sock *ks);
	/* enum coap_ka_nack_reason of the failed Ping, @s->lock not held */
	u32 (*nack_reason)(const struct coap_ka_session *s);
};

extern const struct coap_ka_transport_ops coap_ka_udp_ops;
extern const struct coap_ka_transport_ops coap_ka_tcp_ops;

/*
 * A socket the module watches, and its sessions: many for a UDP server
 * socket, one for a connected socket. Referenced by each of its sessions
 * and by threads inside the socket's operations (proto.c); freed after an
 * RCU grace period. Kept within 64 bytes (a kmalloc-64 object): with a
 * session it is the cost of a connected socket.
 */
struct coap_ka_sock {
	struct sock *sk;		/* holds a reference */
	struct coap_ka_net *cn;
	union {
		/* under cn->lock; each holds a reference, so it is empty ... */
		struct list_head sessions;
		struct rcu_head rcu;	/* ... once the last one is dropped */
	};
	/* its session while it has exactly one (TCP: always), under cn->lock */
	struct coap_ka_session __rcu *one;
	void (*saved_state_change)(struct sock *sk);
	/* A socket's inode number comes from get_next_ino(): 32 bits. */
	u32 ino;
	refcount_t refcnt;
	atomic_t writers;		/* TCP: application threads in sendmsg */
	u8 transport;			/* enum coap_ka_transport */
	/* TCP: written by the application's sends, read under the socket lock */
	bool msg_open;			/* its last write did not end a message */
	bool app_sent;			/* the application has sent data */
	bool tls_sent;			/* ... a record through kTLS */
};

/* What became of a try to write a TCP Ping (coap_ka_tcp_write_ping()). */
enum {
	COAP_KA_TX_SENT,
	COAP_KA_TX_LATER,		/* not at a message boundary, or no room yet */
	COAP_KA_TX_NOT_STARTED,		/* no data (or no kTLS keys) yet */
	COAP_KA_TX_GONE,		/* the connection is going away */
	COAP_KA_TX_UNSUPPORTED,		/* kTLS we cannot seal records for */
};

/* Bits of coap_ka_session.todo: work for the socket's work item. */
enum {
	COAP_KA_TODO_PING,	/* (re)transmit the Ping */
	COAP_KA_TODO_PONG,	/* report the answer */
	COAP_KA_TODO_NACK,	/* report the failure, then the action */
	COAP_KA_TODO_PEER_PING,	/* report the peer's Ping */
	/* on coap_ka_net.pending, or (once it is to end) reap_list */
	COAP_KA_TODO_QUEUED,
	COAP_KA_TODO_REAP,	/* to end: the work item moves it to reap_list */
	COAP_KA_TODO_NOW,	/* the wheel's run sends the Ping itself */
	COAP_KA_TODO_HELD,	/* its Ping waits for the pacer (coap_ka_net.held) */
};

/* The TCP Ping of this round (times as the low 32 bits of jiffies). */
struct coap_ka_tcp_round {
	u32 due;		/* it fell due, then left */
	u32 rx_mark;		/* bytes received (low bits) then */
	u32 una_mark;		/* sequence after it; acked when it fell due */
	u32 ping_j;		/* tcp_jiffies32 it left */
	u16 retry_ms;		/* next wait for a Ping that could not go */
	bool sent;
};

/*
 * A session: (socket, peer). Kept small, as a server may watch many peers:
 * the budget is 160 bytes without lock debugging (checked at build time),
 * 25 to a page. Times in jiffies are kept as their low 32 bits, as TCP
 * keeps its own (coap_ka_j32(), coap_ka_j_past()): an entry is never more
 * than COAP_KA_STAMP_MAX old (coap_ka_stamps_age()). The fields only one
 * transport uses share a union.
 *
 * The peer is kept as its port and the last word of its address, which is
 * the whole of an IPv4 address; an IPv6 peer's first three words follow
 * the session, in an object 12 bytes longer (coap_ka_session_peer(),
 * coap_ka_session_is_peer()).
 */
struct coap_ka_session {
	struct coap_ka_sock *ks;
	__be32 addr_lo;			/* the peer's address, last word */
	__be16 port;			/* the peer's port */
	u16 jitter;			/* thousandths of the idle time, this period's */
	u32 id;
	atomic_t todo;			/* COAP_KA_TODO_*: coap_ka_todo_set() ... */
	struct rhash_head node;
	struct coap_ka_bind *bind;	/* holds a reference; fixed */
	union {
		/* under cn->lock: on its socket's list, then on a dead list */
		struct list_head sock_node;
		struct rcu_head rcu;		/* to free it, after that */
	};
	/* on coap_ka_net.pending, then reap_list, while TODO_QUEUED is set */
	struct llist_node pending_node;
	struct hlist_node wnode;	/* on its namespace's wheel */
	u64 tx_ns;			/* when the Ping last left */
	u32 wexp;			/* jiffies its round is due (wheel.c) */
	u32 last_rx;			/* jiffies, written on the data path */
	u32 last_tx;
	u32 idle_base;			/* jiffies the idle period may start from */
	spinlock_t lock;		/* the Ping state below */
	refcount_t refcnt;
	u32 pings, pongs, nacks;
	u32 rtt_us;
	u16 wslot;			/* level << 8 | slot on the wheel, under its lock */
	u8 state;			/* enum coap_ka_state */
	u8 end_reason;			/* enum coap_ka_gone_reason, on the reap list */
	bool dead;
	u8 nack_reason;			/* UDP: enum coap_ka_nack_reason */
	bool v6;			/* an IPv6 peer: addr_hi[] is there */
	/* The Ping state, under the lock: */
	union {
		struct {	/* UDP */
			u32 late_until;		/* jiffies: answers eaten until */
			u32 timeout_ms;		/* current retransmission timeout */
			u32 retransmissions;
			u32 peer_pings;
			u16 mid;		/* of the Ping in flight */
			u16 peer_mid;		/* of the peer's last Ping */
			u16 app_mid;		/* last MID the application used */
			u8 retries;
			u8 nack_retries;	/* of the failed Ping */
		};
		struct {	/* TCP */
			struct coap_ka_tcp_round tcp;
			u32 deferrals;
		};
	};
	__be32 addr_hi[];		/* IPv6 peers: the address's first words */
};

#define COAP_KA_ADDR_HI_LEN	(3 * sizeof(__be32))

/* The peer of @s, as a table key has it. */
static inline void coap_ka_session_peer(const struct coap_ka_session *s,
					struct coap_ka_peer *peer)
{
	if (s->v6)
		memcpy(&peer->addr, s->addr_hi, COAP_KA_ADDR_HI_LEN);
	else
		ipv6_addr_set_v4mapped(0, &peer->addr);
	peer->addr.s6_addr32[3] = s->addr_lo;
	peer->port = s->port;
	peer->pad = 0;
}

/* Is @peer the peer of @s? */
static inline bool coap_ka_session_is_peer(const struct coap_ka_session *s,
					   const struct coap_ka_peer *peer)
{
	if (s->port != peer->port || s->addr_lo != peer->addr.s6_addr32[3])
		return false;
	if (s->v6)
		return !memcmp(&peer->addr, s->addr_hi, COAP_KA_ADDR_HI_LEN);
	return ipv6_addr_v4mapped(&peer->addr);
}

/*
 * The todo bits, as set_bit() and friends would keep them in an unsigned
 * long (which would take 8 bytes), with the same ordering: the ones that
 * return the old value are fully ordered, the others are not ordered.
 */
static inline bool coap_ka_todo_test(const struct coap_ka_session *s, int bit)
{
	return atomic_read(&s->todo) & BIT(bit);
}

static inline void coap_ka_todo_set(struct coap_ka_session *s, int bit)
{
	atomic_or(BIT(bit), &s->todo);
}

static inline void coap_ka_todo_clear(struct coap_ka_session *s, int bit)
{
	atomic_andnot(BIT(bit), &s->todo);
}

static inline bool coap_ka_todo_test_and_set(struct coap_ka_session *s, int bit)
{
	return atomic_fetch_or(BIT(bit), &s->todo) & BIT(bit);
}

static inline bool coap_ka_todo_test_and_clear(struct coap_ka_session *s,
					       int bit)
{
	return atomic_fetch_andnot(BIT(bit), &s->todo) & BIT(bit);
}

/* Times of a session: the low 32 bits of jiffies. */
static inline u32 coap_ka_j32(void)
{
	return (u32)jiffies;
}

/* A past time kept as its low 32 bits, back in jiffies. */
static inline unsigned long coap_ka_j_past(u32 stamp)
{
	unsigned long now = jiffies;

	return now - (u32)((u32)now - stamp);
}

/*
 * The oldest a session's past times get: older ones read as this old, so
 * that 32 bits never wrap (coap_ka_stamps_age() keeps them so, at least
 * once per turn of the wheel, 2^26 jiffies).
 */
#define COAP_KA_STAMP_MAX	BIT(31)

/* main.c */
extern unsigned int coap_ka_max_ctx_per_user;
extern unsigned int coap_ka_max_sessions_per_user;
extern bool coap_ka_unloading;
struct coap_ka_net *coap_ka_pernet(const struct net *net);

/* context.c */
int coap_ka_ctx_init(void);
void coap_ka_ctx_exit(void);
int coap_ka_net_init(struct coap_ka_net *cn);
void coap_ka_net_exit(struct coap_ka_net *cn, u32 reason);
void coap_ka_params_default(struct coap_ka_params *p);
u32 *coap_ka_param(struct coap_ka_params *p, unsigned int attr);
void coap_ka_params_apply(struct coap_ka_params *dst,
			  const struct coap_ka_params *src, u32 mask);
struct coap_ka_ctx *coap_ka_ctx_create(struct coap_ka_net *cn, kuid_t owner,
				       const struct coap_ka_params *p,
				       struct netlink_ext_ack *extack);
struct coap_ka_ctx *coap_ka_ctx_find(struct coap_ka_net *cn, u32 id);
int coap_ka_ctx_update(struct coap_ka_net *cn, struct coap_ka_ctx *ctx,
		       const struct coap_ka_params *p);
void coap_ka_ctx_delete(struct coap_ka_net *cn, struct coap_ka_ctx *ctx,
			struct list_head *dead);
void coap_ka_ctx_put(struct coap_ka_ctx *ctx);
void coap_ka_bind_put(struct coap_ka_bind *b);
int coap_ka_user_sessions_charge(kuid_t uid, struct netlink_ext_ack *extack);
int coap_ka_user_sessions_charge_many(kuid_t uid, unsigned int count,
				      unsigned int *room,
				      struct netlink_ext_ack *extack);
void coap_ka_user_sessions_uncharge(kuid_t uid);
void coap_ka_user_sessions_uncharge_many(kuid_t uid, unsigned int count);

static inline const struct coap_ka_params *
coap_ka_ctx_params_locked(struct coap_ka_net *cn, const struct coap_ka_ctx *ctx)
{
	return rcu_dereference_protected(ctx->params, lockdep_is_held(&cn->lock));
}

/* wheel.c */
void coap_ka_wheel_init(struct coap_ka_wheel *w);
void coap_ka_wheel_exit(struct coap_ka_wheel *w);
void coap_ka_wheel_entry_init(struct coap_ka_session *s);
void coap_ka_sched(struct coap_ka_session *s, unsigned long expires);
bool coap_ka_send_now(struct coap_ka_session *s);
void coap_ka_unsched_final(struct coap_ka_session *s);

/* session.c */
void coap_ka_session_expire(struct coap_ka_session *s);
struct coap_ka_session *coap_ka_session_add(struct coap_ka_net *cn,
					    struct coap_ka_ctx *ctx,
					    struct socket *sock, u8 transport,
					    const struct coap_ka_peer *peer,
					    struct coap_ka_overrides *over,
					    u32 portid, bool charged,
					    struct netlink_ext_ack *extack);
void coap_ka_session_unlink(struct coap_ka_net *cn, struct coap_ka_session *s,
			    u32 reason, struct list_head *dead);
void coap_ka_sessions_finish(struct coap_ka_net *cn, struct list_head *dead);
void coap_ka_session_kick(struct coap_ka_session *s);
void coap_ka_session_end(struct coap_ka_session *s, u8 reason);
void coap_ka_sock_end_one(struct coap_ka_sock *ks, u8 reason);
void coap_ka_sock_gone(struct coap_ka_sock *ks, u8 reason);
void coap_ka_session_queue(struct coap_ka_session *s, int todo);
void coap_ka_session_put(struct coap_ka_session *s);
struct coap_ka_session *coap_ka_session_find(struct coap_ka_sock *ks,
					     const struct coap_ka_peer *peer);
void coap_ka_session_rx_empty(struct coap_ka_session *s, u8 type, u16 mid,
			      bool *consume);
void coap_ka_session_tx(struct coap_ka_session *s, const u8 *hdr,
			unsigned int len);
bool coap_ka_session_sent_it(struct coap_ka_session *s, const u8 *hdr,
			     unsigned int len);
void coap_ka_idle_restart(struct coap_ka_session *s,
			  const struct coap_ka_params *p);
unsigned long coap_ka_last_activity(const struct coap_ka_session *s,
				    const struct coap_ka_params *p);
unsigned long coap_ka_idle_deadline(const struct coap_ka_session *s,
				    const struct coap_ka_params *p);
unsigned long coap_ka_secs(const struct coap_ka_params *p);
void coap_ka_arm_idle(struct coap_ka_session *s, unsigned long deadline);
const struct coap_ka_params *
coap_ka_session_params(const struct coap_ka_session *s, struct coap_ka_params *buf);
void coap_ka_sock_put(struct coap_ka_sock *ks);
void coap_ka_socks_wait(void);
void coap_ka_session_net_init(struct coap_ka_net *cn);
void coap_ka_session_net_exit(struct coap_ka_net *cn, u32 reason);
void coap_ka_pace_kick(struct coap_ka_net *cn);
void coap_ka_netlink_released(struct net *net, u32 portid);
u32 coap_ka_session_portid(const struct coap_ka_session *s);
bool coap_ka_event_wanted(const struct coap_ka_session *s);
bool coap_ka_sessions_exist(void);
int coap_ka_session_init(void);
void coap_ka_session_exit(void);

/*
 * Is @hdr (the first min(@len, 4) bytes of a CoAP message of @len bytes)
 * an empty message: header only, code 0.00? Then its *@type and *@mid.
 */
static inline bool coap_ka_empty_msg(const u8 *hdr, unsigned int len,
				     u8 *type, u16 *mid)
{
	if (len != 4 || hdr[0] >> 6 != COAP_KA_COAP_VERSION ||
	    (hdr[0] & 0x0f) || hdr[1])
		return false;
	*type = (hdr[0] >> 4) & 3;
	*mid = (hdr[2] << 8) | hdr[3];
	return true;
}

/**
 * coap_ka_session_rx() - a datagram from a UDP session's peer
 * @s: the session
 * @hdr: its first min(@len, 4) bytes
 * @len: its CoAP length
 * @consume: set when the datagram is the kernel's to eat
 *
 * Stamps receive activity; an empty message, which may be a Ping or an
 * answer to one, goes on to coap_ka_session_rx_empty(). Inline: this is
 * all an application's datagram costs on the receive path.
 *
 * Context: softirq (UDP's receive path), under rcu_read_lock().
 */
static inline void coap_ka_session_rx(struct coap_ka_session *s,
				      const u8 *hdr, unsigned int len,
				      bool *consume)
{
	u16 mid;
	u8 type;

	WRITE_ONCE(s->last_rx, coap_ka_j32());
	if (coap_ka_empty_msg(hdr, len, &type, &mid))
		coap_ka_session_rx_empty(s, type, mid, consume);
}

/* proto.c: the watched socket's operations */
struct proto *coap_ka_proto_for(struct sock *sk);
void coap_ka_proto_restore(struct sock *sk);
struct coap_ka_sock *coap_ka_proto_ks(struct sock *sk);
void coap_ka_proto_exit(void);

/* udp.c */
void coap_ka_peer_from_sk(struct sock *sk, struct coap_ka_peer *peer);
bool coap_ka_udp_send_moot(struct coap_ka_sock *ks, u32 then);
void coap_ka_udp_sendmsg_seen(struct coap_ka_sock *ks, struct msghdr *msg,
			      const u8 *hdr, unsigned int len);
void coap_ka_udp_connected(struct coap_ka_sock *ks);
void coap_ka_udp_unhook(struct coap_ka_sock *ks);
void coap_ka_udp_answer(struct coap_ka_session *s, u16 mid);

/* tcp.c */
bool coap_ka_tcp_has_ulp(const struct sock *sk);
void coap_ka_tcp_unprot(struct sock *sk);
void coap_ka_tcp_unhook(struct coap_ka_sock *ks);
void coap_ka_tcp_rehook(struct coap_ka_sock *ks);
void coap_ka_tcp_sent(struct coap_ka_sock *ks, int ret, size_t size, int flags);
unsigned long coap_ka_tcp_last(const struct coap_ka_session *s, bool tx);

/* tls.c */
#define COAP_KA_TLS_MAX_RECORD	32
struct tls_context;
int coap_ka_tls_check(const struct tls_context *tctx,
		      struct netlink_ext_ack *extack);
bool coap_ka_tls_sent(const struct tls_context *tctx);
bool coap_ka_tls_idle(struct tls_context *tctx);
int coap_ka_tls_seal(struct tls_context *tctx, const u8 *data,
		     unsigned int len, u8 *rec, unsigned int *rec_len);
void coap_ka_tls_advance(struct tls_context *tctx);

/* event.c */
void coap_ka_event(struct coap_ka_session *s, u8 cmd, u32 reason);
int coap_ka_nl_put_peer(struct sk_buff *msg, const struct coap_ka_session *s);

static inline const struct coap_ka_transport_ops *
coap_ka_ops(const struct coap_ka_sock *ks)
{
	return ks->transport == COAP_KA_TRANSPORT_UDP ? &coap_ka_udp_ops :
							&coap_ka_tcp_ops;
}

static inline bool coap_ka_is_tcp(const struct coap_ka_sock *ks)
{
	return ks->transport != COAP_KA_TRANSPORT_UDP;
}

/*
 * The coap_ka_sock published on @sk, under RCU. Ours is marked with
 * SK_USER_DATA_NOCOPY, which also keeps it from accepted children.
 */
static inline struct coap_ka_sock *coap_ka_sk_ks_rcu(const struct sock *sk)
{
	return __rcu_dereference_sk_user_data_with_flags(sk, SK_USER_DATA_NOCOPY);
}

/*
 * The same, stable: under the socket lock (we publish and unpublish with
 * it and the callback lock held) or under the namespace's lock.
 */
static inline struct coap_ka_sock *coap_ka_sk_ks(const struct sock *sk)
{
	struct coap_ka_sock *ks;

	rcu_read_lock();
	ks = coap_ka_sk_ks_rcu(sk);
	rcu_read_unlock();
	return ks;
}

/* netlink.c */
extern struct genl_family coap_ka_genl_family;
int coap_ka_nl_init(void);
void coap_ka_nl_exit(void);

#endif /* _COAP_KA_H */
