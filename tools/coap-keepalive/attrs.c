// SPDX-License-Identifier: GPL-2.0
/*
 * The attribute table of the coap_keepalive family and the spelling of
 * values: parsing from the command line, text and JSON output.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/coap_keepalive.h>

#include "attrs.h"

#define ALIASES(...)	((const char *const []){ __VA_ARGS__, NULL })

static const struct cka_name cka_activity_names[] = {
	{ COAP_KA_ACTIVITY_RXTX,	"rxtx" },
	{ COAP_KA_ACTIVITY_RX,		"rx" },
	{ 0, NULL }
};

static const struct cka_name cka_action_names[] = {
	{ COAP_KA_ACTION_NOTIFY,	"notify" },
	{ COAP_KA_ACTION_ABORT,		"abort" },
	{ 0, NULL }
};

static const struct cka_name cka_flag_names[] = {
	{ COAP_KA_F_ANSWER_PINGS,	"answer-pings" },
	{ COAP_KA_F_EMPTY_PING,		"empty-ping" },
	{ 0, NULL }
};

static const struct cka_name cka_transport_names[] = {
	{ COAP_KA_TRANSPORT_UDP,	"udp" },
	{ COAP_KA_TRANSPORT_DTLS,	"dtls" },
	{ COAP_KA_TRANSPORT_TCP,	"tcp" },
	{ COAP_KA_TRANSPORT_TLS,	"tls" },
	{ 0, NULL }
};

static const struct cka_name cka_state_names[] = {
	{ COAP_KA_STATE_IDLE,		"idle" },
	{ COAP_KA_STATE_PINGING,	"pinging" },
	{ 0, NULL }
};

static const struct cka_name cka_nack_reason_names[] = {
	{ COAP_KA_NACK_TOO_MANY_RETRIES, "too-many-retries" },
	{ COAP_KA_NACK_NO_PONG,		"no-pong" },
	{ COAP_KA_NACK_UNREACHABLE,	"unreachable" },
	{ 0, NULL }
};

static const struct cka_name cka_gone_reason_names[] = {
	{ COAP_KA_GONE_CLOSED,		"closed" },
	{ COAP_KA_GONE_REMOVED,		"removed" },
	{ COAP_KA_GONE_ABORTED,		"aborted" },
	{ COAP_KA_GONE_CTX_DELETED,	"ctx-deleted" },
	{ COAP_KA_GONE_NETNS,		"netns" },
	{ COAP_KA_GONE_PEER_CLOSED,	"peer-closed" },
	{ COAP_KA_GONE_PEER_RESET,	"peer-reset" },
	{ COAP_KA_GONE_CONN_LOST,	"conn-lost" },
	{ COAP_KA_GONE_UNSUPPORTED,	"unsupported" },
	{ COAP_KA_GONE_DISCONNECTED,	"disconnected" },
	{ COAP_KA_GONE_SOCKET_CHANGED,	"socket-changed" },
	{ 0, NULL }
};

static const struct cka_attr cka_coap_ka_attrs[COAP_KA_A_MAX + 1] = {
	[COAP_KA_A_CTX_ID] = {
		CKA_NAME("ctx-id"), .kind = CKA_KIND_U32,
		.readonly = true,
		.help = "context id, 1 or more",
	},
	[COAP_KA_A_OWNER_UID] = {
		CKA_NAME("owner-uid"), .kind = CKA_KIND_U32,
		.readonly = true, .help = "uid owning the context",
	},
	[COAP_KA_A_KEEPALIVE_SECS] = {
		CKA_NAME("keepalive-secs"), .aliases = ALIASES("seconds"),
		.kind = CKA_KIND_U32, .unit = "seconds",
		.help = "idle time before a Ping is sent; 0 disables keepalive",
		.has_range = true, .min = 0,
		.max = COAP_KA_KEEPALIVE_SECS_MAX, .def = 0,
	},
	[COAP_KA_A_ACK_TIMEOUT_MS] = {
		CKA_NAME("ack-timeout-ms"), .aliases = ALIASES("ack-timeout"),
		.kind = CKA_KIND_U32, .unit = "milliseconds",
		.help = "RFC 7252 ACK_TIMEOUT: first UDP Ping retransmission wait",
		.has_range = true, .min = COAP_KA_ACK_TIMEOUT_MS_MIN,
		.max = COAP_KA_ACK_TIMEOUT_MS_MAX,
		.def = COAP_KA_ACK_TIMEOUT_MS_DEFAULT,
	},
	[COAP_KA_A_ACK_RANDOM_FACTOR] = {
		CKA_NAME("ack-random-factor"), .aliases = ALIASES("random-factor"),
		.kind = CKA_KIND_FACTOR, .unit = "factor, up to 3 decimals",
		.help = "RFC 7252 ACK_RANDOM_FACTOR",
		.has_range = true, .min = COAP_KA_RANDOM_FACTOR_MIN,
		.max = COAP_KA_RANDOM_FACTOR_MAX,
		.def = COAP_KA_RANDOM_FACTOR_DEFAULT,
	},
	[COAP_KA_A_MAX_RETRANSMIT] = {
		CKA_NAME("max-retransmit"), .kind = CKA_KIND_U32,
		.unit = "count",
		.help = "RFC 7252 MAX_RETRANSMIT: UDP Ping retransmissions",
		.has_range = true, .min = 0, .max = COAP_KA_MAX_RETRANSMIT_MAX,
		.def = COAP_KA_MAX_RETRANSMIT_DEFAULT,
	},
	[COAP_KA_A_PONG_TIMEOUT_MS] = {
		CKA_NAME("pong-timeout-ms"), .aliases = ALIASES("pong-timeout"),
		.kind = CKA_KIND_U32, .unit = "milliseconds",
		.help = "TCP/TLS wait for the peer after a Ping; 0: keepalive-secs",
		.has_range = true, .min = 0,
		.max = COAP_KA_PONG_TIMEOUT_MS_MAX, .def = 0,
	},
	[COAP_KA_A_ACTIVITY] = {
		CKA_NAME("activity"), .kind = CKA_KIND_ENUM,
		.names = cka_activity_names,
		.help = "what counts as activity: rx and tx, or rx only",
		.def = COAP_KA_ACTIVITY_RXTX,
	},
	[COAP_KA_A_JITTER_PCT] = {
		CKA_NAME("jitter-pct"), .aliases = ALIASES("jitter"),
		.kind = CKA_KIND_U32, .unit = "percent",
		.help = "send each Ping up to this share of the interval early",
		.has_range = true, .min = 0, .max = COAP_KA_JITTER_PCT_MAX,
		.def = 0,
	},
	[COAP_KA_A_ACTION] = {
		CKA_NAME("action"), .kind = CKA_KIND_ENUM,
		.names = cka_action_names,
		.help = "when a Ping is not answered: report, or report and end",
		.def = COAP_KA_ACTION_NOTIFY,
	},
	[COAP_KA_A_FLAGS] = {
		CKA_NAME("flags"), .kind = CKA_KIND_FLAGS,
		.names = cka_flag_names,
		.help = "answer-pings: UDP, answer peer Pings in the kernel; "
			"empty-ping: TCP, send 0.00 instead of 7.02 Ping",
		.def = 0,
	},
	[COAP_KA_A_SESSIONS] = {
		CKA_NAME("sessions"), .kind = CKA_KIND_U32, .readonly = true,
		.help = "number of sessions using the context",
	},
	[COAP_KA_A_PAD] = {
		CKA_NAME("pad"), .kind = CKA_KIND_PAD, .readonly = true,
	},
	[COAP_KA_A_SESSION_ID] = {
		CKA_NAME("session-id"), .kind = CKA_KIND_U32, .readonly = true,
		.help = "session id, 1 or more",
	},
	[COAP_KA_A_SOCK_FD] = {
		CKA_NAME("sock-fd"), .kind = CKA_KIND_S32,
		.readonly = true, .help = "file descriptor of the socket",
	},
	[COAP_KA_A_SOCK_INODE] = {
		CKA_NAME("sock-inode"), .kind = CKA_KIND_U64,
		.readonly = true, .help = "inode of the session's socket",
	},
	[COAP_KA_A_TRANSPORT] = {
		CKA_NAME("transport"), .kind = CKA_KIND_ENUM,
		.names = cka_transport_names, .readonly = true,
		.help = "what the socket carries",
	},
	[COAP_KA_A_PEER_IPV4] = {
		CKA_NAME("peer-ipv4"), .kind = CKA_KIND_IPV4,
		.readonly = true, .help = "the peer's IPv4 address",
	},
	[COAP_KA_A_PEER_IPV6] = {
		CKA_NAME("peer-ipv6"), .kind = CKA_KIND_IPV6,
		.readonly = true, .help = "the peer's IPv6 address",
	},
	[COAP_KA_A_PEER_PORT] = {
		CKA_NAME("peer-port"), .kind = CKA_KIND_BE16,
		.readonly = true, .help = "the peer's UDP or TCP port",
	},
	[COAP_KA_A_STATE] = {
		CKA_NAME("state"), .kind = CKA_KIND_ENUM, .names = cka_state_names,
		.readonly = true,
	},
	[COAP_KA_A_PINGS] = {
		CKA_NAME("pings"), .kind = CKA_KIND_U32, .readonly = true,
	},
	[COAP_KA_A_RETRANSMISSIONS] = {
		CKA_NAME("retransmissions"), .kind = CKA_KIND_U32, .readonly = true,
	},
	[COAP_KA_A_PONGS] = {
		CKA_NAME("pongs"), .kind = CKA_KIND_U32, .readonly = true,
	},
	[COAP_KA_A_NACKS] = {
		CKA_NAME("nacks"), .kind = CKA_KIND_U32, .readonly = true,
	},
	[COAP_KA_A_PEER_PINGS] = {
		CKA_NAME("peer-pings"), .kind = CKA_KIND_U32, .readonly = true,
	},
	[COAP_KA_A_TX_AGE_MS] = {
		CKA_NAME("tx-age-ms"), .kind = CKA_KIND_U32, .readonly = true,
	},
	[COAP_KA_A_RX_AGE_MS] = {
		CKA_NAME("rx-age-ms"), .kind = CKA_KIND_U32, .readonly = true,
	},
	[COAP_KA_A_RTT_US] = {
		CKA_NAME("rtt-us"), .kind = CKA_KIND_U32, .readonly = true,
	},
	[COAP_KA_A_MID] = {
		CKA_NAME("mid"), .kind = CKA_KIND_U32, .readonly = true,
	},
	[COAP_KA_A_NACK_REASON] = {
		CKA_NAME("nack-reason"), .kind = CKA_KIND_ENUM,
		.names = cka_nack_reason_names, .readonly = true,
	},
	[COAP_KA_A_GONE_REASON] = {
		CKA_NAME("gone-reason"), .kind = CKA_KIND_ENUM,
		.names = cka_gone_reason_names, .readonly = true,
	},
	[COAP_KA_A_PING_DEFERRALS] = {
		CKA_NAME("ping-deferrals"), .kind = CKA_KIND_U32, .readonly = true,
	},
	/* A nest of session add's batch reply: session add prints each session. */
	[COAP_KA_A_PEER] = {
		CKA_NAME("peer"), .kind = CKA_KIND_PAD, .readonly = true,
	},
};

