// SPDX-License-Identifier: GPL-2.0
/*
 * Contexts over raw generic netlink: what the CLI cannot send (unknown
 * attributes, attributes a command does not take, reserved header bits),
 * multi-part and interrupted dumps, and concurrent changes.
 */
#include <pthread.h>
#include <sched.h>
#include <sys/wait.h>

#include "cka_nl.h"
#include "kselftest_harness.h"

#define PARAM_LIMIT "/sys/module/coap_keepalive/parameters/max_contexts_per_user"

static long read_param(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int write_param(const char *path, long v)
{
	FILE *f = fopen(path, "w");
	int ret;

	if (!f)
		return -1;
	ret = fprintf(f, "%ld\n", v) < 0 ? -1 : 0;
	if (fclose(f))
		ret = -1;
	return ret;
}

/* Collect the ids of a dump. */
struct id_list {
	uint32_t ids[8192];
	unsigned int n;
};

static int collect_ids(const struct nlmsghdr *nlh, void *data)
{
	struct id_list *l = data;
	struct cka_ctx c;

	cka_ctx_cb(nlh, &c);
	if (l->n < sizeof(l->ids) / sizeof(l->ids[0]))
		l->ids[l->n++] = c.v[COAP_KA_A_CTX_ID];
	return MNL_CB_OK;
}

static int dump_ids(struct cka_nl *nl, struct id_list *l)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	l->n = 0;
	return cka_talk(nl, cka_req(nl, buf, COAP_KA_CMD_CTX_GET, NLM_F_DUMP, NULL),
			collect_ids, l);
}

/* Delete every context of this namespace (as root). */
static void delete_all(struct cka_nl *nl)
{
	static struct id_list l;
	unsigned int i;

	if (dump_ids(nl, &l))
		return;
	for (i = 0; i < l.n; i++)
		cka_ctx_cmd(nl, COAP_KA_CMD_CTX_DEL, l.ids[i], NULL, NULL);
}

FIXTURE(ctx) {
	struct cka_nl *nl;
	long old_limit;
};

FIXTURE_SETUP(ctx)
{
	self->nl = cka_open();
	ASSERT_NE(NULL, self->nl) TH_LOG("family %s: %s", COAP_KA_GENL_NAME,
					 strerror(errno));
	self->old_limit = read_param(PARAM_LIMIT);
	ASSERT_LE(0, self->old_limit);
	delete_all(self->nl);
}

FIXTURE_TEARDOWN(ctx)
{
	if (self->old_limit >= 0)
		write_param(PARAM_LIMIT, self->old_limit);
	if (self->nl) {
		delete_all(self->nl);
		cka_close(self->nl);
	}
}

TEST_F(ctx, new_returns_defaults)
{
	struct cka_ctx c;
	long id;

	id = cka_ctx_new(self->nl, NULL, &c);
	ASSERT_LT(0, id) TH_LOG("%s", self->nl->msg);
	EXPECT_EQ(0, c.v[COAP_KA_A_KEEPALIVE_SECS]);
	EXPECT_EQ(COAP_KA_ACK_TIMEOUT_MS_DEFAULT, c.v[COAP_KA_A_ACK_TIMEOUT_MS]);
	EXPECT_EQ(COAP_KA_RANDOM_FACTOR_DEFAULT, c.v[COAP_KA_A_ACK_RANDOM_FACTOR]);
	EXPECT_EQ(COAP_KA_MAX_RETRANSMIT_DEFAULT, c.v[COAP_KA_A_MAX_RETRANSMIT]);
	EXPECT_EQ(0, c.v[COAP_KA_A_PONG_TIMEOUT_MS]);
	EXPECT_EQ(COAP_KA_ACTIVITY_RXTX, c.v[COAP_KA_A_ACTIVITY]);
	EXPECT_EQ(0, c.v[COAP_KA_A_JITTER_PCT]);
	EXPECT_EQ(COAP_KA_ACTION_NOTIFY, c.v[COAP_KA_A_ACTION]);
	EXPECT_EQ(0, c.v[COAP_KA_A_FLAGS]);
	EXPECT_EQ(0, c.v[COAP_KA_A_SESSIONS]);
	EXPECT_EQ(getuid(), c.v[COAP_KA_A_OWNER_UID]);
	/* every attribute of the reply is there */
	EXPECT_EQ(((1ULL << (COAP_KA_A_SESSIONS + 1)) - 2), c.present);
}

