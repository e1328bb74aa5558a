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

#include <linux/coap_keepalive.h>

#include "attrs.h"
#include "json.h"
#include "nl.h"
#include "obuf.h"

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
	bool timestamp;		/* -t: monitor prints when each event came */
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

/* object.c: the context object and what every family object shares. */
extern const struct cka_object cka_obj_context;
extern const unsigned int cka_ctx_settings[];	/* 0 ends */

union cka_req {
	char buf[CKA_REQ_SIZE];
	struct nlmsghdr align;
};

typedef int (*cka_verb_fn)(const struct cka_opts *o,
			   const struct cka_object *obj, int argc, char **argv);

const struct cka_verb *cka_find_verb(const struct cka_object *obj,
				     cka_verb_fn run);
/* Put "SETTING VALUE" pairs into @nlh. Returns 0 or an exit code. */
int cka_put_settings(const struct cka_object *obj, const struct cka_verb *verb,
		     struct nlmsghdr *nlh, int argc, char **argv);
int cka_parse_id(const struct cka_object *obj, const struct cka_verb *verb,
		 const char *s, uint32_t *id);
/*
 * With -j every command that talks to the kernel prints exactly one JSON
 * array on stdout, as ip -j does: the objects of all its replies (none for
 * del: []). cka_obj_do() starts it; main() ends it with cka_list_end(),
 * which prints [] if nothing was printed and the command succeeded, and
 * nothing at all if it failed before printing anything.
 */
void cka_list_start(const struct cka_opts *o);
void cka_list_end(int exit_code);
/* Print reply messages: a line each, or objects of the -j array. */
void cka_print_objects(const struct cka_opts *o, const struct cka_object *obj,
		       const struct cka_msgs *m);
/* Send @req on @nl, print what comes back. Returns an exit code. */
int cka_obj_do(const struct cka_opts *o, const struct cka_object *obj,
	       struct cka_nl *nl, struct nlmsghdr *req, bool print);
/* The generic "del ID". */
int cka_verb_del(const struct cka_opts *o, const struct cka_object *obj,
		 int argc, char **argv);

/* session.c: the session object, and what attach shares with its add. */
extern const struct cka_object cka_obj_session;

struct cka_sess_args {
	uint32_t ctx;
	int32_t fd;
	int family;			/* of the peer: AF_INET, AF_INET6 */
	unsigned char addr[16];		/* network byte order */
	uint16_t port;
	uint32_t transport;
	bool has_ctx, has_fd, has_peer, has_port, has_transport;
	int nset;			/* "SETTING VALUE" words in setv */
	char **setv;
	/* session add: the peers after the first (a batch), in order */
	struct cka_peer {
		int family;
		unsigned char addr[16];
		uint16_t port;
		bool has_port;
	} *more;
	unsigned int nmore;
};

/*
 * Parse "ctx ID [fd N] [peer ADDR port P] [transport T] [SETTING VALUE]..."
 * (fd only with @take_fd; then it is required, and "peer ADDR port P" may
 * come again: a batch, in ->more). Returns 0 or an exit code
 * after printing why; cka_sess_args_free() in both cases.
 */
int cka_sess_parse(const struct cka_object *obj, const struct cka_verb *verb,
		   int argc, char **argv, bool take_fd,
		   struct cka_sess_args *sa);
void cka_sess_args_free(struct cka_sess_args *sa);
/* Fill a SESSION_ADD request of @obj for file descriptor @fd. */
void cka_sess_put(const struct cka_object *obj,
		  const struct cka_sess_args *sa, struct nlmsghdr *nlh, int fd);

/* attach.c */
extern const struct cka_object cka_obj_attach;

/* monitor.c */
extern const struct cka_object cka_obj_monitor;

/* print.c: one message of the family, as text or JSON. */
#define CKA_MAX_OTHER	64

struct cka_parsed {
	/* by type, known and well-formed */
	const struct nlattr *tb[COAP_KA_A_MAX + 1];
	uint64_t present;		/* bit N: tb[N] is set */
	const struct nlattr *other[CKA_MAX_OTHER]; /* the rest, in order */
	unsigned int nother;
	uint8_t cmd;
};

/* Parse a family message. Returns 0, or -1 if it is not one. */
int cka_parse_msg(const struct cka_attr_set *set, const struct nlmsghdr *nlh,
		  struct cka_parsed *p);
/*
 * Text: "<name> <value>" for every attribute, by its YAML name, separated
 * by spaces; with @obj its id attribute first. No newline, no leading
 * space. show and monitor print the same names for the same things.
 */
void cka_print_text(FILE *f, const struct cka_attr_set *set,
		    const struct cka_parsed *p, const struct cka_object *obj);
/* The same into @b (it reaches the FILE at obuf_flush()). */
void cka_print_text_buf(struct obuf *b, const struct cka_attr_set *set,
			const struct cka_parsed *p,
			const struct cka_object *obj);
/* JSON object members by YAML name, with @obj its id first (the caller
 * opens and closes the object). */
void cka_print_json(struct json *j, const struct cka_attr_set *set,
		    const struct cka_parsed *p, const struct cka_object *obj);

#endif /* CKA_H */
