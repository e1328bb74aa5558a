/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel as module/wheel.c sees it, in userspace, for wheel_sim.c:
 * lists, bitmaps and jiffies arithmetic as the kernel defines them, one
 * timer (the driver's) that the simulation fires by hand, no locking (one
 * thread), and the session fields the wheel uses; the wheel itself from
 * module/wheel.h (the <linux/...> headers it includes are empty here). The
 * Makefile copies module/wheel.c apart from module/coap_ka.h, so that its
 * #include "coap_ka.h" finds this one.
 */
#ifndef WHEEL_SIM_COAP_KA_H
#define WHEEL_SIM_COAP_KA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t u64;
typedef uint32_t u32;
typedef int32_t s32;
typedef uint16_t u16;

#define BIT(n)			(1UL << (n))
#define HZ			250
#define NSEC_PER_SEC		1000000000UL
#define BITS_TO_LONGS(n)	(((n) + 63) / 64)
#define DECLARE_BITMAP(name, bits) unsigned long name[BITS_TO_LONGS(bits)]
#define time_after(a, b)	((long)((b) - (a)) < 0)
#define time_before(a, b)	time_after(b, a)
#define time_after_eq(a, b)	((long)((a) - (b)) >= 0)
#define WARN_ON_ONCE(c)		({ bool __c = (c); if (__c) { printf("# WARN_ON_ONCE at %s:%d\n", __FILE__, __LINE__); abort(); } __c; })
#define container_of(p, type, m) ((type *)((char *)(p) - offsetof(type, m)))
#define from_timer(var, t, field) container_of(t, typeof(*var), field)
#define hlist_entry(p, type, m)	container_of(p, type, m)
#define hlist_entry_safe(p, type, m) \
	({ typeof(p) __p = (p); __p ? hlist_entry(__p, type, m) : NULL; })
#define hlist_for_each_entry_safe(pos, n, head, m) \
	for (pos = hlist_entry_safe((head)->first, typeof(*pos), m); \
	     pos && ({ n = pos->m.next; 1; }); \
	     pos = hlist_entry_safe(n, typeof(*pos), m))
#define HLIST_HEAD(name)	struct hlist_head name = { NULL }

struct hlist_node { struct hlist_node *next, **pprev; };
struct hlist_head { struct hlist_node *first; };

static inline void INIT_HLIST_NODE(struct hlist_node *n)
{
	n->next = NULL;
	n->pprev = NULL;
}

static inline int hlist_empty(const struct hlist_head *h)
{
	return !h->first;
}

static inline void hlist_add_head(struct hlist_node *n, struct hlist_head *h)
{
	n->next = h->first;
	if (h->first)
		h->first->pprev = &n->next;
	h->first = n;
	n->pprev = &h->first;
}

static inline void hlist_del(struct hlist_node *n)
{
	*n->pprev = n->next;
	if (n->next)
		n->next->pprev = n->pprev;
	n->next = (void *)0x100;	/* poisoned, as the kernel does */
	n->pprev = (void *)0x122;
}

static inline void hlist_del_init(struct hlist_node *n)
{
	if (n->pprev) {
		hlist_del(n);
		INIT_HLIST_NODE(n);
	}
}

static inline void hlist_move_list(struct hlist_head *old, struct hlist_head *new)
{
	new->first = old->first;
	if (new->first)
		new->first->pprev = &new->first;
	old->first = NULL;
}

static inline void __set_bit(unsigned int n, unsigned long *a)
{
	a[n / 64] |= 1UL << (n % 64);
}

static inline void __clear_bit(unsigned int n, unsigned long *a)
{
	a[n / 64] &= ~(1UL << (n % 64));
}

static inline unsigned int find_next_bit(const unsigned long *a,
					 unsigned int size, unsigned int off)
{
	for (; off < size; off++)
		if (a[off / 64] >> (off % 64) & 1)
			return off;
	return size;
}

static inline unsigned int find_first_bit(const unsigned long *a,
					  unsigned int size)
{
	return find_next_bit(a, size, 0);
}

typedef int spinlock_t;
#define spin_lock_init(l)	((void)(l))
#define spin_lock(l)		((void)(l))
#define spin_unlock(l)		((void)(l))
#define spin_lock_bh(l)		((void)(l))
#define spin_unlock_bh(l)	((void)(l))

extern unsigned long jiffies;
extern u64 sim_clock_ns;	/* local_clock(); the simulation advances it */
extern u64 sim_round_ns;	/* ... by this much per session round */

struct timer_list {
	unsigned long expires;
	bool pending, shut;
	void (*function)(struct timer_list *t);
};

static inline void timer_setup(struct timer_list *t,
			       void (*fn)(struct timer_list *), int flags)
{
	t->function = fn;
	t->pending = t->shut = false;
	(void)flags;
}

static inline int mod_timer(struct timer_list *t, unsigned long expires)
{
	if (!t->shut) {
		t->expires = expires;
		t->pending = true;
	}
	return 0;
}

static inline int timer_reduce(struct timer_list *t, unsigned long expires)
{
	if (!t->shut && (!t->pending || time_before(expires, t->expires))) {
		t->expires = expires;
		t->pending = true;
	}
	return 0;
}

static inline int timer_shutdown_sync(struct timer_list *t)
{
	t->pending = false;
	t->shut = true;
	return 0;
}

static inline u64 local_clock(void)
{
	return sim_clock_ns;
}

typedef struct { int refs; } refcount_t;

static inline void refcount_inc(refcount_t *r)
{
	r->refs++;
}

#include "../../module/wheel.h"

struct coap_ka_net { struct coap_ka_wheel wheel; };
struct coap_ka_sock { struct coap_ka_net *cn; };

struct coap_ka_session {
	struct coap_ka_sock *ks;
	struct hlist_node wnode;
	u32 wexp;
	u16 wslot;
	refcount_t refcnt;
	int id;
};

void coap_ka_session_expire(struct coap_ka_session *s);
void coap_ka_session_put(struct coap_ka_session *s);

#endif
