// SPDX-License-Identifier: GPL-2.0
/*
 * The generic verbs of the family's objects (add, set, show, del) and the
 * context object. Another object (e.g. session) is another struct
 * cka_object row using the same verbs, plus verbs of its own if needed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/coap_keepalive.h>

#include "cka.h"
#include "nl.h"

#define ALIASES(...)	((const char *const []){ __VA_ARGS__, NULL })

static bool cka_obj_takes(const struct cka_object *obj, unsigned int type)
{
	const unsigned int *t;

	for (t = obj->settings; t && *t; t++)
		if (*t == type)
			return true;
	return false;
}

/* Put "SETTING VALUE" pairs into @nlh. Returns 0 or an exit code. */
int cka_put_settings(const struct cka_object *obj,
			    const struct cka_verb *verb, struct nlmsghdr *nlh,
			    int argc, char **argv)
{
	bool seen[256] = { false };
	const struct cka_attr *a;
	char err[512];
	uint32_t val;
	int i, type;

	for (i = 0; i < argc; i += 2) {
		type = cka_attr_lookup(obj->set, argv[i]);
		if (type < 0 || !cka_obj_takes(obj, (unsigned int)type))
			return cka_usage_error(obj, verb,
					       "unknown setting '%s'", argv[i]);
		a = cka_attr_get(obj->set, (unsigned int)type);
		if (i + 1 >= argc)
			return cka_usage_error(obj, verb,
					       "setting %s needs a value",
					       a->name);
		if ((size_t)type < sizeof(seen) && seen[type])
			return cka_usage_error(obj, verb,
					       "setting %s given twice",
					       a->name);
		if ((size_t)type < sizeof(seen))
			seen[type] = true;
		if (cka_attr_parse(a, argv[i + 1], &val, err, sizeof(err)))
			return cka_usage_error(obj, verb, "%s", err);
		mnl_attr_put_u32(nlh, (uint16_t)type, val);
	}
	return 0;
}

int cka_parse_id(const struct cka_object *obj,
			const struct cka_verb *verb, const char *s,
			uint32_t *id)
{
	const char *why;

	if (cka_parse_u32(s, id, &why))
		return cka_usage_error(obj, verb, "invalid %s id '%s': %s",
				       obj->name, s, why);
	return 0;
}

/* The one JSON array of a -j command (see cka.h). */
static struct {
	struct json j;
	bool started;		/* a command that prints objects ran */
	bool open;		/* its "[" is out */
} cka_list;

void cka_list_start(const struct cka_opts *o)
{
	if (!o->json || cka_list.started)
		return;
	json_init(&cka_list.j, stdout, o->pretty);
	cka_list.started = true;
}

void cka_list_end(int exit_code)
{
	if (cka_list.open) {
		json_arr_close(&cka_list.j);
		json_end(&cka_list.j);
	} else if (cka_list.started && exit_code == CKA_EXIT_OK) {
		json_arr_open(&cka_list.j, NULL);
		json_arr_close(&cka_list.j);
		json_end(&cka_list.j);
	}
	cka_list.started = false;
	cka_list.open = false;
}

/* Print the reply messages: a text line each, or objects of the array. */
void cka_print_objects(const struct cka_opts *o,
		       const struct cka_object *obj, const struct cka_msgs *m)
{
	static struct obuf text;
	struct json *j = &cka_list.j;
	struct cka_parsed p;
	size_t i;

	obuf_init(&text, stdout);

	for (i = 0; i < m->n; i++) {
		if (cka_parse_msg(obj->set, m->v[i], &p))
			continue;
		if (o->json) {
			if (!cka_list.open) {
				json_arr_open(j, NULL);
				cka_list.open = true;
			}
			json_obj_open(j, NULL);
			cka_print_json(j, obj->set, &p, obj);
			json_obj_close(j);
		} else {
			cka_print_text_buf(&text, obj->set, &p, obj);
			obuf_putc(&text, '\n');
		}
	}
	if (o->json)
		json_flush(j);
	obuf_flush(&text);
	fflush(stdout);
}

/* Send @req on @nl and print what comes back. */
int cka_obj_do(const struct cka_opts *o, const struct cka_object *obj,
	       struct cka_nl *nl, struct nlmsghdr *req, bool print)
{
	struct cka_msgs m = { 0 };
	int ret;

	cka_list_start(o);
	ret = cka_nl_talk(nl, req, &m);
	if (ret) {
		cka_nl_perror(nl);
		cka_msgs_free(&m);
		return CKA_EXIT_ERR;
	}
	if (print)
		cka_print_objects(o, obj, &m);
	cka_msgs_free(&m);
	return CKA_EXIT_OK;
}

/*
 * What the verbs share. The settings are parsed once into a scratch
 * message before netlink is touched, so that usage errors never depend on
 * the module being there.
 */
