/* SPDX-License-Identifier: GPL-2.0 */
/*
 * coap_keepalive tracepoints: events/coap_keepalive/ in tracefs, for
 * perf, bpftrace and trace-cmd. They fire where the module decides, with
 * or without a netlink listener: a Ping when it has left, a pong or nack
 * when the round ends, a session when it is added and when it goes.
 *
 * Every event names its session: session and context ids, transport,
 * socket inode and peer (printed as an IPv4 or IPv6 address with its
 * port; "peer" holds a struct sockaddr_in or sockaddr_in6, "port" the port
 * in host order for filters).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM coap_keepalive

#if !defined(_COAP_KA_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _COAP_KA_TRACE_H

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <net/ipv6.h>

#include "coap_ka.h"

#ifndef _COAP_KA_TRACE_HELPERS
#define _COAP_KA_TRACE_HELPERS

/* COAP_KA_GONE_SILENT as a number the format file can show. */
#define COAP_KA_TRACE_GONE_SILENT	255
static_assert(COAP_KA_TRACE_GONE_SILENT == COAP_KA_GONE_SILENT);

#define COAP_KA_TRACE_SA_LEN	sizeof(struct sockaddr_in6)

/* The peer of @s as the sockaddr %pISpc prints. */
static inline void coap_ka_trace_peer(u8 *buf, const struct coap_ka_session *s)
{
	memset(buf, 0, COAP_KA_TRACE_SA_LEN);
	if (!s->v6) {
		struct sockaddr_in *sin = (struct sockaddr_in *)buf;

		sin->sin_family = AF_INET;
		sin->sin_port = s->port;
		sin->sin_addr.s_addr = s->addr_lo;
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)buf;
		struct coap_ka_peer peer;

		coap_ka_session_peer(s, &peer);
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = s->port;
		sin6->sin6_addr = peer.addr;
	}
}

/*
 * What every event starts with: its fields (written out in each event,
 * in this order), their assignment and their text.
 */
#define COAP_KA_TP_SESSION_ASSIGN(sess)					\
	do {								\
		const struct coap_ka_session *ts = (sess);		\
									\
		__entry->session_id = ts->id;				\
		__entry->ctx_id = ts->bind->ctx->id;				\
		__entry->ino = ts->ks->ino;				\
		__entry->transport = ts->ks->transport;			\
		__entry->port = ntohs(ts->port);				\
		coap_ka_trace_peer(__entry->peer, ts);			\
	} while (0)

#define COAP_KA_TP_SESSION_FMT						\
	"session=%u ctx=%u transport=%s ino=%llu peer=%pISpc"

#define coap_ka_show_transport(t)					\
	__print_symbolic(t,						\
			 { COAP_KA_TRANSPORT_UDP, "udp" },		\
			 { COAP_KA_TRANSPORT_DTLS, "dtls" },		\
			 { COAP_KA_TRANSPORT_TCP, "tcp" },		\
			 { COAP_KA_TRANSPORT_TLS, "tls" })

#endif /* _COAP_KA_TRACE_HELPERS */

/* The uapi's enums as numbers in the format files, for perf and bpftrace. */
TRACE_DEFINE_ENUM(COAP_KA_TRANSPORT_UDP);
TRACE_DEFINE_ENUM(COAP_KA_TRANSPORT_DTLS);
TRACE_DEFINE_ENUM(COAP_KA_TRANSPORT_TCP);
TRACE_DEFINE_ENUM(COAP_KA_TRANSPORT_TLS);
TRACE_DEFINE_ENUM(COAP_KA_NACK_TOO_MANY_RETRIES);
TRACE_DEFINE_ENUM(COAP_KA_NACK_NO_PONG);
TRACE_DEFINE_ENUM(COAP_KA_NACK_UNREACHABLE);
TRACE_DEFINE_ENUM(COAP_KA_GONE_CLOSED);
TRACE_DEFINE_ENUM(COAP_KA_GONE_REMOVED);
TRACE_DEFINE_ENUM(COAP_KA_GONE_ABORTED);
TRACE_DEFINE_ENUM(COAP_KA_GONE_CTX_DELETED);
TRACE_DEFINE_ENUM(COAP_KA_GONE_NETNS);
TRACE_DEFINE_ENUM(COAP_KA_GONE_PEER_CLOSED);
TRACE_DEFINE_ENUM(COAP_KA_GONE_PEER_RESET);
TRACE_DEFINE_ENUM(COAP_KA_GONE_CONN_LOST);
TRACE_DEFINE_ENUM(COAP_KA_GONE_UNSUPPORTED);
TRACE_DEFINE_ENUM(COAP_KA_GONE_DISCONNECTED);
TRACE_DEFINE_ENUM(COAP_KA_GONE_SOCKET_CHANGED);