const struct cka_attr_set cka_attrs_coap_ka = {
	.name = "coap-ka",
	.attrs = cka_coap_ka_attrs,
	.max = COAP_KA_A_MAX,
};

static const char *const cka_cmd_names[COAP_KA_CMD_MAX + 1] = {
	[COAP_KA_CMD_CTX_NEW]	= "ctx-new",
	[COAP_KA_CMD_CTX_SET]	= "ctx-set",
	[COAP_KA_CMD_CTX_GET]	= "ctx-get",
	[COAP_KA_CMD_CTX_DEL]	= "ctx-del",
	[COAP_KA_CMD_SESSION_ADD]	= "session-add",
	[COAP_KA_CMD_SESSION_DEL]	= "session-del",
	[COAP_KA_CMD_SESSION_GET]	= "session-get",
	[COAP_KA_CMD_PONG_NTF]		= "pong-ntf",
	[COAP_KA_CMD_NACK_NTF]		= "nack-ntf",
	[COAP_KA_CMD_PING_NTF]		= "ping-ntf",
	[COAP_KA_CMD_SESSION_GONE_NTF]	= "session-gone-ntf",
};

static const char *const cka_event_names[COAP_KA_CMD_MAX + 1] = {
	[COAP_KA_CMD_PONG_NTF]		= "pong",
	[COAP_KA_CMD_NACK_NTF]		= "nack",
	[COAP_KA_CMD_PING_NTF]		= "ping",
	[COAP_KA_CMD_SESSION_GONE_NTF]	= "session-gone",
};

