// SPDX-License-Identifier: GPL-2.0
/*
 * attach: hand another process's UDP or TCP socket to the kernel. The
 * socket is duplicated into this process with pidfd_getfd(2) (which needs
 * ptrace access to the process), added with SESSION_ADD, and the duplicate
 * is closed: the session lives as long as the socket itself.
 *
 * Without --fd the process's sockets are found through /proc: the fds
 * that are "socket:[INODE]" links, matched against /proc/PID/net/udp,
 * udp6, tcp and tcp6 (the process's network namespace). Every connected
 * UDP socket and established TCP connection is attached; unconnected UDP
 * sockets need a peer, so they are only listed; other TCP sockets
 * (listening, closing) are left alone.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/coap_keepalive.h>

#include "cka.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open	434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd	438
#endif

/* A socket of /proc/PID/net/{udp,tcp}{,6}. */
struct cka_proc_sock {
	uint64_t ino;
	int family;
	bool tcp;
	unsigned int state;	/* TCP_ESTABLISHED is 1 */
	unsigned char laddr[16], raddr[16];
	unsigned int lport, rport;
};

/* A socket fd of the process that is a UDP or TCP socket. */
struct cka_target {
	int fd;
	const struct cka_proc_sock *us;
};

struct cka_proc_table {
	struct cka_proc_sock *v;
	size_t n, cap;
};

static int cka_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int cka_pidfd_getfd(int pidfd, int fd)
{
	return (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
}

/*
 * An address column of /proc/net/udp: the kernel prints each 32-bit word
 * of the (network order) address as a host-order hex number.
 */
static int cka_proc_addr(const char *hex, unsigned char *addr, int *family)
{
	size_t len = strlen(hex), w;
	char word[9];
	uint32_t v;

	if (len != 8 && len != 32)
		return -1;
	for (w = 0; w < len / 8; w++) {
		memcpy(word, hex + 8 * w, 8);
		word[8] = '\0';
		v = (uint32_t)strtoul(word, NULL, 16);
		memcpy(addr + 4 * w, &v, 4);
	}
	*family = len == 8 ? AF_INET : AF_INET6;
	return 0;
}

static void cka_proc_table_read(struct cka_proc_table *t, const char *path,
				bool tcp)
{
	char line[512], la[40], ra[40];
	struct cka_proc_sock us, *v;
	unsigned long long ino;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		memset(&us, 0, sizeof(us));
		if (sscanf(line,
			   " %*u: %39[0-9A-Fa-f]:%x %39[0-9A-Fa-f]:%x %x %*x:%*x %*x:%*x %*x %*u %*u %llu",
			   la, &us.lport, ra, &us.rport, &us.state, &ino) != 6)
			continue;	/* the header */
		if (cka_proc_addr(la, us.laddr, &us.family) ||
		    cka_proc_addr(ra, us.raddr, &us.family))
			continue;
		us.ino = ino;
		us.tcp = tcp;
		if (t->n == t->cap) {
			size_t cap = t->cap ? 2 * t->cap : 32;

			v = realloc(t->v, cap * sizeof(*v));
			if (!v)
				break;
			t->v = v;
			t->cap = cap;
		}
		t->v[t->n++] = us;
	}
	fclose(f);
}

static const struct cka_proc_sock *cka_proc_find(const struct cka_proc_table *t,
					       uint64_t ino)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->v[i].ino == ino)
			return &t->v[i];
	return NULL;
}

