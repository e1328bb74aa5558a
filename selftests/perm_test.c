// SPDX-License-Identifier: GPL-2.0
/*
 * The privilege model as a matrix (issue 10): for each command and the
 * events group, actors {owner (uid 1000), another user (uid 1001), root
 * (CAP_NET_ADMIN), root of a user namespace over its own network namespace
 * (uid 1002 outside)} x {own object, another's object}.
 *
 * Expected: an unprivileged user sees and changes only its own contexts
 * and sessions: another's are ENOENT (or EPERM) for a do, absent from
 * dumps, and changes fail with EPERM or ENOENT; no data ever comes back.
 * CAP_NET_ADMIN over a namespace's user namespace sees and changes all of
 * that namespace's objects (so the user namespace's root only those of its
 * own network namespace). Joining the events group needs CAP_NET_ADMIN;
 * an unprivileged owner still gets its sessions' events by unicast.
 *
 * Every cell is printed as a KTAP diagnostic line:
 *   # perm ACTOR TARGET COMMAND: RESULT (expected allow|deny) ok|WRONG
 */
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "cka_udp.h"
#include "kselftest_harness.h"
#include "cka_life.h"
#include "cka_priv.h"

#define UID_OWNER	1000
#define UID_OTHER	1001
#define UID_NSROOT	1002	/* outside its user namespace */
#define LO		"127.0.0.1"

enum cmd {
	C_CTX_NEW, C_CTX_GET, C_CTX_DUMP, C_CTX_SET, C_SESS_ADD, C_SESS_BATCH,
	C_SESS_GET, C_SESS_DUMP, C_SESS_DEL, C_CTX_DEL, C_N
};

static const char *const cmd_name[C_N] = {
	"ctx-new", "ctx-get", "ctx-get-dump", "ctx-set", "session-add",
	"session-add-batch", "session-get", "session-get-dump", "session-del",
	"ctx-del",
};

/* What an actor got: 0 or -errno per command (dumps: 0 listed, -ENOENT not). */
struct seq_res {
	int err[C_N];
	bool data[C_N];		/* a failed do still carried attributes */
	int setup;		/* 0, or where the actor's process failed */
};

/* A context and a session of some user, in some network namespace. */
struct obj {
	long ctx, sid;
	int fd;			/* the session's socket, kept open by the test */
};

/*
 * Run every command against @ctx and @sid on @nl: the reads first, then
 * the changes, the session's deletion, the context's deletion.
 */
static void run_seq(struct cka_nl *nl, long ctx, long sid, struct seq_res *r)
{
	const uint32_t seven[] = { COAP_KA_A_KEEPALIVE_SECS, 7, 0 };
	struct cka_ev *evs = calloc(256, sizeof(*evs));
	struct cka_batch *b = calloc(1, sizeof(*b));
	struct sockaddr_storage peers[2];
	struct ctx_list l;
	struct cka_ctx c;
	struct cka_ev e;
	long own, s2;
	int fd, ufd, n;

	memset(r, 0, sizeof(*r));
	own = cka_ctx_new(nl, NULL, NULL);
	r->err[C_CTX_NEW] = own > 0 ? 0 : own;
	if (own > 0)
		cka_ctx_cmd(nl, COAP_KA_CMD_CTX_DEL, own, NULL, NULL);

	memset(&c, 0, sizeof(c));
	r->err[C_CTX_GET] = cka_ctx_cmd(nl, COAP_KA_CMD_CTX_GET, ctx, NULL, &c);
	r->data[C_CTX_GET] = r->err[C_CTX_GET] && c.present;
	n = ctx_dump(nl, &l);
	r->err[C_CTX_DUMP] = n < 0 ? n : ctx_listed(&l, ctx) ? 0 : -ENOENT;
	r->err[C_CTX_SET] = ctx_set(nl, ctx, seven);

	fd = udp_connected_to(LO, 9);
	s2 = session_add(nl, ctx, fd, NULL);
	r->err[C_SESS_ADD] = s2 > 0 ? 0 : s2;
	/* two peers of an unconnected socket in one request */
	ufd = udp_bound(LO, 0, NULL);
	sockaddr_fill(&peers[0], LO, 9);
	sockaddr_fill(&peers[1], LO, 10);
	r->err[C_SESS_BATCH] = b ? session_add_batch(nl, ctx, ufd, peers, 2, NULL, b) : -ENOMEM;
	r->data[C_SESS_BATCH] = r->err[C_SESS_BATCH] && b && b->nids;

	memset(&e, 0, sizeof(e));
	r->err[C_SESS_GET] = session_get(nl, sid, &e);
	r->data[C_SESS_GET] = r->err[C_SESS_GET] && e.present;
	n = evs ? session_dump(nl, 0, evs, 256) : -ENOMEM;
	r->err[C_SESS_DUMP] = n < 0 ? n : sess_listed(evs, n < 256 ? n : 256, sid) ? 0 : -ENOENT;
	r->err[C_SESS_DEL] = session_del(nl, sid);
	r->err[C_CTX_DEL] = cka_ctx_cmd(nl, COAP_KA_CMD_CTX_DEL, ctx, NULL, NULL);
	close(fd);
	if (ufd >= 0)
		close(ufd);
	free(evs);
	free(b);
}

