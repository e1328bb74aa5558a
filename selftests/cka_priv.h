/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the privilege and safety selftests (udp_safety_test,
 * perm_test): processes that run as another user (or as root of a user
 * namespace of their own), talking to the test over a socketpair, module
 * unload and reload with a bound on how long it takes, and module
 * parameters. Include after cka_udp.h.
 */
#ifndef CKA_PRIV_H
#define CKA_PRIV_H

#include <grp.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "cka_udp.h"

#define UID_NOBODY	65534

/* Become @uid (and gid @uid), with no supplementary groups and no capabilities. */
static inline int drop_to(uid_t uid)
{
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
		return -1;
	return 0;
}

/* Write @s to file @path: 0 or -errno. */
static inline int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	if (n < 0)
		err = -errno;
	close(fd);
	return err;
}

/* The first line of file @path into @buf (no newline): 0 or -errno. */
static inline int read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");

	buf[0] = 0;
	if (!f)
		return -errno;
	if (!fgets(buf, size, f))
		buf[0] = 0;
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/*
 * A child process and the test: a SOCK_SEQPACKET socketpair, one message
 * per long value (or a fixed-size record) each way.
 */
struct proc {
	pid_t pid;
	int sk;		/* the test's end */
};

static inline int msg_put(int sk, const void *p, size_t len)
{
	return send(sk, p, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

/* Receive one message of at most @len bytes within @ms: its length or -1. */
static inline ssize_t msg_get(int sk, void *p, size_t len, int ms)
{
	struct pollfd pfd = { .fd = sk, .events = POLLIN };

	if (poll(&pfd, 1, ms) != 1)
		return -1;
	return recv(sk, p, len, 0);
}

static inline int put_long(int sk, long v)
{
	return msg_put(sk, &v, sizeof(v));
}

/* A long from the other end within @ms; @dflt if none came. */
static inline long get_long(int sk, int ms, long dflt)
{
	long v;

	return msg_get(sk, &v, sizeof(v), ms) == sizeof(v) ? v : dflt;
}

/* Send descriptor @fd (and the long @v) over @sk. */
static inline int put_fd(int sk, int fd, long v)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = {};
	struct iovec iov = { &v, sizeof(v) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sk, &mh, MSG_NOSIGNAL) == sizeof(v) ? 0 : -1;
}

/* Receive a descriptor (and *@v) within @ms: the descriptor or -1. */
static inline int get_fd(int sk, int ms, long *v)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = {};
	struct pollfd pfd = { .fd = sk, .events = POLLIN };
	struct iovec iov = { v, sizeof(*v) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd = -1;

	if (poll(&pfd, 1, ms) != 1 || recvmsg(sk, &mh, 0) != sizeof(*v))
		return -1;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/*
 * Start @fn(sk, @arg) in a child process that first becomes @uid (if not
 * 0); the child exits with @fn's return value. The test talks to it over
 * p->sk. 0 or -1.
 */
static inline int proc_start(struct proc *p, uid_t uid, int (*fn)(int sk, void *arg),
			     void *arg)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -1;
	p->pid = fork();
	if (p->pid < 0)
		return -1;
	if (!p->pid) {
		close(sv[0]);
		if (uid && drop_to(uid))
			_exit(100);
		_exit(fn(sv[1], arg));
	}
	close(sv[1]);
	p->sk = sv[0];
	return 0;
}

/* Close the test's end and wait at most @ms for the child: its exit status, or -1. */
static inline int proc_end(struct proc *p, int ms)
{
	double end = now_ms() + ms;
	int status;

	if (p->pid <= 0)
		return -1;
	close(p->sk);
	for (;;) {
		pid_t r = waitpid(p->pid, &status, WNOHANG);

		if (r == p->pid)
			break;
		if (r < 0 || now_ms() > end) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, &status, 0);
			p->pid = 0;
			return -1;
		}
		sleep_ms(10);
	}
	p->pid = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

#define MOD_DIR		"/sys/module/coap_keepalive"
#define MOD_PARAM(x)	MOD_DIR "/parameters/" x

static inline bool module_loaded(void)
{
	return !access(MOD_DIR, F_OK);
}

/*
 * `rmmod coap_keepalive`, waited for at most @ms: its exit status, or -1
 * if it is still running then (left behind: a task stuck in the kernel
 * cannot be killed). *@took gets how long it ran (ms).
 */
static inline int rmmod_within(int ms, long *took)
{
	char *argv[] = { "rmmod", "coap_keepalive", NULL };
	double t0 = now_ms();
	pid_t pid = spawn("/tmp/cka-rmmod.log", argv);
	int status;

	*took = -1;
	if (pid < 0)
		return -1;
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			break;
		if (r < 0 || now_ms() - t0 > ms)
			return -1;
		sleep_ms(5);
	}
	*took = now_ms() - t0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Load $CKA_KO again if the module is not loaded: 0 or -1. */
static inline int insmod_again(void)
{
	char cmd[512];

	if (module_loaded())
		return 0;
	if (!getenv("CKA_KO"))
		return -1;
	snprintf(cmd, sizeof(cmd), "insmod %s", getenv("CKA_KO"));
	return system(cmd) ? -1 : 0;
}

/* What a context dump showed: ids and owners (up to CTXD_MAX of them). */
#define CTXD_MAX	64
struct ctx_list {
	int n;
	uint32_t id[CTXD_MAX];
	uint32_t owner[CTXD_MAX];
};

static inline int ctx_list_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ctx_list *l = data;
	struct cka_ctx c;

	cka_ctx_cb(nlh, &c);
	if (l->n < CTXD_MAX) {
		l->id[l->n] = c.v[COAP_KA_A_CTX_ID];
		l->owner[l->n] = c.v[COAP_KA_A_OWNER_UID];
	}
	l->n++;
	return MNL_CB_OK;
}

/* Dump the contexts into @l: how many there are, or -errno. */
static inline int ctx_dump(struct cka_nl *nl, struct ctx_list *l)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int err;

	memset(l, 0, sizeof(*l));
	err = cka_talk(nl, cka_req(nl, buf, COAP_KA_CMD_CTX_GET, NLM_F_DUMP, NULL),
		       ctx_list_cb, l);
	return err ? err : l->n;
}

static inline bool ctx_listed(const struct ctx_list *l, long id)
{
	int i;

	for (i = 0; i < l->n && i < CTXD_MAX; i++)
		if (l->id[i] == id)
			return true;
	return false;
}

/* Is session @sid among the @n of @ev? */
static inline bool sess_listed(const struct cka_ev *ev, int n, long sid)
{
	int i;

	for (i = 0; i < n; i++)
		if (ev[i].v[COAP_KA_A_SESSION_ID] == sid)
			return true;
	return false;
}

#endif /* CKA_PRIV_H */
