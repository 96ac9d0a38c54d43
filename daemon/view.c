// SPDX-License-Identifier: MIT
#include "view.h"

#include <stddef.h>

/*
 * daemon/view.html, as is, in .rodata (the Makefile makes view.o depend on
 * it). The assembler includes it, so the page stays a file that a browser
 * can open and an editor can check, and nothing generates C from it.
 */
__asm__(".section .rodata\n"
	".global jd_view_html\n"
	".type jd_view_html, @object\n"
	"jd_view_html:\n"
	".incbin \"daemon/view.html\"\n"
	".global jd_view_html_end\n"
	"jd_view_html_end:\n"
	".previous\n");

extern const char jd_view_html[], jd_view_html_end[];

int view_render(void *ctx, struct buf *out)
{
	(void)ctx;
	buf_append(out, jd_view_html, (size_t)(jd_view_html_end - jd_view_html));
	return out->oom ? -1 : 0;
}
