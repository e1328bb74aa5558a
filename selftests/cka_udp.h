/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the UDP keepalive selftests: sessions and events over
 * generic netlink (on top of cka_nl.h), plain UDP sockets standing in for
 * applications and peers, CoAP headers, and libcoap's tools as real peers.
 */
#ifndef CKA_UDP_H
#define CKA_UDP_H

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "cka_nl.h"

#define COAP_PORT	5683

#define COAP_CON	0
#define COAP_NON	1
#define COAP_ACK	2
#define COAP_RST	3

/* One event (or session) as the kernel reported it. */
struct cka_ev {
	uint8_t cmd;
	uint32_t v[COAP_KA_A_MAX + 1];	/* u32 attributes */
	uint64_t present;		/* 1 << type of each attribute seen */
	uint64_t ino;
	int family;			/* AF_INET or AF_INET6: which peer attribute */
	struct in6_addr addr;		/* IPv4 in the first 4 bytes */
	uint16_t port;			/* host byte order */
	double t;			/* now_ms() when it was read */
};

static inline double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static inline void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static inline bool ev_has(const struct cka_ev *ev, int type)
{
	return ev->present & (1ULL << type);
}

static inline int cka_ev_attr_cb(const struct nlattr *a, void *data)
{
	struct cka_ev *ev = data;
	int type = mnl_attr_get_type(a);
	unsigned int len = mnl_attr_get_payload_len(a);

	if (type > COAP_KA_A_MAX)
		return MNL_CB_OK;
	switch (type) {
	case COAP_KA_A_SOCK_INODE:
		if (len != 8)
			return MNL_CB_OK;
		ev->ino = mnl_attr_get_u64(a);
		break;
	case COAP_KA_A_PEER_PORT:
		if (len != 2)
			return MNL_CB_OK;
		ev->port = ntohs(mnl_attr_get_u16(a));
		break;
	case COAP_KA_A_PEER_IPV6:
		if (len != 16)
			return MNL_CB_OK;
		memcpy(&ev->addr, mnl_attr_get_payload(a), 16);
		ev->family = AF_INET6;
		break;
	case COAP_KA_A_PEER_IPV4:
		if (len != 4)
			return MNL_CB_OK;
		memset(&ev->addr, 0, sizeof(ev->addr));
		memcpy(&ev->addr, mnl_attr_get_payload(a), 4);
		ev->family = AF_INET;
		/* fall through: also kept as a u32 */
	default:
		if (len != 4)
			return MNL_CB_OK;
		ev->v[type] = mnl_attr_get_u32(a);
		break;
	}
	ev->present |= 1ULL << type;
	return MNL_CB_OK;
}

static inline int cka_ev_parse(const struct nlmsghdr *nlh, struct cka_ev *ev)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);

	memset(ev, 0, sizeof(*ev));
	ev->cmd = g->cmd;
	ev->t = now_ms();
	return mnl_attr_parse(nlh, sizeof(*g), cka_ev_attr_cb, ev);
}

static inline int cka_ev_cb(const struct nlmsghdr *nlh, void *data)
{
	return cka_ev_parse(nlh, data);
}

/* A netlink socket joined to the events group, with a large buffer. */
static inline struct cka_nl *open_events(void)
{
	struct cka_nl *nl = cka_open();
	int sz = 4 << 20;

	if (!nl)
		return NULL;
	setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVBUFFORCE,
		   &sz, sizeof(sz));
	if (mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP,
				  &nl->mcgrp_events, sizeof(int)) < 0) {
		cka_close(nl);
		return NULL;
	}
	return nl;
}

/*
 * Events read but not yet handed out: a recv() may carry several messages.
 * One queue per event socket; the tests use one event socket at a time.
 */
struct cka_evq {
	struct cka_nl *nl;
	int off, len;
};

static struct cka_evq cka_evq;

/*
 * Next event on @nl, waiting at most @ms: 0, -ETIMEDOUT or -errno.
 * Each event is stamped with the time it was read.
 */
