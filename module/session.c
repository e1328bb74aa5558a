// SPDX-License-Identifier: GPL-2.0
/*
 * coap_keepalive: sessions and the keepalive state machine.
 *
 * A session is (socket, peer). Its data path only stamps jiffies and looks
 * at 4-byte CoAP headers; one timer per session does the rest, lazily:
 * when it fires it compares the last activity with the idle deadline and
 * re-arms for the remainder, as TCP keepalive does. Anything that sleeps
 * (sending, events, ending a session) runs from the socket's work item.
 *
 * Locking: coap_ka_net.lock (mutex) covers membership (id table, socket
 * and context lists); coap_ka_session.lock (BH spinlock) covers the Ping
 * state. Sessions are freed after an RCU grace period: the receive and
 * transmit hooks find them under RCU.
 */
#include <linux/file.h>
#include <linux/net.h>
#include <linux/netlink.h>
#include <linux/random.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/sock.h>

#include "coap_ka.h"
#include "compat.h"

#define COAP_KA_COAP_VERSION	1
#define COAP_KA_TYPE_CON	0
#define COAP_KA_TYPE_NON	1
#define COAP_KA_TYPE_ACK	2
#define COAP_KA_TYPE_RST	3

static struct kmem_cache *coap_ka_session_cache;
static struct workqueue_struct *coap_ka_wq;

const struct rhashtable_params coap_ka_peer_params = {
	.key_len = sizeof(struct coap_ka_peer),
	.key_offset = offsetof(struct coap_ka_session, peer),
	.head_offset = offsetof(struct coap_ka_session, node),
	.automatic_shrinking = true,
};

/*
 * The budget of an idle session (design figure; `make bench` measures the
 * whole cost). Lock debugging makes spinlocks and timers larger.
 */
#if !defined(CONFIG_DEBUG_SPINLOCK) && !defined(CONFIG_LOCKDEP)
static_assert(sizeof(struct coap_ka_session) <= 256);
#endif

static void coap_ka_session_free_rcu(struct rcu_head *head)
{
	struct coap_ka_session *s = container_of(head, struct coap_ka_session, rcu);

	kfree(s->over);
	kmem_cache_free(coap_ka_session_cache, s);
}

/*
 * The settings @s runs on: its context's, under its own overrides. Under
 * RCU; @buf holds the merged copy when there are overrides.
 */
static const struct coap_ka_params *
coap_ka_session_params(const struct coap_ka_session *s, struct coap_ka_params *buf)
{
	const struct coap_ka_params *p = rcu_dereference(s->ctx->params);

	if (likely(!s->over))
		return p;
	*buf = *p;
	coap_ka_params_apply(buf, &s->over->p, s->over->mask);
	return buf;
}

void coap_ka_session_put(struct coap_ka_session *s)
{
	if (refcount_dec_and_test(&s->refcnt)) {
		coap_ka_ctx_put(s->ctx);
		call_rcu(&s->rcu, coap_ka_session_free_rcu);
	}
}

/* Hand work to process context; @s->lock held and @s alive. */
void coap_ka_session_queue(struct coap_ka_session *s, int todo)
{
	set_bit(todo, &s->todo);
	if (test_and_set_bit(COAP_KA_TODO_QUEUED, &s->todo))
		return;
	refcount_inc(&s->refcnt);
	llist_add(&s->pending_node, &s->ks->pending);
	queue_work(coap_ka_wq, &s->ks->work);
}

static unsigned long coap_ka_secs(const struct coap_ka_params *p)
{
	return (unsigned long)p->keepalive_secs * HZ;
}

/* Start a new idle period now; @s->lock held. */
static void coap_ka_idle_restart(struct coap_ka_session *s,
				 const struct coap_ka_params *p)
{
	unsigned long span = coap_ka_secs(p) / 100 * p->jitter_pct;

	s->state = COAP_KA_STATE_IDLE;
	s->idle_base = jiffies;
	s->jitter = span ? get_random_u32_below(span + 1) : 0;
}

/* When the session last showed life, by the context's activity rule. */
static unsigned long coap_ka_last_activity(const struct coap_ka_session *s,
					   const struct coap_ka_params *p)
{
	unsigned long t = READ_ONCE(s->last_rx);
	unsigned long tx = READ_ONCE(s->last_tx);

	if (p->activity == COAP_KA_ACTIVITY_RXTX && time_after(tx, t))
		t = tx;
	if (time_after(s->idle_base, t))
		t = s->idle_base;
	return t;
}

