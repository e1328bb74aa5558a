// SPDX-License-Identifier: GPL-2.0
/*
 * TCP and TLS keepalive against real peers (RFC 8323): libcoap's
 * coap-server-notls over coap+tcp (IPv4 and IPv6), the kernel's 7.02 Ping
 * as tshark decodes it on the wire, and coap-server-openssl over
 * coaps+tcp with a PSK, where this test does the TLS handshake with
 * OpenSSL, lets OpenSSL hand the keys to kTLS, and then hands the socket
 * to the kernel: the server must decrypt the kernel's Ping record, answer
 * it, and keep serving requests whose records follow it.
 *
 * The test plays the application: it reads the server's CSM, sends its
 * own (00 E1), attaches the socket with a 1 s keepalive and stays idle.
 * The server's Pong (libcoap: 10 E3 20, 7.03 with an empty Custody option)
 * stays in the stream for the application, which reads it here.
 */
#include <fcntl.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "cka_tcp.h"
#include "kselftest_harness.h"

#define KA_MS		1000	/* the keepalive interval of every session here */
#define EARLY_MS	5	/* one jiffy at HZ=250, plus rounding */
/*
 * The Ping leaves 1 s after the last data, a few ticks late at most; the
 * bound leaves room for a TCG guest that the host does not run for a while.
 * It is checked on the kernel's own clock (the socket's last data sent),
 * not on when the PONG event reached us: that also counts the server's
 * and this process's scheduling, which the module does not control.
 */
#define LATE_MS		1000
#define PONG_BY_MS	5000	/* how long we wait for the event at all */
#define QUIET_MS	300	/* "nothing more" on a stream */

#define TLS_PORT	5783	/* coap-server-openssl -p: coaps+tcp on +1 */
#define PSK_HINT	"cka-hint"
#define PSK_IDENTITY	"cka-selftest"
#define PSK_KEY		"cka-keepalive-psk-0123"

#define PI_MALFORMED	0x07000000	/* Wireshark's expert group */

/* ------------------------------------------------------------------ */
/* a CoAP-over-TCP connection: plain or through OpenSSL                */

struct coap_conn {
	int fd;
	SSL *ssl;
	size_t have;
	uint8_t buf[16384];
};

/* One message read off a stream, copied out of the connection's buffer. */
struct coap_frame {
	uint8_t code;
	uint8_t tkl;
	uint8_t token[8];
	size_t blen;
	uint8_t body[4096];
	size_t len;
	uint8_t raw[16];	/* the first bytes, for the log */
};

static void conn_init(struct coap_conn *c)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static void conn_close(struct coap_conn *c)
{
	if (c->ssl)
		SSL_free(c->ssl);
	if (c->fd >= 0)
		close(c->fd);
	conn_init(c);
}

/* OpenSSL's error queue as one line (emptied). */
static const char *ssl_errors(void)
{
	static char line[512];
	unsigned long e;
	size_t n = 0;

	line[0] = 0;
	while ((e = ERR_get_error()) && n < sizeof(line) - 2) {
		if (n)
			line[n++] = ' ';
		ERR_error_string_n(e, line + n, sizeof(line) - n);
		n += strlen(line + n);
	}
	return line[0] ? line : "(no OpenSSL error)";
}

/*
 * Read more of the stream within @ms: the byte count, 0 on timeout,
 * -EPIPE at the end of the stream (or TLS close_notify), -EPROTO on a TLS
 * error, -errno otherwise. The socket is non-blocking.
 */
static int conn_fill(struct coap_conn *c, int ms)
{
	double end = now_ms() + ms;

	for (;;) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		size_t room = sizeof(c->buf) - c->have;
		int left, n;

		if (!room)
			return -ENOBUFS;
		if (c->ssl) {
			ERR_clear_error();
			n = SSL_read(c->ssl, c->buf + c->have, room);
			if (n > 0) {
				c->have += n;
				return n;
			}
			switch (SSL_get_error(c->ssl, n)) {
			case SSL_ERROR_WANT_READ:
			case SSL_ERROR_WANT_WRITE:
				break;
			case SSL_ERROR_ZERO_RETURN:
				return -EPIPE;
			case SSL_ERROR_SYSCALL:
				if (!errno || errno == EPIPE)
					return -EPIPE;
				return -errno;
			default:
				return -EPROTO;
			}
		} else {
			n = recv(c->fd, c->buf + c->have, room, MSG_DONTWAIT);
			if (n > 0) {
				c->have += n;
				return n;
			}
			if (!n)
				return -EPIPE;
			if (errno != EAGAIN && errno != EINTR)
				return -errno;
		}
		left = end - now_ms();
		if (left <= 0)
			return 0;
		n = poll(&pfd, 1, left);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (!n)
			return 0;
	}
}

/*
 * The next whole message on @c within @ms: 0 (in @f), -ETIMEDOUT,
 * -EBADMSG if the stream does not parse as RFC 8323 framing, or an error
 * of conn_fill().
 */
static int conn_next(struct coap_conn *c, int ms, struct coap_frame *f)
{
	double end = now_ms() + ms;

	for (;;) {
		struct coap_tcp_msg m;
		ssize_t n = coap_tcp_parse(c->buf, c->have, &m);
		int left, err;

		if (n < 0)
			return -EBADMSG;
		if (n > 0) {
			if (m.blen > sizeof(f->body))
				return -EMSGSIZE;
			memset(f, 0, sizeof(*f));
			f->code = m.code;
			f->tkl = m.tkl;
			memcpy(f->token, m.token, m.tkl);
			f->blen = m.blen;
			memcpy(f->body, m.body, m.blen);
			f->len = m.len;
			memcpy(f->raw, c->buf, m.len < sizeof(f->raw) ? m.len : sizeof(f->raw));
			c->have -= n;
			memmove(c->buf, c->buf + n, c->have);
			return 0;
		}
		left = end - now_ms();
		err = conn_fill(c, left < 0 ? 0 : left);
		if (err < 0)
			return err;
		if (!err)
			return -ETIMEDOUT;
	}
}

