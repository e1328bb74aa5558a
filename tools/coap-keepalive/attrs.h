/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The attribute table: one row per attribute of the family, saying how a
 * value is spelt on the command line, in text output and in JSON. Adding
 * an attribute is adding a row; adding an enum or flags type is adding a
 * name list.
 */
#ifndef CKA_ATTRS_H
#define CKA_ATTRS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "json.h"

enum cka_kind {
	CKA_KIND_U32,		/* decimal integer */
	CKA_KIND_ENUM,		/* one name of ->names */
	CKA_KIND_FLAGS,		/* comma list of names of ->names (bits) */
	CKA_KIND_FACTOR,	/* thousandths, written 1.500 */
	CKA_KIND_S32,		/* signed decimal (request only: fds) */
	CKA_KIND_U64,		/* decimal, 64 bits */
	CKA_KIND_BE16,		/* decimal, network byte order (ports) */
	CKA_KIND_IPV4,		/* be32 address, dotted quad */
	CKA_KIND_IPV6,		/* 16 bytes, RFC 5952 text */
	CKA_KIND_PAD,		/* alignment padding: never printed */
};

/*
 * A value's name: an enum entry, or one bit of a flags type. Letters,
 * digits and '-' only: written in JSON without escaping.
 */
struct cka_name {
	uint32_t val;
	const char *name;
};

struct cka_attr {
	/*
	 * YAML name: setting, text and JSON key. Letters, digits and '-'
	 * only: written as a JSON key without escaping.
	 */
	const char *name;
	unsigned char name_len;		/* strlen(name) */
	const char *const *aliases;	/* NULL-terminated, or NULL */
	enum cka_kind kind;
	const struct cka_name *names;	/* ENUM/FLAGS; ends with name NULL */
	bool readonly;			/* the kernel reports it, never takes it */
	/* For --help only: the kernel is the one that checks values. */
	const char *unit;
	const char *help;
	bool has_range;
	uint32_t min, max, def;
};

/* A row's name and its length. */
#define CKA_NAME(s)	.name = s, .name_len = sizeof(s) - 1

/* The attributes of one attribute set, indexed by type. */
struct cka_attr_set {
	const char *name;		/* YAML attribute-set name */
	const struct cka_attr *attrs;
	unsigned int max;		/* highest type in ->attrs */
};

extern const struct cka_attr_set cka_attrs_coap_ka;

/* The family's command names (YAML operation names). */
const char *cka_cmd_name(unsigned int cmd);
/* Short names of the events ("pong", "session-gone"), NULL for others. */
const char *cka_event_name(unsigned int cmd);

/* Row of @type, or NULL if the type is unknown to this program. */
static inline const struct cka_attr *
cka_attr_get(const struct cka_attr_set *set, unsigned int type)
{
	if (!set || type > set->max || !set->attrs[type].name)
		return NULL;
	return &set->attrs[type];
}
static inline size_t cka_attr_name_len(const struct cka_attr *a)
{
	return a->name_len ? a->name_len : strlen(a->name);
}

/* The entry of @val in a name list (ENUM/FLAGS ->names, may be NULL), or NULL. */
static inline const struct cka_name *cka_name_of(const struct cka_name *names,
						 uint32_t val)
{
	for (; names && names->name; names++)
		if (names->val == val)
			return names;
	return NULL;
}

/* Type of a setting name or alias, or -1. */
int cka_attr_lookup(const struct cka_attr_set *set, const char *name);

/*
 * Parse a command line value. On failure returns -1 and leaves a message
 * (without the program name) in @err.
 */
int cka_attr_parse(const struct cka_attr *a, const char *s, uint32_t *val,
		   char *err, size_t errlen);
/* Decimal u32, nothing else: for ids and plain numbers. */
int cka_parse_u32(const char *s, uint32_t *val, const char **why);

/* Text form of a value (enum names, flag lists, factors). */
void cka_attr_fmt(const struct cka_attr *a, uint32_t val, char *buf,
		  size_t len);
/* The same text, into @b. */
void cka_attr_text(struct obuf *b, const struct cka_attr *a, uint32_t val);
/* JSON member @key for a value: as the kernel's YNL cli.py prints it. */
void cka_attr_json(struct json *j, const struct cka_attr *a, uint32_t val);
/* Is the kind's value held in a u32 (cka_attr_fmt and _json take it)? */
bool cka_kind_is_u32(enum cka_kind kind);
/* "N", "rxtx|rx", "FLAG[,FLAG...]|none": the value placeholder for help. */
void cka_attr_syntax(const struct cka_attr *a, char *buf, size_t len);

#endif /* CKA_ATTRS_H */
