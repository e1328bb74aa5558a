// SPDX-License-Identifier: GPL-2.0
/*
 * coap_keepalive: the tracepoints of trace.h, created here once.
 */
#define CREATE_TRACE_POINTS
#include "trace.h"
