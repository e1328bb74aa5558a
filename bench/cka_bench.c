// SPDX-License-Identifier: GPL-2.0
/*
 * cka_bench - the measuring instrument of coap_keepalive (`make bench`).
 *
 * Runs inside a guest with the module loaded (see Documentation/bench.rst),
 * measures each row against a baseline taken in the same run, prints one
 * table and writes it as JSON.
 *
 *   cka_bench [--quick] [--ktap] [--json FILE] [--rows 1,2,...] [--label S]
 *             [--big N,N,...]
 *
 * --quick   small sizes, one repetition: a smoke test of the same code that
 *           only checks that every row produced a number (row 1: 10,000
 *           sessions, 2,000 on the debug kernel)
 * --ktap    print a KTAP plan and one result per row (for selftests/TESTS)
 * --big     the session counts of row 1 (default 10000,100000,1000000)
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <net/if.h>
#include <poll.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

#include "cka_nl.h"
#include "cka_pipe.h"

#define RPORT		CKA_PEER_PORT	/* the responder's UDP port (5683) */
#define TPORT		5684	/* the TCP responder's port */
#define MAXREP		16
#define NBINS		4096	/* responder histogram, 100 ms bins */
#define NFIRST		65536	/* per-peer first-Ping times kept */
#define USER_TICK	0.1	/* the userspace sender's sendmmsg() period, s */

/* ------------------------------------------------------------------ */
/* options and results                                                  */

static bool quick, ktap;
static const char *json_path, *label = "";
static char rows_sel[64] = "1,2,3,4,5,6,7,8,9,10";
static long big_n[8] = { 10000, 100000, 1000000 };
static int nbig = 3;
static int reps = 3;
static int ncpu;

struct res {
	int row;
	char what[100];
	char unit[24];
	int n;
	double v[MAXREP];
	char bname[100];
	int nb;
	double b[MAXREP];
	char note[400];
	bool noratio;		/* the baseline is context, not a comparison */
};

static struct res results[128];
static int nres;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void sleep_until(double t)
{
	sleep_s(t - now());
}

static void logf_(const char *fmt, ...)
{
	va_list ap;

	printf("%s", ktap ? "# " : "bench: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}
#define LOG(...) logf_(__VA_ARGS__)

static struct res *res_new(int row, const char *what, const char *unit,
			   const char *bname)
{
	struct res *r = &results[nres++];

	memset(r, 0, sizeof(*r));
	r->row = row;
	snprintf(r->what, sizeof(r->what), "%s", what);
	snprintf(r->unit, sizeof(r->unit), "%s", unit);
	snprintf(r->bname, sizeof(r->bname), "%s", bname ? bname : "");
	return r;
}

static void res_add(struct res *r, double v)
{
	if (r->n < MAXREP)
		r->v[r->n++] = v;
}

static void res_base(struct res *r, double v)
{
	if (r->nb < MAXREP)
		r->b[r->nb++] = v;
}

static void res_note(struct res *r, const char *fmt, ...)
{
	size_t l = strlen(r->note);
	va_list ap;

	if (l && l < sizeof(r->note) - 2) {
		r->note[l++] = ';';
		r->note[l++] = ' ';
		r->note[l] = 0;
	}
	va_start(ap, fmt);
	vsnprintf(r->note + l, sizeof(r->note) - l, fmt, ap);
	va_end(ap);
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
	double s[MAXREP * 64];
	int i;

	if (n <= 0)
		return NAN;
	if (n > (int)(sizeof(s) / sizeof(s[0])))
		n = sizeof(s) / sizeof(s[0]);
	for (i = 0; i < n; i++)
		s[i] = v[i];
	qsort(s, n, sizeof(double), dcmp);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static double vmin(const double *v, int n)
{
	double m = INFINITY;

	while (n--)
		m = fmin(m, v[n]);
	return m;
}

static double vmax(const double *v, int n)
{
	double m = -INFINITY;

	while (n--)
		m = fmax(m, v[n]);
	return m;
}

/* Paired ratios value/baseline (rep by rep), or NAN count 0. */
static int ratios(const struct res *r, double *out)
{
	int i, n = r->n < r->nb ? r->n : r->nb;

	if (r->noratio)
		return 0;
	if (r->nb == 1) {
		for (i = 0; i < r->n; i++)
			out[i] = r->v[i] / r->b[0];
		return r->n;
	}
	for (i = 0; i < n; i++)
		out[i] = r->v[i] / r->b[i];
	return n;
}

static bool row_on(int row)
{
	char buf[64], *tok, *save;

	snprintf(buf, sizeof(buf), "%s", rows_sel);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (atoi(tok) == row)
			return true;
	return false;
}

/* ------------------------------------------------------------------ */
/* /proc readers                                                        */

/* Slab + VmallocUsed from /proc/meminfo, bytes. */
static double kmem(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	double s = 0;
	long v;

	if (!f)
		return NAN;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Slab: %ld", &v) == 1)
			s += v * 1024.0;
		else if (sscanf(line, "VmallocUsed: %ld", &v) == 1)
			s += v * 1024.0;
	}
	fclose(f);
	return s;
}

static long meminfo_kb(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	size_t kl = strlen(key);
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ':')
			v = atol(line + kl + 1);
	fclose(f);
	return v;
}

struct slab {
	char name[64];
	double bytes;
	long objs;
	long size;
};

#define NSLAB 512
struct slabsnap {
	int n;
	struct slab s[NSLAB];
};

static void slab_snap(struct slabsnap *ss)
{
	FILE *f = fopen("/proc/slabinfo", "r");
	char line[512];

	ss->n = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && ss->n < NSLAB) {
		struct slab *s = &ss->s[ss->n];
		long act, num, osz;

		if (line[0] == '#' || !strncmp(line, "slabinfo", 8))
			continue;
		if (sscanf(line, "%63s %ld %ld %ld", s->name, &act, &num, &osz) != 4)
			continue;
		s->objs = act;
		s->size = osz;
		s->bytes = (double)num * osz;
		ss->n++;
	}
	fclose(f);
}

/* The caches that grew most between @a and @b, as text. */
static void slab_diff(const struct slabsnap *a, const struct slabsnap *b,
		      long per, char *out, size_t len)
{
	struct { const struct slab *s; double d; long dobj; } top[5] = {};
	int i, j, k;

	for (i = 0; i < b->n; i++) {
		double before = 0;
		long obefore = 0;

		for (j = 0; j < a->n; j++)
			if (!strcmp(a->s[j].name, b->s[i].name)) {
				before = a->s[j].bytes;
				obefore = a->s[j].objs;
				break;
			}
		for (k = 0; k < 5; k++) {
			if (b->s[i].bytes - before > top[k].d) {
				memmove(&top[k + 1], &top[k], (4 - k) * sizeof(top[0]));
				top[k].s = &b->s[i];
				top[k].d = b->s[i].bytes - before;
				top[k].dobj = b->s[i].objs - obefore;
				break;
			}
		}
	}
	out[0] = 0;
	for (k = 0; k < 5 && top[k].s; k++) {
		size_t l = strlen(out);

		snprintf(out + l, len - l, "%s%s +%.0f B/session (%.2f obj of %ld B)",
			 k ? ", " : "", top[k].s->name, top[k].d / per,
			 (double)top[k].dobj / per, top[k].s->size);
	}
}

struct cpustat {
	double t;
	unsigned long long idle;	/* idle + iowait, USER_HZ */
};

static void cpu_snap(struct cpustat *c)
{
	unsigned long long u, n, s, i, w;
	FILE *f = fopen("/proc/stat", "r");

	c->t = now();
	c->idle = 0;
	if (!f)
		return;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu", &u, &n, &s, &i, &w) == 5)
		c->idle = i + w;
	fclose(f);
}

/* Busy CPU seconds between two snapshots: wall x CPUs - idle. */
static double busy(const struct cpustat *a, const struct cpustat *b)
{
	double hz = sysconf(_SC_CLK_TCK);

	return (b->t - a->t) * ncpu - (b->idle - a->idle) / hz;
}

/* utime + stime of @pid (and its reaped children: no), seconds. */
static double pid_cpu(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return NAN;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
			 &ut, &st) != 2)
		return NAN;
	return (ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static long pid_ctxsw(pid_t pid)
{
	char path[64], line[256];
	long v, sum = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "voluntary_ctxt_switches: %ld", &v) == 1)
			sum += v;
		else if (sscanf(line, "nonvoluntary_ctxt_switches: %ld", &v) == 1)
			sum += v;
	}
	fclose(f);
	return sum;
}

/* A counter of the "Udp:" lines of /proc/net/snmp. */
static long udp_snmp(const char *field)
{
	FILE *f = fopen("/proc/net/snmp", "r");
	char hdr[1024], val[1024], *h, *v, *hs, *vs;
	long r = -1;

	if (!f)
		return -1;
	while (fgets(hdr, sizeof(hdr), f)) {
		if (strncmp(hdr, "Udp: ", 5))
			continue;
		if (!fgets(val, sizeof(val), f))
			break;
		h = strtok_r(hdr + 5, " \n", &hs);
		v = strtok_r(val + 5, " \n", &vs);
		while (h && v) {
			if (!strcmp(h, field)) {
				r = atol(v);
				break;
			}
			h = strtok_r(NULL, " \n", &hs);
			v = strtok_r(NULL, " \n", &vs);
		}
		break;
	}
	fclose(f);
	return r;
}

/* Packets dropped at the per-CPU backlog (/proc/net/softnet_stat), all CPUs. */
static long softnet_drops(void)
{
	FILE *f = fopen("/proc/net/softnet_stat", "r");
	unsigned long proc, drop;
	char line[512];
	long sum = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx %lx", &proc, &drop) == 2)
			sum += drop;
	fclose(f);
	return sum;
}

static void write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, s, strlen(s)) < 0)
		LOG("cannot write %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* ------------------------------------------------------------------ */
/* sockets (the peer addresses are cka_pipe.h's peer_addr())            */

static int udp_sock(int port, bool nonblock)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_DGRAM | (nonblock ? SOCK_NONBLOCK : 0), 0);

	if (fd < 0)
		return -1;
	if (bind(fd, (void *)&sin, sizeof(sin))) {
		close(fd);
		return -1;
	}
	return fd;
}

static void big_buffers(int fd, int bytes)
{
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof(bytes));
}

/* ------------------------------------------------------------------ */
/* netlink                                                              */

static struct cka_nl *nl_open(void)
{
	struct cka_nl *nl = cka_open();

	if (!nl) {
		LOG("cannot open the coap_keepalive family: %s", strerror(errno));
		exit(1);
	}
	big_buffers(mnl_socket_get_fd(nl->sock), 8 << 20);
	return nl;
}

