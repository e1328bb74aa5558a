// SPDX-License-Identifier: GPL-2.0
/*
 * nl_fuzz - a deterministic fuzzer of the coap_keepalive netlink family.
 *
 * Every message starts as a valid request of one of the family's commands
 * (do and dump), then gets 0-3 mutations: attributes dropped, duplicated,
 * swapped, retyped (0, unknown, MAX+1, NLA_F_NESTED), given lengths 0, 1,
 * 3, 5, 17 or 65535 (payload matching or not), truncated netlink and
 * genetlink headers, flipped request/ack/dump flags, ids that exist, were
 * just deleted or never did, extreme values, and file descriptors of every
 * kind (closed, -1, pipe, epoll, unix, netlink, raw, packet, a UDP socket
 * of another network namespace, listening/connected TCP, kTLS, bound,
 * unbound and connected UDP over IPv4 and IPv6), and batched session-adds
 * (peer nests, valid or not, the same peer twice). Valid sessions are kept
 * alive so that GET/DEL hit real objects, and sockets are closed and made
 * again now and then.
 *
 * Every reply is read. Each error reply must carry an extended ACK message
 * (NLMSGERR_ATTR_MSG); those that do not are listed as (command, errno)
 * and fail the run, except the few the generic netlink core itself sends
 * before the family's code runs (see fuzz_known_core()).
 *
 *   nl_fuzz [--seed N] [--count N] [--user UID] [--ktap]
 *
 * The seed is printed first ("# seed N"); the same seed and count replay
 * the same messages (the kernel's answers, ids included, may differ).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include "cka_nl.h"
#include "kselftest.h"

#ifndef SOL_TLS
#define SOL_TLS 282
#endif
#ifndef TCP_ULP
#define TCP_ULP 31
#endif
#ifndef NLM_F_ACK_TLVS
#define NLM_F_ACK_TLVS 0x200
#endif

/* ------------------------------------------------------------------ */
/* deterministic random numbers (xorshift64*)                          */

static uint64_t rng_state;

static uint32_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (rng_state * 2685821657736338717ULL) >> 32;
}

static uint32_t rnd_below(uint32_t n)
{
	return n ? rnd() % n : 0;
}

static bool chance(unsigned int pct)
{
	return rnd_below(100) < pct;
}

/* ------------------------------------------------------------------ */
/* file descriptor pool                                                */

enum fd_kind {
	FD_CLOSED, FD_MINUS1, FD_HUGE, FD_PIPE, FD_EPOLL, FD_UNIX, FD_NETLINK,
	FD_RAW, FD_PACKET, FD_OTHER_NS_UDP, FD_TCP_LISTEN, FD_TCP_CONN,
	FD_TCP_UNCONN, FD_KTLS, FD_UDP4_UNBOUND, FD_UDP4_BOUND,
	FD_UDP4_CONN, FD_UDP6_BOUND, FD_UDP6_CONN, FD_KINDS
};

static const char *const fd_names[FD_KINDS] = {
	"closed", "-1", "huge", "pipe", "epoll", "unix", "netlink", "raw",
	"packet", "other-netns-udp", "tcp-listen", "tcp-connected",
	"tcp-unconnected", "ktls", "udp4-unbound", "udp4-bound",
	"udp4-connected", "udp6-bound", "udp6-connected",
};

static int pool[FD_KINDS];
static int peer_fds[FD_KINDS];	/* the other ends of TCP connections */
static unsigned int recreated;
static uint16_t udp_peer_port;	/* a bound port on 127.0.0.1 and ::1 */
static int udp_peer4 = -1, udp_peer6 = -1;

static uint16_t sock_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return 0;
	if (ss.ss_family == AF_INET)
		return ((struct sockaddr_in *)&ss)->sin_port;
	return ((struct sockaddr_in6 *)&ss)->sin6_port;
}

static int udp_sock(int family, bool bind_it, bool conn)
{
	int fd = socket(family, SOCK_DGRAM, 0);
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6,
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_in a4 = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr *a = family == AF_INET ? (void *)&a4 : (void *)&a6;
	socklen_t len = family == AF_INET ? sizeof(a4) : sizeof(a6);

	if (fd < 0)
		return -1;
	if (bind_it && bind(fd, a, len))
		goto fail;
	if (conn) {
		if (family == AF_INET)
			a4.sin_port = udp_peer_port;
		else
			a6.sin6_port = udp_peer_port;
		if (connect(fd, a, len))
			goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/* A connected TCP pair over 127.0.0.1; *@peer gets the accepted end. */
static int tcp_pair(int *peer)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int l, c = -1;

	*peer = -1;
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0)
		return -1;
	if (bind(l, (void *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (void *)&a, &len))
		goto out;
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0)
		goto out;
	if (connect(c, (void *)&a, sizeof(a))) {
		close(c);
		c = -1;
		goto out;
	}
	*peer = accept(l, NULL, NULL);
out:
	close(l);
	return c;
}

/* kTLS transmit side with fixed AES-GCM-128 keys (TLS 1.2), no handshake. */
static int ktls_sock(int *peer)
{
	struct tls12_crypto_info_aes_gcm_128 ci = {
		.info.version = TLS_1_2_VERSION,
		.info.cipher_type = TLS_CIPHER_AES_GCM_128,
	};
	int fd = tcp_pair(peer);

	if (fd < 0)
		return -1;
	memset(ci.key, 0x11, sizeof(ci.key));
	memset(ci.iv, 0x22, sizeof(ci.iv));
	memset(ci.salt, 0x33, sizeof(ci.salt));
	if (setsockopt(fd, IPPROTO_TCP, TCP_ULP, "tls", sizeof("tls")) ||
	    setsockopt(fd, SOL_TLS, TLS_TX, &ci, sizeof(ci)))
		ksft_print_msg("kTLS socket without keys: %s\n", strerror(errno));
	return fd;
}