static inline int ev_next(struct cka_nl *nl, int ms, struct cka_ev *ev)
{
	double end = now_ms() + ms;

	if (cka_evq.nl != nl) {
		cka_evq.nl = nl;
		cka_evq.off = cka_evq.len = 0;
	}
	for (;;) {
		struct pollfd pfd = { .fd = mnl_socket_get_fd(nl->sock), .events = POLLIN };
		const struct nlmsghdr *nlh;
		ssize_t n;
		int left;

		while (cka_evq.off < cka_evq.len) {
			int rest = cka_evq.len - cka_evq.off;

			nlh = (void *)(nl->buf + cka_evq.off);
			if (!mnl_nlmsg_ok(nlh, rest)) {
				cka_evq.off = cka_evq.len;
				break;
			}
			cka_evq.off += NLMSG_ALIGN(nlh->nlmsg_len);
			if (nlh->nlmsg_type != nl->family)
				continue;
			cka_ev_parse(nlh, ev);
			return 0;
		}
		/* always look once, even with no time left */
		left = end - now_ms();
		if (left < 0)
			left = 0;
		n = poll(&pfd, 1, left);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n == 0)
			return -ETIMEDOUT;
		if (n < 0)
			continue;
		n = recv(pfd.fd, nl->buf, sizeof(nl->buf), MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN)
			continue;
		if (n < 0)
			return -errno;
		cka_evq.off = 0;
		cka_evq.len = n;
	}
}

/*
 * Wait at most @ms for an event @cmd (any if 0) of session @sid (any if
 * 0), dropping the others: 0 or -ETIMEDOUT.
 */
static inline int ev_wait(struct cka_nl *nl, uint8_t cmd, long sid, int ms,
			  struct cka_ev *ev)
{
	double end = now_ms() + ms;
	int err;

	for (;;) {
		int left = end - now_ms();

		if (left < 0)
			left = 0;
		err = ev_next(nl, left, ev);
		if (err)
			return err;
		if ((!cmd || ev->cmd == cmd) &&
		    (!sid || ev->v[COAP_KA_A_SESSION_ID] == sid))
			return 0;
	}
}

/*
 * Wait at most @ms for a datagram on @fd (returns 1, nothing read) or an
 * event on @nl (returns 2, read into @ev); 0 on timeout, -errno on error.
 */
static inline int wait_either(int fd, struct cka_nl *nl, int ms, struct cka_ev *ev)
{
	double end = now_ms() + ms;

	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = fd, .events = POLLIN },
			{ .fd = mnl_socket_get_fd(nl->sock), .events = POLLIN },
		};
		int left, n;

		if (cka_evq.nl == nl && cka_evq.off < cka_evq.len &&
		    !ev_next(nl, 0, ev))
			return 2;
		left = end - now_ms();
		if (left < 0)
			left = 0;
		n = poll(pfd, 2, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (pfd[0].revents & POLLIN)
			return 1;
		if ((pfd[1].revents & POLLIN) && !ev_next(nl, 0, ev))
			return 2;
		if (!n)
			return 0;
	}
}

/*
 * Wait at most @ms until each of the @n sessions in @sid had an event
 * @cmd; the first one of each goes to @out[i]. Returns how many are still
 * missing (0: all came). Other events are dropped.
 */
static inline int ev_wait_each(struct cka_nl *nl, uint8_t cmd, const long *sid,
			       int n, int ms, struct cka_ev *out)
{
	double end = now_ms() + ms;
	int i, missing = n;
	struct cka_ev ev;

	for (i = 0; i < n; i++)
		out[i].cmd = 0;
	while (missing) {
		int left = end - now_ms();

		if (ev_next(nl, left < 0 ? 0 : left, &ev))
			break;
		if (ev.cmd != cmd)
			continue;
		for (i = 0; i < n; i++) {
			if (ev.v[COAP_KA_A_SESSION_ID] == sid[i] && out[i].cmd != cmd) {
				out[i] = ev;
				missing--;
			}
		}
	}
	return missing;
}

/* Drop every event already queued on @nl. */
static inline void ev_drain(struct cka_nl *nl)
{
	struct cka_ev ev;

	while (!ev_next(nl, 0, &ev))
		;
}

/*
 * SESSION_ADD of socket @fd to context @ctx: @peer is NULL for a connected
 * socket; @transport a COAP_KA_TRANSPORT_* or -1 for none; @pairs (type,
 * u32 value, ..., 0; may be NULL) per-session settings overrides. The
 * reply goes to @out if not NULL. Returns the session id or -errno
 * (nl->msg holds the extack message).
 */
