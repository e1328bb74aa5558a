/* SPDX-License-Identifier: GPL-2.0 */
/*
 * coap_keepalive: internal interfaces between the module's files.
 */
#ifndef _COAP_KA_H
#define _COAP_KA_H

#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/rhashtable-types.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/workqueue.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/uidgid.h>
#include <linux/xarray.h>
#include <net/net_namespace.h>
#include <net/sock.h>
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
	unsigned int nsocks;	/* watched sockets */
	bool hooks;		/* LOCAL_OUT hooks registered (see udp.c) */
	struct net *net;
	struct work_struct reap;	/* ends aborted sessions */
	struct llist_head reap_list;	/* sessions to end */
};

/* A peer, as the key of a socket's session table: IPv4 is v4-mapped. */
struct coap_ka_peer {
	struct in6_addr addr;
	__be16 port;
	u16 pad;
};

/*
 * A socket the module watches, and its sessions: many for a UDP server
 * socket, one for a TCP connection.
 */
struct coap_ka_sock {
	struct sock *sk;		/* holds a reference */
	struct coap_ka_net *cn;
	struct rhashtable peers;	/* struct coap_ka_peer -> session */
	struct list_head sessions;	/* under cn->lock */
	struct llist_head pending;	/* sessions with process-context work */
	struct work_struct work;
	unsigned long ino;
	u8 transport;			/* enum coap_ka_transport */
	bool connected;
	bool orphan;			/* no sessions; its closer frees it */
	/* TCP: under the socket lock */
	bool app_sent;			/* the application has sent data */
	bool tls_sent;			/* ... a record through kTLS */
	/* TCP: the Ping of this round, under the session's lock */
	bool ping_sent;
	u32 ping_j;			/* tcp_jiffies32 it left */
	u32 una_mark;			/* sequence after it; acked when it fell due */
	u64 rx_mark;			/* bytes received when it fell due, then left */
	unsigned long due;		/* jiffies it fell due, then left */
	void (*saved_state_change)(struct sock *sk);
};

/* What became of a try to write a TCP Ping (coap_ka_tcp_ping()). */
enum {
	COAP_KA_TX_SENT,
	COAP_KA_TX_LATER,		/* not at a message boundary yet */
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
	COAP_KA_TODO_RST,	/* answer the peer's Ping */
	COAP_KA_TODO_QUEUED,	/* on coap_ka_sock.pending */
	COAP_KA_TODO_REAP,	/* on coap_ka_net.reap_list */
};

/*
 * A session: (socket, peer). Kept small, as a server may watch many peers:
 * the budget is 256 bytes without lock debugging (checked at build time).
 */
struct coap_ka_session {
	struct coap_ka_peer peer;
	u32 id;
	struct rhash_head node;
	struct coap_ka_sock *ks;
	struct coap_ka_ctx *ctx;	/* holds a reference */
	const struct coap_ka_overrides *over;	/* NULL: none; fixed */
	union {
		/* under cn->lock: on its socket's list, then on a dead list */
		struct list_head sock_node;
		struct rcu_head rcu;		/* to free it, after that */
	};
	struct llist_node pending_node;	/* on coap_ka_sock.pending */
	struct llist_node reap_node;	/* on coap_ka_net.reap_list */
	struct timer_list timer;
	unsigned long todo;
	unsigned long last_rx;		/* jiffies, written on the data path */
	unsigned long last_tx;
	unsigned long idle_base;	/* jiffies the idle period may start from */
	u64 tx_ns;			/* when the Ping last left */
	spinlock_t lock;		/* the Ping state below */
	refcount_t refcnt;
	u32 portid;			/* netlink socket that added it, 0: gone */
	u32 jitter;			/* jiffies, this idle period's */
	u32 timeout_ms;			/* current retransmission timeout */
	u32 pings, retransmissions, pongs, nacks, peer_pings;
	u32 rtt_us;
	u16 mid;			/* of the Ping in flight */
	u16 app_mid;			/* last MID the application used */
	u16 peer_mid;			/* of the peer's last Ping */
	u8 state;			/* enum coap_ka_state */
	u8 retries;
	u8 nack_retries;		/* retransmissions of the failed Ping */
	u8 end_reason;			/* enum coap_ka_gone_reason, on the reap list */
	bool dead;
	bool ks_last;			/* its socket ends with it */
};

/* main.c */
extern unsigned int coap_ka_max_ctx_per_user;
extern bool coap_ka_unloading;
struct coap_ka_net *coap_ka_pernet(const struct net *net);

/* context.c */
int coap_ka_ctx_init(void);
void coap_ka_ctx_exit(void);
void coap_ka_net_init(struct coap_ka_net *cn);
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

static inline const struct coap_ka_params *
coap_ka_ctx_params_locked(struct coap_ka_net *cn, const struct coap_ka_ctx *ctx)
{
	return rcu_dereference_protected(ctx->params, lockdep_is_held(&cn->lock));
}

