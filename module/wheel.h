/* SPDX-License-Identifier: GPL-2.0 */
/*
 * coap_keepalive: a network namespace's timer wheel (wheel.c). Apart from
 * coap_ka.h so that selftests/wheel/wheel_sim.c can build wheel.c in
 * userspace against the same definitions.
 */
#ifndef _COAP_KA_WHEEL_H
#define _COAP_KA_WHEEL_H

#include <linux/bits.h>
#include <linux/list.h>
#include <linux/spinlock_types.h>
#include <linux/timer.h>
#include <linux/types.h>

/*
 * A namespace's timer wheel (wheel.c): level 0 has a slot per jiffy, each
 * upper level's slot spans the whole level below; 2^26 jiffies in all.
 */
/* Pings the rounds of one run may send themselves (coap_ka_send_now()) */
#define COAP_KA_WHEEL_SENDS	16
#define COAP_KA_WHEEL_BITS0	8
#define COAP_KA_WHEEL_BITSN	6
#define COAP_KA_WHEEL_SIZE0	BIT(COAP_KA_WHEEL_BITS0)
#define COAP_KA_WHEEL_SIZEN	BIT(COAP_KA_WHEEL_BITSN)
#define COAP_KA_WHEEL_LEVELS	4

struct coap_ka_wheel {
	spinlock_t lock;		/* everything below but sends and the timer */
	bool running;			/* the driver is in its loop */
	u16 sends;			/* Pings this run may still send; only the run */
	u32 count;			/* sessions on it */
	unsigned long clk;		/* the next jiffy to run */
	unsigned long floor;		/* the earliest slot a new entry takes */
	unsigned long cascaded;		/* the block start last cascaded */
	unsigned long overruns;		/* runs that stopped on the budget */
	struct timer_list timer;	/* the driver */
	DECLARE_BITMAP(level0_busy, COAP_KA_WHEEL_SIZE0);
	unsigned long upper_busy[COAP_KA_WHEEL_LEVELS - 1][BITS_TO_LONGS(COAP_KA_WHEEL_SIZEN)];
	struct hlist_head level0[COAP_KA_WHEEL_SIZE0];
	struct hlist_head upper[COAP_KA_WHEEL_LEVELS - 1][COAP_KA_WHEEL_SIZEN];
};

#endif /* _COAP_KA_WHEEL_H */
