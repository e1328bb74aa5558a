// SPDX-License-Identifier: GPL-2.0
/*
 * bench-print: the CLI's userspace cost per dumped object, on the host,
 * without the module.
 *
 *	bench-print [-n SESSIONS] [-s SEED] [-r REPS] [-c CHUNK] [-o] [-x]
 *		    -- CLI-ARGS...
 *	e.g. bench-print -n 100000 -r 5 -- -j session show >/dev/null
 *
 * It is linked with the CLI's own objects (its main() renamed) and
 * replaces libmnl's socket calls: the nlctrl request is answered with a
 * family, a session-get (ctx-get) dump with SESSIONS messages laid out as
 * module/netlink.c's coap_ka_nl_session_fill() (ctx_fill) writes them, in
 * receive buffers of CHUNK bytes (32 KiB: what netlink_dump() fills),
 * then NLMSG_DONE. Everything from the CLI's main() on is the real code.
 *
 * -o adds the oddities the kernel does not send (unknown and malformed
 * attributes, out-of-range enums, unknown flag bits, pad, dtls) to some
 * messages, for comparing outputs. -x makes the dump interrupted
 * (NLM_F_DUMP_INTR) the first time, so the CLI restarts it.
 *
 * On stderr: ns per session of each run and the best: wall, and the CPU
 * time of the CLI (that of the replaced recvfrom(), the kernel's copy out,
 * apart).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <linux/coap_keepalive.h>

#define BP_FAMILY	0x1d
#define BP_GROUP	7
#define BP_PORTID	4242

int cka_cli_main(int argc, char **argv);

static struct {
	unsigned long n;		/* objects per dump */
	uint64_t seed;
	size_t chunk;			/* bytes per receive buffer */
	bool odd;			/* -o */
	bool intr;			/* -x: interrupt the first dump */
	/* The dump: receive buffers laid end to end. */
	char *dump;
	size_t *chunk_len;
	size_t nchunks;
	uint8_t dump_cmd;
	/* The request being answered. */
	uint32_t seq;
	uint16_t type;
	uint8_t cmd;
	size_t next;			/* next chunk to hand out */
	size_t next_off;		/* and where it starts */
	int state;			/* 0 idle, 1 ctrl reply, 2 ctrl ack,
					 * 3 dump, 4 done, 5 ack */
	unsigned int dumps;		/* dump requests answered */
	double fake_ns;			/* CPU time in mnl_socket_recvfrom() */
} bp = { .n = 100000, .seed = 1, .chunk = 32768 - 320 };

static uint64_t bp_rand(void)
{
	/* xorshift64* */
	bp.seed ^= bp.seed >> 12;
	bp.seed ^= bp.seed << 25;
	bp.seed ^= bp.seed >> 27;
	return bp.seed * 0x2545f4914f6cdd1dULL;
}

static uint32_t bp_pick(uint32_t n)
{
	return (uint32_t)(bp_rand() % n);
}

/* A counter: mostly small, sometimes large. */
static uint32_t bp_count(void)
{
	switch (bp_pick(8)) {
	case 0:
		return 0;
	case 1:
		return (uint32_t)bp_rand();
	case 2:
		return bp_pick(1000000);
	default:
		return bp_pick(100);
	}
}

static const uint16_t bp_settings[] = {
	COAP_KA_A_KEEPALIVE_SECS, COAP_KA_A_ACK_TIMEOUT_MS,
	COAP_KA_A_ACK_RANDOM_FACTOR, COAP_KA_A_MAX_RETRANSMIT,
	COAP_KA_A_PONG_TIMEOUT_MS, COAP_KA_A_ACTIVITY, COAP_KA_A_JITTER_PCT,
	COAP_KA_A_ACTION, COAP_KA_A_FLAGS,
};

static uint32_t bp_setting_val(uint16_t type)
{
	switch (type) {
	case COAP_KA_A_ACK_RANDOM_FACTOR:
		return 1000 + bp_pick(2001);
	case COAP_KA_A_ACTIVITY:
	case COAP_KA_A_ACTION:
		return bp_pick(2);
	case COAP_KA_A_FLAGS:
		return bp_pick(4);
	case COAP_KA_A_JITTER_PCT:
		return bp_pick(51);
	default:
		return bp_pick(4) ? bp_pick(100000) : 0;
	}
}

