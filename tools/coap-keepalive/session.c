// SPDX-License-Identifier: GPL-2.0
/*
 * The session object: a UDP or TCP socket (and its peer) handed to the kernel.
 * add takes a file descriptor of this process (attach.c takes one of
 * another process's); show filters its dump by context or socket inode;
 * del is the generic one.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/coap_keepalive.h>

#include "cka.h"

#define ALIASES(...)	((const char *const []){ __VA_ARGS__, NULL })

/* Keywords of "session add" and "attach" other than the settings. */
enum cka_sess_kw {
	CKA_KW_NONE,
	CKA_KW_CTX,
	CKA_KW_FD,
	CKA_KW_PEER,
	CKA_KW_PORT,
	CKA_KW_TRANSPORT,
};

static enum cka_sess_kw cka_sess_keyword(const char *s, bool take_fd)
{
	if (cka_name_is(s, "ctx", ALIASES("context", "ctx-id")))
		return CKA_KW_CTX;
	if (take_fd && cka_name_is(s, "fd", ALIASES("sock-fd")))
		return CKA_KW_FD;
	if (cka_name_is(s, "peer", NULL))
		return CKA_KW_PEER;
	if (cka_name_is(s, "port", ALIASES("peer-port")))
		return CKA_KW_PORT;
	if (cka_name_is(s, "transport", NULL))
		return CKA_KW_TRANSPORT;
	return CKA_KW_NONE;
}

/* An IPv4 or IPv6 address into @addr (network byte order); -1 if neither. */
static int cka_sess_addr(const char *v, int *family, unsigned char *addr)
{
	if (inet_pton(AF_INET, v, addr) == 1)
		*family = AF_INET;
	else if (inet_pton(AF_INET6, v, addr) == 1)
		*family = AF_INET6;
	else
		return -1;
	return 0;
}

/*
 * Another "peer ADDR" of session add: a batch. The one before must have
 * its port by now; ->more has room for every word of the command line.
 */
static int cka_sess_more(const struct cka_object *obj,
			 const struct cka_verb *verb, struct cka_sess_args *sa,
			 const char *v)
{
	struct cka_peer *p;

	if (!sa->more)
		return cka_usage_error(obj, verb, "peer given twice");
	if (!sa->has_port || (sa->nmore && !sa->more[sa->nmore - 1].has_port))
		return cka_usage_error(obj, verb,
				       "each peer ADDR needs its own port P before the next peer");
	if (sa->nmore + 1 >= COAP_KA_SESSION_ADD_PEERS_MAX)
		return cka_usage_error(obj, verb,
				       "at most %d peers in one session add",
				       COAP_KA_SESSION_ADD_PEERS_MAX);
	p = &sa->more[sa->nmore];
	if (cka_sess_addr(v, &p->family, p->addr))
		return cka_usage_error(obj, verb,
				       "invalid peer address '%s': not an IPv4 or IPv6 address",
				       v);
	sa->nmore++;
	return 0;
}

static int cka_sess_value(const struct cka_object *obj,
			  const struct cka_verb *verb,
			  struct cka_sess_args *sa, enum cka_sess_kw kw,
			  const char *key, const char *v)
{
	const struct cka_attr *a;
	const char *why = NULL;
	char err[512];
	uint32_t n = 0;

	switch (kw) {
	case CKA_KW_CTX:
		if (sa->has_ctx)
			return cka_usage_error(obj, verb, "ctx given twice");
		if (cka_parse_u32(v, &sa->ctx, &why))
			return cka_usage_error(obj, verb,
					       "invalid context id '%s': %s",
					       v, why);
		sa->has_ctx = true;
		return 0;
	case CKA_KW_FD:
		if (sa->has_fd)
			return cka_usage_error(obj, verb, "fd given twice");
		if (cka_parse_u32(v, &n, &why) || n > INT32_MAX)
			return cka_usage_error(obj, verb,
					       "invalid file descriptor '%s': %s",
					       v, n > INT32_MAX ? "too large" : why);
		sa->fd = (int32_t)n;
		sa->has_fd = true;
		return 0;
	case CKA_KW_PEER:
		if (sa->has_peer)
			return cka_sess_more(obj, verb, sa, v);
		if (cka_sess_addr(v, &sa->family, sa->addr))
			return cka_usage_error(obj, verb,
					       "invalid peer address '%s': not an IPv4 or IPv6 address",
					       v);
		sa->has_peer = true;
		return 0;
	case CKA_KW_PORT:
		if (cka_parse_u32(v, &n, &why) || n > 65535)
			return cka_usage_error(obj, verb, "invalid port '%s': %s",
					       v, n > 65535 ? "at most 65535" : why);
		if (sa->nmore && !sa->more[sa->nmore - 1].has_port) {
			sa->more[sa->nmore - 1].port = (uint16_t)n;
			sa->more[sa->nmore - 1].has_port = true;
			return 0;
		}
		if (sa->has_port)
			return cka_usage_error(obj, verb, "port given twice");
		sa->port = (uint16_t)n;
		sa->has_port = true;
		return 0;
	case CKA_KW_TRANSPORT:
		if (sa->has_transport)
			return cka_usage_error(obj, verb,
					       "transport given twice");
		a = cka_attr_get(obj->set, COAP_KA_A_TRANSPORT);
		if (cka_attr_parse(a, v, &sa->transport, err, sizeof(err)))
			return cka_usage_error(obj, verb, "%s", err);
		sa->has_transport = true;
		return 0;
	case CKA_KW_NONE:
		break;
	}
	return cka_usage_error(obj, verb, "unexpected '%s'", key);
}

