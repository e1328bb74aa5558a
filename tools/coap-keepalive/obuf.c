// SPDX-License-Identifier: GPL-2.0
/*
 * The output buffer of obuf.h, and numbers written into it.
 */
#include "obuf.h"

void obuf_flush(struct obuf *b)
{
	if (b->len)
		fwrite(b->buf, 1, b->len, b->f);
	b->len = 0;
}

/* Decimal digits of @v. */
static unsigned int obuf_ndigits(uint64_t v)
{
	unsigned int n = 1;

	for (; v >= 10000; v /= 10000)
		n += 4;
	if (v >= 1000)
		return n + 3;
	if (v >= 100)
		return n + 2;
	return v >= 10 ? n + 1 : n;
}

char *obuf_fmt_u64(char *p, uint64_t v)
{
	static const char pairs[201] =
		"00010203040506070809101112131415161718192021222324"
		"25262728293031323334353637383940414243444546474849"
		"50515253545556575859606162636465666768697071727374"
		"75767778798081828384858687888990919293949596979899";
	unsigned int k;
	char *end;

	if (v < 10) {
		*p = (char)('0' + v);
		return p + 1;
	}
	if (v < 100) {
		p[0] = pairs[v * 2];
		p[1] = pairs[v * 2 + 1];
		return p + 2;
	}
	/* From the last digit back. */
	end = p + obuf_ndigits(v);
	p = end;
	while (v >= 100) {
		k = (unsigned int)(v % 100) * 2;
		v /= 100;
		*--p = pairs[k + 1];
		*--p = pairs[k];
	}
	if (v >= 10) {
		*--p = pairs[v * 2 + 1];
		*--p = pairs[v * 2];
	} else {
		*--p = (char)('0' + v);
	}
	return end;
}

void obuf_u64(struct obuf *b, uint64_t v)
{
	obuf_commit(b, obuf_fmt_u64(obuf_room(b, 20), v));
}

void obuf_s64(struct obuf *b, int64_t v)
{
	if (v < 0) {
		obuf_putc(b, '-');
		obuf_u64(b, -(uint64_t)v);
		return;
	}
	obuf_u64(b, (uint64_t)v);
}

void obuf_u3(struct obuf *b, uint32_t v)
{
	char *p = obuf_room(b, 3);

	p[0] = (char)('0' + v / 100 % 10);
	p[1] = (char)('0' + v / 10 % 10);
	p[2] = (char)('0' + v % 10);
	b->len += 3;
}

void obuf_hex(struct obuf *b, uint32_t v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[8], *end = tmp + sizeof(tmp), *p = end;

	do {
		*--p = digits[v & 0xf];
		v >>= 4;
	} while (v);
	obuf_put(b, p, (size_t)(end - p));
}
