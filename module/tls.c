// SPDX-License-Identifier: GPL-2.0
/*
 * coap_keepalive: a Ping as a record of an application's kTLS stream.
 *
 * The message-boundary rule needs the check (no record open, nothing
 * waiting to be encrypted or sent) and the write of the Ping to happen
 * with the application excluded. kTLS excludes writers with its tx_lock,
 * which its own sendmsg takes, so the Ping cannot go through that sendmsg
 * without a window in which the application could open a record. Instead,
 * with tx_lock and the socket lock held, the record is sealed here with
 * the socket's own transmit AEAD, IV and record sequence, exactly as the
 * software kTLS path would have sealed it, handed to TCP whole (tcp.c), and
 * only then the record sequence is advanced. Only the software path (TLS_SW) and the AEADs
 * whose nonce rules are below are supported.
 */
#include <crypto/aead.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <net/tcp.h>
#include <net/tls.h>

#include "coap_ka.h"

#define COAP_KA_TLS_TYPE_DATA	23
#define COAP_KA_TLS_SEQ_LEN	8
#define COAP_KA_TLS_NONCE_LEN	12

/* The initial record sequence the application gave for @info's cipher. */
static const u8 *coap_ka_tls_first_seq(const union tls_crypto_context *c)
{
	switch (c->info.cipher_type) {
	case TLS_CIPHER_AES_GCM_128:
		return c->aes_gcm_128.rec_seq;
	case TLS_CIPHER_AES_GCM_256:
		return c->aes_gcm_256.rec_seq;
	case TLS_CIPHER_CHACHA20_POLY1305:
		return c->chacha20_poly1305.rec_seq;
	}
	return NULL;
}

/**
 * coap_ka_tls_check() - can Pings be sealed for a kTLS socket?
 * @tctx: the socket's kTLS context
 * @extack: where to say why not, or NULL
 *
 * Software kTLS (or no transmit keys yet) with AES-GCM-128, AES-GCM-256
 * or ChaCha20-Poly1305 can; hardware offload and other ciphers cannot.
 *
 * Context: the socket locked.
 * Return: 0, or -EOPNOTSUPP.
 */
int coap_ka_tls_check(const struct tls_context *tctx,
		      struct netlink_ext_ack *extack)
{
	if (tctx->tx_conf == TLS_BASE || tctx->tx_conf == TLS_SW) {
		if (tctx->tx_conf == TLS_SW &&
		    !coap_ka_tls_first_seq(&tctx->crypto_send)) {
			NL_SET_ERR_MSG_MOD(extack,
					   "kTLS cipher not supported: only AES-GCM-128, AES-GCM-256 and ChaCha20-Poly1305 can be pinged through");
			return -EOPNOTSUPP;
		}
		return 0;
	}
	NL_SET_ERR_MSG_MOD(extack,
			   "kTLS transmit is offloaded to hardware: the kernel cannot ping through it");
	return -EOPNOTSUPP;
}

/**
 * coap_ka_tls_sent() - has the application sent a record through kTLS?
 * @tctx: the socket's kTLS context
 *
 * Context: the socket locked.
 * Return: true if the transmit record sequence moved on from the one
 * the application installed.
 */
bool coap_ka_tls_sent(const struct tls_context *tctx)
{
	const u8 *first = coap_ka_tls_first_seq(&tctx->crypto_send);

	return first && memcmp(first, tctx->tx.rec_seq, COAP_KA_TLS_SEQ_LEN);
}

/**
 * coap_ka_tls_idle() - is a kTLS record stream at a record boundary?
 * @tctx: the socket's kTLS context
 *
 * Context: kTLS's tx_lock and the socket lock held.
 * Return: true if no record is open, being encrypted, queued or half
 * handed to TCP.
 */
bool coap_ka_tls_idle(struct tls_context *tctx)
{
	struct tls_sw_context_tx *sw = tls_sw_ctx_tx(tctx);

	return !tctx->pending_open_record_frags &&
	       !tctx->partially_sent_record && sw && list_empty(&sw->tx_list);
}

/* A big-endian counter of @len bytes, +1. */
static void coap_ka_be_inc(u8 *p, unsigned int len)
{
	while (len-- && !++p[len])
		;
}

/* Type, legacy version 3.3 and @len: a record header and TLS 1.x's AAD tail. */
static void coap_ka_tls_header(u8 *p, unsigned int len)
{
	p[0] = COAP_KA_TLS_TYPE_DATA;
	p[1] = 3;
	p[2] = 3;
	p[3] = len >> 8;
	p[4] = len & 0xff;
}

/**
 * coap_ka_tls_seal() - seal bytes as the next TLS record of a socket
 * @tctx: the socket's kTLS context
 * @data: the plaintext (a Ping)
 * @len: its length
 * @rec: room for %COAP_KA_TLS_MAX_RECORD bytes: the record
 * @rec_len: the record's length
 *
 * With the socket's own transmit AEAD, IV and record sequence, as the
 * software kTLS path would seal it (TLS 1.2 or 1.3). Nothing in @tctx
 * changes: coap_ka_tls_advance() moves the sequence on once the record is
 * in the stream whole.
 *
 * Context: process context, kTLS's tx_lock and the socket lock held,
 * coap_ka_tls_idle() true; may sleep.
 * Return: 0, -EOPNOTSUPP (a record layout not supported), -EOVERFLOW (the
 * record sequence would wrap), -ENOMEM, or the AEAD's error.
 */