static long ctx_new(struct cka_nl *nl, unsigned int secs, unsigned int jitter)
{
	uint32_t pairs[] = { COAP_KA_A_KEEPALIVE_SECS, secs,
			     COAP_KA_A_JITTER_PCT, jitter, 0 };
	long id = cka_ctx_new(nl, jitter ? pairs : (uint32_t[]){
		COAP_KA_A_KEEPALIVE_SECS, secs, 0 }, NULL);

	if (id <= 0) {
		LOG("CTX_NEW failed: %s %s", strerror(-id), nl->msg);
		exit(1);
	}
	return id;
}

static void ctx_del(struct cka_nl *nl, long id)
{
	cka_ctx_cmd(nl, COAP_KA_CMD_CTX_DEL, id, NULL, NULL);
}

/* Attach @n sessions; exits on any failure (the numbers would be wrong). */
static double attach(struct cka_nl *nl, struct add_arg *a, long n)
{
	double t = now();
	long failed;
	int err;

	failed = pipeline(nl, COAP_KA_CMD_SESSION_ADD, n, build_add, a, &err);
	t = now() - t;
	if (failed) {
		LOG("SESSION_ADD: %ld of %ld failed (%s)", failed, n, strerror(err));
		exit(1);
	}
	return t;
}

static void build_ctxget(struct cka_nl *nl, struct nlmsghdr *nlh, long i, void *p)
{
	(void)nl;
	(void)i;
	mnl_attr_put_u32(nlh, COAP_KA_A_CTX_ID, *(long *)p);
}

struct dumpsum {
	long n;
	double pings, pongs, retrans, nacks;
};

static int dumpsum_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dumpsum *d = data;
	const struct nlattr *a;

	d->n++;
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_payload_len(a) != 4)
			continue;
		switch (mnl_attr_get_type(a)) {
		case COAP_KA_A_PINGS: d->pings += mnl_attr_get_u32(a); break;
		case COAP_KA_A_PONGS: d->pongs += mnl_attr_get_u32(a); break;
		case COAP_KA_A_RETRANSMISSIONS: d->retrans += mnl_attr_get_u32(a); break;
		case COAP_KA_A_NACKS: d->nacks += mnl_attr_get_u32(a); break;
		}
	}
	return MNL_CB_OK;
}

/* Dump the sessions of @ctx (all if 0); returns the seconds it took. */
static double dump(struct cka_nl *nl, long ctx, struct dumpsum *d)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	double t = now();
	int err;

	memset(d, 0, sizeof(*d));
	nlh = cka_msg_start(nl, buf, nl->family, NLM_F_DUMP, COAP_KA_CMD_SESSION_GET);
	if (ctx)
		mnl_attr_put_u32(nlh, COAP_KA_A_CTX_ID, ctx);
	err = cka_talk(nl, nlh, dumpsum_cb, d);
	if (err)
		LOG("dump failed: %s", strerror(-err));
	return now() - t;
}

/* ------------------------------------------------------------------ */
/* the UDP responder                                                    */

struct shm {
	volatile long pings;		/* 40 00 datagrams answered */
	volatile long other;		/* anything else */
	volatile int stop;
	volatile double t0;		/* histogram start (0: off) */
	volatile uint32_t bins[NBINS];	/* Pings per 100 ms since t0 */
	volatile long first_lo, first_hi;	/* peers whose first Ping is kept */
	volatile double first[NFIRST];	/* time of the first Ping, 0: none */
	volatile long tcp_pings;
	volatile long tx_fail;		/* answers sendmmsg() did not take */
};

static struct shm *shm;
static pid_t responder_pid, tresponder_pid;

static void responder(void)
{
	enum { B = 64 };
	struct mmsghdr rm[B], sm[B];
	struct iovec riov[B], siov[B];
	uint8_t rbuf[B][64], sbuf[B][4];
	char rctl[B][64], sctl[B][64];
	struct sockaddr_in from[B];
	struct epoll_event ev = { .events = EPOLLIN };
	int one = 1, fd, ep, i;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(RPORT) };
	if (fd < 0 || bind(fd, (void *)&sin, sizeof(sin))) {
		perror("responder bind");
		_exit(1);
	}
	big_buffers(fd, 32 << 20);
	setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	ep = epoll_create1(0);
	ev.data.fd = fd;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	while (!shm->stop) {
		int n, ns = 0;

		if (epoll_wait(ep, &ev, 1, 200) <= 0)
			continue;
		for (i = 0; i < B; i++) {
			riov[i] = (struct iovec){ rbuf[i], sizeof(rbuf[i]) };
			rm[i].msg_hdr = (struct msghdr){
				.msg_name = &from[i], .msg_namelen = sizeof(from[i]),
				.msg_iov = &riov[i], .msg_iovlen = 1,
				.msg_control = rctl[i], .msg_controllen = sizeof(rctl[i]) };
		}
		n = recvmmsg(fd, rm, B, MSG_DONTWAIT, NULL);
		if (n <= 0)
			continue;
		double t = now();
		for (i = 0; i < n; i++) {
			struct in_pktinfo *pi = NULL;
			struct cmsghdr *c;
			long idx;

			if (rm[i].msg_len != 4 || rbuf[i][0] != 0x40 || rbuf[i][1] != 0) {
				shm->other++;
				continue;
			}
			shm->pings++;
			if (shm->t0 > 0) {
				long b = (t - shm->t0) * 10;

				if (b >= 0 && b < NBINS)
					shm->bins[b]++;
			}
			for (c = CMSG_FIRSTHDR(&rm[i].msg_hdr); c; c = CMSG_NXTHDR(&rm[i].msg_hdr, c))
				if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO)
					pi = (void *)CMSG_DATA(c);
			if (!pi)
				continue;
			idx = peer_index(pi->ipi_addr.s_addr);
			if (idx >= shm->first_lo && idx < shm->first_hi &&
			    idx - shm->first_lo < NFIRST && !shm->first[idx - shm->first_lo])
				shm->first[idx - shm->first_lo] = t;
			/* 70 00 MID: a Reset from the address the Ping went to */
			sbuf[ns][0] = 0x70;
			sbuf[ns][1] = 0;
			sbuf[ns][2] = rbuf[i][2];
			sbuf[ns][3] = rbuf[i][3];
			siov[ns] = (struct iovec){ sbuf[ns], 4 };
			memset(sctl[ns], 0, sizeof(sctl[ns]));
			sm[ns].msg_hdr = (struct msghdr){
				.msg_name = &from[i], .msg_namelen = sizeof(from[i]),
				.msg_iov = &siov[ns], .msg_iovlen = 1,
				.msg_control = sctl[ns],
				.msg_controllen = CMSG_SPACE(sizeof(struct in_pktinfo)) };
			c = CMSG_FIRSTHDR(&sm[ns].msg_hdr);
			c->cmsg_level = IPPROTO_IP;
			c->cmsg_type = IP_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
			((struct in_pktinfo *)CMSG_DATA(c))->ipi_spec_dst = pi->ipi_addr;
			ns++;
		}
		for (i = 0; i < ns;) {
			int k = sendmmsg(fd, sm + i, ns - i, 0);

			if (k <= 0) {
				shm->tx_fail += ns - i;
				break;
			}
			i += k;
		}
	}
	_exit(0);
}

/* The TCP responder: answers each 00 E2 (7.02 Ping) with 00 E3 (Pong). */
static void tresponder(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(TPORT),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct epoll_event evs[64], ev = { .events = EPOLLIN };
	int one = 1, lfd, ep, i;
	uint8_t buf[4096], pong[2 * 2048];

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (void *)&sin, sizeof(sin)) || listen(lfd, 4096)) {
		perror("tcp responder");
		_exit(1);
	}
	ep = epoll_create1(0);
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	while (!shm->stop) {
		int n = epoll_wait(ep, evs, 64, 200);

		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == lfd) {
				int c;

				while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					ev.data.fd = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				}
				continue;
			}
			ssize_t r = read(fd, buf, sizeof(buf));
			if (r == 0 || (r < 0 && errno != EAGAIN)) {
				close(fd);
				continue;
			}
			int np = 0;
			for (ssize_t k = 0; k + 1 < r; k++)
				if (buf[k] == 0 && buf[k + 1] == 0xe2) {
					pong[2 * np] = 0;
					pong[2 * np + 1] = 0xe3;
					np++;
					k++;
				}
			if (np) {
				shm->tcp_pings += np;
				if (write(fd, pong, 2 * np) < 0)
					;
			}
		}
	}
	_exit(0);
}

static pid_t spawn(void (*fn)(void))
{
	pid_t pid = fork();

	if (pid == 0) {
		fn();
		_exit(0);
	}
	return pid;
}

/* ------------------------------------------------------------------ */
/* a userspace sender: the same 40 00 MID MID datagrams at a given rate */

/*
 * Sends @rate datagrams/s for @secs to peers @peer0.. @peer0+@npeers-1 in
 * turn from one socket, sendmmsg() every USER_TICK, and reads the answers.
 * Runs in the calling process; returns the answers read.
 */
static long user_sender(int fd, long peer0, long npeers, double rate, double secs,
			long *sent_out)
{
	enum { B = 64 };
	struct mmsghdr m[B], rm[B];
	struct iovec iov[B], riov[B];
	struct sockaddr_in to[B];
	uint8_t buf[B][4], rbuf[B][16];
	double t0 = now(), next = t0;
	long sent = 0, got = 0, p = 0;
	uint16_t mid = 1;
	int i;

	for (i = 0; i < B; i++) {
		riov[i] = (struct iovec){ rbuf[i], sizeof(rbuf[i]) };
		memset(&rm[i], 0, sizeof(rm[i]));
		rm[i].msg_hdr.msg_iov = &riov[i];
		rm[i].msg_hdr.msg_iovlen = 1;
	}
	for (;;) {
		double t = now();
		long due = (long)((fmin(t, t0 + secs) - t0) * rate) - sent;
		int k;

		while (due > 0) {
			int b = due > B ? B : due;

			for (i = 0; i < b; i++) {
				to[i] = peer_addr(peer0 + p, RPORT);
				p = (p + 1) % npeers;
				buf[i][0] = 0x40;
				buf[i][1] = 0;
				buf[i][2] = mid >> 8;
				buf[i][3] = mid & 255;
				mid++;
				iov[i] = (struct iovec){ buf[i], 4 };
				m[i].msg_hdr = (struct msghdr){ .msg_name = &to[i],
					.msg_namelen = sizeof(to[i]), .msg_iov = &iov[i],
					.msg_iovlen = 1 };
			}
			k = sendmmsg(fd, m, b, 0);
			if (k <= 0)
				break;
			sent += k;
			due -= k;
		}
		while ((k = recvmmsg(fd, rm, B, MSG_DONTWAIT, NULL)) > 0)
			got += k;
		if (t >= t0 + secs)
			break;
		next += USER_TICK;
		sleep_until(next);
	}
	if (sent_out)
		*sent_out = sent;
	return got;
}

/*
 * Sends one 40 00 MID MID datagram to each of peers @peer0..@peer0+@n-1
 * at once (sendmmsg), then reads answers for @wait s; returns them.
 */