static void cka_addr_fmt(const struct cka_proc_sock *us, bool remote,
			 char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(us->family, remote ? us->raddr : us->laddr, a,
		       sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(buf, len, us->family == AF_INET6 ? "[%s]:%u" : "%s:%u", a,
		 remote ? us->rport : us->lport);
}

static int cka_target_cmp(const void *a, const void *b)
{
	const struct cka_target *x = a, *y = b;

	return (x->fd > y->fd) - (x->fd < y->fd);
}

/*
 * The UDP and TCP sockets among @pid's fds, one fd per socket, lowest first.
 * Returns how many, or -1 after printing why.
 */
static int cka_find_sock_fds(pid_t pid, const struct cka_proc_table *t,
			    struct cka_target **out)
{
	char path[64], link[64];
	struct cka_target *v = NULL, *nv;
	const struct cka_proc_sock *us;
	unsigned long long ino;
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	char *end;
	ssize_t len;
	long fd;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d) {
		fprintf(stderr, "%s: cannot list %s: %s\n", CKA_PROG, path,
			strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		errno = 0;
		fd = strtol(de->d_name, &end, 10);
		if (*end || errno || fd < 0 || fd > INT32_MAX)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd/%ld", (int)pid, fd);
		len = readlink(path, link, sizeof(link) - 1);
		if (len < 0)
			continue;
		link[len] = '\0';
		if (sscanf(link, "socket:[%llu]", &ino) != 1)
			continue;
		us = cka_proc_find(t, ino);
		if (!us)
			continue;	/* not UDP or TCP: unix, netlink... */
		for (i = 0; i < n; i++)
			if (v[i].us == us)
				break;
		if (i < n) {		/* a dup of a socket we have */
			if (fd < v[i].fd)
				v[i].fd = (int)fd;
			continue;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				fprintf(stderr, "%s: out of memory\n",
					CKA_PROG);
				free(v);
				closedir(d);
				return -1;
			}
			v = nv;
		}
		v[n].fd = (int)fd;
		v[n].us = us;
		n++;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cka_target_cmp);
	*out = v;
	return (int)n;
}

/* Is @pid in another network namespace than we are? */
static bool cka_other_netns(pid_t pid)
{
	struct stat a, b;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	if (stat(path, &a) || stat("/proc/self/ns/net", &b))
		return false;
	return a.st_ino != b.st_ino || a.st_dev != b.st_dev;
}

/* Duplicate @fd of the process and add it. Returns an exit code. */
static int cka_attach_one(const struct cka_opts *o, struct cka_nl *nl,
			  int pidfd, pid_t pid, int fd,
			  const struct cka_sess_args *sa)
{
	static union cka_req req;
	struct nlmsghdr *nlh;
	int local, ret;

	local = cka_pidfd_getfd(pidfd, fd);
	if (local < 0) {
		int err = errno;

		fprintf(stderr, "%s: cannot get fd %d of process %d: %s%s\n",
			CKA_PROG, fd, (int)pid, strerror(err),
			err == EPERM ?
			" (pidfd_getfd needs ptrace access: root, or the same user with kernel.yama.ptrace_scope 0)" :
			err == EBADF ? " (no such file descriptor)" :
			err == ESRCH ? " (the process is gone)" :
			err == ENOSYS ? " (pidfd_getfd needs Linux 5.6)" : "");
		return CKA_EXIT_ERR;
	}
	nlh = cka_nl_req(nl, req.buf, COAP_KA_CMD_SESSION_ADD, NLM_F_ACK);
	cka_sess_put(&cka_obj_attach, sa, nlh, local);
	ret = cka_obj_do(o, &cka_obj_session, nl, nlh, true);
	close(local);
	return ret;
}

