/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/coap_keepalive.yaml */
/* YNL-GEN uapi header */

#ifndef _UAPI_LINUX_COAP_KEEPALIVE_H
#define _UAPI_LINUX_COAP_KEEPALIVE_H

#define COAP_KA_GENL_NAME	"coap_keepalive"
#define COAP_KA_GENL_VERSION	1

/**
 * enum coap_ka_limits - Limits and defaults of the settings attributes (see
 *   each attribute). The attributes' checks in the spec carry the same
 *   numbers; the kernel refuses values outside them with ERANGE.
 * @COAP_KA_KEEPALIVE_SECS_MAX: keepalive-secs at most one day
 * @COAP_KA_ACK_TIMEOUT_MS_MIN: ack-timeout-ms at least 10 ms
 * @COAP_KA_ACK_TIMEOUT_MS_MAX: ack-timeout-ms at most a minute
 * @COAP_KA_ACK_TIMEOUT_MS_DEFAULT: RFC 7252 ACK_TIMEOUT
 * @COAP_KA_RANDOM_FACTOR_MIN: ack-random-factor at least 1.0, the RFC's lower
 *   bound
 * @COAP_KA_RANDOM_FACTOR_MAX: ack-random-factor at most 4.0
 * @COAP_KA_RANDOM_FACTOR_DEFAULT: RFC 7252 ACK_RANDOM_FACTOR (1.5)
 * @COAP_KA_MAX_RETRANSMIT_MAX: max-retransmit at most 10
 * @COAP_KA_MAX_RETRANSMIT_DEFAULT: RFC 7252 MAX_RETRANSMIT
 * @COAP_KA_PONG_TIMEOUT_MS_MAX: pong-timeout-ms at most one hour
 * @COAP_KA_JITTER_PCT_MAX: jitter-pct at most 50 percent
 */
enum coap_ka_limits {
	COAP_KA_KEEPALIVE_SECS_MAX = 86400,
	COAP_KA_ACK_TIMEOUT_MS_MIN = 10,
	COAP_KA_ACK_TIMEOUT_MS_MAX = 60000,
	COAP_KA_ACK_TIMEOUT_MS_DEFAULT = 2000,
	COAP_KA_RANDOM_FACTOR_MIN = 1000,
	COAP_KA_RANDOM_FACTOR_MAX = 4000,
	COAP_KA_RANDOM_FACTOR_DEFAULT = 1500,
	COAP_KA_MAX_RETRANSMIT_MAX = 10,
	COAP_KA_MAX_RETRANSMIT_DEFAULT = 4,
	COAP_KA_PONG_TIMEOUT_MS_MAX = 3600000,
	COAP_KA_JITTER_PCT_MAX = 50,
};

/**
 * enum coap_ka_activity - what counts as activity on a session
 * @COAP_KA_ACTIVITY_RXTX: any message sent to or received from the peer
 *   (libcoap's semantics, the default)
 * @COAP_KA_ACTIVITY_RX: only messages received from the peer (TCP keepalive's
 *   semantics): a session that only sends is still pinged
 */
enum coap_ka_activity {
	COAP_KA_ACTIVITY_RXTX,
	COAP_KA_ACTIVITY_RX,

	/* private: */
	__COAP_KA_ACTIVITY_MAX,
	COAP_KA_ACTIVITY_MAX = (__COAP_KA_ACTIVITY_MAX - 1)
};

/**
 * enum coap_ka_action - what to do when a Ping is not answered
 * @COAP_KA_ACTION_NOTIFY: report it (NACK event) and ping again after the next
 *   idle period (the default, libcoap's nack handler)
 * @COAP_KA_ACTION_ABORT: report it, then end the session: a connected socket
 *   gets ETIMEDOUT as TCP keepalive does (a TCP connection is aborted, an RST
 *   is sent); a session of an unconnected UDP socket is removed
 */
enum coap_ka_action {
	COAP_KA_ACTION_NOTIFY,
	COAP_KA_ACTION_ABORT,

	/* private: */
	__COAP_KA_ACTION_MAX,
	COAP_KA_ACTION_MAX = (__COAP_KA_ACTION_MAX - 1)
};

