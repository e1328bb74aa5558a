// SPDX-License-Identifier: GPL-2.0
/*
 * Heavy fault scenarios (issue 11):
 *
 * netns_delete_10k_sessions: a network namespace dies with 10,000 UDP
 * sessions pinging in it (Pings and retransmissions in flight, some peers
 * answering, the others not): every session and context is freed (a
 * context only by the namespace's exit), the module's reference count
 * comes back, and no event of that namespace reaches a listener of the
 * initial one.
 *
 * rmmod_100k_sessions_under_traffic: 100,000 sessions on one busy
 * application socket, all due every second for 30 s (no soft lockup, the
 * application's datagrams flow every second), then `rmmod coap_keepalive`
 * while datagrams flow both ways on it: rmmod succeeds, no application
 * datagram is lost or duplicated,
 * the socket keeps working, and a Reset from a former session's peer now
 * reaches the application. This test unloads the module: it runs last.
 *
 * On the debug kernel (release "*cka-debug*": KASAN, ~10x slower) the
 * second test uses 10,000 sessions and says so.
 */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/utsname.h>

#include "cka_udp.h"
#include "kselftest_harness.h"
#include "cka_life.h"
#include "cka_pipe.h"

#define PARAM_MAX_SESSIONS	"/sys/module/coap_keepalive/parameters/max_sessions_per_user"
#define MOD_REFCNT		"/sys/module/coap_keepalive/refcnt"
#define BACKLOG			"/proc/sys/net/core/netdev_max_backlog"

/*
 * ATTACH_QUIET: sessions are attached to a context with keepalive 3600 s,
 * then CTX_SET makes it 1 s (sessions follow their context live). Attached
 * under a 1 s keepalive with a 10 ms ACK timeout, the Pings and
 * retransmissions of the sessions already there starve the attach in a
 * TCG guest: 10,000 took 77 s (129/s) on 6.12.
 */
#define NS_SESSIONS	10000	/* on the unconnected socket */
#define NS_CONNECTED	4	/* connected sockets, one session each */
#define NS_PING_MS	60000	/* every session has pinged by then */
#define NS_GONE_MS	180000	/* the namespace's teardown is over by then */

/*
 * The rmmod test's sessions are attached at keepalive 3600 s, then the
 * context goes to keepalive 1 s with a 10 ms ACK timeout: 100,000 sessions
 * due every second (no peer listens: each Ping draws an ICMP error and a
 * NACK). With a kernel timer per session this kept a TCG guest's timer
 * softirq busy for 21 to 47 s at a time (soft lockups, 6.12) and the
 * CTX_SET took 87.7 s; with the namespace's budgeted timer wheel it must
 * run BUSY_SECS (longer than the soft-lockup watchdog's 20 s) with the
 * application's datagrams flowing and the harness's dmesg check clean.
 */
#define ATTACH_KEEPALIVE 3600
#define BUSY_SECS	30
/*
 * Longest pause of the application's traffic, either way: well under the
 * 20 s and more of the stall it guards against (below), above what loaded
 * TCG hosts were seen to cause (6.1: 3.7 s peer -> app with three guests
 * and a kernel build on 2 cores; 6.4 s app -> peer with up to six guests).
 */
#define MAX_STALL_MS	10000
#define BIG_SESSIONS	100000
#define DEBUG_SESSIONS	10000
#define MAXSEQ		(1 << 21)
#define SEQ_LEN		13	/* 50 45 MID MID FF + 8-byte sequence number */
#define RST_MID		0xbeef

static bool debug_kernel(void)
{
	struct utsname u;

	return !uname(&u) && strstr(u.release, "cka-debug");
}

static void big_bufs(int fd, int bytes)
{
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof(bytes));
}

/* Events that find a full socket are dropped without ENOBUFS later. */
static void no_enobufs(struct cka_nl *nl)
{
	int one = 1;

	setsockopt(mnl_socket_get_fd(nl->sock), SOL_NETLINK, NETLINK_NO_ENOBUFS,
		   &one, sizeof(one));
}

