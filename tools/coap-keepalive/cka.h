/* SPDX-License-Identifier: GPL-2.0 */
/*
 * coap-keepalive: what the command's files share.
 *
 * The command line is OBJECT VERB [ARGS]. An object of the family
 * (context, later session) is a struct cka_object row naming its id
 * attribute, its commands and the settings it takes; the generic verbs
 * (add, set, show, del) work on any such row. Objects that are not
 * family objects (monitor) have their own run function.
 */
#ifndef CKA_H
#define CKA_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/netlink.h>

#include "attrs.h"
#include "json.h"

#define CKA_PROG	"coap-keepalive"
#ifndef CKA_VERSION
#define CKA_VERSION	"0.1"
#endif

enum {
	CKA_EXIT_OK	= 0,
	CKA_EXIT_ERR	= 1,	/* the kernel or the system said no */
	CKA_EXIT_USAGE	= 2,	/* the command line is wrong */
};

struct cka_opts {
	bool json;
	bool pretty;
};

struct cka_object;

struct cka_verb {
	const char *name;
	const char *const *aliases;	/* NULL-terminated, or NULL */
	const char *args;		/* usage after "OBJECT VERB" */
	const char *help;
	int (*run)(const struct cka_opts *o, const struct cka_object *obj,
		   int argc, char **argv);
};

struct cka_object {
	const char *name;
	const char *const *aliases;
	const char *help;
	/* Objects of the family. */
	const struct cka_attr_set *set;
	unsigned int id_attr;		/* attribute holding the object's id */
	uint8_t cmd_new, cmd_set, cmd_get, cmd_del;
	const unsigned int *settings;	/* types add/set take; 0 ends */
	const struct cka_verb *verbs;	/* ends with name NULL */
	const char *default_verb;	/* verb when none is given */
	/* Objects that are a command of their own (verbs NULL). */
	int (*run)(const struct cka_opts *o, int argc, char **argv);
	const char *args;
};

/* coap-keepalive.c */
int cka_usage_error(const struct cka_object *obj, const struct cka_verb *verb,
		    const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool cka_name_is(const char *s, const char *name,
		 const char *const *aliases);

/* object.c */
extern const struct cka_object cka_obj_context;

/* monitor.c */
extern const struct cka_object cka_obj_monitor;

/* print.c: one message of the family, as text or JSON. */
#define CKA_MAX_OTHER	64

struct cka_parsed {
	const struct nlattr *tb[256];	/* by type, known and well-formed */
	const struct nlattr *other[CKA_MAX_OTHER]; /* the rest, in order */
	unsigned int nother;
	uint8_t cmd;
};

/* Parse a family message. Returns 0, or -1 if it is not one. */
int cka_parse_msg(const struct cka_attr_set *set, const struct nlmsghdr *nlh,
		  struct cka_parsed *p);
/*
 * Text: with @obj, "<object> <id> <label> <value>..."; without, " <name>
 * <value>" for every attribute by its YAML name. No newline.
 */
void cka_print_text(FILE *f, const struct cka_attr_set *set,
		    const struct cka_parsed *p, const struct cka_object *obj);
/* JSON object members (the caller opens and closes the object). */
void cka_print_json(struct json *j, const struct cka_attr_set *set,
		    const struct cka_parsed *p, const struct cka_object *obj);

#endif /* CKA_H */