/* Write all of @buf: 0, -EPROTO (TLS, see ssl_errors()) or -errno. */
static int conn_write(struct coap_conn *c, const void *buf, size_t len)
{
	double end = now_ms() + 5000;

	if (!c->ssl) {
		const uint8_t *b = buf;

		while (len) {
			ssize_t n = send(c->fd, b, len, MSG_NOSIGNAL);

			if (n < 0 && errno == EAGAIN && now_ms() < end) {
				struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };

				poll(&pfd, 1, 100);
				continue;
			}
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return -errno;
			b += n;
			len -= n;
		}
		return 0;
	}
	for (;;) {
		struct pollfd pfd = { .fd = c->fd };
		int n;

		ERR_clear_error();
		n = SSL_write(c->ssl, buf, len);
		if (n == (int)len)
			return 0;
		switch (SSL_get_error(c->ssl, n)) {
		case SSL_ERROR_WANT_WRITE:
			pfd.events = POLLOUT;
			break;
		case SSL_ERROR_WANT_READ:
			pfd.events = POLLIN;
			break;
		default:
			return -EPROTO;
		}
		if (now_ms() > end)
			return -ETIMEDOUT;
		poll(&pfd, 1, 100);
	}
}

static void set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static const char *hex(const uint8_t *b, size_t n)
{
	static char s[3 * 64 + 1];
	size_t i;

	s[0] = 0;
	for (i = 0; i < n && i < 64; i++)
		sprintf(s + (i ? 3 * i - 1 : 0), "%s%02x", i ? " " : "", b[i]);
	return s;
}

/* The first bytes of a message read off a stream. */
static const char *frame_hex(const struct coap_frame *f)
{
	return hex(f->raw, f->len < sizeof(f->raw) ? f->len : sizeof(f->raw));
}

/*
 * Walk the options of a message body: calls @cb (may be NULL) with each
 * option's number and value; returns the offset of the payload (blen if
 * none) or -1 if the options do not parse.
 */
static long coap_opts(const uint8_t *b, size_t blen,
		      void (*cb)(void *arg, unsigned int num, const uint8_t *v, size_t len),
		      void *arg)
{
	unsigned int num = 0;
	size_t i = 0;

	while (i < blen) {
		unsigned int d = b[i] >> 4, l = b[i] & 15;

		if (b[i] == 0xff)
			return i + 1;
		i++;
		if (d == 15 || l == 15)
			return -1;
		if (d == 13) {
			if (i + 1 > blen)
				return -1;
			d = b[i++] + 13;
		} else if (d == 14) {
			if (i + 2 > blen)
				return -1;
			d = (b[i] << 8 | b[i + 1]) + 269;
			i += 2;
		}
		if (l == 13) {
			if (i + 1 > blen)
				return -1;
			l = b[i++] + 13;
		} else if (l == 14) {
			if (i + 2 > blen)
				return -1;
			l = (b[i] << 8 | b[i + 1]) + 269;
			i += 2;
		}
		if (i + l > blen)
			return -1;
		num += d;
		if (cb)
			cb(arg, num, b + i, l);
		i += l;
	}
	return blen;
}

struct csm_opts {
	int n;
	char text[256];
};

static void csm_opt(void *arg, unsigned int num, const uint8_t *v, size_t len)
{
	struct csm_opts *o = arg;
	size_t at = strlen(o->text);
	unsigned long val = 0;
	size_t i;

	for (i = 0; i < len && i < 4; i++)
		val = val << 8 | v[i];
	o->n++;
	/* RFC 8323 CSM options: 2 Max-Message-Size, 4 Block-Wise-Transfer */
	snprintf(o->text + at, sizeof(o->text) - at, "%s%s%s%.0lu", at ? ", " : "",
		 num == 2 ? "Max-Message-Size" : num == 4 ? "Block-Wise-Transfer" : "option",
		 len ? "=" : " (empty)", len ? val : 0);
}

/* ------------------------------------------------------------------ */
/* libcoap's servers                                                   */

/* A TCP connection to @addr:@port, retried for @ms while refused. */
static int tcp_connect_retry(const char *addr, int port, int ms)
{
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_fill(&ss, addr, port);
	double end = now_ms() + ms;

	if (!len)
		return -EINVAL;
	for (;;) {
		int fd = socket(ss.ss_family, SOCK_STREAM, 0), err;

		if (fd < 0)
			return -errno;
		if (!connect(fd, (void *)&ss, len)) {
			tcp_nodelay(fd, 1);
			return fd;
		}
		err = -errno;
		close(fd);
		if (err != -ECONNREFUSED || now_ms() > end)
			return err;
		sleep_ms(100);
	}
}

/*
 * Start a libcoap server (@argv, output to @log) and wait until it
 * accepts TCP connections on @addr:@port. Its pid, or -1.
 */
static pid_t tcp_server_start(char *const argv[], const char *log, const char *addr,
			      int port)
{
	pid_t pid = spawn(log, argv);
	int fd;

	if (pid < 0)
		return -1;
	fd = tcp_connect_retry(addr, port, 15000);
	if (fd < 0) {
		reap(pid, SIGKILL);
		return -1;
	}
	close(fd);
	return pid;
}

static void log_file(struct __test_metadata *_metadata, const char *what,
		     const char *path, int last)
{
	char line[512];
	long n = 0, skip;
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		n++;
	skip = last && n > last ? n - last : 0;
	rewind(f);
	n = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (n++ >= skip)
			TH_LOG("%s: %s", what, line);
	}
	fclose(f);
}

/* ------------------------------------------------------------------ */
/* the application's side of a session                                 */

/* What happened on one connection, for the checks and the wire. */
struct ka_run {
	int local_port;
	long sid;
	double t_csm;		/* our CSM went out */
	double t_ref;		/* both CSMs done: the last data either way */
	uint32_t pings;
};

