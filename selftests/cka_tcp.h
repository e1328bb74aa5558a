/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the TCP/kTLS keepalive selftests (on top of cka_udp.h):
 * TCP sessions over generic netlink, loopback TCP pairs standing in for an
 * application and its peer, stream reads with deadlines, RFC 8323 framing,
 * kTLS with fixed keys (no handshake), a record-by-record kTLS decryptor
 * for checking what went on the wire, and an nft table that silences a
 * peer.
 *
 * Conventions: functions return 0 or a count on success and -errno on
 * failure unless said otherwise; @ms arguments are deadlines from the call.
 */
#ifndef CKA_TCP_H
#define CKA_TCP_H

#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <linux/tls.h>

#include "cka_udp.h"

#ifndef SOL_TLS
#define SOL_TLS		282
#endif
#ifndef TCP_ULP
#define TCP_ULP		31
#endif

/* RFC 8323 signalling codes (class 7) */
#define COAP_TCP_CSM	0xE1	/* 7.01 */
#define COAP_TCP_PING	0xE2	/* 7.02 */
#define COAP_TCP_PONG	0xE3	/* 7.03 */

/* What the kernel writes: a 7.02 Ping, or the empty 0.00 message. */
static const uint8_t coap_tcp_ping_msg[2] = { 0x00, COAP_TCP_PING };
static const uint8_t coap_tcp_empty_msg[2] = { 0x00, 0x00 };
/* What an application writes first: a CSM with no options. */
static const uint8_t coap_tcp_csm_msg[2] = { 0x00, COAP_TCP_CSM };
/* A peer's Pong with one empty option (Custody, delta 2): 10 E3 20. */
static const uint8_t coap_tcp_pong_msg[3] = { 0x10, COAP_TCP_PONG, 0x20 };

/* ------------------------------------------------------------------ */
/* sessions                                                            */

/*
 * SESSION_ADD of TCP socket @fd to context @ctx: @transport is a
 * COAP_KA_TRANSPORT_* or -1 for none; @pairs (type, u32 value, ..., 0;
 * may be NULL) are per-session settings overrides. The reply goes to
 * @out if not NULL. Returns the session id or -errno (nl->msg holds the
 * extack message).
 */
static inline long tcp_session_add(struct cka_nl *nl, long ctx, int fd, int transport,
				   const uint32_t *pairs, struct cka_ev *out)
{
	return session_add_full(nl, ctx, fd, NULL, transport, pairs, out);
}

/* The inode of socket @fd, as COAP_KA_A_SOCK_INODE reports it (0: error). */
static inline uint64_t cka_sock_ino(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : st.st_ino;
}

/* ------------------------------------------------------------------ */
/* TCP sockets                                                         */

static inline void tcp_nodelay(int fd, int on)
{
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

/* A TCP socket listening on @addr (IPv4 or IPv6 literal), any port. */
static inline int tcp_listener(const char *addr, int *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_fill(&ss, addr, 0);
	int fd, one = 1;

	if (!len)
		return -EINVAL;
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (void *)&ss, len) || listen(fd, 16) ||
	    getsockname(fd, (void *)&ss, &len)) {
		int err = -errno;

		close(fd);
		return err;
	}
	if (port)
		*port = sockaddr_port(&ss);
	return fd;
}

/*
 * A connected loopback pair over @addr ("127.0.0.1", "::1"): *@app is the
 * connecting side (the one handed to the kernel), *@peer the accepted
 * one. Both have TCP_NODELAY. Returns 0 or -errno.
 */
static inline int tcp_pair(const char *addr, int *app, int *peer)
{
	struct sockaddr_storage ss;
	int lfd, port = 0, a, p, err;
	socklen_t len;

	lfd = tcp_listener(addr, &port);
	if (lfd < 0)
		return lfd;
	len = sockaddr_fill(&ss, addr, port);
	a = socket(ss.ss_family, SOCK_STREAM, 0);
	if (a < 0 || connect(a, (void *)&ss, len)) {
		err = -errno;
		if (a >= 0)
			close(a);
		close(lfd);
		return err;
	}
	p = accept(lfd, NULL, NULL);
	err = -errno;
	close(lfd);
	if (p < 0) {
		close(a);
		return err;
	}
	tcp_nodelay(a, 1);
	tcp_nodelay(p, 1);
	*app = a;
	*peer = p;
	return 0;
}

