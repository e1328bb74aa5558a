// SPDX-License-Identifier: GPL-2.0
/*
 * coap_keepalive: the namespace's timer wheel.
 *
 * A session does not own a kernel timer. Each network namespace keeps its
 * sessions' deadlines in a cascading timer wheel of its own (a 256-slot
 * level of one jiffy each, then three levels of 64 slots, each slot as
 * long as the whole level below), driven by one kernel timer.
 *
 * Why: with a timer per session, a tick in which many sessions fall due
 * ran all their rounds in one timer softirq. The kernel's timer softirq has
 * no budget: once the rounds due per jiffy take longer than a jiffy, it
 * never catches up, and the CPU soft-locks (100,000 sessions at a 1 s
 * keepalive under TCG: 21 to 47 s in one softirq). Here the driver stops
 * after a quarter of a jiffy of work and comes back the next jiffy: an
 * overloaded namespace pings late rather than taking the CPU, and the work
 * items that send the Pings still run.
 *
 * Entries are exact (cascaded, not rounded) and the driver sleeps until
 * the next slot that holds one, or the next cascade that moves one.
 *
 * Locking: the wheel's lock nests inside a session's lock; the driver
 * runs each session's round without it, holding a reference.
 */

#include <linux/sched/clock.h>

#include "coap_ka.h"
#include "compat.h"

#define COAP_KA_WHEEL_OFF	0xffff	/* coap_ka_session.wslot: shut down */
#define COAP_KA_WHEEL_NONE	0xfffe	/* ... not on the wheel */

/* Work per run of the driver, in ns of local_clock(): a quarter jiffy. */
#define COAP_KA_WHEEL_BUDGET_NS	(NSEC_PER_SEC / HZ / 4)

static unsigned int coap_ka_wheel_shift(unsigned int lvl)
{
	return lvl ? COAP_KA_WHEEL_BITS0 + (lvl - 1) * COAP_KA_WHEEL_BITSN : 0;
}

static struct hlist_head *coap_ka_wheel_slot(struct coap_ka_wheel *w,
					     unsigned int lvl, unsigned int idx)
{
	return lvl ? &w->upper[lvl - 1][idx] : &w->level0[idx];
}

static unsigned long *coap_ka_wheel_busy(struct coap_ka_wheel *w,
					 unsigned int lvl)
{
	return lvl ? w->upper_busy[lvl - 1] : w->level0_busy;
}

/*
 * An entry's deadline, kept as its low 32 bits: never more than the
 * wheel's span (2^26 jiffies) from its clock, so the difference fits.
 */
static unsigned long coap_ka_wheel_exp(const struct coap_ka_wheel *w,
				       const struct coap_ka_session *s)
{
	return w->clk + (long)(s32)(s->wexp - (u32)w->clk);
}

/* Put @s in the slot for @exp; w->lock held. */
static void coap_ka_wheel_place(struct coap_ka_wheel *w,
				struct coap_ka_session *s, unsigned long exp)
{
	unsigned long delta;
	unsigned int lvl, idx;

	/* Never behind the driver: w->floor is w->clk or the jiffy after. */
	if (time_before(exp, w->floor))
		exp = w->floor;
	delta = exp - w->clk;
	for (lvl = 0; lvl < COAP_KA_WHEEL_LEVELS - 1; lvl++)
		if (delta < 1UL << coap_ka_wheel_shift(lvl + 1))
			break;
	if (lvl == COAP_KA_WHEEL_LEVELS - 1 &&
	    delta >= 1UL << coap_ka_wheel_shift(COAP_KA_WHEEL_LEVELS)) {
		/* Beyond the wheel: its round comes early and re-arms. */
		exp = w->clk + (1UL << coap_ka_wheel_shift(COAP_KA_WHEEL_LEVELS)) - 1;
	}
	s->wexp = (u32)exp;
	idx = (exp >> coap_ka_wheel_shift(lvl)) &
	      (lvl ? COAP_KA_WHEEL_SIZEN - 1 : COAP_KA_WHEEL_SIZE0 - 1);
	hlist_add_head(&s->wnode, coap_ka_wheel_slot(w, lvl, idx));
	__set_bit(idx, coap_ka_wheel_busy(w, lvl));
	s->wslot = lvl << 8 | idx;
}

/* Take @s off its slot; w->lock held, @s on the wheel. */
static void coap_ka_wheel_unlink(struct coap_ka_wheel *w,
				 struct coap_ka_session *s)
{
	unsigned int lvl = s->wslot >> 8, idx = s->wslot & 0xff;

	hlist_del_init(&s->wnode);
	if (hlist_empty(coap_ka_wheel_slot(w, lvl, idx)))
		__clear_bit(idx, coap_ka_wheel_busy(w, lvl));
	s->wslot = COAP_KA_WHEEL_NONE;
	w->count--;
}