static long user_burst_type(int fd, long peer0, long n, double wait, uint8_t b0)
{
	enum { B = 64 };
	struct mmsghdr m[B], rm[B];
	struct iovec iov[B], riov[B];
	struct sockaddr_in to[B];
	uint8_t buf[B][4], rbuf[B][16];
	static uint16_t mid = 0x8000;
	long p = 0, got = 0;
	double end;
	int i, k;

	for (i = 0; i < B; i++) {
		riov[i] = (struct iovec){ rbuf[i], sizeof(rbuf[i]) };
		memset(&rm[i], 0, sizeof(rm[i]));
		rm[i].msg_hdr.msg_iov = &riov[i];
		rm[i].msg_hdr.msg_iovlen = 1;
	}
	while (p < n) {
		int b = n - p > B ? B : n - p;

		for (i = 0; i < b; i++) {
			to[i] = peer_addr(peer0 + p + i, RPORT);
			buf[i][0] = b0;
			buf[i][1] = 0;
			buf[i][2] = mid >> 8;
			buf[i][3] = mid & 255;
			mid++;
			iov[i] = (struct iovec){ buf[i], 4 };
			m[i].msg_hdr = (struct msghdr){ .msg_name = &to[i],
				.msg_namelen = sizeof(to[i]), .msg_iov = &iov[i],
				.msg_iovlen = 1 };
		}
		k = sendmmsg(fd, m, b, 0);
		if (k <= 0)
			break;
		p += k;
		while ((k = recvmmsg(fd, rm, B, MSG_DONTWAIT, NULL)) > 0)
			got += k;
	}
	end = now() + wait;
	do {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		while ((k = recvmmsg(fd, rm, B, MSG_DONTWAIT, NULL)) > 0)
			got += k;
		if (wait > 0)
			poll(&pfd, 1, 50);
	} while (now() < end);
	return got;
}

static long user_burst(int fd, long peer0, long n, double wait)
{
	return user_burst_type(fd, peer0, n, wait, 0x40);
}

/* ------------------------------------------------------------------ */
/* libcoap 4.3.1's own keepalive: cka_libcoap, run as a child          */

#define LCOAP_MAX_N	20000	/* libcoap creates a session in O(sessions) */

struct lcoap {
	pid_t pid;
	int fd;			/* its stdout */
	char ready[256];	/* its lines, see bench/cka_libcoap.c */
	char mark[256];
	char result[512];
	char err[256];
};

/* cka_libcoap next to this program ($CKA_LIBCOAP overrides). */
static const char *lcoap_path(void)
{
	static char path[PATH_MAX];
	ssize_t l;

	if (getenv("CKA_LIBCOAP"))
		return getenv("CKA_LIBCOAP");
	if (path[0])
		return path;
	l = readlink("/proc/self/exe", path, sizeof(path) - 16);
	if (l <= 0)
		return strcpy(path, "cka_libcoap");
	path[l] = 0;
	strcpy(strrchr(path, '/') ? strrchr(path, '/') + 1 : path, "cka_libcoap");
	return path;
}

/* A line from @fd (byte by byte: few and short) within @timeout s. */
static bool read_line(int fd, char *buf, size_t len, double timeout)
{
	double end = now() + timeout;
	size_t l = 0;

	while (l + 1 < len) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int ms = (end - now()) * 1e3;

		if (ms <= 0 || poll(&pfd, 1, ms) <= 0 || read(fd, buf + l, 1) != 1)
			break;
		if (buf[l] == '\n') {
			buf[l] = 0;
			return true;
		}
		l++;
	}
	buf[l] = 0;
	return false;
}

/* The next line of @l that starts with "cka_libcoap: @what"; false on error. */
static bool lcoap_expect(struct lcoap *l, const char *what, char *buf, size_t len,
			 double timeout)
{
	char pfx[64];

	snprintf(pfx, sizeof(pfx), "cka_libcoap: %s", what);
	while (read_line(l->fd, buf, len, timeout)) {
		if (!strncmp(buf, pfx, strlen(pfx)))
			return true;
		if (strstr(buf, "error")) {
			snprintf(l->err, sizeof(l->err), "%s", buf);
			return false;
		}
	}
	if (!l->err[0])
		snprintf(l->err, sizeof(l->err), "cka_libcoap: no \"%s\" line within %.0f s",
			 what, timeout);
	return false;
}

/* The value of " @key=" in @line, or NAN. */
static double lcoap_val(const char *line, const char *key)
{
	char k[64];
	const char *p;

	snprintf(k, sizeof(k), " %s=", key);
	p = strstr(line, k);
	return p ? atof(p + strlen(k)) : NAN;
}

/*
 * Starts cka_libcoap with @n sessions to peers 0..@n-1, keepalive @k s,
 * activity spread over @spread s, running @secs s (0: until SIGTERM), and
 * waits until its sessions exist. False (and l->err) when it did not start.
 */
