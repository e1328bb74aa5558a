/* SPDX-License-Identifier: GPL-2.0 */
/* wheel_sim: compat.h has nothing the wheel needs */