/* A bound UDP socket of a fresh network namespace (needs CAP_SYS_ADMIN). */
static int other_ns_udp(void)
{
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int fd = -1;

	if (self < 0)
		return -1;
	if (!unshare(CLONE_NEWNET)) {
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (fd >= 0) {
			struct sockaddr_in a = { .sin_family = AF_INET };

			bind(fd, (void *)&a, sizeof(a));
		}
		if (setns(self, CLONE_NEWNET)) {
			perror("setns back");
			exit(KSFT_FAIL);
		}
	}
	close(self);
	return fd;
}

static int make_fd(enum fd_kind k)
{
	int p[2], fd;

	switch (k) {
	case FD_CLOSED:
		fd = open("/dev/null", O_RDONLY);
		close(fd);
		return fd;
	case FD_MINUS1:
		return -1;
	case FD_HUGE:
		return INT_MAX;
	case FD_PIPE:
		if (pipe(p))
			return -1;
		close(p[1]);
		return p[0];
	case FD_EPOLL:
		return epoll_create1(0);
	case FD_UNIX:
		return socket(AF_UNIX, SOCK_DGRAM, 0);
	case FD_NETLINK:
		return socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	case FD_RAW:
		return socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
	case FD_PACKET:
		return socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
	case FD_OTHER_NS_UDP:
		return other_ns_udp();
	case FD_TCP_LISTEN:
		fd = socket(AF_INET6, SOCK_STREAM, 0);
		if (fd >= 0 && listen(fd, 1)) {
			close(fd);
			return -1;
		}
		return fd;
	case FD_TCP_CONN:
		return tcp_pair(&peer_fds[k]);
	case FD_TCP_UNCONN:
		return socket(AF_INET, SOCK_STREAM, 0);
	case FD_KTLS:
		return ktls_sock(&peer_fds[k]);
	case FD_UDP4_UNBOUND:
		return udp_sock(AF_INET, false, false);
	case FD_UDP4_BOUND:
		return udp_sock(AF_INET, true, false);
	case FD_UDP4_CONN:
		return udp_sock(AF_INET, true, true);
	case FD_UDP6_BOUND:
		return udp_sock(AF_INET6, true, false);
	case FD_UDP6_CONN:
		return udp_sock(AF_INET6, true, true);
	default:
		return -1;
	}
}

/* Kinds an unprivileged process can make again later. */
static bool remakeable(enum fd_kind k)
{
	return k >= FD_TCP_LISTEN || k == FD_PIPE || k == FD_EPOLL ||
	       k == FD_UNIX;
}

static void pool_init(void)
{
	int k;

	udp_peer4 = udp_sock(AF_INET, true, false);
	udp_peer_port = udp_peer4 >= 0 ? sock_port(udp_peer4) : htons(5683);
	/* the same port on ::1 (best effort; only a peer address to point at) */
	udp_peer6 = socket(AF_INET6, SOCK_DGRAM, 0);
	if (udp_peer6 >= 0) {
		struct sockaddr_in6 a6 = { .sin6_family = AF_INET6,
					   .sin6_addr = IN6ADDR_LOOPBACK_INIT,
					   .sin6_port = udp_peer_port };

		bind(udp_peer6, (void *)&a6, sizeof(a6));
	}
	for (k = 0; k < FD_KINDS; k++) {
		peer_fds[k] = -1;
		pool[k] = make_fd(k);
		if (pool[k] < 0 && k != FD_MINUS1 && k != FD_CLOSED)
			ksft_print_msg("fd kind %s unavailable: %s\n",
				       fd_names[k], strerror(errno));
	}
}

/* Close a socket (ending its sessions) and make another of its kind. */
static void pool_recreate(void)
{
	enum fd_kind k = rnd_below(FD_KINDS);

	if (!remakeable(k))
		return;
	if (pool[k] >= 0)
		close(pool[k]);
	if (peer_fds[k] >= 0)
		close(peer_fds[k]);
	peer_fds[k] = -1;
	pool[k] = make_fd(k);
	recreated++;
}

/* ------------------------------------------------------------------ */
/* ids the fuzzer knows about                                          */

#define IDS_MAX 256

struct idset {
	uint32_t id[IDS_MAX];
	unsigned int n;
	uint32_t gone[16];	/* recently deleted */
	unsigned int ngone;
};

static struct idset ctxs, sessions;

static void ids_add(struct idset *s, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < s->n; i++)
		if (s->id[i] == id)
			return;
	if (s->n < IDS_MAX)
		s->id[s->n++] = id;
	else
		s->id[rnd_below(IDS_MAX)] = id;
}

static void ids_del(struct idset *s, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < s->n; i++)
		if (s->id[i] == id) {
			s->id[i] = s->id[--s->n];
			break;
		}
	s->gone[s->ngone++ % 16] = id;
}

static uint32_t extreme_u32(void)
{
	static const uint32_t v[] = { 0, 1, 2, 0x7fffffff, 0x80000000,
				      0xfffffffe, 0xffffffff, 65535, 65536,
				      86400, 86401, 60000, 60001, 3600001 };

	return chance(20) ? rnd() : v[rnd_below(ARRAY_SIZE(v))];
}

static uint32_t pick_id(struct idset *s)
{
	unsigned int r = rnd_below(100);

	if (r < 70 && s->n)
		return s->id[rnd_below(s->n)];
	if (r < 85 && s->ngone)
		return s->gone[rnd_below(s->ngone < 16 ? s->ngone : 16)];
	if (r < 92 && s->n)
		return s->id[rnd_below(s->n)] + 1;
	return extreme_u32();
}

/* ------------------------------------------------------------------ */
/* messages                                                            */

#define MAX_ATTRS	32
#define MAX_PAYLOAD	96
#define BIG_LEN		65535

struct fattr {
	uint16_t type;
	uint16_t len;		/* nla_len as sent */
	uint16_t paylen;	/* payload bytes actually written */
	bool big;		/* paylen is BIG_LEN - 4 bytes of filler */
	uint8_t data[MAX_PAYLOAD];
};