/*
 * Begin CoAP over the connected stream @c: over plain TCP read the
 * server's CSM (libcoap sends it as soon as it accepts), then send ours;
 * over TLS send ours first (the kernel pings only once a record went out
 * through kTLS), then read the server's, which libcoap sends when its
 * side of the handshake is done. Either way nothing more is due from the
 * server afterwards: t_ref marks the last data each way.
 */
static void csm_exchange(struct __test_metadata *_metadata, struct coap_conn *c,
			 struct ka_run *run)
{
	struct csm_opts o = {};
	struct coap_frame f;
	int err;

	if (c->ssl) {
		ASSERT_EQ(0, conn_write(c, coap_tcp_csm_msg, sizeof(coap_tcp_csm_msg)))
			TH_LOG("SSL_write of our CSM: %s", ssl_errors());
		run->t_csm = now_ms();
	}
	err = conn_next(c, 10000, &f);
	ASSERT_EQ(0, err) TH_LOG("no CSM from the server: %s", strerror(-err));
	ASSERT_EQ(COAP_TCP_CSM, f.code) TH_LOG("first message %s", frame_hex(&f));
	EXPECT_LE(0, coap_opts(f.body, f.blen, csm_opt, &o));
	TH_LOG("server's CSM: %s (%s)", frame_hex(&f), o.n ? o.text : "no options");
	if (!c->ssl) {
		ASSERT_EQ(0, conn_write(c, coap_tcp_csm_msg, sizeof(coap_tcp_csm_msg)));
		run->t_csm = now_ms();
	}
	run->t_ref = now_ms();
	run->local_port = sock_port(c->fd);
}

/*
 * Hand @c's socket to @ctx (keepalive 1 s) declaring @transport; the
 * reply must name the socket, the server and the transport the kernel
 * found.
 */
static void attach(struct __test_metadata *_metadata, struct cka_nl *nl, long ctx,
		   struct coap_conn *c, int transport, int port, struct ka_run *run)
{
	struct cka_ev r;

	run->sid = tcp_session_add(nl, ctx, c->fd, transport, NULL, &r);
	ASSERT_LT(0, run->sid) TH_LOG("SESSION_ADD: %s (%s)", strerror(-run->sid), nl->msg);
	EXPECT_EQ(transport, r.v[COAP_KA_A_TRANSPORT]);
	EXPECT_EQ(cka_sock_ino(c->fd), r.ino);
	EXPECT_EQ(port, r.port);
	EXPECT_EQ(COAP_KA_STATE_IDLE, r.v[COAP_KA_A_STATE]);
}

/*
 * The session pings once after a second of idleness and the server's
 * answer is reported; then keepalive goes off in @ctx (so no further
 * Ping races the reads) and the stream holds exactly one message per
 * Ping: the server's 7.03 Pong.
 */
static void expect_one_pong(struct __test_metadata *_metadata, struct cka_nl *nl,
			    struct cka_nl *evs, long ctx, struct coap_conn *c,
			    struct ka_run *run)
{
	const uint32_t off[] = { COAP_KA_A_KEEPALIVE_SECS, 0, 0 };
	struct coap_frame f;
	int err, pongs = 0;
	struct cka_ev ev, s;
	double t_ping;
	long early, late;
	struct tcp_info ti = {};
	socklen_t tlen = sizeof(ti);

	err = ev_wait(evs, COAP_KA_CMD_PONG_NTF, run->sid, PONG_BY_MS, &ev);
	ASSERT_EQ(0, err) TH_LOG("no PONG event for session %ld", run->sid);
	/* the Ping is the last data the socket sent: when did it leave? */
	ASSERT_EQ(0, getsockopt(c->fd, IPPROTO_TCP, TCP_INFO, &ti, &tlen));
	t_ping = now_ms() - ti.tcpi_last_data_sent;
	early = (long)(t_ping - run->t_csm);
	late = (long)(t_ping - run->t_ref);
	TH_LOG("Ping left %ld ms after our CSM, %ld ms after the last data; PONG event %ld ms after the Ping (rtt %u us)",
	       early, late, (long)(ev.t - t_ping), ev.v[COAP_KA_A_RTT_US]);
	EXPECT_LE(KA_MS - EARLY_MS, early);
	EXPECT_GE(KA_MS + LATE_MS, late);
	EXPECT_TRUE(ev_has(&ev, COAP_KA_A_RTT_US));

	ASSERT_EQ(0, ctx_set(nl, ctx, off));
	ASSERT_EQ(0, session_get(nl, run->sid, &s));
	run->pings = s.v[COAP_KA_A_PINGS];
	EXPECT_EQ(1, run->pings);
	EXPECT_EQ(run->pings, s.v[COAP_KA_A_PONGS]);
	EXPECT_EQ(0, s.v[COAP_KA_A_NACKS]);

	/* every Pong is in the application's stream, and nothing else */
	while (!(err = conn_next(c, pongs < (int)run->pings ? 2000 : QUIET_MS, &f))) {
		EXPECT_EQ(COAP_TCP_PONG, f.code) TH_LOG("unexpected message %s", frame_hex(&f));
		EXPECT_EQ(0, f.tkl);
		if (f.code == COAP_TCP_PONG && !pongs++)
			TH_LOG("the server's Pong: %s", frame_hex(&f));
	}
	EXPECT_EQ(-ETIMEDOUT, err) TH_LOG("stream: %s", strerror(-err));
	EXPECT_EQ((int)run->pings, pongs);
	EXPECT_EQ(1, pongs);
}

/*
 * GET /.well-known/core (token "ka") gets libcoap's 2.05 with its link
 * format: the stream is intact after the kernel's Ping and the Pong.
 */