static inline long session_add_full(struct cka_nl *nl, long ctx, int fd,
				    const struct sockaddr *peer, int transport,
				    const uint32_t *pairs, struct cka_ev *out)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct cka_ev r;
	int err;

	nlh = cka_msg_start(nl, buf, nl->family, 0, COAP_KA_CMD_SESSION_ADD);
	mnl_attr_put_u32(nlh, COAP_KA_A_CTX_ID, ctx);
	mnl_attr_put_u32(nlh, COAP_KA_A_SOCK_FD, fd);
	if (peer && peer->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)peer;

		mnl_attr_put(nlh, COAP_KA_A_PEER_IPV4, 4, &sin->sin_addr);
		mnl_attr_put_u16(nlh, COAP_KA_A_PEER_PORT, sin->sin_port);
	} else if (peer) {
		const struct sockaddr_in6 *sin6 = (const void *)peer;

		mnl_attr_put(nlh, COAP_KA_A_PEER_IPV6, 16, &sin6->sin6_addr);
		mnl_attr_put_u16(nlh, COAP_KA_A_PEER_PORT, sin6->sin6_port);
	}
	if (transport >= 0)
		mnl_attr_put_u32(nlh, COAP_KA_A_TRANSPORT, transport);
	for (; pairs && pairs[0]; pairs += 2)
		mnl_attr_put_u32(nlh, pairs[0], pairs[1]);
	memset(&r, 0, sizeof(r));
	err = cka_talk(nl, nlh, cka_ev_cb, &r);
	if (out)
		*out = r;
	return err ? err : (long)r.v[COAP_KA_A_SESSION_ID];
}

/* Hand socket @fd to context @ctx; @peer is NULL for a connected socket. */
static inline long session_add(struct cka_nl *nl, long ctx, int fd,
			       const struct sockaddr *peer)
{
	return session_add_full(nl, ctx, fd, peer, -1, NULL, NULL);
}

/* What a batched SESSION_ADD sent and got back (session_add_batch()). */
struct cka_batch {
	uint32_t off[COAP_KA_SESSION_ADD_PEERS_MAX + 1]; /* each nest's offset */
	uint32_t ids[COAP_KA_SESSION_ADD_PEERS_MAX + 1]; /* the reply's, in order */
	unsigned int nids;
	uint32_t ctx;			/* the reply's ctx-id */
	uint64_t ino;			/* the reply's sock-inode */
	int bad;			/* -1, or the reply was malformed */
};

static inline int cka_batch_cb(const struct nlmsghdr *nlh, void *data)
{
	struct cka_batch *b = data;
	const struct nlattr *a;

	if (coapka_nl_batch_ids(nlh, b->ids, COAP_KA_SESSION_ADD_PEERS_MAX + 1, &b->nids))
		b->bad = -1;
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == COAP_KA_A_CTX_ID)
			b->ctx = mnl_attr_get_u32(a);
		if (mnl_attr_get_type(a) == COAP_KA_A_SOCK_INODE)
			b->ino = mnl_attr_get_u64(a);
	}
	return MNL_CB_OK;
}

/*
 * SESSION_ADD of socket @fd to @ctx for @n peers as peer nests (a batch);
 * @pairs as for session_add_full(). @b records where each nest went in
 * the request (for NLMSGERR_ATTR_OFFS) and the reply. Returns 0 or
 * -errno (nl->msg, nl->bad_off say why).
 */
static inline int session_add_batch(struct cka_nl *nl, long ctx, int fd,
				    const struct sockaddr_storage *peers, int n,
				    const uint32_t *pairs, struct cka_batch *b)
{
	size_t size = 4096 + COAPKA_NL_PEER_ROOM(n);
	struct nlmsghdr *nlh;
	char *buf = calloc(1, size);
	int i, err;

	memset(b, 0, sizeof(*b));
	if (!buf)
		return -ENOMEM;
	nlh = cka_msg_start(nl, buf, nl->family, 0, COAP_KA_CMD_SESSION_ADD);
	mnl_attr_put_u32(nlh, COAP_KA_A_CTX_ID, ctx);
	mnl_attr_put_u32(nlh, COAP_KA_A_SOCK_FD, fd);
	for (; pairs && pairs[0]; pairs += 2)
		mnl_attr_put_u32(nlh, pairs[0], pairs[1]);
	for (i = 0; i < n; i++) {
		if (i <= COAP_KA_SESSION_ADD_PEERS_MAX)
			b->off[i] = nlh->nlmsg_len;
		coapka_nl_put_peer(nlh, (const void *)&peers[i], sizeof(peers[i]));
	}
	err = cka_talk(nl, nlh, cka_batch_cb, b);
	free(buf);
	return err;
}

static inline int session_cmd(struct cka_nl *nl, uint8_t cmd, long sid,
			      struct cka_ev *out)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct cka_ev r;

	nlh = cka_msg_start(nl, buf, nl->family, 0, cmd);
	mnl_attr_put_u32(nlh, COAP_KA_A_SESSION_ID, sid);
	return cka_talk(nl, nlh, cka_ev_cb, out ? out : &r);
}