const char *cka_cmd_name(unsigned int cmd)
{
	return cmd <= COAP_KA_CMD_MAX ? cka_cmd_names[cmd] : NULL;
}

const char *cka_event_name(unsigned int cmd)
{
	return cmd <= COAP_KA_CMD_MAX ? cka_event_names[cmd] : NULL;
}

bool cka_kind_is_u32(enum cka_kind kind)
{
	switch (kind) {
	case CKA_KIND_U32:
	case CKA_KIND_ENUM:
	case CKA_KIND_FLAGS:
	case CKA_KIND_FACTOR:
		return true;
	default:
		return false;
	}
}

int cka_attr_lookup(const struct cka_attr_set *set, const char *name)
{
	const char *const *alias;
	unsigned int type;

	for (type = 0; type <= set->max; type++) {
		const struct cka_attr *a = &set->attrs[type];

		if (!a->name)
			continue;
		if (!strcmp(a->name, name))
			return type;
		for (alias = a->aliases; alias && *alias; alias++)
			if (!strcmp(*alias, name))
				return type;
	}
	return -1;
}

int cka_parse_u32(const char *s, uint32_t *val, const char **why)
{
	uint64_t v = 0;
	const char *p;

	if (!*s) {
		*why = "empty value";
		return -1;
	}
	if (*s == '-') {
		*why = "negative values are not allowed";
		return -1;
	}
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9') {
			*why = "not a decimal number";
			return -1;
		}
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > UINT32_MAX) {
			*why = "too large (at most 4294967295)";
			return -1;
		}
	}
	*val = (uint32_t)v;
	return 0;
}