/* Print the cells of one (actor, target) and check them. */
static void check_seq(struct __test_metadata *_metadata, const char *actor,
		      const char *target, bool allow, const struct seq_res *r)
{
	int i;

	ASSERT_EQ(0, r->setup) TH_LOG("%s: the actor's process failed (%d)", actor, r->setup);
	for (i = 0; i < C_N; i++) {
		int err = r->err[i];
		bool ok;

		if (i == C_CTX_NEW || allow)
			ok = !err;
		else
			ok = (err == -ENOENT || err == -EPERM ||
			      /* an actor in its own netns has no socket in the target's */
			      ((i == C_SESS_ADD || i == C_SESS_BATCH) && err == -EINVAL)) &&
			     !r->data[i];
		ksft_print_msg("perm %-12s %-16s %-17s %-8s (expected %s)%s %s\n", actor, target,
			       cmd_name[i], err ? strerror(-err) : "allowed",
			       i == C_CTX_NEW || allow ? "allow" : "deny",
			       r->data[i] ? " WITH DATA" : "", ok ? "ok" : "WRONG");
		EXPECT_TRUE(ok) TH_LOG("%s on %s: %s gave %d", actor, target, cmd_name[i], err);
	}
}

/* After a denied sequence, the target (in the init namespace) is intact. */
static void check_intact(struct __test_metadata *_metadata, struct cka_nl *nl,
			 const struct obj *o)
{
	struct cka_ctx c;
	struct cka_ev e;

	ASSERT_EQ(0, cka_ctx_cmd(nl, COAP_KA_CMD_CTX_GET, o->ctx, NULL, &c))
		TH_LOG("another user deleted the context");
	EXPECT_NE(7, c.v[COAP_KA_A_KEEPALIVE_SECS]) TH_LOG("another user changed the context");
	EXPECT_EQ(0, session_get(nl, o->sid, &e)) TH_LOG("another user deleted the session");
}

/* Make an object as @uid (0: root), in the network namespace @netns (-1: ours). */
struct mk {
	uid_t uid;
	int netns;
};

static int mk_child(int sk, void *arg)
{
	struct mk *m = arg;
	struct cka_nl *nl;
	long ctx, sid;
	int fd;

	if (m->netns >= 0 && setns(m->netns, CLONE_NEWNET))
		return 10;
	if (m->uid && drop_to(m->uid))
		return 11;
	nl = cka_open();
	if (!nl)
		return 12;
	ctx = cka_ctx_new(nl, NULL, NULL);
	fd = udp_connected_to(LO, 9);
	sid = ctx > 0 && fd >= 0 ? session_add(nl, ctx, fd, NULL) : -1;
	if (put_fd(sk, fd, ctx) || put_long(sk, sid))
		return 13;
	cka_close(nl);
	return 0;
}

static int make_obj(uid_t uid, int netns, struct obj *o)
{
	struct mk m = { uid, netns };
	struct proc p;
	int st;

	o->fd = -1;
	if (proc_start(&p, 0, mk_child, &m))
		return -1;
	o->fd = get_fd(p.sk, 20000, &o->ctx);
	o->sid = get_long(p.sk, 20000, -1);
	st = proc_end(&p, 10000);
	return st || o->fd < 0 || o->ctx <= 0 || o->sid <= 0 ? -1 : 0;
}

static void drop_obj(struct cka_nl *root, struct obj *o)
{
	if (o->fd >= 0)
		close(o->fd);
	if (root && o->ctx > 0)
		cka_ctx_cmd(root, COAP_KA_CMD_CTX_DEL, o->ctx, NULL, NULL);
}