static inline int session_get(struct cka_nl *nl, long sid, struct cka_ev *out)
{
	return session_cmd(nl, COAP_KA_CMD_SESSION_GET, sid, out);
}

static inline int session_del(struct cka_nl *nl, long sid)
{
	return session_cmd(nl, COAP_KA_CMD_SESSION_DEL, sid, NULL);
}

struct cka_dump {
	int n;
	int max;
	struct cka_ev *ev;
};

static inline int cka_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct cka_dump *d = data;
	struct cka_ev ev;

	cka_ev_parse(nlh, &ev);
	if (d->n < d->max)
		d->ev[d->n] = ev;
	d->n++;
	return MNL_CB_OK;
}

/*
 * Dump the sessions (of context @ctx if not 0) into @out (up to @max of
 * them); returns how many there are, or -errno.
 */
static inline int session_dump(struct cka_nl *nl, long ctx, struct cka_ev *out,
			       int max)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct cka_dump d = { .max = out ? max : 0, .ev = out };
	struct nlmsghdr *nlh;
	int err;

	nlh = cka_msg_start(nl, buf, nl->family, NLM_F_DUMP, COAP_KA_CMD_SESSION_GET);
	if (ctx)
		mnl_attr_put_u32(nlh, COAP_KA_A_CTX_ID, ctx);
	err = cka_talk(nl, nlh, cka_dump_cb, &d);
	return err ? err : d.n;
}

/* Context @ctx's session count (COAP_KA_A_SESSIONS), or -errno. */
static inline long ctx_sessions(struct cka_nl *nl, long ctx)
{
	struct cka_ctx c;
	int err;

	err = cka_ctx_cmd(nl, COAP_KA_CMD_CTX_GET, ctx, NULL, &c);
	return err ? err : (long)c.v[COAP_KA_A_SESSIONS];
}

static inline int ctx_set(struct cka_nl *nl, long ctx, const uint32_t *pairs)
{
	return cka_ctx_cmd(nl, COAP_KA_CMD_CTX_SET, ctx, pairs, NULL);
}

/* Fill @ss with @addr (IPv4 or IPv6 literal) and @port; returns its length. */
static inline socklen_t sockaddr_fill(struct sockaddr_storage *ss,
				      const char *addr, int port)
{
	struct sockaddr_in6 *sin6 = (void *)ss;
	struct sockaddr_in *sin = (void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		return sizeof(*sin);
	}
	if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		return sizeof(*sin6);
	}
	return 0;
}

static inline int sockaddr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

/* A UDP socket bound to @addr:@port (0: any); *@bound gets its port. */
static inline int udp_bound(const char *addr, int port, int *bound)
{
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_fill(&ss, addr, port);
	int fd;

	if (!len)
		return -1;
	fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (void *)&ss, len) || getsockname(fd, (void *)&ss, &len)) {
		close(fd);
		return -1;
	}
	if (bound)
		*bound = sockaddr_port(&ss);
	return fd;
}

/* A UDP socket connected to @addr:@port (an ephemeral local port). */
static inline int udp_connected_to(const char *addr, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_fill(&ss, addr, port);
	int fd;

	if (!len)
		return -1;
	fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (fd >= 0 && connect(fd, (void *)&ss, len)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The local port of socket @fd. */
static inline int sock_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (void *)&ss, &len))
		return -1;
	return sockaddr_port(&ss);
}

/* Connect @fd to the local address of socket @peer. */
static inline int udp_connect_fd(int fd, int peer)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(peer, (void *)&ss, &len))
		return -1;
	return connect(fd, (void *)&ss, len);
}

/* A 4-byte CoAP header: version 1, no token. */
static inline void coap_hdr(uint8_t *buf, int type, uint8_t code, uint16_t mid)
{
	buf[0] = 0x40 | type << 4;
	buf[1] = code;
	buf[2] = mid >> 8;
	buf[3] = mid & 0xff;
}

static inline int coap_type(const uint8_t *buf)
{
	return (buf[0] >> 4) & 3;
}

static inline uint16_t coap_mid(const uint8_t *buf)
{
	return buf[2] << 8 | buf[3];
}

static inline bool coap_is_empty(const uint8_t *buf, ssize_t len, int type)
{
	return len == 4 && buf[0] == (0x40 | type << 4) && buf[1] == 0;
}

/*
 * Receive one datagram on @fd within @ms: its length, -ETIMEDOUT or
 * -errno; @from may be NULL, *@t (if set) gets its arrival time.
 */