static bool lcoap_start(struct lcoap *l, long n, int k, double secs, double spread)
{
	char sn[32], sk[16], ss[32], sp[32];
	const char *path = lcoap_path();
	int pfd[2];

	memset(l, 0, sizeof(*l));
	l->pid = -1;
	if (access(path, X_OK)) {
		snprintf(l->err, sizeof(l->err), "%s: %s", path, strerror(errno));
		return false;
	}
	if (pipe(pfd))
		return false;
	snprintf(sn, sizeof(sn), "%ld", n);
	snprintf(sk, sizeof(sk), "%d", k);
	snprintf(ss, sizeof(ss), "%.3f", secs);
	snprintf(sp, sizeof(sp), "%.3f", spread);
	l->pid = fork();
	if (l->pid == 0) {
		dup2(pfd[1], 1);
		close_range(3, ~0U, 0);	/* not our sockets, netlink or UDP */
		execl(path, "cka_libcoap", "-n", sn, "-k", sk, "--secs", ss,
		      "--spread", sp, (char *)NULL);
		printf("cka_libcoap: error exec %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	l->fd = pfd[0];
	if (l->pid < 0) {
		close(l->fd);
		snprintf(l->err, sizeof(l->err), "fork: %s", strerror(errno));
		return false;
	}
	/* TCG: libcoap's session creation is quadratic, 20k take a while */
	if (lcoap_expect(l, "ready", l->ready, sizeof(l->ready), 900))
		return true;
	kill(l->pid, SIGKILL);
	waitpid(l->pid, NULL, 0);
	close(l->fd);
	l->pid = -1;
	return false;
}

/* SIGUSR1: its counters so far, in l->mark. */
static bool lcoap_mark(struct lcoap *l)
{
	kill(l->pid, SIGUSR1);
	return lcoap_expect(l, "mark", l->mark, sizeof(l->mark), 30);
}

/* Its result (after SIGTERM when @term), then reaped. */
static bool lcoap_finish(struct lcoap *l, bool term, double timeout)
{
	bool ok;

	if (term)
		kill(l->pid, SIGTERM);
	ok = lcoap_expect(l, "result", l->result, sizeof(l->result), timeout);
	if (!ok)
		kill(l->pid, SIGKILL);
	waitpid(l->pid, NULL, 0);
	close(l->fd);
	l->pid = -1;
	return ok;
}

/* ------------------------------------------------------------------ */
/* rows                                                                 */

static struct cka_nl *ctl;	/* contexts and dumps; never adds sessions */
static double idle_rate = NAN;	/* busy CPU s/s of the idle guest */

static void settle(void)
{
	/* let RCU callbacks and deferred frees run */
	sleep_s(quick ? 0.5 : 1.5);
}

static void measure_idle(void)
{
	double v[MAXREP];
	int r;

	for (r = 0; r < reps; r++) {
		struct cpustat a, b;

		cpu_snap(&a);
		sleep_s(quick ? 1 : 4);
		cpu_snap(&b);
		v[r] = busy(&a, &b) / (b.t - a.t);
	}
	idle_rate = median(v, reps);
	LOG("idle guest: %.4f busy CPU s/s (median of %d)", idle_rate, reps);
}

/* Peers per batched SESSION_ADD of row 9. */
#define BATCH_PEERS	256

/*
 * Attach @n sessions of a socket and context of their own in batches of
 * BATCH_PEERS peers, pipelined; returns the seconds it took. They are gone
 * again when this returns (their netlink socket closed first, so that
 * nobody reads their session-gone events).
 */
static double attach_batched(long n)
{
	struct cka_nl *nl = nl_open();
	struct add_batch_arg b = {
		.ctx = ctx_new(ctl, 3600, 0), .fd = udp_sock(0, true), .peer0 = 0,
		.n = n, .per = BATCH_PEERS,
	};
	long failed;
	double t;
	int err;

	t = now();
	failed = pipeline_sized(nl, COAP_KA_CMD_SESSION_ADD, add_batch_reqs(&b),
				build_add_batch, &b, &err, CKA_BATCH_REQ_SIZE(BATCH_PEERS));
	t = now() - t;
	if (failed) {
		LOG("batched SESSION_ADD: %ld of %ld failed (%s)", failed, add_batch_reqs(&b),
		    strerror(err));
		exit(1);
	}
	cka_close(nl);
	close(b.fd);
	ctx_del(ctl, b.ctx);
	settle();
	return t;
}

/* Row 1 (shared socket) and row 9 (attach, dump). */
static void row1_9(void)
{
	struct res *rm[8], *rconn, *rsock, *rattach, *rbatch, *rdump, *rcli, *rclose, *rconnatt;
	char what[100];
	int bi, r;
	long dumpn = quick ? big_n[0] : 100000;

	for (bi = 0; bi < nbig; bi++) {
		snprintf(what, sizeof(what), "slab+vmalloc per idle UDP session, one shared socket, N=%ld",
			 big_n[bi]);
		rm[bi] = res_new(1, what, "B/session", "drift of the idle guest over the same time, per N");
		rm[bi]->noratio = true;
	}
	snprintf(what, sizeof(what), "attach rate, pipelined SESSION_ADD, one socket, N=%ld", dumpn);
	rattach = res_new(9, what, "sessions/s", "pipelined CTX_GET (genetlink floor)");
	snprintf(what, sizeof(what),
		 "attach rate, pipelined batched SESSION_ADD (%d peers each), one socket, N=%ld",
		 BATCH_PEERS, dumpn);
	rbatch = res_new(9, what, "sessions/s", "pipelined CTX_GET (genetlink floor)");
	snprintf(what, sizeof(what), "dump rate, raw netlink, N=%ld", dumpn);
	rdump = res_new(9, what, "sessions/s", NULL);
	snprintf(what, sizeof(what), "dump rate, coap-keepalive -j session show, N=%ld", dumpn);
	rcli = res_new(9, what, "sessions/s", "raw netlink dump");
	rclose = res_new(8, "close() of an unrelated genetlink socket, largest N present",
			 "ms", "same close with no session");

	for (bi = 0; bi < nbig; bi++) {
		long n = big_n[bi];
		long avail = meminfo_kb("MemAvailable");

		if (avail > 0 && (double)n * 3000 > avail * 1024.0) {
			res_note(rm[bi], "not measured: %ld kB available, need about %.0f kB",
				 avail, n * 3.0);
			LOG("row 1: N=%ld skipped, not enough memory", n);
			continue;
		}
		for (r = 0; r < reps; r++) {
			static struct slabsnap s0, s1;
			struct cka_nl *nl = nl_open();
			long ctx = ctx_new(ctl, 3600, 0);
			int fd = udp_sock(0, true);
			struct add_arg a = { .ctx = ctx, .fd = fd, .peer0 = 0, .transport = -1 };
			double m0, m1, d0, d1, ta, t;

			/* baseline: drift of the idle guest over a comparable time */
			settle();
			d0 = kmem();
			sleep_s(quick ? 0.5 : 1);
			d1 = kmem();
			slab_snap(&s0);
			m0 = kmem();
			ta = attach(nl, &a, n);
			settle();
			m1 = kmem();
			slab_snap(&s1);
			res_add(rm[bi], (m1 - m0) / n);
			res_base(rm[bi], (d1 - d0) / n);
			if (r == 0) {
				char txt[400];

				slab_diff(&s0, &s1, n, txt, sizeof(txt));
				res_note(rm[bi], "%s", txt);
			}
			LOG("row 1: N=%ld rep %d: %.1f B/session, attach %.2f s (%.0f/s)",
			    n, r, (m1 - m0) / n, ta, n / ta);
			if (n == dumpn) {
				struct dumpsum d;
				double td, tc, tb;
				int err;
				char cmd[512];

				res_add(rattach, n / ta);
				tb = now();
				pipeline(nl, COAP_KA_CMD_CTX_GET, n, build_ctxget, &ctx, &err);
				res_base(rattach, n / (now() - tb));
				res_base(rbatch, n / (now() - tb));
				td = dump(ctl, ctx, &d);
				if (d.n != n)
					res_note(rdump, "dump returned %ld of %ld", d.n, n);
				res_add(rdump, d.n / td);
				res_base(rcli, d.n / td);
				snprintf(cmd, sizeof(cmd), "%s -j session show >/dev/null",
					 getenv("CKA_CLI") ? getenv("CKA_CLI") :
					 "tools/coap-keepalive/coap-keepalive");
				tc = now();
				if (system(cmd))
					res_note(rcli, "CLI failed");
				tc = now() - tc;
				res_add(rcli, n / tc);
				LOG("row 9: dump %.0f/s, CLI %.0f/s", d.n / td, n / tc);
			}
			if (bi == nbig - 1) {
				struct cka_nl *x = nl_open();

				t = now();
				cka_close(x);
				res_add(rclose, (now() - t) * 1e3);
			}
			cka_close(nl);
			t = now();
			close(fd);
			t = now() - t;
			if (r == 0)
				res_note(rm[bi], "close() of the socket with N sessions: %.3f s", t);
			ctx_del(ctl, ctx);
			settle();
			/* batched, from the same empty table as the single adds */
			if (n == dumpn) {
				t = attach_batched(n);
				res_add(rbatch, n / t);
				LOG("row 9: attach %.0f/s, batched %.0f/s", n / ta, n / t);
			}
		}
	}
	for (r = 0; r < reps; r++) {
		struct cka_nl *x = nl_open();
		double t = now();

		cka_close(x);
		res_base(rclose, (now() - t) * 1e3);
	}

	/* connected sockets: one per session; the socket's cost measured apart */
	{
		long n = quick ? 1000 : 10000;
		int *fds = calloc(n, sizeof(int));

		snprintf(what, sizeof(what), "slab+vmalloc per session, connected UDP sockets, N=%ld", n);
		rconn = res_new(1, what, "B/session", "the same socket, unattached (B/socket)");
		rsock = NULL;
		snprintf(what, sizeof(what), "attach rate, connected sockets, N=%ld", n);
		rconnatt = res_new(9, what, "sessions/s", NULL);
		for (r = 0; r < reps; r++) {
			struct cka_nl *nl = nl_open();
			long ctx = ctx_new(ctl, 3600, 0);
			struct add_arg a = { .ctx = ctx, .fd = -1, .fds = fds, .peer0 = -1,
					     .transport = -1 };
			double m0, m1, m2, ta;
			long i;

			settle();
			m0 = kmem();
			for (i = 0; i < n; i++) {
				struct sockaddr_in sin = peer_addr(i, RPORT);

				fds[i] = udp_sock(0, true);
				if (fds[i] < 0 || connect(fds[i], (void *)&sin, sizeof(sin))) {
					LOG("socket %ld: %s", i, strerror(errno));
					exit(1);
				}
			}
			settle();
			m1 = kmem();
			ta = attach(nl, &a, n);
			settle();
			m2 = kmem();
			res_add(rconn, (m2 - m1) / n);
			res_base(rconn, (m1 - m0) / n);
			res_add(rconnatt, n / ta);
			LOG("row 1: connected N=%ld rep %d: socket %.0f B, session %.0f B",
			    n, r, (m1 - m0) / n, (m2 - m1) / n);
			cka_close(nl);
			for (i = 0; i < n; i++)
				close(fds[i]);
			ctx_del(ctl, ctx);
			settle();
		}
		free(fds);
		(void)rsock;
	}
}

/* Kernel keepalive CPU over a window; returns CPU s per Ping or NAN. */
struct cpuwin {
	double busy, resp, pings, secs, drops;
};

static void cpuwin_begin(struct cpuwin *w, struct cpustat *c, double *rc, long *p, long *d)
{
	(void)w;
	*rc = pid_cpu(responder_pid);
	*p = shm->pings;
	*d = udp_snmp("RcvbufErrors");
	cpu_snap(c);
}

static void cpuwin_end(struct cpuwin *w, const struct cpustat *c0, double rc0, long p0, long d0)
{
	struct cpustat c1;

	cpu_snap(&c1);
	w->busy = busy(c0, &c1);
	w->secs = c1.t - c0->t;
	w->resp = pid_cpu(responder_pid) - rc0;
	w->pings = shm->pings - p0;
	w->drops = udp_snmp("RcvbufErrors") - d0;
}

static double cpuwin_per(const struct cpuwin *w)
{
	return (w->busy - idle_rate * w->secs - w->resp) / w->pings;
}

/* Row 2: CPU per Ping, kernel vs userspace sendmmsg of the same datagrams. */
static void row2(void)
{
	static const struct { long n; int secs; } full[] = { { 1000, 1 }, { 5000, 2 }, { 20000, 5 } },
		qk[] = { { 500, 1 } };
	int nc = quick ? 1 : 3, c, r;

	for (c = 0; c < nc; c++) {
		long n = quick ? qk[c].n : full[c].n;
		int k = quick ? qk[c].secs : full[c].secs;
		double win = quick ? 3 : fmax(10, 2.0 * k);
		char what[100];
		struct res *res, *lres = NULL;
		double drops = 0, rcpu = 0, rate = 0, lown = 0, lsw = 0, lpong = 0, lping = 0;
		double lnack = 0, lcreate = 0;
		char rates[128] = "", lrates[128] = "";

		snprintf(what, sizeof(what), "CPU per Ping, N=%ld, keepalive %d s, jitter 50%%", n, k);
		res = res_new(2, what, "us/Ping", "userspace sendmmsg of the same datagrams, same rate");
		if (c == 0) {
			snprintf(what, sizeof(what), "CPU per Pong vs libcoap 4.3.1, N=%ld, keepalive %d s", n, k);
			lres = res_new(2, what, "us/Pong",
				       "libcoap 4.3.1's keepalive (cka_libcoap), same peers and responder");
		}
		for (r = 0; r < reps; r++) {
			struct cka_nl *nl = nl_open();
			long ctx = ctx_new(ctl, k, 50);
			int fd = udp_sock(0, true);
			struct add_arg a = { .ctx = ctx, .fd = fd, .peer0 = 0, .transport = -1 };
			struct cpuwin w, u, lw;
			struct cpustat c0;
			struct lcoap l;
			double rc0, lc0, lc1;
			long p0, d0, sent, got, s0, s1;

			attach(nl, &a, n);
			cka_close(nl);	/* nobody listens to the events */
			sleep_s(k + 1.5);
			cpuwin_begin(&w, &c0, &rc0, &p0, &d0);
			sleep_s(win);
			cpuwin_end(&w, &c0, rc0, p0, d0);
			close(fd);
			ctx_del(ctl, ctx);
			res_add(res, cpuwin_per(&w) * 1e6);
			drops += w.drops;
			rcpu += w.resp / w.pings;
			rate = w.pings / w.secs;
			snprintf(rates + strlen(rates), sizeof(rates) - strlen(rates), "%s%.0f",
				 r ? "/" : "", rate);
			settle();

			/* the same datagrams at the same rate from userspace */
			fd = udp_sock(0, true);
			big_buffers(fd, 4 << 20);
			user_sender(fd, 0, n, rate, 1, NULL);
			cpuwin_begin(&u, &c0, &rc0, &p0, &d0);
			got = user_sender(fd, 0, n, rate, win, &sent);
			cpuwin_end(&u, &c0, rc0, p0, d0);
			close(fd);
			res_base(res, cpuwin_per(&u) * 1e6);
			LOG("row 2: N=%ld rep %d: kernel %.1f us/Ping (%.0f Pings/s), user %.1f us (%ld sent, %ld answers read)",
			    n, r, cpuwin_per(&w) * 1e6, rate, cpuwin_per(&u) * 1e6, sent, got);
			settle();
			if (!lres)
				continue;

			/*
			 * libcoap's own keepalive on the same N peers: the
			 * sessions' activity spread over one period (libcoap
			 * has no jitter), one period of warm-up after it, the
			 * same window; the kernel's value is the one above.
			 */
			if (!lcoap_start(&l, n, k, 0, k)) {
				LOG("row 2: libcoap baseline not run: %s", l.err);
				res_note(lres, "libcoap baseline not run: %s", l.err);
				continue;
			}
			sleep_s(2.0 * k + 1.5);
			if (!lcoap_mark(&l))
				LOG("row 2: cka_libcoap: %s", l.err);
			lc0 = pid_cpu(l.pid);
			s0 = pid_ctxsw(l.pid);
			cpuwin_begin(&lw, &c0, &rc0, &p0, &d0);
			sleep_s(win);
			cpuwin_end(&lw, &c0, rc0, p0, d0);
			lc1 = pid_cpu(l.pid);
			s1 = pid_ctxsw(l.pid);
			if (!lcoap_finish(&l, true, 30)) {
				LOG("row 2: cka_libcoap: %s", l.err);
				res_note(lres, "cka_libcoap: %s", l.err);
				continue;
			}
			res_add(lres, cpuwin_per(&w) * 1e6);
			res_base(lres, cpuwin_per(&lw) * 1e6);
			lown += (lc1 - lc0) / lw.pings;
			lsw += (s1 - s0) / lw.secs;
			lping += lw.pings;
			lpong += lcoap_val(l.result, "pongs") - lcoap_val(l.mark, "pongs");
			lnack += lcoap_val(l.result, "nacks");
			lcreate = fmax(lcreate, lcoap_val(l.ready, "create_s"));
			snprintf(lrates + strlen(lrates), sizeof(lrates) - strlen(lrates), "%s%.0f",
				 r ? "/" : "", lw.pings / lw.secs);
			LOG("row 2: N=%ld rep %d: libcoap %.1f us/Pong (%.0f Pings/s), its own %.1f us/Pong, %.0f ctxt switches/s; %s",
			    n, r, cpuwin_per(&lw) * 1e6, lw.pings / lw.secs,
			    (lc1 - lc0) / lw.pings * 1e6, (s1 - s0) / lw.secs, l.result);
			settle();
		}
		res_note(res, "Pings/s by repetition %s (due: %.0f); responder %.1f us/Ping apart (tick-sampled), its RcvbufErrors %.0f",
			 rates, n / (0.75 * k), rcpu / reps * 1e6, drops);
		if (lres && lres->nb)
			res_note(lres, "value: the module's run above; libcoap Pings/s by repetition %s, its process %.1f us/Pong of it (tick-sampled), %.0f ctxt switches/s; Pongs seen / Pings received %.3f, NACKs %.0f (all reps); creating N sessions %.2f s",
				 lrates, lown / lres->nb * 1e6, lsw / lres->nb,
				 lping ? lpong / lping : NAN, lnack, lcreate);
	}
}

/*
 * Row 3: due Pings sent and answered. The sessions are attached with
 * keepalive disabled, then one datagram to each peer (activity) starts
 * their idle periods together and the keepalive is switched on: so the
 * count does not depend on how long attaching took.
 */
static void row3(void)
{
	static const long full[] = { 5000, 20000, 100000 }, qk[] = { 2000 };
	static const int fullk[] = { 5, 10, 20 }, qkk[] = { 3 };
	int nc = quick ? 1 : 3, c, r;

	for (c = 0; c < nc; c++) {
		long n = quick ? qk[c] : full[c], got;
		int k = quick ? qkk[c] : fullk[c];
		char what[100];
		struct res *rs, *ra, *rr, *rlr, *rlp;
		double drops = 0, nacks = 0, recv = 0, bdrops = 0;
		double lsent = 0, lnacks = 0, lretries = 0, lnotdel = 0, lcreate = 0, lburst = 0;
		bool lrun = n <= LCOAP_MAX_N;

		snprintf(what, sizeof(what), "due Pings sent, N=%ld, keepalive %d s, jitter 0, 2 rounds", n, k);
		rs = res_new(3, what, "% of 2N", NULL);
		snprintf(what, sizeof(what), "due Pings answered (PONG), N=%ld", n);
		ra = res_new(3, what, "% of 2N", "userspace: 2 bursts of N sendmmsg, answers read");
		snprintf(what, sizeof(what), "retransmissions, N=%ld, 2 rounds", n);
		rr = res_new(3, what, "per 100 sessions", NULL);
		snprintf(what, sizeof(what), "libcoap 4.3.1 beside: Pings the responder received, N=%ld, keepalive %d s",
			 n, k);
		rlr = res_new(3, what, "% of 2N", "the module, same run: Pings the responder received");
		snprintf(what, sizeof(what), "libcoap 4.3.1 beside: Pongs seen (pong handler), N=%ld", n);
		rlp = res_new(3, what, "% of 2N", "the module, same run: PONGS of the dump");
		if (!lrun)
			res_note(rlr, "not run: libcoap 4.3.1 creates a client session in O(sessions) (duplicate check, coap_session.c), %ld would take minutes under TCG; limit %d",
				 n, LCOAP_MAX_N);
		for (r = 0; r < reps; r++) {
			struct cka_nl *nl = nl_open();
			long ctx = ctx_new(ctl, 0, 0);
			int fd = udp_sock(0, true);
			struct add_arg a = { .ctx = ctx, .fd = fd, .peer0 = 0, .transport = -1 };
			long p0 = shm->pings, d0 = udp_snmp("RcvbufErrors"), b0 = softnet_drops();
			uint32_t on[] = { COAP_KA_A_KEEPALIVE_SECS, k, 0 };
			double t0, tb, krecv, lrecv;
			struct dumpsum d;
			struct lcoap l;

			big_buffers(fd, 32 << 20);
			attach(nl, &a, n);
			cka_close(nl);
			t0 = now();
			user_burst_type(fd, 0, n, 0, 0x50);	/* NON GET: activity */
			tb = now() - t0;
			if (cka_ctx_cmd(ctl, COAP_KA_CMD_CTX_SET, ctx, on, NULL))
				LOG("CTX_SET keepalive failed: %s", ctl->msg);
			if (tb > k / 3.0)
				res_note(rs, "activity burst took %.1f s of keepalive %d s", tb, k);
			sleep_until(t0 + 2.5 * k);
			dump(ctl, ctx, &d);
			res_add(rs, 100 * d.pings / (2.0 * n));
			res_add(ra, 100 * d.pongs / (2.0 * n));
			res_add(rr, 100 * d.retrans / n);
			nacks += d.nacks;
			drops += udp_snmp("RcvbufErrors") - d0;
			bdrops += softnet_drops() - b0;
			krecv = shm->pings - p0;
			recv += krecv;
			LOG("row 3: N=%ld rep %d: pings %.0f pongs %.0f retrans %.0f nacks %.0f (dump %ld), responder got %ld, activity burst %.1f s, RcvbufErrors %ld, backlog drops %ld",
			    n, r, d.pings, d.pongs, d.retrans, d.nacks, d.n, shm->pings - p0, tb,
			    udp_snmp("RcvbufErrors") - d0, softnet_drops() - b0);
			if (shm->tx_fail)
				LOG("row 3: the responder could not send %ld answers so far", shm->tx_fail);
			close(fd);
			ctx_del(ctl, ctx);
			settle();

			fd = udp_sock(0, true);
			big_buffers(fd, 32 << 20);
			got = user_burst(fd, 0, n, 2);
			got += user_burst(fd, 0, n, 2);
			res_base(ra, 100.0 * got / (2.0 * n));
			close(fd);
			settle();
			if (!lrun)
				continue;

			/*
			 * libcoap's own keepalive, the same N and keepalive:
			 * its sessions created with the keepalive off, one NON
			 * GET each in one go, then the keepalive on; it stops
			 * 2.5 keepalive periods after the first NON.
			 */
			p0 = shm->pings;
			d0 = udp_snmp("RcvbufErrors");
			if (!lcoap_start(&l, n, k, 2.5 * k, 0) ||
			    !lcoap_finish(&l, false, 2.5 * k + 120)) {
				LOG("row 3: libcoap baseline: %s", l.err);
				res_note(rlr, "rep %d: %s", r, l.err);
				continue;
			}
			lrecv = shm->pings - p0;
			res_add(rlr, 100 * lrecv / (2.0 * n));
			res_base(rlr, 100 * krecv / (2.0 * n));
			res_add(rlp, 100 * lcoap_val(l.result, "pongs") / (2.0 * n));
			res_base(rlp, 100 * d.pongs / (2.0 * n));
			lsent += lcoap_val(l.result, "pings_sent");
			lnacks += lcoap_val(l.result, "nacks");
			lretries += lcoap_val(l.result, "nack_retries");
			lnotdel += lcoap_val(l.result, "nack_not_deliverable");
			lcreate = fmax(lcreate, lcoap_val(l.result, "create_s"));
			lburst = fmax(lburst, lcoap_val(l.result, "activity_s"));
			LOG("row 3: N=%ld rep %d: libcoap: responder got %.0f, RcvbufErrors %ld; %s",
			    n, r, lrecv, udp_snmp("RcvbufErrors") - d0, l.result);
			settle();
		}
		res_note(ra, "NACKs %.0f, responder received %.0f Pings, UDP RcvbufErrors %.0f, backlog (softnet) drops %.0f (all reps, kernel runs)",
			 nacks, recv, drops, bdrops);
		if (rlr->n)
			res_note(rlr, "libcoap sent %.0f Pings (retransmissions included), NACKs %.0f (%.0f too many retries, %.0f not deliverable: no Pong by the next due time), all reps; creating N sessions %.1f s, the NON burst %.1f s (max)",
				 lsent, lnacks, lretries, lnotdel, lcreate, lburst);
	}
}

/*
 * Row 4: request/response over attached / unattached / untouched-netns
 * sockets, interleaved: TCG and the busy host slow the guest down for
 * seconds at a time, so the three clients take turns in short slices of
 * one run and each sees the same slowdowns.
 */
enum { RR_NETNS, RR_ATTACHED, RR_UNATTACHED, RR_MODES };
#define RR_SLICE	25		/* round trips per client per turn */
#define RR_MAX		(1 << 19)	/* round trips kept per client */

struct rr_stat {
	double rate;		/* 1 / its median round trip */
	double worst;		/* its slowest round trip, s */
	double worst_at;	/* when that began, s after the start */
	double mean;		/* round trips / time spent in its turns */
	long slow;		/* round trips over 50 ms */
};

static const char *const rr_name[RR_MODES] = { "netns", "attached", "unattached" };

/* An echo server on @fd until killed. */
static pid_t rr_echo(int fd)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct sockaddr_in from;
		uint8_t buf[64];
		socklen_t fl;
		ssize_t l;

		for (;;) {
			fl = sizeof(from);
			l = recvfrom(fd, buf, sizeof(buf), 0, (void *)&from, &fl);
			if (l > 0)
				sendto(fd, buf, l, 0, (void *)&from, fl);
		}
	}
	return pid;
}

