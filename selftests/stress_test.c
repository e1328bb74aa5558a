// SPDX-License-Identifier: GPL-2.0
/*
 * Race stress (issue 11): many threads drive the module's every entry
 * point at once on shared pools of sockets, sessions and contexts, so that
 * the kernel sees operations race with each other, with its own timers
 * and with module unload. Only the test's own bookkeeping is locked; a
 * socket may be closed, disconnected, reconnected, corked, shut down,
 * given kTLS keys or a UDP encapsulation while another thread adds a
 * session on it, sends on it or deletes its session, and while Pings to
 * it are retransmitted at a 10 ms ACK timeout.
 *
 *   workers (--threads, default 16) pick random operations:
 *     contexts: new (keepalive 1 s, ACK timeout 10 ms, few retransmits),
 *       set (other timeouts, action abort, flags), delete
 *     sessions: add on a random socket (UDP unconnected v4/v6 with a
 *       peer, UDP connected, TCP, TCP with kTLS), delete, get, dump
 *     sockets: close (sessions or not), re-create, connect(AF_UNSPEC),
 *       connect elsewhere, UDP_ENCAP (ESPINUDP), UDP_CORK + sends,
 *       TCP_CORK + MSG_MORE sends, kTLS ULP + TX/RX keys, shutdown,
 *       application traffic (and reading what came back)
 *     netns: a child process unshares a network namespace, adds sessions
 *       in it and exits with them alive
 *   peers: UDP responders answering empty CONs with a Reset (or staying
 *     silent, so Pings retransmit and NACK), a TCP responder answering
 *     7.02 Ping with 7.03 Pong, discarding other data, resetting now and
 *     then
 *   an event listener counting PING/PONG/NACK/GONE events
 *   an unloader: every 4-8 s delete_module(coap_keepalive) and, when it
 *     worked, finit_module($CKA_KO) again
 *
 * At the end: every worker returns, no netlink request went unanswered,
 * the module is loaded, sessions and contexts drain to none and the
 * module's reference count is 0. The runner then unloads the module and
 * scans the kernel log (KASAN, lockdep, WARN, kmemleak on the debug
 * kernel): any report fails the test.
 *
 * Options: --secs N (default 60), --threads N (16), --seed N (from the
 * clock), --debug-secs N: seconds instead of --secs when running on the
 * debug kernel (its release contains "cka-debug"; `make check-debug`
 * runs the same TESTS line, which thus says both durations).
 * Prints "# seed N" first: a failing run can be repeated with it (the
 * interleaving itself is not reproducible).
 */
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <netinet/udp.h>

#include "cka_tcp.h"
#include "kselftest_harness.h"
#include "cka_life.h"

#define SET(...)	((const uint32_t[]){ __VA_ARGS__, 0 })

#define MAX_THREADS	64
#define NSLOTS		64	/* application sockets */
#define NSESS		256	/* session ids remembered */
#define NCTX		8	/* context ids remembered */
#define NUDP_PEERS	4	/* 3 IPv4, 1 IPv6 */
#define MAX_CONNS	512	/* TCP responder's connections */
#define INFRA_FD	4096	/* the test's own fds live at and above this */
#define NETNS_MAX	2	/* netns children at a time */
#define EMAX		134	/* errno values counted */

static int opt_secs = 60, opt_threads = 16;
static unsigned long opt_seed;
static volatile int stop;
static volatile int gen;	/* bumped at each reload of the module */
static const char *ko_path;

/* ---- operation counters ------------------------------------------------ */

enum op {
	OP_CTX_NEW, OP_CTX_SET, OP_CTX_DEL, OP_ADD, OP_DEL, OP_GET, OP_DUMP,
	OP_CLOSE, OP_RECREATE, OP_DISCONNECT, OP_RECONNECT, OP_ENCAP,
	OP_UDP_CORK, OP_TCP_CORK, OP_KTLS, OP_SHUTDOWN, OP_TRAFFIC, OP_NETNS,
	OP_RMMOD, OP_INSMOD, OP_N
};

static const char *const op_name[OP_N] = {
	"ctx_new", "ctx_set", "ctx_del", "session_add", "session_del",
	"session_get", "dump", "close", "recreate", "disconnect", "reconnect",
	"udp_encap", "udp_cork", "tcp_cork", "ktls", "shutdown", "traffic",
	"netns", "rmmod", "insmod",
};

/* relative weights of the workers' random choice */
static const int op_weight[OP_N] = {
	[OP_CTX_NEW] = 4, [OP_CTX_SET] = 4, [OP_CTX_DEL] = 2, [OP_ADD] = 24,
	[OP_DEL] = 6, [OP_GET] = 3, [OP_DUMP] = 2, [OP_CLOSE] = 4,
	[OP_RECREATE] = 6, [OP_DISCONNECT] = 3, [OP_RECONNECT] = 3,
	[OP_ENCAP] = 1, [OP_UDP_CORK] = 3, [OP_TCP_CORK] = 3, [OP_KTLS] = 3,
	[OP_SHUTDOWN] = 2, [OP_TRAFFIC] = 20, [OP_NETNS] = 1,
};

static unsigned long n_ops[OP_N], n_ok[OP_N], n_err[OP_N][EMAX + 1];
/* netlink requests that got no answer in time, or failed as they must not */
static unsigned long n_lost, n_bad;
static char bad_what[512];

static void count(enum op op, long err)
{
	__atomic_add_fetch(&n_ops[op], 1, __ATOMIC_RELAXED);
	if (err >= 0) {
		__atomic_add_fetch(&n_ok[op], 1, __ATOMIC_RELAXED);
		return;
	}
	err = -err;
	__atomic_add_fetch(&n_err[op][err > EMAX ? EMAX : err], 1, __ATOMIC_RELAXED);
}

/* ---- randomness -------------------------------------------------------- */

static __thread uint64_t rng;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng >> 16;
}

static int rnd_to(int n)
{
	return n > 0 ? (int)(rnd() % n) : 0;
}

