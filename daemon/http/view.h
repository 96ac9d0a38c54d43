/* SPDX-License-Identifier: MIT */
/*
 * The live view (/view): one self-contained HTML page (daemon/http/view.html,
 * built into the binary) that polls /metrics and /events and draws them in
 * the browser. The daemon only serves the bytes.
 */
#ifndef JD_VIEW_H
#define JD_VIEW_H

#include "lib/buf.h"

int view_render(void *ctx, struct buf *out);

#endif