TEST_F(ctx, set_changes_only_what_is_given)
{
	const uint32_t all[] = {
		COAP_KA_A_KEEPALIVE_SECS, 30, COAP_KA_A_ACK_TIMEOUT_MS, 50,
		COAP_KA_A_ACK_RANDOM_FACTOR, 2000, COAP_KA_A_MAX_RETRANSMIT, 2,
		COAP_KA_A_PONG_TIMEOUT_MS, 700, COAP_KA_A_ACTIVITY, COAP_KA_ACTIVITY_RX,
		COAP_KA_A_JITTER_PCT, 10, COAP_KA_A_ACTION, COAP_KA_ACTION_ABORT,
		COAP_KA_A_FLAGS, COAP_KA_F_MASK, 0,
	};
	const uint32_t one[] = { COAP_KA_A_MAX_RETRANSMIT, 7, 0 };
	struct cka_ctx c;
	long id;
	int i;

	id = cka_ctx_new(self->nl, all, &c);
	ASSERT_LT(0, id) TH_LOG("%s", self->nl->msg);
	ASSERT_EQ(0, cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_SET, id, one, &c));
	ASSERT_EQ(0, cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_GET, id, NULL, &c));
	for (i = 0; all[i]; i += 2) {
		uint32_t want = all[i] == COAP_KA_A_MAX_RETRANSMIT ? 7 : all[i + 1];

		EXPECT_EQ(want, c.v[all[i]]) TH_LOG("attribute %u", all[i]);
	}
}

TEST_F(ctx, unknown_attribute_rejected)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct id_list *l = calloc(1, sizeof(*l));
	int err;

	ASSERT_NE(NULL, l);
	nlh = cka_msg_start(self->nl, buf, self->nl->family, 0, COAP_KA_CMD_CTX_NEW);
	mnl_attr_put_u32(nlh, COAP_KA_A_KEEPALIVE_SECS, 5);
	mnl_attr_put_u32(nlh, COAP_KA_A_MAX + 1, 1);
	err = cka_talk(self->nl, nlh, NULL, NULL);
	EXPECT_EQ(-EINVAL, err);
	EXPECT_NE(0, self->nl->bad_off);
	EXPECT_NE(0, self->nl->msg[0]);
	/* nothing was made */
	ASSERT_EQ(0, dump_ids(self->nl, l));
	EXPECT_EQ(0, l->n);
	free(l);
}

TEST_F(ctx, attribute_not_taken_by_command_rejected)
{
	const uint32_t owner[] = { COAP_KA_A_OWNER_UID, 1234, 0 };
	const uint32_t sessions[] = { COAP_KA_A_SESSIONS, 1, 0 };
	char buf[MNL_SOCKET_BUFFER_SIZE];
	long id;

	EXPECT_EQ(-EINVAL, cka_ctx_new(self->nl, owner, NULL));
	EXPECT_NE(0, self->nl->bad_off);
	/* a context id does not belong in NEW either */
	id = cka_ctx_new(self->nl, NULL, NULL);
	ASSERT_LT(0, id);
	EXPECT_EQ(-EINVAL, cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_SET, id,
				       sessions, NULL));
	EXPECT_EQ(-EINVAL, cka_talk(self->nl,
				    cka_req(self->nl, buf, COAP_KA_CMD_CTX_DEL, 0,
					    owner), NULL, NULL));
}