/* "1.5" -> 1500: digits, optionally a dot and 1 to 3 more digits. */
static int cka_parse_factor(const char *s, uint32_t *val, const char **why)
{
	uint64_t ipart = 0, frac = 0;
	const char *p = s;
	int ndig = 0;

	if (*s == '-') {
		*why = "negative values are not allowed";
		return -1;
	}
	for (; *p >= '0' && *p <= '9'; p++) {
		ipart = ipart * 10 + (uint64_t)(*p - '0');
		if (ipart > UINT32_MAX / 1000) {
			*why = "too large";
			return -1;
		}
		ndig++;
	}
	if (!ndig) {
		*why = "not a decimal number (write e.g. 1.5)";
		return -1;
	}
	if (*p == '.') {
		p++;
		for (ndig = 0; *p >= '0' && *p <= '9'; p++, ndig++) {
			if (ndig == 3) {
				*why = "at most 3 digits after the decimal point";
				return -1;
			}
			frac = frac * 10 + (uint64_t)(*p - '0');
		}
		if (!ndig) {
			*why = "digits must follow the decimal point";
			return -1;
		}
		for (; ndig < 3; ndig++)
			frac *= 10;
	}
	if (*p) {
		*why = "not a decimal number (write e.g. 1.5)";
		return -1;
	}
	if (ipart * 1000 + frac > UINT32_MAX) {
		*why = "too large";
		return -1;
	}
	*val = (uint32_t)(ipart * 1000 + frac);
	return 0;
}