struct fmsg {
	uint16_t flags;
	uint8_t cmd, version;
	uint16_t reserved;
	struct fattr a[MAX_ATTRS];
	unsigned int n;
	/* header damage */
	int nlmsg_len;		/* -1: the real length */
	int send_len;		/* -1: the real length */
	/* what the reply tells */
	uint8_t base_cmd;
	bool dump;
	int sent_len;		/* bytes sent */
	uint32_t nlmsg_len_sent;
	uint32_t del_id;	/* CTX_DEL / SESSION_DEL: id asked for */
};

static void put_u32(struct fmsg *m, uint16_t type, uint32_t v)
{
	struct fattr *a;

	if (m->n >= MAX_ATTRS)
		return;
	a = &m->a[m->n++];
	memset(a, 0, sizeof(*a));
	a->type = type;
	a->paylen = 4;
	a->len = 8;
	memcpy(a->data, &v, 4);
}

static void put_bin(struct fmsg *m, uint16_t type, const void *p, uint16_t len)
{
	struct fattr *a;

	if (m->n >= MAX_ATTRS || len > MAX_PAYLOAD)
		return;
	a = &m->a[m->n++];
	memset(a, 0, sizeof(*a));
	a->type = type;
	a->paylen = len;
	a->len = 4 + len;
	memcpy(a->data, p, len);
}

static const uint16_t settings[] = {
	COAP_KA_A_KEEPALIVE_SECS, COAP_KA_A_ACK_TIMEOUT_MS,
	COAP_KA_A_ACK_RANDOM_FACTOR, COAP_KA_A_MAX_RETRANSMIT,
	COAP_KA_A_PONG_TIMEOUT_MS, COAP_KA_A_ACTIVITY, COAP_KA_A_JITTER_PCT,
	COAP_KA_A_ACTION, COAP_KA_A_FLAGS,
};

static uint32_t valid_setting(uint16_t type)
{
	switch (type) {
	case COAP_KA_A_KEEPALIVE_SECS:
		return chance(50) ? 0 : 1 + rnd_below(COAP_KA_KEEPALIVE_SECS_MAX);
	case COAP_KA_A_ACK_TIMEOUT_MS:
		return COAP_KA_ACK_TIMEOUT_MS_MIN +
		       rnd_below(COAP_KA_ACK_TIMEOUT_MS_MAX - COAP_KA_ACK_TIMEOUT_MS_MIN + 1);
	case COAP_KA_A_ACK_RANDOM_FACTOR:
		return COAP_KA_RANDOM_FACTOR_MIN +
		       rnd_below(COAP_KA_RANDOM_FACTOR_MAX - COAP_KA_RANDOM_FACTOR_MIN + 1);
	case COAP_KA_A_MAX_RETRANSMIT:
		return rnd_below(COAP_KA_MAX_RETRANSMIT_MAX + 1);
	case COAP_KA_A_PONG_TIMEOUT_MS:
		return rnd_below(COAP_KA_PONG_TIMEOUT_MS_MAX + 1);
	case COAP_KA_A_ACTIVITY:
		return rnd_below(COAP_KA_ACTIVITY_MAX + 1);
	case COAP_KA_A_JITTER_PCT:
		return rnd_below(COAP_KA_JITTER_PCT_MAX + 1);
	case COAP_KA_A_ACTION:
		return rnd_below(COAP_KA_ACTION_MAX + 1);
	case COAP_KA_A_FLAGS:
		return rnd_below(COAP_KA_F_MASK + 1);
	}
	return 0;
}

static void put_settings(struct fmsg *m, unsigned int pct)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(settings); i++)
		if (chance(pct))
			put_u32(m, settings[i], valid_setting(settings[i]));
}

static int pool_fd(void)
{
	int fd = pool[rnd_below(FD_KINDS)];

	/* mostly the sockets a session can be made of */
	if (chance(60))
		fd = pool[FD_TCP_CONN + rnd_below(FD_KINDS - FD_TCP_CONN)];
	return fd;
}

static void put_peer(struct fmsg *m)
{
	uint16_t port = udp_peer_port;

	if (chance(30))
		port = htons(1 + rnd_below(65535));
	if (chance(60)) {
		uint32_t a4 = htonl(INADDR_LOOPBACK);

		put_u32(m, COAP_KA_A_PEER_IPV4, a4);
	} else {
		struct in6_addr a6 = IN6ADDR_LOOPBACK_INIT;

		put_bin(m, COAP_KA_A_PEER_IPV6, &a6, sizeof(a6));
	}
	put_bin(m, COAP_KA_A_PEER_PORT, &port, 2);
}

/* Append attribute @type with @len bytes of @p to the nest body @buf. */
static unsigned int nest_put(uint8_t *buf, unsigned int off, uint16_t type,
			     const void *p, uint16_t len)
{
	struct nlattr na = { .nla_len = 4 + len, .nla_type = type };

	memcpy(buf + off, &na, 4);
	memcpy(buf + off + 4, p, len);
	memset(buf + off + 4 + len, 0, NLA_ALIGN(len) - len);
	return off + 4 + NLA_ALIGN(len);
}

/*
 * One peer of a batched session-add: a COAP_KA_A_PEER nest, mostly a
 * valid peer (one of 64 of 127.0.0.0/24 or ::/120, so that a batch has
 * distinct ones and sometimes the same twice), now and then without its port,
 * with both addresses, or with a session-id it must not carry.
 */
static void put_peer_nest(struct fmsg *m)
{
	uint16_t port = chance(80) ? udp_peer_port : htons(rnd_below(65536));
	uint8_t buf[MAX_PAYLOAD];
	unsigned int off = 0;
	bool v4 = chance(60);

	if (v4 || chance(5)) {
		uint32_t a4 = htonl(INADDR_LOOPBACK + rnd_below(64));

		off = nest_put(buf, off, COAP_KA_A_PEER_IPV4, &a4, 4);
	}
	if (!v4 || chance(5)) {
		struct in6_addr a6 = IN6ADDR_LOOPBACK_INIT;

		a6.s6_addr[15] = rnd_below(64);
		off = nest_put(buf, off, COAP_KA_A_PEER_IPV6, &a6, sizeof(a6));
	}
	if (chance(92))
		off = nest_put(buf, off, COAP_KA_A_PEER_PORT, &port, 2);
	if (chance(4)) {
		uint32_t id = 1 + rnd_below(64);

		off = nest_put(buf, off, COAP_KA_A_SESSION_ID, &id, 4);
	}
	put_bin(m, COAP_KA_A_PEER | (chance(95) ? NLA_F_NESTED : 0), buf, off);
}