static void bp_put_peer(struct nlmsghdr *nlh)
{
	unsigned char a[16];
	int i;

	if (bp_pick(10) < 7) {
		a[0] = (unsigned char)(bp_pick(3) ? 10 + bp_pick(200) : 192);
		for (i = 1; i < 4; i++)
			a[i] = (unsigned char)bp_pick(4) ? (unsigned char)bp_rand() : 0;
		mnl_attr_put(nlh, COAP_KA_A_PEER_IPV4, 4, a);
	} else {
		/* Zero runs of every length and place: RFC 5952 :: */
		for (i = 0; i < 16; i += 2) {
			unsigned int v = bp_pick(3) ? (unsigned int)bp_rand() : 0;

			if (bp_pick(2))
				v &= 0xff;
			a[i] = (unsigned char)(v >> 8);
			a[i + 1] = (unsigned char)v;
		}
		if (bp_pick(2)) {
			a[0] = 0x20;
			a[1] = 0x01;
			a[2] = 0x0d;
			a[3] = 0xb8;
		}
		if (!bp_pick(10))
			memset(a, 0, 15);	/* ::1-like */
		/* Embedded IPv4 (::ffff:a.b.c.d, ::a.b.c.d), ::, ::1. */
		if (bp.odd && !bp_pick(5)) {
			memset(a, 0, 12);
			if (bp_pick(2))
				a[10] = a[11] = 0xff;
			if (!bp_pick(4))
				memset(a + 12, 0, 3 + bp_pick(2));
		}
		mnl_attr_put(nlh, COAP_KA_A_PEER_IPV6, 16, a);
	}
	mnl_attr_put_u16(nlh, COAP_KA_A_PEER_PORT,
			 htons(bp_pick(4) ? (uint16_t)(1024 + bp_pick(64512)) :
				5683));
}

/* Oddities the kernel does not send, after the regular attributes. */
static void bp_put_odd(struct nlmsghdr *nlh)
{
	unsigned char junk[7] = { 0, 1, 0x22, 0x5c, 0x7f, 0xff, 9 };

	switch (bp_pick(6)) {
	case 0:
		mnl_attr_put_u32(nlh, 60, (uint32_t)bp_rand());	/* unknown */
		break;
	case 1:
		mnl_attr_put(nlh, COAP_KA_A_NACKS, 2, junk);	/* malformed */
		break;
	case 2:
		mnl_attr_put(nlh, 200, sizeof(junk), junk);
		break;
	case 3:
		mnl_attr_put_u32(nlh, COAP_KA_A_GONE_REASON, 99);
		mnl_attr_put_u32(nlh, COAP_KA_A_NACK_REASON, bp_pick(4));
		break;
	case 4:
		mnl_attr_put_u32(nlh, COAP_KA_A_SOCK_FD, (uint32_t)-7);
		mnl_attr_put(nlh, COAP_KA_A_PEER_IPV6, 3, junk);
		break;
	case 5:
		mnl_attr_put(nlh, COAP_KA_A_UNSPEC, 0, NULL);
		break;
	}
}

