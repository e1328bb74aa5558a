/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * libcoapka - let the kernel's coap_keepalive module keep an application's
 * own CoAP sessions alive.
 *
 * The shape follows libcoap: a context holds keepalive settings
 * (coap_context_set_keepalive()), sockets are attached to it, and the
 * application hears about Pongs, NACKs, the peer's Pings and sessions
 * that end through handlers registered like coap_register_pong_handler()
 * and coap_register_nack_handler().
 *
 *	struct coapka *h = coapka_open();
 *	uint32_t ctx = 0, sid;
 *
 *	coapka_register_pong_handler(h, on_pong);
 *	coapka_register_nack_handler(h, on_nack);
 *	coapka_context_set_keepalive(h, 30, NULL, &ctx);
 *	coapka_attach_fd(h, ctx, fd, COAPKA_TRANSPORT_UDP, NULL, &sid);
 *	... poll() on coapka_fd(h) with the application's own descriptors;
 *	    when it is readable: coapka_dispatch(h);
 *	coapka_close(h);
 *
 * Events. The kernel sends every event of a session to the netlink socket
 * that added it (by unicast), so a handle receives the events of the
 * sessions it attached, and only those, without any privilege; no
 * multicast group is joined. Closing the handle stops them; the
 * sessions and contexts stay in the kernel until the sockets are closed
 * (or coapka_detach(), coapka_context_free()).
 *
 * Errors. Functions that can fail return 0 (or a count) on success and a
 * negative errno on failure; coapka_strerror() then gives the reason in
 * words, with the kernel's own explanation (its extended ACK) when there
 * is one. A handle is not thread-safe: use it from one thread at a time.
 *
 * Build: pkg-config --cflags --libs coapka
 */
#ifndef COAPKA_H
#define COAPKA_H

#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define COAPKA_API	__attribute__((visibility("default")))
#else
#define COAPKA_API
#endif

/** Opaque handle: one netlink socket to the coap_keepalive module. */
struct coapka;

/** What an attached socket carries (uapi enum coap_ka_transport). */
enum coapka_transport {
	COAPKA_TRANSPORT_UDP = 0,	/**< CoAP over UDP (RFC 7252) */
	COAPKA_TRANSPORT_TCP = 2,	/**< CoAP over TCP (RFC 8323) */
	COAPKA_TRANSPORT_TLS = 3,	/**< CoAP over TLS with kTLS */
	COAPKA_TRANSPORT_AUTO = 255,	/**< let the kernel tell from the socket */
};

/** Why a Ping went unanswered (uapi enum coap_ka_nack_reason). */
enum coapka_nack_reason {
	/** UDP: no answer after the last retransmission */
	COAPKA_NACK_TOO_MANY_RETRIES = 0,
	/** TCP/TLS: nothing from the peer within the pong timeout */
	COAPKA_NACK_NO_PONG = 1,
	/** UDP: an ICMP error (port/host unreachable) came back for the Ping */
	COAPKA_NACK_UNREACHABLE = 2,
};

/**
 * Why a session ended (uapi enum coap_ka_gone_reason): 0 the socket was
 * closed, 1 coapka_detach(), 2 aborted after a NACK, 3 its context was
 * freed, 4 its network namespace went away, 5 the peer closed (TCP),
 * 6 the peer reset (TCP), 7 TCP gave the connection up, 8 unsupported
 * kTLS, 9 the socket was disconnected, 10 the socket was changed.
 */
enum coapka_gone_reason {
	COAPKA_GONE_CLOSED = 0,
	COAPKA_GONE_REMOVED = 1,
	COAPKA_GONE_ABORTED = 2,
	COAPKA_GONE_CTX_DELETED = 3,
	COAPKA_GONE_NETNS = 4,
	COAPKA_GONE_PEER_CLOSED = 5,
	COAPKA_GONE_PEER_RESET = 6,
	COAPKA_GONE_CONN_LOST = 7,
	COAPKA_GONE_UNSUPPORTED = 8,
	COAPKA_GONE_DISCONNECTED = 9,
	COAPKA_GONE_SOCKET_CHANGED = 10,
};

/** Bits of struct coapka_params.set: which fields to send. */
enum coapka_param_bits {
	COAPKA_P_ACK_TIMEOUT_MS = 1U << 0,
	COAPKA_P_ACK_RANDOM_FACTOR = 1U << 1,
	COAPKA_P_MAX_RETRANSMIT = 1U << 2,
	COAPKA_P_PONG_TIMEOUT_MS = 1U << 3,
	COAPKA_P_JITTER_PCT = 1U << 4,
	COAPKA_P_ABORT = 1U << 5,
	COAPKA_P_FLAGS = 1U << 6,
};

/**
 * Optional RFC 7252 / RFC 8323 settings of a context. Only the fields
 * whose COAPKA_P_* bit is in @set are sent; the others keep the kernel's
 * default (new context) or their current value (existing context).
 */