/**
 * enum coap_ka_flags - bits of the flags attribute (COAP_KA_F_MASK has them
 *   all)
 * @COAP_KA_F_ANSWER_PINGS: UDP: the kernel answers the peer's empty
 *   Confirmable (its Ping) with a Reset and consumes it, so the application is
 *   not woken by the peer's keepalives (no effect on TCP)
 * @COAP_KA_F_EMPTY_PING: TCP/TLS: send the empty 0.00 message (00 00, which
 *   the peer must ignore, RFC 8323 section 5.4) instead of a 7.02 Ping;
 *   liveness then comes from TCP's acknowledgment of it (no effect on UDP)
 */
enum coap_ka_flags {
	COAP_KA_F_ANSWER_PINGS = 1,
	COAP_KA_F_EMPTY_PING = 2,

	/* private: */
	COAP_KA_F_MASK = 3,
};

/**
 * enum coap_ka_transport - what a session's socket carries
 * @COAP_KA_TRANSPORT_UDP: CoAP over UDP (RFC 7252)
 * @COAP_KA_TRANSPORT_DTLS: CoAP over DTLS; never accepted (EOPNOTSUPP): the
 *   kernel has no DTLS record layer and no keys, so it cannot send a Ping the
 *   peer would accept
 * @COAP_KA_TRANSPORT_TCP: CoAP over TCP (RFC 8323, coap+tcp)
 * @COAP_KA_TRANSPORT_TLS: CoAP over TLS (RFC 8323, coaps+tcp) with kTLS; in a
 *   request, the socket may get its kTLS keys later (the kernel waits for them
 *   before it pings); a TCP session whose socket gets kTLS later becomes a TLS
 *   session
 */
enum coap_ka_transport {
	COAP_KA_TRANSPORT_UDP,
	COAP_KA_TRANSPORT_DTLS,
	COAP_KA_TRANSPORT_TCP,
	COAP_KA_TRANSPORT_TLS,

	/* private: */
	__COAP_KA_TRANSPORT_MAX,
	COAP_KA_TRANSPORT_MAX = (__COAP_KA_TRANSPORT_MAX - 1)
};

/**
 * enum coap_ka_state - where a session's keepalive stands
 * @COAP_KA_STATE_IDLE: waiting for the session to go idle (or keepalive is
 *   disabled in its context)
 * @COAP_KA_STATE_PINGING: a Ping is out and not yet answered
 */
enum coap_ka_state {
	COAP_KA_STATE_IDLE,
	COAP_KA_STATE_PINGING,
};

/**
 * enum coap_ka_nack_reason - why a Ping failed
 * @COAP_KA_NACK_TOO_MANY_RETRIES: UDP: no answer after the last retransmission
 *   (libcoap's COAP_NACK_TOO_MANY_RETRIES)
 * @COAP_KA_NACK_NO_PONG: TCP/TLS: no byte from the peer (with
 *   COAP_KA_F_EMPTY_PING: no acknowledgment) within the pong timeout
 */
enum coap_ka_nack_reason {
	COAP_KA_NACK_TOO_MANY_RETRIES,
	COAP_KA_NACK_NO_PONG,
};

/**
 * enum coap_ka_gone_reason - why a session ended
 * @COAP_KA_GONE_CLOSED: the application closed the socket (TCP: also shut down
 *   its sending side; at the close() call, also when the socket then lingers
 *   as an orphan)
 * @COAP_KA_GONE_REMOVED: COAP_KA_CMD_SESSION_DEL
 * @COAP_KA_GONE_ABORTED: the context's action was COAP_KA_ACTION_ABORT
 * @COAP_KA_GONE_CTX_DELETED: its context was deleted
 * @COAP_KA_GONE_NETNS: its network namespace went away
 * @COAP_KA_GONE_PEER_CLOSED: TCP: the peer closed the connection (FIN)
 * @COAP_KA_GONE_PEER_RESET: TCP: the peer reset the connection (RST)
 * @COAP_KA_GONE_CONN_LOST: TCP: TCP itself gave the connection up (its
 *   retransmissions, user timeout or keepalive ran out, or an ICMP error)
 * @COAP_KA_GONE_UNSUPPORTED: TCP: the socket got kTLS the kernel cannot ping
 *   through (hardware offload, or another cipher than those listed at
 *   COAP_KA_CMD_SESSION_ADD)
 * @COAP_KA_GONE_DISCONNECTED: the socket was disconnected: TCP:
 *   connect(AF_UNSPEC); UDP: connected to another peer than the session's, or
 *   disconnected and so unbound
 * @COAP_KA_GONE_SOCKET_CHANGED: the application changed the socket in a way
 *   the kernel cannot keep it alive through: UDP: UDP_ENCAP or IPV6_ADDRFORM;
 *   TCP: an upper layer protocol other than kTLS
 */