/* Send all of @buf (blocking), with @flags; 0 or -errno. */
static inline int send_all(int fd, const void *buf, size_t len, int flags)
{
	const uint8_t *b = buf;

	while (len) {
		ssize_t n = send(fd, b, len, flags | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		b += n;
		len -= n;
	}
	return 0;
}

/*
 * Have the kernel stamp what @fd receives (SO_TIMESTAMPNS): read_exact()
 * then reports when the bytes reached the socket rather than when the
 * test got around to reading them.
 */
static inline int tcp_stamp_arrivals(int fd)
{
	int one = 1;

	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)))
		return -errno;
	return 0;
}

/*
 * Read exactly @len bytes of stream @fd within @ms. Returns @len, or how
 * many came before the deadline (0..len-1), or before EOF; -errno if an
 * error came before any byte. *@t (if not NULL) gets the time the first
 * byte arrived: the kernel's receive stamp if tcp_stamp_arrivals() was
 * called on @fd, else the time it was read.
 */
static inline ssize_t read_exact(int fd, void *buf, size_t len, int ms, double *t)
{
	double end = now_ms() + ms;
	uint8_t *b = buf;
	size_t got = 0;

	while (got < len) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		char cbuf[CMSG_SPACE(sizeof(struct timespec)) * 2];
		struct iovec iov = { b + got, len - got };
		struct msghdr msg = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
		};
		int left = end - now_ms();
		struct cmsghdr *c;
		ssize_t n;

		if (left < 0)
			left = 0;
		n = poll(&pfd, 1, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return got ? (ssize_t)got : -errno;
		if (!n)
			break;
		n = recvmsg(fd, &msg, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			return got ? (ssize_t)got : -errno;
		if (!n)
			break;
		if (!got && t) {
			*t = now_ms();
			for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
				struct timespec ts;

				if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS)
					continue;
				memcpy(&ts, CMSG_DATA(c), sizeof(ts));
				*t = realtime_to_ms(&ts);
			}
		}
		got += n;
	}
	return got;
}

/*
 * Nothing readable arrives on @fd within @ms: true if poll() saw nothing
 * (no data, no EOF, no error) for the whole time.
 */
static inline bool stream_quiet(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int n;

	do
		n = poll(&pfd, 1, ms);
	while (n < 0 && errno == EINTR);
	return n == 0;
}

/* Bytes waiting in @fd's receive queue (FIONREAD), or -errno. */
static inline int stream_pending(int fd)
{
	int n;

	if (ioctl(fd, FIONREAD, &n))
		return -errno;
	return n;
}