/* A valid request of a random command. */
static void gen_base(struct fmsg *m)
{
	unsigned int r = rnd_below(100);

	memset(m, 0, sizeof(*m));
	m->n = 0;
	m->nlmsg_len = -1;
	m->send_len = -1;
	m->version = COAP_KA_GENL_VERSION;
	m->flags = NLM_F_REQUEST | (chance(50) ? NLM_F_ACK : 0);

	/* keep the population bounded: delete more when there is much */
	if (ctxs.n > 48 && r < 50)
		r = 30;
	if (sessions.n > 96 && r < 50)
		r = 80;

	if (r < 14) {
		m->cmd = COAP_KA_CMD_CTX_NEW;
		put_settings(m, 30);
	} else if (r < 24) {
		m->cmd = COAP_KA_CMD_CTX_SET;
		put_u32(m, COAP_KA_A_CTX_ID, pick_id(&ctxs));
		put_settings(m, 30);
	} else if (r < 30) {
		m->cmd = COAP_KA_CMD_CTX_GET;
		if (chance(40))
			m->flags |= NLM_F_DUMP;
		else
			put_u32(m, COAP_KA_A_CTX_ID, pick_id(&ctxs));
	} else if (r < 38) {
		m->cmd = COAP_KA_CMD_CTX_DEL;
		m->del_id = pick_id(&ctxs);
		put_u32(m, COAP_KA_A_CTX_ID, m->del_id);
	} else if (r < 72) {
		unsigned int peers = rnd_below(100);	/* < 60 flat, >= 80 nests */
		int fd = pool_fd();

		/* a batch is mostly of the sockets that take one */
		if (peers >= 80 && chance(70))
			fd = pool[chance(60) ? FD_UDP4_BOUND : FD_UDP6_BOUND];
		m->cmd = COAP_KA_CMD_SESSION_ADD;
		put_u32(m, COAP_KA_A_CTX_ID, pick_id(&ctxs));
		put_u32(m, COAP_KA_A_SOCK_FD, fd);
		if (chance(25))
			put_u32(m, COAP_KA_A_TRANSPORT,
				rnd_below(COAP_KA_TRANSPORT_MAX + 1));
		if (peers < 60) {
			put_peer(m);
		} else if (peers >= 80) {
			unsigned int i, n = 1 + rnd_below(8);

			for (i = 0; i < n; i++)
				put_peer_nest(m);
		}
		put_settings(m, 10);
	} else if (r < 82) {
		m->cmd = COAP_KA_CMD_SESSION_DEL;
		m->del_id = pick_id(&sessions);
		put_u32(m, COAP_KA_A_SESSION_ID, m->del_id);
	} else if (r < 96) {
		m->cmd = COAP_KA_CMD_SESSION_GET;
		if (chance(40)) {
			m->flags |= NLM_F_DUMP;
			if (chance(30))
				put_u32(m, COAP_KA_A_CTX_ID, pick_id(&ctxs));
			if (chance(20)) {
				uint64_t ino = chance(50) ? rnd() : 0;

				put_bin(m, COAP_KA_A_SOCK_INODE, &ino, 8);
			}
		} else {
			put_u32(m, COAP_KA_A_SESSION_ID, pick_id(&sessions));
		}
	} else {
		/* a command the family has not (or not as a request) */
		static const uint8_t bad[] = { 0, 8, 9, 10, 11, 12, 100, 255 };

		m->cmd = bad[rnd_below(ARRAY_SIZE(bad))];
		put_u32(m, COAP_KA_A_CTX_ID, pick_id(&ctxs));
	}
	m->base_cmd = m->cmd;
}

static const uint16_t odd_lens[] = { 0, 1, 3, 5, 17, BIG_LEN };