static bool chance(int pct)
{
	return rnd_to(100) < pct;
}

static void rng_seed(unsigned long s)
{
	rng = s * 0x9E3779B97F4A7C15ULL + 0x1234567ULL;
	if (!rng)
		rng = 1;
	rnd();
}

/* ---- the test's own descriptors: high, so slot fds never collide ------ */

static int fd_high(int fd)
{
	int h;

	if (fd < 0)
		return fd;
	h = fcntl(fd, F_DUPFD_CLOEXEC, INFRA_FD);
	close(fd);
	return h;
}

/* Resolve the family (and the events group) on @nl's socket again. */
static int nl_resolve(struct cka_nl *nl)
{
	int err = coapka_nl_resolve(&nl->core);

	nl->family = nl->core.family;
	nl->mcgrp_events = nl->core.grp_events;
	return err;
}

/* A generic netlink socket at a high fd; NULL if none could be made. */
static struct cka_nl *nl_open(void)
{
	struct cka_nl *nl = calloc(1, sizeof(*nl));
	int one = 1, sz = 4 << 20, fd;

	if (!nl)
		return NULL;
	fd = fd_high(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC));
	if (fd < 0)
		goto fail;
	/* the shared client's state, on a socket of our own making */
	nl->core.rx = malloc(COAPKA_NL_RECV_SIZE + MNL_ALIGNTO);
	nl->core.sock = mnl_socket_fdopen(fd);
	if (!nl->core.rx || !nl->core.sock) {
		if (!nl->core.sock)
			close(fd);
		goto fail;
	}
	nl->sock = nl->core.sock;
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	nl->seq = time(NULL);
	nl->core.seq = nl->seq + (1U << 30);	/* its own lookups: other numbers */
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->core.portid = nl->portid;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO,
		   &(struct timeval){ .tv_sec = 20 }, sizeof(struct timeval));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz));
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	/* unicast events of our sessions pile up between requests */
	mnl_socket_setsockopt(nl->sock, NETLINK_NO_ENOBUFS, &one, sizeof(one));
	nl_resolve(nl);
	return nl;
fail:
	cka_close(nl);
	return NULL;
}

/*
 * The outcome of a netlink request: a lost answer (EAGAIN from the receive
 * timeout) or an error no request of ours should ever get is a finding.
 */
static long nl_check(enum op op, long err, struct cka_nl *nl)
{
	if (err == -EAGAIN || err == -ETIMEDOUT) {
		__atomic_add_fetch(&n_lost, 1, __ATOMIC_RELAXED);
		snprintf(bad_what, sizeof(bad_what), "%s: no answer", op_name[op]);
	} else if (err == -EFAULT || err == -ENOMEM || err == -EPROTO ||
		   err == -ENOSPC) {
		__atomic_add_fetch(&n_bad, 1, __ATOMIC_RELAXED);
		snprintf(bad_what, sizeof(bad_what), "%s: %s (%s)", op_name[op],
			 strerror(-err), nl->msg);
	}
	count(op, err);
	return err;
}

/* ---- peers ------------------------------------------------------------- */

static struct sockaddr_storage udp_peer[NUDP_PEERS];
static socklen_t udp_peer_len[NUDP_PEERS];
static int udp_peer_fd[NUDP_PEERS];
static struct sockaddr_storage tcp_peer[2];	/* IPv4, IPv6 listeners */
static socklen_t tcp_peer_len[2];
static int tcp_lfd[2];
static unsigned long n_peer_pings, n_peer_rsts, n_tcp_pings, n_tcp_resets;

