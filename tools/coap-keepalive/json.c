// SPDX-License-Identifier: GPL-2.0
/*
 * A tiny streaming JSON writer.
 */
#include <string.h>

#include "json.h"

void json_init(struct json *j, FILE *f, bool pretty)
{
	j->pretty = pretty;
	j->depth = 0;
	j->need_comma[0] = false;
	obuf_init(&j->out, f);
}

static void json_indent(struct json *j)
{
	char *p = obuf_room(&j->out, 1 + 2 * JSON_MAX_DEPTH);

	p[0] = '\n';
	memset(p + 1, ' ', 2 * (size_t)j->depth);
	j->out.len += 1 + 2 * (size_t)j->depth;
}

/* Characters written as an escape: control characters, '"', '\\'. */
static bool json_needs_escape(unsigned char c)
{
	return c < 0x20 || c == '"' || c == '\\' || c == 0x7f;
}

static void json_escape(struct obuf *b, unsigned char c)
{
	/* The short escapes; the other characters are written \u00XX. */
	static const char short_esc[128] = {
		['"'] = '"', ['\\'] = '\\', ['\b'] = 'b', ['\f'] = 'f',
		['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't',
	};
	static const char hex[] = "0123456789abcdef";
	char *p = obuf_room(b, 6);

	p[0] = '\\';
	if (c < sizeof(short_esc) && short_esc[c]) {
		p[1] = short_esc[c];
		b->len += 2;
		return;
	}
	memcpy(p + 1, "u00", 3);
	p[4] = hex[c >> 4];
	p[5] = hex[c & 0xf];
	b->len += 6;
}

/* A character at a time straight into the buffer: keys are short. */
static void json_raw_str(struct json *j, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	struct obuf *b = &j->out;
	char *q, *end = b->buf + OBUF_SIZE;

	obuf_putc(b, '"');
	q = b->buf + b->len;
	for (; *p; p++) {
		if (json_needs_escape(*p)) {
			b->len = (size_t)(q - b->buf);
			json_escape(b, *p);
			q = b->buf + b->len;
			continue;
		}
		if (q == end) {
			b->len = OBUF_SIZE;
			obuf_flush(b);
			q = b->buf;
		}
		*q++ = (char)*p;
	}
	b->len = (size_t)(q - b->buf);
	obuf_putc(b, '"');
}

/* Separator, indentation and key before a value. */
static void json_member(struct json *j, const char *key)
{
	if (j->need_comma[j->depth])
		obuf_putc(&j->out, ',');
	if (j->pretty && j->depth > 0)
		json_indent(j);
	if (key) {
		json_raw_str(j, key);
		if (j->pretty)
			obuf_put(&j->out, ": ", 2);
		else
			obuf_putc(&j->out, ':');
	}
	j->need_comma[j->depth] = true;
}

/*
 * json_member() for a key that needs no escaping, with room for @vroom
 * bytes of value after it: returns where the value goes (the caller then
 * commits its end with obuf_commit()), or NULL, having written nothing,
 * if that is more than the buffer takes.
 */
static inline __attribute__((always_inline))
char *json_member_at(struct json *j, const char *key, size_t klen,
		     size_t vroom)
{
	size_t indent = j->pretty && j->depth > 0 ? 2 * (size_t)j->depth : 0;
	char *p;

	/* Compact, as -j prints: the separator is the only choice. */
	if (!j->pretty && klen + vroom <= 256) {
		p = obuf_room(&j->out, 1 + klen + 3 + vroom);
		*p = ',';
		p += j->need_comma[j->depth];
		j->need_comma[j->depth] = true;
		*p++ = '"';
		obuf_copy(p, key, klen);
		p += klen;
		p[0] = '"';
		p[1] = ':';
		return p + 2;
	}
	if (klen + vroom > OBUF_SIZE / 2)
		return NULL;
	p = obuf_room(&j->out, 2 + indent + klen + 4 + vroom);
	if (j->need_comma[j->depth])
		*p++ = ',';
	if (j->pretty && j->depth > 0) {
		*p++ = '\n';
		memset(p, ' ', indent);
		p += indent;
	}
	j->need_comma[j->depth] = true;
	*p++ = '"';
	obuf_copy(p, key, klen);
	p += klen;
	*p++ = '"';
	*p++ = ':';
	if (j->pretty)
		*p++ = ' ';
	return p;
}

static void json_open_c(struct json *j, char c)
{
	obuf_putc(&j->out, c);
	if (j->depth < JSON_MAX_DEPTH)
		j->depth++;
	j->need_comma[j->depth] = false;
}

static void json_open(struct json *j, const char *key, char c)
{
	json_member(j, key);
	json_open_c(j, c);
}

static void json_close(struct json *j, char c)
{
	bool had_members = j->need_comma[j->depth];

	if (j->depth > 0)
		j->depth--;
	if (j->pretty && had_members)
		json_indent(j);
	obuf_putc(&j->out, c);
}

void json_obj_open(struct json *j, const char *key)
{
	json_open(j, key, '{');
}

void json_obj_close(struct json *j)
{
	json_close(j, '}');
}

void json_arr_open(struct json *j, const char *key)
{
	json_open(j, key, '[');
}

void json_arr_close(struct json *j)
{
	json_close(j, ']');
}

void json_str(struct json *j, const char *key, const char *s)
{
	json_member(j, key);
	json_raw_str(j, s);
}

void json_uint(struct json *j, const char *key, uint64_t v)
{
	json_member(j, key);
	obuf_u64(&j->out, v);
}

void json_int(struct json *j, const char *key, int64_t v)
{
	json_member(j, key);
	obuf_s64(&j->out, v);
}

void json_null(struct json *j, const char *key)
{
	json_member(j, key);
	obuf_put(&j->out, "null", 4);
}

void json_flush(struct json *j)
{
	obuf_flush(&j->out);
}

void json_end(struct json *j)
{
	obuf_putc(&j->out, '\n');
	j->need_comma[0] = false;
	obuf_flush(&j->out);
	fflush(j->out.f);
}

void json_arr_open_plain(struct json *j, const char *key, size_t klen)
{
	char *p = json_member_at(j, key, klen, 0);

	if (p)
		obuf_commit(&j->out, p);
	else
		json_member(j, key);
	json_open_c(j, '[');
}

/* "key":<value>, the value @s of @len bytes in quotes or (!@quote) as it is. */
static void json_plain(struct json *j, const char *key, size_t klen,
		       const char *s, size_t len, bool quote)
{
	char *p = json_member_at(j, key, klen, len + 2);

	if (!p) {
		json_member(j, key);
		if (quote)
			obuf_putc(&j->out, '"');
		obuf_put(&j->out, s, len);
		if (quote)
			obuf_putc(&j->out, '"');
		return;
	}
	*p = '"';
	p += quote;
	obuf_copy(p, s, len);
	p += len;
	*p = '"';
	obuf_commit(&j->out, p + quote);
}

void json_strn_plain(struct json *j, const char *key, size_t klen,
		     const char *s, size_t len)
{
	json_plain(j, key, klen, s, len, true);
}

void json_raw_plain(struct json *j, const char *key, size_t klen,
		    const char *v, size_t len)
{
	json_plain(j, key, klen, v, len, false);
}

void json_uint_plain(struct json *j, const char *key, size_t klen,
		     uint64_t v)
{
	char buf[20];

	json_plain(j, key, klen, buf, (size_t)(obuf_fmt_u64(buf, v) - buf),
		   false);
}