/* Make the close of @fd send an RST (SO_LINGER {1, 0}). */
static inline void tcp_rst_on_close(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

/* ------------------------------------------------------------------ */
/* RFC 8323 framing                                                    */

/* One message of a CoAP-over-TCP stream. */
struct coap_tcp_msg {
	uint8_t code;
	uint8_t tkl;
	const uint8_t *token;
	const uint8_t *body;	/* options, payload marker and payload */
	size_t blen;
	size_t len;		/* the whole message */
};

/*
 * Write a message to @buf: @code, token @tok of @tkl bytes (0..8), and
 * @blen bytes of options/payload @body. Returns its length.
 */
static inline size_t coap_tcp_frame(uint8_t *buf, uint8_t code, const uint8_t *tok,
				    int tkl, const uint8_t *body, size_t blen)
{
	size_t n = 1;

	if (blen < 13) {
		buf[0] = blen << 4;
	} else if (blen < 269) {
		buf[0] = 13 << 4;
		buf[n++] = blen - 13;
	} else if (blen < 65805) {
		buf[0] = 14 << 4;
		buf[n++] = (blen - 269) >> 8;
		buf[n++] = (blen - 269) & 0xff;
	} else {
		uint32_t ext = blen - 65805;

		buf[0] = 15 << 4;
		buf[n++] = ext >> 24;
		buf[n++] = ext >> 16;
		buf[n++] = ext >> 8;
		buf[n++] = ext;
	}
	buf[0] |= tkl;
	buf[n++] = code;
	if (tkl)
		memcpy(buf + n, tok, tkl);
	n += tkl;
	if (blen)
		memcpy(buf + n, body, blen);
	return n + blen;
}

/*
 * Parse the message at the start of @buf (@n bytes): its whole length if
 * complete (filling @m), 0 if more bytes are needed, -1 if malformed
 * (TKL 9..15).
 */
static inline ssize_t coap_tcp_parse(const uint8_t *buf, size_t n, struct coap_tcp_msg *m)
{
	size_t hdr, blen;
	int len, tkl;

	if (n < 1)
		return 0;
	len = buf[0] >> 4;
	tkl = buf[0] & 15;
	if (tkl > 8)
		return -1;
	hdr = len == 13 ? 2 : len == 14 ? 3 : len == 15 ? 5 : 1;
	if (n < hdr + 1)
		return 0;
	switch (len) {
	case 13:
		blen = buf[1] + 13;
		break;
	case 14:
		blen = (buf[1] << 8 | buf[2]) + 269;
		break;
	case 15:
		blen = ((size_t)buf[1] << 24 | buf[2] << 16 | buf[3] << 8 | buf[4]) + 65805;
		break;
	default:
		blen = len;
	}
	if (n < hdr + 1 + tkl + blen)
		return 0;
	m->code = buf[hdr];
	m->tkl = tkl;
	m->token = buf + hdr + 1;
	m->body = buf + hdr + 1 + tkl;
	m->blen = blen;
	m->len = hdr + 1 + tkl + blen;
	return m->len;
}

/* ------------------------------------------------------------------ */
/* kTLS with fixed keys                                                */

/* One direction's kTLS parameters, as setsockopt(SOL_TLS, TLS_TX/RX) takes them. */
struct ktls_keys {
	union {
		struct tls_crypto_info info;
		struct tls12_crypto_info_aes_gcm_128 g128;
		struct tls12_crypto_info_aes_gcm_256 g256;
		struct tls12_crypto_info_chacha20_poly1305 chacha;
	};
	socklen_t len;
};

/*
 * Fill @k for TLS @version (TLS_1_2_VERSION, TLS_1_3_VERSION) and @cipher
 * (TLS_CIPHER_AES_GCM_128, _256, CHACHA20_POLY1305) with keys derived
 * from @seed (use another seed per direction) and record sequence 0.
 * Returns 0, or -EINVAL for another cipher.
 */
static inline int ktls_keys_init(struct ktls_keys *k, uint16_t version, uint16_t cipher,
				 uint8_t seed)
{
	uint8_t *key, *iv, *salt;
	size_t klen, ivlen, slen, i;

	memset(k, 0, sizeof(*k));
	switch (cipher) {
	case TLS_CIPHER_AES_GCM_128:
		k->len = sizeof(k->g128);
		key = k->g128.key, klen = sizeof(k->g128.key);
		iv = k->g128.iv, ivlen = sizeof(k->g128.iv);
		salt = k->g128.salt, slen = sizeof(k->g128.salt);
		break;
	case TLS_CIPHER_AES_GCM_256:
		k->len = sizeof(k->g256);
		key = k->g256.key, klen = sizeof(k->g256.key);
		iv = k->g256.iv, ivlen = sizeof(k->g256.iv);
		salt = k->g256.salt, slen = sizeof(k->g256.salt);
		break;
	case TLS_CIPHER_CHACHA20_POLY1305:
		k->len = sizeof(k->chacha);
		key = k->chacha.key, klen = sizeof(k->chacha.key);
		iv = k->chacha.iv, ivlen = sizeof(k->chacha.iv);
		salt = NULL, slen = 0;
		break;
	default:
		return -EINVAL;
	}
	k->info.version = version;
	k->info.cipher_type = cipher;
	for (i = 0; i < klen; i++)
		key[i] = seed * 31 + i * 7 + 1;
	for (i = 0; i < ivlen; i++)
		iv[i] = seed * 17 + i * 3 + 5;
	for (i = 0; i < slen; i++)
		salt[i] = seed * 13 + i + 9;
	return 0;
}

/* Bytes a record adds to its plaintext on the wire, header not counted. */
static inline size_t ktls_overhead(const struct ktls_keys *k)
{
	size_t tag = 16;

	if (k->info.version == TLS_1_3_VERSION)
		return 1 + tag;		/* inner content type */
	if (k->info.cipher_type == TLS_CIPHER_CHACHA20_POLY1305)
		return tag;
	return 8 + tag;			/* explicit nonce */
}

/* Attach the "tls" upper layer protocol to @fd (EEXIST if it has it). */
static inline int ktls_ulp(int fd)
{
	if (setsockopt(fd, IPPROTO_TCP, TCP_ULP, "tls", sizeof("tls")))
		return -errno;
	return 0;
}

/* Install @k as @fd's TLS_TX or TLS_RX keys (the ULP must be attached). */
static inline int ktls_set(int fd, int dir, const struct ktls_keys *k)
{
	if (setsockopt(fd, SOL_TLS, dir, k, k->len))
		return -errno;
	return 0;
}

/* Attach the ULP if needed, then install @tx and @rx (either may be NULL). */
static inline int ktls_install(int fd, const struct ktls_keys *tx, const struct ktls_keys *rx)
{
	int err = ktls_ulp(fd);

	if (err && err != -EEXIST)
		return err;
	if (tx && (err = ktls_set(fd, TLS_TX, tx)))
		return err;
	if (rx && (err = ktls_set(fd, TLS_RX, rx)))
		return err;
	return 0;
}

/*
 * Both ends of a pair: @app sends with @a2p and receives with @p2a, @peer
 * the other way round.
 */
static inline int ktls_pair(int app, int peer, const struct ktls_keys *a2p,
			    const struct ktls_keys *p2a)
{
	int err = ktls_install(app, a2p, p2a);

	return err ? err : ktls_install(peer, p2a, a2p);
}

/*
 * Load the tls module and check that kTLS works with @version/@cipher on a
 * loopback pair. Returns NULL, or why not (for SKIP).
 */
static inline const char *ktls_probe(uint16_t version, uint16_t cipher)
{
	static char why[128];
	struct ktls_keys k;
	int a = -1, p = -1, err;
	char c = 0;

	/* built in, or absent: the setsockopt() tells */
	err = system("modprobe tls >/dev/null 2>&1");
	if (ktls_keys_init(&k, version, cipher, 0))
		return "cipher not known to the test";
	err = tcp_pair("127.0.0.1", &a, &p);
	if (err) {
		snprintf(why, sizeof(why), "no loopback TCP pair: %s", strerror(-err));
		return why;
	}
	err = ktls_pair(a, p, &k, &k);
	if (!err && (send(a, "x", 1, 0) != 1 || read_exact(p, &c, 1, 2000, NULL) != 1 ||
		     c != 'x'))
		err = -EIO;
	close(a);
	close(p);
	if (err) {
		snprintf(why, sizeof(why), "kTLS (version %#x cipher %u) unavailable: %s",
			 version, cipher, strerror(-err));
		return why;
	}
	return NULL;
}

/*
 * Read one raw TLS record (5-byte header and body) from plain TCP socket
 * @fd within @ms. Returns its whole length, 0 on timeout or EOF before a
 * whole record, -EMSGSIZE if it does not fit @size, -errno on error.
 * *@t (if not NULL) gets the time its first byte was read.
 */
static inline ssize_t tls_read_record(int fd, uint8_t *rec, size_t size, int ms, double *t)
{
	double end = now_ms() + ms;
	size_t body;
	ssize_t n;

	if (size < 5)
		return -EMSGSIZE;
	n = read_exact(fd, rec, 5, ms, t);
	if (n < 0)
		return n;
	if (n < 5)
		return 0;
	body = rec[3] << 8 | rec[4];
	if (5 + body > size)
		return -EMSGSIZE;
	ms = end - now_ms();
	n = read_exact(fd, rec + 5, body, ms < 0 ? 0 : ms, NULL);
	if (n < 0)
		return n;
	return (size_t)n == body ? (ssize_t)(5 + body) : 0;
}

/*
 * A decryptor for records read raw off the wire: a loopback pair whose
 * receiving end has kTLS RX with the keys the records were sealed with.
 * Feed it every record of the direction, in order, from the first one
 * (the record sequence advances with each).
 */
struct tls_relay {
	int w, r;
};

static inline int tls_relay_open(struct tls_relay *rl, const struct ktls_keys *k)
{
	int err = tcp_pair("127.0.0.1", &rl->w, &rl->r);

	if (err)
		return err;
	err = ktls_install(rl->r, NULL, k);
	if (err) {
		close(rl->w);
		close(rl->r);
		rl->w = rl->r = -1;
	}
	return err;
}

static inline void tls_relay_close(struct tls_relay *rl)
{
	if (rl->w >= 0)
		close(rl->w);
	if (rl->r >= 0)
		close(rl->r);
	rl->w = rl->r = -1;
}

/*
 * Decrypt the raw record @rec (@len bytes, header included) into @out.
 * Returns the plaintext length (the whole record: at most @size bytes are
 * kept), -EBADMSG if it does not authenticate, -errno otherwise; *@type
 * (if not NULL) gets the record's content type.
 */
static inline ssize_t tls_relay_decrypt(struct tls_relay *rl, const uint8_t *rec, size_t len,
					uint8_t *out, size_t size, uint8_t *type)
{
	char cbuf[CMSG_SPACE(sizeof(uint8_t))];
	struct iovec iov = { out, size };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct pollfd pfd = { .fd = rl->r, .events = POLLIN };
	struct cmsghdr *c;
	ssize_t n;
	int err;

	err = send_all(rl->w, rec, len, 0);
	if (err)
		return err;
	/* kTLS RX wakes up only once the whole record is there */
	if (poll(&pfd, 1, 5000) != 1)
		return -ETIMEDOUT;
	n = recvmsg(rl->r, &msg, MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	if (type) {
		*type = 23;
		for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
			if (c->cmsg_level == SOL_TLS && c->cmsg_type == TLS_GET_RECORD_TYPE)
				*type = *CMSG_DATA(c);
	}
	return n;
}

/* ------------------------------------------------------------------ */
/* a silent peer: nft                                                  */

/*
 * nft_drop(): in nft table inet @table, a chain on @hook (input or output)
 * at @prio that drops every TCP segment whose @dir ("sport" or "dport") is
 * @port; on loopback an input rule on the peer's sport drops everything
 * the peer sends, ACKs too. One nft run (an exec costs about a second on
 * the debug kernel). Returns 0, or -1 (nft missing or refused).
 */
static int cka_nft_made;	/* this process made a table: delete it */

static inline int nft_drop(const char *table, const char *hook, int prio,
			   const char *dir, int port)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd),
		 "nft 'add table inet %1$s; "
		 "add chain inet %1$s %2$s { type filter hook %2$s priority %3$d; }; "
		 "add rule inet %1$s %2$s tcp %4$s %5$d drop'",
		 table, hook, prio, dir, port);
	cka_nft_made = 1;
	return system(cmd) ? -1 : 0;
}

/* Drop, on the input hook, everything the peer bound to @sport sends. */
static inline int nft_drop_sport(const char *table, int sport)
{
	return nft_drop(table, "input", -10, "sport", sport);
}

/* Delete the table, if this process made one. */
static inline void nft_table_del(const char *table)
{
	char cmd[256];
	int rc;

	if (!cka_nft_made)
		return;
	snprintf(cmd, sizeof(cmd), "nft delete table inet %s >/dev/null 2>&1", table);
	rc = system(cmd);	/* not there: fine */
	(void)rc;
	cka_nft_made = 0;
}

#endif /* CKA_TCP_H */
