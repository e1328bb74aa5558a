/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An output buffer in front of a FILE: text is built here with plain
 * stores and handed to stdio in big pieces, not a call per field or per
 * character. What is in the buffer reaches the FILE at obuf_flush() (or
 * when the buffer fills): flush before writing to the FILE directly.
 */
#ifndef CKA_OBUF_H
#define CKA_OBUF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define OBUF_SIZE	8192

struct obuf {
	FILE *f;
	size_t len;
	char buf[OBUF_SIZE];
};

static inline void obuf_init(struct obuf *b, FILE *f)
{
	b->f = f;
	b->len = 0;
}

/* Hand what is buffered to the FILE (no fflush). */
void obuf_flush(struct obuf *b);
/* @n bytes (n <= OBUF_SIZE) of room at the returned pointer. */
static inline char *obuf_room(struct obuf *b, size_t n)
{
	if (b->len + n > OBUF_SIZE)
		obuf_flush(b);
	return b->buf + b->len;
}

static inline void obuf_put(struct obuf *b, const void *s, size_t n)
{
	if (n > OBUF_SIZE / 2) {
		obuf_flush(b);
		fwrite(s, 1, n, b->f);
		return;
	}
	memcpy(obuf_room(b, n), s, n);
	b->len += n;
}

static inline void obuf_putc(struct obuf *b, char c)
{
	*obuf_room(b, 1) = c;
	b->len++;
}

/* A character at a time: the strings are short, strlen + memcpy cost more. */
static inline void obuf_puts(struct obuf *b, const char *s)
{
	char *p = b->buf + b->len, *end = b->buf + OBUF_SIZE;

	for (; *s; s++) {
		if (p == end) {
			b->len = OBUF_SIZE;
			obuf_flush(b);
			p = b->buf;
		}
		*p++ = *s;
	}
	b->len = (size_t)(p - b->buf);
}

/* Decimal, as printf's %llu / %lld / %u prints them. */
void obuf_u64(struct obuf *b, uint64_t v);
void obuf_s64(struct obuf *b, int64_t v);
/* "%03u" of a value below 1000. */
void obuf_u3(struct obuf *b, uint32_t v);
/* Lowercase hex without 0x, as %x. */
void obuf_hex(struct obuf *b, uint32_t v);

#endif /* CKA_OBUF_H */