/*
 * The next jiffy, from w->clk on, at which the driver has work: a level 0
 * slot with entries, or a cascade that moves entries down. ULONG_MAX
 * relative (w->clk - 1) if the wheel is empty.
 */
static unsigned long coap_ka_wheel_next(struct coap_ka_wheel *w)
{
	unsigned long clk = w->clk, best = clk - 1, t;
	unsigned int lvl, shift, pos, k;
	unsigned long block;

	if (!w->count)
		return best;
	/* Level 0: this block from clk on, then the next block. */
	pos = clk & (COAP_KA_WHEEL_SIZE0 - 1);
	k = find_next_bit(w->level0_busy, COAP_KA_WHEEL_SIZE0, pos);
	if (k < COAP_KA_WHEEL_SIZE0) {
		best = clk - pos + k;
	} else {
		k = find_first_bit(w->level0_busy, COAP_KA_WHEEL_SIZE0);
		if (k < COAP_KA_WHEEL_SIZE0)
			best = clk - pos + COAP_KA_WHEEL_SIZE0 + k;
	}
	/*
	 * Level L: slot j is cascaded at the start of the next block of
	 * that level whose index is j (the current block's, if clk is at its
	 * start and its cascade has not run yet).
	 */
	for (lvl = 1; lvl < COAP_KA_WHEEL_LEVELS; lvl++) {
		unsigned long *busy = coap_ka_wheel_busy(w, lvl);

		shift = coap_ka_wheel_shift(lvl);
		block = clk >> shift;
		if ((clk & ((1UL << shift) - 1)) || w->cascaded == clk)
			block++;
		pos = block & (COAP_KA_WHEEL_SIZEN - 1);
		k = find_next_bit(busy, COAP_KA_WHEEL_SIZEN, pos);
		if (k < COAP_KA_WHEEL_SIZEN) {
			k -= pos;
		} else {
			k = find_first_bit(busy, COAP_KA_WHEEL_SIZEN);
			if (k >= COAP_KA_WHEEL_SIZEN)
				continue;
			k += COAP_KA_WHEEL_SIZEN - pos;
		}
		t = (block + k) << shift;
		if (best == clk - 1 || time_before(t, best))
			best = t;
	}
	return best;
}

/* At a level 0 block start: move the upper slots due now down. */
static void coap_ka_wheel_cascade(struct coap_ka_wheel *w)
{
	struct coap_ka_session *s;
	struct hlist_node *tmp;
	unsigned int lvl, idx;
	HLIST_HEAD(moving);

	for (lvl = 1; lvl < COAP_KA_WHEEL_LEVELS; lvl++) {
		idx = (w->clk >> coap_ka_wheel_shift(lvl)) & (COAP_KA_WHEEL_SIZEN - 1);
		hlist_move_list(coap_ka_wheel_slot(w, lvl, idx), &moving);
		__clear_bit(idx, coap_ka_wheel_busy(w, lvl));
		hlist_for_each_entry_safe(s, tmp, &moving, wnode) {
			hlist_del(&s->wnode);
			coap_ka_wheel_place(w, s, coap_ka_wheel_exp(w, s));
		}
		/* The next level's slot only when this level wrapped. */
		if (idx)
			break;
	}
}

/*
 * When to set the driver's timer for a run due at @at. The kernel's timer
 * wheel rounds a timer more than 63 jiffies ahead up by up to an eighth of
 * the time to it (its level's granularity): set an eighth early, the run
 * then finds nothing due and sets it again for the rest, so that the run
 * comes at most a jiffy late. Only the driver pays; no session's round
 * runs early.
 */
static unsigned long coap_ka_wheel_early(unsigned long at)
{
	long left = (long)(at - jiffies);

	return left > 63 ? at - left / 8 : at;
}

static void coap_ka_wheel_arm(struct coap_ka_wheel *w)
{
	unsigned long next = coap_ka_wheel_next(w);

	if (next != w->clk - 1)
		mod_timer(&w->timer, coap_ka_wheel_early(next));
}