static int cka_attach_run(const struct cka_opts *o, int argc, char **argv)
{
	const struct cka_object *obj = &cka_obj_attach;
	bool has_pid = false, has_fd = false;
	struct cka_proc_table t = { 0 };
	struct cka_target *tg = NULL;
	struct cka_sess_args sa = { 0 };
	int i, n = 0, rest = 0, pidfd = -1, ret, one;
	uint32_t pid = 0, fd = 0, *val;
	char **restv, path[64], la[64];
	const char *why;
	bool failed = false;
	struct cka_nl nl;

	restv = calloc((size_t)argc + 1, sizeof(*restv));
	if (!restv) {
		fprintf(stderr, "%s: out of memory\n", CKA_PROG);
		return CKA_EXIT_ERR;
	}
	for (i = 0; i < argc; i++) {
		bool is_pid = !strcmp(argv[i], "--pid");
		bool is_fd = !strcmp(argv[i], "--fd");

		if (!is_pid && !is_fd) {
			restv[rest++] = argv[i];
			continue;
		}
		if (i + 1 >= argc) {
			ret = cka_usage_error(obj, NULL, "%s needs a value",
					      argv[i]);
			goto out;
		}
		if ((is_pid && has_pid) || (is_fd && has_fd)) {
			ret = cka_usage_error(obj, NULL, "%s given twice",
					      argv[i]);
			goto out;
		}
		val = is_pid ? &pid : &fd;
		why = NULL;
		if (cka_parse_u32(argv[i + 1], val, &why) == 0) {
			if (*val > INT32_MAX)
				why = "too large";
			else if (is_pid && !*val)
				why = "not a process id";
		}
		if (why) {
			ret = cka_usage_error(obj, NULL, "invalid %s '%s': %s",
					      argv[i], argv[i + 1], why);
			goto out;
		}
		has_pid |= is_pid;
		has_fd |= is_fd;
		i++;
	}
	if (!has_pid) {
		ret = cka_usage_error(obj, NULL, "missing --pid P");
		goto out;
	}
	ret = cka_sess_parse(obj, NULL, rest, restv, false, &sa);
	if (ret)
		goto out;
	if (sa.has_peer && !has_fd) {
		ret = cka_usage_error(obj, NULL,
				      "a peer is for one socket: give --fd N with it");
		goto out;
	}

	pidfd = cka_pidfd_open((pid_t)pid);
	if (pidfd < 0) {
		fprintf(stderr, "%s: cannot open process %u: %s\n", CKA_PROG,
			pid, errno == ESRCH ? "no such process" :
			strerror(errno));
		ret = CKA_EXIT_ERR;
		goto out;
	}

	if (has_fd) {
		tg = calloc(1, sizeof(*tg));
		if (!tg) {
			ret = CKA_EXIT_ERR;
			goto out;
		}
		tg->fd = (int)fd;
		n = 1;
	} else {
		snprintf(path, sizeof(path), "/proc/%u/net/udp", pid);
		cka_proc_table_read(&t, path, false);
		snprintf(path, sizeof(path), "/proc/%u/net/udp6", pid);
		cka_proc_table_read(&t, path, false);
		snprintf(path, sizeof(path), "/proc/%u/net/tcp", pid);
		cka_proc_table_read(&t, path, true);
		snprintf(path, sizeof(path), "/proc/%u/net/tcp6", pid);
		cka_proc_table_read(&t, path, true);
		n = cka_find_sock_fds((pid_t)pid, &t, &tg);
		if (n < 0) {
			ret = CKA_EXIT_ERR;
			goto out;
		}
	}

	if (cka_nl_open(&nl)) {
		ret = CKA_EXIT_ERR;
		goto out;
	}
	one = 0;
	for (i = 0; i < n; i++) {
		if (!has_fd && tg[i].us->tcp && tg[i].us->state != 1)
			continue;	/* listening or closing */
		if (!has_fd && !tg[i].us->rport) {
			cka_addr_fmt(tg[i].us, false, la, sizeof(la));
			fprintf(stderr,
				"%s: skipping fd %d of process %u (socket:[%" PRIu64 "], %s): unconnected; give --fd %d peer ADDR port P\n",
				CKA_PROG, tg[i].fd, pid, tg[i].us->ino, la,
				tg[i].fd);
			continue;
		}
		one++;
		if (cka_attach_one(o, &nl, pidfd, (pid_t)pid, tg[i].fd, &sa))
			failed = true;
	}
	cka_nl_close(&nl);
	ret = CKA_EXIT_OK;
	if (!one) {
		fprintf(stderr, "%s: no connected UDP or TCP socket in process %u\n",
			CKA_PROG, pid);
		ret = CKA_EXIT_ERR;
	}
	if (failed) {
		if (cka_other_netns((pid_t)pid))
			fprintf(stderr,
				"%s: process %u is in another network namespace: run 'nsenter -n -t %u %s attach ...'\n",
				CKA_PROG, pid, pid, CKA_PROG);
		ret = CKA_EXIT_ERR;
	}
out:
	if (pidfd >= 0)
		close(pidfd);
	cka_sess_args_free(&sa);
	free(t.v);
	free(tg);
	free(restv);
	return ret;
}

const struct cka_object cka_obj_attach = {
	.name = "attach",
	.help = "add the connected UDP and TCP sockets (or fd N) of process P; "
		"prints each session",
	.set = &cka_attrs_coap_ka,
	.settings = cka_ctx_settings,
	.run = cka_attach_run,
	.args = "--pid P [--fd N] ctx ID [peer ADDR port P] [transport udp|tcp|tls] [SETTING VALUE]...",
};