/* An actor that is a plain user: it runs the sequence on its own socket. */
struct act {
	long ctx, sid;
};

static int actor_child(int sk, void *arg)
{
	struct act *a = arg;
	struct seq_res r;
	struct cka_nl *nl = cka_open();

	if (!nl) {
		memset(&r, 0, sizeof(r));
		r.setup = 20;
	} else {
		run_seq(nl, a->ctx, a->sid, &r);
		cka_close(nl);
	}
	return msg_put(sk, &r, sizeof(r)) ? 21 : 0;
}

static int run_as(uid_t uid, const struct obj *o, struct seq_res *r)
{
	struct act a = { o->ctx, o->sid };
	struct proc p;

	memset(r, 0, sizeof(*r));
	r->setup = 1;
	if (proc_start(&p, uid, actor_child, &a))
		return -1;
	if (msg_get(p.sk, r, sizeof(*r), 60000) != sizeof(*r))
		r->setup = 2;
	return proc_end(&p, 10000);
}

FIXTURE(perm) {
	struct cka_nl *nl;	/* root's */
};

FIXTURE_SETUP(perm)
{
	self->nl = cka_open();
	ASSERT_NE(NULL, self->nl);
}

FIXTURE_TEARDOWN(perm)
{
	cka_close(self->nl);
}

/* A plain user, @me, on its own object and on @them's. */
static void user_row(struct __test_metadata *_metadata, FIXTURE_DATA(perm) *self,
		     const char *name, uid_t me, uid_t them)
{
	struct obj own, other;
	struct seq_res r;

	ASSERT_EQ(0, make_obj(me, -1, &own));
	ASSERT_EQ(0, make_obj(them, -1, &other));
	EXPECT_EQ(0, run_as(me, &own, &r));
	check_seq(_metadata, name, "own", true, &r);
	EXPECT_EQ(0, run_as(me, &other, &r));
	check_seq(_metadata, name, "other-user's", false, &r);
	check_intact(_metadata, self->nl, &other);
	drop_obj(self->nl, &own);
	drop_obj(self->nl, &other);
}

TEST_F(perm, owner)
{
	user_row(_metadata, self, "owner", UID_OWNER, UID_OTHER);
}

TEST_F(perm, other_user)
{
	user_row(_metadata, self, "other-user", UID_OTHER, UID_OWNER);
}

/* Root (CAP_NET_ADMIN) on its own object and on uid 1000's. */
TEST_F(perm, net_admin)
{
	struct obj own, other;
	struct seq_res r;

	ASSERT_EQ(0, make_obj(0, -1, &own));
	ASSERT_EQ(0, make_obj(UID_OWNER, -1, &other));
	EXPECT_EQ(0, run_as(0, &own, &r));
	check_seq(_metadata, "net-admin", "own", true, &r);
	EXPECT_EQ(0, run_as(0, &other, &r));
	check_seq(_metadata, "net-admin", "owner's", true, &r);
	drop_obj(self->nl, &own);
	drop_obj(self->nl, &other);
}

/*
 * The root of a user namespace (uid 1002 outside) with a network
 * namespace of its own: a long-lived process that keeps a netlink socket
 * in the init namespace (opened after unshare(CLONE_NEWUSER), so with its
 * namespace's credentials) and one in its own namespace, and serves the
 * test's requests:
 *   1: make an object of its own in its namespace (ctx, sid back)
 *   2 ctx sid: run the sequence in its namespace
 *   3 ctx sid: run the sequence in the init namespace
 *   4: join the events group in its namespace and in the init one
 *   0: exit
 */
static int write_map(const char *file, const char *map)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/%s", file);
	return write_file(path, map);
}