static void get_wellknown(struct __test_metadata *_metadata, struct coap_conn *c)
{
	static const uint8_t path[] = "\xbb.well-known\x04" "core";
	static const uint8_t tok[2] = { 'k', 'a' };
	uint8_t req[64];
	struct coap_frame f;
	size_t n;
	long pl;
	int err;

	n = coap_tcp_frame(req, 0x01, tok, sizeof(tok), path, sizeof(path) - 1);
	ASSERT_EQ(0, conn_write(c, req, n)) TH_LOG("GET: %s", c->ssl ? ssl_errors() : strerror(errno));
	err = conn_next(c, 5000, &f);
	ASSERT_EQ(0, err) TH_LOG("no answer to GET /.well-known/core: %s", strerror(-err));
	ASSERT_EQ(0x45, f.code) TH_LOG("answer %s", frame_hex(&f));
	ASSERT_EQ(sizeof(tok), f.tkl);
	EXPECT_EQ(0, memcmp(f.token, tok, sizeof(tok)));
	pl = coap_opts(f.body, f.blen, NULL, NULL);
	ASSERT_LT(0, pl);
	f.body[f.blen < sizeof(f.body) ? f.blen : sizeof(f.body) - 1] = 0;
	EXPECT_NE(NULL, strstr((char *)f.body + pl, "</time>"))
		TH_LOG("payload: %s", (char *)f.body + pl);
	TH_LOG("GET /.well-known/core: 2.05, %zu bytes of link format", f.blen - pl);
}

/* The application closes: the session ends with reason CLOSED. */
static void close_gone(struct __test_metadata *_metadata, struct cka_nl *evs,
		       struct coap_conn *c, long sid)
{
	struct cka_ev ev;

	conn_close(c);
	ASSERT_EQ(0, ev_wait(evs, COAP_KA_CMD_SESSION_GONE_NTF, sid, 3000, &ev))
		TH_LOG("no SESSION_GONE for session %ld after close()", sid);
	EXPECT_EQ(COAP_KA_GONE_CLOSED, ev.v[COAP_KA_A_GONE_REASON]);
}

/* ------------------------------------------------------------------ */
/* coap+tcp against coap-server-notls                                  */

FIXTURE(coap_tcp) {
	struct cka_nl *nl;
	struct cka_nl *ev;
	pid_t server;
	pid_t server6;
	pid_t dumpcap;
	long ctx;
};

FIXTURE_SETUP(coap_tcp)
{
	char *argv4[] = {
		"coap-server-notls", "-v", "7", "-A", "127.0.0.1", "-p", "5683", NULL,
	};
	char *argv6[] = {
		"coap-server-notls", "-v", "7", "-A", "::1", "-p", "5683", NULL,
	};
	const uint32_t set[] = { COAP_KA_A_KEEPALIVE_SECS, 1, 0 };

	self->nl = cka_open();
	ASSERT_NE(NULL, self->nl);
	self->ev = open_events();
	ASSERT_NE(NULL, self->ev);
	self->server = tcp_server_start(argv4, "/tmp/tcp_peers_server4.log", "127.0.0.1",
					COAP_PORT);
	ASSERT_LT(0, self->server) TH_LOG("coap-server-notls does not listen on 127.0.0.1:5683/tcp");
	self->server6 = tcp_server_start(argv6, "/tmp/tcp_peers_server6.log", "::1", COAP_PORT);
	ASSERT_LT(0, self->server6) TH_LOG("coap-server-notls does not listen on [::1]:5683/tcp");
	self->ctx = cka_ctx_new(self->nl, set, NULL);
	ASSERT_LT(0, self->ctx);
}

FIXTURE_TEARDOWN(coap_tcp)
{
	if (self->dumpcap > 0)
		reap(self->dumpcap, SIGKILL);
	if (self->ctx > 0)
		cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, self->ctx, NULL, NULL);
	reap(self->server, SIGTERM);
	reap(self->server6, SIGTERM);
	if (self->ev)
		cka_close(self->ev);
	if (self->nl)
		cka_close(self->nl);
}

/*
 * One coap+tcp connection to @addr:5683 through its whole life: CSMs,
 * attach, one Ping answered, a GET answered, close.
 */
static void plain_run(struct __test_metadata *_metadata, FIXTURE_DATA(coap_tcp) *self,
		      const char *addr, struct ka_run *run)
{
	const uint32_t on[] = { COAP_KA_A_KEEPALIVE_SECS, 1, 0 };
	struct coap_conn c;

	/* expect_one_pong() turned it off after an earlier run */
	ASSERT_EQ(0, ctx_set(self->nl, self->ctx, on));
	conn_init(&c);
	c.fd = tcp_connect_retry(addr, COAP_PORT, 5000);
	ASSERT_LE(0, c.fd) TH_LOG("connect to [%s]:%d: %s", addr, COAP_PORT, strerror(-c.fd));
	set_nonblock(c.fd);
	csm_exchange(_metadata, &c, run);
	attach(_metadata, self->nl, self->ctx, &c, COAP_KA_TRANSPORT_TCP, COAP_PORT, run);
	expect_one_pong(_metadata, self->nl, self->ev, self->ctx, &c, run);
	get_wellknown(_metadata, &c);
	close_gone(_metadata, self->ev, &c, run->sid);
}

TEST_F(coap_tcp, ping_pong_ipv4)
{
	struct ka_run run = {};

	plain_run(_metadata, self, "127.0.0.1", &run);
}

TEST_F(coap_tcp, ping_pong_ipv6)
{
	struct ka_run run = {};

	plain_run(_metadata, self, "::1", &run);
}

/* ------------------------------------------------------------------ */
/* the wire                                                            */

#define CAPTURE_START_MS	60000
#define MARKER_PORT		9	/* nothing listens there in the guest */

static long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : st.st_size;
}

#define DUMPCAP_ERR	"/tmp/tcp_peers_dumpcap.err"

/*
 * dumpcap on lo (it starts much faster than tshark under TCG) for TCP
 * port @port into @pcap, live once a marker datagram to 127.0.0.1:9 is in
 * the file (dumpcap writes out at each update interval). *@pid gets its
 * pid at once, for the teardown.
 */