static void mutate(struct fmsg *m)
{
	struct fattr *a = m->n ? &m->a[rnd_below(m->n)] : NULL;
	unsigned int i, j;

	switch (rnd_below(15)) {
	case 0:		/* drop an attribute */
		if (a)
			*a = m->a[--m->n];
		break;
	case 1:		/* duplicate one */
		if (a && m->n < MAX_ATTRS)
			m->a[m->n++] = *a;
		break;
	case 2:		/* swap two */
		if (m->n > 1) {
			struct fattr t;

			i = rnd_below(m->n);
			j = rnd_below(m->n);
			t = m->a[i];
			m->a[i] = m->a[j];
			m->a[j] = t;
		}
		break;
	case 3:		/* another type */
		if (a) {
			static const uint16_t t[] = {
				0, COAP_KA_A_MAX + 1, COAP_KA_A_MAX + 2, 0x3fff,
				COAP_KA_A_PAD, COAP_KA_A_OWNER_UID,
				COAP_KA_A_SESSIONS, COAP_KA_A_STATE,
			};

			a->type = chance(50) ? t[rnd_below(ARRAY_SIZE(t))] :
					       1 + rnd_below(COAP_KA_A_MAX);
		}
		break;
	case 4:		/* nested / byte-order flags */
		if (a)
			a->type |= chance(70) ? NLA_F_NESTED : NLA_F_NET_BYTEORDER;
		break;
	case 5:		/* an odd length, payload to match or not */
		if (a) {
			uint16_t l = odd_lens[rnd_below(ARRAY_SIZE(odd_lens))];

			if (chance(50)) {
				a->len = l;
			} else if (l == BIG_LEN) {
				a->len = BIG_LEN;
				a->big = true;
			} else {
				a->len = 4 + l;
				a->paylen = l;
				for (i = 4; i < l && i < MAX_PAYLOAD; i++)
					a->data[i] = rnd();
			}
		}
		break;
	case 6:		/* truncated nlmsghdr / genlmsghdr / body */
		switch (rnd_below(5)) {
		case 0:
			m->send_len = rnd_below(NLMSG_HDRLEN);
			break;
		case 1:
			m->nlmsg_len = rnd_below(NLMSG_HDRLEN);
			break;
		case 2:
			m->nlmsg_len = NLMSG_HDRLEN + rnd_below(GENL_HDRLEN);
			break;
		case 3:
			m->nlmsg_len = 0x10000 + rnd_below(1000);
			break;
		default:
			m->send_len = NLMSG_HDRLEN + GENL_HDRLEN + rnd_below(64);
			m->nlmsg_len = chance(50) ? m->send_len : -1;
			break;
		}
		break;
	case 7:		/* flags */
		switch (rnd_below(5)) {
		case 0:
			m->flags ^= NLM_F_DUMP;
			break;
		case 1:
			m->flags ^= NLM_F_ACK;
			break;
		case 2:
			m->flags ^= NLM_F_REQUEST;
			break;
		case 3:
			m->flags ^= NLM_F_ROOT;
			break;
		default:
			m->flags ^= 1 << rnd_below(16);
			break;
		}
		break;
	case 8:		/* ids: existing, deleted, never were */
		for (i = 0; i < m->n; i++) {
			if (m->a[i].type == COAP_KA_A_CTX_ID) {
				uint32_t v = pick_id(chance(20) ? &sessions : &ctxs);

				memcpy(m->a[i].data, &v, 4);
			} else if (m->a[i].type == COAP_KA_A_SESSION_ID) {
				uint32_t v = pick_id(chance(20) ? &ctxs : &sessions);

				memcpy(m->a[i].data, &v, 4);
			}
		}
		break;
	case 9:		/* an extreme value */
		if (a) {
			uint32_t v = extreme_u32();

			memcpy(a->data, &v, a->paylen < 4 ? a->paylen : 4);
		}
		break;
	case 10:	/* another fd, of any kind */
		for (i = 0; i < m->n; i++)
			if (m->a[i].type == COAP_KA_A_SOCK_FD) {
				int fd = pool[rnd_below(FD_KINDS)];

				memcpy(m->a[i].data, &fd, 4);
			}
		if (m->cmd == COAP_KA_CMD_SESSION_ADD && chance(30))
			put_u32(m, COAP_KA_A_SOCK_FD, pool[rnd_below(FD_KINDS)]);
		break;
	case 11:	/* genetlink header */
		switch (rnd_below(3)) {
		case 0:
			m->cmd = rnd();
			break;
		case 1:
			m->version = rnd();
			break;
		default:
			m->reserved = 1 + rnd_below(0xffff);
			break;
		}
		break;
	case 12:	/* an attribute this command does not take, or junk */
		if (chance(50)) {
			put_u32(m, 1 + rnd_below(COAP_KA_A_MAX), extreme_u32());
		} else if (m->n < MAX_ATTRS) {
			a = &m->a[m->n++];
			memset(a, 0, sizeof(*a));
			a->type = rnd();
			a->paylen = rnd_below(MAX_PAYLOAD);
			a->len = 4 + a->paylen;
			for (i = 0; i < a->paylen; i++)
				a->data[i] = rnd();
		}
		break;
	case 13:	/* the peer attributes, in odd combinations, or nested */
		if (chance(50))
			put_peer(m);
		else
			put_peer_nest(m);
		break;
	default:	/* a byte of a payload */
		if (a && a->paylen)
			a->data[rnd_below(a->paylen)] ^= 1 << rnd_below(8);
		break;
	}
}

static char txbuf[2 * BIG_LEN + 4096];

/* Lay @m out in txbuf; returns the bytes to send. */
static int serialize(struct fmsg *m, uint16_t family, uint32_t seq)
{
	struct nlmsghdr *nlh = (void *)txbuf;
	struct genlmsghdr *g = (void *)(txbuf + NLMSG_HDRLEN);
	size_t off = NLMSG_HDRLEN + GENL_HDRLEN;
	unsigned int i;

	memset(txbuf, 0, off);
	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = m->flags;
	nlh->nlmsg_seq = seq;
	g->cmd = m->cmd;
	g->version = m->version;
	g->reserved = m->reserved;
	for (i = 0; i < m->n; i++) {
		struct fattr *a = &m->a[i];
		struct nlattr *na = (void *)(txbuf + off);
		size_t pay = a->big ? BIG_LEN - 4 : a->paylen;

		if (off + 4 + pay + 4 > sizeof(txbuf))
			break;
		na->nla_type = a->type;
		na->nla_len = a->len;
		if (a->big)
			memset(txbuf + off + 4, 0x5a, pay);
		else
			memcpy(txbuf + off + 4, a->data, pay);
		off += NLA_ALIGN(4 + pay);
	}
	nlh->nlmsg_len = m->nlmsg_len >= 0 ? (uint32_t)m->nlmsg_len : off;
	m->nlmsg_len_sent = nlh->nlmsg_len;
	m->sent_len = m->send_len >= 0 && (size_t)m->send_len < off ? m->send_len : off;
	m->dump = (m->flags & NLM_F_DUMP) == NLM_F_DUMP;
	return m->sent_len;
}

/* ------------------------------------------------------------------ */
/* statistics                                                          */

#define NCMD 256

struct stats {
	unsigned long sent, acks, replies, errors, with_msg, known;
	unsigned long batches, batch_sessions;	/* batched session-adds answered */
	unsigned long per_err[NCMD], per_msg[NCMD], per_ok[NCMD];
	unsigned long no_reply, overruns, dump_errors, dones;
	unsigned long known_hdr, known_cmd, known_busy, stray;
};

static struct stats st;

#define FIND_MAX 64
static struct {
	uint8_t cmd;
	int err;
	unsigned long n;
	unsigned long first_msg;	/* message number, for replay */
} findings[FIND_MAX];
static unsigned int nfindings;