static const struct cka_name *cka_name_find(const struct cka_name *names,
					    const char *s, size_t len)
{
	for (; names && names->name; names++)
		if (strlen(names->name) == len && !strncmp(names->name, s, len))
			return names;
	return NULL;
}

static void cka_names_list(const struct cka_name *names, const char *sep,
			   char *buf, size_t len)
{
	size_t off = 0;
	int n;

	buf[0] = '\0';
	for (; names && names->name && off < len; names++) {
		n = snprintf(buf + off, len - off, "%s%s", off ? sep : "",
			     names->name);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

/* Raw bits for a flags list: 0x hex or decimal, for testing the kernel. */
static int cka_parse_bits(const char *s, size_t len, uint32_t *bits)
{
	char tmp[16], *end;
	unsigned long v;

	if (!len || len >= sizeof(tmp) || !isdigit((unsigned char)s[0]))
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	errno = 0;
	v = strtoul(tmp, &end, 0);
	if (errno || *end || v > UINT32_MAX)
		return -1;
	*bits = (uint32_t)v;
	return 0;
}

static int cka_parse_flags(const struct cka_attr *a, const char *s,
			   uint32_t *val, char *err, size_t errlen)
{
	const struct cka_name *n;
	char names[256];
	uint32_t v = 0, bits;
	const char *p = s;
	size_t len;

	if (!strcmp(s, "none")) {
		*val = 0;
		return 0;
	}
	for (;;) {
		len = strcspn(p, ",");
		n = cka_name_find(a->names, p, len);
		if (n) {
			v |= n->val;
		} else if (cka_parse_bits(p, len, &bits) == 0) {
			v |= bits;
		} else {
			cka_names_list(a->names, ", ", names, sizeof(names));
			snprintf(err, errlen,
				 "invalid value '%s' for %s: unknown flag '%.*s' (known: %s; or none)",
				 s, a->name, (int)len, p, names);
			return -1;
		}
		if (!p[len])
			break;
		p += len + 1;
	}
	*val = v;
	return 0;
}

int cka_attr_parse(const struct cka_attr *a, const char *s, uint32_t *val,
		   char *err, size_t errlen)
{
	const struct cka_name *n;
	const char *why = NULL;
	char names[256];

	switch (a->kind) {
	case CKA_KIND_U32:
		if (cka_parse_u32(s, val, &why) == 0)
			return 0;
		break;
	case CKA_KIND_FACTOR:
		if (cka_parse_factor(s, val, &why) == 0)
			return 0;
		break;
	case CKA_KIND_ENUM:
		n = cka_name_find(a->names, s, strlen(s));
		if (n) {
			*val = n->val;
			return 0;
		}
		cka_names_list(a->names, ", ", names, sizeof(names));
		snprintf(err, errlen, "invalid value '%s' for %s: expected one of %s",
			 s, a->name, names);
		return -1;
	case CKA_KIND_FLAGS:
		return cka_parse_flags(a, s, val, err, errlen);
	default:
		break;
	}
	snprintf(err, errlen, "invalid value '%s' for %s: %s", s, a->name,
		 why ? why : "cannot parse");
	return -1;
}

void cka_attr_fmt(const struct cka_attr *a, uint32_t val, char *buf,
		  size_t len)
{
	const struct cka_name *n;
	size_t off = 0;
	uint32_t rest;
	int ret;

	switch (a->kind) {
	case CKA_KIND_U32:
		snprintf(buf, len, "%" PRIu32, val);
		return;
	case CKA_KIND_FACTOR:
		snprintf(buf, len, "%" PRIu32 ".%03" PRIu32, val / 1000,
			 val % 1000);
		return;
	case CKA_KIND_ENUM:
		n = cka_name_of(a->names, val);
		if (n) {
			snprintf(buf, len, "%s", n->name);
			return;
		}
		break;
	case CKA_KIND_FLAGS:
		if (!val) {
			snprintf(buf, len, "none");
			return;
		}
		buf[0] = '\0';
		rest = val;
		for (n = a->names; n && n->name && off < len; n++) {
			if (!(val & n->val))
				continue;
			ret = snprintf(buf + off, len - off, "%s%s",
				       off ? "," : "", n->name);
			if (ret < 0)
				return;
			off += (size_t)ret;
			rest &= ~n->val;
		}
		if (rest && off < len)
			snprintf(buf + off, len - off, "%s0x%" PRIx32,
				 off ? "," : "", rest);
		return;
	default:
		break;
	}
	snprintf(buf, len, "%" PRIu32, val);
}

void cka_attr_text(struct obuf *b, const struct cka_attr *a, uint32_t val)
{
	const struct cka_name *n;
	uint32_t rest;
	bool first;

	switch (a->kind) {
	case CKA_KIND_FACTOR:
		obuf_u64(b, val / 1000);
		obuf_putc(b, '.');
		obuf_u3(b, val % 1000);
		return;
	case CKA_KIND_ENUM:
		n = cka_name_of(a->names, val);
		if (n) {
			obuf_puts(b, n->name);
			return;
		}
		break;
	case CKA_KIND_FLAGS:
		if (!val) {
			obuf_put(b, "none", 4);
			return;
		}
		rest = val;
		first = true;
		for (n = a->names; n && n->name; n++) {
			if (!(val & n->val))
				continue;
			if (!first)
				obuf_putc(b, ',');
			obuf_puts(b, n->name);
			first = false;
			rest &= ~n->val;
		}
		if (rest) {
			obuf_put(b, first ? "0x" : ",0x", first ? 2 : 3);
			obuf_hex(b, rest);
		}
		return;
	default:
		break;
	}
	obuf_u64(b, val);
}

void cka_attr_json(struct json *j, const struct cka_attr *a, uint32_t val)
{
	size_t klen = cka_attr_name_len(a);
	const struct cka_name *n;
	uint32_t bit;

	switch (a->kind) {
	case CKA_KIND_ENUM:
		n = cka_name_of(a->names, val);
		if (n) {
			json_strn_plain(j, a->name, klen, n->name,
					strlen(n->name));
			return;
		}
		break;
	case CKA_KIND_FLAGS:
		json_arr_open_plain(j, a->name, klen);
		for (bit = 1; bit; bit <<= 1) {
			if (!(val & bit))
				continue;
			n = cka_name_of(a->names, bit);
			if (n)
				json_str(j, NULL, n->name);
			else
				json_uint(j, NULL, bit);
		}
		json_arr_close(j);
		return;
	default:	/* U32, FACTOR (thousandths): a number */
		break;
	}
	json_uint_plain(j, a->name, klen, val);
}

void cka_attr_syntax(const struct cka_attr *a, char *buf, size_t len)
{
	char names[256];

	switch (a->kind) {
	case CKA_KIND_U32:
		snprintf(buf, len, "N");
		return;
	case CKA_KIND_FACTOR:
		snprintf(buf, len, "F.FFF");
		return;
	case CKA_KIND_ENUM:
		cka_names_list(a->names, "|", names, sizeof(names));
		snprintf(buf, len, "%s", names);
		return;
	case CKA_KIND_FLAGS:
		snprintf(buf, len, "FLAG[,FLAG...]|none");
		return;
	default:
		break;
	}
	buf[0] = '\0';
}