/*
 * A Ping left (UDP: handed to IP; TCP: written into the stream, or its
 * kTLS record): UDP its message id (TCP: 0), @attempt 0 for the first
 * transmission and then the retransmission's number, @timeout_ms how long
 * it waits for the answer (UDP: this transmission's; TCP: the pong timeout).
 * A Ping that could not go (no route, no memory, not at a message
 * boundary) is no event.
 */
TRACE_EVENT(ping,
	    TP_PROTO(const struct coap_ka_session *s, u16 mid, u32 attempt,
		     u32 timeout_ms),
	    TP_ARGS(s, mid, attempt, timeout_ms),
	    TP_STRUCT__entry(__field(u32, session_id)
			     __field(u32, ctx_id)
			     __field(u64, ino)
			     __field(u8, transport)
			     __field(u16, port)
			     __array(u8, peer, COAP_KA_TRACE_SA_LEN)
			     __field(u16, mid)
			     __field(u32, attempt)
			     __field(u32, timeout_ms)),
	    TP_fast_assign(COAP_KA_TP_SESSION_ASSIGN(s);
			   __entry->mid = mid;
			   __entry->attempt = attempt;
			   __entry->timeout_ms = timeout_ms;),
	    TP_printk(COAP_KA_TP_SESSION_FMT " mid=%u attempt=%u timeout_ms=%u",
		      __entry->session_id, __entry->ctx_id,
		      coap_ka_show_transport(__entry->transport),
		      __entry->ino, __entry->peer,
		      __entry->mid, __entry->attempt, __entry->timeout_ms)
);

/* The peer answered the Ping (UDP: @mid; TCP: 0) after @rtt_us. */
TRACE_EVENT(pong,
	    TP_PROTO(const struct coap_ka_session *s, u16 mid, u32 rtt_us),
	    TP_ARGS(s, mid, rtt_us),
	    TP_STRUCT__entry(__field(u32, session_id)
			     __field(u32, ctx_id)
			     __field(u64, ino)
			     __field(u8, transport)
			     __field(u16, port)
			     __array(u8, peer, COAP_KA_TRACE_SA_LEN)
			     __field(u16, mid)
			     __field(u32, rtt_us)),
	    TP_fast_assign(COAP_KA_TP_SESSION_ASSIGN(s);
			   __entry->mid = mid;
			   __entry->rtt_us = rtt_us;),
	    TP_printk(COAP_KA_TP_SESSION_FMT " mid=%u rtt_us=%u",
		      __entry->session_id, __entry->ctx_id,
		      coap_ka_show_transport(__entry->transport),
		      __entry->ino, __entry->peer,
		      __entry->mid, __entry->rtt_us)
);

/*
 * The Ping of this round went unanswered (enum coap_ka_nack_reason);
 * @attempts: transmissions of it (UDP: 1 + retransmissions; TCP: 1, or 0
 * if the application's writes never let it leave).
 */