static int userns_proc(int sk, void *arg)
{
	struct cka_nl *nl_init, *nl_own;
	int keep[8], nkeep = 0;
	char map[32];

	if (drop_to(UID_NSROOT))
		return 28;
	/* the uid change left us undumpable: /proc/self/ would be root's */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
		return 29;
	snprintf(map, sizeof(map), "0 %d 1", UID_NSROOT);
	/* refused to a chrooted process (the guest runs tests in a mount namespace) */
	if (unshare(CLONE_NEWUSER))
		return 30;
	if (write_map("setgroups", "deny"))
		return 33;
	if (write_map("uid_map", map))
		return 34;
	if (write_map("gid_map", map))
		return 35;
	nl_init = cka_open();
	if (!nl_init || unshare(CLONE_NEWNET) || lo_up())
		return 31;
	nl_own = cka_open();
	if (!nl_own)
		return 32;
	put_long(sk, 1);
	for (;;) {
		long cmd = get_long(sk, 120000, 0), ctx, sid;
		struct seq_res r;
		int fd;

		switch (cmd) {
		case 1:
			ctx = cka_ctx_new(nl_own, NULL, NULL);
			fd = udp_connected_to(LO, 9);
			sid = ctx > 0 ? session_add(nl_own, ctx, fd, NULL) : -1;
			if (nkeep < 8)
				keep[nkeep++] = fd;
			put_long(sk, ctx);
			put_long(sk, sid);
			break;
		case 2:
		case 3:
			ctx = get_long(sk, 10000, -1);
			sid = get_long(sk, 10000, -1);
			run_seq(cmd == 2 ? nl_own : nl_init, ctx, sid, &r);
			msg_put(sk, &r, sizeof(r));
			break;
		case 4: {
			struct cka_nl *a = cka_open(), *b;
			long e1 = -ENOENT, e2 = -ENOENT;

			if (a) {
				e1 = mnl_socket_setsockopt(a->sock, NETLINK_ADD_MEMBERSHIP,
							   &a->mcgrp_events, sizeof(int)) ? -errno : 0;
				cka_close(a);
			}
			b = nl_init;
			e2 = mnl_socket_setsockopt(b->sock, NETLINK_ADD_MEMBERSHIP,
						   &b->mcgrp_events, sizeof(int)) ? -errno : 0;
			put_long(sk, e1);
			put_long(sk, e2);
			break;
		}
		default:
			while (nkeep)
				close(keep[--nkeep]);
			cka_close(nl_own);
			cka_close(nl_init);
			return 0;
		}
	}
}

static int userns_run(struct proc *u, long cmd, const struct obj *o, struct seq_res *r)
{
	memset(r, 0, sizeof(*r));
	if (put_long(u->sk, cmd) || put_long(u->sk, o->ctx) || put_long(u->sk, o->sid) ||
	    msg_get(u->sk, r, sizeof(*r), 60000) != sizeof(*r))
		r->setup = 3;
	return r->setup;
}

static int userns_start(struct proc *u, int *netns)
{
	char path[64];

	if (proc_start(u, 0, userns_proc, NULL))
		return -1;
	if (get_long(u->sk, 20000, -1) != 1)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", u->pid);
	*netns = open(path, O_RDONLY | O_CLOEXEC);
	return *netns < 0 ? -1 : 0;
}

TEST_F(perm, userns_root)
{
	struct obj own = { .fd = -1 }, theirs, init_obj;
	struct seq_res r;
	struct proc u;
	int netns;

	if (userns_start(&u, &netns)) {
		int st = proc_end(&u, 1000);

		/* 30: unshare(CLONE_NEWUSER) refused, e.g. run chrooted */
		if (st == 30)
			SKIP(return, "no user namespace can be made here (unshare(CLONE_NEWUSER) refused)");
		ASSERT_EQ(0, st) TH_LOG("the user namespace process failed");
	}
	/* its own object, in its own namespace */
	ASSERT_EQ(0, put_long(u.sk, 1));
	own.ctx = get_long(u.sk, 20000, -1);
	own.sid = get_long(u.sk, 20000, -1);
	ASSERT_LT(0, own.ctx);
	ASSERT_LT(0, own.sid);
	EXPECT_EQ(0, userns_run(&u, 2, &own, &r));
	check_seq(_metadata, "userns-root", "own", true, &r);

	/* uid 1000's object in the user namespace's network namespace */
	ASSERT_EQ(0, make_obj(UID_OWNER, netns, &theirs));
	EXPECT_EQ(0, userns_run(&u, 2, &theirs, &r));
	check_seq(_metadata, "userns-root", "owner's-in-its-ns", true, &r);

	/* uid 1000's object in the init namespace: not its namespace */
	ASSERT_EQ(0, make_obj(UID_OWNER, -1, &init_obj));
	EXPECT_EQ(0, userns_run(&u, 3, &init_obj, &r));
	check_seq(_metadata, "userns-root", "owner's-in-init-ns", false, &r);
	check_intact(_metadata, self->nl, &init_obj);

	put_long(u.sk, 0);
	EXPECT_EQ(0, proc_end(&u, 10000));
	close(theirs.fd);
	close(netns);
	drop_obj(self->nl, &init_obj);
}