static void *udp_responder(void *arg)
{
	long i = (long)arg;
	int fd = udp_peer_fd[i];

	rng_seed(opt_seed + 1000 + i);
	while (!stop) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		uint8_t buf[2048], rst[4];
		ssize_t n;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (void *)&from, &flen);
		if (n < 4)
			continue;
		if (buf[0] != 0x40 || buf[1] != 0 || n != 4) {
			/* the peer's own Ping now and then (PING events) */
			if (chance(15)) {
				coap_hdr(rst, COAP_CON, 0, rnd());
				sendto(fd, rst, 4, MSG_DONTWAIT, (void *)&from, flen);
			}
			continue;
		}
		__atomic_add_fetch(&n_peer_pings, 1, __ATOMIC_RELAXED);
		/* silent now and then: the Ping retransmits, then NACKs */
		if (chance(30))
			continue;
		coap_hdr(rst, COAP_RST, 0, coap_mid(buf));
		if (sendto(fd, rst, 4, MSG_DONTWAIT, (void *)&from, flen) == 4)
			__atomic_add_fetch(&n_peer_rsts, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void *tcp_responder(void *arg)
{
	struct pollfd pfd[2 + MAX_CONNS];
	int nconn = 0, i;

	(void)arg;
	rng_seed(opt_seed + 2000);
	pfd[0] = (struct pollfd){ .fd = tcp_lfd[0], .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = tcp_lfd[1], .events = POLLIN };
	while (!stop) {
		if (poll(pfd, 2 + nconn, 100) <= 0)
			continue;
		for (i = 0; i < 2; i++) {
			int c;

			if (!(pfd[i].revents & POLLIN))
				continue;
			while (nconn < MAX_CONNS &&
			       (c = accept4(pfd[i].fd, NULL, NULL,
					    SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
				c = fd_high(c);
				if (c < 0)
					break;
				pfd[2 + nconn++] = (struct pollfd){ .fd = c, .events = POLLIN };
			}
		}
		for (i = 2; i < 2 + nconn; i++) {
			uint8_t buf[8192];
			bool gone = false;
			ssize_t n, k;

			if (!pfd[i].revents)
				continue;
			n = recv(pfd[i].fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (n == 0 || (n < 0 && errno != EAGAIN))
				gone = true;
			for (k = 0; k + 1 < n; k++) {
				if (buf[k] == 0x00 && buf[k + 1] == COAP_TCP_PING) {
					__atomic_add_fetch(&n_tcp_pings, 1, __ATOMIC_RELAXED);
					send(pfd[i].fd, coap_tcp_pong_msg,
					     sizeof(coap_tcp_pong_msg),
					     MSG_DONTWAIT | MSG_NOSIGNAL);
				}
			}
			if (!gone && n > 0 && chance(5))
				send(pfd[i].fd, coap_tcp_ping_msg, 2, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (!gone && n > 0 && chance(2)) {
				tcp_rst_on_close(pfd[i].fd);
				__atomic_add_fetch(&n_tcp_resets, 1, __ATOMIC_RELAXED);
				gone = true;
			}
			if (gone) {
				close(pfd[i].fd);
				pfd[i] = pfd[2 + --nconn];
				i--;
			}
		}
	}
	for (i = 2; i < 2 + nconn; i++)
		close(pfd[i].fd);
	return NULL;
}

static int peers_start(pthread_t *th)
{
	static const char *const ua[NUDP_PEERS] = {
		"127.0.0.1", "127.0.0.1", "127.0.0.1", "::1",
	};
	static const char *const ta[2] = { "127.0.0.1", "::1" };
	long i;

	for (i = 0; i < NUDP_PEERS; i++) {
		int port = 0;

		udp_peer_fd[i] = fd_high(udp_bound(ua[i], 0, &port));
		if (udp_peer_fd[i] < 0)
			return -1;
		fcntl(udp_peer_fd[i], F_SETFD, FD_CLOEXEC);
		udp_peer_len[i] = sockaddr_fill(&udp_peer[i], ua[i], port);
		if (pthread_create(&th[i], NULL, udp_responder, (void *)i))
			return -1;
	}
	for (i = 0; i < 2; i++) {
		int port = 0;

		tcp_lfd[i] = fd_high(tcp_listener(ta[i], &port));
		if (tcp_lfd[i] < 0 || listen(tcp_lfd[i], 1024))
			return -1;
		fcntl(tcp_lfd[i], F_SETFL, O_NONBLOCK);
		tcp_peer_len[i] = sockaddr_fill(&tcp_peer[i], ta[i], port);
	}
	return pthread_create(&th[NUDP_PEERS], NULL, tcp_responder, NULL) ? -1 : 0;
}

/* ---- events ------------------------------------------------------------ */

static unsigned long n_ev[COAP_KA_CMD_SESSION_GONE_NTF + 1];
static unsigned long n_gone[16];

static void *event_listener(void *arg)
{
	struct cka_nl *nl = NULL;
	int my_gen = -1;

	(void)arg;
	while (!stop) {
		struct pollfd pfd;
		const struct nlmsghdr *nlh;
		ssize_t n;
		int len;

		if (my_gen != gen || !nl) {
			my_gen = gen;
			if (nl)
				cka_close(nl);
			nl = nl_open();
			if (!nl || !nl->mcgrp_events ||
			    mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP,
						  &nl->mcgrp_events, sizeof(int)) < 0) {
				if (nl)
					cka_close(nl);
				nl = NULL;
				sleep_ms(100);
				continue;
			}
		}
		pfd = (struct pollfd){ .fd = mnl_socket_get_fd(nl->sock), .events = POLLIN };
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = recv(pfd.fd, nl->buf, sizeof(nl->buf), MSG_DONTWAIT);
		if (n <= 0)
			continue;
		len = n;
		for (nlh = (void *)nl->buf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			struct cka_ev ev;

			if (nlh->nlmsg_type != nl->family)
				continue;
			cka_ev_parse(nlh, &ev);
			if (ev.cmd <= COAP_KA_CMD_SESSION_GONE_NTF)
				n_ev[ev.cmd]++;
			if (ev.cmd == COAP_KA_CMD_SESSION_GONE_NTF &&
			    ev.v[COAP_KA_A_GONE_REASON] < 16)
				n_gone[ev.v[COAP_KA_A_GONE_REASON]]++;
		}
	}
	if (nl)
		cka_close(nl);
	return NULL;
}

/* ---- shared pools -------------------------------------------------------- */

enum kind { K_UDP4, K_UDP6, K_UDPC, K_TCP, K_TLS, K_N };

struct slot {
	pthread_mutex_t mu;
	int fd;
	enum kind kind;
	bool csm;	/* the application's first bytes went out */
};

static struct slot slots[NSLOTS];
static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static long sess_ids[NSESS];
static long ctx_ids[NCTX];

/* A random slot's fd and kind (fd -1: empty); the slot stays unlocked. */
static int slot_pick(int *idx, enum kind *kind)
{
	struct slot *s;
	int fd;

	*idx = rnd_to(NSLOTS);
	s = &slots[*idx];
	pthread_mutex_lock(&s->mu);
	fd = s->fd;
	*kind = s->kind;
	pthread_mutex_unlock(&s->mu);
	return fd;
}

/* Like slot_pick() but prefer (a few tries) a slot whose kind is in @mask. */
static int slot_pick_kind(unsigned int mask, int *idx, enum kind *kind)
{
	int fd = -1, i;

	for (i = 0; i < 6; i++) {
		fd = slot_pick(idx, kind);
		if (fd >= 0 && (mask & (1U << *kind)))
			break;
	}
	return fd;
}

/* A random entry of the pool, a used one if a few tries find one. */
static long pool_get(long *pool, int n)
{
	long v = 0;
	int i;

	pthread_mutex_lock(&pool_mu);
	for (i = 0; i < 4 && !v; i++)
		v = pool[rnd_to(n)];
	pthread_mutex_unlock(&pool_mu);
	return v;
}

static void pool_put(long *pool, int n, long v)
{
	pthread_mutex_lock(&pool_mu);
	pool[rnd_to(n)] = v;
	pthread_mutex_unlock(&pool_mu);
}

/* Take a random entry out of the pool (0 if that one was empty). */
static long pool_take(long *pool, int n)
{
	long v = 0;
	int i, k;

	pthread_mutex_lock(&pool_mu);
	for (k = 0; k < 4 && !v; k++) {
		i = rnd_to(n);
		v = pool[i];
	}
	pool[i] = 0;
	pthread_mutex_unlock(&pool_mu);
	return v;
}

/* ---- application sockets ------------------------------------------------- */

static const struct sockaddr *udp_peer_of(enum kind kind, socklen_t *len)
{
	int i = kind == K_UDP6 ? NUDP_PEERS - 1 : rnd_to(NUDP_PEERS - 1);

	/* the wrong family now and then */
	if (chance(3))
		i = rnd_to(NUDP_PEERS);
	*len = udp_peer_len[i];
	return (const void *)&udp_peer[i];
}

/* Start a non-blocking connect of @fd to a TCP responder, wait up to @ms. */
static int tcp_connect(int fd, int v6, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int err = 0;

	if (!connect(fd, (void *)&tcp_peer[v6], tcp_peer_len[v6]))
		return 0;
	if (errno != EINPROGRESS)
		return -errno;
	if (!ms)
		return -EINPROGRESS;
	if (poll(&pfd, 1, ms) != 1)
		return -ETIMEDOUT;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		return -errno;
	return -err;
}

static const uint16_t tls_ciphers[3][2] = {
	{ TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128 },
	{ TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_256 },
	{ TLS_1_3_VERSION, TLS_CIPHER_CHACHA20_POLY1305 },
};

/* kTLS on @fd: the ULP, then TX and/or RX keys. */
static int ktls_on(int fd)
{
	const uint16_t *c = tls_ciphers[rnd_to(3)];
	struct ktls_keys k;
	int err = ktls_ulp(fd);

	if (err && err != -EEXIST)
		return err;
	ktls_keys_init(&k, c[0], c[1], rnd_to(256));
	if (chance(80) && (err = ktls_set(fd, TLS_TX, &k)))
		return err;
	ktls_keys_init(&k, c[0], c[1], rnd_to(256));
	if (chance(60) && (err = ktls_set(fd, TLS_RX, &k)))
		return err;
	return 0;
}

/* A new application socket of @kind; -errno on failure. */
static int sock_new(enum kind kind)
{
	int fam = kind == K_UDP6 ? AF_INET6 : AF_INET, fd, err;
	struct sockaddr_storage ss;
	socklen_t len;

	if (kind >= K_TCP) {
		int v6 = chance(30);

		fd = socket(v6 ? AF_INET6 : AF_INET,
			    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		tcp_nodelay(fd, chance(70));
		err = tcp_connect(fd, v6, 1000);
		if (!err && kind == K_TLS && chance(50))
			err = ktls_on(fd);
		if (err) {
			close(fd);
			return err;
		}
		return fd;
	}
	fd = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	len = sockaddr_fill(&ss, fam == AF_INET ? "127.0.0.1" : "::1", 0);
	/* a connected socket binds itself in connect() when not bound */
	if ((kind != K_UDPC || chance(50)) && bind(fd, (void *)&ss, len)) {
		err = -errno;
		close(fd);
		return err;
	}
	if (kind == K_UDPC) {
		int i = rnd_to(NUDP_PEERS - 1);

		if (connect(fd, (void *)&udp_peer[i], udp_peer_len[i])) {
			err = -errno;
			close(fd);
			return err;
		}
	}
	return fd;
}

/* Put a new socket into slot @i (closing the old one); 0 or -errno. */
static int slot_recreate(int i)
{
	enum kind kind = rnd_to(K_N);
	int fd = sock_new(kind), old;
	struct slot *s = &slots[i];

	if (fd < 0)
		return fd;
	pthread_mutex_lock(&s->mu);
	old = s->fd;
	s->fd = fd;
	s->kind = kind;
	s->csm = false;
	pthread_mutex_unlock(&s->mu);
	if (old >= 0)
		close(old);
	return 0;
}

static int slot_close(int i)
{
	struct slot *s = &slots[i];
	int old;

	pthread_mutex_lock(&s->mu);
	old = s->fd;
	s->fd = -1;
	pthread_mutex_unlock(&s->mu);
	if (old < 0)
		return -EBADF;
	if (s->kind >= K_TCP && chance(20))
		tcp_rst_on_close(old);
	return close(old) ? -errno : 0;
}

static void drain(int fd)
{
	uint8_t buf[4096];
	int i;

	for (i = 0; i < 16; i++)
		if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) < 0 && errno != EINTR)
			break;
}

/* Application traffic on @fd: 0 or -errno of the (last) send. */
static int traffic(int idx, int fd, enum kind kind)
{
	uint8_t buf[512];
	ssize_t n;
	int fl = MSG_DONTWAIT | MSG_NOSIGNAL;

	if (kind >= K_TCP) {
		size_t len;

		if (!slots[idx].csm || chance(5)) {
			len = coap_tcp_frame(buf, COAP_TCP_CSM, NULL, 0, NULL, 0);
			slots[idx].csm = true;
		} else {
			uint8_t tok[2] = { rnd(), rnd() };

			len = coap_tcp_frame(buf, 0x01, tok, 2, buf + 256, rnd_to(200));
		}
		if (chance(30) && len > 2) {
			n = send(fd, buf, len / 2, fl | MSG_MORE);
			if (n >= 0)
				n = send(fd, buf + n, len - n, fl);
		} else {
			n = send(fd, buf, len, fl);
		}
	} else {
		socklen_t plen;
		const struct sockaddr *peer = udp_peer_of(kind, &plen);
		size_t len = 4;

		/* the application's own empty CON now and then */
		coap_hdr(buf, chance(20) ? COAP_CON : COAP_NON, chance(20) ? 0 : 0x01,
			 rnd());
		if (buf[1])
			len += rnd_to(100);
		if (kind == K_UDPC)
			n = send(fd, buf, len, fl);
		else
			n = sendto(fd, buf, len, fl, peer, plen);
	}
	drain(fd);
	return n < 0 ? -errno : 0;
}

/* ---- one worker ---------------------------------------------------------- */

struct worker {
	pthread_t th;
	int id;
	struct cka_nl *nl;
	int gen;
	volatile int op;	/* the current one, for a stuck worker's report */
	volatile int done;
};

static struct worker workers[MAX_THREADS];
static int netns_live;

static const uint32_t *ctx_settings(uint32_t *set)
{
	int n = 0;

	set[n++] = COAP_KA_A_KEEPALIVE_SECS, set[n++] = 1 + chance(20);
	set[n++] = COAP_KA_A_ACK_TIMEOUT_MS, set[n++] = 10 + (chance(30) ? rnd_to(40) : 0);
	set[n++] = COAP_KA_A_ACK_RANDOM_FACTOR, set[n++] = 1000 + rnd_to(1000);
	set[n++] = COAP_KA_A_MAX_RETRANSMIT, set[n++] = rnd_to(3);
	set[n++] = COAP_KA_A_PONG_TIMEOUT_MS, set[n++] = 20 + rnd_to(500);
	if (chance(30))
		set[n++] = COAP_KA_A_ACTIVITY, set[n++] = rnd_to(2);
	if (chance(30))
		set[n++] = COAP_KA_A_JITTER_PCT, set[n++] = rnd_to(30);
	if (chance(15))
		set[n++] = COAP_KA_A_ACTION, set[n++] = COAP_KA_ACTION_ABORT;
	else if (chance(20))
		set[n++] = COAP_KA_A_ACTION, set[n++] = COAP_KA_ACTION_NOTIFY;
	if (chance(40))
		set[n++] = COAP_KA_A_FLAGS, set[n++] = rnd_to(4);
	set[n] = 0;
	return set;
}

/*
 * A child in a network namespace of its own: a context, sessions on UDP
 * and TCP sockets there, a little traffic, and exit with all of it alive.
 * Its exit status is 0 or an errno.
 */
static void netns_child(unsigned long seed)
{
	uint32_t set[32];
	struct cka_nl *nl;
	int p, port = 0, i, a = -1, b = -1;
	long ctx;

	close_range(3, ~0U, 0);
	alarm(20);
	rng_seed(seed);
	if (unshare(CLONE_NEWNET) || lo_up())
		_exit(errno ? errno : EIO);
	nl = cka_open();
	if (!nl)
		_exit(errno ? errno : ENOENT);
	ctx = cka_ctx_new(nl, ctx_settings(set), NULL);
	if (ctx < 0)
		_exit(-ctx);
	p = udp_bound("127.0.0.1", 0, &port);
	for (i = 0; i < 3; i++) {
		struct sockaddr_storage ss;
		int fd = udp_bound("127.0.0.1", 0, NULL);

		sockaddr_fill(&ss, "127.0.0.1", port);
		session_add(nl, ctx, fd, (void *)&ss);
		if (chance(50))
			send(fd, "\x50\x01\x00\x01", 4, MSG_DONTWAIT);
	}
	if (!tcp_pair(chance(50) ? "127.0.0.1" : "::1", &a, &b)) {
		send(a, coap_tcp_csm_msg, 2, MSG_DONTWAIT);
		tcp_session_add(nl, ctx, a, -1, NULL, NULL);
		if (chance(30))
			ktls_on(a);
	}
	/* let the Pings go out (keepalive 1 s), answering some */
	for (i = rnd_to(15); i > 0; i--) {
		uint8_t buf[64];
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n;

		sleep_ms(100);
		while ((n = recvfrom(p, buf, sizeof(buf), MSG_DONTWAIT,
				     (void *)&from, &fl)) == 4) {
			buf[0] = 0x70;
			if (chance(50))
				sendto(p, buf, 4, 0, (void *)&from, fl);
		}
	}
	if (chance(20))
		cka_ctx_cmd(nl, COAP_KA_CMD_CTX_DEL, ctx, NULL, NULL);
	_exit(0);
}

static long do_netns(void)
{
	int status;
	pid_t pid;

	if (__atomic_add_fetch(&netns_live, 1, __ATOMIC_RELAXED) > NETNS_MAX) {
		__atomic_sub_fetch(&netns_live, 1, __ATOMIC_RELAXED);
		return -EAGAIN;
	}
	pid = fork();
	if (!pid)
		netns_child(rnd() ^ opt_seed);
	if (pid > 0 && waitpid(pid, &status, 0) != pid)
		status = EIO << 8;
	__atomic_sub_fetch(&netns_live, 1, __ATOMIC_RELAXED);
	if (pid < 0)
		return -errno;
	if (WIFSIGNALED(status))
		return -EINTR;
	return -WEXITSTATUS(status);
}

static void worker_op(struct worker *w, enum op op)
{
	struct cka_nl *nl = w->nl;
	unsigned int udp = 1 << K_UDP4 | 1 << K_UDP6 | 1 << K_UDPC;
	unsigned int tcp = 1 << K_TCP | 1 << K_TLS;
	char nl_buf[MNL_SOCKET_BUFFER_SIZE];
	uint32_t set[32];
	enum kind kind;
	int idx, fd, one = 1, zero = 0, v;
	long err, id;

	switch (op) {
	case OP_CTX_NEW:
		err = nl_check(op, cka_ctx_new(nl, ctx_settings(set), NULL), nl);
		if (err > 0) {
			/* the one it replaces is deleted or left */
			id = pool_take(ctx_ids, NCTX);
			pool_put(ctx_ids, NCTX, err);
			if (id && chance(50))
				nl_check(OP_CTX_DEL, cka_ctx_cmd(nl, COAP_KA_CMD_CTX_DEL,
								 id, NULL, NULL), nl);
		}
		return;
	case OP_CTX_SET:
		nl_check(op, cka_ctx_cmd(nl, COAP_KA_CMD_CTX_SET, pool_get(ctx_ids, NCTX),
					 ctx_settings(set), NULL), nl);
		return;
	case OP_CTX_DEL:
		nl_check(op, cka_ctx_cmd(nl, COAP_KA_CMD_CTX_DEL, pool_take(ctx_ids, NCTX),
					 NULL, NULL), nl);
		return;
	case OP_ADD: {
		const struct sockaddr *peer = NULL;
		const uint32_t *over = NULL;
		socklen_t plen;
		int tr = -1;

		fd = slot_pick(&idx, &kind);
		if (fd < 0) {
			count(op, slot_recreate(idx));
			return;
		}
		if (kind == K_UDP4 || kind == K_UDP6)
			peer = udp_peer_of(kind, &plen);
		if (kind >= K_TCP) {
			if (!slots[idx].csm) {
				send(fd, coap_tcp_csm_msg, 2, MSG_DONTWAIT | MSG_NOSIGNAL);
				slots[idx].csm = true;
			}
			tr = kind == K_TLS ? COAP_KA_TRANSPORT_TLS :
			     chance(50) ? COAP_KA_TRANSPORT_TCP : -1;
		}
		if (chance(20))
			over = SET(COAP_KA_A_ACK_TIMEOUT_MS, 10, COAP_KA_A_KEEPALIVE_SECS, 1);
		id = nl_check(op, session_add_full(nl, pool_get(ctx_ids, NCTX), fd, peer,
						   tr, over, NULL), nl);
		if (id > 0)
			pool_put(sess_ids, NSESS, id);
		return;
	}
	case OP_DEL:
		nl_check(op, session_del(nl, pool_take(sess_ids, NSESS)), nl);
		return;
	case OP_GET:
		nl_check(op, session_get(nl, pool_get(sess_ids, NSESS), NULL), nl);
		return;
	case OP_DUMP:
		if (chance(50))
			err = session_dump(nl, chance(50) ? pool_get(ctx_ids, NCTX) : 0,
					   NULL, 0);
		else
			err = cka_talk(nl, cka_req(nl, nl_buf, COAP_KA_CMD_CTX_GET,
						   NLM_F_DUMP, NULL), NULL, NULL);
		nl_check(op, err, nl);
		return;
	case OP_CLOSE:
		count(op, slot_close(rnd_to(NSLOTS)));
		return;
	case OP_RECREATE:
		count(op, slot_recreate(rnd_to(NSLOTS)));
		return;
	case OP_DISCONNECT:
		fd = slot_pick(&idx, &kind);
		count(op, connect(fd, &(struct sockaddr){ .sa_family = AF_UNSPEC },
				  sizeof(struct sockaddr)) ? -errno : 0);
		return;
	case OP_RECONNECT:
		fd = slot_pick(&idx, &kind);
		if (fd >= 0 && kind >= K_TCP) {
			connect(fd, &(struct sockaddr){ .sa_family = AF_UNSPEC },
				sizeof(struct sockaddr));
			err = tcp_connect(fd, chance(30), chance(50) ? 200 : 0);
			slots[idx].csm = false;
		} else {
			socklen_t plen;
			const struct sockaddr *peer = udp_peer_of(kind, &plen);

			err = connect(fd, peer, plen) ? -errno : 0;
		}
		count(op, err);
		return;
	case OP_ENCAP:
		fd = slot_pick_kind(udp, &idx, &kind);
		v = UDP_ENCAP_ESPINUDP;
		count(op, setsockopt(fd, IPPROTO_UDP, UDP_ENCAP, &v, sizeof(v)) ? -errno : 0);
		return;
	case OP_UDP_CORK:
		fd = slot_pick_kind(udp, &idx, &kind);
		err = setsockopt(fd, IPPROTO_UDP, UDP_CORK, &one, sizeof(one)) ? -errno : 0;
		if (!err) {
			traffic(idx, fd, kind);
			if (chance(50))
				sleep_ms(rnd_to(3));
			traffic(idx, fd, kind);
			err = setsockopt(fd, IPPROTO_UDP, UDP_CORK, &zero,
					 sizeof(zero)) ? -errno : 0;
		}
		count(op, err);
		return;
	case OP_TCP_CORK:
		fd = slot_pick_kind(tcp, &idx, &kind);
		err = setsockopt(fd, IPPROTO_TCP, TCP_CORK, &one, sizeof(one)) ? -errno : 0;
		if (!err) {
			traffic(idx, fd, kind);
			if (chance(50))
				sleep_ms(rnd_to(15));
			traffic(idx, fd, kind);
			err = setsockopt(fd, IPPROTO_TCP, TCP_CORK, &zero,
					 sizeof(zero)) ? -errno : 0;
		}
		count(op, err);
		return;
	case OP_KTLS:
		fd = slot_pick_kind(tcp, &idx, &kind);
		count(op, ktls_on(fd));
		return;
	case OP_SHUTDOWN:
		fd = slot_pick(&idx, &kind);
		v = chance(70) ? SHUT_WR : chance(50) ? SHUT_RD : SHUT_RDWR;
		count(op, shutdown(fd, v) ? -errno : 0);
		return;
	case OP_TRAFFIC:
		fd = slot_pick(&idx, &kind);
		count(op, fd < 0 ? -EBADF : traffic(idx, fd, kind));
		return;
	case OP_NETNS:
		count(op, do_netns());
		return;
	default:
		return;
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int total = 0, i;

	rng_seed(opt_seed + w->id);
	for (i = 0; i < OP_N; i++)
		total += op_weight[i];
	while (!stop) {
		int r = rnd_to(total);
		enum op op = 0;

		while (r >= op_weight[op])
			r -= op_weight[op++];
		if (w->gen != gen) {
			w->gen = gen;
			nl_resolve(w->nl);
		}
		w->op = op;
		worker_op(w, op);
		w->op = -1;
		/* now and then a pause, so that sessions go idle */
		if (chance(2))
			sleep_ms(rnd_to(50));
	}
	w->done = 1;
	return NULL;
}

/* ---- the unloader -------------------------------------------------------- */

static bool module_loaded(void)
{
	return access("/sys/module/coap_keepalive/refcnt", F_OK) == 0;
}

static int do_insmod(void)
{
	int fd = open(ko_path, O_RDONLY | O_CLOEXEC), err;

	if (fd < 0)
		return -errno;
	err = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	count(OP_INSMOD, err);
	return err;
}

/* Load the module again, trying for up to @ms; 0 or -errno. */
static int reload(int ms)
{
	double end = now_ms() + ms;
	int err;

	do {
		err = do_insmod();
		if (!err || err == -EEXIST) {
			__atomic_add_fetch(&gen, 1, __ATOMIC_SEQ_CST);
			return 0;
		}
		sleep_ms(100);
	} while (now_ms() < end);
	return err;
}

static volatile int unloader_busy;	/* inside delete_module() */

static double t0;

static void *unloader(void *arg)
{
	double t;

	(void)arg;
	rng_seed(opt_seed + 3000);
	while (!stop) {
		int i, err = 0;

		for (i = 4000 + rnd_to(4000); i > 0 && !stop; i -= 100)
			sleep_ms(100);
		if (stop)
			break;
		/*
		 * A dump in flight holds a module reference (EAGAIN): a few
		 * quick tries, each counted.
		 */
		t = now_ms();
		for (i = 0; i < 20 && !stop; i++) {
			unloader_busy = 1;
			err = syscall(SYS_delete_module, "coap_keepalive",
				      O_NONBLOCK) ? -errno : 0;
			unloader_busy = 0;
			count(OP_RMMOD, err);
			if (err != -EAGAIN)
				break;
			sleep_ms(5 + rnd_to(20));
		}
		printf("# %.1f s: rmmod %s after %.0f ms\n", (t - t0) / 1000,
		       err ? strerrorname_np(-err) : "ok", now_ms() - t);
		if (err)
			continue;
		/* the others' requests meet no family for a while */
		sleep_ms(rnd_to(500));
		t = now_ms();
		err = reload(30000);
		printf("# %.1f s: insmod %s after %.0f ms\n", (t - t0) / 1000,
		       err ? strerrorname_np(-err) : "ok", now_ms() - t);
	}
	return NULL;
}

/* ---- the end ------------------------------------------------------------- */

static void print_counts(void)
{
	unsigned long total = 0;
	int i, e;

	for (i = 0; i < OP_N; i++) {
		char line[1024];
		int n;

		total += n_ops[i];
		n = snprintf(line, sizeof(line), "# %-12s %8lu ops, %8lu ok", op_name[i],
			     n_ops[i], n_ok[i]);
		for (e = 1; e <= EMAX; e++)
			if (n_err[i][e] && n < (int)sizeof(line) - 40)
				n += snprintf(line + n, sizeof(line) - n, ", %s %lu",
					      e == EMAX ? "other" : strerrorname_np(e),
					      n_err[i][e]);
		printf("%s\n", line);
	}
	printf("# threads x seconds: %d x %d = %d; %lu operations\n", opt_threads,
	       opt_secs, opt_threads * opt_secs, total);
	printf("# events: %lu PING (the peer's), %lu PONG, %lu NACK, %lu SESSION_GONE "
	       "(closed %lu removed %lu aborted %lu ctx-deleted %lu netns %lu "
	       "peer-closed %lu peer-reset %lu conn-lost %lu unsupported %lu "
	       "disconnected %lu socket-changed %lu)\n",
	       n_ev[COAP_KA_CMD_PING_NTF], n_ev[COAP_KA_CMD_PONG_NTF],
	       n_ev[COAP_KA_CMD_NACK_NTF], n_ev[COAP_KA_CMD_SESSION_GONE_NTF],
	       n_gone[0], n_gone[1], n_gone[2], n_gone[3], n_gone[4], n_gone[5],
	       n_gone[6], n_gone[7], n_gone[8], n_gone[9], n_gone[10]);
	printf("# peers: UDP %lu Pings seen, %lu Resets sent; TCP %lu Pings seen, %lu resets\n",
	       n_peer_pings, n_peer_rsts, n_tcp_pings, n_tcp_resets);
	printf("# rmmod: %lu attempts, %lu unloaded; insmod: %lu attempts, %lu loaded\n",
	       n_ops[OP_RMMOD], n_ok[OP_RMMOD], n_ops[OP_INSMOD], n_ok[OP_INSMOD]);
}

static int ktap_n;
static int ktap_fails;

static void result(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d ", ok ? "" : "not ", ++ktap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		ktap_fails++;
}

struct ctx_list {
	int n;
	long id[4096];
};

static int ctx_list_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ctx_list *l = data;
	struct cka_ctx c;

	cka_ctx_cb(nlh, &c);
	if (l->n < 4096)
		l->id[l->n++] = c.v[COAP_KA_A_CTX_ID];
	return MNL_CB_OK;
}

/* The contexts of this namespace (dump); -errno on failure. */
static int ctx_dump(struct cka_nl *nl, struct ctx_list *l)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	l->n = 0;
	return cka_talk(nl, cka_req(nl, buf, COAP_KA_CMD_CTX_GET, NLM_F_DUMP, NULL),
			ctx_list_cb, l) ?: l->n;
}

/* Delete every context of this namespace; the number left after. */
static int ctx_clear(struct cka_nl *nl)
{
	static struct ctx_list l;
	int i, n;

	n = ctx_dump(nl, &l);
	for (i = 0; i < n; i++)
		cka_ctx_cmd(nl, COAP_KA_CMD_CTX_DEL, l.id[i], NULL, NULL);
	return ctx_dump(nl, &l);
}

static void usage(const char *me)
{
	fprintf(stderr, "usage: %s [--secs N] [--debug-secs N] [--threads N] [--seed N]\n",
		me);
	exit(2);
}

int main(int argc, char **argv)
{
	pthread_t peer_th[NUDP_PEERS + 1], ev_th, unl_th;
	struct rlimit rl = { 65536, 65536 };
	int debug_secs = 0, i, stuck = 0, left = -1, nctx;
	struct cka_nl *nl;
	struct utsname u;
	long ref = -1;
	double end;

	(void)test_harness_run;	/* cka_life.h needs the harness; not its runner */
	opt_seed = time(NULL) ^ getpid();
	for (i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			usage(argv[0]);
		if (!strcmp(argv[i], "--secs"))
			opt_secs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--debug-secs"))
			debug_secs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--threads"))
			opt_threads = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--seed"))
			opt_seed = strtoul(argv[++i], NULL, 0);
		else
			usage(argv[0]);
	}
	if (debug_secs > 0 && !uname(&u) && strstr(u.release, "cka-debug"))
		opt_secs = debug_secs;
	if (opt_threads < 1 || opt_threads > MAX_THREADS || opt_secs < 1)
		usage(argv[0]);
	ko_path = getenv("CKA_KO");
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	setrlimit(RLIMIT_NOFILE, &rl);

	printf("TAP version 13\n1..6\n");
	printf("# seed %lu\n", opt_seed);
	printf("# %d threads for %d s%s\n", opt_threads, opt_secs,
	       ko_path ? "" : "; no CKA_KO: no unloading");
	rng_seed(opt_seed);
	system("modprobe tls >/dev/null 2>&1; modprobe esp4 >/dev/null 2>&1");

	nl = nl_open();
	if (!module_loaded() || !nl || !nl->family || peers_start(peer_th)) {
		result(false, "setup: module loaded, netlink, peers");
		printf("# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0\n");
		return 1;
	}
	result(true, "setup: module loaded, netlink, peers");
	for (i = 0; i < NSLOTS; i++) {
		pthread_mutex_init(&slots[i].mu, NULL);
		slots[i].fd = -1;
	}
	t0 = now_ms();
	for (i = 0; i < NSLOTS; i++)
		slot_recreate(i);
	pthread_create(&ev_th, NULL, event_listener, NULL);
	for (i = 0; i < opt_threads; i++) {
		workers[i].id = i;
		workers[i].nl = nl_open();
		workers[i].op = -1;
		if (!workers[i].nl) {
			perror("netlink");
			return 1;
		}
		pthread_create(&workers[i].th, NULL, worker_main, &workers[i]);
	}
	if (ko_path)
		pthread_create(&unl_th, NULL, unloader, NULL);
	printf("# %.1f s: %d sockets, %d workers started\n", (now_ms() - t0) / 1000,
	       NSLOTS, opt_threads);

	for (i = 0; i < opt_secs; i++) {
		sleep_ms(1000);
		if ((i + 1) % 5 == 0) {
			unsigned long t = 0;
			int k;

			for (k = 0; k < OP_N; k++)
				t += n_ops[k];
			printf("# %d s: %lu operations, %lu PING events, %lu rmmod ok\n",
			       i + 1, t, n_ev[COAP_KA_CMD_PING_NTF], n_ok[OP_RMMOD]);
		}
	}
	stop = 1;

	/* every thread must come back: a stuck one is a hang in the kernel */
	end = now_ms() + 60000;
	for (i = 0; i < opt_threads; i++) {
		while (!workers[i].done && now_ms() < end)
			sleep_ms(50);
		if (!workers[i].done) {
			printf("# worker %d stuck in %s\n", i,
			       workers[i].op >= 0 ? op_name[workers[i].op] : "?");
			stuck++;
		}
	}
	while (unloader_busy && now_ms() < end)
		sleep_ms(50);
	if (unloader_busy) {
		printf("# delete_module() does not return\n");
		stuck++;
	}
	if (stuck) {
		/* the blocked tasks' stacks into the kernel log for the report */
		int fd = open("/proc/sysrq-trigger", O_WRONLY);

		if (fd >= 0 && write(fd, "w", 1) != 1)
			perror("sysrq");
		if (fd >= 0)
			close(fd);
	}
	print_counts();
	result(!stuck && !n_lost && !n_bad && n_ok[OP_ADD] > 0,
	       "workers: all returned, every request answered (%lu lost, %lu bad%s%s), sessions added (%lu)",
	       n_lost, n_bad, n_lost || n_bad ? ": last " : "", bad_what, n_ok[OP_ADD]);
	if (stuck) {
		printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:0 error:0\n",
		       ktap_n - ktap_fails, ktap_fails);
		fflush(stdout);
		_exit(1);
	}
	for (i = 0; i < opt_threads; i++)
		pthread_join(workers[i].th, NULL);
	if (ko_path)
		pthread_join(unl_th, NULL);
	pthread_join(ev_th, NULL);
	for (i = 0; i < NUDP_PEERS + 1; i++)
		pthread_join(peer_th[i], NULL);

	/* close every application socket, then the module must come back */
	for (i = 0; i < NSLOTS; i++)
		if (slots[i].fd >= 0)
			close(slots[i].fd);
	if (!module_loaded() && ko_path)
		reload(30000);
	result(module_loaded(), "module loaded at the end");
	nl_resolve(nl);

	nctx = ctx_clear(nl);
	end = now_ms() + 20000;
	do {
		left = session_dump(nl, 0, NULL, 0);
		if (!left)
			break;
		sleep_ms(100);
	} while (now_ms() < end);
	result(left == 0, "sessions drained: %d left", left);
	result(nctx == 0, "contexts deleted: %d left", nctx);
	end = now_ms() + 20000;
	do {
		ref = read_long("/sys/module/coap_keepalive/refcnt");
		if (!ref)
			break;
		sleep_ms(100);
	} while (now_ms() < end);
	result(ref == 0, "module reference count back to 0 (%ld)", ref);
	printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:0 error:0\n",
	       ktap_n - ktap_fails, ktap_fails);
	return ktap_fails ? 1 : 0;
}
