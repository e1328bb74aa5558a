// SPDX-License-Identifier: GPL-2.0
/*
 * monitor: join the family's events multicast group and print every
 * message that arrives, through the attribute table.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include <linux/coap_keepalive.h>

#include "cka.h"
#include "nl.h"

static volatile sig_atomic_t cka_monitor_stop;

/* The slack lets libmnl read up to the aligned end of a last message. */
static union {
	char buf[CKA_RECV_SIZE + MNL_ALIGNTO];
	struct nlmsghdr align;
} cka_mon_rx;

static void cka_monitor_signal(int sig)
{
	(void)sig;
	cka_monitor_stop = 1;
}

static int64_t cka_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Text: the event's short name ("pong"), then every attribute by its YAML
 * name. JSON: as YNL's cli.py --subscribe ("name" the YAML operation
 * name, "msg" the attributes), plus "event" (the short name) and "cmd".
 */
static void cka_monitor_print(const struct cka_opts *o,
			      const struct nlmsghdr *nlh)
{
	const struct cka_attr_set *set = &cka_attrs_coap_ka;
	const char *name, *event;
	struct cka_parsed p;
	struct json j;

	if (cka_parse_msg(set, nlh, &p))
		return;
	name = cka_cmd_name(p.cmd);
	event = cka_event_name(p.cmd);
	if (o->json) {
		json_init(&j, stdout, o->pretty);
		json_obj_open(&j, NULL);
		if (name)
			json_str(&j, "name", name);
		else
			json_null(&j, "name");
		if (event)
			json_str(&j, "event", event);
		json_uint(&j, "cmd", p.cmd);
		json_obj_open(&j, "msg");
		cka_print_json(&j, set, &p, NULL);
		json_obj_close(&j);
		json_obj_close(&j);
		json_end(&j);
	} else {
		if (event || name)
			printf("%s", event ? event : name);
		else
			printf("cmd %u", p.cmd);
		cka_print_text(stdout, set, &p, NULL);
		fputc('\n', stdout);
		fflush(stdout);
	}
}

/* Print the family's messages of one buffer; returns how many. */
static unsigned int cka_monitor_buf(const struct cka_opts *o,
				    struct cka_nl *nl, const void *buf,
				    size_t len, unsigned int room)
{
	const struct nlmsghdr *nlh = buf;
	int rem = (int)len;
	unsigned int n = 0;

	for (; n < room && cka_nlmsg_ok(nlh, rem);
	     nlh = mnl_nlmsg_next(nlh, &rem)) {
		if (nlh->nlmsg_type != nl->family)
			continue;
		cka_monitor_print(o, nlh);
		n++;
	}
	return n;
}

static int cka_monitor_run(const struct cka_opts *o, int argc, char **argv)
{
	unsigned int count = 0, seen = 0;
	bool has_count = false, has_timeout = false;
	uint32_t timeout = 0, val;
	int64_t deadline = 0, left;
	struct sigaction sa;
	struct pollfd pfd;
	struct cka_nl nl;
	const char *why;
	const char *arg;
	ssize_t n;
	int i, ret;

	for (i = 0; i < argc; i++) {
		bool is_count = !strcmp(argv[i], "--count") ||
				!strcmp(argv[i], "-c");
		bool is_timeout = !strcmp(argv[i], "--timeout") ||
				  !strcmp(argv[i], "-t");

		if (!is_count && !is_timeout)
			return cka_usage_error(&cka_obj_monitor, NULL,
					       "unknown monitor argument '%s'",
					       argv[i]);
		if (i + 1 >= argc)
			return cka_usage_error(&cka_obj_monitor, NULL,
					       "%s needs a value", argv[i]);
		arg = argv[++i];
		if (cka_parse_u32(arg, &val, &why))
			return cka_usage_error(&cka_obj_monitor, NULL,
					       "invalid %s '%s': %s",
					       is_count ? "count" : "timeout",
					       arg, why);
		if (is_count) {
			has_count = true;
			count = val;
		} else {
			has_timeout = true;
			timeout = val;
		}
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = cka_monitor_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);	/* no SA_RESTART: poll() returns */
	sigaction(SIGTERM, &sa, NULL);

	if (cka_nl_open(&nl))
		return CKA_EXIT_ERR;
	if (!nl.grp_events) {
		fprintf(stderr, "%s: the family has no '%s' multicast group\n",
			CKA_PROG, COAP_KA_MCGRP_EVENTS);
		cka_nl_close(&nl);
		return CKA_EXIT_ERR;
	}
	ret = cka_nl_join(&nl, nl.grp_events);
	if (ret) {
		fprintf(stderr, "%s: cannot join multicast group '%s': %s%s\n",
			CKA_PROG, COAP_KA_MCGRP_EVENTS, strerror(-ret),
			ret == -EPERM ? " (it needs CAP_NET_ADMIN)" : "");
		cka_nl_close(&nl);
		return CKA_EXIT_ERR;
	}
	fprintf(stderr, "%s: monitoring %s group %s (id %u)\n", CKA_PROG,
		COAP_KA_GENL_NAME, COAP_KA_MCGRP_EVENTS, nl.grp_events);

	if (has_timeout)
		deadline = cka_now_ms() + (int64_t)timeout * 1000;
	pfd.fd = mnl_socket_get_fd(nl.sock);
	pfd.events = POLLIN;
	ret = CKA_EXIT_OK;
	while (!cka_monitor_stop && (!has_count || seen < count)) {
		left = -1;
		if (has_timeout) {
			left = deadline - cka_now_ms();
			if (left <= 0)
				break;
		}
		if (poll(&pfd, 1, left > INT32_MAX ? INT32_MAX : (int)left) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "%s: poll: %s\n", CKA_PROG,
				strerror(errno));
			ret = CKA_EXIT_ERR;
			break;
		}
		if (!(pfd.revents & POLLIN))
			continue;
		n = mnl_socket_recvfrom(nl.sock, cka_mon_rx.buf,
					CKA_RECV_SIZE);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				fprintf(stderr,
					"%s: events were lost (receive buffer overrun)\n",
					CKA_PROG);
				continue;
			}
			fprintf(stderr, "%s: receiving events: %s\n", CKA_PROG,
				strerror(errno));
			ret = CKA_EXIT_ERR;
			break;
		}
		seen += cka_monitor_buf(o, &nl, cka_mon_rx.buf, (size_t)n,
					has_count ? count - seen : UINT32_MAX);
	}
	cka_nl_close(&nl);
	return ret;
}

const struct cka_object cka_obj_monitor = {
	.name = "monitor",
	.help = "print events as they come, until SIGINT/SIGTERM",
	.run = cka_monitor_run,
	.args = "[--count N] [--timeout SEC]",
};