/* session.c */
struct coap_ka_session *coap_ka_session_add(struct coap_ka_net *cn,
					    struct coap_ka_ctx *ctx,
					    struct socket *sock, u8 transport,
					    const struct coap_ka_peer *peer,
					    struct coap_ka_overrides *over,
					    u32 portid,
					    struct netlink_ext_ack *extack);
void coap_ka_session_unlink(struct coap_ka_net *cn, struct coap_ka_session *s,
			    u32 reason, struct list_head *dead);
void coap_ka_sessions_finish(struct coap_ka_net *cn, struct list_head *dead);
void coap_ka_session_kick(struct coap_ka_session *s);
void coap_ka_session_end(struct coap_ka_session *s, u8 reason);
void coap_ka_session_queue(struct coap_ka_session *s, int todo);
void coap_ka_session_put(struct coap_ka_session *s);
void coap_ka_session_rx(struct coap_ka_session *s, const u8 *hdr,
			unsigned int len, bool *consume);
void coap_ka_session_tx(struct coap_ka_session *s, const u8 *hdr,
			unsigned int len);
bool coap_ka_session_sent_it(struct coap_ka_session *s, const u8 *hdr,
			     unsigned int len);
void coap_ka_sock_closed(struct coap_ka_sock *ks);
void coap_ka_session_net_init(struct coap_ka_net *cn);
void coap_ka_session_net_exit(struct coap_ka_net *cn, u32 reason);
void coap_ka_netlink_released(struct net *net, u32 portid);
int coap_ka_session_init(void);
void coap_ka_session_exit(void);

/* udp.c */
int coap_ka_udp_attach(struct coap_ka_sock *ks, struct netlink_ext_ack *extack);
bool coap_ka_udp_detach(struct coap_ka_sock *ks, bool closing);
void coap_ka_udp_wait_closers(void);
bool coap_ka_udp_owns(const struct sock *sk);
int coap_ka_udp_send(struct coap_ka_session *s, const u8 *buf, size_t len);
int coap_ka_out_hooks_get(struct coap_ka_net *cn);
void coap_ka_out_hooks_put(struct coap_ka_net *cn);
void coap_ka_out_hooks_exit(struct coap_ka_net *cn);
void coap_ka_peer_from_sk(struct sock *sk, struct coap_ka_peer *peer);
extern const struct rhashtable_params coap_ka_peer_params;

/* tcp.c */
int coap_ka_tcp_attach(struct coap_ka_sock *ks, struct netlink_ext_ack *extack);
void coap_ka_tcp_detach(struct coap_ka_sock *ks);
bool coap_ka_tcp_owns(const struct sock *sk);
void coap_ka_tcp_out(struct sock *sk);
void coap_ka_tcp_stamps(struct coap_ka_session *s, bool tx);
unsigned long coap_ka_tcp_last(const struct coap_ka_session *s, bool tx);
u64 coap_ka_tcp_rx_bytes(const struct coap_ka_sock *ks);
bool coap_ka_tcp_acked(const struct coap_ka_sock *ks, u32 seq);
u32 coap_ka_tcp_una(const struct coap_ka_sock *ks);
u32 coap_ka_tcp_rtt_us(const struct coap_ka_sock *ks, u32 ping_j, bool empty);
int coap_ka_tcp_ping(struct coap_ka_sock *ks, bool empty, u32 *end_seq,
		     u64 *rx_bytes);
void coap_ka_tcp_abort(struct coap_ka_sock *ks);
void coap_ka_tcp_gone(struct coap_ka_session *s);

static inline bool coap_ka_is_tcp(const struct coap_ka_sock *ks)
{
	return ks->transport == COAP_KA_TRANSPORT_TCP ||
	       ks->transport == COAP_KA_TRANSPORT_TLS;
}

/* tls.c */
struct tls_context;
int coap_ka_tls_check(const struct tls_context *tctx,
		      struct netlink_ext_ack *extack);
bool coap_ka_tls_sent(const struct tls_context *tctx);
bool coap_ka_tls_idle(struct tls_context *tctx);
int coap_ka_tls_push(struct sock *sk, struct tls_context *tctx,
		     const u8 *data, unsigned int len);

/* event.c */
void coap_ka_event(struct coap_ka_session *s, u8 cmd, u32 reason);
int coap_ka_nl_put_peer(struct sk_buff *msg, const struct coap_ka_peer *peer);

/*
 * The coap_ka_sock published on @sk, if any; stable under @cn->lock,
 * under which it is published and unpublished.
 */
static inline struct coap_ka_sock *coap_ka_sk_sock(struct sock *sk,
						   struct coap_ka_net *cn)
{
	struct coap_ka_sock *ks;

	lockdep_assert_held(&cn->lock);
	rcu_read_lock();
	ks = rcu_dereference_sk_user_data(sk);
	rcu_read_unlock();
	return ks;
}

/* netlink.c */
extern struct genl_family coap_ka_genl_family;
int coap_ka_nl_init(void);
void coap_ka_nl_exit(void);

#endif /* _COAP_KA_H */