/* Counter @field of the "@proto:" lines of /proc/net/snmp, or -1. */
static long snmp(const char *proto, const char *field)
{
	char hdr[2048], val[2048], *hs, *vs, *h, *v;
	size_t plen = strlen(proto);
	FILE *f = fopen("/proc/net/snmp", "r");
	long r = -1;

	if (!f)
		return -1;
	while (r < 0 && fgets(hdr, sizeof(hdr), f)) {
		if (strncmp(hdr, proto, plen) || hdr[plen] != ':')
			continue;
		if (!fgets(val, sizeof(val), f))
			break;
		h = strtok_r(hdr + plen + 1, " \n", &hs);
		v = strtok_r(val + plen + 1, " \n", &vs);
		for (; h && v; h = strtok_r(NULL, " \n", &hs), v = strtok_r(NULL, " \n", &vs))
			if (!strcmp(h, field)) {
				r = atol(v);
				break;
			}
		break;
	}
	fclose(f);
	return r;
}

/* Packets the per-CPU backlogs dropped (/proc/net/softnet_stat), all CPUs. */
static long softnet_drops(void)
{
	FILE *f = fopen("/proc/net/softnet_stat", "r");
	unsigned long processed, dropped;
	char line[512];
	long sum = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx %lx", &processed, &dropped) == 2)
			sum += dropped;
	fclose(f);
	return sum;
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		err = -errno;
	close(fd);
	return err;
}

static int read_str(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

FIXTURE(fault) {
	int unused;
};

FIXTURE_SETUP(fault)
{
	if (access(MOD_REFCNT, F_OK))
		SKIP(return, "coap_keepalive is not loaded");
}

FIXTURE_TEARDOWN(fault)
{
}

/* ------------------------------------------------------------------ */
/* netns_delete_10k_sessions                                           */

/*
 * The peers of the namespace: one socket on *:5683 answers the Pings
 * (40 00 MID) to every even peer index with a Reset (70 00 MID) from the
 * address the Ping went to; the odd ones stay silent and NACK.
 */
struct responder {
	int fd;
	atomic_bool stop;
	atomic_long pings, answered;
};

static void *responder_run(void *p)
{
	struct responder *r = p;

	while (!atomic_load(&r->stop)) {
		struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
		union {
			struct cmsghdr c;
			char b[CMSG_SPACE(sizeof(struct in_pktinfo))];
		} rctl, sctl;
		struct in_pktinfo *pi = NULL;
		struct sockaddr_in from;
		uint8_t buf[64], rst[4];
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr m = {
			.msg_name = &from, .msg_namelen = sizeof(from),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = &rctl, .msg_controllen = sizeof(rctl),
		};
		struct cmsghdr *c;
		ssize_t n;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = recvmsg(r->fd, &m, MSG_DONTWAIT);
		if (n != 4 || buf[0] != 0x40 || buf[1] != 0)
			continue;
		atomic_fetch_add(&r->pings, 1);
		for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
			if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO)
				pi = (void *)CMSG_DATA(c);
		if (!pi || peer_index(pi->ipi_addr.s_addr) % 2)
			continue;
		coap_hdr(rst, COAP_RST, 0, coap_mid(buf));
		iov = (struct iovec){ rst, 4 };
		memset(&sctl, 0, sizeof(sctl));
		m = (struct msghdr){
			.msg_name = &from, .msg_namelen = sizeof(from),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = &sctl, .msg_controllen = sizeof(sctl),
		};
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
		((struct in_pktinfo *)CMSG_DATA(c))->ipi_spec_dst = pi->ipi_addr;
		if (sendmsg(r->fd, &m, 0) == 4)
			atomic_fetch_add(&r->answered, 1);
	}
	return NULL;
}

struct ns_report {
	long sessions;		/* in the namespace's dump */
	long pinged, ponged, nacked;	/* sessions with pings, pongs, nacks > 0 */
	long objects;		/* coap_ka_session objects then */
	long attach_ms;		/* the pipelined SESSION_ADD of NS_SESSIONS */
	long ping_ms;		/* from the attach until every session had pinged */
	long peer_pings, answered;
	char err[128];		/* why the child gave up, "" if it did not */
};

static void ns_fail(struct ns_report *r, int out, const char *what, long v)
{
	snprintf(r->err, sizeof(r->err), "%s (%ld, errno %d)", what, v, errno);
	if (write(out, r, sizeof(*r)) != sizeof(*r))
		_exit(2);
	_exit(1);
}

/*
 * The namespace's only process: lo up, a context pinging every second
 * with a 10 ms ACK timeout, NS_CONNECTED connected sockets and an
 * unconnected one with NS_SESSIONS peers, an events listener that never
 * reads, the responder. Once the dump shows every session has pinged (and
 * some had Pongs, some NACKs) it reports and exits with everything open.
 */
