/* SPDX-License-Identifier: GPL-2.0 */
/* wheel_sim: defined in coap_ka.h */