static void coap_ka_wheel_run(struct timer_list *t)
{
	struct coap_ka_wheel *w = from_timer(w, t, timer);
	u64 stop = local_clock() + COAP_KA_WHEEL_BUDGET_NS;
	struct coap_ka_session *s;
	struct hlist_head *slot;
	unsigned long next;

	spin_lock(&w->lock);
	w->running = true;
	w->sends = COAP_KA_WHEEL_SENDS;
	while (time_after_eq(jiffies, w->clk)) {
		if (!(w->clk & (COAP_KA_WHEEL_SIZE0 - 1)) && w->cascaded != w->clk) {
			coap_ka_wheel_cascade(w);
			w->cascaded = w->clk;
		}
		/* What this slot's rounds schedule for now waits a jiffy. */
		w->floor = w->clk + 1;
		slot = &w->level0[w->clk & (COAP_KA_WHEEL_SIZE0 - 1)];
		while (!hlist_empty(slot)) {
			if (local_clock() > stop) {
				/* Over budget: the rest next jiffy. */
				w->floor = w->clk;
				w->overruns++;
				mod_timer(&w->timer, jiffies + 1);
				w->running = false;
				spin_unlock(&w->lock);
				return;
			}
			s = hlist_entry(slot->first, struct coap_ka_session, wnode);
			coap_ka_wheel_unlink(w, s);
			/* Ended sessions leave the wheel before their last put. */
			refcount_inc(&s->refcnt);
			spin_unlock(&w->lock);
			coap_ka_session_expire(s);
			coap_ka_session_put(s);
			spin_lock(&w->lock);
		}
		w->clk++;
		w->floor = w->clk;
		/* Skip the empty stretch: no slot and no cascade in it. */
		next = coap_ka_wheel_next(w);
		if (next == w->clk - 1)
			next = jiffies + 1;
		if (time_after(next, w->clk))
			w->clk = time_before(next, jiffies + 1) ? next : jiffies + 1;
		w->floor = w->clk;
	}
	coap_ka_wheel_arm(w);
	w->running = false;
	spin_unlock(&w->lock);
}

/**
 * coap_ka_sched() - (re)arm a session's deadline
 * @s: the session
 * @expires: jiffies at which its round runs (coap_ka_session_expire());
 *	in the past: at the next run of the driver
 *
 * Like mod_timer() of a timer of its own. Does nothing once the session
 * left the wheel for good (coap_ka_unsched_final()).
 *
 * Context: any; @s->lock held.
 */
void coap_ka_sched(struct coap_ka_session *s, unsigned long expires)
{
	struct coap_ka_wheel *w = &s->ks->cn->wheel;
	unsigned long at;

	spin_lock_bh(&w->lock);
	if (s->wslot == COAP_KA_WHEEL_OFF)
		goto out;
	if (s->wslot != COAP_KA_WHEEL_NONE)
		coap_ka_wheel_unlink(w, s);
	/* An empty wheel's clock may be far behind: start it from now. */
	if (!w->count && !w->running && time_before(w->clk, jiffies)) {
		w->clk = jiffies;
		w->floor = w->clk;
	}
	coap_ka_wheel_place(w, s, expires);
	w->count++;
	/* The driver runs no later than the entry's slot (or its cascade). */
	at = time_before(expires, w->floor) ? w->floor : expires;
	timer_reduce(&w->timer, coap_ka_wheel_early(at));
out:
	spin_unlock_bh(&w->lock);
}

/**
 * coap_ka_unsched_final() - take a session off the wheel for good
 * @s: the session, dead (its tables' references about to go)
 *
 * Like timer_shutdown(): later coap_ka_sched() calls do nothing. A round
 * the driver runs at this moment holds its own reference, and finds the
 * session dead.
 *
 * Context: any.
 */
void coap_ka_unsched_final(struct coap_ka_session *s)
{
	struct coap_ka_wheel *w = &s->ks->cn->wheel;

	spin_lock_bh(&w->lock);
	if (s->wslot != COAP_KA_WHEEL_NONE && s->wslot != COAP_KA_WHEEL_OFF)
		coap_ka_wheel_unlink(w, s);
	s->wslot = COAP_KA_WHEEL_OFF;
	spin_unlock_bh(&w->lock);
}

/**
 * coap_ka_wheel_entry_init() - a new session, not on the wheel yet
 * @s: the session
 *
 * Context: any.
 */
void coap_ka_wheel_entry_init(struct coap_ka_session *s)
{
	INIT_HLIST_NODE(&s->wnode);
	s->wslot = COAP_KA_WHEEL_NONE;
}

/**
 * coap_ka_wheel_init() - set up a namespace's wheel
 * @w: the wheel, zeroed
 *
 * Context: process context (pernet init).
 */
void coap_ka_wheel_init(struct coap_ka_wheel *w)
{
	spin_lock_init(&w->lock);
	timer_setup(&w->timer, coap_ka_wheel_run, 0);
	w->clk = jiffies;
	w->floor = w->clk;
	w->cascaded = w->clk - 1;
}

/**
 * coap_ka_wheel_exit() - stop a namespace's wheel
 * @w: the wheel, with every session off it (coap_ka_unsched_final())
 *
 * Context: process context (pernet exit); sleeps.
 */
void coap_ka_wheel_exit(struct coap_ka_wheel *w)
{
	timer_shutdown_sync(&w->timer);
	WARN_ON_ONCE(w->count);
}