static void capture_start(struct __test_metadata *_metadata, int port, const char *pcap,
			  pid_t *pid)
{
	char filter[64];
	char *argv[] = {
		"dumpcap", "-i", "lo", "-f", filter, "-P", "-q", "-w", (char *)pcap, NULL,
	};
	struct sockaddr_storage to;
	socklen_t tolen = sockaddr_fill(&to, "127.0.0.1", MARKER_PORT);
	bool live = false;
	int marker;
	double t0;

	snprintf(filter, sizeof(filter), "tcp port %d or udp port %d", port, MARKER_PORT);
	unlink(pcap);
	*pid = spawn(DUMPCAP_ERR, argv);
	ASSERT_LT(0, *pid);
	/* unconnected: port unreachable errors do not fail the next send */
	marker = udp_bound("127.0.0.1", 0, NULL);
	ASSERT_LE(0, marker);
	t0 = now_ms();
	while (!live && now_ms() - t0 < CAPTURE_START_MS) {
		sendto(marker, "mark", 4, 0, (void *)&to, tolen);
		sleep_ms(250);
		/* pcap header 24, record 16 + 14 + 20 + 8 + 4 */
		live = file_size(pcap) >= 24 + 62;
	}
	close(marker);
	if (!live)
		log_file(_metadata, "dumpcap", DUMPCAP_ERR, 0);
	ASSERT_TRUE(live) TH_LOG("the capture never showed the marker");
	TH_LOG("capture live after %ld ms", (long)(now_ms() - t0));
}

static void capture_stop(pid_t *pid)
{
	/* let dumpcap write out the last packets */
	sleep_ms(500);
	kill(*pid, SIGINT);
	waitpid(*pid, NULL, 0);
	*pid = 0;
}

/* The fields tshark prints per packet: tab-separated, ';' between repeats. */
enum {
	F_FRAME, F_SPORT, F_DPORT, F_TCPLEN, F_PAYLOAD, F_RECTYPE, F_RECLEN, F_ALERT,
	F_CODE, F_LEN, F_PROTO, F_MALFORMED, F_EXPGROUP, F_EXPMSG, F_NFIELDS
};

static const char * const field_name[F_NFIELDS] = {
	"frame.number", "tcp.srcport", "tcp.dstport", "tcp.len", "tcp.payload",
	"tls.record.content_type", "tls.record.length", "tls.alert_message.desc",
	"coap.code", "coap.length", "_ws.col.Protocol", "_ws.malformed",
	"_ws.expert.group", "_ws.expert.message",
};

/* tshark decodes @pcap with @opts (NULL-ended) into @out: its exit status. */
static int tshark_decode(const char *pcap, const char * const *opts, const char *out)
{
	char *argv[64];
	int n = 0, i;

	argv[n++] = "tshark";
	argv[n++] = "-n";
	argv[n++] = "-r";
	argv[n++] = (char *)pcap;
	for (i = 0; opts[i] && n < 16; i++)
		argv[n++] = (char *)opts[i];
	argv[n++] = "-T";
	argv[n++] = "fields";
	argv[n++] = "-E";
	argv[n++] = "separator=/t";
	argv[n++] = "-E";
	argv[n++] = "aggregator=;";
	for (i = 0; i < F_NFIELDS; i++) {
		argv[n++] = "-e";
		argv[n++] = (char *)field_name[i];
	}
	argv[n] = NULL;
	return run_wait(argv, out);
}

static int split_fields(char *line, char **f)
{
	int n = 0;

	line[strcspn(line, "\n")] = 0;
	while (n < F_NFIELDS && line)
		f[n++] = strsep(&line, "\t");
	return n;
}

/*
 * Every expert item of group Malformed on a packet of libcoap's is one of
 * Wireshark 4.0's complaints about RFC 8323 signalling options: its CoAP
 * dissector reads the option numbers of a CSM or Pong as those of a
 * request, so libcoap's Max-Message-Size (2), Block-Wise-Transfer (4) and
 * Custody (2) look invalid to it.
 */
static bool only_signalling_complaints(char *groups, char *msgs, const char *codes)
{
	char *g, *m, *c, codebuf[64];

	snprintf(codebuf, sizeof(codebuf), "%s", codes);
	for (c = codebuf; (g = strsep(&c, ";"));)
		if (strcmp(g, "225") && strcmp(g, "227"))
			return false;
	while ((g = strsep(&groups, ";"))) {
		m = strsep(&msgs, ";");
		if (strtoul(g, NULL, 0) != PI_MALFORMED)
			continue;
		if (!m || (strncmp(m, "Invalid Option Number", 21) &&
			   strncmp(m, "Invalid Option Range", 20)))
			return false;
	}
	return true;
}

/* Append the codes in @list (joined by ';') to @seq (joined by ','). */
static void seq_add(char *seq, size_t size, const char *list)
{
	size_t at = strlen(seq);
	const char *p;

	for (p = list; *p && at + 2 < size; p++)
		seq[at++] = *p == ';' ? ',' : *p;
	if (*list && at + 1 < size)
		seq[at++] = ',';
	seq[at] = 0;
}

/* What one connection of ours looked like on the wire. */
struct wire_conn {
	int port;		/* our local port */
	char ours[128];		/* codes of the CoAP messages we sent, in order */
	char theirs[128];	/* and of the server's */
	int alerts;		/* TLS alerts other than close_notify */
};

/*
 * Read tshark's output @path: the CoAP codes of each of the @n
 * connections (to server port @srv) in order, each way. Every segment of
 * ours that carries a Ping is checked: it holds the Ping alone (plain: the
 * two bytes 00 e2; TLS: one application data record of @rec_len bytes).
 * No packet is malformed but for libcoap's signalling (above).
 */
static void wire_read(struct __test_metadata *_metadata, const char *path, int srv,
		      struct wire_conn *wc, int n, int rec_len)
{
	int frames = 0, excused = 0, bad = 0, k;
	char line[4096];
	FILE *f = fopen(path, "r");

