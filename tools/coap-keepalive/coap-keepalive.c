// SPDX-License-Identifier: GPL-2.0
/*
 * coap-keepalive: manage the coap_keepalive kernel module's contexts over
 * generic netlink, and watch its events.
 *
 *	coap-keepalive [-j] [-p] OBJECT COMMAND [ARGS...]
 *
 * Exit status: 0 success, 1 the kernel (or the system) refused, 2 usage.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <linux/coap_keepalive.h>

#include "cka.h"

/* Every object the command knows, in help order. */
static const struct cka_object *const cka_objects[] = {
	&cka_obj_context,
	&cka_obj_session,
	&cka_obj_attach,
	&cka_obj_monitor,
	NULL
};

bool cka_name_is(const char *s, const char *name, const char *const *aliases)
{
	if (!strcmp(s, name))
		return true;
	for (; aliases && *aliases; aliases++)
		if (!strcmp(s, *aliases))
			return true;
	return false;
}

/* "  USAGE  HELP", HELP on a line of its own when USAGE is long. */
static void cka_help_line(FILE *f, const char *usage, const char *help)
{
	if (strlen(usage) > 36)
		fprintf(f, "  %s\n  %-36s %s\n", usage, "", help);
	else
		fprintf(f, "  %-36s %s\n", usage, help);
}

static void cka_usage_lines(FILE *f, const struct cka_object *obj,
			    const struct cka_verb *only, bool help)
{
	const struct cka_verb *v;
	char line[256];

	if (!obj->verbs) {
		snprintf(line, sizeof(line), "%s %s", obj->name, obj->args);
		if (help)
			cka_help_line(f, line, obj->help);
		else
			fprintf(f, "Usage: %s %s\n", CKA_PROG, line);
		return;
	}
	for (v = obj->verbs; v->name; v++) {
		if (only && v != only)
			continue;
		snprintf(line, sizeof(line), "%s %s %s", obj->name, v->name,
			 v->args);
		if (help)
			cka_help_line(f, line, v->help);
		else
			fprintf(f, "%s %s %s\n", v == obj->verbs || only ?
				"Usage:" : "      ", CKA_PROG, line);
	}
}

int cka_usage_error(const struct cka_object *obj, const struct cka_verb *verb,
		    const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", CKA_PROG);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (obj)
		cka_usage_lines(stderr, obj, verb, false);
	else
		fprintf(stderr,
			"Usage: %s [OPTIONS] OBJECT COMMAND [ARGS...]\n",
			CKA_PROG);
	fprintf(stderr, "Try '%s --help' for more information.\n", CKA_PROG);
	return CKA_EXIT_USAGE;
}

/* Print @text indented by @indent, wrapped before column 79. */
static void cka_help_wrap(const char *text, int indent)
{
	int col = indent, len;
	const char *p = text;

	printf("%*s", indent, "");
	while (*p) {
		len = (int)strcspn(p, " ");
		if (col > indent && col + 1 + len > 78) {
			printf("\n%*s", indent, "");
			col = indent;
		} else if (col > indent) {
			putchar(' ');
			col++;
		}
		printf("%.*s", len, p);
		col += len;
		p += len;
		p += strspn(p, " ");
	}
	putchar('\n');
}

static void cka_help_setting(const struct cka_attr *a)
{
	const char *const *alias;
	char syntax[128], lo[32], hi[32], def[64];

	cka_attr_syntax(a, syntax, sizeof(syntax));
	printf("  %s %s", a->name, syntax);
	for (alias = a->aliases; alias && *alias; alias++)
		printf("%s%s", alias == a->aliases ? "   (alias: " : ", ",
		       *alias);
	printf("%s\n", a->aliases ? ")" : "");

	cka_help_wrap(a->help, 8);
	printf("        ");
	if (a->unit)
		printf("%s; ", a->unit);
	if (a->has_range) {
		cka_attr_fmt(a, a->min, lo, sizeof(lo));
		cka_attr_fmt(a, a->max, hi, sizeof(hi));
		printf("%s..%s; ", lo, hi);
	}
	cka_attr_fmt(a, a->def, def, sizeof(def));
	printf("default %s\n", def);
}