static const char *cmd_name(unsigned int c)
{
	static const char *const n[] = {
		"unspec", "ctx-new", "ctx-set", "ctx-get", "ctx-del",
		"session-add", "session-del", "session-get", "pong-ntf",
		"nack-ntf", "ping-ntf", "session-gone-ntf",
	};

	return c < ARRAY_SIZE(n) ? n[c] : "unknown";
}

/*
 * Errors the generic netlink core sends without a message, before the
 * family's code runs (net/netlink/genetlink.c genl_family_rcv_msg(), the
 * same in 6.1 and 6.12; net/netlink/af_netlink.c netlink_dump_start()):
 *   EINVAL      nlmsg_len shorter than nlmsghdr + genlmsghdr
 *   EOPNOTSUPP  a command the family has not, or not as do/dump
 *   EBUSY       a dump requested while another runs on the socket
 * The module cannot add a message to these.
 */
static bool fuzz_known_core(const struct fmsg *m, int err)
{
	bool has_do = m->cmd >= COAP_KA_CMD_CTX_NEW &&
		      m->cmd <= COAP_KA_CMD_SESSION_GET;
	bool has_dump = m->cmd == COAP_KA_CMD_CTX_GET ||
			m->cmd == COAP_KA_CMD_SESSION_GET;

	if (err == EINVAL && m->nlmsg_len_sent < NLMSG_HDRLEN + GENL_HDRLEN) {
		st.known_hdr++;
		return true;
	}
	if (err == EOPNOTSUPP && !(m->dump ? has_dump : has_do)) {
		st.known_cmd++;
		return true;
	}
	if (err == EBUSY && m->dump) {
		st.known_busy++;
		return true;
	}
	return false;
}

static void finding(const struct fmsg *m, int err, unsigned long msgno)
{
	unsigned int i;

	for (i = 0; i < nfindings; i++)
		if (findings[i].cmd == m->cmd && findings[i].err == err) {
			findings[i].n++;
			return;
		}
	if (nfindings == FIND_MAX)
		return;
	findings[nfindings].cmd = m->cmd;
	findings[nfindings].err = err;
	findings[nfindings].n = 1;
	findings[nfindings].first_msg = msgno;
	nfindings++;
	/* the message as sent, to reproduce it */
	ksft_print_msg("no extack: cmd %u (%s) errno %d (%s), message #%lu:",
		       m->cmd, cmd_name(m->cmd), err, strerror(err), msgno);
	for (i = 0; i < (unsigned int)m->sent_len && i < 128; i++)
		printf(" %02x", (uint8_t)txbuf[i]);
	printf("\n");
}

static bool has_extack_msg(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	unsigned int off;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return false;
	if (nlh->nlmsg_type == NLMSG_DONE) {
		off = sizeof(int);
	} else {
		off = sizeof(*e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	}
	if (off > nlh->nlmsg_len - NLMSG_HDRLEN)
		return false;
	mnl_attr_for_each(a, nlh, off)
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_get_payload_len(a) > 1)
			return true;
	return false;
}

/* ------------------------------------------------------------------ */
/* the batch loop                                                      */

#define BATCH 16
#define SENTINEL_TAG 0xc0000000u

static int nlfd;
static uint16_t family;
/* far from the small numbers attribute bytes split off as a header hold */
static uint32_t seq_base = 0x20000001;
static struct fmsg batch[BATCH];
static uint32_t batch_seq0;
static unsigned int batch_n;
static unsigned long msgno;
static char rxbuf[1 << 18];

static void learn_ids(const struct nlmsghdr *nlh, const struct fmsg *m)
{
	const struct nlattr *a, *b;
	bool batch = false;

	/* a batched session-add's reply: a session id in each peer nest */
	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(a) != COAP_KA_A_PEER ||
		    mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
			continue;
		mnl_attr_for_each_nested(b, a)
			if (mnl_attr_get_type(b) == COAP_KA_A_SESSION_ID &&
			    mnl_attr_get_payload_len(b) == 4) {
				ids_add(&sessions, mnl_attr_get_u32(b));
				st.batch_sessions++;
				batch = true;
			}
	}
	if (batch) {
		st.batches++;
		return;
	}
	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_payload_len(a) != 4)
			continue;
		if (mnl_attr_get_type(a) == COAP_KA_A_SESSION_ID) {
			ids_add(&sessions, mnl_attr_get_u32(a));
			return;
		}
	}
	mnl_attr_for_each(a, nlh, GENL_HDRLEN)
		if (mnl_attr_get_type(a) == COAP_KA_A_CTX_ID &&
		    mnl_attr_get_payload_len(a) == 4)
			ids_add(&ctxs, mnl_attr_get_u32(a));
	(void)m;
}

static void count_error(const struct nlmsghdr *nlh, const struct fmsg *m,
			int err, unsigned long no)
{
	st.errors++;
	st.per_err[m ? m->cmd : 0]++;
	if (has_extack_msg(nlh)) {
		st.with_msg++;
		st.per_msg[m ? m->cmd : 0]++;
	} else if (m && fuzz_known_core(m, err)) {
		st.known++;
	} else if (m) {
		finding(m, err, no);
	} else {
		/*
		 * An answer to bytes a short nlmsg_len split off the message:
		 * a header made of attribute bytes, mostly of no family.
		 */
		st.stray++;
	}
}