struct coapka_params {
	uint32_t set;			/**< COAPKA_P_* bits */
	/** ACK_TIMEOUT in ms (10..60000, default 2000) */
	uint32_t ack_timeout_ms;
	/** ACK_RANDOM_FACTOR in thousandths (1000..4000, default 1500) */
	uint32_t ack_random_factor;
	/** MAX_RETRANSMIT (0..10, default 4; 0: the Ping is sent once) */
	uint32_t max_retransmit;
	/** TCP/TLS: ms to wait for the peer after a Ping (0: the keepalive
	 *  interval, the default; at most 3600000) */
	uint32_t pong_timeout_ms;
	/** percent of the interval a Ping may come early (0..50, default 0) */
	uint32_t jitter_pct;
	/** 1: end the session after a NACK; 0: report it only (default) */
	uint32_t abort;
	/** uapi COAP_KA_F_* bits (answer the peer's Pings, empty TCP Ping) */
	uint32_t flags;
};

/** Peer of an unconnected UDP socket, for coapka_attach_fd(). */
struct coapka_attach_opts {
	const struct sockaddr *peer;	/**< sockaddr_in or sockaddr_in6 */
	socklen_t peer_len;
};

/** What an event is about. Valid only during the handler call. */
struct coapka_event {
	uint32_t session_id;		/**< from coapka_attach_fd() */
	uint32_t ctx_id;
	uint64_t sock_inode;		/**< the socket's inode ("socket:[N]") */
	struct sockaddr_storage peer;	/**< AF_INET/AF_INET6, or AF_UNSPEC */
	int32_t mid;			/**< UDP Ping's Message ID, -1 if none */
	int64_t rtt_us;			/**< PONG: round trip in µs, -1 if none */
	int32_t retransmissions;	/**< NACK (UDP): retransmissions, -1 if none */
	int32_t reason;			/**< NACK: coapka_nack_reason;
					 *  SESSION_GONE: coapka_gone_reason;
					 *  -1 otherwise */
};

/** A Ping of ours was answered (libcoap's pong handler). */
typedef void (*coapka_pong_handler_t)(struct coapka *h,
				      const struct coapka_event *ev);
/** A Ping of ours went unanswered (libcoap's nack handler with
 *  COAP_NACK_TOO_MANY_RETRIES). */
typedef void (*coapka_nack_handler_t)(struct coapka *h,
				      const struct coapka_event *ev);
/** The peer pinged us (libcoap's ping handler; UDP only). */
typedef void (*coapka_ping_handler_t)(struct coapka *h,
				      const struct coapka_event *ev);
/** A session ended; its id is no longer valid afterwards. */
typedef void (*coapka_session_gone_handler_t)(struct coapka *h,
					      const struct coapka_event *ev);

/**
 * coapka_open() - open a handle: a generic netlink socket, the family and
 * its events resolved.
 *
 * Return: the handle, or NULL with errno set (ENOENT: the coap_keepalive
 * module is not loaded; ENOMEM; a socket error).
 */
COAPKA_API struct coapka *coapka_open(void);

/**
 * coapka_close() - close the handle and free it. Sessions and contexts
 * stay in the kernel (they end with their sockets); their events are no
 * longer delivered. NULL is ignored.
 */
COAPKA_API void coapka_close(struct coapka *h);

/**
 * coapka_fd() - the descriptor to add to the application's poll/epoll set
 * (readable when events are pending). Do not read it yourself.
 *
 * Return: a file descriptor, valid until coapka_close().
 */
COAPKA_API int coapka_fd(const struct coapka *h);

/**
 * coapka_dispatch() - read the pending events without blocking and call
 * the registered handlers, in order. Events that arrived during another
 * call of the library are kept for this one.
 *
 * Return: the number of events handled (0: none pending), or -ENOBUFS if
 * events were lost because the socket's receive buffer overran (those
 * that were read are still dispatched; call again), or another -errno.
 */
COAPKA_API int coapka_dispatch(struct coapka *h);

/**
 * coapka_context_set_keepalive() - make or change a context, the mirror of
 * libcoap's coap_context_set_keepalive().
 * @h:       the handle
 * @seconds: idle seconds before a Ping; 0 disables keepalive for the
 *           context's sessions (at most 86400)
 * @params:  optional settings (NULL: none)
 * @ctx_id:  in: 0 to make a new context, or the id of one to change;
 *           out: the new context's id (1 or more)
 *
 * The context belongs to the calling user and lives in the caller's
 * network namespace until coapka_context_free() (closing the handle does
 * not free it). Sessions follow their context's changes live.
 *
 * Return: 0, or -errno: -EINVAL/-ERANGE a value out of range, -ENOENT no
 * such context of the caller's, -EDQUOT too many contexts;
 * coapka_strerror() names the kernel's reason.
 */
COAPKA_API int coapka_context_set_keepalive(struct coapka *h,
					    unsigned int seconds,
					    const struct coapka_params *params,
					    uint32_t *ctx_id);