static void bp_put_session(struct nlmsghdr *nlh, unsigned long i)
{
	uint32_t transport, mask;
	unsigned int k;

	mnl_attr_put_u32(nlh, COAP_KA_A_SESSION_ID, (uint32_t)i + 1);
	mnl_attr_put_u32(nlh, COAP_KA_A_CTX_ID, 1 + bp_pick(8));
	/* x86 has no pad before a u64; other architectures may. */
	if (bp.odd && !bp_pick(5))
		mnl_attr_put(nlh, COAP_KA_A_PAD, 0, NULL);
	mnl_attr_put_u64(nlh, COAP_KA_A_SOCK_INODE,
			 bp_pick(2) ? 30000 + i * 3 : bp_rand());
	k = bp_pick(10);
	transport = k < 6 ? COAP_KA_TRANSPORT_UDP :
		    k < 9 ? COAP_KA_TRANSPORT_TCP : COAP_KA_TRANSPORT_TLS;
	if (bp.odd && !bp_pick(20))
		transport = bp_pick(2) ? COAP_KA_TRANSPORT_DTLS : 9;
	mnl_attr_put_u32(nlh, COAP_KA_A_TRANSPORT, transport);
	bp_put_peer(nlh);
	mnl_attr_put_u32(nlh, COAP_KA_A_STATE,
			 bp.odd && !bp_pick(20) ? 3 : bp_pick(2));
	mnl_attr_put_u32(nlh, COAP_KA_A_PINGS, bp_count());
	mnl_attr_put_u32(nlh, COAP_KA_A_RETRANSMISSIONS, bp_count());
	mnl_attr_put_u32(nlh, COAP_KA_A_PONGS, bp_count());
	mnl_attr_put_u32(nlh, COAP_KA_A_NACKS, bp_count());
	mnl_attr_put_u32(nlh, COAP_KA_A_PEER_PINGS, bp_count());
	mnl_attr_put_u32(nlh, COAP_KA_A_RTT_US, bp_count());
	mnl_attr_put_u32(nlh, COAP_KA_A_PING_DEFERRALS,
			 transport == COAP_KA_TRANSPORT_UDP ? 0 : bp_count());
	mnl_attr_put_u32(nlh, COAP_KA_A_TX_AGE_MS, bp_count());
	mnl_attr_put_u32(nlh, COAP_KA_A_RX_AGE_MS,
			 bp_pick(50) ? bp_count() : UINT32_MAX);
	/* The overrides, in attribute order (for_each_set_bit). */
	mask = bp_pick(4) ? 0 : (uint32_t)bp_rand();
	for (k = 0; k < sizeof(bp_settings) / sizeof(bp_settings[0]); k++) {
		uint32_t v;

		if (!(mask & (1u << k)))
			continue;
		v = bp_setting_val(bp_settings[k]);
		if (bp.odd && bp_settings[k] == COAP_KA_A_FLAGS && !bp_pick(3))
			v |= 0x40 | (bp_pick(2) ? 0x80000000u : 0);
		mnl_attr_put_u32(nlh, bp_settings[k], v);
	}
	if (bp.odd && !bp_pick(7))
		bp_put_odd(nlh);
}

static void bp_put_ctx(struct nlmsghdr *nlh, unsigned long i)
{
	unsigned int k;

	mnl_attr_put_u32(nlh, COAP_KA_A_CTX_ID, (uint32_t)i + 1);
	mnl_attr_put_u32(nlh, COAP_KA_A_OWNER_UID, bp_pick(2) ? 0 : 1000);
	for (k = 0; k < sizeof(bp_settings) / sizeof(bp_settings[0]); k++)
		mnl_attr_put_u32(nlh, bp_settings[k],
				 bp_setting_val(bp_settings[k]));
	mnl_attr_put_u32(nlh, COAP_KA_A_SESSIONS, bp_count());
	if (bp.odd && !bp_pick(7))
		bp_put_odd(nlh);
}