/* Send the sentinel (NOOP + ACK) and read until its ACK and open dumps end. */
static int drain(uint32_t sentinel)
{
	bool seen = false, dump_open[BATCH] = { false };
	struct nlmsghdr s = {
		.nlmsg_len = NLMSG_HDRLEN, .nlmsg_type = NLMSG_NOOP,
		.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK, .nlmsg_seq = sentinel,
	};
	unsigned int i;

	if (send(nlfd, &s, sizeof(s), 0) != sizeof(s))
		return -errno;
	for (;;) {
		bool open = false;
		struct nlmsghdr *nlh;
		int len;

		for (i = 0; i < batch_n; i++)
			open |= dump_open[i];
		if (seen && !open)
			return 0;
		len = recv(nlfd, rxbuf, sizeof(rxbuf), 0);
		if (len < 0 && errno == ENOBUFS) {
			/* replies were dropped: resynchronise on a new sentinel */
			st.overruns++;
			memset(dump_open, 0, sizeof(dump_open));
			sentinel++;
			s.nlmsg_seq = sentinel;
			seen = false;
			if (send(nlfd, &s, sizeof(s), 0) != sizeof(s))
				return -errno;
			continue;
		}
		if (len < 0)
			return -errno;
		for (nlh = (void *)rxbuf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			uint32_t idx = nlh->nlmsg_seq - batch_seq0;
			struct fmsg *m = idx < batch_n ? &batch[idx] : NULL;
			unsigned long no = msgno - batch_n + idx;

			if ((nlh->nlmsg_seq & SENTINEL_TAG) == SENTINEL_TAG) {
				if (nlh->nlmsg_seq == sentinel)
					seen = true;
				continue;
			}
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

				if (m && m->dump)
					dump_open[idx] = false;
				if (!e->error) {
					st.acks++;
					if (m && m->del_id && !m->dump)
						ids_del(m->cmd == COAP_KA_CMD_CTX_DEL ?
							&ctxs : &sessions, m->del_id);
					if (m)
						st.per_ok[m->cmd]++;
					continue;
				}
				count_error(nlh, m, -e->error, no);
				continue;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				int err = 0;

				st.dones++;
				if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int))
					err = *(int *)mnl_nlmsg_get_payload(nlh);
				if (m) {
					dump_open[idx] = false;
					if (!err)
						st.per_ok[m->cmd]++;
				}
				if (err) {
					st.dump_errors++;
					count_error(nlh, m, -err, no);
				}
				continue;
			}
			if (nlh->nlmsg_type == NLMSG_NOOP ||
			    nlh->nlmsg_type == NLMSG_OVERRUN)
				continue;
			st.replies++;
			if (m && (nlh->nlmsg_flags & NLM_F_MULTI) && m->dump)
				dump_open[idx] = true;
			else if (m && !(m->flags & NLM_F_ACK))
				st.per_ok[m->cmd]++;
			if (nlh->nlmsg_type == family)
				learn_ids(nlh, m);
		}
	}
}