TEST_F(ctx, flag_bits_and_ranges_checked)
{
	const uint32_t bad_flag[] = { COAP_KA_A_FLAGS, 1U << 7, 0 };
	const uint32_t bad_enum[] = { COAP_KA_A_ACTION, COAP_KA_ACTION_MAX + 1, 0 };
	const uint32_t lo[] = { COAP_KA_A_ACK_TIMEOUT_MS, COAP_KA_ACK_TIMEOUT_MS_MIN - 1, 0 };
	const uint32_t hi[] = { COAP_KA_A_KEEPALIVE_SECS, COAP_KA_KEEPALIVE_SECS_MAX + 1, 0 };
	const uint32_t edge[] = {
		COAP_KA_A_KEEPALIVE_SECS, COAP_KA_KEEPALIVE_SECS_MAX,
		COAP_KA_A_ACK_TIMEOUT_MS, COAP_KA_ACK_TIMEOUT_MS_MAX,
		COAP_KA_A_PONG_TIMEOUT_MS, COAP_KA_PONG_TIMEOUT_MS_MAX, 0,
	};

	EXPECT_EQ(-EINVAL, cka_ctx_new(self->nl, bad_flag, NULL));
	EXPECT_NE(NULL, strstr(self->nl->msg, "reserved bit")) TH_LOG("%s", self->nl->msg);
	EXPECT_EQ(-ERANGE, cka_ctx_new(self->nl, bad_enum, NULL));
	EXPECT_EQ(-ERANGE, cka_ctx_new(self->nl, lo, NULL));
	EXPECT_NE(NULL, strstr(self->nl->msg, "out of range")) TH_LOG("%s", self->nl->msg);
	EXPECT_EQ(-ERANGE, cka_ctx_new(self->nl, hi, NULL));
	EXPECT_LT(0, cka_ctx_new(self->nl, edge, NULL)) TH_LOG("%s", self->nl->msg);
}

TEST_F(ctx, reserved_header_field_rejected)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;

	nlh = cka_msg_start(self->nl, buf, self->nl->family, 0, COAP_KA_CMD_CTX_NEW);
	g = mnl_nlmsg_get_payload(nlh);
	g->reserved = 1;
	EXPECT_EQ(-EINVAL, cka_talk(self->nl, nlh, NULL, NULL));
}

TEST_F(ctx, missing_and_unknown_id)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	const uint8_t cmds[] = {
		COAP_KA_CMD_CTX_SET, COAP_KA_CMD_CTX_GET, COAP_KA_CMD_CTX_DEL,
	};
	unsigned int i;
	long id;

	for (i = 0; i < sizeof(cmds); i++) {
		EXPECT_EQ(-EINVAL, cka_talk(self->nl,
					    cka_req(self->nl, buf, cmds[i], 0, NULL),
					    NULL, NULL));
		EXPECT_EQ(COAP_KA_A_CTX_ID, self->nl->miss_type);
		EXPECT_NE(NULL, strstr(self->nl->msg, "missing context id"))
			TH_LOG("cmd %u: '%s'", cmds[i], self->nl->msg);
	}
	id = cka_ctx_new(self->nl, NULL, NULL);
	ASSERT_LT(0, id);
	ASSERT_EQ(0, cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_DEL, id, NULL, NULL));
	for (i = 0; i < sizeof(cmds); i++) {
		EXPECT_EQ(-ENOENT, cka_ctx_cmd(self->nl, cmds[i], id, NULL, NULL));
		EXPECT_NE(NULL, strstr(self->nl->msg, "no context with this id"));
	}
	EXPECT_EQ(-ERANGE, cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_GET, 0, NULL, NULL));
}

/*
 * Enough contexts that the dump needs several skbs. Thousands of requests:
 * minutes on the KASAN + lockdep kernel, hence the timeouts here.
 */
TEST_F_TIMEOUT(ctx, dump_spans_several_messages, 400)
{
	const unsigned int n = 2000;
	struct id_list *l = calloc(1, sizeof(*l));
	unsigned int i;
	long prev = 0;

	ASSERT_NE(NULL, l);
	ASSERT_EQ(0, write_param(PARAM_LIMIT, n));
	for (i = 0; i < n; i++) {
		long id = cka_ctx_new(self->nl, NULL, NULL);

		ASSERT_LT(prev, id) TH_LOG("%u: %s", i, self->nl->msg);
		prev = id;
	}
	/* one more than the limit allows */
	EXPECT_EQ(-EDQUOT, cka_ctx_new(self->nl, NULL, NULL));
	EXPECT_NE(NULL, strstr(self->nl->msg, "max_contexts_per_user"));

	ASSERT_EQ(0, dump_ids(self->nl, l));
	EXPECT_EQ(n, l->n);
	EXPECT_LT(1, self->nl->nparts);
	EXPECT_FALSE(self->nl->intr);
	for (i = 1; i < l->n; i++)
		ASSERT_LT(l->ids[i - 1], l->ids[i]);
	free(l);
}