void cka_sess_args_free(struct cka_sess_args *sa)
{
	free(sa->setv);
	sa->setv = NULL;
	sa->nset = 0;
	free(sa->more);
	sa->more = NULL;
	sa->nmore = 0;
}

int cka_sess_parse(const struct cka_object *obj, const struct cka_verb *verb,
		   int argc, char **argv, bool take_fd,
		   struct cka_sess_args *sa)
{
	static union cka_req probe;
	struct cka_nl nl = { 0 };
	struct nlmsghdr *nlh;
	enum cka_sess_kw kw;
	int i, ret;

	memset(sa, 0, sizeof(*sa));
	sa->setv = calloc((size_t)argc + 1, sizeof(*sa->setv));
	if (take_fd)
		sa->more = calloc((size_t)argc / 2 + 1, sizeof(*sa->more));
	if (!sa->setv || (take_fd && !sa->more)) {
		fprintf(stderr, "%s: out of memory\n", CKA_PROG);
		return CKA_EXIT_ERR;
	}
	for (i = 0; i < argc; i++) {
		kw = cka_sess_keyword(argv[i], take_fd);
		if (kw == CKA_KW_NONE) {
			/* A setting and its value: checked below. */
			sa->setv[sa->nset++] = argv[i];
			if (i + 1 < argc)
				sa->setv[sa->nset++] = argv[++i];
			continue;
		}
		if (i + 1 >= argc)
			return cka_usage_error(obj, verb, "%s needs a value",
					       argv[i]);
		ret = cka_sess_value(obj, verb, sa, kw, argv[i], argv[i + 1]);
		if (ret)
			return ret;
		i++;
	}
	if (!sa->has_ctx)
		return cka_usage_error(obj, verb, "missing ctx ID");
	if (take_fd && !sa->has_fd)
		return cka_usage_error(obj, verb, "missing fd N");
	if (sa->has_peer != sa->has_port ||
	    (sa->nmore && !sa->more[sa->nmore - 1].has_port))
		return cka_usage_error(obj, verb,
				       "peer ADDR and port P go together");

	/* The settings, into a scratch message: usage errors come first. */
	nlh = cka_nl_req(&nl, probe.buf, COAP_KA_CMD_SESSION_ADD, NLM_F_ACK);
	return cka_put_settings(obj, verb, nlh, sa->nset, sa->setv);
}

void cka_sess_put(const struct cka_object *obj,
		  const struct cka_sess_args *sa, struct nlmsghdr *nlh, int fd)
{
	mnl_attr_put_u32(nlh, COAP_KA_A_CTX_ID, sa->ctx);
	mnl_attr_put_u32(nlh, COAP_KA_A_SOCK_FD, (uint32_t)fd);
	if (sa->has_peer) {
		if (sa->family == AF_INET)
			mnl_attr_put(nlh, COAP_KA_A_PEER_IPV4, 4, sa->addr);
		else
			mnl_attr_put(nlh, COAP_KA_A_PEER_IPV6, 16, sa->addr);
	}
	if (sa->has_port)
		mnl_attr_put_u16(nlh, COAP_KA_A_PEER_PORT, htons(sa->port));
	if (sa->has_transport)
		mnl_attr_put_u32(nlh, COAP_KA_A_TRANSPORT, sa->transport);
	/* Already checked by cka_sess_parse(): cannot fail. */
	cka_put_settings(obj, NULL, nlh, sa->nset, sa->setv);
}