static void ns_child(int out)
{
	/* quiet while attaching, then every second (ATTACH_QUIET) */
	const uint32_t set[] = {
		COAP_KA_A_KEEPALIVE_SECS, 3600, COAP_KA_A_ACK_TIMEOUT_MS, 10, 0,
	};
	const uint32_t busy[] = { COAP_KA_A_KEEPALIVE_SECS, 1, 0 };
	struct sockaddr_in any = { .sin_family = AF_INET, .sin_port = htons(CKA_PEER_PORT) };
	struct ns_report r = { .objects = -1 };
	struct responder resp = {};
	struct cka_nl *nl, *dumper, *ev;
	struct add_arg a = { .fd = -1, .peer0 = 0, .transport = -1 };
	struct cka_ev *d;
	double t0, end;
	int i, one = 1, err;
	pthread_t thr;
	long ctx, n;

	d = calloc(NS_SESSIONS + NS_CONNECTED + 16, sizeof(*d));
	ctx = netns_child_ctx(set, &nl);
	if (!d || ctx < 0)
		ns_fail(&r, out, "netns, lo or context", ctx);
	big_bufs(mnl_socket_get_fd(nl->sock), 16 << 20);
	no_enobufs(nl);
	dumper = cka_open();
	ev = open_events();
	if (!dumper || !ev)
		ns_fail(&r, out, "netlink sockets", 0);
	no_enobufs(ev);

	resp.fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (resp.fd < 0 || bind(resp.fd, (void *)&any, sizeof(any)) ||
	    setsockopt(resp.fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)))
		ns_fail(&r, out, "responder socket", resp.fd);
	big_bufs(resp.fd, 8 << 20);
	if (pthread_create(&thr, NULL, responder_run, &resp))
		ns_fail(&r, out, "responder thread", 0);

	for (i = 0; i < NS_CONNECTED; i++) {
		struct sockaddr_in sin = peer_addr(65536 + i, CKA_PEER_PORT);
		int fd = socket(AF_INET, SOCK_DGRAM, 0);

		if (fd < 0 || connect(fd, (void *)&sin, sizeof(sin)))
			ns_fail(&r, out, "connected socket", fd);
		n = session_add(nl, ctx, fd, NULL);
		if (n <= 0)
			ns_fail(&r, out, "SESSION_ADD of a connected socket", n);
	}
	a.ctx = ctx;
	a.fd = udp_bound("127.0.0.1", 0, NULL);
	if (a.fd < 0)
		ns_fail(&r, out, "application socket", a.fd);
	big_bufs(a.fd, 8 << 20);
	t0 = now_ms();
	n = pipeline(nl, COAP_KA_CMD_SESSION_ADD, NS_SESSIONS, build_add, &a, &err);
	if (n) {
		errno = err;
		ns_fail(&r, out, "pipelined SESSION_ADD failures", n);
	}
	r.attach_ms = now_ms() - t0;
	n = ctx_set(nl, ctx, busy);
	if (n)
		ns_fail(&r, out, "CTX_SET keepalive 1 s", n);

	t0 = now_ms();
	end = t0 + NS_PING_MS;
	do {
		sleep_ms(300);
		n = session_dump(dumper, ctx, d, NS_SESSIONS + NS_CONNECTED + 16);
		r.sessions = n;
		r.pinged = r.ponged = r.nacked = 0;
		for (i = 0; i < n && i < NS_SESSIONS + NS_CONNECTED + 16; i++) {
			r.pinged += d[i].v[COAP_KA_A_PINGS] > 0;
			r.ponged += d[i].v[COAP_KA_A_PONGS] > 0;
			r.nacked += d[i].v[COAP_KA_A_NACKS] > 0;
		}
	} while ((r.pinged < n || !r.ponged || !r.nacked) && now_ms() < end);
	r.ping_ms = now_ms() - t0;
	r.peer_pings = atomic_load(&resp.pings);
	r.answered = atomic_load(&resp.answered);
	r.objects = session_objects();
	/* everything stays open: the sockets, the responder, the listeners */
	if (write(out, &r, sizeof(r)) != sizeof(r))
		_exit(2);
	_exit(0);
}

/*
 * The namespace's process exits with 10,004 sessions pinging in it. The
 * teardown is asynchronous (socket release, then the namespace's cleanup
 * work): poll until the sessions and the context are freed and the
 * module's reference count is back, and print how long it took. Only the
 * namespace's exit (or CTX_DEL, which nobody sends) frees a context, so
 * its going shows the namespace died. (The net_namespace slab cannot
 * show it: on 6.12 a plain `unshare -n true` leaves its count at 1.)
 * A listener of the events group in the initial namespace hears nothing.
 */