	ASSERT_NE(NULL, f);
	for (k = 0; k < n; k++)
		wc[k].ours[0] = wc[k].theirs[0] = 0;
	while (fgets(line, sizeof(line), f)) {
		char copy[4096], *fl[F_NFIELDS];
		int sport, dport;

		snprintf(copy, sizeof(copy), "%s", line);
		copy[strcspn(copy, "\n")] = 0;
		if (split_fields(line, fl) != F_NFIELDS)
			continue;
		frames++;
		sport = atoi(fl[F_SPORT]);
		dport = atoi(fl[F_DPORT]);
		if (*fl[F_MALFORMED]) {
			if (sport == srv && only_signalling_complaints(fl[F_EXPGROUP],
								       fl[F_EXPMSG], fl[F_CODE])) {
				excused++;
			} else {
				bad++;
				TH_LOG("malformed: %s", copy);
			}
		}
		for (k = 0; k < n; k++) {
			char want[8];

			if (sport == wc[k].port && dport == srv) {
				seq_add(wc[k].ours, sizeof(wc[k].ours), fl[F_CODE]);
			} else if (sport == srv && dport == wc[k].port) {
				seq_add(wc[k].theirs, sizeof(wc[k].theirs), fl[F_CODE]);
				if (*fl[F_ALERT] && strcmp(fl[F_ALERT], "0")) {
					wc[k].alerts++;
					TH_LOG("alert: %s", copy);
				}
				continue;
			} else {
				continue;
			}
			if (!strstr(fl[F_CODE], "226"))
				continue;
			/* a segment of its own, holding the 2-byte 7.02 and nothing else */
			TH_LOG("a Ping: %s", copy);
			EXPECT_STREQ("226", fl[F_CODE]);
			EXPECT_STREQ("2", fl[F_LEN]);
			EXPECT_STREQ("CoAP", fl[F_PROTO]);
			EXPECT_STREQ("", fl[F_MALFORMED]);
			if (!rec_len) {
				EXPECT_STREQ("00e2", fl[F_PAYLOAD]);
				continue;
			}
			EXPECT_STREQ("23", fl[F_RECTYPE]);
			snprintf(want, sizeof(want), "%d", rec_len);
			EXPECT_STREQ(want, fl[F_RECLEN]);
			EXPECT_EQ(5 + rec_len, atoi(fl[F_TCPLEN]));
		}
	}
	fclose(f);
	TH_LOG("%d packets; %d with Wireshark's signalling-option complaints only", frames,
	       excused);
	EXPECT_EQ(0, bad);
}

/*
 * The plain runs over IPv4 and IPv6 once more, under dumpcap on lo; then
 * tshark decodes TCP port 5683 as CoAP (RFC 8323 framing: Wireshark 4.0
 * does it with "-d tcp.port==5683,coap") and each connection shows our
 * CSM, one Ping (its segment carries just 00 e2, decoded as a 7.02 Ping,
 * code 226, message length 2) and the GET; the server's CSM, its one
 * Pong (7.03) and the 2.05.
 */
TEST_F_TIMEOUT(coap_tcp, ping_on_wire_ipv4_ipv6, 240)
{
	static const char * const addr[2] = { "127.0.0.1", "::1" };
	static const char * const opts[] = { "-d", "tcp.port==5683,coap", NULL };
	const char *pcap = "/tmp/tcp_peers.pcap";
	const char *decoded = "/tmp/tcp_peers.txt";
	struct wire_conn wc[2] = {};
	struct ka_run run[2] = {};
	double t0;
	int k;

	capture_start(_metadata, COAP_PORT, pcap, &self->dumpcap);
	for (k = 0; k < 2; k++) {
		plain_run(_metadata, self, addr[k], &run[k]);
		wc[k].port = run[k].local_port;
	}
	capture_stop(&self->dumpcap);

	t0 = now_ms();
	ASSERT_EQ(0, tshark_decode(pcap, opts, decoded));
	TH_LOG("tshark decoded the capture in %ld ms", (long)(now_ms() - t0));
	wire_read(_metadata, decoded, COAP_PORT, wc, 2, 0);
	for (k = 0; k < 2; k++) {
		TH_LOG("[%s] CoAP codes: ours %s; the server's %s", addr[k], wc[k].ours,
		       wc[k].theirs);
		EXPECT_STREQ("225,226,1,", wc[k].ours);
		EXPECT_STREQ("225,227,69,", wc[k].theirs);
	}
}

/* ------------------------------------------------------------------ */
/* coaps+tcp against coap-server-openssl, kTLS via OpenSSL             */

FIXTURE(coaps_tcp) {
	struct cka_nl *nl;
	struct cka_nl *ev;
	pid_t server;
	pid_t dumpcap;
	long ctx;
	SSL_CTX *tls;
};

FIXTURE_VARIANT(coaps_tcp) {
	int version;		/* TLS1_2_VERSION, TLS1_3_VERSION */
	const char *name;
	const char *cipher;	/* OpenSSL's name */
	bool need_ktls_rx;	/* OpenSSL 3.0 receives TLS 1.3 in userspace */
};

FIXTURE_VARIANT_ADD(coaps_tcp, tls12) {
	.version = TLS1_2_VERSION,
	.name = "TLS 1.2",
	.cipher = "PSK-AES128-GCM-SHA256",
	.need_ktls_rx = true,
};

FIXTURE_VARIANT_ADD(coaps_tcp, tls13) {
	.version = TLS1_3_VERSION,
	.name = "TLS 1.3",
	.cipher = "TLS_AES_128_GCM_SHA256",
	.need_ktls_rx = false,
};

static char psk_hint_seen[64];

#define KEYLOG	"/tmp/tcp_peers_tls.keys"

/* OpenSSL's key log (NSS format), for tshark to decrypt the capture. */
static void keylog_cb(const SSL *ssl, const char *line)
{
	FILE *f = fopen(KEYLOG, "a");

	if (!f)
		return;
	fprintf(f, "%s\n", line);
	fclose(f);
}