/* One peer nest of a batch. */
static void cka_sess_put_peer(struct nlmsghdr *nlh, int family,
			      const unsigned char *addr, uint16_t port)
{
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in in = { .sin_family = AF_INET };

	if (family == AF_INET) {
		memcpy(&in.sin_addr, addr, 4);
		in.sin_port = htons(port);
		coapka_nl_put_peer(nlh, (struct sockaddr *)&in, sizeof(in));
	} else {
		memcpy(&in6.sin6_addr, addr, 16);
		in6.sin6_port = htons(port);
		coapka_nl_put_peer(nlh, (struct sockaddr *)&in6, sizeof(in6));
	}
}

/*
 * session add with several peers: one SESSION_ADD of peer nests, all or
 * nothing, then each new session printed as session show ID prints it.
 */
static int cka_sess_add_batch(const struct cka_opts *o,
			      const struct cka_object *obj,
			      struct cka_sess_args *sa, struct cka_nl *nl)
{
	unsigned int n = sa->nmore + 1, got = 0, i;
	size_t size = CKA_REQ_SIZE + COAPKA_NL_PEER_ROOM(n);
	struct cka_msgs m = { 0 };
	static union cka_req req;
	struct cka_sess_args one;
	struct nlmsghdr *nlh;
	uint32_t *ids;
	void *buf;
	int ret = CKA_EXIT_ERR;

	buf = calloc(1, size);
	ids = calloc(n, sizeof(*ids));
	if (!buf || !ids) {
		fprintf(stderr, "%s: out of memory\n", CKA_PROG);
		goto out;
	}
	/* The common part as for one peer, then the peers as nests. */
	one = *sa;
	one.has_peer = false;
	one.has_port = false;
	nlh = cka_nl_req(nl, buf, COAP_KA_CMD_SESSION_ADD, NLM_F_ACK);
	cka_sess_put(obj, &one, nlh, sa->fd);
	cka_sess_put_peer(nlh, sa->family, sa->addr, sa->port);
	for (i = 0; i < sa->nmore; i++)
		cka_sess_put_peer(nlh, sa->more[i].family, sa->more[i].addr,
				  sa->more[i].port);
	cka_list_start(o);
	if (cka_nl_talk(nl, nlh, &m)) {
		cka_nl_perror(nl);
		goto out;
	}
	if (m.n != 1 || coapka_nl_batch_ids(m.v[0], ids, n, &got) || got != n) {
		fprintf(stderr, "%s: the reply does not carry a session id per peer\n",
			CKA_PROG);
		goto out;
	}
	ret = CKA_EXIT_OK;
	for (i = 0; i < n && ret == CKA_EXIT_OK; i++) {
		nlh = cka_nl_req(nl, req.buf, COAP_KA_CMD_SESSION_GET, NLM_F_ACK);
		mnl_attr_put_u32(nlh, COAP_KA_A_SESSION_ID, ids[i]);
		ret = cka_obj_do(o, obj, nl, nlh, true);
	}
out:
	cka_msgs_free(&m);
	free(ids);
	free(buf);
	return ret;
}

static int cka_sess_add(const struct cka_opts *o, const struct cka_object *obj,
			int argc, char **argv)
{
	const struct cka_verb *verb = cka_find_verb(obj, cka_sess_add);
	static union cka_req req;
	struct cka_sess_args sa;
	struct cka_nl nl;
	struct nlmsghdr *nlh;
	int ret;

	ret = cka_sess_parse(obj, verb, argc, argv, true, &sa);
	if (ret)
		goto out;
	ret = CKA_EXIT_ERR;
	if (cka_nl_open(&nl))
		goto out;
	if (sa.nmore) {
		ret = cka_sess_add_batch(o, obj, &sa, &nl);
	} else {
		nlh = cka_nl_req(&nl, req.buf, COAP_KA_CMD_SESSION_ADD, NLM_F_ACK);
		cka_sess_put(obj, &sa, nlh, sa.fd);
		ret = cka_obj_do(o, obj, &nl, nlh, true);
	}
	cka_nl_close(&nl);
out:
	cka_sess_args_free(&sa);
	return ret;
}

static int cka_parse_u64(const char *s, uint64_t *val, const char **why)
{
	uint64_t v = 0;
	const char *p;

	if (!*s) {
		*why = "empty value";
		return -1;
	}
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9') {
			*why = "not a decimal number";
			return -1;
		}
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10) {
			*why = "too large";
			return -1;
		}
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*val = v;
	return 0;
}