/*
 * Message IDs of our Pings come from the half of the MID space opposite
 * the application's latest MID towards this peer, and advance by one per
 * Ping: the application would have to send 16384 messages to the peer
 * between two of our Pings for one of its MIDs to meet ours.
 */
static u16 coap_ka_next_mid(struct coap_ka_session *s)
{
	return (u16)(READ_ONCE(s->app_mid) + 0x8000 + (s->pings & 0x3fff));
}

static u32 coap_ka_first_timeout(const struct coap_ka_params *p)
{
	u32 spread = (u64)p->ack_timeout_ms * (p->random_factor - 1000) / 1000;

	return p->ack_timeout_ms + get_random_u32_below(spread + 1);
}

/* How long a TCP session waits for the peer after a Ping fell due. */
static unsigned long coap_ka_pong_timeout(const struct coap_ka_params *p)
{
	return p->pong_timeout_ms ? msecs_to_jiffies(p->pong_timeout_ms) :
				    coap_ka_secs(p);
}

/* A TCP Ping not at a message boundary yet is tried again this often. */
#define COAP_KA_TCP_RETRY	msecs_to_jiffies(10)

/*
 * The TCP round, from the timer; @s->lock held. Activity is TCP's; while a
 * Ping is due the timer has it written until it could be, then polls
 * TCP's counters for the answer at a quarter of the time since it left
 * (at most 250 ms). The pong timeout runs from the Ping leaving, or, for
 * one that never could, from it falling due.
 */
static void coap_ka_tcp_timer(struct coap_ka_session *s,
			      const struct coap_ka_params *p)
{
	bool empty = p->flags & COAP_KA_F_EMPTY_PING;
	struct coap_ka_sock *ks = s->ks;
	unsigned long now = jiffies;
	unsigned long deadline, step;
	bool data, acked;

	if (s->state == COAP_KA_STATE_IDLE) {
		coap_ka_tcp_stamps(s, true);
		deadline = coap_ka_last_activity(s, p) + coap_ka_secs(p) - s->jitter;
		if (time_before(now, deadline)) {
			mod_timer(&s->timer, deadline);
			return;
		}
		s->state = COAP_KA_STATE_PINGING;
		ks->ping_sent = false;
		ks->due = now;
		ks->rx_mark = coap_ka_tcp_rx_bytes(ks);
		ks->una_mark = coap_ka_tcp_una(ks);
		coap_ka_session_queue(s, COAP_KA_TODO_PING);
		mod_timer(&s->timer, now + COAP_KA_TCP_RETRY);
		return;
	}

	deadline = ks->due + coap_ka_pong_timeout(p);
	data = coap_ka_tcp_rx_bytes(ks) != ks->rx_mark;
	/*
	 * A Ping that could not leave in the whole pong timeout (the
	 * application kept writing) is no failure if the peer kept
	 * acknowledging that data.
	 */
	if (ks->ping_sent)
		acked = empty && coap_ka_tcp_acked(ks, ks->una_mark);
	else
		acked = !time_before(now, deadline) &&
			coap_ka_tcp_una(ks) != ks->una_mark;
	if (data || acked) {
		/* Data before our Ping left is only activity. */
		if (ks->ping_sent) {
			s->pongs++;
			s->rtt_us = coap_ka_tcp_rtt_us(ks, ks->ping_j, !data);
			coap_ka_session_queue(s, COAP_KA_TODO_PONG);
		}
		coap_ka_tcp_stamps(s, false);
		coap_ka_idle_restart(s, p);
		mod_timer(&s->timer, now + coap_ka_secs(p) - s->jitter);
		return;
	}
	if (!time_before(now, deadline)) {
		s->nacks++;
		s->nack_retries = 0;
		coap_ka_session_queue(s, COAP_KA_TODO_NACK);
		coap_ka_idle_restart(s, p);
		mod_timer(&s->timer, now + coap_ka_secs(p) - s->jitter);
		return;
	}
	if (!ks->ping_sent) {
		coap_ka_session_queue(s, COAP_KA_TODO_PING);
		step = COAP_KA_TCP_RETRY;
	} else {
		step = clamp((now - ks->due) / 4, 1UL, (unsigned long)HZ / 4);
	}
	mod_timer(&s->timer, time_before(now + step, deadline) ? now + step : deadline);
}