static inline ssize_t recv_within(int fd, void *buf, size_t size, int ms,
				  struct sockaddr_storage *from, double *t)
{
	double end = now_ms() + ms;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		socklen_t len = sizeof(*from);
		int left = end - now_ms();
		ssize_t n;

		if (left < 0)
			left = 0;
		n = poll(&pfd, 1, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return -ETIMEDOUT;
		n = recvfrom(fd, buf, size, MSG_DONTWAIT, (void *)from,
			     from ? &len : NULL);
		if (t)
			*t = now_ms();
		if (n < 0 && errno == EAGAIN)
			continue;
		return n < 0 ? -errno : n;
	}
}

/* CLOCK_REALTIME @ts as a now_ms() (CLOCK_MONOTONIC) time. */
static inline double realtime_to_ms(const struct timespec *ts)
{
	struct timespec r, m;

	clock_gettime(CLOCK_REALTIME, &r);
	clock_gettime(CLOCK_MONOTONIC, &m);
	return m.tv_sec * 1e3 + m.tv_nsec / 1e6 -
	       ((r.tv_sec - ts->tv_sec) * 1e3 + (r.tv_nsec - ts->tv_nsec) / 1e6);
}

/*
 * Have the kernel stamp each datagram @fd receives (SO_TIMESTAMPNS), for
 * recv_stamped(). Before the datagrams come: one queued unstamped is
 * stamped when it is read.
 */
static inline int udp_stamp_arrivals(int fd)
{
	int one = 1;

	return setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) ? -errno : 0;
}

/*
 * Read one datagram of @fd (ready: no wait) and when the kernel received
 * it (udp_stamp_arrivals() must have been called before it came), as a
 * now_ms() time in *@t: a slow or descheduled test does not move it, so
 * intervals between datagrams are what the sender made them.
 */
static inline ssize_t recv_stamped(int fd, void *buf, size_t size, double *t)
{
	char cbuf[CMSG_SPACE(sizeof(struct timespec))];
	struct iovec iov = { buf, size };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	ssize_t n;

	n = recvmsg(fd, &mh, MSG_DONTWAIT);
	*t = now_ms();
	for (cm = CMSG_FIRSTHDR(&mh); n >= 0 && cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS)
			*t = realtime_to_ms((const struct timespec *)CMSG_DATA(cm));
	return n < 0 ? -errno : n;
}

/* Start a process with stdout and stderr going to @out (NULL: /dev/null). */
static inline pid_t spawn(const char *out, char *const argv[])
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(out ? out : "/dev/null",
			      O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		setpgid(0, 0);
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/*
 * Run @argv to its end, stdout to @out and stderr to /dev/null (@out NULL:
 * both are ours); its exit status, 128 + the signal that killed it, or -1.
 */
static inline int run_wait(char *const argv[], const char *out)
{
	pid_t pid = fork();
	int status, fd;

	if (pid == 0) {
		if (out) {
			fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (fd < 0)
				_exit(126);
			dup2(fd, 1);
			fd = open("/dev/null", O_WRONLY);
			dup2(fd, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static inline void reap(pid_t pid, int sig)
{
	if (pid <= 0)
		return;
	kill(pid, sig);
	waitpid(pid, NULL, 0);
}

/*
 * Start coap-server-notls on @addr:@port and wait until it answers a Ping
 * with a Reset; returns its pid, or -1 if it did not come up in 10 s.
 */
static inline pid_t coap_server_start(const char *addr, int port)
{
	char sport[16];
	char *argv[] = {
		"coap-server-notls", "-A", (char *)addr, "-p", sport, NULL,
	};
	pid_t pid;
	int fd, i;

	snprintf(sport, sizeof(sport), "%d", port);
	pid = spawn(NULL, argv);
	if (pid < 0)
		return -1;
	fd = udp_connected_to(addr, port);
	for (i = 0; fd >= 0 && i < 100; i++) {
		uint8_t ping[4], rst[16];

		double t = now_ms();

		coap_hdr(ping, COAP_CON, 0, 0x1234 + i);
		send(fd, ping, sizeof(ping), 0);
		if (recv_within(fd, rst, sizeof(rst), 100, NULL, NULL) == 4)
			break;
		/* refused before it binds: wait out the 100 ms anyway */
		if (now_ms() - t < 100)
			sleep_ms(100 - (now_ms() - t));
	}
	if (fd >= 0)
		close(fd);
	if (fd < 0 || i == 100) {
		reap(pid, SIGKILL);
		return -1;
	}
	return pid;
}

#endif /* CKA_UDP_H */