static int cka_obj_verb(const struct cka_opts *o, const struct cka_object *obj,
			const struct cka_verb *verb, uint8_t cmd,
			uint16_t flags, bool has_id, uint32_t id, int argc,
			char **argv, bool print)
{
	static union cka_req probe, req;
	struct cka_nl nl = { 0 };
	struct nlmsghdr *nlh;
	int ret;

	/* Parse into a scratch message first: usage errors come first. */
	nlh = cka_nl_req(&nl, probe.buf, cmd, flags);
	ret = cka_put_settings(obj, verb, nlh, argc, argv);
	if (ret)
		return ret;

	if (cka_nl_open(&nl))
		return CKA_EXIT_ERR;
	nlh = cka_nl_req(&nl, req.buf, cmd, flags);
	if (has_id)
		mnl_attr_put_u32(nlh, (uint16_t)obj->id_attr, id);
	cka_put_settings(obj, verb, nlh, argc, argv);
	ret = cka_obj_do(o, obj, &nl, nlh, print);
	cka_nl_close(&nl);
	return ret;
}

const struct cka_verb *cka_find_verb(const struct cka_object *obj,
					    cka_verb_fn run)
{
	const struct cka_verb *v;

	for (v = obj->verbs; v->name; v++)
		if (v->run == run)
			return v;
	return NULL;
}

static int cka_verb_add(const struct cka_opts *o, const struct cka_object *obj,
			int argc, char **argv)
{
	return cka_obj_verb(o, obj, cka_find_verb(obj, cka_verb_add),
			    obj->cmd_new, NLM_F_ACK, false, 0, argc, argv,
			    true);
}

static int cka_verb_set(const struct cka_opts *o, const struct cka_object *obj,
			int argc, char **argv)
{
	const struct cka_verb *verb = cka_find_verb(obj, cka_verb_set);
	uint32_t id;
	int ret;

	if (argc < 1)
		return cka_usage_error(obj, verb, "missing %s id", obj->name);
	ret = cka_parse_id(obj, verb, argv[0], &id);
	if (ret)
		return ret;
	return cka_obj_verb(o, obj, verb, obj->cmd_set, NLM_F_ACK, true, id,
			    argc - 1, argv + 1, true);
}

static int cka_verb_show(const struct cka_opts *o,
			 const struct cka_object *obj, int argc, char **argv)
{
	const struct cka_verb *verb = cka_find_verb(obj, cka_verb_show);
	uint32_t id;
	int ret;

	if (argc > 1)
		return cka_usage_error(obj, verb, "too many arguments");
	if (argc == 0)
		return cka_obj_verb(o, obj, verb, obj->cmd_get, NLM_F_DUMP,
				    false, 0, 0, NULL, true);
	ret = cka_parse_id(obj, verb, argv[0], &id);
	if (ret)
		return ret;
	return cka_obj_verb(o, obj, verb, obj->cmd_get, NLM_F_ACK, true, id,
			    0, NULL, true);
}

int cka_verb_del(const struct cka_opts *o, const struct cka_object *obj,
		 int argc, char **argv)
{
	const struct cka_verb *verb = cka_find_verb(obj, cka_verb_del);
	uint32_t id;
	int ret;

	if (argc < 1)
		return cka_usage_error(obj, verb, "missing %s id", obj->name);
	if (argc > 1)
		return cka_usage_error(obj, verb, "too many arguments");
	ret = cka_parse_id(obj, verb, argv[0], &id);
	if (ret)
		return ret;
	return cka_obj_verb(o, obj, verb, obj->cmd_del, NLM_F_ACK, true, id,
			    0, NULL, false);
}

/* The verbs of an object with new/set/get/del commands; add comes first. */
static const struct cka_verb cka_std_verbs[] = {
	{
		.name = "add", .aliases = ALIASES("new", "create"),
		.args = "[SETTING VALUE]...",
		.help = "make one; unset settings take their defaults; prints it",
		.run = cka_verb_add,
	},
	{
		.name = "set", .aliases = ALIASES("change"),
		.args = "ID [SETTING VALUE]...",
		.help = "change settings (owner or CAP_NET_ADMIN); prints it",
		.run = cka_verb_set,
	},
	{
		.name = "show", .aliases = ALIASES("list", "get"),
		.args = "[ID]",
		.help = "show one, or all of this network namespace",
		.run = cka_verb_show,
	},
	{
		.name = "del", .aliases = ALIASES("delete", "remove"),
		.args = "ID",
		.help = "delete one (owner or CAP_NET_ADMIN)",
		.run = cka_verb_del,
	},
	{ .name = NULL },
};

const unsigned int cka_ctx_settings[] = {
	COAP_KA_A_KEEPALIVE_SECS,
	COAP_KA_A_ACK_TIMEOUT_MS,
	COAP_KA_A_ACK_RANDOM_FACTOR,
	COAP_KA_A_MAX_RETRANSMIT,
	COAP_KA_A_PONG_TIMEOUT_MS,
	COAP_KA_A_ACTIVITY,
	COAP_KA_A_JITTER_PCT,
	COAP_KA_A_ACTION,
	COAP_KA_A_FLAGS,
	0
};

const struct cka_object cka_obj_context = {
	.name = "context",
	.aliases = ALIASES("ctx"),
	.help = "keepalive settings that sessions follow",
	.set = &cka_attrs_coap_ka,
	.id_attr = COAP_KA_A_CTX_ID,
	.cmd_new = COAP_KA_CMD_CTX_NEW,
	.cmd_set = COAP_KA_CMD_CTX_SET,
	.cmd_get = COAP_KA_CMD_CTX_GET,
	.cmd_del = COAP_KA_CMD_CTX_DEL,
	.settings = cka_ctx_settings,
	.verbs = cka_std_verbs,
	.default_verb = "show",
};