static void coap_ka_timer(struct timer_list *t)
{
	struct coap_ka_session *s = from_timer(s, t, timer);
	const struct coap_ka_params *p;
	struct coap_ka_params buf;
	unsigned long deadline;

	rcu_read_lock();
	p = coap_ka_session_params(s, &buf);
	spin_lock(&s->lock);
	if (s->dead)
		goto out;
	if (!p->keepalive_secs) {
		/* Disabled: drop any Ping in flight; a change re-kicks us. */
		s->state = COAP_KA_STATE_IDLE;
		goto out;
	}
	if (coap_ka_is_tcp(s->ks)) {
		coap_ka_tcp_timer(s, p);
		goto out;
	}
	if (s->state == COAP_KA_STATE_IDLE) {
		deadline = coap_ka_last_activity(s, p) + coap_ka_secs(p) - s->jitter;
		if (time_before(jiffies, deadline)) {
			mod_timer(&s->timer, deadline);
			goto out;
		}
		s->state = COAP_KA_STATE_PINGING;
		s->retries = 0;
		s->mid = coap_ka_next_mid(s);
		s->pings++;
		s->timeout_ms = coap_ka_first_timeout(p);
		coap_ka_session_queue(s, COAP_KA_TODO_PING);
	} else if (s->retries < p->max_retransmit) {
		s->retries++;
		s->retransmissions++;
		s->timeout_ms *= 2;
		coap_ka_session_queue(s, COAP_KA_TODO_PING);
	} else {
		s->nacks++;
		s->nack_retries = s->retries;
		coap_ka_session_queue(s, COAP_KA_TODO_NACK);
		coap_ka_idle_restart(s, p);
		mod_timer(&s->timer, jiffies + coap_ka_secs(p) - s->jitter);
	}
out:
	spin_unlock(&s->lock);
	rcu_read_unlock();
}

/* Re-evaluate now, e.g. after the context changed. */
void coap_ka_session_kick(struct coap_ka_session *s)
{
	const struct coap_ka_params *p;
	struct coap_ka_params buf;
	u32 lo, hi;
	s64 left;

	rcu_read_lock();
	p = coap_ka_session_params(s, &buf);
	spin_lock_bh(&s->lock);
	if (s->dead)
		goto out;
	if (s->state != COAP_KA_STATE_PINGING || !p->keepalive_secs ||
	    coap_ka_is_tcp(s->ks)) {
		/* The timer works out the new deadlines. */
		mod_timer(&s->timer, jiffies);
		goto out;
	}
	/* A Ping not sent yet gets its timer when it leaves. */
	if (test_bit(COAP_KA_TODO_PING, &s->todo))
		goto out;
	/*
	 * A Ping in flight keeps its retransmission timeout if the new
	 * settings allow it, or draws one from them; either way it is due
	 * that long after the Ping left, not now.
	 */
	lo = p->ack_timeout_ms << s->retries;
	hi = (u64)lo * p->random_factor / 1000;
	if (s->timeout_ms < lo || s->timeout_ms > hi)
		s->timeout_ms = coap_ka_first_timeout(p) << s->retries;
	left = (s64)s->timeout_ms * NSEC_PER_MSEC - (ktime_get_ns() - s->tx_ns);
	mod_timer(&s->timer, jiffies + (left > 0 ? nsecs_to_jiffies(left) : 0));
out:
	spin_unlock_bh(&s->lock);
	rcu_read_unlock();
}

static bool coap_ka_empty_msg(const u8 *hdr, unsigned int len, u8 *type,
			      u16 *mid)
{
	if (len != 4 || hdr[0] >> 6 != COAP_KA_COAP_VERSION ||
	    (hdr[0] & 0x0f) || hdr[1])
		return false;
	*type = (hdr[0] >> 4) & 3;
	*mid = (hdr[2] << 8) | hdr[3];
	return true;
}

/*
 * A datagram from the peer, in softirq under RCU. @hdr holds its first
 * min(@len, 4) bytes. Sets @consume when it was ours to answer or eat.
 */
