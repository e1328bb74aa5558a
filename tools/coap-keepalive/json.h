/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny streaming JSON writer: enough for objects, arrays, strings,
 * unsigned integers and null, with optional indentation.
 */
#ifndef CKA_JSON_H
#define CKA_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "obuf.h"

#define JSON_MAX_DEPTH	16

/*
 * The text is buffered in ->out: it reaches the FILE at json_flush() or
 * json_end() (or when the buffer fills). Flush before writing to the FILE
 * directly.
 */
struct json {
	bool pretty;
	int depth;
	bool need_comma[JSON_MAX_DEPTH + 1];
	struct obuf out;
};

void json_init(struct json *j, FILE *f, bool pretty);

/* @key is NULL for array members and top-level values. */
void json_obj_open(struct json *j, const char *key);
void json_obj_close(struct json *j);
void json_arr_open(struct json *j, const char *key);
void json_arr_close(struct json *j);
void json_str(struct json *j, const char *key, const char *s);
void json_uint(struct json *j, const char *key, uint64_t v);
void json_int(struct json *j, const char *key, int64_t v);
void json_null(struct json *j, const char *key);
/*
 * The same for a key of @klen characters that needs no escaping (letters,
 * digits, '-'): the attribute names every object of a dump repeats.
 */
void json_arr_open_plain(struct json *j, const char *key, size_t klen);
/* A string of @len characters that needs no escaping either. */
void json_strn_plain(struct json *j, const char *key, size_t klen,
		     const char *s, size_t len);
void json_uint_plain(struct json *j, const char *key, size_t klen,
		     uint64_t v);
/* A value already written as JSON (a number, a plain string in quotes). */
void json_raw_plain(struct json *j, const char *key, size_t klen,
		    const char *v, size_t len);

/*
 * A member the caller writes itself, "key":value with nothing to escape,
 * in compact output only (not pretty): returns where @n bytes of room start
 * (n <= OBUF_SIZE / 2), after the separator; json_commit() then takes the
 * end of what was written. Nothing counts as written before it.
 */
static inline char *json_member_room(struct json *j, size_t n)
{
	char *p = obuf_room(&j->out, 1 + n);

	*p = ',';
	return p + j->need_comma[j->depth];
}

static inline void json_commit(struct json *j, char *end)
{
	j->need_comma[j->depth] = true;
	obuf_commit(&j->out, end);
}

/* Hand what is buffered to the FILE (no fflush). */
void json_flush(struct json *j);
/* End a top-level value: newline, flush (and fflush). */
void json_end(struct json *j);

#endif /* CKA_JSON_H */
