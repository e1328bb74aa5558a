// SPDX-License-Identifier: GPL-2.0
/*
 * coap-keepalive: manage the coap_keepalive kernel module's contexts over
 * generic netlink, and watch its events.
 *
 *	coap-keepalive [-j] [-p] OBJECT COMMAND [ARGS...]
 *	coap-keepalive [-j] [-p] [--force] -b FILE
 *
 * Exit status: 0 success, 1 the kernel (or the system) refused, 2 usage.
 */
#include <errno.h>
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
	       "  -b, --batch FILE  run the commands of FILE (- for stdin),\n"
	       "                  one per line, in this one process; stop at\n"
	       "                  the first that fails\n"
	       "  -f, --force     with --batch: go on after a failure\n"
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

/* Run one command line OBJECT COMMAND [ARGS...]: an exit code. */
static int cka_run(const struct cka_opts *o, int argc, char **argv)
{
	const struct cka_object *obj;
	int ret;

	if (argc < 1)
		return cka_usage_error(NULL, NULL, "missing OBJECT");
	if (!strcmp(argv[0], "help")) {
		cka_help();
		return CKA_EXIT_OK;
	}
	obj = cka_find_object(argv[0]);
	if (!obj)
		return cka_usage_error(NULL, NULL, "unknown object '%s'",
				       argv[0]);
	ret = cka_run_object(o, obj, argc - 1, argv + 1);
	cka_list_end(ret);
	return ret;
}

#define CKA_BATCH_MAX_ARGS	128

/*
 * Split @line into words in place: blanks separate them, '...' and "..."
 * quote (no escapes inside), a word starting with '#' starts a comment.
 * Returns the number of words, or -1 with *why set.
 */
static int cka_batch_split(char *line, char **argv, const char **why)
{
	char *r = line, *w;
	int n = 0;

	for (;;) {
		while (*r == ' ' || *r == '\t' || *r == '\n' || *r == '\r')
			r++;
		if (!*r || *r == '#')
			return n;
		if (n == CKA_BATCH_MAX_ARGS) {
			*why = "too many words";
			return -1;
		}
		w = r;
		argv[n++] = w;
		while (*r && *r != ' ' && *r != '\t' && *r != '\n' &&
		       *r != '\r') {
			if (*r == '\'' || *r == '"') {
				char q = *r++;

				while (*r && *r != q)
					*w++ = *r++;
				if (!*r) {
					*why = "unterminated quote";
					return -1;
				}
				r++;
				continue;
			}
			*w++ = *r++;
		}
		if (*r)
			r++;
		*w = '\0';
	}
}

/*
 * -b FILE: each line is a command without the program name and options
 * (those of the command line apply to all). Stops at the first command
 * that fails and returns its exit code, unless @force: then it goes on and
 * returns the code of the last failure (0 if none failed).
 */
static int cka_batch(const struct cka_opts *o, const char *path, bool force)
{
	char *argv[CKA_BATCH_MAX_ARGS], *line = NULL;
	int ret = CKA_EXIT_OK, rc, n;
	unsigned long lineno = 0;
	const char *name = strcmp(path, "-") ? path : "stdin";
	size_t cap = 0;
	const char *why;
	FILE *f;

	f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!f) {
		fprintf(stderr, "%s: %s: %s\n", CKA_PROG, path,
			strerror(errno));
		return CKA_EXIT_ERR;
	}
	while (getline(&line, &cap, f) >= 0) {
		lineno++;
		n = cka_batch_split(line, argv, &why);
		if (!n)
			continue;
		if (n < 0) {
			rc = cka_usage_error(NULL, NULL, "%s line %lu: %s",
					     name, lineno, why);
		} else if (argv[0][0] == '-') {
			rc = cka_usage_error(NULL, NULL,
					     "%s line %lu: options go on the command line, before --batch",
					     name, lineno);
		} else {
			rc = cka_run(o, n, argv);
			/* the command's own output first, then the verdict */
			fflush(stdout);
			if (rc != CKA_EXIT_OK)
				fprintf(stderr, "%s: %s line %lu failed\n",
					CKA_PROG, name, lineno);
		}
		if (rc != CKA_EXIT_OK) {
			ret = rc;
			if (!force)
				break;
		}
	}
	if (ferror(f)) {
		fprintf(stderr, "%s: reading %s: %s\n", CKA_PROG, name,
			strerror(errno));
		ret = CKA_EXIT_ERR;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json",	no_argument,	NULL, 'j' },
		{ "pretty",	no_argument,	NULL, 'p' },
		{ "timestamp",	no_argument,	NULL, 't' },
		{ "batch",	required_argument, NULL, 'b' },
		{ "force",	no_argument,	NULL, 'f' },
		{ "help",	no_argument,	NULL, 'h' },
		{ "version",	no_argument,	NULL, 'V' },
		{ NULL,		0,		NULL, 0 },
	};
	struct cka_opts o = { 0 };
	const char *batch = NULL;
	bool force = false;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:jptb:fhV", longopts, NULL)) != -1) {
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
		case 'b':
			batch = optarg;
			break;
		case 'f':
			force = true;
			break;
		case 'h':
			cka_help();
			return CKA_EXIT_OK;
		case 'V':
			printf("%s %s (family %s version %d)\n", CKA_PROG,
			       CKA_VERSION, COAP_KA_GENL_NAME,
			       COAP_KA_GENL_VERSION);
			return CKA_EXIT_OK;
		case ':':
			return cka_usage_error(NULL, NULL,
					       "option '%s' needs a FILE (- for stdin)",
					       argv[optind - 1]);
		default:
			if (optopt)
				return cka_usage_error(NULL, NULL,
						       "unknown option '-%c'",
						       optopt);
			return cka_usage_error(NULL, NULL, "unknown option '%s'",
					       argv[optind - 1]);
		}
	}
	if (batch) {
		if (optind < argc)
			return cka_usage_error(NULL, NULL,
					       "--batch takes its commands from the file, not from '%s'",
					       argv[optind]);
		return cka_batch(&o, batch, force);
	}
	if (force)
		return cka_usage_error(NULL, NULL, "--force goes with --batch");
	return cka_run(&o, argc - optind, argv + optind);
}