/* Join the events group on a socket of one's own: 0 or -errno. */
static int join_child(int sk, void *arg)
{
	struct cka_nl *nl = cka_open();
	long err;

	if (!nl)
		err = -1000;
	else
		err = mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP,
					    &nl->mcgrp_events, sizeof(int)) ? -errno : 0;
	put_long(sk, err);
	if (nl)
		cka_close(nl);
	return 0;
}

static long join_as(uid_t uid)
{
	struct proc p;
	long err;

	if (proc_start(&p, uid, join_child, NULL))
		return -1000;
	err = get_long(p.sk, 20000, -1000);
	proc_end(&p, 10000);
	return err;
}

static void print_join(struct __test_metadata *_metadata, const char *actor,
		       const char *where, long err, bool allow)
{
	bool ok = allow ? !err : err == -EPERM;

	ksft_print_msg("perm %-12s %-16s %-17s %-8s (expected %s) %s\n", actor, where,
		       "join-events", err ? strerror(-err) : "allowed",
		       allow ? "allow" : "deny (EPERM)", ok ? "ok" : "WRONG");
	EXPECT_TRUE(ok) TH_LOG("%s joining the events group %s: %ld", actor, where, err);
}

TEST_F(perm, events_group)
{
	int netns;
	struct proc u;
	long e1, e2;

	print_join(_metadata, "owner", "init-ns", join_as(UID_OWNER), false);
	print_join(_metadata, "other-user", "init-ns", join_as(UID_OTHER), false);
	print_join(_metadata, "net-admin", "init-ns", join_as(0), true);
	if (userns_start(&u, &netns)) {
		int st = proc_end(&u, 1000);

		if (st == 30)
			SKIP(return, "userns rows: no user namespace can be made here (unshare(CLONE_NEWUSER) refused)");
		ASSERT_EQ(0, st) TH_LOG("the user namespace process failed");
	}
	ASSERT_EQ(0, put_long(u.sk, 4));
	e1 = get_long(u.sk, 20000, -1000);
	e2 = get_long(u.sk, 20000, -1000);
	print_join(_metadata, "userns-root", "its-ns", e1, true);
	print_join(_metadata, "userns-root", "init-ns", e2, false);
	put_long(u.sk, 0);
	EXPECT_EQ(0, proc_end(&u, 10000));
	close(netns);
}

/*
 * An unprivileged owner, not in the events group, gets its own session's
 * events by unicast on the netlink socket that added it (a NACK here:
 * the peer is a closed port).
 */
static int unicast_child(int sk, void *arg)
{
	const uint32_t set[] = {
		COAP_KA_A_KEEPALIVE_SECS, 1, COAP_KA_A_ACK_TIMEOUT_MS, 100,
		COAP_KA_A_ACK_RANDOM_FACTOR, 1000, COAP_KA_A_MAX_RETRANSMIT, 0, 0,
	};
	struct cka_nl *nl = cka_open();
	struct cka_ev e;
	long ctx, sid;
	int fd;

	if (!nl)
		return 10;
	ctx = cka_ctx_new(nl, set, NULL);
	fd = udp_connected_to(LO, 9);
	sid = session_add(nl, ctx, fd, NULL);
	put_long(sk, sid);
	memset(&e, 0, sizeof(e));
	put_long(sk, ev_wait(nl, 0, sid, 6000, &e) ? 0 : e.cmd);
	close(fd);
	cka_ctx_cmd(nl, COAP_KA_CMD_CTX_DEL, ctx, NULL, NULL);
	cka_close(nl);
	return 0;
}

TEST_F(perm, unicast_events_to_owner)
{
	struct proc p;
	long sid, cmd;

	ASSERT_EQ(0, proc_start(&p, UID_OWNER, unicast_child, NULL));
	sid = get_long(p.sk, 20000, -1);
	ASSERT_LT(0, sid);
	cmd = get_long(p.sk, 20000, -1);
	ksft_print_msg("perm %-12s %-16s %-17s %-8s (expected an event) %s\n", "owner", "own",
		       "unicast-event", cmd > 0 ? "got one" : "none", cmd > 0 ? "ok" : "WRONG");
	EXPECT_TRUE(cmd == COAP_KA_CMD_NACK_NTF || cmd == COAP_KA_CMD_PING_NTF ||
		    cmd == COAP_KA_CMD_PONG_NTF) TH_LOG("event %ld", cmd);
	EXPECT_EQ(0, proc_end(&p, 10000));
}

TEST_HARNESS_MAIN