void coap_ka_session_rx(struct coap_ka_session *s, const u8 *hdr,
			unsigned int len, bool *consume)
{
	const struct coap_ka_params *p;
	struct coap_ka_params buf;
	u16 mid;
	u8 type;

	WRITE_ONCE(s->last_rx, jiffies);
	if (!coap_ka_empty_msg(hdr, len, &type, &mid))
		return;

	p = coap_ka_session_params(s, &buf);
	spin_lock(&s->lock);
	if (s->dead)
		goto out;
	if ((type == COAP_KA_TYPE_RST || type == COAP_KA_TYPE_ACK) &&
	    s->pings && mid == s->mid && s->state != COAP_KA_STATE_PINGING) {
		/* A late or repeated answer to our last Ping: ours to eat. */
		*consume = true;
	} else if ((type == COAP_KA_TYPE_RST || type == COAP_KA_TYPE_ACK) &&
		   s->state == COAP_KA_STATE_PINGING && mid == s->mid) {
		s->rtt_us = div_u64(ktime_get_ns() - s->tx_ns, NSEC_PER_USEC);
		s->pongs++;
		coap_ka_idle_restart(s, p);
		if (p->keepalive_secs)
			mod_timer(&s->timer, jiffies + coap_ka_secs(p) - s->jitter);
		coap_ka_session_queue(s, COAP_KA_TODO_PONG);
		*consume = true;
	} else if (type == COAP_KA_TYPE_CON) {
		s->peer_pings++;
		s->peer_mid = mid;
		coap_ka_session_queue(s, COAP_KA_TODO_PEER_PING);
		if (p->flags & COAP_KA_F_ANSWER_PINGS) {
			coap_ka_session_queue(s, COAP_KA_TODO_RST);
			*consume = true;
		}
	}
out:
	spin_unlock(&s->lock);
}

/* Is this datagram to the peer one the kernel sent (a Ping or a Reset)? */
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

/* A datagram to the peer, from any context under RCU. */
void coap_ka_session_tx(struct coap_ka_session *s, const u8 *hdr,
			unsigned int len)
{
	u8 type;

	/* Our own Ping or Reset is not the application's activity. */
	if (coap_ka_session_sent_it(s, hdr, len))
		return;
	if (len >= 4 && hdr[0] >> 6 == COAP_KA_COAP_VERSION) {
		type = (hdr[0] >> 4) & 3;
		if (type == COAP_KA_TYPE_CON || type == COAP_KA_TYPE_NON)
			WRITE_ONCE(s->app_mid, (hdr[2] << 8) | hdr[3]);
	}
	WRITE_ONCE(s->last_tx, jiffies);
}

static void coap_ka_session_send_empty(struct coap_ka_session *s, u8 type,
				       u16 mid)
{
	u8 msg[4] = {
		COAP_KA_COAP_VERSION << 6 | type << 4, 0, mid >> 8, mid & 0xff,
	};

	/* A lost transmission is a lost datagram: the timer retries. */
	coap_ka_udp_send(s, msg, sizeof(msg));
}

/*
 * End @s from any context, e.g. under RCU from a socket callback: the
 * reap work unlinks it. The first reason given is the one reported.
 */
void coap_ka_session_end(struct coap_ka_session *s, u8 reason)
{
	struct coap_ka_net *cn = s->ks->cn;

	if (test_bit(COAP_KA_TODO_REAP, &s->todo))
		return;
	spin_lock_bh(&s->lock);
	/* Not dead: its tables still hold their reference. */
	if (!s->dead && !test_and_set_bit(COAP_KA_TODO_REAP, &s->todo)) {
		s->end_reason = reason;
		refcount_inc(&s->refcnt);
		llist_add(&s->reap_node, &cn->reap_list);
		queue_work(coap_ka_wq, &cn->reap);
	}
	spin_unlock_bh(&s->lock);
}

static void coap_ka_session_abort(struct coap_ka_session *s)
{
	struct coap_ka_sock *ks = s->ks;

	coap_ka_session_end(s, COAP_KA_GONE_ABORTED);
	if (coap_ka_is_tcp(ks)) {
		coap_ka_tcp_abort(ks);
	} else if (ks->connected) {
		WRITE_ONCE(ks->sk->sk_err, ETIMEDOUT);
		sk_error_report(ks->sk);
	}
}

