// SPDX-License-Identifier: GPL-2.0
/*
 * coap_keepalive: module entry points, parameters and per-namespace state.
 */
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/netlink.h>
#include <net/genetlink.h>
#include <net/netns/generic.h>

#include "coap_ka.h"

unsigned int coap_ka_max_ctx_per_user __read_mostly = 256;
module_param_named(max_contexts_per_user, coap_ka_max_ctx_per_user, uint, 0644);
MODULE_PARM_DESC(max_contexts_per_user,
		 "Contexts one user may own over all network namespaces (0: no limit; default 256)");

unsigned int coap_ka_max_sessions_per_user __read_mostly = 65536;
module_param_named(max_sessions_per_user, coap_ka_max_sessions_per_user, uint, 0644);
MODULE_PARM_DESC(max_sessions_per_user,
		 "Sessions in the contexts of one user over all network namespaces (0: no limit; default 65536)");

/*
 * On unload no new Ping leaves; answers to those already out are still
 * eaten for this long before the sockets are handed back.
 */
#define COAP_KA_UNLOAD_GRACE_MS	500

/* `git describe` of the source, passed by Kbuild (scripts/version.sh). */
#ifndef COAP_KA_VERSION
#define COAP_KA_VERSION "unknown"
#endif

static unsigned int coap_ka_net_id __read_mostly;
bool coap_ka_unloading;

/**
 * coap_ka_pernet() - the module's state of a network namespace
 * @net: the network namespace
 *
 * Context: any; @net must be alive and the module registered in it.
 * Return: the namespace's &struct coap_ka_net.
 */
struct coap_ka_net *coap_ka_pernet(const struct net *net)
{
	return net_generic(net, coap_ka_net_id);
}

static int __net_init coap_ka_pernet_init(struct net *net)
{
	struct coap_ka_net *cn = coap_ka_pernet(net);

	cn->net = net;
	return coap_ka_net_init(cn);
}

static void __net_exit coap_ka_pernet_exit(struct net *net)
{
	coap_ka_net_exit(coap_ka_pernet(net), coap_ka_unloading ?
			 COAP_KA_GONE_REMOVED : COAP_KA_GONE_NETNS);
}

static struct pernet_operations coap_ka_pernet_ops = {
	.init = coap_ka_pernet_init,
	.exit = coap_ka_pernet_exit,
	.id = &coap_ka_net_id,
	.size = sizeof(struct coap_ka_net),
};

/* A netlink socket went away: its sessions no longer have it to tell. */
static int coap_ka_netlink_event(struct notifier_block *nb,
				 unsigned long event, void *ptr)
{
	struct netlink_notify *n = ptr;

	if (event == NETLINK_URELEASE && n->protocol == NETLINK_GENERIC && n->portid)
		coap_ka_netlink_released(n->net, n->portid);
	return NOTIFY_DONE;
}

static struct notifier_block coap_ka_netlink_notifier = {
	.notifier_call = coap_ka_netlink_event,
};

static int __init coap_ka_module_init(void)
{
	int err;

	err = coap_ka_ctx_init();
	if (err)
		return err;
	err = coap_ka_session_init();
	if (err)
		goto err_ctx;
	err = register_pernet_subsys(&coap_ka_pernet_ops);
	if (err)
		goto err_session;
	err = netlink_register_notifier(&coap_ka_netlink_notifier);
	if (err)
		goto err_pernet;
	err = coap_ka_nl_init();
	if (err)
		goto err_notifier;
	return 0;

err_notifier:
	netlink_unregister_notifier(&coap_ka_netlink_notifier);
err_pernet:
	unregister_pernet_subsys(&coap_ka_pernet_ops);
err_session:
	coap_ka_session_exit();
err_ctx:
	coap_ka_ctx_exit();
	return err;
}

static void __exit coap_ka_module_exit(void)
{
	/*
	 * No new requests; then every namespace's sessions end and their
	 * sockets are handed back as the applications had them.
	 */
	WRITE_ONCE(coap_ka_unloading, true);	/* no Pings, no events from here on */
	coap_ka_nl_exit();
	netlink_unregister_notifier(&coap_ka_netlink_notifier);
	if (coap_ka_sessions_exist())
		msleep(COAP_KA_UNLOAD_GRACE_MS);
	unregister_pernet_subsys(&coap_ka_pernet_ops);
	/* Every socket given back: wait for the last thread to leave us. */
	coap_ka_proto_exit();
	coap_ka_session_exit();
	coap_ka_ctx_exit();
}

module_init(coap_ka_module_init);
module_exit(coap_ka_module_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("In-kernel CoAP keepalive (RFC 7252 / RFC 8323 pings)");
MODULE_VERSION(COAP_KA_VERSION);
MODULE_ALIAS_GENL_FAMILY(COAP_KA_GENL_NAME);