static uint32_t next_sentinel(void)
{
	static uint32_t n;

	return SENTINEL_TAG | (n++ & 0x0fffffff);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Run @n generated messages, saying how far every tenth of the way. */
static int fuzz(unsigned long n)
{
	unsigned long progress_step = n / 10 > 1000 ? n / 10 : 1000;
	unsigned long progress_next = progress_step;
	double progress_t0 = now();
	unsigned int i;
	int err;

	while (n) {
		batch_n = 0;
		batch_seq0 = seq_base;
		while (batch_n < BATCH && n) {
			struct fmsg *m = &batch[batch_n];
			unsigned int k, muts;
			int len;

			gen_base(m);
			muts = chance(25) ? 0 : 1 + rnd_below(3);
			for (k = 0; k < muts; k++)
				mutate(m);
			len = serialize(m, family, seq_base++);
			batch_n++;
			msgno++;
			n--;
			st.sent++;
			if (send(nlfd, txbuf, len, 0) < 0 && errno != EINVAL &&
			    errno != EMSGSIZE)
				st.no_reply++;
			/* one dump at a time per socket */
			if (m->dump)
				break;
		}
		err = drain(next_sentinel());
		if (err)
			return err;
		if (msgno >= progress_next) {
			double dt = now() - progress_t0;

			ksft_print_msg("progress: %lu messages, %.0f/s\n", msgno,
				       dt > 0 ? msgno / dt : 0.0);
			fflush(stdout);
			progress_next += progress_step;
		}
		if (chance(3))
			pool_recreate();
		/* refresh what exists now and then */
		if (chance(2) || (ctxs.n == 0 && chance(20))) {
			for (i = 0; i < 2 && n; i++) {
				struct fmsg *m = &batch[0];

				batch_seq0 = seq_base;
				batch_n = 1;
				gen_base(m);
				m->n = 0;
				m->cmd = m->base_cmd = i ? COAP_KA_CMD_SESSION_GET :
							   COAP_KA_CMD_CTX_GET;
				m->flags = NLM_F_REQUEST | NLM_F_DUMP;
				if (i == 0)
					ctxs.n = 0;
				else
					sessions.n = 0;
				if (send(nlfd, txbuf, serialize(m, family, seq_base++), 0) < 0)
					return -errno;
				msgno++;
				n--;
				st.sent++;
				err = drain(next_sentinel());
				if (err)
					return err;
			}
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* liveness: a valid dump, a context made and deleted                  */

static int alive(void)
{
	struct cka_nl *nl = cka_open();
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	long id;
	int err;

	if (!nl) {
		ksft_print_msg("family lookup: %s\n", strerror(errno));
		return -1;
	}
	nlh = cka_req(nl, buf, COAP_KA_CMD_CTX_GET, NLM_F_DUMP, NULL);
	err = cka_talk(nl, nlh, NULL, NULL);
	if (err) {
		ksft_print_msg("CTX_GET dump: %s\n", strerror(-err));
		goto out;
	}
	ksft_print_msg("CTX_GET dump: %u contexts\n", nl->nmsgs);
	id = cka_ctx_new(nl, NULL, 0);
	if (id < 0) {
		err = id;
		ksft_print_msg("CTX_NEW: %s\n", strerror(-err));
		goto out;
	}
	err = cka_ctx_cmd(nl, COAP_KA_CMD_CTX_DEL, id, NULL, NULL);
	if (err)
		ksft_print_msg("CTX_DEL %ld: %s\n", id, strerror(-err));
out:
	cka_close(nl);
	return err;
}

/* ------------------------------------------------------------------ */

static int open_fuzz_socket(void)
{
	struct cka_nl *nl = cka_open();
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int one = 1, big = 4 << 20;

	if (!nl)
		return -1;
	family = nl->family;
	cka_close(nl);
	nlfd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (nlfd < 0 || bind(nlfd, (void *)&sa, sizeof(sa)))
		return -1;
	setsockopt(nlfd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nlfd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	if (setsockopt(nlfd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)))
		setsockopt(nlfd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (setsockopt(nlfd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)))
		setsockopt(nlfd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	/* a lost reply fails the run instead of hanging it */
	setsockopt(nlfd, SOL_SOCKET, SO_RCVTIMEO,
		   &(struct timeval){ .tv_sec = 60 }, sizeof(struct timeval));
	return 0;
}

static void drop_privileges(uid_t uid)
{
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
	    setresuid(uid, uid, uid)) {
		ksft_print_msg("cannot become uid %u: %s\n", uid, strerror(errno));
		exit(KSFT_FAIL);
	}
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [--seed N] [--count N] [--user UID] [--ktap]\n",
		prog);
	exit(KSFT_FAIL);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'c' },
		{ "user", required_argument, NULL, 'u' },
		{ "ktap", no_argument, NULL, 'k' },
		{}
	};
	unsigned long count = 20000, seed;
	bool have_seed = false, ok;
	long uid = -1;
	double t0, dt;
	unsigned int i;
	int opt, err;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			seed = strtoul(optarg, NULL, 0);
			have_seed = true;
			break;
		case 'c':
			count = strtoul(optarg, NULL, 0);
			break;
		case 'u':
			uid = strtol(optarg, NULL, 0);
			break;
		case 'k':
			break;	/* KTAP is the only output */
		default:
			usage(argv[0]);
		}
	}
	if (!have_seed) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed = ts.tv_sec ^ (ts.tv_nsec << 8) ^ getpid();
	}
	printf("# seed %lu\n", seed);
	fflush(stdout);
	rng_state = seed * 0x9e3779b97f4a7c15ULL + 1;

	ksft_print_header();
	ksft_set_plan(4);
	ksft_print_msg("%lu messages as uid %ld (replay: --seed %lu --count %lu%s)\n",
		       count, uid >= 0 ? uid : (long)geteuid(), seed, count,
		       uid >= 0 ? " --user UID" : "");

	pool_init();
	if (uid >= 0)
		drop_privileges(uid);
	if (open_fuzz_socket())
		ksft_exit_fail_msg("coap_keepalive family: %s\n", strerror(errno));
	for (i = 0; i < FD_KINDS; i++)
		ksft_print_msg("fd %-16s %d\n", fd_names[i], pool[i]);

	t0 = now();
	err = fuzz(count);
	dt = now() - t0;
	ksft_print_msg("%lu messages in %.1f s: %.0f messages/s\n", st.sent, dt,
		       dt > 0 ? st.sent / dt : 0.0);
	ksft_print_msg("%lu acks, %lu replies, %lu dumps done, %lu errors, %lu unsent, %lu overruns, %u sockets remade\n",
		       st.acks, st.replies, st.dones, st.errors, st.no_reply,
		       st.overruns, recreated);
	ksft_print_msg("%lu batched session-adds answered, %lu sessions in them\n",
		       st.batches, st.batch_sessions);
	ksft_test_result(!err && st.sent == count, "%lu messages sent, every reply read%s%s\n",
			 st.sent, err ? ": " : "", err ? strerror(-err) : "");

	/* commands the family has not: one row */
	for (i = COAP_KA_CMD_MAX + 1; i < NCMD; i++) {
		st.per_ok[0] += st.per_ok[i];
		st.per_err[0] += st.per_err[i];
		st.per_msg[0] += st.per_msg[i];
	}
	for (i = 0; i <= COAP_KA_CMD_MAX; i++)
		if (st.per_err[i] || st.per_ok[i])
			ksft_print_msg("cmd %2u %-18s ok %7lu  errors %7lu  with extack %7lu (%5.1f%%)\n",
				       i, i ? cmd_name(i) : "none (0, 12-255)",
				       st.per_ok[i], st.per_err[i], st.per_msg[i],
				       st.per_err[i] ? 100.0 * st.per_msg[i] / st.per_err[i] : 100.0);
	ksft_print_msg("errors with an extack message: %lu of %lu (%.2f%%)\n",
		       st.with_msg, st.errors,
		       st.errors ? 100.0 * st.with_msg / st.errors : 100.0);
	ksft_print_msg("without one, from the genetlink core before the family's code (known): %lu EINVAL short genlmsghdr, %lu EOPNOTSUPP no such do/dump command, %lu EBUSY dump while a dump runs\n",
		       st.known_hdr, st.known_cmd, st.known_busy);
	ksft_print_msg("without one, answers to bytes a short nlmsg_len split off: %lu\n",
		       st.stray);
	for (i = 0; i < nfindings; i++)
		ksft_print_msg("FINDING: cmd %u (%s) errno %d (%s) without extack message, %lu times, first message #%lu\n",
			       findings[i].cmd, cmd_name(findings[i].cmd),
			       findings[i].err, strerror(findings[i].err),
			       findings[i].n, findings[i].first_msg);
	ksft_test_result(!nfindings &&
			 st.errors == st.with_msg + st.known + st.stray,
			 "every error reply carries an extack message (%u findings)\n",
			 nfindings);

	/* the fuzzer reached every handler, not only the netlink core */
	ok = true;
	for (i = COAP_KA_CMD_CTX_NEW; i <= COAP_KA_CMD_SESSION_GET; i++)
		if (count >= 2000 && (!st.per_ok[i] || !st.per_msg[i])) {
			ksft_print_msg("cmd %s: %lu successes, %lu errors with message\n",
				       cmd_name(i), st.per_ok[i], st.per_msg[i]);
			ok = false;
		}
	ksft_test_result(ok, "every command succeeded and failed at least once\n");

	close(nlfd);
	ksft_test_result(!alive(), "the module still answers (CTX_GET dump, CTX_NEW, CTX_DEL)\n");
	ksft_finished();
}