TEST_F_TIMEOUT(fault, netns_delete_10k_sessions, 300)
{
	long base, ctx_base, ref, n = -1, nctx = -1, nref = -1;
	double t_exit, t_sess = -1, t_ctx = -1, t_ref = -1, t, end;
	const long want = NS_SESSIONS + NS_CONNECTED;
	struct pollfd pfd;
	struct ns_report r = {};
	struct cka_nl *ev;
	struct cka_ev e;
	int p[2], status, events = 0, err;
	pid_t pid;

	base = session_objects();
	ctx_base = slab_objects("coap_ka_ctx");
	ref = read_long(MOD_REFCNT);
	if (base < 0 || ctx_base < 0)
		SKIP(return, "no coap_ka_session/coap_ka_ctx slab cache to count");
	ev = open_events();
	ASSERT_NE(NULL, ev);

	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(p[0]);
		cka_close(ev);
		ns_child(p[1]);
	}
	close(p[1]);
	pfd = (struct pollfd){ .fd = p[0], .events = POLLIN };
	ASSERT_EQ(1, poll(&pfd, 1, NS_PING_MS + 120000)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	ASSERT_EQ(sizeof(r), read(p[0], &r, sizeof(r)));
	close(p[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	t_exit = now_ms();
	ASSERT_EQ(0, r.err[0]) TH_LOG("the namespace's process: %s", r.err);
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	ksft_print_msg("netns: %ld sessions attached in %ld ms (%.0f/s, pipelined SESSION_ADD)\n",
		       (long)NS_SESSIONS, r.attach_ms,
		       NS_SESSIONS * 1e3 / (r.attach_ms ? r.attach_ms : 1));
	ksft_print_msg("netns: %ld sessions, %ld pinged, %ld with Pongs, %ld with NACKs %ld ms after keepalive 1 s; peers got %ld Pings, answered %ld; coap_ka_session %ld -> %ld\n",
		       r.sessions, r.pinged, r.ponged, r.nacked, r.ping_ms,
		       r.peer_pings, r.answered, base, r.objects);
	ASSERT_EQ(want, r.sessions);
	ASSERT_EQ(want, r.pinged) TH_LOG("not every session pinged within %d ms", NS_PING_MS);
	EXPECT_LT(0, r.ponged);
	EXPECT_LT(0, r.nacked);
	/* KFENCE serves at most one object per 10 ms, uncounted (cka_life.h) */
	EXPECT_LE(base + want - KFENCE_SLACK - r.attach_ms / 10, r.objects);

	/* the teardown, polled */
	end = t_exit + NS_GONE_MS;
	do {
		t = now_ms();
		if (t_sess < 0 && (n = session_objects()) <= base)
			t_sess = t - t_exit;
		if (t_ctx < 0 && (nctx = slab_objects("coap_ka_ctx")) <= ctx_base)
			t_ctx = t - t_exit;
		if (t_ref < 0 && (nref = read_long(MOD_REFCNT)) == ref)
			t_ref = t - t_exit;
		if (t_sess >= 0 && t_ctx >= 0 && t_ref >= 0)
			break;
		sleep_ms(20);
	} while (now_ms() < end);
	ksft_print_msg("netns teardown after the process exited: sessions freed in %.0f ms, context (the namespace's exit) %.0f ms, module refcnt back %.0f ms (-1: not within %d ms)\n",
		       t_sess, t_ctx, t_ref, NS_GONE_MS);
	EXPECT_LE(0, t_sess) TH_LOG("coap_ka_session: %ld before, %ld in the namespace, %ld now",
				    base, r.objects, n);
	EXPECT_LE(0, t_ctx) TH_LOG("coap_ka_ctx: %ld before, %ld now", ctx_base, nctx);
	EXPECT_LE(0, t_ref) TH_LOG("module refcnt: %ld before, %ld now", ref, nref);

	/* events are per namespace: none of the dead one's reached us */
	while (!(err = ev_next(ev, 0, &e)))
		events++;
	EXPECT_EQ(-ETIMEDOUT, err) TH_LOG("the initial namespace's listener: %s", strerror(-err));
	EXPECT_EQ(0, events) TH_LOG("the initial namespace's listener heard %d events (cmd %d first)",
				    events, e.cmd);
	cka_close(ev);
}

/* ------------------------------------------------------------------ */
/* rmmod_100k_sessions_under_traffic                                   */

/* One direction of application traffic: numbered NON datagrams. */
struct flow {
	int tx, rx;			/* sending and receiving socket */
	struct sockaddr_in to;		/* rx's address */
	double rate;			/* datagrams per second */
	atomic_bool stop_tx, stop_rx;
	atomic_long sent;		/* next sequence number */
	atomic_long tx_errs;		/* sendto failures (retried) */
	long first_err;
	atomic_long got, other, bad;	/* received: ours, other datagrams, seq >= MAXSEQ */
	atomic_long rsts;		/* Resets with MID RST_MID */
	uint8_t *seen;			/* receptions per sequence number */
};

static void *flow_tx(void *p)
{
	struct flow *f = p;
	double t0 = now_ms();
	uint8_t m[SEQ_LEN];

	while (!atomic_load(&f->stop_tx)) {
		long due = (now_ms() - t0) * f->rate / 1e3, seq;

		for (seq = atomic_load(&f->sent); seq < due && seq < MAXSEQ; ) {
			uint64_t s = seq;

			coap_hdr(m, COAP_NON, 0x45, seq & 0xffff);
			m[4] = 0xff;
			memcpy(m + 5, &s, 8);
			if (sendto(f->tx, m, sizeof(m), 0, (void *)&f->to, sizeof(f->to)) !=
			    sizeof(m)) {
				if (!atomic_fetch_add(&f->tx_errs, 1))
					f->first_err = errno;
				break;
			}
			atomic_store(&f->sent, ++seq);
		}
		sleep_ms(1);
	}
	return NULL;
}

static void *flow_rx(void *p)
{
	struct flow *f = p;
	uint8_t m[256];

	while (!atomic_load(&f->stop_rx)) {
		ssize_t n = recv_within(f->rx, m, sizeof(m), 100, NULL, NULL);
		uint64_t seq;

		if (n == -ETIMEDOUT)
			continue;
		if (n == SEQ_LEN && m[0] == 0x50 && m[1] == 0x45 && m[4] == 0xff) {
			memcpy(&seq, m + 5, 8);
			if (seq >= MAXSEQ || coap_mid(m) != (seq & 0xffff)) {
				atomic_fetch_add(&f->bad, 1);
				continue;
			}
			if (f->seen[seq] < 255)
				f->seen[seq]++;
			atomic_fetch_add(&f->got, 1);
		} else if (coap_is_empty(m, n, COAP_RST) && coap_mid(m) == RST_MID) {
			atomic_fetch_add(&f->rsts, 1);
		} else {
			atomic_fetch_add(&f->other, 1);
		}
	}
	return NULL;
}

/* Sequence numbers 0..sent-1 seen never (*lost) and more than once (*dup). */
static void flow_check(const struct flow *f, long *lost, long *dup, long *first_lost)
{
	long i, sent = atomic_load(&f->sent);

	*lost = *dup = 0;
	*first_lost = -1;
	for (i = 0; i < sent; i++) {
		if (!f->seen[i] && !(*lost)++)
			*first_lost = i;
		*dup += f->seen[i] > 1;
	}
}

/*
 * 100,000 sessions (keepalive ATTACH_KEEPALIVE, then 1 s for BUSY_SECS,
 * jitter 50 %, ACK timeout 10 ms; no peer listens) on the
 * application's bound socket, which meanwhile receives numbered datagrams
 * from a peer socket and sends it numbered datagrams, one thread each way.
 * rmmod coap_keepalive in the middle of it. Then: rmmod succeeded, every
 * datagram of both directions arrived exactly once (lo's own drops are
 * told apart by Udp RcvbufErrors/InErrors and the backlog drops), traffic
 * goes on afterwards, and a Reset from a former session's peer reaches
 * the application.
 */
TEST_F_TIMEOUT(fault, rmmod_100k_sessions_under_traffic, 400)
{
	const bool dbg = debug_kernel();
	const long nsess = dbg ? DEBUG_SESSIONS : BIG_SESSIONS;
	const double rate = dbg ? 500 : 2000;
	/* ATTACH_KEEPALIVE, then busy_set: see there */
	const uint32_t set[] = {
		COAP_KA_A_KEEPALIVE_SECS, ATTACH_KEEPALIVE,
		COAP_KA_A_JITTER_PCT, 50, COAP_KA_A_ACK_TIMEOUT_MS, 10, 0,
	};
	const uint32_t busy_set[] = { COAP_KA_A_KEEPALIVE_SECS, 1, 0 };
	long rcvbuf0, inerr0, drops0, noports0, noports1, rcvbuf1, inerr1, drops1;
	long lost_in, dup_in, lost_out, dup_out, fl_in, fl_out, sent_in_at, sent_out_at;
	char old_max[32] = "", old_backlog[32] = "", want[32], buf[32], rmmod_out[512] = "";
	struct flow in = {}, out = {};	/* peer -> app, app -> peer */
	struct add_arg a = { .fd = -1, .peer0 = 0, .transport = -1 };
	pthread_t thr[4];
	double t0, t_attach, t_rm, t_rm_end;
	struct cka_nl *nl;
	int app, peer, err, rc, rst;
	struct sockaddr_in sin;
	uint8_t rstmsg[4];
	socklen_t slen;
	FILE *rm;
	double t_in, t_out, stall_in = 0, stall_out = 0;
	long q_in = 0, q_out = 0, q;
	long failed, got_in, got_out;
	int i;

	if (dbg)
		ksft_print_msg("debug kernel (KASAN): %ld sessions instead of %d, %.0f datagrams/s per direction\n",
			       nsess, BIG_SESSIONS, rate);
	/* the per-user session limit (default 65536) must let 100,000 in */
	ASSERT_EQ(0, read_str(PARAM_MAX_SESSIONS, old_max, sizeof(old_max)));
	snprintf(want, sizeof(want), "%ld", nsess + 1000);
	ASSERT_EQ(0, write_str(PARAM_MAX_SESSIONS, want)) TH_LOG("%s is not writable", PARAM_MAX_SESSIONS);
	ASSERT_EQ(0, read_str(PARAM_MAX_SESSIONS, buf, sizeof(buf)));
	ASSERT_STREQ(want, buf);
	/* the module's Pings must not crowd our datagrams out of lo's backlog */
	if (!read_str(BACKLOG, old_backlog, sizeof(old_backlog)))
		write_str(BACKLOG, "100000");

	in.seen = calloc(MAXSEQ, 1);
	out.seen = calloc(MAXSEQ, 1);
	ASSERT_TRUE(in.seen && out.seen);
	app = udp_bound("127.0.0.1", 0, NULL);
	peer = udp_bound("127.0.0.1", 0, NULL);
	ASSERT_LE(0, app);
	ASSERT_LE(0, peer);
	big_bufs(app, 32 << 20);
	big_bufs(peer, 32 << 20);

	nl = cka_open();
	ASSERT_NE(NULL, nl);
	big_bufs(mnl_socket_get_fd(nl->sock), 32 << 20);
	no_enobufs(nl);
	a.ctx = cka_ctx_new(nl, set, NULL);
	ASSERT_LT(0, a.ctx) TH_LOG("%s", nl->msg);
	a.fd = app;
	t0 = now_ms();
	failed = pipeline(nl, COAP_KA_CMD_SESSION_ADD, nsess, build_add, &a, &err);
	t_attach = now_ms() - t0;
	ASSERT_EQ(0, failed) TH_LOG("SESSION_ADD: %ld of %ld failed: %s", failed, nsess,
				    strerror(err));
	ASSERT_EQ(nsess, ctx_sessions(nl, a.ctx));
	ksft_print_msg("%ld sessions attached to one socket in %.0f ms (%.0f/s, pipelined SESSION_ADD, %d per sendto)\n",
		       nsess, t_attach, nsess * 1e3 / t_attach, CKA_PIPE_WIN);
	/* the adding socket's events are not ours to read: it goes */
	cka_close(nl);
	nl = cka_open();
	ASSERT_NE(NULL, nl);

	/* both directions of the application's traffic on the same socket */
	in.tx = peer;
	in.rx = app;
	out.tx = app;
	out.rx = peer;
	slen = sizeof(in.to);
	ASSERT_EQ(0, getsockname(app, (void *)&in.to, &slen));
	slen = sizeof(out.to);
	ASSERT_EQ(0, getsockname(peer, (void *)&out.to, &slen));
	in.rate = out.rate = rate;
	rcvbuf0 = snmp("Udp", "RcvbufErrors");
	inerr0 = snmp("Udp", "InErrors");
	drops0 = softnet_drops();
	noports0 = snmp("Udp", "NoPorts");
	ASSERT_EQ(0, pthread_create(&thr[0], NULL, flow_rx, &in));
	ASSERT_EQ(0, pthread_create(&thr[1], NULL, flow_rx, &out));
	ASSERT_EQ(0, pthread_create(&thr[2], NULL, flow_tx, &in));
	ASSERT_EQ(0, pthread_create(&thr[3], NULL, flow_tx, &out));
	/* every session due each second, while the datagrams flow */
	t0 = now_ms();
	ASSERT_EQ(0, ctx_set(nl, a.ctx, busy_set)) TH_LOG("%s", nl->msg);
	ksft_print_msg("CTX_SET keepalive 1 s of %ld sessions took %.0f ms\n",
		       nsess, now_ms() - t0);
	cka_close(nl);
	/*
	 * The module is busy: its Pings to the peers' closed port count as
	 * NoPorts. The application's datagrams keep flowing both ways: the
	 * longest stretch without one arriving, sampled every 100 ms, stays
	 * under MAX_STALL_MS each way. (A timer softirq that never caught up
	 * stalled everything for the soft-lockup watchdog's 20 s and more.)
	 */
	got_in = atomic_load(&in.got);
	got_out = atomic_load(&out.got);
	t_in = t_out = now_ms();
	for (i = 0; i < BUSY_SECS * 10; i++) {
		double t;

		sleep_ms(100);
		t = now_ms();
		if (atomic_load(&in.got) != got_in) {
			got_in = atomic_load(&in.got);
			t_in = t;
		}
		if (atomic_load(&out.got) != got_out) {
			got_out = atomic_load(&out.got);
			t_out = t;
		}
		stall_in = t - t_in > stall_in ? t - t_in : stall_in;
		stall_out = t - t_out > stall_out ? t - t_out : stall_out;
		/* sent but not yet received: queued on the way */
		q = atomic_load(&in.sent) - atomic_load(&in.got);
		q_in = q > q_in ? q : q_in;
		q = atomic_load(&out.sent) - atomic_load(&out.got);
		q_out = q > q_out ? q : q_out;
	}
	ksft_print_msg("longest stretch without a datagram: %.0f ms peer -> app, %.0f ms app -> peer (bound %d ms each)\n",
		       stall_in, stall_out, MAX_STALL_MS);
	ksft_print_msg("most datagrams on the way (sent, not yet received): %ld peer -> app, %ld app -> peer\n",
		       q_in, q_out);
	EXPECT_GT(MAX_STALL_MS, stall_in);
	/*
	 * On 6.1, in a guest sharing 2 host cores with two to five others,
	 * app -> peer paused for 0.5-6.4 s (6.12: 110 ms), with up to 14,800
	 * datagrams sent and not yet received. Yielding the work item to
	 * ksoftirqd (pre-6.5 kernels defer all softirqs to it once it is
	 * awake) did not change that in an A/B of 3+2 runs against 3+1.
	 */
	EXPECT_GT(MAX_STALL_MS, stall_out);
	noports1 = snmp("Udp", "NoPorts");
	ksft_print_msg("busy for %.0f ms: %ld Pings (%.0f/s, Udp NoPorts) for %ld sessions due every second, %ld/%ld datagrams in/out so far\n",
		       now_ms() - t0, noports1 - noports0,
		       (noports1 - noports0) * 1e3 / (now_ms() - t0), nsess,
		       atomic_load(&in.got), atomic_load(&out.got));
	EXPECT_LT(0, noports1 - noports0);
	EXPECT_LT(0, atomic_load(&in.got));

	t_rm = now_ms();
	rm = popen("timeout 300 rmmod coap_keepalive 2>&1", "r");
	ASSERT_NE(NULL, rm);
	if (!fgets(rmmod_out, sizeof(rmmod_out), rm))
		rmmod_out[0] = 0;
	rc = pclose(rm);
	t_rm_end = now_ms();
	sent_in_at = atomic_load(&in.sent);
	sent_out_at = atomic_load(&out.sent);
	ksft_print_msg("rmmod coap_keepalive with %ld sessions under traffic: %.0f ms, status %d %s\n",
		       nsess, t_rm_end - t_rm, rc, rmmod_out);
	EXPECT_EQ(0, rc);
	EXPECT_NE(0, access(MOD_REFCNT, F_OK)) TH_LOG("the module is still loaded");

	/* one more second of traffic; then a Reset from a former session's peer */
	sleep_ms(1000);
	sin = peer_addr(1, CKA_PEER_PORT);
	rst = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_LE(0, rst);
	ASSERT_EQ(0, bind(rst, (void *)&sin, sizeof(sin)));
	coap_hdr(rstmsg, COAP_RST, 0, RST_MID);
	ASSERT_EQ(4, sendto(rst, rstmsg, 4, 0, (void *)&in.to, sizeof(in.to)));
	sleep_ms(500);
	atomic_store(&in.stop_tx, true);
	atomic_store(&out.stop_tx, true);
	pthread_join(thr[2], NULL);
	pthread_join(thr[3], NULL);
	/* let the receivers drain their queues */
	for (t0 = now_ms(); now_ms() < t0 + 10000;) {
		if (atomic_load(&in.got) >= atomic_load(&in.sent) &&
		    atomic_load(&out.got) >= atomic_load(&out.sent) && atomic_load(&in.rsts))
			break;
		sleep_ms(100);
	}
	sleep_ms(300);
	atomic_store(&in.stop_rx, true);
	atomic_store(&out.stop_rx, true);
	pthread_join(thr[0], NULL);
	pthread_join(thr[1], NULL);
	rcvbuf1 = snmp("Udp", "RcvbufErrors");
	inerr1 = snmp("Udp", "InErrors");
	drops1 = softnet_drops();

	flow_check(&in, &lost_in, &dup_in, &fl_in);
	flow_check(&out, &lost_out, &dup_out, &fl_out);
	ksft_print_msg("peer -> app: %ld sent (%ld before rmmod returned), %ld received, %ld lost (first #%ld), %ld duplicated, %ld other datagrams, %ld send errors (first %s)\n",
		       atomic_load(&in.sent), sent_in_at, atomic_load(&in.got), lost_in, fl_in,
		       dup_in, atomic_load(&in.other), atomic_load(&in.tx_errs),
		       strerror(in.first_err));
	ksft_print_msg("app -> peer: %ld sent (%ld before rmmod returned), %ld received, %ld lost (first #%ld), %ld duplicated, %ld other datagrams, %ld send errors (first %s)\n",
		       atomic_load(&out.sent), sent_out_at, atomic_load(&out.got), lost_out,
		       fl_out, dup_out, atomic_load(&out.other), atomic_load(&out.tx_errs),
		       strerror(out.first_err));
	ksft_print_msg("Udp RcvbufErrors +%ld, InErrors +%ld, backlog drops +%ld; Resets from a former peer received: %ld\n",
		       rcvbuf1 - rcvbuf0, inerr1 - inerr0, drops1 - drops0,
		       atomic_load(&in.rsts));

	/* lo's own drops would show in these: then the rate is too high, not the module wrong */
	EXPECT_EQ(0, rcvbuf1 - rcvbuf0);
	EXPECT_EQ(0, inerr1 - inerr0);
	EXPECT_EQ(0, drops1 - drops0);
	EXPECT_EQ(0, lost_in) TH_LOG("peer -> app: datagram #%ld and %ld more lost%s", fl_in,
				     lost_in - 1, rcvbuf1 == rcvbuf0 && drops1 == drops0 ?
				     " while lo dropped nothing" : "");
	EXPECT_EQ(0, lost_out) TH_LOG("app -> peer: datagram #%ld and %ld more lost%s", fl_out,
				      lost_out - 1, rcvbuf1 == rcvbuf0 && drops1 == drops0 ?
				      " while lo dropped nothing" : "");
	EXPECT_EQ(0, dup_in);
	EXPECT_EQ(0, dup_out);
	EXPECT_EQ(0, atomic_load(&in.bad) + atomic_load(&out.bad));
	/* traffic went on after rmmod, both ways */
	EXPECT_LT(sent_in_at + rate / 2, atomic_load(&in.sent));
	EXPECT_LT(sent_out_at + rate / 2, atomic_load(&out.sent));
	/* nothing eats a peer's Reset any more */
	EXPECT_EQ(1, atomic_load(&in.rsts));

	close(rst);
	close(app);
	close(peer);
	free(in.seen);
	free(out.seen);
	if (old_backlog[0])
		write_str(BACKLOG, old_backlog);
	/* if the module is still there, its limit goes back */
	if (!access(PARAM_MAX_SESSIONS, F_OK))
		write_str(PARAM_MAX_SESSIONS, old_max);
}

TEST_HARNESS_MAIN