TRACE_EVENT(nack,
	    TP_PROTO(const struct coap_ka_session *s, u16 mid, u8 reason,
		     u32 attempts),
	    TP_ARGS(s, mid, reason, attempts),
	    TP_STRUCT__entry(__field(u32, session_id)
			     __field(u32, ctx_id)
			     __field(u64, ino)
			     __field(u8, transport)
			     __field(u16, port)
			     __array(u8, peer, COAP_KA_TRACE_SA_LEN)
			     __field(u16, mid)
			     __field(u8, reason)
			     __field(u32, attempts)),
	    TP_fast_assign(COAP_KA_TP_SESSION_ASSIGN(s);
			   __entry->mid = mid;
			   __entry->reason = reason;
			   __entry->attempts = attempts;),
	    TP_printk(COAP_KA_TP_SESSION_FMT " mid=%u reason=%s attempts=%u",
		      __entry->session_id, __entry->ctx_id,
		      coap_ka_show_transport(__entry->transport),
		      __entry->ino, __entry->peer,
		      __entry->mid,
		      __print_symbolic(__entry->reason,
				       { COAP_KA_NACK_TOO_MANY_RETRIES, "too-many-retries" },
				       { COAP_KA_NACK_NO_PONG, "no-pong" },
				       { COAP_KA_NACK_UNREACHABLE, "unreachable" }),
		      __entry->attempts)
);

/* A session was added, pinged after @keepalive_secs idle (0: never). */
TRACE_EVENT(session_add,
	    TP_PROTO(const struct coap_ka_session *s, u32 keepalive_secs),
	    TP_ARGS(s, keepalive_secs),
	    TP_STRUCT__entry(__field(u32, session_id)
			     __field(u32, ctx_id)
			     __field(u64, ino)
			     __field(u8, transport)
			     __field(u16, port)
			     __array(u8, peer, COAP_KA_TRACE_SA_LEN)
			     __field(u32, keepalive_secs)),
	    TP_fast_assign(COAP_KA_TP_SESSION_ASSIGN(s);
			   __entry->keepalive_secs = keepalive_secs;),
	    TP_printk(COAP_KA_TP_SESSION_FMT " keepalive_secs=%u",
		      __entry->session_id, __entry->ctx_id,
		      coap_ka_show_transport(__entry->transport),
		      __entry->ino, __entry->peer,
		      __entry->keepalive_secs)
);

/*
 * A session ended (enum coap_ka_gone_reason; "unreported" for one that
 * never reached its requester, which gets no netlink event).
 */
TRACE_EVENT(session_gone,
	    TP_PROTO(const struct coap_ka_session *s, u8 reason),
	    TP_ARGS(s, reason),
	    TP_STRUCT__entry(__field(u32, session_id)
			     __field(u32, ctx_id)
			     __field(u64, ino)
			     __field(u8, transport)
			     __field(u16, port)
			     __array(u8, peer, COAP_KA_TRACE_SA_LEN)
			     __field(u8, reason)),
	    TP_fast_assign(COAP_KA_TP_SESSION_ASSIGN(s);
			   __entry->reason = reason;),
	    TP_printk(COAP_KA_TP_SESSION_FMT " reason=%s",
		      __entry->session_id, __entry->ctx_id,
		      coap_ka_show_transport(__entry->transport),
		      __entry->ino, __entry->peer,
		      __print_symbolic(__entry->reason,
				       { COAP_KA_GONE_CLOSED, "closed" },
				       { COAP_KA_GONE_REMOVED, "removed" },
				       { COAP_KA_GONE_ABORTED, "aborted" },
				       { COAP_KA_GONE_CTX_DELETED, "ctx-deleted" },
				       { COAP_KA_GONE_NETNS, "netns" },
				       { COAP_KA_GONE_PEER_CLOSED, "peer-closed" },
				       { COAP_KA_GONE_PEER_RESET, "peer-reset" },
				       { COAP_KA_GONE_CONN_LOST, "conn-lost" },
				       { COAP_KA_GONE_UNSUPPORTED, "unsupported" },
				       { COAP_KA_GONE_DISCONNECTED, "disconnected" },
				       { COAP_KA_GONE_SOCKET_CHANGED, "socket-changed" },
				       { COAP_KA_TRACE_GONE_SILENT, "unreported" }))
);

#endif /* _COAP_KA_TRACE_H */

/* Out of tree: define_trace.h finds this file through -I$(src)/module. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