/* Write the TCP Ping of this round, if the stream is at a boundary. */
static void coap_ka_tcp_process_ping(struct coap_ka_session *s)
{
	struct coap_ka_sock *ks = s->ks;
	const struct coap_ka_params *p;
	struct coap_ka_params buf;
	bool empty, go;
	u64 rx;
	u32 seq;
	int ret;

	rcu_read_lock();
	p = coap_ka_session_params(s, &buf);
	empty = p->flags & COAP_KA_F_EMPTY_PING;
	rcu_read_unlock();

	spin_lock_bh(&s->lock);
	go = !s->dead && s->state == COAP_KA_STATE_PINGING && !ks->ping_sent;
	spin_unlock_bh(&s->lock);
	if (!go)
		return;

	ret = coap_ka_tcp_ping(ks, empty, &seq, &rx);

	rcu_read_lock();
	p = coap_ka_session_params(s, &buf);
	spin_lock_bh(&s->lock);
	if (ret == COAP_KA_TX_SENT)
		s->pings++;
	if (s->dead || s->state != COAP_KA_STATE_PINGING) {
		/* Answered (by earlier data) meanwhile: a Ping that left is harmless. */
	} else if (ret == COAP_KA_TX_SENT) {
		ks->ping_sent = true;
		/*
		 * The peer has the whole pong timeout from here; what TCP
		 * takes in from now on answers the Ping.
		 */
		ks->due = jiffies;
		ks->rx_mark = rx;
		ks->ping_j = (u32)jiffies;	/* TCP's clock */
		ks->una_mark = seq;
		s->tx_ns = ktime_get_ns();
	} else if (ret == COAP_KA_TX_NOT_STARTED) {
		/* Nothing to keep alive yet: a new idle period. */
		coap_ka_idle_restart(s, p);
		if (p->keepalive_secs)
			mod_timer(&s->timer, jiffies + coap_ka_secs(p) - s->jitter);
	}
	spin_unlock_bh(&s->lock);
	rcu_read_unlock();

	if (ret == COAP_KA_TX_GONE)
		coap_ka_tcp_gone(s);
	else if (ret == COAP_KA_TX_UNSUPPORTED)
		coap_ka_session_end(s, COAP_KA_GONE_UNSUPPORTED);
}

static void coap_ka_session_process(struct coap_ka_session *s)
{
	const struct coap_ka_params *p;
	struct coap_ka_params buf;
	bool dead;
	u16 mid;
	bool ping = false;
	u8 action;

	clear_bit(COAP_KA_TODO_QUEUED, &s->todo);
	spin_lock_bh(&s->lock);
	dead = s->dead;
	mid = s->mid;
	/*
	 * The Ping's clock starts as it leaves; under the lock, so that a
	 * context change (coap_ka_session_kick()) sees either a Ping still
	 * to send or one with its time and timer.
	 */
	if (!dead && !coap_ka_is_tcp(s->ks) &&
	    test_and_clear_bit(COAP_KA_TODO_PING, &s->todo) &&
	    s->state == COAP_KA_STATE_PINGING) {
		s->tx_ns = ktime_get_ns();
		mod_timer(&s->timer, jiffies + msecs_to_jiffies(s->timeout_ms));
		ping = true;
	}
	spin_unlock_bh(&s->lock);
	if (dead)
		return;

	if (coap_ka_is_tcp(s->ks) && test_and_clear_bit(COAP_KA_TODO_PING, &s->todo))
		coap_ka_tcp_process_ping(s);
	if (ping)
		coap_ka_session_send_empty(s, COAP_KA_TYPE_CON, mid);
	if (test_and_clear_bit(COAP_KA_TODO_RST, &s->todo))
		coap_ka_session_send_empty(s, COAP_KA_TYPE_RST,
					   READ_ONCE(s->peer_mid));
	if (test_and_clear_bit(COAP_KA_TODO_PONG, &s->todo))
		coap_ka_event(s, COAP_KA_CMD_PONG_NTF, 0);
	if (test_and_clear_bit(COAP_KA_TODO_PEER_PING, &s->todo))
		coap_ka_event(s, COAP_KA_CMD_PING_NTF, 0);
	if (test_and_clear_bit(COAP_KA_TODO_NACK, &s->todo)) {
		coap_ka_event(s, COAP_KA_CMD_NACK_NTF,
			      coap_ka_is_tcp(s->ks) ? COAP_KA_NACK_NO_PONG :
						      COAP_KA_NACK_TOO_MANY_RETRIES);
		rcu_read_lock();
		p = coap_ka_session_params(s, &buf);
		action = p->action;
		rcu_read_unlock();
		if (action == COAP_KA_ACTION_ABORT)
			coap_ka_session_abort(s);
	}
}