/* Lay the dump out in chunks of at most bp.chunk bytes. */
static void bp_build(uint8_t cmd)
{
	size_t cap = 0, off = 0, start = 0, maxmsg = 512;
	struct genlmsghdr *genl;
	struct nlmsghdr *nlh;
	unsigned long i;

	free(bp.dump);
	free(bp.chunk_len);
	bp.dump = NULL;
	bp.nchunks = 0;
	bp.chunk_len = calloc(bp.n + 1, sizeof(*bp.chunk_len));
	bp.dump_cmd = cmd;
	for (i = 0; i < bp.n; i++) {
		if (off + maxmsg > cap) {
			cap = cap * 2 + maxmsg;
			bp.dump = realloc(bp.dump, cap);
			if (!bp.dump) {
				perror("bench-print");
				exit(1);
			}
		}
		memset(bp.dump + off, 0, maxmsg);
		nlh = mnl_nlmsg_put_header(bp.dump + off);
		nlh->nlmsg_type = BP_FAMILY;
		nlh->nlmsg_flags = NLM_F_MULTI;
		nlh->nlmsg_pid = BP_PORTID;
		genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
		genl->cmd = cmd;
		genl->version = COAP_KA_GENL_VERSION;
		if (cmd == COAP_KA_CMD_CTX_GET)
			bp_put_ctx(nlh, i);
		else
			bp_put_session(nlh, i);
		if (off + nlh->nlmsg_len - start > bp.chunk && off > start) {
			bp.chunk_len[bp.nchunks++] = off - start;
			start = off;
		}
		off += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	if (off > start)
		bp.chunk_len[bp.nchunks++] = off - start;
}

/* The socket calls of libmnl, answered here. */
static char bp_sock;

struct mnl_socket *mnl_socket_open2(int bus, int flags)
{
	(void)bus; (void)flags;
	return (struct mnl_socket *)&bp_sock;
}

int mnl_socket_bind(struct mnl_socket *nl, unsigned int groups, pid_t pid)
{
	(void)nl; (void)groups; (void)pid;
	return 0;
}

int mnl_socket_close(struct mnl_socket *nl)
{
	(void)nl;
	return 0;
}

int mnl_socket_get_fd(const struct mnl_socket *nl)
{
	(void)nl;
	return -1;
}

unsigned int mnl_socket_get_portid(const struct mnl_socket *nl)
{
	(void)nl;
	return BP_PORTID;
}

int mnl_socket_setsockopt(const struct mnl_socket *nl, int type, void *buf,
			  socklen_t len)
{
	(void)nl; (void)type; (void)buf; (void)len;
	return 0;
}

ssize_t mnl_socket_sendto(const struct mnl_socket *nl, const void *req,
			  size_t siz)
{
	const struct nlmsghdr *nlh = req;
	const struct genlmsghdr *genl = mnl_nlmsg_get_payload(nlh);

	(void)nl;
	bp.seq = nlh->nlmsg_seq;
	bp.type = nlh->nlmsg_type;
	bp.cmd = genl->cmd;
	bp.next = 0;
	bp.next_off = 0;
	if (bp.type == GENL_ID_CTRL) {
		bp.state = 1;
	} else if (nlh->nlmsg_flags & NLM_F_DUMP) {
		if (!bp.dump || bp.dump_cmd != genl->cmd)
			bp_build(genl->cmd);
		bp.state = 3;
		bp.dumps++;
	} else {
		bp.state = 5;
	}
	return (ssize_t)siz;
}

static struct nlmsghdr *bp_put_reply(void *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = bp.seq;
	nlh->nlmsg_pid = BP_PORTID;
	return nlh;
}

static double bp_ns(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e9 +
	       (double)(b->tv_nsec - a->tv_nsec);
}

static ssize_t bp_recvfrom(void *buf, size_t siz);

/* What the kernel would do (copy a dump's skb out): timed apart. */
ssize_t mnl_socket_recvfrom(const struct mnl_socket *nl, void *buf,
			    size_t siz)
{
	struct timespec t0, t1;
	ssize_t ret;

	(void)nl;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	ret = bp_recvfrom(buf, siz);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	bp.fake_ns += bp_ns(&t0, &t1);
	return ret;
}

static ssize_t bp_recvfrom(void *buf, size_t siz)
{
	struct genlmsghdr *genl;
	struct nlmsghdr *nlh;
	struct nlattr *grps, *grp;
	struct nlmsgerr *err;
	size_t len;
	int rem;

	memset(buf, 0, 1024);
	switch (bp.state) {
	case 1:
		nlh = bp_put_reply(buf, GENL_ID_CTRL, 0);
		genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
		genl->cmd = CTRL_CMD_NEWFAMILY;
		genl->version = 2;
		mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, COAP_KA_GENL_NAME);
		mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, BP_FAMILY);
		mnl_attr_put_u32(nlh, CTRL_ATTR_VERSION, COAP_KA_GENL_VERSION);
		grps = mnl_attr_nest_start(nlh, CTRL_ATTR_MCAST_GROUPS);
		grp = mnl_attr_nest_start(nlh, 1);
		mnl_attr_put_strz(nlh, CTRL_ATTR_MCAST_GRP_NAME,
				  COAP_KA_MCGRP_EVENTS);
		mnl_attr_put_u32(nlh, CTRL_ATTR_MCAST_GRP_ID, BP_GROUP);
		mnl_attr_nest_end(nlh, grp);
		mnl_attr_nest_end(nlh, grps);
		bp.state = 2;
		return nlh->nlmsg_len;
	case 2:
	case 5:
		nlh = bp_put_reply(buf, NLMSG_ERROR, NLM_F_CAPPED);
		err = mnl_nlmsg_put_extra_header(nlh, sizeof(*err));
		err->error = 0;
		bp.state = 0;
		return nlh->nlmsg_len;
	case 3:
		len = bp.chunk_len[bp.next];
		if (len > siz)
			len = siz;
		memcpy(buf, bp.dump + bp.next_off, len);
		bp.next_off += len;
		rem = (int)len;
		for (nlh = buf; mnl_nlmsg_ok(nlh, rem);
		     nlh = mnl_nlmsg_next(nlh, &rem)) {
			nlh->nlmsg_seq = bp.seq;
			if (bp.intr && bp.dumps == 1 && bp.next == 1)
				nlh->nlmsg_flags |= NLM_F_DUMP_INTR;
		}
		if (++bp.next >= bp.nchunks)
			bp.state = 4;
		return (ssize_t)len;
	case 4:
		nlh = bp_put_reply(buf, NLMSG_DONE, NLM_F_MULTI);
		mnl_nlmsg_put_extra_header(nlh, sizeof(int));
		bp.state = 0;
		return nlh->nlmsg_len;
	}
	errno = EAGAIN;
	return -1;
}