static unsigned int psk_client_cb(SSL *ssl, const char *hint, char *identity,
				  unsigned int max_identity_len, unsigned char *psk,
				  unsigned int max_psk_len)
{
	size_t klen = strlen(PSK_KEY);

	snprintf(psk_hint_seen, sizeof(psk_hint_seen), "%s", hint ? hint : "(none)");
	if (strlen(PSK_IDENTITY) + 1 > max_identity_len || klen > max_psk_len)
		return 0;
	strcpy(identity, PSK_IDENTITY);
	memcpy(psk, PSK_KEY, klen);
	return klen;
}

FIXTURE_SETUP(coaps_tcp)
{
	char port[16];
	char *argv[] = {
		"coap-server-openssl", "-v", "7", "-A", "127.0.0.1", "-p", port,
		"-k", PSK_KEY, "-h", PSK_HINT, NULL,
	};
	const uint32_t set[] = { COAP_KA_A_KEEPALIVE_SECS, 1, 0 };
	int rc;

	/* OpenSSL turns kTLS on only if the tls ULP can be attached */
	rc = system("modprobe tls >/dev/null 2>&1");
	(void)rc;
	self->nl = cka_open();
	ASSERT_NE(NULL, self->nl);
	self->ev = open_events();
	ASSERT_NE(NULL, self->ev);
	snprintf(port, sizeof(port), "%d", TLS_PORT);
	self->server = tcp_server_start(argv, "/tmp/tcp_peers_tls_server.log", "127.0.0.1",
					TLS_PORT + 1);
	ASSERT_LT(0, self->server)
		TH_LOG("coap-server-openssl does not listen on 127.0.0.1:%d/tcp", TLS_PORT + 1);
	self->ctx = cka_ctx_new(self->nl, set, NULL);
	ASSERT_LT(0, self->ctx);

	self->tls = SSL_CTX_new(TLS_client_method());
	ASSERT_NE(NULL, self->tls);
	ASSERT_EQ(1, SSL_CTX_set_min_proto_version(self->tls, variant->version));
	ASSERT_EQ(1, SSL_CTX_set_max_proto_version(self->tls, variant->version));
	SSL_CTX_set_options(self->tls, SSL_OP_ENABLE_KTLS);
	if (variant->version == TLS1_3_VERSION)
		rc = SSL_CTX_set_ciphersuites(self->tls, variant->cipher);
	else
		rc = SSL_CTX_set_cipher_list(self->tls, variant->cipher);
	ASSERT_EQ(1, rc) TH_LOG("cipher %s: %s", variant->cipher, ssl_errors());
	SSL_CTX_set_psk_client_callback(self->tls, psk_client_cb);
	SSL_CTX_set_keylog_callback(self->tls, keylog_cb);
}

FIXTURE_TEARDOWN(coaps_tcp)
{
	if (self->dumpcap > 0)
		reap(self->dumpcap, SIGKILL);
	if (self->tls)
		SSL_CTX_free(self->tls);
	if (self->ctx > 0)
		cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, self->ctx, NULL, NULL);
	reap(self->server, SIGTERM);
	if (self->ev)
		cka_close(self->ev);
	if (self->nl)
		cka_close(self->nl);
}

/*
 * Keepalive on again after the application's last exchange: one more Ping
 * (its record follows the application's), answered in time; keepalive off
 * again and the Pong read.
 */
static void second_pong(struct __test_metadata *_metadata, FIXTURE_DATA(coaps_tcp) *self,
			struct coap_conn *c, long sid)
{
	const uint32_t on[] = { COAP_KA_A_KEEPALIVE_SECS, 1, 0 };
	const uint32_t off[] = { COAP_KA_A_KEEPALIVE_SECS, 0, 0 };
	struct tcp_info ti = {};
	socklen_t tlen = sizeof(ti);
	double t_last, t_ping;
	struct coap_frame f;
	struct cka_ev ev, s;
	int err;

	/* the idle period began with the last data either way (the kernel's clock) */
	ASSERT_EQ(0, getsockopt(c->fd, IPPROTO_TCP, TCP_INFO, &ti, &tlen));
	t_last = now_ms() - (ti.tcpi_last_data_recv < ti.tcpi_last_data_sent ?
			     ti.tcpi_last_data_recv : ti.tcpi_last_data_sent);
	ASSERT_EQ(0, ctx_set(self->nl, self->ctx, on));
	ASSERT_EQ(0, ev_wait(self->ev, COAP_KA_CMD_PONG_NTF, sid, PONG_BY_MS, &ev))
		TH_LOG("no second PONG event");
	ASSERT_EQ(0, getsockopt(c->fd, IPPROTO_TCP, TCP_INFO, &ti, &tlen));
	t_ping = now_ms() - ti.tcpi_last_data_sent;
	TH_LOG("second Ping left %ld ms after the last data (the answer to GET)",
	       (long)(t_ping - t_last));
	EXPECT_LE(KA_MS - EARLY_MS, t_ping - t_last);
	EXPECT_GE(KA_MS + LATE_MS, t_ping - t_last);
	ASSERT_EQ(0, ctx_set(self->nl, self->ctx, off));
	ASSERT_EQ(0, session_get(self->nl, sid, &s));
	EXPECT_EQ(2, s.v[COAP_KA_A_PINGS]);
	EXPECT_EQ(2, s.v[COAP_KA_A_PONGS]);
	err = conn_next(c, 2000, &f);
	ASSERT_EQ(0, err) TH_LOG("no second Pong in the stream: %s", strerror(-err));
	EXPECT_EQ(COAP_TCP_PONG, f.code) TH_LOG("message %s", frame_hex(&f));
	EXPECT_EQ(-ETIMEDOUT, conn_next(c, QUIET_MS, &f));
}

/*
 * One coaps+tcp connection through its whole life: the handshake (OpenSSL
 * turns kTLS on), CSMs, attach, a Ping answered, a GET answered, a second
 * Ping after the GET's record answered, another GET answered, close.
 * Returns false if it had to skip (the test is then marked skipped).
 */
