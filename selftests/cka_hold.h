/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The check() of the helpers the lifetime shell tests run (udp_hold,
 * tcp_hold): each check prints "ok: ..." or "FAIL: ..." at once, so the
 * shell test shows what was checked, and counts the failures.
 */
#ifndef CKA_HOLD_H
#define CKA_HOLD_H

#include <stdbool.h>
#include <stdio.h>

static int failures;

#define check(cond, ...) do {				\
	bool __ok = (cond);				\
	printf("%s: ", __ok ? "ok" : "FAIL");		\
	printf(__VA_ARGS__);				\
	printf("\n");					\
	fflush(stdout);					\
	failures += !__ok;				\
} while (0)

#endif /* CKA_HOLD_H */