int coap_ka_tls_seal(struct tls_context *tctx, const u8 *data,
		     unsigned int len, u8 *rec, unsigned int *rec_len)
{
	struct tls_prot_info *prot = &tctx->prot_info;
	struct tls_sw_context_tx *sw = tls_sw_ctx_tx(tctx);
	bool tls13 = prot->version == TLS_1_3_VERSION;
	unsigned int explicit = prot->prepend_size - TLS_HEADER_SIZE;
	unsigned int plain = len + prot->tail_size;
	unsigned int body = plain + prot->tag_size;
	unsigned int total = prot->prepend_size + body;
	unsigned int aad = prot->aad_size;
	u8 nonce[COAP_KA_TLS_NONCE_LEN];
	struct aead_request *req;
	struct scatterlist sg;
	DECLARE_CRYPTO_WAIT(wait);
	u8 *buf;
	int i, err;

	if (total > COAP_KA_TLS_MAX_RECORD ||
	    prot->iv_size + prot->salt_size != COAP_KA_TLS_NONCE_LEN ||
	    prot->rec_seq_size != COAP_KA_TLS_SEQ_LEN ||
	    crypto_aead_ivsize(sw->aead_send) != COAP_KA_TLS_NONCE_LEN ||
	    (tls13 && prot->tail_size != 1) || (!tls13 && prot->tail_size))
		return -EOPNOTSUPP;
	/* A record sequence must never wrap (kTLS aborts the stream then). */
	if (!memchr_inv(tctx->tx.rec_seq, 0xff, COAP_KA_TLS_SEQ_LEN))
		return -EOVERFLOW;

	/* [aad][plaintext | tag], sealed in place. */
	buf = kmalloc(aad + body, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	req = aead_request_alloc(sw->aead_send, GFP_KERNEL);
	if (!req) {
		kfree(buf);
		return -ENOMEM;
	}

	if (tls13) {
		coap_ka_tls_header(buf, body);
	} else {
		memcpy(buf, tctx->tx.rec_seq, COAP_KA_TLS_SEQ_LEN);
		coap_ka_tls_header(buf + COAP_KA_TLS_SEQ_LEN, len);
	}
	memcpy(buf + aad, data, len);
	if (tls13)
		buf[aad + len] = COAP_KA_TLS_TYPE_DATA;	/* inner content type */

	/* salt | IV; TLS 1.3 and ChaCha20 mix the sequence into it. */
	memcpy(nonce, tctx->tx.iv, COAP_KA_TLS_NONCE_LEN);
	if (tls13 || prot->cipher_type == TLS_CIPHER_CHACHA20_POLY1305)
		for (i = 0; i < COAP_KA_TLS_SEQ_LEN; i++)
			nonce[4 + i] ^= tctx->tx.rec_seq[i];

	sg_init_one(&sg, buf, aad + body);
	aead_request_set_callback(req, CRYPTO_TFM_REQ_MAY_BACKLOG |
				  CRYPTO_TFM_REQ_MAY_SLEEP, crypto_req_done, &wait);
	aead_request_set_ad(req, aad);
	aead_request_set_crypt(req, &sg, &sg, plain, nonce);
	err = crypto_wait_req(crypto_aead_encrypt(req), &wait);
	aead_request_free(req);
	if (!err) {
		coap_ka_tls_header(rec, total - TLS_HEADER_SIZE);
		/* TLS 1.2 AES-GCM: the explicit nonce is the IV's counter part. */
		memcpy(rec + TLS_HEADER_SIZE, tctx->tx.iv + prot->salt_size,
		       explicit);
		memcpy(rec + prot->prepend_size, buf + aad, body);
		*rec_len = total;
	}
	kfree_sensitive(buf);
	memzero_explicit(nonce, sizeof(nonce));
	return err;
}

/**
 * coap_ka_tls_advance() - move a kTLS socket on past a record sent whole
 * @tctx: the socket's kTLS context
 *
 * The record sequence, and TLS 1.2 AES-GCM's explicit nonce, advance by
 * one, as the software path does after each record.
 *
 * Context: kTLS's tx_lock and the socket lock held.
 */
void coap_ka_tls_advance(struct tls_context *tctx)
{
	struct tls_prot_info *prot = &tctx->prot_info;
	unsigned int explicit = prot->prepend_size - TLS_HEADER_SIZE;

	coap_ka_be_inc((u8 *)tctx->tx.rec_seq, COAP_KA_TLS_SEQ_LEN);
	if (explicit)
		coap_ka_be_inc((u8 *)tctx->tx.iv + prot->salt_size, explicit);
}
