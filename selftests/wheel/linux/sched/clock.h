/* SPDX-License-Identifier: GPL-2.0 */
/* wheel_sim: local_clock() is in coap_ka.h */