static void coap_ka_sock_work(struct work_struct *work)
{
	struct coap_ka_sock *ks = container_of(work, struct coap_ka_sock, work);
	struct coap_ka_session *s, *tmp;
	struct llist_node *list;

	list = llist_del_all(&ks->pending);
	llist_for_each_entry_safe(s, tmp, list, pending_node) {
		coap_ka_session_process(s);
		coap_ka_session_put(s);
	}
}

/* Is @sk's sk_user_data ours? */
static bool coap_ka_owns(const struct sock *sk)
{
	return sk->sk_protocol == IPPROTO_TCP ? coap_ka_tcp_owns(sk) :
						coap_ka_udp_owns(sk);
}

static struct coap_ka_sock *coap_ka_sock_new(struct coap_ka_net *cn,
					     struct socket *sock, u8 transport)
{
	struct coap_ka_sock *ks;

	ks = kzalloc(sizeof(*ks), GFP_KERNEL_ACCOUNT);
	if (!ks)
		return NULL;
	if (rhashtable_init(&ks->peers, &coap_ka_peer_params)) {
		kfree(ks);
		return NULL;
	}
	ks->sk = sock->sk;
	ks->cn = cn;
	ks->ino = sock_i_ino(sock->sk);
	ks->connected = sock->sk->sk_state == TCP_ESTABLISHED;
	ks->transport = transport;
	INIT_LIST_HEAD(&ks->sessions);
	init_llist_head(&ks->pending);
	INIT_WORK(&ks->work, coap_ka_sock_work);
	sock_hold(ks->sk);
	return ks;
}

static void coap_ka_sock_free(struct coap_ka_sock *ks)
{
	rhashtable_destroy(&ks->peers);
	sock_put(ks->sk);
	kfree(ks);
}

/* Give the socket back; false if a UDP socket's closer will (see udp.c). */
static bool coap_ka_sock_detach(struct coap_ka_sock *ks, bool closing)
{
	if (!coap_ka_is_tcp(ks))
		return coap_ka_udp_detach(ks, closing);
	coap_ka_tcp_detach(ks);
	return true;
}

struct coap_ka_session *coap_ka_session_add(struct coap_ka_net *cn,
					    struct coap_ka_ctx *ctx,
					    struct socket *sock, u8 transport,
					    const struct coap_ka_peer *peer,
					    struct coap_ka_overrides *over,
					    u32 portid,
					    struct netlink_ext_ack *extack)
{
	struct sock *sk = sock->sk;
	struct coap_ka_params buf;
	struct coap_ka_session *s;
	struct coap_ka_sock *ks;
	bool new_ks = false;
	int err;

	lockdep_assert_held(&cn->lock);

