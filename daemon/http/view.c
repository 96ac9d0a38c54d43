// SPDX-License-Identifier: MIT
#include "http/view.h"

/*
 * daemon/http/view.html, as is, in .rodata (the Makefile makes view.o depend on
 * it). The assembler includes it, so the page stays a file that a browser
 * can open and an editor can check, and nothing generates C from it.
 */
__asm__(".section .rodata\n"
	".global jd_view_html\n"
	".type jd_view_html, @object\n"
	"jd_view_html:\n"
	".incbin \"daemon/http/view.html\"\n"
	".byte 0\n"
	".previous\n");

/* NUL-terminated: the page is text, without a NUL of its own. */
extern const char jd_view_html[];

int view_render(void *ctx, struct buf *out)
{
	(void)ctx;
	buf_puts(out, jd_view_html);
	return out->oom ? -1 : 0;
}
