// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/coap_keepalive.yaml */
/* YNL-GEN kernel source */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "netlink-gen.h"

#include <uapi/linux/coap_keepalive.h>

/* Integer value ranges */
static const struct netlink_range_validation coap_ka_a_keepalive_secs_range = {
	.max	= 86400ULL,
};

static const struct netlink_range_validation coap_ka_a_ack_timeout_ms_range = {
	.min	= 10ULL,
	.max	= 60000ULL,
};

static const struct netlink_range_validation coap_ka_a_pong_timeout_ms_range = {
	.max	= 3600000ULL,
};

/* Common nested types */
const struct nla_policy coap_keepalive_peer_nl_policy[COAP_KA_A_PEER_PORT + 1] = {
	[COAP_KA_A_SESSION_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[COAP_KA_A_PEER_IPV4] = { .type = NLA_U32, },
	[COAP_KA_A_PEER_IPV6] = NLA_POLICY_EXACT_LEN(16),
	[COAP_KA_A_PEER_PORT] = { .type = NLA_U16, },
};

/* COAP_KA_CMD_CTX_NEW - do */
const struct nla_policy coap_keepalive_ctx_new_nl_policy[COAP_KA_A_FLAGS + 1] = {
	[COAP_KA_A_KEEPALIVE_SECS] = NLA_POLICY_FULL_RANGE(NLA_U32, &coap_ka_a_keepalive_secs_range),
	[COAP_KA_A_ACK_TIMEOUT_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &coap_ka_a_ack_timeout_ms_range),
	[COAP_KA_A_ACK_RANDOM_FACTOR] = NLA_POLICY_RANGE(NLA_U32, 1000, 4000),
	[COAP_KA_A_MAX_RETRANSMIT] = NLA_POLICY_MAX(NLA_U32, 10),
	[COAP_KA_A_PONG_TIMEOUT_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &coap_ka_a_pong_timeout_ms_range),
	[COAP_KA_A_ACTIVITY] = NLA_POLICY_MAX(NLA_U32, 1),
	[COAP_KA_A_JITTER_PCT] = NLA_POLICY_MAX(NLA_U32, 50),
	[COAP_KA_A_ACTION] = NLA_POLICY_MAX(NLA_U32, 1),
	[COAP_KA_A_FLAGS] = NLA_POLICY_MASK(NLA_U32, 0x3),
};

/* COAP_KA_CMD_CTX_SET - do */
const struct nla_policy coap_keepalive_ctx_set_nl_policy[COAP_KA_A_FLAGS + 1] = {
	[COAP_KA_A_CTX_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[COAP_KA_A_KEEPALIVE_SECS] = NLA_POLICY_FULL_RANGE(NLA_U32, &coap_ka_a_keepalive_secs_range),
	[COAP_KA_A_ACK_TIMEOUT_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &coap_ka_a_ack_timeout_ms_range),
	[COAP_KA_A_ACK_RANDOM_FACTOR] = NLA_POLICY_RANGE(NLA_U32, 1000, 4000),
	[COAP_KA_A_MAX_RETRANSMIT] = NLA_POLICY_MAX(NLA_U32, 10),
	[COAP_KA_A_PONG_TIMEOUT_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &coap_ka_a_pong_timeout_ms_range),
	[COAP_KA_A_ACTIVITY] = NLA_POLICY_MAX(NLA_U32, 1),
	[COAP_KA_A_JITTER_PCT] = NLA_POLICY_MAX(NLA_U32, 50),
	[COAP_KA_A_ACTION] = NLA_POLICY_MAX(NLA_U32, 1),
	[COAP_KA_A_FLAGS] = NLA_POLICY_MASK(NLA_U32, 0x3),
};

/* COAP_KA_CMD_CTX_GET - do */
const struct nla_policy coap_keepalive_ctx_get_nl_policy[COAP_KA_A_CTX_ID + 1] = {
	[COAP_KA_A_CTX_ID] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* COAP_KA_CMD_CTX_DEL - do */
const struct nla_policy coap_keepalive_ctx_del_nl_policy[COAP_KA_A_CTX_ID + 1] = {
	[COAP_KA_A_CTX_ID] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* COAP_KA_CMD_SESSION_ADD - do */
const struct nla_policy coap_keepalive_session_add_nl_policy[COAP_KA_A_PEER + 1] = {
	[COAP_KA_A_CTX_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[COAP_KA_A_SOCK_FD] = { .type = NLA_S32, },
	[COAP_KA_A_TRANSPORT] = NLA_POLICY_MAX(NLA_U32, 3),
	[COAP_KA_A_PEER_IPV4] = { .type = NLA_U32, },
	[COAP_KA_A_PEER_IPV6] = NLA_POLICY_EXACT_LEN(16),
	[COAP_KA_A_PEER_PORT] = { .type = NLA_U16, },
	[COAP_KA_A_KEEPALIVE_SECS] = NLA_POLICY_FULL_RANGE(NLA_U32, &coap_ka_a_keepalive_secs_range),
	[COAP_KA_A_ACK_TIMEOUT_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &coap_ka_a_ack_timeout_ms_range),
	[COAP_KA_A_ACK_RANDOM_FACTOR] = NLA_POLICY_RANGE(NLA_U32, 1000, 4000),
	[COAP_KA_A_MAX_RETRANSMIT] = NLA_POLICY_MAX(NLA_U32, 10),
	[COAP_KA_A_PONG_TIMEOUT_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &coap_ka_a_pong_timeout_ms_range),
	[COAP_KA_A_ACTIVITY] = NLA_POLICY_MAX(NLA_U32, 1),
	[COAP_KA_A_JITTER_PCT] = NLA_POLICY_MAX(NLA_U32, 50),
	[COAP_KA_A_ACTION] = NLA_POLICY_MAX(NLA_U32, 1),
	[COAP_KA_A_FLAGS] = NLA_POLICY_MASK(NLA_U32, 0x3),
	[COAP_KA_A_PEER] = NLA_POLICY_NESTED(coap_keepalive_peer_nl_policy),
};

/* COAP_KA_CMD_SESSION_DEL - do */
const struct nla_policy coap_keepalive_session_del_nl_policy[COAP_KA_A_SESSION_ID + 1] = {
	[COAP_KA_A_SESSION_ID] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* COAP_KA_CMD_SESSION_GET - do */
const struct nla_policy coap_keepalive_session_get_nl_policy[COAP_KA_A_SOCK_INODE + 1] = {
	[COAP_KA_A_SESSION_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[COAP_KA_A_CTX_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[COAP_KA_A_SOCK_INODE] = { .type = NLA_U64, },
};

/* Ops table for coap_keepalive */
const struct genl_ops coap_keepalive_nl_ops[7] = {
	{
		.cmd		= COAP_KA_CMD_CTX_NEW,
		.doit		= coap_keepalive_nl_ctx_new_doit,
		.policy		= coap_keepalive_ctx_new_nl_policy,
		.maxattr	= COAP_KA_A_FLAGS,
	},
	{
		.cmd		= COAP_KA_CMD_CTX_SET,
		.doit		= coap_keepalive_nl_ctx_set_doit,
		.policy		= coap_keepalive_ctx_set_nl_policy,
		.maxattr	= COAP_KA_A_FLAGS,
	},
	{
		.cmd		= COAP_KA_CMD_CTX_GET,
		.doit		= coap_keepalive_nl_ctx_get_doit,
		.dumpit		= coap_keepalive_nl_ctx_get_dumpit,
		.policy		= coap_keepalive_ctx_get_nl_policy,
		.maxattr	= COAP_KA_A_CTX_ID,
	},
	{
		.cmd		= COAP_KA_CMD_CTX_DEL,
		.doit		= coap_keepalive_nl_ctx_del_doit,
		.policy		= coap_keepalive_ctx_del_nl_policy,
		.maxattr	= COAP_KA_A_CTX_ID,
	},
	{
		.cmd		= COAP_KA_CMD_SESSION_ADD,
		.doit		= coap_keepalive_nl_session_add_doit,
		.policy		= coap_keepalive_session_add_nl_policy,
		.maxattr	= COAP_KA_A_PEER,
	},
	{
		.cmd		= COAP_KA_CMD_SESSION_DEL,
		.doit		= coap_keepalive_nl_session_del_doit,
		.policy		= coap_keepalive_session_del_nl_policy,
		.maxattr	= COAP_KA_A_SESSION_ID,
	},
	{
		.cmd		= COAP_KA_CMD_SESSION_GET,
		.doit		= coap_keepalive_nl_session_get_doit,
		.dumpit		= coap_keepalive_nl_session_get_dumpit,
		.policy		= coap_keepalive_session_get_nl_policy,
		.maxattr	= COAP_KA_A_SOCK_INODE,
	},
};

static const struct genl_multicast_group coap_keepalive_nl_mcgrps[] = {
	[COAP_KEEPALIVE_NLGRP_EVENTS] = { "events", },
};