/* A client connected to a fresh echo server in the current namespace. */
static int rr_pair(pid_t *echo)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int srv = udp_sock(0, false), cli = udp_sock(0, false);

	if (srv < 0 || cli < 0 || getsockname(srv, (void *)&sin, &sl) ||
	    connect(cli, (void *)&sin, sl))
		return -1;
	*echo = rr_echo(srv);
	close(srv);
	return cli;
}

/*
 * One run: the three clients (attached to @ctx, unattached beside it, and
 * one in a fresh namespace) take turns for @secs each after 0.3 s of
 * warm-up; their figures go to @st.
 */
static int rr_run(long ctx, double secs, struct rr_stat st[RR_MODES])
{
	struct rr_stat *shared;
	int ret = -1;
	pid_t pid;

	shared = mmap(NULL, sizeof(*shared) * RR_MODES, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		return -1;
	memset(shared, 0, sizeof(*shared) * RR_MODES);
	pid = fork();
	if (pid == 0) {
		uint8_t req[16] = { 0x40, 0x01, 0x12, 0x34 }, buf[64];
		double *rtt[RR_MODES], spent[RR_MODES] = {}, t0, end;
		long cnt[RR_MODES] = {}, turn = 0;
		int cli[RR_MODES], m, k, i;
		pid_t echo[RR_MODES];
		struct cka_nl *nl;
		struct add_arg a = { .ctx = ctx, .peer0 = -1, .transport = -1 };

		cli[RR_ATTACHED] = rr_pair(&echo[RR_ATTACHED]);
		cli[RR_UNATTACHED] = rr_pair(&echo[RR_UNATTACHED]);
		nl = nl_open();
		a.fd = cli[RR_ATTACHED];
		attach(nl, &a, 1);
		cka_close(nl);
		/* Sockets keep their namespace: this one is the module's never. */
		{
			struct ifreq ifr = { .ifr_name = "lo" };
			int s;

			if (unshare(CLONE_NEWNET))
				_exit(1);
			s = socket(AF_INET, SOCK_DGRAM, 0);
			ioctl(s, SIOCGIFFLAGS, &ifr);
			ifr.ifr_flags |= IFF_UP;
			ioctl(s, SIOCSIFFLAGS, &ifr);
			close(s);
		}
		cli[RR_NETNS] = rr_pair(&echo[RR_NETNS]);
		for (m = 0; m < RR_MODES; m++) {
			rtt[m] = malloc(sizeof(double) * RR_MAX);
			if (cli[m] < 0 || !rtt[m])
				_exit(1);
		}
		t0 = now();
		end = t0 + 0.3 + RR_MODES * secs;
		for (;;) {
			double now_t = now();

			if (now_t >= end && cnt[0] >= 2000 && cnt[1] >= 2000 && cnt[2] >= 2000)
				break;
			/* each turn starts with the next client */
			for (k = 0; k < RR_MODES; k++) {
				double t, ts, tturn;

				m = (turn + k) % RR_MODES;
				tturn = now();
				for (i = 0; i < RR_SLICE; i++) {
					ts = now();
					if (send(cli[m], req, sizeof(req), 0) < 0 ||
					    recv(cli[m], buf, sizeof(buf), 0) < 0)
						_exit(1);
					t = now();
					if (ts < t0 + 0.3)
						continue;
					if (t - ts > shared[m].worst) {
						shared[m].worst = t - ts;
						shared[m].worst_at = ts - t0;
					}
					if (t - ts > 0.05)
						shared[m].slow++;
					if (cnt[m] < RR_MAX)
						rtt[m][cnt[m]++] = t - ts;
				}
				if (tturn >= t0 + 0.3)
					spent[m] += now() - tturn;
			}
			turn++;
		}
		for (m = 0; m < RR_MODES; m++) {
			qsort(rtt[m], cnt[m], sizeof(double), dcmp);
			shared[m].rate = 1 / rtt[m][cnt[m] / 2];
			shared[m].mean = spent[m] > 0 ? cnt[m] / spent[m] : 0;
			kill(echo[m], SIGKILL);
			waitpid(echo[m], NULL, 0);
		}
		_exit(0);
	}
	if (pid > 0) {
		int status;

		waitpid(pid, &status, 0);
		if (WIFEXITED(status) && !WEXITSTATUS(status)) {
			memcpy(st, shared, sizeof(*shared) * RR_MODES);
			ret = 0;
		}
	}
	munmap(shared, sizeof(*shared) * RR_MODES);
	return ret;
}

static void row4(void)
{
	struct res *ra, *ru;
	struct cka_nl *nl = nl_open();
	long ctx = ctx_new(ctl, 3600, 0);
	int canary = udp_sock(0, true);
	struct add_arg a = { .ctx = ctx, .fd = canary, .peer0 = 0, .transport = -1 };
	double secs = quick ? 1 : 3;
	int r, n = quick ? 1 : 2 * reps;

	attach(nl, &a, 1);	/* the namespace now has a watched socket */
	ra = res_new(4, "request/response rate (1/median round trip), attached socket", "req/s",
		     "socket in a netns the module never touched");
	ru = res_new(4, "request/response rate (1/median round trip), unattached socket, same netns", "req/s",
		     "socket in a netns the module never touched");
	for (r = 0; r < n; r++) {
		struct rr_stat st[RR_MODES];
		char why[RR_MODES][80];
		int m;

		if (rr_run(ctx, secs, st)) {
			LOG("row 4: rep %d: the run failed", r);
			continue;
		}
		for (m = 0; m < RR_MODES; m++)
			snprintf(why[m], sizeof(why[m]), "%s %.0f ms at %.2f s, %ld, mean %.0f/s",
				 rr_name[m], st[m].worst * 1e3, st[m].worst_at, st[m].slow,
				 st[m].mean);
		LOG("row 4: slowest round trip, round trips > 50 ms, mean rate: %s; %s; %s",
		    why[0], why[1], why[2]);
		res_add(ra, st[RR_ATTACHED].rate);
		res_base(ra, st[RR_NETNS].rate);
		res_add(ru, st[RR_UNATTACHED].rate);
		res_base(ru, st[RR_NETNS].rate);
		LOG("row 4: rep %d: netns %.0f, attached %.0f, unattached %.0f req/s", r,
		    st[RR_NETNS].rate, st[RR_ATTACHED].rate, st[RR_UNATTACHED].rate);
	}
	cka_close(nl);
	close(canary);
	ctx_del(ctl, ctx);
}

/* Row 5: wake-ups of an application blocked in epoll_wait. */
static pid_t app_blocked(long ctx, long peer0, long n, int user_k)
{
	int pfd[2];
	pid_t pid;
	char c;

	if (pipe(pfd))
		return -1;
	pid = fork();
	if (pid == 0) {
		int fd = udp_sock(0, true), ep = epoll_create1(0);
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
		uint8_t buf[64];

		close(pfd[0]);
		epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
		if (!user_k) {
			struct cka_nl *nl = nl_open();
			struct add_arg a = { .ctx = ctx, .fd = fd, .peer0 = peer0, .transport = -1 };

			attach(nl, &a, n);
			cka_close(nl);
		} else {
			/* the userspace way: a timer every keepalive period */
			struct itimerspec its = { .it_interval.tv_sec = user_k,
						  .it_value.tv_sec = user_k };
			int tfd = timerfd_create(CLOCK_MONOTONIC, 0);

			timerfd_settime(tfd, 0, &its, NULL);
			ev.data.fd = tfd;
			epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
		}
		if (write(pfd[1], "x", 1) < 0)
			_exit(1);
		for (;;) {
			if (epoll_wait(ep, &ev, 1, -1) <= 0)
				continue;
			if (ev.data.fd == fd) {
				while (recv(fd, buf, sizeof(buf), 0) > 0)
					;
			} else {
				uint64_t x;

				if (read(ev.data.fd, &x, 8) < 0)
					;
				user_burst(fd, peer0, n, 0);
			}
		}
	}
	close(pfd[1]);
	if (read(pfd[0], &c, 1) != 1)
		LOG("application did not start");
	close(pfd[0]);
	return pid;
}

static void row5(void)
{
	long n = quick ? 200 : 1000;
	int k = quick ? 1 : 2;
	double secs = quick ? 4 : 20;
	char what[100];
	struct res *res;
	double pings = 0;
	int r;

	snprintf(what, sizeof(what), "wake-ups of the owning process, N=%ld, keepalive %d s, %.0f s",
		 n, k, secs);
	res = res_new(5, what, "ctxt switches", "userspace keepalive: timerfd + sendmmsg, same peers");
	for (r = 0; r < reps; r++) {
		long ctx = ctx_new(ctl, k, 50);
		pid_t app = app_blocked(ctx, 0, n, 0), uapp;
		long c0, c1, p0;

		sleep_s(k + 1);
		c0 = pid_ctxsw(app);
		p0 = shm->pings;
		sleep_s(secs);
		c1 = pid_ctxsw(app);
		pings += shm->pings - p0;
		res_add(res, c1 - c0);
		kill(app, SIGKILL);
		waitpid(app, NULL, 0);
		ctx_del(ctl, ctx);

		uapp = app_blocked(0, 0, n, k);
		sleep_s(1);
		c0 = pid_ctxsw(uapp);
		sleep_s(secs);
		c1 = pid_ctxsw(uapp);
		res_base(res, c1 - c0);
		kill(uapp, SIGKILL);
		waitpid(uapp, NULL, 0);
		LOG("row 5: rep %d: kernel %ld, userspace %ld", r, (long)res->v[r], (long)res->b[r]);
		settle();
	}
	res_note(res, "responder answered %.0f Pings of the module per run (mean); expected 0 wake-ups",
		 pings / reps);
}

#define PING_RATE_LIMIT	"/proc/sys/net/coap_keepalive/ping_rate_limit"

/*
 * Row 6 with the namespace's Ping pacing limit: N sessions idle together,
 * jitter 0, limit N/4 Pings/s (a round takes 4 s): the worst 1 s window
 * (10 bins) from their first due time to the end of a second round, over
 * the limit. The pacer's bound is 1 + max(limit/100, 1)/limit.
 */
/*
 * The responder's 100 ms bins [b0, b1): the most Pings in any 1 s window
 * (sliding by 100 ms), and the total (@total).
 */
static double window_max(int b0, int b1, double *total)
{
	double worst = 0;
	int b, i;

	*total = 0;
	for (b = b0; b < b1; b++)
		*total += shm->bins[b];
	for (b = b0; b + 10 <= b1; b++) {
		double s = 0;

		for (i = 0; i < 10; i++)
			s += shm->bins[b + i];
		worst = fmax(worst, s);
	}
	return worst;
}

static void row6_limit(long n, int k)
{
	long limit = n / 4;
	int round = n / limit, r;
	char what[100], v[32];
	struct res *res;

	snprintf(what, sizeof(what), "burst with ping_rate_limit %ld/s: worst 1 s / limit, N=%ld, keepalive %d s, jitter 0",
		 limit, n, k);
	res = res_new(6, what, "x limit", "the pacer's bound: 1 + max(limit/100, 1)/limit");
	snprintf(v, sizeof(v), "%ld", limit);
	for (r = 0; r < reps; r++) {
		struct cka_nl *nl = nl_open();
		long ctx = ctx_new(ctl, k, 0);
		int fd = udp_sock(0, true);
		struct add_arg a = { .ctx = ctx, .fd = fd, .peer0 = 0, .transport = -1 };
		double t0, worst, total;
		int b0, b1;

		write_file(PING_RATE_LIMIT, v);
		memset((void *)shm->bins, 0, sizeof(shm->bins));
		t0 = now();
		shm->t0 = t0;
		attach(nl, &a, n);
		cka_close(nl);
		/* due at K; the first round ends at K + N/limit; then one more */
		sleep_until(t0 + k + 2 * round + 0.5);
		shm->t0 = 0;
		b0 = 10 * k - 5;
		b1 = 10 * (k + 2 * round);
		worst = window_max(b0, b1, &total);
		res_add(res, worst / limit);
		res_base(res, 1.0 + fmax(limit / 100, 1) / (double)limit);
		LOG("row 6: limit %ld rep %d: worst 1 s %.0f, %.0f Pings in %d s (%.0f/s)",
		    limit, r, worst, total, 2 * round, total / (2.0 * round));
		close(fd);
		ctx_del(ctl, ctx);
		write_file(PING_RATE_LIMIT, "0");
		settle();
	}
	res_note(res, "bins by the responder's receive times (userspace, 100 ms): a late read moves Pings into a later bin, which can push a window over the bound");
}

/* Row 6: burst of sessions that went idle together. */
static void row6(void)
{
	static const int jit[] = { 0, 20 };
	long n = quick ? 300 : 1000;
	int k = quick ? 2 : 10, j, r;

	for (j = 0; j < 2; j++) {
		char what[100];
		struct res *res;
		double ideal = jit[j] ? fmin(k, 100.0 / jit[j]) : k;

		snprintf(what, sizeof(what), "burst: worst 1 s / mean, N=%ld idle together, keepalive %d s, jitter %d%%",
			 n, k, jit[j]);
		res = res_new(6, what, "x mean", "ideal (jitter 0: keepalive s; else 1/J)");
		for (r = 0; r < reps; r++) {
			struct cka_nl *nl = nl_open();
			long ctx = ctx_new(ctl, k, jit[j]);
			int fd = udp_sock(0, true);
			struct add_arg a = { .ctx = ctx, .fd = fd, .peer0 = 0, .transport = -1 };
			double t0, total, worst;
			int b0, b1;

			memset((void *)shm->bins, 0, sizeof(shm->bins));
			t0 = now();
			shm->t0 = t0;
			attach(nl, &a, n);
			cka_close(nl);
			sleep_until(t0 + 2.5 * k + 0.5);
			shm->t0 = 0;
			/*
			 * Rounds 1 and 2 and nothing of round 3: [0.5 K, 2.4 K)
			 * (round 3 starts at 3 K (1 - J) >= 2.4 K for J <= 20%)
			 */
			b0 = 5 * k;
			b1 = 24 * k;
			worst = window_max(b0, b1, &total);
			res_add(res, worst / (total / (2.0 * k)));
			res_base(res, ideal);
			LOG("row 6: jitter %d rep %d: worst 1 s %.0f, total %.0f over %d s",
			    jit[j], r, worst, total, 2 * k);
			close(fd);
			ctx_del(ctl, ctx);
			settle();
		}
	}
	row6_limit(n, k);
}

/* Row 7: lateness of the first Ping after K s idle, jitter 0. */
static void row7(void)
{
	static const int full[] = { 1, 30 }, qk[] = { 1 };
	long n = quick ? 50 : 100;
	int nk = quick ? 1 : 2, c, r;

	for (c = 0; c < nk; c++) {
		int k = quick ? qk[c] : full[c];
		double lat[MAXREP * 64 * 4], ulat[MAXREP * 64 * 4];
		int nl_ = 0, nu = 0, missing = 0;
		struct res *p50, *p99, *pmax;
		char what[100];

		snprintf(what, sizeof(what), "Ping lateness p50, keepalive %d s, jitter 0, N=%ld", k, n);
		p50 = res_new(7, what, "ms", "userspace clock_nanosleep(K) then send");
		snprintf(what, sizeof(what), "Ping lateness p99, keepalive %d s", k);
		p99 = res_new(7, what, "ms", "userspace clock_nanosleep(K) then send");
		snprintf(what, sizeof(what), "Ping lateness max, keepalive %d s", k);
		pmax = res_new(7, what, "ms", "userspace clock_nanosleep(K) then send");
		for (r = 0; r < reps; r++) {
			struct cka_nl *nl = nl_open();
			long ctx = ctx_new(ctl, k, 0), i;
			int fd = udp_sock(0, true), ufd = udp_sock(0, true);
			struct add_arg a = { .ctx = ctx, .fd = fd, .peer0 = 0, .transport = -1 };
			double *t0 = calloc(2 * n, sizeof(double)), v[512], u[512];
			uint8_t act[4] = { 0x50, 0x01, 0, 0 };	/* a NON GET: activity */
			int nv = 0, nuv = 0;

			attach(nl, &a, n);
			cka_close(nl);
			shm->first_hi = 0;
			memset((void *)shm->first, 0, 2 * n * sizeof(double));
			shm->first_lo = 0;
			shm->first_hi = 2 * n;
			for (i = 0; i < n; i++) {
				struct sockaddr_in sin = peer_addr(i, RPORT);

				act[3] = i;
				sendto(fd, act, 4, 0, (void *)&sin, sizeof(sin));
				t0[i] = now();
				t0[n + i] = t0[i];
			}
			/*
			 * The userspace baseline, peers n..2n-1, in the same time:
			 * sleep until each one's last activity + K, then send.
			 */
			for (i = 0; i < n; i++) {
				struct sockaddr_in sin = peer_addr(n + i, RPORT);
				uint8_t ping[4] = { 0x40, 0, 0x80, i };
				double due = t0[n + i] + k;
				struct timespec ts = { (time_t)due,
						       (long)((due - (time_t)due) * 1e9) };

				while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
					;
				sendto(ufd, ping, 4, 0, (void *)&sin, sizeof(sin));
			}
			sleep_until(t0[n - 1] + k + 3);
			for (i = 0; i < n; i++) {
				if (shm->first[i])
					v[nv++] = (shm->first[i] - t0[i] - k) * 1e3;
				else
					missing++;
				if (shm->first[n + i])
					u[nuv++] = (shm->first[n + i] - t0[n + i] - k) * 1e3;
			}
			shm->first_hi = 0;
			qsort(v, nv, sizeof(double), dcmp);
			qsort(u, nuv, sizeof(double), dcmp);
			if (nv) {
				res_add(p50, v[nv / 2]);
				res_add(p99, v[(int)(nv * 0.99)]);
				res_add(pmax, v[nv - 1]);
			}
			if (nuv) {
				res_base(p50, u[nuv / 2]);
				res_base(p99, u[(int)(nuv * 0.99)]);
				res_base(pmax, u[nuv - 1]);
			}
			for (i = 0; i < nv && nl_ < (int)(sizeof(lat) / sizeof(lat[0])); i++)
				lat[nl_++] = v[i];
			for (i = 0; i < nuv && nu < (int)(sizeof(ulat) / sizeof(ulat[0])); i++)
				ulat[nu++] = u[i];
			LOG("row 7: K=%d rep %d: p50 %.1f p99 %.1f max %.1f ms (user p99 %.1f), %d missing",
			    k, r, nv ? v[nv / 2] : NAN, nv ? v[(int)(nv * 0.99)] : NAN,
			    nv ? v[nv - 1] : NAN, nuv ? u[(int)(nuv * 0.99)] : NAN, (int)(n - nv));
			free(t0);
			close(fd);
			close(ufd);
			ctx_del(ctl, ctx);
			settle();
		}
		if (missing)
			res_note(p50, "%d of %ld first Pings never arrived", missing, n * reps);
		res_note(p99, "target p99 <= %.1f ms (1%% of K + 1 jiffy at HZ=250)", k * 10.0 + 4);
		(void)lat;
		(void)ulat;
	}
}

/* Row 8: process exit with N attached vs N unattached sockets. */
static double exit_time(long n, bool attached)
{
	int pfd[2];
	pid_t pid;
	char c;
	double t;

	if (pipe(pfd))
		return NAN;
	pid = fork();
	if (pid == 0) {
		long i;
		int *fds = calloc(n, sizeof(int));
		struct cka_nl *nl = attached ? nl_open() : NULL;
		long ctx = attached ? ctx_new(nl, 3600, 0) : 0;

		close(pfd[0]);
		for (i = 0; i < n; i++)
			fds[i] = udp_sock(0, true);
		if (attached) {
			for (i = 0; i < n; i++) {
				struct add_arg a = { .ctx = ctx, .fd = fds[i], .peer0 = i,
						     .transport = -1 };
				/* one session per socket */
				int err;

				if (pipeline(nl, COAP_KA_CMD_SESSION_ADD, 1, build_add, &a, &err))
					_exit(1);
			}
			cka_close(nl);
		}
		if (write(pfd[1], "x", 1) < 0)
			_exit(1);
		pause();
		_exit(0);
	}
	close(pfd[1]);
	if (read(pfd[0], &c, 1) != 1) {
		waitpid(pid, NULL, 0);
		return NAN;
	}
	close(pfd[0]);
	sleep_s(0.5);
	t = now();
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return now() - t;
}

static void row8(void)
{
	long n = quick ? 200 : 2000;
	char what[100];
	struct res *res;
	int r;

	snprintf(what, sizeof(what), "process exit with N=%ld attached sockets (one session each)", n);
	res = res_new(8, what, "s", "the same process with N unattached sockets");
	for (r = 0; r < reps; r++) {
		double a = exit_time(n, true);
		double u;

		settle();
		u = exit_time(n, false);
		res_add(res, a);
		res_base(res, u);
		LOG("row 8: rep %d: attached %.3f s, unattached %.3f s", r, a, u);
		settle();
	}
}

/* Row 10: TCP connections attached. */
static void row10(void)
{
	static const long full[] = { 1000, 10000 }, qk[] = { 200 };
	int nc = quick ? 1 : 2, c, r;

	for (c = 0; c < nc; c++) {
		long n = quick ? qk[c] : full[c];
		int k = quick ? 1 : (n > 5000 ? 5 : 2);
		double win = quick ? 3 : 10;
		char what[100];
		struct res *rmem, *rcpu;
		int *fds = calloc(n, sizeof(int));

		snprintf(what, sizeof(what), "TCP: slab+vmalloc per session, N=%ld connections", n);
		rmem = res_new(10, what, "B/session", "the connection itself, both ends (B/conn)");
		snprintf(what, sizeof(what), "TCP: CPU per Ping (00 E2), N=%ld, keepalive %d s, jitter 50%%",
			 n, k);
		rcpu = res_new(10, what, "us/Ping", NULL);
		for (r = 0; r < reps; r++) {
			struct cka_nl *nl = nl_open();
			long ctx = ctx_new(ctl, k, 50), i, p0;
			struct add_arg a = { .ctx = ctx, .fd = -1, .fds = fds, .peer0 = -1,
					     .transport = COAP_KA_TRANSPORT_TCP };
			struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(TPORT),
						   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
			double m0, m1, m2, rc0, busy_s, secs, resp;
			struct cpustat c0, c1;
			uint8_t csm[2] = { 0x00, 0xe1 };

			settle();
			m0 = kmem();
			for (i = 0; i < n; i++) {
				fds[i] = socket(AF_INET, SOCK_STREAM, 0);
				if (fds[i] < 0 || connect(fds[i], (void *)&sin, sizeof(sin))) {
					LOG("tcp connect %ld: %s", i, strerror(errno));
					exit(1);
				}
				if (write(fds[i], csm, 2) != 2)
					exit(1);
			}
			settle();
			m1 = kmem();
			attach(nl, &a, n);
			cka_close(nl);
			settle();
			m2 = kmem();
			res_add(rmem, (m2 - m1) / n);
			res_base(rmem, (m1 - m0) / n);
			sleep_s(k + 1);
			p0 = shm->tcp_pings;
			rc0 = pid_cpu(tresponder_pid);
			cpu_snap(&c0);
			sleep_s(win);
			cpu_snap(&c1);
			busy_s = busy(&c0, &c1);
			secs = c1.t - c0.t;
			resp = pid_cpu(tresponder_pid) - rc0;
			p0 = shm->tcp_pings - p0;
			res_add(rcpu, (busy_s - idle_rate * secs - resp) / p0 * 1e6);
			LOG("row 10: N=%ld rep %d: %.0f B/session (conn %.0f B), %ld Pings, %.1f us/Ping",
			    n, r, (m2 - m1) / n, (m1 - m0) / n, p0,
			    (busy_s - idle_rate * secs - resp) / p0 * 1e6);
			/* the app's own reads are not needed: Pongs land in its stream */
			for (i = 0; i < n; i++)
				close(fds[i]);
			ctx_del(ctl, ctx);
			settle();
		}
		free(fds);
	}
}

/* ------------------------------------------------------------------ */
/* output                                                               */

static void fmt_spread(char *out, size_t len, const double *v, int n, int prec)
{
	if (n <= 0) {
		snprintf(out, len, "-");
		return;
	}
	if (n == 1)
		snprintf(out, len, "%.*f", prec, v[0]);
	else
		snprintf(out, len, "%.*f [%.*f..%.*f]", prec, median(v, n), prec,
			 vmin(v, n), prec, vmax(v, n));
}

static int prec_for(const double *v, int n)
{
	double m = fabs(median(v, n));

	if (n <= 0 || m >= 100)
		return 0;
	return m >= 10 ? 1 : m >= 1 ? 2 : 3;
}

static void print_table(FILE *f, const char *pfx)
{
	int i;

	fprintf(f, "%s%-3s %-76s %-30s %-12s %-30s %-22s %s\n", pfx, "row", "measure",
		"value median [min..max]", "unit", "baseline median [min..max]",
		"ratio median [min..max]", "n");
	for (i = 0; i < nres; i++) {
		const struct res *r = &results[i];
		char v[64], b[64], q[64];
		double rt[MAXREP];
		int nr = ratios(r, rt);

		fmt_spread(v, sizeof(v), r->v, r->n, prec_for(r->v, r->n));
		fmt_spread(b, sizeof(b), r->b, r->nb, prec_for(r->b, r->nb));
		if (nr)
			fmt_spread(q, sizeof(q), rt, nr, 3);
		else
			snprintf(q, sizeof(q), "-");
		fprintf(f, "%s%-3d %-76s %-30s %-12s %-30s %-22s %d\n", pfx, r->row, r->what,
			v, r->unit, b, q, r->n);
		if (r->bname[0])
			fprintf(f, "%s    baseline: %s\n", pfx, r->bname);
		if (r->note[0])
			fprintf(f, "%s    note: %s\n", pfx, r->note);
	}
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void json_arr(FILE *f, const double *v, int n)
{
	int i;

	fputc('[', f);
	for (i = 0; i < n; i++)
		if (isfinite(v[i]))
			fprintf(f, "%s%.6g", i ? ", " : "", v[i]);
		else
			fprintf(f, "%snull", i ? ", " : "");
	fputc(']', f);
}

static void json_num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.6g", v);
	else
		fprintf(f, "null");
}

/* The harness's debug kernel (KASAN, lockdep): its release says so. */
static bool debug_kernel(void)
{
	char rel[256] = "";
	FILE *p = fopen("/proc/sys/kernel/osrelease", "r");

	if (p) {
		if (!fgets(rel, sizeof(rel), p))
			rel[0] = 0;
		fclose(p);
	}
	return strstr(rel, "cka-debug");
}

static void write_json(const char *path)
{
	FILE *f = fopen(path, "w");
	struct utsname_ { char s[256]; } rel = { "" };
	FILE *p = fopen("/proc/sys/kernel/osrelease", "r");
	int i;

	if (!f) {
		LOG("cannot write %s: %s", path, strerror(errno));
		return;
	}
	if (p) {
		if (!fgets(rel.s, sizeof(rel.s), p))
			rel.s[0] = 0;
		rel.s[strcspn(rel.s, "\n")] = 0;
		fclose(p);
	}
	fprintf(f, "{\n  \"label\": ");
	json_str(f, label);
	fprintf(f, ",\n  \"kernel\": ");
	json_str(f, rel.s);
	fprintf(f, ",\n  \"quick\": %s,\n  \"cpus\": %d,\n  \"mem_total_kb\": %ld,\n"
		"  \"repetitions\": %d,\n  \"idle_busy_cpu_per_s\": ",
		quick ? "true" : "false", ncpu, meminfo_kb("MemTotal"), reps);
	json_num(f, idle_rate);
	fprintf(f, ",\n  \"results\": [\n");
	for (i = 0; i < nres; i++) {
		const struct res *r = &results[i];
		double rt[MAXREP];
		int nr = ratios(r, rt);

		fprintf(f, "    {\"row\": %d, \"measure\": ", r->row);
		json_str(f, r->what);
		fprintf(f, ", \"unit\": ");
		json_str(f, r->unit);
		fprintf(f, ", \"values\": ");
		json_arr(f, r->v, r->n);
		fprintf(f, ", \"median\": ");
		json_num(f, median(r->v, r->n));
		fprintf(f, ", \"baseline\": ");
		json_str(f, r->bname);
		fprintf(f, ", \"baseline_values\": ");
		json_arr(f, r->b, r->nb);
		fprintf(f, ", \"baseline_median\": ");
		json_num(f, median(r->b, r->nb));
		fprintf(f, ", \"ratios\": ");
		json_arr(f, rt, nr);
		fprintf(f, ", \"ratio_median\": ");
		json_num(f, nr ? median(rt, nr) : NAN);
		fprintf(f, ", \"note\": ");
		json_str(f, r->note);
		fprintf(f, "}%s\n", i + 1 < nres ? "," : "");
	}
	fprintf(f, "  ]\n}\n");
	fclose(f);
	LOG("JSON written to %s", path);
}

/* ------------------------------------------------------------------ */

static bool row_ok(int row)
{
	int i, k, seen = 0;

	for (i = 0; i < nres; i++) {
		if (results[i].row != row)
			continue;
		seen++;
		if (!results[i].n)
			return false;
		for (k = 0; k < results[i].n; k++)
			if (!isfinite(results[i].v[k]))
				return false;
	}
	return seen > 0;
}

static const char *row_names[11] = { "",
	"memory per idle session", "CPU per Ping vs userspace sendmmsg",
	"due Pings sent and answered", "data path request/response",
	"wake-ups of the owning process", "burst of sessions idle together",
	"Ping lateness", "teardown at process exit", "attach and dump rate",
	"TCP sessions" };

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "ktap", no_argument, NULL, 'k' },
		{ "json", required_argument, NULL, 'j' },
		{ "rows", required_argument, NULL, 'r' },
		{ "label", required_argument, NULL, 'l' },
		{ "big", required_argument, NULL, 'b' },
		{ "reps", required_argument, NULL, 'n' },
		{}
	};
	struct rlimit rl = { 1 << 20, 1 << 20 };
	int c, row, i;
	bool ran[11] = {};
	double t0 = now();

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'q': quick = true; break;
		case 'k': ktap = true; break;
		case 'j': json_path = optarg; break;
		case 'r': snprintf(rows_sel, sizeof(rows_sel), "%s", optarg); break;
		case 'l': label = optarg; break;
		case 'n': reps = atoi(optarg); break;
		case 'b': {
			char *s = optarg, *e;

			nbig = 0;
			while (*s && nbig < 8) {
				big_n[nbig++] = strtol(s, &e, 10);
				s = *e ? e + 1 : e;
			}
			break;
		}
		default:
			fprintf(stderr, "usage: cka_bench [--quick] [--ktap] [--json FILE] [--rows 1,2,..] [--label S] [--big N,..] [--reps N]\n");
			return 2;
		}
	}
	if (quick) {
		if (reps == 3)
			reps = 1;
		/* KASAN attaches ~200 sessions/s under TCG: a smaller smoke */
		big_n[0] = debug_kernel() ? 2000 : 10000;
		nbig = 1;
	}
	if (reps < 1 || reps > MAXREP)
		reps = 3;
	if (!json_path && getenv("CKA_OUT")) {
		static char p[512];

		snprintf(p, sizeof(p), "%s/bench.json", getenv("CKA_OUT"));
		json_path = p;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (ktap)
		printf("TAP version 13\n1..10\n");
	write_file("/proc/sys/fs/nr_open", "2000000");
	if (setrlimit(RLIMIT_NOFILE, &rl))
		LOG("RLIMIT_NOFILE: %s", strerror(errno));
	write_file("/sys/module/coap_keepalive/parameters/max_sessions_per_user", "0");
	write_file("/proc/sys/net/ipv4/ip_local_port_range", "10000 65000");
	signal(SIGPIPE, SIG_IGN);

	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED)
		return 1;
	memset(shm, 0, sizeof(*shm));
	responder_pid = spawn(responder);
	tresponder_pid = spawn(tresponder);
	ctl = nl_open();
	sleep_s(0.3);
	LOG("%s run, %d repetitions, %d CPUs, label %s", quick ? "quick" : "full", reps, ncpu, label);

	measure_idle();
	for (row = 1; row <= 10; row++) {
		int before = nres;
		double t = now();

		if (!row_on(row) || ran[row])
			continue;
		switch (row) {
		case 1: case 9: row1_9(); ran[1] = ran[9] = true; break;
		case 2: row2(); break;
		case 3: row3(); break;
		case 4: row4(); break;
		case 5: row5(); break;
		case 6: row6(); break;
		case 7: row7(); break;
		case 8: row8(); break;
		case 10: row10(); break;
		}
		ran[row] = true;
		LOG("row %d done in %.0f s (%d results)", row, now() - t, nres - before);
	}
	shm->stop = 1;
	waitpid(responder_pid, NULL, 0);
	waitpid(tresponder_pid, NULL, 0);

	print_table(stdout, ktap ? "# " : "");
	LOG("total %.0f s", now() - t0);
	if (json_path)
		write_json(json_path);
	if (ktap) {
		int fail = 0;

		for (i = 1; i <= 10; i++) {
			if (!row_on(i)) {
				printf("ok %d row %d %s # SKIP not selected\n", i, i, row_names[i]);
				continue;
			}
			bool ok = row_ok(i);

			fail += !ok;
			printf("%sok %d row %d %s\n", ok ? "" : "not ", i, i, row_names[i]);
		}
		return fail ? 1 : 0;
	}
	return 0;
}
