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
			return cka_usage_error(obj, verb, "peer given twice");
		if (inet_pton(AF_INET, v, sa->addr) == 1)
			sa->family = AF_INET;
		else if (inet_pton(AF_INET6, v, sa->addr) == 1)
			sa->family = AF_INET6;
		else
			return cka_usage_error(obj, verb,
					       "invalid peer address '%s': not an IPv4 or IPv6 address",
					       v);
		sa->has_peer = true;
		return 0;
	case CKA_KW_PORT:
		if (sa->has_port)
			return cka_usage_error(obj, verb, "port given twice");
		if (cka_parse_u32(v, &n, &why) || n > 65535)
			return cka_usage_error(obj, verb, "invalid port '%s': %s",
					       v, n > 65535 ? "at most 65535" : why);
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
	if (!sa->setv) {
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
	if (sa->has_peer != sa->has_port)
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
	nlh = cka_nl_req(&nl, req.buf, COAP_KA_CMD_SESSION_ADD, NLM_F_ACK);
	cka_sess_put(obj, &sa, nlh, sa.fd);
	ret = cka_obj_do(o, obj, &nl, nlh, true);
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
		.args = "ctx ID fd N [peer ADDR port P] [transport udp|tcp|tls] [SETTING VALUE]...",
		.help = "hand socket fd N of this process to the kernel; prints the session",
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
