/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the lifetime selftests (udp_life_test, tcp_test): counting
 * the module's slab objects, and a network namespace that goes away with
 * sessions in it. Include after kselftest_harness.h.
 *
 * Slab counts: the guests boot with slub_debug, which keeps per-CPU slabs
 * out of the way and caches unmerged, so a cache's count is exact but for
 * the objects KFENCE serves (kfence.sample_interval=10: at most one every
 * 10 ms), which it does not count. A count back at its baseline is exact;
 * one that grows by N may show N - a few (KFENCE_SLACK).
 */
#ifndef CKA_LIFE_H
#define CKA_LIFE_H

#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>

#include "cka_udp.h"

#define SLAB_DIR	"/sys/kernel/slab/"
#define KFENCE_SLACK	10	/* objects KFENCE may have served, uncounted */

/*
 * Objects in use in slab cache @name, or -1 if there is no such cache.
 * Shrinking the cache first empties KASAN's quarantine of its objects,
 * which still count as allocated until then (debug kernel).
 */
static inline long slab_objects(const char *name)
{
	char path[256], line[512];
	long n = -1;
	FILE *f;

	snprintf(path, sizeof(path), SLAB_DIR "%s/shrink", name);
	f = fopen(path, "w");
	if (f) {
		fputs("1", f);
		fclose(f);
	}
	snprintf(path, sizeof(path), SLAB_DIR "%s/objects", name);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
		return n;
	}
	f = fopen("/proc/slabinfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char cache[128];
		long active;

		if (sscanf(line, "%127s %ld", cache, &active) == 2 && !strcmp(cache, name)) {
			n = active;
			break;
		}
	}
	fclose(f);
	return n;
}

/*
 * Sessions in use: the module keeps those with an IPv4 peer and the longer
 * ones with an IPv6 peer in two caches. -1 if it has none to count.
 */
static inline long session_objects(void)
{
	long n = slab_objects("coap_ka_session");
	long n6 = slab_objects("coap_ka_session6");

	return n < 0 || n6 < 0 ? -1 : n + n6;
}

/*
 * Wait at most @ms for cache @name (NULL: both session caches) to hold
 * @want objects or fewer (the sessions of earlier tests may still be on
 * their way out); the last count.
 */
static inline long slab_wait(const char *name, long want, int ms)
{
	double end = now_ms() + ms;
	long n;

	while ((n = name ? slab_objects(name) : session_objects()) > want &&
	       now_ms() < end)
		sleep_ms(50);
	return n;
}

/* slab_wait() for the sessions of both caches. */
static inline long session_wait(long want, int ms)
{
	return slab_wait(NULL, want, ms);
}

/* The number in file @path, or -1. */
static inline long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long n = -1;

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

/* Bring up lo in this (new) network namespace. */
static inline int lo_up(void)
{
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM, 0), err;

	if (fd < 0)
		return -1;
	strcpy(ifr.ifr_name, "lo");
	err = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (!err) {
		ifr.ifr_flags |= IFF_UP;
		err = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return err;
}

/*
 * The start of a netns child: a network namespace of its own with lo up,
 * a netlink socket in it (*@nl) and a context with settings @set; the
 * context's id, or -1.
 */
static inline long netns_child_ctx(const uint32_t *set, struct cka_nl **nl)
{
	long ctx;

	if (unshare(CLONE_NEWNET) || lo_up())
		return -1;
	*nl = cka_open();
	if (!*nl)
		return -1;
	ctx = cka_ctx_new(*nl, set, NULL);
	return ctx > 0 ? ctx : -1;
}

/*
 * What a netns child reports on its pipe: the sessions it added, and the
 * session cache's count once they all had their Ping out (-1 if it got
 * no further).
 */
struct netns_report {
	long sessions;
	long objects;
};

/* The child's end: write @r to @out and exit with everything open. */
static inline void netns_child_exit(int out, const struct netns_report *r)
{
	if (write(out, r, sizeof(*r)) != sizeof(*r))
		_exit(2);
	_exit(0);
}

/*
 * A network namespace with @want sessions goes away: @child(pipe, @arg)
 * unshares one, adds the sessions and reports with netns_child_exit(),
 * leaving every socket open, so that the namespace goes when its sockets
 * do. Then every session and context must be freed, and the module's
 * reference count be where it was.
 */
static inline void netns_exit_check(struct __test_metadata *_metadata,
				    void (*child)(int out, void *arg), void *arg,
				    long want)
{
	long base, ctx_base, ref, n, nctx;
	struct netns_report r;
	int p[2], status;
	pid_t pid;

	base = session_objects();
	ctx_base = slab_objects("coap_ka_ctx");
	ref = read_long("/sys/module/coap_keepalive/refcnt");
	if (base < 0)
		SKIP(return, "no coap_ka_session slab cache to count");
	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(p[0]);
		child(p[1], arg);
		_exit(3);
	}
	close(p[1]);
	ASSERT_EQ(sizeof(r), read(p[0], &r, sizeof(r)));
	close(p[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(want, r.sessions) TH_LOG("the child did not set up");
	ASSERT_LE(0, r.objects) TH_LOG("the child's peers did not see every Ping");
	/* the count sees them */
	EXPECT_LE(base + want - KFENCE_SLACK, r.objects);

	n = session_wait(base, 10000);
	EXPECT_GE(base, n) TH_LOG("coap_ka_session: %ld before, %ld in the namespace, %ld after",
				  base, r.objects, n);
	if (ctx_base >= 0) {
		nctx = slab_wait("coap_ka_ctx", ctx_base, 10000);
		EXPECT_GE(ctx_base, nctx) TH_LOG("coap_ka_ctx: %ld before, %ld after",
						 ctx_base, nctx);
	}
	EXPECT_EQ(ref, read_long("/sys/module/coap_keepalive/refcnt"));
	TH_LOG("sessions: %ld before, %ld in the namespace (%ld added), %ld after; module refcnt %ld",
	       base, r.objects, want, n, ref);
}

#endif /* CKA_LIFE_H */