static int count_msgs(const struct nlmsghdr *nlh, void *data)
{
	(*(unsigned int *)data)++;
	return MNL_CB_OK;
}

/* A change between two parts of a dump sets NLM_F_DUMP_INTR. */
TEST_F_TIMEOUT(ctx, dump_interrupted_by_change_is_flagged, 400)
{
	const unsigned int n = 1500;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct cka_nl *other;
	unsigned int seen = 0, i;
	long first = 0;

	ASSERT_EQ(0, write_param(PARAM_LIMIT, n + 1));
	for (i = 0; i < n; i++) {
		long id = cka_ctx_new(self->nl, NULL, NULL);

		ASSERT_LT(0, id);
		if (!first)
			first = id;
	}
	other = cka_open();
	ASSERT_NE(NULL, other);

	nlh = cka_req(self->nl, buf, COAP_KA_CMD_CTX_GET, NLM_F_DUMP, NULL);
	ASSERT_EQ(0, cka_send(self->nl, nlh));
	/* The first part is built at send time; change things before the rest. */
	ASSERT_EQ(0, cka_ctx_cmd(other, COAP_KA_CMD_CTX_DEL, first, NULL, NULL));
	ASSERT_EQ(0, cka_recv(self->nl, nlh->nlmsg_seq, count_msgs, &seen));
	EXPECT_TRUE(self->nl->intr);
	EXPECT_LE(n - 1, seen);
	cka_close(other);
}

struct race_arg {
	int rounds;
	int failures;
};

static void *race_worker(void *p)
{
	struct race_arg *a = p;
	struct cka_nl *nl = cka_open();
	const uint32_t set[] = { COAP_KA_A_KEEPALIVE_SECS, 9, 0 };
	static struct id_list l[4];
	static int slot;
	struct id_list *mine = &l[__sync_fetch_and_add(&slot, 1) % 4];
	int i;

	if (!nl) {
		a->failures++;
		return NULL;
	}
	for (i = 0; i < a->rounds; i++) {
		long id = cka_ctx_new(nl, NULL, NULL);
		int err;

		if (id < 0) {
			a->failures++;
			continue;
		}
		err = cka_ctx_cmd(nl, COAP_KA_CMD_CTX_SET, id, set, NULL);
		if (err)
			a->failures++;
		if (i % 16 == 0 && dump_ids(nl, mine))
			a->failures++;
		if (cka_ctx_cmd(nl, COAP_KA_CMD_CTX_DEL, id, NULL, NULL))
			a->failures++;
	}
	cka_close(nl);
	return NULL;
}

TEST_F_TIMEOUT(ctx, concurrent_changes_stay_consistent, 400)
{
	struct race_arg args[4] = {};
	pthread_t th[4];
	struct id_list *l = calloc(1, sizeof(*l));
	int i;

	ASSERT_NE(NULL, l);
	for (i = 0; i < 4; i++) {
		args[i].rounds = 300;
		ASSERT_EQ(0, pthread_create(&th[i], NULL, race_worker, &args[i]));
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ(0, args[i].failures);
	}
	ASSERT_EQ(0, dump_ids(self->nl, l));
	EXPECT_EQ(0, l->n);
	free(l);
}

/* A namespace's contexts are its own, and go when it goes. */
TEST_F(ctx, netns_isolation)
{
	long id = cka_ctx_new(self->nl, NULL, NULL);
	int status;
	pid_t pid;

	ASSERT_LT(0, id);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct cka_nl *nl;
		struct id_list *l = calloc(1, sizeof(*l));

		if (!l || unshare(CLONE_NEWNET))
			_exit(10);
		nl = cka_open();
		if (!nl)
			_exit(11);
		if (cka_ctx_cmd(nl, COAP_KA_CMD_CTX_GET, id, NULL, NULL) != -ENOENT)
			_exit(12);
		if (dump_ids(nl, l) || l->n)
			_exit(13);
		if (cka_ctx_new(nl, NULL, NULL) <= 0)
			_exit(14);
		if (dump_ids(nl, l) || l->n != 1)
			_exit(15);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* ours is untouched */
	EXPECT_EQ(0, cka_ctx_cmd(self->nl, COAP_KA_CMD_CTX_GET, id, NULL, NULL));
}

TEST_HARNESS_MAIN