/* A filter of show: ctx (false in *@ino) or inode (true). */
static bool cka_sess_filter_kw(const char *s, bool *ino)
{
	bool is_ino = cka_name_is(s, "inode", ALIASES("sock-inode"));

	if (ino)
		*ino = is_ino;
	return is_ino || cka_name_is(s, "ctx", ALIASES("context", "ctx-id"));
}

/* show [ID] | show [ctx ID] [inode N] */
static int cka_sess_show(const struct cka_opts *o,
			 const struct cka_object *obj, int argc, char **argv)
{
	const struct cka_verb *verb = cka_find_verb(obj, cka_sess_show);
	bool has_ctx = false, has_ino = false, by_id = false;
	static union cka_req req;
	uint32_t id = 0, ctx = 0;
	struct nlmsghdr *nlh;
	struct cka_nl nl;
	const char *why;
	uint64_t ino = 0;
	int i, ret;

	if (argc == 1 && !cka_sess_filter_kw(argv[0], NULL)) {
		ret = cka_parse_id(obj, verb, argv[0], &id);
		if (ret)
			return ret;
		by_id = true;
	}
	for (i = 0; !by_id && i < argc; i += 2) {
		bool is_ctx, is_ino = false;

		is_ctx = cka_sess_filter_kw(argv[i], &is_ino) && !is_ino;

		if (!is_ctx && !is_ino)
			return cka_usage_error(obj, verb,
					       "unknown filter '%s' (ctx ID or inode N)",
					       argv[i]);
		if (i + 1 >= argc)
			return cka_usage_error(obj, verb, "%s needs a value",
					       argv[i]);
		if ((is_ctx && has_ctx) || (is_ino && has_ino))
			return cka_usage_error(obj, verb, "%s given twice",
					       argv[i]);
		if (is_ctx && cka_parse_u32(argv[i + 1], &ctx, &why))
			return cka_usage_error(obj, verb,
					       "invalid context id '%s': %s",
					       argv[i + 1], why);
		if (is_ino && cka_parse_u64(argv[i + 1], &ino, &why))
			return cka_usage_error(obj, verb,
					       "invalid inode '%s': %s",
					       argv[i + 1], why);
		has_ctx |= is_ctx;
		has_ino |= is_ino;
	}

	if (cka_nl_open(&nl))
		return CKA_EXIT_ERR;
	if (by_id) {
		nlh = cka_nl_req(&nl, req.buf, obj->cmd_get, NLM_F_ACK);
		mnl_attr_put_u32(nlh, COAP_KA_A_SESSION_ID, id);
	} else {
		nlh = cka_nl_req(&nl, req.buf, obj->cmd_get, NLM_F_DUMP);
		if (has_ctx)
			mnl_attr_put_u32(nlh, COAP_KA_A_CTX_ID, ctx);
		if (has_ino)
			mnl_attr_put_u64(nlh, COAP_KA_A_SOCK_INODE, ino);
	}
	ret = cka_obj_do(o, obj, &nl, nlh, true);
	cka_nl_close(&nl);
	return ret;
}

static const struct cka_verb cka_sess_verbs[] = {
	{
		.name = "add", .aliases = ALIASES("new", "create"),
		.args = "ctx ID fd N [peer ADDR port P]... [transport udp|tcp|tls] [SETTING VALUE]...",
		.help = "hand socket fd N of this process to the kernel (unconnected UDP: several peers at once, all or none); prints each session",
		.run = cka_sess_add,
	},
	{
		.name = "show", .aliases = ALIASES("list", "get"),
		.args = "[ID | [ctx ID] [inode N]]",
		.help = "show one, or all of this network namespace (filtered)",
		.run = cka_sess_show,
	},
	{
		.name = "del", .aliases = ALIASES("delete", "remove"),
		.args = "ID",
		.help = "stop watching one; the socket is left as it was",
		.run = cka_verb_del,
	},
	{ .name = NULL },
};

const struct cka_object cka_obj_session = {
	.name = "session",
	.aliases = ALIASES("sess"),
	.help = "a socket and peer kept alive by the kernel",
	.set = &cka_attrs_coap_ka,
	.id_attr = COAP_KA_A_SESSION_ID,
	.cmd_new = COAP_KA_CMD_SESSION_ADD,
	.cmd_get = COAP_KA_CMD_SESSION_GET,
	.cmd_del = COAP_KA_CMD_SESSION_DEL,
	.settings = cka_ctx_settings,
	.verbs = cka_sess_verbs,
	.default_verb = "show",
};
