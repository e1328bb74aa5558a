/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An output buffer in front of a FILE: text is built here with plain
 * stores and handed to stdio in big pieces, not a call per field or per
 * character. What is in the buffer reaches the FILE at obuf_flush() (or
 * when the buffer fills): flush before writing to the FILE directly. It
 * is big: not for the stack.
 */
#ifndef CKA_OBUF_H
#define CKA_OBUF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* A write(2) per 64 KiB of a long listing: few system calls. */
#define OBUF_SIZE	65536

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

/*
 * memcpy() of a few bytes without a call: the names and numbers written
 * here are mostly shorter than 16 bytes.
 */
static inline void obuf_copy(char *d, const char *s, size_t n)
{
	if (n > 32) {
		memcpy(d, s, n);
		return;
	}
	for (; n >= 8; n -= 8, d += 8, s += 8)
		memcpy(d, s, 8);
	if (n & 4) {
		memcpy(d, s, 4);
		d += 4;
		s += 4;
	}
	if (n & 2) {
		memcpy(d, s, 2);
		d += 2;
		s += 2;
	}
	if (n & 1)
		*d = *s;
}

static inline void obuf_put(struct obuf *b, const void *s, size_t n)
{
	if (n > OBUF_SIZE / 2) {
		obuf_flush(b);
		fwrite(s, 1, n, b->f);
		return;
	}
	obuf_copy(obuf_room(b, n), s, n);
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

/* The end of what was written at @p, obuf_room() was asked for. */
static inline void obuf_commit(struct obuf *b, char *p)
{
	b->len = (size_t)(p - b->buf);
}

/*
 * @v in decimal at @p (20 bytes at most); returns the end, never NULL (so
 * that a caller's own NULL check of it is compiled out).
 */
__attribute__((returns_nonnull)) char *obuf_fmt_u64(char *p, uint64_t v);
/* Decimal, as printf's %llu / %lld / %u prints them. */
void obuf_u64(struct obuf *b, uint64_t v);
void obuf_s64(struct obuf *b, int64_t v);
/* "%03u" of a value below 1000. */
void obuf_u3(struct obuf *b, uint32_t v);
/* Lowercase hex without 0x, as %x. */
void obuf_hex(struct obuf *b, uint32_t v);

#endif /* CKA_OBUF_H */