static bool tls_run(struct __test_metadata *_metadata, FIXTURE_DATA(coaps_tcp) *self,
		    const FIXTURE_VARIANT(coaps_tcp) *variant, struct ka_run *run)
{
	struct timeval tv = { .tv_sec = 10 };
	struct coap_conn c;
	int tx, rx;

	conn_init(&c);
	c.fd = tcp_connect_retry("127.0.0.1", TLS_PORT + 1, 5000);
	ASSERT_LE(0, c.fd) TH_LOG("connect: %s", strerror(-c.fd));
	/* the handshake blocks, with a bound */
	setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	c.ssl = SSL_new(self->tls);
	ASSERT_NE(NULL, c.ssl);
	ASSERT_EQ(1, SSL_set_fd(c.ssl, c.fd));
	if (SSL_connect(c.ssl) != 1) {
		const char *why = ssl_errors();

		log_file(_metadata, "server", "/tmp/tcp_peers_tls_server.log", 20);
		conn_close(&c);
		SKIP(return false, "%s with %s refused by OpenSSL or coap-server-openssl: %s",
		     variant->name, variant->cipher, why);
	}
	EXPECT_EQ(variant->version, SSL_version(c.ssl));
	TH_LOG("%s, cipher %s, PSK hint from the server: %s", SSL_get_version(c.ssl),
	       SSL_get_cipher_name(c.ssl), psk_hint_seen);
	if (variant->version == TLS1_2_VERSION)
		EXPECT_STREQ(PSK_HINT, psk_hint_seen);

	tx = BIO_get_ktls_send(SSL_get_wbio(c.ssl));
	rx = BIO_get_ktls_recv(SSL_get_rbio(c.ssl));
	TH_LOG("kTLS: transmit %d, receive %d", tx, rx);
	if (!tx || (variant->need_ktls_rx && !rx)) {
		conn_close(&c);
		SKIP(return false,
		     "OpenSSL %s did not turn kTLS on for %s (transmit %d, receive %d): `modprobe tls` first!",
		     OpenSSL_version(OPENSSL_VERSION), variant->name, tx, rx);
	}
	if (!rx)
		TH_LOG("%s decrypts what it receives itself (no kTLS receive for %s)",
		       OpenSSL_version(OPENSSL_VERSION), variant->name);
	set_nonblock(c.fd);

	csm_exchange(_metadata, &c, run);
	attach(_metadata, self->nl, self->ctx, &c, COAP_KA_TRANSPORT_TLS, TLS_PORT + 1, run);
	expect_one_pong(_metadata, self->nl, self->ev, self->ctx, &c, run);
	get_wellknown(_metadata, &c);
	/* a second Ping, after the application's GET record */
	second_pong(_metadata, self, &c, run->sid);
	/* and the session still serves requests */
	get_wellknown(_metadata, &c);
	close_gone(_metadata, self->ev, &c, run->sid);
	return true;
}

/*
 * A Ping through kTLS, answered by libcoap over OpenSSL: the server's
 * Pong comes back through the TLS session, so it decrypted the kernel's
 * record. Then a GET gets its 2.05 (the application's records after the
 * kernel's carry the right sequence numbers), and with keepalive on again
 * a second Ping follows the application's records and is answered too.
 */
TEST_F(coaps_tcp, ping_pong_then_get)
{
	struct ka_run run = {};

	tls_run(_metadata, self, variant, &run);
}

/*
 * The same under dumpcap; tshark decrypts the capture with the session's
 * keys (OpenSSL's key log) and decodes it as CoAP: each Ping of the
 * kernel's is one application data record of its own (2 bytes of
 * plaintext: TLS 1.2 adds an 8-byte explicit nonce and a 16-byte tag, TLS
 * 1.3 the inner content type and the tag), in its own segment, decrypting
 * to a 7.02 Ping between the application's messages; the server never
 * sends an alert (a record it could not decrypt would give bad_record_mac).
 */
TEST_F_TIMEOUT(coaps_tcp, ping_records_on_wire, 240)
{
	char keylog_opt[64], tls_port[32], coap_port[32];
	const char * const opts[] = {
		"-o", keylog_opt, "-d", tls_port, "-d", coap_port, NULL,
	};
	const char *pcap = "/tmp/tcp_peers_tls.pcap";
	const char *decoded = "/tmp/tcp_peers_tls.txt";
	struct wire_conn wc = {};
	struct ka_run run = {};
	bool ran;
	double t0;

	snprintf(keylog_opt, sizeof(keylog_opt), "tls.keylog_file:%s", KEYLOG);
	snprintf(tls_port, sizeof(tls_port), "tcp.port==%d,tls", TLS_PORT + 1);
	snprintf(coap_port, sizeof(coap_port), "tls.port==%d,coap", TLS_PORT + 1);
	unlink(KEYLOG);
	capture_start(_metadata, TLS_PORT + 1, pcap, &self->dumpcap);
	ran = tls_run(_metadata, self, variant, &run);
	capture_stop(&self->dumpcap);
	if (!ran)
		return;

	wc.port = run.local_port;
	t0 = now_ms();
	ASSERT_EQ(0, tshark_decode(pcap, opts, decoded));
	TH_LOG("tshark decrypted and decoded the capture in %ld ms", (long)(now_ms() - t0));
	wire_read(_metadata, decoded, TLS_PORT + 1, &wc, 1,
		  2 + (variant->version == TLS1_3_VERSION ? 1 + 16 : 8 + 16));
	TH_LOG("CoAP codes: ours %s; the server's %s", wc.ours, wc.theirs);
	EXPECT_STREQ("225,226,1,226,1,", wc.ours);
	EXPECT_STREQ("225,227,69,227,69,", wc.theirs);
	EXPECT_EQ(0, wc.alerts);
}

TEST_HARNESS_MAIN