static void bp_usage(void)
{
	fprintf(stderr,
		"usage: bench-print [-n SESSIONS] [-s SEED] [-r REPS] [-c CHUNK] [-o] [-x] -- CLI-ARGS...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct timespec w0, w1, c0, c1;
	struct rusage u0, u1;
	double sys;
	double wall, cpu, best_wall = 0, best_cpu = 0;
	char **cli_argv;
	unsigned long reps = 1, r;
	int c, cli_argc, ret = 0;

	while ((c = getopt(argc, argv, "n:s:r:c:ox")) != -1) {
		switch (c) {
		case 'n':
			bp.n = strtoul(optarg, NULL, 0);
			break;
		case 's':
			bp.seed = strtoull(optarg, NULL, 0) ?: 1;
			break;
		case 'r':
			reps = strtoul(optarg, NULL, 0);
			break;
		case 'c':
			bp.chunk = strtoul(optarg, NULL, 0);
			break;
		case 'o':
			bp.odd = true;
			break;
		case 'x':
			bp.intr = true;
			break;
		default:
			bp_usage();
		}
	}
	if (!bp.n || !reps || optind >= argc)
		bp_usage();
	/* The CLI's argv: its name, then what follows "--". */
	cli_argc = argc - optind + 1;
	cli_argv = calloc((size_t)cli_argc + 1, sizeof(*cli_argv));
	cli_argv[0] = "coap-keepalive";
	memcpy(cli_argv + 1, argv + optind,
	       (size_t)(argc - optind) * sizeof(*cli_argv));

	/* Build the dump before the clock starts. */
	bp_build(COAP_KA_CMD_SESSION_GET);
	for (c = 1; c < cli_argc; c++)
		if (!strcmp(cli_argv[c], "context") ||
		    !strcmp(cli_argv[c], "ctx"))
			bp_build(COAP_KA_CMD_CTX_GET);

	for (r = 0; r < reps; r++) {
		optind = 0;	/* a fresh getopt for the CLI */
		bp.fake_ns = 0;
		getrusage(RUSAGE_SELF, &u0);
		clock_gettime(CLOCK_MONOTONIC, &w0);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
		ret = cka_cli_main(cli_argc, cli_argv);
		fflush(stdout);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
		clock_gettime(CLOCK_MONOTONIC, &w1);
		getrusage(RUSAGE_SELF, &u1);
		sys = (double)(u1.ru_stime.tv_sec - u0.ru_stime.tv_sec) * 1e9 +
		      (double)(u1.ru_stime.tv_usec - u0.ru_stime.tv_usec) * 1e3;
		wall = bp_ns(&w0, &w1) / (double)bp.n;
		cpu = (bp_ns(&c0, &c1) - bp.fake_ns) / (double)bp.n;
		if (!r || cpu < best_cpu) {
			best_cpu = cpu;
			best_wall = wall;
		}
		fprintf(stderr, "run %lu: %lu objects, %.0f ns/object wall, %.0f ns/object cpu (of which ~%.0f system: page faults, writes; + %.0f in the fake kernel), %ld page faults\n",
			r + 1, bp.n, wall, cpu, sys / (double)bp.n,
			bp.fake_ns / (double)bp.n,
			u1.ru_minflt - u0.ru_minflt);
	}
	if (reps > 1)
		fprintf(stderr, "best: %.0f ns/object cpu (%.0f wall), %.0f objects/s\n",
			best_cpu, best_wall, 1e9 / best_cpu);
	free(cli_argv);
	return ret;
}