	ks = coap_ka_sk_sock(sk, cn);
	if (ks && !coap_ka_owns(sk)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "socket is already used by another kernel facility (sk_user_data is set)");
		return ERR_PTR(-EBUSY);
	}
	if (ks && rhashtable_lookup_fast(&ks->peers, peer, coap_ka_peer_params)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "this peer already has a session on this socket");
		return ERR_PTR(-EEXIST);
	}

	s = kmem_cache_zalloc(coap_ka_session_cache, GFP_KERNEL_ACCOUNT);
	if (!s)
		return ERR_PTR(-ENOMEM);
	s->peer = *peer;
	spin_lock_init(&s->lock);
	timer_setup(&s->timer, coap_ka_timer, 0);
	refcount_set(&s->refcnt, 1);
	s->portid = portid;
	s->last_rx = jiffies;
	s->last_tx = jiffies;
	s->app_mid = get_random_u32_below(0x10000);

	if (!ks) {
		err = -ENOMEM;
		ks = coap_ka_sock_new(cn, sock, transport);
		if (!ks)
			goto err_free;
		new_ks = true;
		err = coap_ka_out_hooks_get(cn);
		if (err) {
			NL_SET_ERR_MSG_MOD(extack,
					   "cannot register the netfilter hooks that watch sent datagrams");
			goto err_free_ks;
		}
		if (coap_ka_is_tcp(ks))
			err = coap_ka_tcp_attach(ks, extack);
		else
			err = coap_ka_udp_attach(ks, extack);
		if (err)
			goto err_hooks;
	}
	s->ks = ks;
	/* What the data path reads, before it can find the session. */
	s->ctx = ctx;
	s->over = over;

	err = xa_alloc_cyclic(&cn->sessions, &s->id, s, XA_LIMIT(1, U32_MAX),
			      &cn->next_session_id, GFP_KERNEL_ACCOUNT);
	if (err < 0) {
		if (err == -EBUSY)
			NL_SET_ERR_MSG_MOD(extack,
					   "no free session id in this network namespace");
		goto err_detach;
	}
	err = rhashtable_insert_fast(&ks->peers, &s->node, coap_ka_peer_params);
	if (err)
		goto err_erase;

	/* @over is the session's from here on. */
	refcount_inc(&ctx->refcnt);
	ctx->nsessions++;
	list_add_tail(&s->sock_node, &ks->sessions);
	cn->gen++;

	rcu_read_lock();
	spin_lock_bh(&s->lock);
	coap_ka_idle_restart(s, coap_ka_session_params(s, &buf));
	mod_timer(&s->timer, jiffies);
	spin_unlock_bh(&s->lock);
	rcu_read_unlock();
	return s;

err_erase:
	xa_erase(&cn->sessions, s->id);
err_detach:
	if (new_ks)
		coap_ka_sock_detach(ks, true);	/* we hold its file */
err_hooks:
	if (new_ks)
		coap_ka_out_hooks_put(cn);
err_free_ks:
	if (new_ks) {
		/* Never published (or unpublished above): no reader can hold it. */
		synchronize_rcu();
		coap_ka_sock_free(ks);
	}
err_free:
	kmem_cache_free(coap_ka_session_cache, s);
	return ERR_PTR(err);
}

/*
 * Take @s out of every table and report it gone; the rest, which may
 * sleep on timers and work, is coap_ka_sessions_finish()'s, after
 * @cn->lock is dropped. A socket left with no session is detached here.
 */
void coap_ka_session_unlink(struct coap_ka_net *cn, struct coap_ka_session *s,
			    u32 reason, struct list_head *dead)
{
	struct coap_ka_sock *ks = s->ks;

	lockdep_assert_held(&cn->lock);

	spin_lock_bh(&s->lock);
	s->dead = true;
	spin_unlock_bh(&s->lock);

	rhashtable_remove_fast(&ks->peers, &s->node, coap_ka_peer_params);
	xa_erase(&cn->sessions, s->id);
	list_del(&s->sock_node);
	s->ctx->nsessions--;
	cn->gen++;
	coap_ka_event(s, COAP_KA_CMD_SESSION_GONE_NTF, reason);
	list_add_tail(&s->sock_node, dead);

	if (!list_empty(&ks->sessions))
		return;
	if (coap_ka_sock_detach(ks, reason == COAP_KA_GONE_CLOSED)) {
		coap_ka_out_hooks_put(cn);
		/* The socket goes on the list too, after its last session. */
		s->ks_last = true;
	} else {
		/* Being closed: coap_ka_sock_closed() will free it. */
		ks->orphan = true;
	}
}

/* After an RCU grace period since @ks was detached: free it. */
static void coap_ka_sock_end(struct coap_ka_sock *ks)
{
	struct coap_ka_session *q, *tmp;
	struct llist_node *list;

	cancel_work_sync(&ks->work);
	list = llist_del_all(&ks->pending);
	llist_for_each_entry_safe(q, tmp, list, pending_node)
		coap_ka_session_put(q);
	coap_ka_sock_free(ks);
}