static void cka_help(void)
{
	const struct cka_object *const *obj;
	const unsigned int *t;

	printf("Usage: %s [OPTIONS] OBJECT COMMAND [ARGS...]\n\n", CKA_PROG);
	printf("Manage the in-kernel CoAP keepalive of the coap_keepalive module\n"
	       "(generic netlink family '%s').\n\n", COAP_KA_GENL_NAME);
	printf("Options:\n"
	       "  -j, --json      print JSON: always one array (of the objects\n"
	       "                  printed; [] if none); keys are the YAML names\n"
	       "  -p, --pretty    indent the JSON (implies --json)\n"
	       "  -t, --timestamp monitor: print when each event came\n"
	       "  -h, --help      print this help and exit\n"
	       "  -V, --version   print the version and exit\n\n");
	printf("Objects and commands:\n");
	for (obj = cka_objects; *obj; obj++)
		cka_usage_lines(stdout, *obj, NULL, true);

	printf("\nSettings of context add and set (the kernel checks the ranges;\n"
	       "unset settings take their default on add):\n");
	for (t = cka_ctx_settings; *t; t++)
		cka_help_setting(cka_attr_get(&cka_attrs_coap_ka, *t));
	printf("\nsession add and attach take the same settings: they override\n"
	       "the context's for that session only.\n");
	printf("\nA session's socket is fd N of this process (session add), or of\n"
	       "process P (attach, through pidfd_getfd(2): needs ptrace access,\n"
	       "i.e. root or the same user). It must be a UDP socket or a\n"
	       "connected TCP socket (plain or kTLS) of this network namespace\n"
	       "(nsenter -n -t P for another one); a UDP socket that is not\n"
	       "connected needs peer ADDR (IPv4 or IPv6) and port P. attach\n"
	       "without --fd adds every connected UDP socket and established\n"
	       "TCP connection of P and lists the unconnected UDP sockets on\n"
	       "stderr.\n");
	printf("\nIDs are decimal numbers. A factor is a decimal with up to 3\n"
	       "digits after the point (1.5 means 1.500). A flag list is\n"
	       "comma-separated, or 'none'.\n\n"
	       "Exit status: 0 success, 1 the kernel or the system refused\n"
	       "(its reason is printed), 2 usage error.\n"
	       "See coap-keepalive(8).\n");
}

static const struct cka_object *cka_find_object(const char *name)
{
	const struct cka_object *const *obj;

	for (obj = cka_objects; *obj; obj++)
		if (cka_name_is(name, (*obj)->name, (*obj)->aliases))
			return *obj;
	return NULL;
}

static int cka_run_object(const struct cka_opts *o,
			  const struct cka_object *obj, int argc, char **argv)
{
	const struct cka_verb *v;
	const char *verb;

	if (!obj->verbs)
		return obj->run(o, argc, argv);

	verb = argc > 0 ? argv[0] : obj->default_verb;
	if (!verb)
		return cka_usage_error(obj, NULL, "missing %s command",
				       obj->name);
	if (!strcmp(verb, "help")) {
		cka_usage_lines(stdout, obj, NULL, true);
		return CKA_EXIT_OK;
	}
	for (v = obj->verbs; v->name; v++)
		if (cka_name_is(verb, v->name, v->aliases))
			return v->run(o, obj, argc > 0 ? argc - 1 : 0,
				      argc > 0 ? argv + 1 : argv);
	return cka_usage_error(obj, NULL, "unknown %s command '%s'",
			       obj->name, verb);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json",	no_argument,	NULL, 'j' },
		{ "pretty",	no_argument,	NULL, 'p' },
		{ "timestamp",	no_argument,	NULL, 't' },
		{ "help",	no_argument,	NULL, 'h' },
		{ "version",	no_argument,	NULL, 'V' },
		{ NULL,		0,		NULL, 0 },
	};
	const struct cka_object *obj;
	struct cka_opts o = { 0 };
	int c, ret;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+jpthV", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o.json = true;
			break;
		case 'p':
			o.json = true;
			o.pretty = true;
			break;
		case 't':
			o.timestamp = true;
			break;
		case 'h':
			cka_help();
			return CKA_EXIT_OK;
		case 'V':
			printf("%s %s (family %s version %d)\n", CKA_PROG,
			       CKA_VERSION, COAP_KA_GENL_NAME,
			       COAP_KA_GENL_VERSION);
			return CKA_EXIT_OK;
		default:
			if (optopt)
				return cka_usage_error(NULL, NULL,
						       "unknown option '-%c'",
						       optopt);
			return cka_usage_error(NULL, NULL, "unknown option '%s'",
					       argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cka_usage_error(NULL, NULL, "missing OBJECT");
	if (!strcmp(argv[optind], "help")) {
		cka_help();
		return CKA_EXIT_OK;
	}
	obj = cka_find_object(argv[optind]);
	if (!obj)
		return cka_usage_error(NULL, NULL, "unknown object '%s'",
				       argv[optind]);
	ret = cka_run_object(&o, obj, argc - optind - 1, argv + optind + 1);
	cka_list_end(ret);
	return ret;
}
