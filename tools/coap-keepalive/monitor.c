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
 * When an event came (-t): local wall-clock time, ISO 8601 / RFC 3339
 * with microseconds and the UTC offset, 2026-12-02T06:13:13.123456+01:00.
 */
static void cka_monitor_stamp(char *buf, size_t len)
{
	struct timespec ts;
	char date[32], zone[8];
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof(zone), "%z", &tm);	/* +0100 */
	snprintf(buf, len, "%s.%06ld%.3s:%.2s", date, ts.tv_nsec / 1000,
		 zone, zone + 3);
}

/* Events printed so far: the JSON array's separators. */
static unsigned long cka_monitor_printed;

/*
 * One event. Text: with -t "[TIMESTAMP] ", the event's short name
 * ("pong"), then its attributes exactly as session show names them
 * ("session-id 3 ctx-id 1 ..."). JSON: an element of the one array
 * monitor -j prints, on a line of its own: {"timestamp" (-t), "event",
 * then the attributes under the keys of session show}.
 */
static void cka_monitor_print(const struct cka_opts *o,
			      const struct nlmsghdr *nlh)
{
	const struct cka_attr_set *set = &cka_attrs_coap_ka;
	char stamp[64], unknown[16];
	const char *event;
	struct cka_parsed p;
	static struct json j;	/* its buffer is big */

	if (cka_parse_msg(set, nlh, &p))
		return;
	event = cka_event_name(p.cmd);
	if (!event)
		event = cka_cmd_name(p.cmd);
	if (!event) {
		snprintf(unknown, sizeof(unknown), "cmd-%u", p.cmd);
		event = unknown;
	}
	if (o->timestamp)
		cka_monitor_stamp(stamp, sizeof(stamp));
	if (o->json) {
		if (cka_monitor_printed)
			fputc(',', stdout);
		json_init(&j, stdout, o->pretty);
		json_obj_open(&j, NULL);
		if (o->timestamp)
			json_str(&j, "timestamp", stamp);
		json_str(&j, "event", event);
		cka_print_json(&j, set, &p, &cka_obj_session);
		json_obj_close(&j);
		json_end(&j);
	} else {
		if (o->timestamp)
			printf("[%s] ", stamp);
		printf("%s ", event);
		cka_print_text(stdout, set, &p, &cka_obj_session);
		fputc('\n', stdout);
		fflush(stdout);
	}
	cka_monitor_printed++;
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

static int cka_monitor_run(const struct cka_opts *opts, int argc, char **argv)
{
	unsigned int count = 0, seen = 0;
	bool has_count = false, has_timeout = false;
	struct cka_opts o = *opts;
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
		bool is_timeout = !strcmp(argv[i], "--timeout");

		if (!strcmp(argv[i], "--timestamp") || !strcmp(argv[i], "-t")) {
			o.timestamp = true;
			continue;
		}
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
	/* -j: one array, "[" now, an element per line as events come. */
	if (o.json) {
		fputs("[\n", stdout);
		fflush(stdout);
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
		seen += cka_monitor_buf(&o, &nl, cka_mon_rx.buf, (size_t)n,
					has_count ? count - seen : UINT32_MAX);
	}
	/* The array ends however monitor does (signal, count, timeout, error). */
	if (o.json) {
		fputs("]\n", stdout);
		fflush(stdout);
	}
	cka_nl_close(&nl);
	return ret;
}

const struct cka_object cka_obj_monitor = {
	.name = "monitor",
	.help = "print events as they come, until SIGINT/SIGTERM; -t: with the time",
	.run = cka_monitor_run,
	.args = "[-t|--timestamp] [--count N] [--timeout SEC]",
};