void coap_ka_sessions_finish(struct coap_ka_net *cn, struct list_head *dead)
{
	struct coap_ka_session *s, *tmp;
	bool socks = false;

	list_for_each_entry(s, dead, sock_node) {
		timer_shutdown_sync(&s->timer);
		socks |= s->ks_last;
	}
	/* Hooks that found a socket or session before unlinking are done. */
	if (socks)
		synchronize_rcu();
	list_for_each_entry_safe(s, tmp, dead, sock_node) {
		if (s->ks_last)
			coap_ka_sock_end(s->ks);
		list_del(&s->sock_node);
		coap_ka_session_put(s);
	}
}

/* The application closed a watched socket (encap_destroy); drops cn->lock. */
void coap_ka_sock_closed(struct coap_ka_sock *ks)
{
	struct coap_ka_net *cn = ks->cn;
	struct coap_ka_session *s, *tmp;
	LIST_HEAD(dead);

	if (ks->orphan) {
		/* Its sessions ended while it was being closed. */
		coap_ka_udp_detach(ks, true);
		coap_ka_out_hooks_put(cn);
		mutex_unlock(&cn->lock);
		synchronize_rcu();
		coap_ka_sock_end(ks);
		return;
	}
	list_for_each_entry_safe(s, tmp, &ks->sessions, sock_node)
		coap_ka_session_unlink(cn, s, COAP_KA_GONE_CLOSED, &dead);
	mutex_unlock(&cn->lock);
	coap_ka_sessions_finish(cn, &dead);
}

/* End the sessions whose context said abort. */
static void coap_ka_reap(struct work_struct *work)
{
	struct coap_ka_net *cn = container_of(work, struct coap_ka_net, reap);
	struct coap_ka_session *s, *tmp;
	struct llist_node *todo;
	LIST_HEAD(dead);

	todo = llist_del_all(&cn->reap_list);
	mutex_lock(&cn->lock);
	llist_for_each_entry_safe(s, tmp, todo, reap_node) {
		if (!s->dead)
			coap_ka_session_unlink(cn, s, s->end_reason, &dead);
		coap_ka_session_put(s);
	}
	mutex_unlock(&cn->lock);
	coap_ka_sessions_finish(cn, &dead);
}

void coap_ka_netlink_released(struct net *net, u32 portid)
{
	struct coap_ka_net *cn = coap_ka_pernet(net);
	struct coap_ka_session *s;
	unsigned long id;

	mutex_lock(&cn->lock);
	xa_for_each(&cn->sessions, id, s)
		if (s->portid == portid)
			WRITE_ONCE(s->portid, 0);
	mutex_unlock(&cn->lock);
}

void coap_ka_session_net_init(struct coap_ka_net *cn)
{
	xa_init_flags(&cn->sessions, XA_FLAGS_ALLOC1);
	cn->next_session_id = 1;
	INIT_WORK(&cn->reap, coap_ka_reap);
	init_llist_head(&cn->reap_list);
}

/* Called before the contexts go: every session ends, every socket is restored. */
void coap_ka_session_net_exit(struct coap_ka_net *cn, u32 reason)
{
	struct coap_ka_session *s;
	unsigned long id;
	LIST_HEAD(dead);

	mutex_lock(&cn->lock);
	xa_for_each(&cn->sessions, id, s)
		coap_ka_session_unlink(cn, s, reason, &dead);
	mutex_unlock(&cn->lock);
	coap_ka_sessions_finish(cn, &dead);
	/* Aborts queued meanwhile find their sessions dead. */
	flush_work(&cn->reap);
	/* Sockets being closed meanwhile are their closers' to free. */
	wait_var_event(&cn->nsocks, !READ_ONCE(cn->nsocks));
	coap_ka_udp_wait_closers();
	coap_ka_out_hooks_exit(cn);
	xa_destroy(&cn->sessions);
}

int coap_ka_session_init(void)
{
	coap_ka_session_cache = KMEM_CACHE(coap_ka_session, SLAB_ACCOUNT);
	if (!coap_ka_session_cache)
		return -ENOMEM;
	coap_ka_wq = alloc_workqueue("coap_ka", WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	if (!coap_ka_wq) {
		kmem_cache_destroy(coap_ka_session_cache);
		return -ENOMEM;
	}
	return 0;
}

void coap_ka_session_exit(void)
{
	destroy_workqueue(coap_ka_wq);
	rcu_barrier();
	kmem_cache_destroy(coap_ka_session_cache);
}
