// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Fuzz target: the rule parser. Any input either is refused with a one-line message or
 * parses into a rule whose printed form parses back to the same rule and prints the same. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xskflow/xskflow.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char text[XF_RULE_TEXT_MAX + 64], err[512], f1[XF_RULE_TEXT_MAX], f2[XF_RULE_TEXT_MAX];
	struct xf_rule a, b;

	if (size >= sizeof(text))
		size = sizeof(text) - 1;
	memcpy(text, data, size);
	text[size] = '\0';

	memset(&a, 0, sizeof(a));
	if (xf_rule__parse(text, &a, err, sizeof(err))) {
		if (!err[0] || strchr(err, '\n'))
			abort();	/* refusals say why, on one line */
		return 0;
	}
	xf_rule__format(&a, f1, sizeof(f1));
	memset(&b, 0, sizeof(b));
	if (xf_rule__parse(f1, &b, err, sizeof(err))) {
		fprintf(stderr, "'%s' printed as '%s', which does not parse: %s\n", text, f1, err);
		abort();
	}
	xf_rule__format(&b, f2, sizeof(f2));
	if (memcmp(&a, &b, sizeof(a)) || strcmp(f1, f2)) {
		fprintf(stderr, "'%s' -> '%s' -> '%s': not a round trip\n", text, f1, f2);
		abort();
	}
	return 0;
}
