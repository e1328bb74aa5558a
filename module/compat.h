/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Feature tests for the kernels we build against (Debian 6.1 and 6.12).
 * Every difference between them lives here, tested by feature rather than
 * by version number wherever the kernel gives us something to test.
 */
#ifndef _COAP_KA_COMPAT_H
#define _COAP_KA_COMPAT_H

#include <linux/timer.h>
#include <net/genetlink.h>

/*
 * Multicast group capability flags came with 6.7 and were backported to
 * some stable series (Debian's 6.1 has them). Without them anyone may join.
 */
#ifdef GENL_MCAST_CAP_NET_ADMIN
#define COAP_KA_MCGRP_FLAGS	GENL_MCAST_CAP_NET_ADMIN
#else
#define COAP_KA_MCGRP_FLAGS	0
#endif

/* from_timer() is timer_container_of() from 6.16 on. */
#ifndef from_timer
#define from_timer(var, t, field)	timer_container_of(var, t, field)
#endif

#endif /* _COAP_KA_COMPAT_H */