/**
 * coapka_context_free() - delete a context and end its sessions (each
 * gets a session-gone event with COAPKA_GONE_CTX_DELETED).
 *
 * Return: 0, or -errno (-ENOENT: no such context of the caller's).
 */
COAPKA_API int coapka_context_free(struct coapka *h, uint32_t ctx_id);

/**
 * coapka_attach_fd() - hand a socket to the kernel: it is kept alive with
 * @ctx_id's settings and its events come to @h.
 * @h:          the handle
 * @ctx_id:     a context of the caller's
 * @fd:         the application's UDP or TCP socket (IPv4 or IPv6); a UDP
 *              socket must be bound (connect() binds it), a TCP one
 *              connected
 * @transport:  what it carries; COAPKA_TRANSPORT_AUTO lets the kernel tell
 * @opts:       NULL for a connected socket (its peer is the connected
 *              address); for an unconnected UDP socket, the peer
 * @session_id: out: the session's id (1 or more), as in the events
 *
 * The application keeps using the socket as before; the kernel's Pings
 * and the peer's answers to them never reach it.
 *
 * Return: 0, or -errno: -EDESTADDRREQ unbound or no peer, -ENOTCONN
 * unconnected TCP, -EEXIST already attached for this peer, -EBUSY a
 * socket used by another kernel user, -EOPNOTSUPP DTLS or an unsupported
 * upper layer, -ENOENT no such context, -EDQUOT too many sessions,
 * -EAFNOSUPPORT @opts->peer of another family than AF_INET/AF_INET6.
 */
COAPKA_API int coapka_attach_fd(struct coapka *h, uint32_t ctx_id, int fd,
				enum coapka_transport transport,
				const struct coapka_attach_opts *opts,
				uint32_t *session_id);

/** The most peers one coapka_attach_peers() call takes (the kernel's
 *  COAP_KA_SESSION_ADD_PEERS_MAX). */
#define COAPKA_ATTACH_PEERS_MAX	1024

/**
 * coapka_attach_peers() - hand an unconnected UDP socket to the kernel for
 * many peers at once: one request, one session per peer.
 * @h:           the handle
 * @ctx_id:      a context of the caller's
 * @fd:          the application's bound, unconnected UDP socket
 * @peers:       @n peers (sockaddr_in or sockaddr_in6 in each), no two the
 *               same
 * @n:           1 to COAPKA_ATTACH_PEERS_MAX
 * @session_ids: out: @n session ids, in the order of @peers (may be NULL)
 *
 * All or nothing: when any peer is refused no session of the call
 * remains (and a socket that had none is handed back); coapka_strerror()
 * then names the index of the peer that was refused (on kernels with
 * formatted extended ACK messages; not Debian's 6.1).
 *
 * Return: 0, or -errno as for coapka_attach_fd(), and -EINVAL for no
 * peers, more than COAPKA_ATTACH_PEERS_MAX, or a connected UDP or a TCP
 * socket; -EEXIST when a peer is in @peers twice or already attached.
 */
COAPKA_API int coapka_attach_peers(struct coapka *h, uint32_t ctx_id, int fd,
				   const struct sockaddr_storage *peers,
				   unsigned int n, uint32_t *session_ids);

/**
 * coapka_detach() - stop keeping a session alive; its socket is handed
 * back as the application had it (a session-gone event with
 * COAPKA_GONE_REMOVED follows).
 *
 * Return: 0, or -errno (-ENOENT: no such session of the caller's).
 */
COAPKA_API int coapka_detach(struct coapka *h, uint32_t session_id);

/**
 * coapka_register_pong_handler(), coapka_register_nack_handler(),
 * coapka_register_ping_handler(), coapka_register_session_gone_handler() -
 * set the function coapka_dispatch() calls for each event of that kind
 * (NULL: ignore them). Events without a handler are read and dropped.
 */
COAPKA_API void coapka_register_pong_handler(struct coapka *h,
					     coapka_pong_handler_t handler);
COAPKA_API void coapka_register_nack_handler(struct coapka *h,
					     coapka_nack_handler_t handler);
COAPKA_API void coapka_register_ping_handler(struct coapka *h,
					     coapka_ping_handler_t handler);
COAPKA_API void coapka_register_session_gone_handler(
	struct coapka *h, coapka_session_gone_handler_t handler);

/**
 * coapka_set_app_data(), coapka_get_app_data() - a pointer of the
 * application's kept with the handle (for its handlers), NULL at first.
 */
COAPKA_API void coapka_set_app_data(struct coapka *h, void *data);
COAPKA_API void *coapka_get_app_data(const struct coapka *h);

/**
 * coapka_strerror() - why the last failed call failed: "<strerror>" or
 * "<strerror>: <the kernel's extended ACK message>", or our own step
 * ("receiving the reply: ..."). "" if the last call succeeded.
 *
 * Return: a string owned by @h, valid until the next call on it.
 */
COAPKA_API const char *coapka_strerror(struct coapka *h);

#ifdef __cplusplus
}
#endif

#endif /* COAPKA_H */
