/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/coap_keepalive.yaml */
/* YNL-GEN uapi header */

#ifndef _UAPI_LINUX_COAP_KEEPALIVE_H
#define _UAPI_LINUX_COAP_KEEPALIVE_H

/*
 * In-kernel CoAP keepalive (RFC 7252 / RFC 8323 Pings). Generic netlink family
 * ``coap_keepalive`` (COAP_KA_GENL_NAME), version 1 (COAP_KA_GENL_VERSION).
 * Attribute and command numbers only ever grow.
 *
 * Objects
 *
 * A *context* is the kernel's coap_context_t: a set of keepalive settings (how
 * long a session may stay idle before a Ping, how Pings are retransmitted, what
 * happens when the peer does not answer). A *session* is a socket the
 * application hands over (UDP or TCP, plain or with kTLS) and its peer.
 * Sessions follow their context live: changing a context changes every session
 * that uses it, except for the settings a session overrides.
 *
 * Contexts live in the network namespace the request was sent in and die with
 * it.
 *
 * Privileges
 *
 * A context belongs to the user that made it: the effective uid of whoever
 * opened the netlink socket the request came on (not of the process that sent
 * it). A session belongs to its context's owner. An unprivileged user may
 * attach its own sockets (passing the file descriptor proves it may use the
 * socket) to its own contexts, and sees, changes and hears about only its own
 * contexts and sessions: another user's do not exist for it (ENOENT, absent
 * from dumps). A process with CAP_NET_ADMIN over the user namespace that owns
 * the network namespace (e.g. root of a user namespace that made its own
 * network namespace) sees and changes every context and session there. No
 * command needs a capability by itself.
 *
 * The ``events`` multicast group (COAP_KA_MCGRP_EVENTS) can be joined only with
 * CAP_NET_ADMIN over the network namespace's user namespace (on Debian's 6.1 as
 * on 6.7 and later); every event is also sent by unicast to the netlink socket
 * that added the session, while that socket is open.
 *
 * Limits: each user may own at most max_contexts_per_user contexts and
 * max_sessions_per_user sessions (module parameters, over all network
 * namespaces; EDQUOT past them). Contexts, sessions and the kernel's state for
 * a watched socket are charged to the memory cgroup of the process that made
 * them.
 *
 * Ping pacing: the sysctl net.coap_keepalive.ping_rate_limit (per network
 * namespace, writable with CAP_NET_ADMIN over its user namespace) caps the
 * Pings per second (first transmissions and retransmissions, UDP and TCP) the
 * namespace's sessions send in total: 0 (the default) is no limit, at most
 * 10000000. Pings over it wait their turn in the order they fell due; a waiting
 * Ping's retransmission or pong timeout runs from when it leaves.
 *
 * Events
 *
 * Events go to the ``events`` multicast group, and by unicast to the netlink
 * socket that added the session while it is open: pong-ntf, nack-ntf, ping-ntf,
 * session-gone-ntf. Each carries session-id, ctx-id, sock-inode and the peer,
 * plus what the event is about (see each command). A session ends when the
 * application closes its socket, on session-del, on abort, when its context is
 * deleted, and when the module is unloaded (then without an event; every socket
 * is handed back). A session-add that fails sends no event. The unicast copy
 * goes to the adding socket's port id until that socket is closed; a socket
 * that gets the same port id later gets none of them (but one event built just
 * as the old socket closes may still reach it).
 *
 * Errors
 *
 * Unknown attributes, attributes a command does not take, values out of range
 * and unknown flag bits are refused with EINVAL (ERANGE for ranges) and an
 * extended ACK naming the attribute.
 *
 * Not supported: an IPv6 link-local peer of an unconnected UDP socket (no scope
 * id is taken; connect the socket, or bind it to the device). DTLS sessions:
 * the kernel has no DTLS record layer.
 *
 * Peers that move or fail
 *
 * A session's peer is the address and port the application gave (or its socket
 * is connected to). When a NAT rebinds and the peer's datagrams arrive from a
 * new port, answers from that port are not the session's: they reach the
 * application's socket untouched, and the session NACKs (reason
 * too-many-retries) after its retransmissions; the application, which sees the
 * new port, adds a session for it. A hard ICMP error for a Ping (port or host
 * unreachable) fails it at once (reason unreachable); a Ping that cannot leave
 * at all (no route, interface down) counts as lost, so the session still NACKs
 * within the RFC 7252 bound and its idle clock keeps running. A peer that
 * restarts on the same port answers the next Ping after the NACK, and the
 * session goes on.
 *
 * Module unload
 *
 * From the moment unload begins no Ping (first or retransmission) leaves;
 * answers to Pings already out are still eaten for half a second, then every
 * socket is handed back. Unload waits for application threads that are inside a
 * send call on a watched socket (e.g. blocked for buffer space) to return.
 */
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
 * @COAP_KA_SESSION_ADD_PEERS_MAX: peer nests one session-add may carry
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
	COAP_KA_SESSION_ADD_PEERS_MAX = 1024,
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
 * @COAP_KA_NACK_UNREACHABLE: UDP: an ICMP or ICMPv6 error that UDP treats as
 *   hard (port or host unreachable, administratively prohibited, ...) came
 *   back for the Ping: it failed at once, without its retransmissions
 *   (libcoap's COAP_NACK_ICMP_ISSUE). The error is not reported to the
 *   application, which did not send the Ping.
 */
enum coap_ka_nack_reason {
	COAP_KA_NACK_TOO_MANY_RETRIES,
	COAP_KA_NACK_NO_PONG,
	COAP_KA_NACK_UNREACHABLE,
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

/**
 * enum coap_ka_attr - attributes of every command and event; the settings
 *   attributes (keepalive-secs .. flags) are those of a context, or a session's
 *   own overrides
 * @COAP_KA_A_UNSPEC: never used
 * @COAP_KA_A_CTX_ID: u32: Context id, 1 or more, unique in the network
 *   namespace; 0 is never a valid id.
 * @COAP_KA_A_OWNER_UID: u32: Read-only: the uid that owns the context, as seen
 *   from the reader's user namespace.
 * @COAP_KA_A_KEEPALIVE_SECS: u32: Seconds a session may stay idle before a Ping
 *   is sent; 0 disables keepalive (default 0, as in libcoap; at most
 *   COAP_KA_KEEPALIVE_SECS_MAX, one day).
 * @COAP_KA_A_ACK_TIMEOUT_MS: u32: Milliseconds, RFC 7252 ACK_TIMEOUT: the first
 *   retransmission of a UDP Ping waits a random time in [ack-timeout,
 *   ack-timeout times ack-random-factor], doubled at each retransmission
 *   (default 2000, range 10..60000).
 * @COAP_KA_A_ACK_RANDOM_FACTOR: u32: Thousandths, RFC 7252 ACK_RANDOM_FACTOR:
 *   1500 means 1.5 (default 1500, range 1000..4000).
 * @COAP_KA_A_MAX_RETRANSMIT: u32: RFC 7252 MAX_RETRANSMIT: retransmissions of a
 *   UDP Ping before the peer is declared gone; 0 means the Ping is sent once
 *   (default 4, at most 10).
 * @COAP_KA_A_PONG_TIMEOUT_MS: u32: Milliseconds a TCP/TLS session waits for any
 *   bytes from the peer after a Ping; 0 means the keepalive interval itself, as
 *   libcoap does (default 0, at most 3600000, one hour).
 * @COAP_KA_A_ACTIVITY: u32, enum coap_ka_activity: What counts as activity
 *   (default rxtx).
 * @COAP_KA_A_JITTER_PCT: u32: Percent: each Ping is sent up to this share of
 *   the keepalive interval early, drawn at random per idle period, so that
 *   sessions that went idle together do not ping together; 0 means exactly on
 *   time (default 0, at most 50).
 * @COAP_KA_A_ACTION: u32, enum coap_ka_action: What to do when a Ping is not
 *   answered (default notify).
 * @COAP_KA_A_FLAGS: u32, enum coap_ka_flags: Flag bits; unknown bits are
 *   refused (default 0).
 * @COAP_KA_A_SESSIONS: u32: Read-only, number of sessions using the context.
 * @COAP_KA_A_PAD: pad: Padding for 64-bit attributes, never sent alone.
 * @COAP_KA_A_SESSION_ID: u32: Session id, 1 or more, unique in the network
 *   namespace; 0 is never a valid id.
 * @COAP_KA_A_SOCK_FD: s32: Request only: a file descriptor of the caller's that
 *   refers to the UDP or TCP socket to watch.
 * @COAP_KA_A_SOCK_INODE: u64: Read-only: inode number of the session's socket,
 *   as ss -e and /proc/PID/fd ("socket:[N]") show it; a session dump may be
 *   filtered by it.
 * @COAP_KA_A_TRANSPORT: u32, enum coap_ka_transport: In a request, what the
 *   caller believes the socket carries (dtls is refused with EOPNOTSUPP, a
 *   transport that does not match the socket with EINVAL); in a reply, what the
 *   kernel found.
 * @COAP_KA_A_PEER_IPV4: u32: The peer's IPv4 address, network byte order.
 * @COAP_KA_A_PEER_IPV6: binary, 16 bytes: The peer's IPv6 address, 16 bytes.
 * @COAP_KA_A_PEER_PORT: u16: The peer's UDP or TCP port, network byte order.
 * @COAP_KA_A_STATE: u32, enum coap_ka_state: Read-only, where the session's
 *   keepalive stands.
 * @COAP_KA_A_PINGS: u32: Read-only, Pings sent (first transmissions).
 * @COAP_KA_A_RETRANSMISSIONS: u32: Ping retransmissions (in a session: all of
 *   them; in a UDP NACK event: those of the Ping that failed); TCP retransmits
 *   for itself, so TCP sessions count none.
 * @COAP_KA_A_PONGS: u32: Read-only, Pings answered.
 * @COAP_KA_A_NACKS: u32: Read-only, Pings that went unanswered.
 * @COAP_KA_A_PEER_PINGS: u32: Read-only, Pings received from the peer.
 * @COAP_KA_A_TX_AGE_MS: u32: Read-only: milliseconds since the application last
 *   sent to the peer (since the session began if it has not). Ages stop growing
 *   at U32_MAX ms or 2^31 clock ticks, whichever comes first (49 days at HZ
 *   250, 24 days at HZ 1000).
 * @COAP_KA_A_RX_AGE_MS: u32: Read-only: milliseconds since a datagram (TCP:
 *   data) last came from the peer (since the session began if none has); stops
 *   growing as tx-age-ms does.
 * @COAP_KA_A_RTT_US: u32: Microseconds from the (re)transmission of a Ping to
 *   its answer (in a session: of the last answered Ping); TCP: from the Ping to
 *   the first data (with the empty-ping flag: the last ACK) after it, in whole
 *   clock ticks.
 * @COAP_KA_A_MID: u32: UDP only: Message ID of the Ping an event is about
 *   (0..65535).
 * @COAP_KA_A_NACK_REASON: u32, enum coap_ka_nack_reason: Why a Ping failed.
 * @COAP_KA_A_GONE_REASON: u32, enum coap_ka_gone_reason: Why a session ended.
 * @COAP_KA_A_PING_DEFERRALS: u32: Read-only, TCP/TLS: times a Ping that was due
 *   could not be written at once (the application was inside a message, or the
 *   socket had no room) and was tried again later; the tries back off from 10
 *   ms, doubling, to at most a second.
 * @COAP_KA_A_PEER: nest: One peer of a batched session-add (at most
 *   COAP_KA_SESSION_ADD_PEERS_MAX of them in one request): in the request its
 *   peer-ipv4 or peer-ipv6 and peer-port; in the reply, in request order, its
 *   session-id and peer.
 * @__COAP_KA_A_CNT: one more than the highest
 * @COAP_KA_A_MAX: the highest attribute number
 */
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
	COAP_KA_A_PEER,

	__COAP_KA_A_CNT,
	COAP_KA_A_MAX = (__COAP_KA_A_CNT - 1)
};

/**
 * enum coap_ka_cmd - commands (requests) and events (notifications, _NTF)
 * @COAP_KA_CMD_UNSPEC: Never used.
 * @COAP_KA_CMD_CTX_NEW: Make a context. Request: any of the settings
 *   attributes; unset ones take the defaults listed with each attribute. Reply:
 *   the new context, as for ctx-get. A user past its context limit gets EDQUOT.
 * @COAP_KA_CMD_CTX_SET: Change a context's settings. Request: ctx-id (required)
 *   and the settings to change. Reply: the context after the change, as for
 *   ctx-get. Only the context's owner or CAP_NET_ADMIN may.
 *
 *   A context change while a Ping is out keeps its retransmission due at the
 *   time it was, unless the new ACK timeout range excludes it; then a new
 *   timeout is drawn from the new range. An idle UDP session that the change
 *   leaves already overdue (idle longer than the new keepalive-secs) pings
 *   within the next second (or interval, if shorter), at a random moment, so
 *   that a change to a context of many sessions does not make them all ping in
 *   the same tick.
 * @COAP_KA_CMD_CTX_GET: Read one context (do, ctx-id), or dump the contexts of
 *   the network namespace (no attributes, one message per context): an
 *   unprivileged user's own ones (others do not exist for it, ENOENT); all of
 *   them with CAP_NET_ADMIN. Reply: ctx-id, owner-uid, every settings
 *   attribute, sessions.
 * @COAP_KA_CMD_CTX_DEL: Delete a context and end its sessions
 *   (session-gone-ntf, ctx-deleted). Request: ctx-id (required). No reply
 *   payload. Only the context's owner or CAP_NET_ADMIN may.
 * @COAP_KA_CMD_SESSION_ADD: Hand a socket (and, for an unconnected UDP socket,
 *   a peer) to the kernel. Reply: the session, as for session-get.
 *
 *   Request: ctx-id, sock-fd (a UDP or TCP socket of the caller's, IPv4 or
 *   IPv6, in the request's network namespace), and for an unconnected UDP
 *   socket the peer (peer-ipv4 or peer-ipv6, and peer-port); a connected
 *   socket's peer is its connected address. Optional transport: dtls is refused
 *   (EOPNOTSUPP); a transport that does not match the socket is refused
 *   (EINVAL). One session per (socket, peer): EEXIST for a second. A socket
 *   that already has a UDP encapsulation or sk_user_data is refused (EBUSY). A
 *   TCP socket must be connected (TCP_ESTABLISHED): a listening one is refused
 *   with EINVAL, an unconnected one with ENOTCONN. Sockets with an upper layer
 *   protocol other than kTLS, and kTLS sockets whose transmit side is offloaded
 *   to hardware or uses a cipher other than AES-GCM-128, AES-GCM-256 or
 *   ChaCha20-Poly1305, are refused (EOPNOTSUPP). A UDP socket must be bound
 *   (EDESTADDRREQ). A user past its session limit gets EDQUOT. Only the
 *   context's owner or CAP_NET_ADMIN may add sessions to it. Any settings
 *   attribute (keepalive-secs to flags, same ranges as for contexts) overrides
 *   the context's value for this session only; settings not given follow the
 *   context live.
 *
 *   UDP sessions (RFC 7252). While a socket has sessions, the kernel stamps
 *   every datagram to or from a session's peer (activity); after keepalive-secs
 *   without activity it sends the empty Confirmable 0.00 (40 00 MID MID) to the
 *   peer, retransmits it per RFC 7252 and eats the peer's Reset or ACK with
 *   that MID (also a late or repeated one, for twice the last retransmission
 *   timeout after the answer, or one retransmission timeout after the last try,
 *   and not once the application has sent a message with that MID itself), so
 *   the application never sees it; every other datagram reaches the application
 *   untouched. The kernel's Pings and Resets leave from the socket's bound
 *   address and port, routed as the socket would be (bound device, mark), but
 *   never through the application's send path: they never join a datagram the
 *   application has corked (MSG_MORE, UDP_CORK) and carry none of its
 *   SO_TIMESTAMPING requests (and take no OPT_ID key). A UDP session ends
 *   (disconnected) when its socket connects to another peer than the session's,
 *   or is disconnected and thereby unbound; a socket bound to its port keeps
 *   its sessions through connect(AF_UNSPEC). It ends (socket-changed) when the
 *   application sets UDP_ENCAP or IPV6_ADDRFORM on the socket (even if that
 *   call then fails): the socket is handed back first. With the answer-pings
 *   flag each Ping of the peer is answered by its own Reset as it arrives. Ping
 *   MIDs are taken from the half of the MID space opposite the application's
 *   latest MID towards the peer and advance by one per Ping. ICMP errors about
 *   the application's datagrams reach it as without the kernel's watch (on
 *   kernels before 6.2 as the socket error only, not on the IP_RECVERR queue);
 *   errors about the kernel's own Pings and Resets are kept from it.
 *
 *   TCP and TLS sessions (RFC 8323). Activity: data received (TCP's own stamp)
 *   and data the application writes (stamped by its send calls; TCP's
 *   retransmissions, also of the kernel's Pings, are not activity). When the
 *   session is idle the kernel writes a 7.02 Ping with no token and no options
 *   (00 E2), or with the empty-ping flag the empty 0.00 message (00 00), into
 *   the stream, only between two of the application's messages. While a socket
 *   is watched the kernel sits in front of its send calls and knows where they
 *   end a message.
 *
 *   The guarantee: a Ping never lands inside a message the application writes
 *   in one send call (sendmsg, send, write, sendfile, splice), or as several
 *   calls all but the last with MSG_MORE, or while TCP_CORK is set, whatever
 *   TCP then does with the bytes (pushes, probes, Nagle, zero windows, short
 *   non-blocking writes: the rest of a short write is still inside the
 *   message). It is written only when no application thread is inside a send
 *   call, the last call ended a message, TCP_CORK is off and, with kTLS, no
 *   record is open or waiting; the check and the write happen under the
 *   socket's locks. Its limits: a message written as several calls without
 *   MSG_MORE or TCP_CORK cannot be told from several messages; and what was
 *   written before the socket was attached is judged by TCP's state then (a
 *   message is taken as complete if nothing was left unsent and it was pushed).
 *
 *   A Ping goes into the stream whole or not at all: the room for it is
 *   reserved first and it gets a segment of its own; a kTLS record's sequence
 *   number and IV move on only once the whole record is in. Nothing is written
 *   until the application has sent bytes (its CSM); a pending socket error (a
 *   soft error reported with IP_RECVERR) stays the application's to read. A
 *   Ping that cannot go yet is tried again as soon as the application ends a
 *   message, and otherwise after 10 ms, doubling up to 1 s (ping-deferrals
 *   counts the tries that could not write); if it never could within the pong
 *   timeout, the peer having acknowledged data meanwhile counts as an answer.
 *   With SO_TIMESTAMPING the kernel's Pings get no timestamps, and byte-offset
 *   keys (SOF_TIMESTAMPING_OPT_ID) keep counting the application's bytes only:
 *   such a socket is pinged only when all it sent has been acknowledged. On a
 *   kTLS socket the Ping is a TLS record of its own, encrypted with the
 *   socket's transmit keys and record sequence; on a socket declared transport
 *   tls, or one that has the kTLS upper layer protocol, nothing is sent until
 *   kTLS transmit keys are installed, so a Ping is never sent in the clear on a
 *   TLS connection. Installing kTLS (TCP_ULP, TLS_TX, TLS_RX) on a watched
 *   socket is followed; another upper layer protocol ends the session
 *   (socket-changed).
 *
 *   The peer's Pong (or any other byte) lands in the application's stream,
 *   which the kernel never reads: any data from the peer within pong-timeout-ms
 *   of the Ping is the answer (pong-ntf); with the empty-ping flag, TCP's
 *   acknowledgment of the 0.00 message is. No answer in time, also when the
 *   Ping could not be sent, gives a nack-ntf with nack-reason no-pong; with
 *   action abort the connection is then aborted as TCP keepalive would (the
 *   application gets ETIMEDOUT; an RST is sent). RTTs of TCP sessions have the
 *   resolution of the kernel's clock tick. The peer's own Pings reach the
 *   application and are not reported (no ping-ntf), and the answer-pings flag
 *   has no effect on TCP. A TCP session ends with session-gone-ntf when the
 *   application closes the socket or shuts down its sending side (closed, at
 *   the close() call, also when the socket then lingers as an orphan),
 *   disconnects it with connect(AF_UNSPEC) (disconnected: the socket is handed
 *   back at once, so that a new connection or a listen() on it, and the
 *   connections it accepts, carry nothing of the kernel's), when the peer
 *   closes (peer-closed) or resets (peer-reset) the connection, or TCP itself
 *   gives it up (conn-lost). A transient error (an ICMP error with IP_RECVERR)
 *   does not end a session.
 *
 *   Batches. For an unconnected UDP socket one request may carry up to
 *   COAP_KA_SESSION_ADD_PEERS_MAX (1024) peer nests instead of the flat peer
 *   attributes (giving both is EINVAL, as is a batch for a connected UDP socket
 *   or a TCP socket); ctx-id, sock-fd, transport and the settings apply to
 *   every one of them. A batch is all or nothing: if any peer is refused (a bad
 *   nest, the same peer twice in the batch or already attached: EEXIST, the
 *   session limit reached within the batch: EDQUOT, no memory) no session of
 *   the request remains, none of them sends an event, and a socket that had no
 *   session before is handed back. The whole batch is checked (nests,
 *   duplicates, peers already attached, the session limit) before any of its
 *   sessions exists; only a failure to allocate part way (or to send the reply)
 *   undoes sessions already made. The extended ACK points at the failing nest
 *   (NLMSGERR_ATTR_OFFS) and its message names its index (from 0; on kernels
 *   without formatted extended ACK messages, such as Debian's 6.1, only the
 *   offset says which). The socket is checked once per request; a batch of n
 *   peers counts n against the session limit and needs the same permission as a
 *   single add. Reply to a batch: ctx-id, sock-inode and, in request order, one
 *   peer nest per session with its session-id and peer; a single add's reply is
 *   unchanged.
 * @COAP_KA_CMD_SESSION_DEL: Stop watching a session. Request: session-id. The
 *   socket is handed back as the application had it when its last session goes.
 *   An answer to a UDP Ping sent just before may still reach the application
 *   afterwards: an empty ACK or Reset with a MID it never used, which an RFC
 *   7252 endpoint ignores.
 * @COAP_KA_CMD_SESSION_GET: Read one session (do, session-id), or dump them: an
 *   unprivileged user's own ones (those in its contexts), all of them with
 *   CAP_NET_ADMIN. A dump may be filtered by ctx-id and sock-inode (do and dump
 *   share one policy, hence the request list). Reply: the session's ids, socket
 *   inode, transport, peer and statistics, and the settings it overrides (only
 *   those).
 * @COAP_KA_CMD_PONG_NTF: Event: a Ping was answered. mid is that of the Ping
 *   (UDP); rtt-us the time from its last (re)transmission to the answer.
 * @COAP_KA_CMD_NACK_NTF: Event: a Ping went unanswered (libcoap's nack handler
 *   with COAP_NACK_TOO_MANY_RETRIES; TCP: no data within the pong timeout).
 * @COAP_KA_CMD_PING_NTF: Event: the peer pinged us (libcoap's ping handler; UDP
 *   only).
 * @COAP_KA_CMD_SESSION_GONE_NTF: Event: a session ended (gone-reason says why).
 * @__COAP_KA_CMD_CNT: one more than the highest
 * @COAP_KA_CMD_MAX: the highest command number
 */
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