enum coap_ka_gone_reason {
	COAP_KA_GONE_CLOSED,
	COAP_KA_GONE_REMOVED,
	COAP_KA_GONE_ABORTED,
	COAP_KA_GONE_CTX_DELETED,
	COAP_KA_GONE_NETNS,
	COAP_KA_GONE_PEER_CLOSED,
	COAP_KA_GONE_PEER_RESET,
	COAP_KA_GONE_CONN_LOST,
	COAP_KA_GONE_UNSUPPORTED,
	COAP_KA_GONE_DISCONNECTED,
	COAP_KA_GONE_SOCKET_CHANGED,
};

enum coap_ka_attr {
	COAP_KA_A_UNSPEC,
	COAP_KA_A_CTX_ID,
	COAP_KA_A_OWNER_UID,
	COAP_KA_A_KEEPALIVE_SECS,
	COAP_KA_A_ACK_TIMEOUT_MS,
	COAP_KA_A_ACK_RANDOM_FACTOR,
	COAP_KA_A_MAX_RETRANSMIT,
	COAP_KA_A_PONG_TIMEOUT_MS,
	COAP_KA_A_ACTIVITY,
	COAP_KA_A_JITTER_PCT,
	COAP_KA_A_ACTION,
	COAP_KA_A_FLAGS,
	COAP_KA_A_SESSIONS,
	COAP_KA_A_PAD,
	COAP_KA_A_SESSION_ID,
	COAP_KA_A_SOCK_FD,
	COAP_KA_A_SOCK_INODE,
	COAP_KA_A_TRANSPORT,
	COAP_KA_A_PEER_IPV4,
	COAP_KA_A_PEER_IPV6,
	COAP_KA_A_PEER_PORT,
	COAP_KA_A_STATE,
	COAP_KA_A_PINGS,
	COAP_KA_A_RETRANSMISSIONS,
	COAP_KA_A_PONGS,
	COAP_KA_A_NACKS,
	COAP_KA_A_PEER_PINGS,
	COAP_KA_A_TX_AGE_MS,
	COAP_KA_A_RX_AGE_MS,
	COAP_KA_A_RTT_US,
	COAP_KA_A_MID,
	COAP_KA_A_NACK_REASON,
	COAP_KA_A_GONE_REASON,
	COAP_KA_A_PING_DEFERRALS,

	__COAP_KA_A_CNT,
	COAP_KA_A_MAX = (__COAP_KA_A_CNT - 1)
};

enum coap_ka_cmd {
	COAP_KA_CMD_UNSPEC,
	COAP_KA_CMD_CTX_NEW,
	COAP_KA_CMD_CTX_SET,
	COAP_KA_CMD_CTX_GET,
	COAP_KA_CMD_CTX_DEL,
	COAP_KA_CMD_SESSION_ADD,
	COAP_KA_CMD_SESSION_DEL,
	COAP_KA_CMD_SESSION_GET,
	COAP_KA_CMD_PONG_NTF,
	COAP_KA_CMD_NACK_NTF,
	COAP_KA_CMD_PING_NTF,
	COAP_KA_CMD_SESSION_GONE_NTF,

	__COAP_KA_CMD_CNT,
	COAP_KA_CMD_MAX = (__COAP_KA_CMD_CNT - 1)
};

#define COAP_KA_MCGRP_EVENTS	"events"

#endif /* _UAPI_LINUX_COAP_KEEPALIVE_H */
